r"""Chapter "Memorisation and privacy": how much of the real training set a fully synthetic generation carries.

Three experiments. **Ancestry**: a fully synthetic loop of the resampling model
(:class:`mad.memorisation.Resampler`, the bootstrap) copies real records verbatim; the number K_t of distinct
real records behind generation t follows the occupancy Markov chain
(:func:`mad.memorisation.expected_ancestors_exact`) and, for k ≪ n, Kingman's coalescent,
:math:`K_t \approx 2n/(t + 2)` (:func:`mad.memorisation.expected_ancestors_theory`). **Near-copies in the
diffusion loop**: the distance-to-closest-record audit (:func:`mad.memorisation.dcr_audit`; Platzer &
Reutterer 2021) of every generation of the fully synthetic conditional DDPM chain of the book
(:func:`mad.memorisation.ddpm_chains`, shared with "Hybrid training" through the result store), against the
original real records and against each model's own training set (Shi et al. 2025). **Leak**: how a
growing fraction of verbatim copies moves the audit, which averages (Stadler et al. 2022; Ganev & De
Cristofaro 2023). Claims 53-57.
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
from mad.data import FinitePool
from mad.features import DigitsSplit, digits_split
from mad.loops import fully_synthetic, iterate_loop
from mad.memorisation import (
    ChainSamples,
    Resampler,
    ancestors_from_rows,
    dcr_audit,
    ddpm_chains,
    expected_ancestors_exact,
    expected_ancestors_theory,
)
from mad.models.ddpm import ConditionalDDPM
from mad.plotting import band, interval_label, palette_for, sample_grid

#: the two references of the DCR audit
REAL, OWN = "original real records", "own training set"
#: one colour per series across the chapter
COLORS = palette_for(["simulation", "exact chain", "theory", REAL, OWN, "leak: share closer to T", "leak: near-copy rate"])


@dataclass(repr=False)
class Ancestry(ChapterResult):
    """Distinct real ancestors K_t of every chain (index seed, columns t = 0..generations), exact and approximate."""

    sizes: dict
    counts: pd.DataFrame
    exact: np.ndarray
    theory: np.ndarray


def run_ancestry(n: int | None = None, generations: int | None = None, chains: int | None = None, seed: int | None = None) -> Ancestry:
    """Fully synthetic loops of the resampling model on ``n`` real digits, ``generations`` resampling rounds,
    ``chains`` independent chains (seeds); count the distinct real ancestors of every generation's rows."""
    first = mad.base_seed() if seed is None else seed
    sizes = dict(
        n=n or mad.by_scale(smoke=60, book=600),  # real records (the reference's example: n = 600)
        generations=generations or mad.by_scale(smoke=4, book=10),  # resampling rounds
        chains=list(range(first, first + (chains or mad.by_scale(smoke=4, book=100)))),
    )
    n, gens_, seeds = sizes["n"], sizes["generations"], sizes["chains"]
    pool = digits_split().train
    records = FinitePool(pool.X[: 2 * n], pool.y[: 2 * n], name="digits-records")
    counts = []
    for s in seeds:
        gens = list(iterate_loop(fully_synthetic(n), Resampler(), records, gens_ + 1, s))
        real = gens[0].train  # G_1's real rows, with their ids in the real stream
        # the rows that train G_{t+1} are the samples of G_t: K_t for t = 0..generations
        counts.append([len(np.unique(ancestors_from_rows(g.train.X, real.X, real.real_id))) for g in gens])
    return Ancestry(
        sizes,
        pd.DataFrame(counts, index=seeds, columns=range(gens_ + 1)),
        expected_ancestors_exact(n, gens_),
        expected_ancestors_theory(n, np.arange(gens_ + 1)),
    )


@dataclass(repr=False)
class Audit(ChapterResult):
    """The DDPM chains and their DCR audits (tidy: seed, generation, reference, metric, value)."""

    sizes: dict
    split: DigitsSplit
    chains: list[ChainSamples]
    audits: pd.DataFrame

    def curve(self, metric: str, reference: str) -> pd.DataFrame:
        """Per-seed curves (index seed, columns generation) of one audit metric against one reference."""
        rows = self.audits[(self.audits.metric == metric) & (self.audits.reference == reference)]
        return rows.pivot(index="seed", columns="generation", values="value")


