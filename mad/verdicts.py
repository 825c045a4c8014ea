"""The verdict engine: one statistical rule for every claim of the book.

A claim about a run ("FID rises", "recall falls faster at λ = 0.5 than at λ = 1", "precision
stays flat") is decided the same way everywhere:

1. each **independent seed** gives one number, the per-seed *statistic* (a slope over
   generations, a value at one generation, a paired difference between two conditions run
   with the same seed, a deviation from theory);
2. the seeds' mean is the **effect** and a Student-t **confidence interval** at the one level
   :data:`LEVEL` (95 %) says how well the seeds pin it down,

   .. math:: \\bar d \\pm t_{1-\\alpha/2,\\, n-1}\\, s_d / \\sqrt n ,

3. the interval, not the point estimate, gives one of three outcomes:

   * :data:`REPRODUCED`: the whole interval lies on the side the claim predicts;
   * :data:`CONTRADICTED`: the whole interval lies on the other side (or, for an
     equivalence claim, entirely outside the stated margin);
   * :data:`INCONCLUSIVE`: the interval straddles the boundary; the data cannot tell.

Under a true null effect the interval excludes 0 on a given side with probability
α/2 = 2.5 %, so a true claim is *contradicted* at most 2.5 % of the time per part (checked by
simulation in the tests). Equivalence claims (:func:`flat`, :func:`same_limit`,
:func:`agrees_with_theory`) are the two one-sided tests of Schuirmann (1987) read off the same
interval: reproduced when the interval lies inside the margin, contradicted when it lies
entirely outside it.

Paired designs use common random numbers: runs that share a seed (the same G_1, the same real
data) are compared seed by seed, which removes the between-seed variation that both conditions
share. Every test returns an :class:`Evidence`, which :class:`mad.claims.ClaimsLedger` stores and
the chapter shows: the rule in words, the effect, its interval and the number of seeds.

Inputs are per-seed numbers: a :class:`pandas.Series` indexed by seed, a wide
:class:`pandas.DataFrame` of curves (index: seed, columns: generation), or arrays of the same
shapes. :func:`curves` and :func:`at` cut them out of the book's tidy results tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from mad.validation import check_number

#: The one confidence level of every verdict in the book.
LEVEL = 0.95

REPRODUCED = "reproduced"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
OUTCOMES: tuple[str, ...] = (REPRODUCED, CONTRADICTED, INCONCLUSIVE)

Statistic = Literal["slope", "change"]
STATISTICS: tuple[str, ...] = ("slope", "change")
DIRECTIONS: tuple[str, ...] = ("increasing", "decreasing")
ALLOW: tuple[str, ...] = ("both", "up", "down")

Curves = pd.DataFrame | np.ndarray
Values = pd.Series | np.ndarray | Sequence[float]


@dataclass(frozen=True)
class Evidence:
    """The outcome of one verdict test and the numbers behind it.

    ``effect`` is the mean over seeds of the per-seed statistic described by ``statistic``;
    ``low``/``high`` its confidence interval at ``level``; ``n`` the number of seeds; ``rule``
    says in words what decides the outcome. ``details`` holds extra numbers for the reader
    (for example the means at the first and last generation).
    """

    test: str
    rule: str
    statistic: str
    effect: float
    low: float
    high: float
    n: int
    outcome: str
    level: float = LEVEL
    details: dict[str, Any] = field(default_factory=dict)
    unit: str = "seeds"

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}; got {self.outcome!r}")

    @property
    def interval(self) -> str:
        return f"{_fmt(self.effect)} [{_fmt(self.low)}, {_fmt(self.high)}]"

    def summary(self) -> str:
        """One line: the statistic, its effect and interval, the seeds, the extra numbers."""
        text = f"{self.statistic} = {self.interval} ({self.level:.0%} CI, {self.n} {self.unit})"
        if self.details:
            text += "; " + "; ".join(f"{k} = {_fmt(v)}" for k, v in self.details.items())
        return text

    def with_unit(self, unit: str) -> Evidence:
        """The same evidence, saying what the independent replicates are (``"seeds"``, ``"chains"``, ...)."""
        if not isinstance(unit, str) or not unit:
            raise ValueError(f"unit must name the replicates, for example 'chains'; got {unit!r}")
        return replace(self, unit=unit)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["details"] = {k: _jsonable(v) for k, v in self.details.items()}
        for key in ("effect", "low", "high"):
            out[key] = _jsonable(out[key])
        return out

    def __str__(self) -> str:
        return f"{self.outcome}: {self.rule}; {self.summary()}"


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            return str(value)
        return f"{value:.3g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return str(value)


# --------------------------------------------------------------------------- inputs


def _per_seed(values: Values | Mapping[Any, float], name: str) -> pd.Series:
    """Per-seed numbers as a float Series indexed by seed; at least two, all finite."""
    if isinstance(values, pd.DataFrame):
        raise TypeError(f"{name} must be one number per seed (a Series or 1-D array); got a table: pick one generation first")
    if isinstance(values, Mapping):
        values = pd.Series(values)
    if not isinstance(values, pd.Series):
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be one number per seed (1-D); got shape {arr.shape}")
        values = pd.Series(arr)
    try:
        series = values.astype(float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers; got dtype {values.dtype}") from None
    if len(series) < 2:
        raise ValueError(f"{name} needs at least two independent seeds for a confidence interval; got {len(series)}")
    if not np.isfinite(series.to_numpy()).all():
        bad = series[~np.isfinite(series.to_numpy())]
        raise ValueError(f"{name} has NaN or infinite values at seeds {list(bad.index)}: a metric failed upstream")
    if series.index.has_duplicates:
        raise ValueError(f"{name} has duplicate seeds {list(series.index[series.index.duplicated()])}")
    return series


def _curves(values: Curves, name: str) -> pd.DataFrame:
    """Per-seed curves as a float DataFrame (index: seed, columns: generation), all finite."""
    if isinstance(values, pd.DataFrame):
        frame = values
    else:
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 2:
            raise ValueError(f"{name} must be curves of shape (seeds, generations); got shape {arr.shape}")
        frame = pd.DataFrame(arr, columns=np.arange(1, arr.shape[1] + 1))
    try:
        frame = frame.astype(float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must hold numbers") from None
    if len(frame) < 2:
        raise ValueError(f"{name} needs at least two independent seeds for a confidence interval; got {len(frame)}")
    if frame.shape[1] < 2:
        raise ValueError(f"{name} needs at least two generations to show a trend; got {frame.shape[1]}")
    if not np.isfinite(frame.to_numpy()).all():
        raise ValueError(
            f"{name} has NaN or infinite values: a metric failed upstream, or some replicates miss generations (a wide table pads them with NaN)"
        )
    return frame


def _paired(a: pd.Series, b: pd.Series, name_a: str, name_b: str) -> tuple[pd.Series, pd.Series]:
    if set(a.index) != set(b.index):
        raise ValueError(
            f"{name_a} and {name_b} must come from the same seeds (a paired design); got seeds {sorted(a.index)} and {sorted(b.index)}"
        )
    return a, b.reindex(a.index)


def _window(frame: pd.DataFrame, start: Any, end: Any, name: str) -> pd.DataFrame:
    cols = [c for c in frame.columns if (start is None or c >= start) and (end is None or c <= end)]
    if len(cols) < 2:
        raise ValueError(f"{name}: the window start={start}, end={end} keeps {len(cols)} generation(s); need at least two")
    return frame[cols]


def _statistic(frame: pd.DataFrame, statistic: str) -> pd.Series:
    """Per-seed OLS slope over the columns (per generation), or last minus first column."""
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}; got {statistic!r}")
    if statistic == "change":
        return frame.iloc[:, -1] - frame.iloc[:, 0]
    x = np.asarray(frame.columns, dtype=float)
    xc = x - x.mean()
    slopes = (frame.to_numpy() - frame.to_numpy().mean(axis=1, keepdims=True)) @ xc / (xc @ xc)
    return pd.Series(slopes, index=frame.index)


def _span(frame: pd.DataFrame) -> str:
    return f"t = {frame.columns[0]}..{frame.columns[-1]}"


def _describe(statistic: str, frame: pd.DataFrame) -> str:
    return f"slope per generation ({_span(frame)})" if statistic == "slope" else f"change t = {frame.columns[0]} → {frame.columns[-1]}"


# --------------------------------------------------------------------------- the interval and the rule


def interval(values: Values, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of per-seed values and its Student-t confidence interval at ``level``."""
    x = _per_seed(values, "values").to_numpy()
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    mean = float(x.mean())
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def _directional(
    test: str, rule: str, statistic: str, d: pd.Series, sign: int, min_effect: float = 0.0, level: float = LEVEL, **details: Any
) -> Evidence:
    """Reproduced when the interval of ``d`` lies beyond 0 on the side ``sign``; contradicted when it
    lies on the other side of 0, or (with ``min_effect`` m > 0) entirely short of an effect of size m
    in the claimed direction: the smallest effect of interest is then excluded with confidence."""
    mean, low, high = interval(d, level)
    if sign > 0:
        outcome = REPRODUCED if low > 0 else CONTRADICTED if high < min_effect else INCONCLUSIVE
    else:
        outcome = REPRODUCED if high < 0 else CONTRADICTED if low > -min_effect else INCONCLUSIVE
    if min_effect:
        details = {**details, "smallest effect of interest": min_effect}
    return Evidence(test, rule, statistic, mean, low, high, len(d), outcome, level, details)


