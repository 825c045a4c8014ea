"""Chapter "How much synthetic data is admissible?" (the paper's §5, Figures 11, 12, 30 and 31).

Question: in the Gaussian fresh data loop (``n_r`` fresh real and ``n_s`` synthetic samples per
generation, drawn at bias λ, in d = 100), when do the synthetic samples help and when do they hurt?

Math in brief: the effective sample size n_e (the paper's Eq. 4) solves
E W2²(G(n_e), P_r) = WD(n_r, n_s, λ) = lim_t E W2²(G_t, P_r): a loop whose steady state is as
close to P_r as a fit to n_e real samples. The synthetic data is *admissible* when n_e ≥ n_r.
Both sides are Monte Carlo estimates (:mod:`mad.effective_size`): the real-only curve on a log
grid of n (checked against the Marchenko-Pastur limit), and each cell's steady state from chains
simulated exactly from sufficient statistics after a burn-in of four relaxation times. The same
n_e is computed for the memory of the last K models (App. G, Exp. 1) and the steady-state W2² of
a data pool with real fraction p (App. G, Exp. 2), whose large-n floor for λ < 1 is
d(√s - 1)², s = p/(1 - (1 - p)λ).

Sources: Alemohammad et al. (2024), *Self-Consuming Generative Models Go MAD*, §5 (Eqs. 3-4,
Figures 11-12) and Appendix G (Figures 30-31); Marchenko and Pastur (1967).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import mad
from mad import effective_size as es
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.gaussian_chains import stationary_w2_squared
from mad.plotting import panels
from mad.seeding import derive_seed

Cell = tuple[int, int, float, int]  # (n_r, n_s, λ, K)

#: the cell whose steady state the real-only curve figure reads n_e off (when it is on the grid)
EXAMPLE_CELL: Cell = (100, 1000, 0.85, 1)


@dataclass(repr=False)
class Result(ChapterResult):
    """The real-only curve, the steady state of every cell, and the tables of each figure (one row per cell)."""

    sizes: dict
    requests: dict[str, list[Cell]]  # the cells of each figure
    curve: es.RealOnlyCurve
    states: dict[Cell, es.SteadyState]
    fig11: pd.DataFrame  # over λ, n_r, n_s
    fig12: pd.DataFrame  # over n_r, λ, n_s
    fig30: pd.DataFrame  # over K
    fig31p: pd.DataFrame  # data pool, λ = 1: over p and n
    fig31l: pd.DataFrame  # data pool, p = pool_p: over λ and n
    again: pd.DataFrame  # the Figure 11 cells at λ = stability_lam under the next base seed


def _pool_cell(n: int, p: float, lam: float) -> Cell:
    """The (n_r, n_s, λ, K = 1) cell of a pool of ``n`` samples with real fraction ``p``."""
    s = mad.fresh_data_pool(n, p, lam=lam)
    return (s.n_real, s.n_synth, lam, 1)


def run(
    d: int = es.D_PAPER,
    fig11_n_r: Sequence[int] | None = None,
    fig11_n_s: Sequence[int] | None = None,
    fig11_lams: Sequence[float] = es.FIG11_LAMS,
    fig12_n_r: Sequence[int] | None = None,
    fig12_n_s: Sequence[int] | None = None,
    fig12_lams: Sequence[float] | None = None,
    ks: Sequence[int] | None = None,
    k_n_r: int = 1000,
    k_n_s: int = 10000,
    pool_n: Sequence[int] | None = None,
    pool_ps: Sequence[float] | None = None,
    pool_lams: Sequence[float] | None = None,
    pool_p: float = 0.1,
    stability_lam: float = 0.85,
    chains: int | None = None,
    window: int | None = None,
    max_burn_in: int | None = None,
    seed: int | None = None,
) -> Result:
    """The steady state and n_e of every cell of Figures 11, 12, 30 and 31 (each distinct cell once), and the
    Figure 11 cells at ``stability_lam`` again under ``seed + 1``. Grids default to the paper's at book scale
    (:mod:`mad.effective_size`) and to a few cells at smoke scale; ``chains``, ``window`` and ``max_burn_in``
    set each cell's Monte Carlo (:func:`mad.effective_size.steady_state`)."""
    sizes = dict(
        d=d,
        fig11_n_r=list(fig11_n_r or mad.by_scale(smoke=(100, 1000), book=es.FIG11_N_R)),
        fig11_n_s=list(fig11_n_s or mad.by_scale(smoke=(100, 10000), book=es.FIG11_N_S)),
        fig11_lams=list(fig11_lams),
        fig12_n_r=list(fig12_n_r or mad.by_scale(smoke=(100, 1000), book=es.FIG12_N_R)),
        fig12_n_s=list(fig12_n_s or mad.by_scale(smoke=(10, 1000, 10000), book=es.FIG12_N_S)),
        fig12_lams=list(fig12_lams or mad.by_scale(smoke=(0.1, 0.5, 0.9), book=es.FIG12_LAMS)),
        ks=list(ks or mad.by_scale(smoke=(1, 2, 4), book=(1, 2, 4, 6, 8))),
        k_n_r=k_n_r,
        k_n_s=k_n_s,
        pool_n=list(pool_n or mad.by_scale(smoke=(1000, 10000), book=(1000, 3162, 10000, 31623, 100000))),
        pool_ps=list(pool_ps or mad.by_scale(smoke=(1.0, 0.1, 0.01), book=(1.0, 0.1, 0.03, 0.01, 0.003))),
        pool_lams=list(pool_lams or mad.by_scale(smoke=(1.0, 0.9), book=(1.0, 0.97, 0.95, 0.93, 0.9))),
        pool_p=pool_p,
        stability_lam=stability_lam,
        chains=chains or mad.by_scale(smoke=2, book=4),
        window=window or mad.by_scale(smoke=3, book=10),
        max_burn_in=max_burn_in or mad.by_scale(smoke=60, book=600),
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    requests = {
        "fig11": [(n_r, n_s, lam, 1) for lam in S["fig11_lams"] for n_r in S["fig11_n_r"] for n_s in S["fig11_n_s"]],
        "fig12": [(n_r, n_s, lam, 1) for n_r in S["fig12_n_r"] for lam in S["fig12_lams"] for n_s in S["fig12_n_s"]],
        "fig30": [(k_n_r, k_n_s, 1.0, k) for k in S["ks"]],
        "fig31p": [_pool_cell(n, p, 1.0) for p in S["pool_ps"] for n in S["pool_n"]],
        "fig31l": [_pool_cell(n, pool_p, lam) for lam in S["pool_lams"] for n in S["pool_n"]],
    }
    unique = sorted({c for cs in requests.values() for c in cs})
    sizes["cells"] = len(unique)
    curve = es.real_only_curve(d)
    states = dict(zip(unique, es.steady_states(unique, d=d, seed=S["seed"], **_monte_carlo(sizes))))

    def frame(name: str) -> pd.DataFrame:
        return pd.DataFrame([es.effective_size_of(states[c], curve).as_row() for c in requests[name]])

    fig31p = frame("fig31p").assign(n=lambda f: f.n_r + f.n_s, p=[p for p in S["pool_ps"] for _ in S["pool_n"]])
    fig31l = frame("fig31l").assign(n=lambda f: f.n_r + f.n_s)
    again = es.effective_size_grid(
        [c[:3] for c in requests["fig11"] if c[2] == stability_lam], d=d, seed=S["seed"] + 1, **_monte_carlo(sizes)
    )
    return Result(sizes, requests, curve, states, frame("fig11"), frame("fig12"), frame("fig30"), fig31p, fig31l, again)


def _monte_carlo(sizes: dict) -> dict[str, int]:
    """The Monte Carlo settings of every cell: chains, window, max_burn_in."""
    return {"chains": sizes["chains"], "window": sizes["window"], "max_burn_in": sizes["max_burn_in"]}


# --------------------------------------------------------------------------------------------
# figures and tables
# --------------------------------------------------------------------------------------------


def figure_curve(result: Result) -> plt.Figure:
    """The real-only curve against the Marchenko-Pastur limit and the large-n expansion; reading off n_e."""
    curve, d = result.curve, result.sizes["d"]
    grid_n = np.geomspace(2, 2e5, 300)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve.n, curve.w2_squared, "o", ms=4, color="C0", label=f"Monte Carlo ({curve.samples} fits per n)")
    ax.plot(grid_n, [es.marchenko_pastur_w2_squared(n, d) for n in grid_n], color="C1", lw=1.5, label="Marchenko–Pastur limit")
    ax.plot(
        grid_n[grid_n > 150],
        es.asymptotic_real_w2_squared(grid_n[grid_n > 150], d),
        "--",
        color="k",
        lw=1,
        label=r"$d/n + d(d+1)/(4(n-1))$",
    )
    if EXAMPLE_CELL in result.states:
        example = es.effective_size_of(result.states[EXAMPLE_CELL], curve)
        n_r, n_s, lam, _ = EXAMPLE_CELL
        ax.axhline(example.steady.w2_squared, color="C3", lw=1, ls=":")
        ax.axvline(example.n_e, color="C3", lw=1, ls=":")
        ax.annotate(
            f"steady state of $n_r$={n_r}, $n_s$={n_s}, λ={lam:g}\n→ $n_e$ ≈ {example.n_e:.0f}",
            (example.n_e, example.steady.w2_squared),
            xytext=(300, 40),
            fontsize=9,
            color="C3",
            arrowprops={"arrowstyle": "->", "color": "C3"},
        )
    ax.axvline(d, color="0.6", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("real samples n")
    ax.set_ylabel(r"$\mathbb{E}\,W_2^2(G(n), P_r)$")
    ax.legend(fontsize=9, loc="lower left")
    return fig


def figure_nr_ns(result: Result) -> plt.Figure:
    """Figure 11: heatmaps of n_e/n_r over n_r and n_s, one per λ."""
    lams, fig11 = result.sizes["fig11_lams"], result.fig11
    fig, axes = panels(len(lams), height=3.9, width=9.5)
    for ax, lam in zip(axes, lams):
        es.plot_ratio_heatmap(fig11[fig11.lam == lam], x="n_r", y="n_s", ax=ax, vmax=3.0, title=f"λ = {lam:g}", colorbar=ax is axes[-1])
    fig.tight_layout()
    return fig


def figure_lam_ns(result: Result) -> plt.Figure:
    """Figure 12: heatmaps of n_e/n_r over λ and n_s, one per n_r."""
    n_rs, fig12 = result.sizes["fig12_n_r"], result.fig12
    fig, axes = panels(len(n_rs), height=3.9, width=9.5)
    for ax, n_r in zip(axes, n_rs):
        es.plot_ratio_heatmap(fig12[fig12.n_r == n_r], x="lam", y="n_s", ax=ax, vmax=2.5, title=f"$n_r$ = {n_r}", colorbar=ax is axes[-1])
    fig.tight_layout()
    return fig


def figure_memory(result: Result) -> plt.Figure:
    """Figure 30: n_e/n_r against the number K of models remembered, ± 2 standard errors."""
    ks, fig30 = result.sizes["ks"], result.fig30
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.errorbar(fig30.k, fig30.ratio, yerr=2 * fig30.ratio_se, fmt="o-", color="C0", capsize=3, label=r"$n_e/n_r$ ± 2 SE")
    ax.axhline(1, color="0.5", lw=1, ls="--", label="admissible boundary")
    ax.set_xticks(ks, [str(k) for k in ks])  # linear axis: equal steps in K are equal distances
    ax.set_xlabel("models remembered K")
    ax.set_xlim(0, None)
    ax.set_ylabel(r"$n_e / n_r$")
    ax.set_ylim(0, None)
    ax.legend(loc="lower right")
    return fig


def figure_pool(result: Result) -> plt.Figure:
    """Figure 31: steady-state W2² of the data pool against n, over p at λ = 1 (left) and over λ at p = pool_p (right)."""
    S, fig31p, fig31l = result.sizes, result.fig31p, result.fig31l
    pool_ps, pool_lams, pool_p = S["pool_ps"], S["pool_lams"], S["pool_p"]
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.0))
    pal = plt.get_cmap("viridis")
    for i, p in enumerate(pool_ps):
        g = fig31p[fig31p.p == p].sort_values("n")
        color = pal(i / max(1, len(pool_ps) - 1))
        axes[0].plot(g.n, g.w2_squared, "-", color=color, lw=2, label=f"p = {100 * p:g}%")
        axes[0].scatter(g.n[~g.capped], g.w2_squared[~g.capped], color=color, s=18, zorder=3)
        axes[0].scatter(g.n[g.capped], g.w2_squared[g.capped], facecolor="white", edgecolor=color, s=22, zorder=3)
    for i, lam in enumerate(pool_lams):
        g = fig31l[fig31l.lam == lam].sort_values("n")
        color = pal(i / max(1, len(pool_lams) - 1))
        axes[1].plot(g.n, g.w2_squared, "o-", color=color, lw=2, ms=4, label=f"λ = {lam:g}")
        if lam < 1:
            axes[1].axhline(pool_floor(S["d"], pool_p, lam), color=color, ls=":", lw=1.2)
    axes[0].set_title("λ = 1, real fraction p")
    axes[1].set_title(f"p = {100 * pool_p:g}%, sampling bias λ")
    for ax in axes:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("samples per generation n")
        ax.legend(fontsize=9)
    axes[0].set_ylabel(r"steady-state $W_2^2(G_t, P_r)$")
    return fig


