"""Who disappears first: category shares under refitting, as Wright–Fisher drift.

A model that learns the *shares* of its training data (the weights of a mixture's modes, the class
prior of a class-conditional generator) and is retrained on ``n`` of its own samples each generation
moves those shares exactly as the **Wright–Fisher model** of population genetics moves allele
frequencies (Fisher 1930; Wright 1931; Ewens 2004, ch. 1 and 3). Given the shares p_{t-1} of
generation t − 1, the training set of generation t holds multinomial counts

    N_t ~ Multinomial(n, p_{t-1}),        p_t = N_t / n,

so each share is a martingale, E[p_t | p_{t-1}] = p_{t-1}, and a share that reaches 0 never comes
back: every category but one is eventually lost (Shumailov et al. 2024 make the same argument for
discrete distributions). This module holds the closed forms, an exact simulator and the book's two
mitigation/feedback models:

* **Gini–Simpson diversity** H = 1 − Σ_k p_k² (the probability that two draws differ) decays
  geometrically in expectation, E[H_t | p_{t-1}] = (1 − 1/n) H_{t-1}, hence
  ``H_t = H_0 (1 − 1/n)^t`` (:func:`expected_gini_simpson`; the decay of the heterozygosity of a
  haploid population of n genes, Ewens 2004, ch. 1).
* **Loss and fixation** of one category of share p (a category's count is itself a two-type
  Wright–Fisher chain): it takes over with probability p and is lost with probability 1 − p; in
  the diffusion approximation (Kimura & Ohta 1969, written for a diploid population of N individuals;
  a haploid population of n genes has 4N → 2n) the mean time to absorption is
  ``t̄(p) = −2n [p ln p + (1 − p) ln(1 − p)]`` and the mean time to loss, given that it is lost,
  ``t̄_0(p) = −2n p ln p / (1 − p)`` (:func:`absorption_time`, :func:`loss_time`). The exact
  Markov chain (:func:`wright_fisher_matrix`, :func:`loss_probability_by`, :func:`exact_loss_time`)
  checks both.
* **Sampling bias λ on a categorical** draws from the tempered shares p^{1/λ} / Σ p^{1/λ}
  (:func:`tempered`; the categorical analogue of λ scaling a Gaussian's covariance, since
  N(μ, Σ)^{1/λ} ∝ N(μ, λΣ)); without drift, t generations give w_t ∝ w_0^{λ^{−t}}
  (:func:`tempered_shares`), which sends every share but the largest to 0 geometrically fast.
* **Stratified resampling** (:class:`mad.curation.StratifiedResampler`) subsamples each class to
  fixed target shares and so pins the shares (:func:`wright_fisher` with ``stratified=True``).
* **Fairness feedback loops** (Taori & Hashimoto 2023; Wyllie et al. 2024): a classifier retrained
  each round on its own labels of new data (:func:`feedback_loop`) with the bound on bias
  amplification (:func:`amplification_bound`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mad.data import FinitePool
from mad.models.ddpm import ConditionalDDPM
from mad.seeding import rng
from mad.validation import check_int, check_lam, check_number

__all__ = [
    "ClassPriorDDPM",
    "FeedbackResult",
    "absorption_time",
    "amplification_bound",
    "check_class_prior",
    "exact_loss_time",
    "expected_gini_simpson",
    "feedback_loop",
    "fixation_probability",
    "gini_simpson",
    "imbalanced_pool",
    "imbalanced_prior",
    "loss_generation",
    "loss_probability_by",
    "loss_time",
    "loss_times",
    "mode_shares",
    "tempered",
    "tempered_shares",
    "wright_fisher",
    "wright_fisher_matrix",
]

#: how far from 1 the entries of a class prior may sum (rounding of decimal inputs)
PRIOR_TOL = 1e-6


# --------------------------------------------------------------------------- validation


def check_class_prior(prior: object, name: str = "class_prior", min_classes: int = 2) -> np.ndarray:
    """Return ``prior`` as a float vector of class shares, or raise naming ``name``.

    A class prior is a 1-D sequence of at least ``min_classes`` finite, non-negative shares that sum
    to 1 (within :data:`PRIOR_TOL`); it is renormalised exactly. Raises :class:`TypeError` for
    something that is not a sequence of numbers and :class:`ValueError` for a wrong shape, NaN or
    infinite entries, negative entries or a sum other than 1, with the value and the allowed range.
    """
    if isinstance(prior, (str, bytes)) or np.isscalar(prior) or prior is None:
        raise TypeError(f"{name} must be a sequence of class shares (non-negative, summing to 1); got {prior!r}")
    try:
        p = np.asarray(prior, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers (class shares in [0, 1] summing to 1); got {prior!r}") from None
    if p.ndim != 1 or len(p) < min_classes:
        raise ValueError(f"{name} must be a 1-D vector of at least {min_classes} class shares; got shape {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError(f"{name} must hold finite shares in [0, 1]; got {p.tolist()}")
    if (p < 0).any():
        bad = p[p < 0].tolist()
        raise ValueError(f"{name} must hold non-negative shares in [0, 1]; got negative entries {bad} in {p.tolist()}")
    total = float(p.sum())
    if not math.isclose(total, 1.0, rel_tol=0.0, abs_tol=PRIOR_TOL):
        raise ValueError(f"{name} must sum to 1 (shares in [0, 1], within {PRIOR_TOL:g}); its entries sum to {total:.6g}: {p.tolist()}")
    return p / total


def imbalanced_prior(n_classes: int, minority: int | Sequence[int], share: float) -> np.ndarray:
    """A class prior of ``n_classes`` classes where each class in ``minority`` has ``share`` and the
    others split the rest equally. ``share`` must leave a positive share to the majority classes."""
    n_classes = check_int("n_classes", n_classes, minimum=2)
    minor = [minority] if isinstance(minority, (int, np.integer)) else list(minority)
    if not minor or len(set(minor)) != len(minor) or len(minor) >= n_classes:
        raise ValueError(f"minority must name between 1 and {n_classes - 1} distinct classes; got {minority!r}")
    for c in minor:
        check_int("minority class", c, minimum=0, maximum=n_classes - 1)
    share = check_number("share (of each minority class)", share, 0.0, 1.0 / len(minor), low_open=True, high_open=True)
    rest = (1.0 - share * len(minor)) / (n_classes - len(minor))
    p = np.full(n_classes, rest)
    p[minor] = share
    return p


def imbalanced_pool(pool: FinitePool, class_prior: Sequence[float] | np.ndarray, size: int, seed: int = 0) -> FinitePool:
    """A :class:`mad.data.FinitePool` of ``size`` rows of ``pool`` whose class shares are ``class_prior``.

    Class c gets round(class_prior_c · size) rows (largest remainders, so the counts add up to ``size``),
    drawn without replacement from ``rng(seed, 0, "imbalanced-pool")``; a loop whose ``n_init`` equals
    ``size`` then trains G_1 on exactly these shares. Raises a :class:`ValueError` naming ``class_prior``
    when it is not a vector of non-negative shares summing to 1 (one per class of ``pool``), and when a
    class has fewer rows than it needs.
    """
    if not isinstance(pool, FinitePool) or pool.y is None:
        raise TypeError(f"pool must be a labelled mad.data.FinitePool; got {type(pool).__name__}")
    prior = check_class_prior(class_prior, "class_prior")
    if len(prior) != pool.n_classes:
        raise ValueError(f"class_prior must give one share per class of the pool ({pool.n_classes}); got {len(prior)}")
    size = check_int("size", size, minimum=2, maximum=len(pool))
    quota = prior * size
    counts = np.floor(quota).astype(int)
    counts[np.argsort(-(quota - counts), kind="stable")[: size - counts.sum()]] += 1
    draw = rng(check_int("seed", seed, minimum=0), 0, "imbalanced-pool")
    idx = []
    for c, k in enumerate(counts):
        rows = np.flatnonzero(pool.y == c)
        if k > len(rows):
            raise ValueError(f"class {c} needs {k} rows for class_prior share {prior[c]:.4g} of size {size}; the pool has {len(rows)}")
        idx.append(draw.choice(rows, size=k, replace=False))
    order = draw.permutation(np.concatenate(idx))
    return FinitePool(pool.X[order], pool.y[order], name=f"{pool.name}-imbalanced")


# --------------------------------------------------------------------------- closed forms


def gini_simpson(shares: np.ndarray) -> np.ndarray | float:
    """Gini–Simpson diversity H = 1 − Σ_k p_k² along the last axis (the chance that two draws differ)."""
    p = np.asarray(shares, dtype=float)
    if p.ndim == 0:
        raise ValueError("shares must have at least one axis (the categories)")
    h = 1.0 - np.sum(p**2, axis=-1)
    return float(h) if np.ndim(h) == 0 else h


def expected_gini_simpson(h0: float, n: int, t: int | np.ndarray) -> np.ndarray | float:
    """E[H_t] = H_0 (1 − 1/n)^t after t multinomial refits of n samples each (exact; Ewens 2004, ch. 1).

    One step: E[Σ p_k'² | p] = Σ (p_k² + p_k(1 − p_k)/n), so E[H'] = (1 − 1/n) H.
    """
    h0 = check_number("h0 (initial Gini–Simpson diversity)", h0, 0.0, 1.0)
    n = check_int("n (samples per generation)", n, minimum=1)
    t = np.asarray(t)
    if (t < 0).any() or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(f"t must be integer generations >= 0; got {t.tolist()}")
    out = h0 * (1.0 - 1.0 / n) ** t
    return float(out) if out.ndim == 0 else out


def _share(p: object, name: str = "p (share of the category)") -> float:
    return check_number(name, p, 0.0, 1.0, low_open=True, high_open=True)


def fixation_probability(p: float) -> float:
    """Probability that a category of share p takes over (the others all lost): p, since the share is a
    bounded martingale (Ewens 2004, ch. 1). It is lost with probability 1 − p."""
    return _share(p)


def loss_time(p: float | np.ndarray, n: int) -> float | np.ndarray:
    """Mean generations until a category of share p is lost, given that it is lost, in the diffusion
    approximation: t̄_0(p) = −2n p ln p / (1 − p) (Kimura & Ohta 1969, with 4N → 2n for a haploid
    population of n genes; Ewens 2004, ch. 5)."""
    n = check_int("n (samples per generation)", n, minimum=1)
    q = np.asarray(p, dtype=float)
    if not np.isfinite(q).all() or (q <= 0).any() or (q >= 1).any():
        raise ValueError(f"p (share of the category) must be in (0, 1); got {q.tolist()}")
    out = -2.0 * n * q * np.log(q) / (1.0 - q)
    return float(out) if out.ndim == 0 else out


def absorption_time(p: float, n: int) -> float:
    """Mean generations until a category of share p is either lost or fixed (diffusion approximation):
    t̄(p) = −2n [p ln p + (1 − p) ln(1 − p)] (Kimura & Ohta 1969, with 4N → 2n; Ewens 2004, ch. 5)."""
    p = _share(p)
    n = check_int("n (samples per generation)", n, minimum=1)
    return float(-2.0 * n * (p * math.log(p) + (1 - p) * math.log(1 - p)))


def wright_fisher_matrix(n: int) -> np.ndarray:
    """The exact transition matrix of a two-type Wright–Fisher chain on counts 0..n:
    P[i, j] = C(n, j) (i/n)^j (1 − i/n)^(n − j)."""
    from scipy import stats

    n = check_int("n (samples per generation)", n, minimum=1, maximum=5000)
    i = np.arange(n + 1)
    return stats.binom.pmf(i[None, :], n, (i / n)[:, None])


def _count(p: float, n: int) -> int:
    k = p * n
    if not math.isclose(k, round(k), abs_tol=1e-9) or not 0 < round(k) < n:
        raise ValueError(f"p * n must be a whole count strictly between 0 and n for the exact chain; got p = {p}, n = {n}")
    return int(round(k))


def loss_probability_by(p: float, n: int, t: int | Sequence[int]) -> np.ndarray:
    """Exact probability that a category of share p (p n a whole count) is lost by generation t:
    the (p n, 0) entry of the t-th power of :func:`wright_fisher_matrix`."""
    p = _share(p)
    n = check_int("n (samples per generation)", n, minimum=1, maximum=5000)
    ts = np.atleast_1d(np.asarray(t))
    if not np.issubdtype(ts.dtype, np.integer) or (ts < 0).any():
        raise ValueError(f"t must be integer generations >= 0; got {ts.tolist()}")
    P = wright_fisher_matrix(n)
    row = np.zeros(n + 1)
    row[_count(p, n)] = 1.0
    out, done = {}, 0
    for target in sorted(set(ts.tolist())):
        for _ in range(target - done):
            row = row @ P
        done = target
        out[target] = row[0]
    return np.array([out[v] for v in ts.tolist()])


def exact_loss_time(p: float, n: int) -> float:
    """Exact mean generations to loss, given loss, of a category at count p n of the Wright–Fisher chain:
    E[T 1{loss}] / P(loss), with E[T 1{loss} | i] = Σ_j N_ij b_j, N = (I − Q)^{-1} the fundamental matrix
    of the transient states and b_j = 1 − j/n their probability of loss."""
    p = _share(p)
    n = check_int("n (samples per generation)", n, minimum=2, maximum=5000)
    i = _count(p, n)
    Q = wright_fisher_matrix(n)[1:-1, 1:-1]
    b = 1.0 - np.arange(1, n) / n
    visits = np.linalg.solve(np.eye(n - 1) - Q, b)  # (N b)_i = E[T 1{loss} | i]
    return float(visits[i - 1] / b[i - 1])


def tempered(shares: np.ndarray, lam: float) -> np.ndarray:
    """Shares at sampling bias λ: p^{1/λ} / Σ p^{1/λ} along the last axis (λ = 1: unchanged; zeros stay 0)."""
    lam = check_lam(lam)
    p = np.asarray(shares, dtype=float)
    if lam == 1.0:
        return p
    with np.errstate(divide="ignore"):
        logp = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), -np.inf) / lam
    logp = logp - np.max(logp, axis=-1, keepdims=True)
    w = np.exp(logp)
    return w / w.sum(axis=-1, keepdims=True)


def tempered_shares(shares: np.ndarray, lam: float, t: int | Sequence[int]) -> np.ndarray:
    """Shares after t generations of tempering without drift: w_t ∝ w_0^{λ^{−t}} (rows: the t given)."""
    p = check_class_prior(shares, "shares")
    lam = check_lam(lam)
    ts = np.atleast_1d(np.asarray(t))
    if not np.issubdtype(ts.dtype, np.integer) or (ts < 0).any():
        raise ValueError(f"t must be integer generations >= 0; got {ts.tolist()}")
    return np.stack([tempered(p, lam**k) if k else p for k in ts.tolist()])


# --------------------------------------------------------------------------- simulation


def _steps(p0: np.ndarray, n: int, n_init: int, generations: int, chains: int, seed: int, lam: float, stratified: bool):
    """Yield (t, shares of the chains at generation t) for t = 1..generations (see :func:`wright_fisher`)."""
    p = np.broadcast_to(p0, (chains, len(p0)))
    positive = p0 > 0
    for t in range(1, generations + 1):
        draw = rng(seed, t, "wright-fisher")
        q = p if t == 1 else tempered(p, lam)
        counts = draw.multinomial(n_init if t == 1 else n, q).astype(float)
        if stratified and t >= 2:
            total = np.min(counts[:, positive] / p0[positive], axis=1, keepdims=True)
            counts = np.floor(p0 * total + 1e-9)
        sums = counts.sum(axis=1, keepdims=True)
        if (sums == 0).any():
            raise ValueError("stratified resampling kept no rows: a class with a positive target share was lost")
        p = counts / sums
        yield t, p


def _simulation_args(shares, n, generations, chains, seed, lam, n_init):
    p0 = check_class_prior(shares, "shares")
    n = check_int("n (samples per generation)", n, minimum=1)
    n_init = n if n_init is None else check_int("n_init", n_init, minimum=1)
    generations = check_int("generations", generations, minimum=1)
    chains = check_int("chains", chains, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    return p0, n, n_init, generations, chains, seed, check_lam(lam)


def wright_fisher(
    shares: Sequence[float] | np.ndarray,
    n: int,
    generations: int,
    chains: int = 1,
    seed: int = 0,
    lam: float = 1.0,
    stratified: bool = False,
    n_init: int | None = None,
) -> np.ndarray:
    """Exact multinomial simulation of the shares of ``chains`` independent loops.

    Returns an array (chains, generations + 1, K): row 0 holds ``shares`` (the truth), row t the shares
    that G_t learns, i.e. those of its training set. G_1 trains on ``n_init`` (default ``n``) real
    samples, N_1 ~ Multinomial(n_init, p_0); G_t (t ≥ 2) on n samples of G_{t-1} drawn at sampling
    bias λ, N_t ~ Multinomial(n, tempered(p_{t-1}, λ)). With ``stratified`` the counts are then
    subsampled class by class to the shares p_0, keeping the largest set that has them exactly
    (:class:`mad.curation.StratifiedResampler`: total = min_k N_k / p_0k, kept_k = ⌊p_0k · total⌋).
    Generation t draws from ``rng(seed, t, "wright-fisher")``, so a run is reproducible bit for bit.
    """
    p0, n, n_init, generations, chains, seed, lam = _simulation_args(shares, n, generations, chains, seed, lam, n_init)
    out = np.empty((chains, generations + 1, len(p0)))
    out[:, 0] = p0
    for t, p in _steps(p0, n, n_init, generations, chains, seed, lam, bool(stratified)):
        out[:, t] = p
    return out


def loss_times(
    shares: Sequence[float] | np.ndarray, n: int, horizon: int, chains: int = 1, seed: int = 0, lam: float = 1.0, n_init: int | None = None
) -> np.ndarray:
    """The generation at which each category is lost (its share first 0), per chain: (chains, K), NaN when
    it is not lost by ``horizon`` generations. The same chains as :func:`wright_fisher` with the same
    arguments, without keeping their history (memory O(chains · K))."""
    p0, n, n_init, horizon, chains, seed, lam = _simulation_args(shares, n, horizon, chains, seed, lam, n_init)
    first = np.full((chains, len(p0)), np.nan)
    first[:, p0 <= 0] = 0.0
    for t, p in _steps(p0, n, n_init, horizon, chains, seed, lam, False):
        first[np.isnan(first) & (p <= 0)] = t
    return first


def loss_generation(shares: np.ndarray) -> np.ndarray:
    """First generation at which each category's share is 0, per chain (NaN where never lost).

    ``shares`` is (chains, generations + 1, K) as from :func:`wright_fisher`; returns (chains, K)."""
    s = np.asarray(shares, dtype=float)
    if s.ndim != 3:
        raise ValueError(f"shares must be (chains, generations + 1, categories); got shape {s.shape}")
    lost = s <= 0
    first = np.argmax(lost, axis=1).astype(float)
    first[~lost.any(axis=1)] = np.nan
    return first


def mode_shares(X: np.ndarray, modes: np.ndarray) -> np.ndarray:
    """Share of the rows of ``X`` nearest to each of ``modes`` (the Voronoi cells of the modes)."""
    X = np.asarray(X, dtype=float)
    modes = np.asarray(modes, dtype=float)
    if X.ndim != 2 or modes.ndim != 2 or X.shape[1] != modes.shape[1]:
        raise ValueError(f"X (n, d) and modes (K, d) must share d; got shapes {X.shape} and {modes.shape}")
    nearest = np.argmin(((X[:, None, :] - modes[None]) ** 2).sum(-1), axis=1)
    return np.bincount(nearest, minlength=len(modes)) / len(X)


# --------------------------------------------------------------------------- the conditional DDPM with a class prior


class ClassPriorDDPM(ConditionalDDPM):
    """:class:`mad.models.ddpm.ConditionalDDPM` that samples labels from the class prior it learned.

    ``fit`` records the class shares π̂_c = n_c / n of its training labels; ``sample_labelled`` draws
    labels i.i.d. from π̂ at sampling bias λ, c ~ π̂^{1/λ} / Σ π̂^{1/λ} (:func:`tempered`), and then
    images with guidance w = 1/λ − 1 as the parent does. Retrained on its own samples, its prior
    therefore follows the Wright–Fisher chain of :func:`wright_fisher`; λ < 1 favours the majority
    classes twice: in the label prior (the book's rule) and, within each class, through guidance.
    The parent's synthetic sets are class-balanced instead, so its prior cannot drift.
    """

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> ClassPriorDDPM:
        super().fit(X, y)
        counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=self.n_classes_)
        self.class_counts_ = counts
        self.class_prior_ = counts / counts.sum()
        return self

    def _draw_labels(self, n: int, lam: float, random: np.random.Generator) -> np.ndarray:
        """Labels drawn from the learned prior at bias λ, c ~ π̂^{1/λ} (used by ``sample_labelled``)."""
        return random.choice(len(self.class_prior_), size=n, p=tempered(self.class_prior_, lam))


# --------------------------------------------------------------------------- fairness feedback loop


def amplification_bound(delta: float | np.ndarray, m: int, n: int, of: str = "data") -> float | np.ndarray:
    """Bound on bias amplification in a data feedback loop, in the form of Taori & Hashimoto (2023).

    Each round adds n human-labelled and m model-labelled examples to the training set D_t. If every
    model's bias statistic ϕ (here the minority share of the labels it gives) is within δ of that of its
    training set, ``|ϕ(f_t) − ϕ(D_t)| ≤ δ`` ("consistent calibration"), then by induction on

        ϕ(D_{t+1}) = (N_t ϕ(D_t) + n ϕ_H + m ϕ(f_t)) / (N_t + n + m)

    the training set stays within (m/n) δ of the human share ϕ_H (``of="data"``), and the model within
    δ (1 + m/n) (``of="model"``). The human batches' own sampling noise comes on top.
    """
    m = check_int("m (model-labelled examples per round)", m, minimum=0)
    n = check_int("n (human-labelled examples per round)", n, minimum=1)
    if of not in ("data", "model"):
        raise ValueError(f"of must be 'data' or 'model'; got {of!r}")
    d = np.asarray(delta, dtype=float)
    if not np.isfinite(d).all() or (d < 0).any():
        raise ValueError(f"delta (calibration gap) must be finite and >= 0; got {d.tolist()}")
    out = d * (m / n + (1.0 if of == "model" else 0.0))
    return float(out) if out.ndim == 0 else out


def _logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-6, iterations: int = 50) -> tuple[float, float]:
    """Maximum-likelihood logistic regression P(y = 1 | x) = σ(a x + b) on one feature, by Newton's method
    (a tiny ridge keeps it defined if the labels are separable)."""
    theta = np.array([0.0, math.log(max(y.mean(), 1e-6) / max(1 - y.mean(), 1e-6))])
    Z = np.column_stack([x, np.ones_like(x)])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(Z @ theta)))
        grad = Z.T @ (y - p) - ridge * theta
        hess = (Z * (p * (1 - p))[:, None]).T @ Z + ridge * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta = theta + step
        if np.abs(step).max() < 1e-10:
            break
    return float(theta[0]), float(theta[1])


@dataclass(frozen=True)
class FeedbackResult:
    """One feedback loop: per round t = 0..rounds, ``model_share`` ϕ(f_t) (the expected minority share of
    the labels f_t gives, over the population, computed by quadrature), ``label_share`` (the share among
    the m labels it actually gave that round), ``data_share`` ϕ(D_t) (minority share of the labels it
    trained on) and ``gap`` ``|ϕ(f_t) − ϕ(D_t)|``; ``delta`` is the largest gap and ``bound`` the
    :func:`amplification_bound` on ``|ϕ(D_t) − ϕ_H|`` at that δ."""

    table: pd.DataFrame
    delta: float
    bound: float


def feedback_loop(
    labels: str,
    minority_share: float = 0.3,
    separation: float = 1.5,
    n0: int = 200,
    n: int = 100,
    m: int = 200,
    rounds: int = 15,
    seed: int = 0,
) -> FeedbackResult:
    """A classifier retrained each round on its own labels of new data (Taori & Hashimoto 2023).

    Inputs x | y ~ N(±separation/2, 1) with P(y = 1) = ``minority_share`` (class 1, the minority).
    f_0, a logistic regression, trains on ``n0`` human-labelled rows; each round t adds ``n``
    human-labelled rows and ``m`` new rows labelled by f_t, either with its most likely label
    (``labels="argmax"``) or with a label sampled from its predicted probability (``labels="sample"``),
    and f_{t+1} retrains on all rows so far. Argmax labels under-predict a minority whose class overlaps
    the majority, and the training set inherits the smaller share (amplification, bounded by
    :func:`amplification_bound`); sampled labels of a calibrated model keep the share in expectation.
    Round t draws from ``rng(seed, t, "feedback")``.
    """
    if labels not in ("argmax", "sample"):
        raise ValueError(f"labels must be 'argmax' or 'sample'; got {labels!r}")
    share = check_number("minority_share", minority_share, 0.0, 0.5, low_open=True, high_open=True)
    half = check_number("separation", separation, 0.0, None, low_open=True) / 2
    n0 = check_int("n0 (initial human-labelled rows)", n0, minimum=2)
    n = check_int("n (human-labelled rows per round)", n, minimum=1)
    m = check_int("m (model-labelled rows per round)", m, minimum=1)
    rounds = check_int("rounds", rounds, minimum=1)
    seed = check_int("seed", seed, minimum=0)

    def human(k: int, draw: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        y = (draw.random(k) < share).astype(float)
        return (2 * y - 1) * half + draw.standard_normal(k), y

    nodes, weights = np.polynomial.hermite_e.hermegauss(64)  # E[g(Z)], Z ~ N(0, 1), by Gauss–Hermite
    weights = weights / weights.sum()

    def expected_share(a: float, b: float) -> float:
        """ϕ(f): the minority share of f's labels over the population (argmax: P(ax + b > 0); sample: E σ(ax + b))."""
        out = 0.0
        for mean, mass in ((-half, 1 - share), (half, share)):
            z = a * (mean + nodes) + b
            g = (z > 0).astype(float) if labels == "argmax" else 1.0 / (1.0 + np.exp(-z))
            out += mass * float(weights @ g)
        return out

    x, y = human(n0, rng(seed, 0, "feedback"))
    rows = []
    for t in range(rounds + 1):
        draw = rng(seed, t + 1, "feedback")
        a, b = _logistic(x, y)
        xh, yh = human(n, draw)
        xm = human(m, draw)[0]
        prob = 1.0 / (1.0 + np.exp(-(a * xm + b)))
        ym = (prob > 0.5).astype(float) if labels == "argmax" else (draw.random(m) < prob).astype(float)
        model_share, data_share = expected_share(a, b), float(y.mean())
        rows.append(
            dict(
                round=t,
                model_share=model_share,
                label_share=float(ym.mean()),
                data_share=data_share,
                gap=abs(model_share - data_share),
                rows=len(y),
            )
        )
        x, y = np.concatenate([x, xh, xm]), np.concatenate([y, yh, ym])
    table = pd.DataFrame(rows)
    delta = float(table["gap"].max())
    return FeedbackResult(table, delta, amplification_bound(delta, m, n))
