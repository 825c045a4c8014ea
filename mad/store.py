"""The result store: every expensive task is computed once, kept on disk under a content key.

A *task* is one :func:`mad.loops.run_loop` call (a dict of its keyword arguments: schedule, model,
data source, generations, metrics, seed, tags, curator). Its **content key** is the SHA-256 of a
canonical JSON description of the task (:func:`describe`) together with a hash of the source of the
whole ``mad`` package (:func:`code_hash`: coarse but safe, any change to ``mad`` invalidates every
entry; a change to a notebook's own function changes that function's description). Its result, the
tidy table, is written **atomically** (a temporary file in the same folder, then :func:`os.replace`)
as Parquet (pyarrow), next to a JSON record holding the SHA-256 of the Parquet bytes; a read checks
it, so a corrupt or truncated entry is reported, ignored and recomputed, never read.

How a task is described (:func:`describe`):

* numbers, strings, lists, tuples, dicts: by value (floats exactly, through ``repr``);
* NumPy arrays and pandas tables: dtype, shape and a SHA-256 of the bytes;
* models and other scikit-learn estimators: class, ``get_params(deep=False)`` and any other
  attribute (the fitted state of a fitted estimator);
* torch tensors, modules (their ``state_dict``) and generators: by value (hashed);
* dataclasses (schedules, data sources) and objects of classes defined in ``mad`` or in a notebook
  (metric objects, curators): class and attributes (objects of other packages are un-keyable,
  as they may keep state outside their attributes);
* functions of ``mad`` or of an installed package: their qualified name (``mad``'s code is in the
  code hash; a package's version is recorded);
* any other function (a lambda or closure in a notebook): its bytecode, constants, default values,
  the values in its closure and the values of the globals it names, each described in turn;
* an object may define ``__mad_key__()`` returning its description, or raising :class:`Unkeyable`.

Anything else (an open file, a generator, a lock, ...) makes the task **un-keyable**: it runs
every time and is never stored, so nothing is ever cached under a wrong key. ``first_model`` (a G_1
trained by the runner for the same seed and prototype, which by contract gives the same results as
training it again) and ``progress`` are left out of the key.

Which store (:func:`resolve_store`): an explicit ``store=`` argument (a folder, a :class:`Store`, or
``False`` for none); else the ``MAD_STORE`` environment variable (a folder; ``off`` or ``0``
disables it); else ``.mad_store/`` at the root of the repository (git-ignored, kept by ``make book``).
Under pytest (``PYTEST_CURRENT_TEST`` set) there is no default store, so tests always compute.
A fresh clone starts with an empty store, so a fresh build computes everything.

Layout: ``<root>/runs/<key[:2]>/<key>.parquet`` and ``<key>.json`` (written last: an entry exists
once its record does), ``<root>/arrays/...npz`` for sample arrays (:meth:`Store.save_arrays`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import sys
import tempfile
import types
import warnings
from collections.abc import Mapping
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ENV_STORE = "MAD_STORE"
DEFAULT_FOLDER = ".mad_store"
#: task fields that do not change a run's result (see the module docstring)
NOT_KEYED: frozenset[str] = frozenset({"first_model", "progress"})
_PACKAGE_ROOT = Path(__file__).resolve().parent


class Unkeyable(TypeError):
    """A task holds something without a stable description: it runs uncached."""


class CorruptEntry(ValueError):
    """A store entry failed its checksum or could not be parsed."""


# --------------------------------------------------------------------------------------------
# atomic files
# --------------------------------------------------------------------------------------------


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync, rename.

    A reader sees the old file or the new one, never a partial one, even if the writer is killed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_savez(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """:func:`numpy.savez` written atomically (see :func:`atomic_write_bytes`)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# the content key
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def code_hash() -> str:
    """SHA-256 over the path and bytes of every ``.py`` file of the ``mad`` package (sorted)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_ROOT.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE_ROOT).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _package_version(module: str) -> str:
    from importlib import metadata

    top = module.split(".")[0]
    try:
        return metadata.version({"sklearn": "scikit-learn", "ot": "POT"}.get(top, top))
    except metadata.PackageNotFoundError:
        return "unknown"


def _is_mad(module: str | None) -> bool:
    return bool(module) and (module == "mad" or module.startswith("mad."))


def _importable(obj: Any) -> bool:
    """A function or class reachable by its module and qualified name (not a lambda, not local)."""
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    return bool(module) and module != "__main__" and "<" not in qualname and not module.startswith("__")


def _code(code: types.CodeType, globals_: Mapping[str, Any], seen: tuple[int, ...]) -> dict[str, Any]:
    consts = [_code(c, globals_, seen) if isinstance(c, types.CodeType) else describe(c, seen) for c in code.co_consts]
    names = sorted(set(code.co_names))
    used = {n: describe(globals_[n], seen) for n in names if n in globals_ and n != "__builtins__"}
    return {"bytecode": sha256(code.co_code), "consts": consts, "names": names, "globals": used, "vars": list(code.co_varnames)}


def _function(fn: types.FunctionType, seen: tuple[int, ...]) -> Any:
    if _importable(fn) and fn.__closure__ is None:
        if _is_mad(fn.__module__):
            return {"function": f"{fn.__module__}.{fn.__qualname__}"}
        if not _is_local_source(fn):
            return {"function": f"{fn.__module__}.{fn.__qualname__}", "version": _package_version(fn.__module__)}
    cells = [describe(c.cell_contents, seen) for c in (fn.__closure__ or ())]
    return {
        "lambda": fn.__qualname__,
        "code": _code(fn.__code__, fn.__globals__, seen),
        "closure": cells,
        "defaults": describe(fn.__defaults__, seen),
        "kwdefaults": describe(fn.__kwdefaults__, seen),
    }


def _is_local_source(obj: Any) -> bool:
    """Defined in a file outside site-packages (a script or a notebook helper): described by code."""
    import inspect

    module = sys.modules.get(getattr(obj, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    if path is None:
        return module is None or getattr(module, "__spec__", None) is None
    return "site-packages" not in path and "dist-packages" not in path and not inspect.isbuiltin(obj) and "/lib/python" not in path


def _class(cls: type, seen: tuple[int, ...]) -> Any:
    name = f"{cls.__module__}.{cls.__qualname__}"
    if _is_mad(cls.__module__) or (_importable(cls) and not _is_local_source(cls)):
        return {"class": name}
    methods = {
        k: describe(v, seen)
        for k, v in sorted(vars(cls).items())
        if isinstance(v, (types.FunctionType, staticmethod, classmethod, property))
    }
    return {"class": name, "methods": methods, "bases": [describe(b, seen) for b in cls.__bases__ if b is not object]}


def describe(obj: Any, _seen: tuple[int, ...] = ()) -> Any:
    """A JSON-able description of ``obj`` that is equal for equal inputs across processes and runs.

    Raises :class:`Unkeyable` when ``obj`` (or something it holds) has no stable description.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return {"float": repr(float(obj))}
    if isinstance(obj, complex):
        return {"complex": repr(obj)}
    if isinstance(obj, bytes):
        return {"bytes": sha256(obj)}
    if id(obj) in _seen:
        return {"cycle": type(obj).__qualname__}
    seen = _seen + (id(obj),)
    hook = getattr(type(obj), "__mad_key__", None)
    if hook is not None and not isinstance(obj, type):
        return {"key": describe(obj.__mad_key__(), seen), "class": describe(type(obj), seen)}
    if isinstance(obj, (list, tuple)):
        return {type(obj).__name__: [describe(v, seen) for v in obj]}
    if isinstance(obj, (set, frozenset)):
        return {"set": sorted(json.dumps(describe(v, seen), sort_keys=True) for v in obj)}
    if isinstance(obj, Mapping):
        items = sorted(((json.dumps(describe(k, seen), sort_keys=True), describe(v, seen)) for k, v in obj.items()), key=lambda kv: kv[0])
        return {"dict": items}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return {"ndarray-object": [describe(v, seen) for v in obj.ravel().tolist()], "shape": list(obj.shape)}
        data = np.ascontiguousarray(obj)
        return {"ndarray": str(data.dtype), "shape": list(data.shape), "sha256": sha256(data.tobytes())}
    if isinstance(obj, (pd.DataFrame, pd.Series)):
        hashed = pd.util.hash_pandas_object(obj, index=True).to_numpy()
        columns = list(map(str, obj.columns)) if isinstance(obj, pd.DataFrame) else [str(obj.name)]
        return {"pandas": type(obj).__name__, "columns": columns, "sha256": sha256(hashed.tobytes())}
    if isinstance(obj, types.FunctionType):
        return _function(obj, seen)
    if isinstance(obj, (types.BuiltinFunctionType, np.ufunc)):
        module = getattr(obj, "__module__", None) or "builtins"
        return {
            "builtin": f"{module}.{getattr(obj, '__qualname__', getattr(obj, '__name__', repr(obj)))}",
            "version": _package_version(module),
        }
    if isinstance(obj, types.MethodType):
        return {"method": obj.__func__.__name__, "self": describe(obj.__self__, seen), "function": describe(obj.__func__, seen)}
    if isinstance(obj, partial):
        return {"partial": describe(obj.func, seen), "args": describe(obj.args, seen), "keywords": describe(obj.keywords, seen)}
    if isinstance(obj, types.ModuleType):
        return {"module": obj.__name__, "version": "mad" if _is_mad(obj.__name__) else _package_version(obj.__name__)}
    if isinstance(obj, type):
        return _class(obj, seen)
    if isinstance(obj, (staticmethod, classmethod)):
        return {type(obj).__name__: describe(obj.__func__, seen)}
    if isinstance(obj, property):
        return {"property": [describe(f, seen) for f in (obj.fget, obj.fset)]}
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(obj, torch.Tensor):
            data = obj.detach().cpu().contiguous()
            return {"tensor": str(data.dtype), "shape": list(data.shape), "sha256": sha256(data.view(torch.uint8).numpy().tobytes())}
        if isinstance(obj, torch.nn.Module):
            return {"module": _class(type(obj), seen), "state": describe(dict(obj.state_dict()), seen), "training": obj.training}
        if isinstance(obj, torch.Generator):
            return {"torch-generator": describe(obj.get_state(), seen)}
    from sklearn.base import BaseEstimator

    if isinstance(obj, BaseEstimator):
        # parameters, and any fitted state (a fitted estimator inside a metric or a curator)
        params = obj.get_params(deep=False)
        fitted = {k: v for k, v in vars(obj).items() if k not in params}
        return {"estimator": _class(type(obj), seen), "params": describe(params, seen), "state": describe(fitted, seen)}
    if dataclasses.is_dataclass(obj):
        fields = {f.name: describe(getattr(obj, f.name), seen) for f in dataclasses.fields(obj)}
        return {"dataclass": _class(type(obj), seen), "fields": fields}
    if isinstance(obj, np.random.Generator):
        return {"generator": describe(obj.bit_generator.state, seen)}
    state = getattr(obj, "__dict__", None)
    cls = type(obj)
    if state is not None and (_is_mad(cls.__module__) or _is_local_source(cls)):
        # objects of mad or of a notebook/script: their state is their attributes (objects of an
        # installed package may keep state outside __dict__, so they are not described this way)
        return {"object": _class(cls, seen), "state": describe(state, seen)}
    raise Unkeyable(f"cannot describe an object of type {cls.__module__}.{cls.__qualname__} for the result store")


