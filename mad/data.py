"""Reference distributions P_r: infinite sources and finite pools of real data.

Every source hands out data through a *stream* (:meth:`Source.stream`), which the loop
runner opens once per run. An infinite source samples afresh on every ``take``; a
:class:`FinitePool` hands out its rows without replacement, so real data that a loop calls
*fresh* really is fresh, and it raises :class:`PoolExhaustedError` when it runs dry.

Sources
-------
* :class:`GaussianSource`: N(μ, Σ) in d dimensions (the paper's Sec. 3 and 5).
* :class:`GridMixture`: the 25-mode 5x5 grid of Gaussians (Che et al. 2020; paper App. B.2).
* :class:`Rosenbrock`: p(x1, x2) ∝ exp(-x1²/2 - (x2 - x1²)²) (paper App. B.4), sampled
  exactly as x1 ~ N(0, 1), x2 | x1 ~ N(x1², 1/2).
* :class:`Resampled`: an infinite source drawing from the empirical distribution of a pool.
* :func:`load_digits_pool`: scikit-learn's bundled 8x8 handwritten digits (1,797 images).
* :func:`load_fashion_mnist`: Fashion-MNIST from Debian's ``dataset-fashion-mnist``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from mad.seeding import as_generator
from mad.validation import check_array, check_covariance, check_int, check_labels, check_number, check_samples

Labelled = tuple[np.ndarray, "np.ndarray | None"]


class PoolExhaustedError(RuntimeError):
    """A finite pool of real data was asked for more fresh samples than it has left."""


class Source:
    """An infinite source of real data: subclasses implement :meth:`sample_labelled`."""

    n_features: int
    n_classes: int | None = None

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> Labelled:  # pragma: no cover
        raise NotImplementedError

    def sample(self, n: int, random_state: int | np.random.Generator | None = None) -> np.ndarray:
        """``n`` i.i.d. draws from P_r."""
        return self.sample_labelled(n, random_state)[0]

    def stream(self, random_state: int | np.random.Generator | None = None) -> Stream:
        """A stream that hands out fresh draws; for infinite sources every draw is new."""
        return _InfiniteStream(self, as_generator(random_state))


class Stream:
    """Hands out real data in order; ``ids`` number every row handed out (0, 1, 2, ...)."""

    handed_out: int = 0

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:  # pragma: no cover
        """Return ``(X, y, ids)`` for ``n`` rows never handed out before by this stream."""
        raise NotImplementedError


class _InfiniteStream(Stream):
    def __init__(self, source: Source, rng: np.random.Generator) -> None:
        self.source, self.rng, self.handed_out = source, rng, 0

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        n = check_int("n", n, minimum=0)
        X, y = self.source.sample_labelled(n, self.rng)
        ids = np.arange(self.handed_out, self.handed_out + n)
        self.handed_out += n
        return X, y, ids


@dataclass
class GaussianSource(Source):
    """N(mean, cov) in ``d`` dimensions; by default the standard normal N(0, I_d)."""

    d: int = 1
    mean: np.ndarray | None = None
    cov: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.d = check_int("d", self.d, minimum=1)
        self.mean = np.zeros(self.d) if self.mean is None else check_array("mean", self.mean, shape=(self.d,))
        self.cov = np.eye(self.d) if self.cov is None else check_covariance("cov", self.cov, d=self.d)
        from mad.models.gaussian import psd_sqrt

        self._root = psd_sqrt(self.cov)
        self.n_features = self.d

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> Labelled:
        n = check_int("n", n, minimum=0)
        z = as_generator(random_state).standard_normal((n, self.d))
        return self.mean + z @ self._root, None


@dataclass
class GridMixture(Source):
    """Mixture of ``side * side`` isotropic Gaussians on a square grid, equal weights by default.

    The default is the 25-mode benchmark of Che et al. (2020): means on {-2,-1,0,1,2}² ×
    ``spacing``, standard deviation ``std`` per coordinate. ``weights`` (optional) gives unequal
    mode weights, one per mode in the order of :attr:`modes` (non-negative, summing to 1; checked by
    :func:`mad.drift.check_class_prior`).
    """

    side: int = 5
    spacing: float = 1.0
    std: float = 0.05
    weights: np.ndarray | None = None
    n_features: int = field(default=2, init=False)

    def __post_init__(self) -> None:
        self.side = check_int("side", self.side, minimum=1)
        self.std = check_number("std", self.std, 0.0, low_open=True)
        self.spacing = check_number("spacing", self.spacing, 0.0, low_open=True)
        half = (self.side - 1) / 2
        ticks = (np.arange(self.side) - half) * self.spacing
        self.modes = np.array([(a, b) for a in ticks for b in ticks], dtype=float)
        self.n_classes = len(self.modes)
        if self.weights is not None:
            from mad.drift import check_class_prior

            self.weights = check_class_prior(self.weights, "weights (mode weights of the grid)", min_classes=1)
            if len(self.weights) != len(self.modes):
                raise ValueError(f"weights must give one weight per mode ({len(self.modes)}); got {len(self.weights)}")

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> Labelled:
        n = check_int("n", n, minimum=0)
        rng = as_generator(random_state)
        if self.weights is not None:
            k = rng.choice(len(self.modes), size=n, p=self.weights)
            return self.modes[k] + self.std * rng.standard_normal((n, 2)), k
        k = rng.integers(0, len(self.modes), size=n)
        return self.modes[k] + self.std * rng.standard_normal((n, 2)), k


@dataclass
class Rosenbrock(Source):
    """p(x1, x2) ∝ exp(-x1²/2 - (x2 - x1²)²): x1 ~ N(0, 1), x2 | x1 ~ N(x1², 1/2)."""

    n_features: int = field(default=2, init=False)

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> Labelled:
        n = check_int("n", n, minimum=0)
        rng = as_generator(random_state)
        x1 = rng.standard_normal(n)
        x2 = x1**2 + np.sqrt(0.5) * rng.standard_normal(n)
        return np.column_stack([x1, x2]), None

    @staticmethod
    def log_density(X: np.ndarray) -> np.ndarray:
        """Normalised log density: log N(x1; 0, 1) + log N(x2; x1², 1/2)."""
        X = check_samples(X, min_samples=0, n_features=2)
        x1, x2 = X[:, 0], X[:, 1]
        return -0.5 * x1**2 - 0.5 * np.log(2 * np.pi) - (x2 - x1**2) ** 2 - 0.5 * np.log(np.pi)


class FinitePool:
    """A finite set of real samples handed out without replacement.

    ``pool.stream(rng)`` shuffles the rows once; every ``take(n)`` returns the next ``n``
    unseen rows and raises :class:`PoolExhaustedError` when fewer than ``n`` remain.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray | None = None, name: str = "pool") -> None:
        self.X = np.asarray(X)
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {self.X.shape}")
        if not np.issubdtype(self.X.dtype, np.number):
            raise TypeError(f"X must be a numeric array; got dtype {self.X.dtype}")
        if np.issubdtype(self.X.dtype, np.inexact) and not np.isfinite(self.X).all():  # rows keep their dtype
            raise ValueError("X contains NaN or infinite values")
        self.y = None if y is None else check_labels("y", y, n_rows=len(self.X))
        self.name = name
        self.n_features = self.X.shape[1]
        self.n_classes = None if self.y is None else int(self.y.max()) + 1

    def __len__(self) -> int:
        return len(self.X)

    def stream(self, random_state: int | np.random.Generator | None = None) -> Stream:
        return _PoolStream(self, as_generator(random_state).permutation(len(self.X)))


