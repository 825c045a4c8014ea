"""mad.results: the helpers chapters share to glue numbers (checked against direct formulas)."""

import numpy as np
import pytest
from scipy import stats

from mad.plotting import mean_interval
from mad.results import glue_all, mean_halfwidth, num


def test_mean_halfwidth_is_the_student_t_interval():
    x = np.array([[1.0, 2.0], [2.0, 4.0], [4.0, 9.0]])
    mean, half = mean_halfwidth(x)
    np.testing.assert_array_equal(mean, x.mean(axis=0))
    np.testing.assert_allclose(half, stats.t.ppf(0.975, 2) * x.std(axis=0, ddof=1) / np.sqrt(3))
    _, low, high = mean_interval(x)
    np.testing.assert_allclose(half, (high - low) / 2)


def test_mean_halfwidth_along_an_axis_and_level():
    x = np.arange(12.0).reshape(3, 4) ** 2
    mean, half = mean_halfwidth(x, axis=1, level=0.9)
    np.testing.assert_array_equal(mean, x.mean(axis=1))
    np.testing.assert_allclose(half, stats.t.ppf(0.95, 3) * x.std(axis=1, ddof=1) / 2)


@pytest.mark.parametrize("values", [[1.0], [], 3.0])
def test_mean_halfwidth_needs_two_replicates(values):
    with pytest.raises(ValueError, match="values"):
        mean_halfwidth(values)


def test_mean_halfwidth_rejects_a_level_outside_0_1():
    with pytest.raises(ValueError, match="level"):
        mean_halfwidth([1.0, 2.0], level=1.0)


def test_num_gives_plain_python_numbers():
    assert type(num(np.float32(0.5))) is float and type(num(np.int64(3))) is int
    with pytest.raises(TypeError, match="x must"):
        num(np.array([1.0, 2.0]))


def test_glue_all_names_the_value_it_cannot_glue():
    with pytest.raises(TypeError, match="'bad'"):
        glue_all({"bad": [1, 2]})
