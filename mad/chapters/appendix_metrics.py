"""Appendix "Metrics and their validation": the book's metrics checked against references and known answers.

The question: do the sample-based metrics of :mod:`mad.metrics` compute what their definitions say?
Precision and recall (Kynkäänniemi et al. 2019) and density and coverage (Naeem et al. 2020) count
samples inside k-NN balls :math:`B(x, r_k(x))`; the sliced Wasserstein distance (Bonneel et al. 2015)
averages one-dimensional optimal transport costs over random directions. The appendix

* compares the book's k-NN metrics with the ``prdc`` package and its sliced Wasserstein distance
  with POT's ``ot.sliced_wasserstein_distance`` on Gaussian sets (:func:`table_agreement`);
* scores cases whose answer follows from the definitions (:func:`table_known`);
* shows the textbook behaviour of the four k-NN scores under a shift, a rescaling and dropped modes
  (:func:`figure_textbook`);
* checks the grid and Rosenbrock measures of :mod:`mad.metrics.modes` on reference samples
  (:func:`table_modes`), and times the chunked k-NN implementation against the dense reference
  (:func:`table_cost`).

All parts draw from one generator seeded with the base seed, in this order.
"""

from __future__ import annotations

import contextlib
import io
import time
import tracemalloc
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import ot
import pandas as pd
from pandas.io.formats.style import Styler
from prdc import compute_prdc

import mad
from mad.chapters import ChapterResult
from mad.data import GridMixture, Rosenbrock
from mad.metrics.modes import average_modal_variance, modes_covered, rosenbrock_low_density_mass, rosenbrock_tail_mass, total_variance
from mad.metrics.neighbours import prdc
from mad.metrics.wasserstein import random_directions, sliced_wasserstein

KEYS = ["precision", "recall", "density", "coverage"]
# (d, k, shift, spread) of the agreement cases: real N(0, I_d) against N(shift, spread² I_d)
AGREEMENT_CASES = [(2, 5, 0.0, 1.0), (2, 5, 0.5, 1.0), (8, 5, 0.0, 0.7), (8, 3, 0.2, 1.3), (64, 5, 0.1, 1.0), (64, 10, 0.0, 1.5)]


@dataclass(repr=False)
class Result(ChapterResult):
    """The tables of the appendix, and the rows of the textbook figure (``shift``, ``scale``, ``modes``)."""

    sizes: dict
    agreement: pd.DataFrame
    known: pd.DataFrame
    textbook: dict[str, pd.DataFrame]
    modes: pd.DataFrame
    cost: pd.DataFrame


def reference_prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """The ``prdc`` package's precision, recall, density and coverage (dense, strict <), silenced."""
    with contextlib.redirect_stdout(io.StringIO()):
        out = compute_prdc(real, fake, nearest_k=k)
    return {key: float(out[key]) for key in KEYS}


def run(
    n_check: int | None = None,
    n_big: int | None = None,
    n_bench: int | None = None,
    d: int = 8,
    seed: int | None = None,
) -> Result:
    """All checks of the appendix, in the order of the page.

    ``n_check``: samples per set in the comparisons and the textbook cases; ``n_big``: reference samples
    for the grid and tail measures; ``n_bench``: samples per set in the cost comparison (64 dimensions);
    ``d``: the dimension of the shifted and rescaled Gaussians of the textbook figure.
    """
    sizes = dict(
        n_check=n_check or mad.by_scale(smoke=300, book=2000),
        n_big=n_big or mad.by_scale(smoke=5000, book=100_000),
        n_bench=n_bench or mad.by_scale(smoke=1000, book=5000),
        d=d,
        seed=mad.base_seed() if seed is None else seed,
    )
    rng = np.random.default_rng(sizes["seed"])
    grid = GridMixture()
    agreement = _agreement(rng, sizes["n_check"])
    known, grid_real = _known(rng, grid, sizes["n_check"])
    textbook = _textbook(rng, grid, grid_real, sizes["n_check"], d)
    modes = _modes(rng, grid, sizes["n_big"])
    cost = _cost(rng, sizes["n_bench"])
    return Result(sizes, agreement, known, textbook, modes, cost)


