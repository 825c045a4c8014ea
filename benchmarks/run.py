"""Run every benchmark of the book (benchmarks/bench_*.py), one process each, one thread each.

Usage: ``make bench`` or ``python benchmarks/run.py [name ...]`` (names without ``bench_`` / ``.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
        if not scripts:
            print(f"no benchmark named {names}; available: {[s.stem.removeprefix('bench_') for s in sorted(HERE.glob('bench_*.py'))]}")
            return 2
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    status = 0
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], env=env, cwd=HERE.parent)
        print(f"=== {script.name}: exit {result.returncode}, {time.perf_counter() - start:.1f} s", flush=True)
        status = status or result.returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
