"""Chapter "Hybrid training: synthetic pretraining, real fine-tuning".

The question: when does pretraining on the samples of a self-consuming generator still pay, and when
has the loop destroyed its value? He et al. (2023) find that synthetic images help recognition most
in the few-shot regime; along the fully synthetic loop the samples lose diversity (Alemohammad et al.
2024, §3) and a constant synthetic share can set an error floor (Dohmatob et al. 2025).

For each seed, one chain of the fully synthetic conditional-DDPM loop (the chains of the chapter
"Memorisation and privacy", :func:`mad.memorisation.ddpm_chains`, shared through the result store)
gives the pretraining sets G_1..G_T. A classifier (:class:`mad.hybrid.FewShotClassifier`) is
pretrained on n samples of G_t or not at all (*real only*), fine-tuned on k real digits per class
and scored on the held-out digits (:func:`mad.hybrid.hybrid_accuracy`); k = 0 is the synthetic-only
accuracy. Each chain is scored with several few-shot draws and their accuracies are averaged, so
the replicate of every claim is one seed (one chain).
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
from mad.features import digits_split
from mad.hybrid import hybrid_accuracy
from mad.memorisation import ddpm_chains
from mad.models.ddpm import ConditionalDDPM
from mad.plotting import band, interval_label, log_axis, palette_for
from mad.seeding import derive_seed


@dataclass(repr=False)
class Result(ChapterResult):
    """Test accuracy per arm (``"real only"``, ``"G_t"``), k and seed: ``per_draw`` per few-shot draw,
    ``hybrid`` the mean over a chain's draws (the replicate of the claims)."""

    sizes: dict
    per_draw: pd.DataFrame
    hybrid: pd.DataFrame
    n_test: int

    @property
    def last(self) -> str:
        """The arm of the last generation, ``"G_T"``."""
        return f"G_{self.sizes['generations']}"

    def accuracy(self, arm: str, k: int) -> pd.Series:
        """Per-seed accuracy of one arm after fine-tuning on ``k`` real digits per class (k = 0: none)."""
        rows = self.hybrid[(self.hybrid.arm == arm) & (self.hybrid.k == k)]
        return rows.set_index("seed").accuracy

    def gain(self, arm: str, k: int) -> pd.Series:
        """Per-seed accuracy gain of pretraining on ``arm`` over real only, at ``k``."""
        return self.accuracy(arm, k) - self.accuracy("real only", k)


