"""Chapter "Accumulate or replace?" (beyond the paper: Gerstgrasser et al. 2024, Kazdan et al. 2024).

The question: the paper's fully synthetic loop *replaces* the training data every generation, while on
the internet synthetic data is *added* to the real data. Does accumulating keep the loop bounded, and
what does sampling bias, a fixed training budget or the covariance estimator change?

* **Gaussian loops** (d = 10, n samples per part, :func:`mad.gaussian_chains.simulate_chains`, exact
  from sufficient statistics): replace, keep the real set beside the last synthetic set, accumulate every
  synthetic set, and fresh data. Accumulating adds the s-th set's estimation error with weight 1/s, so
  W2²(G_t) ≈ W2²(G_1) Σ_{s≤t} 1/s² ≤ (π²/6) W2²(G_1); with sampling bias λ < 1 the accumulated variance
  decays as the power law Γ(t+λ)/(Γ(1+λ)Γ(t+1)) ~ t^(λ−1) (:func:`mad.regression.accumulated_trace`).
* **Linear regression** (:mod:`mad.regression`): replace (error t E_1), accumulate (E_1 Σ 1/s²) and
  Kazdan et al.'s accumulate-subsample (a fixed budget of T rows drawn from the pool).
* **Covariance estimators**: the replace loop with S/(n − 1) (the paper's Eq. 1) against S/n
  (Kazdan et al.'s code), on the same draws (:func:`mad.regression.gaussian_replace`, :func:`mad.regression.mle_theory`).

Sources: Alemohammad et al. 2024 (§4, the StyleGAN augmentation loop); Gerstgrasser et al. 2024;
Kazdan et al. 2024. Claims 17-20 and 31-35 of the scorecard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

import mad
from mad import regression
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.gaussian_chains import simulate_chains
from mad.loops import Schedule
from mad.plotting import PAGE_WIDTH, band, color_of, interval_label, legend_below, metric_vs_generation

#: The four Gaussian loops: name -> schedule for ``n`` samples per part at bias ``lam``.
LOOPS: dict[str, Callable[[int, float], Schedule]] = {
    "replace": lambda n, lam: mad.fully_synthetic(n, lam=lam),
    "keep real, replace synthetic": lambda n, lam: mad.synthetic_augmentation(n, n, lam=lam),
    "accumulate": lambda n, lam: mad.synthetic_augmentation(n, n, lam=lam, accumulate=True),
    "fresh data": lambda n, lam: mad.fresh_data(n // 10, n, lam=lam, n_init=n),
}
W2, TRACE, DRIFT = "W2² to P_r", "tr Σ / d", "|μ|²"
LABELS = {W2: r"$W_2^2(G_t, P_r)$", DRIFT: r"$|\mu_t - \mu_0|^2$", TRACE: r"$\mathrm{tr}\,\Sigma_t / d$"}


@dataclass(repr=False)
class Result(ChapterResult):
    """The chains of the three sections: Gaussian loops, regression loops, covariance estimators.

    ``results``: tidy per-seed means (``loop, lam, seed, generation, metric, value``); ``w2_chains`` and
    ``tr_chains``: per (loop, λ) one row per chain of all seeds, one column per generation;
    ``reg``: regression test error / E_1 per loop, same layout; ``est``: per ddof the frames
    (tr Σ_t / tr Σ_0, |μ_t − μ_0|² / tr Σ_0).
    """

    sizes: dict
    results: pd.DataFrame
    w2_chains: dict[tuple[str, float], pd.DataFrame]
    tr_chains: dict[tuple[str, float], pd.DataFrame]
    e1: float
    reg: dict[str, pd.DataFrame]
    reg_theory: dict[str, np.ndarray]
    est: dict[int, tuple[pd.DataFrame, pd.DataFrame]]
    est_theory: dict[int, tuple[np.ndarray, np.ndarray]]

    @property
    def harmonic(self) -> np.ndarray:
        """Σ_{s≤t} 1/s² for t = 1..generations."""
        return np.cumsum(1.0 / np.arange(1, self.sizes["generations"] + 1) ** 2)

    def power_law(self, lam: float) -> np.ndarray:
        """Γ(t+λ)/(Γ(1+λ)Γ(t+1)) for t = 1..generations."""
        return regression.accumulated_trace(self.sizes["generations"], lam)


def run(
    d: int = 10,
    n: int = 100,
    lams: Sequence[float] = (1.0, 0.9),
    power_law_lams: Sequence[float] = (0.5, 0.9),
    reg_d: int = 10,
    reg_T: int = 50,
    est_n: int = 50,
    seeds: int = 3,
    generations: int | None = None,
    chains: int | None = None,
    reg_generations: int | None = None,
    reg_chains: int | None = None,
    est_generations: int | None = None,
    est_chains: int | None = None,
    seed: int | None = None,
) -> Result:
    """Run the chapter's three experiments over ``seeds`` consecutive seeds from ``seed``.

    The four Gaussian loops in dimension ``d`` with ``n`` samples per part at each λ in ``lams`` (and the
    accumulate loop at the other λ of ``power_law_lams``); the regression loops with ``reg_d`` features and
    ``reg_T`` rows per generation; the replace loop with ``est_n`` samples under both covariance estimators.
    ``chains``, ``reg_chains`` and ``est_chains`` are per seed.
    """
    first_seed = mad.base_seed() if seed is None else seed
    sizes = dict(
        d=d,
        n=n,
        lams=list(lams),
        power_law_lams=list(power_law_lams),
        generations=generations or mad.by_scale(smoke=20, book=200),
        chains=chains or mad.by_scale(smoke=40, book=200),
        reg_d=reg_d,
        reg_T=reg_T,
        reg_generations=reg_generations or mad.by_scale(smoke=10, book=40),
        reg_chains=reg_chains or mad.by_scale(smoke=100, book=700),
        est_n=est_n,
        est_generations=est_generations or mad.by_scale(smoke=50, book=150),
        est_chains=est_chains or mad.by_scale(smoke=300, book=2000),
        seeds=list(range(first_seed, first_seed + seeds)),
    )
    S = sizes
    gens, seed_list = S["generations"], S["seeds"]
    columns = np.arange(1, gens + 1)
    frames = []
    w2_chains: dict = {}
    tr_chains: dict = {}
    for name, make in LOOPS.items():
        for lam in lams:
            for s in seed_list:
                res = simulate_chains(make(n, lam), d, gens, S["chains"], seed=s)
                w2_chains.setdefault((name, lam), []).append(res.w2_squared.T)
                tr_chains.setdefault((name, lam), []).append(res.trace.T / d)
                frames.append(
                    pd.DataFrame(
                        {
                            "loop": name,
                            "lam": lam,
                            "seed": s,
                            "generation": res.generations,
                            W2: res.w2_squared.mean(axis=1),
                            TRACE: res.trace.mean(axis=1) / d,
                            DRIFT: (res.mean_drift**2).mean(axis=1),
                        }
                    )
                )
    for lam in power_law_lams:
        if ("accumulate", lam) not in tr_chains:
            for s in seed_list:
                res = simulate_chains(LOOPS["accumulate"](n, lam), d, gens, S["chains"], seed=s)
                tr_chains.setdefault(("accumulate", lam), []).append(res.trace.T / d)
    w2_chains = {k: pd.DataFrame(np.concatenate(v), columns=columns) for k, v in w2_chains.items()}
    tr_chains = {k: pd.DataFrame(np.concatenate(v), columns=columns) for k, v in tr_chains.items()}
    results = pd.concat(frames, ignore_index=True).melt(id_vars=["loop", "lam", "seed", "generation"], var_name="metric")

    reg_gens = S["reg_generations"]
    e1 = regression.single_fit_error(reg_d, reg_T)
    reg = {
        loop: pd.DataFrame(
            np.concatenate([regression.simulate(loop, reg_d, reg_T, reg_gens, S["reg_chains"], seed=s).T for s in seed_list]) / e1,
            columns=np.arange(1, reg_gens + 1),
        )
        for loop in regression.REGRESSION_LOOPS
    }
    reg_theory = {loop: regression.theory(loop, reg_gens, reg_d, reg_T) / e1 for loop in ("replace", "accumulate")}

    est_gens = S["est_generations"]
    est = {}
    for ddof in (0, 1):
        runs = [regression.gaussian_replace(d, est_n, est_gens, S["est_chains"], ddof, seed=s) for s in seed_list]
        est[ddof] = tuple(pd.DataFrame(np.concatenate([r[k].T for r in runs]) / d, columns=np.arange(1, est_gens + 1)) for k in (0, 1))
    est_theory = {ddof: tuple(x / d for x in regression.mle_theory(est_gens, est_n, float(d), ddof)) for ddof in (0, 1)}
    return Result(sizes, results, w2_chains, tr_chains, e1, reg, reg_theory, est, est_theory)


# --------------------------------------------------------------------------- figures


def _first_w2(result: Result) -> float:
    """Mean W2²(G_1, P_r) at λ = 1."""
    sub = result.results[result.results["lam"] == 1.0]
    return sub[(sub["metric"] == W2) & (sub["generation"] == 1)]["value"].mean()


def _loop_figure(result: Result, lam: float, metrics: list[str], extra: Sequence[tuple[object, str]] = ()) -> tuple[plt.Figure, np.ndarray]:
    """One panel per metric, one colour per loop: mean over seeds and its 95% t-interval (log axes)."""
    palette = {loop: color_of(loop) for loop in LOOPS}
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.6))
    sub = result.results[result.results["lam"] == lam]
    metric_vs_generation(sub, metrics, hue="loop", labels=LABELS, logy=metrics, axes=axes, legend="none", palette=palette)
    for ax in axes:
        ax.xaxis.set_major_locator(plt.MaxNLocator(6, integer=True))
    handles = [plt.Line2D([], [], color=c, lw=2) for c in palette.values()] + [h for h, _ in extra]
    names = list(palette) + [name for _, name in extra]
    handles.append(plt.Rectangle((0, 0), 1, 1, color="0.6", alpha=0.4))
    names.append(interval_label(len(result.sizes["seeds"])) + " (of the log)")
    legend_below(fig, handles, names, ncol=3)
    return fig, axes


def figure_no_bias(result: Result) -> plt.Figure:
    """The four loops at λ = 1: W2² with the 1/s² series of the accumulate loop, and the drift of the mean."""
    theory_line = plt.Line2D([], [], ls=":", color="k", lw=1.5)
    fig, axes = _loop_figure(result, 1.0, [W2, DRIFT], extra=[(theory_line, r"$W_2^2(G_1)\sum_{s\leq t} 1/s^2$")])
    axes[0].plot(np.arange(1, result.sizes["generations"] + 1), _first_w2(result) * result.harmonic, ":", color="k", lw=1.5)
    return fig


def figure_bias(result: Result) -> plt.Figure:
    """The four loops at λ = 0.9: W2² and tr Σ_t / d."""
    fig, _ = _loop_figure(result, 0.9, [W2, TRACE])
    return fig


def figure_power_law(result: Result) -> plt.Figure:
    """The accumulate loop's tr Σ_t / d at λ = 0.9 and 0.5 against the closed form, log-log."""
    t = np.arange(1, result.sizes["generations"] + 1)
    fig, ax = plt.subplots(figsize=(6.5, 4.0))
    for lam in (0.9, 0.5):
        band(ax, t, result.tr_chains["accumulate", lam].to_numpy(), color_of(lam), f"simulation, λ = {lam}")
        ax.plot(t, result.power_law(lam), "--", color="k", lw=1)
    ax.plot([], [], "--", color="k", lw=1, label=r"$\Gamma(t+\lambda)/(\Gamma(1+\lambda)\Gamma(t+1))$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("generation t")
    ax.set_ylabel(r"$\mathrm{tr}\,\Sigma_t / d$ (1 for $P_r$)")
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return fig


def figure_regression(result: Result) -> plt.Figure:
    """Regression test error / E_1 of the three loops, linear (zoomed) and log scale, with the theory."""
    t = np.arange(1, result.sizes["reg_generations"] + 1)
    fig, axes = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 5.0))
    for ax, scale in zip(axes, ("linear", "log")):
        for loop in regression.REGRESSION_LOOPS:
            band(ax, t, result.reg[loop].to_numpy(), color_of(loop), loop)
            if loop in result.reg_theory:
                ax.plot(t, result.reg_theory[loop], "--", color="k", lw=1)
        ax.axhline(np.pi**2 / 6, color="grey", ls=":", lw=1)
        ax.set_yscale(scale)
        ax.set_xlabel("generation t")
        ax.set_ylabel(r"test error $| \hat w_t - w^\star |^2 / E_1$")
    axes[0].set_ylim(0, 4.5)
    axes[0].plot([], [], "--", color="k", lw=1, label=r"theory: $t$ (replace), $\sum_{s\leq t} 1/s^2$ (accumulate)")
    axes[0].plot([], [], ":", color="grey", lw=1, label=r"$\pi^2/6$")
    legend_below(
        fig,
        *axes[0].get_legend_handles_labels(),
        ncol=2,
        title=interval_label(result.reg[regression.REGRESSION_LOOPS[0]].shape[0], "chains"),
    )
    return fig


