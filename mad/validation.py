"""Input checks that fail early with a message naming the parameter, the value and the allowed range.

Every public function of :mod:`mad` validates its inputs at the boundary with these helpers, so
that bad input raises a :class:`TypeError` (wrong kind of value) or a :class:`ValueError` (right
kind, outside the allowed range) whose message names the parameter, shows the value and states the
allowed range, instead of an obscure error from deep inside NumPy or torch, or a silently wrong,
NaN or infinite result.

* :func:`check_number`: one real number (or integer) in a range with open or closed ends.
* :func:`check_int`, :func:`check_lam`, :func:`check_fraction`: the common special cases.
* :func:`check_array`: a numeric array of a given number of dimensions, finite by default.
* :func:`check_samples`: a finite 2-D array (n_samples, n_features) with enough rows.
* :func:`check_covariance`: a (batch of) symmetric positive semi-definite matrices.
* :func:`check_labels`: integer class labels 0..K-1, one per row.
* :func:`check_pixels`: pixel values inside [low, high].
* :func:`check_choice`, :func:`check_name`: one of a set of strings; a name safe as a file name.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

#: the largest number of classes a label array may imply (an embedding row per class)
MAX_CLASSES: int = 10_000


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _range_text(low: float | None, high: float | None, low_open: bool, high_open: bool, integer: bool) -> str:
    """The allowed range in words: "in (0, 1]", "> 0", ">= 1 and <= 9", "finite"."""
    if low is not None and high is not None:
        if integer:
            return f">= {_fmt(low)} and <= {_fmt(high)}"
        return f"in {'(' if low_open else '['}{_fmt(low)}, {_fmt(high)}{')' if high_open else ']'}"
    if low is not None:
        if low == 0 and low_open and not integer:
            return "a positive number (finite, > 0)"
        return f"{'>' if low_open else '>='} {_fmt(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {_fmt(high)}"
    return "an integer" if integer else "a finite number"


def check_number(
    name: str,
    value: object,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
) -> Any:
    """Return ``value`` as a float (an int with ``integer=True``) in the range, or raise naming ``name``.

    The range is ``low``..``high`` (either may be ``None``: unbounded), each end closed unless
    ``low_open`` / ``high_open``. NaN and ±∞ are always rejected. Booleans and strings are not
    numbers here (``True`` is not 1, ``"3"`` is not 3): :class:`TypeError`. An integral float
    (``3.0``) passes as an integer; ``2.5`` does not.
    """
    if isinstance(value, np.generic) and not isinstance(value, (np.bool_, np.str_, np.bytes_)):
        value = value.item()  # show 1.5, not np.float64(1.5), in the message
    rule = _range_text(low, high, low_open, high_open, integer)
    kind = "an integer" if integer else "a number"
    if low == 0 and low_open and high is None and not integer:
        kind = "a positive number"
    kind_rule = kind if rule in ("an integer", "a finite number", "a positive number (finite, > 0)") else f"{kind} {rule}"
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise TypeError(f"{name} must be {kind_rule}; got {value!r}")
    if integer and not isinstance(value, numbers.Integral):
        try:
            as_float = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be {kind_rule}; got {value!r}") from None
        if not math.isfinite(as_float) or not as_float.is_integer():
            raise TypeError(f"{name} must be {kind_rule}; got {value!r}")
        value = int(as_float)
    try:
        out: Any = int(value) if integer else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{name} must be {kind_rule}; got {value!r}") from None
    if not integer and not math.isfinite(out):
        raise ValueError(f"{name} must be {rule + ' and finite' if rule.startswith(('>', '<')) else rule}; got {value!r}")
    too_low = low is not None and (out <= low if low_open else out < low)
    too_high = high is not None and (out >= high if high_open else out > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {rule}; got {value!r}")
    return out


def check_int(name: str, value: object, minimum: int = 0, maximum: int | None = None) -> int:
    """Return ``value`` as an int in ``minimum..maximum``, or raise naming ``name`` and the allowed range."""
    return check_number(name, value, minimum, maximum, integer=True)


def check_lam(lam: object, name: str = "lam") -> float:
    """Sampling bias λ must lie in (0, 1]; λ = 1 is unbiased sampling."""
    return check_number(f"{name} (sampling bias λ)", lam, 0.0, 1.0, low_open=True)


def check_fraction(name: str, value: object) -> float:
    """A fraction in (0, 1]."""
    return check_number(name, value, 0.0, 1.0, low_open=True)


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is a boolean (``True``/``False``, numpy's too), else a :class:`TypeError`.

    A string such as ``"no"`` is truthy in Python: accepting it would silently mean ``True``.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_choice(name: str, value: object, choices: Iterable[Any]) -> Any:
    """``value`` if it is one of ``choices``, else a :class:`ValueError` listing them."""
    choices = tuple(choices)
    try:
        ok = value in choices
    except TypeError:  # unhashable or incomparable
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=+,@-]*$")


def check_name(name: str, value: object) -> str:
    """A string safe as one file name: letters, digits and ``._=+,@-``, not starting with a dot.

    Rejects path separators and ``..`` (so a label cannot write outside its folder).
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string usable as a file name; got {value!r}")
    if not _SAFE_NAME.match(value) or ".." in value or len(value) > 200:
        raise ValueError(
            f"{name} must be a safe file name (letters, digits and . _ = + , @ -, no '/' or '..', at most 200 characters); got {value!r}"
        )
    return value


def _as_float(name: str, X: object, what: str) -> np.ndarray:
    """``X`` as a float64 array, or a :class:`TypeError` saying it must be ``what``."""
    if isinstance(X, (str, bytes)) or X is None:
        raise TypeError(f"{name} must be {what}; got {X!r}")
    try:
        return np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {what} (ragged or non-numeric entries found)") from None


