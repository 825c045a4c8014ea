"""The digits feature space and the image metrics built on it."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from mad.data import Resampled
from mad.features import N_EVAL, N_TRAIN, DigitsFeatureSpace, digits_feature_space, digits_split, image_metrics
from mad.metrics.gaussian import frechet_distance


@pytest.fixture(scope="module")
def space() -> DigitsFeatureSpace:
    return digits_feature_space(seed=0)


@pytest.fixture(scope="module")
def split():
    return digits_split(seed=0)


def test_split_is_disjoint_stratified_and_deterministic(split) -> None:
    assert len(split.train) == N_TRAIN and len(split.eval_X) == N_EVAL
    counts = np.bincount(split.eval_y, minlength=10)
    assert counts.min() >= 57 and counts.max() <= 62  # ~1/3 of every class (174-183 images each)
    train_rows = {row.tobytes() for row in split.train.X}
    assert sum(row.tobytes() in train_rows for row in split.eval_X) <= 5  # only exact duplicate images in the data set
    again = digits_split(seed=0)
    np.testing.assert_array_equal(again.eval_X, split.eval_X)
    assert not np.array_equal(digits_split(seed=1).eval_y, split.eval_y)


def test_feature_space_is_accurate_cached_and_float64(space, split) -> None:
    assert space.held_out_accuracy_ > 0.93
    assert space.eval_accuracy_ > 0.93
    assert digits_feature_space(seed=0) is space
    F = space.transform(split.eval_X[:50])
    assert F.shape == (50, space.n_features_out_) and F.dtype == np.float64
    assert np.all(F >= 0)  # ReLU features
    np.testing.assert_array_equal(space.transform(split.eval_X[:50]), F)


def test_fit_is_deterministic_under_seed(split) -> None:
    X, y = split.train.X[:300], split.train.y[:300]
    a = DigitsFeatureSpace(epochs=3, random_state=5).fit(X, y)
    b = DigitsFeatureSpace(epochs=3, random_state=5).fit(X, y)
    np.testing.assert_array_equal(a.transform(X[:20]), b.transform(X[:20]))
    assert a.n_held_out_ == 60


def test_errors(split) -> None:
    with pytest.raises(NotFittedError, match="fit"):
        DigitsFeatureSpace().transform(split.eval_X[:3])
    with pytest.raises(ValueError, match="one label per row"):
        DigitsFeatureSpace().fit(split.eval_X[:20], split.eval_y[:10])
    with pytest.raises(ValueError, match="held_out"):
        DigitsFeatureSpace(held_out=1.5).fit(split.eval_X[:20], split.eval_y[:20])


def test_image_metrics_agree_with_reference_formulas(space, split) -> None:
    from prdc import compute_prdc

    real, fake, fake_y = split.eval_X, split.train.X[:400], split.train.y[:400]
    m = image_metrics(space, real, fake, fake_y)
    Fr, Ff = space.transform(real), space.transform(fake)
    assert m["fid"] == pytest.approx(frechet_distance(Fr, Ff))
    ref = compute_prdc(Fr, Ff, nearest_k=5)
    assert m["precision"] == pytest.approx(ref["precision"], abs=0.01)
    assert m["recall"] == pytest.approx(ref["recall"], abs=0.01)
    assert m["legibility"] == pytest.approx(np.mean(space.predict(fake) == fake_y))
    # real held-out digits look real: high precision, recall and legibility, small FID
    assert m["precision"] > 0.9 and m["recall"] > 0.9 and m["legibility"] > 0.93
    # blurred digits (a crude "bad generator") are measurably worse
    noisy = np.clip(fake + np.random.default_rng(0).normal(0, 0.3, fake.shape), 0, 1)
    bad = image_metrics(space, real, noisy, fake_y, real_features=Fr)
    assert bad["fid"] > 3 * m["fid"] and bad["precision"] < m["precision"]
    with pytest.raises(ValueError, match="one label per synthetic"):
        image_metrics(space, real, fake, fake_y[:3])


def test_resampled_source_draws_distinct_rows_per_take(split) -> None:
    source = Resampled(split.train)
    stream = source.stream(np.random.default_rng(0))
    X1, y1, _ = stream.take(500)
    X2, _, _ = stream.take(1000)
    X3, _, _ = stream.take(1000)
    assert len({r.tobytes() for r in X1}) >= 495 and y1.shape == (500,)
    assert X2.shape == (1000, 64) and not np.array_equal(X2, X3)
    with pytest.raises(ValueError, match="n must be"):
        stream.take(N_TRAIN + 1)


def test_image_metrics_as_a_loop_metric_with_archive(tmp_path, split) -> None:
    from mad.features import ImageMetrics, load_archived, within_class_variance
    from mad.loops import fully_synthetic, run_loop
    from mad.models.ddpm import ConditionalDDPM
    from mad.plotting import tsne_embedding

    metric = ImageMetrics(n_eval=40, archive=str(tmp_path), keep=12, seed=0)
    model = ConditionalDDPM(T=5, width=16, depth=1, n_steps=3)
    results = run_loop(fully_synthetic(50, lam=0.5), model, split.train, 2, {"image": metric}, seed=3)
    assert set(results.metric) == {"fid", "precision", "recall", "legibility", "spread"}
    assert len(results) == 2 * 5 and results.value.notna().all()
    data = load_archived(str(tmp_path), "fully_synthetic", 50, 0.5, 3, 2)
    assert data["X"].shape == (12, 64) and data["y"].shape == (40,) and data["features"].shape == (40, 64)
    # spread of the real evaluation set against itself is 1 by construction
    space, sp, real = metric.reference()
    assert within_class_variance(real, sp.eval_y) / within_class_variance(real, sp.eval_y) == 1.0
    a, b = tsne_embedding([real[:30], data["features"][:20]], perplexity=10)
    assert a.shape == (30, 2) and b.shape == (20, 2)
