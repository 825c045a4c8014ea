"""Chapter "The Gaussian fully synthetic loop" (the paper's §3.1 and Appendix A).

Question: what does a Gaussian fitted by its sample mean and covariance become when every
generation trains only on ``n_s`` samples of the previous one, drawn at sampling bias λ?

Math in brief: given G_{t-1} = N(μ_{t-1}, Σ_{t-1}), μ_t ~ N(μ_{t-1}, λΣ_{t-1}/n_s) and
(n_s - 1)Σ_t ~ W_d(λΣ_{t-1}, n_s - 1). The mean is a martingale (it wanders), the covariance a
supermartingale with E tr Σ_t = λ^{t-1} tr Σ_0, and log det Σ_t a random walk with exact negative
drift δ(d, n_s, λ) per step, so tr Σ_t → 0 almost surely even at λ = 1 (:mod:`mad.theory`).

The chains are simulated exactly from sufficient statistics (:func:`mad.gaussian_chains.simulate_chains`)
in d = 1, 2 and 100, one run per seed; the 2-D sample clouds come from the generic runner
:func:`mad.iterate_loop` with :class:`mad.models.GaussianModel`. Sources: Alemohammad et al. (2024),
*Self-Consuming Generative Models Go MAD*, §3.1, Appendix A; Anderson (2003) for the Wishart law.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

import mad
from mad import theory
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.data import GaussianSource
from mad.gaussian_chains import GaussianChains, simulate_chains
from mad.models import GaussianModel
from mad.plotting import band, color_of
from mad.results import per_seed

#: relative margin of every comparison with exact theory (see the chapter's claims section)
REL = 0.05

Runs = dict[int, GaussianChains]  # seed -> chains


@dataclass
class Snapshot:
    """One generation of the generic 2-D loop: evaluation samples and the fitted mean and covariance."""

    samples: np.ndarray
    mean: np.ndarray
    cov: np.ndarray


@dataclass(repr=False)
class Result(ChapterResult):
    """Per-seed chains of each setting, and snapshots of the generic 2-D loop by (λ, t)."""

    sizes: dict
    d1: Runs  # d = 1, n_s, λ = 1
    by_lam: dict[float, Runs]  # d = 2, n_s, each λ
    by_ns: dict[int, Runs]  # d = 2, λ = 1, each n_s
    high: dict[float, Runs]  # d = d_high, n_s_high, each λ of lams_high
    snapshots: dict[tuple[float, int], Snapshot]


def _chains(d: int, n_s: int, lam: float, generations: int, chains: int, seeds: Sequence[int]) -> Runs:
    """Simulate the fully synthetic loop for every seed; return per-seed results."""
    return {seed: simulate_chains(mad.fully_synthetic(n_s, lam=lam), d, generations, chains, seed=seed) for seed in seeds}


def run(
    n_s: int = 100,
    lams: Sequence[float] = (1.0, 0.9, 0.8, 0.5),
    n_ss: Sequence[int] = (30, 100, 300, 1000),
    d_high: int = 100,
    n_s_high: int = 1000,
    lams_high: Sequence[float] = (1.0, 0.9),
    snapshot_lams: Sequence[float] = (1.0, 0.9),
    seeds: Sequence[int] | None = None,
    generations: int | None = None,
    chains: int | None = None,
    chains_d1: int | None = None,
    generations_high: int | None = None,
    chains_high: int | None = None,
    show: Sequence[int] | None = None,
) -> Result:
    """Run the fully synthetic loop: d = 1 (``n_s``, λ = 1), d = 2 over ``lams`` (``n_s``) and over ``n_ss``
    (λ = 1), d = ``d_high`` over ``lams_high`` (``n_s_high``), each with ``chains`` per seed; and the
    generic 2-D loop for the generations ``show`` at each of ``snapshot_lams``.

    ``seeds`` defaults to three seeds from the base seed (:func:`mad.seeds`).
    """
    sizes = dict(
        n_s=n_s,
        lams=list(lams),
        n_ss=list(n_ss),
        d_high=d_high,
        n_s_high=n_s_high,
        lams_high=list(lams_high),
        seeds=list(mad.seeds(3) if seeds is None else seeds),
        generations=generations or mad.by_scale(smoke=40, book=500),
        chains=chains or mad.by_scale(smoke=60, book=1000),  # per seed, d = 2
        chains_d1=chains_d1 or mad.by_scale(smoke=60, book=4000),  # per seed, d = 1 (cheap; pins down the slow collapse)
        generations_high=generations_high or mad.by_scale(smoke=10, book=200),
        chains_high=chains_high or mad.by_scale(smoke=4, book=16),
        show=list(show or mad.by_scale(smoke=[1, 5, 20], book=[1, 10, 50, 150, 300])),
    )
    S, seeds = sizes, sizes["seeds"]
    d1 = _chains(1, n_s, 1.0, S["generations"], S["chains_d1"], seeds)
    by_lam = {lam: _chains(2, n_s, lam, S["generations"], S["chains"], seeds) for lam in lams}
    by_ns = {m: _chains(2, m, 1.0, S["generations"], S["chains"], seeds) for m in n_ss}
    high = {lam: _chains(d_high, n_s_high, lam, S["generations_high"], S["chains_high"], seeds) for lam in lams_high}
    snapshots = {}
    source = GaussianSource(d=2)
    for lam in snapshot_lams:
        for gen in mad.iterate_loop(mad.fully_synthetic(n_s, lam=lam), GaussianModel(), source, max(S["show"]), seed=seeds[0]):
            if gen.t in S["show"]:
                X, _ = gen.eval_samples(500)
                snapshots[lam, gen.t] = Snapshot(X, gen.model.mean_, gen.model.cov_)
    return Result(sizes, d1, by_lam, by_ns, high, snapshots)


def _pooled(runs: Runs, name: str) -> np.ndarray:
    """One summary of every chain of every seed side by side: shape (generations, seeds × chains)."""
    return np.concatenate([getattr(r, name) for r in runs.values()], axis=1)


def _typical(runs: Runs, d: int) -> np.ndarray:
    """Per seed, the median over chains of (det Σ_t)^{1/d}: shape (seeds, generations)."""
    return per_seed(runs, lambda r: np.exp(np.median(r.log_det, axis=1) / d))


def figure_paths(result: Result) -> plt.Figure:
    """Variance paths in d = 1 at λ = 1: ten chains, the mean and the median over chains, with theory."""
    S = result.sizes
    t = np.arange(1, S["generations"] + 1)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.plot(t, result.d1[S["seeds"][0]].trace[:, :10], color="0.6", lw=0.7, alpha=0.8)
    medians = per_seed(result.d1, lambda r: np.median(r.trace, axis=1))
    ax.plot(t, _pooled(result.d1, "trace").mean(axis=1), color="C0", lw=2, label="mean over chains")
    ax.plot(t, theory.expected_trace(t, 1.0, 1.0), "--", color="C0", label=r"theory $\mathbb{E}\,\sigma_t^2=1$")
    band(ax, t, medians, "C1", "median over chains", log=True)
    ax.plot(
        t,
        theory.typical_generalised_variance(t, 1, S["n_s"], S["n_s"], 1.0),
        ":",
        color="k",
        lw=1.5,
        label=r"theory $\exp\,\mathbb{E}\log\sigma_t^2$",
    )
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 20)
    ax.set_xlabel("generation t")
    ax.set_ylabel(r"variance $\sigma_t^2$ of $G_t$ (log scale)")
    ax.legend(loc="lower left", fontsize=9)
    return fig


def figure_lambda(result: Result) -> plt.Figure:
    """d = 2: mean of tr Σ_t/d and median of (det Σ_t)^{1/d} for each λ, against their exact theory."""
    S = result.sizes
    t = np.arange(1, S["generations"] + 1)
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.8), sharey=True)
    for lam, runs in result.by_lam.items():
        mean_tr = per_seed(runs, lambda r: r.trace.mean(axis=1) / 2)
        for ax, curve, th in (
            (axes[0], mean_tr, theory.expected_trace(t, lam, 1.0)),
            (axes[1], _typical(runs, 2), theory.typical_generalised_variance(t, 2, S["n_s"], S["n_s"], lam)),
        ):
            band(ax, t, curve, color_of(lam), f"λ = {lam:g}", log=True)
            ax.plot(t, th, "--", color="k", lw=0.8)
    axes[0].set_ylabel(r"mean of $\mathrm{tr}\,\Sigma_t / d$")
    axes[1].set_ylabel(r"median of $(\det\Sigma_t)^{1/d}$")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 5)
        ax.set_xlabel("generation t")
    axes[0].legend(title="sampling bias", loc="center right")
    axes[1].plot([], [], "--", color="k", lw=0.8, label="theory")
    axes[1].legend(handles=axes[1].get_lines()[-1:], loc="center right")
    return fig


def figure_ns(result: Result) -> plt.Figure:
    """d = 2, λ = 1, each n_s: typical variance (left) and mean-square drift of the mean (right), with theory."""
    S = result.sizes
    t = np.arange(1, S["generations"] + 1)
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.8))
    colors = dict(zip(S["n_ss"], sns.color_palette("mako_r", len(S["n_ss"]) + 1)[1:]))
    for n_s, runs in result.by_ns.items():
        drift = per_seed(runs, lambda r: (r.mean_drift**2).mean(axis=1))
        for ax, curve, th in (
            (axes[0], _typical(runs, 2), theory.typical_generalised_variance(t, 2, n_s, n_s, 1.0)),
            (axes[1], drift, theory.expected_mean_drift_squared(t, 2.0, n_s, n_s, 1.0)),
        ):
            band(ax, t, curve, colors[n_s], f"$n_s$ = {n_s}", log=ax is axes[0])
            ax.plot(t, th, "--", color="k", lw=0.8)
    axes[0].set_yscale("log")
    axes[0].set_ylabel(r"median of $(\det\Sigma_t)^{1/d}$")
    axes[1].set_ylabel(r"mean of $|\mu_t - \mu_0|^2$")
    for ax in axes:
        ax.set_xlabel("generation t")
    axes[0].legend(loc="lower left")
    return fig


def figure_high(result: Result) -> plt.Figure:
    """d = d_high: W2²(G_t, P_r), tr Σ_t/d and (det Σ_t)^{1/d} for each λ (2x2 with the legend panel)."""
    S = result.sizes
    d, n_s = S["d_high"], S["n_s_high"]
    t = np.arange(1, S["generations_high"] + 1)
    fig, axes = plt.subplots(2, 2, figsize=(8, 6.2))
    axes, key = axes.ravel()[:3], axes.ravel()[3]
    for lam, runs in result.high.items():
        curves = (
            per_seed(runs, lambda r: r.w2_squared.mean(axis=1)),
            per_seed(runs, lambda r: r.trace.mean(axis=1) / d),
            _typical(runs, d),
        )
        theories = (None, theory.expected_trace(t, lam, 1.0), theory.typical_generalised_variance(t, d, n_s, n_s, lam))
        for ax, curve, th in zip(axes, curves, theories):
            band(ax, t, curve, color_of(lam), f"λ = {lam:g}", log=ax is not axes[0])
            if th is not None:
                ax.plot(t, th, "--", color="k", lw=0.8)
    axes[0].set_ylabel(r"$W_2^2(G_t, P_r)$")
    axes[1].set_ylabel(r"$\mathrm{tr}\,\Sigma_t / d$")
    axes[2].set_ylabel(r"$(\det\Sigma_t)^{1/d}$")
    for ax in axes:
        ax.set_xlabel("generation t")
    axes[1].set_yscale("log")
    axes[2].set_yscale("log")
    key.axis("off")
    key.legend(*axes[0].get_legend_handles_labels(), loc="center", title="sampling bias")
    fig.tight_layout()
    return fig


def figure_scatter(result: Result) -> plt.Figure:
    """Samples of G_t with its 2-sigma ellipse, one row per λ and one column per shown generation."""
    show = result.sizes["show"]
    lams = list(dict.fromkeys(lam for lam, _ in result.snapshots))
    fig, axes = plt.subplots(len(lams), len(show), figsize=(1.75 * len(show) + 0.5, 4.3), sharex=True, sharey=True)
    circle = np.linspace(0, 2 * np.pi, 200)
    unit = np.stack([np.cos(circle), np.sin(circle)])
    for (lam, t), snap in result.snapshots.items():
        ax = axes[lams.index(lam), show.index(t)]
        ax.plot(*(2 * unit), color="0.6", lw=1)
        ax.scatter(snap.samples[:, 0], snap.samples[:, 1], s=3, alpha=0.5, color=color_of(lam))
        vals, vecs = np.linalg.eigh(snap.cov)
        ell = snap.mean[:, None] + 2 * vecs @ (np.sqrt(np.clip(vals, 0, None))[:, None] * unit)
        ax.plot(*ell, color="k", lw=1)
        ax.set_title(f"λ = {lam:g}, t = {t}", fontsize=10)
        ax.set_aspect("equal")
    for ax in axes[-1]:
        ax.set_xlabel("$x_1$")
    for ax in axes[:, 0]:
        ax.set_ylabel("$x_2$")
    axes[0, 0].set_xlim(-3.5, 3.5)
    axes[0, 0].set_ylim(-3.5, 3.5)
    fig.tight_layout()
    return fig


def _t_compare(result: Result) -> int:
    """The generation of claim 2's comparisons: 100, or the last one if the run is shorter."""
    return min(result.sizes["generations"], 100)


