"""Chapter "Diffusion on digits: the fully synthetic loop" (the paper's Figures 4-7, 16, 26, 27; claims 3, 4).

A class-conditional DDPM (:func:`mad.models.ddpm.digits_ddpm`) on 8x8 digits: G_1 trains on ``n`` real
images, every later generation on ``n`` samples of the previous one, drawn with sampling bias
λ = 1/(1 + w) (classifier-free guidance weight w). The paper (Alemohammad et al. 2024, §3) finds
that without bias FID rises while precision and recall fall towards 0 (claim 3), and that with
bias (λ < 1) recall falls faster while precision holds and the modes contract (claim 4).
Each generation's samples are scored in a classifier feature space (:class:`mad.features.ImageMetrics`:
FID, precision, recall, legibility, within-class spread) against held-out real digits. G_1 does not
depend on λ, so each seed trains it once (:func:`mad.loops.first_generation`). The samples of the
first seed at the long-run λ are kept for the sample grids and the t-SNE panels.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import mad
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.features import DigitsSplit, ImageMetrics, digits_feature_space, digits_split, image_metrics, load_archived
from mad.loops import first_generation, run_sweep
from mad.models.ddpm import digits_ddpm, guidance_from_lam
from mad.plotting import IMAGE_LABELS, labelled_rows, metric_vs_generation, tsne_embedding
from mad.results import per_class


@dataclass(repr=False)
class Result(ChapterResult):
    """The tidy results table (λ x seed x generation x metric), the first seed's archived samples
    (``samples[lam, t]``: ``X`` kept samples, ``y`` labels, ``features``), the split, the features of
    the evaluation images, the feature classifier's accuracies and the two-real-samples floor."""

    sizes: dict
    results: pd.DataFrame
    samples: dict[tuple[float, int], dict[str, np.ndarray]]
    split: DigitsSplit
    real_eval: np.ndarray
    accuracy: dict[str, float]
    floor: dict[str, float]


def run(
    lams: Sequence[float] = (1.0, 0.8, 0.66, 0.5),
    long_lams: Sequence[float] = (1.0, 0.8),
    n: int | None = None,
    generations: int | None = None,
    generations_long: int | None = None,
    seeds: Sequence[int] | None = None,
    max_workers: int = 2,
) -> Result:
    """Run the fully synthetic loop (``n`` images per generation) at each λ: ``generations_long``
    generations for the λ in ``long_lams``, ``generations`` for the others."""
    model = digits_ddpm()
    sizes = dict(
        n=n or mad.by_scale(smoke=120, book=1000),
        lams=list(lams),
        long_lams=list(long_lams),
        generations=generations or mad.by_scale(smoke=2, book=10),
        generations_long=generations_long or mad.by_scale(smoke=2, book=12),
        seeds=list(seeds or mad.seeds(mad.by_scale(smoke=2, book=4))),
        T=model.T,
        n_steps=model.n_steps,
        guidance={lam: round(guidance_from_lam(lam), 3) for lam in lams},
    )
    N, S = sizes["n"], sizes
    split = digits_split()
    space = digits_feature_space()
    archive = tempfile.mkdtemp(prefix="mad-ddpm-")
    try:
        metric = ImageMetrics(archive=archive)
        real_eval = space.transform(split.eval_X)
        metric.reference()  # train the feature space here, before the workers fork
        n_eval = len(split.eval_X)
        floor = image_metrics(space, split.eval_X, split.train.X[:n_eval], split.train.y[:n_eval], real_features=real_eval)
        first = {seed: first_generation(mad.fully_synthetic(N), model, split.train, seed) for seed in S["seeds"]}
        tasks = [
            dict(
                schedule=mad.fully_synthetic(N, lam),
                model=model,
                source=split.train,
                generations=S["generations_long"] if lam in long_lams else S["generations"],
                metrics={"image": metric},
                seed=seed,
                first_model=first[seed],
            )
            for lam in lams
            for seed in S["seeds"]
        ]
        results = run_sweep(tasks, max_workers=max_workers)
        seed = S["seeds"][0]
        samples = {
            (lam, int(t)): load_archived(archive, "fully_synthetic", N, lam, seed, int(t))
            for lam in long_lams
            for t in sorted(results[(results.lam == lam) & (results.seed == seed)].generation.unique())
        }
    finally:
        shutil.rmtree(archive, ignore_errors=True)
    accuracy = {"held_out": float(space.held_out_accuracy_), "eval": float(space.eval_accuracy_)}
    return Result(sizes, results, samples, split, real_eval, accuracy, {k: float(v) for k, v in floor.items()})


