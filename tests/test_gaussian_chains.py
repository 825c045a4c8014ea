"""The batched sufficient-statistics simulator against the generic runner and exact theory."""

from __future__ import annotations

import numpy as np
import pytest

from mad.data import GaussianSource
from mad.gaussian_chains import Stats, draw_stats, simulate_chains, stationary_w2_squared
from mad.loops import Schedule, fresh_data, fresh_data_pool, fully_synthetic, iterate_loop, synthetic_augmentation
from mad.metrics.gaussian import gaussian_w2_squared
from mad.models.gaussian import GaussianModel

D = 3
SCHEDULES = {
    "fully synthetic": fully_synthetic(12, lam=0.8),
    "augmentation, last": synthetic_augmentation(10, 20, lam=0.9),
    "augmentation, accumulate": synthetic_augmentation(10, 8, lam=0.9, accumulate=True),
    "fresh, last": fresh_data(8, 16, lam=0.7, n_init=20),
    "fresh, last K=3": fresh_data(8, 16, lam=0.85, n_init=20, k=3),
    "fresh, pool p=0.25": fresh_data_pool(24, 0.25),
}


def stats_of(X: np.ndarray) -> Stats:
    mean = X.mean(axis=0)
    return Stats(np.array([len(X)]), mean[None], ((X - mean).T @ (X - mean))[None])


def test_pooled_statistics_are_exact() -> None:
    rng = np.random.default_rng(0)
    parts = [rng.normal(size=(n, 4)) * s + m for n, s, m in [(5, 1.0, 0.0), (9, 2.0, 3.0), (1, 1.0, -2.0)]]
    pooled = stats_of(parts[0]).pool(stats_of(parts[1])).pool(stats_of(parts[2]))
    direct = stats_of(np.concatenate(parts))
    np.testing.assert_array_equal(pooled.n, direct.n)
    np.testing.assert_allclose(pooled.mean, direct.mean, atol=1e-12)
    np.testing.assert_allclose(pooled.scatter, direct.scatter, atol=1e-10)


@pytest.mark.parametrize("n", [3, 8, 60])  # explicit draws (n - 1 < d) and Bartlett (n - 1 >= d)
def test_draw_stats_has_the_wishart_moments(n: int) -> None:
    d, c = 5, 20_000
    A = np.array([[1.0, 0, 0, 0, 0], [0.5, 1, 0, 0, 0], [0, 0.3, 0.8, 0, 0], [0, 0, 0, 1.5, 0], [0.2, 0, 0, 0.1, 0.5]])
    cov = A @ A.T
    m = np.arange(d, dtype=float)
    s = draw_stats(n, np.broadcast_to(m, (c, d)), A, np.random.default_rng(1))
    # E x̄ = m, Cov x̄ = C / n, E S = (n - 1) C, Var S_ii = 2 (n - 1) C_ii²
    np.testing.assert_allclose(s.mean.mean(0), m, atol=5 * np.sqrt(np.max(np.diag(cov)) / n / c))
    np.testing.assert_allclose(np.cov(s.mean.T) * n, cov, atol=0.08 * np.max(cov))
    np.testing.assert_allclose(s.scatter.mean(0) / (n - 1), cov, atol=0.05 * np.max(cov))
    np.testing.assert_allclose(s.scatter[:, range(d), range(d)].var(0), 2 * (n - 1) * np.diag(cov) ** 2, rtol=0.08)


def test_fully_synthetic_trace_follows_the_closed_form() -> None:
    run = simulate_chains(fully_synthetic(30, lam=0.8), d=4, generations=6, chains=4000, seed=2)
    expected = 4 * 0.8 ** np.arange(6)  # E tr Σ_t = λ^{t-1} tr Σ_0
    se = run.trace.std(axis=1) / np.sqrt(4000)
    assert np.all(np.abs(run.trace.mean(axis=1) - expected) < 4 * se)


def runner_w2(schedule: Schedule, generations: int, runs: int) -> np.ndarray:
    """W2² to P_r per generation for ``runs`` seeds of the generic runner, shape (generations, runs)."""
    out = np.empty((generations, runs))
    for seed in range(runs):
        for gen in iterate_loop(schedule, GaussianModel(), GaussianSource(d=D), generations, seed=seed):
            out[gen.t - 1, seed] = gaussian_w2_squared(gen.model.mean_, gen.model.cov_)
    return out


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_chains_agree_in_distribution_with_the_generic_runner(name: str) -> None:
    schedule, generations = SCHEDULES[name], 5
    ref = runner_w2(schedule, generations, runs=300)
    fast = simulate_chains(schedule, D, generations, chains=3000, seed=7).w2_squared
    for t in (0, 1, generations - 1):
        a, b = ref[t], fast[t]
        se = np.hypot(a.std() / np.sqrt(a.size), b.std() / np.sqrt(b.size))
        assert abs(a.mean() - b.mean()) < 4 * se, (
            f"{name}, generation {t + 1}: runner {a.mean():.4f} vs chains {b.mean():.4f} (se {se:.4f})"
        )
    # the spread agrees too (the whole distribution, not only its mean)
    a, b = ref[-1], fast[-1]
    assert 0.75 < a.std() / b.std() < 1.33


def test_stationary_window_is_the_same_process() -> None:
    schedule = fresh_data(20, 40, lam=0.9, n_init=30)
    full = simulate_chains(schedule, d=6, generations=12, chains=5, seed=3)
    window = stationary_w2_squared(schedule, d=6, chains=5, burn_in=8, window=4, seed=3)
    np.testing.assert_allclose(window, full.w2_squared[8:], rtol=1e-10)


def test_figure_10_steady_state_forgets_the_start() -> None:
    # d = 100, n_r = 100, n_s = 900: the paper's Figure 10 setting (W2² ≈ 12.3 at λ = 1)
    ends = []
    for n_init in (100, 1000):
        run = simulate_chains(fresh_data(100, 900, lam=1.0, n_init=n_init), d=100, generations=40, chains=8, seed=0)
        ends.append(run.w2_squared[-10:].mean())
        assert abs(run.w2_squared[0].mean() - (32.2 if n_init == 100 else 2.67)) < 1.0
    assert abs(ends[0] - ends[1]) < 0.05 * ends[0]
    assert 11.5 < ends[0] < 13.0


def test_determinism_and_bad_inputs() -> None:
    s = fresh_data(10, 10, lam=0.9)
    a = simulate_chains(s, 3, 4, 6, seed=5)
    b = simulate_chains(s, 3, 4, 6, seed=5)
    np.testing.assert_array_equal(a.w2_squared, b.w2_squared)
    assert not np.allclose(a.w2_squared[-1], simulate_chains(s, 3, 4, 6, seed=6).w2_squared[-1])
    frame = a.to_frame()
    assert set(frame.columns) >= {"loop", "lam", "seed", "chain", "generation", "metric", "value"} and len(frame) == 3 * 4 * 6
    with pytest.raises(ValueError, match="chains must be >= 1"):
        simulate_chains(s, 3, 4, 0)
    with pytest.raises(ValueError, match="generations must be >= 1"):
        simulate_chains(s, 3, 0, 5)
    with pytest.raises(ValueError, match="window must be >= 1"):
        stationary_w2_squared(s, 3, 5, burn_in=2, window=0)
