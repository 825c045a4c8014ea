"""Ancestry under resampling (exact chain, coalescent theory, the loop runner) and the DCR audit."""

from __future__ import annotations

import numpy as np
import pytest

from mad.data import FinitePool, load_digits_pool
from mad.loops import fully_synthetic, iterate_loop
from mad.memorisation import (
    Resampler,
    ancestors_from_rows,
    dcr,
    dcr_audit,
    ddpm_chains,
    expected_ancestors_exact,
    expected_ancestors_theory,
    near_copy_threshold,
    occupancy_matrix,
    simulate_ancestry,
)
from mad.models.ddpm import ConditionalDDPM


def test_occupancy_matrix_exact_small_cases() -> None:
    M = occupancy_matrix(3)
    assert np.allclose(M.sum(axis=1), 1.0)
    # 2 balls into 3 bins: both in one bin with probability 1/3
    assert M[2, 1] == pytest.approx(1 / 3) and M[2, 2] == pytest.approx(2 / 3)
    # 3 balls into 3 bins: all distinct 3!/27, one bin 3/27, two bins 18/27
    assert M[3, 3] == pytest.approx(6 / 27) and M[3, 1] == pytest.approx(3 / 27) and M[3, 2] == pytest.approx(18 / 27)


def test_expected_ancestors_exact_first_step_and_limits() -> None:
    for n in (1, 2, 10, 600):
        e = expected_ancestors_exact(n, 3)
        assert e[0] == n
        assert e[1] == pytest.approx(n * (1 - (1 - 1 / n) ** n))
        assert np.all(np.diff(e) <= 1e-12)
    assert np.allclose(expected_ancestors_exact(1, 5), 1.0)  # one record stays one ancestor
    # n = 2: E[K_1] = 1.5, and K = 1 is absorbing: E[K_t] = 1 + 2^{-t}
    assert np.allclose(expected_ancestors_exact(2, 4), 1 + 0.5 ** np.arange(5))


def test_theory_formula_and_simulation_agree_with_exact_chain() -> None:
    n = 200
    assert np.allclose(expected_ancestors_theory(n, np.arange(4)), [200, 400 / 3, 100, 80])
    exact = expected_ancestors_exact(n, 8)
    sims = np.array([simulate_ancestry(n, 8, s) for s in range(300)])
    se = sims.std(axis=0, ddof=1) / np.sqrt(len(sims))
    assert np.all(np.abs(sims.mean(axis=0) - exact) <= 4 * se + 1e-9)
    # the coalescent approximation overshoots by about 5 % (multiple mergers at k ≈ n), within 10 %
    rel = expected_ancestors_theory(n, np.arange(1, 9)) / exact[1:] - 1
    assert np.all((rel > 0) & (rel < 0.1))


def test_runner_with_resampler_is_the_resampling_chain() -> None:
    pool = load_digits_pool()
    n = 60
    source = FinitePool(pool.X[:200], pool.y[:200])
    gens = list(iterate_loop(fully_synthetic(n), Resampler(), source, 5, seed=3))
    real = gens[0].train
    counts = []
    for gen in gens:
        ids = ancestors_from_rows(gen.train.X, real.X, real.real_id)
        assert set(ids) <= set(real.real_id)
        counts.append(len(np.unique(ids)))
    assert counts[0] == n and all(a >= b for a, b in zip(counts, counts[1:]))
    again = list(iterate_loop(fully_synthetic(n), Resampler(), source, 5, seed=3))
    assert all(np.array_equal(a.train.X, b.train.X) for a, b in zip(gens, again))
    # the counts of many runner chains average to the exact expectation
    exact = expected_ancestors_exact(n, 3)
    runs = []
    for seed in range(40):
        g = list(iterate_loop(fully_synthetic(n), Resampler(), source, 4, seed=seed))
        runs.append([len(np.unique(ancestors_from_rows(x.train.X, g[0].train.X, g[0].train.real_id))) for x in g])
    runs = np.array(runs)
    se = runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    assert np.all(np.abs(runs.mean(axis=0) - exact) <= 4 * se + 1e-9)


def test_simulation_is_deterministic_under_a_seed() -> None:
    assert np.array_equal(simulate_ancestry(100, 6, 7), simulate_ancestry(100, 6, 7))
    assert not np.array_equal(simulate_ancestry(100, 6, 7), simulate_ancestry(100, 6, 8))


