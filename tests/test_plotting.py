"""The book's plotting rules (mad.plotting) and the results accessor (mad.results)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mad import plotting as P
from mad import results as R
from mad import verdicts as V


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def tidy(seeds=(1, 2, 3), lams=(1.0, 0.8, 0.66), gens=5, metrics=("fid", "recall")) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = [
        dict(seed=s, lam=lam, generation=t, metric=m, value=float(t * (2 - lam) + rng.normal()))
        for s in seeds
        for lam in lams
        for t in range(1, gens + 1)
        for m in metrics
    ]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- palette


def test_lambda_colours_fixed_and_distinct():
    assert P.color_of(0.8) != P.color_of(0.66)
    assert P.color_of(0.66) == P.color_of(2 / 3)
    assert P.color_of(1.0) == P.color_of(1) == P.LAMBDA_COLORS[1.0]
    assert len(set(P.LAMBDA_COLORS.values())) == len(P.LAMBDA_COLORS)


def test_loop_colours_fixed_and_distinct():
    assert P.color_of("fresh_data") == P.color_of("fresh data")
    assert P.color_of("keep real, replace synthetic") != P.color_of("fresh data")
    loops = ["fully synthetic", "synthetic augmentation", "synthetic augmentation accumulate", "fresh data"]
    assert len({P.color_of(name) for name in loops}) == len(loops)


def test_free_labels_stable_and_palette_distinct():
    assert P.color_of("my series") == P.color_of("my series")
    keys = [f"series {i}" for i in range(10)]
    pal = P.palette_for(keys)
    assert len(set(pal.values())) == len(keys)
    assert P.palette_for([1.0, 0.8])[0.8] == P.color_of(0.8)


def test_color_of_rejects_bool():
    with pytest.raises(ValueError, match="key"):
        P.color_of(True)


# ---------------------------------------------------------------- intervals


def test_mean_interval_is_student_t():
    x = np.array([[1.0, 2.0], [2.0, 4.0], [4.0, 9.0]])
    mean, low, high = P.mean_interval(x, axis=0)
    half = stats.t.ppf(0.975, 2) * x.std(axis=0, ddof=1) / np.sqrt(3)
    np.testing.assert_allclose(mean, x.mean(0))
    np.testing.assert_allclose(high - mean, half)
    np.testing.assert_allclose(mean - low, half)
    # the same interval the verdicts use
    m, lo, hi = V.interval(pd.Series(x[:, 1]))
    assert np.isclose(lo, low[1]) and np.isclose(hi, high[1])


def test_mean_interval_single_replicate_and_errors():
    mean, low, high = P.mean_interval(np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(low, mean)
    with pytest.raises(ValueError, match="level"):
        P.mean_interval([1.0, 2.0], level=1.5)


def test_metric_vs_generation_band_is_t_interval_not_range():
    res = tidy()
    fig = P.metric_vs_generation(res, ["fid"])
    ax = fig.axes[0]
    wide = V.curves(res, "fid", lam=0.8)
    _, low, high = P.mean_interval(wide.to_numpy(), axis=0)
    colour = matplotlib.colors.to_rgba(P.color_of(0.8))
    bands = [c for c in ax.collections if np.allclose(c.get_facecolor()[0][:3], colour[:3])]
    assert len(bands) == 1
    verts = bands[0].get_paths()[0].vertices
    ys = verts[:, 1]
    assert np.isclose(ys.min(), low.min()) and np.isclose(ys.max(), high.max())
    # the min-max range over seeds is wider than the band would have to be, and not what is drawn
    assert not np.isclose(ys.max(), wide.max(axis=0).max()) or np.isclose(high.max(), wide.max(axis=0).max())
    text = " ".join(t.get_text() for leg in fig.legends for t in leg.get_texts())
    assert "95% t-interval" in text and "3 seeds" in text


def test_metric_vs_generation_colours_and_layout():
    res = tidy(metrics=("a", "b", "c", "d"))
    fig = P.metric_vs_generation(res, ["a", "b", "c", "d"])
    assert len(fig.axes) == 4
    cols = {round(ax.get_position().x0, 2) for ax in fig.axes}
    assert len(cols) == 2  # 2x2, not a strip
    assert fig.get_size_inches()[0] <= P.PAGE_WIDTH + 1e-9
    line_colours = {matplotlib.colors.to_hex(line.get_color()) for line in fig.axes[0].get_lines()}
    assert {P.color_of(lam).lower() for lam in (1.0, 0.8, 0.66)} <= {c.lower() for c in line_colours}
    # the legend is below the panels, not right of them
    (legend,) = fig.legends
    bbox = legend.get_window_extent(fig.canvas.get_renderer())
    assert bbox.y1 <= min(ax.get_window_extent().y0 for ax in fig.axes) + 1
    assert bbox.x1 <= fig.bbox.x1 + 1


def test_metric_vs_generation_unknown_metric():
    with pytest.raises(ValueError, match="metrics not in results"):
        P.metric_vs_generation(tidy(), ["nope"])


def test_panels_at_most_two_per_row():
    fig, axes = P.panels(3)
    assert len(axes) == 3 and len(fig.axes) == 3
    assert fig.get_size_inches()[0] <= P.PAGE_WIDTH
    with pytest.raises(ValueError, match="n must be"):
        P.panels(0)


def test_log_axis_states_scale():
    fig, ax = plt.subplots()
    ax.set_xlabel("models remembered K")
    P.log_axis(ax, "x", base=2)
    assert ax.get_xscale() == "log" and "log₂ scale" in ax.get_xlabel()
    with pytest.raises(ValueError, match="which"):
        P.log_axis(ax, "z")


def test_shared_limits():
    a, b = np.array([[-3.0, 1.0]]), np.array([[0.5, np.nan, 2.0]])
    assert P.shared_limits([a, b]) == (-3.0, 2.0)
    assert P.shared_limits([a, b], low=-1.0) == (-1.0, 2.0)
    assert P.shared_limits([a, b], symmetric=True) == (-3.0, 3.0)
    with pytest.raises(ValueError):
        P.shared_limits([np.array([np.nan])])


def test_sample_grid_light_separators_and_labels():
    fig, ax = plt.subplots()
    imgs = np.ones((4, 64))  # all ink
    P.labelled_rows({"real": imgs[:2], "$G_1$": imgs[2:]}, ax, col_labels=["0", "1"])
    canvas = ax.get_images()[0].get_array()
    sep = canvas[8, 0]  # the row between the two image rows
    assert 0 < sep < 0.5  # light grey under gray_r, distinct from ink (1) and paper (0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["real", "$G_1$"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1"]
    with pytest.raises(ValueError, match="col_labels"):
        P.sample_grid(imgs, 2, 2, ax, col_labels=["0"])


# ---------------------------------------------------------------- results accessor


def test_num_plain_python():
    assert type(R.num(np.float64(1.5))) is float and type(R.num(np.int64(3))) is int
    with pytest.raises(TypeError):
        R.num(np.array([1.0, 2.0]))
    with pytest.raises(TypeError):
        R.num(True)


def test_per_seed_and_per_class():
    out = R.per_seed({1: np.arange(3), 2: np.arange(3) + 1}, lambda r: r * 2)
    np.testing.assert_array_equal(out, [[0, 2, 4], [2, 4, 6]])
    with pytest.raises(ValueError, match="same length"):
        R.per_seed({1: np.arange(3), 2: np.arange(4)}, lambda r: r)
    X = np.arange(40).reshape(20, 2)
    y = np.repeat(np.arange(10), 2)
    np.testing.assert_array_equal(R.per_class(X, y, per=1)[:, 0], np.arange(0, 40, 4))
    with pytest.raises(ValueError, match="class 9"):
        R.per_class(X[:-2], y[:-2], per=1)


def test_results_accessor_matches_verdicts():
    res = tidy()
    acc = R.Results(res)
    assert acc.mean("fid", lam=0.8) == pytest.approx(V.at(res, "fid", lam=0.8).mean())
    assert acc.mean("fid", 1, lam=0.8) == pytest.approx(V.curves(res, "fid", lam=0.8)[1].mean())
    pd.testing.assert_series_equal(acc.mean_curve("recall", lam=1.0), V.curves(res, "recall", lam=1.0).mean(axis=0))
    with pytest.raises(ValueError, match="missing"):
        R.Results(res.drop(columns="seed"))


def test_compare_word():
    assert R.compare_word(-2, -1) == "below"
    assert R.compare_word(1, 2) == "above"
    assert R.compare_word(-1, 1) == "not distinguishable from"
    with pytest.raises(ValueError):
        R.compare_word(2, 1)


def test_metric_vs_generation_odd_panels_legend_in_free_cell():
    fig = P.metric_vs_generation(tidy(metrics=("a", "b", "c")), ["a", "b", "c"])
    assert len(fig.axes) == 4 and not fig.axes[-1].axison
    assert fig.axes[-1].get_legend() is not None and not fig.legends


def test_band_log_is_geometric_and_positive():
    fig, ax = plt.subplots()
    v = np.array([[1e-6, 1.0], [1e-2, 10.0], [1.0, 100.0]])
    mean, low, high = P.band(ax, [1, 2], v, "k", log=True)
    np.testing.assert_allclose(mean, np.exp(np.log(v).mean(0)))
    assert np.all(low > 0) and np.all(low < mean) and np.all(mean < high)
    with pytest.raises(ValueError, match="positive"):
        P.band(ax, [1, 2], -v, "k", log=True)
