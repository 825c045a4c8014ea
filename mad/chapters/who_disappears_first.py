"""Chapter "Who disappears first: minorities, tails and fairness" (claims 41-46).

Which part of a distribution does a self-consuming loop lose first? A model that learns the *shares*
of its training data (a mixture's mode weights, a conditional generator's class prior) and retrains
on ``n`` of its own samples moves them as the Wright–Fisher model moves allele frequencies
(Ewens 2004): N_t ~ Multinomial(n, p_{t-1}), p_t = N_t / n. Each share is a martingale; the
Gini–Simpson diversity H = 1 − Σ p_k² decays as E[H_t] = H_0 (1 − 1/n)^t; a category of share p is
lost with probability 1 − p, after t̄_0(p) = −2n p ln p / (1 − p) generations on average when it is
(Kimura & Ohta 1969). Sampling bias λ tempers the shares, w_t ∝ w_0^{λ^{−t}}; stratified resampling
pins them. The closed forms and simulators are in :mod:`mad.drift`.

Four experiments, one ``run_*`` each:

* :func:`run_grid`: the 25-mode grid with unequal weights, refitted by EM in a fully synthetic loop,
  next to the exact multinomial simulator (Shumailov et al. 2024: the tails go first);
* :func:`run_loss_times`: the exact simulator over a long horizon, for the time to loss;
* :func:`run_ddpm`: a class-conditional DDPM of 8x8 digits that learns an imbalanced class prior,
  at λ = 1, at λ < 1 and at λ < 1 with stratified resampling (Wyllie et al. 2024);
* :func:`run_feedback`: a classifier retrained on its own labels (Taori & Hashimoto 2023), with the
  bound on bias amplification.

Sources: Alemohammad et al. 2024 (the paper's loops and λ), Shumailov et al. 2024, Wyllie et al.
2024, Taori & Hashimoto 2023, Kimura & Ohta 1969, Ewens 2004.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex
from matplotlib.ticker import MaxNLocator
from threadpoolctl import threadpool_limits

import mad
from mad import drift as D
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.curation import StratifiedResampler
from mad.data import GridMixture
from mad.features import digits_feature_space, digits_split, within_class_variance
from mad.models.ddpm import guidance_from_lam
from mad.models.gmm import GaussianMixtureModel
from mad.plotting import band, color_of, interval_label, legend_below, mean_interval, panels
from mad.seeding import derive_seed

#: mode weights of the grid's four tiers and the number of modes in each (sum 1)
TIERS = (0.01, 0.02, 0.04, 0.065)
PER_TIER = (5, 5, 5, 10)
#: equivalence margin of "not amplified": two points of minority share
FLAT = 0.02
#: relative margin for H_t in the EM loop (EM's fit and the finite evaluation sample add to the drift)
MARGIN_H_LOOP = 0.1
#: relative margin for H_t in the exact simulator
MARGIN_H_SIM = 0.02
#: relative margin for the diffusion approximation of the loss time (a few per cent off at n p ≈ 2)
MARGIN_LOSS = 0.1
#: absolute margin for the loss probability: one point of probability
MARGIN_PLOSS = 0.01

#: one colour per series across the chapter (the λ series take :func:`mad.plotting.color_of`)
COLORS = {
    "GMM loop": color_of("fully synthetic"),
    "simulator": "#117733",
    "stratified": "#44AA99",
    "argmax": "#CC79A7",
    "sample": "#999933",
}


def _tier_of(sizes: dict) -> np.ndarray:
    return np.repeat(np.arange(len(sizes["tiers"])), sizes["per_tier"])


# --------------------------------------------------------------------------- 1. the 25-mode grid


@dataclass(repr=False)
class GridResult(ChapterResult):
    """The EM loop's runs (tidy table), its diversity and lost modes, and the exact simulator's chains."""

    sizes: dict
    runs: pd.DataFrame
    h_loop: pd.DataFrame  # seeds x generations
    h_theory: np.ndarray  # generations 1..T
    lost_loop: np.ndarray  # seeds x generations x modes
    sim: np.ndarray  # chains x (generations + 1) x modes
    exact: dict[float, np.ndarray]  # mode weight -> exact probability of loss by generation 1..T

    @property
    def h0(self) -> float:
        """Gini–Simpson diversity of the true mode weights."""
        return D.gini_simpson(np.repeat(self.sizes["tiers"], self.sizes["per_tier"]))

    @property
    def h_sim(self) -> np.ndarray:
        """Gini–Simpson diversity of the simulator's chains, chains x generations 0..T."""
        return D.gini_simpson(self.sim)

    def tier_lost(self, tier: int) -> np.ndarray:
        """Fraction of the tier's modes lost in the loop, per seed and generation."""
        return self.lost_loop[..., _tier_of(self.sizes) == tier].mean(axis=-1)


