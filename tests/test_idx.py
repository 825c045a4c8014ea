"""The strict IDX reader and the MNIST / Fashion-MNIST loaders, on small synthetic files (CI needs no data)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import mad.data
from mad.idx import (
    FASHION_MNIST_DIRS,
    IDXError,
    fashion_mnist_pool,
    image_pool,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    write_idx,
)


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    monkeypatch.delenv("MAD_FASHION_MNIST_DIR", raising=False)
    monkeypatch.delenv("MAD_MNIST_DIR", raising=False)


def fake_split(folder: Path, prefix: str = "train", n_images: int = 5, n_labels: int | None = None, gz: bool = True) -> Path:
    """Write an MNIST-format split of ``n_images`` random 28x28 images (and ``n_labels`` labels) into ``folder``."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", rng.integers(0, 256, (n_images, 28, 28), dtype=np.uint8))
    labels = np.arange(n_images if n_labels is None else n_labels, dtype=np.uint8) % 10
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)
    return folder


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", "<i4", "f4", "f8"])
def test_round_trip_of_every_dtype(tmp_path, suffix, dtype) -> None:
    a = (np.arange(24) - 7).reshape(2, 3, 4).astype(dtype)
    if a.dtype.kind == "u":
        a = np.arange(24, dtype=dtype).reshape(2, 3, 4)
    b = read_idx(write_idx(tmp_path / f"a.idx{suffix}", a))
    assert b.shape == (2, 3, 4) and b.dtype.isnative and b.dtype.kind == a.dtype.kind and b.dtype.itemsize == a.dtype.itemsize
    np.testing.assert_array_equal(b, a)


def test_header_layout_is_the_idx_format(tmp_path) -> None:
    path = write_idx(tmp_path / "x.idx", np.array([[1, 2, 3]], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 0x08, 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3])
    int_path = write_idx(tmp_path / "y.idx", np.array([258], dtype=np.int32))
    assert int_path.read_bytes()[-4:] == b"\x00\x00\x01\x02"  # values big-endian


