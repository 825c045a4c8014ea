"""One look for every figure: a seaborn theme, a fixed palette and the book's standard plots.

The rules every figure of the book follows, enforced here so that they hold for new chapters too:

* **one palette**: a series keeps its colour everywhere. A sampling bias λ (or truncation ψ) has a
  fixed colour (:func:`color_of`), a loop has a fixed colour (``"fully synthetic"`` is always
  vermillion), so that λ = 0.8 and λ = 0.66 never share one, nor do two loops;
* **uncertainty** is the mean over seeds with its 95 % Student-t interval (:func:`mean_interval`,
  the interval of :func:`mad.verdicts.interval`), never the min–max range, and the legend says so;
* **legends** sit inside an axis or below the panels, never to the right squeezing the plot;
* **layout**: at most two panels per row (four panels are a 2x2 grid), so that a figure fits the
  page column (:data:`PAGE_WIDTH` inches) without shrinking its text;
* **axes** carry labels with units; log scales are stated in the label (:func:`log_axis`);
* panels that are compared share one colour scale (:func:`shared_limits`);
* **sample grids** have light separators, a real-data row and row/column labels
  (:func:`labelled_rows`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Hashable, Iterable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from scipy import stats

#: width of the book's text column in inches (figures wider than this are shrunk on the page)
PAGE_WIDTH = 8.0
#: the most panels in one row of a figure
MAX_COLUMNS = 2
#: default confidence level of the bands over seeds
LEVEL = 0.95
#: axis labels of the image metrics of :class:`mad.features.ImageMetrics` (the diffusion chapters' panels)
IMAGE_LABELS = {"fid": "FID (classifier features)", "precision": "precision (k = 5)", "recall": "recall (k = 5)"}

#: Okabe & Ito's colour-blind safe palette (plus Tol's muted colours) from which all series draw
OKABE_ITO = ["#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
_EXTRA = ["#882255", "#117733", "#332288", "#AA4499", "#44AA99", "#999933", "#661100", "#6699CC", "#888888"]

#: fixed colour of each sampling bias λ (or truncation ψ) used in the book; 1 (no bias) is always blue
LAMBDA_COLORS: dict[float, str] = {
    1.0: "#0072B2",
    0.97: "#56B4E9",
    0.95: "#009E73",
    0.93: "#999933",
    0.9: "#E69F00",
    0.85: "#882255",
    0.8: "#D55E00",
    0.75: "#CC79A7",
    0.7: "#117733",
    0.66: "#332288",
    0.6: "#6699CC",
    0.5: "#AA4499",
    0.4: "#44AA99",
    0.3: "#661100",
    0.25: "#88CCEE",
    0.2: "#888888",
    0.1: "#000000",
}

#: fixed colour of each loop (names are matched after lower-casing and replacing "_" by " ")
LOOP_COLORS: dict[str, str] = {
    "fully synthetic": "#D55E00",
    "synthetic augmentation": "#0072B2",
    "augmentation": "#0072B2",
    "synthetic augmentation accumulate": "#56B4E9",
    "augmentation, accumulated": "#56B4E9",
    "accumulate": "#56B4E9",
    "fresh data": "#009E73",
    "replace": "#D55E00",
    "keep real, replace synthetic": "#CC79A7",
    "accumulate-subsample": "#E69F00",
    "real only": "#000000",
}


def set_theme() -> None:
    """The book's seaborn theme (white grid, notebook context, the fixed colour-blind palette)."""
    sns.set_theme(style="whitegrid", context="notebook", palette=OKABE_ITO)
    plt.rcParams.update(
        {
            "figure.dpi": 110,
            "savefig.dpi": 150,
            "axes.titleweight": "bold",
            "axes.titlesize": 11,
            "legend.frameon": False,
            "legend.fontsize": 9,
            "figure.figsize": (PAGE_WIDTH * 0.75, 3.6),
        }
    )


def _loop_key(name: str) -> str:
    return " ".join(str(name).lower().replace("_", " ").split())


def color_of(key: Hashable) -> str:
    """The book's fixed colour of one series.

    ``key`` is a sampling bias λ (a number in [0, 1]: the colours of :data:`LAMBDA_COLORS`; a
    value within 0.008 of a listed one takes its colour, so 0.66 and 2/3 share one; other values
    take their place on the cividis map), a loop name (:data:`LOOP_COLORS`; ``"fresh_data"`` and
    ``"fresh data"`` alike) or any other label, which gets a colour from a CRC-32 hash of its text:
    the same label has the same colour in every figure and every run. Two different free-text
    labels can collide; :func:`palette_for` resolves that within one figure.
    """
    if isinstance(key, (bool, np.bool_)):
        raise ValueError(f"key must be a λ value or a series name; got {key!r}")
    if isinstance(key, (int, float, np.integer, np.floating)) and 0 <= float(key) <= 1:
        value = float(key)
        for lam, color in LAMBDA_COLORS.items():
            if abs(lam - value) < 0.008:
                return color
        return to_hex(plt.get_cmap("cividis")(value))
    name = _loop_key(key) if isinstance(key, str) else str(key)
    if name in LOOP_COLORS:
        return LOOP_COLORS[name]
    palette = OKABE_ITO[:6] + _EXTRA
    return palette[zlib.crc32(name.encode()) % len(palette)]


def palette_for(keys: Iterable[Hashable]) -> dict[Hashable, str]:
    """``{key: colour}`` for several series; distinct keys get distinct colours.

    Keys with a fixed colour (:func:`color_of`) keep it; a key whose colour is already taken
    (hash collision of two free-text labels) moves to the next free colour of the palette.
    """
    out: dict[Hashable, str] = {}
    free = OKABE_ITO[:6] + _EXTRA
    for key in dict.fromkeys(keys):
        color = color_of(key)
        if color in out.values():
            color = next((c for c in free if c not in out.values()), color)
        out[key] = color
    return out


