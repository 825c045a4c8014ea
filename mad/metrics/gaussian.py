"""Distances between Gaussians, and the Fréchet distance on features ("FID").

The 2-Wasserstein distance between N(m1, S1) and N(m2, S2) has the closed form
(Dowson & Landau 1982; Givens & Shortt 1984)::

    W2² = |m1 - m2|² + tr(S1 + S2 - 2 (S2^{1/2} S1 S2^{1/2})^{1/2}).

The Fréchet Inception Distance (Heusel et al. 2017) is this W2² between Gaussians fitted to
features of two sample sets; the paper uses LeNet features for MNIST and still calls it FID.
All computations are in float64 and accept batches (leading dimensions) of means and covariances.
"""

from __future__ import annotations

import numpy as np

from mad.models.gaussian import psd_sqrt
from mad.validation import check_array, check_covariance, check_samples


def gaussian_w2_squared(m1: np.ndarray, S1: np.ndarray, m2: np.ndarray | None = None, S2: np.ndarray | None = None) -> np.ndarray | float:
    """W2² between N(m1, S1) and N(m2, S2) (default N(0, I)); batched over leading axes.

    The means must be finite and the covariances finite, symmetric and positive semi-definite
    (:func:`mad.validation.check_covariance`): a negative-definite "covariance" is an error, not
    a distance.
    """
    m1 = check_array("m1", m1, ndim=tuple(range(1, 33)))
    d = m1.shape[-1]
    S1 = check_array("S1", S1)
    if S1.shape[-2:] != (d, d):
        raise ValueError(f"S1 must have shape (..., {d}, {d}) to match m1; got {S1.shape}")
    S1 = check_covariance("S1", S1, d=d)
    if m2 is not None:
        m2 = check_array("m2", m2, n_features=d)
    if S2 is None:
        # closed form against N(m2, I): tr S1 + d - 2 tr S1^{1/2} = Σ_i (√eig_i - 1)²
        m2 = np.zeros(d) if m2 is None else np.asarray(m2, dtype=np.float64)
        eig = np.clip(np.linalg.eigvalsh(S1), 0.0, None)
        value = np.sum((m1 - m2) ** 2, axis=-1) + np.sum((np.sqrt(eig) - 1.0) ** 2, axis=-1)
        return float(value) if np.ndim(value) == 0 else value
    m2 = np.zeros(d) if m2 is None else np.asarray(m2, dtype=np.float64)
    S2 = check_array("S2", S2)
    if S2.shape[-2:] != (d, d):
        raise ValueError(f"S2 must have shape (..., {d}, {d}); got {S2.shape}")
    S2 = check_covariance("S2", S2, d=d)
    root2 = psd_sqrt(S2)
    middle = root2 @ S1 @ root2
    cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + np.swapaxes(middle, -1, -2)) / 2), 0.0, None)), axis=-1)
    value = np.sum((m1 - m2) ** 2, axis=-1) + np.trace(S1, axis1=-2, axis2=-1) + np.trace(S2, axis1=-2, axis2=-1) - 2 * cross
    value = np.maximum(value, 0.0)
    return float(value) if np.ndim(value) == 0 else value


def gaussian_w2(m1: np.ndarray, S1: np.ndarray, m2: np.ndarray | None = None, S2: np.ndarray | None = None) -> np.ndarray | float:
    """W2 (not squared) between N(m1, S1) and N(m2, S2); see :func:`gaussian_w2_squared`."""
    return np.sqrt(gaussian_w2_squared(m1, S1, m2, S2))


def fit_gaussian(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased (1/(n-1)) covariance of the rows of ``X``, in float64."""
    X = check_samples(X, min_samples=2)
    return X.mean(axis=0), np.atleast_2d(np.cov(X, rowvar=False, ddof=1))


def frechet_distance(X: np.ndarray, Y: np.ndarray) -> float:
    """Fréchet distance (the "FID" formula): W2² between Gaussians fitted to the rows of X and Y."""
    X = check_samples(X, "X", min_samples=2)
    Y = check_samples(Y, "Y", min_samples=2, n_features=X.shape[1])
    mx, sx = fit_gaussian(X)
    my, sy = fit_gaussian(Y)
    return float(gaussian_w2_squared(mx, sx, my, sy))


def mean_drift(mean: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray | float:
    """Euclidean distance ``|μ - μ_ref|`` (default μ_ref = 0), batched over leading axes."""
    mean = check_array("mean", mean, ndim=tuple(range(1, 33)))
    ref = np.zeros(mean.shape[-1]) if reference is None else check_array("reference", reference, n_features=mean.shape[-1])
    value = np.linalg.norm(mean - ref, axis=-1)
    return float(value) if np.ndim(value) == 0 else value


def covariance_trace(cov: np.ndarray) -> np.ndarray | float:
    """tr Σ (the total variance), batched over leading axes."""
    cov = check_array("cov", cov)
    if cov.ndim < 2 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError(f"cov must be a square matrix (or a batch of them, shape (..., d, d)); got shape {cov.shape}")
    value = np.trace(cov, axis1=-2, axis2=-1)
    return float(value) if np.ndim(value) == 0 else value
