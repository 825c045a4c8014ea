"""Metrics: distances between distributions and sample-based quality/diversity scores.

* :mod:`mad.metrics.gaussian`: closed-form Gaussian W2, Fréchet distance ("FID"), mean
  drift, total variance.
* :mod:`mad.metrics.neighbours`: precision and recall (Kynkäänniemi et al. 2019), density and
  coverage (Naeem et al. 2020), chunked k-nearest-neighbour computations.
* :mod:`mad.metrics.wasserstein`: sliced Wasserstein distance.
* :mod:`mad.metrics.modes`: mode coverage and modal variance on the 25-mode grid, tail mass of
  the Rosenbrock density.
"""

from mad.metrics.gaussian import (
    covariance_trace,
    fit_gaussian,
    frechet_distance,
    gaussian_w2,
    gaussian_w2_squared,
    mean_drift,
)
from mad.metrics.modes import (
    GridScores,
    RosenbrockScores,
    SampleSnapshot,
    average_modal_variance,
    high_quality_fraction,
    modes_covered,
    rosenbrock_low_density_mass,
    rosenbrock_tail_mass,
    snapshots,
    total_variance,
)
from mad.metrics.neighbours import density_coverage, knn_radii, prdc, precision_recall
from mad.metrics.wasserstein import sliced_wasserstein

__all__ = [
    "GridScores",
    "RosenbrockScores",
    "SampleSnapshot",
    "average_modal_variance",
    "covariance_trace",
    "density_coverage",
    "fit_gaussian",
    "frechet_distance",
    "gaussian_w2",
    "gaussian_w2_squared",
    "high_quality_fraction",
    "knn_radii",
    "mean_drift",
    "modes_covered",
    "prdc",
    "precision_recall",
    "rosenbrock_low_density_mass",
    "rosenbrock_tail_mass",
    "sliced_wasserstein",
    "snapshots",
    "total_variance",
]
