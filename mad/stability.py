"""How much real data is enough: stability of retraining with a share of real data.

Two small loops, both simulated over many independent chains with vectorised numpy:

* a **kernel density estimate** (1-D, Gaussian kernel) retrained every generation on a fixed real
  set of ``n_r`` points plus ``n_s`` samples of the previous KDE (Bertrand et al. 2024, with
  λ_B = n_s / n_r); the bandwidth is ``h`` plus, optionally, a part proportional to the data's
  spread (``eps``), which makes the fit inflate the variance by a factor 1 + ε;
* the **Gaussian loop** of the paper (1-D, unbiased variance, sampling bias λ) with fresh or fixed
  real data and an ideal **corrector** (Gillman et al. 2024) that replaces each synthetic sample by a
  draw from P_r with probability γ/(1 + γ), so that the corrected synthetic distribution is the
  mixture (p_θ + γ p_r)/(1 + γ).

Every real set is standardised (mean 0, variance 1), so variances are in units of the real variance.
The closed forms: :func:`kde_expected_variance` (the exact expected variance of the KDE loop, finite
samples included), :func:`kde_stationary_variance` (its large-sample fixed point
1 + h²(1 + λ_B) for a fixed bandwidth, (1 + ε)/(1 − ελ_B) for a spread-proportional one),
:func:`corrected_real_fraction` and :func:`steady_state_ratio` (w / (1 − (1 − w)λ)).
"""

from __future__ import annotations

import math

import numpy as np

from mad.seeding import as_generator
from mad.validation import check_bool, check_int, check_lam, check_number


def _nonneg(name: str, value: object) -> float:
    return check_number(name, value, 0.0)


def _fraction01(name: str, value: object) -> float:
    return check_number(name, value, 0.0, 1.0)


# --------------------------------------------------------------------------- kernel density loop


