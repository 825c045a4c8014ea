"""``mad.chapters.appendix_metrics`` at a tiny size, and ``mad.results.glue_all`` for the tables it glues."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mad.chapters import appendix_metrics as chapter
from mad.results import glue_all

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "appendix_metrics.ipynb"


def glue_names(path: Path) -> set[str]:
    """The glue names that the markdown of a notebook quotes ({glue:text} and {glue:figure})."""
    text = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", text)) | set(re.findall(r"\{glue:figure\}\s+([A-Za-z0-9_]+)", text))


def test_glue_all_glues_tables_as_they_are(monkeypatch):
    glued = {}
    monkeypatch.setattr("myst_nb.glue", lambda name, value, display=True: glued.update({name: value}))
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    styled = frame.style.format(precision=2)
    glue_all({"frame": frame, "styled": styled, "x": np.float64(0.5), "n": np.int64(3)})
    assert glued["frame"] is frame and glued["styled"] is styled
    assert type(glued["x"]) is float and type(glued["n"]) is int


@pytest.fixture(scope="module")
def small():
    return chapter.run(n_check=200, n_big=500, n_bench=200)


def test_small_run_gives_every_glued_value_of_the_page(small):
    values = {**chapter.numbers(small), **chapter.tables(small)}
    assert glue_names(NOTEBOOK) <= set(values), glue_names(NOTEBOOK) - set(values)
    assert values["app_n_check"] == 200 and values["app_n_big"] == 500 and values["app_n_bench"] == 200
    assert values["app_max_prdc_diff"] < 1e-9 and values["app_max_sw_diff"] < 1e-9
    assert 0.8 < values["app_self_recall"] <= 1.0


def test_small_run_known_cases_and_measures(small):
    known = small.known.set_index("case")
    assert known.loc["disjoint sets (shift 100)", ["precision", "recall", "coverage"]].eq(0.0).all()
    assert known.loc["a point vs itself", ["precision", "recall", "coverage"]].eq(1.0).all()
    assert known.loc["a point vs itself", "precision (prdc)"] == 0.0
    modes = small.modes.set_index("set")
    assert modes.loc["grid, all modes", "modes covered"] == 25
    assert modes.loc["grid, 13 modes kept", "modes covered"] == 13
    assert set(small.textbook) == {"shift", "scale", "modes"}
    assert small.textbook["modes"]["x"].tolist() == [1, 3, 5, 10, 15, 20, 25]
