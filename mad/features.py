"""A feature space for 8x8 digits: the book's stand-in for the paper's LeNet features.

Alemohammad et al. (2024) measure MNIST models with "FID" computed on LeNet features
(LeCun et al. 1998) instead of Inception features, and with precision and recall
(Kynkäänniemi et al. 2019, k = 5). For scikit-learn's 8x8 digits we train a small MLP
classifier on real digits and use its **penultimate layer** (64 ReLU units) as the feature
space:

    x ∈ [0, 1]^64  ->  h = ReLU(W2 ReLU(W1 x + b1) + b2) ∈ R^64  ->  logits = W3 h + b3.

:func:`image_metrics` computes, between a real reference set and a synthetic set,

* ``fid``: the Fréchet distance ``|μ_r - μ_g|² + tr(Σ_r + Σ_g - 2 (Σ_r^{1/2} Σ_g Σ_r^{1/2})^{1/2})``
  between Gaussians fitted to the features (Heusel et al. 2017);
* ``precision`` / ``recall``: improved precision and recall with k-NN balls, k = 5;
* ``legibility``: the classifier's accuracy on synthetic images against the labels they were
  conditioned on (how often a generated "3" still reads as a 3).

The book's digits split (:func:`digits_split`) holds out a stratified evaluation reference set
of :data:`N_EVAL` images that no generative model ever trains on; the remaining
:data:`N_TRAIN` form the training pool.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from mad import config
from mad.data import FinitePool, load_digits_pool
from mad.models.base import single_torch_thread
from mad.seeding import derive_seed, rng
from mad.validation import check_int, check_labels, check_name, check_number, check_samples

#: size of the held-out evaluation reference set of the digits split (of 1,797 images)
N_EVAL = 597
#: size of the training pool of the digits split
N_TRAIN = 1797 - N_EVAL


def _stratified_split(y: np.ndarray, n_test: int, random: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) with ``n_test`` test rows, class proportions kept (largest remainder)."""
    classes, counts = np.unique(y, return_counts=True)
    quota = counts * n_test / len(y)
    take = np.floor(quota).astype(int)
    short = n_test - take.sum()
    take[np.argsort(-(quota - take), kind="stable")[:short]] += 1
    test = np.concatenate([random.permutation(np.flatnonzero(y == c))[:k] for c, k in zip(classes, take)])
    mask = np.zeros(len(y), dtype=bool)
    mask[test] = True
    return random.permutation(np.flatnonzero(~mask)), random.permutation(test)


@dataclass
class DigitsSplit:
    """The book's split of the 1,797 digits: a training pool and a held-out evaluation set."""

    train: FinitePool
    eval_X: np.ndarray
    eval_y: np.ndarray


def digits_split(seed: int | None = None) -> DigitsSplit:
    """Split the digits into a training pool (:data:`N_TRAIN`) and an evaluation set (:data:`N_EVAL`).

    The split is stratified by class and derived from ``(seed, 0, "digits-split")``
    (``seed`` defaults to :func:`mad.config.base_seed`), so it is the same in every chapter.
    """
    seed = config.base_seed() if seed is None else check_int("seed", seed, minimum=0)
    pool = load_digits_pool()
    train, test = _stratified_split(pool.y, N_EVAL, rng(seed, 0, "digits-split"))
    return DigitsSplit(FinitePool(pool.X[train], pool.y[train], name="digits-train"), pool.X[test], pool.y[test])


def _mlp(n_in: int, hidden: tuple[int, ...], n_out: int):
    import torch.nn as nn

    layers: list[nn.Module] = []
    for h in hidden:
        layers += [nn.Linear(n_in, h), nn.ReLU()]
        n_in = h
    return nn.Sequential(*layers), nn.Linear(n_in, n_out)


