"""The GAN chapter's first generation G_1, timed and scored: the chosen WGAN-GP settings against the old ones.

For each configuration and each of ``--seeds`` seeds, ``WGANGP.fit`` trains from scratch on the
first ``--n`` images of the digits training pool (the cost is a fixed number of generator steps,
so an accumulated training set costs the same), then ``--n-eval`` samples at ψ = 1 are scored
against the held-out evaluation set (597 images) in the digits feature space: FID, precision and
recall (k = 5), and two unconditional legibility measures (the model has no labels, so the
conditional legibility of :func:`mad.features.image_metrics` does not apply): the share of samples
that the feature space's classifier assigns to one class with probability >= 0.5 and >= 0.9.
``classes`` is the effective number of predicted classes, exp(entropy), as in the chapter. The
chosen configuration is also scored at ψ = 0.7 (truncation must raise precision and lower
recall). A row of real training digits gives the floor. Fits run on one torch/BLAS thread, as in
the book's process pool; wall and CPU (``time.process_time``) seconds are both reported, since
wall time is inflated on a machine shared with other jobs. Means over seeds, worst in brackets.

Run: ``.venv/bin/python benchmarks/bench_wgan.py [--n 1200] [--n-eval 2000] [--seeds 3]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

#: the settings before this benchmark's search (300 generator steps, 3 critic steps each, no EMA)
OLD = dict(n_steps=300, n_critic=3, lr=1e-3, gp_weight=10.0, betas=(0.5, 0.9), ema_decay=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1200, help="training images (the chapter's book setting: 1200)")
    parser.add_argument("--n-eval", type=int, default=2000, help="samples for the metrics")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    torch.set_num_threads(1)
    from mad.features import digits_feature_space, digits_split, image_metrics
    from mad.models.wgan import WGANGP

    split = digits_split(0)
    space = digits_feature_space(0)
    real_features = space.transform(split.eval_X)
    X = split.train.X[: args.n]

    def scores(S: np.ndarray) -> dict[str, float]:
        out = image_metrics(space, split.eval_X, S, real_features=real_features)
        with torch.no_grad():
            prob = torch.softmax(space.head_(torch.as_tensor(space.transform(S), dtype=torch.float32)), dim=1).numpy()
        out["leg>=.5"], out["leg>=.9"] = float(np.mean(prob.max(1) >= 0.5)), float(np.mean(prob.max(1) >= 0.9))
        share = np.bincount(prob.argmax(1), minlength=10) / len(S)
        out["classes"] = float(np.exp(-np.sum(share[share > 0] * np.log(share[share > 0]))))
        return out

    def line(name: str, rows: list[dict[str, float]]) -> None:
        worst = {"fid": max, "precision": min, "leg>=.5": min, "leg>=.9": min}
        cells = []
        for key in rows[0]:
            values = [r[key] for r in rows]
            cell = f"{key} {np.mean(values):.3g}" if key in ("fit_s", "cpu_s", "fid") else f"{key} {np.mean(values):.3f}"
            if key in worst and len(rows) > 1:
                cell += f" [{worst[key](values):.3g}]"
            cells.append(cell)
        print(f"  {name:28s} " + ", ".join(cells))

    print(f"WGAN-GP G_1 on {len(X)} training digits, {args.n_eval} samples, {args.seeds} seeds, 1 thread: mean [worst]")
    line("real digits (floor)", [scores(X)])
    for name, params in (("chosen (defaults)", {}), ("old", OLD)):
        rows, rows07 = [], []
        for seed in range(args.seeds):
            t0, c0 = time.perf_counter(), time.process_time()
            gan = WGANGP(random_state=seed, **params).fit(X)
            fit = {"fit_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
            rows.append({**fit, **scores(gan.sample(args.n_eval, random_state=1000 + seed))})
            if not params:
                rows07.append(scores(gan.sample(args.n_eval, lam=0.7, random_state=1000 + seed)))
        line(f"{name}, ψ = 1", rows)
        if rows07:
            line(f"{name}, ψ = 0.7", rows07)
        settings = {k: v for k, v in gan.get_params().items() if k != "random_state"}
        print(f"    {settings}")


if __name__ == "__main__":
    main()
