"""k-NN precision/recall/density/coverage against the ``prdc`` package, sliced Wasserstein against POT,
and the cases whose answer is known (identical, disjoint, duplicated and collapsed sets)."""

from __future__ import annotations

import numpy as np
import ot
import pytest
from prdc import compute_prdc

import mad.metrics.neighbours as nb
import mad.metrics.wasserstein as sw
from mad.metrics.neighbours import density_coverage, knn_radii, prdc, precision_recall
from mad.metrics.wasserstein import random_directions, sliced_wasserstein

KEYS = ("precision", "recall", "density", "coverage")


def _reference(real, fake, k):
    out = compute_prdc(real, fake, nearest_k=k)
    return {key: float(out[key]) for key in KEYS}


@pytest.mark.parametrize(
    ("n", "m", "d", "k", "shift"), [(300, 200, 2, 5, 0.3), (400, 500, 64, 5, 0.1), (250, 250, 10, 3, 0.0), (200, 300, 5, 10, 1.0)]
)
def test_prdc_matches_reference_package(n, m, d, k, shift, capsys):
    rng = np.random.default_rng(n + d)
    real = rng.standard_normal((n, d))
    fake = 1.2 * rng.standard_normal((m, d)) + shift
    ours = prdc(real, fake, k=k)
    ref = _reference(real, fake, k)
    for key in KEYS:
        assert ours[key] == pytest.approx(ref[key], abs=1e-12), key
    assert precision_recall(real, fake, k) == (ours["precision"], ours["recall"])
    assert density_coverage(real, fake, k) == (ours["density"], ours["coverage"])


def test_block_size_does_not_change_the_result(monkeypatch):
    rng = np.random.default_rng(1)
    real, fake = rng.standard_normal((301, 8)), rng.standard_normal((257, 8)) + 0.2
    full = prdc(real, fake)
    monkeypatch.setattr(nb, "BLOCK_ELEMENTS", 997)  # blocks of 3-4 rows
    assert prdc(real, fake) == full


def test_radii_match_brute_force():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((120, 4))
    d = np.linalg.norm(X[:, None] - X[None], axis=-1)
    brute = np.sort(d, axis=1)[:, 5]  # column 0 is the point itself
    np.testing.assert_allclose(knn_radii(X, 5), brute, rtol=1e-9)


def test_identical_sets_score_one_and_density_is_exact():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((200, 6))
    out = prdc(X, X, k=5)
    assert out["precision"] == out["recall"] == out["coverage"] == 1.0
    # each real ball holds its own centre and its k nearest neighbours: density = (k + 1) / k
    assert out["density"] == pytest.approx(6 / 5)


def test_disjoint_sets_score_zero():
    rng = np.random.default_rng(4)
    real = rng.standard_normal((150, 3))
    fake = rng.standard_normal((150, 3)) + 100.0
    assert prdc(real, fake) == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_collapsed_and_duplicated_sets_are_defined():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((100, 3))
    point = np.zeros((40, 3))
    # a set collapsed to one point against itself: closed balls of radius 0 still hold it
    assert prdc(point, point) == {"precision": 1.0, "recall": 1.0, "density": 8.0, "coverage": 1.0}
    # collapsed fake set near the centre of the real data: perfect precision, no recall
    p, r = precision_recall(real, point)
    assert p == 1.0 and r == 0.0
    # real data duplicated 3 times against itself (radii from duplicates only when > k copies)
    dup = np.repeat(real, 3, axis=0)
    out = prdc(dup, dup)
    assert all(np.isfinite(v) for v in out.values())
    assert out["precision"] == out["recall"] == out["coverage"] == 1.0
    # shifting a set by a large offset keeps duplicates exact (distances are computed after centring)
    assert prdc(point + 1e6, point + 1e6)["precision"] == 1.0


def test_strict_reference_differs_only_on_ties():
    """``prdc`` uses open balls (<): a collapsed set scores 0 against itself there; we document closed balls."""
    point = np.zeros((20, 2))
    assert _reference(point, point, 5)["precision"] == 0.0
    assert prdc(point, point)["precision"] == 1.0


