"""Gaussian mixture model fitted by EM (scikit-learn), sampled at bias λ.

The fitted density is p(x) = Σ_c π_c N(x; μ_c, Σ_c), estimated with scikit-learn's
``sklearn.mixture.GaussianMixture`` (EM from a k-means start; Pedregosa et al. 2011).
The paper fits such mixtures to the 25-mode grid in its App. B.2 (Alemohammad et al. 2024,
Fig. 14-15) with λ = 1 only: it does not say how λ applies to a mixture.

**λ rule (the book's extension):** sample a component c ~ π, then x ~ N(μ_c, λ Σ_c). Every
component covariance is scaled by λ, as for the single Gaussian, so E[Σ̂_c] shrinks by λ per
generation while the weights π and means μ_c are untouched; λ = 1 is ordinary sampling.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from mad.models.base import GenerativeModel
from mad.models.gaussian import psd_sqrt
from mad.validation import check_int, check_number, check_samples


class GaussianMixtureModel(GenerativeModel):
    """Σ_c π_c N(μ_c, Σ_c) fitted by EM; samples component c ~ π, then N(μ_c, λ Σ_c).

    Parameters
    ----------
    n_components
        Number of mixture components (25 for the 5x5 grid).
    covariance_type
        ``"full"`` (default), ``"diag"``, ``"spherical"`` or ``"tied"``, as in scikit-learn.
    max_iter, tol, n_init, reg_covar
        EM settings passed to scikit-learn; ``reg_covar`` is added to every covariance diagonal,
        a floor that keeps the fit defined when the data collapse.
    random_state
        Seed of the k-means initialisation (the loop runner sets it per generation).

    Attributes
    ----------
    weights_
        Mixture weights π_c, shape (n_components,).
    means_
        Component means μ_c, shape (n_components, d).
    covariances_
        Component covariances Σ_c, always full matrices, shape (n_components, d, d).
    converged_
        Whether EM converged.
    gmm_
        The fitted scikit-learn estimator.
    """

    lam_rule = "component c ~ π, then x ~ N(μ_c, λ Σ_c): λ scales every component covariance (the book's extension; the paper uses λ = 1)"

    def __init__(
        self,
        n_components: int = 25,
        covariance_type: str = "full",
        max_iter: int = 100,
        tol: float = 1e-3,
        n_init: int = 1,
        reg_covar: float = 1e-6,
        random_state: int | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.reg_covar = reg_covar
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> GaussianMixtureModel:
        n_components = check_int("n_components", self.n_components, minimum=1)
        if self.covariance_type not in ("full", "diag", "spherical", "tied"):
            raise ValueError(f"covariance_type must be 'full', 'diag', 'spherical' or 'tied'; got {self.covariance_type!r}")
        X = check_samples(X, min_samples=max(2, n_components))
        gmm = GaussianMixture(
            n_components=n_components,
            covariance_type=self.covariance_type,
            max_iter=check_int("max_iter", self.max_iter, minimum=1),
            tol=check_number("tol", self.tol, 0.0),
            n_init=check_int("n_init", self.n_init, minimum=1),
            reg_covar=check_number("reg_covar", self.reg_covar, 0.0),
            random_state=self.random_state,
        )
        with warnings.catch_warnings():
            # EM on collapsed, nearly duplicated data converges slowly or finds fewer clusters than
            # components; both are expected late in a self-consuming loop, and the fit stays defined
            warnings.simplefilter("ignore", ConvergenceWarning)
            gmm.fit(X)
        d = X.shape[1]
        cov = gmm.covariances_
        if self.covariance_type == "diag":
            cov = np.stack([np.diag(c) for c in cov])
        elif self.covariance_type == "spherical":
            cov = cov[:, None, None] * np.eye(d)
        elif self.covariance_type == "tied":
            cov = np.broadcast_to(cov, (n_components, d, d)).copy()
        self.gmm_ = gmm
        self.weights_ = gmm.weights_ / gmm.weights_.sum()
        self.means_ = gmm.means_
        self.covariances_ = cov
        self._roots = psd_sqrt(cov)
        self.converged_ = bool(gmm.converged_)
        self.fitted_ = True
        return self

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        comp = rng.choice(len(self.weights_), size=n, p=self.weights_)
        z = rng.standard_normal((n, self.means_.shape[1]))
        return self.means_[comp] + np.sqrt(lam) * np.einsum("nij,nj->ni", self._roots[comp], z)

    def log_density(self, X: np.ndarray) -> np.ndarray:
        """log p(x) of the fitted mixture (at λ = 1)."""
        self._check_fitted()
        return self.gmm_.score_samples(check_samples(X, min_samples=1, n_features=self.means_.shape[1]))

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """log p(x) of each row (scikit-learn's name; used by :class:`mad.curation.KeepLikely`)."""
        return self.log_density(X)