def figure_estimators(result: Result) -> plt.Figure:
    """The replace loop under S/(n − 1) and S/n: relative trace and squared error of the mean, with the theory."""
    t = np.arange(1, result.sizes["est_generations"] + 1)
    names = {1: "unbiased, S/(n − 1) (paper, book)", 0: "maximum likelihood, S/n (Kazdan et al.)"}
    colors = dict(zip((1, 0), sns.color_palette("colorblind", 6)[4:]))
    ylabels = [r"$\mathrm{tr}\,\Sigma_t / \mathrm{tr}\,\Sigma_0$", r"$|\mu_t - \mu_0|^2 / \mathrm{tr}\,\Sigma_0$"]
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.8))
    for k, (ax, label) in enumerate(zip(axes, ylabels)):
        for ddof in (1, 0):
            band(ax, t, result.est[ddof][k].to_numpy(), colors[ddof], names[ddof])
            ax.plot(t, result.est_theory[ddof][k], "--", color="k", lw=1)
        ax.set_xlabel("generation t")
        ax.set_ylabel(label)
    axes[0].set_yscale("log")
    axes[1].plot([], [], "--", color="k", lw=1, label="theory")
    axes[1].legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- prose and claims


def _final(result: Result, loop: str, lam: float, metric: str = W2) -> np.ndarray:
    """Per-seed mean of ``metric`` at the last generation."""
    r = result.results
    sel = r[(r["loop"] == loop) & (r["lam"] == lam) & (r["metric"] == metric)]
    return sel[sel["generation"] == result.sizes["generations"]]["value"].to_numpy()


