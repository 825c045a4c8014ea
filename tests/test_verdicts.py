"""The verdict engine: known answers on synthetic data, error rates by simulation, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mad import verdicts as V


def trend(slope: float, seeds: int = 5, generations: int = 10, noise: float = 1.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(1, generations + 1)
    values = slope * t + rng.normal(0, noise, (seeds, generations))
    return pd.DataFrame(values, index=pd.Index(range(100, 100 + seeds), name="seed"), columns=t)


def test_interval_is_the_student_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    mean, low, high = V.interval(x)
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert mean == pytest.approx(3.5)
    assert (low, high) == pytest.approx((3.5 - half, 3.5 + half))
    ref = stats.ttest_1samp(x, 0).confidence_interval(0.95)
    assert (low, high) == pytest.approx((ref.low, ref.high))


def test_true_trend_is_reproduced_reversed_is_contradicted_none_is_inconclusive():
    assert V.rises(trend(1.0)).outcome == V.REPRODUCED
    assert V.falls(trend(-1.0)).outcome == V.REPRODUCED
    assert V.rises(trend(-1.0)).outcome == V.CONTRADICTED
    assert V.falls(trend(1.0)).outcome == V.CONTRADICTED
    flat = pd.DataFrame([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.5, 0.0]])  # per-seed slopes 0, 0, 0
    assert V.rises(flat).outcome == V.INCONCLUSIVE
    mixed = pd.DataFrame([[0.0, 1.0], [1.0, 0.0], [0.0, 0.5]])  # slopes 1, -1, 0.5
    assert V.rises(mixed).outcome == V.INCONCLUSIVE


def test_slope_statistic_is_the_ols_slope_per_seed():
    frame = trend(0.7, seeds=4, seed=2)
    ev = V.rises(frame)
    slopes = [stats.linregress(frame.columns, row).slope for row in frame.to_numpy()]
    assert ev.effect == pytest.approx(np.mean(slopes))
    assert ev.n == 4
    change = V.rises(frame, statistic="change")
    assert change.effect == pytest.approx((frame.iloc[:, -1] - frame.iloc[:, 0]).mean())


def test_false_contradiction_rate_matches_the_level():
    """Under no trend, 'rises' is contradicted (significantly falling) about α/2 = 2.5 % of the time."""
    rng = np.random.default_rng(1)
    runs = 4000
    values = rng.normal(0, 1, (runs, 3, 6))
    outcomes = [V.rises(v).outcome for v in values]
    rate = outcomes.count(V.CONTRADICTED) / runs
    assert abs(rate - 0.025) < 0.008  # binomial sd ≈ 0.0025
    assert outcomes.count(V.REPRODUCED) / runs == pytest.approx(0.025, abs=0.008)


def test_false_contradiction_rate_of_equivalence_and_ordering():
    rng = np.random.default_rng(2)
    # a truly flat metric: 'flat' within a wide margin is never contradicted
    outcomes = [V.flat(rng.normal(0, 0.01, (4, 5)), margin=0.05).outcome for _ in range(500)]
    assert outcomes.count(V.CONTRADICTED) == 0
    assert outcomes.count(V.REPRODUCED) > 450
    # three equal groups: 'ordered' is contradicted at most about α of the time (Bonferroni)
    bad = 0
    for _ in range(2000):
        g = rng.normal(0, 1, (3, 4))
        bad += V.ordered({"a": g[0], "b": g[1], "c": g[2]}, "increasing").outcome == V.CONTRADICTED
    assert bad / 2000 < 0.05


def test_paired_comparisons_use_common_random_numbers():
    rng = np.random.default_rng(3)
    shared = rng.normal(0, 10, 5)  # a large seed effect both conditions share
    a = pd.Series(shared + 1.0 + rng.normal(0, 0.1, 5), index=range(5))
    b = pd.Series(shared + rng.normal(0, 0.1, 5), index=range(5))
    assert V.greater(a, b).outcome == V.REPRODUCED  # paired: the seed effect cancels
    assert V.less(a, b).outcome == V.CONTRADICTED
    assert V.greater(b.sample(frac=1, random_state=0), a).outcome == V.CONTRADICTED  # aligned by seed, not position
    assert V.greater(a, 0.0).details["mean a"] == pytest.approx(a.mean())


def test_ordered():
    base = np.random.default_rng(4).normal(0, 1, 5)
    groups = {lam: pd.Series(base + k, index=range(5)) for k, lam in enumerate([1.0, 0.8, 0.5])}
    assert V.ordered(groups, "increasing", by="λ").outcome == V.REPRODUCED
    assert V.ordered(groups, "decreasing").outcome == V.CONTRADICTED
    mixed = {"a": groups[1.0], "b": groups[0.5], "c": groups[0.8]}
    assert V.ordered(mixed, "increasing").outcome == V.CONTRADICTED


def test_slower_than_and_same_limit_and_converges():
    fast, slow = trend(-2.0, seed=5), trend(-0.5, seed=6)
    slow.index = fast.index
    assert V.slower_than(slow, fast, "falls").outcome == V.REPRODUCED
    assert V.slower_than(fast, slow, "falls").outcome == V.CONTRADICTED
    assert V.slower_than(-slow, -fast, "rises").outcome == V.REPRODUCED
    rng = np.random.default_rng(7)
    level = pd.DataFrame(3 + rng.normal(0, 0.01, (4, 12)), index=range(4), columns=range(1, 13))
    other = pd.DataFrame(3 + rng.normal(0, 0.01, (4, 12)), index=range(4), columns=range(1, 13))
    assert V.same_limit(level, other, margin=0.05, tail=4).outcome == V.REPRODUCED
    assert V.same_limit(level, other + 1, margin=0.05, tail=4).outcome == V.CONTRADICTED
    assert V.converges(level, margin=0.05, tail=5).outcome == V.REPRODUCED
    assert V.converges(trend(1.0, seeds=4, noise=0.01), margin=0.05, tail=5).outcome == V.CONTRADICTED


def test_flat_allows_one_side():
    rising = trend(0.05, seeds=5, noise=0.01)
    assert V.flat(rising, margin=0.02).outcome == V.CONTRADICTED
    assert V.flat(rising, margin=0.02, allow="up").outcome == V.REPRODUCED
    assert V.flat(rising, margin=0.02, allow="down").outcome == V.CONTRADICTED


def test_agrees_with_theory():
    rng = np.random.default_rng(8)
    t = np.arange(1, 6)
    theory = 0.9**t
    chains = theory * (1 + rng.normal(0, 0.05, (400, 5)))
    assert V.agrees_with_theory(chains, theory, margin=0.02).outcome == V.REPRODUCED
    assert V.agrees_with_theory(chains * 1.1, theory, margin=0.02).outcome == V.CONTRADICTED
    assert V.agrees_with_theory(chains[:, 0], theory[0], margin=0.02).outcome == V.REPRODUCED


def test_curves_and_at_from_a_tidy_table():
    rows = [
        {"seed": s, "generation": g, "metric": m, "lam": lam, "value": s + g + lam}
        for s in (1, 2)
        for g in (1, 2, 3)
        for m in ("fid", "recall")
        for lam in (1.0, 0.5)
    ]
    results = pd.DataFrame(rows)
    frame = V.curves(results, "fid", lam=0.5)
    assert frame.shape == (2, 3) and frame.loc[2, 3] == 5.5
    assert V.at(results, "fid", "last", lam=1.0).to_dict() == {1: 5.0, 2: 6.0}
    assert V.at(results, "fid", 2, lam=1.0).to_dict() == {1: 4.0, 2: 5.0}
    with pytest.raises(ValueError, match="several rows"):
        V.curves(results, "fid")
    with pytest.raises(ValueError, match="metrics present"):
        V.curves(results, "fdi", lam=1.0)
    with pytest.raises(ValueError, match="cannot filter on 'loop'"):
        V.curves(results, "fid", loop="x")


def test_evidence_serialises():
    ev = V.rises(trend(1.0))
    d = ev.to_dict()
    assert d["outcome"] == V.REPRODUCED and d["n"] == 5 and d["level"] == V.LEVEL
    assert V.Evidence(**d).summary() == ev.summary()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: V.rises(np.ones((1, 5))), ValueError, "at least two independent seeds"),
        (lambda: V.rises(np.ones((3, 1))), ValueError, "at least two generations"),
        (lambda: V.rises(np.ones(5)), ValueError, "curves must be curves of shape"),
        (lambda: V.rises(np.array([[1, 2], [np.nan, 3]])), ValueError, "NaN"),
        (lambda: V.rises(trend(1.0), statistic="median"), ValueError, "statistic must be one of"),
        (lambda: V.rises(trend(1.0), start=20), ValueError, "window"),
        (lambda: V.greater([1.0], [2.0]), ValueError, "at least two independent seeds"),
        (lambda: V.greater(pd.Series([1.0, 2.0], index=[1, 2]), pd.Series([1.0, 2.0], index=[1, 3])), ValueError, "same seeds"),
        (lambda: V.greater([1.0, np.inf], 0.0), ValueError, "NaN or infinite"),
        (lambda: V.greater([1.0, 2.0], float("nan")), ValueError, "b must be finite"),
        (lambda: V.greater(["a", "b"], 0.0), TypeError, "must hold numbers"),
        (lambda: V.ordered({"a": [1, 2]}, "increasing"), ValueError, "at least two group"),
        (lambda: V.ordered({"a": [1, 2], "b": [2, 3]}, "up"), ValueError, "direction must be one of"),
        (lambda: V.ordered({"a": [1, 2], "b": [2, 3, 4]}, "increasing"), ValueError, "same seeds"),
        (lambda: V.slower_than(trend(1.0), trend(2.0), "sideways"), ValueError, "direction must be"),
        (lambda: V.flat(trend(0.0), margin=-1), ValueError, "margin must be a positive"),
        (lambda: V.flat(trend(0.0), margin=0.1, allow="left"), ValueError, "allow must be one of"),
        (lambda: V.same_limit(trend(0.0), trend(0.0), margin=0.1, tail=1), ValueError, "tail must be between"),
        (lambda: V.converges(trend(0.0), margin=0.1, tail=2.5), TypeError, "tail must be an integer"),
        (lambda: V.agrees_with_theory(np.ones((5, 3)), [1.0, 2.0], margin=0.1), ValueError, "predicted must be"),
        (lambda: V.agrees_with_theory(np.ones(5), 0.0, margin=0.1), ValueError, "non-zero"),
        (lambda: V.interval([1.0, 2.0], level=1.5), ValueError, "level must be in"),
    ],
)
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_ordered_reports_the_deciding_step():
    rng = np.random.default_rng(9)
    base = rng.normal(0, 1, 6)
    groups = {"a": base, "b": base + 5 + rng.normal(0, 0.1, 6), "c": base + 5 + rng.normal(0, 3, 6)}
    ev = V.ordered(groups, "increasing")
    assert ev.outcome == V.INCONCLUSIVE
    assert "b → c" in ev.statistic and ev.low < 0 < ev.high


def test_evidence_names_its_replicates():
    ev = V.rises(trend(1.0)).with_unit("chains")
    assert "5 chains" in ev.summary()
    with pytest.raises(ValueError, match="unit must name"):
        ev.with_unit("")


def test_min_effect_turns_a_confidently_negligible_trend_into_a_contradiction():
    slopes = np.array([-0.002, -0.001, 0.0, 0.0, 0.001, 0.002])  # a trend of mean 0, tightly known
    flat = pd.DataFrame(np.outer(slopes, np.arange(1, 11)), columns=range(1, 11))
    assert V.falls(flat).outcome == V.INCONCLUSIVE
    ev = V.falls(flat, min_effect=0.01)
    assert ev.outcome == V.CONTRADICTED and ev.details["smallest effect of interest"] == 0.01
    assert V.rises(flat, min_effect=0.01).outcome == V.CONTRADICTED
    assert V.falls(trend(-1.0), min_effect=0.01).outcome == V.REPRODUCED
    with pytest.raises(ValueError, match="min_effect must be"):
        V.falls(flat, min_effect=-1)
