"""Provenance and detection: how good must a synthetic-data detector be?

A detector flags synthetic rows with true-positive rate TPR and real rows, wrongly, with
false-positive rate FPR; the flagged rows are removed before fitting
(:class:`mad.curation.DetectorFilter`). Of n_r real and n_s synthetic rows it keeps on average
n_r (1 − FPR) and n_s (1 − TPR), so the real fraction of the training set becomes

    w = n_r (1 − FPR) / (n_r (1 − FPR) + n_s (1 − TPR)).

For the Gaussian fresh data loop (unbiased fit, synthetic rows drawn from N(μ_{t−1}, λ Σ_{t−1})),
the pooled covariance estimate has E[Σ_t] = w Σ_0 + (1 − w) λ Σ_{t−1} (plus a small term from the
drift of the mean), so the variance ratio v_t = tr Σ_t / tr Σ_0 settles at

    v* = w / (1 − (1 − w) λ)                                    (:func:`steady_state_variance`).

That is the formula *with expected counts*. The detector's own randomness makes the kept counts
binomial, and the mean of G_{t−1} is not exactly that of P_r; :func:`exact_steady_state_variance`
keeps both effects and gives the exact expected steady state of the loop (a 2x2 linear system in
the variance ratio and the mean-square drift). The two differ by O(1/kept rows).

:class:`ClassifierDetector` is a real detector: a trained classifier of real vs synthetic rows,
used as a :class:`mad.curation.Curator` that removes the rows it flags (it never looks at the
provenance). :func:`minimal_tpr` turns an admissible number of synthetic rows (read off the
book's n_e map, :mod:`mad.effective_size`) into the detection rate a loop needs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

from mad.curation import Curator, _rate
from mad.validation import check_int, check_lam, check_number


def real_fraction(n_r: int, n_s: int, tpr: float = 0.0, fpr: float = 0.0) -> float:
    """w = n_r(1 − FPR) / (n_r(1 − FPR) + n_s(1 − TPR)): the expected real fraction after filtering."""
    n_r = check_int("n_r (real rows per generation)", n_r, minimum=0)
    n_s = check_int("n_s (synthetic rows per generation)", n_s, minimum=0)
    tpr = _rate("tpr (true-positive rate)", tpr)
    fpr = _rate("fpr (false-positive rate)", fpr)
    kept_real, kept_synth = n_r * (1 - fpr), n_s * (1 - tpr)
    if kept_real + kept_synth <= 0:
        raise ValueError(f"the detector removes every row (n_r={n_r}, n_s={n_s}, TPR={tpr:g}, FPR={fpr:g}): nothing is left to train on")
    return kept_real / (kept_real + kept_synth)


def steady_state_variance(n_r: int, n_s: int, lam: float, tpr: float = 0.0, fpr: float = 0.0) -> float:
    """v* = w / (1 − (1 − w) λ): steady-state tr Σ_t / tr Σ_0 of the Gaussian fresh data loop
    behind a detector, with the expected kept counts (see :func:`real_fraction`)."""
    lam = check_lam(lam)
    w = real_fraction(n_r, n_s, tpr, fpr)
    if w == 0 and lam == 1.0:
        raise ValueError("no real row survives the detector and λ = 1: the loop has no steady state (it is fully synthetic)")
    return w / (1 - (1 - w) * lam)


def _binomial(n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Support (pmf > 1e-16 of the peak) and pmf of Binomial(n, p)."""
    if n == 0 or p == 0.0:
        return np.array([0]), np.array([1.0])
    if p == 1.0:
        return np.array([n]), np.array([1.0])
    k = np.arange(n + 1)
    pmf = stats.binom.pmf(k, n, p)
    keep = pmf > pmf.max() * 1e-16
    return k[keep], pmf[keep]


