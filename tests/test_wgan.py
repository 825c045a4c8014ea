"""The WGAN-GP: it trains, samples the right shape and range, truncates as documented, fails clearly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mad.data import load_digits_pool
from mad.loops import fully_synthetic, iterate_loop
from mad.models import REGISTRY, make_model
from mad.models.wgan import WGANGP

FAST = dict(n_steps=25, n_critic=2, batch_size=32, random_state=0)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    return load_digits_pool().X


@pytest.fixture(scope="module")
def model(digits) -> WGANGP:
    return WGANGP(**FAST).fit(digits[:400])


def test_fit_returns_self_and_samples_have_the_right_shape_and_range(digits) -> None:
    gan = WGANGP(**FAST)
    assert gan.fit(digits[:200]) is gan and gan.fitted_
    X = gan.sample(123, random_state=1)
    assert X.shape == (123, 64) and X.dtype == np.float64
    assert np.all(np.isfinite(X)) and X.min() >= 0.0 and X.max() <= 1.0
    assert gan.w_distance_.shape == (FAST["n_steps"],)


def test_critic_separates_real_digits_from_noise_after_a_few_steps(model, digits) -> None:
    noise = model.critic_score(np.random.default_rng(0).random((400, 64)))
    real = model.critic_score(digits[400:800])
    assert np.mean(real[:, None] > noise[None, :]) > 0.9  # AUC: scale-free, unlike a margin on D
    assert model.w_distance_[-10:].mean() > 0  # the critic's Wasserstein estimate is positive


def test_truncation_scales_the_latent_toward_its_mean(model) -> None:
    z1 = model.sample_latent(2000, lam=1.0, random_state=3)
    z7 = model.sample_latent(2000, lam=0.7, random_state=3)
    np.testing.assert_allclose(z7, 0.7 * z1)  # z = ψ z_raw, exactly
    assert z7.std() == pytest.approx(0.7 * z1.std())
    np.testing.assert_array_equal(model.sample(50, lam=0.7, random_state=3), model.decode(model.sample_latent(50, 0.7, 3)))
    # images follow: as ψ -> 0 every sample tends to the single image G(0)
    spread = [model.sample(500, lam=psi, random_state=4).var(axis=0).sum() for psi in (1.0, 0.5, 0.05)]
    assert spread[0] > spread[1] > spread[2] and spread[2] < 0.05 * spread[0]
    np.testing.assert_allclose(model.sample(3, lam=1e-9, random_state=5), model.decode(np.zeros((3, model.latent_dim))), atol=1e-6)


def test_deterministic_under_a_seed_and_clonable(digits) -> None:
    a = WGANGP(**FAST).fit(digits[:200]).sample(20, random_state=7)
    b = WGANGP(**FAST).fit(digits[:200]).sample(20, random_state=7)
    np.testing.assert_array_equal(a, b)
    c = WGANGP(**{**FAST, "random_state": 1}).fit(digits[:200]).sample(20, random_state=7)
    assert not np.allclose(a, c)
    fresh = clone(WGANGP(**FAST))
    assert not getattr(fresh, "fitted_", False) and fresh.get_params()["n_steps"] == FAST["n_steps"]


def test_fit_leaves_torch_threads_and_global_rng_alone_and_samples_the_weight_average(digits) -> None:
    import torch

    threads, state = torch.get_num_threads(), torch.get_rng_state()
    gan = WGANGP(**FAST).fit(digits[:200])
    assert torch.get_num_threads() == threads and torch.equal(torch.get_rng_state(), state)
    last = WGANGP(**FAST, ema_decay=0.0).fit(digits[:200])  # ema_decay = 0: the last iterate
    assert not np.allclose(gan.sample(20, random_state=7), last.sample(20, random_state=7))


def test_runs_in_the_loop_at_the_schedules_truncation(digits) -> None:
    from mad.data import FinitePool

    pool = FinitePool(digits[:300], name="digits-test")
    gens = list(iterate_loop(fully_synthetic(100, lam=0.7), WGANGP(**{**FAST, "n_steps": 10}), pool, generations=2, seed=3))
    assert [g.t for g in gens] == [1, 2] and gens[1].n_real == 0 and gens[1].n_synth == 100
    X, y = gens[1].eval_samples(30)
    assert X.shape == (30, 64) and y is None


@pytest.mark.skipif("wgan" not in REGISTRY, reason="registry line not added yet")
def test_registry_builds_it() -> None:
    assert isinstance(make_model("wgan", n_steps=5), WGANGP)


def test_bad_inputs_give_clear_errors(model, digits) -> None:
    with pytest.raises(ValueError, match="λ"):
        model.sample(10, lam=0.0)
    with pytest.raises(ValueError, match="λ"):
        model.sample(10, lam=1.5)
    with pytest.raises(ValueError, match="n must be >= 1"):
        model.sample(0)
    with pytest.raises(ValueError, match="square images"):
        WGANGP(**FAST).fit(digits[:50, :63])
    with pytest.raises(ValueError, match="n_steps must be >= 1"):
        WGANGP(n_steps=0).fit(digits[:50])
    with pytest.raises(ValueError, match="lr must be a positive number"):
        WGANGP(n_steps=1, lr=-1.0).fit(digits[:50])
    with pytest.raises(ValueError, match="betas must be"):
        WGANGP(n_steps=1, betas=(0.5, 1.0)).fit(digits[:50])
    with pytest.raises(ValueError, match="ema_decay"):
        WGANGP(n_steps=1, ema_decay=1.0).fit(digits[:50])
    with pytest.raises(ValueError, match="NaN"):
        WGANGP(**FAST).fit(np.full((10, 64), np.nan))
    with pytest.raises(NotFittedError, match="fit"):
        WGANGP().sample(3)
    with pytest.raises(ValueError, match="z must have 16 features"):
        model.decode(np.zeros((2, 3)))
