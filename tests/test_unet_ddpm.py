"""The 28x28 path: the U-Net DDPM and the convolutional WGAN-GP, trained a few CPU steps on 200 synthetic images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone

from mad.data import FinitePool
from mad.loops import fully_synthetic, run_sweep
from mad.models import REGISTRY, make_model
from mad.models.ddpm import ConditionalDDPM
from mad.models.unet_ddpm import UNetDDPM
from mad.models.wgan import WGANGP

TINY = dict(T=6, width=8, n_steps=3, batch_size=16)
GAN = dict(n_steps=3, width=8, latent_dim=8, batch_size=16, arch="conv")


def blobs(n: int = 200, side: int = 28, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` side x side images in [0, 1] (rows of side² pixels): a Gaussian blob whose position is the class (10 classes)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    angle = 2 * np.pi * y / 10
    cx, cy = side / 2 + side / 4 * np.cos(angle), side / 2 + side / 4 * np.sin(angle)
    yy, xx = np.mgrid[:side, :side]
    X = np.exp(-((xx[None] - cx[:, None, None]) ** 2 + (yy[None] - cy[:, None, None]) ** 2) / (2 * (side / 10) ** 2))
    X = np.clip(X + 0.05 * rng.standard_normal(X.shape), 0.0, 1.0)
    return X.reshape(n, side * side), y


@pytest.fixture(scope="module")
def data():
    return blobs()


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return UNetDDPM(**TINY, random_state=0).fit(X, y)


def test_registered_and_shares_the_ddpm_protocol() -> None:
    model = make_model("unet_ddpm", width=8)
    assert REGISTRY["unet_ddpm"] == "mad.models.unet_ddpm:UNetDDPM"
    assert isinstance(model, ConditionalDDPM) and model.conditional and "1/(1 + w)" in model.lam_rule
    params = clone(model).get_params()
    assert params["width"] == 8 and params["device"] == "cpu" and "depth" not in params


def test_fit_and_sample_shapes(fitted) -> None:
    assert fitted.loss_history_.shape == (3,) and np.all(np.isfinite(fitted.loss_history_))
    assert fitted.n_features_in_ == 784 and fitted.n_classes_ == 10
    assert fitted.net_(torch.zeros(2, 784), torch.tensor([0, 5]), torch.tensor([1, 10])).shape == (2, 784)
    S, labels = fitted.sample_labelled(23, lam=0.5, random_state=1)
    assert S.shape == (23, 784) and S.dtype == np.float64 and 0.0 <= S.min() and S.max() <= 1.0
    assert np.bincount(labels, minlength=10).max() - np.bincount(labels, minlength=10).min() <= 1  # class-balanced


def test_same_seed_same_bits(data, fitted) -> None:
    X, y = data
    again = UNetDDPM(**TINY, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.loss_history_, fitted.loss_history_)
    a, b = fitted.sample(10, lam=0.8, random_state=3), again.sample(10, lam=0.8, random_state=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, fitted.sample(10, lam=0.8, random_state=4))
    other = UNetDDPM(**TINY, random_state=1).fit(X, y)
    assert not np.array_equal(other.loss_history_, fitted.loss_history_)


def test_sampling_in_chunks_is_deterministic_and_guidance_changes_samples(fitted) -> None:
    small = clone(fitted).set_params(sample_batch=4)
    small.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})  # the same trained network
    a = small.sample(10, lam=1.0, random_state=2)
    assert a.shape == (10, 784) and np.array_equal(a, small.sample(10, lam=1.0, random_state=2))
    assert not np.array_equal(fitted.sample(10, lam=1.0, random_state=2), fitted.sample(10, lam=0.5, random_state=2))


def test_lambda_and_bad_input_are_refused(data, fitted) -> None:
    X, y = data
    for bad in (0.0, -0.2, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"\(0, 1\]"):
            fitted.sample(4, lam=bad)
    with pytest.raises(ValueError, match="side divisible by 4"):
        UNetDDPM(**TINY).fit(X[:, :100], y)  # 10x10
    with pytest.raises(ValueError, match="side divisible by 4"):
        UNetDDPM(**TINY).fit(X[:, :783], y)
    with pytest.raises(ValueError, match="needs the labels y"):
        UNetDDPM(**TINY).fit(X)
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        UNetDDPM(**TINY, device="tpu").fit(X, y)
    with pytest.raises(ValueError, match="width must be >= 1"):
        UNetDDPM(**{**TINY, "width": 0}).fit(X, y)
    chunkless = clone(fitted).set_params(sample_batch=0)
    chunkless.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    with pytest.raises(ValueError, match="sample_batch must be >= 1"):
        chunkless.sample(3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_says_so(data) -> None:
    X, y = data
    with pytest.raises(ValueError, match=r"device='cuda' but torch.cuda.is_available\(\) is False"):
        UNetDDPM(**TINY, device="cuda").fit(X, y)
    with pytest.raises(ValueError, match=r"device='cuda' but"):
        WGANGP(**GAN, device="cuda").fit(X)


def test_works_at_8x8_too_and_leaves_global_rng_alone(data) -> None:
    X, y = blobs(60, side=8)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    model = UNetDDPM(**TINY, random_state=5).fit(X, y)
    assert torch.equal(torch.rand(3), expected)
    assert model.sample(5, random_state=0).shape == (5, 64)


def test_conv_wgan_at_28x28(data) -> None:
    X, _ = data
    gan = WGANGP(**GAN, random_state=0).fit(X)
    assert any(isinstance(m, torch.nn.Conv2d) for m in gan.critic_.modules())
    S = gan.sample(12, lam=0.7, random_state=1)
    assert S.shape == (12, 784) and 0.0 <= S.min() and S.max() <= 1.0
    assert gan.critic_score(X[:5]).shape == (5,)
    again = WGANGP(**GAN, random_state=0).fit(X)
    np.testing.assert_array_equal(again.w_distance_, gan.w_distance_)
    assert np.array_equal(again.sample(12, lam=0.7, random_state=1), S)
    with pytest.raises(ValueError, match="arch must be 'mlp' or 'conv'; got 'resnet'"):
        WGANGP(**{**GAN, "arch": "resnet"}).fit(X)
    with pytest.raises(ValueError, match=r"must be in \(0, 1\]"):
        gan.sample(3, lam=0.0)


def test_a_stored_loop_of_the_28x28_path(data, tmp_path, monkeypatch) -> None:
    """Two generations of the fully synthetic loop through the sweep runner and the store: same bits, read back."""
    X, y = data
    task = dict(
        schedule=fully_synthetic(100),
        model=UNetDDPM(**TINY),
        source=FinitePool(X, y, name="blobs"),
        generations=2,
        metrics={"mean pixel": lambda gen: float(gen.eval_samples(20)[0].mean())},
        seed=0,
    )
    first = run_sweep([task], executor="serial", store=tmp_path, progress=False)
    assert sorted(first["generation"]) == [1, 2] and set(first["metric"]) == {"mean pixel"}

    def refuse(*args, **kwargs):
        raise AssertionError("the stored run was recomputed")

    monkeypatch.setattr(UNetDDPM, "fit", refuse)
    second = run_sweep([task], executor="serial", store=tmp_path, progress=False)
    assert second.equals(first)


@pytest.fixture()
def fake_fashion(tmp_path, monkeypatch):
    """A five-image Fashion-MNIST folder in MAD_FASHION_MNIST_DIR, so the spec loads without the real data."""
    from mad.idx import write_idx

    for prefix in ("train", "t10k"):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", np.zeros((5, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(5, dtype=np.uint8))
    monkeypatch.setenv("MAD_FASHION_MNIST_DIR", str(tmp_path))
    return tmp_path


SPEC = Path(__file__).resolve().parents[1] / "sweeps" / "paper_fashion_mnist.toml"


@pytest.mark.parametrize("scale", ["smoke", "paper"])
def test_the_paper_spec_uses_the_papers_sizes(fake_fashion, monkeypatch, scale) -> None:
    from mad.config import PAPER_SIZES
    from mad.sweep import load_spec

    monkeypatch.setenv("MAD_SCALE", scale)
    monkeypatch.setenv("MAD_SEED", "2024")
    spec = load_spec(SPEC)
    model = spec.tasks[0]["model"]
    assert isinstance(model, UNetDDPM) and model.device == "cpu" and spec.executor == "serial"
    assert {t["schedule"].lam for t in spec.tasks} <= set(PAPER_SIZES["lams"])
    if scale == "paper":
        assert len(spec.tasks) == len(PAPER_SIZES["lams"]) * 3
        assert {t["generations"] for t in spec.tasks} == {PAPER_SIZES["generations"]}
        assert {t["schedule"].n_synth for t in spec.tasks} == {PAPER_SIZES["n_images"]} == {t["schedule"].n_init for t in spec.tasks}
        assert model.T == PAPER_SIZES["T"] and sorted(t["schedule"].lam for t in spec.tasks[::3]) == sorted(PAPER_SIZES["lams"])


def test_the_spec_refuses_a_missing_gpu_and_missing_data(fake_fashion, monkeypatch, tmp_path) -> None:
    from mad.sweep import SpecError, load_spec

    monkeypatch.setenv("MAD_SCALE", "smoke")
    if not torch.cuda.is_available():
        with pytest.raises(SpecError, match=r"paper_fashion_mnist\.toml: field '--device': device='cuda' but"):
            load_spec(SPEC, device="cuda")
    with pytest.raises(SpecError, match=r"field '--device': device must be 'cpu' or 'cuda'"):
        load_spec(SPEC, device="gpu")
    monkeypatch.setenv("MAD_FASHION_MNIST_DIR", str(tmp_path / "missing"))
    with pytest.raises(
        SpecError, match=r"paper_fashion_mnist\.toml: field 'data.data_dir': .*missing images file .*train-images-idx3-ubyte"
    ):
        load_spec(SPEC)


def test_an_mnist_spec_loads_through_the_idx_reader(fake_fashion, tmp_path, monkeypatch) -> None:
    from mad.sweep import SpecError, load_spec

    monkeypatch.setenv("MAD_MNIST_DIR", str(fake_fashion))
    text = SPEC.read_text().replace('name = "fashion_mnist"', 'name = "mnist"').replace('dataset = "fashion_mnist"', 'dataset = "mnist"')
    spec_file = tmp_path / "mnist.toml"
    spec_file.write_text(text)
    monkeypatch.setenv("MAD_SCALE", "smoke")
    spec = load_spec(spec_file)
    assert spec.tasks[0]["source"].name == "mnist-train" and spec.tasks[0]["metrics"]["images"].dataset == "mnist"
    monkeypatch.delenv("MAD_MNIST_DIR")
    with pytest.raises(SpecError, match=r"mnist\.toml: field 'data.data_dir': MNIST not found: .*MAD_MNIST_DIR is not set"):
        load_spec(spec_file)


def test_image28_metrics_on_a_small_synthetic_data_set(tmp_path) -> None:
    from mad.features28 import Image28Metrics
    from mad.idx import write_idx

    for prefix, n, seed in (("train", 200, 0), ("t10k", 60, 1)):
        X, y = blobs(n, seed=seed)
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", np.round(255 * X.reshape(n, 28, 28)).astype(np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", y.astype(np.uint8))
    metric = Image28Metrics(n_eval=30, n_ref=60, n_train=200, epochs=3, seed=0, data_dir=tmp_path)

    class Fake:  # a stand-in Generation whose samples are held-out blobs
        def eval_samples(self, n):
            X, y = blobs(n, seed=2)
            return X, y

    out = metric(Fake())
    assert set(out) == {"fid", "precision", "recall", "legibility", "spread"} and all(np.isfinite(v) for v in out.values())
    assert out == metric(Fake())  # cached feature space, same numbers
    assert metric.__mad_key__()["n_train"] == 200
    with pytest.raises(ValueError, match="n_train must be >= 10 and <= 200; got 500"):
        Image28Metrics(n_eval=30, n_ref=60, n_train=500, seed=0, data_dir=tmp_path).reference()
    with pytest.raises(ValueError, match="dataset must be one of fashion_mnist, mnist; got 'cifar'"):
        Image28Metrics(dataset="cifar")
