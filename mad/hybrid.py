"""Hybrid training: pretrain a digits classifier on synthetic images, fine-tune it on a few real ones.

He et al. (2023) find that synthetic images from a generative model help image recognition most in
the few-shot regime: pretraining on synthetic data and fine-tuning on k real images per class beats
training on the k real images alone, and the gain shrinks as k grows. A self-consuming loop changes
the synthetic data: generation after generation it loses diversity (Alemohammad et al. 2024), and a
constant synthetic share sets an error floor (Dohmatob et al. 2025). This module measures how much
of the value of synthetic pretraining survives.

Protocol (one seed): a classifier f_θ (an MLP 64 → ``hidden`` → 10, ReLU) is

1. *pretrained* on a synthetic labelled set S (``pretrain_steps`` Adam steps on the cross-entropy
   loss, minibatches of ``batch_size``), or left at its random initialisation (the real-only arm);
2. *fine-tuned* on the same k real images per class D_k (``finetune_steps`` full-batch Adam steps
   from the current weights, a fresh optimiser) — every arm sees the same D_k and the same budget;
3. scored by accuracy on a held-out real test set.

The classifier is a small torch MLP, not :class:`sklearn.neural_network.MLPClassifier`: fine-tuning
needs the same weights trained further for an exact step budget, with a fresh optimiser and a
stated learning rate, which ``warm_start`` does not give (it reuses the solver state and stops on
its own tolerance). Torch draws from a local :class:`torch.Generator` under
:func:`mad.models.base.single_torch_thread`, so a seed gives the same bits in any process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mad.models.base import single_torch_thread
from mad.seeding import as_generator, derive_seed
from mad.validation import check_int, check_labels, check_number, check_samples

__all__ = ["FewShotClassifier", "few_shot_indices", "hybrid_accuracy"]


class FewShotClassifier:
    """An MLP classifier that can be pretrained and then fine-tuned (see the module docstring).

    Parameters
    ----------
    n_features, n_classes: input dimension and number of classes.
    hidden: width of the hidden ReLU layer.
    lr: Adam learning rate of both phases. weight_decay: L2 penalty (decoupled, AdamW).
    batch_size: minibatch of pretraining (fine-tuning is full batch).
    random_state: seed of the initialisation and the minibatch order.
    """

    def __init__(
        self,
        n_features: int = 64,
        n_classes: int = 10,
        hidden: int = 128,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 128,
        random_state: int = 0,
    ) -> None:
        import torch
        import torch.nn as nn

        self.n_features = check_int("n_features", n_features, minimum=1)
        self.n_classes = check_int("n_classes", n_classes, minimum=2)
        self.hidden = check_int("hidden", hidden, minimum=1)
        self.lr = check_number("lr", lr, 0.0, None, low_open=True)
        self.weight_decay = check_number("weight_decay", weight_decay, 0.0, None)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.random_state = check_int("random_state", random_state, minimum=0)
        self._gen = torch.Generator().manual_seed(self.random_state)
        with single_torch_thread(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(2**31 - 1, (1,), generator=self._gen)))
            self.net_ = nn.Sequential(nn.Linear(self.n_features, self.hidden), nn.ReLU(), nn.Linear(self.hidden, self.n_classes))
        self.steps_: dict[str, int] = {"pretrain": 0, "finetune": 0}

    def _check(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        X = check_samples(X, "X", min_samples=1, n_features=self.n_features)
        y = check_labels("y", y, n_classes=self.n_classes, n_rows=len(X))
        return X, y

    def _train(self, X: np.ndarray, y: np.ndarray, steps: int, batch: int, phase: str) -> FewShotClassifier:
        import torch
        import torch.nn.functional as F

        steps = check_int(f"{phase}_steps", steps, minimum=0)
        with single_torch_thread():
            Xt, yt = torch.from_numpy(X).float(), torch.from_numpy(y)
            opt = torch.optim.AdamW(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            self.net_.train()
            for _ in range(steps):
                idx = torch.randint(len(Xt), (batch,), generator=self._gen) if batch < len(Xt) else slice(None)
                loss = F.cross_entropy(self.net_(Xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
            self.net_.eval()
        self.steps_[phase] += steps
        return self

    def pretrain(self, X: np.ndarray, y: np.ndarray, steps: int) -> FewShotClassifier:
        """``steps`` Adam steps on minibatches of (X, y) (typically synthetic)."""
        X, y = self._check(X, y)
        return self._train(X, y, steps, min(self.batch_size, len(X)), "pretrain")

    def finetune(self, X: np.ndarray, y: np.ndarray, steps: int) -> FewShotClassifier:
        """``steps`` full-batch Adam steps on (X, y) (the few real images), from the current weights."""
        X, y = self._check(X, y)
        return self._train(X, y, steps, len(X), "finetune")

    def predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        X = check_samples(X, "X", min_samples=1, n_features=self.n_features)
        with single_torch_thread(), torch.no_grad():
            return self.net_(torch.from_numpy(X).float()).argmax(dim=1).numpy()

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy on (X, y)."""
        X, y = self._check(X, y)
        return float(np.mean(self.predict(X) == y))


