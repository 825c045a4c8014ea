"""``mad.chapters.curation_and_verification`` at a tiny size (the grid models' fits are counts: fast)."""

import json
import re
from pathlib import Path

import pytest

from mad.chapters import curation_and_verification as chapter

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "curation_and_verification.ipynb"


def glue_names(path: Path) -> set[str]:
    """The glue names that the markdown of a notebook quotes."""
    text = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", text))


@pytest.fixture(scope="module")
def small():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MAD_STORE", "off")
        reward = chapter.run_reward(kept=350, n_init=500, rounds=3, check_t=[1, 3], tail=2, seeds=2)
        filters = chapter.run_filters(n_keep=100, generations=3, n_eval=100, seeds=2)
    return reward, filters


def test_sizes_follow_the_arguments(small):
    reward, filters = small
    assert reward.sizes["n_real"] == 150 and reward.beta == pytest.approx(0.3)  # 150 real of 150 + 350 rows
    assert reward.weights[0.0, 2024].shape == (4, 25)
    assert filters.curators == ["random selection", "keep most likely", "verifier"]
    assert sorted(filters.knobs["knob"].value_counts().items()) == [("λ", 8), ("ψ", 8)]


def test_numbers_cover_the_prose_and_claims_keep_their_parts(small):
    reward, filters = small
    numbers = chapter.numbers(reward, filters)
    assert glue_names(NOTEBOOK) <= set(numbers), glue_names(NOTEBOOK) - set(numbers)
    assert all(isinstance(v, (int, float)) for v in numbers.values())
    ledger = chapter.claims(reward, filters)
    assert ledger.chapter == "curation_and_verification" and ledger.replicates == "seeds"
    assert [v.claim for v in ledger.verdicts] == [26] * 3 + [27] * 3 + [28] * 4 + [29] * 3 + [30] * 4
    # the reward loop follows the recursion from each seed's own G_1 at every round
    theory = chapter.wide(reward, "E[r]", 0.0, "theory")
    assert (theory.diff(axis=1).iloc[:, 1:] > 0).all().all()
