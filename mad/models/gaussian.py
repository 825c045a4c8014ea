"""The multivariate Gaussian model of the paper's theory (Alemohammad et al. 2024, Sec. 3.1).

Fitting uses the unbiased estimators of Eq. (1):

    μ̂ = (1/n) Σ_i x_i,    Σ̂ = 1/(n-1) Σ_i (x_i - μ̂)(x_i - μ̂)ᵀ,

and sampling at bias λ draws from N(μ̂, λ Σ̂), so that E[Σ_t | Σ_{t-1}] = λ Σ_{t-1}.
"""

from __future__ import annotations

import numpy as np

from mad.models.base import GenerativeModel
from mad.validation import check_samples


def psd_sqrt(cov: np.ndarray) -> np.ndarray:
    """Symmetric square root of a (batch of) positive semi-definite matrix, via ``eigh``.

    Negative eigenvalues from round-off are clipped to 0, so a collapsed covariance
    (rank-deficient or all zero) has a well-defined square root.
    """
    vals, vecs = np.linalg.eigh(cov)
    root = np.sqrt(np.clip(vals, 0.0, None))
    return (vecs * root[..., None, :]) @ np.swapaxes(vecs, -1, -2)


class GaussianModel(GenerativeModel):
    """N(μ̂, Σ̂) fitted with the unbiased mean and 1/(n-1) covariance; samples N(μ̂, λ Σ̂).

    Parameters
    ----------
    random_state:
        Unused by ``fit`` (the estimator is deterministic); kept so every model shares
        one constructor signature.

    Attributes
    ----------
    mean_ : ndarray of shape (d,)
    cov_ : ndarray of shape (d, d)
    n_samples_ : number of samples seen by ``fit``
    """

    lam_rule = "samples from N(μ, λ Σ): λ scales the covariance"

    def __init__(self, random_state: int | None = None) -> None:
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> GaussianModel:
        X = check_samples(X, min_samples=2)
        self.mean_ = X.mean(axis=0)
        self.cov_ = np.atleast_2d(np.cov(X, rowvar=False, ddof=1))
        self.n_samples_ = X.shape[0]
        self.fitted_ = True
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Log-density of each row of ``X`` under N(μ̂, Σ̂) (a pseudo-density if Σ̂ is singular)."""
        from scipy.stats import multivariate_normal

        self._check_fitted()
        X = check_samples(X, min_samples=1)
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"X must have {self.mean_.shape[0]} columns like the training data; got {X.shape[1]}")
        return np.atleast_1d(multivariate_normal(self.mean_, self.cov_, allow_singular=True).logpdf(X))

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        d = self.mean_.shape[0]
        z = rng.standard_normal((n, d))
        return self.mean_ + np.sqrt(lam) * z @ psd_sqrt(self.cov_)
