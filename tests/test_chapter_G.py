"""mad.chapters.gaussian_fully_synthetic and admissible_synthetic_data: fast checks of the chapter modules."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mad.chapters import admissible_synthetic_data as admissible
from mad.chapters import gaussian_fully_synthetic as fully

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def glue_names(stem: str) -> set[str]:
    """Every name the notebook's markdown quotes with {glue:text}."""
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", text))


@pytest.fixture(scope="module")
def tiny():
    return fully.run(n_ss=(30, 100), generations=12, chains=3, chains_d1=3, generations_high=2, chains_high=2, show=[1, 2], seeds=[7, 8])


def test_fully_synthetic_numbers_cover_the_prose(tiny):
    values = fully.numbers(tiny)
    assert glue_names("gaussian_fully_synthetic") <= set(values)
    assert values["gauss_total_chains"] == 6 and values["gauss_gens"] == 12 and values["gauss_claim_t"] == 12


def test_fully_synthetic_run_keeps_its_sizes(tiny):
    assert tiny.sizes["seeds"] == [7, 8] and "generations=12" in repr(tiny)
    assert tiny.d1[7].trace.shape == (12, 3) and tiny.high[0.9][8].trace.shape == (2, 2)
    assert set(tiny.snapshots) == {(1.0, 1), (1.0, 2), (0.9, 1), (0.9, 2)}
    assert tiny.snapshots[1.0, 2].samples.shape == (500, 2)


def test_fully_synthetic_claim_ids(tiny):
    ledger = fully.claims(tiny)
    assert [v.claim for v in ledger.verdicts] == [1] * 5 + [2] * 4


def test_pool_floor_is_the_fixed_point_of_the_pool():
    d, p, lam = 100, 0.1, 0.9
    s = 1.0
    for _ in range(2000):  # Σ = sI iterates s <- p + (1 - p) λ s
        s = p + (1 - p) * lam * s
    assert admissible.pool_floor(d, p, lam) == pytest.approx(d * (np.sqrt(s) - 1) ** 2)


def test_pool_cell_splits_the_pool():
    n_r, n_s, lam, k = admissible._pool_cell(10000, 0.1, 0.9)
    assert (n_r, n_s, lam, k) == (1000, 9000, 0.9, 1)
