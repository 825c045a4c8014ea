"""k-nearest-neighbour quality and diversity scores: precision, recall, density, coverage.

Let ``real`` = {x_1..x_N} and ``fake`` = {y_1..y_M}, and let r_k(x) be the distance from a
point of a set to its k-th nearest *other* point of the same set (the k-NN radius).

* **Precision** (Kynkäänniemi et al. 2019): the share of fake samples inside the k-NN ball
  of at least one real sample, (1/M) Σ_j 1[∃ i: ‖y_j - x_i‖ ≤ r_k(x_i)]. Quality.
* **Recall** (same paper): the share of real samples inside the k-NN ball of at least one
  fake sample, (1/N) Σ_i 1[∃ j: ‖x_i - y_j‖ ≤ r_k(y_j)]. Diversity.
* **Density** (Naeem et al. 2020): (1/(kM)) Σ_j Σ_i 1[‖y_j - x_i‖ ≤ r_k(x_i)], how many real
  balls contain a fake sample on average, divided by k (1 in expectation when fake = real in law;
  it can exceed 1).
* **Coverage** (same paper): (1/N) Σ_i 1[∃ j: ‖x_i - y_j‖ ≤ r_k(x_i)], the share of real
  balls that contain at least one fake sample.

The paper (Alemohammad et al. 2024) uses k = 5 everywhere, the default here.

Tie policy (documented choice)
------------------------------
Balls are **closed** (``≤``), as in the definition of Kynkäänniemi et al. (2019, Eq. 1).
The reference ``prdc`` package of Naeem et al. compares with a strict ``<``. On continuous
data ties have probability zero and both agree (checked in the tests), but on duplicated or
collapsed sets they differ: with ``≤`` two identical sets always give precision = recall =
coverage = 1, and a fake point that coincides with a real point always counts as inside
that point's ball, even when the real set has collapsed to a point (radius 0). With ``<``
a collapsed set scores 0 against itself. To make duplicates exact, squared distances are
computed in float64 after centring both sets on the coordinate-wise median of the real set, and
a squared distance between rows a and b counts as an exact zero (a duplicate) when

    ‖a - b‖² ≤ ZERO_TOL (‖a‖² + ‖b‖²),    ZERO_TOL = 1e-11,

a tolerance far above the rounding noise of the expansion ‖a‖² + ‖b‖² - 2 a·b of that pair
(about 1e-16 (‖a‖² + ‖b‖²) per coordinate) and far below any real distance. The tolerance is
*per pair* and *scale-free*: multiplying both sets by any factor changes no comparison, and one
far outlier changes only the comparisons it takes part in. (An earlier global floor,
2e-11 max ‖x‖² over both sets, did not: with 500 standard normal points in 2-D, one fake point
at (10⁵, 10⁵) made every pair closer than about 0.6 a "duplicate" and lifted density from
1.00 to 9.4; tested in ``tests/test_bad_inputs.py``.) The median centre keeps a real outlier
from moving the origin either. Every score is therefore defined (never NaN) for any inputs
with at least k + 1 rows.

The k-NN radius excludes the point itself but not its duplicates: in a set where a point
appears more than k times its radius is 0 (the same convention as ``prdc``, which takes the
(k+1)-th smallest distance including the zero self-distance).

Memory
------
Distances are computed in row blocks of at most ``BLOCK_ELEMENTS`` float64 entries
(32 MiB by default), so 10k x 10k sets never build a dense 10k x 10k matrix; every score is
a sum over blocks, so the result does not depend on the block size. The k-th neighbour of each
row is found with k + 1 vectorised ``argmin`` passes (``np.partition`` for k > 32).
``benchmarks/bench_prdc.py`` compares time and memory with the dense ``prdc`` package.
"""

from __future__ import annotations

import numpy as np

from mad.validation import check_int, check_samples

#: most float64 entries of one distance block (4 Mi entries = 32 MiB)
BLOCK_ELEMENTS: int = 1 << 22
#: per-pair relative tolerance: ‖a - b‖² ≤ ZERO_TOL (‖a‖² + ‖b‖²) counts as an exact zero (a duplicate)
ZERO_TOL: float = 1e-11


def _inputs(real: object, fake: object, k: object) -> tuple[np.ndarray, np.ndarray, int]:
    k = check_int("k", k, minimum=1)
    real = check_samples(real, "real", min_samples=k + 1)
    fake = check_samples(fake, "fake", min_samples=k + 1)
    if fake.shape[1] != real.shape[1]:
        raise ValueError(f"real and fake must have the same number of features; got {real.shape[1]} and {fake.shape[1]}")
    centre = np.median(real, axis=0)  # robust: one outlier does not move the origin of the tolerance
    return real - centre, fake - centre, k


