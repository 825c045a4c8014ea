"""Chapters read as prose: each notebook is a few lines per cell around its module in ``mad.chapters``.

Structural checks of the convention in ``mad/chapters/__init__.py`` (the numbers themselves are checked by
running every notebook at smoke scale, the nbval part of ``make test``):

* every chapter notebook has its module ``mad/chapters/<stem>.py`` and uses it; every module has a notebook;
* notebooks define no functions or classes and call ``glue`` only through ``glue_all``;
* no code cell is longer than :data:`MAX_CELL_LINES` lines, and visible cells are shorter still;
* a module's public functions have docstrings and return annotations, and its sizes are resolved at call
  time: no ``mad.by_scale``/``mad.seeds``/``mad.base_seed`` at import (module level), which would freeze the
  sizes of the ``MAD_SCALE`` the module was first imported under.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MODULES = sorted(p.stem for p in (ROOT / "mad" / "chapters").glob("*.py") if not p.stem.startswith("_"))
#: notebooks whose code is the point of the page (the environment table), or that only format a table of mad
WITHOUT_MODULE = {"appendix_reproducibility", "appendix_claims"}
#: longest code cell of a notebook, in non-blank lines (the tutorial cells of "Loops and sampling bias" teach the API)
MAX_CELL_LINES = 25
HIDDEN = {"remove-cell", "remove-input", "hide-input", "hide-cell"}


def _code_cells(path: Path) -> list[tuple[list[str], str]]:
    nb = json.loads(path.read_text())
    return [(c.get("metadata", {}).get("tags", []), "".join(c["source"])) for c in nb["cells"] if c["cell_type"] == "code"]


def _lines(source: str) -> int:
    return sum(1 for line in source.splitlines() if line.strip() and not line.strip().startswith("#"))


def test_there_are_chapter_modules() -> None:
    assert len(MODULES) >= 15, MODULES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_chapter_notebook_has_its_module_and_uses_it(path: Path) -> None:
    if path.stem in WITHOUT_MODULE:
        return
    assert path.stem in MODULES, f"mad/chapters/{path.stem}.py is missing"
    code = "\n".join(src for _, src in _code_cells(path))
    assert f"from mad.chapters import {path.stem} as chapter" in code


def test_each_module_has_its_notebook() -> None:
    stems = {p.stem for p in NOTEBOOKS}
    assert set(MODULES) <= stems, sorted(set(MODULES) - stems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_hold_no_helpers_and_glue_through_glue_all(path: Path) -> None:
    for _, source in _code_cells(path):
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        defined = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        assert not defined, f"{path.name} defines {defined}: move them to mad/chapters/{path.stem}.py"
        calls = [n.func for n in ast.walk(tree) if isinstance(n, ast.Call)]
        assert not any(isinstance(f, ast.Name) and f.id == "glue" for f in calls), f"{path.name} calls glue(); use glue_all"
        assert _lines(source) <= MAX_CELL_LINES, f"{path.name}: a code cell of {_lines(source)} lines"


@pytest.mark.parametrize("name", MODULES)
def test_module_functions_are_documented_and_annotated(name: str) -> None:
    module = importlib.import_module(f"mad.chapters.{name}")
    assert module.__doc__ and len(module.__doc__.strip()) > 80, f"mad.chapters.{name} needs a docstring"
    for fname, fn in inspect.getmembers(module, inspect.isfunction):
        if fname.startswith("_") or fn.__module__ != module.__name__:
            continue
        assert fn.__doc__, f"mad.chapters.{name}.{fname} has no docstring"
        assert "return" in fn.__annotations__, f"mad.chapters.{name}.{fname} has no return annotation"


@pytest.mark.parametrize("name", MODULES)
def test_module_resolves_sizes_at_call_time(name: str) -> None:
    tree = ast.parse((ROOT / "mad" / "chapters" / f"{name}.py").read_text())
    frozen = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                f = sub.func
                called = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if called in {"by_scale", "seeds", "base_seed", "scale"}:
                    frozen.append(f"line {sub.lineno}: {called}()")
    assert not frozen, f"mad/chapters/{name}.py reads the scale at import: {frozen}"


def test_hidden_code_is_small() -> None:
    """The whole book's notebook code: 3,983 lines (2,561 hidden) before the chapter modules, 465 (281) after."""
    total = hidden = 0
    for path in NOTEBOOKS:
        for tags, source in _code_cells(path):
            total += _lines(source)
            hidden += _lines(source) if HIDDEN & set(tags) else 0
    assert total <= 600 and hidden <= 350, (total, hidden)
