"""Many Gaussian loops at once, exactly, from sufficient statistics.

The Gaussian model of :mod:`mad.models.gaussian` sees its data only through the sample mean
and scatter matrix. For n i.i.d. draws of N(m, C) these are independent, with

    x̄ ~ N(m, C / n),        S = Σ_i (x_i - x̄)(x_i - x̄)ᵀ ~ W_d(C, n - 1)

(Anderson 2003, Thm. 3.3.2). A training set made of several parts (real, synthetic from
one or several models) pools exactly:

    n = Σ_j n_j,   x̄ = Σ_j n_j x̄_j / n,   S = Σ_j S_j + Σ_j n_j (x̄_j - x̄)(x̄_j - x̄)ᵀ,

and the fitted model is N(x̄, S / (n - 1)). So one generation of any :class:`~mad.loops.Schedule`
costs O(d³) per chain instead of O(n d²) (its cost does not grow with n_r or n_s), and is
*the same random process* as :func:`mad.loops.iterate_loop` with
:class:`~mad.models.gaussian.GaussianModel` (equal in distribution, not draw by draw; the tests
check this for every schedule kind). Wishart draws use the Bartlett decomposition
S = R A Aᵀ Rᵀ, A lower triangular with A_ii² ~ χ²(n - i), A_ij ~ N(0, 1) (i > j), when n - 1 ≥ d,
and explicit Gaussian draws otherwise. Everything is batched over chains.

Two entry points:

* :func:`simulate_chains`: per-generation summaries (W2² to P_r, trace, log det, mean drift)
  of ``chains`` independent runs of any schedule, for the figures "distance vs generation";
* :func:`stationary_w2_squared`: W2² to P_r = N(0, I) only in a window of generations after a
  burn-in, the building block of the effective sample size (:mod:`mad.effective_size`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mad.executors import task_threads
from mad.loops import Schedule
from mad.metrics.gaussian import gaussian_w2_squared
from mad.models.gaussian import psd_sqrt
from mad.seeding import rng
from mad.validation import check_array, check_covariance, check_int


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
        scatter = self.scatter + other.scatter
        scatter += self.n[:, None, None] * (d1[:, :, None] * d1[:, None, :])
        scatter += other.n[:, None, None] * (d2[:, :, None] * d2[:, None, :])
        return Stats(n, mean, scatter)

    def fit(self) -> tuple[np.ndarray, np.ndarray]:
        """Unbiased mean and covariance S / (n - 1) of each set."""
        if np.any(self.n < 2):
            raise ValueError("every training set needs at least 2 samples to fit a covariance")
        return self.mean, self.scatter / (self.n - 1)[:, None, None]


def factor(cov: np.ndarray) -> np.ndarray:
    """A batch of square-root factors R with R Rᵀ = cov: Cholesky, or the symmetric root when singular.

    ``cov`` must be symmetric positive semi-definite up to round-off (eigenvalues ≥ −1e-8 times the
    largest); a negative-definite direction raises instead of being clipped to 0.
    """
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        cov = np.asarray(cov, dtype=np.float64)
        if not np.allclose(cov, np.swapaxes(cov, -1, -2), rtol=1e-8, atol=1e-12):
            raise ValueError("cov must be symmetric") from None
        vals = np.linalg.eigvalsh(cov)
        scale = np.maximum(np.abs(vals).max(axis=-1), 1e-300)
        if np.any(vals.min(axis=-1) < -1e-8 * scale):
            raise ValueError(f"cov must be positive semi-definite; its smallest eigenvalue is {vals.min():.3g}") from None
        return psd_sqrt(cov)


_TRIL: dict[int, np.ndarray] = {}


def _bartlett(dof: np.ndarray, d: int, random: np.random.Generator) -> np.ndarray:
    """Bartlett factors A (c, d, d), lower triangular, with A Aᵀ ~ W_d(I, dof) for dof ≥ d."""
    if d not in _TRIL:
        i, j = np.tril_indices(d, -1)
        _TRIL[d] = i * d + j
    flat = _TRIL[d]
    c = dof.size
    a = np.zeros((c, d * d))
    a[:, flat] = random.standard_normal((c, flat.size))
    a = a.reshape(c, d, d)
    a[:, np.arange(d), np.arange(d)] = np.sqrt(random.chisquare(dof[:, None] - np.arange(d)[None, :]))
    return a


def draw_stats(n: np.ndarray | int, mean: np.ndarray, root: np.ndarray | None, random: np.random.Generator) -> Stats:
    """Statistics of ``n`` i.i.d. draws of N(mean, R Rᵀ) per chain, without drawing the samples.

    ``root`` is a factor R of the covariance (see :func:`factor`), shape (d, d) or (c, d, d), or
    ``None`` for the identity; ``n`` may differ between chains (an array of shape (c,)); chains
    with n = 0 get empty stats.
    """
    mean = np.asarray(mean, dtype=np.float64)
    if mean.ndim != 2:
        raise ValueError(f"mean must have shape (chains, d); got {mean.shape}")
    c, d = mean.shape
    n_in = np.asarray(n)
    if not np.issubdtype(n_in.dtype, np.integer) or np.any(n_in < 0):
        raise ValueError(f"n must hold non-negative integer sample counts; got {n!r}")
    n = np.broadcast_to(n_in.astype(np.int64), (c,)).copy()
    if root is not None:
        root = np.broadcast_to(root, (c, d, d))
    z = random.standard_normal((c, d))
    if root is not None:
        z = (root @ z[:, :, None])[:, :, 0]
    sample_mean = mean + z / np.sqrt(np.maximum(n, 1))[:, None]
    sample_mean[n == 0] = 0.0
    dof = n - 1
    big = dof >= d
    if np.all(big):
        a = _bartlett(dof, d, random)
        ra = a if root is None else root @ a
        return Stats(n, sample_mean, ra @ np.swapaxes(ra, -1, -2))
    scatter = np.zeros((c, d, d))
    if np.any(big):
        idx = np.flatnonzero(big)
        a = _bartlett(dof[idx], d, random)
        ra = a if root is None else root[idx] @ a
        scatter[idx] = ra @ np.swapaxes(ra, -1, -2)
    for k in np.unique(dof[(dof > 0) & ~big]):
        idx = np.flatnonzero(dof == k)
        zk = random.standard_normal((idx.size, int(k), d))
        if root is not None:
            zk = zk @ np.swapaxes(root[idx], -1, -2)
        scatter[idx] = np.swapaxes(zk, -1, -2) @ zk
    return Stats(n, sample_mean, scatter)


def _generations(
    schedule: Schedule, d: int, generations: int, chains: int, seed: int, mean0: np.ndarray, root0: np.ndarray | None
) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(t, means (c, d), covariances (c, d, d))`` of G_1, ..., G_generations for every chain.

    Draws for generation t come from ``rng(seed, t, role)`` with roles ``"real"``, ``"synth"``
    and ``"split"`` (the multinomial split of the synthetic part among the last K models).
    """
    lam = schedule.lam
    m0 = np.broadcast_to(mean0, (chains, d))
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
        yield t, mu, cov


