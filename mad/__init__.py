"""mad: a small package to reproduce *Self-Consuming Generative Models Go MAD*.

Alemohammad, Casco-Rodriguez, Luzi, Humayun, Babaei, LeJeune, Siahkoohi and Baraniuk,
ICLR 2024 (arXiv:2307.01850). Modules:

* :mod:`mad.config`: the ``MAD_SCALE`` / ``MAD_SEED`` switches.
* :mod:`mad.seeding`: every random draw from ``(seed, generation, role)``.
* :mod:`mad.data`: reference distributions and finite pools of real data.
* :mod:`mad.models`: the model protocol and the model families.
* :mod:`mad.loops`: loop schedules as data and the one loop runner.
* :mod:`mad.metrics`: distances and sample-based scores.
* :mod:`mad.theory`: closed forms overlaid on the simulations.
* :mod:`mad.gaussian_chains`: many Gaussian loops at once, exactly, from sufficient statistics.
* :mod:`mad.effective_size`: the effective sample size n_e of the fresh data loop.
* :mod:`mad.features`: the digits feature space ("FID", precision, recall on classifier features).
* :mod:`mad.spectra`: power spectra of image samples (the artifact measure).
* :mod:`mad.language`: toy language models (n-grams on pydoc_data.topics, a Zipf truth), temperature and top-p.
* :mod:`mad.plotting`: the book's theme, fixed palette and standard figures.
* :mod:`mad.results`: the accessor that prose numbers come from, and helpers shared by chapters.
* :mod:`mad.claims`: the paper's claims as verdicts computed from a run.
"""

from mad.config import base_seed, by_scale, scale, seeds
from mad.loops import (
    Schedule,
    first_generation,
    fresh_data,
    fresh_data_pool,
    fully_synthetic,
    iterate_loop,
    run_loop,
    run_sweep,
    synthetic_augmentation,
)

__version__ = "0.1.0"

__all__ = [
    "Schedule",
    "base_seed",
    "by_scale",
    "first_generation",
    "fresh_data",
    "fresh_data_pool",
    "fully_synthetic",
    "iterate_loop",
    "run_loop",
    "run_sweep",
    "scale",
    "seeds",
    "synthetic_augmentation",
]