def run_dcr(
    n: int | None = None,
    generations: int | None = None,
    seeds: int | None = None,
    T: int | None = None,
    n_steps: int | None = None,
    snr_gamma: float = 20.0,
    q: float = 0.05,
    seed: int | None = None,
    max_workers: int = 2,
) -> Audit:
    """The fully synthetic DDPM chain (λ = 1) of ``seeds`` seeds, audited at every generation against the
    original real records and the model's own training set.

    ``n``: images per generation (n_init = n_s) and per audit sample; ``T``, ``n_steps``: diffusion steps and
    training steps of the DDPM; ``q``: the near-copy quantile (a definition, fixed before the runs).
    """
    first = mad.base_seed() if seed is None else seed
    sizes = dict(
        n=n or mad.by_scale(smoke=60, book=500),
        generations=generations or mad.by_scale(smoke=2, book=6),
        seeds=list(range(first, first + (seeds or mad.by_scale(smoke=2, book=3)))),
        T=T or mad.by_scale(smoke=10, book=100),
        n_steps=n_steps or mad.by_scale(smoke=20, book=400),
        snr_gamma=snr_gamma,
        q=q,
    )
    S = sizes
    split = digits_split()
    pool = split.train
    model = ConditionalDDPM(T=S["T"], n_steps=S["n_steps"], snr_gamma=snr_gamma)
    chains = ddpm_chains(model, pool, S["n"], S["generations"], S["seeds"], n_eval=S["n"], max_workers=max_workers)
    rows = []
    for ch in chains:
        unseen = np.setdiff1d(np.arange(len(pool.X)), ch.real_id)
        holdout = pool.X[np.random.default_rng(ch.seed).permutation(unseen)[: S["n"]]]
        for t in range(1, S["generations"] + 1):
            X = ch.samples[t - 1][0]
            audits = {REAL: dcr_audit(X, ch.real_X, holdout, q)}
            own_hold = holdout if t == 1 else ch.samples[t - 2][0]
            audits[OWN] = dcr_audit(X, ch.train[t - 1], own_hold, q)
            for ref, a in audits.items():
                for metric, value in a.as_dict().items():
                    rows.append({"seed": ch.seed, "generation": t, "reference": ref, "metric": metric, "value": value})
    return Audit(sizes, split, chains, pd.DataFrame(rows))


@dataclass(repr=False)
class Leak(ChapterResult):
    """The audit of a "generator" that outputs new real digits with a fraction of verbatim training copies."""

    sizes: dict
    table: pd.DataFrame  # copied fraction, closer_to_train, near_copy


def run_leak(audit: Audit, fractions: Sequence[float] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2), seed: int | None = None) -> Leak:
    """Audit new real digits (the evaluation set) of which a fraction f is replaced by copies of the first
    chain's real training digits (T), against held-out digits of the pool (H)."""
    S, ch, split = audit.sizes, audit.chains[0], audit.split
    random = np.random.default_rng(mad.base_seed() if seed is None else seed)
    unseen = np.setdiff1d(np.arange(len(split.train.X)), ch.real_id)
    perm = random.permutation(unseen)
    hold = split.train.X[perm[: S["n"]]]  # T = G_1's real digits, H = unseen digits of the pool
    fresh = split.eval_X[: S["n"]]  # the "generator" outputs new real digits (the evaluation set) ...
    leak = []
    for f in fractions:
        m = len(fresh)
        n_copy = int(round(f * m))
        # ... except a fraction f, which are verbatim copies of training digits
        X = np.concatenate([ch.real_X[random.choice(len(ch.real_X), n_copy, replace=False)], fresh[: m - n_copy]])
        a = dcr_audit(X, ch.real_X, hold, S["q"])
        leak.append({"copied fraction": f, "closer_to_train": a.closer_to_train, "near_copy": a.near_copy})
    return Leak(dict(fractions=list(fractions), samples=len(fresh), q=S["q"]), pd.DataFrame(leak))