def few_shot_indices(y: np.ndarray, k: int, random_state: int | np.random.Generator | None = None) -> np.ndarray:
    """Indices of ``k`` rows of every class present in ``y``, drawn without replacement (sorted by class)."""
    y = check_labels("y", y)
    k = check_int("k (real images per class)", k, minimum=1)
    random = as_generator(random_state)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < k:
        c = classes[np.argmin(counts)]
        raise ValueError(f"k (real images per class) must be <= {counts.min()}, the size of the smallest class ({c}); got {k}")
    return np.concatenate([random.choice(np.flatnonzero(y == c), size=k, replace=False) for c in classes])


def hybrid_accuracy(
    pretrain_sets: Mapping[str, tuple[np.ndarray, np.ndarray] | None],
    real: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    ks: Sequence[int],
    seed: int,
    pretrain_steps: int = 400,
    finetune_steps: int = 100,
    **classifier: Any,
) -> pd.DataFrame:
    """Test accuracy of every arm after pretraining and fine-tuning on k real images per class.

    ``pretrain_sets`` maps an arm name to its synthetic ``(X, y)``, or to ``None`` for the
    real-only arm (no pretraining). For each k in ``ks`` the same k-shot set is drawn from ``real``
    with ``(seed, k, "few-shot")`` for every arm, and every arm starts from the same initialisation
    (``(seed, 0, "classifier")``), so arms are paired. Rows with ``k = 0`` give the accuracy of the
    pretrained classifier before fine-tuning (synthetic arms only).

    Returns a tidy table with columns ``arm, k, seed, accuracy``.
    """
    from mad.seeding import rng

    if not pretrain_sets:
        raise ValueError("pretrain_sets must name at least one arm")
    seed = check_int("seed", seed, minimum=0)
    ks = [check_int("ks (real images per class)", k, minimum=1) for k in ks]
    if not ks:
        raise ValueError("ks must hold at least one number of real images per class")
    real_X, real_y = check_samples(real[0], "real X"), check_labels("real y", real[1], n_rows=len(real[0]))
    test_X, test_y = check_samples(test[0], "test X"), check_labels("test y", test[1], n_rows=len(test[0]))
    init = derive_seed(seed, 0, "classifier")
    rows: list[dict[str, Any]] = []
    for arm, data in pretrain_sets.items():
        base = FewShotClassifier(n_features=real_X.shape[1], random_state=init, **classifier)
        if data is not None:
            base.pretrain(data[0], data[1], pretrain_steps)
            rows.append({"arm": arm, "k": 0, "seed": seed, "accuracy": base.score(test_X, test_y)})
        state = {name: value.clone() for name, value in base.net_.state_dict().items()}
        for k in ks:
            idx = few_shot_indices(real_y, k, rng(seed, k, "few-shot"))
            clf = FewShotClassifier(n_features=real_X.shape[1], random_state=derive_seed(seed, k, "finetune"), **classifier)
            clf.net_.load_state_dict(state)
            clf.finetune(real_X[idx], real_y[idx], finetune_steps)
            rows.append({"arm": arm, "k": k, "seed": seed, "accuracy": clf.score(test_X, test_y)})
    return pd.DataFrame(rows)