def check_array(
    name: str,
    X: object,
    ndim: int | tuple[int, ...] | None = None,
    *,
    finite: bool = True,
    min_rows: int = 0,
    n_features: int | None = None,
    shape: tuple[int | None, ...] | None = None,
) -> np.ndarray:
    """``X`` as a float64 array with ``ndim`` dimensions (one of, if a tuple), finite unless told.

    ``shape`` checks the sizes of the axes (``None`` for any size); ``n_features`` the last axis;
    ``min_rows`` the first.
    """
    arr = _as_float(name, X, "a numeric array")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            words = " or ".join(f"{k}-D" for k in allowed)
            raise ValueError(f"{name} must be {words}; got {arr.ndim} dimensions (shape {arr.shape})")
    if shape is not None and arr.ndim == 0 and all(s == 1 for s in shape):
        arr = arr.reshape(shape)  # a plain number for a one-element shape (a mean in one dimension)
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}; got {arr.shape}")
    if n_features is not None and (arr.ndim == 0 or arr.shape[-1] != n_features):
        raise ValueError(f"{name} must have {n_features} features; got shape {arr.shape}")
    if min_rows and (arr.ndim == 0 or arr.shape[0] < min_rows):
        raise ValueError(f"{name} needs at least {min_rows} rows; got {0 if arr.ndim == 0 else arr.shape[0]}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_samples(X: object, name: str = "X", min_samples: int = 2, n_features: int | None = None) -> np.ndarray:
    """A finite 2-D float array of shape (n_samples, n_features) with enough rows."""
    arr = _as_float(name, X, "a numeric array of shape (n_samples, n_features)")
    if arr.ndim == 1:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got a 1-D array. Use X.reshape(-1, 1) for one feature.")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got {arr.ndim} dimensions")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples; got {arr.shape[0]}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least one feature; got shape {arr.shape}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} must have {n_features} features; got {arr.shape[1]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_covariance(name: str, S: object, d: int | None = None, rtol: float = 1e-8) -> np.ndarray:
    """A (batch of) covariance matrices: finite, square, symmetric and positive semi-definite.

    Symmetric within ``rtol`` · max|S| (entrywise), and every eigenvalue of (S + Sᵀ)/2 at least
    −``rtol`` · max|S| (round-off below 0 passes: the matrix square roots clip it to 0). Returns
    the symmetrised float64 array.
    """
    arr = check_array(name, S, finite=True)
    if arr.ndim == 0 and d in (None, 1):
        arr = arr.reshape(1, 1)  # a plain variance in one dimension
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ValueError(f"{name} must be a square covariance matrix (..., d, d); got shape {arr.shape}")
    if d is not None and arr.shape[-1] != d:
        raise ValueError(f"{name} must have shape (..., {d}, {d}); got {arr.shape}")
    scale = float(np.max(np.abs(arr))) if arr.size else 0.0
    tol = rtol * max(scale, 1e-300)
    asym = float(np.max(np.abs(arr - np.swapaxes(arr, -1, -2)))) if arr.size else 0.0
    if asym > tol:
        raise ValueError(f"{name} must be symmetric (a covariance matrix); largest |S - Sᵀ| entry is {asym:.3g}")
    sym = (arr + np.swapaxes(arr, -1, -2)) / 2
    if arr.size:
        smallest = float(np.min(np.linalg.eigvalsh(sym)))
        if smallest < -tol:
            raise ValueError(f"{name} must be positive semi-definite (eigenvalues >= 0); its smallest eigenvalue is {smallest:.6g}")
    return sym


def check_labels(name: str, y: object, n_classes: int | None = None, n_rows: int | None = None) -> np.ndarray:
    """Integer class labels in 0..``n_classes``-1 (at most :data:`MAX_CLASSES` classes), as int64.

    Floats are accepted only when integral (``3.0``); ``0.7`` is an error, never truncated.
    ``n_rows`` checks one label per row.
    """
    if isinstance(y, (str, bytes)) or y is None:
        raise TypeError(f"{name} must be an array of integer class labels; got {y!r}")
    try:
        arr = np.asarray(y)
        if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
            raise TypeError
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be an array of integer class labels; got dtype {getattr(np.asarray(y, dtype=object), 'dtype', None)}"
        ) from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per row); got shape {arr.shape}")
    if n_rows is not None and len(arr) != n_rows:
        raise ValueError(
            f"{name} must hold one non-negative integer label per row: {n_rows} rows but {len(arr)} labels (one label per row)"
        )
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            bad = arr[~np.isfinite(arr) | (arr != np.round(arr))][0]
            raise ValueError(f"{name} must hold integer class labels; got {float(bad)!r}")
    limit = MAX_CLASSES if n_classes is None else int(n_classes)
    if arr.size:
        lo, hi = float(arr.min()), float(arr.max())
        if lo < 0 or hi > limit - 1:
            what = f"the {limit} classes" if n_classes is not None else f"at most {MAX_CLASSES} classes"
            raise ValueError(f"{name} must hold labels in 0..{limit - 1} ({what}); got labels in {_fmt(lo)}..{_fmt(hi)}")
    return arr.astype(np.int64)


def check_pixels(name: str, X: object, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Finite pixel values inside [``low``, ``high``] (e.g. [0, 1], not 0..255), as float64."""
    arr = check_array(name, X, finite=True)
    if arr.size and (float(arr.min()) < low or float(arr.max()) > high):
        raise ValueError(
            f"{name} must hold pixel values in [{_fmt(low)}, {_fmt(high)}]; got values in [{arr.min():.4g}, {arr.max():.4g}]"
            + (" (rescale 0..255 images by dividing by 255)" if float(arr.max()) > 1.5 and high == 1.0 else "")
        )
    return arr
