"""Chapter "How much real data is enough?" (beyond the paper: Bertrand et al. 2024, Gillman et al. 2024).

The question: a model is retrained on a real set together with its own samples; how many self-samples
per real sample can it take, and how much real data is a *repaired* synthetic sample worth? Three
loops small enough to solve exactly (:mod:`mad.stability`), all read on one axis, the **effective
real fraction** w of the training set:

* a 1-D **kernel density loop** on a fixed real set of ``n_r`` points plus λ_B n_r self-samples
  (Bertrand et al.'s loop). With a fixed bandwidth h the excess variance contracts at rate
  b = λ_B/(1 + λ_B) and settles at h²(1 + λ_B); fully synthetic it grows by h² per generation, less
  a V/n_s leak. With a spread-proportional bandwidth (h² = ε P(T)) the loop is stable iff
  ελ_B < 1, at (1 + ε)/(1 − ελ_B);
* the paper's 1-D **Gaussian loop** at sampling bias λ, fully synthetic with an ideal **corrector**
  of strength γ (Gillman et al.'s mixture (p_θ + γ p_r)/(1 + γ)): w = γ/(1 + γ) and the variance
  ratio follows v_t = w + (1 − w)λ v_{t−1}, to v* = w/(1 − (1 − w)λ);
* the same Gaussian loop with fresh real data (w = n_r/(n_r + n_s)) and with a fixed real set
  (w = 1/(1 + λ_B)): all three mechanisms land on the one curve v*(w).

Sources: Alemohammad et al. 2024 (§5, the fresh data loop); Bertrand et al. 2024 (stability of
iterative retraining); Gillman et al. 2024 (self-correcting loops). Claims 36-40 of the scorecard.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import mad
from mad import plotting
from mad import stability as st
from mad import verdicts as V
from mad.chapters import ChapterResult
from mad.claims import ClaimsLedger
from mad.results import mean_halfwidth
from mad.seeding import rng


@dataclass(repr=False)
class Result(ChapterResult):
    """The variance curves of every loop (rows: chains, columns: generations 0..T) and their closed forms."""

    sizes: dict
    kde_fixed: dict[float, np.ndarray]
    kde_fs: np.ndarray
    kde_eps: dict[float, np.ndarray]
    kde_fixed_th: dict[float, np.ndarray]
    kde_fs_th: np.ndarray
    kde_eps_th: dict[float, np.ndarray]
    corr: dict[float, np.ndarray]
    fresh: dict[int, np.ndarray]
    fixed: dict[int, np.ndarray]
    runtime: float


def run(
    kde_n_r: int = 200,
    h: float = 0.3,
    eps: float = 0.5,
    lam_bs: Sequence[float] = (0.5, 1.0, 2.0),
    eps_lam_bs: Sequence[float] = (1.0, 1.5, 3.0),
    lam: float = 0.8,
    n_s: int = 1000,
    gammas: Sequence[float] = (0.0, 1 / 9, 0.25, 1.0, 4.0),
    n_r: int = 100,
    ns_over_nr: Sequence[int] = (1, 4, 9),
    kde_chains: int | None = None,
    fs_chains: int | None = None,
    kde_generations: int | None = None,
    kde_tail: int | None = None,
    chains: int | None = None,
    generations: int | None = None,
    tail: int | None = None,
    seed: int | None = None,
) -> Result:
    """Run the three parts of the chapter.

    The KDE loop on ``kde_n_r`` real points with bandwidth ``h`` at ``lam_bs`` (and fully synthetic), and
    with ``h² = eps · P(T)`` at ``eps_lam_bs``; the Gaussian loop at bias ``lam``, fully synthetic with
    ``n_s`` rows and a corrector of each strength in ``gammas``, and with ``n_r`` fresh or fixed real rows
    plus ``k · n_r`` synthetic ones for ``k`` in ``ns_over_nr``. ``*_tail``: last generations averaged
    for a stationary value. Every loop has its own random stream (:func:`mad.seeding.rng` by role).
    """
    start = time.perf_counter()
    sizes = dict(
        kde_n_r=kde_n_r,
        h=h,
        eps=eps,
        lam_bs=list(lam_bs),
        eps_lam_bs=list(eps_lam_bs),
        lam=lam,
        n_s=n_s,
        gammas=list(gammas),
        n_r=n_r,
        ns_over_nr=list(ns_over_nr),
        kde_chains=kde_chains or mad.by_scale(smoke=40, book=1000),
        # fully synthetic: the variance wanders, more chains pin its slope
        fs_chains=fs_chains or mad.by_scale(smoke=40, book=3000),
        kde_generations=kde_generations or mad.by_scale(smoke=12, book=60),
        kde_tail=kde_tail or mad.by_scale(smoke=4, book=10),
        chains=chains or mad.by_scale(smoke=60, book=2000),
        generations=generations or mad.by_scale(smoke=20, book=80),
        tail=tail or mad.by_scale(smoke=8, book=30),
        seed=mad.base_seed() if seed is None else seed,
    )
    S = sizes
    kde_gens, kde_ch, seed_ = S["kde_generations"], S["kde_chains"], S["seed"]
    kde_fixed = {
        lb: st.kde_loop(kde_n_r, int(lb * kde_n_r), h, kde_gens, kde_ch, random_state=rng(seed_, role=f"kde-h-{lb}")) for lb in lam_bs
    }
    kde_fs = st.kde_loop(
        kde_n_r, kde_n_r, h, kde_gens, S["fs_chains"], keep_real=False, random_state=rng(seed_, role="kde-fully-synthetic")
    )
    kde_eps = {
        lb: st.kde_loop(kde_n_r, int(lb * kde_n_r), 0.0, kde_gens, kde_ch, eps=eps, random_state=rng(seed_, role=f"kde-eps-{lb}"))
        for lb in eps_lam_bs
    }
    gens, ch = S["generations"], S["chains"]
    corr = {g: st.gaussian_loop(0, n_s, lam, gens, ch, gamma=g, random_state=rng(seed_, role=f"corrector-{g:.4f}")) for g in gammas}
    fresh = {k: st.gaussian_loop(n_r, k * n_r, lam, gens, ch, random_state=rng(seed_, role=f"fresh-{k}")) for k in ns_over_nr}
    fixed = {
        k: st.gaussian_loop(n_r, k * n_r, lam, gens, ch, fixed_real=True, random_state=rng(seed_, role=f"fixed-{k}")) for k in ns_over_nr
    }
    return Result(
        sizes,
        kde_fixed,
        kde_fs,
        kde_eps,
        kde_fixed_th={lb: st.kde_expected_variance(kde_n_r, int(lb * kde_n_r), h, kde_gens) for lb in lam_bs},
        kde_fs_th=st.kde_expected_variance(kde_n_r, kde_n_r, h, kde_gens, keep_real=False),
        kde_eps_th={lb: st.kde_expected_variance(kde_n_r, int(lb * kde_n_r), 0.0, kde_gens, eps=eps) for lb in eps_lam_bs},
        corr=corr,
        fresh=fresh,
        fixed=fixed,
        runtime=time.perf_counter() - start,
    )


# --------------------------------------------------------------------------- derived values


def _kde_excess(result: Result) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per chain, the excess variance over the last ``kde_tail`` generations (columns λ_B), with the
    simple formula h²(1 + λ_B) and the exact expectation over the same generations."""
    S = result.sizes
    tail, lam_bs, h = S["kde_tail"], S["lam_bs"], S["h"]
    observed = pd.DataFrame({lb: result.kde_fixed[lb][:, -tail:].mean(axis=1) - 1 for lb in lam_bs})
    simple = np.array([h**2 * (1 + lb) for lb in lam_bs])
    exact = np.array([result.kde_fixed_th[lb][-tail:].mean() - 1 for lb in lam_bs])
    return observed, simple, exact


