"""Accumulate, replace, accumulate-subsample: linear regression and the two covariance estimators.

**Linear regression** (Gerstgrasser et al. 2024; Kazdan et al. 2024). Features x ~ N(0, I_d),
labels y = xᵀw + σε. Generation 1 fits ordinary least squares to T real rows labelled by the true
w*; every later generation draws T fresh feature rows and labels them with the previous fit
(y = xᵀŵ_{t-1} + σε). The training set of generation t is

* ``"replace"``: the T newest rows only;
* ``"accumulate"``: every row so far, real and synthetic (tT rows);
* ``"accumulate-subsample"``: T rows drawn without replacement from those tT rows (a fixed
  training budget, Kazdan et al.'s third setting).

The test error is the excess risk E_x[(xᵀŵ_t − xᵀw*)²] = |ŵ_t − w*|² (x ~ N(0, I_d)). One fit has
E_1 = σ² d / (T − d − 1) (the mean of an inverse Wishart); replacing adds an independent error of
that size every generation, so E_t = t E_1 exactly; accumulating weighs the s-th error by 1/s and
stays near E_1 Σ_{s ≤ t} 1/s² ≤ (π²/6) E_1 (:func:`theory`).

**Covariance estimators.** :func:`gaussian_replace` runs the fully synthetic Gaussian loop with the
covariance fitted as S/(n − ddof): ``ddof=1`` is the unbiased estimator of the paper and of this
book (E tr Σ_t = tr Σ_0), ``ddof=0`` the maximum-likelihood one of Kazdan et al.'s code
(E tr Σ_t = (1 − 1/n)^t tr Σ_0, :func:`mle_theory`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from mad.gaussian_chains import draw_stats, factor
from mad.seeding import rng
from mad.validation import check_int, check_lam, check_number

REGRESSION_LOOPS: tuple[str, ...] = ("replace", "accumulate", "accumulate-subsample")


def _check_positive(name: str, value: object) -> float:
    return check_number(name, value, 0.0, low_open=True)


def _check_loop(loop: object) -> str:
    if loop not in REGRESSION_LOOPS:
        raise ValueError(f"loop must be one of {', '.join(REGRESSION_LOOPS)}; got {loop!r}")
    return str(loop)


def single_fit_error(d: int, T: int, sigma: float = 1.0) -> float:
    """E_1 = σ² d / (T − d − 1): the expected excess test error of one least-squares fit to T rows."""
    d = check_int("d", d, minimum=1)
    T = check_int("T (rows per generation)", T, minimum=d + 2)
    sigma = _check_positive("sigma", sigma)
    return sigma**2 * d / (T - d - 1)


def theory(loop: str, generations: int, d: int, T: int, sigma: float = 1.0) -> np.ndarray:
    """The closed form for generations 1..``generations``: t E_1 (replace), E_1 Σ_{s≤t} 1/s² (accumulate).

    For ``"accumulate"`` this is exact when every generation reuses one design matrix and an upper
    bound in the setting of :func:`simulate` (fresh features every generation); there is no closed
    form for ``"accumulate-subsample"``.
    """
    loop = _check_loop(loop)
    generations = check_int("generations", generations, minimum=1)
    e1 = single_fit_error(d, T, sigma)
    t = np.arange(1, generations + 1)
    if loop == "replace":
        return e1 * t
    if loop == "accumulate":
        return e1 * np.cumsum(1.0 / t.astype(float) ** 2)
    raise ValueError("there is no closed form for loop 'accumulate-subsample'; use 'replace' or 'accumulate'")


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.solve(a, b[..., None])[..., 0]


def simulate(loop: str, d: int, T: int, generations: int, chains: int, sigma: float = 1.0, seed: int = 0) -> np.ndarray:
    """Test error |ŵ_t − w*|² of ``chains`` independent regression loops, shape (generations, chains).

    Draws for generation t come from ``rng(seed, t, role)``: the features and label noise (roles
    ``"x"``, ``"noise"``) are shared by the three loops for the same seed (common random numbers),
    the subsample (role ``"subsample"``) is drawn only by ``"accumulate-subsample"``.
    """
    loop = _check_loop(loop)
    d = check_int("d", d, minimum=1)
    T = check_int("T (rows per generation)", T, minimum=d + 2)
    generations = check_int("generations", generations, minimum=1)
    chains = check_int("chains", chains, minimum=2)
    sigma = _check_positive("sigma", sigma)
    seed = check_int("seed", seed, minimum=0)
    w_star = np.ones(d) / np.sqrt(d)
    w = np.broadcast_to(w_star, (chains, d)).copy()
    out = np.empty((generations, chains))
    keep = loop == "accumulate-subsample"
    pool_x = np.empty((chains, generations * T, d)) if keep else None
    pool_y = np.empty((chains, generations * T)) if keep else None
    gram = np.zeros((chains, d, d))
    moment = np.zeros((chains, d))
    rows = np.arange(chains)[:, None]
    for t in range(1, generations + 1):
        x = rng(seed, t, "x").standard_normal((chains, T, d))
        y = np.einsum("ctd,cd->ct", x, w) + sigma * rng(seed, t, "noise").standard_normal((chains, T))
        if loop == "replace" or t == 1:
            w = _solve(np.swapaxes(x, 1, 2) @ x, np.einsum("ctd,ct->cd", x, y))
            if loop == "accumulate":
                gram += np.swapaxes(x, 1, 2) @ x
                moment += np.einsum("ctd,ct->cd", x, y)
        elif loop == "accumulate":
            gram += np.swapaxes(x, 1, 2) @ x
            moment += np.einsum("ctd,ct->cd", x, y)
            w = _solve(gram, moment)
        if keep:
            pool_x[:, (t - 1) * T : t * T] = x  # type: ignore[index]
            pool_y[:, (t - 1) * T : t * T] = y  # type: ignore[index]
            if t > 1:
                pick = np.argpartition(rng(seed, t, "subsample").random((chains, t * T)), T - 1, axis=1)[:, :T]
                xs, ys = pool_x[rows, pick], pool_y[rows, pick]  # type: ignore[index]
                w = _solve(np.swapaxes(xs, 1, 2) @ xs, np.einsum("ctd,ct->cd", xs, ys))
        out[t - 1] = np.sum((w - w_star) ** 2, axis=1)
    return out


def mle_theory(generations: int, n: int, trace0: float, ddof: int) -> tuple[np.ndarray, np.ndarray]:
    """E tr Σ_t and E|μ_t − μ_0|² of the fully synthetic Gaussian loop, t = 1..``generations``.

    G_1 and every later model fit n samples with covariance S/(n − ddof). With r = (n − 1)/(n − ddof)
    (1 for the unbiased estimator, 1 − 1/n for maximum likelihood): E tr Σ_t = r^t tr Σ_0 and
    E|μ_t − μ_0|² = (tr Σ_0 / n) Σ_{s=0}^{t-1} r^s, which grows like t tr Σ_0 / n when r = 1 and levels
    off at tr Σ_0 when r = 1 − 1/n.
    """
    generations = check_int("generations", generations, minimum=1)
    n = check_int("n", n, minimum=2)
    ddof = check_int("ddof", ddof, minimum=0, maximum=1)
    trace0 = _check_positive("trace0", trace0)
    r = (n - 1) / (n - ddof)
    t = np.arange(1, generations + 1)
    trace = trace0 * r**t
    drift = trace0 / n * (t if ddof == 1 else (1 - r**t) / (1 - r))
    return trace, drift


def gaussian_replace(d: int, n: int, generations: int, chains: int, ddof: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """tr Σ_t and |μ_t − μ_0|² of ``chains`` fully synthetic Gaussian loops (P_r = N(0, I_d), λ = 1),
    covariance fitted as S/(n − ddof); each of shape (generations, chains). G_1 fits n real samples.

    Uses the exact sufficient statistics of :func:`mad.gaussian_chains.draw_stats`; the draws of
    generation t come from ``rng(seed, t, "synth")``, so both estimators see the same noise.
    """
    d = check_int("d", d, minimum=1)
    n = check_int("n", n, minimum=2)
    generations = check_int("generations", generations, minimum=1)
    chains = check_int("chains", chains, minimum=2)
    ddof = check_int("ddof", ddof, minimum=0, maximum=1)
    seed = check_int("seed", seed, minimum=0)
    mean = np.zeros((chains, d))
    root = None
    trace = np.empty((generations, chains))
    drift = np.empty((generations, chains))
    for t in range(1, generations + 1):
        stats = draw_stats(n, mean, root, rng(seed, t, "synth"))
        mean, cov = stats.mean, stats.scatter / (n - ddof)
        trace[t - 1] = np.trace(cov, axis1=1, axis2=2)
        drift[t - 1] = np.sum(mean**2, axis=1)
        root = factor(cov)
    return trace, drift


def accumulated_trace(generations: int, lam: float) -> np.ndarray:
    """E tr Σ_t / tr Σ_0 = Γ(t + λ)/(Γ(1 + λ) Γ(t + 1)) for t = 1..``generations``: the Gaussian accumulate
    loop with sampling bias λ (the real set plus every synthetic set so far, n samples each), up to
    the O(1/n) terms of the pooled estimator. It decays like t^(λ−1)/Γ(1 + λ)."""
    generations = check_int("generations", generations, minimum=1)
    lam = check_lam(lam)
    t = np.arange(1, generations + 1, dtype=float)
    return np.exp(gammaln(t + lam) - gammaln(1 + lam) - gammaln(t + 1))
