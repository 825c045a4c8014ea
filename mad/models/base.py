"""The protocol every generative model in the book follows.

A model is configured in its constructor (scikit-learn style: parameters only, no
work), learns in :meth:`GenerativeModel.fit`, which returns the model, and draws new data
with :meth:`GenerativeModel.sample` at a sampling bias ``lam`` (λ in (0, 1]; λ = 1 is
unbiased sampling, smaller λ concentrates samples near the model's modes, as in
Alemohammad et al. 2024, Sec. 2.3). Each family documents how it realises λ.

Models subclass :class:`sklearn.base.BaseEstimator`, so :func:`sklearn.base.clone`
returns a fresh, untrained copy with the same parameters: the loop runner uses it to
train every generation from scratch.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from mad.validation import check_int, check_lam


class GenerativeModel(BaseEstimator):
    """Base class: ``fit(X, y=None) -> self`` and ``sample(n, lam=1.0, random_state=None)``.

    Class-conditional models set ``conditional = True`` and override
    :meth:`sample_labelled` to return class-balanced ``(X, y)``; unconditional models
    implement :meth:`_sample` only.
    """

    conditional: bool = False
    #: one line for the docs: how this family realises the sampling bias λ
    lam_rule: str = ""

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> GenerativeModel:  # pragma: no cover - abstract
        raise NotImplementedError

    def _sample(self, n: int, lam: float, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X) before sample().")

    def sample(self, n: int, lam: float = 1.0, random_state: int | np.random.Generator | None = None) -> np.ndarray:
        """Draw ``n`` samples at sampling bias ``lam`` (λ in (0, 1], 1 = unbiased)."""
        return self.sample_labelled(n, lam=lam, random_state=random_state)[0]

    def sample_labelled(
        self, n: int, lam: float = 1.0, random_state: int | np.random.Generator | None = None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Draw ``(X, y)``; ``y`` is ``None`` for unconditional models."""
        from mad.seeding import as_generator

        n = check_int("n", n, minimum=1)
        lam = check_lam(lam)
        self._check_fitted()
        return self._sample(n, lam, as_generator(random_state)), None


def balanced_labels(n: int, n_classes: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` labels, as equal per class as possible (the remainder spread at random), shuffled."""
    n = check_int("n", n, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=1)
    labels = np.repeat(np.arange(n_classes), n // n_classes)
    extra = rng.choice(n_classes, size=n - labels.size, replace=False)
    labels = np.concatenate([labels, extra])
    return rng.permutation(labels)


#: serialises every use of torch's process-wide generator (model initialisation), so fits running
#: in threads of one process cannot interleave their seeding (see :func:`seeded_torch`)
_TORCH_GLOBAL_RNG = threading.RLock()


@contextmanager
def seeded_torch(seed: int) -> Iterator[None]:
    """Run the block with torch's global generator seeded to ``seed``, restoring its state afterwards.

    For module construction only (``nn.Linear`` and friends initialise from the global generator);
    every training draw uses a local :class:`torch.Generator`. A process-wide lock makes the block
    atomic with respect to other threads, so a fit gives the same bits serially or in a thread pool.
    """
    import torch

    with _TORCH_GLOBAL_RNG, torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        yield


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run the block with one torch intra-op thread, restoring the previous count afterwards.

    Independent runs go in parallel through processes (:func:`mad.loops.run_sweep`); one thread
    each keeps them from oversubscribing the cores. Usable as a context manager or a decorator.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