def _agreement(rng: np.random.Generator, n: int) -> pd.DataFrame:
    rows = []
    for d, k, shift, spread in AGREEMENT_CASES:
        real = rng.standard_normal((n, d))
        fake = shift + spread * rng.standard_normal((n + 137, d))
        ours, ref = prdc(real, fake, k=k), reference_prdc(real, fake, k=k)
        theta = random_directions(d, 64, random_state=d)
        sw_ours = sliced_wasserstein(real, fake, n_projections=64, random_state=d)
        sw_pot = float(ot.sliced_wasserstein_distance(real, fake, projections=theta))
        rows.append(
            {
                "d": d,
                "k": k,
                "fake": f"N({shift:g}, {spread:g}² I)",
                **{f"{key} (mad)": ours[key] for key in KEYS},
                "max |mad − prdc|": max(abs(ours[key] - ref[key]) for key in KEYS),
                "SW₂ (mad)": sw_ours,
                "|mad − POT|": abs(sw_ours - sw_pot),
            }
        )
    agreement = pd.DataFrame(rows)
    if not (agreement["max |mad − prdc|"].max() < 1e-9 and agreement["|mad − POT|"].max() < 1e-9):
        raise AssertionError("mad's metrics disagree with the reference implementations:\n" + agreement.to_string())
    return agreement


def _known(rng: np.random.Generator, grid: GridMixture, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    real_g = rng.standard_normal((n, 2))
    grid_real = grid.sample(n, rng)
    kept = grid.modes[:10]
    grid_ten = kept[rng.integers(0, 10, n)] + grid.std * rng.standard_normal((n, 2))
    point = np.zeros((n, 2))
    cases = {
        "identical sets": (real_g, real_g),
        "disjoint sets (shift 100)": (real_g, real_g + 100.0),
        "grid: 10 of 25 modes kept": (grid_real, grid_ten),
        "real vs a point at its mean": (real_g, point),
        "a point vs itself": (point, point),
    }
    rows = []
    for name, (real, fake) in cases.items():
        ours, ref = prdc(real, fake), reference_prdc(real, fake)
        rows.append({"case": name, **{f"{key}": ours[key] for key in KEYS}, **{f"{key} (prdc)": ref[key] for key in KEYS}})
    known = pd.DataFrame(rows)
    ident = known.set_index("case").loc["identical sets"]
    if not (ident["precision"] == ident["recall"] == ident["coverage"] == 1.0 and abs(ident["density"] - 1.2) < 1e-12):
        raise AssertionError(f"identical sets must score 1, 1, 6/5, 1; got\n{ident}")
    return known, grid_real


def _textbook(rng: np.random.Generator, grid: GridMixture, grid_real: np.ndarray, n: int, d: int) -> dict[str, pd.DataFrame]:
    real = rng.standard_normal((n, d))
    z = rng.standard_normal((n, d))
    shifts = np.linspace(0, 2, 9)
    scales = np.array([0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.2, 1.4, 1.7, 2.0])
    kept_m = np.array([1, 3, 5, 10, 15, 20, 25])
    shift_rows = [{"x": s, **prdc(real, z + s / np.sqrt(d))} for s in shifts]
    scale_rows = [{"x": s, **prdc(real, s * z)} for s in scales]
    mode_rows = []
    for m in kept_m:
        idx = rng.integers(0, m, n)
        fake = grid.modes[rng.permutation(25)[:m]][idx] + grid.std * rng.standard_normal((n, 2))
        mode_rows.append({"x": m, **prdc(grid_real, fake)})
    return {"shift": pd.DataFrame(shift_rows), "scale": pd.DataFrame(scale_rows), "modes": pd.DataFrame(mode_rows)}


def _modes(rng: np.random.Generator, grid: GridMixture, n: int) -> pd.DataFrame:
    g = grid.sample(n, rng)
    half = g[np.isin(np.argmin(((g[:, None] - grid.modes[None]) ** 2).sum(-1), axis=1), np.arange(0, 25, 2))]
    ros = Rosenbrock().sample(n, rng)
    rows = [
        {
            "set": name,
            "modes covered": modes_covered(X, grid.modes, grid.std),
            "total variance": total_variance(X),
            "modal variance": average_modal_variance(X, grid.modes),
        }
        for name, X in (("grid, all modes", g), ("grid, 13 modes kept", half))
    ]
    tails = [
        {
            "set": name,
            **{f"arm tips, α = {a:g}": rosenbrock_tail_mass(X, a) for a in (0.05, 0.01)},
            **{f"low density, α = {a:g}": rosenbrock_low_density_mass(X, a) for a in (0.05, 0.01)},
        }
        for name, X in (("Rosenbrock", ros), ("Rosenbrock, x₁ × 0.8", ros * [0.8, 1]))
    ]
    return pd.concat([pd.DataFrame(rows), pd.DataFrame(tails)], ignore_index=True)


def _cost(rng: np.random.Generator, n: int) -> pd.DataFrame:
    real64 = rng.standard_normal((n, 64))
    fake64 = 0.1 + 1.1 * rng.standard_normal((n, 64))
    cost = []
    for name, fn in [("mad.metrics.neighbours (chunked)", prdc), ("prdc package (dense)", reference_prdc)]:
        start = time.perf_counter()
        scores = fn(real64, fake64)
        seconds = time.perf_counter() - start
        tracemalloc.start()
        fn(real64, fake64)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        cost.append({"implementation": name, "time (s)": seconds, "peak memory (MiB)": peak, **scores})
    return pd.DataFrame(cost)


def figure_textbook(result: Result) -> plt.Figure:
    """The four k-NN scores of a shifted and a rescaled Gaussian and of a grid with dropped modes (three panels)."""
    d = result.sizes["d"]
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 6.6))
    axes[1, 1].remove()
    axes = axes.ravel()[:3]
    panels = [
        (result.textbook["shift"], f"mean shift $|\\mu_Y - \\mu_X|$ ($d = {d}$)"),
        (result.textbook["scale"], f"scale $s$ of the generated spread ($d = {d}$)"),
        (result.textbook["modes"], "modes kept (of 25)"),
    ]
    for ax, (frame, xlabel) in zip(axes, panels):
        for i, key in enumerate(KEYS):
            ax.plot(frame["x"], frame[key], marker="o", ms=4, color=f"C{i}", label=key)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("score")
    kept_m = result.textbook["modes"]["x"].to_numpy()
    axes[1].axvline(1.0, color="0.5", lw=0.8, ls=":")
    axes[2].plot(kept_m, kept_m / 25, ls="--", color="k", lw=0.8, label="m / 25")
    axes[0].legend(loc="lower left", fontsize=9)
    axes[2].legend(handles=axes[2].get_lines()[-1:], loc="lower right", fontsize=9)
    axes[1].set_ylim(0, 2.2)
    fig.tight_layout()
    return fig


