"""Effective sample size of the Gaussian fresh data loop, and the "admissible" test.

Alemohammad et al. (2024, Sec. 5, Eqs. 3-4). In the fresh data loop every generation trains on
n_r fresh real samples plus n_s synthetic samples drawn at bias λ from the previous model(s).
The distance to P_r converges to a steady state that forgets the start,

    WD(n_r, n_s, λ) = lim_{t→∞} E[dist(G_t, P_r)],

and the **effective sample size** n_e is the number of purely real samples whose fitted
Gaussian G(n) is, in expectation, as far from P_r:

    E[dist(G(n_e), P_r)] = WD(n_r, n_s, λ).

Synthetic data is **admissible** when n_e ≥ n_r: the n_s synthetic samples then act like extra
real samples instead of removing some. Here P_r = N(0, I_d) (d = 100 in the paper), the model is
the unbiased Gaussian fit of Eq. (1) and dist is W2² (the tests and the fresh data chapter show
that the paper's "WD" axis matches W2², not W2).

Both sides are Monte Carlo estimates, with stated errors:

* the **real-only curve** E W2²(G(n), P_r) (:func:`real_only_curve`) is estimated on a log grid of
  n by ``samples`` independent fits per n, and interpolated linearly in (log n, log W2²). For
  n ≫ d it approaches the closed form d/n + d(d+1)/(4(n-1)); :func:`marchenko_pastur_w2_squared`
  gives the large-d limit for every n and serves as a check;
* the **steady state** (:func:`steady_state`) is the average of W2²(G_t, P_r) over a window of
  generations after a burn-in, in ``chains`` independent chains simulated exactly from sufficient
  statistics (:func:`mad.gaussian_chains.stationary_w2_squared`). Its standard error is the spread
  of the per-chain averages over √chains (chains are independent; generations within a chain
  are not).

The burn-in is 4 relaxation times plus K + 5 generations, capped at ``max_burn_in``. The mean of a
Gaussian fresh data loop relaxes like a first-order filter: with ρ = n_s/(n_r + n_s), each
generation keeps a fraction λρ of its predecessor's deviation from the steady state, spread over
the last K models (mean lag (K + 1)/2), so τ = (K + 1)/(2 (1 - λρ)). Chains start from a model
fitted to n_init = n_r + min(n_s, n_r) real samples (the steady state does not depend on it);
``trend`` (last half of the window minus first half, relative) flags a burn-in that was too short.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from mad.executors import run_tasks, task_threads
from mad.gaussian_chains import _w2_squared_to_standard, draw_stats, stationary_w2_squared
from mad.loops import Schedule, fresh_data
from mad.seeding import derive_seed, rng
from mad.validation import check_array, check_int, check_lam, check_number

#: the paper's dimension for every Gaussian fresh data experiment
D_PAPER = 100

#: book-scale grids of the paper's Figure 11 (over n_r and n_s, per λ) and Figure 12 (over λ and n_s, per n_r)
FIG11_N_R: tuple[int, ...] = (100, 178, 316, 562, 1000)
FIG11_N_S: tuple[int, ...] = (100, 215, 464, 1000, 2154, 4642, 10000)
FIG11_LAMS: tuple[float, ...] = (0.7, 0.85, 1.0)
FIG12_LAMS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
FIG12_N_S: tuple[int, ...] = (10, 32, 100, 316, 1000, 3162, 10000)
FIG12_N_R: tuple[int, ...] = (100, 250, 1000)


# --------------------------------------------------------------------------------------------
# the real-only curve n -> E W2²(G(n), P_r)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealOnlyCurve:
    """E W2²(G(n), N(0, I_d)) for a Gaussian fitted to n real samples, on a grid of n."""

    d: int
    n: np.ndarray  # grid of sample sizes (increasing)
    w2_squared: np.ndarray  # Monte Carlo mean at each n
    se: np.ndarray  # its standard error
    samples: int

    def __call__(self, n: float | np.ndarray) -> np.ndarray | float:
        """E W2² at ``n`` (log-log interpolation inside the grid)."""
        value = np.exp(np.interp(np.log(n), np.log(self.n), np.log(self.w2_squared)))
        return float(value) if np.ndim(value) == 0 else value

    def inverse(self, w2_squared: float | np.ndarray) -> np.ndarray | float:
        """The n with E W2²(G(n)) = ``w2_squared`` (clipped to the grid; the curve is decreasing)."""
        logw = np.log(np.maximum(np.asarray(w2_squared, dtype=float), 1e-300))
        value = np.exp(np.interp(logw, np.log(self.w2_squared[::-1]), np.log(self.n[::-1])))
        return float(value) if np.ndim(value) == 0 else value

    def slope(self, n: float) -> float:
        """d log E W2² / d log n at ``n`` (from the grid)."""
        logn, logw = np.log(self.n), np.log(self.w2_squared)
        i = int(np.clip(np.searchsorted(logn, np.log(n)) - 1, 0, len(logn) - 2))
        return float((logw[i + 1] - logw[i]) / (logn[i + 1] - logn[i]))

    def relative_se(self, n: float) -> float:
        """Relative standard error of the curve at ``n`` (interpolated)."""
        return float(np.interp(np.log(n), np.log(self.n), self.se / self.w2_squared))


@lru_cache(maxsize=8)
def real_only_curve(d: int = D_PAPER, n_max: int = 200_000, points: int = 49, samples: int = 64, seed: int = 0) -> RealOnlyCurve:
    """Monte Carlo E W2²(G(n), N(0, I_d)) on ``points`` log-spaced n from 2 to ``n_max`` (cached).

    Each n gets ``samples`` independent fits, drawn exactly from the sufficient statistics
    (sample mean ~ N(0, I/n), scatter ~ W_d(I, n - 1)); draws use ``rng(seed, 0, f"real-only n={n}")``.
    """
    d = check_int("d", d, minimum=1)
    n_max = check_int("n_max", n_max, minimum=3)
    points = check_int("points", points, minimum=2)
    samples = check_int("samples", samples, minimum=2)
    grid = np.unique(np.round(np.geomspace(2, n_max, points)).astype(np.int64))
    mean = np.empty(grid.size)
    se = np.empty(grid.size)
    with task_threads():  # one BLAS thread: the same bits whatever the process's thread count
        for i, n in enumerate(grid):
            stats = draw_stats(int(n), np.zeros((samples, d)), None, rng(seed, 0, f"real-only n={n}"))
            mu, cov = stats.fit()
            w = _w2_squared_to_standard(mu, cov)
            mean[i], se[i] = w.mean(), w.std(ddof=1) / math.sqrt(samples)
    return RealOnlyCurve(d, grid.astype(float), mean, se, samples)


def asymptotic_real_w2_squared(n: float | np.ndarray, d: int = D_PAPER) -> np.ndarray | float:
    """Large-n closed form E W2²(G(n), N(0, I_d)) ≈ d/n + d(d + 1)/(4(n - 1)).

    From |x̄|² (mean d/n) plus Σ_i (√eig_i - 1)² = tr Σ̂ + d - 2 tr Σ̂^{1/2}, expanding
    Σ̂ = I + E to second order: E tr (I + E)^{1/2} ≈ d - E tr E²/8 with E tr E² = d(d + 1)/(n - 1).
    """
    d = check_int("d", d, minimum=1)
    n = check_array("n", n)
    if np.any(n <= 1):
        raise ValueError(f"n must be > 1 (the 1/(n - 1) covariance needs two samples); got {n.min():g}")
    value = d / n + d * (d + 1) / (4.0 * (n - 1.0))
    return float(value) if np.ndim(value) == 0 else value


def marchenko_pastur_w2_squared(n: float, d: int = D_PAPER) -> float:
    """Large-d limit of E W2²(G(n), N(0, I_d)): d/n + 2d (1 - E√x) with x ~ Marchenko-Pastur(γ = d/(n - 1)).

    The eigenvalues of Σ̂ = S/(n - 1) follow the Marchenko-Pastur law with ratio γ (an atom of
    mass 1 - 1/γ at 0 when γ > 1); E tr Σ̂ = d exactly.
    """
    from scipy.integrate import quad

    d = check_int("d", d, minimum=1)
    n = check_number("n", n, 1.0, low_open=True)
    gamma = d / (n - 1.0)
    lo, hi = (1 - math.sqrt(gamma)) ** 2, (1 + math.sqrt(gamma)) ** 2

    def density(x: float) -> float:
        return math.sqrt(max((hi - x) * (x - lo), 0.0)) / (2 * math.pi * gamma * x)

    root_mean, _ = quad(lambda x: math.sqrt(x) * density(x), lo, hi, limit=200)
    # with γ > 1 the continuous part carries mass 1/γ; the atom at 0 adds nothing to E√x
    return d / n + 2 * d * (1.0 - root_mean)


# --------------------------------------------------------------------------------------------
# the steady state of a fresh data loop and n_e
# --------------------------------------------------------------------------------------------


def relaxation_time(n_r: int, n_s: int, lam: float, k: int = 1) -> float:
    """τ = (K + 1) / (2 (1 - λρ)), ρ = n_s/(n_r + n_s): generations for the loop to forget its start."""
    n_r = check_int("n_r", n_r, minimum=0)
    n_s = check_int("n_s", n_s, minimum=0)
    lam = check_lam(lam)
    k = check_int("k (K, models remembered)", k, minimum=1)
    if n_r + n_s < 1:
        raise ValueError("n_r + n_s must be >= 1 (rows per generation); got n_r = n_s = 0")
    rho = n_s / (n_r + n_s)
    if lam * rho >= 1.0:
        raise ValueError(
            f"relaxation_time needs λ n_s/(n_r + n_s) < 1; with n_r = {n_r} and lam = {lam:g} the loop never forgets its "
            "start (no fresh real data at λ = 1): give n_r >= 1 or lam < 1"
        )
    return (k + 1) / 2.0 / (1.0 - lam * rho)


def default_burn_in(n_r: int, n_s: int, lam: float, k: int = 1, max_burn_in: int = 600) -> int:
    """4 τ + K + 5 generations, capped at ``max_burn_in`` (see :func:`relaxation_time`)."""
    max_burn_in = check_int("max_burn_in", max_burn_in, minimum=0)
    return int(min(max_burn_in, math.ceil(4 * relaxation_time(n_r, n_s, lam, k)) + k + 5))


def cell_schedule(n_r: int, n_s: int, lam: float, k: int = 1, n_init: int | None = None) -> Schedule:
    """The fresh data schedule of one (n_r, n_s, λ, K) cell, started from ``n_init`` real samples."""
    n_r = check_int("n_r", n_r, minimum=1)
    n_s = check_int("n_s", n_s, minimum=0)
    k = check_int("k (K, models remembered)", k, minimum=1)
    lam = check_lam(lam)
    start = n_r + min(n_s, n_r) if n_init is None else check_int("n_init", n_init, minimum=2)
    return fresh_data(n_r, n_s, lam=lam, n_init=max(start, 2), k=k)


@dataclass(frozen=True)
class SteadyState:
    """Steady-state W2² of one fresh data configuration, with its Monte Carlo error."""

    n_r: int
    n_s: int
    lam: float
    k: int
    d: int
    w2_squared: float  # mean over chains and window
    se: float  # standard error (spread of per-chain means / √chains)
    chains: int
    burn_in: int
    window: int
    capped: bool  # burn-in hit max_burn_in (τ long): the estimate may carry some of the start
    trend: float  # (mean of last half of window - first half) / mean: a transient flag


def steady_state(
    n_r: int,
    n_s: int,
    lam: float,
    d: int = D_PAPER,
    k: int = 1,
    chains: int = 4,
    window: int = 10,
    burn_in: int | None = None,
    max_burn_in: int = 600,
    n_init: int | None = None,
    seed: int = 0,
) -> SteadyState:
    """Steady-state E W2²(G_t, N(0, I_d)) of the fresh data loop (n_r fresh real, n_s synthetic at λ per generation).

    ``k`` > 1 draws each synthetic sample from one of the last K models (App. G, Exp. 1). The
    chains use seed ``derive_seed(seed, 0, "steady n_r=.. n_s=.. lam=.. k=..")``, so the same cell
    gives the same numbers in every figure that contains it.
    """
    schedule = cell_schedule(n_r, n_s, lam, k, n_init)
    d = check_int("d", d, minimum=1)
    chains = check_int("chains", chains, minimum=2)
    window = check_int("window", window, minimum=2)
    target = default_burn_in(n_r, n_s, schedule.lam, schedule.k, max_burn_in=10**9)
    burn = min(target, max_burn_in) if burn_in is None else check_int("burn_in", burn_in, minimum=0)
    cell_seed = derive_seed(seed, 0, f"steady n_r={n_r} n_s={n_s} lam={schedule.lam:.6g} k={schedule.k}")
    w = stationary_w2_squared(schedule, d, chains, burn, window, seed=cell_seed)
    per_chain = w.mean(axis=0)
    half = window // 2
    mean = float(per_chain.mean())
    trend = float((w[half:].mean() - w[:half].mean()) / mean)
    return SteadyState(
        n_r=int(n_r),
        n_s=int(n_s),
        lam=schedule.lam,
        k=schedule.k,
        d=d,
        w2_squared=mean,
        se=float(per_chain.std(ddof=1) / math.sqrt(chains)),
        chains=chains,
        burn_in=burn,
        window=window,
        capped=burn < target,
        trend=trend,
    )


@dataclass(frozen=True)
class EffectiveSize:
    """n_e of one configuration, its error and the admissible verdict n_e ≥ n_r."""

    steady: SteadyState
    n_e: float
    n_e_se: float  # delta method: (steady-state SE and curve SE, relative) / |d log W/d log n| × n_e

    @property
    def ratio(self) -> float:
        """n_e / n_r (the colour of the paper's Figures 11 and 12)."""
        return self.n_e / self.steady.n_r

    @property
    def ratio_se(self) -> float:
        return self.n_e_se / self.steady.n_r

    @property
    def admissible(self) -> bool:
        """The n_s synthetic samples act like at least as many real samples as they displace: n_e ≥ n_r."""
        return self.n_e >= self.steady.n_r

    @property
    def decided(self) -> bool:
        """Whether the admissible verdict is outside ±2 standard errors of the boundary n_e = n_r."""
        return abs(self.n_e - self.steady.n_r) > 2 * self.n_e_se

    def as_row(self) -> dict:
        return {
            **asdict(self.steady),
            "n_e": self.n_e,
            "n_e_se": self.n_e_se,
            "ratio": self.ratio,
            "ratio_se": self.ratio_se,
            "admissible": self.admissible,
            "decided": self.decided,
        }


def effective_size_of(steady: SteadyState, curve: RealOnlyCurve | None = None) -> EffectiveSize:
    """n_e solving E W2²(G(n_e)) = the steady state, by inverting the real-only curve."""
    curve = real_only_curve(steady.d) if curve is None else curve
    if curve.d != steady.d:
        raise ValueError(f"the real-only curve is for d = {curve.d} but the steady state for d = {steady.d}")
    n_e = curve.inverse(steady.w2_squared)
    rel = math.hypot(steady.se / steady.w2_squared, curve.relative_se(n_e))
    n_e_se = n_e * rel / abs(curve.slope(n_e))
    return EffectiveSize(steady, float(n_e), float(n_e_se))


def effective_sample_size(
    n_r: int,
    n_s: int,
    lam: float,
    d: int = D_PAPER,
    k: int = 1,
    chains: int = 4,
    window: int = 10,
    seed: int = 0,
    **kwargs,
) -> EffectiveSize:
    """n_e(n_r, n_s, λ): the real sample size as good as the fresh data loop's steady state.

    Example: ``effective_sample_size(100, 1000, 0.85).ratio`` is n_e/n_r for 100 fresh real and
    1000 synthetic samples per generation drawn at λ = 0.85 (d = 100); ``.n_e_se`` is its
    Monte Carlo standard error. More ``chains`` or a longer ``window`` shrink the error.
    Extra keyword arguments go to :func:`steady_state` (``burn_in``, ``max_burn_in``, ``n_init``).
    """
    steady = steady_state(n_r, n_s, lam, d=d, k=k, chains=chains, window=window, seed=seed, **kwargs)
    return effective_size_of(steady)


def is_admissible(n_r: int, n_s: int, lam: float, **kwargs) -> bool:
    """Whether n_s synthetic samples at bias λ per generation are admissible next to n_r fresh real ones (n_e ≥ n_r)."""
    return effective_sample_size(n_r, n_s, lam, **kwargs).admissible


# --------------------------------------------------------------------------------------------
# many cells at once (the heatmaps)
# --------------------------------------------------------------------------------------------


def _steady_task(args: tuple) -> SteadyState:
    """One cell, on one BLAS thread set inside the task (:func:`mad.executors.task_threads`): the
    same bits in this process or a worker, whatever the machine's thread count (multi-threaded BLAS
    rounds matrix products differently)."""
    cell, kwargs = args
    n_r, n_s, lam, *k = cell
    with task_threads():
        return steady_state(n_r, n_s, lam, k=k[0] if k else 1, **kwargs)


def steady_states(
    cells: Iterable[Sequence],
    d: int = D_PAPER,
    chains: int = 4,
    window: int = 10,
    seed: int = 0,
    max_burn_in: int = 600,
    max_workers: int | None = None,
    progress: bool = False,
    executor: str | None = None,
) -> list[SteadyState]:
    """:func:`steady_state` of every cell ``(n_r, n_s, λ)`` or ``(n_r, n_s, λ, K)``, in parallel.

    The cells run on :func:`mad.executors.run_tasks` (``executor``: ``None`` chooses from
    ``MAD_EXECUTOR`` / ``MAD_DASK_SCHEDULER``, else local processes); ``max_workers`` defaults to
    the CPU count; 1 runs in this process. Every cell gives the same bits on every executor.
    Results keep the order of ``cells``; the most expensive cells are submitted first to balance
    the workers.
    """
    cells = [tuple(c) for c in cells]
    if not cells:
        raise ValueError("cells is empty: nothing to compute")
    for c in cells:
        if len(c) not in (3, 4):
            raise ValueError(f"each cell must be (n_r, n_s, lam) or (n_r, n_s, lam, k); got {c!r}")
        cell_schedule(*c)  # validates early, with clear messages
    kwargs = {"d": d, "chains": chains, "window": window, "seed": seed, "max_burn_in": max_burn_in}

    def cost(c: tuple) -> float:
        k = c[3] if len(c) == 4 else 1
        return (default_burn_in(c[0], c[1], c[2], k, max_burn_in) + window) * (1 + 0.6 * k)

    order = sorted(range(len(cells)), key=lambda i: -cost(cells[i]))
    tasks = [(cells[i], kwargs) for i in order]
    from mad.config import progress_bar as tqdm

    with tqdm(total=len(tasks), disable=not progress, desc="cells") as bar:
        results = run_tasks(_steady_task, tasks, executor=executor, max_workers=max_workers, on_result=lambda i, r: bar.update())
    out: list[SteadyState | None] = [None] * len(cells)
    for i, res in zip(order, results):
        out[i] = res
    return out  # type: ignore[return-value]


def effective_size_grid(cells: Iterable[Sequence], **kwargs) -> pd.DataFrame:
    """One row per cell: the steady state, n_e, n_e/n_r with standard errors, admissible, decided.

    Keyword arguments go to :func:`steady_states` (``d``, ``chains``, ``window``, ``seed``,
    ``max_burn_in``, ``max_workers``).
    """
    states = steady_states(cells, **kwargs)
    curve = real_only_curve(states[0].d)
    return pd.DataFrame([effective_size_of(s, curve).as_row() for s in states])


def critical_n_s(grid: pd.DataFrame, by: Sequence[str] = ("lam", "n_r")) -> pd.DataFrame:
    """The admissible threshold of n_s in each group of a grid: the largest admissible n_s below the
    first inadmissible one (``n_s_ok``), and that first inadmissible n_s (``n_s_bad``; NaN if none).

    The threshold lies between the two; the geometric mean ``n_s_star`` is reported as its estimate.
    """
    missing = [c for c in (*by, "n_s", "admissible") if c not in getattr(grid, "columns", ())]
    if missing:
        raise ValueError(f"grid must be an effective_size_grid table; it lacks the columns {missing}")
    rows = []
    for key, group in grid.groupby(list(by)):
        g = group.sort_values("n_s")
        bad = g[~g["admissible"]]
        first_bad = float(bad["n_s"].iloc[0]) if len(bad) else float("nan")
        ok = g[(g["n_s"] < first_bad) & g["admissible"]] if len(bad) else g[g["admissible"]]
        last_ok = float(ok["n_s"].iloc[-1]) if len(ok) else float("nan")
        star = math.sqrt(last_ok * first_bad) if len(ok) and len(bad) else float("nan")
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))), "n_s_ok": last_ok, "n_s_bad": first_bad, "n_s_star": star})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# the paper's heatmaps (Figures 11 and 12)
# --------------------------------------------------------------------------------------------