def run(
    n: int | None = None,
    generations: int | None = None,
    seeds: int | None = None,
    ks: Sequence[int] | None = None,
    draws: int | None = None,
    pretrain_steps: int | None = None,
    finetune_steps: int | None = None,
    T: int | None = None,
    n_steps: int | None = None,
    snr_gamma: float = 20.0,
    lam: float = 1.0,
    hidden: int = 128,
    seed: int | None = None,
    max_workers: int = 2,
) -> Result:
    """Run the DDPM chains of ``seeds`` seeds and score every arm with ``draws`` few-shot draws per chain.

    ``n``: images per generation (n_init = n_s) and pretraining set size; ``ks``: real digits per class
    for fine-tuning; ``T``, ``n_steps``, ``snr_gamma``: diffusion steps, training steps and
    min-SNR weight of the DDPM (:class:`mad.models.ddpm.ConditionalDDPM`);
    ``hidden``: width of the classifier; ``seed``: the first seed (``None``: :func:`mad.base_seed`).
    """
    first = mad.base_seed() if seed is None else seed
    sizes = dict(
        n=n or mad.by_scale(smoke=60, book=500),
        generations=generations or mad.by_scale(smoke=2, book=6),
        seeds=list(range(first, first + (seeds or mad.by_scale(smoke=2, book=4)))),
        ks=list(ks or mad.by_scale(smoke=[1, 2], book=[1, 2, 5, 10])),
        draws=draws or mad.by_scale(smoke=1, book=4),
        pretrain_steps=pretrain_steps or mad.by_scale(smoke=60, book=400),
        finetune_steps=finetune_steps or mad.by_scale(smoke=20, book=100),
        T=T or mad.by_scale(smoke=10, book=100),
        n_steps=n_steps or mad.by_scale(smoke=20, book=400),
        snr_gamma=snr_gamma,
        lam=lam,
        hidden=hidden,
    )
    S = sizes
    model = ConditionalDDPM(T=S["T"], n_steps=S["n_steps"], snr_gamma=snr_gamma)
    split = digits_split()
    pool = split.train
    chains = ddpm_chains(model, pool, S["n"], S["generations"], S["seeds"], n_eval=S["n"], lam=lam, max_workers=max_workers)
    frames = []
    for ch in chains:
        arms = {"real only": None, **{f"G_{t}": ch.samples[t - 1] for t in range(1, S["generations"] + 1)}}
        for draw in range(S["draws"]):  # several few-shot draws (and initialisations) per chain, averaged below
            acc_draw = hybrid_accuracy(
                arms,
                (pool.X, pool.y),
                (split.eval_X, split.eval_y),
                S["ks"],
                derive_seed(ch.seed, draw, "few-shot draw"),
                pretrain_steps=S["pretrain_steps"],
                finetune_steps=S["finetune_steps"],
                hidden=hidden,
            )
            frames.append(acc_draw.assign(seed=ch.seed, draw=draw))
    per_draw = pd.concat(frames, ignore_index=True)
    # one number per chain (the replicate of every claim): the mean over its few-shot draws
    hybrid = per_draw.groupby(["arm", "k", "seed"], sort=False, as_index=False).accuracy.mean()
    return Result(sizes, per_draw, hybrid, len(split.eval_X))


def _colors(result: Result) -> dict:
    """One colour per series, the same in both figures."""
    ks = result.sizes["ks"]
    return palette_for(["real only", "G_1", result.last, "k = 0", f"k = {min(ks)}", f"k = {max(ks)}"])


def table_accuracy(result: Result) -> pd.DataFrame:
    """Mean accuracy over seeds per arm (rows, in run order) and k (columns)."""
    hybrid = result.hybrid
    return hybrid.pivot_table(index="arm", columns="k", values="accuracy").reindex(hybrid.arm.unique())


def figure_k(result: Result) -> plt.Figure:
    """Accuracy against k for real only, G_1 and the last generation (mean and interval over seeds)."""
    ks, last, colors, hybrid = result.sizes["ks"], result.last, _colors(result), result.hybrid
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for arm in ["real only", "G_1", last]:
        wide = hybrid[(hybrid.arm == arm) & (hybrid.k > 0)].pivot(index="seed", columns="k", values="accuracy")
        label = {"real only": "real only (no pretraining)", "G_1": "pretrained on G_1", last: f"pretrained on {last}"}[arm]
        band(ax, wide.columns.to_numpy(), wide.to_numpy(), colors[arm], label=label, marker="o", ms=4)
    log_axis(ax, "x", base=2)
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.set_xlabel("real digits per class for fine-tuning, k")
    ax.set_ylabel("test accuracy on held-out real digits")
    ax.legend(fontsize=8, title=interval_label(len(result.sizes["seeds"])), title_fontsize=8)
    fig.tight_layout()
    return fig


