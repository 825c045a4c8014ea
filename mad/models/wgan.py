"""A CPU-sized WGAN-GP (Gulrajani et al. 2017) for 8x8 images, with StyleGAN-style truncation ψ = λ.

Training minimises the Wasserstein-1 objective with a gradient penalty on the critic D:

    L_D = E[D(G(z))] - E[D(x)] + γ E[(‖∇_x̂ D(x̂)‖₂ - 1)²],   x̂ = εx + (1-ε)G(z), ε ~ U[0, 1],
    L_G = -E[D(G(z))],   z ~ N(0, I_k),

with ``n_critic`` critic steps per generator step and Adam(β = (0.5, 0.9)). The generator is a
tiny DCGAN-style network (linear to 2x2, two stride-2 transposed convolutions to 4x4 and 8x8,
sigmoid output in [0, 1]); the critic is a two-hidden-layer MLP (a convolutional critic costs
five times more per step on a CPU, because the penalty needs double back-propagation).
Transposed convolutions can leave a high-frequency (checkerboard) fingerprint (Odena et al.
2016), the small-scale analogue of the cross-hatching that the MAD paper sees amplified in
StyleGAN2; :mod:`mad.spectra` measures it.

**Sampling bias (truncation, ψ = λ).** StyleGAN truncates a style vector towards the mean
style, w' = w̄ + ψ (w - w̄) (Karras et al. 2019; used by StyleGAN2, Karras et al. 2020); here the latent is z ~ N(0, I) with mean
z̄ = 0, so truncation scales the latent itself: x = G(ψ z_raw), z_raw ~ N(0, I_k), i.e. the
latent is drawn from N(0, ψ² I_k). ψ = 1 is unbiased sampling; ψ → 0 gives the single image
G(0). The model is unconditional, like the paper's StyleGAN2 and WGAN-GP.

Training cost is a fixed number of generator steps (``n_steps``), not epochs, so a larger
(accumulated) training set costs the same time per generation.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mad.models.base import GenerativeModel
from mad.seeding import as_generator
from mad.validation import check_int, check_lam, check_samples


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

    Parameters
    ----------
    latent_dim: dimension k of the latent z ~ N(0, I_k).
    width: channels of the generator's 4x4 map (its 2x2 map has 2 ``width``).
    hidden: width of the critic's two hidden layers.
    n_steps: generator updates (each preceded by ``n_critic`` critic updates).
    n_critic: critic updates per generator update.
    batch_size: minibatch size (drawn with replacement from the training set).
    lr: Adam learning rate of both networks (β = (0.5, 0.9)).
    gp_weight: γ, the weight of the gradient penalty.
    random_state: seed of the weights and of every training draw. ``fit`` uses one torch thread.

    Attributes
    ----------
    generator_, critic_: the trained torch modules.
    w_distance_: the critic's estimate E[D(x)] - E[D(G(z))] after each generator step.
    """

    lam_rule = "truncation ψ = λ: the latent is scaled toward its mean 0, x = G(λ z), z ~ N(0, I)"

    def __init__(
        self,
        latent_dim: int = 16,
        width: int = 32,
        hidden: int = 128,
        n_steps: int = 300,
        n_critic: int = 3,
        batch_size: int = 64,
        lr: float = 1e-3,
        gp_weight: float = 10.0,
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
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> WGANGP:
        """Train G and D from scratch on the rows of ``X`` (n, side²), pixel values in [0, 1]."""
        X = check_samples(X, min_samples=2)
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1] or side % 4:
            raise ValueError(f"X must hold square images with a side divisible by 4 (64 = 8x8 pixels); got {X.shape[1]} features")
        k = check_int("latent_dim", self.latent_dim, minimum=1)
        width = check_int("width", self.width, minimum=1)
        hidden = check_int("hidden", self.hidden, minimum=1)
        steps = check_int("n_steps", self.n_steps, minimum=1)
        n_critic = check_int("n_critic", self.n_critic, minimum=1)
        batch = check_int("batch_size", self.batch_size, minimum=1)
        if not float(self.lr) > 0 or not float(self.gp_weight) >= 0:
            raise ValueError(f"lr must be > 0 and gp_weight >= 0; got lr={self.lr}, gp_weight={self.gp_weight}")
        torch.set_num_threads(1)
        seed = int(as_generator(self.random_state).integers(2**31))
        gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            G, D = _generator(k, width, side), _critic(X.shape[1], hidden)
        opt_g = torch.optim.Adam(G.parameters(), lr=self.lr, betas=(0.5, 0.9))
        opt_d = torch.optim.Adam(D.parameters(), lr=self.lr, betas=(0.5, 0.9))
        data = torch.as_tensor(X, dtype=torch.float32)
        history = np.empty(steps)
        for step in range(steps):
            for _ in range(n_critic):
                real = data[torch.randint(len(data), (batch,), generator=gen)]
                with torch.no_grad():
                    fake = G(torch.randn(batch, k, generator=gen))
                eps = torch.rand(batch, 1, generator=gen)
                mix = (eps * real + (1 - eps) * fake).requires_grad_(True)
                (grad,) = torch.autograd.grad(D(mix).sum(), mix, create_graph=True)
                gap = D(real).mean() - D(fake).mean()
                loss_d = -gap + self.gp_weight * ((grad.norm(dim=1) - 1) ** 2).mean()
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
            loss_g = -D(G(torch.randn(batch, k, generator=gen))).mean()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            history[step] = float(gap.detach())
        self.generator_, self.critic_ = G.eval(), D.eval()
        self.w_distance_ = history
        self.n_features_in_ = X.shape[1]
        self.fitted_ = True
        return self

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
            return self.generator_(torch.as_tensor(z, dtype=torch.float32)).double().numpy()

    def critic_score(self, X: np.ndarray) -> np.ndarray:
        """The critic's value D(x) for each row of ``X`` (higher = judged more real)."""
        self._check_fitted()
        X = check_samples(X, min_samples=1, n_features=self.n_features_in_)
        with torch.no_grad():
            return self.critic_(torch.as_tensor(X, dtype=torch.float32)).double().numpy().ravel()