def _min_effect(value: float) -> float:
    return check_number("min_effect", value, 0.0)


def _equivalent(
    test: str, rule: str, statistic: str, d: pd.Series, margin: float, allow: str = "both", level: float = LEVEL, **details: Any
) -> Evidence:
    """Reproduced when the interval of ``d`` lies inside the margin; contradicted when entirely outside it."""
    margin = _margin(margin)
    if allow not in ALLOW:
        raise ValueError(f"allow must be one of {', '.join(ALLOW)}; got {allow!r}")
    mean, low, high = interval(d, level)
    lo_ok = allow == "down" or low > -margin  # "flat or falls" puts no bound below
    hi_ok = allow == "up" or high < margin  # "flat or rises" puts no bound above
    outside = (allow != "down" and high < -margin) or (allow != "up" and low > margin)
    outcome = REPRODUCED if lo_ok and hi_ok else CONTRADICTED if outside else INCONCLUSIVE
    return Evidence(test, rule, statistic, mean, low, high, len(d), outcome, level, {"margin": margin, **details})


def _margin(margin: float) -> float:
    return check_number("margin", margin, 0.0, low_open=True)


# --------------------------------------------------------------------------- trends over generations


def rises(
    curves: Curves, what: str = "the metric", statistic: Statistic = "slope", start: Any = None, end: Any = None, min_effect: float = 0.0
) -> Evidence:
    """The metric rises over generations: the per-seed ``statistic`` (OLS slope per generation, or
    the change from the first to the last generation in the window) is positive.

    ``min_effect`` m > 0 states the smallest rise that would count: when the whole interval lies
    below m the data exclude any meaningful rise and the outcome is *contradicted*, not inconclusive
    (equivalence testing with a smallest effect size of interest; Lakens 2017).
    """
    frame = _window(_curves(curves, "curves"), start, end, "rises")
    d = _statistic(frame, statistic)
    rule = f"{what} rises: {_describe(statistic, frame)} > 0"
    return _directional("rises", rule, _describe(statistic, frame), d, +1, _min_effect(min_effect), **_ends(frame.mean()))


def falls(
    curves: Curves, what: str = "the metric", statistic: Statistic = "slope", start: Any = None, end: Any = None, min_effect: float = 0.0
) -> Evidence:
    """The metric falls over generations: the per-seed ``statistic`` is negative (see :func:`rises`,
    also for ``min_effect``)."""
    frame = _window(_curves(curves, "curves"), start, end, "falls")
    d = _statistic(frame, statistic)
    rule = f"{what} falls: {_describe(statistic, frame)} < 0"
    return _directional("falls", rule, _describe(statistic, frame), d, -1, _min_effect(min_effect), **_ends(frame.mean()))


def _ends(means: pd.Series) -> dict[str, float]:
    return {f"mean t={means.index[0]}": float(means.iloc[0]), f"mean t={means.index[-1]}": float(means.iloc[-1])}


def flat(
    curves: Curves,
    margin: float,
    what: str = "the metric",
    statistic: Statistic = "change",
    allow: Literal["both", "up", "down"] = "both",
    start: Any = None,
    end: Any = None,
) -> Evidence:
    """The metric stays flat within ``margin``: the per-seed ``statistic`` (default: the change
    from the first to the last generation) lies within ±margin (equivalence).

    ``allow="up"`` reads "flat or rises" (non-inferiority: the change is above −margin);
    ``allow="down"`` reads "flat or falls".
    """
    if allow not in ALLOW:
        raise ValueError(f"allow must be one of {', '.join(ALLOW)}; got {allow!r}")
    margin = _margin(margin)
    frame = _window(_curves(curves, "curves"), start, end, "flat")
    d = _statistic(frame, statistic)
    bound = {"both": f"within ±{margin:g}", "up": f"> −{margin:g}", "down": f"< +{margin:g}"}[allow]
    word = {"both": "stays flat", "up": "stays flat or rises", "down": "stays flat or falls"}[allow]
    rule = f"{what} {word}: {_describe(statistic, frame)} {bound}"
    return _equivalent("flat", rule, _describe(statistic, frame), d, margin, allow, **_ends(frame.mean()))


