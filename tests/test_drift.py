"""Wright–Fisher drift of category shares (mad.drift): theory, exact small cases, determinism, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mad import drift as D
from mad.curation import StratifiedResampler
from mad.data import FinitePool, GridMixture
from mad.loops import Part

# --------------------------------------------------------------------------- closed forms and exact small cases


def test_gini_simpson_values():
    assert D.gini_simpson([1.0, 0.0]) == 0.0
    assert D.gini_simpson([0.5, 0.5]) == pytest.approx(0.5)
    assert D.gini_simpson(np.full(25, 1 / 25)) == pytest.approx(1 - 1 / 25)
    np.testing.assert_allclose(D.gini_simpson(np.array([[0.5, 0.5], [0.9, 0.1]])), [0.5, 0.18])


def test_expected_gini_simpson_one_step_exact_enumeration():
    # n = 2, p = (0.5, 0.5): counts 0, 1, 2 with probabilities 1/4, 1/2, 1/4 give H = 0, 1/2, 0
    assert D.expected_gini_simpson(0.5, 2, 1) == pytest.approx(0.25)
    # three categories, n = 3: enumerate every multinomial outcome
    p, n = np.array([0.2, 0.3, 0.5]), 3
    expected = 0.0
    for a in range(n + 1):
        for b in range(n + 1 - a):
            c = n - a - b
            prob = stats.multinomial.pmf([a, b, c], n, p)
            expected += prob * D.gini_simpson(np.array([a, b, c]) / n)
    assert D.expected_gini_simpson(D.gini_simpson(p), n, 1) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(D.expected_gini_simpson(0.6, 10, np.array([0, 1, 2])), [0.6, 0.54, 0.486])


def test_simulated_gini_simpson_matches_theory_within_monte_carlo_error():
    shares = np.repeat([0.01, 0.02, 0.04, 0.065], [5, 5, 5, 10])
    sim = D.wright_fisher(shares, 100, 20, chains=3000, seed=7)
    H = D.gini_simpson(sim)
    theory = D.expected_gini_simpson(D.gini_simpson(shares), 100, np.arange(21))
    for t in (1, 5, 10, 20):
        se = H[:, t].std(ddof=1) / math.sqrt(len(H))
        assert abs(H[:, t].mean() - theory[t]) < 4 * se


def test_loss_probability_exact_small_chain():
    # n = 2, one copy: lost at step 1 w.p. 1/4; by step 2: 1/4 + 1/2 · 1/4
    np.testing.assert_allclose(D.loss_probability_by(0.5, 2, [0, 1, 2]), [0.0, 0.25, 0.375])
    # eventually lost with probability 1 − p (martingale)
    assert D.loss_probability_by(0.1, 20, 2000)[0] == pytest.approx(0.9, abs=1e-9)
    assert D.fixation_probability(0.1) == 0.1


def test_exact_loss_time_small_chain_and_diffusion():
    # n = 2 from one copy: every step is absorbed w.p. 1/2 (lost w.p. 1/4), so given loss T ~ Geometric(1/2): mean 2
    assert D.exact_loss_time(0.5, 2) == pytest.approx(2.0)
    # the diffusion approximation is within a few per cent of the exact chain once n p is a few copies
    for p, n in ((0.02, 500), (0.05, 200), (0.1, 100)):
        assert D.loss_time(p, n) == pytest.approx(D.exact_loss_time(p, n), rel=0.05)
    assert D.loss_time(0.02, 500) == pytest.approx(-2 * 500 * 0.02 * math.log(0.02) / 0.98)
    assert D.absorption_time(0.5, 100) == pytest.approx(2 * 100 * math.log(2))


def test_simulated_loss_time_matches_exact_chain():
    L = D.loss_times([0.95, 0.05], 40, 600, chains=4000, seed=3)[:, 1]
    lost = L[np.isfinite(L)]
    assert np.isfinite(L).mean() == pytest.approx(0.95, abs=3 * math.sqrt(0.05 * 0.95 / 4000))
    assert lost.mean() == pytest.approx(D.exact_loss_time(0.05, 40), abs=4 * lost.std() / math.sqrt(len(lost)))


def test_loss_times_agree_with_history():
    shares = [0.05, 0.15, 0.8]
    sim = D.wright_fisher(shares, 30, 40, chains=50, seed=1)
    L = D.loss_times(shares, 30, 40, chains=50, seed=1)
    np.testing.assert_array_equal(D.loss_generation(sim), L)


def test_tempered_shares():
    p = np.array([0.2, 0.8])
    np.testing.assert_allclose(D.tempered(p, 1.0), p)
    np.testing.assert_allclose(D.tempered(p, 0.5), [0.04 / 0.68, 0.64 / 0.68])
    np.testing.assert_allclose(D.tempered([0.0, 1.0], 0.3), [0.0, 1.0])
    # t generations of tempering: w_t ∝ w_0^(λ^-t)
    w = D.tempered_shares(p, 0.5, [0, 1, 2])
    np.testing.assert_allclose(w[2], D.tempered(D.tempered(p, 0.5), 0.5))
    np.testing.assert_allclose(w[2], p**4 / (p**4).sum())


# --------------------------------------------------------------------------- simulator bookkeeping and determinism


def test_wright_fisher_shape_bookkeeping_and_determinism():
    shares = [0.1, 0.3, 0.6]
    a = D.wright_fisher(shares, 50, 10, chains=8, seed=11)
    b = D.wright_fisher(shares, 50, 10, chains=8, seed=11)
    c = D.wright_fisher(shares, 50, 10, chains=8, seed=12)
    assert a.shape == (8, 11, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_allclose(a[:, 0], np.broadcast_to(shares, (8, 3)))
    np.testing.assert_allclose(a.sum(axis=-1), 1.0)
    assert np.all(np.isclose(a * 50, np.round(a * 50)))  # shares are counts / n
    # a lost category never comes back
    lost = a <= 0
    assert np.all(lost[:, 1:] >= lost[:, :-1])


def test_stratified_simulation_pins_shares_like_the_curator():
    shares = [0.1, 0.3, 0.6]
    sim = D.wright_fisher(shares, 200, 8, chains=20, seed=2, lam=0.7, stratified=True)
    np.testing.assert_allclose(sim[:, 2:], np.broadcast_to(shares, sim[:, 2:].shape), atol=0.02)
    free = D.wright_fisher(shares, 200, 8, chains=20, seed=2, lam=0.7)
    assert free[:, -1, 0].max() < 0.01  # without it the minority is tempered away
    # the simulator's rule is the curator's rule
    y = np.repeat([0, 1, 2], [12, 70, 118])
    rows = Part(np.zeros((200, 1)), y, np.ones(200, dtype=int), np.full(200, -1))
    keep = StratifiedResampler(shares).select(rows, None, 2, np.random.default_rng(0))
    kept = np.bincount(y[keep], minlength=3)
    total = np.min(np.bincount(y, minlength=3) / np.array(shares))
    np.testing.assert_array_equal(kept, np.floor(np.array(shares) * total + 1e-9))


def test_grid_with_weights_and_mode_shares():
    w = np.repeat([0.01, 0.02, 0.04, 0.065], [5, 5, 5, 10])
    grid = GridMixture(weights=w)
    X, k = grid.sample_labelled(20000, 0)
    np.testing.assert_allclose(np.bincount(k, minlength=25) / 20000, w, atol=0.006)
    np.testing.assert_allclose(D.mode_shares(X, grid.modes), np.bincount(k, minlength=25) / 20000)
    # the default grid is unchanged (equal weights, same draws)
    X0, k0 = GridMixture().sample_labelled(50, 3)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(k0, rng.integers(0, 25, size=50))


def test_imbalanced_pool_has_the_prior():
    X = np.arange(300, dtype=float)[:, None]
    y = np.repeat([0, 1, 2], 100)
    prior = [0.05, 0.45, 0.5]
    pool = D.imbalanced_pool(FinitePool(X, y), prior, 100, seed=4)
    np.testing.assert_array_equal(np.bincount(pool.y, minlength=3), [5, 45, 50])
    again = D.imbalanced_pool(FinitePool(X, y), prior, 100, seed=4)
    np.testing.assert_array_equal(pool.X, again.X)
    np.testing.assert_allclose(D.imbalanced_prior(10, 0, 0.04)[[0, 1]], [0.04, 0.96 / 9])


def test_class_prior_ddpm_samples_its_learned_prior():
    rng = np.random.default_rng(0)
    X = rng.random((40, 4))
    y = np.repeat([0, 1], [4, 36])
    model = D.ClassPriorDDPM(T=4, width=8, depth=1, n_steps=2, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.class_prior_, [0.1, 0.9])
    Xs, ys = model.sample_labelled(2000, random_state=1)
    assert Xs.shape == (2000, 4)
    assert np.mean(ys == 0) == pytest.approx(0.1, abs=0.03)
    _, yb = model.sample_labelled(2000, lam=0.5, random_state=1)
    assert np.mean(yb == 0) == pytest.approx(0.01 / 0.82, abs=0.01)
    a = model.sample_labelled(30, random_state=5)
    b = model.sample_labelled(30, random_state=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# --------------------------------------------------------------------------- the feedback loop


def test_feedback_loop_bookkeeping_and_determinism():
    a = D.feedback_loop("argmax", rounds=4, seed=3, n0=100, n=20, m=40)
    b = D.feedback_loop("argmax", rounds=4, seed=3, n0=100, n=20, m=40)
    assert list(a.table["rows"]) == [100 + 60 * t for t in range(5)]
    assert a.table.equals(b.table)
    assert a.delta == pytest.approx(a.table["gap"].max())
    assert a.bound == pytest.approx(a.delta * 40 / 20)
    assert D.amplification_bound(0.1, 200, 100, of="model") == pytest.approx(0.3)


def test_argmax_labels_amplify_and_sampled_labels_do_not():
    argmax = [D.feedback_loop("argmax", rounds=8, seed=s) for s in range(8)]
    sample = [D.feedback_loop("sample", rounds=8, seed=s) for s in range(8)]
    drop_argmax = np.mean([r.table["data_share"].iloc[0] - r.table["data_share"].iloc[-1] for r in argmax])
    drop_sample = np.mean([r.table["data_share"].iloc[0] - r.table["data_share"].iloc[-1] for r in sample])
    assert drop_argmax > 0.02
    assert abs(drop_sample) < 0.02
    # argmax under-predicts the minority: its expected share is below the true 0.3
    assert max(r.table["model_share"].iloc[0] for r in argmax) < 0.3


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "prior, match",
    [
        ([0.5, 0.6], "class_prior must sum to 1"),
        ([1.2, -0.2], "non-negative"),
        ([0.5, np.nan], "finite"),
        ([[0.5, 0.5]], "1-D vector"),
        ([1.0], "at least 2"),
        ([0.3, 0.3, 0.3], "sum to 1"),
    ],
)
def test_bad_class_prior_names_the_parameter(prior, match):
    with pytest.raises(ValueError, match=match):
        D.check_class_prior(prior)
    with pytest.raises(ValueError, match="class_prior"):
        D.check_class_prior(prior)


def test_bad_input_errors():
    with pytest.raises(TypeError, match="class_prior"):
        D.check_class_prior("0.5,0.5")
    with pytest.raises(ValueError, match="class_prior must sum to 1"):
        D.imbalanced_pool(FinitePool(np.zeros((10, 1)), np.repeat([0, 1], 5)), [0.7, 0.7], 4)
    with pytest.raises(ValueError, match="weights"):
        GridMixture(weights=np.full(25, 0.05))
    with pytest.raises(ValueError, match="one weight per mode"):
        GridMixture(weights=[0.5, 0.5])
    with pytest.raises(ValueError, match="shares"):
        D.wright_fisher([0.5, -0.5, 1.0], 10, 3)
    with pytest.raises(ValueError, match="n \\(samples per generation\\)"):
        D.wright_fisher([0.5, 0.5], 0, 3)
    with pytest.raises(ValueError, match="p \\(share of the category\\)"):
        D.loss_time(1.5, 100)
    with pytest.raises(ValueError, match="whole count"):
        D.exact_loss_time(0.013, 100)
    with pytest.raises(ValueError, match="λ|lam"):
        D.tempered([0.5, 0.5], 0.0)
    with pytest.raises(ValueError, match="labels must be 'argmax' or 'sample'"):
        D.feedback_loop("softmax")
    with pytest.raises(ValueError, match="minority_share"):
        D.feedback_loop("argmax", minority_share=0.7)
    with pytest.raises(ValueError, match="delta"):
        D.amplification_bound(-0.1, 10, 10)
    with pytest.raises(ValueError, match="minority"):
        D.imbalanced_prior(10, 10, 0.04)