def pool_floor(d: int, p: float, lam: float) -> float:
    """The large-n floor d(√s - 1)² of the data pool's W2², s = p/(1 - (1 - p)λ) (λ < 1)."""
    s = p / (1 - (1 - p) * lam)
    return d * (np.sqrt(s) - 1) ** 2


def table_thresholds(result: Result) -> pd.DataFrame:
    """Figure 11, λ < 1: the largest admissible n_s below the first inadmissible one, per (λ, n_r)."""
    return es.critical_n_s(result.fig11[result.fig11.lam < 1], by=("lam", "n_r"))


def table_first_inadmissible(result: Result) -> pd.DataFrame:
    """Figure 12: the first inadmissible n_s (NaN: none on the grid), λ by n_r."""
    return _thresholds12(result).pivot(index="lam", columns="n_r", values="n_s_bad")


def _thresholds12(result: Result) -> pd.DataFrame:
    return es.critical_n_s(result.fig12, by=("n_r", "lam"))


# --------------------------------------------------------------------------------------------
# numbers and claims
# --------------------------------------------------------------------------------------------


def _loglog_slope(g: pd.DataFrame, lo: float, hi: float) -> float:
    """Slope of log W2² against log n between the pool sizes ``lo`` and ``hi``."""
    g = g.set_index("n")
    return float(np.log(g.loc[hi, "w2_squared"] / g.loc[lo, "w2_squared"]) / np.log(hi / lo))


