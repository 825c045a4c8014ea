"""Chapter "Curation and verification: does filtering synthetic data save the loop?" (the book's claims 26-30).

The paper (Alemohammad et al. 2024) studies unfiltered loops and one form of selection, the sampling
bias λ. This chapter asks whether curating the synthetic data saves the loop, on the 25-mode grid:

* **reward curation** (Ferbach et al. 2024): each generation keeps one of every ``k`` samples of
  :math:`G_{t-1}`, sample :math:`x` with probability :math:`\\propto e^{r(x)}`. A model that learns
  the mode weights follows the exact recursion :math:`p_{t+1}(j) = 2 p_t(j) \\sum_i p_t(i)\\,
  \\sigma(r_j - r_i)` for ``k = 2`` (:func:`mad.reward.reward_recursion`), which collapses onto the
  top reward; with a share β of fresh real data it has a fixed point at a bounded distance from the
  data (:func:`run_reward`);
* **a quality filter is not a verifier** (Feng et al. 2024): on a generator that hallucinates a share
  ε of its samples, keeping the most likely half goes MAD like a sampling bias λ < 1, while a
  verifier that checks samples against the truth keeps the modes and the spread (:func:`run_filters`);
* **controlled sampling** (Kynkäänniemi et al. 2019): sampling bias λ and truncation ψ move
  :math:`G_1` along a precision-recall trade-off, which the curated loops leave (:func:`figure_plane`).

Every filter is a curator of the one loop runner (:mod:`mad.curation`); the loops run with one BLAS
thread per process (:func:`threadpoolctl.threadpool_limits`), so the sweeps use the cores.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from threadpoolctl import threadpool_limits

import mad
from mad import plotting
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.curation import KeepLikely, RewardCurator
from mad.data import GridMixture
from mad.metrics.modes import modes_covered
from mad.metrics.neighbours import prdc
from mad.plotting import legend_below, palette_for
from mad.reward import (
    GridSupport,
    GridWeightsModel,
    ModeReward,
    Verifier,
    kl_divergence,
    real_share_after_curation,
    reward_recursion,
)
from mad.seeding import rng

GRID = GridMixture()
M = len(GRID.modes)
LIKELY, VERIFIER, RANDOM = "keep most likely", "verifier", "random selection"


def _seeds(count: int, seed: int | None) -> list[int]:
    start = mad.base_seed() if seed is None else seed
    return list(range(start, start + count))


def _band(ax: plt.Axes, frame: pd.DataFrame, label: str, color: Any, ls: str = "-", marker: str | None = None) -> None:
    """Mean over seeds (rows of ``frame``) and its 95% Student-t interval, the interval of :mod:`mad.verdicts`."""
    plotting.band(ax, frame.columns.to_numpy(), frame.to_numpy(), color, label, ls=ls, marker=marker, ms=3, lw=1.5)


# ---------------------------------------------------------------------------------------------------
# reward curation


@dataclass(repr=False)
class RewardResult(ChapterResult):
    """The reward loops (tidy ``runs``, mode ``weights`` per (real share, seed)), the loop against the
    recursion per (share, seed, t, metric) in ``table``, and the recursions from the true weights."""

    sizes: dict
    rewards: np.ndarray
    beta: float
    runs: pd.DataFrame
    weights: dict[tuple[float, int], np.ndarray]
    table: pd.DataFrame
    recursion: np.ndarray
    recursion_real: np.ndarray
    fixed_point: np.ndarray
    tilt: np.ndarray


def run_reward(
    k: int = 2,
    real_share: float = 0.3,
    reward_max: float = 2.0,
    kept: int | None = None,
    n_init: int | None = None,
    rounds: int | None = None,
    check_t: Sequence[int] | None = None,
    tail: int | None = None,
    seeds: int | None = None,
    seed: int | None = None,
) -> RewardResult:
    """Reward curation on the grid, without real data and with a share ``real_share`` of fresh real rows.

    Mode j has reward ``reward_max * j / 24`` (column by column); each generation keeps ``kept`` of
    ``k * kept`` samples of :math:`G_{t-1}` (:class:`~mad.curation.RewardCurator`); ``rounds`` rounds of
    curation (generations 2 .. rounds + 1). ``check_t``: rounds where the loop is compared with the
    recursion; ``tail``: last generations that define the limit of the real-data loop.
    """
    kept = kept or mad.by_scale(smoke=700, book=1400)
    sizes = dict(
        k=k,
        real_share=real_share,
        kept=kept,
        n_real=round(real_share * kept / (1 - real_share)),
        n_init=n_init or mad.by_scale(smoke=1000, book=2000),
        rounds=rounds or mad.by_scale(smoke=6, book=25),
        check_t=list(check_t or mad.by_scale(smoke=[1, 3, 5], book=[1, 5, 15])),
        tail=tail or mad.by_scale(smoke=3, book=10),
        seeds=_seeds(seeds or mad.by_scale(smoke=3, book=16), seed),
    )
    S = sizes
    rewards = np.linspace(0.0, reward_max, M)  # r_j of mode j, in the grid's order (column by column)
    reward = ModeReward(GRID.modes, rewards)
    model = GridWeightsModel(GRID.modes)
    weight_metrics = {f"w{j}": (lambda g, j=j: g.model.weights_[j]) for j in range(M)}
    tasks = [
        dict(
            schedule=schedule,
            model=model,
            source=GRID,
            generations=S["rounds"] + 1,
            metrics=weight_metrics,
            seed=s,
            curator=RewardCurator(reward, k=k),
            tags={"real share": share},
        )
        for s in S["seeds"]
        for share, schedule in [
            (0.0, mad.fully_synthetic(k * kept, n_init=S["n_init"])),
            (real_share, mad.fresh_data(S["n_real"], k * kept, n_init=S["n_init"])),
        ]
    ]
    with threadpool_limits(1):
        runs = mad.run_sweep(tasks, max_workers=2, progress=False)
    beta = real_share_after_curation(S["n_real"], k * kept, k)

    # mode weights per (real share, seed): array (generations, modes); theory from each seed's own G_1
    weights = {
        key: g.pivot(index="generation", columns="metric", values="value")[[f"w{j}" for j in range(M)]].to_numpy()
        for key, g in runs.groupby(["real share", "seed"])
    }
    uniform = np.full(M, 1.0 / M)
    rows = []
    for (share, s), w in weights.items():
        theory = reward_recursion(w[0], rewards, S["rounds"], k=k, real_share=beta if share > 0 else 0.0, real_weights=uniform)
        for t in range(S["rounds"] + 1):
            kl = kl_divergence(uniform, w[t]) if (w[t] > 0).all() else np.inf
            rows += [
                dict(share=share, seed=s, t=t, metric="E[r]", sim=w[t] @ rewards, theory=theory[t] @ rewards),
                dict(share=share, seed=s, t=t, metric="top weight", sim=w[t][-1], theory=theory[t][-1]),
                dict(share=share, seed=s, t=t, metric="KL", sim=kl, theory=kl_divergence(uniform, theory[t])),
                dict(share=share, seed=s, t=t, metric="modes kept", sim=(w[t] > 0.1 / M).sum(), theory=(theory[t] > 0.1 / M).sum()),
            ]
    return RewardResult(
        sizes=sizes,
        rewards=rewards,
        beta=beta,
        runs=runs,
        weights=weights,
        table=pd.DataFrame(rows),
        recursion=reward_recursion(uniform, rewards, S["rounds"], k=k),
        recursion_real=reward_recursion(uniform, rewards, S["rounds"], k=k, real_share=beta),
        fixed_point=reward_recursion(uniform, rewards, 400, k=k, real_share=beta)[-1],
        tilt=reward_recursion(uniform, rewards, S["rounds"], k=math.inf),
    )


def wide(result: RewardResult, metric: str, share: float, col: str = "sim") -> pd.DataFrame:
    """Per-seed curves (index ``seed``, columns round ``t``) of a reward-loop metric, simulated or ``"theory"``."""
    rw = result.table
    return rw[(rw.metric == metric) & (rw.share == share)].pivot(index="seed", columns="t", values=col)


def _limit(result: RewardResult, metric: str) -> pd.Series:
    """Per-seed mean of the real-data loop's metric over the last ``tail`` generations."""
    return wide(result, metric, result.sizes["real_share"]).iloc[:, -result.sizes["tail"] :].mean(axis=1)


