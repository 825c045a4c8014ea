"""Sliced Wasserstein distance between two sample sets (Bonneel et al. 2015).

For a direction θ on the unit sphere S^{d-1}, project both sets onto θ; in one dimension the
p-Wasserstein distance between empirical measures has the closed form

    W_p^p(μ_θ, ν_θ) = ∫_0^1 abs(F_θ^{-1}(u) - G_θ^{-1}(u))^p du

(F, G the empirical CDFs; for equal sizes, the mean of abs(x_(i) - y_(i))^p over the sorted
projections). The sliced distance averages over directions and takes the p-th root:

    SW_p(μ, ν) = ( E_θ W_p^p(μ_θ, ν_θ) )^{1/p},

estimated with ``n_projections`` directions drawn uniformly on the sphere from
``random_state`` (so the estimate is deterministic for a fixed seed). Sets of different
sizes are compared through their quantile functions. The same estimator with the same
directions is POT's ``ot.sliced_wasserstein_distance`` (Flamary et al. 2021), the tests'
oracle. Memory is bounded by projecting at most ``BLOCK_PROJECTIONS`` directions at once.
"""

from __future__ import annotations

import numpy as np

from mad.seeding import as_generator
from mad.validation import check_array, check_int, check_number, check_samples

#: directions projected at once (memory ~ (n + m) x BLOCK_PROJECTIONS float64)
BLOCK_PROJECTIONS: int = 64


def random_directions(d: int, n_projections: int, random_state: int | np.random.Generator | None = 0) -> np.ndarray:
    """``n_projections`` unit vectors uniform on S^{d-1}, as the columns of a (d, n_projections) array."""
    d = check_int("d", d, minimum=1)
    n_projections = check_int("n_projections", n_projections, minimum=1)
    theta = as_generator(random_state).standard_normal((d, n_projections))
    return theta / np.linalg.norm(theta, axis=0, keepdims=True)


def wasserstein_1d_pp(x: np.ndarray, y: np.ndarray, p: float = 2.0) -> np.ndarray:
    """W_p^p between the empirical measures of the columns of ``x`` (n, L) and ``y`` (m, L), uniform weights.

    Integrates abs(F^{-1}(u) - G^{-1}(u))^p over the merged breakpoints {i/n} ∪ {j/m} of the two
    quantile functions; returns one value per column.
    """
    x, y = check_array("x", x, ndim=(1, 2), min_rows=1), check_array("y", y, ndim=(1, 2), min_rows=1)
    if x.shape[1:] != y.shape[1:]:
        raise ValueError(f"x and y must have the same columns (projections); got shapes {x.shape} and {y.shape}")
    p = check_number("p", p, 1.0)
    x, y = np.sort(x, axis=0), np.sort(y, axis=0)
    n, m = len(x), len(y)
    if n == m:
        return np.mean(np.abs(x - y) ** p, axis=0)
    # u-grid: all breakpoints of both step quantile functions
    u = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    du = np.diff(np.concatenate([[0.0], u]))
    mid = u - du / 2  # a point strictly inside each interval, where both quantiles are constant
    ix = np.minimum(np.floor(mid * n).astype(np.int64), n - 1)
    iy = np.minimum(np.floor(mid * m).astype(np.int64), m - 1)
    return np.einsum("i,ij->j", du, np.abs(x[ix] - y[iy]) ** p)


def sliced_wasserstein(
    X: np.ndarray,
    Y: np.ndarray,
    n_projections: int = 128,
    p: float = 2.0,
    random_state: int | np.random.Generator | None = 0,
) -> float:
    """Monte-Carlo sliced p-Wasserstein distance SW_p between the rows of ``X`` and ``Y``.

    Deterministic for a fixed ``random_state`` (default 0: the same directions every call, so
    values along a loop are comparable). 0 for identical sets; defined for duplicates and
    collapsed sets (a point mass is just a step quantile function).
    """
    X = check_samples(X, "X", min_samples=1)
    Y = check_samples(Y, "Y", min_samples=1, n_features=X.shape[1])
    n_projections = check_int("n_projections", n_projections, minimum=1)
    p = check_number("p", p, 1.0)
    theta = random_directions(X.shape[1], n_projections, random_state)
    total = 0.0
    for start in range(0, n_projections, BLOCK_PROJECTIONS):
        block = theta[:, start : start + BLOCK_PROJECTIONS]
        total += float(np.sum(wasserstein_1d_pp(X @ block, Y @ block, p)))
    return float((total / n_projections) ** (1.0 / p))


__all__ = ["random_directions", "sliced_wasserstein", "wasserstein_1d_pp"]
