"""Input checks that fail early with a message naming the parameter and its allowed range."""

from __future__ import annotations

import numbers

import numpy as np


def check_int(name: str, value: object, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name`` and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer; got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}; got {value}")
    return value


def check_lam(lam: object, name: str = "lam") -> float:
    """Sampling bias λ must lie in (0, 1]; λ = 1 is unbiased sampling."""
    try:
        value = float(lam)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in (0, 1]; got {lam!r}") from None
    if not np.isfinite(value) or not 0.0 < value <= 1.0:
        raise ValueError(f"{name} (sampling bias λ) must be in (0, 1]; got {lam!r}")
    return value


def check_fraction(name: str, value: object) -> float:
    """A fraction in (0, 1]."""
    try:
        p = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number in (0, 1]; got {value!r}") from None
    if not np.isfinite(p) or not 0.0 < p <= 1.0:
        raise ValueError(f"{name} must be in (0, 1]; got {value!r}")
    return p


def check_samples(X: object, name: str = "X", min_samples: int = 2, n_features: int | None = None) -> np.ndarray:
    """A finite 2-D float array of shape (n_samples, n_features) with enough rows."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric array of shape (n_samples, n_features)") from None
    if arr.ndim == 1:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got a 1-D array. Use X.reshape(-1, 1) for one feature.")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got {arr.ndim} dimensions")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples; got {arr.shape[0]}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features; got {arr.shape[1]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr
