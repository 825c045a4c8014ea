"""Effective sample size n_e of the Gaussian fresh data loop, and the admissible test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mad.effective_size import (
    asymptotic_real_w2_squared,
    critical_n_s,
    effective_sample_size,
    effective_size_grid,
    is_admissible,
    marchenko_pastur_w2_squared,
    real_only_curve,
    relaxation_time,
    steady_states,
)


@pytest.fixture(scope="module")
def curve():
    return real_only_curve(100)


def test_real_only_curve_matches_its_closed_forms(curve) -> None:
    # Marchenko-Pastur (large-d limit) everywhere; the second-order expansion for n >> d
    for n in (10, 50, 150, 400, 2000):
        assert abs(curve(n) / marchenko_pastur_w2_squared(n) - 1) < 0.03, n
    for n in (3000, 20000, 100000):
        assert abs(curve(n) / asymptotic_real_w2_squared(n) - 1) < 0.02, n
    assert np.all(np.diff(curve.w2_squared) < 0)  # strictly decreasing in n
    assert np.all(curve.se / curve.w2_squared < 0.01)
    for n in (7.0, 123.0, 4567.0):
        assert abs(curve.inverse(curve(n)) / n - 1) < 1e-9


def test_no_synthetic_data_gives_n_e_equal_to_n_r(curve) -> None:
    for n_r in (60, 300):
        e = effective_sample_size(n_r, 0, 1.0, chains=6, window=20)
        assert abs(e.ratio - 1) < max(3 * e.ratio_se, 0.01), (n_r, e.ratio, e.ratio_se)


def test_n_e_is_monotone_in_the_obvious_directions() -> None:
    # λ below 0.85 only: a mild bias can *raise* n_e (shrinking the noisy covariance estimate), so
    # n_e is not monotone in λ near 1 (e.g. n_r = 100, n_s = 300: λ = 0.85 beats λ = 1)
    grid = effective_size_grid([(n_r, n_s, lam) for n_r in (100, 300) for n_s in (300, 3000) for lam in (0.5, 0.7, 0.85)], max_workers=2)
    for (n_r, n_s), g in grid.groupby(["n_r", "n_s"]):
        assert np.all(np.diff(g.sort_values("lam")["n_e"].to_numpy()) > 0), f"n_e must rise with λ at n_r={n_r}, n_s={n_s}"
    for (n_s, lam), g in grid.groupby(["n_s", "lam"]):
        assert np.all(np.diff(g.sort_values("n_r")["n_e"].to_numpy()) > 0), f"n_e must rise with n_r at n_s={n_s}, λ={lam}"
    for (n_r, lam), g in grid.groupby(["n_r", "lam"]):
        ratios = g.sort_values("n_s")["ratio"].to_numpy()
        assert ratios[1] < ratios[0], f"more biased synthetic data must hurt at n_r={n_r}, λ={lam}"
    # memory of K models helps at λ = 1
    k1 = effective_sample_size(100, 1000, 1.0, k=1)
    k4 = effective_sample_size(100, 1000, 1.0, k=4)
    assert k4.n_e > k1.n_e + 2 * np.hypot(k1.n_e_se, k4.n_e_se)


def test_admissible_verdicts_and_errors() -> None:
    ok = effective_sample_size(100, 1000, 1.0)
    assert ok.admissible and ok.decided and ok.ratio > 1.5
    assert 0 < ok.n_e_se < 0.05 * ok.n_e
    assert not is_admissible(100, 10000, 0.7)
    assert is_admissible(100, 100, 0.85)
    row = ok.as_row()
    assert {"n_r", "n_s", "lam", "w2_squared", "se", "n_e", "n_e_se", "ratio", "admissible", "decided", "burn_in"} <= set(row)


def test_seeded_and_parallel_runs_are_reproducible() -> None:
    cells = [(100, 300, 0.8), (200, 1000, 0.9)]
    a = steady_states(cells, seed=1, max_workers=1)
    b = steady_states(cells, seed=1, max_workers=2)
    c = steady_states(cells, seed=2, max_workers=1)
    assert [s.w2_squared for s in a] == [s.w2_squared for s in b]
    assert a[0].w2_squared != c[0].w2_squared
    # the same cell gives the same number wherever it appears (per-cell seeds)
    assert steady_states([(200, 1000, 0.9)], seed=1)[0].w2_squared == a[1].w2_squared


def test_burn_in_follows_the_relaxation_time() -> None:
    assert relaxation_time(100, 900, 1.0) == pytest.approx(10.0)
    assert relaxation_time(100, 900, 0.5) == pytest.approx(1 / 0.55)
    assert relaxation_time(100, 900, 1.0, k=3) == pytest.approx(20.0)
    capped = effective_sample_size(10, 10000, 1.0, max_burn_in=50)
    assert capped.steady.capped and capped.steady.burn_in == 50


def test_critical_n_s_brackets_the_threshold() -> None:
    grid = pd.DataFrame(
        {
            "lam": 0.8,
            "n_r": [100] * 4 + [300] * 4,
            "n_s": [10, 100, 1000, 10000] * 2,
            "admissible": [True, True, False, False, True, True, True, True],
        }
    )
    table = critical_n_s(grid).set_index("n_r")
    assert table.loc[100, "n_s_ok"] == 100 and table.loc[100, "n_s_bad"] == 1000
    assert table.loc[100, "n_s_star"] == pytest.approx(np.sqrt(1e5))
    assert np.isnan(table.loc[300, "n_s_bad"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_r": 100, "n_s": -1, "lam": 0.9}, ValueError, r"n_s must be >= 0"),
        ({"n_r": 0, "n_s": 10, "lam": 0.9}, ValueError, r"n_r must be >= 1"),
        ({"n_r": 100, "n_s": 10, "lam": 0.0}, ValueError, r"λ\) must be in \(0, 1\]"),
        ({"n_r": 100, "n_s": 10, "lam": 1.1}, ValueError, r"λ\) must be in \(0, 1\]"),
        ({"n_r": 100, "n_s": 10, "lam": 0.9, "k": 0}, ValueError, r"k \(K, models remembered\) must be >= 1"),
        ({"n_r": 100, "n_s": 10, "lam": 0.9, "chains": 1}, ValueError, r"chains must be >= 2"),
        ({"n_r": 100.5, "n_s": 10, "lam": 0.9}, TypeError, r"n_r must be an integer"),
    ],
)
def test_bad_inputs_raise_clear_errors(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        effective_sample_size(**kwargs)


def test_bad_cells_raise_before_any_work() -> None:
    with pytest.raises(ValueError, match="each cell must be"):
        steady_states([(100, 10)])
    with pytest.raises(ValueError, match="cells is empty"):
        steady_states([])
