"""Memorisation and privacy in a self-consuming loop: ancestry of records and distance to closest record.

**Ancestry under resampling.** The simplest generative model of a data set is its empirical
distribution: "sampling" draws training records uniformly with replacement (the bootstrap,
:class:`Resampler`). In a fully synthetic loop each generation resamples n rows from the previous
generation's n rows, so every synthetic row is an exact copy of one real record, its *ancestor*.
Let K_t be the number of distinct real records that the n rows of generation t descend from
(K_0 = n). Read backwards in time this is the genealogy of a haploid Wright-Fisher population of
constant size n: each of k lineages picks its parent uniformly among n, so the k lineages are k
balls thrown into n bins and K_{t+1} given K_t = k has the occupancy distribution

    P(K_{t+1} = j | K_t = k) = S(k, j) n! / ((n - j)! n^k),   E[K_{t+1} | K_t = k] = n (1 - (1 - 1/n)^k),

with S the Stirling numbers of the second kind (Feller 1968, ch. II.5). :func:`expected_ancestors_exact`
propagates this Markov chain exactly. When k ≪ n two lineages merge with probability about
1/n per generation (Kingman 1982), so E[K_{t+1} - K_t] ≈ -k(k - 1)/(2n) ≈ -k²/(2n); the ordinary
differential equation dk/dt = -k²/(2n) with k(0) = n gives

    K_t ≈ 2n / (t + 2)                                                           (:func:`expected_ancestors_theory`)

(n = 600: about 100 records at t = 10). The approximation assumes n large and neglects triple
mergers and the k(k - 1) vs k² difference; at t = 1 it gives 2n/3 where the exact value is
n(1 - (1 - 1/n)^n) ≈ 0.632 n, and the two converge in relative terms as t grows (t ≪ n).

**Distance to closest record (DCR).** For a synthetic sample x̃ and a reference set R,
DCR(x̃, R) = min_{r ∈ R} ‖x̃ - r‖₂. A generator that copies its training set T puts samples closer
to T than to a held-out set H of the same size drawn from the same distribution; one that
generalises puts them equally close to both (Platzer & Reutterer 2021). :func:`dcr_audit` reports

* ``closer_to_train``: the share of samples with DCR(x̃, T) < DCR(x̃, H) (ties count ½); 0.5
  when T and H are exchangeable for the generator, 1 for a copier;
* ``near_copy``: the share of samples with DCR(x̃, T) < τ, where τ is the ``quantile`` q of
  the distances DCR(h, T) from held-out real records h ∈ H to the training set: a sample is a
  near-copy when it is closer to a training record than all but a fraction q of genuinely new
  real records are. Held-out records are near-copies at rate q by construction.

DCR is a weak privacy signal (Stadler et al. 2022; Ganev & De Cristofaro 2023): it summarises one
draw of samples, says nothing about an adversary who knows the generator, can pass while
membership inference succeeds, and is not a guarantee such as differential privacy (Dwork et al.
2006). Carlini et al. (2023) extract near-copies of training images from diffusion models;
Shi et al. (2025) report that self-consuming diffusion loops drift from generalisation towards
memorisation of their own (synthetic) training data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mad.models.base import GenerativeModel
from mad.seeding import as_generator
from mad.validation import check_int, check_number, check_samples

__all__ = [
    "ChainSamples",
    "Resampler",
    "ancestors_from_rows",
    "dcr",
    "dcr_audit",
    "ddpm_chains",
    "expected_ancestors_exact",
    "expected_ancestors_theory",
    "near_copy_threshold",
    "occupancy_matrix",
    "sample_chain",
    "simulate_ancestry",
]


# --------------------------------------------------------------------------- ancestry


def expected_ancestors_theory(n: int, t: int | Sequence[int] | np.ndarray) -> np.ndarray:
    """Coalescent approximation of the distinct real ancestors after ``t`` resampling rounds: 2n/(t + 2).

    Solution of dk/dt = -k²/(2n), k(0) = n (Kingman 1982 with n large, t ≪ n); see the module docstring.
    """
    n = check_int("n (records)", n, minimum=1)
    ts = np.asarray(t)
    if ts.size == 0 or not np.issubdtype(ts.dtype, np.integer) or np.any(ts < 0):
        raise ValueError(f"t (generations) must be one or more integers >= 0; got {t!r}")
    return 2.0 * n / (ts.astype(np.float64) + 2.0)


def occupancy_matrix(n: int) -> np.ndarray:
    """M[k, j] = P(j distinct bins hit | k balls into n equally likely bins), k, j = 0..n.

    Built ball by ball: P_k(j) = P_{k-1}(j) j/n + P_{k-1}(j-1) (n - j + 1)/n, P_0 = δ_0 (exact, O(n²)).
    """
    n = check_int("n (records)", n, minimum=1, maximum=5000)
    j = np.arange(n + 1, dtype=np.float64)
    M = np.zeros((n + 1, n + 1))
    M[0, 0] = 1.0
    for k in range(1, n + 1):
        prev = M[k - 1]
        M[k] = prev * j / n
        M[k, 1:] += prev[:-1] * (n - j[1:] + 1) / n
    return M


def expected_ancestors_exact(n: int, generations: int) -> np.ndarray:
    """E[K_t] for t = 0..``generations`` under resampling with replacement (exact Markov chain on K_t)."""
    n = check_int("n (records)", n, minimum=1, maximum=5000)
    generations = check_int("generations", generations, minimum=0)
    M = occupancy_matrix(n)
    p = np.zeros(n + 1)
    p[n] = 1.0
    values = np.arange(n + 1, dtype=np.float64)
    out = [float(p @ values)]
    for _ in range(generations):
        p = p @ M
        out.append(float(p @ values))
    return np.asarray(out)


def simulate_ancestry(n: int, generations: int, random_state: int | np.random.Generator | None = None) -> np.ndarray:
    """Distinct real ancestors K_t, t = 0..``generations``, of one chain that resamples n ids with replacement."""
    n = check_int("n (records)", n, minimum=1)
    generations = check_int("generations", generations, minimum=0)
    random = as_generator(random_state)
    ids = np.arange(n)
    out = [n]
    for _ in range(generations):
        ids = ids[random.integers(n, size=n)]
        out.append(len(np.unique(ids)))
    return np.asarray(out, dtype=np.int64)


class Resampler(GenerativeModel):
    """The empirical distribution of the training set: samples are training rows drawn uniformly with replacement.

    With it, a fully synthetic loop of :mod:`mad.loops` is the resampling chain of the module docstring,
    and every synthetic row is an exact copy of one real record. Only λ = 1 is defined (the empirical
    distribution has no temperature); any other λ raises. Unconditional: labels are not kept.
    """

    lam_rule = "only λ = 1 (uniform resampling of the training rows); other λ raise"

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> Resampler:
        self.X_ = check_samples(X, min_samples=1)
        self.fitted_ = True
        return self

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        if lam != 1.0:
            raise ValueError(f"lam (sampling bias λ) must be 1 for Resampler (uniform resampling); got {lam!r}")
        return self.X_[rng.integers(len(self.X_), size=n)].copy()


def ancestors_from_rows(rows: np.ndarray, real_X: np.ndarray, real_id: np.ndarray) -> np.ndarray:
    """Real ids of the exact copies in ``rows``: each row is matched to the real record equal to it.

    ``real_X`` (with ids ``real_id``, as the loop runner records them for real rows) must hold
    distinct records, otherwise the ancestor is ambiguous; a row that copies no real record raises
    (it was not produced by resampling). Returns one real id per row.
    """
    rows = check_samples(rows, "rows", min_samples=1)
    real_X = check_samples(real_X, "real_X", min_samples=1, n_features=rows.shape[1])
    real_id = np.asarray(real_id)
    if real_id.shape != (len(real_X),):
        raise ValueError(f"real_id must hold one id per row of real_X; got shape {real_id.shape} for {len(real_X)} rows")
    keys = {r.tobytes(): i for r, i in zip(np.ascontiguousarray(real_X), real_id)}
    if len(keys) != len(real_X):
        raise ValueError(f"real_X must hold distinct records to trace ancestry; {len(real_X) - len(keys)} duplicate rows found")
    out = np.empty(len(rows), dtype=np.int64)
    for i, r in enumerate(np.ascontiguousarray(rows)):
        key = r.tobytes()
        if key not in keys:
            raise ValueError(f"rows[{i}] is not an exact copy of any real record: ancestry is defined for resampling models only")
        out[i] = keys[key]
    return out


# --------------------------------------------------------------------------- distance to closest record


def dcr(samples: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Distance to closest record: min_{r ∈ reference} ‖x - r‖₂ for every row x of ``samples``."""
    from sklearn.neighbors import NearestNeighbors

    samples = check_samples(samples, "samples", min_samples=1)
    reference = check_samples(reference, "reference", min_samples=1, n_features=samples.shape[1])
    dist, _ = NearestNeighbors(n_neighbors=1).fit(reference).kneighbors(samples)
    return dist[:, 0]


