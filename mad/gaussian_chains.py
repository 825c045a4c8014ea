"""Many Gaussian loops at once, exactly, from sufficient statistics.

The Gaussian model of :mod:`mad.models.gaussian` sees its data only through the sample mean
and scatter matrix. For n i.i.d. draws of N(m, C) these are independent, with

    x̄ ~ N(m, C / n),        S = Σ_i (x_i - x̄)(x_i - x̄)ᵀ ~ W_d(C, n - 1)

(Anderson 2003, Thm. 3.3.2). A training set made of several parts (real, synthetic from
one or several models) pools exactly:

    n = Σ_j n_j,   x̄ = Σ_j n_j x̄_j / n,   S = Σ_j S_j + Σ_j n_j (x̄_j - x̄)(x̄_j - x̄)ᵀ,

and the fitted model is N(x̄, S / (n - 1)). So one generation of any :class:`~mad.loops.Schedule`
costs O(d³) per chain instead of O(n d²), and is *the same random process* as
:func:`mad.loops.iterate_loop` with :class:`~mad.models.gaussian.GaussianModel` (equal in
distribution, not draw by draw). Wishart draws use the Bartlett decomposition when
n - 1 ≥ d and explicit Gaussian draws otherwise. Everything is batched over chains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mad.loops import Schedule
from mad.metrics.gaussian import gaussian_w2_squared
from mad.models.gaussian import psd_sqrt
from mad.seeding import rng
from mad.validation import check_int


@dataclass
class Stats:
    """Sufficient statistics of a batch of sample sets: counts (c,), means (c, d), scatters (c, d, d)."""

    n: np.ndarray
    mean: np.ndarray
    scatter: np.ndarray

    def pool(self, other: Stats) -> Stats:
        """The statistics of the union of the two sets (exact)."""
        n = self.n + other.n
        safe = np.maximum(n, 1)[:, None]
        mean = (self.n[:, None] * self.mean + other.n[:, None] * other.mean) / safe
        d1, d2 = self.mean - mean, other.mean - mean
        scatter = (
            self.scatter
            + other.scatter
            + self.n[:, None, None] * d1[:, :, None] * d1[:, None, :]
            + other.n[:, None, None] * d2[:, :, None] * d2[:, None, :]
        )
        return Stats(n, mean, scatter)

    def fit(self) -> tuple[np.ndarray, np.ndarray]:
        """Unbiased mean and covariance S / (n - 1) of each set."""
        if np.any(self.n < 2):
            raise ValueError("every training set needs at least 2 samples to fit a covariance")
        return self.mean, self.scatter / (self.n - 1)[:, None, None]


def factor(cov: np.ndarray) -> np.ndarray:
    """A batch of square-root factors R with R Rᵀ = cov: Cholesky, or the symmetric root when singular."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return psd_sqrt(cov)


def draw_stats(n: np.ndarray | int, mean: np.ndarray, root: np.ndarray, random: np.random.Generator) -> Stats:
    """Statistics of ``n`` i.i.d. draws of N(mean, R Rᵀ) per chain, without drawing the samples.

    ``root`` is a factor R of the covariance (see :func:`factor`), shape (d, d) or (c, d, d);
    ``n`` may differ between chains (an array of shape (c,)); chains with n = 0 get empty stats.
    """
    mean = np.asarray(mean, dtype=np.float64)
    c, d = mean.shape
    n = np.broadcast_to(np.asarray(n, dtype=np.int64), (c,)).copy()
    root = np.broadcast_to(root, (c, d, d))
    z = random.standard_normal((c, d))
    sample_mean = mean + np.einsum("cij,cj->ci", root, z) / np.sqrt(np.maximum(n, 1))[:, None]
    sample_mean[n == 0] = 0.0
    scatter = np.zeros((c, d, d))
    dof = n - 1
    big = dof >= d
    if np.any(big):
        # Bartlett: A lower-triangular, A_ii ~ sqrt(chi2(k - i)), A_ij ~ N(0, 1) below the diagonal
        idx = np.flatnonzero(big)
        a = np.tril(random.standard_normal((idx.size, d, d)), -1)
        diag = np.sqrt(random.chisquare(dof[idx][:, None] - np.arange(d)[None, :]))
        a[:, np.arange(d), np.arange(d)] = diag
        ra = root[idx] @ a
        scatter[idx] = ra @ np.swapaxes(ra, -1, -2)
    for k in np.unique(dof[(dof > 0) & ~big]):
        idx = np.flatnonzero(dof == k)
        zk = random.standard_normal((idx.size, int(k), d)) @ root[idx]
        scatter[idx] = np.swapaxes(zk, -1, -2) @ zk
    return Stats(n, sample_mean, scatter)


