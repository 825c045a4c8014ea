"""mad.chapters.gaussian_augmentation and who_disappears_first: fast checks of the chapter modules."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mad.chapters import gaussian_augmentation as aug
from mad.chapters import who_disappears_first as wd

ROOT = Path(__file__).resolve().parents[1]


def glue_names(stem: str) -> set[str]:
    """Every name the notebook's markdown quotes with {glue:text}."""
    nb = json.loads((ROOT / "notebooks" / f"{stem}.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", text))


@pytest.fixture(scope="module")
def tiny_aug():
    return aug.run(d=10, generations=6, chains=3, seed=7)


def test_augmentation_numbers_cover_the_prose(tiny_aug):
    values = aug.numbers(tiny_aug)
    assert glue_names("gaussian_augmentation") <= set(values)
    assert values["aug_chains"] == 3 and values["aug_gens"] == 6 and values["aug_w"] == 2 and values["aug_half"] == 3


def test_augmentation_runs_all_loops_from_the_same_first_model(tiny_aug):
    assert "generations=6" in repr(tiny_aug) and len(tiny_aug.runs) == 8
    first = [tiny_aug.runs[name, 1.0].w2_squared[0] for name in aug.loops(100, 900)]
    assert all(np.array_equal(first[0], f) for f in first[1:])  # the same G_1, chain by chain
    table = aug.table_levels(tiny_aug)
    assert table.shape == (8, 5) and list(table.index.names) == ["loop", "λ"]


def test_augmentation_claim_ids(tiny_aug):
    assert [v.claim for v in aug.claims(tiny_aug).verdicts] == [9] * 5


def test_who_disappears_first_module_names_every_glued_number():
    """The DDPM and EM parts are too slow for a unit test: check that the module writes each prose name."""
    source = (ROOT / "mad" / "chapters" / "who_disappears_first.py").read_text(encoding="utf-8")
    missing = {name for name in glue_names("who_disappears_first") if f'"{name}"' not in source} - {"wd_runtime"}
    assert not missing, missing


def test_who_disappears_first_loss_times_and_feedback():
    loss = wd.run_loss_times(chains=40, horizon=400, batches=4, seed=3)
    assert loss.loss_mean.shape == (4, 4) and list(loss.loss_mean.columns) == list(wd.TIERS)
    values = wd.numbers(loss)
    assert values["wd_horizon"] == 400 and values["wd_batches"] == 4
    assert values["wd_t0_diff_minor"] == pytest.approx(-2 * 200 * 0.01 * np.log(0.01) / 0.99)
    feedback = wd.run_feedback(chains=2, rounds=2, seed=3)
    assert feedback.data_share("argmax").shape == (2, 3) and len(feedback.bound) == 2
    assert wd.numbers(feedback)["wd_fb_rounds"] == 2
    with pytest.raises(TypeError, match="run functions"):
        wd.numbers(object())