class DigitsFeatureSpace(BaseEstimator):
    """A small MLP classifier of 8x8 digits whose penultimate layer is the feature space.

    Parameters
    ----------
    hidden: widths of the hidden ReLU layers; the last one is the feature dimension.
    epochs, batch_size, lr, weight_decay: Adam training on the cross-entropy loss.
    held_out: fraction of ``fit``'s data held out (stratified) to measure
        :attr:`held_out_accuracy_`; the classifier trains on the rest.
    random_state: seed of the split, the initialisation and the minibatch order.

    Attributes
    ----------
    held_out_accuracy_: accuracy on the held-out part of the data given to ``fit``.
    n_features_out_: feature dimension (``hidden[-1]``).
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (256, 64),
        epochs: int = 40,
        batch_size: int = 128,
        lr: float = 2e-3,
        weight_decay: float = 1e-4,
        held_out: float = 0.2,
        random_state: int | None = 0,
    ) -> None:
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.held_out = held_out
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: np.ndarray) -> DigitsFeatureSpace:
        """Train on ``(1 - held_out)`` of ``(X, y)`` (pixels in [0, 1]) and score on the rest."""
        import torch

        X = check_samples(X, min_samples=10)
        y = check_labels("y", y, n_rows=X.shape[0])
        check_number("held_out", self.held_out, 0.0, 1.0, high_open=True)
        check_number("lr", self.lr, 0.0, low_open=True)
        check_number("weight_decay", self.weight_decay, 0.0)
        if np.ndim(self.hidden) != 1 or not len(self.hidden):
            raise ValueError(f"hidden must be a sequence of layer widths; got {self.hidden!r}")
        for width in self.hidden:
            check_int("hidden (layer width)", width, minimum=1)
        epochs = check_int("epochs", self.epochs, minimum=1)
        batch = check_int("batch_size", self.batch_size, minimum=1)
        seed = 0 if self.random_state is None else int(self.random_state)
        random = np.random.default_rng(seed)
        self.n_classes_ = int(y.max()) + 1
        n_test = int(round(self.held_out * len(y)))
        train, test = _stratified_split(y, n_test, random) if n_test else (np.arange(len(y)), np.arange(0))

        from mad.models.base import seeded_torch

        with seeded_torch(seed):  # initialisation only; the global generator is restored (thread-safe)
            body, head = _mlp(X.shape[1], tuple(self.hidden), self.n_classes_)
        self.body_, self.head_ = body, head
        params = list(self.body_.parameters()) + list(self.head_.parameters())
        opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        Xt, yt = torch.from_numpy(X[train]).float(), torch.from_numpy(y[train])
        gen = torch.Generator().manual_seed(seed)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(epochs):
            order = torch.randperm(len(train), generator=gen)
            for start in range(0, len(train), batch):
                idx = order[start : start + batch]
                opt.zero_grad()
                loss = loss_fn(self.head_(self.body_(Xt[idx])), yt[idx])
                loss.backward()
                opt.step()
        self.body_.eval()
        self.head_.eval()
        self.n_features_out_ = int(self.hidden[-1])
        self.fitted_ = True
        self.held_out_accuracy_ = float(np.mean(self.predict(X[test]) == y[test])) if n_test else float("nan")
        self.n_held_out_ = n_test
        return self

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise NotFittedError("DigitsFeatureSpace is not fitted yet: call fit(X, y) first")

    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        self._check_fitted()
        X = check_samples(X, min_samples=1, n_features=self.body_[0].in_features)
        with torch.no_grad():
            h = self.body_(torch.from_numpy(X).float())
            return h.numpy().astype(np.float64), self.head_(h).numpy()

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Penultimate-layer features, shape (n, ``n_features_out_``), float64."""
        return self._forward(X)[0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted class of each row."""
        return np.argmax(self._forward(X)[1], axis=1)


_SPACES: dict[int, DigitsFeatureSpace] = {}


def digits_feature_space(seed: int | None = None) -> DigitsFeatureSpace:
    """The book's shared feature space, trained once per process (cached per seed).

    It is fitted on the training pool of :func:`digits_split` (``seed`` defaults to
    :func:`mad.config.base_seed`), 20% of which is held out for :attr:`held_out_accuracy_`;
    its ``eval_accuracy_`` is the accuracy on the split's evaluation reference set.
    """
    seed = config.base_seed() if seed is None else check_int("seed", seed, minimum=0)
    if seed not in _SPACES:
        with single_torch_thread():
            split = digits_split(seed)
            space = DigitsFeatureSpace(random_state=derive_seed(seed, 0, "features")).fit(split.train.X, split.train.y)
            space.eval_accuracy_ = float(np.mean(space.predict(split.eval_X) == split.eval_y))
        _SPACES[seed] = space
    return _SPACES[seed]


def image_metrics(
    space: DigitsFeatureSpace,
    real_X: np.ndarray,
    fake_X: np.ndarray,
    fake_y: np.ndarray | None = None,
    k: int = 5,
    real_features: np.ndarray | None = None,
) -> dict[str, float]:
    """FID, precision and recall (k-NN, ``k``) in ``space``, plus legibility when ``fake_y`` is given.

    ``real_features`` may pass precomputed ``space.transform(real_X)`` to save time.
    """
    from mad.metrics.neighbours import precision_recall

    k = check_int("k", k, minimum=1)
    real = space.transform(real_X) if real_features is None else np.asarray(real_features, dtype=np.float64)
    fake = space.transform(fake_X)
    precision, recall = precision_recall(real, fake, k=k)
    out = {"fid": _frechet(real, fake), "precision": float(precision), "recall": float(recall)}
    if fake_y is not None:
        fake_y = np.asarray(fake_y)
        if fake_y.shape != (len(fake),):
            raise ValueError(f"fake_y must have one label per synthetic image; got shape {fake_y.shape} for {len(fake)} images")
        out["legibility"] = float(np.mean(space.predict(fake_X) == fake_y))
    return out


def _frechet(real: np.ndarray, fake: np.ndarray) -> float:
    from mad.metrics.gaussian import frechet_distance

    return frechet_distance(real, fake)


class ImageMetrics:
    """A :func:`mad.loops.run_loop` metric: :func:`image_metrics` of each generation's samples.

    Every generation draws ``n_eval`` class-balanced samples at the run's λ
    (:meth:`mad.loops.Generation.eval_samples`) and compares them with the evaluation
    reference set of :func:`digits_split` (never trained on) in the shared feature space. Besides
    ``fid``, ``precision``, ``recall`` and ``legibility`` it reports ``spread``: the mean
    within-class feature variance of the samples divided by that of the real digits,

        spread = Σ_c tr Cov(φ(x̃) | c) / Σ_c tr Cov(φ(x) | c),

    below 1 when classes contract onto prototypes. With ``archive`` (a folder) it also saves
    the first ``keep`` samples and the features of all ``n_eval`` samples of every generation to
    ``archive/<key>.npz`` (see :func:`archive_key`), for sample grids and t-SNE panels.
    """

    def __init__(self, n_eval: int = N_EVAL, k: int = 5, seed: int | None = None, archive: str | None = None, keep: int = 200) -> None:
        self.n_eval = check_int("n_eval", n_eval, minimum=k + 1)
        self.k = check_int("k", k, minimum=1)
        self.seed = config.base_seed() if seed is None else check_int("seed", seed, minimum=0)
        self.archive = archive
        self.keep = check_int("keep", keep, minimum=0)

    def reference(self) -> tuple[DigitsFeatureSpace, DigitsSplit, np.ndarray]:
        """The feature space, the split and the features of the evaluation reference set."""
        if self.seed not in _REFERENCE:
            space, split = digits_feature_space(self.seed), digits_split(self.seed)
            _REFERENCE[self.seed] = (space, split, space.transform(split.eval_X))
        return _REFERENCE[self.seed]

    def __call__(self, gen) -> dict[str, float]:
        space, split, real = self.reference()
        X, y = gen.eval_samples(self.n_eval)
        out = image_metrics(space, split.eval_X, X, y, k=self.k, real_features=real)
        fake = space.transform(X)
        out["spread"] = within_class_variance(fake, y) / within_class_variance(real, split.eval_y)
        if self.archive is not None:
            from pathlib import Path

            from mad.store import atomic_savez

            key = archive_key(gen.schedule.label or gen.schedule.loop, gen.schedule.n_init, gen.schedule.lam, gen.seed, gen.t)
            # atomic (temporary file, then rename): an interrupted write never leaves a file load_archived cannot read
            atomic_savez(Path(self.archive) / f"{key}.npz", X=X[: self.keep], y=y, features=fake)
        return out

    def __mad_key__(self) -> dict:
        """Content-key description for :mod:`mad.store`. With an ``archive`` the metric writes files
        as a side effect, which a stored table would not bring back: such runs are never cached."""
        if self.archive is not None:
            from mad.store import Unkeyable

            raise Unkeyable("ImageMetrics(archive=...) writes sample files: the run is not cached")
        return {"n_eval": self.n_eval, "k": self.k, "seed": self.seed, "keep": self.keep}


_REFERENCE: dict[int, tuple[DigitsFeatureSpace, DigitsSplit, np.ndarray]] = {}


def within_class_variance(F: np.ndarray, y: np.ndarray) -> float:
    """Σ_c tr Cov(F | y = c) over the classes present (with at least two rows)."""
    F = check_samples(F, "F", min_samples=1)
    y = check_labels("y", y, n_rows=len(F))
    return float(sum(np.var(F[y == c], axis=0, ddof=1).sum() for c in np.unique(y) if np.sum(y == c) > 1))


def archive_key(loop: str, n_init: int, lam: float, seed: int, t: int) -> str:
    """File stem under which :class:`ImageMetrics` archives one generation's samples.

    ``loop`` (the schedule's label or loop name) must be a safe file name: a label such as
    ``"../x"`` would otherwise write outside the archive folder.
    """
    check_name("loop (schedule label)", loop)
    return f"{loop}-n{int(n_init)}-lam{float(lam):g}-seed{int(seed)}-t{int(t)}"


def load_archived(archive: str, loop: str, n_init: int, lam: float, seed: int, t: int) -> dict[str, np.ndarray]:
    """The arrays (``X``: kept samples, ``y``: labels, ``features``) archived for one generation."""
    from pathlib import Path

    with np.load(Path(archive) / f"{archive_key(loop, n_init, lam, seed, t)}.npz") as data:
        return {name: data[name] for name in data.files}


__all__ = [
    "N_EVAL",
    "N_TRAIN",
    "DigitsFeatureSpace",
    "DigitsSplit",
    "ImageMetrics",
    "archive_key",
    "digits_feature_space",
    "digits_split",
    "image_metrics",
    "load_archived",
    "within_class_variance",
]
