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

import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mad.seeding import as_generator
from mad.validation import check_int

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
        self.mean = np.zeros(self.d) if self.mean is None else np.asarray(self.mean, dtype=float).reshape(self.d)
        self.cov = np.eye(self.d) if self.cov is None else np.asarray(self.cov, dtype=float).reshape(self.d, self.d)
        if not np.allclose(self.cov, self.cov.T):
            raise ValueError("cov must be symmetric")
        from mad.models.gaussian import psd_sqrt

        self._root = psd_sqrt(self.cov)
        self.n_features = self.d

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> Labelled:
        n = check_int("n", n, minimum=0)
        z = as_generator(random_state).standard_normal((n, self.d))
        return self.mean + z @ self._root, None


@dataclass
class GridMixture(Source):
    """Equal-weight mixture of ``side * side`` isotropic Gaussians on a square grid.

    The default is the 25-mode benchmark of Che et al. (2020): means on {-2,-1,0,1,2}² ×
    ``spacing``, standard deviation ``std`` per coordinate.
    """

    side: int = 5
    spacing: float = 1.0
    std: float = 0.05
    n_features: int = field(default=2, init=False)

    def __post_init__(self) -> None:
        self.side = check_int("side", self.side, minimum=1)
        if not self.std > 0:
            raise ValueError(f"std must be > 0; got {self.std}")
        half = (self.side - 1) / 2
        ticks = (np.arange(self.side) - half) * self.spacing
        self.modes = np.array([(a, b) for a in ticks for b in ticks], dtype=float)
        self.n_classes = len(self.modes)

    def sample_labelled(self, n: int, random_state: int | np.random.Generator | None = None) -> Labelled:
        n = check_int("n", n, minimum=0)
        rng = as_generator(random_state)
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
        X = np.asarray(X, dtype=float)
        x1, x2 = X[:, 0], X[:, 1]
        return -0.5 * x1**2 - 0.5 * np.log(2 * np.pi) - (x2 - x1**2) ** 2 - 0.5 * np.log(np.pi)


class FinitePool:
    """A finite set of real samples handed out without replacement.

    ``pool.stream(rng)`` shuffles the rows once; every ``take(n)`` returns the next ``n``
    unseen rows and raises :class:`PoolExhaustedError` when fewer than ``n`` remain.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray | None = None, name: str = "pool") -> None:
        self.X = np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        if self.X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {self.X.shape}")
        if self.y is not None and len(self.y) != len(self.X):
            raise ValueError(f"y has {len(self.y)} labels for {len(self.X)} samples")
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
    lo, hi = scale_to
    X = lo + (hi - lo) * digits.data.astype(np.float64) / 16.0
    return FinitePool(X, digits.target.astype(np.int64), name="digits")


FASHION_MNIST_DIRS = ("/usr/share/datasets/fashion-mnist",)


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_fashion_mnist(split: str = "train", data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST images (uint8, N x 28 x 28) and labels, read with NumPy from IDX files.

    Looks in ``data_dir``, then ``$MAD_FASHION_MNIST_DIR``, then Debian's
    ``dataset-fashion-mnist`` install folder. Raises :class:`FileNotFoundError` with
    install instructions when the files are missing; it never downloads.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    candidates = [d for d in (data_dir, os.environ.get("MAD_FASHION_MNIST_DIR"), *FASHION_MNIST_DIRS) if d]
    for folder in candidates:
        images = Path(folder) / f"{prefix}-images-idx3-ubyte.gz"
        labels = Path(folder) / f"{prefix}-labels-idx1-ubyte.gz"
        if images.exists() and labels.exists():
            return _read_idx(images), _read_idx(labels).astype(np.int64)
    raise FileNotFoundError(
        "Fashion-MNIST not found (looked in: " + ", ".join(map(str, candidates)) + "). "
        "Install it with `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or download the four "
        "*-idx*-ubyte.gz files from the Fashion-MNIST project and set MAD_FASHION_MNIST_DIR to their folder."
    )