def table_metrics(result: Result) -> pd.DataFrame:
    """Mean over seeds of every metric, per λ, at generations 1, 2, 5, 10 and 12."""
    table = result.results.pivot_table(index=["lam", "generation"], columns="metric", values="value").round(3)
    return table.query("generation in [1, 2, 5, 10, 12]")


def figure_metrics(result: Result) -> plt.Figure:
    """FID, precision and recall against the generation, one line per λ."""
    return metric_vs_generation(result.results, ["fid", "precision", "recall"], labels=IMAGE_LABELS)


def figure_metrics_extra(result: Result) -> plt.Figure:
    """Legibility and within-class spread against the generation, one line per λ."""
    return metric_vs_generation(
        result.results,
        ["legibility", "spread"],
        labels={"legibility": "legibility (classifier accuracy)", "spread": "within-class spread (real = 1)"},
    )


def _last(result: Result) -> int:
    """The last generation at λ = 1."""
    return int(result.results[result.results.lam == 1.0].generation.max())


def generation_rows(result: Result, lam: float) -> dict[str, np.ndarray]:
    """A row of held-out real digits above one row of samples per generation (first seed), one per class."""
    rows = {"real": per_class(result.split.eval_X, result.split.eval_y)}
    for (lam_, t), data in sorted(result.samples.items()):
        if lam_ == lam:
            rows[f"t = {t}"] = per_class(data["X"], data["y"])
    return rows


