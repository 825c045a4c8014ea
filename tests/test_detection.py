"""Detection: the real-fraction and steady-state formulas, the minimal TPR and the classifier curator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mad
from mad import detection as det
from mad.curation import Curator, DetectorFilter, curate
from mad.data import GaussianSource
from mad.loops import Part
from mad.models import GaussianModel


def test_reference_numbers():
    # n_r = 100, n_s = 900, λ = 0.8: 0.36 without a detector, 0.84 with TPR 0.9 / FPR 0.05, 0.98 with TPR 0.99
    assert det.steady_state_variance(100, 900, 0.8) == pytest.approx(0.1 / 0.28)
    assert det.steady_state_variance(100, 900, 0.8, 0.9, 0.05) == pytest.approx(0.8407, abs=1e-4)
    assert det.steady_state_variance(100, 900, 0.8, 0.99, 0.05) == pytest.approx(0.9814, abs=1e-4)


def test_real_fraction_matches_detector_filter():
    for tpr, fpr in [(0.0, 0.0), (0.9, 0.05), (0.5, 0.3), (1.0, 0.0)]:
        assert det.real_fraction(100, 900, tpr, fpr) == pytest.approx(DetectorFilter.real_fraction(100, 900, tpr, fpr))


def test_exact_recursion_reduces_to_formula_without_randomness_and_large_n():
    # no detector: counts are fixed, only the (small) mean-drift term remains
    exact = det.exact_steady_state_variance(10_000, 90_000, 0.8)
    assert exact == pytest.approx(det.steady_state_variance(10_000, 90_000, 0.8), rel=1e-3)
    # random counts and mean drift push the exact value above the expected-count formula
    assert det.exact_steady_state_variance(100, 900, 0.8, 0.9, 0.05) > det.steady_state_variance(100, 900, 0.8, 0.9, 0.05)


def test_exact_recursion_matches_simulation():
    sims = []
    for seed in range(4):
        res = mad.run_loop(
            mad.fresh_data(50, 200, lam=0.7),
            GaussianModel(),
            GaussianSource(d=4),
            120,
            {"v": lambda g: float(np.trace(g.model.cov_)) / 4},
            seed,
            curator=DetectorFilter(0.6, 0.1),
        )
        sims.append(res[res.generation > 10].value.mean())
    assert np.mean(sims) == pytest.approx(det.exact_steady_state_variance(50, 200, 0.7, 0.6, 0.1), rel=0.03)


def test_minimal_tpr():
    assert det.minimal_tpr(10_000, 2_000) == pytest.approx(0.8)
    assert det.minimal_tpr(1_000, 2_000) == 0.0


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: det.real_fraction(100, 900, 1.5, 0.0), ValueError, "tpr"),
        (lambda: det.real_fraction(100, 900, 0.5, -0.1), ValueError, "fpr"),
        (lambda: det.real_fraction(100, 900, "high", 0.0), TypeError, "tpr"),
        (lambda: det.real_fraction(100, 900, 0.5, float("nan")), ValueError, "fpr"),
        (lambda: det.real_fraction(-1, 900, 0.5, 0.0), ValueError, "n_r"),
        (lambda: det.real_fraction(100, 900, 1.0, 1.0), ValueError, "removes every row"),
        (lambda: det.steady_state_variance(100, 900, 1.5, 0.5), ValueError, "lam"),
        (lambda: det.steady_state_variance(100, 900, 1.0, 0.5, 1.0), ValueError, "no real row"),
        (lambda: det.exact_steady_state_variance(100, 900, 0.8, 2.0), ValueError, "tpr"),
        (lambda: det.minimal_tpr(0, 100), ValueError, "n_s"),
        (lambda: det.minimal_tpr(100, -5), ValueError, "admissible_n_s"),
        (lambda: det.minimal_tpr(100, "many"), TypeError, "admissible_n_s"),
        (lambda: det.ClassifierDetector(42), TypeError, "classifier"),
        (lambda: det.ClassifierDetector(lambda X: X[:, 0], threshold=1.5), ValueError, "threshold"),
        (lambda: det.ClassifierDetector(lambda X: X[:, 0], threshold=0.0), ValueError, "threshold"),
        (lambda: det.ClassifierDetector(lambda X: X[:, 0], transform=3), TypeError, "transform"),
    ],
)
def test_bad_input_names_the_parameter(call, error, words):
    with pytest.raises(error, match=words):
        call()


class _Proba:
    """A stand-in classifier: P(synthetic) = sigmoid of the first column."""

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-X[:, 0]))
        return np.c_[1 - p, p]


def _rows():
    X = np.r_[np.full((5, 2), -3.0), np.full((5, 2), 3.0)]
    return Part(X, None, np.r_[np.zeros(5, int), np.ones(5, int)], np.r_[np.arange(5), -np.ones(5, int)])


@pytest.mark.parametrize("classifier", [_Proba(), lambda Z: 1 / (1 + np.exp(-Z[:, 0]))])
def test_classifier_detector_removes_flagged_rows(classifier):
    detector = det.ClassifierDetector(classifier, threshold=0.5)
    assert isinstance(detector, Curator)
    kept = curate(detector, _rows(), None, 2, np.random.default_rng(0))
    assert (kept.origin == 0).all() and len(kept) == 5
    assert detector.rates(np.full((4, 2), -3.0), np.full((4, 2), 3.0)) == (1.0, 0.0)
    assert "classifier" in detector.name


def test_classifier_detector_uses_transform_and_checks_output():
    flip = det.ClassifierDetector(_Proba(), transform=lambda X: -X)
    kept = curate(flip, _rows(), None, 2, np.random.default_rng(0))
    assert (kept.origin == 1).all()
    bad = det.ClassifierDetector(lambda Z: np.full(len(Z), 2.0))
    with pytest.raises(ValueError, match="probability"):
        bad.flags(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="2-D"):
        det.ClassifierDetector(_Proba()).score(np.zeros(3))


def test_classifier_detector_in_the_loop():
    # a detector that flags everything far from the origin: the loop still runs and records the curator
    detector = det.ClassifierDetector(lambda Z: (np.abs(Z[:, 0]) > 3).astype(float))
    res = mad.run_loop(mad.fresh_data(30, 30), GaussianModel(), GaussianSource(d=2), 3, {"n": lambda g: len(g.train)}, 0, curator=detector)
    assert set(res.curator) == {detector.name}
    assert math.isfinite(res.value.sum())
