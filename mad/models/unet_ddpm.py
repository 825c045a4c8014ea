"""A small convolutional U-Net DDPM for 1x28x28 images (MNIST, Fashion-MNIST): the paper-scale diffusion model.

Same model as :class:`mad.models.ddpm.ConditionalDDPM` (cosine schedule, x_0 target with the
min-SNR-γ loss, 10% label dropout, the ancestral sampler with classifier-free guidance
x̃_0 = (1 + w) x̂_0(x_t, t, c) - w x̂_0(x_t, t, ∅) and the paper's bias **λ = 1/(1 + w)**,
Alemohammad et al. 2024, Sec. 2.3): this class inherits the schedule, the training loop and the
sampler and only swaps the denoiser, so the two cannot drift apart. The denoiser is a U-Net
(Ronneberger et al. 2015) in the style of Ho et al. (2020) and minDiffusion, two resolutions deep:

    28x28 (C) -> 14x14 (2C) -> 7x7 (2C, middle) -> 14x14 (2C) -> 28x28 (C) -> 1 channel,

average pooling down, nearest-neighbour upsampling up, skip connections concatenated, and one
residual block per level, h + Conv(SiLU(GN(Conv(SiLU(GN(h)))) · (1 + a) + b)), whose FiLM
(a, b) is linear in the sum of the sinusoidal time embedding and the label embedding (label ∅ =
index K; Perez et al. 2018; the adaptive group norm of Dhariwal & Nichol 2021). The paper's
MNIST DDPM has T = 500 and a larger U-Net; ``sweeps/paper_fashion_mnist.toml`` sets T = 500.

Images arrive as rows of side² pixels in [0, 1] (the loop runner's format) and are reshaped to
1 x side x side inside the network, so ``side`` is any multiple of 4 (28 for MNIST; 8 works too).
``device="cuda"`` runs the network on a GPU; all random draws still come from a CPU
``torch.Generator`` (so the draws do not depend on the device), and on the CPU a seed gives the
same bits every run. ``sample_batch`` bounds the images denoised at once (memory), drawn in
order from the same generator.

**Cost.** On one CPU thread (``benchmarks/bench_unet.py``) a training step of 128 images takes about
0.4 s of CPU at C = 16 and 1.2 s at C = 32, and 1,000 guided samples at T = 100 about 3.5 and 9.5
minutes. A 300-step fit (C = 16, T = 50) on 1,000 Fashion-MNIST images lowers the loss about
fifteenfold but gives samples that the feature classifier of :mod:`mad.features28` labels correctly
barely above chance (FID about 75 against a real-vs-real floor of about 5): a CPU checks the
pipeline; the paper's sizes (``sweeps/paper_fashion_mnist.toml``) need a GPU.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mad.models.base import single_torch_thread
from mad.models.ddpm import ConditionalDDPM
from mad.validation import check_int


def _groups(channels: int) -> int:
    return 8 if channels % 8 == 0 else 1


class _ResBlock(nn.Module):
    """skip(h) + Conv(SiLU(GN(Conv(SiLU(GN(h)))) · (1 + a) + b)), (a, b) = Linear(embedding)."""

    def __init__(self, c_in: int, c_out: int, emb: int) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(_groups(c_in), c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.norm2, self.conv2 = nn.GroupNorm(_groups(c_out), c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.film = nn.Linear(emb, 2 * c_out)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, h: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        r = self.conv1(F.silu(self.norm1(h)))
        scale, shift = self.film(e)[:, :, None, None].chunk(2, dim=1)
        return self.skip(h) + self.conv2(F.silu(self.norm2(r) * (1 + scale) + shift))


class UNet(nn.Module):
    """f_θ(x_t, t, c) for rows of side² pixels: a two-level U-Net with base width C = ``width``."""

    def __init__(self, side: int, n_classes: int, width: int) -> None:
        super().__init__()
        c1, c2, emb = width, 2 * width, 4 * width
        self.side = side
        self.time = nn.Sequential(nn.Linear(64, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label = nn.Embedding(n_classes + 1, emb)  # index n_classes is the null label ∅
        self.register_buffer("freqs", torch.exp(-math.log(1000.0) * torch.arange(32) / 32))
        self.inp = nn.Conv2d(1, c1, 3, padding=1)
        self.down1, self.down2, self.mid = _ResBlock(c1, c1, emb), _ResBlock(c1, c2, emb), _ResBlock(c2, c2, emb)
        self.up2, self.up1 = _ResBlock(2 * c2, c2, emb), _ResBlock(c2 + c1, c1, emb)
        self.out = nn.Sequential(nn.GroupNorm(_groups(c1), c1), nn.SiLU(), nn.Conv2d(c1, 1, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        angles = t[:, None].float() * self.freqs[None]
        e = self.time(torch.cat([angles.sin(), angles.cos()], dim=1)) + self.label(c)
        h1 = self.down1(self.inp(x.view(-1, 1, self.side, self.side)), e)  # side
        h2 = self.down2(F.avg_pool2d(h1, 2), e)  # side/2
        h = self.mid(F.avg_pool2d(h2, 2), e)  # side/4
        h = self.up2(torch.cat([F.interpolate(h, scale_factor=2.0), h2], dim=1), e)
        h = self.up1(torch.cat([F.interpolate(h, scale_factor=2.0), h1], dim=1), e)
        return self.out(h).flatten(1)


class UNetDDPM(ConditionalDDPM):
    """Class-conditional U-Net DDPM on square 1-channel images with classifier-free guidance; λ = 1/(1 + w).

    Parameters
    ----------
    T, n_steps, batch_size, lr, warmup, target, snr_gamma, p_uncond, random_state:
        as in :class:`~mad.models.ddpm.ConditionalDDPM` (the same training loop and sampler).
    width: the U-Net's base channel count C (C at full resolution, 2C below; C = 16 has 0.1 M
        parameters, C = 32 0.4 M, C = 64 1.6 M).
    sample_batch: images denoised at once when sampling (bounds memory; with guidance each step
        runs the network on twice as many rows).
    device: ``"cpu"`` (default; the same bits under a seed) or ``"cuda"``.
    """

    def __init__(
        self,
        T: int = 100,
        width: int = 32,
        n_steps: int = 2000,
        batch_size: int = 128,
        lr: float = 2e-3,
        warmup: float = 0.03,
        target: str = "x0",
        snr_gamma: float | None = 20.0,
        p_uncond: float = 0.1,
        sample_batch: int = 1000,
        device: str = "cpu",
        random_state: int | None = None,
    ) -> None:
        self.T = T
        self.width = width
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.lr = lr
        self.warmup = warmup
        self.target = target
        self.snr_gamma = snr_gamma
        self.p_uncond = p_uncond
        self.sample_batch = sample_batch
        self.device = device
        self.random_state = random_state

    def _build_net(self, n_features: int) -> nn.Module:
        side = int(round(math.sqrt(n_features)))
        if side * side != n_features or side % 4:
            raise ValueError(
                f"X must hold square 1-channel images with a side divisible by 4 (784 = 28x28 pixels); got {n_features} features"
            )
        return UNet(side, self.n_classes_, check_int("width", self.width, minimum=1))

    @torch.no_grad()
    def generate(self, labels: np.ndarray, w: float, seed: int) -> np.ndarray:
        """Ancestral sampling of one image per label with guidance ``w``, ``sample_batch`` images at a time (pixels in [0, 1])."""
        self._check_fitted()
        chunk = check_int("sample_batch", self.sample_batch, minimum=1)
        c = torch.from_numpy(np.asarray(labels, dtype=np.int64))
        with single_torch_thread():
            gen = torch.Generator().manual_seed(int(seed))
            x = torch.cat([self._ancestral(c[i : i + chunk], float(w), gen) for i in range(0, len(c), chunk)])
        return np.clip((x.numpy().astype(np.float64) + 1) / 2, 0.0, 1.0)
