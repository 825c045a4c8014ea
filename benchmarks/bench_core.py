"""Benchmark of the core: the generic loop runner and the batched Gaussian chains.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_core.py``. Prints one line per case.
"""

from __future__ import annotations

import time

import mad
from mad.data import GaussianSource
from mad.gaussian_chains import simulate_chains
from mad.metrics import gaussian_w2_squared
from mad.models import GaussianModel


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    metrics = {"w2": lambda g: gaussian_w2_squared(g.model.mean_, g.model.cov_)}
    cases = [
        (
            "runner: Gaussian d=2, n=100, 500 generations",
            lambda: mad.run_loop(mad.fully_synthetic(100), GaussianModel(), GaussianSource(d=2), 500, metrics),
        ),
        (
            "runner: Gaussian d=100, n=1000, 20 generations",
            lambda: mad.run_loop(mad.fully_synthetic(1000), GaussianModel(), GaussianSource(d=100), 20, metrics),
        ),
        ("chains: d=2, n_s=100, 1000 chains x 500 generations", lambda: simulate_chains(mad.fully_synthetic(100), 2, 500, 1000)),
        ("chains: d=100, n_s=1000, 16 chains x 200 generations", lambda: simulate_chains(mad.fully_synthetic(1000), 100, 200, 16)),
        (
            "chains: d=100 fresh n_r=100 n_s=900, 100 chains x 50 generations",
            lambda: simulate_chains(mad.fresh_data(100, 900), 100, 50, 100),
        ),
    ]
    print(f"{'case':<70} {'best of 3 (s)':>14}")
    for name, fn in cases:
        print(f"{name:<70} {timed(fn):>14.3f}")


if __name__ == "__main__":
    main()
