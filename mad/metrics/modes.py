"""Diversity measures for the 2-D toy targets: the 25-mode grid and the Rosenbrock density.

Grid (Alemohammad et al. 2024, App. B.2; grid of Che et al. 2020, modes m_1..m_K with
per-coordinate standard deviation σ):

* **modes covered**: a mode counts when at least ``min_fraction`` x n/K of the n samples
  (a tenth of its fair share by default) lie within ``n_std`` σ (Euclidean) of it. With
  ``n_std = 3`` a true mode keeps 1 - exp(-9/2) ≈ 98.9 % of its samples in that disc.
* **high-quality fraction**: the share of samples within ``n_std`` σ of some mode (the
  usual companion of mode counts in the GAN literature; a precision for the grid).
* **total variance**: tr Cov(X), the trace of the sample covariance (1/(n-1)).
* **average modal variance**: each sample is assigned to its nearest mode (the Voronoi cell
  of the grid); for every mode, the total variance tr Cov of its samples; the average over
  *all* K modes, a mode with fewer than 2 samples counting 0. For the true grid it is 2σ².
  The paper names this measure without a formula; this is the book's definition.

Rosenbrock (App. B.4; :class:`mad.data.Rosenbrock`, p(x1, x2) ∝ exp(-x1²/2 - (x2 - x1²)²)):
x1 ~ N(0, 1) and x2 given x1 ~ N(x1², 1/2). Two tail measures, each with expectation exactly α
under P_r, so a model that loses its tails puts less than α in them:

* **arm-tip mass** (:func:`rosenbrock_tail_mass`): the share of samples with
  abs(x1) > z_{1-α/2}, the standard-normal two-sided quantile: the far ends of the banana's
  two arms, which is what "the tails" look like in the paper's Figure 17;
* **low-density mass** (:func:`rosenbrock_low_density_mass`): the map
  (x1, x2) -> (x1, √2 (x2 - x1²)) has unit Jacobian and sends P_r to N(0, I_2), so
  ρ²(x) = x1² + 2 (x2 - x1²)² ~ χ²_2 under P_r, and {ρ² > -2 log α} is the region where the
  true density is lowest, holding mass α. It counts the arm tips *and* any mass a model
  spreads off the banana, so it rises when a model blurs the density even while the arms shrink.

:class:`GridScores` and :class:`RosenbrockScores` package these (with precision and recall,
:mod:`mad.metrics.neighbours`) as metrics for :func:`mad.loops.run_loop`; they are
picklable, so :func:`mad.loops.run_sweep` can ship them to worker processes.
:class:`SampleSnapshot` records model samples at chosen generations in the same tidy table
(for the figures), and :func:`snapshots` reads them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mad.metrics.neighbours import precision_recall
from mad.metrics.wasserstein import sliced_wasserstein
from mad.seeding import rng
from mad.validation import check_fraction, check_int, check_number, check_samples


def _modes(modes: object) -> np.ndarray:
    return check_samples(modes, "modes", min_samples=1)


def nearest_mode(X: np.ndarray, modes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest mode of every row of ``X`` and the Euclidean distance to it."""
    modes = _modes(modes)
    X = check_samples(X, "X", min_samples=1, n_features=modes.shape[1])
    d2 = ((X[:, None, :] - modes[None, :, :]) ** 2).sum(axis=-1)
    idx = d2.argmin(axis=1)
    return idx, np.sqrt(d2[np.arange(len(X)), idx])


def _check_std(std: float, n_std: float) -> None:
    check_number("std", std, 0.0, low_open=True)
    check_number("n_std", n_std, 0.0, low_open=True)


def mode_counts(X: np.ndarray, modes: np.ndarray, std: float, n_std: float = 3.0) -> np.ndarray:
    """Number of samples within ``n_std * std`` of each mode (one count per mode)."""
    _check_std(std, n_std)
    modes = _modes(modes)
    idx, dist = nearest_mode(X, modes)
    return np.bincount(idx[dist <= n_std * std], minlength=len(modes))


def modes_covered(X: np.ndarray, modes: np.ndarray, std: float, n_std: float = 3.0, min_fraction: float = 0.1) -> int:
    """Modes holding at least ``min_fraction`` x n/K samples within ``n_std`` σ (see the module notes)."""
    min_fraction = check_fraction("min_fraction", min_fraction)
    counts = mode_counts(X, modes, std, n_std)
    return int(np.sum(counts >= min_fraction * len(X) / len(counts)))


