"""Shared pieces of the diffusion and low-dimensional chapters (mad.models.ddpm.digits_ddpm,
mad.plotting.IMAGE_LABELS) and the prose numbers of mad.chapters.diffusion_fresh_data on a made-up table."""

import numpy as np
import pandas as pd
import pytest

from mad.chapters import diffusion_fresh_data
from mad.models.ddpm import ConditionalDDPM, digits_ddpm
from mad.plotting import IMAGE_LABELS


@pytest.mark.parametrize(("scale", "T", "n_steps"), [("smoke", 10, 20), ("book", 100, 400)])
def test_digits_ddpm_follows_the_scale_when_called(monkeypatch, scale, T, n_steps):
    monkeypatch.setenv("MAD_SCALE", scale)
    model = digits_ddpm()
    assert isinstance(model, ConditionalDDPM)
    assert (model.T, model.n_steps, model.snr_gamma) == (T, n_steps, 20.0)


def test_digits_ddpm_overrides_and_defaults(monkeypatch):
    monkeypatch.setenv("MAD_SCALE", "book")
    model = digits_ddpm(n_steps=7, width=32)
    assert (model.T, model.n_steps, model.width) == (100, 7, 32)
    # every other argument is the class default
    default = ConditionalDDPM()
    assert (model.depth, model.lr, model.target, model.p_uncond) == (default.depth, default.lr, default.target, default.p_uncond)


def test_image_labels_name_the_image_metrics():
    assert set(IMAGE_LABELS) == {"fid", "precision", "recall"}


def test_fresh_data_numbers_on_a_made_up_table():
    seeds, n_inits, generations = [1, 2], [10, 20], 6
    rows = [
        dict(seed=s, n_init=n, generation=t, metric=m, value=float(s + n / 10 + t + (m == "recall")))
        for s in seeds
        for n in n_inits
        for t in range(1, generations + 1)
        for m in ("fid", "recall")
    ]
    sizes = dict(lam=1.0, n_r=5, n_inits=n_inits, generations=generations, seeds=seeds)
    result = diffusion_fresh_data.Result(sizes, pd.DataFrame(rows), n_train=100, n_eval=40)
    out = diffusion_fresh_data.numbers(result)
    assert diffusion_fresh_data.window(result) == 2
    assert out["fr_gens_small"] == 18 and out["fr_gens_large"] == 16
    assert out["fr_fid_small_first"] == pytest.approx(1.5 + 1 + 1)  # mean seed 1.5, n_init/10 = 1, t = 1
    assert out["fr_rec_large_end"] == pytest.approx(1.5 + 2 + 5.5 + 1)  # generations 5 and 6
    assert out["fr_slope"] == pytest.approx(1.0)
    assert all(np.isfinite(v) for v in out.values())