def table_agreement(result: Result) -> Styler:
    """The book's metrics against ``prdc`` and POT (the table of agreement, as shown)."""
    return result.agreement.style.format(precision=4).hide(axis="index")


def table_known(result: Result) -> Styler:
    """Scores of the book and of ``prdc`` on cases with a known answer, as shown."""
    return result.known.style.format(precision=3).hide(axis="index")


def table_modes(result: Result) -> Styler:
    """Grid measures and Rosenbrock tail masses on reference and damaged samples, as shown."""
    return result.modes.style.format({"modes covered": "{:.0f}"}, precision=4, na_rep="").hide(axis="index")


def table_cost(result: Result) -> Styler:
    """Wall time and peak NumPy memory of the two k-NN implementations, as shown."""
    return result.cost.style.format(precision=3).hide(axis="index")


def tables(result: Result) -> dict[str, Styler]:
    """The shown tables by glue name, for :func:`mad.results.glue_all` (each is a ``{glue:figure}`` of the page)."""
    return {
        "app_agreement_table": table_agreement(result),
        "app_known_table": table_known(result),
        "app_modes_table": table_modes(result),
        "app_cost_table": table_cost(result),
    }


def numbers(result: Result) -> dict[str, float]:
    """The numbers of the prose, by glue name."""
    scale = result.textbook["scale"]
    return {
        "app_n_check": result.sizes["n_check"],
        "app_max_prdc_diff": float(result.agreement["max |mad − prdc|"].max()),
        "app_max_sw_diff": float(result.agreement["|mad − POT|"].max()),
        "app_self_recall": float(scale.loc[scale["x"] == 1.0, "recall"].iloc[0]),
        "app_n_big": result.sizes["n_big"],
        "app_n_bench": result.sizes["n_bench"],
    }
