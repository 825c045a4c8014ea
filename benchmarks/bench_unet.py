"""The 28x28 path on a CPU: seconds per training step and per 1,000 samples of the U-Net DDPM, and the conv WGAN-GP.

For each U-Net base width C, ``UNetDDPM(width=C, T=T).fit`` on ``--n`` Fashion-MNIST training images
(synthetic blobs when the data is not installed) for ``--steps`` Adam steps at ``--batch`` images per
step, then the ancestral sampler with classifier-free guidance (λ = 0.5, so two network rows per image
and step) for ``--n-sample`` images. Sampling cost is linear in the number of images and in T, so the
time per 1,000 samples is the measured time scaled by 1000 / ``--n-sample`` (stated as such). The
WGAN-GP rows time one generator step (``n_critic`` = 1) with the MLP and the convolutional critic.
Times are the best of ``--repeat`` runs, wall clock and process CPU time, on one torch thread (as in
the book's process pool); the first step (allocation, warm-up) is excluded from the per-step time.

Run: ``.venv/bin/python benchmarks/bench_unet.py [--widths 16 32] [--T 100] [--steps 6] [--n-sample 20]``
"""

from __future__ import annotations

import argparse
import time


def best(fn, repeat: int) -> tuple[float, float]:
    """Least (wall, CPU) seconds of ``repeat`` calls of ``fn``."""
    out = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        out.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(o[0] for o in out), min(o[1] for o in out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32], help="U-Net base widths C")
    parser.add_argument("--T", type=int, default=100, help="diffusion steps")
    parser.add_argument("--n", type=int, default=2000, help="training images")
    parser.add_argument("--steps", type=int, default=6, help="Adam steps per timed fit (the first is excluded)")
    parser.add_argument("--batch", type=int, default=128, help="images per Adam step")
    parser.add_argument("--n-sample", type=int, default=20, help="images sampled per timed call")
    parser.add_argument("--repeat", type=int, default=2, help="timed repeats (the best is kept)")
    args = parser.parse_args()

    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    torch.set_num_threads(1)
    from mad.idx import fashion_mnist_pool
    from mad.models.unet_ddpm import UNetDDPM
    from mad.models.wgan import WGANGP

    try:
        pool = fashion_mnist_pool(n=args.n)
        X, y, data = pool.X, pool.y, f"Fashion-MNIST ({args.n} training images)"
    except FileNotFoundError:
        rng = np.random.default_rng(0)
        X, y, data = (
            rng.random((args.n, 784)),
            np.arange(args.n) % 10,
            f"uniform noise ({args.n} 28x28 images; Fashion-MNIST not installed)",
        )
    print(f"28x28 path on one CPU thread, torch {torch.__version__}: {data}, batch {args.batch}, T = {args.T}")
    print(f"{'model':<28s} {'params':>9s} {'s / train step (wall/CPU)':>27s} {'s / 1000 samples (wall/CPU)':>29s}")
    for width in args.widths:

        def fit(steps: int, width: int = width) -> UNetDDPM:
            return UNetDDPM(T=args.T, width=width, n_steps=steps, batch_size=args.batch, random_state=0).fit(X, y)

        model = fit(1)
        one = best(lambda: fit(1), args.repeat)
        many = best(lambda: fit(args.steps), args.repeat)
        step = [(m - o) / (args.steps - 1) for m, o in zip(many, one)]
        sample = best(lambda m=model: m.sample(args.n_sample, lam=0.5, random_state=0), args.repeat)
        per1000 = [s * 1000 / args.n_sample for s in sample]
        params = sum(p.numel() for p in model.net_.parameters())
        print(
            f"{f'UNetDDPM(width={width})':<28s} {params:>9,d} {step[0]:>13.3f} / {step[1]:<13.3f}"
            f" {per1000[0]:>13.1f} / {per1000[1]:<13.1f} (from {args.n_sample} samples)"
        )
    for arch in ("mlp", "conv"):

        def gan(steps: int, arch: str = arch) -> WGANGP:
            return WGANGP(n_steps=steps, batch_size=args.batch, arch=arch, random_state=0).fit(X)

        g = gan(1)
        one = best(lambda: gan(1), args.repeat)
        many = best(lambda: gan(args.steps), args.repeat)
        step = [(m - o) / (args.steps - 1) for m, o in zip(many, one)]
        sample = best(lambda g=g: g.sample(1000, random_state=0), args.repeat)
        params = sum(p.numel() for p in g.generator_.parameters()) + sum(p.numel() for p in g.critic_.parameters())
        print(f"{f'WGANGP(arch={arch!r})':<28s} {params:>9,d} {step[0]:>13.3f} / {step[1]:<13.3f} {sample[0]:>13.3f} / {sample[1]:<13.3f}")


if __name__ == "__main__":
    main()
