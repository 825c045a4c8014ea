"""A class-conditional DDPM with classifier-free guidance, sized for 8x8 digits on a CPU.

Forward process (Ho et al. 2020) on pixels scaled to [-1, 1], with a cosine schedule
(Nichol & Dhariwal 2021) of ``T`` steps:

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I),    ᾱ_t = cos²(π/2 · (t/T + s)/(1 + s)) / cos²(π/2 · s/(1 + s)).

A residual MLP ε_θ(x_t, t, c) is trained on ‖ε - ε_θ(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t, c)‖², with the
label c replaced by a "null" label ∅ 10% of the time, so the same network is also an
unconditional model (Ho & Salimans 2022). Sampling runs the T ancestral steps with the guided noise

    ε̃ = (1 + w) ε_θ(x_t, t, c) - w ε_θ(x_t, t, ∅),

and the paper's sampling bias is **λ = 1/(1 + w)** (Alemohammad et al. 2024, Sec. 2.3): λ = 1 is
plain conditional sampling, λ = 0.5 is w = 1. Each step clips the predicted x_0 to [-1, 1]; the
result is mapped back to [0, 1] and clipped. Synthetic sets are class-balanced.

Why T = 100 (the paper uses 500 for 28x28 MNIST): sampling cost is linear in T and dominates a
generation on a CPU; 64-pixel digits need far fewer steps for clean samples, and the cosine
schedule keeps the step sizes small at both ends with few steps.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn

from mad.models.base import GenerativeModel, balanced_labels, single_torch_thread
from mad.validation import check_int, check_lam, check_samples


def guidance_from_lam(lam: float) -> float:
    """Guidance weight w = 1/λ - 1 for sampling bias λ in (0, 1]."""
    return 1.0 / check_lam(lam) - 1.0


def lam_from_guidance(w: float) -> float:
    """Sampling bias λ = 1/(1 + w) for guidance weight w ≥ 0."""
    try:
        w = float(w)
    except (TypeError, ValueError):
        raise TypeError(f"guidance weight w must be a number >= 0; got {w!r}") from None
    if not math.isfinite(w) or w < 0:
        raise ValueError(f"guidance weight w must be >= 0 (λ = 1/(1+w) in (0, 1]); got {w!r}")
    return 1.0 / (1.0 + w)


def cosine_alpha_bar(T: int, s: float = 0.008) -> np.ndarray:
    """ᾱ_1..ᾱ_T of the cosine schedule, with β_t = 1 - ᾱ_t/ᾱ_{t-1} capped at 0.999."""
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    betas = np.clip(1 - f[1:] / f[:-1], 0, 0.999)
    return np.cumprod(1 - betas)


class _Block(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.cond = nn.Linear(width, width)

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        return h + self.net(h + self.cond(emb))


class Denoiser(nn.Module):
    """ε_θ(x_t, t, c): a residual MLP; time (sinusoidal) and label embeddings condition every block."""

    def __init__(self, dim: int, n_classes: int, width: int, depth: int) -> None:
        super().__init__()
        self.null = n_classes
        self.inp = nn.Linear(dim, width)
        self.label = nn.Embedding(n_classes + 1, width)
        self.time = nn.Sequential(nn.Linear(64, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(_Block(width) for _ in range(depth))
        self.out = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, dim))
        self.register_buffer("freqs", torch.exp(-math.log(1000.0) * torch.arange(32) / 32))

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        angles = t[:, None].float() * self.freqs[None]
        emb = self.time(torch.cat([angles.sin(), angles.cos()], dim=1)) + self.label(c)
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, emb)
        return self.out(h)


class ConditionalDDPM(GenerativeModel):
    """Class-conditional DDPM with classifier-free guidance; λ = 1/(1 + w).

    Parameters
    ----------
    T: diffusion steps. width, depth: the residual MLP. n_steps: Adam updates per fit (a
        fixed budget, so a generation costs the same whatever its training-set size).
    batch_size, lr: Adam minibatch and learning rate (cosine-decayed to 0).
    p_uncond: probability of dropping the label during training (the paper's 10%).
    random_state: seed of initialisation, minibatches and noise in ``fit``.
    """

    conditional = True
    lam_rule = "classifier-free guidance with weight w = 1/λ - 1 (λ = 1/(1 + w); λ = 1 is plain conditional sampling)"

    def __init__(
        self,
        T: int = 100,
        width: int = 256,
        depth: int = 3,
        n_steps: int = 2000,
        batch_size: int = 128,
        lr: float = 2e-3,
        p_uncond: float = 0.1,
        random_state: int | None = None,
    ) -> None:
        self.T = T
        self.width = width
        self.depth = depth
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.lr = lr
        self.p_uncond = p_uncond
        self.random_state = random_state

    def _schedule(self) -> tuple[torch.Tensor, torch.Tensor]:
        abar = torch.from_numpy(cosine_alpha_bar(check_int("T", self.T, minimum=2))).float()
        return abar, 1 - abar / torch.cat([torch.ones(1), abar[:-1]])

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> ConditionalDDPM:
        """Train on pixels ``X`` in [0, 1] with labels ``y`` (0..K-1) for ``n_steps`` Adam steps."""
        X = check_samples(X, min_samples=2)
        if y is None:
            raise ValueError("ConditionalDDPM is class-conditional: fit(X, y) needs the labels y")
        y = np.asarray(y, dtype=np.int64)
        if y.shape != (len(X),) or y.min() < 0:
            raise ValueError(f"y must hold one non-negative integer label per row of X; got shape {y.shape}")
        if not 0.0 <= self.p_uncond < 1.0:
            raise ValueError(f"p_uncond (label dropout) must be in [0, 1); got {self.p_uncond}")
        n_steps = check_int("n_steps", self.n_steps, minimum=1)
        batch = check_int("batch_size", self.batch_size, minimum=1)
        with single_torch_thread():
            gen = torch.Generator().manual_seed(0 if self.random_state is None else int(self.random_state))
            torch.manual_seed(int(torch.randint(2**31 - 1, (1,), generator=gen)))
            self.n_classes_ = int(y.max()) + 1
            self.net_ = Denoiser(X.shape[1], self.n_classes_, check_int("width", self.width, 1), check_int("depth", self.depth, 1))
            abar, _ = self._schedule()
            x0 = torch.from_numpy(2 * X - 1).float()
            labels = torch.from_numpy(y)
            opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr)
            sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
            self.loss_history_ = np.empty(n_steps)
            for step in range(n_steps):
                idx = torch.randint(len(x0), (min(batch, len(x0)),), generator=gen)
                xb, cb = x0[idx], labels[idx].clone()
                cb[torch.rand(len(idx), generator=gen) < self.p_uncond] = self.n_classes_  # label dropout -> ∅
                t = torch.randint(self.T, (len(idx),), generator=gen)
                eps = torch.randn(xb.shape, generator=gen)
                a = abar[t][:, None]
                loss = ((self.net_(a.sqrt() * xb + (1 - a).sqrt() * eps, t, cb) - eps) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                self.loss_history_[step] = loss.item()
        self.net_.eval()
        self.fitted_ = True
        return self

    @torch.no_grad()
    def generate(self, labels: np.ndarray, w: float, seed: int) -> np.ndarray:
        """Ancestral sampling of one image per label with guidance weight ``w`` (pixels in [0, 1])."""
        self._check_fitted()
        w = float(w)
        with single_torch_thread():
            gen = torch.Generator().manual_seed(int(seed))
            abar, betas = self._schedule()
            c = torch.from_numpy(np.asarray(labels, dtype=np.int64))
            n = len(c)
            x = torch.randn((n, self.net_.inp.in_features), generator=gen)
            both = torch.cat([c, torch.full_like(c, self.n_classes_)])
            for t in reversed(range(self.T)):
                tt = torch.full((n,), t, dtype=torch.long)
                if w == 0:
                    eps = self.net_(x, tt, c)
                else:
                    e_c, e_u = self.net_(torch.cat([x, x]), torch.cat([tt, tt]), both).chunk(2)
                    eps = (1 + w) * e_c - w * e_u
                a, b = abar[t], betas[t]
                a_prev = abar[t - 1] if t > 0 else torch.tensor(1.0)
                x0 = ((x - (1 - a).sqrt() * eps) / a.sqrt()).clamp(-1, 1)
                # posterior mean of q(x_{t-1} | x_t, x_0), with variance β̃_t
                mean = (a_prev.sqrt() * b / (1 - a)) * x0 + ((1 - b).sqrt() * (1 - a_prev) / (1 - a)) * x
                if t > 0:
                    var = b * (1 - a_prev) / (1 - a)
                    x = mean + var.sqrt() * torch.randn(x.shape, generator=gen)
                else:
                    x = mean
        return np.clip((x.numpy().astype(np.float64) + 1) / 2, 0.0, 1.0)

    def sample_labelled(
        self, n: int, lam: float = 1.0, random_state: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` class-balanced samples and their labels at bias λ (guidance w = 1/λ - 1)."""
        from mad.seeding import as_generator

        n = check_int("n", n, minimum=1)
        w = guidance_from_lam(lam)
        self._check_fitted()
        random = as_generator(random_state)
        y = balanced_labels(n, self.n_classes_, random)
        return self.generate(y, w, seed=int(random.integers(2**31 - 1))), y

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        return self.sample_labelled(n, lam, rng)[0]
