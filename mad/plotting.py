"""One look for every figure: a seaborn theme and the book's standard plots."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import MaxNLocator

#: colours for λ values, darkest = most biased
PALETTE = "viridis"


def set_theme() -> None:
    """The book's seaborn theme (white grid, notebook context, colour-blind palette)."""
    sns.set_theme(style="whitegrid", context="notebook", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 150, "axes.titleweight": "bold", "legend.frameon": False})


def metric_vs_generation(
    results: pd.DataFrame,
    metrics: Sequence[str],
    hue: str = "lam",
    style: str | None = None,
    labels: dict[str, str] | None = None,
    axes: Sequence[plt.Axes] | None = None,
    hue_label: str = "λ",
    logy: Sequence[str] = (),
) -> plt.Figure:
    """One panel per metric: the mean over seeds as a line, the range over seeds as a band.

    ``results`` is a tidy table from :func:`mad.loops.run_loop` (columns ``generation``,
    ``metric``, ``value``, ``seed`` and the ``hue``/``style`` columns).
    """
    labels = labels or {}
    missing = [m for m in metrics if m not in set(results["metric"])]
    if missing:
        raise ValueError(f"metrics not in results: {missing}; available: {sorted(set(results['metric']))}")
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.4), squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    n_seeds = results["seed"].nunique()
    for ax, name in zip(axes, metrics):
        data = results[results["metric"] == name].copy()
        if hue in data:
            data[hue_label] = data[hue].map(lambda v: f"{v:g}" if isinstance(v, (float, np.floating)) else str(v))
        sns.lineplot(
            data=data,
            x="generation",
            y="value",
            hue=hue_label if hue in data else None,
            style=style,
            estimator="mean",
            errorbar=("pi", 100) if n_seeds > 1 else None,
            marker="o" if data["generation"].nunique() <= 25 else None,
            markersize=4,
            ax=ax,
            palette=PALETTE if hue == "lam" else "colorblind",
        )
        ax.set_xlabel("generation t")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(labels.get(name, name))
        if name in logy:
            ax.set_yscale("log")
        if ax is not axes[-1] and ax.get_legend() is not None:
            ax.get_legend().remove()
    if axes[-1].get_legend() is not None:
        # outside the last panel, so that it never hides data
        sns.move_legend(axes[-1], "upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    if n_seeds > 1:
        fig.text(0.995, 0.005, f"line: mean of {n_seeds} seeds; band: range", ha="right", va="bottom", fontsize=8, color="0.4")
    fig.tight_layout()
    return fig


def sample_grid(images: np.ndarray, rows: int, cols: int, ax: plt.Axes, shape: tuple[int, int] = (8, 8), title: str = "") -> None:
    """Tile ``rows x cols`` grey images (values in [0, 1]) into one axis."""
    h, w = shape
    n = rows * cols
    imgs = np.clip(np.asarray(images[:n], dtype=float).reshape(-1, h, w), 0, 1)
    canvas = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), 0.3)  # light grey separators, distinct from the ink
    for i, img in enumerate(imgs):
        r, c = divmod(i, cols)
        canvas[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = img
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=10)


def tsne_embedding(features: list[np.ndarray], random_state: int = 0, perplexity: float = 30.0) -> list[np.ndarray]:
    """One joint 2-D t-SNE (van der Maaten & Hinton 2008) of several feature sets; returns one array per set."""
    from sklearn.manifold import TSNE

    sizes = [len(f) for f in features]
    emb = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=random_state).fit_transform(np.concatenate(features))
    return np.split(emb, np.cumsum(sizes)[:-1])


def labelled_rows(rows: dict[str, np.ndarray], ax: plt.Axes, shape: tuple[int, int] = (8, 8), title: str = "") -> None:
    """One row of images per entry of ``rows`` (label -> images), the label at the left of its row.

    Rows are separated by a light gap, so a row of real digits can sit above rows of samples
    (for example G_1 and the last generation) for a direct comparison.
    """
    if not rows:
        raise ValueError("rows must map at least one label to images")
    cols = max(len(v) for v in rows.values())
    h, w = shape
    stacked = np.zeros((len(rows) * cols, h * w))  # empty slots stay blank
    for r, images in enumerate(rows.values()):
        imgs = np.asarray(images, dtype=float).reshape(len(images), h * w)
        stacked[r * cols : r * cols + len(imgs)] = imgs
    sample_grid(stacked, len(rows), cols, ax, shape=shape, title=title)
    ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(len(rows))], list(rows), fontsize=9)
    ax.tick_params(axis="y", length=0)