def test_dcr_exact_values_and_audit_of_a_copier() -> None:
    ref = np.array([[0.0, 0.0], [3.0, 4.0]])
    assert np.allclose(dcr(np.array([[0.0, 1.0], [3.0, 4.0], [6.0, 8.0]]), ref), [1.0, 0.0, 5.0])
    random = np.random.default_rng(0)
    train, hold = random.normal(size=(200, 5)), random.normal(size=(200, 5))
    copier = dcr_audit(train[:100], train, hold)
    assert copier.closer_to_train == 1.0 and copier.near_copy == 1.0
    fresh = dcr_audit(random.normal(size=(2000, 5)), train, hold)
    assert abs(fresh.closer_to_train - 0.5) < 0.05 and abs(fresh.near_copy - 0.05) < 0.03
    # τ is the quantile of held-out-to-train distances: held-out records are near-copies at rate ≈ q
    tau = near_copy_threshold(train, hold, 0.2)
    assert np.mean(dcr(hold, train) < tau) == pytest.approx(0.2, abs=0.01)
    assert dcr_audit(train[:10], train, hold).as_dict()["closer_to_train"] == 1.0


def test_bad_input_raises_naming_the_parameter() -> None:
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="same number of rows"):
        dcr_audit(X, X, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="reference must have 2 features"):
        dcr(X, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"quantile must be in \(0, 1\)"):
        near_copy_threshold(X, X, 1.0)
    with pytest.raises(ValueError, match="n \\(records\\) must be >= 1"):
        expected_ancestors_theory(0, 3)
    with pytest.raises(ValueError, match="t \\(generations\\)"):
        expected_ancestors_theory(10, -1)
    with pytest.raises(ValueError, match="generations must be >= 0"):
        simulate_ancestry(10, -2)
    with pytest.raises(ValueError, match="duplicate rows"):
        ancestors_from_rows(X[:1], X, np.arange(4))
    with pytest.raises(ValueError, match="not an exact copy"):
        ancestors_from_rows(np.ones((1, 2)), np.eye(2), np.arange(2))
    with pytest.raises(ValueError, match="must be 1 for Resampler"):
        Resampler().fit(X).sample(3, lam=0.5)
    with pytest.raises(ValueError, match="seeds is empty"):
        ddpm_chains(ConditionalDDPM(), FinitePool(X), 2, 1, [], n_eval=2)


def test_ddpm_chain_keeps_samples_and_is_deterministic() -> None:
    pool = load_digits_pool()
    source = FinitePool(pool.X[:300], pool.y[:300])
    model = ConditionalDDPM(T=5, width=16, depth=1, n_steps=3, batch_size=16)
    a = ddpm_chains(model, source, 40, 3, [1, 2], n_eval=30, executor="serial")
    b = ddpm_chains(model, source, 40, 3, [1, 2], n_eval=30, executor="threads", max_workers=2)
    for ca, cb in zip(a, b):
        assert ca.generations == 3 and len(ca.train) == 3
        assert np.array_equal(ca.train[0], ca.real_X) and len(np.unique(ca.real_id)) == 40
        assert all(np.array_equal(x[0], y[0]) for x, y in zip(ca.samples, cb.samples))
        assert ca.samples[1][0].shape == (30, 64) and ca.train[1].shape == (40, 64)
    assert not np.array_equal(a[0].samples[0][0], a[1].samples[0][0])


def test_ddpm_chain_is_stored_and_read_back(tmp_path) -> None:
    pool = load_digits_pool()
    source = FinitePool(pool.X[:200], pool.y[:200])
    model = ConditionalDDPM(T=5, width=16, depth=1, n_steps=3, batch_size=16)
    first = ddpm_chains(model, source, 30, 2, [5], n_eval=20, store=tmp_path)
    assert list(tmp_path.rglob("*.npz"))
    again = ddpm_chains(model, source, 30, 2, [5], n_eval=20, store=tmp_path)
    for a, b in zip(first, again):
        assert a.seed == b.seed and np.array_equal(a.real_id, b.real_id)
        assert all(np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]) for x, y in zip(a.samples, b.samples))
        assert all(np.array_equal(x, y) for x, y in zip(a.train, b.train))