def _tick(v: float) -> str:
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:g}"


def plot_ratio_heatmap(
    grid: pd.DataFrame,
    x: str = "n_r",
    y: str = "n_s",
    ax=None,
    vmax: float = 3.0,
    title: str = "",
    annotate: bool = True,
    colorbar: bool = True,
):
    """Heatmap of n_e/n_r over two grid columns (one cell per grid point; axes log-spaced as the grid).

    Blue cells are admissible (n_e ≥ n_r), red ones are not (colour scale centred at 1, as the
    paper's Figures 11-12); a black line traces the admissible boundary; each cell shows its value.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    table = grid.pivot_table(index=y, columns=x, values="ratio")
    xs, ys = table.columns.to_numpy(), table.index.to_numpy()
    values = table.to_numpy()
    if ax is None:
        _, ax = plt.subplots(figsize=(4.6, 3.8))
    norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=vmax)
    image = ax.imshow(values, origin="lower", cmap="RdBu", norm=norm, aspect="auto")
    ok = values >= 1
    for i in range(len(ys)):
        for j in range(len(xs)):
            if annotate:
                shade = abs(norm(values[i, j]) - 0.5) > 0.3
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=7, color="white" if shade else "black")
            if j + 1 < len(xs) and ok[i, j] != ok[i, j + 1]:
                ax.plot([j + 0.5, j + 0.5], [i - 0.5, i + 0.5], color="black", lw=2)
            if i + 1 < len(ys) and ok[i, j] != ok[i + 1, j]:
                ax.plot([j - 0.5, j + 0.5], [i + 0.5, i + 0.5], color="black", lw=2)
    ax.set_xticks(range(len(xs)), [_tick(v) for v in xs], rotation=45 if len(xs) > 6 else 0)
    ax.set_yticks(range(len(ys)), [_tick(v) for v in ys])
    labels = {"n_r": "fresh real samples per generation $n_r$", "n_s": "synthetic samples per generation $n_s$", "lam": "sampling bias λ"}
    ax.set_xlabel(labels.get(x, x))
    ax.set_ylabel(labels.get(y, y))
    ax.grid(False)
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="$n_e / n_r$", shrink=0.9)
    return image
