"""Pretrain-then-fine-tune classifier: few-shot sets, determinism, fine-tuning semantics, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from mad.data import load_digits_pool
from mad.hybrid import FewShotClassifier, few_shot_indices, hybrid_accuracy


@pytest.fixture(scope="module")
def digits():
    pool = load_digits_pool()
    return pool.X, pool.y


def test_few_shot_indices_exact_counts_and_determinism() -> None:
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    idx = few_shot_indices(y, 2, 5)
    assert len(idx) == 6 and len(set(idx)) == 6
    assert np.array_equal(np.bincount(y[idx]), [2, 2, 2])
    assert np.array_equal(idx, few_shot_indices(y, 2, 5))
    with pytest.raises(ValueError, match=r"k \(real images per class\) must be <= 2"):
        few_shot_indices(y, 3, 0)


def test_classifier_is_deterministic_and_learns(digits) -> None:
    X, y = digits
    a = FewShotClassifier(random_state=3).pretrain(X[:500], y[:500], 150)
    b = FewShotClassifier(random_state=3).pretrain(X[:500], y[:500], 150)
    assert np.array_equal(a.predict(X[500:]), b.predict(X[500:]))
    assert a.score(X[500:], y[500:]) > 0.85
    assert a.steps_ == {"pretrain": 150, "finetune": 0}


def test_zero_steps_leave_the_weights_and_finetune_continues(digits) -> None:
    X, y = digits
    clf = FewShotClassifier(random_state=1)
    before = [p.detach().clone() for p in clf.net_.parameters()]
    clf.finetune(X[:20], y[:20], 0)
    assert all(np.array_equal(p.detach().numpy(), q.numpy()) for p, q in zip(clf.net_.parameters(), before))
    clf.pretrain(X[:500], y[:500], 150)
    acc = clf.score(X[500:], y[500:])
    clf.finetune(X[:10], y[:10], 1)  # one small step from the pretrained weights keeps most of it
    assert clf.score(X[500:], y[500:]) > acc - 0.1


def test_hybrid_accuracy_table_pairs_arms(digits) -> None:
    X, y = digits
    real, test = (X[:800], y[:800]), (X[1200:], y[1200:])
    synth = (X[800:1200], y[800:1200])
    out = hybrid_accuracy({"real only": None, "synthetic": synth}, real, test, [1, 3], seed=4, pretrain_steps=100, finetune_steps=30)
    assert list(out.columns) == ["arm", "k", "seed", "accuracy"]
    assert sorted(out[out.arm == "synthetic"].k) == [0, 1, 3] and sorted(out[out.arm == "real only"].k) == [1, 3]
    again = hybrid_accuracy({"real only": None, "synthetic": synth}, real, test, [1, 3], seed=4, pretrain_steps=100, finetune_steps=30)
    assert out.equals(again)
    # pretraining on real-like data pays with one image per class
    acc = out.set_index(["arm", "k"]).accuracy
    assert acc["synthetic", 1] > acc["real only", 1]


def test_same_arm_same_seed_is_the_same_classifier(digits) -> None:
    X, y = digits
    data = (X[:300], y[:300])
    out = hybrid_accuracy({"a": data, "b": data}, data, (X[300:600], y[300:600]), [2], seed=0, pretrain_steps=20, finetune_steps=5)
    acc = out.set_index(["arm", "k"]).accuracy
    assert acc["a", 0] == acc["b", 0] and acc["a", 2] == acc["b", 2]


def test_bad_input_raises_naming_the_parameter(digits) -> None:
    X, y = digits
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        FewShotClassifier(hidden=0)
    with pytest.raises(ValueError, match="lr must be"):
        FewShotClassifier(lr=-1.0)
    with pytest.raises(ValueError, match="X must have 64 features"):
        FewShotClassifier().pretrain(X[:, :10], y, 1)
    with pytest.raises(ValueError, match="y must hold labels in 0..9"):
        FewShotClassifier().pretrain(X[:3], np.array([0, 1, 12]), 1)
    with pytest.raises(ValueError, match="pretrain_steps must be >= 0"):
        FewShotClassifier().pretrain(X[:3], y[:3], -1)
    with pytest.raises(ValueError, match="pretrain_sets must name"):
        hybrid_accuracy({}, (X, y), (X, y), [1], seed=0)
    with pytest.raises(ValueError, match=r"ks \(real images per class\) must be >= 1"):
        hybrid_accuracy({"r": None}, (X, y), (X, y), [0], seed=0)
