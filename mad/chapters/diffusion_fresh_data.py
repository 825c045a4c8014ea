"""Chapter "Fresh data with a neural model" (the paper's Figure 10, right; claim 11, neural half).

The fresh data loop with a class-conditional DDPM on 8x8 digits: generation t trains on ``n_r`` new
real images (drawn with replacement from the training pool, :class:`mad.data.Resampled`) and
``n_s = n_r`` samples of G_{t-1} (λ = 1). The paper (Alemohammad et al. 2024, §5) finds that the
distance to the real data converges to a limit that does not depend on how many real images
``n_init`` trained G_1. Two starts, ``n_init`` small and large, are run over the same seeds and
compared on FID, precision and recall in the classifier feature space
(:class:`mad.features.ImageMetrics`); the limits are compared over the last ``window`` generations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import mad
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.data import Resampled
from mad.features import ImageMetrics, digits_split
from mad.loops import run_sweep
from mad.models.ddpm import digits_ddpm
from mad.plotting import IMAGE_LABELS, metric_vs_generation


@dataclass(repr=False)
class Result(ChapterResult):
    """The tidy results table of the sweep (``n_init`` x seed x generation x metric) and the split's sizes."""

    sizes: dict
    results: pd.DataFrame
    n_train: int
    n_eval: int


def run(
    lam: float = 1.0,
    n_r: int | None = None,
    n_inits: Sequence[int] | None = None,
    generations: int | None = None,
    seeds: Sequence[int] | None = None,
    max_workers: int = 2,
) -> Result:
    """Run the fresh data loop (``n_r`` fresh real + ``n_r`` synthetic images per generation) from each ``n_init``."""
    sizes = dict(
        lam=lam,
        n_r=n_r or mad.by_scale(smoke=60, book=500),
        n_inits=list(n_inits or mad.by_scale(smoke=[60, 120], book=[100, 1000])),
        generations=generations or mad.by_scale(smoke=2, book=12),
        seeds=list(seeds or mad.seeds(mad.by_scale(smoke=2, book=6))),
    )
    S = sizes
    model = digits_ddpm()
    split = digits_split()
    source = Resampled(split.train)
    metric = ImageMetrics()
    metric.reference()  # train the feature space here, before the workers fork
    tasks = [
        dict(
            schedule=mad.fresh_data(S["n_r"], S["n_r"], lam=lam, n_init=n_init),
            model=model,
            source=source,
            generations=S["generations"],
            metrics={"image": metric},
            seed=seed,
            tags={"n_init": n_init},
        )
        for n_init in S["n_inits"]
        for seed in S["seeds"]
    ]
    results = run_sweep(tasks, max_workers=max_workers)
    return Result(sizes, results, len(split.train), len(split.eval_X))


def table_metrics(result: Result) -> pd.DataFrame:
    """Mean over seeds of every metric, per ``n_init`` and generation."""
    return result.results.pivot_table(index=["n_init", "generation"], columns="metric", values="value").round(3)


def figure_fresh(result: Result) -> plt.Figure:
    """FID, precision and recall against the generation, one line per ``n_init``."""
    return metric_vs_generation(result.results, ["fid", "precision", "recall"], hue="n_init", hue_label="n_init", labels=IMAGE_LABELS)


def window(result: Result) -> int:
    """The number of last generations over which the limits are compared."""
    return max(2, result.sizes["generations"] // 3)


def numbers(result: Result) -> dict[str, float]:
    """The numbers of the prose, by glue name."""
    S, results = result.sizes, result.results
    generations, n_inits = S["generations"], S["n_inits"]
    end = range(generations - window(result) + 1, generations + 1)

    def of(name: str, n_init: int, gens: Sequence[int]) -> np.ndarray:
        rows = results[(results.metric == name) & (results.n_init == n_init) & results.generation.isin(gens)]
        return rows.groupby("seed").value.mean().reindex(S["seeds"]).to_numpy()

    second_half = results[(results.metric == "fid") & (results.generation > generations // 2)]
    fid_curve = second_half.groupby("generation").value.mean()
    out: dict[str, float] = {
        "fr_n_r": S["n_r"],
        "fr_n_seeds": len(S["seeds"]),
        "fr_n_eval": result.n_eval,
        "fr_n_train": result.n_train,
        "fr_n_init_small": n_inits[0],
        "fr_n_init_large": n_inits[1],
        "fr_gens_small": (result.n_train - n_inits[0]) // S["n_r"],
        "fr_gens_large": (result.n_train - n_inits[1]) // S["n_r"],
        "fr_generations": generations,
        "fr_window": window(result),
        "fr_slope": float(np.polyfit(fid_curve.index.to_numpy(), fid_curve.to_numpy(), 1)[0]),
    }
    for name, short in [("fid", "fid"), ("recall", "rec")]:
        for n_init, size in zip(n_inits, ["small", "large"]):
            out[f"fr_{short}_{size}_first"] = float(of(name, n_init, [1]).mean())
            out[f"fr_{short}_{size}_end"] = float(of(name, n_init, end).mean())
    return out


def claims(result: Result) -> ClaimsLedger:
    """Claim 11 (neural half): the two starts differ, their recall and log FID reach the same limit
    (within 0.05 and within a factor 1.25), and the FID of each start converges."""
    results, (small, large), W = result.results, result.sizes["n_inits"][:2], window(result)
    ledger = ClaimsLedger("diffusion_fresh_data")

    def curve(name: str, n_init: int) -> pd.DataFrame:
        return V.curves(results, name, n_init=n_init)

    log_fid = {n: np.log(curve("fid", n)) for n in (small, large)}
    names = (f"n_init = {small}", f"n_init = {large}")
    ledger.check(
        11,
        V.greater(curve("recall", large)[1], curve("recall", small)[1], f"recall of G_1, n_init = {large} above n_init = {small}"),
        part="the two starts differ",
    )
    ledger.check(11, V.same_limit(curve("recall", small), curve("recall", large), 0.05, W, "recall", names), part="recall forgets n_init")
    ledger.check(11, V.same_limit(log_fid[small], log_fid[large], np.log(1.25), W, "log FID", names), part="FID forgets n_init")
    for n in (small, large):
        ledger.check(11, V.converges(log_fid[n], 0.02, W, "log FID"), part=f"n_init = {n}: the FID converges")
    return ledger
