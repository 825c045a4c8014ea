"""One generation of the GAN chapter, timed: train the WGAN-GP from scratch and evaluate it.

A generation of the chapter's loops is (1) ``WGANGP.fit`` on the digits training pool (1,200
images at book scale; the cost is a fixed number of generator steps, so an accumulated
training set costs the same), (2) sampling the evaluation set, (3) FID / precision / recall
in the digits feature space and the spectral artifact measure. Each is timed with
``time.perf_counter`` on one torch/BLAS thread (as in the book's process pool), the best of
``--repeats`` runs reported. The feature space is trained once before timing. CPU time
(``time.process_time``) is reported beside wall time: on a machine shared with other jobs the
wall time is inflated, the CPU time much less so.

Run: ``.venv/bin/python benchmarks/bench_wgan.py [--steps 400] [--n 1200] [--n-eval 1000] [--repeats 2]``
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="generator steps (default: the chapter's book setting)")
    parser.add_argument("--n", type=int, default=1200, help="training images")
    parser.add_argument("--n-eval", type=int, default=1000, help="samples for the metrics")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    torch.set_num_threads(1)
    from mad.features import digits_feature_space, digits_split, image_metrics
    from mad.models.wgan import WGANGP
    from mad.spectra import high_frequency_excess

    split = digits_split(0)
    space = digits_feature_space(0)
    real_features = space.transform(split.eval_X)
    X = split.train.X[: args.n]
    params = {} if args.steps is None else {"n_steps": args.steps}
    best = {"fit": float("inf"), "sample": float("inf"), "metrics": float("inf")}
    fit_cpu = float("inf")
    for rep in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        gan = WGANGP(random_state=rep, **params).fit(X)
        t1 = time.perf_counter()
        fit_cpu = min(fit_cpu, time.process_time() - c0)
        fake = gan.sample(args.n_eval, random_state=rep)
        t2 = time.perf_counter()
        scores = image_metrics(space, split.eval_X, fake, real_features=real_features)
        scores["hf_excess"] = high_frequency_excess(fake, split.eval_X)
        t3 = time.perf_counter()
        for key, value in zip(best, (t1 - t0, t2 - t1, t3 - t2)):
            best[key] = min(best[key], value)
    print(f"WGANGP {gan.get_params()} on {len(X)} images, {args.n_eval} samples, 1 thread, best of {args.repeats}")
    print(
        f"  fit      {best['fit']:.2f} s wall, {fit_cpu:.2f} s CPU  ({1e3 * fit_cpu / gan.n_steps:.1f} ms CPU per generator step, n_critic = {gan.n_critic})"
    )
    print(f"  sample   {best['sample']:.3f} s")
    print(
        f"  metrics  {best['metrics']:.3f} s  (fid {scores['fid']:.2f}, precision {scores['precision']:.3f}, recall {scores['recall']:.3f})"
    )
    print(f"  total    {sum(best.values()):.2f} s per generation")


if __name__ == "__main__":
    main()
