"""Benchmark of the result store and the executors.

Run: ``python benchmarks/bench_store.py [--tasks 16] [--workers 2]``. Prints

* the store's overhead per task: computing the content key, writing the table (Parquet + checksum,
  atomic) and reading it back (checksum checked), against the time of the task itself;
* the same sweep (the Gaussian loops of ``sweeps/loops_and_bias.toml`` at book sizes) run serially,
  on local forked processes and on a Dask ``LocalCluster`` with as many single-threaded workers
  (started inside the timing, as ``python -m mad sweep --executor dask`` does), checking that all
  three give the same bits; Dask once with the cluster start in the timing, once on a running cluster.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import pandas as pd

import mad
from mad.data import GaussianSource
from mad.loops import run_sweep
from mad.metrics.gaussian import gaussian_w2_squared
from mad.models import GaussianModel
from mad.store import Store, task_key


def w2(gen) -> float:
    return gaussian_w2_squared(gen.model.mean_, gen.model.cov_)


def tasks(n: int, generations: int) -> list[dict]:
    schedules = (mad.fully_synthetic(50), mad.synthetic_augmentation(50, 50), mad.fresh_data(50, 50))
    return [
        dict(
            schedule=schedules[i % 3],
            model=GaussianModel(),
            source=GaussianSource(d=2),
            generations=generations,
            metrics={"W2": w2},
            seed=i,
        )
        for i in range(n)
    ]


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--generations", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sweep = tasks(args.tasks, args.generations)

    with tempfile.TemporaryDirectory() as root:
        store = Store(root)
        t_run, reference = timed(lambda: run_sweep(sweep, executor="serial", progress=False, store=False))
        t_key, keys = timed(lambda: [task_key(t) for t in sweep])
        frames = [reference[reference["seed"] == i].reset_index(drop=True) for i in range(len(sweep))]
        t_put, _ = timed(lambda: [store.put(k, f) for k, f in zip(keys, frames)])
        t_get, back = timed(lambda: [store.read(k) for k in keys])
        assert all(b.equals(f) for b, f in zip(back, frames))
        t_cold, _ = timed(lambda: run_sweep(sweep, executor="serial", progress=False, store=Store(f"{root}/cold")))
        t_warm, warm = timed(lambda: run_sweep(sweep, executor="serial", progress=False, store=Store(f"{root}/cold")))
        pd.testing.assert_frame_equal(warm, reference, check_exact=True)
    n = len(sweep)
    print(f"store, {n} Gaussian tasks of {args.generations} generations ({len(reference) // n} rows each):")
    print(f"  task itself       {1e3 * t_run / n:8.2f} ms per task")
    print(f"  content key       {1e3 * t_key / n:8.2f} ms per task")
    print(f"  write (atomic)    {1e3 * t_put / n:8.2f} ms per task")
    print(f"  read (checksum)   {1e3 * t_get / n:8.2f} ms per task")
    print(f"  sweep, empty store {t_cold:7.2f} s   (no store: {t_run:.2f} s; overhead {1e3 * (t_cold - t_run) / n:+.1f} ms per task)")
    print(f"  sweep, warm store  {t_warm:7.2f} s")

    big = tasks(args.tasks, args.generations * 10)
    t_serial, serial = timed(lambda: run_sweep(big, executor="serial", progress=False, store=False))
    t_proc, proc = timed(lambda: run_sweep(big, executor="processes", max_workers=args.workers, progress=False, store=False))
    t_dask, dask = timed(lambda: run_sweep(big, executor="dask", max_workers=args.workers, progress=False, store=False))
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        run_sweep(big[:2], executor=client, progress=False, store=False)  # warm the workers' imports
        t_dask_warm, dask_warm = timed(lambda: run_sweep(big, executor=client, progress=False, store=False))
    pd.testing.assert_frame_equal(proc, serial, check_exact=True)
    pd.testing.assert_frame_equal(dask, serial, check_exact=True)
    pd.testing.assert_frame_equal(dask_warm, serial, check_exact=True)
    print(f"executors, {n} tasks of {args.generations * 10} generations, {args.workers} workers (same bits on all three):")
    print(f"  serial                 {t_serial:7.2f} s")
    print(f"  local processes (fork) {t_proc:7.2f} s")
    print(f"  dask LocalCluster      {t_dask:7.2f} s   (cluster start included; dask / processes = {t_dask / t_proc:.2f})")
    print(f"  dask, running cluster  {t_dask_warm:7.2f} s   (dask / processes = {t_dask_warm / t_proc:.2f})")


if __name__ == "__main__":
    main()