def figure_ancestry(ancestry: Ancestry) -> plt.Figure:
    """K_t of the simulated chains (band), the exact expectation and the coalescent approximation."""
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    t = np.arange(ancestry.sizes["generations"] + 1)
    band(ax, t, ancestry.counts.to_numpy(), COLORS["simulation"], label="runner + Resampler (mean)")
    ax.plot(t, ancestry.exact, "o", ms=4, color=COLORS["exact chain"], label="exact expectation (occupancy chain)")
    ax.plot(t, ancestry.theory, "--", color=COLORS["theory"], label="coalescent approximation 2n/(t + 2)")
    ax.set_xlabel("generation t (resampling rounds)")
    ax.set_ylabel("distinct real ancestors K_t (records)")
    ax.set_title(interval_label(len(ancestry.sizes["chains"]), "chains"), fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def figure_dcr(audit: Audit) -> plt.Figure:
    """Share closer to T than to H and near-copy rate per generation, against both references."""
    S = audit.sizes
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    gens = np.arange(1, S["generations"] + 1)
    for ax, metric, ylabel, null in [
        (axes[0], "closer_to_train", "share of samples closer to T than to H", 0.5),
        (axes[1], "near_copy", f"near-copy rate (DCR to T below τ, q = {S['q']:g})", S["q"]),
    ]:
        for ref in (REAL, OWN):
            band(ax, gens, audit.curve(metric, ref).to_numpy(), COLORS[ref], label=f"T = {ref}", marker="o", ms=3)
        ax.axhline(null, color="0.4", ls=":", lw=1, label="no preference for T (held-out level)")
        ax.set_xlabel("generation t")
        ax.set_ylabel(ylabel)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axes[0].legend(fontsize=8, title=interval_label(len(S["seeds"])), title_fontsize=8)
    fig.tight_layout()
    return fig


def _closest_pairs(X: np.ndarray, train: np.ndarray, k: int = 8) -> np.ndarray:
    """The ``k`` rows of ``X`` closest to ``train``, then the training row closest to each."""
    from sklearn.neighbors import NearestNeighbors

    dist, idx = NearestNeighbors(n_neighbors=1).fit(train).kneighbors(X)
    order = np.argsort(dist[:, 0])[:k]
    return np.concatenate([X[order], train[idx[order, 0]]])


def figure_pairs(audit: Audit) -> plt.Figure:
    """The eight samples of G_1 and of the last generation closest to a real training digit, above that digit."""
    ch = audit.chains[0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 2.6))
    for ax, t in zip(axes, [1, audit.sizes["generations"]]):
        sample_grid(
            _closest_pairs(ch.samples[t - 1][0], ch.real_X), 2, 8, ax, title=f"G_{t}: samples (top), closest real training digit (bottom)"
        )
    fig.tight_layout()
    return fig


