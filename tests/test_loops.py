"""The loop runner: bookkeeping of the fully synthetic loop, determinism, sweeps, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import mad
from mad import theory
from mad.data import FinitePool, GaussianSource, PoolExhaustedError
from mad.loops import Schedule, iterate_loop, run_loop, run_sweep
from mad.metrics import gaussian_w2_squared
from mad.models import GaussianModel

W2 = {"w2_squared": lambda g: gaussian_w2_squared(g.model.mean_, g.model.cov_)}


class Recorder(GaussianModel):
    """A Gaussian that remembers the data it was fitted on (to check what trained each generation)."""

    def fit(self, X, y=None):
        self.seen_ = np.array(X, copy=True)
        return super().fit(X, y)


def test_fully_synthetic_bookkeeping():
    """G_1 sees only real data; G_t sees only samples of G_{t-1}, exactly n of them."""
    gens = list(iterate_loop(mad.fully_synthetic(30, lam=0.8), Recorder(), GaussianSource(d=2), 5, seed=3))
    assert [g.t for g in gens] == [1, 2, 3, 4, 5]
    assert np.all(gens[0].train.origin == 0) and len(gens[0].train) == 30
    for prev, gen in zip(gens, gens[1:]):
        assert np.all(gen.train.origin == gen.t - 1)  # only G_{t-1}'s samples
        assert np.all(gen.train.real_id == -1) and gen.n_real == 0 and gen.n_synth == 30
        assert gen.model is not prev.model  # a fresh model each generation
        assert np.array_equal(gen.model.seen_, gen.train.X)
    # the samples that trained G_t are G_{t-1}'s draws at λ with the seed of (seed, t, "synth")
    expected = gens[1].model.sample(30, lam=0.8, random_state=mad.seeding.rng(3, 3, "synth"))
    assert np.array_equal(gens[2].train.X, expected)


def test_same_seed_same_results_and_other_seed_differs():
    src = GaussianSource(d=3)
    a = run_loop(mad.fully_synthetic(20), GaussianModel(), src, 6, W2, seed=11)
    b = run_loop(mad.fully_synthetic(20), GaussianModel(), src, 6, W2, seed=11)
    c = run_loop(mad.fully_synthetic(20), GaussianModel(), src, 6, W2, seed=12)
    assert a.equals(b)
    assert not np.allclose(a["value"], c["value"])
    assert list(a.columns[:6]) == ["loop", "lam", "seed", "generation", "metric", "value"]


def test_sweep_in_processes_matches_serial_runs():
    src = GaussianSource(d=2)
    tasks = [
        dict(schedule=mad.fully_synthetic(20, lam=lam), model=GaussianModel(), source=src, generations=4, metrics=W2, seed=s)
        for lam in (1.0, 0.5)
        for s in (1, 2)
    ]
    parallel = run_sweep(tasks, max_workers=2, progress=False)
    serial = run_sweep(tasks, max_workers=1, progress=False)
    assert parallel.equals(serial)
    assert set(parallel["lam"]) == {1.0, 0.5} and set(parallel["seed"]) == {1, 2}


def test_runner_matches_theory_on_average():
    """E tr Σ_t = λ^{t-1} tr Σ_0 through the generic runner (Monte Carlo over 300 runs)."""
    lam, traces = 0.7, []
    for seed in range(300):
        gens = list(iterate_loop(mad.fully_synthetic(20, lam=lam), GaussianModel(), GaussianSource(d=2), 4, seed=seed))
        traces.append([np.trace(g.model.cov_) for g in gens])
    traces = np.array(traces)
    se = traces.std(0, ddof=1) / np.sqrt(len(traces))
    assert np.all(np.abs(traces.mean(0) - theory.expected_trace(np.arange(1, 5), lam, 2.0)) < 4 * se)


def test_finite_pool_runs_dry_with_a_clear_error():
    pool = FinitePool(np.random.default_rng(0).normal(size=(50, 2)), name="small")
    with pytest.raises(PoolExhaustedError, match="'small' has 10 fresh samples left of 50, but 20 were requested"):
        list(iterate_loop(mad.fresh_data(20, 10, n_init=20), GaussianModel(), pool, 3, seed=0))


def test_bad_schedules_and_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="loop must be one of fully_synthetic"):
        Schedule("autophagy", n_init=10)
    with pytest.raises(ValueError, match=r"n_synth \(n_s\) must be >= 0"):
        mad.fresh_data(10, -1)
    with pytest.raises(ValueError, match=r"lam \(sampling bias λ\) must be in \(0, 1\]"):
        mad.fully_synthetic(10, lam=0.0)
    with pytest.raises(ValueError, match=r"k \(K, models remembered\) must be >= 1"):
        mad.fresh_data(10, 10, k=0)
    with pytest.raises(ValueError, match=r"p \(real fraction\) must be in \(0, 1\]"):
        mad.fresh_data_pool(100, 1.5)
    with pytest.raises(ValueError, match="n_init must be >= 2"):
        mad.fully_synthetic(1)
    with pytest.raises(ValueError, match="generations must be >= 1"):
        list(iterate_loop(mad.fully_synthetic(10), GaussianModel(), GaussianSource(d=1), 0))
    with pytest.raises(TypeError, match="model must be a mad GenerativeModel"):
        list(iterate_loop(mad.fully_synthetic(10), object(), GaussianSource(d=1), 2))
    with pytest.raises(ValueError, match="metrics must name at least one metric"):
        run_loop(mad.fully_synthetic(10), GaussianModel(), GaussianSource(d=1), 2, {})
    with pytest.raises(ValueError, match="tasks is empty"):
        run_sweep([])
