"""The result store: content keys, invalidation, atomic writes, checksums, transparent use by run_sweep."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mad
import mad.store as S
from mad.data import GaussianSource
from mad.features import ImageMetrics
from mad.loops import run_sweep
from mad.metrics.gaussian import gaussian_w2_squared
from mad.models import GaussianModel
from mad.store import CorruptEntry, Store, Unkeyable, atomic_savez, atomic_write_bytes, describe, task_key, try_task_key

SCALE = 2.0


def w2(gen) -> float:
    return gaussian_w2_squared(gen.model.mean_, gen.model.cov_)


def scaled(gen) -> float:
    return SCALE * float(np.trace(gen.model.cov_))


def task(**changes) -> dict:
    base = dict(
        schedule=mad.fully_synthetic(30), model=GaussianModel(), source=GaussianSource(d=2), generations=3, metrics={"w2": w2}, seed=1
    )
    return {**base, **changes}


def test_key_is_stable_across_processes() -> None:
    code = f"import runpy; ns = runpy.run_path({str(Path(__file__))!r}); from mad.store import task_key; print(task_key(ns['task']()))"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env, timeout=120).stdout.split()[-1]
    assert out == task_key(task())
    assert task_key(task()) == task_key(task(progress=True, first_model=object()))  # not part of the key


@pytest.mark.parametrize(
    "change",
    [
        dict(seed=2),
        dict(generations=4),
        dict(schedule=mad.fully_synthetic(30, lam=0.9)),
        dict(schedule=mad.synthetic_augmentation(30, 30)),
        dict(model=GaussianModel(random_state=7)),
        dict(source=GaussianSource(d=3)),
        dict(source=GaussianSource(d=2, mean=np.array([0.0, 1e-12]))),
        dict(metrics={"w2": scaled}),
        dict(metrics={"W2": w2}),
        dict(tags={"chapter": "x"}),
    ],
)
def test_key_changes_with_every_input(change) -> None:
    assert task_key(task(**change)) != task_key(task())


def test_key_follows_lambda_code_closures_and_globals(monkeypatch) -> None:
    def make(factor: float):
        return {"m": lambda gen: factor * w2(gen)}

    assert task_key(task(metrics=make(1.0))) == task_key(task(metrics=make(1.0)))
    assert task_key(task(metrics=make(1.0))) != task_key(task(metrics=make(2.0)))  # closure value
    assert task_key(task(metrics={"m": lambda gen: 1.0 * w2(gen)})) != task_key(task(metrics={"m": lambda gen: 1.5 * w2(gen)}))  # code
    before = task_key(task(metrics={"s": scaled}))
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 3.0)
    assert task_key(task(metrics={"s": scaled})) != before  # a global the function reads


def test_fitted_state_tensors_and_foreign_objects() -> None:
    rng = np.random.default_rng(0)
    a, b = GaussianModel().fit(rng.normal(size=(20, 2))), GaussianModel().fit(rng.normal(size=(20, 2)))
    assert describe(a) != describe(b)  # same parameters, other fitted state
    assert describe(GaussianModel()) == describe(GaussianModel())
    import torch

    assert describe(torch.zeros(3)) != describe(torch.ones(3))
    assert describe(torch.nn.Linear(2, 2)) != describe(torch.nn.Linear(2, 2))  # other random weights
    from scipy import stats

    with pytest.raises(Unkeyable, match="scipy"):
        describe(stats.norm(0, 1))  # state may live outside __dict__: never guessed


def test_mad_code_change_invalidates_every_key(tmp_path, monkeypatch) -> None:
    before = task_key(task())
    copy = tmp_path / "mad"
    shutil.copytree(S._PACKAGE_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(S, "_PACKAGE_ROOT", copy)
    S.code_hash.cache_clear()
    try:
        assert task_key(task()) == before  # same code, same key
        S.code_hash.cache_clear()
        (copy / "loops.py").write_text((copy / "loops.py").read_text() + "\n# a change\n")
        assert task_key(task()) != before
    finally:
        S.code_hash.cache_clear()


def test_unkeyable_inputs_run_uncached(tmp_path) -> None:
    lock = threading.Lock()
    odd = task(metrics={"w2": lambda gen: w2(gen) if lock else 0.0})
    with pytest.raises(Unkeyable):
        task_key(odd)
    assert try_task_key(odd) is None
    with pytest.raises(Unkeyable, match="archive"):
        describe(ImageMetrics(n_eval=20, archive=str(tmp_path), seed=0))
    assert describe(ImageMetrics(n_eval=20, seed=0)) == describe(ImageMetrics(n_eval=20, seed=0))
    store = Store(tmp_path / "store")
    out = run_sweep([odd, task()], executor="serial", progress=False, store=store)
    assert len(out) == 6 and len(store.keys()) == 1  # only the keyable task is stored


def test_second_run_reads_the_store_bit_for_bit(tmp_path, monkeypatch) -> None:
    store = Store(tmp_path)
    tasks = [task(seed=s, tags={"n": 30, "name": "a"}) for s in range(3)]
    first = run_sweep(tasks, executor="serial", progress=False, store=store)
    assert len(store.keys()) == 3

    def fail(task):
        raise AssertionError("a stored task was computed again")

    monkeypatch.setattr(mad.loops, "_run_task", fail)
    again = run_sweep(tasks, executor="serial", progress=False, store=store)
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    monkeypatch.undo()
    uncached = run_sweep(tasks, executor="serial", progress=False, store=False)
    pd.testing.assert_frame_equal(uncached, first, check_exact=True)


def test_finished_tasks_are_not_recomputed(tmp_path) -> None:
    store = Store(tmp_path)
    run_sweep([task()], executor="serial", progress=False, store=store)
    calls = []

    def counting(gen) -> float:
        calls.append(gen.t)
        return w2(gen)

    # an explicit key names the task instead of its description: the stored table is reused
    keyed = [task(metrics={"w2": counting}, key="gaussian-demo"), task(metrics={"w2": counting}, key="gaussian-demo")]
    run_sweep(keyed[:1], executor="serial", progress=False, store=store)
    assert calls == [1, 2, 3]
    run_sweep(keyed, executor="serial", progress=False, store=store)
    assert calls == [1, 2, 3]
    with pytest.raises(ValueError, match=r"tasks\[0\]\['key'\] must be a non-empty string"):
        run_sweep([task(key="")], progress=False, store=store)


@pytest.mark.parametrize("damage", ["truncate", "flip", "record", "missing"])
def test_a_corrupt_entry_is_detected_and_recomputed(tmp_path, damage) -> None:
    store = Store(tmp_path)
    first = run_sweep([task()], executor="serial", progress=False, store=store)
    key = task_key(task())
    data, record = store._paths(key)
    if damage == "truncate":
        data.write_bytes(data.read_bytes()[:40])
    elif damage == "flip":
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        data.write_bytes(bytes(raw))
    elif damage == "record":
        record.write_text("{not json")
    else:
        data.unlink()
    with pytest.raises(CorruptEntry):
        store.read(key)
    with pytest.warns(RuntimeWarning, match="recomputed"):
        again = run_sweep([task()], executor="serial", progress=False, store=store)
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    pd.testing.assert_frame_equal(store.read(key), first, check_exact=True)  # repaired


def test_atomic_write_leaves_the_old_file_when_cut(tmp_path, monkeypatch) -> None:
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"old")

    def cut(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(S.os, "replace", cut)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"new" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.bin"]  # no temporary file left
    atomic_savez(tmp_path / "a.npz", X=np.arange(3))
    with np.load(tmp_path / "a.npz") as data:
        assert data["X"].tolist() == [0, 1, 2]


def test_arrays_round_trip_with_checksum(tmp_path) -> None:
    store = Store(tmp_path)
    key = S.sha256(b"samples")
    store.save_arrays(key, X=np.linspace(0, 1, 7), y=np.arange(7))
    out = store.load_arrays(key)
    assert np.array_equal(out["X"], np.linspace(0, 1, 7)) and out["y"].dtype == np.arange(7).dtype
    path, _ = store._paths(key, "arrays", ".npz")
    path.write_bytes(path.read_bytes()[:-5])
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert store.load_arrays(key) is None


def test_default_store_comes_from_the_environment(tmp_path, monkeypatch) -> None:
    assert S.default_store() is None  # under pytest, no implicit store
    monkeypatch.setenv("MAD_STORE", str(tmp_path / "s"))
    assert S.default_store().root == tmp_path / "s"
    monkeypatch.setenv("MAD_STORE", "off")
    assert S.default_store() is None
    assert S.resolve_store(False) is None and S.resolve_store(str(tmp_path)).root == tmp_path
    with pytest.raises(TypeError, match="store must be"):
        S.resolve_store(3)
    with pytest.raises(ValueError, match="hex digest"):
        Store(tmp_path).get("../../etc")


def test_prune_removes_only_entries_of_older_code(tmp_path) -> None:
    import json

    from mad.__main__ import main
    from mad.store import Store

    store = Store(tmp_path)
    frame = pd.DataFrame({"generation": [1, 2], "value": [0.5, 0.25]})
    current, stale = "a" * 64, "b" * 64
    store.put(current, frame)
    store.put(stale, frame)
    store.save_arrays(current, X=np.zeros((2, 2)))
    store.save_arrays(stale, X=np.ones((2, 2)))
    for folder in ("runs", "arrays"):  # as if written by another version of mad
        record = tmp_path / folder / stale[:2] / f"{stale}.json"
        meta = json.loads(record.read_text())
        record.write_text(json.dumps({**meta, "code": "0" * 64}))
    entries = store.entries()
    assert len(entries) == 4 and entries.current.sum() == 2
    assert store.prune(dry_run=True)[0] == 2 and len(store.entries()) == 4
    assert main(["store", "--store", str(tmp_path), "--prune"]) == 0
    assert store.keys() == [current]
    assert store.load_arrays(stale) is None and store.load_arrays(current)["X"].shape == (2, 2)
    pd.testing.assert_frame_equal(store.read(current), frame)
    assert not list(tmp_path.glob(f"*/bb/{stale}.*"))