def figure_leak(leak: Leak) -> plt.Figure:
    """Audit scores against the fraction of verbatim copies, with the expected share and its noise band."""
    fractions, table, q = np.asarray(leak.sizes["fractions"]), leak.table, leak.sizes["q"]
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.plot(100 * fractions, table.closer_to_train, "o-", color=COLORS["leak: share closer to T"], label="share closer to T than to H")
    ax.plot(100 * fractions, table.near_copy, "s-", color=COLORS["leak: near-copy rate"], label=f"near-copy rate (q = {q:g})")
    ax.plot(100 * fractions, 0.5 + fractions / 2, ":", color="0.4", label="0.5 + f/2 (share, expected)")
    se = 0.5 / np.sqrt(leak.sizes["samples"])
    ax.axhspan(0.5 - 2 * se, 0.5 + 2 * se, color="0.85", label="0.5 ± 2 standard errors")
    ax.set_xlabel("verbatim training copies among the samples (%)")
    ax.set_ylabel("audit score (share)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def table_ancestry(ancestry: Ancestry) -> pd.DataFrame:
    """Mean and standard deviation over chains of K_t, per t."""
    return ancestry.counts.agg(["mean", "std"]).round(1)


def table_audit(audit: Audit) -> pd.DataFrame:
    """Mean over seeds of every audit metric, per generation and reference."""
    return audit.audits.pivot_table(index="generation", columns=["reference", "metric"], values="value").round(3)


def table_leak(leak: Leak) -> pd.DataFrame:
    """The leak audit, rounded."""
    return leak.table.round(3)


def numbers(ancestry: Ancestry, audit: Audit, leak: Leak) -> dict[str, float | int]:
    """The numbers of the prose, by glue name."""
    A, S = ancestry.sizes, audit.sizes
    counts, exact, theory, last = ancestry.counts, ancestry.exact, ancestry.theory, A["generations"]
    out: dict[str, float | int] = {
        "mem_q": S["q"],
        "mem_n_anc": A["n"],
        "mem_chains": len(A["chains"]),
        "mem_anc_gens": last,
        "mem_k_last_sim": float(counts[last].mean()),
        "mem_k_last_exact": float(exact[-1]),
        "mem_k_last_theory": float(theory[-1]),
        "mem_k1_exact": float(exact[1]),
        "mem_k1_theory": float(theory[1]),
        "mem_theory_over": float(np.max(theory[1:] / exact[1:] - 1) * 100),
        "mem_frac_last": float(counts[last].mean() / A["n"] * 100),
        "mem_n": S["n"],
        "mem_gens": S["generations"],
        "mem_n_seeds": len(S["seeds"]),
        "mem_T": S["T"],
        "mem_steps": S["n_steps"],
    }
    for key, metric in [("closer", "closer_to_train"), ("nc", "near_copy")]:
        for ref_key, ref in [("real", REAL), ("own", OWN)]:
            c = audit.curve(metric, ref)
            out[f"mem_{key}_{ref_key}_first"] = float(c[1].mean())
            out[f"mem_{key}_{ref_key}_last"] = float(c[S["generations"]].mean())
    _, out["mem_closer_real_last_lo"], out["mem_closer_real_last_hi"] = V.interval(audit.curve("closer_to_train", REAL)[S["generations"]])
    out["mem_f_hidden"] = float(100 * 2 * 2 * 0.5 / np.sqrt(leak.sizes["samples"]))
    return out


def claims(ancestry: Ancestry, audit: Audit) -> ClaimsLedger:
    """Claims 53-57: exact and approximate ancestry (replicates: chains), memorisation at generation 1, the
    fading imprint and memorisation of the own training set (replicates: seeds)."""
    q, last = audit.sizes["q"], audit.sizes["generations"]
    ledger = ClaimsLedger("memorisation_and_privacy")
    obs = ancestry.counts.loc[:, 1:]
    ledger.check(
        53,
        V.agrees_with_theory(obs, ancestry.exact[1:], 0.03, "distinct ancestors K_t"),
        part="resampling: K_t follows the exact occupancy chain",
    )
    ledger.check(54, V.agrees_with_theory(obs, ancestry.theory[1:], 0.10, "distinct ancestors K_t"), part="resampling: K_t ≈ 2n/(t + 2)")
    closer_real, nc_real = audit.curve("closer_to_train", REAL), audit.curve("near_copy", REAL)
    ledger.check(
        55, V.greater(closer_real[1], 0.5, "G_1: share closer to training than held-out > 0.5"), part="G_1 favours its training digits"
    )
    ledger.check(55, V.greater(nc_real[1], q, f"G_1: near-copy rate > q = {q:g}"), part="G_1 makes near-copies")
    faded = (
        "a few generations do not erase the gap in this loop: the share against G_1's real training digits falls slowly "
        "or not at all, because the classes contract onto prototypes that sit near those digits (see the text)"
    )
    ledger.check(
        56,
        V.agrees_with_theory(
            closer_real.loc[:, min(3, last) :].mean(axis=1),
            0.5,
            0.05,
            f"mean share closer to the real training digits over t = {min(3, last)}..{last}",
            relative=False,
        ),
        part="the train-vs-holdout gap vanishes within a few generations",
        declared=faded,
    )
    shi = (
        "this small DDPM does not drift towards memorising its own training sets: the synthetic sets are so concentrated "
        "that fresh samples of the previous generation lie as close to them (the share falls towards 0.5; see the text)"
    )
    ledger.check(
        57,
        V.rises(audit.curve("closer_to_train", OWN), "share closer to the own training set"),
        part="memorisation of the own training set rises over generations",
        declared=shi,
    )
    return ledger