def near_copy_threshold(train: np.ndarray, holdout: np.ndarray, quantile: float = 0.05) -> float:
    """τ: the ``quantile`` q of DCR(h, train) over held-out real records h (how close new real data gets)."""
    q = check_number("quantile", quantile, 0.0, 1.0, low_open=True, high_open=True)
    return float(np.quantile(dcr(holdout, train), q))


@dataclass(frozen=True)
class DCRAudit:
    """Result of :func:`dcr_audit` (shares in [0, 1], distances in the units of the data)."""

    closer_to_train: float
    near_copy: float
    threshold: float
    quantile: float
    median_dcr_train: float
    median_dcr_holdout: float
    n_samples: int
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, float]:
        return {
            "closer_to_train": self.closer_to_train,
            "near_copy": self.near_copy,
            "threshold": self.threshold,
            "median_dcr_train": self.median_dcr_train,
            "median_dcr_holdout": self.median_dcr_holdout,
        }


def dcr_audit(samples: np.ndarray, train: np.ndarray, holdout: np.ndarray, quantile: float = 0.05) -> DCRAudit:
    """Train-vs-holdout DCR audit of ``samples`` (see the module docstring).

    ``train`` and ``holdout`` must have the same number of rows: the DCR to a larger set is smaller,
    so only equal sizes make 0.5 the share of a generator that does not favour its training set.
    """
    samples = check_samples(samples, "samples", min_samples=1)
    train = check_samples(train, "train", min_samples=2, n_features=samples.shape[1])
    holdout = check_samples(holdout, "holdout", min_samples=2, n_features=samples.shape[1])
    if len(train) != len(holdout):
        raise ValueError(
            f"train and holdout must have the same number of rows for a fair DCR comparison; got {len(train)} and {len(holdout)}"
        )
    tau = near_copy_threshold(train, holdout, quantile)
    d_train, d_hold = dcr(samples, train), dcr(samples, holdout)
    closer = float(np.mean((d_train < d_hold) + 0.5 * (d_train == d_hold)))
    return DCRAudit(
        closer_to_train=closer,
        near_copy=float(np.mean(d_train < tau)),
        threshold=tau,
        quantile=float(quantile),
        median_dcr_train=float(np.median(d_train)),
        median_dcr_holdout=float(np.median(d_hold)),
        n_samples=len(samples),
    )