def converges(curves: Curves, margin: float, tail: int, what: str = "the metric") -> Evidence:
    """The metric has settled: over the last ``tail`` generations its per-seed slope is within
    ±``margin`` per generation."""
    frame = _curves(curves, "curves")
    tail = _check_tail(tail, frame)
    window = frame.iloc[:, -tail:]
    d = _statistic(window, "slope")
    rule = f"{what} converges: slope over the last {tail} generations within ±{margin:g} per generation"
    return _equivalent("converges", rule, _describe("slope", window), d, margin, "both", **_ends(window.mean()))


def _check_tail(tail: int, frame: pd.DataFrame) -> int:
    if isinstance(tail, bool) or not isinstance(tail, (int, np.integer)):
        raise TypeError(f"tail must be an integer number of generations; got {tail!r}")
    if not 2 <= tail <= frame.shape[1]:
        raise ValueError(f"tail must be between 2 and the number of generations ({frame.shape[1]}); got {tail}")
    return int(tail)


# --------------------------------------------------------------------------- comparisons


def greater(a: Values, b: Values | float, what: str = "a > b") -> Evidence:
    """``a`` exceeds ``b``: the per-seed difference a − b (paired by seed), or a − constant, is positive."""
    return _compare(a, b, what, +1, "greater")


def less(a: Values, b: Values | float, what: str = "a < b") -> Evidence:
    """``a`` is below ``b``: the per-seed difference a − b (paired by seed), or a − constant, is negative."""
    return _compare(a, b, what, -1, "less")


def _compare(a: Values, b: Values | float, what: str, sign: int, test: str) -> Evidence:
    sa = _per_seed(a, "a")
    if np.isscalar(b) and not isinstance(b, str):
        b = float(b)
        if not math.isfinite(b):
            raise ValueError(f"b must be finite; got {b!r}")
        d = sa - b
        stat = f"a − {b:g}"
        details = {"mean a": float(sa.mean())}
    else:
        sa, sb = _paired(sa, _per_seed(b, "b"), "a", "b")
        d = sa - sb
        stat = "paired difference a − b"
        details = {"mean a": float(sa.mean()), "mean b": float(sb.mean())}
    rule = f"{what}: {stat} {'>' if sign > 0 else '<'} 0"
    return _directional(test, rule, stat, d, sign, **details)