def test_bad_magic_number_names_the_file(tmp_path) -> None:
    path = tmp_path / "bad.idx"
    path.write_bytes(b"\x01\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(IDXError, match=r"bad\.idx: bad magic number 0x01000801"):
        read_idx(path)


def test_unknown_dtype_code_and_zero_dimensions(tmp_path) -> None:
    path = tmp_path / "code.idx"
    path.write_bytes(b"\x00\x00\x07\x01" + (1).to_bytes(4, "big") + b"a")
    with pytest.raises(IDXError, match=r"code\.idx: unknown IDX dtype code 0x07"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x08\x00")
    with pytest.raises(IDXError, match="0 dimensions"):
        read_idx(path)
    path.write_bytes(b"\x00\x00")
    with pytest.raises(IDXError, match="too short"):
        read_idx(path)


def test_truncated_and_overlong_files(tmp_path) -> None:
    path = write_idx(tmp_path / "imgs.idx", np.zeros((4, 28, 28), dtype=np.uint8))
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    with pytest.raises(IDXError, match=r"imgs\.idx: truncated: the header declares shape \(4, 28, 28\) of uint8 \(3152 bytes"):
        read_idx(path)
    path.write_bytes(data + b"\x00")
    with pytest.raises(IDXError, match="has trailing bytes"):
        read_idx(path)
    path.write_bytes(data[:10])
    with pytest.raises(IDXError, match="truncated header"):
        read_idx(path)


def test_truncated_gzip_names_the_file(tmp_path) -> None:
    path = write_idx(tmp_path / "imgs.idx.gz", np.zeros((4, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(IDXError, match=r"imgs\.idx\.gz: corrupt or truncated gzip"):
        read_idx(path)


def test_gzip_is_detected_from_content_not_name(tmp_path) -> None:
    raw = write_idx(tmp_path / "a.idx", np.arange(5, dtype=np.uint8)).read_bytes()
    (tmp_path / "b.idx").write_bytes(gzip.compress(raw))
    np.testing.assert_array_equal(read_idx(tmp_path / "b.idx"), np.arange(5))


def test_expected_dtype_and_ndim(tmp_path) -> None:
    path = write_idx(tmp_path / "f.idx", np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(IDXError, match=r"f\.idx: dtype code 0x0D \(float32\); expected uint8"):
        read_idx(path, dtype=np.uint8)
    with pytest.raises(IDXError, match=r"f\.idx: 2 dimensions in the magic number; expected 3"):
        read_idx(path, ndim=3)
    assert read_idx(path, dtype=np.float32, ndim=2).shape == (2, 3)
    with pytest.raises(FileNotFoundError, match=r"IDX file not found: .*nope\.idx"):
        read_idx(tmp_path / "nope.idx")
    with pytest.raises(ValueError, match="has no IDX code"):
        write_idx(tmp_path / "c.idx", np.zeros(3, dtype=np.complex64))


@pytest.mark.parametrize("gz", [True, False])
def test_loaders_read_a_folder(tmp_path, gz) -> None:
    fake_split(tmp_path, "train", 5, gz=gz)
    fake_split(tmp_path, "t10k", 3, gz=gz)
    for load in (load_fashion_mnist, load_mnist, mad.data.load_fashion_mnist):
        X, y = load("train", data_dir=tmp_path)
        assert X.shape == (5, 28, 28) and X.dtype == np.uint8 and y.dtype == np.int64
        np.testing.assert_array_equal(y, [0, 1, 2, 3, 4])
        assert load("test", data_dir=tmp_path)[0].shape == (3, 28, 28)


def test_mismatched_image_and_label_counts_are_refused(tmp_path) -> None:
    fake_split(tmp_path, "train", n_images=5, n_labels=3)
    with pytest.raises(IDXError, match=r"images file .*train-images-idx3-ubyte\.gz holds 5 images but the labels file .*holds 3 labels"):
        load_fashion_mnist(data_dir=tmp_path)
    with pytest.raises(IDXError, match="holds 5 images"):
        mad.data.load_fashion_mnist(data_dir=tmp_path)


def test_labels_out_of_range_and_wrong_kinds_of_file(tmp_path) -> None:
    fake_split(tmp_path, "train", 3)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.array([0, 1, 12], dtype=np.uint8))
    with pytest.raises(IDXError, match=r"labels must be 0\.\.9"):
        load_mnist(data_dir=tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros((3, 1), dtype=np.uint8))
    with pytest.raises(IDXError, match=r"train-labels-idx1-ubyte\.gz: 2 dimensions in the magic number; expected 1"):
        load_mnist(data_dir=tmp_path)


def test_missing_files_name_the_file_the_field_and_how_to_install(tmp_path, monkeypatch) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing images file .*train-images-idx3-ubyte\[\.gz\] and labels file .*data_dir="):
        load_fashion_mnist(data_dir=tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((2, 28, 28), dtype=np.uint8))
    with pytest.raises(FileNotFoundError, match=r"missing labels file .*train-labels-idx1-ubyte\[\.gz\] \(folder from data_dir=") as err:
        load_fashion_mnist(data_dir=tmp_path)
    assert "apt-get install dataset-fashion-mnist" in str(err.value)
    monkeypatch.setenv("MAD_FASHION_MNIST_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(FileNotFoundError, match="folder from MAD_FASHION_MNIST_DIR="):
        load_fashion_mnist()
    monkeypatch.setenv("MAD_MNIST_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"MNIST train split: missing labels file .*MAD_MNIST_DIR=.*set MAD_MNIST_DIR"):
        load_mnist()
    monkeypatch.delenv("MAD_MNIST_DIR")
    with pytest.raises(FileNotFoundError, match=r"MNIST not found: no folder to look in \(data_dir is None, MAD_MNIST_DIR is not set\)"):
        load_mnist()
    with pytest.raises(ValueError, match="split must be 'train' or 'test'; got 'valid'"):
        load_mnist("valid", data_dir=tmp_path)


def test_default_folders_and_the_environment_variable(tmp_path, monkeypatch) -> None:
    with pytest.raises(FileNotFoundError, match=r"Fashion-MNIST not found: no train-images-idx3-ubyte\[\.gz\] in .*empty.*apt-get install"):
        load_fashion_mnist(default_dirs=[tmp_path / "empty"])
    fake_split(tmp_path / "env", "train", 4)
    monkeypatch.setenv("MAD_FASHION_MNIST_DIR", str(tmp_path / "env"))
    assert load_fashion_mnist()[0].shape == (4, 28, 28)
    monkeypatch.delenv("MAD_FASHION_MNIST_DIR")
    fake_split(tmp_path / "debian", "train", 6)
    assert load_fashion_mnist(default_dirs=[tmp_path / "empty", tmp_path / "debian"])[0].shape == (6, 28, 28)
    monkeypatch.setattr("mad.data.FASHION_MNIST_DIRS", (str(tmp_path / "debian"),))
    assert mad.data.load_fashion_mnist()[0].shape == (6, 28, 28)


def test_image_pool_flattens_and_scales(tmp_path) -> None:
    images = np.array([[[0, 255], [51, 102]]] * 3, dtype=np.uint8)
    pool = image_pool(images, np.array([0, 1, 2]), name="tiny", n=2)
    assert len(pool) == 2 and pool.n_features == 4 and pool.n_classes == 2
    np.testing.assert_allclose(pool.X[0], [0.0, 1.0, 0.2, 0.4])
    with pytest.raises(ValueError, match="n must be >= 1 and <= 3; got 4"):
        image_pool(images, np.array([0, 1, 2]), name="tiny", n=4)
    fake_split(tmp_path, "train", 5)
    assert fashion_mnist_pool(n=3, data_dir=tmp_path).X.shape == (3, 784)


@pytest.mark.skipif(not Path(FASHION_MNIST_DIRS[0], "t10k-labels-idx1-ubyte.gz").exists(), reason="dataset-fashion-mnist not installed")
def test_the_installed_fashion_mnist_test_split() -> None:
    X, y = load_fashion_mnist("test")
    assert X.shape == (10000, 28, 28) and X.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y), [1000] * 10)
