"""The curation hook: provenance kept aligned, rows only removed, seeded, the Gaussian fast path refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mad
from mad.curation import (
    CurationError,
    Curator,
    DetectorFilter,
    KeepLikely,
    RewardCurator,
    StratifiedResampler,
    curate,
    make_curator,
)
from mad.data import GaussianSource
from mad.gaussian_chains import simulate_chains
from mad.loops import Part, iterate_loop
from mad.metrics import gaussian_w2_squared
from mad.models import GaussianModel

W2 = {"W2²": lambda gen: gaussian_w2_squared(gen.model.mean_, gen.model.cov_)}


def rows(n_real=40, n_synth=60, d=2, labels=False, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n_real + n_synth, d))
    origin = np.r_[np.zeros(n_real, int), np.ones(n_synth, int)]
    real_id = np.r_[np.arange(n_real), -np.ones(n_synth, int)]
    y = r.integers(0, 3, n_real + n_synth) if labels else None
    return Part(X, y, origin, real_id)


def test_curated_rows_keep_their_provenance_and_are_a_subset():
    part = rows(labels=True)
    out = curate(DetectorFilter(0.5, 0.1), part, None, 2, np.random.default_rng(1))
    index = {tuple(x): i for i, x in enumerate(part.X)}
    kept = np.array([index[tuple(x)] for x in out.X])
    assert len(set(kept)) == len(kept) < len(part)
    np.testing.assert_array_equal(out.origin, part.origin[kept])
    np.testing.assert_array_equal(out.real_id, part.real_id[kept])
    np.testing.assert_array_equal(out.y, part.y[kept])


def test_detector_rates_and_effective_real_fraction():
    part = rows(n_real=20000, n_synth=30000)
    out = curate(DetectorFilter(tpr=0.8, fpr=0.05), part, None, 2, np.random.default_rng(2))
    kept_real, kept_synth = np.sum(out.origin == 0), np.sum(out.origin > 0)
    assert kept_real / 20000 == pytest.approx(0.95, abs=0.01)
    assert kept_synth / 30000 == pytest.approx(0.2, abs=0.01)
    frac = DetectorFilter.real_fraction(20000, 30000, 0.8, 0.05)
    assert frac == pytest.approx(19000 / (19000 + 6000))
    assert kept_real / len(out) == pytest.approx(frac, abs=0.01)


def test_perfect_detector_turns_fresh_data_into_real_only_training():
    schedule = mad.fresh_data(50, 200)
    gens = list(iterate_loop(schedule, GaussianModel(), GaussianSource(d=2), 4, seed=3, curator=DetectorFilter(1.0, 0.0)))
    for gen in gens[1:]:
        assert gen.n_synth == 0 and gen.n_real == 50 and gen.n_assembled == 250


def test_a_detector_that_flags_nothing_changes_nothing():
    schedule = mad.fresh_data(30, 60)
    plain = mad.run_loop(schedule, GaussianModel(), GaussianSource(d=3), 5, W2, seed=4)
    idle = mad.run_loop(schedule, GaussianModel(), GaussianSource(d=3), 5, W2, seed=4, curator=DetectorFilter(0.0, 0.0))
    np.testing.assert_array_equal(plain["value"], idle["value"])
    assert set(idle["curator"]) == {"detector(TPR=0, FPR=0)"}


def test_curated_runs_are_reproducible_and_recorded():
    schedule = mad.fully_synthetic(100)
    run = lambda: mad.run_loop(schedule, GaussianModel(), GaussianSource(d=2), 4, W2, seed=5, curator=KeepLikely(0.5))
    a, b = run(), run()
    pd.testing.assert_frame_equal(a, b)
    assert list(a["n_assembled"]) == [100, 100, 100, 100] and list(a["n_synth"])[1:] == [50, 50, 50]
    c = mad.run_loop(schedule, GaussianModel(), GaussianSource(d=2), 4, W2, seed=6, curator=KeepLikely(0.5))
    assert not np.array_equal(a["value"], c["value"])


def test_keep_likely_keeps_the_most_likely_synthetic_rows():
    part = rows(n_real=10, n_synth=100, d=1)
    model = GaussianModel().fit(np.random.default_rng(0).normal(size=(500, 1)))
    out = curate(KeepLikely(0.3), part, model, 2, np.random.default_rng(0))
    synth = part.X[part.origin > 0, 0]
    kept = out.X[out.origin > 0, 0]
    assert len(kept) == 30 and np.sum(out.origin == 0) == 10
    assert np.abs(kept).max() <= np.sort(np.abs(synth - model.mean_[0]))[29] + np.abs(model.mean_[0]) + 1e-9


def test_reward_curator_is_a_bradley_terry_choice():
    X = np.r_[np.zeros((5000, 1)), np.ones((5000, 1))]
    part = Part(X, None, np.ones(10000, int), -np.ones(10000, int))
    out = curate(RewardCurator(lambda x: 2.0 * x[:, 0], k=2), part, None, 2, np.random.default_rng(7))
    # groups mix 0s and 1s at random: P(keep a 1) = 1/4 (both 1) + 1/2 * e²/(1 + e²) (one of each)
    expected = 0.25 + 0.5 * np.exp(2) / (1 + np.exp(2))
    assert len(out) == 5000
    assert out.X.mean() == pytest.approx(expected, abs=0.02)


def test_stratified_resampler_pins_class_shares():
    part = rows(n_real=300, n_synth=300, labels=True)
    out = curate(StratifiedResampler([0.5, 0.25, 0.25]), part, None, 2, np.random.default_rng(8))
    shares = np.bincount(out.y, minlength=3) / len(out)
    np.testing.assert_allclose(shares, [0.5, 0.25, 0.25], atol=0.01)


def test_gaussian_fast_path_refuses_curators():
    with pytest.raises(NotImplementedError, match="cannot apply the row-level curator"):
        simulate_chains(mad.fully_synthetic(10), 2, 3, 4, curator=DetectorFilter(0.5))


class Bad(Curator):
    def __init__(self, answer):
        self.answer = answer

    def select(self, rows, previous, t, random):
        return self.answer


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (np.array([0, 1, 1000]), "outside"),
        (np.array([0, 1, 1]), "duplicate"),
        (np.ones(100, dtype=bool), "boolean mask"),
        (np.array([], dtype=int), "kept 0 of 100 rows"),
        (np.array([0.5, 1.5]), "integer row indices"),
        (np.zeros((2, 2), int), "1-D"),
    ],
)
def test_bad_curator_answers_name_the_curator_and_generation(answer, message):
    with pytest.raises(CurationError, match=f"curator Bad at generation 3.*{message}|{message}"):
        curate(Bad(answer), rows(), None, 3, np.random.default_rng(0))


def test_bad_curator_answer_inside_a_loop_names_the_generation():
    with pytest.raises(CurationError, match="curator Bad at generation 2"):
        mad.run_loop(mad.fully_synthetic(20), GaussianModel(), GaussianSource(d=1), 3, W2, curator=Bad(np.array([0])))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: DetectorFilter(1.5), ValueError, "tpr"),
        (lambda: DetectorFilter(0.5, -0.1), ValueError, "fpr"),
        (lambda: DetectorFilter(float("nan")), ValueError, "tpr"),
        (lambda: DetectorFilter("high"), TypeError, "tpr"),
        (lambda: KeepLikely(0.0), ValueError, "keep"),
        (lambda: RewardCurator("not a function"), TypeError, "reward"),
        (lambda: RewardCurator(np.sum, k=1), ValueError, "k"),
        (lambda: RewardCurator(np.sum, temperature=0), ValueError, "temperature"),
        (lambda: StratifiedResampler([0.5, 0.6]), ValueError, "sum to 1"),
        (lambda: StratifiedResampler([1.5, -0.5]), ValueError, "non-negative"),
        (lambda: make_curator("magic"), ValueError, "unknown curator 'magic'"),
        (
            lambda: mad.run_loop(mad.fully_synthetic(20), GaussianModel(), GaussianSource(d=1), 2, W2, curator="detector"),
            TypeError,
            "curator must be",
        ),
        (lambda: DetectorFilter.real_fraction(10, 10, 1.0, 1.0), ValueError, "removes every row"),
        (lambda: curate(StratifiedResampler([1.0]), rows(), None, 2, np.random.default_rng(0)), CurationError, "needs class labels"),
        (lambda: curate(KeepLikely(), rows(), None, 2, np.random.default_rng(0)), CurationError, "score_samples"),
    ],
)
def test_bad_curator_parameters(call, error, message):
    with pytest.raises(error, match=message):
        call()