def _fs_slopes(result: Result) -> tuple[np.ndarray, float]:
    """Fully synthetic KDE loop: per-chain OLS slope of the variance over the first half of the run, and
    the slope of the exact expectation."""
    t = np.arange(result.sizes["kde_generations"] + 1)
    half = slice(0, result.sizes["kde_generations"] // 2 + 1)
    observed = np.polyfit(t[half], result.kde_fs[:, half].T, 1)[0]
    return observed, float(np.polyfit(t[half], result.kde_fs_th[half], 1)[0])


def _corrector(result: Result) -> tuple[dict[float, float], dict[float, float], pd.DataFrame]:
    """The real fraction w and the steady state v* of each γ, and the per-chain stationary ratio (γ > 0)."""
    S = result.sizes
    w = {g: st.corrected_real_fraction(0, S["n_s"], g) for g in S["gammas"]}
    vstar = {g: st.steady_state_ratio(w[g], S["lam"]) for g in S["gammas"]}
    tail = pd.DataFrame({g: result.corr[g][:, -S["tail"] :].mean(axis=1) for g in S["gammas"] if g > 0})
    return w, vstar, tail


def _points(result: Result) -> tuple[list[tuple[str, float, np.ndarray]], pd.DataFrame, np.ndarray]:
    """The ten points of the one-axis figure: (mechanism, w, per-chain stationary v), the same as a frame
    (one column per point) and the prediction v*(w) of each."""
    S = result.sizes
    tail = S["tail"]
    w, _, _ = _corrector(result)
    points = []
    for k in S["ns_over_nr"]:
        points.append(("fresh data loop", 1 / (1 + k), result.fresh[k][:, -tail:].mean(axis=1)))
        points.append(("fixed real set", 1 / (1 + k), result.fixed[k][:, -tail:].mean(axis=1)))
    for g in S["gammas"][1:]:
        points.append(("corrector, no real data", w[g], result.corr[g][:, -tail:].mean(axis=1)))
    frame = pd.DataFrame({f"{m}, w={wm:.2f}": v for m, wm, v in points})
    prediction = np.array([st.steady_state_ratio(wm, S["lam"]) for _, wm, _ in points])
    return points, frame, prediction


def _band(ax: plt.Axes, t: np.ndarray, curves: np.ndarray, color: object, label: str) -> None:
    """Mean over the chains (rows of ``curves``) and its 95% Student-t interval."""
    plotting.band(ax, t, curves, color, label, ls="-", lw=1.6)


# --------------------------------------------------------------------------- figures and tables


def figure_kde(result: Result) -> plt.Figure:
    """The KDE loop: excess variance with a fixed bandwidth (left), variance with a spread-proportional one (right)."""
    S = result.sizes
    h, eps = S["h"], S["eps"]
    t = np.arange(S["kde_generations"] + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.3))
    colors = plt.cm.viridis(np.linspace(0.0, 0.8, 4))
    ax = axes[0]
    for c, lb in zip(colors, S["lam_bs"]):
        _band(ax, t, (result.kde_fixed[lb] - 1) / h**2, c, rf"$\lambda_B$ = {lb:g}")
        ax.axhline(1 + lb, color=c, lw=1, ls="--")
    _band(ax, t, (result.kde_fs - 1) / h**2, "C3", "fully synthetic")
    ax.plot(t, (result.kde_fs_th - 1) / h**2, color="k", lw=1, ls=":", label="exact expectation")
    ax.plot([], [], color="0.4", lw=1, ls="--", label=r"$1 + \lambda_B$")
    ax.set_ylim(0, 8)
    ax.set_xlabel("generation t")
    ax.set_ylabel(r"excess variance $(V_t - V_{\mathrm{real}})/h^2$")
    ax.set_title(rf"fixed bandwidth $h$ = {h:g}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    ax = axes[1]
    for c, lb in zip(colors, S["eps_lam_bs"]):
        _band(ax, t, result.kde_eps[lb], c, rf"$\lambda_B$ = {lb:g} ($\varepsilon\lambda_B$ = {eps * lb:g})")
        ax.plot(t, result.kde_eps_th[lb], color="k", lw=1, ls=":")
        v_inf = st.kde_stationary_variance(lb, 0.0, eps)
        if np.isfinite(v_inf):
            ax.axhline(v_inf, color=c, lw=1, ls="--")
    ax.plot([], [], color="k", lw=1, ls=":", label="exact expectation")
    ax.plot([], [], color="0.4", lw=1, ls="--", label=r"$(1+\varepsilon)/(1-\varepsilon\lambda_B)$")
    ax.set_yscale("log")
    ax.set_xlabel("generation t")
    ax.set_ylabel(r"model variance $V_t / V_{\mathrm{real}}$")
    ax.set_title(rf"spread-proportional bandwidth, $\varepsilon$ = {eps:g}", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def table_kde(result: Result) -> pd.DataFrame:
    """Stationary excess variance per λ_B, in units of h²: simulated, exact expectation, 1 + λ_B."""
    observed, _, exact = _kde_excess(result)
    lam_bs, h = result.sizes["lam_bs"], result.sizes["h"]
    return pd.DataFrame(
        {
            "λ_B": lam_bs,
            "simulated E∞/h²": observed.mean().to_numpy() / h**2,
            "exact expectation": exact / h**2,
            "1 + λ_B": 1 + np.array(lam_bs),
        }
    ).round(3)


def figure_corrector(result: Result) -> plt.Figure:
    """The fully synthetic Gaussian loop with a corrector of each strength γ, and the recursion's theory."""
    S = result.sizes
    lam = S["lam"]
    t = np.arange(S["generations"] + 1)
    w, vstar, _ = _corrector(result)
    fig, ax = plt.subplots(figsize=(7.5, 4.3))
    gcolors = dict(zip(S["gammas"], plt.cm.viridis(np.linspace(0.0, 0.85, len(S["gammas"])))))
    for g in S["gammas"]:
        _band(ax, t, result.corr[g], gcolors[g], rf"$\gamma$ = {g:.3g} ($w$ = {w[g]:.2f})")
        vs = vstar[g]
        ax.plot(t, [vs + (1 - vs) * ((1 - w[g]) * lam) ** s for s in t], color="k", lw=0.9, ls=":")
    ax.plot([], [], color="k", lw=0.9, ls=":", label=r"theory $v_t = w + (1-w)\lambda v_{t-1}$")
    ax.set_xlabel("generation t")
    ax.set_ylabel(r"variance ratio $v_t = \sigma_t^2 / \sigma_0^2$")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right", fontsize=8, ncol=2)
    return fig


def table_corrector(result: Result) -> pd.DataFrame:
    """Stationary variance ratio per corrector strength γ > 0: simulated and w/(1 − (1 − w)λ)."""
    w, vstar, tail = _corrector(result)
    return pd.DataFrame(
        {
            "γ": list(tail.columns),
            "w = γ/(1+γ)": [w[g] for g in tail.columns],
            "simulated v*": tail.mean().to_numpy(),
            "theory w/(1-(1-w)λ)": [vstar[g] for g in tail.columns],
        }
    ).round(4)


def figure_one_axis(result: Result) -> plt.Figure:
    """Steady states of the three mechanisms against their effective real fraction w, with v*(w)."""
    lam = result.sizes["lam"]
    points, _, _ = _points(result)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    wg = np.linspace(0, 1, 300)
    ax.plot(
        wg, [st.steady_state_ratio(w, lam) for w in wg], color="k", lw=1.4, label=rf"theory $v^* = w/(1-(1-w)\lambda)$, $\lambda$ = {lam:g}"
    )
    ax.plot(wg, wg, color="0.6", lw=1, ls="--", label=r"$v^* = w$ ($\lambda \to 0$)")
    styles = {"fresh data loop": ("o", "C0", -0.012), "fixed real set": ("s", "C1", 0.0), "corrector, no real data": ("D", "C2", 0.012)}
    labels = {
        "fresh data loop": r"fresh data loop, $w = n_r/(n_r+n_s)$",
        "fixed real set": r"fixed real set, $w = 1/(1+\lambda_B)$",
        "corrector, no real data": r"corrector, $w = \gamma/(1+\gamma)$",
    }
    for mech, (marker, color, shift) in styles.items():
        ws = [w for m, w, _ in points if m == mech]
        ms, hs = zip(*[mean_halfwidth(v) for m, _, v in points if m == mech])
        ax.errorbar(np.array(ws) + shift, ms, yerr=hs, fmt=marker, color=color, ms=6, capsize=2, label=labels[mech])
    ax.set_xlabel(r"effective real fraction $w$ of each training set")
    ax.set_ylabel(r"steady-state variance ratio $v^* = \sigma_\infty^2/\sigma_{\mathrm{real}}^2$")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def table_one_axis(result: Result) -> pd.DataFrame:
    """The ten steady states: w, simulated v*, the theory and the deviation in %."""
    points, frame, prediction = _points(result)
    deviation = 100 * (frame.mean().to_numpy() / prediction - 1)
    return pd.DataFrame(
        {"w": [w for _, w, _ in points], "simulated v*": frame.mean().to_numpy(), "theory": prediction, "deviation (%)": deviation},
        index=[m for m, _, _ in points],
    ).round(4)


# --------------------------------------------------------------------------- prose and claims


def numbers(result: Result) -> dict[str, float]:
    """The numbers of the prose, by glue name."""
    S = result.sizes
    h, eps, lam, tail = S["h"], S["eps"], S["lam"], S["kde_tail"]
    observed, simple, exact = _kde_excess(result)
    fs_slope, fs_slope_th = _fs_slopes(result)
    out: dict[str, float] = {
        "hm_kde_nr": S["kde_n_r"],
        "hm_kde_h": h,
        "hm_kde_eps": eps,
        "hm_kde_chains": S["kde_chains"],
        "hm_fs_chains": S["fs_chains"],
        "hm_kde_gens": S["kde_generations"],
    }
    for lb, obs, simple_lb in zip(S["lam_bs"], observed.mean(), simple):
        out[f"hm_kde_ex_{int(10 * lb)}"] = obs
        out[f"hm_kde_simple_{int(10 * lb)}"] = simple_lb
    out["hm_kde_simple_gap"] = 100 * np.max(np.abs(exact / simple - 1))
    out["hm_fs_slope"] = fs_slope.mean() / h**2
    out["hm_fs_slope_th"] = fs_slope_th / h**2
    out["hm_eps_end_3"] = result.kde_eps[3.0][:, -1].mean()
    out["hm_eps_rate_3"] = (1 + eps) * 3 / 4
    out["hm_eps_v_1"] = result.kde_eps[1.0][:, -tail:].mean()
    out["hm_eps_v_15"] = result.kde_eps[1.5][:, -tail:].mean()
    out["hm_g_ns"] = S["n_s"]
    out["hm_g_lam"] = lam
    out["hm_g_chains"] = S["chains"]
    out["hm_g_gens"] = S["generations"]
    _, vstar, corr_tail = _corrector(result)
    out["hm_corr_0_end"] = result.corr[0.0][:, -1].mean()
    for g in (0.25, 1.0, 4.0):
        out[f"hm_corr_{int(100 * g)}"] = corr_tail[g].mean()
        out[f"hm_corr_th_{int(100 * g)}"] = vstar[g]
    corr_dev = 100 * (corr_tail.mean() / pd.Series({g: vstar[g] for g in corr_tail.columns}) - 1)
    out["hm_corr_dev"] = corr_dev.abs().max()
    _, frame, prediction = _points(result)
    out["hm_one_dev"] = np.abs(100 * (frame.mean().to_numpy() / prediction - 1)).max()
    out["hm_vstar_01"] = st.steady_state_ratio(0.1, lam)
    out["hm_vstar_05"] = st.steady_state_ratio(0.5, lam)
    out["hm_w_for_90"] = (0.9 * (1 - lam)) / (1 - 0.9 * lam)
    out["hm_runtime"] = result.runtime
    return out


def claims(result: Result) -> ClaimsLedger:
    """Claims 36-40: the KDE loop's fixed point, growth and threshold; the corrector's steady state; one axis."""
    S = result.sizes
    eps, tail = S["eps"], S["kde_tail"]
    t_kde, t_g = np.arange(S["kde_generations"] + 1), np.arange(S["generations"] + 1)
    observed, simple, _ = _kde_excess(result)
    fs_slope, fs_slope_th = _fs_slopes(result)
    _, vstar, corr_tail = _corrector(result)
    _, one_axis, one_axis_pred = _points(result)
    ledger = ClaimsLedger("how_much_real_data", replicates="chains")
    ev = V.agrees_with_theory(observed, simple, 0.05, what="stationary excess variance vs h²(1 + λ_B), λ_B = 0.5, 1, 2")
    ledger.check(36, ev, part="fixed real set: excess settles at h²(1 + λ_B)")
    ledger.check(
        37,
        V.rises(pd.DataFrame(result.kde_fs, columns=t_kde), what="KDE variance, fully synthetic"),
        part="fully synthetic: variance rises",
    )
    ev = V.agrees_with_theory(fs_slope, fs_slope_th, 0.05, what="per-chain slope of the variance, first half, vs exact expectation")
    ledger.check(37, ev, part="fully synthetic: grows by h²(1 − O(1/n_s)) per generation")
    eps_tail = pd.DataFrame({lb: result.kde_eps[lb][:, -tail:].mean(axis=1) for lb in (1.0, 1.5)})
    eps_pred = np.array([st.kde_stationary_variance(lb, 0.0, eps) for lb in (1.0, 1.5)])
    ev = V.agrees_with_theory(eps_tail, eps_pred, 0.05, what="stationary variance vs (1 + ε)/(1 − ελ_B), ε = 0.5, λ_B = 1, 1.5")
    ledger.check(38, ev, part="ελ_B < 1: stable at (1 + ε)/(1 − ελ_B)")
    rate = np.log((1 + eps) * 3.0 / 4.0)
    ev = V.rises(
        pd.DataFrame(np.log(result.kde_eps[3.0]), columns=t_kde),
        what="log variance, ε = 0.5, λ_B = 3",
        start=S["kde_generations"] // 2,
        min_effect=rate / 2,
    )
    ledger.check(38, ev, part="ελ_B > 1: variance grows geometrically")
    ev = V.agrees_with_theory(
        corr_tail,
        np.array([vstar[g] for g in corr_tail.columns]),
        0.02,
        what="stationary variance ratio vs w/(1 − (1 − w)λ), w = γ/(1 + γ)",
    )
    ledger.check(39, ev, part="corrector: v* from w = γ/(1 + γ)")
    ev = V.ordered({f"{g:.3g}": corr_tail[g] for g in corr_tail.columns}, "increasing", what="stationary variance ratio", by="γ")
    ledger.check(39, ev, part="stronger corrector, larger v*")
    ev = V.falls(pd.DataFrame(result.corr[0.0], columns=t_g), what="variance ratio, no corrector, no real data")
    ledger.check(39, ev, part="no corrector: collapse")
    ev = V.agrees_with_theory(one_axis, one_axis_pred, 0.02, what="stationary variance ratio vs v*(w), three mechanisms")
    ledger.check(40, ev, part="fresh, fixed and corrected land on v*(w)")
    ev = V.same_limit(
        pd.DataFrame(result.fresh[9], columns=t_g),
        pd.DataFrame(result.fixed[9], columns=t_g),
        0.02,
        S["tail"],
        what="variance ratio at w = 0.1",
        names=("fresh data", "fixed real set"),
    )
    ledger.check(40, ev, part="fresh and fixed real data: same limit at equal w")
    return ledger
