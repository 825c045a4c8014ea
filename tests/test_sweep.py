"""``python -m mad sweep`` / ``results``: specs, the book figure's data, resume after a kill, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mad
from mad.__main__ import main
from mad.data import GaussianSource
from mad.metrics.gaussian import gaussian_w2_squared
from mad.models import GaussianModel
from mad.store import Store
from mad.sweep import SpecError, load_spec, run_spec, stored_results

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "sweeps" / "loops_and_bias.toml"


@pytest.fixture(autouse=True)
def smoke(monkeypatch):
    monkeypatch.setenv("MAD_SCALE", "smoke")
    monkeypatch.delenv("MAD_SEED", raising=False)
    monkeypatch.delenv("MAD_DASK_SCHEDULER", raising=False)
    monkeypatch.delenv("MAD_EXECUTOR", raising=False)


def test_the_example_spec_reproduces_the_chapter_data_bit_for_bit(tmp_path) -> None:
    """The tasks of notebooks/loops_and_bias.ipynb (its W2² figure), written as in the notebook."""
    metrics = {"W2² to P_r": lambda gen: gaussian_w2_squared(gen.model.mean_, gen.model.cov_)}
    tasks = [
        dict(
            schedule=s,
            model=GaussianModel(),
            source=GaussianSource(d=2),
            generations=mad.by_scale(smoke=5, book=50),
            metrics=metrics,
            seed=seed,
        )
        for s in (mad.fully_synthetic(50), mad.synthetic_augmentation(50, 50), mad.fresh_data(50, 50))
        for seed in mad.seeds(mad.by_scale(smoke=2, book=8))
    ]
    chapter = mad.run_sweep(tasks, executor="serial", progress=False, store=False)
    assert main(["sweep", str(SPEC), "--store", str(tmp_path), "--executor", "serial", "--quiet"]) == 0
    spec = load_spec(SPEC)
    assert len(spec.tasks) == 6
    table, missing = stored_results(spec, Store(tmp_path))
    assert missing == 0
    pd.testing.assert_frame_equal(table, chapter, check_exact=True)
    out = tmp_path / "loops.csv"
    assert main(["results", str(SPEC), "--store", str(tmp_path), "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == len(chapter)


def test_results_prints_a_summary_and_reports_missing_tasks(tmp_path, capsys) -> None:
    assert main(["results", str(SPEC), "--store", str(tmp_path)]) == 1
    assert "6 of 6 tasks are not in the store yet" in capsys.readouterr().err
    spec = load_spec(SPEC)
    run_spec(spec, store=Store(tmp_path), executor="serial", progress=False)
    assert main(["results", str(SPEC), "--store", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "fully_synthetic" in printed and "se" in printed


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = """
generations = 2
seeds = [1]
metrics = ["w2_squared"]
[model]
name = "gaussian"
[data]
name = "gaussian"
d = 2
[[loops]]
loop = "fully_synthetic"
n = [20, 30]
"""


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        (GOOD.replace("generations = 2", "generations = 2\ncolour = 'red'"), "colour", "unknown key"),
        (GOOD.replace('name = "gaussian"\n[data]', 'name = "vae"\n[data]'), "model.name", "unknown model 'vae'"),
        (GOOD.replace('name = "gaussian"\n[data]', 'name = "gaussian"\nwidth = 3\n[data]'), "model.width", "not a parameter"),
        (GOOD.replace('loop = "fully_synthetic"', 'loop = "partly_synthetic"'), "loops[0].loop", "unknown loop 'partly_synthetic'"),
        (GOOD.replace("n = [20, 30]", "n = 20\nsize = 3"), "loops[0].size", "not a parameter of loop"),
        (GOOD.replace("n = [20, 30]", "n = 1"), "loops[0]", "n_init"),
        (GOOD.replace('metrics = ["w2_squared"]', 'metrics = ["fid"]'), "metrics.fid.kind", "unknown metric 'fid'"),
        (GOOD.replace("seeds = [1]", "seeds = -2"), "seeds", "integer >= 1"),
        (GOOD.replace("generations = 2\n", ""), "generations", "is required"),
        (GOOD.replace('name = "gaussian"\nd = 2', 'name = "npz"\npath = "missing.npz"'), "data.path", "no such file"),
        (GOOD.replace('name = "gaussian"\nd = 2', 'name = "fashion_mnist"\ndata_dir = "nowhere"'), "data.data_dir", "no such folder"),
        (GOOD.replace("generations = 2", "generations = 2\nexecutor = 'cloud'"), "executor", "unknown executor"),
        ("generations = [", "<file>", "cannot parse"),
    ],
)
def test_bad_specs_name_the_file_and_the_field_and_leave_the_store_alone(tmp_path, text, field, words) -> None:
    store = tmp_path / "store"
    good = write(tmp_path, GOOD, "good.toml")
    assert main(["sweep", str(good), "--store", str(store), "--executor", "serial", "--quiet"]) == 0
    before = {p: p.stat().st_mtime_ns for p in store.rglob("*")}
    bad = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(bad)
    assert info.value.field == field and str(bad) in str(info.value) and words in str(info.value)
    assert main(["sweep", str(bad), "--store", str(store), "--quiet"]) == 2
    assert {p: p.stat().st_mtime_ns for p in store.rglob("*")} == before


def test_yaml_specs_and_list_parameters_expand(tmp_path) -> None:
    path = write(
        tmp_path,
        "generations: 2\nseeds: [1, 2]\nmodel: {name: gaussian}\ndata: {name: gaussian, d: 2}\nmetrics: [w2_squared, trace]\n"
        "lams: [1.0, 0.5]\nloops:\n  - {loop: fresh_data, n_real: [10, 20], n_synth: 10}\n",
        "spec.yaml",
    )
    spec = load_spec(path)
    assert len(spec.tasks) == 2 * 2 * 2
    assert {(t["schedule"].n_real, t["schedule"].lam) for t in spec.tasks} == {(10, 1.0), (20, 1.0), (10, 0.5), (20, 0.5)}


def test_a_missing_spec_file_and_an_npz_source(tmp_path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_spec(tmp_path / "nope.toml")
    np.savez(tmp_path / "pool.npz", X=np.random.default_rng(0).normal(size=(50, 2)))
    spec = load_spec(
        write(tmp_path, GOOD.replace('name = "gaussian"\nd = 2', 'name = "npz"\npath = "pool.npz"').replace("w2_squared", "trace"))
    )
    assert len(spec.tasks) == 2 and len(spec.tasks[0]["source"]) == 50


def test_an_unreachable_scheduler_names_the_spec_field(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MAD_DASK_TIMEOUT", "1")
    store = tmp_path / "store"
    path = write(tmp_path, GOOD.replace("generations = 2", "generations = 2\nscheduler = 'tcp://127.0.0.1:9'"))
    with pytest.raises(SpecError, match=r"field 'scheduler'.*tcp://127.0.0.1:9.*cannot reach the Dask scheduler"):
        run_spec(load_spec(path), store=Store(store), progress=False)
    assert not store.exists()


SLOW = """
generations = 400
seeds = [1, 2, 3, 4, 5, 6]
executor = "serial"
metrics = ["w2_squared"]
[model]
name = "gaussian"
[data]
name = "gaussian"
d = 2
[[loops]]
loop = "fully_synthetic"
n = 20
"""


def test_a_killed_sweep_resumes_without_losing_or_redoing_finished_tasks(tmp_path) -> None:
    spec_path = write(tmp_path, SLOW)
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    command = [sys.executable, "-m", "mad", "sweep", str(spec_path), "--store", str(store), "--quiet"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(Store(store).keys()) < 1 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = {k: (store / "runs" / k[:2] / f"{k}.parquet").stat().st_mtime_ns for k in Store(store).keys()}
    assert 1 <= len(done) < 6, "the sweep should have been killed part way"
    assert main(["sweep", str(spec_path), "--store", str(store), "--quiet"]) == 0
    spec = load_spec(spec_path)
    table, missing = stored_results(spec, Store(store))
    assert missing == 0
    for key, mtime in done.items():  # finished tasks were kept, not recomputed
        assert (store / "runs" / key[:2] / f"{key}.parquet").stat().st_mtime_ns == mtime
    fresh = run_spec(spec, store=False, progress=False)
    pd.testing.assert_frame_equal(table, fresh, check_exact=True)
