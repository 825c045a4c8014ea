"""Chapter "Loops and sampling bias": the figures of the tutorial chapter that introduces the loops.

The chapter's experiments are short and written out in the notebook, since they teach the API
(:mod:`mad.loops`); this module holds its figures: the diagram of the three loops of
Alemohammad et al. (2024, Figure 3), the provenance of every generation's training set as the
runner records it, and samples of one Gaussian at several sampling biases λ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

import mad
from mad.data import GaussianSource
from mad.loops import Schedule
from mad.models import GaussianModel
from mad.plotting import PAGE_WIDTH, color_of
from mad.seeding import rng

#: fill colours of the diagram's boxes: what each kind of box stands for
BOX_COLORS = {
    "real data": "#f4c7c3",
    "training set": "#f6e3a1",
    "training (from scratch)": "#bcd7ee",
    "sampling at bias λ": "#cde8c4",
}


def _box(ax: plt.Axes, xy: tuple[float, float], text: str, color: str, w: float = 1.5, h: float = 0.62) -> None:
    x, y = xy
    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04,rounding_size=0.12", fc=color, ec="0.25", lw=1)
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def _arrow(ax: plt.Axes, a: tuple, b: tuple, text: str = "", color: str = "0.2", rad: float = 0.0, offset: tuple = (0, 0.18)) -> None:
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, color=color, lw=1.3, connectionstyle=f"arc3,rad={rad}"))
    if text:
        ax.text((a[0] + b[0]) / 2 + offset[0], (a[1] + b[1]) / 2 + offset[1], text, ha="center", fontsize=8.5, color=color)


def figure_loop_diagram() -> plt.Figure:
    """The three loops as a 2x2 grid: one panel per loop, the fourth holds the key and the rule for G_1."""
    fig, grid = plt.subplots(2, 2, figsize=(PAGE_WIDTH, 5.6))
    titles = ["fully synthetic", "synthetic augmentation", "fresh data"]
    reals = [None, "fixed real set $D_r$\n(reused)", "fresh real set $D_r^t$\n(new every t)"]
    for ax, title, real in zip(grid.ravel()[:3], titles, reals):
        ax.set_xlim(0, 6)
        ax.set_ylim(0, 3.2)
        ax.axis("off")
        ax.set_title(title, fontsize=11)
        _box(ax, (1.1, 1.2), "dataset $D_t$", BOX_COLORS["training set"])
        _box(ax, (3.0, 1.2), "train $G_t$\nfrom scratch", BOX_COLORS["training (from scratch)"])
        _box(ax, (4.9, 1.2), "sample $n_s$\nat bias λ", BOX_COLORS["sampling at bias λ"])
        _arrow(ax, (1.85, 1.2), (2.25, 1.2))
        _arrow(ax, (3.75, 1.2), (4.15, 1.2))
        _arrow(ax, (4.9, 0.88), (1.1, 0.88), "synthetic data for t + 1", color="#3a7d2c", rad=-0.35, offset=(0, -0.78))
        if real:
            _box(ax, (1.1, 2.65), real, BOX_COLORS["real data"], w=1.9, h=0.7)
            _arrow(ax, (1.1, 2.29), (1.1, 1.52))
    key = grid.ravel()[3]
    key.axis("off")
    handles = [Patch(fc=c, ec="0.25", label=name) for name, c in BOX_COLORS.items()]
    key.legend(handles=handles, loc="upper center", title="boxes", fontsize=9)
    key.text(
        0.5,
        0.12,
        "every loop starts with $G_1$\ntrained on real data only",
        ha="center",
        va="center",
        fontsize=9.5,
        transform=key.transAxes,
    )
    fig.tight_layout()
    return fig


def provenance(schedules: Mapping[str, Schedule], generations: int = 6, seed: int | None = None) -> pd.DataFrame:
    """Training rows by origin (0 = real, t = produced by G_t) for each loop and generation, Gaussian in d = 2."""
    seed = mad.base_seed() if seed is None else seed
    rows = []
    for name, schedule in schedules.items():
        for gen in mad.iterate_loop(schedule, GaussianModel(), GaussianSource(d=2), generations=generations, seed=seed):
            origins, counts = np.unique(gen.train.origin, return_counts=True)
            rows += [{"loop": name, "generation": gen.t, "origin": int(o), "count": int(c)} for o, c in zip(origins, counts)]
    return pd.DataFrame(rows)


def figure_provenance(prov: pd.DataFrame) -> plt.Figure:
    """Stacked bars of training rows by origin, one panel per loop (at most six loops; the last panel is the key)."""
    loops = list(dict.fromkeys(prov.loop))
    if not 1 <= len(loops) <= 5:
        raise ValueError(f"prov must hold 1 to 5 loops; got {len(loops)}")
    fig, grid = plt.subplots(3, 2, figsize=(PAGE_WIDTH, 7.6), sharey=True)
    axes, key = grid.ravel()[: len(loops)], grid.ravel()[-1]
    for ax in grid.ravel()[len(loops) : -1]:
        ax.axis("off")
    palette = ["#d95f5f"] + sns.color_palette("Blues", int(prov.origin.max()) + 1)[1:]
    for ax, name in zip(axes, loops):
        table = prov[prov.loop == name].pivot_table(index="generation", columns="origin", values="count", fill_value=0)
        bottom = np.zeros(len(table))
        for origin in table.columns:
            label = "real" if origin == 0 else f"from $G_{{{origin}}}$"
            ax.bar(table.index, table[origin], bottom=bottom, color=palette[origin], label=label, width=0.75)
            bottom += table[origin].to_numpy()
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("generation t")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    for ax in grid[:, 0]:
        ax.set_ylabel("training samples")
    widest = max(axes, key=lambda a: len(a.get_legend_handles_labels()[1]))
    key.axis("off")
    key.legend(*widest.get_legend_handles_labels(), loc="center", title="origin of the samples", ncol=2)
    fig.tight_layout()
    return fig


def figure_lambda_gaussian(lams: Sequence[float] = (1.0, 0.8, 0.5), n: int = 1000, seed: int | None = None) -> plt.Figure:
    """``n`` samples of one Gaussian fitted to ``n`` draws of N(0, I_2), at each sampling bias λ."""
    seed = mad.base_seed() if seed is None else seed
    model = GaussianModel().fit(GaussianSource(d=2).sample(n, rng(seed, 1, "real")))
    fig, axes = plt.subplots(1, len(lams), figsize=(PAGE_WIDTH, PAGE_WIDTH / len(lams) + 0.4), sharex=True, sharey=True)
    circle = np.linspace(0, 2 * np.pi, 200)
    for ax, lam in zip(np.atleast_1d(axes), lams):
        X = model.sample(n, lam=lam, random_state=rng(seed, 1, "demo"))
        ax.scatter(X[:, 0], X[:, 1], s=4, alpha=0.5, color=color_of(lam))
        ax.plot(2 * np.cos(circle), 2 * np.sin(circle), color="0.5", lw=1)
        ax.set_title(f"λ = {lam:g}")
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
    np.atleast_1d(axes)[0].set_ylabel("$x_2$")
    fig.tight_layout()
    return fig
