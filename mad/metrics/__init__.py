"""Metrics: distances between distributions and sample-based quality/diversity scores.

* :mod:`mad.metrics.gaussian`: closed-form Gaussian W2, Fréchet distance ("FID"), mean
  drift, total variance.
"""

from mad.metrics.gaussian import (
    covariance_trace,
    fit_gaussian,
    frechet_distance,
    gaussian_w2,
    gaussian_w2_squared,
    mean_drift,
)

__all__ = [
    "covariance_trace",
    "fit_gaussian",
    "frechet_distance",
    "gaussian_w2",
    "gaussian_w2_squared",
    "mean_drift",
]