def mean_interval(values: np.ndarray | Sequence[float], axis: int = 0, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Mean over replicates and its Student-t confidence interval.

    For :math:`n` replicates :math:`x_1, \dots, x_n` (seeds, or chains) along ``axis``, returns
    :math:`\bar x` and :math:`\bar x \mp t_{n-1, (1+\text{level})/2}\, s/\sqrt n` with the sample
    standard deviation :math:`s` (``ddof=1``): the interval of :func:`mad.verdicts.interval`.
    With a single replicate the interval collapses to the mean.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    x = np.asarray(values, dtype=float)
    if x.ndim == 0 or x.shape[axis] == 0:
        raise ValueError(f"values must hold at least one replicate along axis {axis}; got shape {x.shape}")
    n = x.shape[axis]
    mean = x.mean(axis=axis)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    half = stats.t.ppf(0.5 + level / 2, n - 1) * x.std(axis=axis, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half


def interval_label(n: int, unit: str = "seeds", level: float = LEVEL) -> str:
    """The legend text of a band: ``"band: 95% t-interval of the mean, 3 seeds"``."""
    if n < 2:
        return f"one {unit.rstrip('s')}, no interval"
    return f"band: {level:.0%} t-interval of the mean over {n} {unit}"


def band(
    ax: plt.Axes,
    x: Sequence[float] | np.ndarray,
    values: np.ndarray | pd.DataFrame,
    color: str,
    label: str | None = None,
    level: float = LEVEL,
    alpha: float = 0.22,
    log: bool = False,
    **line: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw the mean over replicates (rows of ``values``, one column per ``x``) and its t-interval.

    With ``log=True`` (for a log axis) the mean and interval are taken of the logarithms and
    mapped back, i.e. the geometric mean with its interval, which stays positive.
    Returns ``(mean, low, high)`` so that a chapter can glue the numbers it shows.
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[1] != len(x):
        raise ValueError(f"values must have shape (replicates, {len(x)}); got {v.shape}")
    if log:
        if not np.all(v[np.isfinite(v)] > 0):
            raise ValueError("values must be positive for log=True")
        mean, low, high = (np.exp(a) for a in mean_interval(np.log(v), axis=0, level=level))
    else:
        mean, low, high = mean_interval(v, axis=0, level=level)
    line = {"lw": 1.8, **line}
    ax.plot(x, mean, color=color, label=label, **line)
    if v.shape[0] > 1:
        ax.fill_between(x, low, high, color=color, alpha=alpha, lw=0)
    return mean, low, high


def panels(n: int, height: float = 3.0, width: float = PAGE_WIDTH, **kwargs: object) -> tuple[plt.Figure, np.ndarray]:
    """A figure of ``n`` panels, at most :data:`MAX_COLUMNS` per row (four panels: 2x2).

    Returns the figure and a flat array of its ``n`` axes (surplus grid cells are removed).
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive number of panels; got {n!r}")
    cols = min(int(n), MAX_COLUMNS)
    rows = math.ceil(n / cols)
    width = width if cols > 1 else min(width, PAGE_WIDTH * 0.7)
    fig, axes = plt.subplots(rows, cols, figsize=(width, height * rows), squeeze=False, **kwargs)
    flat = axes.ravel()
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def legend_below(
    fig: plt.Figure, handles: Sequence[object], labels: Sequence[str], ncol: int | None = None, title: str | None = None
) -> None:
    """One legend for all panels, centred below them, and a layout that leaves room for it."""
    ncol = ncol or min(len(labels), 3)
    rows = math.ceil(len(labels) / ncol) + (1 if title else 0)
    height = fig.get_size_inches()[1]
    bottom = min(0.45, (0.28 * rows + 0.15) / height)
    fig.legend(handles, labels, loc="lower center", ncol=ncol, title=title, frameon=False, bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, bottom, 1, 1))


def log_axis(ax: plt.Axes, which: str = "y", base: float = 10) -> None:
    """Put one axis on a log scale and say so in its label (``"... (log scale)"``, ``"(log₂ scale)"``)."""
    if which not in ("x", "y"):
        raise ValueError(f"which must be 'x' or 'y'; got {which!r}")
    if base <= 1:
        raise ValueError(f"base must be > 1; got {base!r}")
    getattr(ax, f"set_{which}scale")("log", base=base)
    label = getattr(ax, f"get_{which}label")()
    note = "log scale" if base == 10 else f"log{'₂' if base == 2 else f' base {base:g}'} scale"
    if note not in label:
        getattr(ax, f"set_{which}label")(f"{label} ({note})" if label else note)


def shared_limits(arrays: Iterable[np.ndarray], low: float | None = None, symmetric: bool = False) -> tuple[float, float]:
    """One ``(vmin, vmax)`` for several image panels that are compared (finite values only).

    ``low`` clips the lower limit from below (e.g. a log density floor); ``symmetric`` gives
    ``(-m, m)`` with ``m`` the largest absolute value (for diverging colour maps).
    """
    finite = [np.asarray(a, dtype=float)[np.isfinite(a)] for a in arrays]
    finite = [f for f in finite if f.size]
    if not finite:
        raise ValueError("arrays must hold at least one finite value")
    lo, hi = min(float(f.min()) for f in finite), max(float(f.max()) for f in finite)
    if symmetric:
        m = max(abs(lo), abs(hi))
        return -m, m
    if low is not None:
        lo = max(lo, low)
    return lo, hi


def _tidy_label(value: object) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value).replace("_", " ")


def metric_vs_generation(
    results: pd.DataFrame,
    metrics: Sequence[str],
    hue: str = "lam",
    style: str | None = None,
    labels: dict[str, str] | None = None,
    axes: Sequence[plt.Axes] | None = None,
    hue_label: str = "λ",
    logy: Sequence[str] = (),
    level: float = LEVEL,
    legend: str = "below",
    palette: dict[Hashable, str] | None = None,
) -> plt.Figure:
    """One panel per metric: the mean over seeds as a line, its ``level`` t-interval as a band.

    ``results`` is a tidy table from :func:`mad.loops.run_loop` (columns ``generation``, ``metric``,
    ``value``, ``seed`` and the ``hue``/``style`` columns). Values of one seed at one generation
    (e.g. several chains) are averaged first, so the seeds are the replicates. Each ``hue`` value has
    its fixed colour (:func:`color_of`); panels are laid out at most two per row; the legend, which
    states the band, sits below the panels (``legend="below"``; in the free cell of the grid when the
    number of panels is odd), inside the first panel
    (``"inside"``) or is left out (``"none"``). Metrics in ``logy`` get a log axis, stated in the label,
    and (when positive) their line and band are the geometric mean and the t-interval of the logs.
    ``palette`` overrides the colours of some hue values (e.g. a chapter's runs), the rest keep theirs.
    """
    labels = labels or {}
    if legend not in ("below", "inside", "none"):
        raise ValueError(f"legend must be 'below', 'inside' or 'none'; got {legend!r}")
    missing = [m for m in metrics if m not in set(results["metric"])]
    if missing:
        raise ValueError(f"metrics not in results: {missing}; available: {sorted(set(results['metric']))}")
    own = axes is None
    spare = None  # with an odd number of panels (> 1), the legend fills the free cell of the grid
    if own:
        odd = len(metrics) > 1 and len(metrics) % 2 == 1 and legend == "below"
        fig, axes = panels(len(metrics) + odd, height=2.9 if len(metrics) > 1 else 3.3)
        if odd:
            spare, axes = axes[-1], axes[:-1]
    fig = axes[0].figure
    n_seeds = int(results["seed"].nunique())
    hues = list(dict.fromkeys(results[hue])) if hue in results else [None]
    if hue in results and all(isinstance(h, (int, float, np.integer, np.floating)) for h in hues):
        hues = sorted(hues, reverse=hue == "lam")
    colors = palette_for(hues) if hues != [None] else {None: OKABE_ITO[0]}
    colors.update({h: c for h, c in (palette or {}).items() if h in colors})
    styles = list(dict.fromkeys(results[style])) if style else [None]
    dashes = ["-", "--", ":", "-."]
    for ax, name in zip(axes, metrics):
        data = results[results["metric"] == name]
        for h in hues:
            for k, s in enumerate(styles):
                sel = data
                if h is not None:
                    sel = sel[sel[hue] == h]
                if s is not None:
                    sel = sel[sel[style] == s]
                if sel.empty:
                    continue
                wide = sel.groupby(["seed", "generation"])["value"].mean().unstack("generation")
                gens = wide.columns.to_numpy()
                vals = wide.to_numpy()
                logged = name in logy and bool((vals[np.isfinite(vals)] > 0).all())
                if logged:  # on a log axis: geometric mean and the interval of the logs (stays positive)
                    wide = np.log(wide)
                mean, low, high = (
                    mean_interval(wide.to_numpy(), axis=0, level=level) if wide.notna().all().all() else _nan_interval(wide, level)
                )
                if logged:
                    mean, low, high = np.exp(mean), np.exp(low), np.exp(high)
                marker = "o" if len(gens) <= 25 else None
                ax.plot(gens, mean, color=colors[h], ls=dashes[k % len(dashes)], marker=marker, ms=3.5, lw=1.8)
                if n_seeds > 1:
                    ax.fill_between(gens, low, high, color=colors[h], alpha=0.2, lw=0)
        ax.set_xlabel("generation t")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(labels.get(name, name))
        if name in logy:
            log_axis(ax, "y")
    handles: list[object] = []
    names: list[str] = []
    if hues != [None]:
        handles += [Line2D([], [], color=colors[h], lw=2, marker="o", ms=4) for h in hues]
        names += [f"{hue_label} = {_tidy_label(h)}" if hue_label and hue_label not in ("loop", "run") else _tidy_label(h) for h in hues]
    if styles != [None]:
        handles += [Line2D([], [], color="0.3", ls=dashes[k % len(dashes)]) for k in range(len(styles))]
        names += [f"{style} = {_tidy_label(s)}" for s in styles]
    handles.append(Patch(color="0.6", alpha=0.4) if n_seeds > 1 else Line2D([], [], color="0.3"))
    names.append(interval_label(n_seeds, level=level) if n_seeds > 1 else "line: one seed")
    if legend == "inside":
        axes[0].legend(handles, names, fontsize=8, loc="best")
    if spare is not None:
        spare.axis("off")
        spare.legend(handles, names, loc="center", fontsize=9)
        fig.tight_layout()
    elif own:
        if legend == "below":
            legend_below(fig, handles, names, ncol=2 if len(names) > 3 else len(names))
        else:
            fig.tight_layout()
    elif legend == "below":
        legend_below(fig, handles, names, ncol=2 if len(names) > 3 else len(names))
    return fig


def _nan_interval(wide: pd.DataFrame, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per generation, the interval over the seeds that have a value there."""
    out = [mean_interval(wide[c].dropna().to_numpy(), level=level) for c in wide.columns]
    return tuple(np.array([o[i] for o in out], dtype=float) for i in range(3))  # type: ignore[return-value]


def sample_grid(
    images: np.ndarray,
    rows: int,
    cols: int,
    ax: plt.Axes,
    shape: tuple[int, int] = (8, 8),
    title: str = "",
    col_labels: Sequence[str] | None = None,
) -> None:
    """Tile ``rows x cols`` grey images (values in [0, 1], dark = ink) into one axis.

    Images are separated by a light grey gap, distinct from both the paper and the ink;
    ``col_labels`` (e.g. the classes) label the columns.
    """
    h, w = shape
    n = rows * cols
    imgs = np.clip(np.asarray(images[:n], dtype=float).reshape(-1, h, w), 0, 1)
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), 0.18)  # light grey separators
    for i, img in enumerate(imgs):
        r, c = divmod(i, cols)
        canvas[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = img
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if col_labels is not None:
        if len(col_labels) != cols:
            raise ValueError(f"col_labels must name each of the {cols} columns; got {len(col_labels)}")
        ax.set_xticks([c * (w + 1) + (w - 1) / 2 for c in range(cols)], list(col_labels), fontsize=8)
        ax.tick_params(axis="x", length=0, pad=2)
    if title:
        ax.set_title(title, fontsize=10)


def tsne_embedding(features: list[np.ndarray], random_state: int = 0, perplexity: float = 30.0) -> list[np.ndarray]:
    """One joint 2-D t-SNE (van der Maaten & Hinton 2008) of several feature sets; returns one array per set."""
    from sklearn.manifold import TSNE

    sizes = [len(f) for f in features]
    emb = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=random_state).fit_transform(np.concatenate(features))
    return np.split(emb, np.cumsum(sizes)[:-1])


def labelled_rows(
    rows: dict[str, np.ndarray],
    ax: plt.Axes,
    shape: tuple[int, int] = (8, 8),
    title: str = "",
    col_labels: Sequence[str] | None = None,
) -> None:
    """One row of images per entry of ``rows`` (label -> images), the label at the left of its row.

    Rows are separated by a light gap, so a row of real digits can sit above rows of samples
    (for example G_1 and the last generation) for a direct comparison; ``col_labels`` name the
    columns (e.g. the class of each column).
    """
    if not rows:
        raise ValueError("rows must map at least one label to images")
    cols = max(len(v) for v in rows.values())
    h, w = shape
    stacked = np.zeros((len(rows) * cols, h * w))  # empty slots stay blank
    for r, images in enumerate(rows.values()):
        imgs = np.asarray(images, dtype=float).reshape(len(images), h * w)
        stacked[r * cols : r * cols + len(imgs)] = imgs
    sample_grid(stacked, len(rows), cols, ax, shape=shape, title=title, col_labels=col_labels)
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(len(rows))], list(rows), fontsize=9)
    ax.tick_params(axis="y", length=0)