def exact_steady_state_variance(n_r: int, n_s: int, lam: float, tpr: float = 0.0, fpr: float = 0.0) -> float:
    """Exact expected steady-state tr Σ_t / tr Σ_0 of the Gaussian fresh data loop behind a
    :class:`~mad.curation.DetectorFilter` that flags each row independently.

    With K_r ~ Bin(n_r, 1 − FPR) real and K_s ~ Bin(n_s, 1 − TPR) synthetic rows kept, n = K_r + K_s,
    w = K_r / n, the unbiased pooled covariance gives, for v_t = E tr Σ_t / tr Σ_0 and the
    mean-square drift m_t = E|μ_t − μ_0|² / tr Σ_0,

        v_t = E[w] + λ E[1 − w] v_{t−1} + E[K_r K_s / (n (n − 1))] m_{t−1},
        m_t = E[K_r / n²] + λ E[K_s / n²] v_{t−1} + E[(1 − w)²] m_{t−1},

    whose fixed point is returned. Training sets with fewer than two rows (which the runner
    refuses) are left out of the expectations.
    """
    lam = check_lam(lam)
    n_r = check_int("n_r (real rows per generation)", n_r, minimum=0)
    n_s = check_int("n_s (synthetic rows per generation)", n_s, minimum=0)
    real_fraction(n_r, n_s, tpr, fpr)  # validates the rates and that something is kept
    kr, pr = _binomial(n_r, 1 - fpr)
    ks, ps = _binomial(n_s, 1 - tpr)
    Kr, Ks = np.meshgrid(kr.astype(float), ks.astype(float), indexing="ij")
    P = np.outer(pr, ps)
    n = Kr + Ks
    ok = n >= 2
    if P[ok].sum() <= 0:
        raise ValueError("the detector almost surely leaves fewer than two rows: nothing to fit")
    P = np.where(ok, P, 0.0) / P[ok].sum()
    n = np.where(ok, n, 2.0)
    w = Kr / n
    a = float(np.sum(P * w))
    b = lam * float(np.sum(P * (1 - w)))
    c = float(np.sum(P * Kr * Ks / (n * (n - 1))))
    d0 = float(np.sum(P * Kr / n**2))
    e = lam * float(np.sum(P * Ks / n**2))
    f = float(np.sum(P * (1 - w) ** 2))
    A = np.array([[1 - b, -c], [-e, 1 - f]])
    if abs(np.linalg.det(A)) < 1e-12:
        raise ValueError("no real row survives the detector and λ = 1: the loop has no steady state")
    v, _ = np.linalg.solve(A, [a, d0])
    return float(v)


def minimal_tpr(n_s: float, admissible_n_s: float) -> float:
    """The smallest TPR whose undetected synthetic rows n_s (1 − TPR) fit under ``admissible_n_s``:
    max(0, 1 − admissible_n_s / n_s)."""
    n_s = _positive("n_s (synthetic rows per generation)", n_s)
    admissible_n_s = _positive("admissible_n_s (largest admissible synthetic rows)", admissible_n_s)
    return max(0.0, 1.0 - admissible_n_s / n_s)


def _positive(name: str, value: float) -> float:
    return check_number(name, value, 0.0, low_open=True)


class ClassifierDetector(Curator):
    """A real detector as a curator: a trained classifier of real (0) vs synthetic (1) rows flags every
    row whose probability of being synthetic is at least ``threshold``; flagged rows are removed.

    ``classifier`` has ``predict_proba`` (scikit-learn style, column 1 = synthetic) or is a function
    ``X -> P(synthetic)``; ``transform`` (optional) maps rows to the classifier's features first
    (for example ``digits_feature_space().transform``). The detector never looks at the provenance of
    the rows, so its true rates are whatever it achieves on the loop's data.
    """

    def __init__(self, classifier, threshold: float = 0.5, transform: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        if not (hasattr(classifier, "predict_proba") or callable(classifier)):
            raise TypeError(f"classifier must have predict_proba or be a function X -> P(synthetic); got {type(classifier).__name__}")
        if transform is not None and not callable(transform):
            raise TypeError(f"transform must be a function of the rows X (or None); got {transform!r}")
        threshold = _rate("threshold (probability of synthetic that flags a row)", threshold)
        if threshold == 0.0:
            raise ValueError("threshold must be in (0, 1]: a threshold of 0 flags every row")
        self.classifier = classifier
        self.threshold = threshold
        self.transform = transform

    @property
    def name(self) -> str:
        return f"classifier(threshold={self.threshold:g})"

    def score(self, X: np.ndarray) -> np.ndarray:
        """P(synthetic) of each row."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or not len(X):
            raise ValueError(f"X must be a non-empty 2-D array of rows; got shape {X.shape}")
        Z = self.transform(X) if self.transform is not None else X
        if hasattr(self.classifier, "predict_proba"):
            p = np.asarray(self.classifier.predict_proba(Z))[:, 1]
        else:
            p = np.asarray(self.classifier(Z), dtype=float).reshape(-1)
        if p.shape != (len(X),) or not np.all((p >= 0) & (p <= 1)):
            raise ValueError(f"the classifier must return one probability in [0, 1] per row; got shape {p.shape}")
        return p

    def flags(self, X: np.ndarray) -> np.ndarray:
        """Whether each row is flagged as synthetic."""
        return self.score(X) >= self.threshold

    def rates(self, X_real: np.ndarray, X_synth: np.ndarray) -> tuple[float, float]:
        """(TPR, FPR) measured on labelled rows: the flagged share of ``X_synth`` and of ``X_real``."""
        return float(self.flags(X_synth).mean()), float(self.flags(X_real).mean())

    def select(self, rows, previous, t, random):
        return np.flatnonzero(~self.flags(rows.X))