def _uniform() -> np.ndarray:
    return np.full(M, 1.0 / M)


def figure_reward(result: RewardResult) -> plt.Figure:
    """Expected reward against the rounds, final mode weights against the reward, and KL with real data."""
    S, rewards, share = result.sizes, result.rewards, result.sizes["real_share"]
    uniform = _uniform()
    colors = dict(zip([0.0, share], sns.color_palette("colorblind", 2)))
    names = {0.0: "no real data", share: f"{result.beta:.0%} real data"}
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 7.2))
    axes[1, 1].remove()
    axes = axes.ravel()[:3]
    ts = np.arange(S["rounds"] + 1)
    ax = axes[0]
    for sh in (0.0, share):
        _band(ax, wide(result, "E[r]", sh), f"loop, {names[sh]}", colors[sh], marker="o")
    ax.plot(ts, result.recursion @ rewards, ":", color="k", lw=1.5, label=f"recursion, K = {S['k']}")
    ax.plot(ts, result.recursion_real @ rewards, ":", color="k", lw=1.5)
    ax.plot(ts, result.tilt @ rewards, "--", color="0.5", lw=1.2, label="K → ∞ limit, no real data")
    ax.set(xlabel="curation rounds t (generation − 1)", ylabel="expected reward E[r] under $G_t$", ylim=(0.95, 2.02))
    ax.legend(loc="lower right", fontsize=8)

    ax = axes[1]
    for sh, dx in ((0.0, -0.02), (share, 0.02)):
        final = np.array([result.weights[sh, s][-1] for s in S["seeds"]])
        ci = np.array([V.interval(final[:, j]) for j in range(M)])
        ax.errorbar(
            rewards + dx,
            ci[:, 0],
            yerr=[ci[:, 0] - ci[:, 1], ci[:, 2] - ci[:, 0]],
            fmt="o",
            ms=4,
            color=colors[sh],
            label=f"loop, {names[sh]}",
        )
    ax.plot(rewards, result.recursion[-1], "_", color="k", ms=12, mew=1.5, label="recursion")
    ax.plot(rewards, result.recursion_real[-1], "_", color="k", ms=12, mew=1.5)
    ax.axhline(1 / M, color="0.5", lw=0.8, ls="--", label="$P_r$ (1/25)")
    ax.set(xlabel="reward $r_j$ of mode j", ylabel=f"mode weight $p_t(j)$ at t = {S['rounds']}", yscale="log", ylim=(1e-4, 1.5))
    ax.legend(loc="upper left", fontsize=8)

    ax = axes[2]
    _band(ax, wide(result, "KL", share), f"loop, {names[share]}", colors[share], marker="o")
    ax.plot(ts, [kl_divergence(uniform, p) for p in result.recursion_real], ":", color="k", lw=1.5, label=f"recursion, K = {S['k']}")
    ax.axhline(kl_divergence(uniform, result.fixed_point), color="0.5", ls="--", lw=0.8, label="fixed point")
    ax.set(xlabel="curation rounds t (generation − 1)", ylabel=r"KL($P_r\,\|\,G_t$) over mode weights (nats)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def numbers_reward(result: RewardResult) -> dict[str, float]:
    """The numbers of the prose on reward curation, by glue name."""
    S, rewards = result.sizes, result.rewards
    rounds = S["rounds"]
    er0 = wide(result, "E[r]", 0.0)
    out: dict[str, float] = {
        "cv_kept": S["kept"],
        "cv_drawn": S["k"] * S["kept"],
        "cv_nreal": S["n_real"],
        "cv_beta": result.beta,
        "cv_rounds": rounds,
        "cv_rseeds": len(S["seeds"]),
        "cv_tail": S["tail"],
    }
    for t in (1, 5, 15):
        tt = min(t, rounds)
        out[f"cv_er_t{t}"] = float(er0[tt].mean())
        out[f"cv_rec_t{t}"] = float(result.recursion[tt] @ rewards)
    out["cv_top_last"] = float(wide(result, "top weight", 0.0)[rounds].mean())
    out["cv_top_rec"] = float(result.recursion[-1][-1])
    out["cv_modes_last"] = float(wide(result, "modes kept", 0.0)[rounds].mean())
    out["cv_er_lim"] = float(_limit(result, "E[r]").mean())
    out["cv_er_fix"] = float(result.fixed_point @ rewards)
    out["cv_kl_lim"] = float(_limit(result, "KL").mean())
    out["cv_kl_fix"] = float(kl_divergence(_uniform(), result.fixed_point))
    out["cv_er_last"] = float(er0[rounds].mean())
    return out


# ---------------------------------------------------------------------------------------------------
# quality filter and verifier; the precision-recall knobs of G_1


class Scores:
    """Precision, recall, density, coverage, modes covered and the spread of :math:`G_t` against the truth,
    on ``n_eval`` model samples against as many reference samples of the seed."""

    def __init__(self, n_eval: int) -> None:
        self.n_eval = n_eval
        self.ref: dict[int, np.ndarray] = {}

    def __call__(self, gen: Any) -> dict[str, float]:
        if gen.seed not in self.ref:
            self.ref[gen.seed] = GRID.sample(self.n_eval, rng(gen.seed, 0, "reference"))
        X, _ = gen.eval_samples(self.n_eval)
        out = prdc(self.ref[gen.seed], X)
        out["modes covered"] = modes_covered(X, GRID.modes, GRID.std)
        out["spread σ̂/σ"] = gen.model.std_ / GRID.std
        return out


@dataclass(repr=False)
class FilterResult(ChapterResult):
    """The curated loops (tidy ``runs``, tag ``filter``), the last model of each for the first seed and
    its :math:`G_1`, and the precision-recall scores of :math:`G_1` at every knob setting (``knobs``)."""

    sizes: dict
    curators: list[str]
    runs: pd.DataFrame
    first_model: Any
    last_models: dict[str, Any]
    knobs: pd.DataFrame


def run_filters(
    eps: float = 0.05,
    keep: float = 0.5,
    n_std: float = 4.0,
    lams: Sequence[float] = (1.0, 0.5, 0.25, 0.1),
    psis: Sequence[float] = (1.0, 0.9, 0.7, 0.5),
    n_keep: int | None = None,
    generations: int | None = None,
    n_eval: int | None = None,
    seeds: int | None = None,
    seed: int | None = None,
) -> FilterResult:
    """Three curators (random selection, keep the most likely, a verifier) on a generator that hallucinates
    a share ``eps`` of its samples; each keeps the share ``keep`` of ``n_keep / keep`` synthetic samples per
    generation; the verifier passes samples within ``n_std`` true standard deviations of a true mode.
    Then :math:`G_1` of every seed sampled at each sampling bias λ in ``lams`` and truncated to each
    share ψ in ``psis`` of its most likely samples, scored on ``n_eval`` samples.
    """
    sizes = dict(
        eps=eps,
        keep=keep,
        n_keep=n_keep or mad.by_scale(smoke=500, book=2000),
        generations=generations or mad.by_scale(smoke=6, book=20),
        n_eval=n_eval or mad.by_scale(smoke=500, book=1000),
        lams=list(lams),
        psis=list(psis),
        seeds=_seeds(seeds or mad.by_scale(smoke=2, book=6), seed),
    )
    S = sizes
    T = S["generations"]
    model = GridWeightsModel(GRID.modes, error_rate=eps)
    schedule = mad.fully_synthetic(round(S["n_keep"] / keep), n_init=S["n_keep"])
    curators = {
        RANDOM: Verifier(None, keep=keep),
        LIKELY: KeepLikely(keep),
        VERIFIER: Verifier(GridSupport(GRID, n_std=n_std), keep=keep),
    }
    tasks = [
        dict(
            schedule=schedule,
            model=model,
            source=GRID,
            generations=T,
            metrics={"scores": Scores(S["n_eval"])},
            seed=s,
            curator=cur,
            tags={"filter": name},
        )
        for s in S["seeds"]
        for name, cur in curators.items()
    ]
    with threadpool_limits(1):
        runs = mad.run_sweep(tasks, max_workers=2, progress=False)
        # the last model of each filter for the first seed (cheap: the fits are counts)
        last_models = {
            name: list(mad.iterate_loop(schedule, model, GRID, T, seed=S["seeds"][0], curator=cur))[-1].model
            for name, cur in curators.items()
        }
        first_model = mad.first_generation(schedule, model, GRID, seed=S["seeds"][0])
        knobs = _knobs(schedule, model, S["seeds"], S["n_eval"], lams, psis)
    return FilterResult(sizes, list(curators), runs, first_model, last_models, knobs)


def _knobs(schedule: Any, model: Any, seeds: Sequence[int], n_eval: int, lams: Sequence[float], psis: Sequence[float]) -> pd.DataFrame:
    """Scores of each seed's G_1 at sampling bias λ and truncation ψ, against the seed's reference samples."""
    rows = []
    for s in seeds:
        g1 = mad.first_generation(schedule, model, GRID, seed=s)
        ref = GRID.sample(n_eval, rng(s, 0, "reference"))
        for lam in lams:
            X = g1.sample(n_eval, lam=lam, random_state=rng(s, 1, "eval"))
            rows.append(dict(seed=s, knob="λ", value=lam, **prdc(ref, X)))
        pool = g1.sample(4 * n_eval, random_state=rng(s, 1, "truncation"))
        order = np.argsort(-g1.score_samples(pool), kind="stable")
        pick = rng(s, 2, "truncation")
        for psi in psis:
            X = pool[pick.choice(order[: int(psi * len(pool))], n_eval, replace=False)]
            rows.append(dict(seed=s, knob="ψ", value=psi, **prdc(ref, X)))
    return pd.DataFrame(rows)


def fc(result: FilterResult, metric: str, name: str) -> pd.DataFrame:
    """Per-seed curves (index ``seed``, columns generation) of a metric under one curator."""
    return V.curves(result.runs, metric, filter=name)


def kv(result: FilterResult, knob: str, value: float, metric: str) -> pd.Series:
    """Per-seed score of :math:`G_1` at one knob setting (``knob`` is ``"λ"`` or ``"ψ"``)."""
    knobs = result.knobs
    sel = knobs[(knobs.knob == knob) & np.isclose(knobs.value, value)]
    return sel.set_index("seed")[metric]


def figure_filters(result: FilterResult) -> plt.Figure:
    """Modes covered, spread, precision and coverage of the three curated loops against the generation."""
    fpal = palette_for(result.curators)
    panels = [
        ("modes covered", "modes covered (of 25)"),
        ("spread σ̂/σ", r"spread $\hat\sigma/\sigma$ (log scale)"),
        ("precision", "precision"),
        ("coverage", "coverage"),
    ]
    fig, axes = plt.subplots(2, 2, figsize=(8, 6.2))
    axes = axes.ravel()
    for ax, (metric, label) in zip(axes, panels):
        for name in result.curators:
            _band(ax, fc(result, metric, name), name, fpal[name], marker="o")
        ax.set(xlabel="generation t", ylabel=label)
    axes[1].set_yscale("log")
    handles, labels = axes[0].get_legend_handles_labels()
    legend_below(fig, handles, labels, ncol=3)
    return fig


def figure_samples(result: FilterResult, n: int = 1500) -> plt.Figure:
    """``n`` samples of :math:`G_1` and of the last model of each curated loop (first seed), over the true modes."""
    T, seed = result.sizes["generations"], result.sizes["seeds"][0]
    fig, axes = plt.subplots(2, 2, figsize=(7.4, 7.6), sharex=True, sharey=True)
    axes = axes.ravel()
    shown = {"$G_1$ (real data)": result.first_model, **{f"{name}, $G_{{{T}}}$": m for name, m in result.last_models.items()}}
    for ax, (title, m) in zip(axes, shown.items()):
        X = m.sample(n, random_state=rng(seed, T, "figure"))
        ax.scatter(*GRID.modes.T, s=60, facecolors="none", edgecolors="0.6", lw=0.8)
        ax.scatter(X[:, 0], X[:, 1], s=2, alpha=0.5, color="C0")
        ax.set(title=title, xlabel="$x_1$", xlim=(-2.6, 2.6), ylim=(-2.6, 2.6), aspect="equal")
        ax.title.set_fontsize(10)
    axes[0].set_ylabel("$x_2$")
    axes[2].set_ylabel("$x_2$")
    fig.tight_layout()
    return fig


def figure_plane(result: FilterResult) -> plt.Figure:
    """The precision-recall (left) and precision-coverage (right) planes: G_1 along λ and ψ, and the
    last generation of each curated loop with 95% intervals over seeds."""
    S, T = result.sizes, result.sizes["generations"]
    fpal = palette_for(result.curators)
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.8))
    kpal = {"λ": sns.color_palette("viridis", 6)[1], "ψ": sns.color_palette("viridis", 6)[4]}
    offsets = {"λ": (-6, -13), "ψ": (-10, -13)}
    # left: recall, zoomed on the knobs; right: coverage, the whole plane
    for ax, xm, lims in zip(axes, ["recall", "coverage"], [((0.6, 1.015), (0.89, 1.008)), ((-0.03, 1.03), (0.2, 1.03))]):
        for knob, values in (("λ", S["lams"]), ("ψ", S["psis"])):
            pts = np.array([[kv(result, knob, v, xm).mean(), kv(result, knob, v, "precision").mean()] for v in values])
            ax.plot(*pts.T, "-o", color=kpal[knob], ms=5, label=f"$G_1$ at {knob} = " + ", ".join(f"{v:g}" for v in values))
            for v, (x, y) in zip(values, pts):
                if v != 1.0 and xm == "recall":
                    ax.annotate(f"{knob} = {v:g}", (x, y), textcoords="offset points", xytext=offsets[knob], fontsize=8, color=kpal[knob])
        for name in result.curators:
            x, y = fc(result, xm, name)[T], fc(result, "precision", name)[T]
            cx, cy = V.interval(x), V.interval(y)
            ax.errorbar(
                cx[0],
                cy[0],
                xerr=[[cx[0] - cx[1]], [cx[2] - cx[0]]],
                yerr=[[cy[0] - cy[1]], [cy[2] - cy[0]]],
                fmt="s",
                ms=7,
                color=fpal[name],
                label=f"{name}, $G_{{{T}}}$",
            )
            if not lims[1][0] <= cy[0] <= lims[1][1]:
                ax.annotate(
                    f"{name}, $G_{{{T}}}$: precision {cy[0]:.2f} (below)",
                    (min(cx[0], 0.98), lims[1][0]),
                    xytext=(min(cx[0], 0.98) - 0.02, lims[1][0] + 0.012),
                    fontsize=8,
                    color=fpal[name],
                    ha="right",
                    arrowprops=dict(arrowstyle="->", color=fpal[name]),
                )
        ax.set(xlabel=f"{xm} (k = 5)", ylabel="precision (k = 5)", xlim=lims[0], ylim=lims[1])
    axes[0].set_title("k-NN recall (balls around model samples), zoomed", fontsize=10)
    axes[1].set_title("coverage (balls around real samples)", fontsize=10)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def numbers_filters(result: FilterResult) -> dict[str, float]:
    """The numbers of the prose on the curated loops and the knobs, by glue name."""
    S, T = result.sizes, result.sizes["generations"]
    out: dict[str, float] = {
        "cv_seeds": len(S["seeds"]),
        "cv_eps": S["eps"],
        "cv_drawn2": round(S["n_keep"] / S["keep"]),
        "cv_eval": S["n_eval"],
        "cv_t2": T,
        "cv_prec_first": float(fc(result, "precision", RANDOM)[1].mean()),
    }
    for key, name in [("random", RANDOM), ("likely", LIKELY), ("verifier", VERIFIER)]:
        out[f"cv_spread_{key}"] = float(fc(result, "spread σ̂/σ", name)[T].mean())
        out[f"cv_prec_{key}"] = float(fc(result, "precision", name)[T].mean())
        out[f"cv_cov_{key}"] = float(fc(result, "coverage", name)[T].mean())
        out[f"cv_modes_{key}"] = float(fc(result, "modes covered", name)[T].mean())
    for key, knob, value, metric in [
        ("cv_knob_p1", "λ", 1.0, "precision"),
        ("cv_knob_p05", "λ", 0.5, "precision"),
        ("cv_knob_r1", "λ", 1.0, "recall"),
        ("cv_knob_r01", "λ", 0.1, "recall"),
        ("cv_knob_p09", "ψ", 0.9, "precision"),
        ("cv_knob_r05", "ψ", 0.5, "recall"),
    ]:
        out[key] = float(kv(result, knob, value, metric).mean())
    out["cv_lost_likely"] = float(25 - fc(result, "modes covered", LIKELY)[T].mean())
    return out