def numbers(result: Result) -> dict[str, float | int]:
    """The numbers of the prose, by glue name."""
    S = result.sizes
    d_high = S["d_high"]
    lam09 = _pooled(result.by_lam[0.9], "trace")
    ns_final = {n_s: float(np.exp(np.median(_pooled(runs, "log_det")[-1]) / 2)) for n_s, runs in result.by_ns.items()}
    w2_high = _pooled(result.high[1.0], "w2_squared").mean(axis=1)
    return {
        "gauss_total_chains": len(S["seeds"]) * S["chains_d1"],
        "gauss_gens": S["generations"],
        "gauss_d1_median_final": float(np.median(_pooled(result.d1, "trace")[-1])),
        "gauss_lam09_t10": float(lam09[9].mean() / 2),
        "gauss_lam09_t10_theory": float(theory.expected_trace(10, 0.9, 1.0)),
        "gauss_ns1000_final": ns_final[S["n_ss"][-1]],
        "gauss_ns30_final": ns_final[S["n_ss"][0]],
        "gauss_gens100": S["generations_high"],
        "gauss_d100_w2_first": float(w2_high[0]),
        "gauss_d100_w2_last": float(w2_high[-1]),
        "gauss_d100_geo_last": float(np.exp(np.median(_pooled(result.high[1.0], "log_det")[-1]) / d_high)),
        "gauss_claim_chains": len(S["seeds"]) * S["chains"],
        "gauss_claim_t": _t_compare(result),
    }