def task_key(task: Mapping[str, Any], kind: str = "run_loop") -> str:
    """The content key of a task (hex SHA-256); raises :class:`Unkeyable` when it has none."""
    keyed = {k: v for k, v in task.items() if k not in NOT_KEYED}
    payload = {"kind": kind, "task": describe(keyed), "code": code_hash()}
    return sha256(json.dumps(payload, sort_keys=True, allow_nan=True).encode())


def try_task_key(task: Mapping[str, Any], kind: str = "run_loop") -> str | None:
    """:func:`task_key`, or ``None`` when the task is un-keyable (it then runs uncached)."""
    try:
        return task_key(task, kind)
    except Exception:  # Unkeyable, RecursionError, or an object that fails while being described
        return None


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------


class Store:
    """An on-disk store of tidy result tables (Parquet) and sample arrays (``.npz``) under content keys.

    Writes are atomic (:func:`atomic_write_bytes`); reads check a SHA-256 checksum and treat a
    mismatch as a miss (with a warning), so a corrupt entry is recomputed and replaced, never read.
    """

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise ValueError(f"store root {str(self.root)!r} exists and is not a folder")

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def __mad_key__(self) -> str:
        return "store"  # where results are kept does not change them

    # -- tables -------------------------------------------------------------------------------

    def _paths(self, key: str, folder: str = "runs", suffix: str = ".parquet") -> tuple[Path, Path]:
        if len(key) < 3 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"store key must be a hex digest; got {key!r}")
        base = self.root / folder / key[:2] / key
        return base.with_suffix(suffix), base.with_suffix(".json")

    def __contains__(self, key: str) -> bool:
        return self._paths(key)[1].exists()

    def get(self, key: str) -> pd.DataFrame | None:
        """The table stored under ``key``; ``None`` when absent or corrupt (corrupt entries warn)."""
        try:
            return self.read(key)
        except FileNotFoundError:
            return None
        except CorruptEntry as err:
            warnings.warn(f"{err}; it will be recomputed", RuntimeWarning, stacklevel=2)
            return None

    def read(self, key: str) -> pd.DataFrame:
        """The table under ``key``; raises :class:`FileNotFoundError` or :class:`CorruptEntry`."""
        data_path, meta_path = self._paths(key)
        data = self._checked(key, data_path, meta_path)
        try:
            return pd.read_parquet(io.BytesIO(data))
        except Exception as err:  # pragma: no cover - the checksum catches damage first
            raise CorruptEntry(f"store entry {data_path} cannot be read as Parquet: {err}") from err

    def _checked(self, key: str, data_path: Path, meta_path: Path) -> bytes:
        raw = meta_path.read_bytes()
        try:
            meta = json.loads(raw)
            expected = meta["sha256"]
        except (ValueError, KeyError, TypeError) as err:
            raise CorruptEntry(f"store record {meta_path} is unreadable ({err})") from err
        if meta.get("key") != key:
            raise CorruptEntry(f"store record {meta_path} belongs to key {meta.get('key')!r}")
        try:
            data = data_path.read_bytes()
        except FileNotFoundError as err:
            raise CorruptEntry(f"store entry {data_path} is missing") from err
        if sha256(data) != expected:
            raise CorruptEntry(f"store entry {data_path} fails its checksum (truncated or damaged)")
        return data

    def put(self, key: str, frame: pd.DataFrame, info: Mapping[str, Any] | None = None) -> bool:
        """Store ``frame`` under ``key`` (data first, then the record); ``False`` (with a warning)
        when the table cannot be written as Parquet, for example a column of mixed types."""
        data_path, meta_path = self._paths(key)
        buffer = io.BytesIO()
        try:
            frame.to_parquet(buffer, index=False)
        except Exception as err:
            warnings.warn(f"result not stored (Parquet cannot hold it: {err})", RuntimeWarning, stacklevel=2)
            return False
        data = buffer.getvalue()
        atomic_write_bytes(data_path, data)
        meta = {"key": key, "sha256": sha256(data), "bytes": len(data), "rows": len(frame), "code": code_hash(), **(info or {})}
        atomic_write_bytes(meta_path, json.dumps(meta, sort_keys=True, default=str).encode())
        return True

    # -- arrays -------------------------------------------------------------------------------

    def save_arrays(self, key: str, **arrays: np.ndarray) -> None:
        """Store named arrays (``.npz``) under ``key``, atomically, with a checksum."""
        data_path, meta_path = self._paths(key, "arrays", ".npz")
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        data = buffer.getvalue()
        atomic_write_bytes(data_path, data)
        atomic_write_bytes(meta_path, json.dumps({"key": key, "sha256": sha256(data), "bytes": len(data), "code": code_hash()}).encode())

    def load_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        """The arrays under ``key``; ``None`` when absent or corrupt (corrupt entries warn)."""
        data_path, meta_path = self._paths(key, "arrays", ".npz")
        try:
            data = self._checked(key, data_path, meta_path)
        except FileNotFoundError:
            return None
        except CorruptEntry as err:
            warnings.warn(f"{err}; it will be recomputed", RuntimeWarning, stacklevel=2)
            return None
        with np.load(io.BytesIO(data)) as npz:
            return {name: npz[name] for name in npz.files}

    def keys(self) -> list[str]:
        """Keys of the stored tables."""
        return sorted(p.stem for p in (self.root / "runs").glob("*/*.json"))

    # -- housekeeping -------------------------------------------------------------------------

    def entries(self) -> pd.DataFrame:
        """One row per entry (tables and arrays): ``folder, key, bytes, current``, where ``current`` says
        whether it was written by the present ``mad`` code (:func:`code_hash`). Only current entries can
        ever be read again: every key contains the code hash, so a change to ``mad`` orphans the rest."""
        rows, now = [], code_hash()
        for folder, suffix in (("runs", ".parquet"), ("arrays", ".npz")):
            for meta_path in sorted((self.root / folder).glob("*/*.json")):
                try:
                    meta = json.loads(meta_path.read_text())
                except (OSError, ValueError):
                    meta = {}
                data_path = meta_path.with_suffix(suffix)
                size = (data_path.stat().st_size if data_path.exists() else 0) + meta_path.stat().st_size
                rows.append({"folder": folder, "key": meta_path.stem, "bytes": size, "current": meta.get("code") == now})
        return pd.DataFrame(rows, columns=["folder", "key", "bytes", "current"])

    def prune(self, dry_run: bool = False) -> tuple[int, int]:
        """Delete every entry not written by the present ``mad`` code (see :meth:`entries`; arrays written
        before their records held the code hash count as stale); return ``(entries, bytes)`` removed.

        Safe at any time: the store is a cache, and a pruned entry is recomputed when asked for again.
        With ``dry_run=True`` nothing is deleted and the return value says what would be.
        """
        stale = self.entries()
        stale = stale[~stale.current]
        if not dry_run:
            for folder, key in zip(stale.folder, stale.key):
                suffix = ".parquet" if folder == "runs" else ".npz"
                data_path, meta_path = self._paths(key, folder, suffix)
                meta_path.unlink(missing_ok=True)  # the record first: an entry exists only while its record does
                data_path.unlink(missing_ok=True)
        return len(stale), int(stale.bytes.sum())


