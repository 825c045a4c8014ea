"""The regression loops and the two covariance estimators (mad.regression) against their closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from mad import regression as R


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: R.single_fit_error(0, 50), ValueError, "d must be >= 1"),
        (lambda: R.single_fit_error(10, 11), ValueError, r"T \(rows per generation\) must be >= 12"),
        (lambda: R.single_fit_error(10, 50, sigma=0.0), ValueError, "sigma must be a positive"),
        (lambda: R.single_fit_error(10, 50, sigma="a"), TypeError, "sigma must be a positive"),
        (lambda: R.theory("mix", 5, 10, 50), ValueError, "loop must be one of"),
        (lambda: R.theory("accumulate-subsample", 5, 10, 50), ValueError, "no closed form"),
        (lambda: R.theory("replace", 0, 10, 50), ValueError, "generations must be >= 1"),
        (lambda: R.simulate("replace", 3, 10, 5, 1), ValueError, "chains must be >= 2"),
        (lambda: R.simulate("replace", 3, 4, 5, 10), ValueError, r"T \(rows per generation\)"),
        (lambda: R.simulate("replace", 3, 10, 5, 10, seed=-1), ValueError, "seed must be >= 0"),
        (lambda: R.mle_theory(5, 1, 1.0, 0), ValueError, "n must be >= 2"),
        (lambda: R.mle_theory(5, 10, 1.0, 2), ValueError, "ddof must be >= 0 and <= 1"),
        (lambda: R.mle_theory(5, 10, -1.0, 0), ValueError, "trace0 must be a positive"),
        (lambda: R.gaussian_replace(2, 10, 5, 10, ddof=3), ValueError, "ddof must be >= 0 and <= 1"),
        (lambda: R.accumulated_trace(5, 1.5), ValueError, r"sampling bias λ\) must be in \(0, 1\]"),
        (lambda: R.accumulated_trace(0, 0.5), ValueError, "generations must be >= 1"),
    ],
)
def test_inputs_are_validated(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_closed_forms() -> None:
    e1 = R.single_fit_error(10, 50, sigma=2.0)
    assert e1 == pytest.approx(4 * 10 / 39)
    np.testing.assert_allclose(R.theory("replace", 4, 10, 50, 2.0), e1 * np.arange(1, 5))
    np.testing.assert_allclose(R.theory("accumulate", 3, 10, 50, 2.0), e1 * np.array([1, 1.25, 1.25 + 1 / 9]))
    np.testing.assert_allclose(R.accumulated_trace(3, 0.5), [1, 0.75, 0.75 * 2.5 / 3])
    np.testing.assert_allclose(R.accumulated_trace(4, 1.0), 1.0)
    tr, drift = R.mle_theory(3, 10, 2.0, 0)
    np.testing.assert_allclose(tr, 2.0 * 0.9 ** np.arange(1, 4))
    np.testing.assert_allclose(drift, 0.2 * np.cumsum(0.9 ** np.arange(3)))
    tr, drift = R.mle_theory(3, 10, 2.0, 1)
    np.testing.assert_allclose(tr, 2.0)
    np.testing.assert_allclose(drift, 0.2 * np.arange(1, 4))


@pytest.mark.parametrize("loop", R.REGRESSION_LOOPS)
def test_simulation_shape_reproducibility_and_first_fit(loop: str) -> None:
    a = R.simulate(loop, 4, 20, 3, 400, seed=3)
    assert a.shape == (3, 400) and np.all(a >= 0)
    np.testing.assert_array_equal(a, R.simulate(loop, 4, 20, 3, 400, seed=3))
    # generation 1 is the same real fit in every loop; its mean error is E_1 (sd ~ E_1 / sqrt(chains))
    np.testing.assert_array_equal(a[0], R.simulate("replace", 4, 20, 1, 400, seed=3)[0])
    assert a[0].mean() == pytest.approx(R.single_fit_error(4, 20), rel=0.2)


def test_simulation_follows_theory() -> None:
    e1 = R.single_fit_error(3, 20)
    rep = R.simulate("replace", 3, 20, 6, 3000, seed=1).mean(axis=1) / e1
    np.testing.assert_allclose(rep, np.arange(1, 7), rtol=0.1)
    acc = R.simulate("accumulate", 3, 20, 6, 3000, seed=1).mean(axis=1) / e1
    assert np.all(acc <= R.theory("accumulate", 6, 3, 20) / e1 * 1.05)
    sub = R.simulate("accumulate-subsample", 3, 20, 6, 3000, seed=1).mean(axis=1) / e1
    assert acc[-1] < sub[-1] < rep[-1]


def test_estimators_differ_by_a_deterministic_factor() -> None:
    tr0, mu0 = R.gaussian_replace(3, 12, 4, 50, ddof=0, seed=2)
    tr1, mu1 = R.gaussian_replace(3, 12, 4, 50, ddof=1, seed=2)
    np.testing.assert_allclose(tr0, tr1 * (11 / 12) ** np.arange(1, 5)[:, None], rtol=1e-9)
    np.testing.assert_allclose(mu0[0], mu1[0])  # G_1 fits the same real data
    assert tr0.shape == mu0.shape == (4, 50)
