"""Schedule bookkeeping of every loop, through the one runner :func:`mad.loops.iterate_loop`.

``gen.train.origin`` is the generation that produced each training row (0 = real data) and
``gen.train.real_id`` the id of a real row in the run's real stream (-1 for synthetic rows).
"""

from __future__ import annotations

import numpy as np
import pytest

from mad.data import FinitePool, GaussianSource, PoolExhaustedError
from mad.loops import Schedule, fresh_data, fresh_data_pool, fully_synthetic, iterate_loop, synthetic_augmentation
from mad.models.gaussian import GaussianModel

SOURCE = GaussianSource(d=2)


def run(schedule: Schedule, generations: int = 5, source=SOURCE, seed: int = 0):
    return list(iterate_loop(schedule, GaussianModel(), source, generations, seed=seed))


def real_ids(gen) -> np.ndarray:
    return gen.train.real_id[gen.train.origin == 0]


def check_sizes(schedule: Schedule, gens) -> None:
    for gen in gens:
        assert len(gen.train) == schedule.n_train(gen.t) == len(gen.train.origin) == len(gen.train.real_id)
        assert np.all((gen.train.origin == 0) == (gen.train.real_id >= 0)), "real rows, and only they, carry a real id"


def test_first_generation_is_real_only_for_every_loop() -> None:
    for schedule in (fully_synthetic(12), synthetic_augmentation(12, 8), fresh_data(6, 8, n_init=12), fresh_data(6, 8, k=3, n_init=12)):
        first = run(schedule, 1)[0]
        assert first.t == 1 and first.n_synth == 0 and first.n_real == 12
        np.testing.assert_array_equal(first.train.real_id, np.arange(12))


def test_fully_synthetic_trains_on_the_previous_model_only() -> None:
    schedule = fully_synthetic(10, lam=0.8)
    gens = run(schedule, 6)
    check_sizes(schedule, gens)
    for gen in gens[1:]:
        assert gen.n_real == 0
        np.testing.assert_array_equal(gen.train.origin, gen.t - 1)


def test_synthetic_augmentation_reuses_the_same_real_set() -> None:
    schedule = synthetic_augmentation(10, 15)
    gens = run(schedule, 6)
    check_sizes(schedule, gens)
    first_ids = real_ids(gens[0])
    first_X = gens[0].train.X
    for gen in gens[1:]:
        np.testing.assert_array_equal(real_ids(gen), first_ids)
        np.testing.assert_array_equal(gen.train.X[gen.train.origin == 0], first_X)
        synth = gen.train.origin[gen.train.origin > 0]
        assert synth.size == 15 and np.all(synth == gen.t - 1)


def test_synthetic_augmentation_accumulates_every_earlier_synthetic_set() -> None:
    schedule = synthetic_augmentation(10, 7, accumulate=True)
    gens = run(schedule, 6)
    check_sizes(schedule, gens)
    for gen in gens[1:]:
        assert gen.n_real == 10 and gen.n_synth == 7 * (gen.t - 1)
        counts = np.bincount(gen.train.origin, minlength=gen.t)
        np.testing.assert_array_equal(counts[1 : gen.t], 7)  # 7 samples from each of G_1 .. G_{t-1}
    # the pool keeps the old samples: G_2's synthetic rows reappear unchanged in G_5's training set
    g2 = gens[2].train.X[gens[2].train.origin == 1]
    g5 = gens[5].train.X[gens[5].train.origin == 1]
    np.testing.assert_array_equal(g2, g5)


def test_fresh_data_never_reuses_a_real_sample() -> None:
    schedule = fresh_data(8, 12, lam=0.9, n_init=20)
    gens = run(schedule, 7)
    check_sizes(schedule, gens)
    seen: set[int] = set()
    start = 0
    for gen in gens:
        ids = real_ids(gen)
        size = 20 if gen.t == 1 else 8
        np.testing.assert_array_equal(ids, np.arange(start, start + size))  # the next block of the real stream
        assert seen.isdisjoint(ids.tolist())
        seen.update(ids.tolist())
        start += size
        if gen.t > 1:
            assert np.all(gen.train.origin[gen.train.origin > 0] == gen.t - 1) and gen.n_synth == 12
    # the real rows differ between generations too (not just their ids)
    assert not np.allclose(gens[1].train.X[:8], gens[2].train.X[:8])


