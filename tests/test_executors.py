"""Executors: the same bits on every executor and thread count; interrupts; Dask errors.

The small Gaussian, flow and DDPM tasks below run serially (under 1 and 2 ambient BLAS/torch
threads), in threads, in forked processes, in spawned processes (Gaussian only: a fresh interpreter
costs seconds) and on a Dask ``LocalCluster`` of two worker processes, and every result must equal
the serial run bit for bit. One test also runs them in a subprocess whose environment has no
``OMP_NUM_THREADS``/``MKL_NUM_THREADS``, whatever the environment of the test run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from threadpoolctl import threadpool_limits

import mad
from mad.data import FinitePool, GaussianSource, Rosenbrock, load_digits_pool
from mad.executors import ExecutorError, dask_client, resolve_kind, run_tasks, task_threads
from mad.loops import run_sweep
from mad.metrics.gaussian import gaussian_w2_squared
from mad.models import GaussianModel
from mad.models.ddpm import ConditionalDDPM
from mad.models.flow import RealNVPFlow
from mad.store import Store


def gauss_metric(gen) -> dict[str, float]:
    return {"w2": gaussian_w2_squared(gen.model.mean_, gen.model.cov_), "tr": float(np.trace(gen.model.cov_))}


def sample_sum(gen) -> float:
    X, _ = gen.eval_samples(64)
    return float(np.sum(X * np.arange(1, X.shape[1] + 1)))


def loss_sum(gen) -> float:
    return float(np.sum(gen.model.loss_history_))


def gaussian_tasks() -> list[dict]:
    # d = 96 and n = 400: np.cov goes to a BLAS routine whose rounding depends on its thread count
    source = GaussianSource(d=96)
    return [
        dict(
            schedule=mad.fully_synthetic(400, lam=lam),
            model=GaussianModel(),
            source=source,
            generations=3,
            metrics={"g": gauss_metric},
            seed=s,
        )
        for lam in (1.0, 0.8)
        for s in (0, 1)
    ]


def torch_tasks() -> list[dict]:
    pool = load_digits_pool()
    digits = FinitePool(pool.X[:300], pool.y[:300], name="digits-300")
    flow = RealNVPFlow(n_layers=2, hidden=16, epochs=2, batch_size=64)
    ddpm = ConditionalDDPM(T=8, width=32, depth=1, n_steps=6, batch_size=32)
    metrics = {"samples": sample_sum, "loss": loss_sum}
    return [
        dict(schedule=mad.fully_synthetic(200, lam=0.7), model=flow, source=Rosenbrock(), generations=2, metrics=metrics, seed=4),
        dict(schedule=mad.fully_synthetic(100, lam=0.5), model=ddpm, source=digits, generations=2, metrics=metrics, seed=6),
    ]


def all_tasks() -> list[dict]:
    return gaussian_tasks() + torch_tasks()


def _serial(tasks: list[dict], threads: int) -> pd.DataFrame:
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads):
            return run_sweep(tasks, executor="serial", progress=False, store=False)
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return _serial(all_tasks(), threads=1)


@pytest.fixture(scope="module")
def dask():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=True)


def test_serial_runs_give_the_same_bits_under_one_and_two_threads(reference) -> None:
    _same(_serial(all_tasks(), threads=2), reference)
    assert torch.get_num_threads() >= 1


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_threads_and_processes_give_the_serial_bits(reference, executor) -> None:
    _same(run_sweep(all_tasks(), executor=executor, max_workers=2, progress=False, store=False), reference)


def test_spawned_processes_carry_closures_with_cloudpickle(reference) -> None:
    offset = 0.0
    tasks = [{**t, "metrics": {"g": gauss_metric, "lam+": lambda gen: gen.schedule.lam + offset}} for t in gaussian_tasks()[:2]]
    out = run_sweep(tasks, executor="spawn", max_workers=1, progress=False, store=False)  # one fresh interpreter: seconds
    mine = out[out["metric"] != "lam+"].reset_index(drop=True)
    _same(mine, reference.iloc[: len(mine)])
    assert (out[out["metric"] == "lam+"]["value"] == out[out["metric"] == "lam+"]["lam"]).all()


def few_tasks() -> list[dict]:
    """A Gaussian, a flow and a DDPM task."""
    return gaussian_tasks()[:1] + torch_tasks()


def test_no_omp_num_threads_in_the_environment_gives_the_same_bits(tmp_path) -> None:
    out = tmp_path / "serial.parquet"
    code = (
        "import runpy, sys; from mad.loops import run_sweep; "
        f"ns = runpy.run_path({str(Path(__file__))!r}); "
        "run_sweep(ns['few_tasks'](), executor='serial', progress=False, store=False).to_parquet(sys.argv[1])"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PYTEST_CURRENT_TEST")
    }
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=300)
    _same(pd.read_parquet(out), _serial(few_tasks(), threads=1))


def test_task_threads_sets_one_thread_and_restores() -> None:
    from threadpoolctl import threadpool_info

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with task_threads():
            assert torch.get_num_threads() == 1
            assert all(lib["num_threads"] == 1 for lib in threadpool_info())
            with task_threads():  # nested: still one, and the outer block restores
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_executor_choice_from_argument_and_environment(monkeypatch) -> None:
    monkeypatch.delenv("MAD_EXECUTOR", raising=False)
    monkeypatch.delenv("MAD_DASK_SCHEDULER", raising=False)
    assert resolve_kind(None, 1, 10) == "serial"
    assert resolve_kind(None, 2, 1) == "serial"
    assert resolve_kind(None, 2, 10) == "processes"
    monkeypatch.setenv("MAD_EXECUTOR", "threads")
    assert resolve_kind(None, 2, 10) == "threads"
    monkeypatch.setenv("MAD_DASK_SCHEDULER", "tcp://example:8786")
    assert resolve_kind(None, 2, 10) == "dask"
    monkeypatch.delenv("MAD_DASK_SCHEDULER")
    monkeypatch.setenv("MAD_EXECUTOR", "gpu-farm")
    with pytest.raises(ValueError, match="MAD_EXECUTOR='gpu-farm'.*serial, threads, processes, spawn, dask"):
        resolve_kind(None, 2, 10)
    with pytest.raises(ValueError, match="executor='pool'"):
        resolve_kind("pool", 2, 10)
    with pytest.raises(TypeError, match="executor must be"):
        run_tasks(abs, [1, 2], executor=3)


def test_unreachable_scheduler_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("MAD_DASK_SCHEDULER", "tcp://127.0.0.1:9")
    start = time.perf_counter()
    with pytest.raises(ExecutorError, match=r"MAD_DASK_SCHEDULER='tcp://127.0.0.1:9': cannot reach the Dask scheduler"):
        dask_client(timeout=1)
    assert time.perf_counter() - start < 20


def _slow(x: float) -> float:
    time.sleep(x)
    return x


def test_interrupt_cancels_queued_tasks_at_once_and_keeps_finished_ones(tmp_path) -> None:
    """Ctrl-C (SIGINT) during a pooled sweep: returns at once, finished tasks are already stored."""
    store = Store(tmp_path)
    tasks = [
        dict(
            schedule=mad.fully_synthetic(20),
            model=GaussianModel(),
            source=GaussianSource(d=1),
            generations=1,
            metrics={"slow": lambda gen: _slow(1.5)},
            seed=s,
        )
        for s in range(8)
    ]  # 8 tasks of 1.5 s on 2 workers: at least 4.5 s more after the first result if it waited for all
    sent: list[float] = []

    def interrupt_after_first_result() -> None:
        deadline = time.monotonic() + 60
        while not store.keys() and time.monotonic() < deadline:
            time.sleep(0.02)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    # A shell that starts a job in the background without job control (CI, `cmd &`) makes it ignore
    # SIGINT, and Python then installs no KeyboardInterrupt handler: install it for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    watcher = threading.Thread(target=interrupt_after_first_result, daemon=True)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sweep(tasks, executor="processes", max_workers=2, progress=False, store=store)
    finally:
        signal.signal(signal.SIGINT, previous)
    elapsed = time.perf_counter() - sent[0]
    watcher.join()
    assert elapsed < 2.0, f"the interrupt waited {elapsed:.1f} s"
    kept = len(store.keys())
    assert 1 <= kept < len(tasks)
    time.sleep(1.0)
    assert len(store.keys()) == kept  # the workers were stopped: nothing more arrives


def test_run_tasks_keeps_order_and_reports_each_result() -> None:
    seen = []
    out = run_tasks(_slow, [0.05, 0.0, 0.02], executor="threads", max_workers=3, on_result=lambda i, r: seen.append(i))
    assert out == [0.05, 0.0, 0.02] and sorted(seen) == [0, 1, 2]
    assert run_tasks(_slow, [], executor="serial") == []


# the Dask tests last: the cluster fixture runs threads, and the tests above fork
def test_a_dask_local_cluster_gives_the_serial_bits(reference, dask) -> None:
    _same(run_sweep(all_tasks(), executor=dask, progress=False, store=False), reference)


def test_dask_results_go_into_the_store_and_are_read_back(tmp_path, dask) -> None:
    store = Store(tmp_path)
    first = run_sweep(gaussian_tasks(), executor=dask, progress=False, store=store)
    assert len(store.keys()) == len(gaussian_tasks())
    _same(run_sweep(gaussian_tasks(), executor="serial", progress=False, store=store), first)
