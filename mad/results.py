"""The small helpers that chapters share to turn results into glued numbers and figure rows.

Chapters used to redefine these in hidden cells (``num``, ``per_seed``, ``curve``, ``per_class``,
``generation_grid``); they live here, tested, so that a chapter's visible code is the experiment.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mad import verdicts as V


def num(x: Any) -> int | float:
    """A plain Python number for ``glue`` (numpy scalars repr as ``np.float64(...)``, which myst-nb cannot format).

    Integers stay integers; anything else numeric becomes a float. Raises on non-scalars.
    """
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"x must be a number, not a boolean; got {x!r}")
    if isinstance(x, (int, np.integer)):
        return int(x)
    arr = np.asarray(x)
    if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"x must be a scalar number; got {type(x).__name__} with shape {arr.shape}")
    return float(arr)


def per_seed(runs: Mapping[Hashable, Any], fn: Callable[[Any], np.ndarray]) -> np.ndarray:
    """Apply ``fn(run) -> (generations,)`` to the run of each seed; return a ``(seeds, generations)`` array."""
    if not runs:
        raise ValueError("runs must hold at least one seed's run")
    rows = [np.asarray(fn(r), dtype=float) for r in runs.values()]
    shapes = {r.shape for r in rows}
    if len(shapes) != 1 or rows[0].ndim != 1:
        raise ValueError(f"fn must return one 1-D curve of the same length per seed; got shapes {sorted(shapes)}")
    return np.stack(rows)


def per_class(X: np.ndarray, y: np.ndarray, per: int = 1, classes: int = 10) -> np.ndarray:
    """The first ``per`` rows of each class ``0..classes-1``, class by class (for one row of a sample grid).

    Raises if a class has fewer than ``per`` rows, so that grid columns always line up with classes.
    """
    y = np.asarray(y)[: len(X)]
    picks = []
    for c in range(classes):
        idx = np.flatnonzero(y == c)[:per]
        if len(idx) < per:
            raise ValueError(f"class {c} has {len(idx)} rows, fewer than per={per}")
        picks.append(idx)
    return np.asarray(X)[np.concatenate(picks)]


def mean_halfwidth(values: Any, axis: int = 0, level: float = 0.95) -> tuple[Any, Any]:
    r"""Mean over replicates and the half-width of its Student-t interval (the chapters' old ``ci95``).

    For :math:`n \ge 2` replicates along ``axis``: :math:`(\bar x,\; t_{n-1,(1+\text{level})/2}\, s/\sqrt n)`,
    the interval of :func:`mad.plotting.mean_interval` written as centre and half-width (for error bars).
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1); got {level!r}")
    x = np.asarray(values, dtype=float)
    if x.ndim == 0 or x.shape[axis] < 2:
        raise ValueError(f"values must hold at least 2 replicates along axis {axis}; got shape {x.shape}")
    n = x.shape[axis]
    return x.mean(axis=axis), stats.t.ppf(0.5 + level / 2, n - 1) * x.std(axis=axis, ddof=1) / np.sqrt(n)


class Results:
    """Read-only accessor for a tidy results table (columns ``seed, generation, metric, value`` and
    the run's parameters such as ``loop`` and ``lam``), the one place prose numbers come from.

    ``curves`` and ``at`` are :func:`mad.verdicts.curves` / :func:`mad.verdicts.at` (per-seed values,
    the same the claims are decided on); ``mean`` is their mean over seeds as a plain float;
    ``glue`` glues a mapping of names to numbers for the prose (``display=False``).
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        missing = {"seed", "generation", "metric", "value"} - set(frame.columns)
        if missing:
            raise ValueError(f"frame must have columns seed, generation, metric, value; missing {sorted(missing)}")
        self.frame = frame

    def curves(self, metric: str, **where: Any) -> pd.DataFrame:
        """Per-seed curves: index ``seed``, columns ``generation``."""
        return V.curves(self.frame, metric, **where)

    def at(self, metric: str, generation: int | str = "last", **where: Any) -> pd.Series:
        """Per-seed values at one generation (``"first"``, ``"last"`` or a number)."""
        return V.at(self.frame, metric, generation, **where)

    def mean(self, metric: str, generation: int | str = "last", **where: Any) -> float:
        """The mean over seeds at one generation."""
        return float(self.at(metric, generation, **where).mean())

    def mean_curve(self, metric: str, **where: Any) -> pd.Series:
        """The mean over seeds of each generation."""
        return self.curves(metric, **where).mean(axis=0)

    @staticmethod
    def glue(values: Mapping[str, Any]) -> None:
        """Glue each ``name: value`` for the prose (:func:`glue_all`)."""
        glue_all(values)


def glue_all(values: Mapping[str, Any]) -> None:
    """Glue each ``name: value`` for the prose (``display=False``): numbers through :func:`num`, text as is.

    A chapter's ``numbers(result)`` returns this mapping, so one call wires every number of its prose.
    Tables (anything with ``to_html``: a ``DataFrame`` or its ``Styler``) are glued as they are, for a
    ``{glue:figure}`` of the page. Raises if a value is neither text, a table nor a scalar number, naming
    the glue name.
    """
    from myst_nb import glue

    for name, value in values.items():
        try:
            glue(name, value if isinstance(value, str) or hasattr(value, "to_html") else num(value), display=False)
        except TypeError as err:
            raise TypeError(f"glue value {name!r}: {err}") from None


def compare_word(low: float, high: float, below: str = "below", above: str = "above", neither: str = "not distinguishable from") -> str:
    """The word the prose uses for a difference with interval ``[low, high]``: which side of 0 it lies on.

    ``"below"`` when ``high < 0``, ``"above"`` when ``low > 0``, else ``neither``; so that a sentence
    such as "the excess at ψ = 0.7 is {word} that at ψ = 1" says what the data show.
    """
    if low > high:
        raise ValueError(f"low must not exceed high; got low={low!r}, high={high!r}")
    return below if high < 0 else above if low > 0 else neither