class _PoolStream(Stream):
    def __init__(self, pool: FinitePool, order: np.ndarray) -> None:
        self.pool, self.order, self.handed_out = pool, order, 0

    def take(self, n: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        n = check_int("n", n, minimum=0)
        left = len(self.order) - self.handed_out
        if n > left:
            raise PoolExhaustedError(
                f"the real-data pool {self.pool.name!r} has {left} fresh samples left of {len(self.order)}, "
                f"but {n} were requested: lower n_r / n_init or the number of generations, or use an infinite source"
            )
        idx = self.order[self.handed_out : self.handed_out + n]
        self.handed_out += n
        y = None if self.pool.y is None else self.pool.y[idx]
        return self.pool.X[idx], y, idx


class Resampled(Source):
    """An infinite source that draws from the empirical distribution of a finite pool.

    Each ``take(n)`` draws ``n`` distinct rows of the pool uniformly at random, independently of
    earlier takes (rows recur across takes, never within one). The fresh data loop uses it when
    the pool is too small to hand out fresh, never-seen rows for every generation: "fresh" real
    data is then an independent draw from the empirical P_r rather than unseen images.
    """

    def __init__(self, pool: FinitePool) -> None:
        self.pool = pool
        self.n_features = pool.n_features
        self.n_classes = pool.n_classes

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        n = check_int("n", n, minimum=0, maximum=len(self.pool))
        idx = as_generator(random_state).choice(len(self.pool), size=n, replace=False)
        return self.pool.X[idx], None if self.pool.y is None else self.pool.y[idx]


def load_digits_pool(scale_to: tuple[float, float] = (0.0, 1.0)) -> FinitePool:
    """scikit-learn's 8x8 digits (1,797 images, 64 pixels, 10 classes) as a :class:`FinitePool`.

    Pixel values 0..16 are mapped linearly to ``scale_to`` (default [0, 1]).
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    if np.ndim(scale_to) != 1 or np.size(scale_to) != 2:
        raise ValueError(f"scale_to must be a pair (low, high) of pixel values; got {scale_to!r}")
    lo = check_number("scale_to[0] (low)", scale_to[0])
    hi = check_number("scale_to[1] (high)", scale_to[1], lo, low_open=True)
    X = lo + (hi - lo) * digits.data.astype(np.float64) / 16.0
    return FinitePool(X, digits.target.astype(np.int64), name="digits")


FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)


def load_fashion_mnist(split: str = "train", data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (uint8, N x 28 x 28) and labels (int64), read by the strict IDX reader :mod:`mad.idx`.

    Looks in ``data_dir``, else ``$MAD_FASHION_MNIST_DIR``, else Debian's ``dataset-fashion-mnist``
    install folder (:data:`FASHION_MNIST_DIRS`). Raises :class:`FileNotFoundError` naming the missing
    file, with install instructions; it never downloads. See :func:`mad.idx.load_fashion_mnist`.
    """
    from mad.idx import load_fashion_mnist as _load

    return _load(split, data_dir, default_dirs=FASHION_MNIST_DIRS)
