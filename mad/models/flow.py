"""A small RealNVP normalizing flow for low-dimensional data, in torch (Dinh et al. 2017).

The flow is an invertible map f = g_L ∘ ... ∘ g_1 ∘ s from data x to a latent z, where s
standardises the data with the training mean and standard deviation (a fixed affine layer)
and each g_l is an *affine coupling layer*: with a binary mask m (alternating between
layers, so every coordinate is transformed),

    y = m ⊙ u + (1 - m) ⊙ (u ⊙ exp(a(m ⊙ u)) + b(m ⊙ u)),   log abs det ∂y/∂u = Σ (1 - m) ⊙ a,

where the log-scale a (bounded by tanh) and the shift b come from a one-hidden-layer MLP of the
masked half. Training maximises the
exact log-likelihood log p(x) = log N(f(x); 0, I) + log abs det ∂f/∂x with Adam. The paper's
GLOW in App. B.4 uses 8 coupling layers of width 64, 20 epochs, batch 256: the defaults here
(our couplings are RealNVP's, without Glow's 1x1 convolutions and ActNorm, which in 2-D
reduce to the alternating masks and the standardisation).

**λ rule (the paper's, App. B.4):** draw the latent from N(0, λ I) and push it through f^{-1}.
λ = 1 samples the fitted density; smaller λ concentrates samples near its mode.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mad.models.base import GenerativeModel, seeded_torch, single_torch_thread
from mad.validation import check_int, check_number, check_samples


class _Coupling(nn.Module):
    def __init__(self, mask: torch.Tensor, hidden: int) -> None:
        super().__init__()
        d = mask.numel()
        self.register_buffer("mask", mask)
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, 2 * d))
        nn.init.zeros_(self.net[-1].weight)  # start at the identity map
        nn.init.zeros_(self.net[-1].bias)

    def _params(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.net(u * self.mask).chunk(2, dim=1)
        free = 1 - self.mask
        return torch.tanh(a) * free, b * free

    def forward(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """data side -> latent side; returns (y, log abs det)."""
        a, b = self._params(u)
        return u * torch.exp(a) + b, a.sum(dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        a, b = self._params(y)  # the masked half of y equals that of u
        return (y - b) * torch.exp(-a)


class RealNVPFlow(GenerativeModel):
    """RealNVP flow with ``n_layers`` affine couplings (MLP width ``hidden``); samples f^{-1}(z), z ~ N(0, λ I).

    Parameters
    ----------
    n_layers, hidden
        Coupling layers and MLP width (the paper: 8 and 64).
    epochs, batch_size, lr
        Adam training (the paper: 20 epochs, batch 256).
    weight_decay
        Adam weight decay.
    random_state
        Seed of the initialisation and of the minibatch order (``None`` means 0, so that a fit is
        always reproducible; the loop runner sets it per generation).

    Attributes
    ----------
    loss_history_
        Mean training negative log-likelihood per epoch (nats per sample, data space).
    """

    lam_rule = "latent z ~ N(0, λ I), x = f^{-1}(z) (the paper's rule for its GLOW)"

    def __init__(
        self,
        n_layers: int = 8,
        hidden: int = 64,
        epochs: int = 20,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        random_state: int | None = None,
    ) -> None:
        self.n_layers = n_layers
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state

    def _build(self, d: int) -> nn.ModuleList:
        n_layers = check_int("n_layers", self.n_layers, minimum=1)
        hidden = check_int("hidden", self.hidden, minimum=1)
        base = (torch.arange(d) % 2).to(torch.float64) if d > 1 else torch.zeros(1, dtype=torch.float64)
        masks = [base if i % 2 == 0 else 1 - base for i in range(n_layers)]
        return nn.ModuleList([_Coupling(m, hidden) for m in masks]).to(torch.float64)

    def _to_latent(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u = (x - self._shift) / self._scale
        logdet = -torch.log(self._scale).sum().expand(len(x))
        for layer in self.layers_:
            u, ld = layer(u)
            logdet = logdet + ld
        return u, logdet

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        z, logdet = self._to_latent(x)
        return -0.5 * (z**2).sum(dim=1) - 0.5 * z.shape[1] * np.log(2 * np.pi) + logdet

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> RealNVPFlow:
        X = check_samples(X, min_samples=2)
        epochs = check_int("epochs", self.epochs, minimum=1)
        batch = check_int("batch_size", self.batch_size, minimum=1)
        lr = check_number("lr", self.lr, 0.0, low_open=True)
        weight_decay = check_number("weight_decay", self.weight_decay, 0.0)
        with single_torch_thread():  # one torch thread, restored afterwards: runs go in parallel through run_sweep
            return self._fit(X, epochs, batch, lr, weight_decay)

    def _fit(self, X: np.ndarray, epochs: int, batch: int, lr: float, weight_decay: float) -> RealNVPFlow:
        seed = int(self.random_state or 0)
        gen = torch.Generator().manual_seed(seed)  # every training draw; the global generator is never used
        with seeded_torch(seed):  # initialisation from the seeded global generator, restored on exit
            self.layers_ = self._build(X.shape[1])
        data = torch.as_tensor(X, dtype=torch.float64)
        self._shift = data.mean(dim=0)
        self._scale = data.std(dim=0).clamp_min(1e-8)  # a collapsed coordinate keeps a defined, tiny scale
        opt = torch.optim.Adam(self.layers_.parameters(), lr=lr, weight_decay=weight_decay)
        self.loss_history_ = []
        for _ in range(epochs):
            order = torch.randperm(len(data), generator=gen)
            total = 0.0
            for start in range(0, len(data), batch):
                xb = data[order[start : start + batch]]
                loss = -self._log_prob(xb).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(xb)
            self.loss_history_.append(total / len(data))
        self.fitted_ = True
        return self

    @torch.no_grad()
    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:
        z = torch.as_tensor(np.sqrt(lam) * rng.standard_normal((n, len(self._shift))), dtype=torch.float64)
        for layer in reversed(self.layers_):
            z = layer.inverse(z)
        return (z * self._scale + self._shift).numpy()

    @torch.no_grad()
    def log_density(self, X: np.ndarray) -> np.ndarray:
        """Exact log p(x) of the fitted flow (λ = 1)."""
        self._check_fitted()
        X = check_samples(X, min_samples=1, n_features=len(self._shift))
        return self._log_prob(torch.as_tensor(X, dtype=torch.float64)).numpy()
