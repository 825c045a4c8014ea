"""Where independent tasks run: one place that chooses serial, threads, local processes or Dask.

Every sweep of the book (:func:`mad.loops.run_sweep`, :func:`mad.effective_size.steady_states`,
``python -m mad sweep``) goes through :func:`run_tasks`, which takes the executor as

* ``None``: the environment decides: ``MAD_DASK_SCHEDULER`` (a scheduler address such as
  ``tcp://10.0.0.5:8786``) selects Dask, else ``MAD_EXECUTOR`` (``serial``, ``threads``,
  ``processes``, ``spawn`` or ``dask``), else ``processes`` (``serial`` when one worker or one task);
* one of those names;
* a :class:`concurrent.futures.Executor` (kept open: the caller owns it);
* a :class:`distributed.Client` (``dask.distributed``; kept open).

Kinds:

``serial``
    In this process, in order.
``threads``
    A :class:`~concurrent.futures.ThreadPoolExecutor` (torch and NumPy release the GIL).
``processes``
    Local processes. On Linux they are **forked**, and the workers inherit the task list, so tasks may
    hold lambdas and closures defined in a notebook (no pickling); where ``fork`` is not available
    (macOS, Windows) this is ``spawn``.
``spawn``
    Fresh interpreter processes (the only start method that is safe on macOS); tasks are serialised
    with :mod:`cloudpickle`, which carries lambdas and closures by value.
``dask``
    A ``dask.distributed`` cluster: ``MAD_DASK_SCHEDULER`` or the ``scheduler`` argument gives the
    address; without one a :class:`distributed.LocalCluster` of ``max_workers`` single-threaded
    worker processes is started for the call. Dask serialises tasks with cloudpickle as well.

**Same bits everywhere.** Each task runs inside :func:`task_threads`: BLAS/OpenMP pools limited to
one thread (:func:`threadpoolctl.threadpool_limits`) and one torch intra-op thread, set *inside the
task* and restored afterwards, so a task gives the same bits whatever the process's thread count, the
executor or the number of workers (multi-threaded BLAS and torch kernels round sums differently).
Under ``threads`` the limits are process-wide, so they are reference-counted: the first task to
enter sets them, the last to leave restores them.

**Interrupts.** :func:`run_tasks` hands each result to ``on_result`` as soon as it arrives (the
result store writes it there), and on ``KeyboardInterrupt`` cancels every queued task at once,
stops the local worker processes it started, and re-raises: finished tasks are already stored.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

KINDS: tuple[str, ...] = ("serial", "threads", "processes", "spawn", "dask")
ENV_EXECUTOR = "MAD_EXECUTOR"
ENV_SCHEDULER = "MAD_DASK_SCHEDULER"

_LIMIT_LOCK = threading.Lock()
_LIMIT_DEPTH = 0
_LIMIT_SAVED: tuple[Any, int | None] | None = None


class ExecutorError(RuntimeError):
    """An executor could not be made (unknown kind, unreachable scheduler, missing package)."""


@contextmanager
def task_threads() -> Iterator[None]:
    """Run the block with one BLAS/OpenMP thread and one torch intra-op thread, then restore both.

    Reference-counted across threads of one process: nested or concurrent blocks share one setting.
    """
    global _LIMIT_DEPTH, _LIMIT_SAVED
    with _LIMIT_LOCK:
        if _LIMIT_DEPTH == 0:
            from threadpoolctl import ThreadpoolController

            torch_threads = None
            if "torch" in sys.modules:  # read before limiting OpenMP, which torch's count follows
                import torch

                torch_threads = torch.get_num_threads()
            limiter = ThreadpoolController().limit(limits=1)
            if torch_threads is not None:
                torch.set_num_threads(1)
            _LIMIT_SAVED = (limiter, torch_threads)
        _LIMIT_DEPTH += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _LIMIT_DEPTH -= 1
            if _LIMIT_DEPTH == 0 and _LIMIT_SAVED is not None:
                limiter, torch_threads = _LIMIT_SAVED
                limiter.restore_original_limits()
                if torch_threads is not None:
                    import torch

                    torch.set_num_threads(torch_threads)
                _LIMIT_SAVED = None


def call_in_task(fn: Callable[[Any], Any], arg: Any) -> Any:
    """``fn(arg)`` under :func:`task_threads` (what every executor runs)."""
    with task_threads():
        return fn(arg)


def _call_pickled(payload: bytes) -> Any:
    import cloudpickle

    fn, arg = cloudpickle.loads(payload)
    return call_in_task(fn, arg)


#: (fn, args) of the running fork pool, inherited by the forked workers (no pickling: lambdas work)
_FORKED: list[tuple[Callable[[Any], Any], Sequence[Any]]] = []


def _call_forked(index: int) -> Any:
    fn, args = _FORKED[-1]
    return call_in_task(fn, args[index])


def resolve_kind(executor: str | None, max_workers: int | None, n_tasks: int) -> str:
    """The executor kind for an argument (``None`` = from the environment; see the module docstring)."""
    if executor is None:
        if os.environ.get(ENV_SCHEDULER, "").strip():
            return "dask"
        executor = os.environ.get(ENV_EXECUTOR, "").strip().lower() or None
        if executor is None:
            workers = max_workers or os.cpu_count() or 1
            return "serial" if workers == 1 or n_tasks == 1 else "processes"
        source = f"{ENV_EXECUTOR}={executor!r}"
    else:
        source = f"executor={executor!r}"
    if executor not in KINDS:
        raise ValueError(f"{source}: unknown executor; choose one of {', '.join(KINDS)}")
    if executor == "processes" and "fork" not in mp.get_all_start_methods():
        return "spawn"
    return executor


def dask_client(scheduler: str | None = None, max_workers: int | None = None, timeout: float | None = None):
    """A :class:`distributed.Client`: to ``scheduler`` (or ``MAD_DASK_SCHEDULER``), or to a new
    :class:`distributed.LocalCluster` of ``max_workers`` single-threaded processes.

    Raises :class:`ExecutorError` naming the address when the scheduler cannot be reached within
    ``timeout`` seconds (default ``MAD_DASK_TIMEOUT``, else 10).
    """
    if timeout is None:
        raw = os.environ.get("MAD_DASK_TIMEOUT", "").strip() or "10"
        try:
            timeout = float(raw)
        except ValueError:
            raise ExecutorError(f"MAD_DASK_TIMEOUT must be a number of seconds; got {raw!r}") from None
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:  # pragma: no cover - pinned in requirements.txt
        raise ExecutorError("the dask executor needs the 'distributed' package (pip install 'dask[distributed]')") from err
    address = scheduler or os.environ.get(ENV_SCHEDULER, "").strip() or None
    if address is None:
        workers = max_workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        return Client(cluster)
    name = "scheduler" if scheduler else ENV_SCHEDULER
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as err:
        raise ExecutorError(f"{name}={address!r}: cannot reach the Dask scheduler ({type(err).__name__}: {err})") from err


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and type(obj).__module__.startswith("distributed")


def run_tasks(
    fn: Callable[[Any], Any],
    args: Sequence[Any],
    executor: str | Executor | Any | None = None,
    max_workers: int | None = None,
    on_result: Callable[[int, Any], None] | None = None,
    scheduler: str | None = None,
) -> list[Any]:
    """``[fn(a) for a in args]`` on the chosen executor, each call under :func:`task_threads`.

    ``on_result(i, result)`` is called in this process as each result arrives (in completion
    order); the returned list keeps the order of ``args``. ``fn`` must be a module-level function
    for ``processes`` to work without pickling; its arguments may hold closures everywhere.
    """
    args = list(args)
    if not args:
        return []
    results: list[Any] = [None] * len(args)

    def done(i: int, value: Any) -> None:
        results[i] = value
        if on_result is not None:
            on_result(i, value)

    if isinstance(executor, str) or executor is None:
        kind = resolve_kind(executor, max_workers, len(args))
    elif _is_dask_client(executor):
        kind = "dask-client"
    elif isinstance(executor, Executor):
        kind = "given"
    else:
        raise TypeError(
            f"executor must be None, one of {', '.join(KINDS)}, a concurrent.futures.Executor or a distributed.Client; got {type(executor).__name__}"
        )

    if kind == "serial":
        for i, a in enumerate(args):
            done(i, call_in_task(fn, a))
        return results

    workers = max_workers or os.cpu_count() or 1
    own: Any = None
    pool: Any
    if kind == "given":
        pool = executor
        futures = {pool.submit(call_in_task, fn, a): i for i, a in enumerate(args)}
    elif kind == "threads":
        pool = own = ThreadPoolExecutor(max_workers=workers)
        futures = {pool.submit(call_in_task, fn, a): i for i, a in enumerate(args)}
    elif kind == "processes":
        _FORKED.append((fn, args))
        pool = own = ProcessPoolExecutor(max_workers=min(workers, len(args)), mp_context=mp.get_context("fork"))
        futures = {pool.submit(_call_forked, i): i for i in range(len(args))}
    elif kind == "spawn":
        import cloudpickle

        pool = own = ProcessPoolExecutor(max_workers=min(workers, len(args)), mp_context=mp.get_context("spawn"))
        futures = {pool.submit(_call_pickled, cloudpickle.dumps((fn, a))): i for i, a in enumerate(args)}
    else:  # dask
        client = executor if kind == "dask-client" else dask_client(scheduler, max_workers)
        own = None if kind == "dask-client" else client
        return _run_dask(client, own, fn, args, done, results)
    try:
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                done(futures[f], f.result())
    except BaseException:
        for f in futures:
            f.cancel()
        if own is not None:
            _stop_pool(own)
        raise
    finally:
        if own is not None:
            own.shutdown(wait=True, cancel_futures=True)
        if kind == "processes":
            _FORKED.pop()
    return results


def _stop_pool(pool: Any) -> None:
    """Cancel queued work and stop a local pool's worker processes at once (an interrupt)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.terminate()
        except Exception:  # pragma: no cover - already gone
            pass


def _run_dask(
    client: Any, own: Any, fn: Callable[[Any], Any], args: list[Any], done: Callable[[int, Any], None], results: list[Any]
) -> list[Any]:
    from distributed import as_completed

    futures = [client.submit(call_in_task, fn, a, pure=False) for a in args]
    index = {f.key: i for i, f in enumerate(futures)}
    try:
        for f in as_completed(futures):
            done(index[f.key], f.result())
    except BaseException:
        client.cancel(futures)
        raise
    finally:
        if own is not None:
            cluster = getattr(own, "cluster", None)
            own.close()
            if cluster is not None:
                cluster.close()
    return results


__all__ = [
    "ENV_EXECUTOR",
    "ENV_SCHEDULER",
    "KINDS",
    "ExecutorError",
    "call_in_task",
    "dask_client",
    "resolve_kind",
    "run_tasks",
    "task_threads",
]
