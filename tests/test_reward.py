"""Reward curation on a mixture: exact recursions against the loop, the mode-weight model, the verifier."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mad
from mad.curation import KeepLikely, RewardCurator, curate
from mad.data import GridMixture
from mad.loops import Part
from mad.reward import (
    GridSupport,
    GridWeightsModel,
    ModeReward,
    Verifier,
    curation_step,
    expected_reward,
    kl_divergence,
    real_share_after_curation,
    reward_recursion,
)

GRID = GridMixture()
R = np.linspace(0, 2, 25)
U = np.full(25, 1 / 25)


def test_k2_step_is_a_probability_vector_and_matches_brute_force():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(5))
    r = rng.normal(size=5)
    brute = np.zeros(5)
    for i in range(5):
        for j in range(5):  # pair (i, j): i wins with probability σ(r_i − r_j)
            brute[i] += p[i] * p[j] / (1 + math.exp(r[j] - r[i]))
            brute[j] += p[i] * p[j] / (1 + math.exp(r[i] - r[j]))
    np.testing.assert_allclose(curation_step(p, r, k=2), brute / brute.sum(), rtol=1e-12)
    np.testing.assert_allclose(curation_step(p, r, k=2).sum(), 1.0)


def test_large_k_limit_is_exponential_tilting():
    out = reward_recursion(U, R, 7, k=math.inf)
    expected = np.exp(7 * R) / np.exp(7 * R).sum()
    np.testing.assert_allclose(out[-1], expected, rtol=1e-10)


def test_reference_numbers_of_the_chapter():
    er = expected_reward(reward_recursion(U, R, 15), R)
    np.testing.assert_allclose(er[[1, 5, 15]], [1.159, 1.620, 1.892], atol=2e-3)
    fixed = reward_recursion(U, R, 300, real_share=0.3)[-1]
    assert expected_reward(fixed, R) == pytest.approx(1.347, abs=2e-3)
    assert kl_divergence(U, fixed) == pytest.approx(0.173, abs=2e-3)


def test_real_share_after_curation():
    assert real_share_after_curation(600, 2800, 2) == pytest.approx(0.3)
    assert real_share_after_curation(0, 10, 2) == 0.0


def test_kl_divergence_edge_cases():
    assert kl_divergence(U, U) == 0.0
    assert kl_divergence(U, np.r_[1.0, np.zeros(24)]) == math.inf
    assert kl_divergence(np.r_[1.0, np.zeros(24)], U) == pytest.approx(math.log(25))


def test_simulated_loop_follows_the_k2_recursion():
    """Mean over seeds of the model's E[r] after curation rounds matches the recursion from each seed's G_1."""
    reward = ModeReward(GRID.modes, R)
    dev = []
    for seed in range(6):
        gens = list(
            mad.iterate_loop(mad.fully_synthetic(4000), GridWeightsModel(GRID.modes), GRID, 6, seed=seed, curator=RewardCurator(reward, 2))
        )
        theory = expected_reward(reward_recursion(gens[0].model.weights_, R, 5), R)
        dev.append([g.model.weights_ @ R for g in gens] - theory)
    assert np.abs(np.mean(dev, axis=0)).max() < 0.02


def test_grid_weights_model_fit_sample_and_score():
    X = GRID.sample(5000, 1)
    model = GridWeightsModel(GRID.modes).fit(X)
    np.testing.assert_allclose(model.weights_, U, atol=0.02)
    assert model.std_ == pytest.approx(GRID.std, rel=0.05)
    Y = model.sample(4000, lam=0.25, random_state=2)
    assert GridWeightsModel(GRID.modes).fit(Y).std_ == pytest.approx(0.5 * GRID.std, rel=0.05)
    # a mixture of isotropic Gaussians: the log density at a mode centre is known
    top = model.score_samples(GRID.modes[:1])[0]
    s2 = model.std_**2
    assert top == pytest.approx(math.log(model.weights_[0] / (2 * math.pi * s2)), abs=1e-6)


def test_hallucinations_are_uniform_and_scored():
    model = GridWeightsModel(GRID.modes, error_rate=0.2).fit(GRID.sample(2000, 3))
    Y = model.sample(20000, random_state=4)
    off = ~GridSupport(GRID, 4.0)(Y)
    assert off.mean() == pytest.approx(0.2 * (1 - 25 * math.pi * (4 * GRID.std) ** 2 / 25), abs=0.01)
    assert np.all((Y >= -2.5) & (Y <= 2.5))
    far = np.array([[0.5, 0.5]])
    assert model.score_samples(far)[0] == pytest.approx(math.log(0.2 / 25), abs=1e-3)
    assert GridWeightsModel(GRID.modes).fit(GRID.sample(100, 5)).score_samples(far)[0] < -30


def test_lost_modes_never_come_back():
    X = GRID.sample(500, 6)
    X = X[GridSupport(GRID)(X) & (X[:, 0] > 0.5)]
    model = GridWeightsModel(GRID.modes).fit(X)
    assert np.all(model.weights_[GRID.modes[:, 0] < 0.5] == 0)
    Y = model.sample(2000, random_state=7)
    assert np.all(Y[:, 0] > 0.5)


def _rows(n_real, n_synth, seed=0):
    X = GRID.sample(n_real + n_synth, seed)
    X[n_real : n_real + n_synth // 4] += 0.5  # a quarter of the synthetic rows off the grid
    origin = np.r_[np.zeros(n_real, int), np.ones(n_synth, int)]
    return Part(X, None, origin, np.r_[np.arange(n_real), -np.ones(n_synth, int)])


def test_verifier_keeps_real_rows_and_only_verified_synthetic_ones():
    rows = _rows(30, 200)
    out = curate(Verifier(GridSupport(GRID), keep=0.5), rows, None, 2, np.random.default_rng(0))
    assert np.sum(out.origin == 0) == 30 and np.sum(out.origin > 0) == 100
    assert GridSupport(GRID)(out.X).all()
    few = curate(Verifier(GridSupport(GRID), keep=1.0), rows, None, 2, np.random.default_rng(0))
    assert np.sum(few.origin > 0) == 150  # all that pass, fewer than asked
    rand = curate(Verifier(None, keep=0.5), rows, None, 2, np.random.default_rng(0))
    assert np.sum(rand.origin > 0) == 100 and not GridSupport(GRID)(rand.X).all()
    assert Verifier(None).name == "random(0.5)" and Verifier(GridSupport(GRID)).name == "verifier(0.5)"


def test_keep_likely_and_verifier_in_the_loop():
    model = GridWeightsModel(GRID.modes, error_rate=0.05)
    runs = {
        name: list(mad.iterate_loop(mad.fully_synthetic(4000, n_init=2000), model, GRID, 8, seed=3, curator=cur))[-1].model
        for name, cur in {"likely": KeepLikely(0.5), "verifier": Verifier(GridSupport(GRID), 0.5)}.items()
    }
    assert runs["likely"].std_ < 0.2 * GRID.std and (runs["likely"].weights_ > 0.004).sum() < 20
    assert runs["verifier"].std_ == pytest.approx(GRID.std, rel=0.2) and (runs["verifier"].weights_ > 0.004).sum() >= 23


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: curation_step(U, R, k=3), ValueError, "k \\(group size\\) must be 2 or math.inf"),
        (lambda: curation_step(U, R, temperature=0), ValueError, "temperature must be a positive"),
        (lambda: curation_step(U, R, temperature="hot"), TypeError, "temperature must be a positive number"),
        (lambda: curation_step(U * 2, R), ValueError, "p must sum to 1"),
        (lambda: curation_step(-U, R), ValueError, "p must hold non-negative"),
        (lambda: curation_step(U, R[:3]), ValueError, "rewards must have one entry per mode \\(25\\)"),
        (lambda: reward_recursion(U, R, -1), ValueError, "steps must be >= 0"),
        (lambda: reward_recursion(U, R, 3, real_share=1.0), ValueError, "real_share .* must be in \\[0, 1\\)"),
        (lambda: reward_recursion(U, R, 3, real_share=0.3, real_weights=[1.0]), ValueError, "real_weights must have one entry per mode"),
        (lambda: kl_divergence(U, [0.5, 0.5]), ValueError, "same number of modes"),
        (lambda: real_share_after_curation(10, 10, 1), ValueError, "k \\(group size\\) must be >= 2"),
        (lambda: real_share_after_curation(0, 1, 2), ValueError, "nothing would be left"),
        (lambda: ModeReward(GRID.modes, R[:4]), ValueError, "one entry per mode"),
        (lambda: GridWeightsModel().fit(GRID.sample(10, 0)), ValueError, "modes must be given"),
        (lambda: GridWeightsModel(GRID.modes, error_rate=1.0).fit(GRID.sample(10, 0)), ValueError, "error_rate .* must be in \\[0, 1\\)"),
        (lambda: GridWeightsModel(GRID.modes, min_std=0).fit(GRID.sample(10, 0)), ValueError, "min_std must be a positive"),
        (lambda: GridWeightsModel(GRID.modes).fit(np.zeros((10, 3))), ValueError, "X must have 2 features"),
        (lambda: GridWeightsModel(GRID.modes).sample(5), Exception, "not fitted"),
        (lambda: GridSupport(object()), TypeError, "source must be a mixture"),
        (lambda: GridSupport(GRID, n_std=-1), ValueError, "n_std must be a positive"),
        (lambda: Verifier("yes"), TypeError, "accept must be a function"),
        (lambda: Verifier(keep=0), ValueError, "keep \\(share of synthetic rows kept\\) must be in \\(0, 1\\]"),
        (lambda: Verifier(keep="half"), TypeError, "keep \\(share of synthetic rows kept\\)"),
        (
            lambda: curate(Verifier(lambda X: np.ones(len(X))), _rows(5, 20), None, 2, np.random.default_rng(0)),
            Exception,
            "accept must return one boolean per row",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, match):
    with pytest.raises(error, match=match):
        call()