def kde_loop(
    n_r: int,
    n_s: int,
    h: float,
    generations: int,
    chains: int,
    eps: float = 0.0,
    keep_real: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Simulate the KDE retraining loop; return the model variance, shape (chains, generations + 1).

    Each chain draws its own real set of ``n_r`` points from N(0, 1) and standardises it (mean 0,
    variance 1 with the 1/n convention), so the variances are in units of the real variance. The
    KDE of a training set T has variance P(T) + h_T², P the 1/n variance of T, with bandwidth
    h_T² = h² + ε P(T). Generation 0 is the KDE of the real set; generation t is the KDE of the real
    set plus ``n_s`` samples of generation t − 1 (``keep_real=True``), or of the samples alone.
    """
    n_r = check_int("n_r", n_r, 2)
    n_s = check_int("n_s", n_s, 1)
    h = _nonneg("h", h)
    eps = _nonneg("eps", eps)
    generations = check_int("generations", generations, 1)
    chains = check_int("chains", chains, 2)
    keep_real = check_bool("keep_real", keep_real)
    rng = as_generator(random_state)
    real = rng.standard_normal((chains, n_r))
    real = (real - real.mean(axis=1, keepdims=True)) / real.std(axis=1, keepdims=True)
    rows = np.arange(chains)[:, None]
    train = real
    out = np.empty((chains, generations + 1))
    for t in range(generations + 1):
        spread = train.var(axis=1)
        bw = np.sqrt(h * h + eps * spread)
        out[:, t] = spread + bw**2
        if t == generations:
            break
        idx = rng.integers(0, train.shape[1], size=(chains, n_s))
        synth = train[rows, idx] + bw[:, None] * rng.standard_normal((chains, n_s))
        train = np.concatenate([real, synth], axis=1) if keep_real else synth
    return out


def kde_expected_variance(n_r: int, n_s: int, h: float, generations: int, eps: float = 0.0, keep_real: bool = True) -> np.ndarray:
    """Exact expected model variance of :func:`kde_loop`, generations 0..``generations``.

    With a = n_r/(n_r + n_s), b = 1 − a, V the model variance and D the distance of its mean from
    the real mean, the training variance of the next generation has expectation
    a + b(1 − 1/n_s)V + ab(D² + V/n_s) and E D'² = b²(D² + V/n_s); the model variance is
    (1 + ε)P + h². Fully synthetic (``keep_real=False``): E P' = (1 − 1/n_s)V. The recursion is linear
    in (E V, E D²), hence exact.
    """
    n_r = check_int("n_r", n_r, 2)
    n_s = check_int("n_s", n_s, 1)
    h = _nonneg("h", h)
    eps = _nonneg("eps", eps)
    generations = check_int("generations", generations, 1)
    a = n_r / (n_r + n_s) if keep_real else 0.0
    b = 1.0 - a
    v, d2 = (1 + eps) + h * h, 0.0
    out = [v]
    for _ in range(generations):
        p = a + b * (1 - 1 / n_s) * v + a * b * (d2 + v / n_s)
        d2 = b * b * (d2 + v / n_s)
        v = (1 + eps) * p + h * h
        out.append(v)
    return np.array(out)


def kde_stationary_variance(lam_b: float, h: float, eps: float = 0.0) -> float:
    """Large-sample fixed point of the KDE loop's variance (units of the real variance).

    V = (1 + ε)(aV_r + bV) + h² with a = 1/(1 + λ_B), b = λ_B/(1 + λ_B) gives
    V∞ = ((1 + ε) + h²(1 + λ_B)) / (1 − ελ_B): 1 + h²(1 + λ_B) for a fixed bandwidth and
    (1 + ε)/(1 − ελ_B) for a spread-proportional one. ``inf`` when ελ_B ≥ 1 (unstable).
    """
    lam_b = _nonneg("lam_b", lam_b)
    h = _nonneg("h", h)
    eps = _nonneg("eps", eps)
    if eps * lam_b >= 1:
        return math.inf
    return ((1 + eps) + h * h * (1 + lam_b)) / (1 - eps * lam_b)


def is_stable(lam_b: float, eps: float) -> bool:
    """Whether a fit that inflates variance by 1 + ε is stable at λ_B: ελ_B < 1."""
    return _nonneg("eps", eps) * _nonneg("lam_b", lam_b) < 1


# --------------------------------------------------------------------------- Gaussian loop, corrector


def corrected_real_fraction(n_r: float, n_s: float, gamma: float) -> float:
    """Effective real fraction w = (n_r + n_s γ/(1 + γ)) / (n_r + n_s) with an ideal corrector of strength γ."""
    n_r = _nonneg("n_r", n_r)
    n_s = _nonneg("n_s", n_s)
    gamma = _nonneg("gamma", gamma)
    if n_r + n_s <= 0:
        raise ValueError("n_r + n_s must be > 0")
    return (n_r + n_s * gamma / (1 + gamma)) / (n_r + n_s)


def steady_state_ratio(w: float, lam: float) -> float:
    """Steady-state variance ratio v* = w / (1 − (1 − w)λ) of the Gaussian loop with real fraction w."""
    w = _fraction01("w", w)
    lam = check_lam(lam)
    if w == 0 and lam == 1:
        return 1.0  # v_t = v_{t-1}: no pull either way (the limit w → 0 of v*)
    return w / (1 - (1 - w) * lam)


def gaussian_loop(
    n_r: int,
    n_s: int,
    lam: float,
    generations: int,
    chains: int,
    gamma: float = 0.0,
    fixed_real: bool = False,
    random_state: int | np.random.Generator | None = None,
) -> np.ndarray:
    """Simulate the 1-D Gaussian loop; return the variance ratio σ_t²/σ_0², shape (chains, generations + 1).

    Generation t fits mean and unbiased variance to ``n_r`` real points (fresh draws from
    P_r = N(0, 1), or one fixed real set standardised to mean 0 and variance 1 with
    ``fixed_real=True``) plus ``n_s`` samples of N(μ_{t−1}, λσ²_{t−1}). The corrector replaces each
    synthetic sample by a fresh draw from P_r with probability γ/(1 + γ). The sample means and
    scatters of each group are drawn from their exact distributions (normal and scaled χ²), so no
    sample is stored. Generation 0 is P_r itself (σ_0² = 1).
    """
    n_r = check_int("n_r", n_r, 0)
    n_s = check_int("n_s", n_s, 0)
    if n_r + n_s < 2:
        raise ValueError(f"n_r + n_s must be >= 2; got {n_r + n_s}")
    if fixed_real and n_r < 2:
        raise ValueError(f"n_r must be >= 2 with fixed_real=True; got {n_r}")
    lam = check_lam(lam)
    generations = check_int("generations", generations, 1)
    chains = check_int("chains", chains, 2)
    gamma = _nonneg("gamma", gamma)
    rng = as_generator(random_state)
    share = gamma / (1 + gamma)
    mu, var = np.zeros(chains), np.ones(chains)
    out = np.empty((chains, generations + 1))
    out[:, 0] = 1.0
    total = n_r + n_s

    def group(count, centre, scale2):
        # sample mean and scatter of `count` draws from N(centre, scale2); zero when count = 0
        c = np.maximum(count, 1)
        mean = centre + np.sqrt(scale2 / c) * rng.standard_normal(chains)
        scatter = scale2 * 2.0 * rng.gamma(np.maximum(count - 1, 0) / 2.0)
        return mean, scatter

    for t in range(1, generations + 1):
        k = rng.binomial(n_s, share, size=chains) if share > 0 else np.zeros(chains, dtype=int)
        s = n_s - k
        fresh = k + (0 if fixed_real else n_r)
        m_f, q_f = group(fresh, 0.0, 1.0)
        m_s, q_s = group(s, mu, lam * var)
        counts = [fresh, s]
        means = [m_f, m_s]
        scatters = [q_f, q_s]
        if fixed_real:
            counts.append(np.full(chains, n_r))
            means.append(np.zeros(chains))
            scatters.append(np.full(chains, n_r - 1.0))
        pooled = sum(c * m for c, m in zip(counts, means)) / total
        scatter = sum(scatters) + sum(c * (m - pooled) ** 2 for c, m in zip(counts, means))
        mu, var = pooled, scatter / (total - 1)
        out[:, t] = var
    return out
