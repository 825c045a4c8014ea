"""Tests of mad.stability: input checks, closed forms, and the simulators against them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mad import stability as st

# --------------------------------------------------------------------------- input validation (table-driven)

BAD_CALLS = [
    (st.kde_loop, dict(n_r=1, n_s=10, h=0.3, generations=2, chains=2), ValueError, "n_r"),
    (st.kde_loop, dict(n_r=10, n_s=0, h=0.3, generations=2, chains=2), ValueError, "n_s"),
    (st.kde_loop, dict(n_r=10, n_s=10, h=-0.1, generations=2, chains=2), ValueError, "h"),
    (st.kde_loop, dict(n_r=10, n_s=10, h="wide", generations=2, chains=2), TypeError, "h"),
    (st.kde_loop, dict(n_r=10, n_s=10, h=0.3, generations=0, chains=2), ValueError, "generations"),
    (st.kde_loop, dict(n_r=10, n_s=10, h=0.3, generations=2, chains=1), ValueError, "chains"),
    (st.kde_loop, dict(n_r=10, n_s=10, h=0.3, generations=2, chains=2, eps=float("nan")), ValueError, "eps"),
    (st.kde_loop, dict(n_r=10.5, n_s=10, h=0.3, generations=2, chains=2), TypeError, "n_r"),
    (st.kde_expected_variance, dict(n_r=10, n_s=10, h=0.3, generations=2, eps=-1), ValueError, "eps"),
    (st.kde_stationary_variance, dict(lam_b=-1, h=0.3), ValueError, "lam_b"),
    (st.kde_stationary_variance, dict(lam_b=1, h=float("inf")), ValueError, "h"),
    (st.is_stable, dict(lam_b=1, eps=-0.5), ValueError, "eps"),
    (st.corrected_real_fraction, dict(n_r=10, n_s=10, gamma=-1), ValueError, "gamma"),
    (st.corrected_real_fraction, dict(n_r=0, n_s=0, gamma=1), ValueError, "n_r \\+ n_s"),
    (st.corrected_real_fraction, dict(n_r=True, n_s=10, gamma=1), TypeError, "n_r"),
    (st.steady_state_ratio, dict(w=1.5, lam=0.8), ValueError, "w"),
    (st.steady_state_ratio, dict(w=0.5, lam=0.0), ValueError, "lam"),
    (st.steady_state_ratio, dict(w=None, lam=0.8), TypeError, "w"),
    (st.gaussian_loop, dict(n_r=1, n_s=0, lam=0.8, generations=2, chains=2), ValueError, "n_r \\+ n_s"),
    (st.gaussian_loop, dict(n_r=0, n_s=10, lam=1.2, generations=2, chains=2), ValueError, "lam"),
    (st.gaussian_loop, dict(n_r=0, n_s=10, lam=0.8, generations=2, chains=2, gamma=-0.1), ValueError, "gamma"),
    (st.gaussian_loop, dict(n_r=1, n_s=10, lam=0.8, generations=2, chains=2, fixed_real=True), ValueError, "n_r"),
    (st.gaussian_loop, dict(n_r=5, n_s=10, lam=0.8, generations=2, chains=2, random_state="x"), TypeError, "random_state"),
]


@pytest.mark.parametrize("func, kwargs, error, name", BAD_CALLS, ids=lambda v: getattr(v, "__name__", None))
def test_bad_inputs_raise_naming_the_parameter(func, kwargs, error, name):
    with pytest.raises(error, match=name):
        func(**kwargs)


# --------------------------------------------------------------------------- closed forms

STATIONARY = [
    # lam_b, h, eps, expected
    (0.0, 0.3, 0.0, 1 + 0.09),
    (1.0, 0.3, 0.0, 1 + 0.09 * 2),
    (2.0, 0.5, 0.0, 1 + 0.25 * 3),
    (1.0, 0.0, 0.5, 1.5 / 0.5),
    (1.5, 0.0, 0.5, 1.5 / 0.25),
    (2.0, 0.0, 0.5, math.inf),
    (3.0, 0.0, 0.5, math.inf),
]


@pytest.mark.parametrize("lam_b, h, eps, expected", STATIONARY)
def test_kde_stationary_variance(lam_b, h, eps, expected):
    assert st.kde_stationary_variance(lam_b, h, eps) == pytest.approx(expected)
    assert st.is_stable(lam_b, eps) == math.isfinite(expected)


@pytest.mark.parametrize("n_r, n_s, h, eps", [(100, 100, 0.3, 0.0), (200, 400, 0.2, 0.0), (100, 100, 0.0, 0.5)])
def test_expected_variance_approaches_large_sample_fixed_point(n_r, n_s, h, eps):
    # the exact recursion's limit differs from the large-sample one by O(1/n); with n ×100 it is within 0.1%
    exact = st.kde_expected_variance(100 * n_r, 100 * n_s, h, 400, eps=eps)[-1]
    assert exact == pytest.approx(st.kde_stationary_variance(n_s / n_r, h, eps), rel=1e-3)


def test_expected_variance_fully_synthetic_grows_by_h2_less_leak():
    v = st.kde_expected_variance(50, 50, 0.3, 5, keep_real=False)
    assert v[0] == pytest.approx(1.09)
    np.testing.assert_allclose(v[1:], (1 - 1 / 50) * v[:-1] + 0.09)


CORRECTED = [
    # n_r, n_s, gamma, w
    (100, 900, 0.0, 0.1),
    (0, 1000, 1.0, 0.5),
    (0, 1000, 4.0, 0.8),
    (100, 100, 1.0, 0.75),
]


@pytest.mark.parametrize("n_r, n_s, gamma, w", CORRECTED)
def test_corrected_real_fraction(n_r, n_s, gamma, w):
    assert st.corrected_real_fraction(n_r, n_s, gamma) == pytest.approx(w)


@pytest.mark.parametrize("w, lam, v", [(1.0, 0.8, 1.0), (0.5, 0.8, 0.5 / 0.6), (0.0, 0.8, 0.0), (0.0, 1.0, 1.0), (0.3, 1.0, 1.0)])
def test_steady_state_ratio(w, lam, v):
    assert st.steady_state_ratio(w, lam) == pytest.approx(v)


# --------------------------------------------------------------------------- simulators against the closed forms


def test_kde_loop_shape_determinism_and_generation_zero():
    a = st.kde_loop(20, 10, 0.3, 3, 4, random_state=1)
    b = st.kde_loop(20, 10, 0.3, 3, 4, random_state=1)
    assert a.shape == (4, 4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a[:, 0], 1 + 0.09)  # standardised real set plus h²


@pytest.mark.parametrize("keep_real, eps, h", [(True, 0.0, 0.3), (False, 0.0, 0.3), (True, 0.5, 0.0)])
def test_kde_loop_matches_exact_expectation(keep_real, eps, h):
    sim = st.kde_loop(50, 50, h, 6, 3000, eps=eps, keep_real=keep_real, random_state=7)
    exact = st.kde_expected_variance(50, 50, h, 6, eps=eps, keep_real=keep_real)
    se = sim.std(axis=0, ddof=1) / np.sqrt(sim.shape[0])
    assert np.all(np.abs(sim.mean(axis=0) - exact) < 4 * se + 1e-12)


@pytest.mark.parametrize(
    "n_r, n_s, gamma, fixed_real, w",
    [(100, 400, 0.0, False, 0.2), (0, 500, 1.0, False, 0.5), (100, 100, 0.0, True, 0.5)],
)
def test_gaussian_loop_settles_at_steady_state_ratio(n_r, n_s, gamma, fixed_real, w):
    v = st.gaussian_loop(n_r, n_s, 0.8, 60, 400, gamma=gamma, fixed_real=fixed_real, random_state=3)
    assert v.shape == (400, 61)
    assert np.all(v[:, 0] == 1.0)
    assert v[:, -20:].mean() == pytest.approx(st.steady_state_ratio(w, 0.8), rel=0.02)


def test_gaussian_loop_without_real_data_or_corrector_collapses():
    v = st.gaussian_loop(0, 200, 0.8, 30, 50, random_state=0)
    assert v[:, -1].mean() < 0.8**20