def _n_mid(result: Result) -> int:
    """The pool size the right panel's slope starts from: the third largest (or the smallest)."""
    pool_n = result.sizes["pool_n"]
    return pool_n[max(0, len(pool_n) - 3)]


def _p_small(result: Result) -> float:
    """The smallest real fraction whose burn-in is capped in no cell."""
    fig31p = result.fig31p
    return min(p for p in result.sizes["pool_ps"] if not fig31p[fig31p.p == p].capped.any())


def numbers(result: Result) -> dict[str, float | int | str]:
    """The numbers of the prose, by glue name."""
    S, curve, d = result.sizes, result.curve, result.sizes["d"]
    fig11, fig30, fig31p, fig31l = result.fig11, result.fig30, result.fig31p, result.fig31l
    out: dict[str, float | int | str] = {}
    # the real-only curve and the Monte Carlo
    out["adm_mp_dev"] = 100 * max(abs(curve(n) / es.marchenko_pastur_w2_squared(n, d) - 1) for n in curve.n if n >= 10)
    out["adm_curve_samples"] = curve.samples
    out["adm_window"] = S["window"]
    out["adm_chains"] = S["chains"]
    # Figure 11
    nr_lo, nr_hi = S["fig11_n_r"][0], S["fig11_n_r"][-1]
    thr11 = table_thresholds(result)
    for lam in [x for x in S["fig11_lams"] if x < 1]:
        t_lam = thr11[thr11.lam == lam].set_index("n_r")
        key = f"{lam:g}".replace(".", "")
        for n_r, tag in ((nr_lo, "lo"), (nr_hi, "hi")):
            out[f"adm_ok_{key}_{tag}"] = t_lam.loc[n_r, "n_s_ok"]
            out[f"adm_bad_{key}_{tag}"] = t_lam.loc[n_r, "n_s_bad"]
    one = fig11[fig11.lam == 1.0]
    out["adm_l1_min"] = one.ratio.min()
    out["adm_l1_max"] = one.ratio.max()
    best = fig11[(fig11.lam < 1)].sort_values("ratio").iloc[-1]
    out["adm_best_ratio"] = best.ratio
    out["adm_best_lam"] = best.lam
    out["adm_best_nr"] = best.n_r
    out["adm_best_ns"] = best.n_s
    out["adm_nr_lo"] = nr_lo
    out["adm_nr_hi"] = nr_hi
    out["adm_ratio_se_median"] = fig11.ratio_se.median()
    # Figure 12
    thr12, lams12 = _thresholds12(result), S["fig12_lams"]
    for n_r in S["fig12_n_r"]:
        t_nr = thr12[thr12.n_r == n_r].set_index("lam")
        for lam in (lams12[0], lams12[-1]):
            out[f"adm12_bad_{n_r}_{lam:g}".replace(".", "")] = t_nr.loc[lam, "n_s_bad"]
    out["adm12_lam_lo"] = lams12[0]
    out["adm12_lam_hi"] = lams12[-1]
    # Figure 30
    gains = np.diff(fig30.ratio.to_numpy()) / np.diff(fig30.k.to_numpy())
    out["adm_k_max"] = S["ks"][-1]
    out["adm_k1"] = fig30.ratio.iloc[0]
    out["adm_kmax_ratio"] = fig30.ratio.iloc[-1]
    out["adm_gain_first"] = gains[0]
    out["adm_gain_last"] = gains[-1]
    out["adm_returns"] = "diminish" if gains[-1] < gains[0] else "do not diminish"
    # Figure 31
    pool_n, pool_ps, pool_lams = S["pool_n"], S["pool_ps"], S["pool_lams"]
    n_lo, n_hi, n_mid = pool_n[0], pool_n[-1], _n_mid(result)
    slopes_p = {p: _loglog_slope(fig31p[fig31p.p == p], n_lo, n_hi) for p in pool_ps}
    slopes_last = {lam: _loglog_slope(fig31l[fig31l.lam == lam], n_mid, n_hi) for lam in pool_lams}
    lam_max = [x for x in pool_lams if x < 1][0]
    out["adm_slope_p1"] = slopes_p[1.0]
    out["adm_slope_pmin"] = slopes_p[pool_ps[-1]]
    out["adm_pmin"] = 100 * pool_ps[-1]
    out["adm_slope_l1"] = slopes_last[1.0]
    out["adm_slope_lmin"] = slopes_last[pool_lams[-1]]
    out["adm_slope_lmax"] = slopes_last[lam_max]
    out["adm_lam_lmin"] = pool_lams[-1]
    out["adm_lam_lmax"] = lam_max
    out["adm_n_capped"] = int(fig31p.capped.sum())
    out["adm_cap"] = S["max_burn_in"]
    out["adm_capped_trend"] = 100 * float(fig31p[fig31p.capped].trend.abs().max()) if fig31p.capped.any() else 0.0
    out["adm_n_mid"] = n_mid
    out["adm_n_hi"] = n_hi
    # stability of the boundary
    first, again = fig11[fig11.lam == S["stability_lam"]].reset_index(drop=True), result.again
    out["adm_flips"] = int((first.admissible != again.admissible).sum())
    out["adm_cells"] = len(first)
    out["adm_max_change"] = float((first.ratio - again.ratio).abs().max())
    out["adm_undecided"] = int((~fig11.decided).sum())
    # claims
    out["adm_claim_p"] = 100 * _p_small(result)
    return out