# --------------------------------------------------------------------------- the DDPM chain shared by Part V


@dataclass
class ChainSamples:
    """Per-generation samples of one fully synthetic run (one seed), with its real data.

    ``real_X, real_y, real_id``: the n real rows that trained G_1 (ids into the source pool).
    ``train[t - 1]``: the training rows of G_t (t = 1: the real rows). ``samples[t - 1]``:
    ``(X, y)``, ``n_eval`` fresh samples of G_t at the run's λ (the runner's ``"eval"`` stream,
    independent of the rows that train G_{t+1}).
    """

    seed: int
    lam: float
    real_X: np.ndarray
    real_y: np.ndarray
    real_id: np.ndarray
    train: list[np.ndarray]
    samples: list[tuple[np.ndarray, np.ndarray]]

    @property
    def generations(self) -> int:
        return len(self.samples)


def sample_chain(model: GenerativeModel, source: Any, n: int, generations: int, seed: int, n_eval: int, lam: float = 1.0) -> ChainSamples:
    """Run :func:`mad.loops.iterate_loop` on ``fully_synthetic(n, lam)`` and keep every generation's samples.

    The runner yields each :class:`mad.loops.Generation` (model and training rows), so no option of
    :func:`mad.loops.run_loop` is needed to keep samples: ``n_eval`` samples per generation are drawn
    with :meth:`mad.loops.Generation.eval_samples`.
    """
    from mad.loops import fully_synthetic, iterate_loop

    n_eval = check_int("n_eval", n_eval, minimum=1)
    schedule = fully_synthetic(n, lam)
    train: list[np.ndarray] = []
    samples: list[tuple[np.ndarray, np.ndarray]] = []
    real: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for gen in iterate_loop(schedule, model, source, generations, seed):
        if real is None:
            real = (gen.train.X.copy(), np.asarray(gen.train.y).copy(), gen.train.real_id.copy())
        train.append(gen.train.X.copy())
        X, y = gen.eval_samples(n_eval)
        samples.append((X.copy(), np.asarray(y).copy()))
    assert real is not None
    return ChainSamples(int(seed), float(lam), *real, train=train, samples=samples)


