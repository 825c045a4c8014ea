"""The helpers of ``mad.chapters.provenance_and_detection`` and the public W2² it uses (no training; fast)."""

import numpy as np
import pandas as pd
import pytest

from mad.chapters import provenance_and_detection as chapter
from mad.gaussian_chains import _w2_squared_to_standard, w2_squared_to_standard


def test_w2_squared_to_standard_closed_form_and_old_name():
    d = 3
    assert w2_squared_to_standard(np.zeros(d), np.eye(d)) == pytest.approx(0.0)
    mu, cov = np.array([1.0, 2.0, 0.0]), np.diag([4.0, 1.0, 0.25])
    # |μ|² + Σ (√eig − 1)² = 5 + (1 + 0 + 0.25)
    assert w2_squared_to_standard(mu, cov) == pytest.approx(6.25)
    batch = w2_squared_to_standard(np.stack([mu, np.zeros(d)]), np.stack([cov, np.eye(d)]))
    np.testing.assert_allclose(batch, [6.25, 0.0], atol=1e-12)
    assert _w2_squared_to_standard is w2_squared_to_standard


class _Model:
    def __init__(self, mean, cov):
        self.mean_, self.cov_ = mean, cov


class _Gen:
    def __init__(self, mean, cov):
        self.model = _Model(mean, cov)


def test_loop_metrics_of_a_fitted_gaussian():
    gen = _Gen(np.array([1.0, 0.0]), np.diag([4.0, 2.0]))
    assert chapter.variance_ratio(gen) == 3.0
    assert chapter.w2_squared_to_pr(gen) == pytest.approx(1.0 + 1.0 + (np.sqrt(2.0) - 1.0) ** 2)


def test_crossings_interpolate_log_linearly():
    u = np.array([10.0, 100.0, 1000.0, 10000.0])
    ne_map = pd.DataFrame({"fpr": 0.0, "n_s": u, "ratio_full": [0.5, 1.5, 1.5, 0.5]})
    lo, hi = chapter._crossings(ne_map, 0.0)
    assert lo == pytest.approx(np.sqrt(10.0 * 100.0))  # halfway in log u
    assert hi == pytest.approx(np.sqrt(1000.0 * 10000.0))
    lo, hi = chapter._crossings(ne_map.assign(ratio_full=[1.5, 1.2, 1.1, 0.9]), 0.0)
    assert np.isnan(lo) and hi == pytest.approx(np.exp(np.log(1000.0) + np.log(10.0) / 2))


def test_minimal_tpr_table_reads_the_upper_crossing():
    result = chapter.Admissibility(
        sizes={"fprs": [0.0, 0.2]}, ne_map=pd.DataFrame(), bounds={0.0: (np.nan, 2000.0), 0.2: (50.0, 1000.0)}, sim_ratio={}, seconds=0.0
    )
    table = chapter.table_minimal_tpr(result)
    assert list(table.index) == list(chapter.NS_TABLE)
    assert table.loc[10_000, "FPR = 0"] == pytest.approx(0.8) and table.loc[1_000, "FPR = 0"] == 0.0
    assert table.loc[10_000, "FPR = 0.2"] == pytest.approx(0.9)
    assert result.ustar == 2000.0
