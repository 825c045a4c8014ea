"""Reward curation and verification on a mixture with known modes: exact recursions, a small model,
a verifier.

**Reward curation** (Ferbach et al. 2024). Each generation draws synthetic samples in groups of K and
keeps one per group, chosen with probability ∝ exp(r(x)/τ) (:class:`mad.curation.RewardCurator`).
When the reward is constant on each mode of a mixture with weights p_t (``r_j`` on mode j), the
weights of the kept samples follow exactly

* K = 2 (Bradley–Terry): p_{t+1}(j) = 2 p_t(j) Σ_i p_t(i) σ((r_j − r_i)/τ), σ the logistic function;
* K → ∞: p_{t+1}(j) ∝ p_t(j) e^{r_j/τ}, so p_t(j) ∝ p_0(j) e^{t r_j/τ};

and when a share β of every training set is real data with mode weights q (the rest curated
synthetic), p_{t+1} = β q + (1 − β) C(p_t), with C one of the maps above (:func:`reward_recursion`).

**A model of the mode weights.** :class:`GridWeightsModel` knows where the modes are (the grid of
:class:`mad.data.GridMixture`) and learns what a self-consuming loop changes: the weight of every mode
(the share of training rows nearest to it) and one shared spread σ̂. Its expected weights after one
curated generation are the recursion above, so simulation and theory can be compared directly. It
can also *hallucinate*: with ``error_rate`` ε a sample is drawn uniformly over the grid's square
instead, a generator that makes mistakes at a fixed rate, as in Feng et al. (2024).

**Verification** (Feng et al. 2024). :class:`Verifier` keeps synthetic rows that pass a check against
the truth (:class:`GridSupport`: within ``n_std`` true standard deviations of a true mode) and then a
random subset of them, so that it keeps as many rows as a quality filter such as
:class:`mad.curation.KeepLikely` would; with no check it is random selection.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import expit, logsumexp

from mad.curation import CurationError, Curator
from mad.metrics.modes import nearest_mode
from mad.models.base import GenerativeModel
from mad.validation import check_fraction, check_int, check_number, check_samples


def _weights(name: str, p: object) -> np.ndarray:
    try:
        arr = np.asarray(p, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of mode weights; got {p!r}") from None
    if arr.ndim != 1 or arr.size < 1:
        raise ValueError(f"{name} must be a 1-D array of mode weights; got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must hold non-negative finite weights")
    if not math.isclose(arr.sum(), 1.0, abs_tol=1e-8):
        raise ValueError(f"{name} must sum to 1; it sums to {arr.sum():.6g}")
    return arr


def _rewards(r: object, m: int) -> np.ndarray:
    try:
        arr = np.asarray(r, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"rewards must be an array with one number per mode; got {r!r}") from None
    if arr.shape != (m,):
        raise ValueError(f"rewards must have one entry per mode ({m}); got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("rewards must be finite")
    return arr


def _positive(name: str, value: object) -> float:
    return check_number(name, value, 0.0, low_open=True)


def _share(name: str, value: object) -> float:
    return check_number(name, value, 0.0, 1.0, high_open=True)


def curation_step(p: np.ndarray, rewards: np.ndarray, k: float = 2, temperature: float = 1.0) -> np.ndarray:
    """Mode weights of the samples kept by one round of reward curation of a mixture with weights ``p``.

    ``k`` is the group size: 2 (the Bradley–Terry choice between two samples, exact) or ``math.inf``
    (the large-K limit, p ∝ p e^{r/τ}).
    """
    p = _weights("p", p)
    r = _rewards(rewards, len(p)) / _positive("temperature", temperature)
    if k == 2:
        out = 2.0 * p * (expit(r[:, None] - r[None, :]) @ p)
    elif k == math.inf:
        out = p * np.exp(r - r.max())
    else:
        raise ValueError(f"k (group size) must be 2 or math.inf for an exact recursion; got {k!r}")
    return out / out.sum()  # exact in theory; renormalising stops rounding errors from growing


def reward_recursion(
    p0: object,
    rewards: object,
    steps: int,
    k: float = 2,
    temperature: float = 1.0,
    real_share: float = 0.0,
    real_weights: object | None = None,
) -> np.ndarray:
    """Mode weights over ``steps`` rounds of reward curation: an array of shape (steps + 1, modes), row t
    after t rounds (row 0 is ``p0``).

    With ``real_share`` β > 0 every training set is a share β of real data with mode weights
    ``real_weights`` (default ``p0``) and a share 1 − β of curated synthetic data:
    p_{t+1} = β q + (1 − β) C(p_t) (see :func:`curation_step`).
    """
    p = _weights("p0", p0)
    r = _rewards(rewards, len(p))
    steps = check_int("steps", steps, minimum=0)
    beta = _share("real_share (share of real data in the training set)", real_share)
    q = p.copy() if real_weights is None else _weights("real_weights", real_weights)
    if q.shape != p.shape:
        raise ValueError(f"real_weights must have one entry per mode ({len(p)}); got shape {q.shape}")
    out = np.empty((steps + 1, len(p)))
    out[0] = p
    for t in range(steps):
        p = beta * q + (1.0 - beta) * curation_step(p, r, k, temperature)
        out[t + 1] = p / p.sum()
        p = out[t + 1]
    return out


def expected_reward(p: object, rewards: object) -> np.ndarray:
    """E_p[r] = Σ_j p_j r_j, for one weight vector or for every row of an array of them."""
    arr = np.asarray(p, dtype=float)
    r = _rewards(rewards, arr.shape[-1])
    return arr @ r


def kl_divergence(p: object, q: object) -> float:
    """KL(p ‖ q) = Σ p_j log(p_j / q_j) in nats (0 log 0 = 0; infinite when q_j = 0 < p_j)."""
    p, q = _weights("p", p), _weights("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same number of modes; got {p.shape} and {q.shape}")
    on = p > 0
    if (q[on] == 0).any():
        return math.inf
    return float(np.sum(p[on] * np.log(p[on] / q[on])))


def real_share_after_curation(n_real: int, n_synth: int, k: int) -> float:
    """Share of real rows once a :class:`~mad.curation.RewardCurator` with groups of ``k`` has kept
    ⌊n_synth / k⌋ of the ``n_synth`` synthetic rows and all ``n_real`` real ones."""
    n_real = check_int("n_real", n_real, minimum=0)
    n_synth = check_int("n_synth", n_synth, minimum=0)
    k = check_int("k (group size)", k, minimum=2)
    kept = n_real + n_synth // k
    if kept == 0:
        raise ValueError("n_real + n_synth // k must be positive: nothing would be left to train on")
    return n_real / kept


class ModeReward:
    """A reward constant on each mode: r(x) = ``rewards[j]`` for the mode j nearest to x (picklable)."""

    def __init__(self, modes: object, rewards: object) -> None:
        self.modes = check_samples(modes, "modes", min_samples=1)
        self.rewards = _rewards(rewards, len(self.modes))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.rewards[nearest_mode(X, self.modes)[0]]


class GridWeightsModel(GenerativeModel):
    """A mixture with known mode locations that learns the mode weights and one shared spread.

    ``fit`` assigns every row to its nearest mode: the weight of mode c is the share of rows assigned
    to it (a mode with no rows gets weight 0 and never comes back), and the spread σ̂ is the root mean
    square, per coordinate, of the rows' distances to their modes (floored at ``min_std``).

    Sampling at bias λ: with probability 1 − ``error_rate`` a mode c ~ w, then x ~ N(μ_c, λ σ̂² I);
    with probability ``error_rate`` a *hallucination* drawn uniformly over the box around the modes
    (the modes' bounding box widened by ``pad`` on every side), which λ does not affect.
    ``score_samples`` is the log density of that mixture (at λ = 1).

    Parameters
    ----------
    modes
        Mode locations, shape (modes, d), for example ``GridMixture().modes``.
    error_rate
        Share ε in [0, 1) of samples that are hallucinations.
    pad
        Margin of the hallucination box around the modes (half the grid spacing by default).
    min_std
        Floor of σ̂, so that the fit stays defined when the data collapse onto the modes.
    """

    lam_rule = "mode c ~ w, then N(μ_c, λ σ̂² I): λ scales the spread around every mode; hallucinations are unaffected"

    def __init__(self, modes: object = None, error_rate: float = 0.0, pad: float = 0.5, min_std: float = 1e-4) -> None:
        self.modes = modes
        self.error_rate = error_rate
        self.pad = pad
        self.min_std = min_std

    def _check_params(self) -> np.ndarray:
        if self.modes is None:
            raise ValueError("modes must be given: the mode locations, shape (modes, d), e.g. GridMixture().modes")
        modes = check_samples(self.modes, "modes", min_samples=1)
        _share("error_rate (share of hallucinated samples)", self.error_rate)
        _positive("pad", self.pad)
        _positive("min_std", self.min_std)
        return modes

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> GridWeightsModel:
        modes = self._check_params()
        X = check_samples(X, min_samples=2, n_features=modes.shape[1])
        idx, dist = nearest_mode(X, modes)
        self.modes_ = modes
        self.weights_ = np.bincount(idx, minlength=len(modes)) / len(X)
        self.std_ = max(float(np.sqrt(np.mean(dist**2) / modes.shape[1])), float(self.min_std))
        self.box_ = (modes.min(axis=0) - self.pad, modes.max(axis=0) + self.pad)
        self.fitted_ = True
        return self

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        d = self.modes_.shape[1]
        comp = rng.choice(len(self.weights_), size=n, p=self.weights_)
        X = self.modes_[comp] + math.sqrt(lam) * self.std_ * rng.standard_normal((n, d))
        if self.error_rate > 0:
            wrong = rng.random(n) < self.error_rate
            low, high = self.box_
            X[wrong] = rng.uniform(low, high, size=(int(wrong.sum()), d))
        return X

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log density of the fitted mixture (λ = 1), hallucinations included."""
        self._check_fitted()
        X = check_samples(X, min_samples=1, n_features=self.modes_.shape[1])
        d = X.shape[1]
        s2 = self.std_**2
        d2 = ((X[:, None, :] - self.modes_[None, :, :]) ** 2).sum(axis=-1)
        with np.errstate(divide="ignore"):
            log_w = np.log(self.weights_)
        log_modes = logsumexp(log_w[None, :] - d2 / (2 * s2), axis=1) - 0.5 * d * math.log(2 * math.pi * s2)
        eps = float(self.error_rate)
        if eps == 0:
            return log_modes
        low, high = self.box_
        inside = np.all((X >= low) & (X <= high), axis=1)
        with np.errstate(divide="ignore"):
            log_wrong = np.where(inside, math.log(eps) - float(np.sum(np.log(high - low))), -np.inf)
        return np.logaddexp(math.log1p(-eps) + log_modes, log_wrong)


class GridSupport:
    """The truth's check for the grid: a row passes when it lies within ``n_std`` true standard
    deviations (Euclidean) of a true mode. Picklable; ``GridSupport(source)(X)`` is a boolean mask."""

    def __init__(self, source: object, n_std: float = 4.0) -> None:
        if not hasattr(source, "modes") or not hasattr(source, "std"):
            raise TypeError(f"source must be a mixture with modes and std (mad.data.GridMixture); got {type(source).__name__}")
        self.modes = np.asarray(source.modes, dtype=float)
        self.radius = _positive("n_std", n_std) * float(source.std)
        self.n_std = float(n_std)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return nearest_mode(X, self.modes)[1] <= self.radius


class Verifier(Curator):
    """Keep the synthetic rows a check against the truth accepts, then a random ``keep`` share of all
    synthetic rows among them (all of them if fewer pass); real rows are all kept.

    ``accept`` maps rows X to a boolean mask (for example :class:`GridSupport`); ``None`` accepts
    every row, which makes this *random selection* of the same number of rows.
    """

    def __init__(self, accept: Callable[[np.ndarray], np.ndarray] | None = None, keep: float = 0.5, label: str = "") -> None:
        if accept is not None and not callable(accept):
            raise TypeError(f"accept must be a function of the rows X returning a boolean mask, or None; got {accept!r}")
        self.accept = accept
        self.keep = check_fraction("keep (share of synthetic rows kept)", keep)
        self.label = str(label)

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        return f"random({self.keep:g})" if self.accept is None else f"verifier({self.keep:g})"

    def select(self, rows, previous, t, random):
        real = np.flatnonzero(rows.origin == 0)
        synth = np.flatnonzero(rows.origin > 0)
        if self.accept is None:
            passed = synth
        else:
            mask = np.asarray(self.accept(rows.X[synth]))
            if mask.shape != (len(synth),) or mask.dtype != bool:
                raise CurationError(
                    f"curator {self.name} at generation {t}: accept must return one boolean per row; got {mask.dtype}, shape {mask.shape}"
                )
            passed = synth[mask]
        n_keep = min(len(passed), int(round(self.keep * len(synth))))
        return np.concatenate([real, random.choice(passed, size=n_keep, replace=False)]).astype(int)


__all__ = [
    "GridSupport",
    "GridWeightsModel",
    "ModeReward",
    "Verifier",
    "curation_step",
    "expected_reward",
    "kl_divergence",
    "real_share_after_curation",
    "reward_recursion",
]