def _row_blocks(n_rows: int, n_cols: int) -> list[slice]:
    step = max(1, BLOCK_ELEMENTS // max(1, n_cols))
    return [slice(i, min(i + step, n_rows)) for i in range(0, n_rows, step)]


def _sq_dists(A: np.ndarray, a2: np.ndarray, B: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """‖a - b‖² = ‖a‖² + ‖b‖² - 2 a·b for rows of A and B, with duplicates set to exactly 0.

    A pair is a duplicate when ‖a - b‖² ≤ ZERO_TOL (‖a‖² + ‖b‖²) (see the module notes), so that
    duplicates compare equal across blocks and sets whatever the scale of the data.
    """
    tol = a2[:, None] + b2[None, :]
    d2 = A @ B.T
    d2 *= -2.0
    d2 += tol
    tol *= ZERO_TOL
    d2[d2 <= tol] = 0.0
    return d2


def _kth_smallest(d2: np.ndarray, k: int) -> np.ndarray:
    """The (k+1)-th smallest entry of each row (index k of the sorted row); destroys ``d2``.

    For small k, k + 1 vectorised passes of ``argmin`` (each masking one entry, so duplicates
    count as many times as they appear) are an order of magnitude faster than ``np.partition``.
    """
    if k > 32:
        return np.partition(d2, k, axis=1)[:, k]
    rows = np.arange(d2.shape[0])
    for _ in range(k):
        d2[rows, d2.argmin(axis=1)] = np.inf
    return d2.min(axis=1)


def _radii_sq(X: np.ndarray, x2: np.ndarray, k: int) -> np.ndarray:
    out = np.empty(len(X))
    # A copy, so that X[rows] @ other.T is the general matrix product of _scores, never the symmetric
    # one NumPy picks for X @ X.T: the two round differently (~1e-16), and a radius from one and a
    # distance from the other made a neighbour on the ball's edge fall outside it (density of two
    # identical sets below (k + 1)/k for about a third of seeds).
    other = X.copy()
    for rows in _row_blocks(len(X), len(X)):
        # the self-distance is 0, the smallest possible entry, so index k of the sorted row is the
        # distance to the k-th nearest *other* row
        out[rows] = _kth_smallest(_sq_dists(X[rows], x2[rows], other, x2), k)
    return out


def knn_radii(X: np.ndarray, k: int = 5) -> np.ndarray:
    """Distance from each row of ``X`` to its k-th nearest other row (the k-NN ball radius).

    0 for a row with more than k exact duplicates (up to the per-pair tolerance described above).
    """
    k = check_int("k", k, minimum=1)
    X = check_samples(X, "X", min_samples=k + 1)
    X = X - np.median(X, axis=0)
    x2 = np.einsum("ij,ij->i", X, X)
    return np.sqrt(_radii_sq(X, x2, k))


def _scores(real: np.ndarray, fake: np.ndarray, k: int, want_recall: bool) -> dict[str, float]:
    x2 = np.einsum("ij,ij->i", real, real)
    y2 = np.einsum("ij,ij->i", fake, fake)
    r2 = _radii_sq(real, x2, k)
    f2 = _radii_sq(fake, y2, k) if want_recall else None
    in_real_ball = np.zeros(len(fake), dtype=bool)  # precision: fake j in some real ball
    balls_per_fake = np.zeros(len(fake), dtype=np.int64)  # density
    real_covered = np.zeros(len(real), dtype=bool)  # coverage: real ball i holds some fake
    real_recalled = np.zeros(len(real), dtype=bool)  # recall: real i in some fake ball
    for rows in _row_blocks(len(real), len(fake)):
        d2 = _sq_dists(real[rows], x2[rows], fake, y2)  # (block of real) x (all fake)
        inside = d2 <= r2[rows, None]
        in_real_ball |= inside.any(axis=0)
        balls_per_fake += np.count_nonzero(inside, axis=0)
        real_covered[rows] = inside.any(axis=1)
        if want_recall:
            real_recalled[rows] = (d2 <= f2[None, :]).any(axis=1)
    out = {
        "precision": float(in_real_ball.mean()),
        "density": float(balls_per_fake.sum() / (k * len(fake))),
        "coverage": float(real_covered.mean()),
    }
    if want_recall:
        out["recall"] = float(real_recalled.mean())
    return out


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN balls; closed balls.

    ``real`` and ``fake`` are (n, d) arrays with n ≥ k + 1 and the same d.
    """
    real, fake, k = _inputs(real, fake, k)
    s = _scores(real, fake, k, want_recall=True)
    return s["precision"], s["recall"]


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020), with k-NN balls around real samples only."""
    real, fake, k = _inputs(real, fake, k)
    s = _scores(real, fake, k, want_recall=False)
    return s["density"], s["coverage"]


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage in one pass: a dict with those four keys."""
    real, fake, k = _inputs(real, fake, k)
    s = _scores(real, fake, k, want_recall=True)
    return {key: s[key] for key in ("precision", "recall", "density", "coverage")}


__all__ = ["BLOCK_ELEMENTS", "density_coverage", "knn_radii", "precision_recall", "prdc"]