def figure_grids(result: Result) -> plt.Figure:
    """Samples of every generation, one per class, for each long-run λ (first seed)."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 0.32 * result.sizes["generations_long"] + 1.4))
    for ax, lam in zip(axes, result.sizes["long_lams"]):
        title = f"λ = {lam:g} (w = {guidance_from_lam(lam):.2g})"
        labelled_rows(generation_rows(result, lam), ax, title=title, col_labels=[str(c) for c in range(10)])
    fig.tight_layout()
    return fig


def figure_first_last(result: Result) -> plt.Figure:
    """Real digits, G_1 and the last generation at each long-run λ, two per class (first seed)."""
    last = _last(result)

    def row(lam: float, t: int) -> np.ndarray:
        data = result.samples[lam, t]
        return per_class(data["X"], data["y"], per=2)

    rows = {"real": per_class(result.split.eval_X, result.split.eval_y, per=2), "$G_1$": row(1.0, 1)}
    for lam in result.sizes["long_lams"]:
        rows[f"$G_{{{last}}}$, λ = {lam:g}"] = row(lam, last)
    fig, ax = plt.subplots(figsize=(9, 3.2))
    labelled_rows(rows, ax, col_labels=[str(c) for c in range(10) for _ in range(2)])
    ax.set_xlabel("class (two samples each)")
    fig.tight_layout()
    return fig


def figure_tsne(result: Result, n_points: int | None = None) -> plt.Figure:
    """One joint t-SNE of real and synthetic features per (long-run λ, generation) panel (first seed)."""
    long = result.sizes["generations_long"]
    gens = sorted({1, max(2, long // 4), max(2, long // 2), long})
    n_points = n_points or mad.by_scale(smoke=60, book=300)
    rng = np.random.default_rng(0)
    pick = rng.choice(len(result.split.eval_X), n_points, replace=False)
    palette = plt.get_cmap("tab10")
    lams = result.sizes["long_lams"]
    fig, axes = plt.subplots(len(lams), len(gens), figsize=(2.25 * len(gens) + 1.2, 5.0), squeeze=False)
    for row, lam in enumerate(lams):
        for col, t in enumerate(gens):
            data = result.samples[lam, t]
            sel = rng.choice(len(data["features"]), n_points, replace=False)
            real_2d, fake_2d = tsne_embedding([result.real_eval[pick], data["features"][sel]], random_state=0)
            ax = axes[row, col]
            ax.scatter(*real_2d.T, s=5, c="0.85", label="real")
            ax.scatter(*fake_2d.T, s=5, c=palette(data["y"][sel]), label="synthetic")
            ax.set_title(f"λ = {lam:g}, t = {t}", fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
    handles = [plt.Line2D([], [], ls="", marker="o", color="0.85", label="real")]
    handles += [plt.Line2D([], [], ls="", marker="o", color=palette(c), label=f"synthetic, class {c}") for c in range(10)]
    fig.legend(handles=handles, loc="center right", fontsize=8)
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    return fig


def numbers(result: Result) -> dict[str, float]:
    """The numbers of the prose, by glue name."""
    S, results = result.sizes, result.results

    def summary(metric_name: str, lam: float, generation: int) -> float:
        rows = results[(results.metric == metric_name) & (results.lam == lam) & (results.generation == generation)]
        return float(rows.value.mean())

    last = _last(result)
    out: dict[str, float] = {
        "fs_n": S["n"],
        "fs_n_seeds": len(S["seeds"]),
        "fs_n_train": len(result.split.train),
        "fs_n_eval": len(result.split.eval_X),
        "fs_T": S["T"],
        "fs_steps": S["n_steps"],
        "fs_acc_held": result.accuracy["held_out"],
        "fs_acc_eval": result.accuracy["eval"],
        "fs_fid_floor": result.floor["fid"],
        "fs_recall_floor": result.floor["recall"],
        "fs_last_long": last,
    }
    for key, name in [("fid", "fid"), ("p", "precision"), ("r", "recall"), ("leg", "legibility")]:
        out[f"fs_{key}1_first"] = summary(name, 1.0, 1)
        out[f"fs_{key}1_last"] = summary(name, 1.0, last)
    g3 = min(3, S["generations"])
    out["fs_p05_last"] = summary("precision", 0.5, results[results.lam == 0.5].generation.max())
    out["fs_r05_g3"] = summary("recall", 0.5, g3)
    out["fs_r1_g3"] = summary("recall", 1.0, g3)
    return out


def claims(result: Result) -> ClaimsLedger:
    """Claims 3 (λ = 1: FID rises, precision and recall fall to ~0, modes merge) and 4 (λ < 1: recall
    falls faster, precision holds, modes contract without merging), over the seeds at 95 % confidence."""
    results, S = result.results, result.sizes
    ledger = ClaimsLedger("diffusion_fully_synthetic")

    def curve(name: str, lam: float) -> pd.DataFrame:  # seeds x generations
        return V.curves(results, name, lam=lam)

    def at(name: str, lam: float, t: int | str = "last") -> pd.Series:
        return V.at(results, name, t, lam=lam)

    T10 = min(10, S["generations_long"])
    clean = (
        "this well-fitted DDPM keeps its samples clean: at λ = 1 precision and legibility rise towards 1 while recall falls, "
        "so the loop loses diversity, not quality (the paper's λ < 1 signature; see the text)"
    )

    ledger.check(3, V.rises(curve("fid", 1.0), "FID"), part="λ = 1: FID rises")
    ledger.check(3, V.falls(curve("precision", 1.0), "precision"), part="λ = 1: precision falls", declared=clean)
    ledger.check(3, V.falls(curve("recall", 1.0), "recall"), part="λ = 1: recall falls")
    ledger.check(
        3,
        V.less(at("precision", 1.0, T10), 0.1, f"precision at t = {T10} below 0.1"),
        part="λ = 1: precision ~0 within 10 generations",
        declared=clean,
    )
    ledger.check(3, V.less(at("recall", 1.0, T10), 0.1, f"recall at t = {T10} below 0.1"), part="λ = 1: recall ~0 within 10 generations")
    ledger.check(3, V.falls(curve("legibility", 1.0), "legibility"), part="λ = 1: modes merge (legibility falls)", declared=clean)
    for lam in [0.8, 0.66, 0.5]:
        g = min(3, S["generations"])
        ledger.check(
            4,
            V.less(at("recall", lam, g), at("recall", 1.0, g), f"recall at t = {g}, λ = {lam:g} below λ = 1"),
            part=f"λ = {lam:g}: recall falls faster",
        )
        ledger.check(4, V.rises(curve("fid", lam), "FID"), part=f"λ = {lam:g}: FID rises")
        ledger.check(4, V.flat(curve("precision", lam), 0.05, "precision", allow="up"), part=f"λ = {lam:g}: precision flat or rising")
    TL = S["generations_long"]
    ledger.check(
        4, V.less(at("spread", 0.8, TL), at("spread", 1.0, TL), f"spread at t = {TL}, λ = 0.8 below λ = 1"), part="λ = 0.8: modes contract"
    )
    ledger.check(4, V.flat(curve("legibility", 0.8), 0.05, "legibility", allow="up"), part="λ = 0.8: modes do not merge (legibility kept)")
    return ledger