def repository_root() -> Path | None:
    """The folder holding the ``mad`` package and ``pyproject.toml`` (a source checkout), if any."""
    root = _PACKAGE_ROOT.parent
    return root if (root / "pyproject.toml").exists() else None


def default_store() -> Store | None:
    """The store from ``MAD_STORE``, else ``.mad_store/`` in the repository; ``None`` under pytest
    (unless ``MAD_STORE`` names a folder), with ``MAD_STORE=off`` or outside a source checkout."""
    raw = os.environ.get(ENV_STORE)
    if raw is not None:
        raw = raw.strip()
        if raw.lower() in ("", "0", "off", "none", "false"):
            return None
        return Store(raw)
    if os.environ.get("PYTEST_CURRENT_TEST"):
        return None
    root = repository_root()
    return Store(root / DEFAULT_FOLDER) if root is not None else None


def resolve_store(store: Store | str | os.PathLike | bool | None) -> Store | None:
    """``None``: :func:`default_store`; ``False``: no store; a folder or a :class:`Store`: that store."""
    if store is None or store is True:
        return default_store()
    if store is False:
        return None
    if isinstance(store, Store):
        return store
    if isinstance(store, (str, os.PathLike)):
        return Store(store)
    raise TypeError(f"store must be None, False, a folder or a mad.store.Store; got {type(store).__name__}")


__all__ = [
    "ENV_STORE",
    "CorruptEntry",
    "Store",
    "Unkeyable",
    "atomic_savez",
    "atomic_write_bytes",
    "code_hash",
    "default_store",
    "describe",
    "resolve_store",
    "task_key",
    "try_task_key",
]
