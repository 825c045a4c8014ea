"""Benchmark: one n_e/n_r heatmap of the paper's Figure 11 (λ = 0.85) at book scale, timed.

Runs the 5 x 7 grid over (n_r, n_s) twice, with two base seeds, prints the table of n_e/n_r,
the wall time of each run, and how many cells change their admissible verdict between the two
seeds (the stability of the boundary). Saves the heatmap of the first seed to ``--out``.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_heatmap.py [--lam 0.85] [--chains 4] [--out heatmap.png]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mad.effective_size import FIG11_N_R, FIG11_N_S, effective_size_grid, plot_ratio_heatmap, real_only_curve  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lam", type=float, default=0.85)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs=2, default=(2024, 2025))
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--out", default="bench_heatmap.png")
    args = parser.parse_args()

    start = time.perf_counter()
    real_only_curve(100)
    print(f"real-only curve (49 sizes x 64 fits, d = 100): {time.perf_counter() - start:.1f} s")
    cells = [(n_r, n_s, args.lam) for n_r in FIG11_N_R for n_s in FIG11_N_S]
    grids = []
    for seed in args.seeds:
        start = time.perf_counter()
        grid = effective_size_grid(cells, chains=args.chains, window=args.window, seed=seed, max_workers=args.workers)
        elapsed = time.perf_counter() - start
        chain_gens = int(((grid["burn_in"] + grid["window"]) * grid["chains"]).sum())
        print(
            f"\nseed {seed}: {len(cells)} cells, {chain_gens:,} chain-generations, {elapsed:.1f} s wall on {args.workers or os.cpu_count()} workers"
        )
        print(grid.pivot_table(index="n_s", columns="n_r", values="ratio").round(3).to_string())
        grids.append(grid)
    a, b = grids
    flips = int((a["admissible"] != b["admissible"]).sum())
    undecided = int((~a["decided"]).sum())
    print(f"\nadmissible verdicts that differ between seeds {args.seeds[0]} and {args.seeds[1]}: {flips} of {len(a)} cells")
    print(f"cells within 2 standard errors of n_e = n_r (seed {args.seeds[0]}): {undecided}")
    print(
        f"largest |difference| in n_e/n_r between seeds: {(a['ratio'] - b['ratio']).abs().max():.4f}; median ratio SE: {a['ratio_se'].median():.4f}"
    )
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    plot_ratio_heatmap(a, ax=ax, title=f"$n_e/n_r$, λ = {args.lam:g}, d = 100")
    fig.tight_layout()
    fig.savefig(args.out, dpi=130)
    print(f"figure: {args.out}")


if __name__ == "__main__":
    main()
