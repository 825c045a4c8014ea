"""Run-time configuration of the book, read in one place.

Two environment variables steer every notebook and script:

``MAD_SCALE``
    ``smoke`` (seconds per notebook, used by the tests; claims are shown but not
    asserted), ``book`` (the default; what the rendered book shows; claims are
    asserted) or ``paper`` (the paper's sizes where the data exists; meant for a GPU).
``MAD_ENFORCE_CLAIMS``
    ``0`` shows contradicted claims without failing the notebook (``make seeds`` uses it so
    that one contradicted part does not hide the rest of a scorecard); default ``1``.
``MAD_SEED``
    The base seed (an integer, default :data:`DEFAULT_SEED`). Every random draw in the
    book derives from ``(seed, generation, role)`` through :mod:`mad.seeding`, so rerunning
    the whole book under another ``MAD_SEED`` checks that its claims are not a lucky seed.
"""

from __future__ import annotations

import os
from typing import TypeVar

SCALES: tuple[str, ...] = ("smoke", "book", "paper")
DEFAULT_SCALE = "book"
DEFAULT_SEED = 2024

#: The paper's sizes for its MNIST experiments (Alemohammad et al. 2024, Sec. 4-5, Fig. 4, 9, 10, 13, 16, 26),
#: the sizes of ``MAD_SCALE=paper`` on the 28x28 path
#: (:mod:`mad.models.unet_ddpm`, ``sweeps/paper_fashion_mnist.toml``; meant for a GPU, see the README,
#: "Paper scale on a GPU"). ``tests/test_unet_ddpm.py`` checks that the sweep spec uses them.
PAPER_SIZES: dict[str, int | tuple[float, ...] | tuple[int, ...]] = {
    "n_images": 60_000,  # n_r^1 = n_s^t = 60k per generation: the full training split
    "generations": 20,  # fully synthetic loop, λ ∈ {1, 0.8}: 20 generations (t-SNE and sample grids)
    "lams": (1.0, 0.8, 0.66, 0.5),  # DDPM sampling bias λ = 1/(1 + w)
    "T": 500,  # diffusion steps of the paper's DDPM
    "fresh_n": 2_000,  # fresh data loop: n_r = n_s = 2k per generation
    "fresh_n_init": (2_000, 3_000),  # ... from n_init ∈ {2k, 3k}
    "fresh_generations": 15,
    "wgan_generations": 100,  # WGAN-GP, fully synthetic, λ = 1
}

T = TypeVar("T")


def scale() -> str:
    """The current scale, from ``MAD_SCALE`` (default ``book``)."""
    value = os.environ.get("MAD_SCALE", DEFAULT_SCALE).strip().lower() or DEFAULT_SCALE
    if value not in SCALES:
        raise ValueError(f"MAD_SCALE must be one of {', '.join(SCALES)}; got {value!r}")
    return value


def by_scale(smoke: T, book: T, paper: T | None = None) -> T:
    """Pick a value for the current scale; ``paper`` falls back to ``book`` when omitted."""
    current = scale()
    if current == "smoke":
        return smoke
    if current == "paper" and paper is not None:
        return paper
    return book


def base_seed() -> int:
    """The base seed, from ``MAD_SEED`` (default :data:`DEFAULT_SEED`)."""
    raw = os.environ.get("MAD_SEED", "").strip()
    if not raw:
        return DEFAULT_SEED
    try:
        seed = int(raw)
    except ValueError:
        raise ValueError(f"MAD_SEED must be a non-negative integer; got {raw!r}") from None
    if seed < 0:
        raise ValueError(f"MAD_SEED must be a non-negative integer; got {seed}")
    return seed


def seeds(count: int) -> list[int]:
    """``count`` consecutive run seeds starting at the base seed."""
    if count < 1:
        raise ValueError(f"count must be >= 1; got {count}")
    start = base_seed()
    return list(range(start, start + count))


def asserting() -> bool:
    """Whether claims are asserted (every scale but ``smoke``)."""
    return scale() != "smoke"


def enforcing() -> bool:
    """Whether a contradicted claim fails its notebook: at book and paper scale, unless ``MAD_ENFORCE_CLAIMS=0``."""
    raw = os.environ.get("MAD_ENFORCE_CLAIMS", "1").strip()
    if raw not in ("0", "1"):
        raise ValueError(f"MAD_ENFORCE_CLAIMS must be 0 or 1; got {raw!r}")
    return asserting() and raw == "1"


def progress_bar(*args: object, **kwargs: object) -> object:
    """A tqdm progress bar: the notebook widget where ``ipywidgets`` is installed, else the text bar.

    ``tqdm.auto`` warns ("IProgress not found") in a kernel without ipywidgets; this picks the text
    bar there instead, so sweep cells print no warning.
    """
    import importlib.util

    if importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm
    return tqdm(*args, **kwargs)
