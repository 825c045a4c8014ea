"""Spectral fingerprints of generated images: does a high-frequency artifact grow over generations?

The MAD paper sees StyleGAN2's cross-hatching artifacts amplified generation after generation
(Alemohammad et al. 2024, Fig. 1 and 18-22) and relates them to aliasing, an architectural
fingerprint. Such fingerprints show in the Fourier domain as excess energy at high spatial
frequencies (Durall et al. 2020). For a set of h x w images x_i this module
computes the mean power spectrum::

    P(k) = (1/N) Σ_i |F[x_i](k)|² / (h w),     k = (k_y, k_x) in cycles per pixel,

where F is the 2-D DFT, normalised (Parseval) so that Σ_k P(k) is the mean energy per image,
and summarises it by the **high-frequency share**::

    s = Σ_{|k| > c} P(k) / Σ_{|k| > 0} P(k),

the fraction of the non-constant energy (the DC bin k = 0, an image's mean brightness, is left
out) at radial frequencies above a cutoff c. The default c = 0.25 cycles/pixel is half the
Nyquist frequency 0.5. The artifact measure of the book is the **excess** s(fake) - s(real):
positive when samples carry more high-frequency energy than real images do. Because the mean
spectrum keeps every image's fixed pattern (only its mean brightness is removed), an artifact
printed at the same place in every sample counts in full.
"""

from __future__ import annotations

import numpy as np

from mad.validation import check_array, check_number, check_samples

DEFAULT_CUTOFF = 0.25


def _images(X: np.ndarray, shape: tuple[int, int], name: str) -> np.ndarray:
    h, w = shape
    X = check_samples(X, name=name, min_samples=1, n_features=h * w)
    return X.reshape(-1, h, w)


def radial_frequency(shape: tuple[int, int] = (8, 8)) -> np.ndarray:
    """``|k|`` in cycles per pixel for every bin of an ``h x w`` DFT (same layout as ``np.fft.fft2``)."""
    h, w = shape
    if h < 2 or w < 2:
        raise ValueError(f"shape must be at least 2 x 2 pixels; got {shape}")
    ky, kx = np.fft.fftfreq(h), np.fft.fftfreq(w)
    return np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)


def power_spectrum(X: np.ndarray, shape: tuple[int, int] = (8, 8)) -> np.ndarray:
    """Mean power spectrum ``P(k) = mean_i |DFT(x_i)(k)|² / (h w)`` of the flattened images ``X`` (n, h w).

    Returned in ``np.fft.fft2`` layout (DC at [0, 0]); use ``np.fft.fftshift`` to centre it.
    By Parseval, ``P.sum()`` equals the mean of Σ_pixels x² over the images.
    """
    imgs = _images(X, shape, "X")
    return (np.abs(np.fft.fft2(imgs)) ** 2).mean(axis=0) / (shape[0] * shape[1])


def high_frequency_share(X: np.ndarray, shape: tuple[int, int] = (8, 8), cutoff: float = DEFAULT_CUTOFF) -> float:
    """Share of the non-DC energy of the mean power spectrum at radial frequency ``|k| > cutoff``."""
    if not 0.0 < float(cutoff) < float(radial_frequency(shape).max()):
        raise ValueError(f"cutoff must be in (0, {radial_frequency(shape).max():.3g}) cycles/pixel; got {cutoff!r}")
    P = power_spectrum(X, shape)
    r = radial_frequency(shape)
    ac = P[r > 0].sum()
    if ac <= 0:
        return 0.0  # constant images: no structure at any frequency
    return float(P[r > cutoff].sum() / ac)


def high_frequency_excess(fake: np.ndarray, real: np.ndarray, shape: tuple[int, int] = (8, 8), cutoff: float = DEFAULT_CUTOFF) -> float:
    """The artifact measure: s(fake) - s(real), the excess high-frequency share of the samples."""
    return high_frequency_share(fake, shape, cutoff) - high_frequency_share(real, shape, cutoff)


def spectrum_log_ratio(P_fake: np.ndarray, P_real: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """log10 P_fake(k) / P_real(k) per bin of two mean power spectra (``power_spectrum`` layout), centred
    with ``fftshift`` for a heat map.

    Both spectra are first normalised to unit non-DC energy, so the map shows where the samples'
    energy sits relative to real images, not how much energy they have.
    """
    P_fake, P_real = check_array("P_fake", P_fake), check_array("P_real", P_real)
    eps = check_number("eps", eps, 0.0, low_open=True)
    if P_fake.shape != P_real.shape or P_fake.ndim != 2:
        raise ValueError(f"P_fake and P_real must be 2-D spectra of the same shape; got {P_fake.shape} and {P_real.shape}")
    r = radial_frequency(P_fake.shape)
    fake, real = (P / max(P[r > 0].sum(), eps) for P in (P_fake, P_real))
    return np.fft.fftshift(np.log10((fake + eps) / (real + eps)))


def log_spectrum_ratio(fake: np.ndarray, real: np.ndarray, shape: tuple[int, int] = (8, 8)) -> np.ndarray:
    """:func:`spectrum_log_ratio` of the mean power spectra of the images ``fake`` and ``real``."""
    return spectrum_log_ratio(power_spectrum(fake, shape), power_spectrum(real, shape))


def radial_profile(X: np.ndarray, shape: tuple[int, int] = (8, 8)) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, power): the mean power spectrum averaged over bins of equal ``|k|`` (DC excluded)."""
    P = power_spectrum(X, shape)
    r = np.round(radial_frequency(shape), 6)
    freqs = np.unique(r[r > 0])
    return freqs, np.array([P[r == f].mean() for f in freqs])
