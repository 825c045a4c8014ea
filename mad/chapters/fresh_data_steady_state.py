"""Chapter "The fresh data loop: a steady state that forgets its start" (the paper's Figure 10, left).

The Gaussian fresh data loop: generation t trains on ``n_r`` fresh real samples of P_r = N(0, I_d)
and ``n_s`` samples of G_{t-1} drawn with sampling bias λ. The paper (Alemohammad et al. 2024, §5)
finds that W2²(G_t, P_r) settles to a level that does not depend on how many real samples
``n_init`` trained G_1. Chains are simulated exactly from sufficient statistics
(:func:`mad.gaussian_chains.simulate_chains`); the runs from the two starts share their random
numbers after generation 1, so their gap is the memory of the start.
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
from mad.effective_size import RealOnlyCurve, SteadyState, effective_size_of, real_only_curve, steady_state
from mad.gaussian_chains import GaussianChains, simulate_chains
from mad.plotting import band, color_of


@dataclass(repr=False)
class Result(ChapterResult):
    """The chains of each (λ, n_init), and the independent steady-state runs behind n_e."""

    sizes: dict
    runs: dict[tuple[float, int], GaussianChains]
    independent: dict[float, SteadyState]
    curve: RealOnlyCurve


def run(
    d: int = 100,
    n_r: int = 100,
    n_s: int = 900,
    lams: Sequence[float] = (1.0, 0.8),
    n_inits: Sequence[int] = (100, 1000),
    generations: int | None = None,
    chains: int | None = None,
    window: int | None = None,
    seed: int | None = None,
) -> Result:
    """Simulate ``chains`` fresh data loops for every λ and ``n_init``; ``window``: last generations averaged."""
    sizes = dict(
        d=d,
        n_r=n_r,
        n_s=n_s,
        lams=list(lams),
        n_inits=list(n_inits),
        generations=generations or mad.by_scale(smoke=12, book=50),
        chains=chains or mad.by_scale(smoke=4, book=32),
        window=window or mad.by_scale(smoke=4, book=10),
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    runs = {
        (lam, n_init): simulate_chains(mad.fresh_data(n_r, n_s, lam=lam, n_init=n_init), d, S["generations"], S["chains"], seed=S["seed"])
        for lam in lams
        for n_init in n_inits
    }
    independent = {
        lam: steady_state(n_r, n_s, lam, d=d, chains=mad.by_scale(smoke=2, book=8), window=mad.by_scale(smoke=3, book=20), seed=S["seed"])
        for lam in lams
    }
    return Result(sizes, runs, independent, real_only_curve(d))


def figure_steady(result: Result) -> plt.Figure:
    """W2², W2 and the gap between the two starts against the generation (2x2 with the legend panel)."""
    S = result.sizes
    t = np.arange(1, S["generations"] + 1)
    styles = dict(zip(S["n_inits"], ("-", "--", ":", "-.")))
    fig, axes = plt.subplots(2, 2, figsize=(8, 6.2))
    axes, key = axes.ravel()[:3], axes.ravel()[3]
    for (lam, n_init), chain in result.runs.items():
        for ax, values in ((axes[0], chain.w2_squared), (axes[1], chain.w2)):
            band(ax, t, values.T, color_of(lam), f"λ = {lam:g}, $n_{{init}}$ = {n_init}", ls=styles[n_init])
    for lam in S["lams"]:
        band(axes[2], t, _gap(result, lam).T, color_of(lam), f"λ = {lam:g}", log=True)
    axes[0].set_ylabel(r"$W_2^2(G_t, P_r)$")
    axes[1].set_ylabel(r"$W_2(G_t, P_r)$")
    axes[2].set_ylabel(r"$|\Delta W_2^2|$ between the two starts")
    axes[2].set_yscale("log")
    axes[0].set_ylim(0, 35)
    axes[1].set_ylim(0, 6)
    for ax in axes:
        ax.set_xlabel("generation t")
    key.axis("off")
    key.legend(*axes[0].get_legend_handles_labels(), loc="center", title=f"{S['chains']} chains per run")
    fig.tight_layout()
    return fig


def _gap(result: Result, lam: float) -> np.ndarray:
    """|W2²| difference between the first two starts, per generation and chain."""
    first, second = result.sizes["n_inits"][:2]
    return np.abs(result.runs[lam, first].w2_squared - result.runs[lam, second].w2_squared)


def table_levels(result: Result) -> pd.DataFrame:
    """Start and steady level (mean of the last ``window`` generations) of W2² and W2 per (λ, n_init)."""
    window, chains = result.sizes["window"], result.sizes["chains"]
    rows = {}
    for (lam, n_init), chain in result.runs.items():
        w2sq, w2 = chain.w2_squared[-window:].mean(axis=0), chain.w2[-window:].mean(axis=0)
        rows[lam, n_init] = {
            "start_w2sq": chain.w2_squared[0].mean(),
            "start_w2": chain.w2[0].mean(),
            "level_w2sq": w2sq.mean(),
            "level_w2sq_se": w2sq.std(ddof=1) / np.sqrt(chains),
            "level_w2": w2.mean(),
        }
    table = pd.DataFrame(rows).T
    table.index.names = ["λ", "n_init"]
    return table


def numbers(result: Result) -> dict[str, float]:
    """The numbers of the prose, by glue name."""
    S, table = result.sizes, table_levels(result)
    first, second = S["n_inits"][:2]
    out: dict[str, float] = {}
    for lam in S["lams"]:
        gap = _gap(result, lam).mean(axis=1)
        key = f"{lam:g}".replace(".", "")
        out[f"fd_level_{key}"] = table.loc[(lam, first), "level_w2sq"]
        out[f"fd_level_w2_{key}"] = table.loc[(lam, first), "level_w2"]
        out[f"fd_gap_first_{key}"] = gap[0]
        out[f"fd_gap_last_{key}"] = gap[-1]
        out[f"fd_ratio_{key}"] = effective_size_of(result.independent[lam], result.curve).ratio
    lam0 = S["lams"][0]
    out["fd_start_100"] = table.loc[(lam0, first), "start_w2sq"]
    out["fd_start_1000"] = table.loc[(lam0, second), "start_w2sq"]
    out["fd_start_w2_100"] = table.loc[(lam0, first), "start_w2"]
    out["fd_start_w2_1000"] = table.loc[(lam0, second), "start_w2"]
    out["fd_gens"] = S["generations"]
    out["fd_chains"] = S["chains"]
    out["fd_window"] = S["window"]
    out["fd_real_100"] = result.curve(first)
    out["fd_real_1000"] = result.curve(second)
    return out


def claims(result: Result) -> ClaimsLedger:
    """Claim 11 (Gaussian part): for each λ the limit does not depend on n_init (equivalence within 1 %
    of the level) and the chain has converged (last-window slope within 0.5 % of the level)."""
    S = result.sizes
    t = np.arange(1, S["generations"] + 1)
    window, (first, second) = S["window"], S["n_inits"][:2]
    ledger = ClaimsLedger("fresh_data_steady_state", replicates="chains")
    for lam in S["lams"]:
        far, near = (pd.DataFrame(result.runs[lam, n_init].w2_squared.T, columns=t) for n_init in (first, second))
        level = float(far.iloc[:, -window:].mean(axis=1).mean())
        names = (f"n_init={first}", f"n_init={second}")
        ledger.check(
            11,
            V.same_limit(far, near, 0.01 * level, window, what="W2²", names=names),
            part=f"Gaussian, λ = {lam:g}: limit independent of n_init",
        )
        ledger.check(11, V.converges(far, 0.005 * level, window, what=f"W2² (n_init = {first})"), part=f"Gaussian, λ = {lam:g}: converges")
    return ledger
