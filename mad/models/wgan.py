"""A CPU-sized WGAN-GP (Gulrajani et al. 2017) for 8x8 images, with StyleGAN-style truncation ψ = λ.

Training minimises the Wasserstein-1 objective with a gradient penalty on the critic D:

    L_D = E[D(G(z))] - E[D(x)] + γ E[(‖∇_x̂ D(x̂)‖₂ - 1)²],   x̂ = εx + (1-ε)G(z), ε ~ U[0, 1],
    L_G = -E[D(G(z))],   z ~ N(0, I_k),

with ``n_critic`` critic steps per generator step, both networks trained by Adam(lr, β). The
generator is a tiny DCGAN-style network (linear to 2x2, two stride-2 transposed convolutions
to 4x4 and 8x8, sigmoid output in [0, 1]); the critic is a two-hidden-layer MLP (a
convolutional critic costs five times more per step on a CPU, because the penalty needs double
back-propagation). The last critic step's fake batch G(z) is kept with its graph and reused
for the generator step (against the just-updated critic), which saves one generator forward
pass per step. Transposed convolutions can leave a high-frequency (checkerboard) fingerprint
(Odena et al. 2016), the small-scale analogue of the cross-hatching that the MAD paper sees
amplified in StyleGAN2; :mod:`mad.spectra` measures it.

**Cheap settings.** The defaults were chosen for the lowest CPU fit time at which the first
generation is a good model of 1,000 digits (benchmarks/bench_wgan.py): one critic step per
generator step with a large learning rate (4e-3 for both networks), Adam β = (0, 0.9) (β₁ = 0
as in Gulrajani et al.'s ResNet experiments and SAGAN, Zhang et al. 2019), a weak penalty
γ = 1, and an exponential moving average (EMA) of the generator's weights,

    θ̄_t = β_t θ̄_{t-1} + (1 - β_t) θ_t,   β_t = min(``ema_decay``, (1 + t) / (10 + t)),

which is what :meth:`sample` uses (Yazıcı et al. 2019; Karras et al. 2018). The warm-up β_t
(as in TensorFlow's ``ExponentialMovingAverage(num_updates=t)``) keeps the random
initialisation out of the average in short runs; at 450 steps it never reaches the cap 0.99,
so θ̄ is a weighted average of the iterates that favours the late ones. Averaging removes most
of the generator's step-to-step oscillation around the equilibrium: at 400 steps it cuts FID
about threefold for nearly no cost. ``ema_decay = 0`` samples the last iterate.

**Sampling bias (truncation, ψ = λ).** StyleGAN truncates a style vector towards the mean
style, w' = w̄ + ψ (w - w̄) (Karras et al. 2019; used by StyleGAN2, Karras et al. 2020); here the latent is z ~ N(0, I) with mean
z̄ = 0, so truncation scales the latent itself: x = G(ψ z_raw), z_raw ~ N(0, I_k), i.e. the
latent is drawn from N(0, ψ² I_k). ψ = 1 is unbiased sampling; ψ → 0 gives the single image
G(0). The model is unconditional, like the paper's StyleGAN2 and WGAN-GP.

Training cost is a fixed number of generator steps (``n_steps``), not epochs, so a larger
(accumulated) training set costs the same time per generation.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from mad.models.base import GenerativeModel, seeded_torch, single_torch_thread
from mad.models.ddpm import check_device
from mad.seeding import as_generator
from mad.validation import check_int, check_lam, check_number, check_pixels, check_samples


def _generator(latent_dim: int, width: int, side: int) -> nn.Sequential:
    s = side // 4
    return nn.Sequential(
        nn.Linear(latent_dim, 2 * width * s * s),
        nn.ReLU(),
        nn.Unflatten(1, (2 * width, s, s)),
        nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1),  # s -> 2s
        nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),  # 2s -> 4s = side
        nn.Sigmoid(),
        nn.Flatten(),
    )


def _conv_critic(side: int, width: int) -> nn.Sequential:
    """DCGAN-style critic (Radford et al. 2016) without normalisation layers, which the per-sample gradient
    penalty forbids (Gulrajani et al. 2017): two stride-2 convolutions (side -> side/2 -> side/4), then linear."""
    s = side // 4
    return nn.Sequential(
        nn.Unflatten(1, (1, side, side)),
        nn.Conv2d(1, width, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(2 * width * s * s, 1),
    )


def _critic(n_features: int, hidden: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(n_features, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 1),
    )


class WGANGP(GenerativeModel):
    """Unconditional WGAN-GP on flattened square images in [0, 1]; samples G(ψ z) with ψ = λ.

    The settings before the cheap defaults were n_steps = 300, n_critic = 3, lr = 1e-3,
    gp_weight = 10, betas = (0.5, 0.9), ema_decay = 0.

    Parameters
    ----------
    latent_dim: dimension k of the latent z ~ N(0, I_k).
    width: channels of the generator's 4x4 map (its 2x2 map has 2 ``width``).
    hidden: width of the critic's two hidden layers.
    n_steps: generator updates (each preceded by ``n_critic`` critic updates).
    n_critic: critic updates per generator update.
    batch_size: minibatch size (drawn with replacement from the training set).
    lr: Adam learning rate of both networks.
    gp_weight: γ, the weight of the gradient penalty.
    betas: Adam's (β₁, β₂) for both networks.
    ema_decay: cap of the EMA decay β_t of the sampled generator's weights (0: no averaging).
    arch: ``"mlp"`` (the critic above) or ``"conv"``: a DCGAN-style convolutional critic with ``width``
        and 2 ``width`` channels (for 28x28 images, where the MLP critic sees no locality); the
        generator is the same transposed-convolution network for both (side/4 -> side/2 -> side).
    device: ``"cpu"`` (default; same bits under a seed) or ``"cuda"``; random draws always come from a
        CPU ``torch.Generator``.
    random_state: seed of the weights and of every training draw. ``fit`` uses one torch thread.

    Attributes
    ----------
    generator_ : torch.nn.Module
        The trained generator, holding the EMA weights θ̄.
    critic_ : torch.nn.Module
        The trained critic.
    w_distance_ : numpy.ndarray
        The critic's estimate E[D(x)] - E[D(G(z))] after each generator step.
    """

    lam_rule = "truncation ψ = λ: the latent is scaled toward its mean 0, x = G(λ z), z ~ N(0, I)"

    def __init__(
        self,
        latent_dim: int = 16,
        width: int = 32,
        hidden: int = 128,
        n_steps: int = 450,
        n_critic: int = 1,
        batch_size: int = 64,
        lr: float = 4e-3,
        gp_weight: float = 1.0,
        betas: tuple[float, float] = (0.0, 0.9),
        ema_decay: float = 0.99,
        arch: str = "mlp",
        device: str = "cpu",
        random_state: int | None = None,
    ) -> None:
        self.latent_dim = latent_dim
        self.width = width
        self.hidden = hidden
        self.n_steps = n_steps
        self.n_critic = n_critic
        self.batch_size = batch_size
        self.lr = lr
        self.gp_weight = gp_weight
        self.betas = betas
        self.ema_decay = ema_decay
        self.arch = arch
        self.device = device
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> WGANGP:
        """Train G and D from scratch on the rows of ``X`` (n, side²), pixel values in [0, 1]."""
        X = check_pixels("X", check_samples(X, min_samples=2), 0.0, 1.0)
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1] or side % 4:
            raise ValueError(f"X must hold square images with a side divisible by 4 (64 = 8x8 pixels); got {X.shape[1]} features")
        k = check_int("latent_dim", self.latent_dim, minimum=1)
        width = check_int("width", self.width, minimum=1)
        hidden = check_int("hidden", self.hidden, minimum=1)
        steps = check_int("n_steps", self.n_steps, minimum=1)
        n_critic = check_int("n_critic", self.n_critic, minimum=1)
        batch = check_int("batch_size", self.batch_size, minimum=1)
        check_number("lr", self.lr, 0.0, low_open=True)
        check_number("gp_weight", self.gp_weight, 0.0)
        if isinstance(self.betas, (str, bytes)) or np.ndim(self.betas) != 1 or np.size(self.betas) != 2:
            raise ValueError(f"betas must be two numbers in [0, 1) (Adam's β₁, β₂); got {self.betas!r}")
        betas = tuple(check_number("betas", b, 0.0, 1.0, high_open=True) for b in self.betas)
        check_number("ema_decay", self.ema_decay, 0.0, 1.0, high_open=True)
        if self.arch not in ("mlp", "conv"):
            raise ValueError(f"arch must be 'mlp' or 'conv'; got {self.arch!r}")
        check_device(self.device)
        seed = int(as_generator(self.random_state).integers(2**31))
        with single_torch_thread():
            G, G_avg, D, history = self._train(
                torch.as_tensor(X, dtype=torch.float32), side, k, width, hidden, steps, n_critic, batch, betas, seed
            )
        self.generator_, self.critic_ = G_avg.eval(), D.eval()
        self.w_distance_ = history
        self.n_features_in_ = X.shape[1]
        self.fitted_ = True
        return self

    def _train(self, data, side, k, width, hidden, steps, n_critic, batch, betas, seed):
        """The training loop: (G, its EMA copy, D, the critic's W-distance estimate per step)."""
        gen = torch.Generator().manual_seed(seed)  # every training draw; the global torch RNG is left as it was
        with seeded_torch(seed):  # initialisation only; the global generator is restored (thread-safe)
            G = _generator(k, width, side)
            D = _critic(data.shape[1], hidden) if self.arch == "mlp" else _conv_critic(side, width)
        dev = check_device(self.device)
        G, D, data = G.to(dev), D.to(dev), data.to(dev)
        G_avg = copy.deepcopy(G).requires_grad_(False)
        opt_g = torch.optim.Adam(G.parameters(), lr=self.lr, betas=betas)
        opt_d = torch.optim.Adam(D.parameters(), lr=self.lr, betas=betas)
        history = np.empty(steps)
        for step in range(steps):
            for j in range(n_critic):
                real = data[torch.randint(len(data), (batch,), generator=gen).to(dev)]
                z = torch.randn(batch, k, generator=gen).to(dev)
                if j < n_critic - 1:
                    with torch.no_grad():
                        fake = G(z)
                else:  # keep the graph: the generator step reuses this batch
                    fake_g = G(z)
                    fake = fake_g.detach()
                eps = torch.rand(batch, 1, generator=gen).to(dev)
                mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
                (grad,) = torch.autograd.grad(D(mix).sum(), mix, create_graph=True)
                gap = D(real).mean() - D(fake).mean()
                loss_d = -gap + self.gp_weight * ((grad.norm(dim=1) - 1) ** 2).mean()
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
            loss_g = -D(fake_g).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            decay = min(float(self.ema_decay), (1 + step) / (10 + step))
            with torch.no_grad():
                for avg, p in zip(G_avg.parameters(), G.parameters()):
                    avg.lerp_(p, 1 - decay)
            history[step] = float(gap.detach())
        return G, G_avg, D, history

    def sample_latent(self, n: int, lam: float = 1.0, random_state: int | np.random.Generator | None = None) -> np.ndarray:
        """The truncated latents ψ z_raw, z_raw ~ N(0, I_k) (ψ = ``lam``), shape (n, latent_dim)."""
        n, psi = check_int("n", n, minimum=1), check_lam(lam, name="lam (truncation ψ)")
        return psi * as_generator(random_state).standard_normal((n, int(self.latent_dim)))

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        return self.decode(self.sample_latent(n, lam, rng))

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Images G(z) for latents ``z`` of shape (n, latent_dim), as float64 rows in [0, 1]."""
        self._check_fitted()
        z = check_samples(z, name="z", min_samples=1, n_features=int(self.latent_dim))
        with torch.no_grad():
            return self.generator_(torch.as_tensor(z, dtype=torch.float32, device=check_device(self.device))).double().cpu().numpy()

    def critic_score(self, X: np.ndarray) -> np.ndarray:
        """The critic's value D(x) for each row of ``X`` (higher = judged more real)."""
        self._check_fitted()
        X = check_samples(X, min_samples=1, n_features=self.n_features_in_)
        with torch.no_grad():
            return self.critic_(torch.as_tensor(X, dtype=torch.float32, device=check_device(self.device))).double().cpu().numpy().ravel()