def _chain_task(kwargs: dict[str, Any]) -> ChainSamples:
    return sample_chain(**kwargs)


def _chain_arrays(chain: ChainSamples) -> dict[str, np.ndarray]:
    return {
        "seed": np.asarray(chain.seed),
        "lam": np.asarray(chain.lam),
        "real_X": chain.real_X,
        "real_y": chain.real_y,
        "real_id": chain.real_id,
        "train": np.stack(chain.train),
        "samples_X": np.stack([x for x, _ in chain.samples]),
        "samples_y": np.stack([y for _, y in chain.samples]),
    }


def _chain_from_arrays(a: dict[str, np.ndarray]) -> ChainSamples:
    return ChainSamples(
        int(a["seed"]),
        float(a["lam"]),
        a["real_X"],
        a["real_y"],
        a["real_id"],
        train=list(a["train"]),
        samples=list(zip(a["samples_X"], a["samples_y"])),
    )


def ddpm_chains(
    model: GenerativeModel,
    source: Any,
    n: int,
    generations: int,
    seeds: Iterable[int],
    n_eval: int,
    lam: float = 1.0,
    max_workers: int | None = None,
    executor: Any = None,
    store: Any = None,
) -> list[ChainSamples]:
    """:func:`sample_chain` for each seed, one task per seed (same bits on every executor).

    Tasks run through :func:`mad.executors.run_tasks` (``executor``, ``max_workers``: as in
    :func:`mad.loops.run_sweep`). Each chain is kept in the result store (:mod:`mad.store`,
    ``store``: ``None`` for the default, ``False`` for none) under the content key of its inputs, so
    chapters that ask for the same chain compute it once per build.
    """
    from mad.executors import run_tasks
    from mad.store import resolve_store, try_task_key

    seeds = [check_int("seed", s, minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    if max_workers is not None:
        max_workers = check_int("max_workers", max_workers, minimum=1)
    tasks = [dict(model=model, source=source, n=n, generations=generations, seed=s, n_eval=n_eval, lam=lam) for s in seeds]
    st = resolve_store(store)
    keys = [try_task_key(t, kind="mad.memorisation.sample_chain") if st is not None else None for t in tasks]
    out: list[ChainSamples | None] = [None] * len(tasks)
    for i, key in enumerate(keys):
        if key is not None and st is not None:
            arrays = st.load_arrays(key)
            if arrays is not None:
                out[i] = _chain_from_arrays(arrays)
    todo = [i for i, c in enumerate(out) if c is None]

    def save(j: int, chain: ChainSamples) -> None:
        key = keys[todo[j]]
        if key is not None and st is not None:
            st.save_arrays(key, **_chain_arrays(chain))

    for i, chain in zip(todo, run_tasks(_chain_task, [tasks[i] for i in todo], executor=executor, max_workers=max_workers, on_result=save)):
        out[i] = chain
    return [c for c in out if c is not None]
