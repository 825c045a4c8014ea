"""The Gaussian mixture and the RealNVP flow: fit/sample shapes, the λ rules, determinism, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mad.data import GridMixture, Rosenbrock
from mad.loops import fully_synthetic, iterate_loop
from mad.models.flow import RealNVPFlow
from mad.models.gmm import GaussianMixtureModel

GRID = GridMixture()


@pytest.fixture(scope="module")
def gmm() -> GaussianMixtureModel:
    return GaussianMixtureModel(n_components=25, random_state=0).fit(GRID.sample(3000, 0))


@pytest.fixture(scope="module")
def flow() -> RealNVPFlow:
    return RealNVPFlow(n_layers=4, hidden=16, epochs=3, batch_size=128, random_state=0).fit(Rosenbrock().sample(1000, 0))


def test_gmm_fits_the_grid(gmm):
    assert gmm.fitted_ and gmm.means_.shape == (25, 2) and gmm.covariances_.shape == (25, 2, 2)
    assert gmm.weights_.sum() == pytest.approx(1.0)
    # every true mode has a fitted mean close to it
    d = np.linalg.norm(GRID.modes[:, None] - gmm.means_[None], axis=-1).min(axis=1)
    assert d.max() < 0.1
    X = gmm.sample(500, random_state=1)
    assert X.shape == (500, 2) and np.all(np.isfinite(X))


def test_gmm_lam_scales_every_component_covariance(gmm):
    n = 200_000
    comp_mean = lambda X: gmm.means_[gmm.gmm_.predict(X)]  # noqa: E731
    X1 = gmm.sample(n, lam=1.0, random_state=2)
    Xl = gmm.sample(n, lam=0.5, random_state=2)
    # same component draws (same random stream), residuals scaled by exactly √λ
    np.testing.assert_allclose(Xl - comp_mean(X1), np.sqrt(0.5) * (X1 - comp_mean(X1)), atol=1e-12)
    # and the within-component variance is λ times the fitted one on average
    expected = np.einsum("c,cii->", gmm.weights_, gmm.covariances_)
    resid = Xl - comp_mean(X1)
    assert (resid**2).sum(axis=1).mean() == pytest.approx(0.5 * expected, rel=0.02)


def test_gmm_covariance_types_give_full_matrices():
    X = GRID.sample(500, 3)
    for kind in ("diag", "spherical", "tied"):
        m = GaussianMixtureModel(n_components=5, covariance_type=kind, random_state=0).fit(X)
        assert m.covariances_.shape == (5, 2, 2)
        assert m.sample(10, random_state=0).shape == (10, 2)


def test_gmm_defined_on_collapsed_data():
    X = np.zeros((60, 2))
    m = GaussianMixtureModel(n_components=3, random_state=0).fit(X)
    assert np.all(np.isfinite(m.sample(20, random_state=0)))


def test_flow_fits_and_samples(flow):
    assert flow.loss_history_[-1] < flow.loss_history_[0]
    X = flow.sample(300, random_state=1)
    assert X.shape == (300, 2) and np.all(np.isfinite(X))
    # exact likelihood: a trained flow scores real data above a far-away blob
    real = Rosenbrock().sample(200, 5)
    assert flow.log_density(real).mean() > flow.log_density(real + 10.0).mean()


def test_flow_inverse_is_exact(flow):
    import torch

    X = Rosenbrock().sample(100, 6)
    with torch.no_grad():
        z, _ = flow._to_latent(torch.as_tensor(X))
        for layer in reversed(flow.layers_):
            z = layer.inverse(z)
        back = (z * flow._scale + flow._shift).numpy()
    np.testing.assert_allclose(back, X, atol=1e-10)


def test_flow_lam_shrinks_the_latent(flow):
    """z ~ N(0, λ I): the sample at λ is f^{-1}(√λ z) of the same z, so its latent has λ times the variance."""
    import torch

    Xl = flow.sample(5000, lam=0.5, random_state=7)
    X1 = flow.sample(5000, lam=1.0, random_state=7)
    with torch.no_grad():
        zl, _ = flow._to_latent(torch.as_tensor(Xl))
        z1, _ = flow._to_latent(torch.as_tensor(X1))
    np.testing.assert_allclose(zl.numpy(), np.sqrt(0.5) * z1.numpy(), atol=1e-8)
    assert (zl.numpy() ** 2).mean() == pytest.approx(0.5, rel=0.05)


def test_flow_is_deterministic_and_clonable():
    X = Rosenbrock().sample(300, 8)
    params = dict(n_layers=2, hidden=8, epochs=1, batch_size=64)
    a = RealNVPFlow(**params, random_state=3).fit(X).sample(50, random_state=0)
    b = clone(RealNVPFlow(**params, random_state=3)).fit(X).sample(50, random_state=0)
    np.testing.assert_array_equal(a, b)


def test_models_run_in_the_loop():
    gens = list(iterate_loop(fully_synthetic(300), GaussianMixtureModel(n_components=4), GRID, 3, seed=0))
    assert [g.t for g in gens] == [1, 2, 3] and all(g.model.fitted_ for g in gens)
    gens = list(iterate_loop(fully_synthetic(200, lam=0.75), RealNVPFlow(n_layers=2, hidden=8, epochs=1), Rosenbrock(), 2, seed=0))
    assert gens[-1].eval_samples(50)[0].shape == (50, 2)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: GaussianMixtureModel(n_components=0).fit(np.zeros((10, 2))), ValueError, "n_components must be >= 1"),
        (lambda: GaussianMixtureModel(covariance_type="round").fit(np.zeros((10, 2))), ValueError, "covariance_type must be"),
        (lambda: GaussianMixtureModel(n_components=25).fit(np.zeros((10, 2))), ValueError, "X needs at least 25 samples"),
        (lambda: GaussianMixtureModel().sample(5), NotFittedError, "not fitted yet"),
        (lambda: RealNVPFlow(epochs=0).fit(np.zeros((10, 2))), ValueError, "epochs must be >= 1"),
        (lambda: RealNVPFlow(lr=0).fit(np.zeros((10, 2))), ValueError, "lr must be a positive number"),
        (lambda: RealNVPFlow().fit(np.zeros(10)), ValueError, "X must be 2-D"),
        (lambda: RealNVPFlow().sample(5), NotFittedError, "not fitted yet"),
    ],
)
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_bad_lam(gmm, flow):
    for model in (gmm, flow):
        with pytest.raises(ValueError, match=r"lam \(sampling bias λ\) must be in \(0, 1\]"):
            model.sample(5, lam=1.5)
