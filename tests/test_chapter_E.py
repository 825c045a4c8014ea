"""The chapter modules of "Accumulate or replace?" and "How much real data is enough?": tiny runs (< 1 s)."""

from __future__ import annotations

import numpy as np
import pytest

from mad.chapters import accumulate_or_replace, how_much_real_data


def test_sizes_follow_mad_scale_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAD_SCALE", "smoke")
    smoke = how_much_real_data.run(seed=1)
    assert (smoke.sizes["kde_generations"], smoke.sizes["chains"], smoke.sizes["seed"]) == (12, 60, 1)
    assert smoke.kde_fixed[0.5].shape == (40, 13) and smoke.corr[0.0].shape == (60, 21)
    assert "kde_chains=40" in repr(smoke)


def test_how_much_real_data_numbers_are_finite() -> None:
    result = how_much_real_data.run(kde_chains=3, fs_chains=3, kde_generations=4, kde_tail=2, chains=3, generations=4, tail=2, seed=1)
    values = how_much_real_data.numbers(result)
    assert {"hm_kde_ex_5", "hm_corr_dev", "hm_one_dev", "hm_runtime"} <= set(values)
    assert all(np.isfinite(v) for v in values.values())
    assert len(how_much_real_data.table_one_axis(result)) == 10


def test_accumulate_or_replace_run_and_numbers() -> None:
    result = accumulate_or_replace.run(
        generations=4, chains=3, reg_generations=3, reg_chains=3, est_generations=3, est_chains=3, seeds=2, seed=5
    )
    assert result.sizes["seeds"] == [5, 6]
    assert result.w2_chains["accumulate", 1.0].shape == (6, 4)
    assert ("accumulate", 0.5) in result.tr_chains and ("replace", 0.5) not in result.tr_chains
    values = accumulate_or_replace.numbers(result)
    assert values["acc_gens"] == 4 and values["acc_replicates"] == 6 and values["pl_checkpoints"] == "2"
    assert np.isclose(values["acc_ratio_theory"], 1 + 1 / 4 + 1 / 9 + 1 / 16)