def _mode_metrics(gen: Any, modes: np.ndarray, n_eval: int) -> dict[str, float]:
    X, _ = gen.eval_samples(n_eval)
    shares = D.mode_shares(X, modes)
    return {"H": D.gini_simpson(shares), **{f"share {k}": s for k, s in enumerate(shares)}}


def run_grid(
    tiers: Sequence[float] = TIERS,
    per_tier: Sequence[int] = PER_TIER,
    n: int = 200,
    generations: int | None = None,
    seeds: int | None = None,
    n_eval: int | None = None,
    chains: int | None = None,
    seed: int | None = None,
) -> GridResult:
    """Refit a 25-component GMM by EM to ``n`` samples of its predecessor (n_init = n_s = n), for
    ``seeds`` seeds through the loop runner, measuring mode shares on ``n_eval`` samples; and run
    ``chains`` chains of the exact multinomial simulator from the same shares."""
    sizes = dict(
        tiers=list(tiers),
        per_tier=list(per_tier),
        n=n,
        generations=generations or mad.by_scale(smoke=8, book=30),
        seeds=mad.seeds(seeds or mad.by_scale(smoke=3, book=12)),
        n_eval=n_eval or mad.by_scale(smoke=4000, book=10000),
        chains=chains or mad.by_scale(smoke=300, book=2000),
        check_t=mad.by_scale(smoke=[2, 4, 8], book=[10, 20, 30]),  # generations of the H_t checks
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    weights = np.repeat(tiers, per_tier)
    grid = GridMixture(weights=weights)
    tasks = [
        dict(
            schedule=mad.fully_synthetic(n),
            model=GaussianMixtureModel(n_components=len(weights)),
            source=grid,
            generations=S["generations"],
            metrics={"modes": partial(_mode_metrics, modes=grid.modes, n_eval=S["n_eval"])},
            seed=s,
        )
        for s in S["seeds"]
    ]
    with threadpool_limits(1):  # one BLAS thread here too: the sweep uses both cores
        runs = mad.run_sweep(tasks, max_workers=2, progress=False)
        t = np.arange(1, S["generations"] + 1)
        h_theory = D.expected_gini_simpson(D.gini_simpson(weights), n, t)
        shares = np.stack([V.curves(runs, f"share {k}").to_numpy() for k in range(len(weights))], axis=-1)  # seeds x t x modes
        sim = D.wright_fisher(weights, n, S["generations"], chains=S["chains"], seed=S["seed"])
        exact = {p: D.loss_probability_by(p, n, t) for p in tiers}
    return GridResult(sizes, runs, V.curves(runs, "H"), h_theory, shares <= 0, sim, exact)


def figure_grid(result: GridResult) -> plt.Figure:
    """Left: Gini–Simpson diversity of the loop, the simulator and the closed form; right: share of each
    tier's modes lost, loop against the exact chain."""
    S = result.sizes
    t = np.arange(1, S["generations"] + 1)
    tier_colors = dict(zip(S["tiers"], [to_hex(plt.get_cmap("magma")(v)) for v in (0.2, 0.42, 0.62, 0.8)]))
    fig, axes = panels(2, height=4.0)
    ax = axes[0]
    band(ax, t, result.h_loop.to_numpy(), COLORS["GMM loop"], label="GMM loop (EM)", marker="o", ms=3)
    band(ax, np.arange(S["generations"] + 1), result.h_sim, COLORS["simulator"], label="exact simulator", ls="--")
    ax.plot(t, result.h_theory, ":", color="k", lw=1.5, label="$H_0(1 - 1/n)^t$")
    ax.set(xlabel="generation t", ylabel="Gini–Simpson diversity $H_t$")
    ax.legend(loc="lower left", fontsize=8)
    ax = axes[1]
    for tier, p in enumerate(S["tiers"]):
        band(ax, t, result.tier_lost(tier), tier_colors[p], marker="o", ms=3)
        ax.plot(t, result.exact[p], ":", color=tier_colors[p], lw=1.5)
    ax.set(xlabel="generation t", ylabel="share of the tier's modes lost", ylim=(-0.02, 1.02))
    handles = [plt.Line2D([], [], color=tier_colors[p], lw=2) for p in S["tiers"]]
    handles += [plt.Line2D([], [], color="k", marker="o", ms=3), plt.Line2D([], [], color="k", ls=":")]
    labels = [f"mode weight {p:.1%}" for p in S["tiers"]] + ["GMM loop", "exact Wright–Fisher chain"]
    legend_below(fig, handles, labels, ncol=3, title=interval_label(len(S["seeds"])))
    return fig


def _numbers_grid(result: GridResult) -> dict[str, float]:
    S = result.sizes
    tiers, last, lost = S["tiers"], S["generations"], result.lost_loop
    return {
        "wd_h0": result.h0,
        "wd_n": S["n"],
        "wd_grid_gens": S["generations"],
        "wd_grid_seeds": len(S["seeds"]),
        "wd_n_eval": S["n_eval"],
        "wd_chains": S["chains"],
        "wd_h_loop_last": result.h_loop[last].mean(),
        "wd_h_theory_last": result.h_theory[-1],
        "wd_h_sim_last": result.h_sim[:, -1].mean(),
        "wd_modes_left": (~lost[:, -1]).sum(axis=-1).mean(),
        "wd_lost_minor": result.tier_lost(0)[:, -1].mean(),
        "wd_lost_major": result.tier_lost(3)[:, -1].mean(),
        "wd_exact_minor": result.exact[tiers[0]][-1],
        "wd_exact_major": result.exact[tiers[3]][-1],
        "wd_t0_minor": D.loss_time(tiers[0], S["n"]),
    }


# --------------------------------------------------------------------------- 2. time to loss


@dataclass(repr=False)
class LossTimesResult(ChapterResult):
    """Per batch of chains and mode weight: mean generations to loss (given loss) and loss probability;
    and the diffusion and exact mean loss times per weight."""

    sizes: dict
    loss_mean: pd.DataFrame  # batches x mode weights
    loss_prob: pd.DataFrame  # batches x mode weights
    t0_diffusion: np.ndarray
    t0_exact: np.ndarray


def run_loss_times(
    tiers: Sequence[float] = TIERS,
    per_tier: Sequence[int] = PER_TIER,
    n: int = 200,
    chains: int | None = None,
    horizon: int | None = None,
    batches: int = 20,
    seed: int | None = None,
) -> LossTimesResult:
    """Record each mode's loss generation in ``chains`` exact chains run for ``horizon`` (default 10 n)
    generations; the replicates are ``batches`` batches of chains."""
    sizes = dict(
        tiers=list(tiers),
        per_tier=list(per_tier),
        n=n,
        chains=chains or mad.by_scale(smoke=200, book=10000),
        horizon=horizon or 10 * n,  # a mode still undecided after 10 n generations is a ~e^-10 event
        batches=batches,
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    tier_of = _tier_of(S)
    with threadpool_limits(1):
        L = D.loss_times(np.repeat(tiers, per_tier), n, S["horizon"], chains=S["chains"], seed=S["seed"])
        batch = np.arange(S["chains"]) % batches
        loss_mean = pd.DataFrame({p: [np.nanmean(L[batch == b][:, tier_of == i]) for b in range(batches)] for i, p in enumerate(tiers)})
        loss_prob = pd.DataFrame(
            {p: [np.isfinite(L[batch == b][:, tier_of == i]).mean() for b in range(batches)] for i, p in enumerate(tiers)}
        )
        t0_diffusion = D.loss_time(np.array(tiers), n)
        t0_exact = np.array([D.exact_loss_time(p, n) for p in tiers])
    return LossTimesResult(sizes, loss_mean, loss_prob, t0_diffusion, t0_exact)


def figure_loss(result: LossTimesResult) -> plt.Figure:
    """Mean generations to loss against the mode weight: simulator, exact chain and diffusion formula."""
    S = result.sizes
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    ps = np.geomspace(0.005, 0.2, 60)
    ax.plot(ps, D.loss_time(ps, S["n"]), color="k", lw=1.5, label=r"diffusion: $-2np\ln p/(1-p)$")
    ax.plot(S["tiers"], result.t0_exact, "D", color="0.4", mfc="none", ms=8, label="exact Markov chain")
    mean, low, high = mean_interval(result.loss_mean.to_numpy())
    ax.errorbar(
        S["tiers"],
        mean,
        yerr=[mean - low, high - mean],
        fmt="o",
        color=COLORS["simulator"],
        ms=5,
        label=f"simulator (mean, 95% t-interval over {S['batches']} batches of chains)",
    )
    ax.set(xscale="log", yscale="log", xlabel="mode weight p (log scale)", ylabel="mean generations to loss, given loss (log scale)")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def _numbers_loss(result: LossTimesResult) -> dict[str, float]:
    S = result.sizes
    minor, major = S["tiers"][0], S["tiers"][3]
    return {
        "wd_loss_chains": S["chains"],
        "wd_horizon": S["horizon"],
        "wd_batches": S["batches"],
        "wd_t0_sim_minor": result.loss_mean[minor].mean(),
        "wd_t0_diff_minor": result.t0_diffusion[0],
        "wd_t0_exact_minor": result.t0_exact[0],
        "wd_t0_sim_major": result.loss_mean[major].mean(),
        "wd_t0_diff_major": result.t0_diffusion[3],
        "wd_t0_exact_major": result.t0_exact[3],
        "wd_ploss_minor": result.loss_prob[minor].mean(),
        "wd_ploss_major": result.loss_prob[major].mean(),
        "wd_diff_err_minor": result.t0_diffusion[0] / result.t0_exact[0] - 1,
    }


# --------------------------------------------------------------------------- 3. a minority class in a conditional DDPM


@dataclass(repr=False)
class DDPMResult(ChapterResult):
    """The three loops' runs (tidy table, column ``condition``) and the exact chains of the label prior."""

    sizes: dict
    runs: pd.DataFrame
    conditions: list[str]  # λ = 1, λ < 1, λ < 1 stratified
    prior: np.ndarray
    prior_sim: dict[float, np.ndarray]  # λ -> chains x (generations + 1) x classes

    @property
    def minor(self) -> dict[str, pd.DataFrame]:
        """Minority share of each generation's training set, per condition (seeds x generations)."""
        return {name: V.curves(self.runs, "minority share", condition=name) for name in self.conditions}

    @property
    def tempered_theory(self) -> np.ndarray:
        """The minority share under tempering alone, w_0^{λ^{-(t-1)}}, for t = 1..T."""
        t = np.arange(1, self.sizes["generations"] + 1)
        return D.tempered_shares(self.prior, self.sizes["lam"], t - 1)[:, self.sizes["minority"]]

    def last(self, metric: str, condition: int, generation: int | None = None) -> pd.Series:
        """Per-seed ``metric`` of ``conditions[condition]`` at ``generation`` (default: the last)."""
        return V.curves(self.runs, metric, condition=self.conditions[condition])[generation or self.sizes["generations"]]


def _class_metrics(
    gen: Any, space: Any, real_spread: dict[str, float], minority: int, majority: np.ndarray, n_quality: int
) -> dict[str, float]:
    y = gen.train.y
    out = {"minority share": float(np.mean(y == minority))}
    labels = np.concatenate([np.full(n_quality, minority), np.resize(majority, n_quality)])
    X = gen.model.generate(labels, guidance_from_lam(gen.schedule.lam), seed=derive_seed(gen.seed, gen.t, "class-quality"))
    F = space.transform(X)
    hit = space.predict(X) == labels
    present = bool(np.any(y == minority))  # a lost class has no quality left to measure
    minor_, major_ = slice(0, n_quality), slice(n_quality, None)
    out["minority legibility"] = float(hit[minor_].mean()) if present else float("nan")
    out["majority legibility"] = float(hit[major_].mean())
    out["minority spread"] = within_class_variance(F[minor_], labels[minor_]) / real_spread["minority"] if present else float("nan")
    out["majority spread"] = within_class_variance(F[major_], labels[major_]) / real_spread["majority"]
    return out


def run_ddpm(
    minority: int = 0,
    minority_share: float = 0.04,
    lam: float = 0.66,
    n: int | None = None,
    generations: int | None = None,
    seeds: int | None = None,
    n_quality: int | None = None,
    chains: int | None = None,
    T: int | None = None,
    n_steps: int | None = None,
    seed: int | None = None,
) -> DDPMResult:
    """A :class:`mad.drift.ClassPriorDDPM` trained on ``n`` digits where ``minority`` holds
    ``minority_share`` (the nine others share the rest), retrained on ``n`` of its own samples at λ = 1,
    at ``lam`` (guidance w = 1/λ − 1, labels ∝ π̂^{1/λ}) and at ``lam`` with stratified resampling;
    per-class quality on ``n_quality`` images per group; ``chains`` exact chains of the label prior."""
    sizes = dict(
        minority=minority,
        minority_share=minority_share,
        lam=lam,
        n=n or mad.by_scale(smoke=300, book=500),  # enough that the stratified loop keeps a few minority samples
        generations=generations or mad.by_scale(smoke=2, book=4),
        seeds=mad.seeds(seeds or mad.by_scale(smoke=2, book=3)),
        n_quality=n_quality or mad.by_scale(smoke=10, book=60),
        chains=chains or mad.by_scale(smoke=300, book=2000),
        T=T or mad.by_scale(smoke=10, book=100),
        n_steps=n_steps or mad.by_scale(smoke=20, book=300),
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    prior = D.imbalanced_prior(10, minority, minority_share)
    with threadpool_limits(1):  # one BLAS thread here too: the sweep uses both cores
        split = digits_split()
        space = digits_feature_space()  # trained here, before the workers fork
        pool = D.imbalanced_pool(split.train, prior, S["n"], seed=S["seed"])
        ddpm = D.ClassPriorDDPM(T=S["T"], n_steps=S["n_steps"], snr_gamma=20.0)
        majority = np.array([c for c in range(10) if c != minority])
        real_F = space.transform(split.eval_X)
        real_spread = {
            "minority": within_class_variance(real_F[split.eval_y == minority], split.eval_y[split.eval_y == minority]),
            "majority": within_class_variance(real_F[split.eval_y != minority], split.eval_y[split.eval_y != minority]),
        }
        metrics = partial(
            _class_metrics, space=space, real_spread=real_spread, minority=minority, majority=majority, n_quality=S["n_quality"]
        )
        conditions = {"λ = 1": (1.0, None), f"λ = {lam:g}": (lam, None), f"λ = {lam:g}, stratified": (lam, StratifiedResampler(prior))}
        tasks = [
            dict(
                schedule=mad.fully_synthetic(S["n"], lam_),
                model=ddpm,
                source=pool,
                generations=S["generations"],
                metrics={"classes": metrics},
                seed=s,
                curator=curator,
                tags={"condition": name},
            )
            for name, (lam_, curator) in conditions.items()
            for s in S["seeds"]
        ]
        runs = mad.run_sweep(tasks, max_workers=2, progress=False)
        # the DDPM's label prior is exactly a Wright–Fisher chain at bias λ: the simulator runs many chains of it
        prior_sim = {
            lam_: D.wright_fisher(prior, S["n"], S["generations"], chains=S["chains"], seed=S["seed"], lam=lam_) for lam_ in (1.0, lam)
        }
    return DDPMResult(sizes, runs, list(conditions), prior, prior_sim)


def _nan_band(ax: plt.Axes, x: np.ndarray, frame: pd.DataFrame, color: str, **line: Any) -> None:
    """:func:`mad.plotting.band` over the seeds that still have a value (NaN once a class is lost)."""
    v = np.asarray(frame, dtype=float)
    stats_ = [mean_interval(col[np.isfinite(col)]) if np.isfinite(col).sum() else (np.nan, np.nan, np.nan) for col in v.T]
    m, lo, hi = (np.array(s, dtype=float) for s in zip(*stats_))
    ax.plot(x, m, color=color, **line)
    ax.fill_between(x, lo, hi, color=color, alpha=0.22, lw=0)


def figure_ddpm(result: DDPMResult) -> plt.Figure:
    """Top: minority share per condition with tempering alone; bottom: legibility and within-class spread
    of minority (solid) and majority (dashed) images."""
    S, names = result.sizes, result.conditions
    t = np.arange(1, S["generations"] + 1)
    styles = {names[0]: color_of(1.0), names[1]: color_of(S["lam"]), names[2]: COLORS["stratified"]}
    minor = result.minor
    fig, axes = panels(3, height=3.4)
    ax = axes[0]
    for name, color in styles.items():
        band(ax, t, minor[name].to_numpy(), color, marker="o", ms=3)
    ax.plot(t, result.tempered_theory, ":", color=color_of(S["lam"]), lw=1.5)
    ax.axhline(S["minority_share"], color="0.5", ls="--", lw=0.8)
    ax.set(xlabel="generation t", ylabel="minority share of $G_t$'s training set", ylim=(-0.003, None))
    for ax, metric, ylabel in (
        (axes[1], "legibility", "legibility (classifier accuracy)"),
        (axes[2], "spread", "within-class spread / real"),
    ):
        for name, color in styles.items():
            _nan_band(ax, t, V.curves(result.runs, f"minority {metric}", condition=name), color, marker="o", ms=3)
            _nan_band(ax, t, V.curves(result.runs, f"majority {metric}", condition=name), color, ls="--", lw=1.2)
        ax.set(xlabel="generation t", ylabel=ylabel)
    axes[1].set_ylim(0, 1.05)
    axes[2].set_ylim(0, None)
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [plt.Line2D([], [], color=c, lw=2, marker="o", ms=3) for c in styles.values()]
    handles += [
        plt.Line2D([], [], color="k", ls=":"),
        plt.Line2D([], [], color="0.5", ls="--", lw=0.8),
        plt.Line2D([], [], color="k", ls="--", lw=1.2),
    ]
    labels = list(styles) + [r"tempering alone, $w_0^{\lambda^{-t}}$", "initial share", "majority digits (lower panels)"]
    legend_below(fig, handles, labels, ncol=3, title=interval_label(len(S["seeds"])))
    return fig


def _numbers_ddpm(result: DDPMResult) -> dict[str, float]:
    S, names, minor = result.sizes, result.conditions, result.minor
    last, lam, m = S["generations"], S["lam"], S["minority"]
    runs = result.runs
    return {
        "wd_ddpm_n": S["n"],
        "wd_minor_share": S["minority_share"],
        "wd_minor_count": int(round(S["minority_share"] * S["n"])),
        "wd_ddpm_gens": last,
        "wd_ddpm_seeds": len(S["seeds"]),
        "wd_lam": lam,
        "wd_quality": S["n_quality"],
        "wd_minor_last_1": minor[names[0]][last].mean(),
        "wd_minor_last_lam": minor[names[1]][last].mean(),
        "wd_minor_theory_lam": result.tempered_theory[-1],
        "wd_minor_last_strat": minor[names[2]][last].mean(),
        "wd_prior_sim_1": result.prior_sim[1.0][:, -1, m].mean(),
        "wd_prior_sim_lam": result.prior_sim[lam][:, -1, m].mean(),
        "wd_prior_sim_lost_1": (result.prior_sim[1.0][:, -1, m] == 0).mean(),
        "wd_kept_strat": runs.loc[(runs["condition"] == names[2]) & (runs["generation"] == last), "n_synth"].mean(),
        "wd_leg_minor_1": result.last("minority legibility", 0).mean(),
        "wd_leg_major_1": result.last("majority legibility", 0).mean(),
        "wd_spread_minor_1": result.last("minority spread", 0).mean(),
        "wd_spread_major_1": result.last("majority spread", 0).mean(),
        "wd_spread_minor_strat": result.last("minority spread", 2).mean(),
        "wd_spread_minor_first": result.last("minority spread", 0, generation=1).mean(),
        "wd_spread_major_first": result.last("majority spread", 0, generation=1).mean(),
    }


# --------------------------------------------------------------------------- 4. fairness feedback loops


@dataclass(repr=False)
class FeedbackLoopsResult(ChapterResult):
    """The feedback loops of each labelling rule (``argmax``, ``sample``), one per chain."""

    sizes: dict
    loops: dict[str, list[D.FeedbackResult]]

    def data_share(self, labels: str) -> pd.DataFrame:
        """Minority share of the training set, chains x rounds 0..R."""
        return pd.DataFrame([r.table["data_share"].to_numpy() for r in self.loops[labels]], columns=np.arange(self.sizes["rounds"] + 1))

    def model_share(self, labels: str) -> pd.DataFrame:
        """Expected minority share of the model's labels, chains x rounds 0..R."""
        return pd.DataFrame([r.table["model_share"].to_numpy() for r in self.loops[labels]], columns=np.arange(self.sizes["rounds"] + 1))

    @property
    def amplification(self) -> pd.Series:
        """φ* − φ(D_T) per chain, argmax labels."""
        return pd.Series([self.sizes["minority_share"] - r.table["data_share"].iloc[-1] for r in self.loops["argmax"]])

    @property
    def bound(self) -> pd.Series:
        """The bound (m/n) δ per chain, argmax labels."""
        return pd.Series([r.bound for r in self.loops["argmax"]])


def run_feedback(
    minority_share: float = 0.3,
    separation: float = 1.5,
    n0: int = 200,
    n: int = 100,
    m: int = 200,
    chains: int | None = None,
    rounds: int | None = None,
    seed: int | None = None,
) -> FeedbackLoopsResult:
    """``chains`` feedback loops (:func:`mad.drift.feedback_loop`) per labelling rule, argmax and sampled."""
    sizes = dict(
        minority_share=minority_share,
        separation=separation,
        n0=n0,
        n=n,
        m=m,
        chains=chains or mad.by_scale(smoke=6, book=30),
        rounds=rounds or mad.by_scale(smoke=6, book=15),
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    fb = dict(minority_share=minority_share, separation=separation, n0=n0, n=n, m=m)
    with threadpool_limits(1):
        loops = {
            lab: [
                D.feedback_loop(lab, rounds=S["rounds"], seed=derive_seed(S["seed"], c, "feedback-chain"), **fb) for c in range(S["chains"])
            ]
            for lab in ("argmax", "sample")
        }
    return FeedbackLoopsResult(sizes, loops)


def figure_feedback(result: FeedbackLoopsResult) -> plt.Figure:
    """Minority share of the training set (left) and of the model's labels (right), per labelling rule."""
    S = result.sizes
    rounds, share, bound = np.arange(S["rounds"] + 1), S["minority_share"], result.bound.mean()
    fig, axes = panels(2, height=4.0)
    for ax, frames, ylabel in (
        (axes[0], result.data_share, "minority share of the training set"),
        (axes[1], result.model_share, r"minority share of its labels $\phi(f_t)$"),
    ):
        for lab in ("argmax", "sample"):
            band(ax, rounds, frames(lab).to_numpy(), COLORS[lab], marker="o", ms=3)
        ax.axhline(share, color="0.5", ls="--", lw=0.8)
        ax.set(xlabel="feedback round t", ylabel=ylabel)
    axes[0].axhline(share - bound, color="k", ls=":", lw=1.2)
    axes[0].set_ylim(max(0.0, share - bound) - 0.02, share + 0.03)
    handles = [plt.Line2D([], [], color=COLORS[k], lw=2, marker="o", ms=3) for k in ("argmax", "sample")]
    handles += [plt.Line2D([], [], color="0.5", ls="--"), plt.Line2D([], [], color="k", ls=":")]
    labels = ["argmax labels", "sampled labels", r"human share $\phi^*$", r"bound $\phi^* - (m/n)\delta$ (left)"]
    legend_below(fig, handles, labels, ncol=2, title=interval_label(S["chains"], "chains"))
    return fig


def _numbers_feedback(result: FeedbackLoopsResult) -> dict[str, float]:
    S = result.sizes
    return {
        "wd_fb_share": S["minority_share"],
        "wd_fb_n0": S["n0"],
        "wd_fb_n": S["n"],
        "wd_fb_m": S["m"],
        "wd_fb_chains": S["chains"],
        "wd_fb_rounds": S["rounds"],
        "wd_fb_argmax_model0": result.model_share("argmax")[0].mean(),
        "wd_fb_argmax_last": result.data_share("argmax")[S["rounds"]].mean(),
        "wd_fb_sample_last": result.data_share("sample")[S["rounds"]].mean(),
        "wd_fb_amp": result.amplification.mean(),
        "wd_fb_delta": np.mean([r.delta for r in result.loops["argmax"]]),
        "wd_fb_bound": result.bound.mean(),
        # the claims' margins, quoted in the claims section
        "wd_fb_flat": FLAT,
        "wd_margin_h_loop": MARGIN_H_LOOP,
        "wd_margin_h_sim": MARGIN_H_SIM,
        "wd_margin_loss": MARGIN_LOSS,
        "wd_margin_ploss": MARGIN_PLOSS,
    }


# --------------------------------------------------------------------------- numbers and claims


def numbers(result: GridResult | LossTimesResult | DDPMResult | FeedbackLoopsResult) -> dict[str, float]:
    """The numbers of the prose that come from one experiment's result, by glue name."""
    for kind, fn in (
        (GridResult, _numbers_grid),
        (LossTimesResult, _numbers_loss),
        (DDPMResult, _numbers_ddpm),
        (FeedbackLoopsResult, _numbers_feedback),
    ):
        if isinstance(result, kind):
            return fn(result)
    raise TypeError(f"result must come from one of this chapter's run functions; got {type(result).__name__}")


def claims(grid: GridResult, loss: LossTimesResult, ddpm: DDPMResult, feedback: FeedbackLoopsResult) -> ClaimsLedger:
    """Claims 41-46: H_t follows the Wright–Fisher law (loop and simulator); time to loss and loss
    probability follow Kimura–Ohta and 1 − p; minorities go first (grid, DDPM spread); sampling bias
    squeezes the minority out and stratified resampling pins it; argmax labels amplify within the
    bound, sampled labels do not."""
    G, n, tiers = grid.sizes, grid.sizes["n"], grid.sizes["tiers"]
    check_t, tier_of = G["check_t"], _tier_of(G)
    lam, m, last, names = ddpm.sizes["lam"], ddpm.sizes["minority"], ddpm.sizes["generations"], ddpm.conditions
    minor = ddpm.minor
    ledger = ClaimsLedger("who_disappears_first")
    idx = [t - 1 for t in check_t]
    ev = V.agrees_with_theory(
        grid.h_loop[check_t], grid.h_theory[idx], MARGIN_H_LOOP, what=f"Gini–Simpson H_t of the EM loop at t = {check_t}"
    )
    ledger.check(41, ev, part="GMM loop (EM): H_t = H_0 (1 − 1/n)^t")
    ev = V.agrees_with_theory(
        grid.h_sim[:, check_t], D.expected_gini_simpson(grid.h0, n, np.array(check_t)), MARGIN_H_SIM, what="H_t of the exact simulator"
    )
    ledger.check(41, ev.with_unit("chains"), part="exact simulator: H_t = H_0 (1 − 1/n)^t")
    wide = [p for p in tiers if loss.sizes["n"] * p >= 4]  # the diffusion approximation needs a few copies, n p >> 1
    ev = V.agrees_with_theory(
        loss.loss_mean[wide],
        D.loss_time(np.array(wide), loss.sizes["n"]),
        MARGIN_LOSS,
        what=f"mean generations to loss, given loss, p = {wide}",
    )
    ledger.check(42, ev.with_unit("batches of chains"), part="time to loss: −2n p ln p / (1 − p), n p ≥ 4")
    ev = V.agrees_with_theory(
        loss.loss_prob, 1 - np.array(loss.sizes["tiers"]), MARGIN_PLOSS, what="probability that a mode is lost", relative=False
    )
    ledger.check(42, ev.with_unit("batches of chains"), part="loss probability: 1 − p")
    lost = grid.lost_loop
    minority_lost = pd.Series(lost[:, -1][:, tier_of <= 1].mean(axis=1), index=grid.h_loop.index)
    majority_lost = pd.Series(lost[:, -1][:, tier_of == 3].mean(axis=1), index=grid.h_loop.index)
    ev = V.greater(minority_lost, majority_lost, what="share of modes lost by the last generation: 1–2 % modes − 6.5 % modes")
    ledger.check(43, ev, part="GMM loop: minority modes are lost before majority modes")
    spread = {group: ddpm.last(f"{group} spread", 0) for group in ("minority", "majority")}
    present = spread["minority"].notna()  # seeds that still have the minority at the last generation
    spread = {group: values[present] for group, values in spread.items()}
    ev = V.less(
        spread["minority"], spread["majority"], what="within-class spread / real at the last generation, λ = 1: minority − majority"
    )
    ledger.check(43, ev, part="DDPM, λ = 1: the minority's diversity collapses before the majority's")
    ev = V.falls(minor[names[1]], what=f"minority share, λ = {lam:g}")
    ledger.check(44, ev, part=f"DDPM, λ = {lam:g}: the minority share falls")
    ev = V.less(
        ddpm.prior_sim[lam][:, -1, m], ddpm.prior_sim[1.0][:, -1, m], what=f"minority share at the last generation: λ = {lam:g} − λ = 1"
    )
    ledger.check(44, ev.with_unit("chains"), part=f"the DDPM's prior chain: lower minority share at λ = {lam:g} than at λ = 1")
    ev = V.flat(minor[names[2]], ddpm.sizes["minority_share"] / 4, what=f"minority share, λ = {lam:g} with stratified resampling")
    ledger.check(45, ev, part="DDPM: stratified resampling pins the minority share")
    ev = V.greater(minor[names[2]][last], minor[names[1]][last], what="minority share at the last generation: stratified − not")
    ledger.check(45, ev, part="DDPM: stratified keeps more of the minority than the same loop without it")
    ev = V.falls(feedback.data_share("argmax"), what="minority share of the training set, argmax labels")
    ledger.check(46, ev.with_unit("chains"), part="argmax labels amplify the imbalance")
    ev = V.less(feedback.amplification, feedback.bound, what="amplification φ* − φ(D_T) − bound (m/n)δ")
    ledger.check(46, ev.with_unit("chains"), part="amplification within the bound (m/n)δ")
    ev = V.flat(feedback.data_share("sample"), FLAT, what="minority share of the training set, sampled labels")
    ledger.check(46, ev.with_unit("chains"), part="sampled labels: not amplified")
    return ledger