def w2_squared_to_standard(mu: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """W2²(N(μ, Σ), N(0, I)) = |μ|² + Σ_i (√eig_i(Σ) - 1)², batched."""
    eig = np.clip(np.linalg.eigvalsh(cov), 0.0, None)
    return np.sum(mu**2, axis=-1) + np.sum((np.sqrt(eig) - 1.0) ** 2, axis=-1)


_w2_squared_to_standard = w2_squared_to_standard  # the old private name (mad.effective_size imports it)


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

    @property
    def w2(self) -> np.ndarray:
        """W2 (not squared) between G_t and P_r."""
        return np.sqrt(self.w2_squared)

    def to_frame(self, metrics: tuple[str, ...] = ("w2_squared", "trace", "mean_drift"), tags: dict | None = None) -> pd.DataFrame:
        """Tidy table: loop, lam, seed, chain, generation, metric, value (plus ``tags`` columns)."""
        unknown = [m for m in metrics if m not in ("w2_squared", "w2", "trace", "log_det", "mean_drift")]
        if isinstance(metrics, str) or unknown:
            raise ValueError(f"metrics must name some of w2_squared, w2, trace, log_det, mean_drift; got {metrics!r}")
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
                        **(tags or {}),
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
    curator: object | None = None,
) -> GaussianChains:
    """Run ``chains`` independent Gaussian loops of ``schedule`` for ``generations`` generations.

    P_r = N(mean0, cov0), by default N(0, I_d). Draws for generation t come from
    ``rng(seed, t, role)`` with roles ``"real"``, ``"synth"`` and ``"split"``; chains are the
    rows of each draw, so a run with more chains extends (does not reproduce) one with fewer.
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be a mad.loops.Schedule; got {type(schedule).__name__}")
    if curator is not None:
        raise NotImplementedError(
            f"simulate_chains works on sufficient statistics and cannot apply the row-level curator {curator!r}: "
            "run the loop with mad.run_loop(..., curator=...) and GaussianModel instead"
        )
    d = check_int("d", d, minimum=1)
    generations = check_int("generations", generations, minimum=1)
    chains = check_int("chains", chains, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    mean0 = np.zeros(d) if mean0 is None else check_array("mean0", mean0, shape=(d,))
    cov0 = np.eye(d) if cov0 is None else check_covariance("cov0", cov0, d=d)
    identity = np.allclose(cov0, np.eye(d))

    out_w2 = np.empty((generations, chains))
    out_tr = np.empty((generations, chains))
    out_ld = np.empty((generations, chains))
    out_mean = np.empty((generations, chains, d))
    out_cov = np.empty((generations, chains, d, d)) if keep_covs else None
    root0 = None if identity else factor(cov0)
    with task_threads():  # one BLAS thread: A·Aᵀ (dsyrk) rounds differently with more threads
        for t, mu, cov in _generations(schedule, d, generations, chains, seed, mean0, root0):
            out_mean[t - 1] = mu
            out_tr[t - 1] = np.trace(cov, axis1=-2, axis2=-1)
            sign, logdet = np.linalg.slogdet(cov)
            out_ld[t - 1] = np.where(sign > 0, logdet, -np.inf)
            if identity:
                out_w2[t - 1] = _w2_squared_to_standard(mu - mean0, cov)
            else:
                out_w2[t - 1] = gaussian_w2_squared(mu, cov, mean0, cov0)
            if out_cov is not None:
                out_cov[t - 1] = cov
    drift = np.linalg.norm(out_mean - mean0, axis=-1)
    return GaussianChains(schedule, d, seed, out_w2, out_tr, out_ld, drift, out_mean, out_cov)


def stationary_w2_squared(schedule: Schedule, d: int, chains: int, burn_in: int, window: int, seed: int = 0) -> np.ndarray:
    """W2²(G_t, P_r) for t = burn_in + 1, ..., burn_in + window, shape (window, chains); P_r = N(0, I_d).

    The same process as :func:`simulate_chains` (same draws for the same seed), but the distance
    (an eigendecomposition per chain) is computed only inside the window, so a long burn-in is
    cheap. Averaging over the window and the chains estimates the steady state
    lim_t E W2²(G_t, P_r) of a fresh data loop (Alemohammad et al. 2024, Eq. 3).
    """
    d = check_int("d", d, minimum=1)
    chains = check_int("chains", chains, minimum=1)
    burn_in = check_int("burn_in", burn_in, minimum=0)
    window = check_int("window", window, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    out = np.empty((window, chains))
    with task_threads():  # one BLAS thread: the same bits whatever the process's thread count
        for t, mu, cov in _generations(schedule, d, burn_in + window, chains, seed, np.zeros(d), None):
            if t > burn_in:
                out[t - burn_in - 1] = _w2_squared_to_standard(mu, cov)
    return out