def _checkpoints(result: Result) -> tuple[list[int], list[int], list[int]]:
    """Generations of the theory checks: regression, power law, estimators (those within the run)."""
    S = result.sizes
    return (
        [t for t in (1, 5, 10, 20, 40) if t <= S["reg_generations"]],
        [t for t in (2, 10, 50, 100, 200) if t <= S["generations"]],
        [t for t in (10, 25, 50) if t <= S["est_generations"]],
    )


def numbers(result: Result) -> dict[str, float | str]:
    """The numbers of the prose, by glue name."""
    S = result.sizes
    gens, reg_gens, est_gens = S["generations"], S["reg_generations"], S["est_generations"]
    r, reg = result.results, result.reg
    out: dict[str, float | str] = {"acc_gens": gens}
    out["acc_first"] = r[(r["generation"] == 1) & (r["metric"] == W2) & (r["lam"] == 1.0)]["value"].mean()
    out["acc_replace_last"] = _final(result, "replace", 1.0).mean()
    out["acc_keep_last"] = _final(result, "keep real, replace synthetic", 1.0).mean()
    out["acc_acc_last"] = _final(result, "accumulate", 1.0).mean()
    out["acc_ratio"] = _final(result, "accumulate", 1.0).mean() / _first_w2(result)
    out["acc_ratio_theory"] = result.harmonic[-1]
    out["acc_replace_tr"] = _final(result, "replace", 0.9, TRACE).mean()
    out["acc_keep_tr"] = _final(result, "keep real, replace synthetic", 0.9, TRACE).mean()
    out["acc_acc_tr"] = _final(result, "accumulate", 0.9, TRACE).mean()
    out["acc_acc_lam09"] = _final(result, "accumulate", 0.9).mean()
    sim_last = {lam: float(result.tr_chains["accumulate", lam][gens].mean()) for lam in (0.5, 0.9)}
    out["acc_pl_sim05"] = sim_last[0.5]
    out["acc_pl_th05"] = result.power_law(0.5)[-1]
    out["acc_pl_sim09"] = sim_last[0.9]
    out["acc_pl_th09"] = result.power_law(0.9)[-1]
    out["acc_pl_gap"] = 100 * (1 - sim_last[0.5] / result.power_law(0.5)[-1])
    half = reg_gens // 2
    sub = reg["accumulate-subsample"]
    out["reg_d"] = S["reg_d"]
    out["reg_T"] = S["reg_T"]
    out["reg_e1"] = result.e1
    out["reg_gens"] = reg_gens
    out["reg_chains"] = len(reg["replace"])
    out["reg_replace_last"] = reg["replace"][reg_gens].mean()
    out["reg_acc_last"] = reg["accumulate"][reg_gens].mean()
    out["reg_acc_th"] = result.reg_theory["accumulate"][-1]
    out["reg_sub_last"] = sub[reg_gens].mean()
    out["reg_sub_first_half"] = (sub[half + 1] - sub[1]).mean()
    out["reg_sub_second_half"] = (sub[reg_gens] - sub[half + 1]).mean()
    est, est_theory = result.est, result.est_theory
    out["est_n"] = S["est_n"]
    out["est_gens"] = est_gens
    out["est_chains"] = len(est[0][0])
    out["est_tr_mle"] = est[0][0][est_gens].mean()
    out["est_tr_mle_th"] = est_theory[0][0][-1]
    out["est_mu_mle"] = est[0][1][est_gens].mean()
    out["est_mu_unb"] = est[1][1][est_gens].mean()
    out["est_mu_unb_th"] = est_theory[1][1][-1]
    out["acc_replicates"] = len(result.w2_chains["accumulate", 1.0])
    out["acc_chains"] = S["chains"]
    out["acc_seeds"] = len(S["seeds"])
    reg_at, pl_at, est_at = _checkpoints(result)
    out["reg_checkpoints"] = ", ".join(map(str, reg_at))
    out["pl_checkpoints"] = ", ".join(map(str, pl_at))
    out["est_checkpoints"] = ", ".join(map(str, est_at))
    out["est_r10"] = (1 - 1 / S["est_n"]) ** 10
    return out


