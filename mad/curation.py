"""Curators: the one place where mitigations enter the autophagous loop.

Between assembling generation t's training set and fitting G_t (t ≥ 2; G_1 always trains on its
real data, the paper's protocol), :func:`mad.loops.iterate_loop` calls an optional *curator*. It
sees the training rows with their provenance (``origin``: 0 for real rows, else the generation that
produced the row; ``real_id``: the row's id in the real stream), the previous model G_{t-1} and its
own random stream ``rng(seed, t, "curate")``, and returns the indices of the rows to keep. Rows are
only ever removed: a curator cannot add or duplicate rows, and the runner checks it
(:func:`curate`).

A curator is a small class with a :meth:`Curator.select` method and a readable ``name`` that the
results table records (column ``curator``). The curators here:

* :class:`DetectorFilter`: a synthetic-data detector with true-positive rate TPR and false-positive
  rate FPR (a watermark is FPR ≈ 0) removes the rows it flags. Of n_r real and n_s synthetic rows it
  keeps on average n_r (1 − FPR) real and n_s (1 − TPR) synthetic ones, so the real fraction of the
  training set becomes n_r (1 − FPR) / (n_r (1 − FPR) + n_s (1 − TPR)).
* :class:`KeepLikely`: keeps the synthetic rows that G_{t-1} finds most likely (a "quality filter"
  that, like λ < 1, trades diversity for typicality).
* :class:`RewardCurator`: reward-based curation in the sense of Ferbach et al. (2024): synthetic rows
  are drawn in groups of K and one row of each group is kept with probability ∝ exp(r(x)/τ)
  (a Bradley–Terry / Plackett–Luce choice), so the kept distribution is tilted toward high reward.
* :class:`StratifiedResampler`: subsamples each class down to target shares, so that class
  proportions are pinned from generation to generation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from mad.validation import check_fraction, check_int, check_number

if TYPE_CHECKING:  # pragma: no cover
    from mad.loops import Part
    from mad.models.base import GenerativeModel


class CurationError(ValueError):
    """A curator returned something the runner cannot train on."""


class Curator:
    """Base class: ``select(rows, previous, t, random) -> indices of rows to keep``."""

    #: a short label recorded in the results table
    @property
    def name(self) -> str:
        return type(self).__name__

    def select(self, rows: Part, previous: GenerativeModel | None, t: int, random: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.name


def curate(curator: Curator, rows: Part, previous: GenerativeModel | None, t: int, random: np.random.Generator) -> Part:
    """Apply ``curator`` to generation ``t``'s training rows and check what it returned.

    The result must be a 1-D array of distinct integer row indices in ``[0, len(rows))``, at least two
    of them; anything else raises :class:`CurationError` naming the curator, the generation and the value.
    """
    from mad.loops import Part

    if not isinstance(curator, Curator):
        raise TypeError(f"curator must be a mad.curation.Curator; got {type(curator).__name__}")
    keep = curator.select(rows, previous, t, random)
    where = f"curator {curator.name} at generation {t}"
    try:
        keep = np.asarray(keep)
    except (TypeError, ValueError):
        raise CurationError(f"{where} returned {type(keep).__name__}, not an array of row indices") from None
    if keep.dtype == bool:
        raise CurationError(f"{where} returned a boolean mask; return the indices of the rows to keep (np.flatnonzero(mask))")
    if keep.ndim != 1 or not np.issubdtype(keep.dtype, np.integer):
        raise CurationError(f"{where} must return a 1-D array of integer row indices; got dtype {keep.dtype}, shape {keep.shape}")
    if keep.size and (keep.min() < 0 or keep.max() >= len(rows)):
        raise CurationError(f"{where} returned row indices outside [0, {len(rows)}): min {keep.min()}, max {keep.max()}")
    if len(np.unique(keep)) != len(keep):
        raise CurationError(f"{where} returned duplicate row indices: a curator may only remove rows, not repeat them")
    if len(keep) < 2:
        raise CurationError(f"{where} kept {len(keep)} of {len(rows)} rows; a model needs at least 2 training rows")
    keep = np.sort(keep)
    return Part(rows.X[keep], None if rows.y is None else rows.y[keep], rows.origin[keep], rows.real_id[keep])


def _rate(name: str, value: float) -> float:
    return check_number(name, value, 0.0, 1.0)


def _fraction(name: str, value: float) -> float:
    return check_fraction(name, value)


class DetectorFilter(Curator):
    """A detector of synthetic data with rates ``tpr`` (synthetic rows flagged) and ``fpr`` (real rows
    flagged, wrongly); flagged rows are removed. Each row is flagged independently."""

    def __init__(self, tpr: float, fpr: float = 0.0) -> None:
        self.tpr = _rate("tpr (true-positive rate)", tpr)
        self.fpr = _rate("fpr (false-positive rate)", fpr)

    @property
    def name(self) -> str:
        return f"detector(TPR={self.tpr:g}, FPR={self.fpr:g})"

    def select(self, rows, previous, t, random):
        flag_rate = np.where(rows.origin > 0, self.tpr, self.fpr)
        return np.flatnonzero(random.random(len(rows)) >= flag_rate)

    @staticmethod
    def real_fraction(n_real: float, n_synth: float, tpr: float, fpr: float = 0.0) -> float:
        """Expected real fraction of the training set after filtering: n_r(1−FPR) / (n_r(1−FPR) + n_s(1−TPR))."""
        n_real, n_synth = check_number("n_real", n_real, 0.0), check_number("n_synth", n_synth, 0.0)
        kept_real = n_real * (1 - _rate("fpr", fpr))
        kept_synth = n_synth * (1 - _rate("tpr", tpr))
        if kept_real + kept_synth <= 0:
            raise ValueError("the detector removes every row: nothing is left to train on")
        return kept_real / (kept_real + kept_synth)


def _synthetic_rows(rows: Part) -> tuple[np.ndarray, np.ndarray]:
    synth = np.flatnonzero(rows.origin > 0)
    return np.flatnonzero(rows.origin == 0), synth


class KeepLikely(Curator):
    """Keep the fraction ``keep`` of synthetic rows with the highest log-likelihood under G_{t-1}
    (its ``score_samples``); real rows are all kept."""

    def __init__(self, keep: float = 0.5) -> None:
        self.keep = _fraction("keep (fraction of synthetic rows kept)", keep)

    @property
    def name(self) -> str:
        return f"keep-likely({self.keep:g})"

    def select(self, rows, previous, t, random):
        if previous is None or not hasattr(previous, "score_samples"):
            raise CurationError(
                f"curator {self.name} at generation {t} needs a previous model with score_samples; got {type(previous).__name__}"
            )
        real, synth = _synthetic_rows(rows)
        n_keep = int(round(self.keep * len(synth)))
        scores = np.asarray(previous.score_samples(rows.X[synth]), dtype=float)
        order = np.argsort(-scores, kind="stable")
        return np.concatenate([real, synth[order[:n_keep]]])


class RewardCurator(Curator):
    """Reward-based curation (Ferbach et al. 2024): shuffle the synthetic rows into groups of ``k`` and
    keep one row per group, chosen with probability ∝ exp(reward(x)/temperature).

    With k = 2 this is the Bradley–Terry choice between two samples. Real rows are all kept.
    """

    def __init__(self, reward: Callable[[np.ndarray], np.ndarray], k: int = 2, temperature: float = 1.0) -> None:
        if not callable(reward):
            raise TypeError(f"reward must be a function of the rows X returning one number per row; got {reward!r}")
        self.reward = reward
        self.k = check_int("k (group size)", k, minimum=2)
        self.temperature = check_number("temperature", temperature, 0.0, low_open=True)

    @property
    def name(self) -> str:
        return f"reward(k={self.k}, τ={self.temperature:g})"

    def select(self, rows, previous, t, random):
        real, synth = _synthetic_rows(rows)
        r = np.asarray(self.reward(rows.X[synth]), dtype=float).reshape(-1)
        if r.shape != (len(synth),) or not np.isfinite(r).all():
            raise CurationError(f"curator {self.name} at generation {t}: reward must return one finite number per row; got shape {r.shape}")
        groups = len(synth) // self.k
        order = random.permutation(len(synth))[: groups * self.k].reshape(groups, self.k)
        logits = r[order] / self.temperature
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        choice = (random.random((groups, 1)) > np.cumsum(p, axis=1)).sum(axis=1)
        return np.concatenate([real, synth[order[np.arange(groups), np.minimum(choice, self.k - 1)]]])


class StratifiedResampler(Curator):
    """Subsample the rows class by class (by ``y``) so that class shares match ``shares``.

    The largest training set with those exact shares that the rows allow is kept (each class is
    subsampled without replacement); classes absent from ``shares`` are dropped.
    """

    def __init__(self, shares: Mapping[int, float] | Sequence[float]) -> None:
        if isinstance(shares, (str, bytes)):
            raise TypeError(f"shares must be class shares (a mapping class -> share, or a sequence); got {shares!r}")
        items = dict(shares) if isinstance(shares, Mapping) else dict(enumerate(shares))
        try:
            values = np.array(list(items.values()), dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"shares must be numbers (class shares); got {shares!r}") from None
        if not len(values) or not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(f"shares must be non-negative finite class shares; got {shares!r}")
        if not math.isclose(values.sum(), 1.0, abs_tol=1e-9):
            raise ValueError(f"shares must sum to 1; they sum to {values.sum():.6g}")
        self.shares = {int(k): float(v) for k, v in items.items()}

    @property
    def name(self) -> str:
        return "stratified"

    def select(self, rows, previous, t, random):
        if rows.y is None:
            raise CurationError(f"curator {self.name} at generation {t} needs class labels y; the model is unconditional")
        counts = {c: np.flatnonzero(rows.y == c) for c in self.shares}
        positive = [c for c, s in self.shares.items() if s > 0]
        total = min(len(counts[c]) / self.shares[c] for c in positive)
        keep = [random.choice(counts[c], size=int(math.floor(self.shares[c] * total + 1e-9)), replace=False) for c in positive]
        return np.concatenate(keep).astype(int)


#: Curators by name, for specs and the command line: ``make_curator("detector", tpr=0.9, fpr=0.01)``.
CURATORS: dict[str, type[Curator]] = {
    "detector": DetectorFilter,
    "keep_likely": KeepLikely,
    "reward": RewardCurator,
    "stratified": StratifiedResampler,
}


def make_curator(name: str, **params) -> Curator:
    """The curator called ``name`` (one of :data:`CURATORS`) with ``params``."""
    if name not in CURATORS:
        raise ValueError(f"unknown curator {name!r}; choose one of {', '.join(CURATORS)}")
    return CURATORS[name](**params)
