"""FID, precision, recall and legibility for 28x28 data sets (Fashion-MNIST, MNIST): the paper-scale metric.

The same construction as :mod:`mad.features` for the 8x8 digits, which stands in for the paper's
LeNet features (Alemohammad et al. 2024 compute MNIST "FID" on LeNet features; LeCun et al.
1998): a small MLP classifier (:class:`mad.features.DigitsFeatureSpace`, 784 -> 256 -> 64 -> 10) is
trained on ``n_train`` images of the data set's *training* split, and its 64-unit penultimate
layer is the feature space. Each generation's ``n_eval`` class-balanced samples are compared with
``n_ref`` images of the *test* split, which no generative model trains on
(:func:`mad.features.image_metrics`: Fréchet distance, k-NN precision and recall with k = 5,
Kynkäänniemi et al. 2019, and the classifier's accuracy on the conditioning labels), plus
``spread`` = Σ_c tr Cov(φ(x̃) | c) / Σ_c tr Cov(φ(x) | c) as in :class:`mad.features.ImageMetrics`.

The classifier and the reference features are computed once per process and cached per
parameters. Everything derives from ``seed`` (default :func:`mad.config.base_seed`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mad import config
from mad.seeding import derive_seed, rng
from mad.validation import check_int

DATASETS: tuple[str, ...] = ("fashion_mnist", "mnist")
_CACHE: dict[tuple, tuple[Any, np.ndarray, np.ndarray, np.ndarray]] = {}


class Image28Metrics:
    """A :func:`mad.loops.run_loop` metric for 28x28 images: fid, precision, recall, legibility, spread.

    Parameters
    ----------
    dataset: ``"fashion_mnist"`` or ``"mnist"`` (read by :mod:`mad.idx`; ``data_dir`` as there).
    n_eval: samples drawn from each generation (at the run's λ).
    n_ref: test-split images in the reference set (a seeded random subset; 10,000 is all of it).
    n_train: training-split images the feature classifier learns from (60,000 is all of it).
    epochs: the classifier's training epochs. k: neighbours of precision and recall.
    """

    def __init__(
        self,
        dataset: str = "fashion_mnist",
        n_eval: int = 1000,
        n_ref: int = 10_000,
        n_train: int = 60_000,
        epochs: int = 10,
        k: int = 5,
        seed: int | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> None:
        if dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {dataset!r}")
        self.dataset = dataset
        self.k = check_int("k", k, minimum=1)
        self.n_eval = check_int("n_eval", n_eval, minimum=self.k + 1)
        self.n_ref = check_int("n_ref", n_ref, minimum=self.k + 1)
        self.n_train = check_int("n_train", n_train, minimum=10)
        self.epochs = check_int("epochs", epochs, minimum=1)
        self.seed = config.base_seed() if seed is None else check_int("seed", seed, minimum=0)
        self.data_dir = None if data_dir is None else str(data_dir)

    def __mad_key__(self) -> dict:
        """Content-key description for :mod:`mad.store` (the data files are the installed release)."""
        return {k: getattr(self, k) for k in ("dataset", "n_eval", "n_ref", "n_train", "epochs", "k", "seed", "data_dir")}

    def reference(self) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
        """(feature space, reference images, their labels, their features), computed once per process."""
        key = tuple(self.__mad_key__().values())
        if key not in _CACHE:
            from mad import idx
            from mad.features import DigitsFeatureSpace
            from mad.models.base import single_torch_thread

            load = idx.load_fashion_mnist if self.dataset == "fashion_mnist" else idx.load_mnist
            train = idx.image_pool(*load("train", self.data_dir), name=self.dataset)
            test = idx.image_pool(*load("test", self.data_dir), name=self.dataset)
            n_train = check_int("n_train", self.n_train, minimum=10, maximum=len(train))
            n_ref = check_int("n_ref", self.n_ref, minimum=self.k + 1, maximum=len(test))
            pick = rng(self.seed, 0, "features28-train").permutation(len(train))[:n_train]
            ref = rng(self.seed, 0, "features28-ref").permutation(len(test))[:n_ref]
            with single_torch_thread():
                space = DigitsFeatureSpace(epochs=self.epochs, random_state=derive_seed(self.seed, 0, "features28"))
                space.fit(train.X[pick], train.y[pick])
                space.eval_accuracy_ = float(np.mean(space.predict(test.X[ref]) == test.y[ref]))
                _CACHE[key] = (space, test.X[ref], test.y[ref], space.transform(test.X[ref]))
        return _CACHE[key]

    def __call__(self, gen: Any) -> dict[str, float]:
        from mad.features import image_metrics, within_class_variance

        space, ref_X, ref_y, real = self.reference()
        X, y = gen.eval_samples(self.n_eval)
        out = image_metrics(space, ref_X, X, y, k=self.k, real_features=real)
        if y is not None:
            out["spread"] = within_class_variance(space.transform(X), y) / within_class_variance(real, ref_y)
        return out


__all__ = ["DATASETS", "Image28Metrics"]
