"""Grid and Rosenbrock measures: exact values on constructed sets, expectations under the reference, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from mad.data import GridMixture, Rosenbrock
from mad.loops import fully_synthetic, iterate_loop, run_loop
from mad.metrics.modes import (
    GridScores,
    RosenbrockScores,
    average_modal_variance,
    high_quality_fraction,
    modal_variances,
    mode_counts,
    modes_covered,
    nearest_mode,
    rosenbrock_low_density_mass,
    rosenbrock_radius2,
    rosenbrock_tail_mass,
    total_variance,
)
from mad.models.gaussian import GaussianModel

GRID = GridMixture()


def test_reference_grid_scores_as_expected():
    X = GRID.sample(20_000, 0)
    assert modes_covered(X, GRID.modes, GRID.std) == 25
    # 3σ disc in 2-D holds 1 - exp(-9/2) of a mode's mass
    assert high_quality_fraction(X, GRID.modes, GRID.std) == pytest.approx(1 - np.exp(-4.5), abs=0.003)
    # mixture variance per coordinate: grid variance 2 + σ²
    assert total_variance(X) == pytest.approx(2 * (2.0 + GRID.std**2), rel=0.03)
    assert average_modal_variance(X, GRID.modes) == pytest.approx(2 * GRID.std**2, rel=0.05)


def test_lost_modes_are_counted():
    rng = np.random.default_rng(1)
    keep = GRID.modes[:10]
    X = keep[rng.integers(0, 10, 5000)] + GRID.std * rng.standard_normal((5000, 2))
    assert modes_covered(X, GRID.modes, GRID.std) == 10
    counts = mode_counts(X, GRID.modes, GRID.std)
    assert counts[10:].sum() == 0 and counts.sum() <= 5000
    variances = modal_variances(X, GRID.modes)
    assert np.all(variances[10:] == 0.0)
    assert average_modal_variance(X, GRID.modes) == pytest.approx(10 / 25 * 2 * GRID.std**2, rel=0.1)


def test_mode_needs_enough_samples():
    # 24 modes hold 99 % of the samples, one mode only a handful: below a tenth of its fair share
    rng = np.random.default_rng(2)
    X = np.concatenate([np.repeat(GRID.modes[:24], 100, axis=0), np.repeat(GRID.modes[24:], 5, axis=0)])
    X = X + 0.01 * rng.standard_normal(X.shape)
    assert modes_covered(X, GRID.modes, GRID.std) == 24
    assert modes_covered(X, GRID.modes, GRID.std, min_fraction=0.01) == 25


def test_collapsed_set_is_defined():
    X = np.zeros((100, 2))
    assert modes_covered(X, GRID.modes, GRID.std) == 1
    assert total_variance(X) == 0.0
    assert average_modal_variance(X, GRID.modes) == 0.0
    idx, dist = nearest_mode(X, GRID.modes)
    assert np.all(dist == 0) and np.all(GRID.modes[idx] == 0)


def test_rosenbrock_tails_have_mass_alpha_under_the_reference():
    X = Rosenbrock().sample(200_000, 3)
    for alpha in (0.05, 0.01):
        se = np.sqrt(alpha * (1 - alpha) / len(X))
        assert rosenbrock_tail_mass(X, alpha) == pytest.approx(alpha, abs=5 * se)
        assert rosenbrock_low_density_mass(X, alpha) == pytest.approx(alpha, abs=5 * se)
    # ρ² is χ²_2: mean 2, and exactly the negative log density up to a constant
    rho2 = rosenbrock_radius2(X)
    assert rho2.mean() == pytest.approx(2.0, rel=0.02)
    np.testing.assert_allclose(-0.5 * rho2 - Rosenbrock.log_density(X), np.log(2 * np.pi) - 0.5 * np.log(2), rtol=1e-12)


def test_shrunken_rosenbrock_loses_its_tails():
    X = Rosenbrock().sample(50_000, 4)
    shrunk = X * np.array([0.7, 1.0])
    assert rosenbrock_tail_mass(shrunk, 0.01) < 0.002


def test_loop_metrics_run_and_are_deterministic():
    grid = GridScores(GRID, n_eval=300)
    a = run_loop(fully_synthetic(200), GaussianModel(), GRID, 2, {"grid": grid}, seed=3)
    b = run_loop(fully_synthetic(200), GaussianModel(), GRID, 2, {"grid": GridScores(GRID, n_eval=300)}, seed=3)
    assert set(a["metric"]) == {"modes_covered", "high_quality", "total_variance", "modal_variance", "precision", "recall"}
    assert a["value"].tolist() == b["value"].tolist()
    rose = RosenbrockScores(Rosenbrock(), n_eval=500, n_prdc=200)
    c = run_loop(fully_synthetic(300), GaussianModel(), Rosenbrock(), 2, {"r": rose}, seed=1)
    assert {"tail_0.01", "lowdens_0.05", "x1_sd", "precision", "recall", "sliced_w2"} <= set(c["metric"])
    assert c["value"].notna().all()


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: modes_covered(np.zeros((5, 3)), GRID.modes, GRID.std), ValueError, "X must have 2 features"),
        (lambda: modes_covered(np.zeros((5, 2)), GRID.modes, -1.0), ValueError, "std must be a positive number"),
        (lambda: modes_covered(np.zeros((5, 2)), GRID.modes, 0.05, min_fraction=0), ValueError, "min_fraction must be in"),
        (lambda: high_quality_fraction(np.zeros((5, 2)), GRID.modes, 0.05, n_std=0), ValueError, "n_std must be a positive"),
        (lambda: total_variance(np.zeros((1, 2))), ValueError, "X needs at least 2 samples"),
        (lambda: rosenbrock_tail_mass(np.zeros((5, 2)), alpha=1.0), ValueError, "alpha must be in"),
        (lambda: rosenbrock_low_density_mass(np.zeros((5, 3))), ValueError, "X must have 2 features"),
        (lambda: RosenbrockScores(Rosenbrock(), n_eval=100, n_prdc=200), ValueError, "n_prdc must be >= 6 and <= 100"),
    ],
)
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_sample_snapshots_round_trip():
    from mad.metrics.modes import SampleSnapshot, snapshots

    res = run_loop(fully_synthetic(100), GaussianModel(), GRID, 3, {"snap": SampleSnapshot(at=(1, 3), n=7)}, seed=2)
    snaps = snapshots(res)
    assert sorted(snaps) == [(1.0, 2, 1), (1.0, 2, 3)]
    gens = list(iterate_loop(fully_synthetic(100), GaussianModel(), GRID, 3, seed=2))
    np.testing.assert_array_equal(snaps[(1.0, 2, 3)], gens[2].eval_samples(7)[0])
    with pytest.raises(ValueError, match="no snapshot rows"):
        snapshots(res[res["generation"] == 2])
