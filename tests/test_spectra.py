"""The spectral artifact measure: Parseval, known spectra, the excess over real images, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from mad.spectra import (
    high_frequency_excess,
    high_frequency_share,
    log_spectrum_ratio,
    power_spectrum,
    radial_frequency,
    radial_profile,
    spectrum_log_ratio,
)

ROW, COL = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
CHECKER = ((-1.0) ** (ROW + COL)).ravel()  # all its energy at the Nyquist corner (0.5, 0.5)
SLOW_WAVE = np.cos(2 * np.pi * COL / 8).ravel()  # energy only at |k| = 1/8


def _random_images(n: int = 50, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 64))


def test_power_spectrum_matches_an_explicit_dft_and_parseval() -> None:
    X = _random_images(5)
    F = np.exp(-2j * np.pi * np.outer(np.arange(8), np.arange(8)) / 8)  # the DFT matrix
    explicit = np.mean([np.abs(F @ x.reshape(8, 8) @ F.T) ** 2 for x in X], axis=0) / 64
    P = power_spectrum(X)
    np.testing.assert_allclose(P, explicit, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(P.sum(), np.mean(np.sum(X**2, axis=1)), rtol=1e-12)


def test_radial_frequency_layout() -> None:
    r = radial_frequency((8, 8))
    assert r[0, 0] == 0.0 and r[4, 4] == pytest.approx(np.sqrt(0.5)) and r[0, 1] == pytest.approx(1 / 8)
    freqs, power = radial_profile(_random_images())
    assert len(freqs) == 14 and np.all(np.diff(freqs) > 0) and np.all(power > 0)


def test_share_of_known_patterns() -> None:
    assert high_frequency_share(np.tile(CHECKER, (3, 1))) == pytest.approx(1.0)
    assert high_frequency_share(np.tile(SLOW_WAVE, (3, 1))) == pytest.approx(0.0, abs=1e-12)
    assert high_frequency_share(np.full((3, 64), 0.7)) == 0.0  # constant images: no structure
    # white noise spreads its non-DC energy evenly over the 63 non-DC bins
    r = radial_frequency()
    expected = np.sum(r > 0.25) / 63
    assert high_frequency_share(np.random.default_rng(1).standard_normal((4000, 64))) == pytest.approx(expected, abs=0.01)


def test_excess_is_zero_against_itself_and_grows_with_a_checkerboard_artifact() -> None:
    from mad.data import load_digits_pool

    real = load_digits_pool().X
    assert high_frequency_excess(real, real) == 0.0
    excesses = [high_frequency_excess(real + a * CHECKER, real) for a in (0.0, 0.05, 0.1, 0.2)]
    assert excesses[0] == 0.0 and np.all(np.diff(excesses) > 0)
    ratio = log_spectrum_ratio(real + 0.2 * CHECKER, real)
    assert ratio.shape == (8, 8)
    assert np.unravel_index(np.argmax(ratio), ratio.shape) == (0, 0)  # fftshift puts (-0.5, -0.5) at the corner
    np.testing.assert_allclose(log_spectrum_ratio(real, real), 0.0, atol=1e-12)
    # a spectrum twice as strong everywhere is the same shape: ratio 0 after normalisation
    np.testing.assert_allclose(spectrum_log_ratio(2 * power_spectrum(real), power_spectrum(real)), 0.0, atol=1e-12)


def test_bad_inputs_give_clear_errors() -> None:
    with pytest.raises(ValueError, match="64 features"):
        power_spectrum(np.zeros((3, 63)))
    with pytest.raises(ValueError, match="cutoff"):
        high_frequency_share(_random_images(), cutoff=0.0)
    with pytest.raises(ValueError, match="cutoff"):
        high_frequency_share(_random_images(), cutoff=0.9)
    with pytest.raises(ValueError, match="2-D"):
        power_spectrum(np.zeros(64))
    with pytest.raises(ValueError, match="same shape"):
        spectrum_log_ratio(np.ones((8, 8)), np.ones((4, 4)))
    with pytest.raises(ValueError, match="at least 2 x 2"):
        radial_frequency((1, 8))
