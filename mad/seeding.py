"""Deterministic seeds: every random draw derives from ``(seed, generation, role)``.

A *role* names what the randomness is for (``"real"``, ``"fit"``, ``"sample"``,
``"eval"``, ...). Seeds are derived with :class:`numpy.random.SeedSequence`, whose
spawn keys give statistically independent streams; roles are hashed with CRC-32 so the
mapping is stable across Python processes (unlike :func:`hash`).
"""

from __future__ import annotations

import zlib

import numpy as np

from mad.validation import check_int


def _role_key(role: str) -> int:
    if not isinstance(role, str) or not role:
        raise ValueError(f"role must be a non-empty string; got {role!r}")
    return zlib.crc32(role.encode("utf-8"))


def seed_sequence(seed: int, generation: int = 0, role: str = "main") -> np.random.SeedSequence:
    """The :class:`~numpy.random.SeedSequence` for ``(seed, generation, role)``."""
    try:
        seed = check_int("seed", seed, minimum=0)
    except ValueError:
        raise ValueError(f"seed must be a non-negative integer; got {seed}") from None
    generation = check_int("generation", generation, minimum=0)
    return np.random.SeedSequence(entropy=seed, spawn_key=(generation, _role_key(role)))


def derive_seed(seed: int, generation: int = 0, role: str = "main") -> int:
    """A 32-bit integer seed for ``(seed, generation, role)`` (for torch or scikit-learn)."""
    return int(seed_sequence(seed, generation, role).generate_state(1)[0])


def rng(seed: int, generation: int = 0, role: str = "main") -> np.random.Generator:
    """A NumPy generator for ``(seed, generation, role)``."""
    return np.random.default_rng(seed_sequence(seed, generation, role))


def as_generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """Turn ``None``, an int seed or a Generator into a Generator (scikit-learn style)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    raise TypeError(f"random_state must be None, an int or a numpy Generator; got {type(random_state).__name__}")