def _per_chain(runs: Runs, fn) -> pd.Series:
    """fn(result) -> one value per chain, over every seed: the chains are the independent replicates."""
    return pd.Series(np.concatenate([fn(r) for r in runs.values()]))


def claims(result: Result) -> ClaimsLedger:
    """Claims 1 (collapse, supermartingale, martingale mean) and 2 (n_s and λ order the collapse and the
    drift; E tr Σ_t = λ^(t-1) tr Σ_0), on the chains as replicates, with the margin :data:`REL` against theory."""
    S = result.sizes
    n_s, lams, n_ss = S["n_s"], S["lams"], S["n_ss"]
    T, T_CMP = S["generations"], _t_compare(result)
    t = np.arange(1, T + 1)
    ledger = ClaimsLedger("gaussian_fully_synthetic", replicates="chains")

    # claim 1: collapse (exact drift of log det Σ_t; even the largest n_s falls), supermartingale, martingale
    for d, runs_d in ((1, {1.0: result.d1}), (2, result.by_lam)):  # n_s; one column per λ
        log_det_T = pd.DataFrame({lam: _per_chain(runs, lambda r: r.log_det[T - 1]) for lam, runs in runs_d.items()})
        theory_T = [d * np.log(theory.typical_generalised_variance(T, d, n_s, n_s, lam)) for lam in runs_d]
        evidence = V.agrees_with_theory(log_det_T, theory_T, REL, what=f"mean log det Σ_T (d = {d}, T = {T}, n_s = {n_s})")
        ledger.check(1, evidence, part=f"collapse: exact drift of log det Σ_t, d = {d}")
    log_tr = pd.DataFrame(np.concatenate([np.log(r.trace).T for r in result.by_ns[n_ss[-1]].values()]), columns=t)
    ledger.check(1, V.falls(log_tr, what=f"log tr Σ_t (n_s = {n_ss[-1]})"), part=f"collapse: even n_s = {n_ss[-1]} falls")
    step = pd.DataFrame(
        {lam: _per_chain(runs, lambda r: (r.trace[1:11] / r.trace[:10]).mean(axis=0)) for lam, runs in result.by_lam.items()}
    )
    ledger.check(
        1, V.agrees_with_theory(step, lams, REL, what="E[tr Σ_t / tr Σ_(t-1)] = λ"), part="supermartingale: one step multiplies by λ"
    )
    z_inc = _per_chain(result.d1, lambda r: (np.diff(r.means[:, :, 0], axis=0) / np.sqrt(r.trace[:-1] / n_s)).mean(axis=0))
    ledger.check(1, V.agrees_with_theory(z_inc, 0.0, 0.05, what="standardised increment of μ_t", relative=False), part="martingale mean")

    # claim 2: larger n_s slows the collapse and shrinks the drift; smaller λ speeds the collapse; E tr Σ_t = λ^(t-1) tr Σ_0
    ld_ns = {m: _per_chain(runs, lambda r: r.log_det[T_CMP - 1]) for m, runs in result.by_ns.items()}
    ledger.check(2, V.ordered(ld_ns, "increasing", what=f"log det Σ_t at t = {T_CMP}", by="n_s"), part="larger n_s slows the collapse")
    drift_ns = {m: _per_chain(runs, lambda r: np.log(r.mean_drift[T_CMP - 1] ** 2)) for m, runs in result.by_ns.items()}
    ledger.check(
        2, V.ordered(drift_ns, "decreasing", what=f"log |μ_t - μ_0|² at t = {T_CMP}", by="n_s"), part="larger n_s shrinks the drift"
    )
    ld_lam = {lam: _per_chain(runs, lambda r: r.log_det[T_CMP - 1]) for lam, runs in result.by_lam.items()}
    ledger.check(2, V.ordered(ld_lam, "decreasing", what=f"log det Σ_t at t = {T_CMP}", by="λ"), part="smaller λ speeds the collapse")
    tr10 = pd.DataFrame({lam: _per_chain(runs, lambda r: r.trace[9]) for lam, runs in result.by_lam.items()})
    ledger.check(
        2,
        V.agrees_with_theory(tr10, [theory.expected_trace(10, lam, 2.0) for lam in lams], REL, what="mean tr Σ_10 = λ^9 tr Σ_0"),
        part="E tr Σ_t = λ^(t-1) tr Σ_0",
    )
    return ledger