def chain_levels(result: Result, cell: Cell) -> pd.Series:
    """Per-chain steady-state W2² of a cell (n_r, n_s, λ, K): the chains of :func:`mad.effective_size.steady_state`,
    same seed, so the same chains as the figures (checked for the cells in ``result.states``)."""
    S = result.sizes
    n_r, n_s, lam, k = cell
    schedule = es.cell_schedule(n_r, n_s, lam, k)
    burn = es.default_burn_in(n_r, n_s, schedule.lam, schedule.k, S["max_burn_in"])
    seed = derive_seed(S["seed"], 0, f"steady n_r={n_r} n_s={n_s} lam={schedule.lam:.6g} k={schedule.k}")
    levels = stationary_w2_squared(schedule, S["d"], S["chains"], burn, S["window"], seed=seed).mean(axis=0)
    if cell in result.states and not np.isclose(levels.mean(), result.states[cell].w2_squared):
        raise AssertionError(f"the chains of cell {cell} do not reproduce its steady state")
    return pd.Series(levels)


def claims(result: Result) -> ClaimsLedger:
    """Claims 12 (a critical n_s exists, levels off as n_r grows, falls with λ), 13 (λ = 1 is admissible),
    14 (memory of K models raises n_e/n_r, with diminishing returns) and 15 (the data pool's W2² falls with n,
    more slowly for small p, and plateaus at the bias floor for λ < 1), with the chains of each cell as replicates."""
    S = result.sizes
    ledger = ClaimsLedger("admissible_synthetic_data", replicates="chains")

    def ratio(n_r: int, n_s: int, lam: float, k: int = 1) -> np.ndarray:
        """Each chain's n_e/n_r."""
        return result.curve.inverse(chain_levels(result, (n_r, n_s, lam, k))) / n_r

    # claim 12: a critical n_s exists, levels off as n_r grows, falls with λ
    ns_lo, ns_hi, nr_lo, nr_hi = S["fig11_n_s"][0], S["fig11_n_s"][-1], S["fig11_n_r"][0], S["fig11_n_r"][-1]
    for lam in [x for x in S["fig11_lams"] if x < 1]:
        for n_r in (nr_lo, nr_hi):
            lo, hi = ratio(n_r, ns_lo, lam), ratio(n_r, ns_hi, lam)
            groups = {ns_lo: lo, "boundary n_e = n_r": lo * 0 + 1, ns_hi: hi}
            evidence = V.ordered(groups, "decreasing", what=f"n_e/n_r (λ = {lam:g}, n_r = {n_r})", by="n_s")
            ledger.check(12, evidence, part=f"critical n_s exists, λ = {lam:g}, n_r = {n_r}")
    for lam in [x for x in S["fig11_lams"] if x < 1]:
        evidence = V.greater(
            ratio(nr_lo, 10 * nr_lo, lam), ratio(nr_hi, 10 * nr_hi, lam), what=f"n_e/n_r at n_s = 10 n_r: n_r = {nr_lo} > n_r = {nr_hi}"
        )
        ledger.check(12, evidence, part=f"threshold levels off as n_r grows, λ = {lam:g}")
    for n_r in S["fig12_n_r"]:
        evidence = V.ordered(
            {lam: ratio(n_r, 1000, lam) for lam in S["fig12_lams"]}, "increasing", what=f"n_e/n_r (n_r = {n_r}, n_s = 1000)", by="λ"
        )
        ledger.check(12, evidence, part=f"threshold falls with λ, n_r = {n_r} (Fig. 12)")

    # claim 13: λ = 1 is admissible, nearest the boundary and with the most synthetic data
    ledger.check(
        13, V.greater(ratio(nr_hi, ns_lo, 1.0), 1.0, what=f"n_e/n_r > 1 (n_r = {nr_hi}, n_s = {ns_lo})"), part="closest to the boundary"
    )
    ledger.check(
        13, V.greater(ratio(nr_lo, ns_hi, 1.0), 1.0, what=f"n_e/n_r > 1 (n_r = {nr_lo}, n_s = {ns_hi})"), part="most synthetic data"
    )

    # claim 14: memory of K models raises n_e/n_r, with diminishing returns
    ks = S["ks"]
    by_k = {k: ratio(S["k_n_r"], S["k_n_s"], 1.0, k) for k in ks}
    ledger.check(14, V.ordered(by_k, "increasing", what="n_e/n_r", by="K"), part="n_e/n_r rises with K")
    first_gain = (by_k[ks[1]] - by_k[ks[0]]) / (ks[1] - ks[0])
    last_gain = (by_k[ks[-1]] - by_k[ks[-2]]) / (ks[-1] - ks[-2])
    evidence = V.greater(first_gain, last_gain, what=f"gain per added model: K = {ks[0]}→{ks[1]} > K = {ks[-2]}→{ks[-1]}")
    ledger.check(14, evidence, part="diminishing returns")

    # claim 15: WD falls with n, more slowly for small p; with λ < 1 it plateaus at the bias floor
    pool_p, n_hi = S["pool_p"], S["pool_n"][-1]

    def log_curve(p: float, lam: float = 1.0) -> pd.DataFrame:
        """Per-chain log W2² against log10 n (columns)."""
        return pd.DataFrame({np.log10(n): np.log(chain_levels(result, _pool_cell(n, p, lam))) for n in S["pool_n"]})

    p_small = _p_small(result)
    small, real = log_curve(p_small), log_curve(1.0)
    ledger.check(15, V.falls(small, what=f"log W2² against log10 n (p = {100 * p_small:g}%)"), part="WD falls with n (small p)")
    evidence = V.slower_than(small, real, "falls", what="log W2² against log10 n", names=(f"p = {100 * p_small:g}%", "p = 100%"))
    ledger.check(15, evidence, part="more slowly for small p (λ = 1)")
    biased = [lam for lam in S["pool_lams"] if lam < 1]
    at_hi = pd.DataFrame({lam: chain_levels(result, _pool_cell(n_hi, pool_p, lam)) for lam in biased})
    floors = [pool_floor(S["d"], pool_p, lam) for lam in biased]
    evidence = V.agrees_with_theory(at_hi, floors, 0.10, what=f"W2² at n = {n_hi} vs the floor d(√s - 1)²")
    ledger.check(15, evidence, part=f"λ < 1 plateaus at the bias floor (p = {100 * pool_p:g}%)")
    return ledger
