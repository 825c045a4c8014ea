"""The autophagous loop, written once for every model family.

A loop is *data*: a :class:`Schedule` says what trains each generation. One runner,
:func:`iterate_loop`, executes any schedule with any model that follows
:class:`mad.models.base.GenerativeModel`, under the paper's protocol
(Alemohammad et al. 2024, Sec. 2.2):

* every generation trains a **new model from scratch** (:func:`sklearn.base.clone` of a
  prototype);
* generation 1 trains on ``n_init`` real samples only;
* generation t ≥ 2 trains on a real part and a synthetic part drawn at sampling bias λ:

============================  =====================  ==========================================
loop                          real part (t ≥ 2)      synthetic part (t ≥ 2)
============================  =====================  ==========================================
fully synthetic               none                   n_s samples of G_{t-1}
synthetic augmentation        the fixed G_1 set      n_s of G_{t-1}, or all earlier sets pooled
fresh data                    n_r fresh samples      n_s of G_{t-1}, or of the last K models
============================  =====================  ==========================================

Every random draw derives from ``(seed, generation, role)`` (:mod:`mad.seeding`), so a
run is reproducible from its seed, and every training row carries its provenance: which
generation produced it (0 for real data) and, for real rows, its id in the real stream.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import clone

from mad.curation import Curator, curate
from mad.data import FinitePool, Source
from mad.models.base import GenerativeModel
from mad.seeding import derive_seed, rng
from mad.validation import check_fraction, check_int, check_lam

RealMode = Literal["none", "fixed", "fresh"]
SynthMode = Literal["last", "last_k", "accumulate"]
REAL_MODES: tuple[str, ...] = ("none", "fixed", "fresh")
SYNTH_MODES: tuple[str, ...] = ("last", "last_k", "accumulate")
LOOPS: tuple[str, ...] = ("fully_synthetic", "synthetic_augmentation", "fresh_data")


@dataclass(frozen=True)
class Schedule:
    """What trains generation t of an autophagous loop.

    Parameters
    ----------
    loop: one of :data:`LOOPS` (a label; the behaviour comes from the fields below).
    n_init: real samples that train G_1.
    real: ``"none"`` (no real data for t ≥ 2), ``"fixed"`` (the G_1 real set, reused) or
        ``"fresh"`` (``n_real`` new real samples every generation, never reused).
    n_real: fresh real samples per generation (``real="fresh"`` only).
    n_synth: new synthetic samples drawn per generation t ≥ 2.
    synth: ``"last"`` (all from G_{t-1}), ``"last_k"`` (each sample from one of the last
        ``k`` models, chosen uniformly) or ``"accumulate"`` (the new samples of G_{t-1}
        join every earlier synthetic set).
    k: memory of the ``"last_k"`` mode.
    lam: sampling bias λ in (0, 1] used for every synthetic draw.
    """

    loop: str
    n_init: int
    real: RealMode = "none"
    n_real: int = 0
    n_synth: int = 0
    synth: SynthMode = "last"
    k: int = 1
    lam: float = 1.0
    label: str = ""

    def __post_init__(self) -> None:
        if self.loop not in LOOPS:
            raise ValueError(f"loop must be one of {', '.join(LOOPS)}; got {self.loop!r}")
        if not isinstance(self.label, str):
            raise TypeError(f"label must be a string (a name for the run); got {self.label!r}")
        if any(bad in self.label for bad in ("/", "\\", "..", "\0")):
            raise ValueError(f"label must not contain '/', '\\', '..' or NUL (it names files of the metrics archive); got {self.label!r}")
        if self.real not in REAL_MODES:
            raise ValueError(f"real must be one of {', '.join(REAL_MODES)}; got {self.real!r}")
        if self.synth not in SYNTH_MODES:
            raise ValueError(f"synth must be one of {', '.join(SYNTH_MODES)}; got {self.synth!r}")
        object.__setattr__(self, "n_init", check_int("n_init", self.n_init, minimum=2))
        object.__setattr__(self, "n_real", check_int("n_real (n_r)", self.n_real, minimum=0))
        object.__setattr__(self, "n_synth", check_int("n_synth (n_s)", self.n_synth, minimum=0))
        object.__setattr__(self, "k", check_int("k (K, models remembered)", self.k, minimum=1))
        object.__setattr__(self, "lam", check_lam(self.lam))
        if self.real != "fresh" and self.n_real:
            raise ValueError(f"n_real is only used with real='fresh'; got n_real={self.n_real} with real={self.real!r}")
        if self.real == "none" and self.n_synth < 2:
            raise ValueError(f"a fully synthetic loop needs n_synth >= 2 samples per generation; got {self.n_synth}")
        if self.real == "fresh" and self.n_real + self.n_synth < 2:
            raise ValueError("a fresh data loop needs n_real + n_synth >= 2 samples per generation")

    def n_train(self, t: int) -> int:
        """Size of the training set of generation ``t`` (1-based)."""
        t = check_int("t", t, minimum=1)
        if t == 1:
            return self.n_init
        real = {"none": 0, "fixed": self.n_init, "fresh": self.n_real}[self.real]
        synth = self.n_synth * (t - 1) if self.synth == "accumulate" else self.n_synth
        return real + synth

    def with_lam(self, lam: float) -> Schedule:
        return replace(self, lam=lam)


def fully_synthetic(n: int, lam: float = 1.0, n_init: int | None = None) -> Schedule:
    """G_1 on ``n_init`` (default ``n``) real samples; G_t on ``n`` samples of G_{t-1} only."""
    return Schedule("fully_synthetic", n_init=n if n_init is None else n_init, real="none", n_synth=n, lam=lam)


def synthetic_augmentation(n_real: int, n_synth: int, lam: float = 1.0, accumulate: bool = False) -> Schedule:
    """A fixed real set of ``n_real`` samples (the one that trained G_1) in every generation, plus
    ``n_synth`` samples of G_{t-1} (``accumulate=False``) or the pool of all earlier synthetic sets,
    growing by ``n_synth`` per generation (``accumulate=True``, the paper's StyleGAN setting)."""
    n_real = check_int("n_real (n_r)", n_real, minimum=2)
    return Schedule(
        "synthetic_augmentation",
        n_init=n_real,
        real="fixed",
        n_synth=n_synth,
        synth="accumulate" if accumulate else "last",
        lam=lam,
    )


def fresh_data(n_real: int, n_synth: int, lam: float = 1.0, n_init: int | None = None, k: int = 1) -> Schedule:
    """G_1 on ``n_init`` (default ``n_real``) real samples; G_t on ``n_real`` fresh real samples plus
    ``n_synth`` synthetic ones, from G_{t-1} (``k=1``) or each from one of the last ``k`` models."""
    n_real = check_int("n_real (n_r)", n_real, minimum=0)
    return Schedule(
        "fresh_data",
        n_init=n_real if n_init is None else n_init,
        real="fresh",
        n_real=n_real,
        n_synth=n_synth,
        synth="last" if k == 1 else "last_k",
        k=k,
        lam=lam,
    )


def fresh_data_pool(n: int, p: float, lam: float = 1.0, n_init: int | None = None) -> Schedule:
    """The paper's "data pool" view of the fresh data loop (App. G, Exp. 2): a training set of
    ``n`` samples per generation of which a fraction ``p`` in (0, 1] is fresh real data,
    n_r = round(p n), n_s = n - n_r; G_1 trains on ``n_init`` (default ``n``) real samples."""
    n = check_int("n", n, minimum=2)
    p = check_fraction("p (real fraction)", p)
    n_real = max(1, int(round(p * n)))
    return fresh_data(n_real, n - n_real, lam=lam, n_init=n if n_init is None else n_init)


@dataclass
class Part:
    """Rows of a training set with their provenance."""

    X: np.ndarray
    y: np.ndarray | None
    origin: np.ndarray  # generation that produced each row; 0 = real data
    real_id: np.ndarray  # id of the row in the real stream; -1 for synthetic rows

    @staticmethod
    def concat(parts: Sequence[Part]) -> Part:
        parts = [p for p in parts if len(p.X)]
        ys = [p.y for p in parts]
        y = None if any(v is None for v in ys) else np.concatenate(ys)
        return Part(
            np.concatenate([p.X for p in parts]),
            y,
            np.concatenate([p.origin for p in parts]),
            np.concatenate([p.real_id for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.X)


@dataclass
class Generation:
    """One generation of a run: the trained model and the data that trained it."""

    t: int
    model: GenerativeModel
    train: Part
    schedule: Schedule
    seed: int
    fit_seconds: float = 0.0
    n_assembled: int = 0  # training rows before curation (= len(train) without a curator)
    _eval_cache: dict[int, tuple[np.ndarray, np.ndarray | None]] = field(default_factory=dict, repr=False)

    @property
    def n_real(self) -> int:
        return int(np.sum(self.train.origin == 0))

    @property
    def n_synth(self) -> int:
        return int(np.sum(self.train.origin > 0))

    def eval_samples(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """``n`` samples of this model at the schedule's λ for evaluation (cached; role ``"eval"``)."""
        if n not in self._eval_cache:
            self._eval_cache[n] = self.model.sample_labelled(n, lam=self.schedule.lam, random_state=rng(self.seed, self.t, "eval"))
        return self._eval_cache[n]


def _fresh_model(prototype: GenerativeModel, seed: int, t: int) -> GenerativeModel:
    model = clone(prototype)
    if "random_state" in model.get_params():
        model.set_params(random_state=derive_seed(seed, t, "fit"))
    return model


def _synthetic(model: GenerativeModel, n: int, lam: float, generation: int, random: np.random.Generator, keep_y: bool) -> Part:
    X, y = model.sample_labelled(n, lam=lam, random_state=random)
    return Part(X, y if keep_y else None, np.full(n, generation), np.full(n, -1))


def iterate_loop(
    schedule: Schedule,
    model: GenerativeModel,
    source: Source | FinitePool,
    generations: int,
    seed: int = 0,
    first_model: GenerativeModel | None = None,
    curator: Curator | None = None,
) -> Iterator[Generation]:
    """Run ``generations`` generations of ``schedule``; yield each :class:`Generation` as it is trained.

    ``model`` is an unfitted prototype: each generation trains ``clone(model)`` from scratch,
    with ``random_state`` (if the model has one) derived from ``(seed, t, "fit")``.
    Real data comes from ``source.stream(rng(seed, 0, "real"))``; synthetic draws of G_s for
    generation t use ``rng(seed, t, "synth")``.

    ``first_model`` (optional) is a G_1 already trained by this runner for the same ``seed``,
    prototype, source and ``n_init`` (see :func:`first_generation`); it is used instead of
    training G_1 again, so runs that differ only after generation 1 (other λ, other loops) can
    share it. The result is identical to a run that trains its own G_1.

    ``curator`` (optional, a :class:`mad.curation.Curator`) sees generation t's assembled training
    rows (t ≥ 2) with their provenance, G_{t-1} and the stream ``rng(seed, t, "curate")``, and
    returns the rows to keep (:func:`mad.curation.curate`); G_t trains on those. The
    :class:`Generation` records how many rows were assembled before curation.
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a mad.loops.Schedule; got {type(schedule).__name__}")
    if not isinstance(model, GenerativeModel):
        raise TypeError(f"model must be a mad GenerativeModel (with fit/sample); got {type(model).__name__}")
    generations = check_int("generations", generations, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if curator is not None and not isinstance(curator, Curator):
        raise TypeError(f"curator must be a mad.curation.Curator (or None); got {type(curator).__name__}")
    if not callable(getattr(source, "stream", None)):
        raise TypeError(f"source must be a mad.data Source or FinitePool (with .stream()); got {type(source).__name__}")
    keep_y = bool(model.conditional)
    if keep_y and getattr(source, "n_classes", None) is None:
        raise ValueError(f"{type(model).__name__} is class-conditional but the source has no labels")

    stream = source.stream(rng(seed, 0, "real"))

    def take_real(n: int) -> Part:
        X, y, ids = stream.take(n)
        return Part(np.asarray(X, dtype=float), y if keep_y else None, np.zeros(n, dtype=int), np.asarray(ids))

    first_real = take_real(schedule.n_init)
    if first_model is not None:
        _check_first_model(first_model, model, seed)
    recent: deque[GenerativeModel] = deque(maxlen=schedule.k)
    pool: list[Part] = []
    for t in range(1, generations + 1):
        if t == 1:
            train = first_real
        else:
            if schedule.real == "none":
                real = None
            elif schedule.real == "fixed":
                real = first_real
            else:
                real = take_real(schedule.n_real)
            draw = rng(seed, t, "synth")
            if schedule.synth == "last_k":
                # each synthetic sample comes from one of the last K models, chosen uniformly
                counts = draw.multinomial(schedule.n_synth, np.full(len(recent), 1.0 / len(recent)))
                first_t = t - len(recent)
                synth = [
                    _synthetic(m, int(c), schedule.lam, first_t + i, draw, keep_y) for i, (m, c) in enumerate(zip(recent, counts)) if c > 0
                ]
            else:
                new = _synthetic(recent[-1], schedule.n_synth, schedule.lam, t - 1, draw, keep_y) if schedule.n_synth else None
                if schedule.synth == "accumulate":
                    pool.extend([new] if new is not None else [])
                    synth = list(pool)
                else:
                    synth = [new] if new is not None else []
            train = Part.concat(([real] if real is not None else []) + synth)
        assembled = len(train)
        if curator is not None and t >= 2:
            train = curate(curator, train, recent[-1], t, rng(seed, t, "curate"))
        if t == 1 and first_model is not None:
            fitted, elapsed = first_model, 0.0
        else:
            fitted = _fresh_model(model, seed, t)
            start = time.perf_counter()
            fitted.fit(train.X, train.y)
            elapsed = time.perf_counter() - start
        recent.append(fitted)
        yield Generation(t, fitted, train, schedule, seed, fit_seconds=elapsed, n_assembled=assembled)


def _check_first_model(first: GenerativeModel, prototype: GenerativeModel, seed: int) -> None:
    expected = _fresh_model(prototype, seed, 1)
    if type(first) is not type(expected) or repr(sorted(first.get_params().items())) != repr(sorted(expected.get_params().items())):
        raise ValueError("first_model was not trained as this run's G_1: build it with first_generation(schedule, model, source, seed)")
    if not getattr(first, "fitted_", False):
        raise ValueError("first_model must be fitted: build it with first_generation(schedule, model, source, seed)")


def first_generation(schedule: Schedule, model: GenerativeModel, source: Source | FinitePool, seed: int = 0) -> GenerativeModel:
    """G_1 of a run, trained exactly as :func:`iterate_loop` would (on ``n_init`` real samples),
    to pass as ``first_model`` to every run with the same seed, prototype, source and ``n_init``."""
    return next(iterate_loop(schedule, model, source, 1, seed)).model


Metric = Callable[[Generation], "float | Mapping[str, float]"]


def run_loop(
    schedule: Schedule,
    model: GenerativeModel,
    source: Source | FinitePool,
    generations: int,
    metrics: Mapping[str, Metric],
    seed: int = 0,
    tags: Mapping[str, Any] | None = None,
    progress: bool = False,
    first_model: GenerativeModel | None = None,
    curator: Curator | None = None,
) -> pd.DataFrame:
    """Run a loop and return a tidy table: one row per (generation, metric).

    Each metric is called with the :class:`Generation` and returns a float, or a mapping of
    names to floats (for metrics computed together, such as precision and recall).
    Columns: ``loop, lam, seed, generation, metric, value, n_real, n_synth`` plus ``tags``.
    ``first_model`` shares an already trained G_1 (see :func:`iterate_loop`). With a ``curator``
    the table gains the columns ``curator`` (its name) and ``n_assembled`` (rows before curation).
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a mad.loops.Schedule (see fully_synthetic, fresh_data, ...); got {type(schedule).__name__}")
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics must be a dict of name -> function(Generation); got {type(metrics).__name__}")
    if not metrics:
        raise ValueError("metrics must name at least one metric to record")
    for name, metric in metrics.items():
        if not callable(metric):
            raise TypeError(f"metric {name!r} must be callable as metric(generation); got {type(metric).__name__}")
    rows: list[dict[str, Any]] = []
    iterator = iterate_loop(schedule, model, source, generations, seed, first_model=first_model, curator=curator)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, total=generations, desc=f"{schedule.loop} λ={schedule.lam:g} seed={seed}", leave=False)
    base = {"loop": schedule.label or schedule.loop, "lam": schedule.lam, "seed": seed, **(tags or {})}
    if curator is not None:
        if not isinstance(curator, Curator):
            raise TypeError(f"curator must be a mad.curation.Curator (or None); got {type(curator).__name__}")
        base["curator"] = curator.name
    for gen in iterator:
        for name, metric in metrics.items():
            value = metric(gen)
            items = value.items() if isinstance(value, Mapping) else [(name, value)]
            for key, val in items:
                try:
                    number = float(val)
                except (TypeError, ValueError):
                    raise TypeError(
                        f"metric {name!r} returned {val!r} for {key!r} at generation {gen.t}: a metric must return a number "
                        "or a mapping of names to numbers"
                    ) from None
                row = {**base, "generation": gen.t, "metric": key, "value": number, "n_real": gen.n_real, "n_synth": gen.n_synth}
                if curator is not None:
                    row["n_assembled"] = gen.n_assembled
                rows.append(row)
    return pd.DataFrame(rows)


def limit_threads() -> None:
    """Worker initializer: one BLAS/OpenMP/torch thread per process (kept for callers of old pools;
    :mod:`mad.executors` sets the limits inside every task instead)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass


def _run_task(task: Mapping[str, Any]) -> pd.DataFrame:
    task = {k: v for k, v in task.items() if k != "key"}
    return run_loop(**task)


def run_sweep(
    tasks: Sequence[Mapping[str, Any]],
    executor: str | Executor | None = None,
    max_workers: int | None = None,
    progress: bool = True,
    store: Any = None,
) -> pd.DataFrame:
    """Run independent :func:`run_loop` calls (each a dict of its keyword arguments) and concatenate.

    **Where** (:mod:`mad.executors`): ``executor`` is ``None`` (``MAD_DASK_SCHEDULER`` /
    ``MAD_EXECUTOR``, else local processes, or this process when ``max_workers=1`` or one task),
    ``"serial"``, ``"threads"``, ``"processes"`` (forked on Linux: the workers inherit the tasks, so
    metrics may be lambdas or closures defined in a notebook), ``"spawn"``, ``"dask"``, a
    :class:`concurrent.futures.Executor` or a :class:`distributed.Client`. Every task runs with one
    BLAS and one torch thread set inside it, so the result has the same bits on every executor.

    **Stored** (:mod:`mad.store`): each task's table is kept under its content key in ``store``
    (default: ``MAD_STORE`` or ``.mad_store/``; ``False`` for none) as soon as it finishes, and read
    back instead of recomputed when the key matches. A task may carry ``key`` (a string) to name
    itself explicitly, which replaces the automatic description of its inputs; a task whose inputs
    cannot be described runs uncached. On an interrupt (Ctrl-C) queued tasks are cancelled at once
    and the finished ones are already in the store.

    Results keep the order of ``tasks``.
    """
    from mad.config import progress_bar as tqdm
    from mad.executors import run_tasks
    from mad.store import resolve_store, sha256, task_key, try_task_key

    tasks = list(tasks)
    if not tasks:
        raise ValueError("tasks is empty: nothing to run")
    for i, task in enumerate(tasks):
        if not isinstance(task, Mapping):
            raise TypeError(f"tasks[{i}] must be a dict of run_loop keyword arguments; got {type(task).__name__}")
        if "key" in task and not (isinstance(task["key"], str) and task["key"]):
            raise ValueError(f"tasks[{i}]['key'] must be a non-empty string; got {task['key']!r}")
    st = resolve_store(store)
    keys: list[str | None] = [None] * len(tasks)
    frames: list[pd.DataFrame | None] = [None] * len(tasks)
    if st is not None:
        for i, task in enumerate(tasks):
            if "key" in task:
                keys[i] = task_key({"explicit": task["key"], "seed": task.get("seed", 0)}, kind="run_loop-explicit")
            else:
                keys[i] = try_task_key(task)
            if keys[i] is not None:
                frames[i] = st.get(keys[i])
    todo = [i for i in range(len(tasks)) if frames[i] is None]
    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), disable=not progress, desc="runs")

    def finished(j: int, frame: pd.DataFrame) -> None:
        i = todo[j]
        frames[i] = frame
        if st is not None and keys[i] is not None:
            st.put(keys[i], frame, {"task": sha256(repr(sorted(tasks[i])).encode())})
        bar.update()

    try:
        run_tasks(_run_task, [tasks[i] for i in todo], executor=executor, max_workers=max_workers, on_result=finished)
    finally:
        bar.close()
    return pd.concat(frames, ignore_index=True)
