"""Closed forms the book overlays on its simulations (Alemohammad et al. 2024, Sec. 3.1, App. A).

Indexing: the book numbers models from 1. G_1 is fitted to ``n_init`` unbiased real samples
of P_r = N(μ_0, Σ_0); G_t (t ≥ 2) is fitted to ``n_s`` samples of N(μ_{t-1}, λ Σ_{t-1}).
The unbiased estimators give E[Σ_1] = Σ_0 and E[Σ_t | Σ_{t-1}] = λ Σ_{t-1}, hence

    E tr Σ_t = λ^{t-1} tr Σ_0.

(The paper, which also draws the first set at bias λ, writes E tr Σ_t = λ^t tr Σ_0.)

The *typical* path differs from the mean: (n_s - 1) Σ_t / λ given Σ_{t-1} is Wishart with
n_s - 1 degrees of freedom, whose log-determinant has the exact expectation
Σ_{i=1}^{d} [ψ((k - i + 1)/2) + log 2] + log det Σ (k = n_s - 1, ψ the digamma function).
So log det Σ_t is a random walk with drift per generation

    δ = d log λ + Σ_{i=1}^{d} ψ((k - i + 1)/2) + d log(2 / k)  < 0,

even at λ = 1 (≈ -d(d+1)/(2k) for large k): almost every path collapses while the mean
stays put, because the distribution of Σ_t becomes ever more heavy-tailed.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma

from mad.validation import check_array, check_int, check_lam, check_number


def _generations(t: object) -> np.ndarray:
    """Generation numbers t ≥ 1 (a number or an array of them), finite."""
    t = check_array("t (generation)", t)
    if np.any(t < 1):
        raise ValueError(f"t (generation) must be >= 1; got {t.min():g}")
    return t


def expected_trace(t: np.ndarray | int, lam: float, trace0: float, first_unbiased: bool = True) -> np.ndarray:
    """E tr Σ_t = λ^{t-1} tr Σ_0 (book indexing); ``first_unbiased=False`` gives the paper's λ^t."""
    lam = check_lam(lam)
    t = _generations(t)
    trace0 = check_number("trace0", trace0, 0.0)
    return trace0 * lam ** (t - 1 if first_unbiased else t)


def log_det_drift(d: int, n_s: int, lam: float = 1.0) -> float:
    """Exact E[log det Σ_t - log det Σ_{t-1}] for the Gaussian fully synthetic loop."""
    d = check_int("d", d, minimum=1)
    n_s = check_int("n_s", n_s, minimum=d + 1)
    lam = check_lam(lam)
    k = n_s - 1
    i = np.arange(1, d + 1)
    return float(d * np.log(lam) + np.sum(digamma((k - i + 1) / 2.0)) + d * np.log(2.0 / k))


def log_variance_drift(n_s: int, lam: float = 1.0) -> float:
    """d = 1 case of :func:`log_det_drift`: E[log σ²_t - log σ²_{t-1}] = log λ + ψ(k/2) + log(2/k) ≈ log λ - 1/k."""
    return log_det_drift(1, n_s, lam)


def typical_generalised_variance(t: np.ndarray | int, d: int, n_init: int, n_s: int, lam: float = 1.0) -> np.ndarray:
    """exp(E log det Σ_t / d) for P_r = N(0, I_d): the typical (median-like) per-direction variance of G_t.

    G_1 contributes the drift of a fit to ``n_init`` real samples (at λ = 1); every later
    generation the drift of :func:`log_det_drift` with ``n_s`` and ``lam``.
    """
    t = _generations(t)
    first = log_det_drift(d, n_init, 1.0)
    step = log_det_drift(d, n_s, lam)
    return np.exp((first + (t - 1) * step) / d)


def expected_mean_drift_squared(t: np.ndarray | int, trace0: float, n_init: int, n_s: int, lam: float = 1.0) -> np.ndarray:
    """E|μ_t - μ_0|² = tr Σ_0 [1/n_init + Σ_{s=1}^{t-1} λ^s / n_s] (the martingale's variance).

    At λ = 1 it grows linearly, tr Σ_0 (1/n_init + (t-1)/n_s); for λ < 1 it saturates at
    tr Σ_0 [1/n_init + λ/((1-λ) n_s)]: the collapsing variance freezes the random walk.
    """
    lam = check_lam(lam)
    t = _generations(t)
    trace0 = check_number("trace0", trace0, 0.0)
    n_init = check_int("n_init", n_init, minimum=1)
    n_s = check_int("n_s", n_s, minimum=1)
    steps = t - 1 if lam == 1.0 else lam * (1 - lam ** (t - 1)) / (1 - lam)
    return trace0 * (1.0 / n_init + steps / n_s)
