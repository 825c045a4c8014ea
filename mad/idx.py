"""A strict reader of IDX files, and the MNIST / Fashion-MNIST loaders built on it.

The IDX format (LeCun et al. 1998, the MNIST database page; Fashion-MNIST, Xiao et al. 2017, uses
the same files) is a 4-byte magic number, then one big-endian uint32 per dimension, then the
values in C order, big-endian:

    magic = 0x00 0x00 <dtype code> <ndim>,   size = 4 + 4·ndim + itemsize · ∏ dims  (bytes).

Dtype codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64. Images
are ``idx3`` (n x 28 x 28 uint8), labels ``idx1`` (n uint8). A file may be gzip-compressed (detected
from its first two bytes, 0x1f 0x8b, not from its name).

:func:`read_idx` checks the two zero bytes, the dtype code, the number of dimensions (and, when
asked, the expected dtype and ndim) and that the declared sizes account for every byte of the
file, and names the file in every error (:class:`IDXError`). :func:`load_mnist` and
:func:`load_fashion_mnist` find the four files, refuse an image file and a label file that
disagree on the number of items, and never download: when the files are missing they say where
they looked and how to install them.

Where the files are looked for, in order (the first source that is set is the only one used,
so a mistyped folder is reported rather than silently replaced by another one):

1. the ``data_dir`` argument;
2. the environment variable ``MAD_FASHION_MNIST_DIR`` (``MAD_MNIST_DIR`` for MNIST);
3. Debian's install folders: ``/usr/share/datasets/fashion-mnist`` (``apt-get install
   dataset-fashion-mnist``; Debian has no MNIST package).
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: IDX dtype code -> big-endian NumPy dtype
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Debian's ``dataset-fashion-mnist`` install folder
FASHION_MNIST_DIRS: tuple[str, ...] = ("/usr/share/datasets/fashion-mnist",)
#: no Debian package ships MNIST; set ``MAD_MNIST_DIR`` or pass ``data_dir``
MNIST_DIRS: tuple[str, ...] = ()

FASHION_MNIST_INSTALL = (
    "Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; files in /usr/share/datasets/fashion-mnist), "
    "or download the four *-idx*-ubyte.gz files of https://github.com/zalandoresearch/fashion-mnist into a folder "
    "and set MAD_FASHION_MNIST_DIR to it (or pass data_dir=...)."
)
MNIST_INSTALL = (
    "Download the four MNIST files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
    "t10k-labels-idx1-ubyte.gz; gzip or raw) into a folder and set MAD_MNIST_DIR to it (or pass data_dir=...)."
)


class IDXError(ValueError):
    """An IDX file that is not what its header says (the message names the file)."""


def read_idx(path: str | os.PathLike, *, dtype: np.dtype | str | None = None, ndim: int | None = None) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip or raw), in native byte order.

    ``dtype`` and ``ndim``, when given, are what the caller expects; a file with another dtype
    code or number of dimensions is refused. Raises :class:`FileNotFoundError` for a missing
    file and :class:`IDXError` (a ``ValueError``) for a malformed one, naming ``path`` in both.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise IDXError(f"{path}: corrupt or truncated gzip stream ({err})") from None
    else:
        data = raw
    if len(data) < 4:
        raise IDXError(f"{path}: {len(data)} bytes is too short for an IDX header (4-byte magic number)")
    if data[0] != 0 or data[1] != 0:
        raise IDXError(f"{path}: bad magic number 0x{data[:4].hex()}; an IDX file starts with two zero bytes (0x0000TTNN)")
    code, nd = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} {d.name}" for c, d in IDX_DTYPES.items())
        raise IDXError(f"{path}: unknown IDX dtype code 0x{code:02X} in the magic number; known codes: {known}")
    if nd == 0:
        raise IDXError(f"{path}: the magic number declares 0 dimensions")
    found = IDX_DTYPES[code]
    if dtype is not None and (found.kind, found.itemsize) != (np.dtype(dtype).kind, np.dtype(dtype).itemsize):
        raise IDXError(f"{path}: dtype code 0x{code:02X} ({found.name}); expected {np.dtype(dtype).name}")
    if ndim is not None and nd != ndim:
        raise IDXError(f"{path}: {nd} dimensions in the magic number; expected {ndim}")
    header = 4 + 4 * nd
    if len(data) < header:
        raise IDXError(f"{path}: truncated header ({len(data)} bytes; {nd} dimensions need {header})")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(nd))
    expected = header + found.itemsize * int(np.prod(shape, dtype=np.int64))
    if len(data) != expected:
        what = "truncated" if len(data) < expected else "has trailing bytes"
        raise IDXError(
            f"{path}: {what}: the header declares shape {shape} of {found.name} ({expected} bytes in all), the file holds {len(data)}"
        )
    arr = np.frombuffer(data, dtype=found, offset=header).reshape(shape)
    return arr.astype(found.newbyteorder("="))  # a native-order copy


def write_idx(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``); the inverse of :func:`read_idx`."""
    path = Path(path)
    array = np.asarray(array)
    codes = {(d.kind, d.itemsize): c for c, d in IDX_DTYPES.items()}
    if (array.dtype.kind, array.dtype.itemsize) not in codes:
        raise ValueError(f"array dtype {array.dtype} has no IDX code; allowed: {', '.join(d.name for d in IDX_DTYPES.values())}")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"array must have 1 to 255 dimensions; got {array.ndim}")
    code = codes[(array.dtype.kind, array.dtype.itemsize)]
    data = bytes([0, 0, code, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    data += np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
    return path


def _find(folder: Path, stem: str) -> Path | None:
    for name in (f"{stem}.gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def load_idx_pair(
    name: str,
    split: str,
    data_dir: str | os.PathLike | None,
    env_var: str,
    default_dirs: Sequence[str | os.PathLike],
    install: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Images (uint8, n x 28 x 28) and labels (int64, 0..9) of one split of an MNIST-format data set.

    Looks for ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`` in the first of ``data_dir``,
    ``$env_var`` and ``default_dirs`` that is set (see the module docstring); a missing file is a
    :class:`FileNotFoundError` naming the file, where its folder came from, and ``install``.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test'; got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    stems = {"images": f"{prefix}-images-idx3-ubyte", "labels": f"{prefix}-labels-idx1-ubyte"}
    if data_dir is not None:
        sources = [(f"data_dir={str(data_dir)!r}", Path(data_dir))]
    elif os.environ.get(env_var, "").strip():
        sources = [(f"{env_var}={os.environ[env_var].strip()!r}", Path(os.environ[env_var].strip()))]
    else:
        sources = [(f"the default folder {str(d)!r}", Path(d)) for d in default_dirs]
    if not sources:
        raise FileNotFoundError(f"{name} not found: no folder to look in (data_dir is None, {env_var} is not set). {install}")
    for where, folder in sources:
        found = {field: _find(folder, stem) for field, stem in stems.items()}
        if all(found.values()):
            break
        if any(found.values()) or not where.startswith("the default"):
            missing = [f"{field} file {folder / stem}[.gz]" for field, stem in stems.items() if found[field] is None]
            raise FileNotFoundError(f"{name} {split} split: missing {' and '.join(missing)} (folder from {where}). {install}")
    else:
        looked = ", ".join(str(folder) for _, folder in sources)
        raise FileNotFoundError(f"{name} not found: no {stems['images']}[.gz] in {looked} ({env_var} is not set). {install}")
    images = read_idx(found["images"], dtype=np.uint8, ndim=3)
    labels = read_idx(found["labels"], dtype=np.uint8, ndim=1)
    if len(images) != len(labels):
        raise IDXError(
            f"{name} {split} split: the images file {found['images']} holds {len(images)} images but the labels file "
            f"{found['labels']} holds {len(labels)} labels; the two files must come from the same release"
        )
    if labels.size and labels.max() > 9:
        raise IDXError(f"{found['labels']}: labels must be 0..9 (10 classes); found {int(labels.max())}")
    return images, labels.astype(np.int64)


def load_fashion_mnist(
    split: str = "train", data_dir: str | os.PathLike | None = None, default_dirs: Sequence[str | os.PathLike] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (Xiao et al. 2017): images (uint8, n x 28 x 28) and labels (int64, 0..9) of ``split``.

    60,000 training and 10,000 test images of 10 classes of clothing. Folder: ``data_dir``, else
    ``$MAD_FASHION_MNIST_DIR``, else Debian's ``/usr/share/datasets/fashion-mnist``
    (``default_dirs`` overrides the last). Never downloads.
    """
    dirs = FASHION_MNIST_DIRS if default_dirs is None else default_dirs
    return load_idx_pair("Fashion-MNIST", split, data_dir, "MAD_FASHION_MNIST_DIR", dirs, FASHION_MNIST_INSTALL)


def load_mnist(
    split: str = "train", data_dir: str | os.PathLike | None = None, default_dirs: Sequence[str | os.PathLike] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST (LeCun et al. 1998): images (uint8, n x 28 x 28) and labels (int64, 0..9) of ``split``.

    Folder: ``data_dir``, else ``$MAD_MNIST_DIR`` (no Debian package ships MNIST). Never downloads.
    """
    dirs = MNIST_DIRS if default_dirs is None else default_dirs
    return load_idx_pair("MNIST", split, data_dir, "MAD_MNIST_DIR", dirs, MNIST_INSTALL)


def image_pool(images: np.ndarray, labels: np.ndarray, name: str, n: int | None = None):
    """A :class:`mad.data.FinitePool` of the first ``n`` images (all when ``None``), flattened to rows in [0, 1].

    Pixel values 0..255 map to v/255; each 28x28 image becomes a row of 784 values (C order).
    """
    from mad.data import FinitePool
    from mad.validation import check_int

    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, height, width); got {images.shape}")
    if n is not None:
        n = check_int("n", n, minimum=1, maximum=len(images))
        images, labels = images[:n], np.asarray(labels)[:n]
    X = images.reshape(len(images), -1).astype(np.float64) / 255.0
    return FinitePool(X, np.asarray(labels, dtype=np.int64), name=name)


def fashion_mnist_pool(split: str = "train", n: int | None = None, data_dir: str | os.PathLike | None = None):
    """The first ``n`` Fashion-MNIST images of ``split`` as a :class:`mad.data.FinitePool` (784 pixels in [0, 1])."""
    return image_pool(*load_fashion_mnist(split, data_dir), name=f"fashion-mnist-{split}", n=n)


def mnist_pool(split: str = "train", n: int | None = None, data_dir: str | os.PathLike | None = None):
    """The first ``n`` MNIST images of ``split`` as a :class:`mad.data.FinitePool` (784 pixels in [0, 1])."""
    return image_pool(*load_mnist(split, data_dir), name=f"mnist-{split}", n=n)
