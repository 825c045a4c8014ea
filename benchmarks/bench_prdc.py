"""Precision/recall/density/coverage on 10k x 10k points in 64-d: mad's chunked version vs ``prdc``'s dense one.

Both run in this one process on the same data (float64, real ~ N(0, I), fake ~ N(0.1, 1.1² I)),
k = 5. Time is wall-clock (``time.perf_counter``); peak memory is the peak of memory
allocated while the call runs, measured with :mod:`tracemalloc` (NumPy reports its array
buffers to it) in a second, separate call so that tracing does not slow the timed one.
The BLAS thread count is whatever the environment sets (``make`` sets OMP_NUM_THREADS=1);
``prdc`` additionally asks scikit-learn for 8 jobs.

Run: ``.venv/bin/python benchmarks/bench_prdc.py [--n 10000] [--d 64] [--repeats 1]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time
import tracemalloc

import numpy as np


def _ours(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    from mad.metrics.neighbours import prdc

    return prdc(real, fake, k=k)


def _reference(real: np.ndarray, fake: np.ndarray, k: int) -> dict[str, float]:
    from prdc import compute_prdc

    with contextlib.redirect_stdout(io.StringIO()):  # prdc prints the set sizes
        out = compute_prdc(real, fake, nearest_k=k)
    return {key: float(value) for key, value in out.items()}


def measure(fn, real: np.ndarray, fake: np.ndarray, k: int, repeats: int) -> tuple[dict[str, float], float, float]:
    """(result, best wall time in s, peak traced memory in MiB)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(real, fake, k)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(real, fake, k)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, min(times), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="samples per set")
    parser.add_argument("--d", type=int, default=64, help="dimension")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    real = rng.standard_normal((args.n, args.d))
    fake = 0.1 + 1.1 * rng.standard_normal((args.n, args.d))
    inputs_mib = (real.nbytes + fake.nbytes) / 2**20

    ours, t_ours, m_ours = measure(_ours, real, fake, args.k, args.repeats)
    ref, t_ref, m_ref = measure(_reference, real, fake, args.k, args.repeats)

    print(f"prdc metrics, {args.n} x {args.n} points in {args.d}-d, k = {args.k} (inputs: {inputs_mib:.0f} MiB)")
    print(f"{'implementation':<28}{'time (s)':>10}{'peak memory (MiB)':>20}")
    print(f"{'mad.metrics.neighbours':<28}{t_ours:>10.2f}{m_ours:>20.0f}")
    print(f"{'prdc.compute_prdc (dense)':<28}{t_ref:>10.2f}{m_ref:>20.0f}")
    print(f"{'ratio prdc / mad':<28}{t_ref / t_ours:>10.1f}{m_ref / m_ours:>20.1f}")
    print()
    print(f"{'metric':<12}{'mad':>12}{'prdc':>12}")
    for key in ("precision", "recall", "density", "coverage"):
        print(f"{key:<12}{ours[key]:>12.6f}{ref[key]:>12.6f}")
    worst = max(abs(ours[key] - ref[key]) for key in ours)
    print(f"largest difference: {worst:.2e}")


if __name__ == "__main__":
    main()
