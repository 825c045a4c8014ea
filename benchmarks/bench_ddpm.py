"""One generation of the diffusion chapters, timed and scored: the chosen DDPM against the old one.

A generation of the chapters' loops is (1) ``ConditionalDDPM.fit`` on n training images (a
fixed number of Adam steps, so an accumulated training set costs the same), (2) sampling the
n synthetic images that train the next generation, (3) sampling the evaluation set and computing
FID / precision / recall / legibility in the digits feature space against the held-out evaluation
set. Two configurations are compared, each over ``--seeds`` fits of G_1 on the first n training
digits:

* ``chosen``: ``ConditionalDDPM()`` (the defaults: x_0 target, min-SNR-20 loss, 400 Adam steps);
* ``old``: the book's previous setting, ε target with the unweighted loss, lr 2e-3 without warmup,
  600 Adam steps (in today's network, so it differs from the old code in the architecture only).

Times are on one torch/BLAS thread (as in the book's process pool), the best over seeds, as wall
clock (``time.perf_counter``) and as this process's CPU time (``time.process_time``, less
sensitive to other load on the machine); metrics are means (and the worst seed) at λ = 1 and λ = 0.5. The floor is
the same metrics between two real sets: ``n_eval`` training-pool digits against the evaluation set.

Run: ``.venv/bin/python benchmarks/bench_ddpm.py [--n 1000] [--n-eval 597] [--seeds 3]``
"""

from __future__ import annotations

import argparse
import time

CONFIGS = {
    "chosen": {},
    "old": dict(n_steps=600, lr=2e-3, warmup=0.0, target="eps", snr_gamma=None),
}


def timed(times: dict[str, tuple[float, float]], key: str, fn, *args):
    """Call ``fn(*args)``, keeping in ``times[key]`` the least (wall, CPU) seconds seen so far."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    now = (time.perf_counter() - wall, time.process_time() - cpu)
    times[key] = tuple(min(a, b) for a, b in zip(times.get(key, now), now))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="training images and synthetic images per generation")
    parser.add_argument("--n-eval", type=int, default=597, help="samples for the metrics")
    parser.add_argument("--seeds", type=int, default=3, help="G_1 fits (random_state 0..seeds-1) per configuration")
    args = parser.parse_args()

    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    torch.set_num_threads(1)
    from mad.features import digits_feature_space, digits_split, image_metrics
    from mad.models.ddpm import ConditionalDDPM

    split = digits_split()
    space = digits_feature_space()
    real = space.transform(split.eval_X)
    X, y = split.train.X[: args.n], split.train.y[: args.n]
    keys = ("fid", "precision", "recall", "legibility")

    floor = image_metrics(space, split.eval_X, split.train.X[: args.n_eval], split.train.y[: args.n_eval], real_features=real)
    print(f"conditional DDPM G_1: n={args.n} training digits, n_eval={args.n_eval}, {args.seeds} seeds, 1 thread")
    print(f"  {'floor (real vs real)':<22s} " + " ".join(f"{k}={floor[k]:.3f}" for k in keys))
    for name, overrides in CONFIGS.items():
        model = ConditionalDDPM(**overrides)
        times: dict[str, tuple[float, float]] = {}

        scores: dict[float, list[dict[str, float]]] = {1.0: [], 0.5: []}
        for seed in range(args.seeds):
            model.set_params(random_state=seed)
            timed(times, "fit", model.fit, X, y)
            for lam in scores:
                S, labels = timed(times, f"sample {args.n_eval} at λ={lam:g}", model.sample_labelled, args.n_eval, lam, 100 + seed)
                scores[lam].append(image_metrics(space, split.eval_X, S, labels, real_features=real))
        params = {k: v for k, v in model.get_params().items() if k != "random_state"}
        print(f"{name}: ConditionalDDPM({', '.join(f'{k}={v!r}' for k, v in params.items())})")
        print("  seconds (wall / CPU): " + ", ".join(f"{k} {wall:.2f} / {cpu:.2f}" for k, (wall, cpu) in times.items()))
        for lam, rows in scores.items():
            mean = {k: np.mean([r[k] for r in rows]) for k in keys}
            worst = {"fid": max(r["fid"] for r in rows), "legibility": min(r["legibility"] for r in rows)}
            print(
                f"  {f'λ={lam:g} mean':<22s} "
                + " ".join(f"{k}={mean[k]:.3f}" for k in keys)
                + f"   worst fid={worst['fid']:.3f} legibility={worst['legibility']:.3f}"
            )


if __name__ == "__main__":
    main()