def test_fresh_data_from_a_finite_pool_is_fresh_and_matches_the_pool() -> None:
    X = np.random.default_rng(3).normal(size=(60, 2))
    pool = FinitePool(X, name="toy")
    gens = run(fresh_data(10, 5, n_init=10), 5, source=pool)
    ids = np.concatenate([real_ids(g) for g in gens])
    assert ids.size == 50 and np.unique(ids).size == 50
    for gen in gens:
        mask = gen.train.origin == 0
        np.testing.assert_array_equal(gen.train.X[mask], X[gen.train.real_id[mask]])


def test_fresh_data_last_k_draws_from_the_last_k_models_uniformly() -> None:
    k, n_s = 3, 300
    schedule = fresh_data(10, n_s, k=k, n_init=10)
    gens = run(schedule, 12)
    check_sizes(schedule, gens)
    totals = np.zeros(k)
    for gen in gens[1:]:
        origins = gen.train.origin[gen.train.origin > 0]
        assert origins.size == n_s
        allowed = set(range(max(1, gen.t - k), gen.t))
        assert set(np.unique(origins).tolist()) == allowed  # every remembered model contributes, no other
        if gen.t > k:
            totals += np.bincount(origins - (gen.t - k), minlength=k)
    share = totals / totals.sum()
    np.testing.assert_allclose(share, 1 / k, atol=0.03)  # 2700 draws: ~0.009 standard deviation per share


def test_fresh_data_pool_splits_n_by_the_real_fraction() -> None:
    schedule = fresh_data_pool(200, 0.1)
    assert (schedule.n_real, schedule.n_synth, schedule.n_init) == (20, 180, 200)
    gens = run(schedule, 3)
    check_sizes(schedule, gens)
    assert [g.n_real for g in gens] == [200, 20, 20] and [g.n_synth for g in gens] == [0, 180, 180]
    assert fresh_data_pool(1000, 0.003).n_real == 3
    full = fresh_data_pool(50, 1.0)
    assert (full.n_real, full.n_synth) == (50, 0)


def test_same_seed_same_training_data() -> None:
    a = run(fresh_data(5, 9, lam=0.7), 4, seed=11)
    b = run(fresh_data(5, 9, lam=0.7), 4, seed=11)
    c = run(fresh_data(5, 9, lam=0.7), 4, seed=12)
    for ga, gb in zip(a, b):
        np.testing.assert_array_equal(ga.train.X, gb.train.X)
    assert not np.allclose(a[-1].train.X, c[-1].train.X)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: fresh_data(10, -1), r"n_synth \(n_s\) must be >= 0"),
        (lambda: synthetic_augmentation(10, -5), r"n_synth \(n_s\) must be >= 0"),
        (lambda: fully_synthetic(-3), r"n_init must be >= 2"),
        (lambda: fresh_data(10, 10, k=0), r"k \(K, models remembered\) must be >= 1"),
        (lambda: fresh_data_pool(100, 0.0), r"p \(real fraction\) must be in \(0, 1\]"),
        (lambda: fresh_data_pool(100, 1.5), r"p \(real fraction\) must be in \(0, 1\]"),
        (lambda: fresh_data_pool(100, -0.2), r"p \(real fraction\) must be in \(0, 1\]"),
        (lambda: fresh_data(10, 10, lam=0.0), r"λ\) must be in \(0, 1\]"),
        (lambda: fresh_data(10, 10, lam=1.2), r"λ\) must be in \(0, 1\]"),
        (lambda: fresh_data(-1, 10, n_init=10), r"n_real \(n_r\) must be >= 0"),
    ],
)
def test_bad_schedule_inputs_raise_clear_errors(make, match) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_a_pool_smaller_than_requested_raises() -> None:
    pool = FinitePool(np.random.default_rng(0).normal(size=(50, 2)), name="small")
    gens = iterate_loop(fresh_data(20, 10, n_init=20), GaussianModel(), pool, 5)
    next(gens)  # 20 real
    next(gens)  # 40 real
    with pytest.raises(PoolExhaustedError, match=r"'small' has 10 fresh samples left of 50, but 20 were requested"):
        next(gens)
    with pytest.raises(PoolExhaustedError, match="fresh samples left"):
        next(iterate_loop(fully_synthetic(100), GaussianModel(), pool, 1))
