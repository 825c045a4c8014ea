"""Sweeps from the command line: ``python -m mad sweep SPEC`` and ``python -m mad results SPEC``.

A *spec* is a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file naming a model, a data source, one
or more loops, λ values, seeds, sizes and metrics. :func:`load_spec` checks it and expands it into
:func:`mad.loops.run_loop` tasks (seeds × loops × λ × every list-valued loop parameter);
``sweep`` runs them through :func:`mad.loops.run_sweep` with a progress bar, writing each finished
task into the result store (:mod:`mad.store`), so a killed sweep resumes where it stopped, with no
finished task lost or recomputed; ``results`` reads the same tasks back from the store (it never
computes) and prints or exports the tidy table. Example (``sweeps/loops_and_bias.toml``, the data
of the loops figure of the chapter *Loops and bias*)::

    name = "loops_and_bias"
    generations = { smoke = 5, book = 50 }     # a table keyed by MAD_SCALE, or a number
    seeds = { smoke = 2, book = 8 }            # a count (from MAD_SEED, as mad.seeds) or a list

    [model]
    name = "gaussian"                          # a name of mad.models.REGISTRY; other keys are
                                               # constructor parameters (device = "cuda" passes through)
    [data]
    name = "gaussian"                          # gaussian, grid_mixture, rosenbrock, digits, npz, fashion_mnist
    d = 2

    [metrics."W2² to P_r"]                     # metric name in the table -> kind and parameters
    kind = "w2_squared"

    [[loops]]
    loop = "fully_synthetic"                   # fully_synthetic, synthetic_augmentation, fresh_data, fresh_data_pool
    n = 50                                     # parameters of mad.loops.<loop>; a list expands
    [[loops]]
    loop = "synthetic_augmentation"
    n_real = 50
    n_synth = 50

Optional top-level keys: ``lams`` (a list crossed with every loop), ``executor``, ``max_workers``,
``scheduler`` (a Dask scheduler address), ``description``. Every error names the spec file and the
field (:class:`SpecError`), and is raised before anything runs, so nothing in the store is touched.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mad import config
from mad import loops as L

TOP_KEYS: frozenset[str] = frozenset(
    {"name", "description", "generations", "seeds", "model", "data", "loops", "lams", "metrics", "executor", "max_workers", "scheduler"}
)
REQUIRED: tuple[str, ...] = ("generations", "seeds", "model", "data", "loops", "metrics")
LOOP_FACTORIES: dict[str, Callable[..., L.Schedule]] = {
    "fully_synthetic": L.fully_synthetic,
    "synthetic_augmentation": L.synthetic_augmentation,
    "fresh_data": L.fresh_data,
    "fresh_data_pool": L.fresh_data_pool,
}


class SpecError(ValueError):
    """A sweep spec is invalid: the message names the file and the field."""

    def __init__(self, path: str | os.PathLike, field: str, problem: str) -> None:
        self.path, self.field, self.problem = str(path), field, problem
        super().__init__(f"{path}: field {field!r}: {problem}")


# --------------------------------------------------------------------------------------------
# metrics a spec can name
# --------------------------------------------------------------------------------------------


class GaussianW2:
    """W2²(G_t, P_r) of a fitted Gaussian model (``mean_``, ``cov_``) to a :class:`mad.data.GaussianSource`
    (closed form, :func:`mad.metrics.gaussian.gaussian_w2_squared`; Alemohammad et al. 2024, Sec. 3)."""

    def __init__(self, source: Any) -> None:
        self.standard = bool(np.all(source.mean == 0) and np.array_equal(source.cov, np.eye(source.d)))
        self.mean, self.cov = np.asarray(source.mean), np.asarray(source.cov)

    def __call__(self, gen: Any) -> float:
        from mad.metrics.gaussian import gaussian_w2_squared

        if self.standard:
            return gaussian_w2_squared(gen.model.mean_, gen.model.cov_)
        return gaussian_w2_squared(gen.model.mean_, gen.model.cov_, self.mean, self.cov)


class GaussianStat:
    """``mean_drift`` (|μ_t - μ_r|) or ``trace`` (tr Σ_t) of a fitted Gaussian model."""

    def __init__(self, source: Any, stat: str) -> None:
        self.stat, self.mean = stat, np.asarray(getattr(source, "mean", 0.0))

    def __call__(self, gen: Any) -> float:
        if self.stat == "mean_drift":
            return float(np.linalg.norm(gen.model.mean_ - self.mean))
        return float(np.trace(gen.model.cov_))


def _metric(kind: str, source: Any, params: dict[str, Any]) -> Any:
    from mad.data import GaussianSource

    if kind in ("w2_squared", "mean_drift", "trace"):
        if kind != "trace" and not isinstance(source, GaussianSource):
            raise ValueError(f"metric kind {kind!r} needs the gaussian data source")
        if params:
            raise TypeError(f"metric kind {kind!r} takes no parameters; got {', '.join(params)}")
        return GaussianW2(source) if kind == "w2_squared" else GaussianStat(source, kind)
    if kind == "grid":
        from mad.metrics.modes import GridScores

        return GridScores(source, **params)
    if kind == "rosenbrock":
        from mad.metrics.modes import RosenbrockScores

        return RosenbrockScores(source, **params)
    if kind == "image":
        from mad.features import ImageMetrics

        return ImageMetrics(**params)
    if kind == "image28":  # 28x28 data sets (Fashion-MNIST, MNIST): mad.features28
        from mad.features28 import Image28Metrics

        return Image28Metrics(**params)
    raise KeyError(kind)


METRIC_KINDS: tuple[str, ...] = ("w2_squared", "mean_drift", "trace", "grid", "rosenbrock", "image", "image28")


# --------------------------------------------------------------------------------------------
# data sources a spec can name
# --------------------------------------------------------------------------------------------


def _data(name: str, params: dict[str, Any], path: Path) -> Any:
    from mad import data as D

    if name == "gaussian":
        return D.GaussianSource(**params)
    if name == "grid_mixture":
        return D.GridMixture(**params)
    if name == "rosenbrock":
        return D.Rosenbrock(**params)
    if name == "digits":
        from mad.features import digits_split

        return digits_split(params.pop("seed", None), **params).train
    if name == "npz":
        file = _data_file(params.pop("path", None), path)
        with np.load(file) as arrays:
            if "X" not in arrays.files:
                raise ValueError(f"{file} holds no array named X (found: {', '.join(arrays.files) or 'none'})")
            X, y = np.asarray(arrays["X"], dtype=float), arrays["y"] if "y" in arrays.files else None
        if params:
            raise TypeError(f"unexpected parameters {', '.join(params)}")
        return D.FinitePool(X.reshape(len(X), -1), y, name=file.stem)
    if name in ("fashion_mnist", "mnist"):  # 28x28 IDX files, read by mad.idx
        split = params.pop("split", "train")
        data_dir = params.pop("data_dir", None)
        if data_dir is not None:
            data_dir = _data_file(data_dir, path, folder=True)
        if params:
            raise TypeError(f"unexpected parameters {', '.join(params)}")
        from mad.idx import load_mnist

        X, y = D.load_fashion_mnist(split, data_dir) if name == "fashion_mnist" else load_mnist(split, data_dir)
        return D.FinitePool(X.reshape(len(X), -1).astype(np.float64) / 255.0, y, name=f"{name.replace('_', '-')}-{split}")
    raise KeyError(name)


DATA_NAMES: tuple[str, ...] = ("gaussian", "grid_mixture", "rosenbrock", "digits", "npz", "fashion_mnist", "mnist")


class _MissingFile(FileNotFoundError):
    pass


def _data_file(value: Any, spec_path: Path, folder: bool = False) -> Path:
    if not isinstance(value, str) or not value:
        raise _MissingFile("a file path (a string) is required")
    file = Path(value)
    if not file.is_absolute():
        file = spec_path.parent / file
    if not (file.is_dir() if folder else file.is_file()):
        raise _MissingFile(f"no such {'folder' if folder else 'file'}: {file}")
    return file


# --------------------------------------------------------------------------------------------
# the spec
# --------------------------------------------------------------------------------------------


@dataclass
class Spec:
    """A checked sweep spec and its tasks (dicts of :func:`mad.loops.run_loop` keyword arguments)."""

    path: Path
    name: str
    tasks: list[dict[str, Any]]
    executor: str | None
    max_workers: int | None
    scheduler: str | None


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise SpecError(path, "<file>", "no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            import tomllib

            with path.open("rb") as handle:
                raw = tomllib.load(handle)
        elif suffix in (".yaml", ".yml"):
            import yaml

            raw = yaml.safe_load(path.read_text())
        else:
            raise SpecError(path, "<file>", f"unknown spec format {suffix!r}: use .toml, .yaml or .yml")
    except SpecError:
        raise
    except Exception as err:
        raise SpecError(path, "<file>", f"cannot parse ({type(err).__name__}: {err})") from err
    if not isinstance(raw, dict):
        raise SpecError(path, "<file>", "the spec must be a table (mapping) of fields")
    return raw


def _scaled(value: Any) -> Any:
    """A table keyed by scale (``{smoke = 5, book = 50}``) -> the value for ``MAD_SCALE``."""
    if isinstance(value, dict) and value and set(value) <= set(config.SCALES) and "book" in value:
        return config.by_scale(value.get("smoke", value["book"]), value["book"], value.get("paper"))
    return value


def _int(path: Path, field: str, value: Any, minimum: int) -> int:
    value = _scaled(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SpecError(path, field, f"must be an integer >= {minimum}; got {value!r}")
    return value


def _table(path: Path, field: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpecError(path, field, f"must be a table (mapping); got {type(value).__name__}")
    return {k: _scaled(v) for k, v in value.items()}


def load_spec(path: str | os.PathLike, device: str | None = None) -> Spec:
    """Read and check a spec; expand it into tasks. Raises :class:`SpecError` naming file and field.

    ``device`` (``"cpu"``, ``"cuda"``; the command's ``--device``) overrides the model's ``device``
    parameter; the model must have one (the torch models of the 28x28 path: ``unet_ddpm``, ``wgan``).
    """
    path = Path(path)
    raw = _read(path)
    unknown = sorted(set(raw) - TOP_KEYS)
    if unknown:
        raise SpecError(path, unknown[0], f"unknown key; allowed keys: {', '.join(sorted(TOP_KEYS))}")
    for key in REQUIRED:
        if key not in raw:
            raise SpecError(path, key, "is required")
    name = str(raw.get("name", path.stem))
    generations = _int(path, "generations", raw["generations"], 1)

    seeds_raw = _scaled(raw["seeds"])
    if isinstance(seeds_raw, list):
        if not seeds_raw or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds_raw):
            raise SpecError(path, "seeds", f"must be a count or a non-empty list of non-negative integers; got {seeds_raw!r}")
        seeds = list(seeds_raw)
    else:
        seeds = config.seeds(_int(path, "seeds", seeds_raw, 1))

    # model
    model_spec = _table(path, "model", raw["model"])
    if device is not None:
        model_spec["device"] = device
    if "device" in model_spec:
        from mad.models.ddpm import check_device

        try:
            check_device(model_spec["device"])
        except ValueError as err:
            raise SpecError(path, "model.device" if device is None else "--device", str(err)) from err
    from mad.models import REGISTRY, make_model

    model_name = model_spec.pop("name", None)
    if model_name not in REGISTRY:
        raise SpecError(path, "model.name", f"unknown model {model_name!r}; known models: {', '.join(sorted(REGISTRY))}")
    try:
        model = make_model(model_name, **model_spec)
    except TypeError as err:
        bad = next((k for k in model_spec if f"'{k}'" in str(err)), None)
        raise SpecError(path, f"model.{bad}" if bad else "model", f"not a parameter of model {model_name!r} ({err})") from err
    except ValueError as err:
        raise SpecError(path, "model", str(err)) from err
    for key in model_spec:  # scikit-learn style constructors store parameters unchecked
        if key not in model.get_params(deep=False):
            raise SpecError(path, f"model.{key}", f"not a parameter of model {model_name!r}")

    # data
    data_spec = _table(path, "data", raw["data"])
    data_name = data_spec.pop("name", None)
    if data_name not in DATA_NAMES:
        raise SpecError(path, "data.name", f"unknown data source {data_name!r}; known: {', '.join(DATA_NAMES)}")
    try:
        source = _data(data_name, dict(data_spec), path)
    except _MissingFile as err:
        field = "data.path" if data_name == "npz" else "data.data_dir"
        raise SpecError(path, field, str(err)) from err
    except FileNotFoundError as err:
        raise SpecError(path, "data.data_dir", str(err)) from err
    except (TypeError, ValueError) as err:
        raise SpecError(path, "data", f"{data_name}: {err}") from err

    # metrics
    metrics_raw = raw["metrics"]
    if isinstance(metrics_raw, list):
        metrics_raw = {m: {"kind": m} for m in metrics_raw if isinstance(m, str)} if all(isinstance(m, str) for m in metrics_raw) else None
    if not isinstance(metrics_raw, dict) or not metrics_raw:
        raise SpecError(path, "metrics", "must be a non-empty list of metric kinds or a table name -> {kind, parameters}")
    metrics: dict[str, Any] = {}
    for mname, mspec in metrics_raw.items():
        mspec = _table(path, f"metrics.{mname}", mspec)
        kind = mspec.pop("kind", mname)
        if kind not in METRIC_KINDS:
            raise SpecError(path, f"metrics.{mname}.kind", f"unknown metric {kind!r}; known: {', '.join(METRIC_KINDS)}")
        try:
            metrics[mname] = _metric(kind, source, mspec)
        except (TypeError, ValueError) as err:
            raise SpecError(path, f"metrics.{mname}", str(err)) from err

    # loops × lams × list-valued parameters
    loops_raw = raw["loops"]
    if isinstance(loops_raw, dict):
        loops_raw = [loops_raw]
    if not isinstance(loops_raw, list) or not loops_raw:
        raise SpecError(path, "loops", "must be a non-empty list of tables, each with a 'loop' and its parameters")
    lams = raw.get("lams")
    if lams is not None:
        lams = _scaled(lams)
        if (
            not isinstance(lams, list)
            or not lams
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 < x <= 1 for x in lams)
        ):
            raise SpecError(path, "lams", f"must be a non-empty list of numbers in (0, 1]; got {lams!r}")
    schedules: list[L.Schedule] = []
    for i, entry in enumerate(loops_raw):
        entry = _table(path, f"loops[{i}]", entry)
        loop = entry.pop("loop", None)
        if loop not in LOOP_FACTORIES:
            raise SpecError(path, f"loops[{i}].loop", f"unknown loop {loop!r}; known loops: {', '.join(LOOP_FACTORIES)}")
        label = entry.pop("label", "")
        if lams is not None:
            if "lam" in entry:
                raise SpecError(path, f"loops[{i}].lam", "give λ either here or in the top-level 'lams', not both")
            entry["lam"] = lams
        names = list(entry)
        grids = [v if isinstance(v, list) else [v] for v in entry.values()]
        for combo in itertools.product(*grids):
            params = dict(zip(names, combo))
            try:
                schedule = LOOP_FACTORIES[loop](**params)
            except TypeError as err:
                bad = next((k for k in params if f"'{k}'" in str(err)), None)
                raise SpecError(path, f"loops[{i}].{bad}" if bad else f"loops[{i}]", f"not a parameter of loop {loop!r} ({err})") from err
            except ValueError as err:
                raise SpecError(path, f"loops[{i}]", str(err)) from err
            schedules.append(replace(schedule, label=label) if label else schedule)

    executor = raw.get("executor")
    if executor is not None:
        from mad.executors import KINDS

        if executor not in KINDS:
            raise SpecError(path, "executor", f"unknown executor {executor!r}; choose one of {', '.join(KINDS)}")
    max_workers = _int(path, "max_workers", raw["max_workers"], 1) if "max_workers" in raw else None
    scheduler = raw.get("scheduler")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise SpecError(path, "scheduler", f"must be a Dask scheduler address such as 'tcp://host:8786'; got {scheduler!r}")

    tasks = [
        {"schedule": s, "model": model, "source": source, "generations": generations, "metrics": metrics, "seed": seed}
        for s in schedules
        for seed in seeds
    ]
    return Spec(path, name, tasks, executor, max_workers, scheduler)


def run_spec(
    spec: Spec,
    store: Any = None,
    executor: str | None = None,
    max_workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Run every task of ``spec`` not already in the store; return the whole tidy table."""
    from mad.executors import ExecutorError, dask_client

    executor = executor or spec.executor
    scheduler = scheduler or spec.scheduler
    client = None
    if scheduler is not None or executor == "dask":
        try:
            client = dask_client(scheduler, max_workers or spec.max_workers)
        except ExecutorError as err:
            field = "--scheduler" if scheduler and scheduler != spec.scheduler else "scheduler"
            if scheduler is None:
                raise
            raise SpecError(spec.path, field, str(err)) from err
    try:
        return L.run_sweep(
            spec.tasks, executor=client or executor, max_workers=max_workers or spec.max_workers, progress=progress, store=store
        )
    finally:
        if client is not None:
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None:
                cluster.close()


def stored_results(spec: Spec, store: Any = None) -> tuple[pd.DataFrame, int]:
    """The stored tables of ``spec``'s tasks (never computed) and the number of tasks missing."""
    from mad.store import resolve_store, try_task_key

    st = resolve_store(store)
    if st is None:
        raise ValueError("no result store: set MAD_STORE to a folder or pass --store")
    frames, missing = [], 0
    for task in spec.tasks:
        key = try_task_key(task)
        frame = st.get(key) if key is not None else None
        if frame is None:
            missing += 1
        else:
            frames.append(frame)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), missing


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard error over seeds of every (loop, λ, metric, generation)."""
    keys = [c for c in ("loop", "lam", "metric", "generation") if c in table.columns]
    grouped = table.groupby(keys)["value"]
    out = grouped.agg(["mean", "std", "count"]).reset_index()
    out["se"] = out["std"] / np.sqrt(out["count"])
    return out.drop(columns="std")


def export(table: pd.DataFrame, out: str | os.PathLike) -> Path:
    """Write ``table`` to ``out`` (``.csv`` or ``.parquet``), atomically."""
    import io

    from mad.store import atomic_write_bytes

    out = Path(out)
    buffer = io.BytesIO()
    if out.suffix.lower() == ".csv":
        table.to_csv(buffer, index=False)
    elif out.suffix.lower() == ".parquet":
        table.to_parquet(buffer, index=False)
    else:
        raise ValueError(f"--out must end in .csv or .parquet; got {str(out)!r}")
    atomic_write_bytes(out, buffer.getvalue())
    return out


def _store_arg(value: str | None) -> Any:
    from mad.store import Store

    return None if value is None else Store(value)


def sweep_command(args: Any) -> int:
    """``python -m mad sweep SPEC``: run (or resume) a sweep into the store."""
    import sys

    from mad.executors import ExecutorError
    from mad.store import resolve_store

    try:
        spec = load_spec(args.spec, device=getattr(args, "device", None))
        store = resolve_store(_store_arg(args.store))
        if store is None:
            raise ValueError("no result store: set MAD_STORE to a folder or pass --store (a sweep without one would lose its results)")
        print(f"{spec.path}: {len(spec.tasks)} tasks; store {store.root}", file=sys.stderr)
        table = run_spec(
            spec, store=store, executor=args.executor, max_workers=args.workers, scheduler=args.scheduler, progress=not args.quiet
        )
    except (SpecError, ExecutorError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished tasks are in the store; run the same command to resume", file=sys.stderr)
        return 130
    print(f"{len(spec.tasks)} tasks done, {len(table)} rows; read them with: python -m mad results {args.spec}", file=sys.stderr)
    return 0


def results_command(args: Any) -> int:
    """``python -m mad results SPEC``: print (or export) a sweep's tidy table from the store."""
    import sys

    try:
        spec = load_spec(args.spec, device=getattr(args, "device", None))
        table, missing = stored_results(spec, _store_arg(args.store))
    except (SpecError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if missing:
        print(f"{missing} of {len(spec.tasks)} tasks are not in the store yet: run python -m mad sweep {args.spec}", file=sys.stderr)
    if table.empty:
        return 1
    if args.out:
        print(f"written {export(table, args.out)} ({len(table)} rows)", file=sys.stderr)
    else:
        with pd.option_context("display.max_rows", args.rows, "display.width", 160):
            print((table if args.tidy else summary(table)).to_string(index=False, max_rows=args.rows))
    return 1 if missing else 0


__all__ = ["DATA_NAMES", "LOOP_FACTORIES", "METRIC_KINDS", "Spec", "SpecError", "load_spec", "run_spec", "stored_results", "summary"]
