"""mad.chapters.gans_and_truncation and hybrid_training: fast checks of the chapter modules on made-up
results (no GAN, DDPM or classifier is trained; the smoke run of the notebooks runs the experiments)."""

import json
import re
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from mad.chapters import gans_and_truncation as gan
from mad.chapters import hybrid_training as hybrid
from mad.models.wgan import WGANGP
from mad.spectra import power_spectrum

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def glue_names(stem: str) -> set[str]:
    """Every name the notebook's markdown quotes with {glue:text}."""
    nb = json.loads((NOTEBOOKS / f"{stem}.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return set(re.findall(r"\{glue:text\}`([A-Za-z0-9_]+)", text))


# ---- hybrid training -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hy() -> hybrid.Result:
    rng = np.random.default_rng(0)
    seeds, ks, gens = [5, 6, 7], [1, 2, 5], 3
    rows = []
    for seed in seeds:
        for arm in ["real only", *(f"G_{t}" for t in range(1, gens + 1))]:
            for k in ([] if arm == "real only" else [0]) + ks:
                rows.append({"arm": arm, "k": k, "seed": seed, "accuracy": float(rng.uniform(0.5, 0.9))})
    frame = pd.DataFrame(rows)
    sizes = dict(n=60, generations=gens, seeds=seeds, ks=ks, draws=1, pretrain_steps=10, finetune_steps=5)
    return hybrid.Result(sizes, frame.assign(draw=0), frame, n_test=100)


def test_hybrid_numbers_cover_the_prose(hy):
    values = hybrid.numbers(hy)
    assert glue_names("hybrid_training") <= set(values)
    gain = hy.accuracy("G_1", 1) - hy.accuracy("real only", 1)
    assert values["hy_gain_g1_k1"] == pytest.approx(gain.mean())
    assert values["hy_k_max"] == 5 and values["hy_gens"] == 3 and values["hy_n_seeds"] == 3
    assert values["hy_gain_last_kmax_lo"] < values["hy_gain_last_kmax"] < values["hy_gain_last_kmax_hi"]


def test_hybrid_accuracy_is_per_seed_and_the_table_keeps_the_run_order(hy):
    assert list(hy.accuracy("G_3", 0).index) == [5, 6, 7] and hy.last == "G_3"
    table = hybrid.table_accuracy(hy)
    assert list(table.index) == ["real only", "G_1", "G_2", "G_3"] and list(table.columns) == [0, 1, 2, 5]
    assert np.isnan(table.loc["real only", 0])


def test_hybrid_claims_and_figures(hy):
    assert [v.claim for v in hybrid.claims(hy).verdicts] == [58, 58, 59, 59, 59, 60]
    for figure in (hybrid.figure_k, hybrid.figure_generations):
        fig = figure(hy)
        assert len(fig.axes) == 1 and fig.axes[0].get_legend() is not None
        plt.close(fig)


# ---- GANs and truncation ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gr() -> gan.Result:
    rng = np.random.default_rng(1)
    seeds, long, short, keep, psi = [3, 4], 4, 3, 5, 0.7
    runs = [("fully_synthetic", 1.0, long), ("fully_synthetic", psi, short), ("synthetic_augmentation", 1.0, short)]
    rows, archive = [], {}
    for loop, lam, gens in runs:
        for seed in seeds:
            for t in range(1, gens + 1):
                for metric in ("fid", "precision", "recall", "classes", "hf_excess", "fit_s"):
                    rows.append(dict(seed=seed, generation=t, metric=metric, value=float(rng.uniform()), loop=loop, lam=lam))
                X = rng.uniform(size=(keep, 64))
                archive[loop, lam, seed, t] = {"X": X, "P": power_spectrum(X)}
    results = pd.DataFrame(rows)
    results["run"] = results.loop.map(gan.LOOP_NAMES) + ", ψ = " + results.lam.map("{:g}".format)
    real = rng.uniform(size=(20, 64))
    sizes = dict(n=50, long=long, short=short, seeds=seeds, n_samples=50, n_steps=5, psi=psi, keep=keep)
    return gan.Result(sizes, results, archive, WGANGP(n_steps=5), real, power_spectrum(real), 100, 0.9, 1.5)


def test_gan_numbers_cover_the_prose(gr):
    values = gan.numbers(gr)
    assert glue_names("gans_and_truncation") <= set(values)
    assert values["gan_fits"] == 2 * (4 + 3 + 3) and values["gan_steps_total"] == 3 and values["gan_steps"] == 5
    fid = gr.results[(gr.results.metric == "fid") & (gr.results.loop == "fully_synthetic") & (gr.results.lam == 1.0)]
    assert values["gan_fid1_long"] == pytest.approx(fid[fid.generation == 4].value.mean())
    assert values["gan_hf_word"] in {"below", "above", "not distinguishable from"}


def test_gan_spectrum_ratios_leave_out_the_dc_bin(gr):
    ratios = gan.spectrum_ratios(gr)
    assert list(ratios) == ["ψ = 1, t = 1", "ψ = 1, t = 3", "ψ = 0.7, t = 3"]
    for ratio in ratios.values():
        assert ratio.shape == (8, 8) and np.isnan(ratio[4, 4]) and np.isfinite(np.delete(ratio.ravel(), 36)).all()


def test_gan_table_claims_and_figures(gr):
    table = gan.table_metrics(gr)
    assert "fit_s" not in table.columns and len(table) == 4 + 3 + 3
    ledger = gan.claims(gr)
    assert [v.claim for v in ledger.verdicts] == [3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6] + [9] * 6
    for figure in (gan.figure_fs_metrics, gan.figure_grids, gan.figure_long, gan.figure_artifacts, gan.figure_aug):
        plt.close(figure(gr))
