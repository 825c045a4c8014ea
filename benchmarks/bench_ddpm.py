"""One generation of the diffusion chapters, timed: train the conditional DDPM from scratch and evaluate it.

A generation of the chapters' loops is (1) ``ConditionalDDPM.fit`` on n training images (a
fixed number of Adam steps, so an accumulated training set costs the same), (2) sampling the
n synthetic images that train the next generation, (3) sampling the evaluation set and computing
FID / precision / recall / legibility in the digits feature space. Sampling is timed at λ = 1
(one network pass per step) and at λ = 0.5 (classifier-free guidance: two passes per step).
Each stage is timed with ``time.perf_counter`` on one torch/BLAS thread (as in the book's process
pool), best of ``--repeats``. The feature space is trained once before timing.

Run: ``.venv/bin/python benchmarks/bench_ddpm.py [--steps 600] [--n 1000] [--n-eval 597] [--repeats 2]``
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600, help="Adam steps per fit (the chapters' book setting)")
    parser.add_argument("--T", type=int, default=100, help="diffusion steps")
    parser.add_argument("--n", type=int, default=1000, help="training images and synthetic images per generation")
    parser.add_argument("--n-eval", type=int, default=597, help="samples for the metrics")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

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
    best: dict[str, float] = {}
    scores: dict[str, float] = {}

    def timed(name, fn, *args, **kwargs):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - start)
        return out

    for r in range(args.repeats):
        model = ConditionalDDPM(T=args.T, width=128, depth=2, n_steps=args.steps, random_state=r)
        timed("fit", model.fit, X, y)
        for lam in (1.0, 0.5):
            timed(f"sample n={args.n}, λ={lam:g}", model.sample_labelled, args.n, lam, r)
            S, labels = timed(f"sample n_eval={args.n_eval}, λ={lam:g}", model.sample_labelled, args.n_eval, lam, r + 100)
            scores = timed(f"metrics, λ={lam:g}", image_metrics, space, split.eval_X, S, labels, real_features=real)
    print(f"conditional DDPM, T={args.T}, {args.steps} Adam steps, n={args.n}, n_eval={args.n_eval}, 1 thread, best of {args.repeats}")
    for name, seconds in best.items():
        print(f"  {name:<28s} {seconds:7.2f} s")
    for lam in (1.0, 0.5):
        one = (
            best["fit"]
            + best[f"sample n={args.n}, λ={lam:g}"]
            + best[f"sample n_eval={args.n_eval}, λ={lam:g}"]
            + best[f"metrics, λ={lam:g}"]
        )
        print(f"  {f'one generation at λ={lam:g}':<28s} {one:7.2f} s")
    print("  metrics of the last model at λ=0.5:", {k: round(v, 3) for k, v in scores.items()})


if __name__ == "__main__":
    main()