def high_quality_fraction(X: np.ndarray, modes: np.ndarray, std: float, n_std: float = 3.0) -> float:
    """Share of samples within ``n_std`` σ of their nearest mode."""
    return float(mode_counts(X, modes, std, n_std).sum() / len(X))


def total_variance(X: np.ndarray) -> float:
    """tr Cov(X) with the 1/(n-1) covariance: the sum of per-coordinate sample variances."""
    X = check_samples(X, "X", min_samples=2)
    return float(X.var(axis=0, ddof=1).sum())


def modal_variances(X: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """tr Cov of the samples in each mode's Voronoi cell (0 where fewer than 2 samples)."""
    modes = _modes(modes)
    idx, _ = nearest_mode(X, modes)
    X = np.asarray(X, dtype=np.float64)
    out = np.zeros(len(modes))
    for m in np.unique(idx):
        cell = X[idx == m]
        if len(cell) >= 2:
            out[m] = cell.var(axis=0, ddof=1).sum()
    return out


def average_modal_variance(X: np.ndarray, modes: np.ndarray) -> float:
    """Mean over all modes of :func:`modal_variances` (empty or single-sample modes count 0)."""
    return float(modal_variances(X, modes).mean())


def rosenbrock_radius2(X: np.ndarray) -> np.ndarray:
    """ρ² = x1² + 2 (x2 - x1²)², distributed as χ²_2 under :class:`mad.data.Rosenbrock`."""
    X = check_samples(X, "X", min_samples=1, n_features=2)
    return X[:, 0] ** 2 + 2.0 * (X[:, 1] - X[:, 0] ** 2) ** 2


def _alpha(alpha: float) -> float:
    return check_number("alpha", alpha, 0.0, 1.0, low_open=True, high_open=True)


def rosenbrock_tail_mass(X: np.ndarray, alpha: float = 0.01) -> float:
    """Arm-tip mass: share of samples with abs(x1) > z_{1-α/2}; exactly α in expectation under P_r."""
    from scipy.stats import norm

    alpha = _alpha(alpha)
    X = check_samples(X, "X", min_samples=1, n_features=2)
    return float(np.mean(np.abs(X[:, 0]) > norm.isf(alpha / 2)))


def rosenbrock_low_density_mass(X: np.ndarray, alpha: float = 0.01) -> float:
    """Share of samples in the reference density's lowest-density region {ρ² > -2 log α} (mass α under P_r)."""
    alpha = _alpha(alpha)
    return float(np.mean(rosenbrock_radius2(X) > -2.0 * np.log(alpha)))


class GridScores:
    """Loop metric for the 25-mode grid: ``scores(gen)`` -> dict of grid measures and precision/recall.

    Draws ``n_eval`` samples of the generation's model at the loop's λ (``gen.eval_samples``)
    and compares them with ``n_eval`` reference samples of ``source`` drawn from
    ``(seed, 0, "reference")``. Keys: ``modes_covered``, ``high_quality``, ``total_variance``,
    ``modal_variance``, ``precision``, ``recall``.
    """

    def __init__(self, source: Any, n_eval: int = 2000, k: int = 5, n_std: float = 3.0, min_fraction: float = 0.1) -> None:
        self.source = source
        self.n_eval = check_int("n_eval", n_eval, minimum=k + 1)
        self.k = check_int("k", k, minimum=1)
        self.n_std = n_std
        self.min_fraction = min_fraction
        self._reference: dict[int, np.ndarray] = {}

    def reference(self, seed: int) -> np.ndarray:
        if seed not in self._reference:
            self._reference[seed] = self.source.sample(self.n_eval, rng(seed, 0, "reference"))
        return self._reference[seed]

    def __call__(self, gen: Any) -> dict[str, float]:
        X, _ = gen.eval_samples(self.n_eval)
        modes, std = self.source.modes, self.source.std
        precision, recall = precision_recall(self.reference(gen.seed), X, k=self.k)
        return {
            "modes_covered": modes_covered(X, modes, std, self.n_std, self.min_fraction),
            "high_quality": high_quality_fraction(X, modes, std, self.n_std),
            "total_variance": total_variance(X),
            "modal_variance": average_modal_variance(X, modes),
            "precision": precision,
            "recall": recall,
        }


class RosenbrockScores:
    """Loop metric for the Rosenbrock target: tail masses at ``alphas``, precision/recall and sliced W2.

    Tail masses use ``n_eval`` model samples; precision/recall and the sliced Wasserstein
    distance compare the first ``n_prdc`` of them with as many reference samples drawn from
    ``(seed, 0, "reference")``. Keys: ``tail_<α>`` (arm-tip mass, for example ``tail_0.01``),
    ``lowdens_<α>`` (low-density mass), ``x1_sd`` (standard deviation of x1, 1 under P_r),
    ``precision``, ``recall``, ``sliced_w2``.
    """

    def __init__(self, source: Any, n_eval: int = 10_000, n_prdc: int = 2000, alphas: tuple[float, ...] = (0.05, 0.01), k: int = 5) -> None:
        self.source = source
        self.n_eval = check_int("n_eval", n_eval, minimum=2)
        self.n_prdc = check_int("n_prdc", n_prdc, minimum=k + 1, maximum=self.n_eval)
        self.alphas = tuple(_alpha(a) for a in alphas)
        self.k = check_int("k", k, minimum=1)
        self._reference: dict[int, np.ndarray] = {}

    def reference(self, seed: int) -> np.ndarray:
        if seed not in self._reference:
            self._reference[seed] = self.source.sample(self.n_prdc, rng(seed, 0, "reference"))
        return self._reference[seed]

    def __call__(self, gen: Any) -> dict[str, float]:
        X, _ = gen.eval_samples(self.n_eval)
        out = {f"tail_{a:g}": rosenbrock_tail_mass(X, a) for a in self.alphas}
        out.update({f"lowdens_{a:g}": rosenbrock_low_density_mass(X, a) for a in self.alphas})
        out["x1_sd"] = float(np.std(X[:, 0], ddof=1))
        ref = self.reference(gen.seed)
        out["precision"], out["recall"] = precision_recall(ref, X[: self.n_prdc], k=self.k)
        out["sliced_w2"] = sliced_wasserstein(ref, X[: self.n_prdc])
        return out


class SampleSnapshot:
    """Loop metric that records ``n`` model samples at the generations ``at`` (nothing at the others).

    Each coordinate becomes one row of the tidy table, named ``snapshot:<row>:<column>``, so
    samples travel back from :func:`mad.loops.run_sweep`'s worker processes with the other
    metrics; :func:`snapshots` turns them back into arrays. Samples are
    ``gen.eval_samples(n)``: drawn at the loop's λ from ``(seed, t, "eval")``.
    """

    def __init__(self, at: Sequence[int], n: int = 1000) -> None:
        self.at = tuple(check_int("generation", t, minimum=1) for t in at)
        self.n = check_int("n", n, minimum=1)

    def __call__(self, gen: Any) -> dict[str, float]:
        if gen.t not in self.at:
            return {}
        X, _ = gen.eval_samples(self.n)
        return {f"snapshot:{i}:{j}": float(v) for (i, j), v in np.ndenumerate(X)}


def snapshots(results: pd.DataFrame, by: Sequence[str] = ("lam", "seed", "generation")) -> dict[tuple, np.ndarray]:
    """The arrays recorded by :class:`SampleSnapshot` in a tidy table, keyed by the ``by`` columns."""
    if not isinstance(results, pd.DataFrame) or "metric" not in results.columns:
        raise TypeError(f"results must be a run_loop table (a DataFrame with a 'metric' column); got {type(results).__name__}")
    missing = [c for c in by if c not in results.columns]
    if missing:
        raise ValueError(f"by names columns not in results: {missing}; results has {list(results.columns)}")
    rows = results[results["metric"].astype(str).str.startswith("snapshot:")]
    if rows.empty:
        raise ValueError("no snapshot rows in results: add a SampleSnapshot metric to the run")
    idx = rows["metric"].str.split(":", expand=True).iloc[:, 1:].astype(int)
    out = {}
    for key, group in rows.assign(_i=idx[1], _j=idx[2]).groupby(list(by)):
        X = np.zeros((group["_i"].max() + 1, group["_j"].max() + 1))
        X[group["_i"].to_numpy(), group["_j"].to_numpy()] = group["value"].to_numpy()
        out[key] = X
    return out


__all__ = [
    "GridScores",
    "SampleSnapshot",
    "RosenbrockScores",
    "average_modal_variance",
    "high_quality_fraction",
    "modal_variances",
    "mode_counts",
    "modes_covered",
    "nearest_mode",
    "rosenbrock_low_density_mass",
    "rosenbrock_radius2",
    "rosenbrock_tail_mass",
    "snapshots",
    "total_variance",
]
