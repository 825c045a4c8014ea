"""Every bad input explained: one table of bad inputs across the public API and the command line.

Each row is ``(id, call, exception type, regex)``: calling ``call()`` must raise that exception
type (or a subclass) with a message matching ``regex``, which names the parameter (and, where the
range is the point, the allowed range). No row may give an obscure error from deep inside NumPy or
torch, or a silently wrong, NaN or infinite result. The command-line rows run
:func:`mad.__main__.main` and assert the exit code and the message on stderr.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

import mad
from mad import verdicts as V
from mad.claims import BuildUnreadable, ClaimsLedger, collect
from mad.curation import DetectorFilter, KeepLikely, RewardCurator, StratifiedResampler, make_curator
from mad.data import FinitePool, GaussianSource, GridMixture, Resampled, Rosenbrock, load_digits_pool, load_fashion_mnist
from mad.detection import exact_steady_state_variance, minimal_tpr, real_fraction, steady_state_variance
from mad.effective_size import (
    asymptotic_real_w2_squared,
    cell_schedule,
    critical_n_s,
    default_burn_in,
    effective_size_grid,
    marchenko_pastur_w2_squared,
    relaxation_time,
)
from mad.features import DigitsFeatureSpace, archive_key, within_class_variance
from mad.gaussian_chains import draw_stats, factor, simulate_chains, stationary_w2_squared
from mad.loops import Schedule, fresh_data, fresh_data_pool, fully_synthetic, iterate_loop, run_loop, run_sweep, synthetic_augmentation
from mad.metrics import (
    RosenbrockScores,
    average_modal_variance,
    covariance_trace,
    density_coverage,
    fit_gaussian,
    frechet_distance,
    gaussian_w2,
    gaussian_w2_squared,
    high_quality_fraction,
    knn_radii,
    mean_drift,
    modes_covered,
    prdc,
    precision_recall,
    rosenbrock_tail_mass,
    sliced_wasserstein,
    snapshots,
    total_variance,
)
from mad.metrics.wasserstein import wasserstein_1d_pp
from mad.models import GaussianModel, make_model
from mad.models.ddpm import ConditionalDDPM, cosine_alpha_bar, guidance_from_lam, lam_from_guidance
from mad.models.flow import RealNVPFlow
from mad.models.gmm import GaussianMixtureModel
from mad.models.wgan import WGANGP
from mad.regression import accumulated_trace, mle_theory, single_fit_error
from mad.regression import simulate as regression_simulate
from mad.regression import theory as regression_theory
from mad.reward import GridSupport, Verifier, curation_step, expected_reward, kl_divergence, real_share_after_curation, reward_recursion
from mad.spectra import high_frequency_share, power_spectrum, radial_frequency, spectrum_log_ratio
from mad.stability import corrected_real_fraction, is_stable, kde_expected_variance, kde_loop, kde_stationary_variance, steady_state_ratio
from mad.theory import expected_mean_drift_squared, expected_trace, log_det_drift, log_variance_drift, typical_generalised_variance
from mad.validation import (
    check_array,
    check_choice,
    check_covariance,
    check_int,
    check_labels,
    check_lam,
    check_name,
    check_number,
    check_pixels,
)

# ------------------------------------------------------------------------------------------ inputs

X2 = np.random.default_rng(0).normal(size=(40, 2))
IMG = np.random.default_rng(1).uniform(size=(20, 64))
Y10 = np.arange(20) % 10
GRID = GridMixture()
SCHED = fully_synthetic(10)
NEG_DEF = [[1.0, 0.0], [0.0, -4.0]]
ASYM = [[1.0, 0.5], [0.0, 1.0]]


@functools.cache
def fitted_gaussian() -> GaussianModel:
    return GaussianModel().fit(X2)


@functools.cache
def fitted_ddpm() -> ConditionalDDPM:
    return ConditionalDDPM(T=4, width=8, depth=1, n_steps=2, batch_size=8, random_state=0).fit(IMG, Y10)


@functools.cache
def fitted_flow() -> RealNVPFlow:
    return RealNVPFlow(n_layers=2, hidden=4, epochs=1, random_state=0).fit(X2)


@functools.cache
def _scratch():
    """One temporary folder for the whole module, removed when the interpreter exits."""
    import tempfile

    return tempfile.TemporaryDirectory(prefix="mad-bad-inputs-")


def fashion_folder(n_images: int = 5, n_labels: int = 3, label: int = 0) -> str:
    """A temporary folder with a train split of ``n_images`` images and ``n_labels`` labels."""
    from mad.idx import write_idx

    folder = Path(_scratch().name) / f"fm-{n_images}-{n_labels}-{label}"
    folder.mkdir(exist_ok=True)
    write_idx(folder / "train-images-idx3-ubyte", np.zeros((n_images, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte", np.full(n_labels, label, dtype=np.uint8))
    return str(folder)


def curves_frame() -> pd.DataFrame:
    return pd.DataFrame(np.arange(12.0).reshape(3, 4) + np.random.default_rng(2).normal(size=(3, 4)), index=[1, 2, 3], columns=[1, 2, 3, 4])


def results_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"loop": "x", "lam": 1.0, "seed": [0, 0, 1, 1], "generation": [1, 2, 1, 2], "metric": "w2", "value": [1.0, 2.0, 1.5, 2.5]}
    )


def run(schedule=SCHED, model=None, source=None, generations=2, metrics=None, **kw):
    return run_loop(
        schedule,
        GaussianModel() if model is None else model,
        GaussianSource(d=2) if source is None else source,
        generations,
        {"n": lambda g: 1.0} if metrics is None else metrics,
        **kw,
    )


def evidence() -> V.Evidence:
    return V.greater(pd.Series([1.0, 2.0, 3.0]), 0.0)


def ledger_with_part() -> ClaimsLedger:
    ledger = ClaimsLedger("chapter")
    ledger.check(1, evidence(), part="x")
    return ledger


# --------------------------------------------------------------------------------------- the table

CASES: list[tuple[str, object, type[BaseException], str]] = [
    # ---- mad.validation: the helpers themselves
    ("check_number str", lambda: check_number("x", "3"), TypeError, r"x must be a number; got '3'"),
    ("check_number bool", lambda: check_number("x", True, 0, 1), TypeError, r"x must be a number in \[0, 1\]; got True"),
    ("check_number None", lambda: check_number("x", None), TypeError, r"x must be a number"),
    ("check_number nan", lambda: check_number("x", float("nan"), 0, 1), ValueError, r"x must be in \[0, 1\]; got nan"),
    ("check_number inf one-sided", lambda: check_number("x", float("inf"), 0), ValueError, r"x must be >= 0 and finite; got inf"),
    ("check_number open high", lambda: check_number("x", 1.0, 0, 1, high_open=True), ValueError, r"x must be in \[0, 1\); got 1.0"),
    (
        "check_number positive",
        lambda: check_number("x", 0, 0, low_open=True),
        ValueError,
        r"x must be a positive number \(finite, > 0\); got 0",
    ),
    ("check_number not integer", lambda: check_number("x", 2.5, integer=True), TypeError, r"x must be an integer; got 2.5"),
    ("check_int below", lambda: check_int("n", -1), ValueError, r"n must be >= 0; got -1"),
    ("check_int range", lambda: check_int("n", 10, 0, 5), ValueError, r"n must be >= 0 and <= 5; got 10"),
    ("check_lam zero", lambda: check_lam(0.0), ValueError, r"lam \(sampling bias λ\) must be in \(0, 1\]; got 0.0"),
    ("check_array ragged", lambda: check_array("X", [[1, 2], [3]]), TypeError, r"X must be a numeric array"),
    ("check_array ndim", lambda: check_array("X", np.zeros((2, 2, 2)), ndim=2), ValueError, r"X must be 2-D; got 3 dimensions"),
    ("check_array nan", lambda: check_array("X", [np.nan], ndim=1), ValueError, r"X contains NaN or infinite values"),
    ("check_array shape", lambda: check_array("X", np.zeros((2, 3)), shape=(None, 2)), ValueError, r"X must have shape \(any, 2\)"),
    ("check_covariance asymmetric", lambda: check_covariance("S", ASYM), ValueError, r"S must be symmetric"),
    ("check_covariance negative", lambda: check_covariance("S", NEG_DEF), ValueError, r"S must be positive semi-definite.*-4"),
    ("check_covariance not square", lambda: check_covariance("S", np.zeros((2, 3))), ValueError, r"S must be a square"),
    ("check_labels float", lambda: check_labels("y", [0.7, 1.0]), ValueError, r"y must hold integer class labels; got 0.7"),
    ("check_labels huge", lambda: check_labels("y", [0, 10**9]), ValueError, r"y must hold labels in 0\.\.9999"),
    (
        "check_labels n_classes",
        lambda: check_labels("y", [0, 3], n_classes=3),
        ValueError,
        r"y must hold labels in 0\.\.2 \(the 3 classes\)",
    ),
    ("check_labels negative", lambda: check_labels("y", [-1, 0]), ValueError, r"y must hold labels in 0\.\."),
    (
        "check_labels rows",
        lambda: check_labels("y", [0, 1], n_rows=3),
        ValueError,
        r"y must hold one non-negative integer label per row: 3 rows but 2",
    ),
    ("check_labels 2-D", lambda: check_labels("y", np.zeros((2, 2), dtype=int)), ValueError, r"y must be 1-D"),
    ("check_labels strings", lambda: check_labels("y", ["a", "b"]), TypeError, r"y must be an array of integer class labels"),
    ("check_pixels 0..255", lambda: check_pixels("X", [[0.0, 255.0]]), ValueError, r"X must hold pixel values in \[0, 1\].*255"),
    ("check_name traversal", lambda: check_name("label", "../evil"), ValueError, r"label must be a safe file name"),
    ("check_name slash", lambda: check_name("label", "a/b"), ValueError, r"label must be a safe file name"),
    ("check_name not str", lambda: check_name("label", 3), TypeError, r"label must be a string"),
    ("check_choice", lambda: check_choice("loop", "x", ("a", "b")), ValueError, r"loop must be one of 'a', 'b'; got 'x'"),
    # ---- mad.data
    ("GaussianSource negative-definite cov", lambda: GaussianSource(d=2, cov=NEG_DEF), ValueError, r"cov must be positive semi-definite"),
    ("GaussianSource asymmetric cov", lambda: GaussianSource(d=2, cov=ASYM), ValueError, r"cov must be symmetric"),
    ("GaussianSource cov shape", lambda: GaussianSource(d=2, cov=np.eye(3)), ValueError, r"cov must have shape"),
    ("GaussianSource cov nan", lambda: GaussianSource(d=2, cov=[[1.0, 0.0], [0.0, np.nan]]), ValueError, r"cov contains NaN"),
    ("GaussianSource mean nan", lambda: GaussianSource(d=2, mean=[0.0, np.nan]), ValueError, r"mean contains NaN"),
    ("GaussianSource mean shape", lambda: GaussianSource(d=2, mean=[0.0, 0.0, 0.0]), ValueError, r"mean must have shape \(2\)"),
    ("GaussianSource d=0", lambda: GaussianSource(d=0), ValueError, r"d must be >= 1"),
    ("GaussianSource d=1.5", lambda: GaussianSource(d=1.5), TypeError, r"d must be an integer"),
    ("GaussianSource.sample n<0", lambda: GaussianSource().sample(-1), ValueError, r"n must be >= 0"),
    ("GaussianSource.sample n str", lambda: GaussianSource().sample("ten"), TypeError, r"n must be an integer"),
    ("GridMixture side=0", lambda: GridMixture(side=0), ValueError, r"side must be >= 1"),
    ("GridMixture std=0", lambda: GridMixture(std=0.0), ValueError, r"std must be a positive number \(finite, > 0\)"),
    ("GridMixture std nan", lambda: GridMixture(std=float("nan")), ValueError, r"std must be a positive number \(finite, > 0\)"),
    (
        "GridMixture spacing inf",
        lambda: GridMixture(spacing=float("inf")),
        ValueError,
        r"spacing must be a positive number \(finite, > 0\)",
    ),
    ("Rosenbrock.log_density 1-D", lambda: Rosenbrock.log_density(np.zeros(3)), ValueError, r"X must be 2-D"),
    ("Rosenbrock.log_density 3 features", lambda: Rosenbrock.log_density(np.zeros((3, 3))), ValueError, r"X must have 2 features"),
    ("FinitePool 1-D", lambda: FinitePool(np.zeros(5)), ValueError, r"X must be 2-D"),
    ("FinitePool nan", lambda: FinitePool(np.full((5, 2), np.nan)), ValueError, r"X contains NaN"),
    (
        "FinitePool labels length",
        lambda: FinitePool(np.zeros((5, 2)), y=[0, 1]),
        ValueError,
        r"y must hold one non-negative integer label per row",
    ),
    ("FinitePool negative label", lambda: FinitePool(np.zeros((3, 2)), y=[0, 1, -1]), ValueError, r"y must hold labels in 0\.\."),
    ("FinitePool float label", lambda: FinitePool(np.zeros((3, 2)), y=[0, 1, 0.5]), ValueError, r"y must hold integer class labels"),
    ("FinitePool stream take n<0", lambda: FinitePool(np.zeros((5, 2))).stream(0).take(-1), ValueError, r"n must be >= 0"),
    ("Resampled too many", lambda: Resampled(FinitePool(np.zeros((5, 2)))).sample(6), ValueError, r"n must be >= 0 and <= 5"),
    ("load_digits_pool scale_to inf", lambda: load_digits_pool(scale_to=(0.0, np.inf)), ValueError, r"scale_to"),
    ("load_digits_pool scale_to order", lambda: load_digits_pool(scale_to=(1.0, 0.0)), ValueError, r"scale_to"),
    ("load_fashion_mnist split", lambda: load_fashion_mnist(split="dev"), ValueError, r"split must be 'train' or 'test'"),
    (
        "load_fashion_mnist 5 images 3 labels",
        lambda: load_fashion_mnist(data_dir=fashion_folder()),
        ValueError,
        r"holds 5 images but .* 3 labels",
    ),
    ("load_fashion_mnist label 12", lambda: load_fashion_mnist(data_dir=fashion_folder(3, 3, 12)), ValueError, r"labels must be 0\.\.9"),
    (
        "load_fashion_mnist missing",
        lambda: load_fashion_mnist(data_dir="/nonexistent/fm"),
        FileNotFoundError,
        r"data_dir='/nonexistent/fm'",
    ),
    # ---- mad.models: the registry, GaussianModel, GaussianMixtureModel
    ("make_model unknown", lambda: make_model("vae"), ValueError, r"unknown model 'vae'"),
    ("GaussianModel.fit 1-D", lambda: GaussianModel().fit(np.zeros(5)), ValueError, r"X must be 2-D"),
    ("GaussianModel.fit nan", lambda: GaussianModel().fit([[0.0], [np.nan]]), ValueError, r"X contains NaN"),
    ("GaussianModel.fit one row", lambda: GaussianModel().fit(np.zeros((1, 2))), ValueError, r"X needs at least 2 samples"),
    ("GaussianModel.fit strings", lambda: GaussianModel().fit("data"), TypeError, r"X must be a numeric array"),
    ("GaussianModel.sample unfitted", lambda: GaussianModel().sample(5), NotFittedError, r"GaussianModel is not fitted"),
    ("GaussianModel.sample n=0", lambda: fitted_gaussian().sample(0), ValueError, r"n must be >= 1"),
    (
        "GaussianModel.sample lam=0",
        lambda: fitted_gaussian().sample(5, lam=0.0),
        ValueError,
        r"lam \(sampling bias λ\) must be in \(0, 1\]",
    ),
    ("GaussianModel.sample lam nan", lambda: fitted_gaussian().sample(5, lam=float("nan")), ValueError, r"lam \(sampling bias λ\)"),
    ("GaussianModel.sample lam str", lambda: fitted_gaussian().sample(5, lam="1"), TypeError, r"lam \(sampling bias λ\) must be a number"),
    ("GaussianModel.score_samples columns", lambda: fitted_gaussian().score_samples(np.zeros((2, 3))), ValueError, r"X must have 2"),
    ("GMM n_components=0", lambda: GaussianMixtureModel(n_components=0).fit(X2), ValueError, r"n_components must be >= 1"),
    ("GMM covariance_type", lambda: GaussianMixtureModel(covariance_type="weird").fit(X2), ValueError, r"covariance_type must be"),
    ("GMM tol<0", lambda: GaussianMixtureModel(tol=-1.0).fit(X2), ValueError, r"tol must be"),
    ("GMM reg_covar nan", lambda: GaussianMixtureModel(reg_covar=float("nan")).fit(X2), ValueError, r"reg_covar must be"),
    ("GMM too few rows", lambda: GaussianMixtureModel(n_components=3).fit(np.zeros((2, 2))), ValueError, r"X needs at least 3 samples"),
    ("GMM max_iter=0", lambda: GaussianMixtureModel(max_iter=0).fit(X2), ValueError, r"max_iter must be >= 1"),
    # ---- RealNVPFlow
    ("RealNVPFlow lr=inf", lambda: RealNVPFlow(lr=np.inf).fit(X2), ValueError, r"lr must be a positive number \(finite, > 0\)"),
    ("RealNVPFlow lr=0", lambda: RealNVPFlow(lr=0).fit(X2), ValueError, r"lr must be a positive number \(finite, > 0\)"),
    ("RealNVPFlow lr str", lambda: RealNVPFlow(lr="fast").fit(X2), TypeError, r"lr must be a positive number"),
    ("RealNVPFlow epochs=0", lambda: RealNVPFlow(epochs=0).fit(X2), ValueError, r"epochs must be >= 1"),
    ("RealNVPFlow weight_decay<0", lambda: RealNVPFlow(weight_decay=-1.0).fit(X2), ValueError, r"weight_decay must be >= 0"),
    ("RealNVPFlow hidden=0", lambda: RealNVPFlow(hidden=0).fit(X2), ValueError, r"hidden must be >= 1"),
    ("RealNVPFlow batch_size=0", lambda: RealNVPFlow(batch_size=0).fit(X2), ValueError, r"batch_size must be >= 1"),
    ("RealNVPFlow.log_density unfitted", lambda: RealNVPFlow().log_density(X2), NotFittedError, r"RealNVPFlow is not fitted"),
    ("RealNVPFlow.log_density features", lambda: fitted_flow().log_density(np.zeros((2, 3))), ValueError, r"X must have 2 features"),
    ("RealNVPFlow.sample lam>1", lambda: fitted_flow().sample(3, lam=1.5), ValueError, r"lam \(sampling bias λ\)"),
    # ---- WGANGP
    ("WGANGP lr=inf", lambda: WGANGP(lr=np.inf).fit(IMG), ValueError, r"lr must be a positive number \(finite, > 0\)"),
    ("WGANGP lr=0", lambda: WGANGP(lr=0.0).fit(IMG), ValueError, r"lr must be a positive number \(finite, > 0\)"),
    ("WGANGP gp_weight nan", lambda: WGANGP(gp_weight=float("nan")).fit(IMG), ValueError, r"gp_weight must be >= 0"),
    ("WGANGP betas one", lambda: WGANGP(betas=(0.5,)).fit(IMG), ValueError, r"betas must be two numbers in \[0, 1\)"),
    ("WGANGP betas str", lambda: WGANGP(betas="ab").fit(IMG), ValueError, r"betas must be two numbers"),
    ("WGANGP betas 1", lambda: WGANGP(betas=(0.5, 1.0)).fit(IMG), ValueError, r"betas"),
    ("WGANGP ema_decay=1", lambda: WGANGP(ema_decay=1.0).fit(IMG), ValueError, r"ema_decay must be in \[0, 1\)"),
    ("WGANGP not square", lambda: WGANGP().fit(np.zeros((10, 10))), ValueError, r"X must hold square images"),
    ("WGANGP pixels 0..255", lambda: WGANGP().fit(IMG * 255), ValueError, r"X must hold pixel values in \[0, 1\]"),
    ("WGANGP latent_dim=0", lambda: WGANGP(latent_dim=0).fit(IMG), ValueError, r"latent_dim must be >= 1"),
    ("WGANGP n_critic=0", lambda: WGANGP(n_critic=0).fit(IMG), ValueError, r"n_critic must be >= 1"),
    ("WGANGP.decode unfitted", lambda: WGANGP().decode(np.zeros((2, 16))), NotFittedError, r"WGANGP is not fitted"),
    ("WGANGP.sample_latent lam", lambda: WGANGP().sample_latent(3, lam=2.0), ValueError, r"lam \(truncation ψ\)"),
    # ---- ConditionalDDPM
    ("DDPM no labels", lambda: ConditionalDDPM().fit(IMG), ValueError, r"needs the labels y"),
    ("DDPM float labels", lambda: ConditionalDDPM().fit(IMG, np.full(20, 0.7)), ValueError, r"y must hold integer class labels; got 0.7"),
    ("DDPM huge label", lambda: ConditionalDDPM().fit(IMG, np.r_[Y10[:-1], 10**9]), ValueError, r"y must hold labels in 0\.\.9999"),
    ("DDPM negative label", lambda: ConditionalDDPM().fit(IMG, np.r_[Y10[:-1], -1]), ValueError, r"y must hold labels in 0\.\."),
    ("DDPM label count", lambda: ConditionalDDPM().fit(IMG, Y10[:5]), ValueError, r"y must hold one non-negative integer label per row"),
    ("DDPM pixels 0..255", lambda: ConditionalDDPM().fit(IMG * 255, Y10), ValueError, r"X must hold pixel values in \[0, 1\]"),
    ("DDPM lr=inf", lambda: ConditionalDDPM(lr=np.inf).fit(IMG, Y10), ValueError, r"lr must be a positive number \(finite, > 0\)"),
    ("DDPM T=1", lambda: ConditionalDDPM(T=1).fit(IMG, Y10), ValueError, r"T must be >= 2"),
    ("DDPM p_uncond=1", lambda: ConditionalDDPM(p_uncond=1.0).fit(IMG, Y10), ValueError, r"p_uncond.* must be in \[0, 1\)"),
    ("DDPM p_uncond str", lambda: ConditionalDDPM(p_uncond="x").fit(IMG, Y10), TypeError, r"p_uncond"),
    ("DDPM target", lambda: ConditionalDDPM(target="v").fit(IMG, Y10), ValueError, r"target must be one of 'x0', 'eps'; got 'v'"),
    ("DDPM warmup=1", lambda: ConditionalDDPM(warmup=1.0).fit(IMG, Y10), ValueError, r"warmup.* must be in \[0, 1\)"),
    (
        "DDPM snr_gamma=0",
        lambda: ConditionalDDPM(snr_gamma=0.0).fit(IMG, Y10),
        ValueError,
        r"snr_gamma \(or None\) must be a positive number",
    ),
    ("DDPM batch_size=0", lambda: ConditionalDDPM(batch_size=0).fit(IMG, Y10), ValueError, r"batch_size must be >= 1"),
    ("DDPM n_steps=0", lambda: ConditionalDDPM(n_steps=0).fit(IMG, Y10), ValueError, r"n_steps must be >= 1"),
    ("DDPM.generate unfitted", lambda: ConditionalDDPM().generate([0], 0.0, 0), NotFittedError, r"ConditionalDDPM is not fitted"),
    ("DDPM.generate unknown class", lambda: fitted_ddpm().generate([0, 99], 0.0, 0), ValueError, r"labels must hold labels in 0\.\.9"),
    ("DDPM.generate float label", lambda: fitted_ddpm().generate([0.5], 0.0, 0), ValueError, r"labels must hold integer class labels"),
    ("DDPM.generate w<0", lambda: fitted_ddpm().generate([0], -1.0, 0), ValueError, r"w .*must be >= 0"),
    ("DDPM.generate seed str", lambda: fitted_ddpm().generate([0], 0.0, "s"), TypeError, r"seed must be an integer"),
    ("DDPM.sample lam=0", lambda: fitted_ddpm().sample(3, lam=0.0), ValueError, r"lam \(sampling bias λ\)"),
    ("guidance_from_lam", lambda: guidance_from_lam(2.0), ValueError, r"lam \(sampling bias λ\)"),
    ("lam_from_guidance <0", lambda: lam_from_guidance(-1.0), ValueError, r"w must be >= 0"),
    ("lam_from_guidance str", lambda: lam_from_guidance("a"), TypeError, r"w must be a number"),
    ("cosine_alpha_bar T=0", lambda: cosine_alpha_bar(0), ValueError, r"T must be >= 1"),
    ("cosine_alpha_bar s<0", lambda: cosine_alpha_bar(10, s=-1.0), ValueError, r"s \(offset\) must be a positive number"),
    # ---- mad.loops
    ("Schedule loop", lambda: Schedule("nope", 10), ValueError, r"loop must be one of"),
    ("Schedule n_init", lambda: Schedule("fully_synthetic", n_init=1, n_synth=5), ValueError, r"n_init must be >= 2"),
    ("Schedule real", lambda: Schedule("fully_synthetic", n_init=10, real="weird", n_synth=5), ValueError, r"real must be one of"),
    ("Schedule lam", lambda: Schedule("fully_synthetic", n_init=10, n_synth=5, lam=1.5), ValueError, r"lam \(sampling bias λ\)"),
    ("Schedule label traversal", lambda: Schedule("fully_synthetic", n_init=10, n_synth=5, label="../../evil"), ValueError, r"label"),
    ("Schedule label type", lambda: Schedule("fully_synthetic", n_init=10, n_synth=5, label=3), TypeError, r"label must be a string"),
    ("Schedule.n_train t=0", lambda: SCHED.n_train(0), ValueError, r"t must be >= 1"),
    ("fully_synthetic n=1", lambda: fully_synthetic(1), ValueError, r"n_init must be >= 2"),
    ("fully_synthetic lam", lambda: fully_synthetic(10, lam=0.0), ValueError, r"lam \(sampling bias λ\)"),
    ("synthetic_augmentation n_real", lambda: synthetic_augmentation(1, 5), ValueError, r"n_real \(n_r\) must be >= 2"),
    ("synthetic_augmentation n_synth", lambda: synthetic_augmentation(10, -1), ValueError, r"n_synth \(n_s\) must be >= 0"),
    ("fresh_data k=0", lambda: fresh_data(10, 5, k=0), ValueError, r"k \(K, models remembered\) must be >= 1"),
    ("fresh_data n_real<0", lambda: fresh_data(-1, 5), ValueError, r"n_real \(n_r\) must be >= 0"),
    ("fresh_data_pool p=0", lambda: fresh_data_pool(10, 0.0), ValueError, r"p \(real fraction\) must be in \(0, 1\]"),
    ("fresh_data_pool p>1", lambda: fresh_data_pool(10, 1.5), ValueError, r"p \(real fraction\) must be in \(0, 1\]"),
    ("fresh_data_pool n=1", lambda: fresh_data_pool(1, 0.5), ValueError, r"n must be >= 2"),
    (
        "run_loop schedule dict",
        lambda: run(schedule={"loop": "fully_synthetic", "n_init": 10}),
        TypeError,
        r"schedule must be a mad.loops.Schedule",
    ),
    ("run_loop model str", lambda: run(model="gaussian"), TypeError, r"model must be a mad GenerativeModel"),
    ("run_loop source str", lambda: run(source="gaussian"), TypeError, r"source must be"),
    ("run_loop generations=0", lambda: run(generations=0), ValueError, r"generations must be >= 1"),
    ("run_loop seed<0", lambda: run(seed=-1), ValueError, r"seed must be >= 0"),
    ("run_loop no metrics", lambda: run(metrics={}), ValueError, r"metrics must name at least one metric"),
    ("run_loop metrics list", lambda: run(metrics=["w2"]), TypeError, r"metrics must be a dict"),
    ("run_loop metric not callable", lambda: run(metrics={"w2": 3}), TypeError, r"metric 'w2' must be callable"),
    ("run_loop metric returns str", lambda: run(metrics={"bad": lambda g: "high"}), TypeError, r"metric 'bad'.*'high'"),
    ("run_loop metric returns None", lambda: run(metrics={"bad": lambda g: None}), TypeError, r"metric 'bad'"),
    ("run_loop curator", lambda: run(curator="keep"), TypeError, r"curator must be a mad.curation.Curator"),
    (
        "run_loop conditional unlabelled",
        lambda: run(model=ConditionalDDPM()),
        ValueError,
        r"class-conditional but the source has no labels",
    ),
    ("iterate_loop schedule", lambda: next(iterate_loop("x", GaussianModel(), GaussianSource(), 2)), TypeError, r"schedule must be"),
    ("run_sweep empty", lambda: run_sweep([]), ValueError, r"tasks is empty"),
    ("run_sweep not dict", lambda: run_sweep([3], progress=False, store=False), TypeError, r"tasks\[0\] must be a dict"),
    # ---- mad.metrics
    (
        "gaussian_w2_squared negative-definite",
        lambda: gaussian_w2_squared([0, 0], NEG_DEF),
        ValueError,
        r"S1 must be positive semi-definite",
    ),
    ("gaussian_w2_squared asymmetric", lambda: gaussian_w2_squared([0, 0], ASYM), ValueError, r"S1 must be symmetric"),
    (
        "gaussian_w2_squared S2 negative",
        lambda: gaussian_w2_squared([0, 0], np.eye(2), [0, 0], NEG_DEF),
        ValueError,
        r"S2 must be positive",
    ),
    (
        "gaussian_w2_squared S2 asymmetric",
        lambda: gaussian_w2_squared([0, 0], np.eye(2), [0, 0], ASYM),
        ValueError,
        r"S2 must be symmetric",
    ),
    ("gaussian_w2_squared S1 shape", lambda: gaussian_w2_squared([0, 0], np.eye(3)), ValueError, r"S1 must have shape"),
    ("gaussian_w2_squared m1 nan", lambda: gaussian_w2_squared([0, np.nan], np.eye(2)), ValueError, r"m1 contains NaN"),
    ("gaussian_w2_squared S1 inf", lambda: gaussian_w2_squared([0, 0], np.diag([1, np.inf])), ValueError, r"S1 contains NaN"),
    ("gaussian_w2_squared m2 shape", lambda: gaussian_w2_squared([0, 0], np.eye(2), [0, 0, 0]), ValueError, r"m2 must have"),
    ("gaussian_w2 negative", lambda: gaussian_w2([0.0], [[-1.0]]), ValueError, r"S1 must be positive semi-definite"),
    ("frechet_distance features", lambda: frechet_distance(np.zeros((5, 2)), np.zeros((5, 3))), ValueError, r"Y must have 2 features"),
    ("frechet_distance inf", lambda: frechet_distance(X2, np.full((5, 2), np.inf)), ValueError, r"Y contains NaN"),
    ("fit_gaussian one row", lambda: fit_gaussian(np.zeros((1, 2))), ValueError, r"X needs at least 2 samples"),
    ("mean_drift nan", lambda: mean_drift([0.0, np.nan]), ValueError, r"mean contains NaN"),
    ("mean_drift reference shape", lambda: mean_drift([0.0, 0.0], [0.0, 0.0, 0.0]), ValueError, r"reference must have"),
    ("covariance_trace not square", lambda: covariance_trace(np.zeros((2, 3))), ValueError, r"cov must be a square"),
    ("covariance_trace str", lambda: covariance_trace("a"), TypeError, r"cov must be a numeric array"),
    ("knn_radii too few rows", lambda: knn_radii(np.zeros((3, 2)), k=5), ValueError, r"X needs at least 6 samples"),
    ("precision_recall k=0", lambda: precision_recall(X2, X2, k=0), ValueError, r"k must be >= 1"),
    ("precision_recall features", lambda: precision_recall(X2, np.zeros((40, 3))), ValueError, r"real and fake must have the same number"),
    ("prdc nan", lambda: prdc(X2, np.full((40, 2), np.nan)), ValueError, r"fake contains NaN"),
    ("density_coverage k=2.5", lambda: density_coverage(X2, X2, k=2.5), TypeError, r"k must be an integer"),
    ("sliced_wasserstein p<1", lambda: sliced_wasserstein(X2, X2, p=0.5), ValueError, r"p must be >= 1; got 0.5"),
    ("sliced_wasserstein n_projections", lambda: sliced_wasserstein(X2, X2, n_projections=0), ValueError, r"n_projections must be >= 1"),
    ("modes_covered std<0", lambda: modes_covered(X2, GRID.modes, -1.0), ValueError, r"std must be a positive"),
    (
        "high_quality_fraction n_std=0",
        lambda: high_quality_fraction(X2, GRID.modes, 0.05, n_std=0),
        ValueError,
        r"n_std must be a positive",
    ),
    ("modes_covered min_fraction", lambda: modes_covered(X2, GRID.modes, 0.05, min_fraction=2.0), ValueError, r"min_fraction must be"),
    ("average_modal_variance modes", lambda: average_modal_variance(X2, np.zeros((3, 3))), ValueError, r"X must have 3 features"),
    ("total_variance 1-D", lambda: total_variance(np.zeros(3)), ValueError, r"X must be 2-D"),
    ("rosenbrock_tail_mass alpha", lambda: rosenbrock_tail_mass(X2, alpha=0.0), ValueError, r"alpha must be in \(0, 1\)"),
    ("rosenbrock_tail_mass features", lambda: rosenbrock_tail_mass(np.zeros((5, 3))), ValueError, r"X must have 2 features"),
    # ---- mad.theory
    ("expected_trace lam", lambda: expected_trace(1, 1.2, 1.0), ValueError, r"lam \(sampling bias λ\)"),
    ("expected_trace t=0", lambda: expected_trace(0, 0.5, 1.0), ValueError, r"t \(generation\) must be >= 1"),
    ("expected_trace t nan", lambda: expected_trace([1, np.nan], 0.5, 1.0), ValueError, r"t \(generation\) contains NaN"),
    ("expected_trace trace0<0", lambda: expected_trace(1, 0.5, -1.0), ValueError, r"trace0 must be >= 0"),
    ("log_det_drift n_s", lambda: log_det_drift(2, 2), ValueError, r"n_s must be >= 3"),
    ("log_det_drift d", lambda: log_det_drift(0, 5), ValueError, r"d must be >= 1"),
    ("log_variance_drift lam", lambda: log_variance_drift(5, lam=0.0), ValueError, r"lam \(sampling bias λ\)"),
    ("typical_generalised_variance t", lambda: typical_generalised_variance(0, 2, 10, 10), ValueError, r"t \(generation\) must be >= 1"),
    ("expected_mean_drift_squared n_init", lambda: expected_mean_drift_squared(2, 1.0, 0, 10), ValueError, r"n_init must be >= 1"),
    ("expected_mean_drift_squared n_s", lambda: expected_mean_drift_squared(2, 1.0, 10, 0), ValueError, r"n_s must be >= 1"),
    ("expected_mean_drift_squared trace0", lambda: expected_mean_drift_squared(2, -1.0, 10, 10), ValueError, r"trace0 must be >= 0"),
    ("expected_mean_drift_squared t", lambda: expected_mean_drift_squared(0, 1.0, 10, 10), ValueError, r"t \(generation\) must be >= 1"),
    # ---- mad.gaussian_chains
    ("simulate_chains d=0", lambda: simulate_chains(SCHED, 0, 3, 2), ValueError, r"d must be >= 1"),
    ("simulate_chains chains=0", lambda: simulate_chains(SCHED, 2, 3, 0), ValueError, r"chains must be >= 1"),
    (
        "simulate_chains cov0 negative",
        lambda: simulate_chains(SCHED, 2, 3, 2, cov0=NEG_DEF),
        ValueError,
        r"cov0 must be positive semi-definite",
    ),
    ("simulate_chains cov0 asymmetric", lambda: simulate_chains(SCHED, 2, 3, 2, cov0=ASYM), ValueError, r"cov0 must be symmetric"),
    ("simulate_chains cov0 shape", lambda: simulate_chains(SCHED, 2, 3, 2, cov0=np.eye(3)), ValueError, r"cov0 must have shape"),
    ("simulate_chains mean0 nan", lambda: simulate_chains(SCHED, 2, 3, 2, mean0=[0.0, np.nan]), ValueError, r"mean0 contains NaN"),
    ("simulate_chains schedule", lambda: simulate_chains("replace", 2, 3, 2), TypeError, r"schedule must be a mad.loops.Schedule"),
    ("stationary_w2_squared burn_in", lambda: stationary_w2_squared(SCHED, 2, 2, -1, 2), ValueError, r"burn_in must be >= 0"),
    ("stationary_w2_squared window", lambda: stationary_w2_squared(SCHED, 2, 2, 1, 0), ValueError, r"window must be >= 1"),
    # ---- mad.effective_size
    ("relaxation_time lam>1", lambda: relaxation_time(100, 900, 1.2), ValueError, r"lam \(sampling bias λ\) must be in \(0, 1\]"),
    ("relaxation_time n_r<0", lambda: relaxation_time(-1, 10, 0.5), ValueError, r"n_r must be >= 0"),
    ("relaxation_time no real data", lambda: relaxation_time(0, 10, 1.0), ValueError, r"n_r .*lam"),
    ("relaxation_time k=0", lambda: relaxation_time(10, 10, 0.5, k=0), ValueError, r"k \(K, models remembered\) must be >= 1"),
    ("default_burn_in max_burn_in", lambda: default_burn_in(10, 10, 0.5, max_burn_in=-1), ValueError, r"max_burn_in must be >= 0"),
    ("cell_schedule n_r=0", lambda: cell_schedule(0, 10, 0.5), ValueError, r"n_r must be >= 1"),
    ("asymptotic_real_w2_squared n=1", lambda: asymptotic_real_w2_squared(1), ValueError, r"n must be > 1"),
    ("asymptotic_real_w2_squared d", lambda: asymptotic_real_w2_squared(10, d=0), ValueError, r"d must be >= 1"),
    ("marchenko_pastur n=1", lambda: marchenko_pastur_w2_squared(1, d=10), ValueError, r"n must be > 1"),
    ("effective_size_grid empty", lambda: effective_size_grid([]), ValueError, r"cells is empty"),
    # ---- mad.verdicts and mad.claims
    ("interval level", lambda: V.interval([1.0, 2.0, 3.0], level=1.5), ValueError, r"level must be in \(0, 1\)"),
    ("interval nan", lambda: V.interval([1.0, np.nan, 3.0]), ValueError, r"values"),
    ("interval one seed", lambda: V.interval([1.0]), ValueError, r"values"),
    ("rises min_effect<0", lambda: V.rises(curves_frame(), min_effect=-1.0), ValueError, r"min_effect must be >= 0"),
    ("flat margin=0", lambda: V.flat(curves_frame(), margin=0.0), ValueError, r"margin must be a positive"),
    ("converges tail=2.5", lambda: V.converges(curves_frame(), margin=0.1, tail=2.5), TypeError, r"tail must be an integer"),
    ("curves missing metric", lambda: V.curves(results_frame(), "fid"), ValueError, r"no rows for metric 'fid'"),
    ("curves bad filter", lambda: V.curves(results_frame(), "w2", colour=1), ValueError, r"cannot filter on 'colour'"),
    ("at missing generation", lambda: V.at(results_frame(), "w2", generation=7), ValueError, r"generation 7 not in the run"),
    ("ClaimsLedger chapter", lambda: ClaimsLedger(""), ValueError, r"chapter must name the chapter"),
    ("ClaimsLedger replicates", lambda: ClaimsLedger("c", replicates=""), ValueError, r"replicates must name"),
    ("ledger.check claim 99", lambda: ClaimsLedger("c").check(99, evidence()), ValueError, r"claim must be the id of a claim"),
    ("ledger.check claim bool", lambda: ClaimsLedger("c").check(True, evidence()), ValueError, r"claim must be the id of a claim"),
    ("ledger.check evidence", lambda: ClaimsLedger("c").check(1, "yes"), TypeError, r"evidence for claim 1 must come from a test"),
    ("ledger.check declared", lambda: ClaimsLedger("c").check(1, evidence(), declared=3), TypeError, r"declared must be the reason"),
    ("ledger.check duplicate part", lambda: ledger_with_part().check(1, evidence(), part="x"), ValueError, r"already has a part named 'x'"),
    ("collect missing folder", lambda: collect("/nonexistent/build"), BuildUnreadable, r"build folder /nonexistent/build does not exist"),
    # ---- mad.curation
    ("DetectorFilter tpr", lambda: DetectorFilter(tpr=1.5), ValueError, r"tpr.* must be in \[0, 1\]"),
    ("DetectorFilter fpr nan", lambda: DetectorFilter(tpr=0.5, fpr=float("nan")), ValueError, r"fpr.* must be in \[0, 1\]"),
    ("DetectorFilter.real_fraction n_real", lambda: DetectorFilter.real_fraction(-1, 10, 0.5), ValueError, r"n_real"),
    ("KeepLikely keep=0", lambda: KeepLikely(keep=0.0), ValueError, r"keep.* must be in \(0, 1\]"),
    ("RewardCurator reward", lambda: RewardCurator(reward=3), TypeError, r"reward must be"),
    ("RewardCurator temperature", lambda: RewardCurator(reward=np.sum, temperature=0.0), ValueError, r"temperature must be"),
    ("StratifiedResampler shares", lambda: StratifiedResampler([0.5, 0.6]), ValueError, r"shares"),
    ("make_curator unknown", lambda: make_curator("magic"), ValueError, r"magic"),
    # ---- mad.detection
    ("real_fraction n_r", lambda: real_fraction(-1, 10), ValueError, r"n_r"),
    ("real_fraction tpr", lambda: real_fraction(10, 10, tpr=1.5), ValueError, r"tpr.* must be in \[0, 1\]"),
    ("steady_state_variance lam", lambda: steady_state_variance(10, 10, lam=0.0), ValueError, r"lam \(sampling bias λ\)"),
    ("exact_steady_state_variance lam", lambda: exact_steady_state_variance(10, 10, lam=2.0), ValueError, r"lam \(sampling bias λ\)"),
    ("minimal_tpr n_s", lambda: minimal_tpr(0, 5), ValueError, r"n_s \(synthetic rows per generation\) must be a positive"),
    ("minimal_tpr admissible", lambda: minimal_tpr(10, -1), ValueError, r"admissible_n_s .*must be a positive"),
    # ---- mad.reward
    (
        "curation_step temperature",
        lambda: curation_step(np.full(25, 0.04), np.ones(25), temperature=0),
        ValueError,
        r"temperature must be a positive",
    ),
    ("curation_step rewards nan", lambda: curation_step(np.full(25, 0.04), np.full(25, np.nan)), ValueError, r"rewards must be finite"),
    ("reward_recursion steps", lambda: reward_recursion(np.full(25, 0.04), np.ones(25), -1), ValueError, r"steps must be >= 0"),
    ("expected_reward length", lambda: expected_reward(np.full(25, 0.04), np.ones(3)), ValueError, r"rewards must have one entry per mode"),
    ("kl_divergence modes", lambda: kl_divergence(np.full(25, 0.04), [0.5, 0.5]), ValueError, r"same number of modes"),
    ("real_share_after_curation k", lambda: real_share_after_curation(10, 10, 1), ValueError, r"k \(group size\) must be >= 2"),
    ("Verifier keep", lambda: Verifier(keep=0), ValueError, r"keep \(share of synthetic rows kept\) must be in \(0, 1\]"),
    ("GridSupport n_std", lambda: GridSupport(GRID, n_std=-1), ValueError, r"n_std must be a positive"),
    # ---- mad.regression
    ("single_fit_error T", lambda: single_fit_error(10, 11), ValueError, r"T \(rows per generation\) must be >= 12"),
    (
        "single_fit_error sigma inf",
        lambda: single_fit_error(10, 50, sigma=np.inf),
        ValueError,
        r"sigma must be a positive number \(finite, > 0\); got inf",
    ),
    ("regression theory loop", lambda: regression_theory("nope", 5, 10, 50), ValueError, r"loop must be one of"),
    ("regression simulate chains", lambda: regression_simulate("replace", 2, 10, 3, 1), ValueError, r"chains must be >= 2"),
    ("mle_theory trace0", lambda: mle_theory(5, 10, -1.0, 0), ValueError, r"trace0 must be a positive"),
    ("accumulated_trace lam", lambda: accumulated_trace(5, lam=0.0), ValueError, r"lam \(sampling bias λ\)"),
    # ---- mad.stability
    ("kde_loop n_r", lambda: kde_loop(-1, 10, 0.1, 2, 2), ValueError, r"n_r"),
    ("kde_loop h", lambda: kde_loop(10, 10, -0.1, 2, 2), ValueError, r"h"),
    ("kde_loop keep_real string", lambda: kde_loop(10, 10, 0.1, 2, 2, keep_real="no"), TypeError, r"keep_real must be True or False"),
    (
        "draw_stats negative n",
        lambda: draw_stats(-3, np.zeros((2, 2)), None, np.random.default_rng(0)),
        ValueError,
        r"n must hold non-negative",
    ),
    (
        "draw_stats float n",
        lambda: draw_stats(2.5, np.zeros((2, 2)), None, np.random.default_rng(0)),
        ValueError,
        r"n must hold non-negative integer",
    ),
    ("draw_stats 1-D mean", lambda: draw_stats(3, np.zeros(2), None, np.random.default_rng(0)), ValueError, r"mean must have shape"),
    ("factor negative-definite", lambda: factor(np.array([[1.0, 0.0], [0.0, -4.0]])), ValueError, r"cov must be positive semi-definite"),
    ("factor non-symmetric", lambda: factor(np.array([[1.0, 2.0], [0.0, -1.0]])), ValueError, r"cov must be symmetric"),
    ("kde_expected_variance eps", lambda: kde_expected_variance(10, 10, 0.1, 2, eps=float("nan")), ValueError, r"eps"),
    ("kde_stationary_variance lam_b", lambda: kde_stationary_variance(-2.0, 0.1), ValueError, r"lam_b must be >= 0"),
    ("is_stable eps", lambda: is_stable(0.5, -1.0), ValueError, r"eps"),
    ("corrected_real_fraction gamma", lambda: corrected_real_fraction(10, 10, gamma=-1.0), ValueError, r"gamma must be >= 0"),
    ("steady_state_ratio w", lambda: steady_state_ratio(-1.0, 0.5), ValueError, r"w"),
    # ---- mad.spectra
    ("radial_frequency shape", lambda: radial_frequency((1, 8)), ValueError, r"shape must be at least 2 x 2"),
    ("power_spectrum features", lambda: power_spectrum(np.zeros((5, 10))), ValueError, r"X must have 64 features|64 features"),
    ("power_spectrum nan", lambda: power_spectrum(np.full((5, 64), np.nan)), ValueError, r"X contains NaN"),
    ("high_frequency_share cutoff", lambda: high_frequency_share(IMG, cutoff=0.0), ValueError, r"cutoff must be in"),
    ("spectrum_log_ratio shapes", lambda: spectrum_log_ratio(np.ones((8, 8)), np.ones((4, 4))), ValueError, r"P_fake and P_real must be"),
    ("spectrum_log_ratio eps", lambda: spectrum_log_ratio(np.ones((8, 8)), np.ones((8, 8)), eps=0.0), ValueError, r"eps must be"),
    # ---- mad.features
    ("DigitsFeatureSpace held_out", lambda: DigitsFeatureSpace(held_out=1.5).fit(IMG, Y10), ValueError, r"held_out"),
    ("DigitsFeatureSpace labels", lambda: DigitsFeatureSpace().fit(IMG, Y10[:5]), ValueError, r"one label per row"),
    ("DigitsFeatureSpace unfitted", lambda: DigitsFeatureSpace().transform(IMG), NotFittedError, r"fit"),
    (
        "within_class_variance labels",
        lambda: within_class_variance(np.zeros((5, 2)), [0, 1]),
        ValueError,
        r"y must hold one non-negative integer label per row",
    ),
    (
        "archive_key traversal",
        lambda: archive_key("../../evil", 10, 0.5, 0, 1),
        ValueError,
        r"loop \(schedule label\) must be a safe file name",
    ),
    ("archive_key absolute", lambda: archive_key("/tmp/evil", 10, 0.5, 0, 1), ValueError, r"loop \(schedule label\) must be a safe"),
    # ---- mad.plotting (the helpers that take data)
    ("mean_interval level", lambda: _plotting().mean_interval(np.ones((3, 4)), level=1.0), ValueError, r"level must be in \(0, 1\)"),
    ("mean_interval empty", lambda: _plotting().mean_interval(np.ones((0, 4))), ValueError, r"values must hold at least one replicate"),
    ("panels n=0", lambda: _plotting().panels(0), ValueError, r"n must be a positive number of panels"),
    ("shared_limits nothing finite", lambda: _plotting().shared_limits([np.array([np.nan])]), ValueError, r"arrays must hold"),
    ("color_of bool key", lambda: _plotting().color_of(True), ValueError, r"key must be a λ value or a series name"),
    (
        "metric_vs_generation missing",
        lambda: _plotting().metric_vs_generation(results_frame(), ["fid"]),
        ValueError,
        r"metrics not in results",
    ),
    ("RosenbrockScores alphas", lambda: RosenbrockScores(Rosenbrock(), alphas=(2.0,)), ValueError, r"alpha must be in \(0, 1\); got 2.0"),
    ("snapshots not a table", lambda: snapshots([1, 2]), TypeError, r"results must be a run_loop table"),
    ("snapshots no rows", lambda: snapshots(results_frame()), ValueError, r"no snapshot rows in results"),
    ("snapshots by", lambda: snapshots(results_frame(), by=("colour",)), ValueError, r"by names columns not in results"),
    (
        "wasserstein_1d_pp columns",
        lambda: wasserstein_1d_pp(np.zeros((3, 2)), np.zeros((4, 3))),
        ValueError,
        r"x and y must have the same columns",
    ),
    ("wasserstein_1d_pp nan", lambda: wasserstein_1d_pp([0.0, np.nan], [0.0]), ValueError, r"x contains NaN"),
    ("critical_n_s columns", lambda: critical_n_s(pd.DataFrame({"a": [1]})), ValueError, r"grid must be an effective_size_grid table"),
    ("to_frame metrics", lambda: simulate_chains(SCHED, 2, 2, 2).to_frame(metrics=("zzz",)), ValueError, r"metrics must name some of"),
    ("StratifiedResampler str", lambda: StratifiedResampler("ab"), TypeError, r"shares must be class shares"),
    ("StratifiedResampler words", lambda: StratifiedResampler({0: "half"}), TypeError, r"shares must be numbers"),
    ("DigitsFeatureSpace lr inf", lambda: DigitsFeatureSpace(lr=np.inf).fit(IMG, Y10), ValueError, r"lr must be a positive number"),
    (
        "DigitsFeatureSpace hidden 0",
        lambda: DigitsFeatureSpace(hidden=(0,)).fit(IMG, Y10),
        ValueError,
        r"hidden \(layer width\) must be >= 1",
    ),
    (
        "DigitsFeatureSpace float labels",
        lambda: DigitsFeatureSpace().fit(IMG, np.full(20, 0.5)),
        ValueError,
        r"y must hold integer class labels",
    ),
    ("rng seed str", lambda: _seeding().rng("a"), TypeError, r"seed must be an integer"),
    ("rng seed -1", lambda: _seeding().rng(-1), ValueError, r"seed must be a non-negative integer"),
    ("rng generation -1", lambda: _seeding().rng(0, -1), ValueError, r"generation must be >= 0"),
    ("derive_seed role", lambda: _seeding().derive_seed(0, 0, 3), ValueError, r"role must be a non-empty string"),
    ("as_generator str", lambda: _seeding().as_generator("x"), TypeError, r"random_state must be None, an int or a numpy Generator"),
    # ---- mad.config and seeding
    ("by_scale scale", lambda: _with_env({"MAD_SCALE": "huge"}, lambda: mad.by_scale(1, 2)), ValueError, r"MAD_SCALE must be one of"),
    ("base_seed", lambda: _with_env({"MAD_SEED": "-3"}, mad.base_seed), ValueError, r"MAD_SEED must be a non-negative integer"),
    ("seeds count", lambda: mad.seeds(0), ValueError, r"count must be >= 1"),
]


def _seeding():
    import mad.seeding

    return mad.seeding


def _plotting():
    import matplotlib

    matplotlib.use("Agg")
    import mad.plotting

    return mad.plotting


def _with_env(env: dict[str, str], call):
    import os

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return call()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.parametrize(("call", "error", "pattern"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_a_clear_error(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


def test_the_table_is_large_and_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(set(ids)) == len(ids)
    assert len(CASES) + len(CLI_CASES) >= 150


# ------------------------------------------------------------------------------------ command line


def _notebook(payload: object) -> dict:
    return {
        "cells": [
            {"cell_type": "code", "outputs": [{"output_type": "display_data", "data": {"application/vnd.mad.claims+json": payload}}]}
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _build(tmp: Path, kind: str) -> Path:
    folder = tmp / kind
    folder.mkdir()
    if kind == "corrupt":
        (folder / "chapter.ipynb").write_text("{ not json", encoding="utf-8")
    elif kind == "bad_payload":
        (folder / "chapter.ipynb").write_text(json.dumps(_notebook("{ not json")), encoding="utf-8")
    elif kind == "bad_verdict":
        (folder / "chapter.ipynb").write_text(
            json.dumps(_notebook({"verdicts": [{"claim": 99, "outcome": "reproduced"}]})), encoding="utf-8"
        )
    elif kind == "unknown_claim":
        verdict = {"claim": 99, "chapter": "c", "outcome": "reproduced", "status": "reproduced"}
        (folder / "chapter.ipynb").write_text(json.dumps(_notebook({"verdicts": [verdict]})), encoding="utf-8")
    elif kind == "not_a_notebook":
        (folder / "chapter.ipynb").write_text(json.dumps([1, 2, 3]), encoding="utf-8")
    return folder


#: (id, argv with {build} for a prepared folder kind, build kind or None, exit code, regex on stderr)
CLI_CASES: list[tuple[str, list[str], str | None, int, str]] = [
    ("claims missing build", ["claims", "/nonexistent/build"], None, 2, r"build folder /nonexistent/build does not exist"),
    ("claims empty build", ["claims", "{build}"], "empty", 2, r"no claim verdicts found"),
    ("claims corrupt notebook", ["claims", "{build}"], "corrupt", 2, r"cannot read the executed notebook .*chapter.ipynb"),
    ("claims corrupt payload", ["claims", "{build}"], "bad_payload", 2, r"chapter.ipynb holds a malformed claims output"),
    ("claims unknown claim id", ["claims", "{build}"], "bad_verdict", 2, r"chapter.ipynb holds a verdict without chapter, status"),
    ("claims unknown claim 99", ["claims", "{build}"], "unknown_claim", 2, r"verdict for claim 99, not a claim id"),
    ("claims notebook not a dict", ["claims", "{build}"], "not_a_notebook", 2, r"no claim verdicts found|chapter.ipynb"),
    ("seeds missing build", ["seeds", "/nonexistent/build"], None, 2, r"build folder /nonexistent/build does not exist"),
    ("seeds corrupt notebook", ["seeds", "{build}"], "corrupt", 2, r"cannot read the executed notebook"),
    ("clear missing notebook", ["clear", "/nonexistent/x.ipynb"], None, 2, r"cannot read notebook /nonexistent/x.ipynb"),
    ("clear corrupt notebook", ["clear", "{build}/chapter.ipynb"], "corrupt", 2, r"cannot read notebook"),
    ("unknown option", ["claims", "--bogus"], None, 2, r"unrecognized arguments: --bogus"),
    ("no command", [], None, 2, r"the following arguments are required: command|required"),
    ("unknown command", ["explode"], None, 2, r"invalid choice: 'explode'"),
]


@pytest.mark.parametrize(("argv", "kind", "code", "pattern"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_bad_input_exits_with_a_clear_message(tmp_path, capsys, argv, kind, code, pattern):
    from mad.__main__ import main

    build = _build(tmp_path, kind) if kind else None
    argv = [a.replace("{build}", str(build)) for a in argv]
    try:
        rc = main(argv)
    except SystemExit as stop:  # argparse errors exit 2 with usage on stderr
        rc = stop.code
    err = capsys.readouterr().err
    assert rc == code, err
    assert pytest.importorskip("re").search(pattern, err), err


def test_cli_exit_codes_through_a_subprocess(tmp_path):
    """The real command line: an unreadable build folder exits 2 (not 1, "a claim failed")."""
    out = subprocess.run(
        [sys.executable, "-m", "mad", "claims", str(_build(tmp_path, "corrupt"))], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2, out.stderr
    assert "cannot read the executed notebook" in out.stderr


# ------------------------------------------------------------------------ the neighbour tolerance


def test_one_far_outlier_does_not_change_density():
    """Duplicate tolerance is per pair (relative to the two squared norms, centred on the real
    median), so one far fake outlier changes no other comparison: the ball counts of the other fake
    points stay exactly the same, and density only gains the outlier's empty row."""
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(500, 2)), rng.normal(size=(500, 2))
    base = density_coverage(real, fake)
    for far in (1e3, 1e6, 1e9):
        with_outlier = np.vstack([fake, [[far, far]]])
        density, coverage = density_coverage(real, with_outlier)
        assert density == pytest.approx(base[0] * 500 / 501, rel=1e-12)
        assert coverage == base[1]
        p, r = precision_recall(real, with_outlier)
        assert p == pytest.approx(precision_recall(real, fake)[0] * 500 / 501, rel=1e-12)


def test_the_tolerance_is_scale_free():
    """Scaling both sets by any factor leaves every score unchanged (duplicates stay duplicates)."""
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    fake[:20] = real[:20]  # exact duplicates
    base = prdc(real, fake)
    for scale in (1e-6, 1e6):
        assert prdc(scale * real, scale * fake) == base


def test_no_silent_bad_result_on_sources():
    """The issue's example: GaussianSource(d=2, cov=diag(1, -4)) used to sample from diag(1, 0)."""
    with pytest.raises(ValueError, match="cov must be positive semi-definite"):
        GaussianSource(d=2, cov=NEG_DEF)
    assert GaussianSource(d=2, cov=[[2.0, 0.5], [0.5, 1.0]]).sample(3, 0).shape == (3, 2)