def ordered(
    groups: Mapping[Any, Values], direction: Literal["increasing", "decreasing"], what: str = "the metric", by: str = "group"
) -> Evidence:
    """The metric is ordered across ``groups`` (in the mapping's order): every adjacent pair differs
    in ``direction``, seed by seed (paired).

    Each of the k − 1 adjacent differences gets a Bonferroni interval at level 1 − α/(k − 1):
    reproduced when every interval lies on the claimed side, contradicted when any lies entirely
    on the other side. The reported effect is the adjacent step that is least in order.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")
    if not isinstance(groups, Mapping) or len(groups) < 2:
        raise ValueError("groups must map at least two group labels to per-seed values")
    labels = list(groups)
    series = [_per_seed(groups[k], f"groups[{k!r}]") for k in labels]
    for k, s in zip(labels[1:], series[1:]):
        _paired(series[0], s, f"groups[{labels[0]!r}]", f"groups[{k!r}]")
    sign = +1 if direction == "increasing" else -1
    level = 1 - (1 - LEVEL) / (len(labels) - 1)
    steps = []
    for i in range(len(labels) - 1):
        d = series[i + 1].reindex(series[0].index) - series[i]
        steps.append((labels[i], labels[i + 1], *interval(sign * d, level)))
    any_against = any(s[4] < 0 for s in steps)
    all_for = all(s[3] > 0 for s in steps)
    outcome = REPRODUCED if all_for else CONTRADICTED if any_against else INCONCLUSIVE
    # report the step that decides: the most reversed one if any is, else the least certain one
    worst = min(steps, key=lambda s: s[4]) if any_against else min(steps, key=lambda s: s[3])
    word = "increases" if sign > 0 else "decreases"
    rule = f"{what} {word} along {by} {' → '.join(map(str, labels))}: every adjacent paired step, Bonferroni over {len(steps)}"
    stat = f"deciding step {worst[0]} → {worst[1]} (signed in the claimed direction)"
    means = {f"mean {by}={k}": float(s.mean()) for k, s in zip(labels, series)}
    return Evidence("ordered", rule, stat, worst[2], worst[3], worst[4], len(series[0]), outcome, LEVEL, means)


def slower_than(
    a: Curves,
    b: Curves,
    direction: Literal["rises", "falls"],
    what: str = "the metric",
    statistic: Statistic = "slope",
    names: tuple[str, str] = ("a", "b"),
) -> Evidence:
    """``a`` rises (or falls) more slowly than ``b``, seed by seed: the paired difference of the
    per-seed ``statistic`` (slope or change over the generations both share) favours ``a``."""
    if direction not in ("rises", "falls"):
        raise ValueError(f"direction must be 'rises' or 'falls'; got {direction!r}")
    fa, fb = _curves(a, names[0]), _curves(b, names[1])
    shared = [c for c in fa.columns if c in set(fb.columns)]
    if len(shared) < 2:
        raise ValueError(f"{names[0]} and {names[1]} share {len(shared)} generation(s); need at least two")
    sa, sb = _paired(_statistic(fa[shared], statistic), _statistic(fb[shared], statistic), names[0], names[1])
    sign = -1 if direction == "rises" else +1
    d = sa - sb
    stat = f"{_describe(statistic, fa[shared])}: {names[0]} − {names[1]}"
    rule = f"{what} {direction} more slowly in {names[0]} than in {names[1]}: {stat} {'<' if sign < 0 else '>'} 0"
    details = {f"{names[0]} {statistic}": float(sa.mean()), f"{names[1]} {statistic}": float(sb.mean())}
    return _directional("slower_than", rule, stat, d, sign, **details)


def same_limit(a: Curves, b: Curves, margin: float, tail: int, what: str = "the metric", names: tuple[str, str] = ("a", "b")) -> Evidence:
    """``a`` and ``b`` settle at the same level: the paired difference of their means over the last
    ``tail`` generations lies within ±``margin``."""
    fa, fb = _curves(a, names[0]), _curves(b, names[1])
    tail = _check_tail(tail, fa)
    _check_tail(tail, fb)
    ma, mb = _paired(fa.iloc[:, -tail:].mean(axis=1), fb.iloc[:, -tail:].mean(axis=1), names[0], names[1])
    stat = f"mean of the last {tail} generations: {names[0]} − {names[1]}"
    rule = f"{what} reaches the same limit in {names[0]} and {names[1]}: {stat} within ±{margin:g}"
    details = {f"{names[0]} limit": float(ma.mean()), f"{names[1]} limit": float(mb.mean())}
    return _equivalent("same_limit", rule, stat, ma - mb, margin, "both", **details)


def agrees_with_theory(
    observed: Values | Curves,
    predicted: float | Sequence[float] | np.ndarray,
    margin: float,
    what: str = "the metric",
    relative: bool = True,
) -> Evidence:
    """Simulation agrees with a closed form within ``margin``.

    ``observed`` holds independent replicates (seeds or chains): one value each, or one row each
    with one column per point of ``predicted``. At every point the mean deviation
    (observed − predicted, divided by |predicted| when ``relative``) gets a Bonferroni interval over
    the points; reproduced when all lie within ±margin, contradicted when any lies entirely outside.
    """
    margin = _margin(margin)
    if isinstance(observed, pd.DataFrame) or np.ndim(observed) == 2:
        frame = _curves(observed, "observed") if np.shape(observed)[1] >= 2 else pd.DataFrame(np.asarray(observed, float))
    else:
        frame = _per_seed(observed, "observed").to_frame()
    if len(frame) < 2:
        raise ValueError(f"observed needs at least two replicates; got {len(frame)}")
    if not np.isfinite(frame.to_numpy()).all():
        raise ValueError(
            "observed has NaN or infinite values (columns of different lengths are padded with NaN: give each point the same replicates)"
        )
    pred = (
        np.broadcast_to(np.asarray(predicted, dtype=float), (frame.shape[1],)) if np.ndim(predicted) == 0 else np.asarray(predicted, float)
    )
    if pred.shape != (frame.shape[1],):
        raise ValueError(f"predicted must be one number or one per column of observed ({frame.shape[1]}); got shape {pred.shape}")
    if not np.isfinite(pred).all() or (relative and (pred == 0).any()):
        raise ValueError("predicted must be finite (and non-zero when relative=True)")
    dev = (frame.to_numpy() - pred) / (np.abs(pred) if relative else 1.0)
    level = 1 - (1 - LEVEL) / dev.shape[1]
    cis = [interval(dev[:, j], level) for j in range(dev.shape[1])]
    worst = max(range(len(cis)), key=lambda j: max(abs(cis[j][1]), abs(cis[j][2])))
    inside = all(-margin < lo and hi < margin for _, lo, hi in cis)
    outside = any(hi < -margin or lo > margin for _, lo, hi in cis)
    outcome = REPRODUCED if inside else CONTRADICTED if outside else INCONCLUSIVE
    kind = "relative deviation" if relative else "deviation"
    where = f" at point {frame.columns[worst]}" if dev.shape[1] > 1 else ""
    stat = f"{kind} from theory{where} (worst of {dev.shape[1]})" if dev.shape[1] > 1 else f"{kind} from theory"
    rule = f"{what} agrees with theory: mean {kind} within ±{margin:g}" + (
        f" at each of {dev.shape[1]} points, Bonferroni" if dev.shape[1] > 1 else ""
    )
    m, lo, hi = cis[worst]
    details = {"theory": float(pred[worst]), "simulated": float(frame.to_numpy()[:, worst].mean()), "margin": margin}
    return Evidence("agrees_with_theory", rule, stat, m, lo, hi, len(frame), outcome, LEVEL, details)


# --------------------------------------------------------------------------- tidy results → per-seed numbers


def curves(results: pd.DataFrame, metric: str, **where: Any) -> pd.DataFrame:
    """Per-seed curves of ``metric`` from a tidy results table (columns ``seed, generation,
    metric, value``), after filtering on ``where`` (for example ``lam=0.5, loop="fresh_data"``).

    Returns a wide frame: index ``seed``, columns ``generation``. Raises if the selection is empty
    or holds more than one row per (seed, generation).
    """
    missing = {"seed", "generation", "metric", "value"} - set(results.columns)
    if missing:
        raise ValueError(f"results must be a tidy table with columns seed, generation, metric, value; missing {sorted(missing)}")
    mask = results["metric"] == metric
    for key, value in where.items():
        if key not in results.columns:
            raise ValueError(f"cannot filter on {key!r}: results has columns {list(results.columns)}")
        mask &= np.isclose(results[key], value) if isinstance(value, float) else results[key] == value
    rows = results[mask]
    if rows.empty:
        known = sorted(results["metric"].unique())
        raise ValueError(f"no rows for metric {metric!r} with {where or 'no filter'}; metrics present: {known}")
    if rows.duplicated(["seed", "generation"]).any():
        raise ValueError(f"metric {metric!r} with {where} has several rows per (seed, generation): filter further")
    return rows.pivot(index="seed", columns="generation", values="value").sort_index(axis=1)


def at(results: pd.DataFrame, metric: str, generation: int | str = "last", **where: Any) -> pd.Series:
    """Per-seed values of ``metric`` at one ``generation`` (``"first"``, ``"last"`` or a number)."""
    frame = curves(results, metric, **where)
    if generation == "last":
        return frame.iloc[:, -1]
    if generation == "first":
        return frame.iloc[:, 0]
    if generation not in frame.columns:
        raise ValueError(f"generation {generation!r} not in the run; generations are {list(frame.columns)}")
    return frame[generation]
