"""The conditional DDPM, its λ <-> guidance map, and the loop bookkeeping with a neural model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from mad.data import load_digits_pool
from mad.loops import first_generation, fully_synthetic, iterate_loop, run_loop, synthetic_augmentation
from mad.models.base import GenerativeModel
from mad.models.ddpm import ConditionalDDPM, cosine_alpha_bar, guidance_from_lam, lam_from_guidance
from mad.models.gaussian import GaussianModel

TINY = dict(T=8, width=32, depth=1, n_steps=5, batch_size=32)


@pytest.fixture(scope="module")
def digits():
    pool = load_digits_pool()
    return pool.X[:200], pool.y[:200]


def test_guidance_and_lambda_map_both_ways() -> None:
    assert guidance_from_lam(1.0) == 0.0
    assert guidance_from_lam(0.5) == pytest.approx(1.0)
    assert guidance_from_lam(0.8) == pytest.approx(0.25)
    assert lam_from_guidance(0.0) == 1.0
    assert lam_from_guidance(1.0) == 0.5
    for lam in (0.05, 0.3, 0.66, 0.9, 1.0):
        assert lam_from_guidance(guidance_from_lam(lam)) == pytest.approx(lam)
    for bad in (0.0, -0.5, 1.2, float("nan")):
        with pytest.raises(ValueError, match=r"\(0, 1\]"):
            guidance_from_lam(bad)
    for bad in (-0.1, float("inf")):
        with pytest.raises(ValueError, match="w must be >= 0"):
            lam_from_guidance(bad)
    with pytest.raises(TypeError, match="w must be a number"):
        lam_from_guidance("strong")


def test_cosine_schedule_is_decreasing_in_unit_interval() -> None:
    abar = cosine_alpha_bar(100)
    assert abar.shape == (100,) and np.all(np.diff(abar) < 0)
    assert 0.99 < abar[0] < 1 and 0 <= abar[-1] < 1e-3


def test_training_lowers_the_loss(digits) -> None:
    X, y = digits
    model = ConditionalDDPM(T=50, width=64, depth=1, n_steps=300, batch_size=64, random_state=0).fit(X, y)
    hist = model.loss_history_
    assert hist.shape == (300,)
    assert hist[-50:].mean() < 0.7 * hist[:20].mean()


@pytest.mark.parametrize("target, snr_gamma", [("x0", 15.0), ("eps", None), ("eps", 5.0), ("x0", None)])
def test_targets_and_loss_weights_train(digits, target, snr_gamma) -> None:
    X, y = digits
    model = ConditionalDDPM(**TINY, target=target, snr_gamma=snr_gamma, random_state=0).fit(X, y)
    assert model.loss_history_.shape == (5,) and np.all(np.isfinite(model.loss_history_))
    S = model.sample(7, lam=0.5, random_state=0)
    assert S.shape == (7, 64) and 0.0 <= S.min() and S.max() <= 1.0


def test_fit_leaves_the_global_torch_rng_alone(digits) -> None:
    import torch

    X, y = digits
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    ConditionalDDPM(**TINY, random_state=5).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_samples_shape_range_labels_and_determinism(digits) -> None:
    X, y = digits
    model = ConditionalDDPM(**TINY, random_state=1).fit(X, y)
    assert model.conditional and "1/(1 + w)" in model.lam_rule
    for lam in (1.0, 0.5):
        S, labels = model.sample_labelled(53, lam=lam, random_state=3)
        assert S.shape == (53, 64) and S.dtype == np.float64
        assert S.min() >= 0.0 and S.max() <= 1.0
        counts = np.bincount(labels, minlength=10)
        assert counts.sum() == 53 and counts.max() - counts.min() <= 1  # class-balanced
    S2, labels2 = model.sample_labelled(53, lam=0.5, random_state=3)
    np.testing.assert_array_equal(S, S2)
    np.testing.assert_array_equal(labels, labels2)
    assert model.sample(5, lam=1.0, random_state=0).shape == (5, 64)
    # guidance changes the samples (same noise, w = 0 vs w = 1)
    assert not np.allclose(model.generate(labels, 0.0, seed=0), model.generate(labels, 1.0, seed=0))
    # fit is deterministic under random_state
    again = ConditionalDDPM(**TINY, random_state=1).fit(X, y)
    np.testing.assert_array_equal(again.sample_labelled(53, 0.5, 3)[0], S)


def test_clear_errors(digits) -> None:
    X, y = digits
    with pytest.raises(ValueError, match="needs the labels y"):
        ConditionalDDPM(**TINY).fit(X)
    with pytest.raises(ValueError, match="p_uncond"):
        ConditionalDDPM(**TINY, p_uncond=1.0).fit(X, y)
    with pytest.raises(ValueError, match="target must be"):
        ConditionalDDPM(**TINY, target="v").fit(X, y)
    with pytest.raises(ValueError, match="warmup"):
        ConditionalDDPM(**TINY, warmup=1.0).fit(X, y)
    with pytest.raises(ValueError, match="snr_gamma"):
        ConditionalDDPM(**TINY, snr_gamma=0.0).fit(X, y)
    with pytest.raises(ValueError, match="one non-negative integer label"):
        ConditionalDDPM(**TINY).fit(X, y[:10])
    with pytest.raises(Exception, match="not fitted"):
        ConditionalDDPM(**TINY).sample(3)
    model = ConditionalDDPM(**TINY).fit(X, y)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        model.sample(3, lam=0.0)
    assert isinstance(clone(model), GenerativeModel) and not hasattr(clone(model), "net_")


def test_fully_synthetic_bookkeeping_with_the_ddpm() -> None:
    pool = load_digits_pool()
    gens = list(iterate_loop(fully_synthetic(60, lam=0.8), ConditionalDDPM(**TINY), pool, generations=3, seed=4))
    assert [g.t for g in gens] == [1, 2, 3]
    assert gens[0].n_real == 60 and gens[0].n_synth == 0 and set(gens[0].train.real_id) <= set(range(len(pool)))
    for g in gens[1:]:
        assert g.n_real == 0 and g.n_synth == 60
        assert np.all(g.train.origin == g.t - 1) and np.all(g.train.real_id == -1)
        counts = np.bincount(g.train.y, minlength=10)
        assert counts.max() - counts.min() <= 1  # synthetic training sets are class-balanced
        assert g.train.X.min() >= 0 and g.train.X.max() <= 1
    # every generation is a fresh model trained from its own seed
    assert len({id(g.model) for g in gens}) == 3
    assert len({g.model.random_state for g in gens}) == 3


def _metric(gen) -> dict[str, float]:
    X, _ = gen.eval_samples(20)
    return {"mean": float(X.mean()), "std": float(X.std())}


@pytest.mark.parametrize("model", [GaussianModel(), ConditionalDDPM(**TINY)], ids=["gaussian", "ddpm"])
def test_shared_first_generation_gives_identical_runs(model) -> None:
    pool = load_digits_pool()
    schedule = synthetic_augmentation(50, 50, lam=0.8) if model.conditional else fully_synthetic(50, lam=0.8)
    own = run_loop(schedule, model, pool, 3, {"m": _metric}, seed=7)
    first = first_generation(fully_synthetic(50), model, pool, seed=7)
    shared = run_loop(schedule, model, pool, 3, {"m": _metric}, seed=7, first_model=first)
    pd.testing.assert_frame_equal(own, shared)
    with pytest.raises(ValueError, match="not trained as this run's G_1"):
        run_loop(schedule, model, pool, 2, {"m": _metric}, seed=8, first_model=first)
    with pytest.raises(ValueError, match="must be fitted"):
        unfitted = clone(first).set_params(random_state=first.random_state)
        run_loop(schedule, model, pool, 2, {"m": _metric}, seed=7, first_model=unfitted)