def numbers(reward: RewardResult, filters: FilterResult) -> dict[str, float]:
    """Every number of the chapter's prose, by glue name."""
    return {**numbers_reward(reward), **numbers_filters(filters)}


def claims(reward: RewardResult, filters: FilterResult) -> ClaimsLedger:
    """Claims 26-30: reward curation follows the recursion and, with real data, settles at its fixed point;
    keeping the most likely samples loses diversity, a verifier keeps it; λ and ψ trade recall for precision."""
    S = reward.sizes
    rounds_checked, tail, share, beta = S["check_t"], S["tail"], S["real_share"], reward.beta
    ledger = ClaimsLedger("curation_and_verification")

    # 26: no real data
    er0 = wide(reward, "E[r]", 0.0)
    ledger.check(26, V.rises(er0, what="E[r] (no real data)"), part="E[r] rises")
    theory0 = wide(reward, "E[r]", 0.0, "theory")
    dev = (er0[rounds_checked] - theory0[rounds_checked]) / theory0[rounds_checked]
    evidence = V.agrees_with_theory(
        dev, 0.0, 0.03, what=f"E[r] at t = {rounds_checked}, relative to the K = 2 recursion from each seed's G_1", relative=False
    )
    ledger.check(26, evidence, part="E[r] follows the exact K = 2 recursion")
    ledger.check(
        26, V.rises(wide(reward, "top weight", 0.0), what="weight of the top-reward mode"), part="mass moves to the top-reward mode"
    )

    # 27: 30 % real data
    ledger.check(
        27, V.converges(wide(reward, "E[r]", share), margin=0.005, tail=tail, what=f"E[r] ({beta:.0%} real data)"), part="E[r] settles"
    )
    ledger.check(
        27,
        V.agrees_with_theory(
            _limit(reward, "E[r]"), float(reward.fixed_point @ reward.rewards), 0.03, what=f"E[r], mean of the last {tail} generations"
        ),
        part="E[r] at the fixed point",
    )
    ledger.check(
        27,
        V.agrees_with_theory(
            _limit(reward, "KL"),
            kl_divergence(_uniform(), reward.fixed_point),
            0.15,
            what=f"KL(P_r ‖ G_t), mean of the last {tail} generations",
        ),
        part="KL to the data bounded, at the fixed point",
    )

    # 28: keep the most likely
    T2 = filters.sizes["generations"]

    def fc_(metric: str, name: str) -> pd.DataFrame:
        return fc(filters, metric, name)

    ledger.check(28, V.falls(fc_("modes covered", LIKELY), what="modes covered (keep most likely)"), part="modes are lost")
    ledger.check(28, V.falls(fc_("spread σ̂/σ", LIKELY), what="spread σ̂/σ (keep most likely)"), part="spread collapses")
    ledger.check(
        28,
        V.less(
            fc_("modes covered", LIKELY)[T2],
            fc_("modes covered", VERIFIER)[T2],
            what=f"modes covered at t = {T2}: keep most likely < verifier",
        ),
        part="fewer modes than the verifier",
    )
    ledger.check(
        28,
        V.less(fc_("coverage", LIKELY)[T2], fc_("coverage", VERIFIER)[T2], what=f"coverage at t = {T2}: keep most likely < verifier"),
        part="less coverage than the verifier",
    )

    # 29: the verifier
    ledger.check(
        29, V.flat(fc_("modes covered", VERIFIER), margin=2.0, allow="up", what="modes covered (verifier)"), part="keeps the modes"
    )
    ledger.check(29, V.flat(fc_("spread σ̂/σ", VERIFIER), margin=0.1, allow="up", what="spread σ̂/σ (verifier)"), part="keeps the spread")
    ledger.check(
        29,
        V.greater(fc_("precision", VERIFIER)[T2], fc_("precision", RANDOM)[T2], what=f"precision at t = {T2}: verifier > random selection"),
        part="errors do not compound",
    )

    # 30: the knobs, on G_1
    def kv_(knob: str, value: float, metric: str) -> pd.Series:
        return kv(filters, knob, value, metric)

    ledger.check(
        30, V.greater(kv_("λ", 0.5, "precision"), kv_("λ", 1.0, "precision"), what="precision: λ = 0.5 > λ = 1"), part="λ raises precision"
    )
    ledger.check(
        30,
        V.ordered({lam: kv_("λ", lam, "recall") for lam in filters.sizes["lams"]}, "decreasing", what="recall", by="λ"),
        part="λ lowers recall",
    )
    ledger.check(
        30,
        V.greater(kv_("ψ", 0.9, "precision"), kv_("ψ", 1.0, "precision"), what="precision: ψ = 0.9 > no truncation"),
        part="truncation raises precision",
    )
    ledger.check(
        30,
        V.ordered({psi: kv_("ψ", psi, "recall") for psi in filters.sizes["psis"]}, "decreasing", what="recall", by="ψ"),
        part="truncation lowers recall",
    )
    return ledger
