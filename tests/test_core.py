"""Unit tests of the core of mad: configuration, seeding, validation, the Gaussian model, theory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.exceptions import NotFittedError

from mad import config, theory
from mad.data import FinitePool, GaussianSource, GridMixture, PoolExhaustedError, Rosenbrock, load_digits_pool, load_fashion_mnist
from mad.metrics import covariance_trace, frechet_distance, gaussian_w2, gaussian_w2_squared, mean_drift
from mad.models import GaussianModel, make_model
from mad.seeding import derive_seed, rng


# --- configuration -----------------------------------------------------------------------------
def test_scale_default_and_override(monkeypatch):
    monkeypatch.delenv("MAD_SCALE", raising=False)
    assert config.scale() == "book"
    monkeypatch.setenv("MAD_SCALE", "smoke")
    assert config.scale() == "smoke"
    assert config.by_scale(smoke=1, book=2, paper=3) == 1
    assert not config.asserting()
    monkeypatch.setenv("MAD_SCALE", "paper")
    assert config.by_scale(smoke=1, book=2) == 2  # paper falls back to book
    monkeypatch.setenv("MAD_SCALE", "huge")
    with pytest.raises(ValueError, match="MAD_SCALE must be one of smoke, book, paper"):
        config.scale()


def test_seed_override(monkeypatch):
    monkeypatch.delenv("MAD_SEED", raising=False)
    assert config.base_seed() == config.DEFAULT_SEED
    monkeypatch.setenv("MAD_SEED", "7")
    assert config.seeds(3) == [7, 8, 9]
    for bad in ("-1", "abc"):
        monkeypatch.setenv("MAD_SEED", bad)
        with pytest.raises(ValueError, match="MAD_SEED must be a non-negative integer"):
            config.base_seed()


# --- seeding -------------------------------------------------------------------------------------
def test_seeds_derive_from_seed_generation_role():
    a = rng(1, 2, "synth").standard_normal(5)
    assert np.array_equal(a, rng(1, 2, "synth").standard_normal(5))
    assert not np.array_equal(a, rng(1, 3, "synth").standard_normal(5))
    assert not np.array_equal(a, rng(1, 2, "real").standard_normal(5))
    assert not np.array_equal(a, rng(2, 2, "synth").standard_normal(5))
    assert derive_seed(1, 2, "fit") == derive_seed(1, 2, "fit")
    with pytest.raises(ValueError, match="generation must be >= 0"):
        rng(1, -1, "x")
    with pytest.raises(ValueError, match="role must be a non-empty string"):
        rng(1, 0, "")


# --- the Gaussian model --------------------------------------------------------------------------
def test_gaussian_estimators_are_the_unbiased_ones():
    X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 8.0]])
    model = GaussianModel().fit(X)
    assert np.allclose(model.mean_, [2.0, 4.0])
    centred = X - X.mean(0)
    assert np.allclose(model.cov_, centred.T @ centred / 2)  # 1/(n-1)


def test_gaussian_estimator_moments_match_exact_values():
    """E[μ̂] = μ, E[Σ̂] = Σ, Var[μ̂] = Σ/n, over many fits (Monte Carlo within 5 standard errors)."""
    gen = np.random.default_rng(0)
    mu, cov, n, reps = np.array([1.0, -2.0]), np.array([[2.0, 0.6], [0.6, 1.0]]), 10, 4000
    src = GaussianSource(d=2, mean=mu, cov=cov)
    fits = [GaussianModel().fit(src.sample(n, gen)) for _ in range(reps)]
    means = np.array([f.mean_ for f in fits])
    covs = np.array([f.cov_ for f in fits])
    assert np.all(np.abs(means.mean(0) - mu) < 5 * np.sqrt(np.diag(cov) / n / reps))
    # Var(Σ̂_ij) = (Σ_ij² + Σ_ii Σ_jj) / (n - 1) for Gaussian data
    se = np.sqrt((cov**2 + np.outer(np.diag(cov), np.diag(cov))) / (n - 1) / reps)
    assert np.all(np.abs(covs.mean(0) - cov) < 5 * se)
    assert np.allclose(np.cov(means.T), cov / n, rtol=0.1)


@pytest.mark.parametrize("lam", [1.0, 0.5, 0.1])
def test_gaussian_sampling_bias_scales_covariance(lam):
    model = GaussianModel().fit(GaussianSource(d=3, cov=np.diag([1.0, 2.0, 3.0])).sample(50_000, 1))
    X = model.sample(200_000, lam=lam, random_state=2)
    assert np.allclose(np.cov(X.T), lam * model.cov_, atol=0.03)
    assert np.allclose(X.mean(0), model.mean_, atol=0.02)


def test_gaussian_sampling_is_deterministic_under_a_seed():
    model = GaussianModel().fit(np.random.default_rng(0).normal(size=(20, 2)))
    assert np.array_equal(model.sample(5, random_state=3), model.sample(5, random_state=3))


def test_gaussian_bad_inputs_give_clear_errors():
    model = GaussianModel()
    with pytest.raises(NotFittedError, match="call fit"):
        model.sample(3)
    with pytest.raises(ValueError, match="at least 2 samples"):
        model.fit(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="must be 2-D"):
        model.fit(np.zeros(5))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.fit(np.array([[0.0], [np.nan]]))
    model.fit(np.random.default_rng(0).normal(size=(10, 2)))
    for lam in (0.0, -0.5, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"lam \(sampling bias λ\) must be in \(0, 1\]"):
            model.sample(3, lam=lam)
    with pytest.raises(ValueError, match="n must be >= 1"):
        model.sample(-4)
    with pytest.raises(ValueError, match="n must be >= 1"):
        model.sample(0)
    with pytest.raises(ValueError, match="unknown model 'vae'"):
        make_model("vae")


def test_collapsed_gaussian_still_samples():
    model = GaussianModel().fit(np.ones((5, 2)))
    assert np.allclose(model.cov_, 0)
    assert np.allclose(model.sample(4, random_state=0), 1.0)


# --- Gaussian metrics ----------------------------------------------------------------------------
def test_w2_closed_form_against_direct_computation():
    gen = np.random.default_rng(3)
    for d in (1, 2, 5):
        A, B = gen.normal(size=(d, d)), gen.normal(size=(d, d))
        S1, S2 = A @ A.T + 0.1 * np.eye(d), B @ B.T + 0.1 * np.eye(d)
        m1, m2 = gen.normal(size=d), gen.normal(size=d)
        # direct: |m1-m2|² + tr S1 + tr S2 - 2 tr (S2^½ S1 S2^½)^½ with scipy's sqrtm
        from scipy.linalg import sqrtm

        r2 = np.real(sqrtm(S2))
        direct = np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2) - 2 * np.trace(np.real(sqrtm(r2 @ S1 @ r2)))
        assert gaussian_w2_squared(m1, S1, m2, S2) == pytest.approx(direct, rel=1e-8, abs=1e-10)
        assert gaussian_w2(m1, S1, m2, S2) == pytest.approx(np.sqrt(direct), rel=1e-8)
        # symmetric, zero on itself
        assert gaussian_w2_squared(m2, S2, m1, S1) == pytest.approx(direct, rel=1e-8)
        assert gaussian_w2_squared(m1, S1, m1, S1) == pytest.approx(0.0, abs=1e-8)
        # identity fast path agrees with the general formula
        assert gaussian_w2_squared(m1, S1) == pytest.approx(gaussian_w2_squared(m1, S1, np.zeros(d), np.eye(d)), rel=1e-10)


def test_w2_one_dimensional_and_pot_agree():
    import ot

    # 1-D: W2² = (m1-m2)² + (s1-s2)²
    assert gaussian_w2_squared(np.array([1.0]), np.array([[4.0]]), np.array([0.0]), np.array([[1.0]])) == pytest.approx(1 + 1)
    gen = np.random.default_rng(0)
    A = gen.normal(size=(3, 3))
    S = A @ A.T + np.eye(3)
    m = gen.normal(size=3)
    pot = ot.gaussian.bures_wasserstein_distance(m, np.zeros(3), S, np.eye(3)) ** 2
    assert gaussian_w2_squared(m, S) == pytest.approx(float(pot), rel=1e-6)


def test_w2_is_batched_and_frechet_distance_uses_fitted_moments():
    covs = np.stack([np.eye(2), 4 * np.eye(2)])
    out = gaussian_w2_squared(np.zeros((2, 2)), covs)
    assert np.allclose(out, [0.0, 2.0])
    gen = np.random.default_rng(1)
    X, Y = gen.normal(size=(500, 3)), gen.normal(loc=1.0, size=(400, 3))
    mx, my = X.mean(0), Y.mean(0)
    expected = gaussian_w2_squared(mx, np.cov(X.T), my, np.cov(Y.T))
    assert frechet_distance(X, Y) == pytest.approx(expected)
    with pytest.raises(ValueError, match="Y must have 3 features"):
        frechet_distance(X, Y[:, :2])
    assert mean_drift(np.array([3.0, 4.0])) == 5.0
    assert covariance_trace(np.diag([1.0, 2.0])) == 3.0


# --- theory --------------------------------------------------------------------------------------
def test_theory_closed_forms():
    assert theory.expected_trace(1, 0.5, 2.0) == 2.0
    assert theory.expected_trace(3, 0.5, 2.0) == pytest.approx(0.5)
    assert theory.expected_trace(3, 0.5, 2.0, first_unbiased=False) == pytest.approx(0.25)
    # d = 1 drift: log λ + E log(χ²_k / k), checked by Monte Carlo
    k = 9
    mc = np.mean(np.log(stats.chi2(k).rvs(400_000, random_state=0) / k))
    assert theory.log_variance_drift(k + 1, 0.8) == pytest.approx(np.log(0.8) + mc, abs=2e-3)
    assert theory.log_det_drift(2, 100) == pytest.approx(-3 / 99, rel=0.05)
    assert theory.expected_mean_drift_squared(5, 2.0, 10, 10, 1.0) == pytest.approx(2.0 * (0.1 + 0.4))
    with pytest.raises(ValueError, match="n_s must be >= 3"):
        theory.log_det_drift(2, 2)


# --- data sources --------------------------------------------------------------------------------
def test_sources_shapes_and_moments():
    X = GaussianSource(d=3).sample(20_000, 0)
    assert X.shape == (20_000, 3) and np.allclose(X.mean(0), 0, atol=0.03)
    grid = GridMixture()
    Xg, yg = grid.sample_labelled(5000, 0)
    assert grid.modes.shape == (25, 2) and Xg.shape == (5000, 2)
    assert np.max(np.linalg.norm(Xg - grid.modes[yg], axis=1)) < 0.05 * 6
    R = Rosenbrock().sample(50_000, 1)
    assert np.var(R[:, 0]) == pytest.approx(1.0, rel=0.03)
    assert np.var(R[:, 1] - R[:, 0] ** 2) == pytest.approx(0.5, rel=0.03)
    # the log density integrates to one (grid quadrature)
    g1, g2 = np.meshgrid(np.linspace(-6, 6, 601), np.linspace(-4, 40, 2201))
    dens = np.exp(Rosenbrock.log_density(np.column_stack([g1.ravel(), g2.ravel()])))
    assert dens.sum() * (12 / 600) * (44 / 2200) == pytest.approx(1.0, rel=1e-3)


def test_finite_pool_hands_out_without_replacement_and_runs_dry():
    pool = FinitePool(np.arange(10.0).reshape(-1, 1), np.arange(10), name="tiny")
    stream = pool.stream(0)
    a, ya, ida = stream.take(4)
    b, yb, idb = stream.take(6)
    assert sorted(np.concatenate([ida, idb]).tolist()) == list(range(10))
    assert np.array_equal(a[:, 0], ya)
    with pytest.raises(PoolExhaustedError, match="'tiny' has 0 fresh samples left of 10, but 1 were requested"):
        stream.take(1)
    with pytest.raises(ValueError, match="n must be >= 0"):
        pool.stream(0).take(-1)


def test_digits_pool_and_missing_fashion_mnist(tmp_path, monkeypatch):
    pool = load_digits_pool()
    assert len(pool) == 1797 and pool.n_features == 64 and pool.n_classes == 10
    assert pool.X.min() == 0.0 and pool.X.max() == 1.0
    monkeypatch.setattr("mad.data.FASHION_MNIST_DIRS", ())
    monkeypatch.delenv("MAD_FASHION_MNIST_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(data_dir=tmp_path)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_fashion_mnist("valid")


# --- model registry and plotting -----------------------------------------------------------------
def test_every_registered_model_follows_the_protocol():
    from sklearn.base import clone

    from mad.models import REGISTRY
    from mad.models.base import GenerativeModel

    for name in REGISTRY:
        model = make_model(name)
        assert isinstance(model, GenerativeModel), name
        assert model.lam_rule, f"{name} must document how it realises λ (lam_rule)"
        assert type(clone(model)) is type(model)
        with pytest.raises(NotFittedError):
            model.sample(2)


def test_metric_plot_refuses_unknown_metrics():
    import pandas as pd

    from mad.plotting import metric_vs_generation

    df = pd.DataFrame({"generation": [1, 2], "metric": ["fid", "fid"], "value": [1.0, 2.0], "seed": [0, 0], "lam": [1.0, 1.0]})
    fig = metric_vs_generation(df, ["fid"])
    assert fig.axes[0].get_xlabel() == "generation t"
    with pytest.raises(ValueError, match=r"metrics not in results: \['recall'\]"):
        metric_vs_generation(df, ["recall"])


def test_single_torch_thread_restores_the_thread_count():
    import torch

    from mad.models.base import single_torch_thread

    before = torch.get_num_threads()
    with single_torch_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