@dataclass
class GaussianChains:
    """Per-generation summaries of ``chains`` independent runs (arrays of shape (generations, chains))."""

    schedule: Schedule
    d: int
    seed: int
    w2_squared: np.ndarray  # W2² between G_t and P_r
    trace: np.ndarray  # tr Σ_t
    log_det: np.ndarray  # log det Σ_t (-inf once singular)
    mean_drift: np.ndarray  # |μ_t - μ_0|
    means: np.ndarray  # (generations, chains, d)
    covs: np.ndarray | None = None  # (generations, chains, d, d) when keep_covs=True

    @property
    def generations(self) -> np.ndarray:
        return np.arange(1, self.trace.shape[0] + 1)

    def to_frame(self, metrics: tuple[str, ...] = ("w2_squared", "trace", "mean_drift")) -> pd.DataFrame:
        """Tidy table: loop, lam, seed, chain, generation, metric, value."""
        frames = []
        g, c = self.trace.shape
        for name in metrics:
            values = getattr(self, name)
            frames.append(
                pd.DataFrame(
                    {
                        "loop": self.schedule.label or self.schedule.loop,
                        "lam": self.schedule.lam,
                        "seed": self.seed,
                        "chain": np.tile(np.arange(c), g),
                        "generation": np.repeat(np.arange(1, g + 1), c),
                        "metric": name,
                        "value": values.reshape(-1),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)


def simulate_chains(
    schedule: Schedule,
    d: int,
    generations: int,
    chains: int,
    seed: int = 0,
    mean0: np.ndarray | None = None,
    cov0: np.ndarray | None = None,
    keep_covs: bool = False,
) -> GaussianChains:
    """Run ``chains`` independent Gaussian loops of ``schedule`` for ``generations`` generations.

    P_r = N(mean0, cov0), by default N(0, I_d). Draws for generation t come from
    ``rng(seed, t, role)`` with roles ``"real"``, ``"synth"`` and ``"split"``.
    """
    d = check_int("d", d, minimum=1)
    generations = check_int("generations", generations, minimum=1)
    chains = check_int("chains", chains, minimum=1)
    mean0 = np.zeros(d) if mean0 is None else np.asarray(mean0, dtype=np.float64).reshape(d)
    cov0 = np.eye(d) if cov0 is None else np.asarray(cov0, dtype=np.float64).reshape(d, d)
    identity = np.allclose(cov0, np.eye(d))
    lam = schedule.lam
    m0 = np.broadcast_to(mean0, (chains, d))

    out_w2 = np.empty((generations, chains))
    out_tr = np.empty((generations, chains))
    out_ld = np.empty((generations, chains))
    out_mean = np.empty((generations, chains, d))
    out_cov = np.empty((generations, chains, d, d)) if keep_covs else None

    root0 = factor(cov0)
    first = draw_stats(schedule.n_init, m0, root0, rng(seed, 1, "real"))
    recent: list[tuple[np.ndarray, np.ndarray]] = []  # last K fitted (mean, factor of λ cov)
    pool: Stats | None = None
    for t in range(1, generations + 1):
        if t == 1:
            stats = first
        else:
            parts: list[Stats] = []
            if schedule.real == "fixed":
                parts.append(first)
            elif schedule.real == "fresh" and schedule.n_real:
                parts.append(draw_stats(schedule.n_real, m0, root0, rng(seed, t, "real")))
            draw = rng(seed, t, "synth")
            if schedule.synth == "last_k":
                counts = rng(seed, t, "split").multinomial(schedule.n_synth, np.full(len(recent), 1 / len(recent)), size=chains)
                for j, (mu, root) in enumerate(recent):
                    parts.append(draw_stats(counts[:, j], mu, root, draw))
            elif schedule.n_synth:
                mu, root = recent[-1]
                new = draw_stats(schedule.n_synth, mu, root, draw)
                if schedule.synth == "accumulate":
                    pool = new if pool is None else pool.pool(new)
                    parts.append(pool)
                else:
                    parts.append(new)
            stats = parts[0]
            for part in parts[1:]:
                stats = stats.pool(part)
        mu, cov = stats.fit()
        if t < generations:
            recent.append((mu, np.sqrt(lam) * factor(cov)))
            if len(recent) > schedule.k:
                recent.pop(0)
        out_mean[t - 1] = mu
        out_tr[t - 1] = np.trace(cov, axis1=-2, axis2=-1)
        sign, logdet = np.linalg.slogdet(cov)
        out_ld[t - 1] = np.where(sign > 0, logdet, -np.inf)
        out_w2[t - 1] = gaussian_w2_squared(mu, cov, mean0) if identity else gaussian_w2_squared(mu, cov, mean0, cov0)
        if out_cov is not None:
            out_cov[t - 1] = cov
    drift = np.linalg.norm(out_mean - mean0, axis=-1)
    return GaussianChains(schedule, d, seed, out_w2, out_tr, out_ld, drift, out_mean, out_cov)
