"""A class-conditional DDPM with classifier-free guidance, sized for 8x8 digits on a CPU.

Forward process (Ho et al. 2020) on pixels scaled to [-1, 1], with a cosine schedule
(Nichol & Dhariwal 2021) of ``T`` steps and signal-to-noise ratio SNR_t = ᾱ_t / (1 - ᾱ_t):

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I),    ᾱ_t = cos²(π/2 · (t/T + s)/(1 + s)) / cos²(π/2 · s/(1 + s)).

A residual MLP f_θ(x_t, t, c) predicts the clean image x̂_0 directly (``target="x0"``; ``"eps"``
is Ho et al.'s noise prediction ε̂, with x̂_0 = (x_t - √(1-ᾱ_t) ε̂)/√ᾱ_t) and is trained with
the min-SNR-γ weighting of Hang et al. (2023),

    L = E_{t, x_0, ε} min(SNR_t, γ) ‖x_0 - x̂_0(√ᾱ_t x_0 + √(1-ᾱ_t) ε, t, c)‖²,

i.e. the ε-loss (weight SNR_t on the x_0-error) capped at γ so that the nearly clean steps do not
dominate (``snr_gamma=None``: the unweighted loss on the target). The label c is replaced by a
"null" label ∅ with probability ``p_uncond``, so the same network is also an unconditional model
(Ho & Salimans 2022). The label is added to the input layer, h_0 = W x_t + e_in(c), and the sum of
time and label embeddings modulates every residual block through FiLM (h <- h + MLP(LN(h)·(1 + a)
+ b), (a, b) linear in the embedding; Perez et al. 2018, as in the adaptive group norm of Dhariwal &
Nichol 2021). Adam (Kingma & Ba 2015) with a 3% linear warmup and cosine decay to 0.

Sampling runs the T ancestral steps of Ho et al. with the guided prediction

    x̃_0 = (1 + w) x̂_0(x_t, t, c) - w x̂_0(x_t, t, ∅),

which equals guidance on ε (ε is affine in x̂_0 at fixed x_t). The paper's sampling bias is
**λ = 1/(1 + w)** (Alemohammad et al. 2024, Sec. 2.3): λ = 1 is plain conditional sampling,
λ = 0.5 is w = 1. Each step clips x̃_0 to [-1, 1] and draws x_{t-1} from the posterior
q(x_{t-1} | x_t, x̃_0); the result is mapped back to [0, 1] and clipped. Synthetic sets are
class-balanced.

Why these defaults (measured on one CPU thread, G_1 on 1,000 digits; ``benchmarks/bench_ddpm.py``):
the x_0 target with min-SNR weighting gives clean, legible digits after a few hundred updates,
where ε prediction at 600 updates still leaves speckled samples (FID ~11). A larger γ trades
legibility for recall: γ = 15 with 300 updates gives legibility ~0.99 but recall ~0.7 on 597
samples; the defaults, γ = 20 with 400 updates, give FID ~1.9, recall ~0.79, legibility ~0.99
(the label at the input lifts legibility). T = 100 instead of the paper's 500: sampling cost is linear in T, and 64-pixel
digits need far fewer steps.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn

from mad.models.base import GenerativeModel, balanced_labels, seeded_torch, single_torch_thread
from mad.validation import check_choice, check_int, check_labels, check_lam, check_number, check_pixels, check_samples


def guidance_from_lam(lam: float) -> float:
    """Guidance weight w = 1/λ - 1 for sampling bias λ in (0, 1]."""
    return 1.0 / check_lam(lam) - 1.0


def lam_from_guidance(w: float) -> float:
    """Sampling bias λ = 1/(1 + w) for guidance weight w ≥ 0."""
    return 1.0 / (1.0 + check_number("guidance weight w", w, 0.0))


def check_device(device: object) -> torch.device:
    """A torch device from ``"cpu"`` or ``"cuda"`` (``"cuda:k"``), refusing CUDA when torch cannot see a GPU."""
    try:
        dev = torch.device(device)  # type: ignore[arg-type]
    except (TypeError, RuntimeError):
        raise ValueError(f"device must be 'cpu' or 'cuda' (or 'cuda:k'); got {device!r}") from None
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda' (or 'cuda:k'); got {device!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but torch.cuda.is_available() is False (no GPU, or a CPU-only torch build); use device='cpu'")
    return dev


def cosine_alpha_bar(T: int, s: float = 0.008) -> np.ndarray:
    """ᾱ_1..ᾱ_T of the cosine schedule, with β_t = 1 - ᾱ_t/ᾱ_{t-1} capped at 0.999."""
    T = check_int("T", T, minimum=1)
    s = check_number("s (offset)", s, 0.0, low_open=True)
    f = np.cos((np.arange(T + 1) / T + s) / (1 + s) * np.pi / 2) ** 2
    betas = np.clip(1 - f[1:] / f[:-1], 0, 0.999)
    return np.cumprod(1 - betas)


class _Block(nn.Module):
    """h + MLP(LN(h) · (1 + a) + b) with (a, b) = Linear(embedding): a FiLM-modulated residual block."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.net = nn.Sequential(nn.SiLU(), nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.film = nn.Linear(width, 2 * width)

    def forward(self, h: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(emb).chunk(2, dim=1)
        return h + self.net(self.norm(h) * (1 + scale) + shift)


class Denoiser(nn.Module):
    """f_θ(x_t, t, c): a residual MLP; the label enters the input layer, and time (sinusoidal) and
    label embeddings modulate every block."""

    def __init__(self, dim: int, n_classes: int, width: int, depth: int) -> None:
        super().__init__()
        self.null = n_classes
        self.inp = nn.Linear(dim, width)
        self.label = nn.Embedding(n_classes + 1, width)
        self.label_in = nn.Embedding(n_classes + 1, width)
        self.time = nn.Sequential(nn.Linear(64, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(_Block(width) for _ in range(depth))
        self.out = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, dim))
        self.register_buffer("freqs", torch.exp(-math.log(1000.0) * torch.arange(32) / 32))

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        angles = t[:, None].float() * self.freqs[None]
        emb = self.time(torch.cat([angles.sin(), angles.cos()], dim=1)) + self.label(c)
        h = self.inp(x) + self.label_in(c)
        for block in self.blocks:
            h = block(h, emb)
        return self.out(h)


class ConditionalDDPM(GenerativeModel):
    """Class-conditional DDPM with classifier-free guidance; λ = 1/(1 + w).

    Parameters
    ----------
    T: diffusion steps. width, depth: the residual MLP. n_steps: Adam updates per fit (a
        fixed budget, so a generation costs the same whatever its training-set size).
    batch_size, lr: Adam minibatch and peak learning rate (linear warmup over the first
        ``warmup`` fraction of the updates, then cosine decay to 0).
    target: what the network predicts, ``"x0"`` (the clean image) or ``"eps"`` (the noise).
    snr_gamma: γ of the min-SNR-γ loss weight (``None``: unweighted MSE on the target).
    p_uncond: probability of dropping the label during training (the paper's 10%).
    random_state: seed of initialisation, minibatches and noise in ``fit``.
    """

    conditional = True
    lam_rule = "classifier-free guidance with weight w = 1/λ - 1 (λ = 1/(1 + w); λ = 1 is plain conditional sampling)"

    def __init__(
        self,
        T: int = 100,
        width: int = 128,
        depth: int = 2,
        n_steps: int = 400,
        batch_size: int = 128,
        lr: float = 6e-3,
        warmup: float = 0.03,
        target: str = "x0",
        snr_gamma: float | None = 20.0,
        p_uncond: float = 0.1,
        random_state: int | None = None,
    ) -> None:
        self.T = T
        self.width = width
        self.depth = depth
        self.n_steps = n_steps
        self.batch_size = batch_size
        self.lr = lr
        self.warmup = warmup
        self.target = target
        self.snr_gamma = snr_gamma
        self.p_uncond = p_uncond
        self.random_state = random_state

    def _schedule(self) -> tuple[torch.Tensor, torch.Tensor]:
        abar = torch.from_numpy(cosine_alpha_bar(check_int("T", self.T, minimum=2))).float()
        return abar, 1 - abar / torch.cat([torch.ones(1), abar[:-1]])

    def _device(self) -> torch.device:
        """Where the network runs: a subclass's ``device`` parameter (the 8x8 MLP always runs on the CPU)."""
        return check_device(getattr(self, "device", "cpu"))

    def _build_net(self, n_features: int) -> nn.Module:
        """The denoiser f_θ(x_t, t, c) on rows of ``n_features`` pixels (subclasses swap the network)."""
        return Denoiser(n_features, self.n_classes_, check_int("width", self.width, 1), check_int("depth", self.depth, 1))

    def _x0(self, out: torch.Tensor, x: torch.Tensor, abar_t: torch.Tensor) -> torch.Tensor:
        """x̂_0 from the network output (the output itself, or (x_t - √(1-ᾱ) ε̂)/√ᾱ)."""
        return out if self.target == "x0" else (x - (1 - abar_t).sqrt() * out) / abar_t.sqrt()

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> ConditionalDDPM:
        """Train on pixels ``X`` in [0, 1] with labels ``y`` (0..K-1) for ``n_steps`` Adam steps."""
        X = check_pixels("X", check_samples(X, min_samples=2), 0.0, 1.0)
        if y is None:
            raise ValueError("ConditionalDDPM is class-conditional: fit(X, y) needs the labels y")
        # integer labels 0..K-1, one per row: 0.7 is an error (never truncated), and K is bounded
        y = check_labels("y", y, n_rows=len(X))
        check_number("p_uncond (label dropout)", self.p_uncond, 0.0, 1.0, high_open=True)
        check_choice("target", self.target, ("x0", "eps"))
        check_number("warmup (fraction of the updates)", self.warmup, 0.0, 1.0, high_open=True)
        if self.snr_gamma is not None:
            check_number("snr_gamma (or None)", self.snr_gamma, 0.0, low_open=True)
        lr = check_number("lr", self.lr, 0.0, low_open=True)
        n_steps = check_int("n_steps", self.n_steps, minimum=1)
        batch = min(check_int("batch_size", self.batch_size, minimum=1), len(X))
        n_warm = int(self.warmup * n_steps)
        abar, _ = self._schedule()
        snr = abar / (1 - abar)
        # min-SNR-γ weight of the x_0-error, written for the chosen target (ε-error = SNR · x_0-error)
        weight = torch.ones_like(snr) if self.snr_gamma is None else snr.clamp(max=float(self.snr_gamma))
        if self.target == "eps" and self.snr_gamma is not None:
            weight = weight / snr
        with single_torch_thread():
            gen = torch.Generator().manual_seed(0 if self.random_state is None else int(self.random_state))
            with seeded_torch(int(torch.randint(2**31 - 1, (1,), generator=gen))):  # initialisation only; global RNG restored
                self.n_classes_, self.n_features_in_ = int(y.max()) + 1, X.shape[1]
                dev = self._device()  # random draws stay on the CPU generator, so a GPU run sees the same draws
                self.net_ = self._build_net(X.shape[1]).to(dev)
            x0 = torch.from_numpy(2 * X - 1).float().to(dev)
            labels = torch.from_numpy(y).to(dev)
            abar_d, weight_d = abar.to(dev), weight.to(dev)
            opt = torch.optim.Adam(self.net_.parameters(), lr=lr, fused=True)
            sched = torch.optim.lr_scheduler.LambdaLR(
                opt, lambda s: (s + 1) / n_warm if s < n_warm else 0.5 + 0.5 * math.cos(math.pi * (s - n_warm) / (n_steps - n_warm))
            )
            history = torch.empty(n_steps, device=dev)
            for step in range(n_steps):
                idx = torch.randint(len(x0), (batch,), generator=gen).to(dev)
                xb, cb = x0[idx], labels[idx].clone()
                cb[(torch.rand(batch, generator=gen) < self.p_uncond).to(dev)] = self.n_classes_  # label dropout -> ∅
                t = torch.randint(self.T, (batch,), generator=gen).to(dev)
                eps = torch.randn(xb.shape, generator=gen).to(dev)
                a = abar_d[t][:, None]
                out = self.net_(a.sqrt() * xb + (1 - a).sqrt() * eps, t, cb)
                loss = (weight_d[t][:, None] * (out - (xb if self.target == "x0" else eps)) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                history[step] = loss.detach()
        self.loss_history_ = history.cpu().numpy().astype(np.float64)
        self.net_.eval()
        self.fitted_ = True
        return self

    @torch.no_grad()
    def generate(self, labels: np.ndarray, w: float, seed: int) -> np.ndarray:
        """Ancestral sampling of one image per label with guidance weight ``w`` (pixels in [0, 1])."""
        self._check_fitted()
        labels = check_labels("labels", labels, n_classes=self.n_classes_)
        w = check_number("guidance weight w", w, 0.0)
        seed = check_int("seed", seed, minimum=0)
        with single_torch_thread():
            gen = torch.Generator().manual_seed(seed)
            x = self._ancestral(torch.from_numpy(labels), w, gen)
        return np.clip((x.numpy().astype(np.float64) + 1) / 2, 0.0, 1.0)

    @torch.no_grad()
    def _ancestral(self, c: torch.Tensor, w: float, gen: torch.Generator) -> torch.Tensor:
        """The T guided ancestral steps for labels ``c`` from x_T ~ N(0, I), drawing from ``gen``; x_0 in [-1, 1] on the CPU."""
        dev = self._device()
        abar, betas = (v.to(dev) for v in self._schedule())
        n = len(c)
        c = c.to(dev)
        x = torch.randn((n, self.n_features_in_), generator=gen).to(dev)
        both = torch.cat([c, torch.full_like(c, self.n_classes_)])
        for t in reversed(range(self.T)):
            tt = torch.full((n,), t, dtype=torch.long, device=dev)
            if w == 0:
                out = self.net_(x, tt, c)
            else:
                o_c, o_u = self.net_(torch.cat([x, x]), torch.cat([tt, tt]), both).chunk(2)
                out = (1 + w) * o_c - w * o_u
            a, b = abar[t], betas[t]
            a_prev = abar[t - 1] if t > 0 else torch.tensor(1.0, device=dev)
            x0 = self._x0(out, x, a).clamp(-1, 1)
            # posterior mean of q(x_{t-1} | x_t, x_0), with variance β̃_t
            mean = (a_prev.sqrt() * b / (1 - a)) * x0 + ((1 - b).sqrt() * (1 - a_prev) / (1 - a)) * x
            if t > 0:
                var = b * (1 - a_prev) / (1 - a)
                x = mean + var.sqrt() * torch.randn(x.shape, generator=gen).to(dev)
            else:
                x = mean
        return x.cpu()

    def sample_labelled(
        self, n: int, lam: float = 1.0, random_state: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` class-balanced samples and their labels at bias λ (guidance w = 1/λ - 1)."""
        from mad.seeding import as_generator

        n = check_int("n", n, minimum=1)
        w = guidance_from_lam(lam)
        self._check_fitted()
        random = as_generator(random_state)
        y = self._draw_labels(n, lam, random)
        return self.generate(y, w, seed=int(random.integers(2**31 - 1))), y

    def _draw_labels(self, n: int, lam: float, random: np.random.Generator) -> np.ndarray:
        """The labels to sample: class-balanced (subclasses may draw them from a learned prior)."""
        return balanced_labels(n, self.n_classes_, random)

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        return self.sample_labelled(n, lam, rng)[0]


def digits_ddpm(**overrides: object) -> ConditionalDDPM:
    """The diffusion chapters' DDPM at the current ``MAD_SCALE``: ``T`` = 100 steps, 400 Adam updates and
    γ = 20 at book scale (10 steps and 20 updates at smoke scale), resolved when called; ``overrides``
    replace any constructor argument."""
    from mad.config import by_scale

    params: dict[str, object] = dict(T=by_scale(smoke=10, book=100), n_steps=by_scale(smoke=20, book=400), snr_gamma=20.0)
    params.update(overrides)
    return ConditionalDDPM(**params)
