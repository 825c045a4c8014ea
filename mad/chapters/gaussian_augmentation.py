"""Chapter "Synthetic augmentation: the Gaussian case" (the paper's Section 4, claim 9).

The synthetic augmentation loop keeps a fixed set of ``n_real`` real samples in every generation
and adds ``n_synth`` samples of G_{t-1} (or, accumulated, all earlier synthetic sets). The paper
(Alemohammad et al. 2024, §4, StyleGAN2 on FFHQ and a DDPM on MNIST) finds that a fixed real set
only delays MADness. Here the four loops (fully synthetic, augmentation, accumulated augmentation,
fresh data) run in the exact Gaussian model P_r = N(0, I_d) from the same G_1, simulated from
sufficient statistics (:func:`mad.gaussian_chains.simulate_chains`) with the same seed, so chain i
of every loop starts from the same fit and the loops compare chain by chain. The quantity is
W2²(G_t, P_r); the exact estimator's fixed real set is an anchor, so plain augmentation plateaus.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import mad
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.effective_size import RealOnlyCurve, real_only_curve
from mad.gaussian_chains import GaussianChains, simulate_chains
from mad.plotting import band, color_of, legend_below


@dataclass(repr=False)
class Result(ChapterResult):
    """The chains of each (loop, λ), all from the same seed, and the real-only reference curve."""

    sizes: dict
    runs: dict[tuple[str, float], GaussianChains]
    curve: RealOnlyCurve


def loops(n_real: int, n_synth: int) -> dict[str, Callable[[float], mad.Schedule]]:
    """The four loops of the chapter, by name: each maps a sampling bias λ to its schedule."""
    return {
        "fully synthetic": lambda lam: mad.fully_synthetic(n_real + n_synth, lam=lam, n_init=n_real),
        "augmentation": lambda lam: mad.synthetic_augmentation(n_real, n_synth, lam=lam),
        "augmentation, accumulated": lambda lam: mad.synthetic_augmentation(n_real, n_synth, lam=lam, accumulate=True),
        "fresh data": lambda lam: mad.fresh_data(n_real, n_synth, lam=lam),
    }


def run(
    d: int = 100,
    n_real: int = 100,
    n_synth: int = 900,
    lams: Sequence[float] = (1.0, 0.8),
    generations: int | None = None,
    chains: int | None = None,
    seed: int | None = None,
) -> Result:
    """Simulate ``chains`` chains of each of the four loops at each λ, all with the same seed."""
    sizes = dict(
        d=d,
        n_real=n_real,
        n_synth=n_synth,
        lams=list(lams),
        generations=generations or mad.by_scale(smoke=10, book=50),
        chains=chains or mad.by_scale(smoke=4, book=16),
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    runs = {
        (name, lam): simulate_chains(make(lam), d, S["generations"], S["chains"], seed=S["seed"])
        for name, make in loops(n_real, n_synth).items()
        for lam in lams
    }
    return Result(sizes, runs, real_only_curve(d))


def _names(result: Result) -> list[str]:
    return list(dict.fromkeys(name for name, _ in result.runs))


def _window(result: Result) -> int:
    """Generations per averaging window."""
    return max(2, result.sizes["generations"] // 10)


def _half(result: Result) -> int:
    """The generation from which "the second half of the run" counts."""
    return result.sizes["generations"] // 2


def figure_loops(result: Result) -> plt.Figure:
    """W2² of the four loops against the generation, one panel per λ, with the real-only references."""
    S = result.sizes
    n_real, n_all = S["n_real"], S["n_real"] + S["n_synth"]
    t = np.arange(1, S["generations"] + 1)
    fig, axes = plt.subplots(1, len(S["lams"]), figsize=(8.5, 4.2), sharey=True)
    for ax, lam in zip(axes, S["lams"]):
        for name in _names(result):
            band(ax, t, result.runs[name, lam].w2_squared.T, color_of(name), name)  # chains are the replicates
        ax.axhline(result.curve(n_real), color="0.4", ls=":", lw=1.2, label=f"fit to {n_real} real samples")
        ax.axhline(result.curve(n_all), color="0.4", ls="--", lw=1.2, label=f"fit to {n_all} real samples")
        ax.set_yscale("log")
        ax.set_title(f"λ = {lam:g}")
        ax.set_xlabel("generation t")
    axes[0].set_ylabel(r"$W_2^2(G_t, P_r)$ (log scale)")
    legend_below(fig, *axes[-1].get_legend_handles_labels(), ncol=3)
    return fig


def table_levels(result: Result) -> pd.DataFrame:
    """W2² at t = 1, mid-run and at the end (means of ``window`` generations) and the rise, per (loop, λ)."""
    gens, chains, w = result.sizes["generations"], result.sizes["chains"], _window(result)

    def window(name: str, lam: float, lo: int, hi: int) -> np.ndarray:
        # per-chain mean of W2² over generations lo..hi (1-based, inclusive)
        return result.runs[name, lam].w2_squared[lo - 1 : hi].mean(axis=0)

    rows = []
    for name in _names(result):
        for lam in result.sizes["lams"]:
            early, late = window(name, lam, gens // 2 - w + 1, gens // 2), window(name, lam, gens - w + 1, gens)
            rows.append(
                {
                    "loop": name,
                    "λ": lam,
                    "W2² at t=1": result.runs[name, lam].w2_squared[0].mean(),
                    "W2² mid-run": early.mean(),
                    "W2² at the end": late.mean(),
                    "rise (end - mid)": (late - early).mean(),
                    "SE of rise": (late - early).std(ddof=1) / np.sqrt(chains),
                }
            )
    return pd.DataFrame(rows).set_index(["loop", "λ"])


def _w2(result: Result, name: str, lam: float) -> pd.DataFrame:
    """Per-chain curves of W2² (index: chain, columns: generation)."""
    t = np.arange(1, result.sizes["generations"] + 1)
    return pd.DataFrame(result.runs[name, lam].w2_squared.T, columns=t)


def _plateau(result: Result) -> V.Evidence:
    """Slope of plain augmentation at λ = 1 over the second half: shown in the text, not asserted."""
    return V.rises(_w2(result, "augmentation", 1.0), what="W2² (augmentation)", start=_half(result))


def numbers(result: Result) -> dict[str, float]:
    """The numbers of the prose, by glue name."""
    table = table_levels(result)
    out: dict[str, float] = {}
    for (name, lam), row in table.iterrows():
        key = name.split(",")[0].replace(" ", "_") + ("_acc" if "accumulated" in name else "") + f"_{lam:g}".replace(".", "")
        out[f"aug_end_{key}"] = row["W2² at the end"]
        out[f"aug_mid_{key}"] = row["W2² mid-run"]
    out["aug_start"] = table["W2² at t=1"].iloc[0]
    out["aug_chains"] = result.sizes["chains"]
    out["aug_gens"] = result.sizes["generations"]
    out["aug_w"] = _window(result)
    plateau = _plateau(result)
    out["aug_half"] = _half(result)
    out["aug_flat_slope"] = plateau.effect
    out["aug_flat_low"] = plateau.low
    out["aug_flat_high"] = plateau.high
    return out


def claims(result: Result) -> ClaimsLedger:
    """Claim 9 (Gaussian version): augmentation rises slower than fully synthetic and ends worse than
    its own G_1 at each λ (paired by chain); the accumulated variant at λ = 0.8 still rises in the
    second half."""
    w, half = _window(result), _half(result)
    ledger = ClaimsLedger("gaussian_augmentation", replicates="chains")
    for lam in result.sizes["lams"]:
        aug, full = _w2(result, "augmentation", lam), _w2(result, "fully synthetic", lam)
        evidence = V.slower_than(aug, full, "rises", what="W2²", names=("augmentation", "fully synthetic"))
        ledger.check(9, evidence, part=f"Gaussian: slower than fully synthetic, λ = {lam:g}")
        evidence = V.greater(aug.iloc[:, -w:].mean(axis=1), aug[1], what=f"W2² over the last {w} generations > W2² of G_1")
        ledger.check(9, evidence, part=f"Gaussian: ends worse than G_1 (delayed, not prevented), λ = {lam:g}")
    evidence = V.rises(_w2(result, "augmentation, accumulated", 0.8), what="W2² (accumulated)", start=half)
    ledger.check(9, evidence, part="Gaussian: accumulated augmentation still rising, λ = 0.8")
    return ledger