def figure_generations(result: Result) -> plt.Figure:
    """Accuracy against the generation of the pretraining samples, at k = 0, the smallest and the largest k."""
    ks, colors = result.sizes["ks"], _colors(result)
    k1, kmax = min(ks), max(ks)
    gen_x = np.arange(1, result.sizes["generations"] + 1)
    fig, ax = plt.subplots(figsize=(6.8, 3.8))
    for k, marker in [(0, "o"), (k1, "s"), (kmax, "^")]:
        wide = pd.concat({t: result.accuracy(f"G_{t}", k) for t in gen_x}, axis=1)
        label = "synthetic only (k = 0)" if k == 0 else f"fine-tuned, k = {k}"
        band(ax, gen_x, wide.to_numpy(), colors[f"k = {k}"], label=label, marker=marker, ms=4)
    for k, ls in [(k1, "--"), (kmax, ":")]:
        ax.axhline(result.accuracy("real only", k).mean(), color=colors[f"k = {k}"], ls=ls, lw=1.2, label=f"real only, k = {k} (mean)")
    ax.set_xlabel("generation t of the pretraining samples")
    ax.set_ylabel("test accuracy on held-out real digits")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.legend(fontsize=8, ncol=2, title=interval_label(len(result.sizes["seeds"])), title_fontsize=8)
    fig.tight_layout()
    return fig


def numbers(result: Result) -> dict[str, float]:
    """The numbers of the prose, by glue name (accuracies: means over seeds)."""
    S, acc = result.sizes, result.accuracy
    k1, kmax = min(S["ks"]), max(S["ks"])
    out: dict[str, float] = {
        "hy_n": S["n"],
        "hy_gens": S["generations"],
        "hy_n_seeds": len(S["seeds"]),
        "hy_draws": S["draws"],
        "hy_pre_steps": S["pretrain_steps"],
        "hy_ft_steps": S["finetune_steps"],
        "hy_n_test": result.n_test,
        "hy_k_max": kmax,
    }
    for name, arm in [("real", "real only"), ("g1", "G_1"), ("gl", result.last)]:
        for k in (k1, kmax):
            out[f"hy_{name}_k{'1' if k == k1 else 'max'}"] = float(acc(arm, k).mean())
    for name, arm in [("g1", "G_1"), ("gl", result.last)]:
        out[f"hy_{name}_k0"] = float(acc(arm, 0).mean())
    mean, low, high = V.interval(result.gain(result.last, kmax))
    out["hy_gain_last_kmax"], out["hy_gain_last_kmax_lo"], out["hy_gain_last_kmax_hi"] = mean, low, high
    out["hy_gain_g1_kmax"] = float(result.gain("G_1", kmax).mean())
    out["hy_gain_g1_k1"] = float(result.gain("G_1", k1).mean())
    return out


def claims(result: Result) -> ClaimsLedger:
    """Claims 58 (G_1 pretraining pays at k = 1, the gain shrinks with k), 59 (the loop erodes the value)
    and 60 (the last generation still pays at k = 1), paired seed by seed."""
    acc, gain, last = result.accuracy, result.gain, result.last
    ks = result.sizes["ks"]
    k1, kmax = min(ks), max(ks)
    ledger = ClaimsLedger("hybrid_training")
    ledger.check(
        58, V.greater(acc("G_1", k1), acc("real only", k1), f"k = {k1}: G_1-pretrained > real only"), part="G_1 pretraining pays at k = 1"
    )
    ledger.check(
        58,
        V.greater(gain("G_1", k1), gain("G_1", kmax), f"gain of G_1 pretraining at k = {k1} > at k = {kmax}"),
        part="the gain shrinks with k",
    )
    ledger.check(
        59, V.less(acc(last, 0), acc("G_1", 0), f"synthetic only: {last} < G_1"), part="late generation worth less without fine-tuning"
    )
    ledger.check(59, V.less(acc(last, k1), acc("G_1", k1), f"k = {k1}: {last} < G_1"), part="late generation worth less at k = 1")
    zero_shot = pd.concat({t: acc(f"G_{t}", 0) for t in range(1, result.sizes["generations"] + 1)}, axis=1)
    ledger.check(59, V.falls(zero_shot, "synthetic-only accuracy"), part="synthetic-only accuracy falls over generations")
    ledger.check(
        60,
        V.greater(acc(last, k1), acc("real only", k1), f"k = {k1}: {last}-pretrained > real only"),
        part="late generation still pays at k = 1",
    )
    return ledger