def test_recall_drops_when_modes_vanish():
    rng = np.random.default_rng(6)
    centres = np.array([[0.0, 0.0], [5.0, 0.0]])
    real = centres[rng.integers(0, 2, 1000)] + 0.1 * rng.standard_normal((1000, 2))
    fake = centres[0] + 0.1 * rng.standard_normal((1000, 2))
    p, r = precision_recall(real, fake)
    assert p > 0.95 and 0.4 < r < 0.6


def test_deterministic():
    rng = np.random.default_rng(7)
    real, fake = rng.standard_normal((200, 5)), rng.standard_normal((200, 5))
    assert prdc(real, fake) == prdc(real.copy(), fake.copy())


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"k": 0}, ValueError, "k must be >= 1"),
        ({"k": 2.5}, TypeError, "k must be an integer"),
        ({"real": np.zeros((5, 2))}, ValueError, "real needs at least 6 samples"),
        ({"fake": np.zeros((3, 2))}, ValueError, "fake needs at least 6 samples"),
        ({"fake": np.zeros((20, 3))}, ValueError, "same number of features"),
        ({"real": np.zeros(20)}, ValueError, "real must be 2-D"),
        ({"fake": np.full((20, 2), np.nan)}, ValueError, "fake contains NaN"),
    ],
)
def test_bad_inputs(kwargs, exc, match):
    args = {"real": np.zeros((20, 2)), "fake": np.ones((20, 2)), "k": 5, **kwargs}
    with pytest.raises(exc, match=match):
        prdc(**args)


# ---- sliced Wasserstein ------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "m", "d", "p"), [(200, 200, 2, 2), (150, 230, 5, 2), (100, 70, 3, 1), (64, 96, 10, 3)])
def test_sliced_wasserstein_matches_pot(n, m, d, p):
    rng = np.random.default_rng(n * m)
    X = rng.standard_normal((n, d))
    Y = 0.7 * rng.standard_normal((m, d)) + 0.5
    theta = random_directions(d, 100, random_state=11)
    ref = ot.sliced_wasserstein_distance(X, Y, projections=theta, p=p)
    assert sliced_wasserstein(X, Y, n_projections=100, p=p, random_state=11) == pytest.approx(float(ref), rel=1e-10)


def test_sliced_wasserstein_known_cases(monkeypatch):
    rng = np.random.default_rng(12)
    X = rng.standard_normal((300, 2))
    assert sliced_wasserstein(X, X) == 0.0
    assert sliced_wasserstein(X, X[rng.permutation(300)]) == pytest.approx(0.0, abs=1e-12)
    # a translation by v: every projection moves by θ·v, so SW_2² = E(θ·v)² = |v|²/d
    v = np.array([3.0, -4.0])
    assert sliced_wasserstein(X, X + v, n_projections=4000) == pytest.approx(5.0 / np.sqrt(2), rel=0.03)
    # two point masses at distance 5 in 1-D: exactly 5
    a, b = np.zeros((7, 1)), np.full((9, 1), 5.0)
    assert sliced_wasserstein(a, b, n_projections=3) == pytest.approx(5.0)
    # blocks of directions do not change the estimate
    Y = rng.standard_normal((200, 2)) + 1
    full = sliced_wasserstein(X, Y, n_projections=50)
    monkeypatch.setattr(sw, "BLOCK_PROJECTIONS", 7)
    assert sliced_wasserstein(X, Y, n_projections=50) == pytest.approx(full, rel=1e-12)


def test_sliced_wasserstein_bad_inputs():
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="Y must have 2 features"):
        sliced_wasserstein(X, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="n_projections must be >= 1"):
        sliced_wasserstein(X, X, n_projections=0)
    with pytest.raises(ValueError, match="p must be >= 1"):
        sliced_wasserstein(X, X, p=0.5)


@pytest.mark.parametrize("n", [60, 100, 300])
def test_identical_sets_give_density_k_plus_1_over_k_under_every_seed(n):
    """Radii and distances come from the same (general) matrix product, so no neighbour on a ball's edge
    falls outside by rounding: density of a set against a copy of itself is exactly (k + 1)/k (no ties)."""
    for seed in range(40):
        real = np.random.default_rng(seed).standard_normal((n, 8))
        out = prdc(real, real.copy())
        assert out["density"] == pytest.approx(6 / 5, abs=1e-12), (seed, out)
        assert out["precision"] == out["recall"] == out["coverage"] == 1.0