def _slopes(frame: pd.DataFrame) -> pd.Series:
    """Per-chain least-squares slope of each row over its columns (generations)."""
    x = np.asarray(frame.columns, float)
    y = frame.to_numpy()
    return pd.Series(((x - x.mean()) * (y - y.mean(axis=1, keepdims=True))).sum(axis=1) / ((x - x.mean()) ** 2).sum())


def claims(result: Result) -> ClaimsLedger:
    """Claims 17-20 (the Gaussian loops) and the extended claims 31-35 (regression, power law, estimators)."""
    S = result.sizes
    T, reg_gens, est_gens = S["generations"], S["reg_generations"], S["est_generations"]
    w2 = result.w2_chains
    ledger = ClaimsLedger("accumulate_or_replace", replicates="chains")
    replace, keep = w2["replace", 1.0], w2["keep real, replace synthetic", 1.0]
    acc, acc_biased = w2["accumulate", 1.0], w2["accumulate", 0.9]
    ledger.check(17, V.rises(replace, what="W2² (replace, λ = 1)"), part="replace drifts away (λ = 1)")
    series_dev = (acc[T] / result.harmonic[-1] - acc[1]) / acc[1].mean()
    evidence = V.agrees_with_theory(series_dev, 0.0, 0.05, what="W2²(G_T) / Σ 1/s² − W2²(G_1), in units of mean W2²(G_1)", relative=False)
    ledger.check(18, evidence, part="accumulate follows the 1/s² series (λ = 1)")
    ledger.check(
        19, V.greater(acc_biased[T], acc[T], what="W2² at the last generation, accumulate: λ = 0.9 > λ = 1"), part="ends further at λ = 0.9"
    )
    ledger.check(19, V.rises(acc_biased, what="W2² (accumulate, λ = 0.9)", start=T // 2), part="still rising at λ = 0.9")
    ledger.check(
        20, V.less(keep[T], acc[T], what="W2² at the last generation: keep real < accumulate"), part="keep real beats accumulate (λ = 1)"
    )

    # -- extended claims 31-35
    reg_at, pl_at, est_at = _checkpoints(result)
    rep, acc_r, sub = result.reg["replace"], result.reg["accumulate"], result.reg["accumulate-subsample"]
    reg_theory = result.reg_theory
    evidence = V.agrees_with_theory(
        rep[reg_at], reg_theory["replace"][np.array(reg_at) - 1], 0.10, what="regression test error / E_1 (replace) vs t"
    )
    ledger.check(31, evidence, part="replace: error grows as t·E_1")
    evidence = V.agrees_with_theory(
        acc_r[reg_at], reg_theory["accumulate"][np.array(reg_at) - 1], 0.10, what="regression test error / E_1 (accumulate) vs Σ 1/s²"
    )
    ledger.check(32, evidence, part="accumulate follows E_1 Σ 1/s²")
    ledger.check(
        32, V.less(acc_r[reg_gens], np.pi**2 / 6, what="error / E_1 at the last generation < π²/6 (accumulate)"), part="below (π²/6)·E_1"
    )
    last = {"accumulate": acc_r[reg_gens], "accumulate-subsample": sub[reg_gens], "replace": rep[reg_gens]}
    ledger.check(
        33, V.ordered(last, "increasing", what="error / E_1 at the last generation", by="loop"), part="between accumulate and replace"
    )
    halves = (sub.loc[:, : reg_gens // 2], sub.loc[:, reg_gens // 2 + 1 :])
    ledger.check(
        33,
        V.less(_slopes(halves[1]), _slopes(halves[0]), what="accumulate-subsample: slope of error / E_1, second half < first half"),
        part="degrades ever more slowly",
    )
    tr = result.tr_chains
    for lam in (0.5, 0.9):
        evidence = V.agrees_with_theory(
            tr["accumulate", lam][pl_at], result.power_law(lam)[np.array(pl_at) - 1], 0.02, what=f"tr Σ_t / d (accumulate, λ = {lam})"
        )
        ledger.check(34, evidence, part=f"Γ(t+λ)/(Γ(1+λ)Γ(t+1)) at λ = {lam}")
    ledger.check(34, V.falls(tr["accumulate", 0.5], what="tr Σ_t / d (accumulate, λ = 0.5)", start=T // 2), part="still falls at λ = 0.5")
    est, est_theory = result.est, result.est_theory
    cols = np.array(est_at) - 1
    ledger.check(
        35,
        V.agrees_with_theory(est[0][0][est_at], est_theory[0][0][cols], 0.10, what="tr Σ_t / tr Σ_0 (1/n)"),
        part="1/n: trace (1 − 1/n)^t",
    )
    ledger.check(
        35,
        V.agrees_with_theory(est[0][1][est_at], est_theory[0][1][cols], 0.10, what="|μ_t − μ_0|² / tr Σ_0 (1/n)"),
        part="1/n: mean error 1 − (1 − 1/n)^t",
    )
    ledger.check(
        35,
        V.agrees_with_theory(est[1][1][est_at], est_theory[1][1][cols], 0.10, what="|μ_t − μ_0|² / tr Σ_0 (1/(n − 1))"),
        part="1/(n − 1): mean error t/n",
    )
    second = slice(est_gens // 2 + 1, None)
    evidence = V.slower_than(
        est[0][1].loc[:, second], est[1][1].loc[:, second], "rises", what="|μ_t − μ_0|², second half", names=("1/n", "1/(n − 1)")
    )
    ledger.check(35, evidence, part="1/n levels off where 1/(n − 1) keeps growing")
    return ledger
