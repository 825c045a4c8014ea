"""Offline math and the page checker: the book loads MathJax from its own static files, and the
browser check (``tests/browser/check_pages.py``, run by ``make check-pages``) catches what it should.

The configuration tests are instant; the browser test builds a two-page site in a temporary folder
and is skipped when Chromium is not installed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_vendor" / "mathjax"

_spec = importlib.util.spec_from_file_location("check_pages", ROOT / "tests" / "browser" / "check_pages.py")
check_pages = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("check_pages", check_pages)
_spec.loader.exec_module(check_pages)


def _sphinx_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]


def test_mathjax_path_is_a_local_file_in_a_static_folder():
    cfg = _sphinx_config()
    path = cfg["mathjax_path"]
    assert not check_pages._is_offsite(path), f"mathjax_path={path!r} loads MathJax from another site"
    found = [ROOT / folder / path for folder in cfg["html_static_path"] if (ROOT / folder / path).is_file()]
    assert found, f"mathjax_path={path!r} is not a file under html_static_path={cfg['html_static_path']!r}"
    assert found[0].stat().st_size > 500_000, "the MathJax component looks truncated"


def test_vendored_mathjax_matches_its_manifest():
    lines = (VENDOR / "SHA256SUMS").read_text().split("\n")
    listed = {}
    for line in filter(None, lines):
        digest, name = line.split("  ", 1)
        listed[name] = digest
    present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()} - {"SHA256SUMS", "README.md"}
    assert present == set(listed), f"files differ from SHA256SUMS: extra {present - set(listed)}, missing {set(listed) - present}"
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, f"{name} differs from SHA256SUMS"
    # MathJax loads its CommonHTML fonts relative to its own script: they must sit beside it.
    assert len(list((VENDOR / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))) >= 20
    assert "Apache License" in (VENDOR / "LICENSE").read_text()


def test_jupyter_book_does_not_add_mathjax_to_every_page():
    """Jupyter Book adds every ``*.js`` under the static folders to every page when a ``_static`` folder exists;
    MathJax must only come through ``mathjax_path`` (once, on pages with math)."""
    from jupyter_book.config import get_final_config

    cfg, _ = get_final_config(user_yaml=ROOT / "_config.yml", cli_config={"latex_individualpages": False}, sourcedir=ROOT)
    assert "_vendor" in cfg["html_static_path"]
    assert not any("mathjax" in str(js).lower() for js in cfg.get("html_js_files") or []), cfg.get("html_js_files")


def test_toc_pages_lists_every_chapter_in_order():
    pages = check_pages.toc_pages(ROOT / "_toc.yml")
    assert pages[0] == yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert f"notebooks/{nb.stem}" in pages
    assert len(pages) == len(set(pages))


def test_offsite_resources_lists_fetched_tags_only():
    page = """<html><head>
    <script src="_static/mathjax/tex-chtml-full.js"></script>
    <script src="https://cdn.example.org/mathjax.js"></script>
    <link rel="stylesheet" href="//fonts.example.org/a.css">
    <link rel="canonical" href="https://book.example.org/page.html">
    </head><body><a href="https://example.org">a link is not fetched</a><img src="http://x.example.org/i.png"></body></html>"""
    found = check_pages.offsite_resources(page)
    assert found == ["<script> https://cdn.example.org/mathjax.js", "<link> //fonts.example.org/a.css", "<img> http://x.example.org/i.png"]


def test_source_expectations_reads_figure_names_and_math(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "The variance $\\sigma^2$ shrinks, see {numref}`fig-a_b`.\n\n```{glue:figure} key\n:name: tbl-x\n\nCaption.\n```"
        ),
        nbformat.v4.new_code_cell("plot()", metadata={"mystnb": {"figure": {"name": "fig-a_b", "caption": "A."}}}),
    ]
    path = tmp_path / "ch.ipynb"
    nbformat.write(nb, path)
    ids, has_math = check_pages.source_expectations(path)
    assert ids == ["fig-a-b", "tbl-x"] and has_math
    (tmp_path / "plain.md").write_text("# Title\n\nNo formulas, it costs 5 dollars.\n")
    assert check_pages.source_expectations(tmp_path / "plain.md") == ([], False)
    (tmp_path / "code.md").write_text("Raw `$$` or `\\begin{x}` in code.\n\n```bash\necho $$ $x\\y$\n```\n\n```{nb-exec-table}\n```\n")
    assert check_pages.source_expectations(tmp_path / "code.md") == ([], False)


def _probe(**kw):
    base = {
        "text": "Plain prose.",
        "mathjax": True,
        "math": 2,
        "mathRendered": 2,
        "images": [{"src": "a.png", "ok": True}],
        "figures": [{"id": "fig-a", "caption": True, "number": "Fig. 2.1"}],
        "unlinked": [],
        "numrefs": ["Fig. 2.1"],
        "errorNodes": 0,
        "errorOutputs": 0,
        "citations": 1,
        "citationsUnresolved": [],
    }
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": "a formula $$x^2$$ left raw"}, "raw TeX"),
        ({"text": "inline \\(x\\) left raw"}, "raw TeX"),
        ({"text": "dollar math $\\sigma^2$ not parsed"}, "raw TeX"),
        ({"mathRendered": 1}, "MathJax rendered 1 of 2"),
        ({"mathjax": False}, "MathJax did not load"),
        ({"images": [{"src": "gone.png", "ok": False}]}, "image did not load: gone.png"),
        ({"figures": [{"id": "fig-a", "caption": True, "number": None}]}, "caption without a number"),
        ({"figures": []}, "'fig-a' named in the source is not on the page"),
        ({"unlinked": ["fig-missing"]}, "unresolved cross-reference"),
        ({"numrefs": ["Fig. {number}"]}, "reference without a number"),
        ({"text": "see Fig. ?? above"}, "unresolved text"),
        ({"errorNodes": 1}, "docutils error nodes"),
        ({"citationsUnresolved": ["id1: []"]}, "unresolved citation"),
        ({"errorOutputs": 1}, "show an error (traceback) output"),
    ],
)
def test_evaluate_flags_each_defect(change, message):
    assert check_pages.evaluate("p", _probe(), ["fig-a"], True, []).failures == []
    failures = check_pages.evaluate("p", _probe(**change), ["fig-a"], True, []).failures
    assert any(message in f for f in failures), failures


def test_evaluate_requires_math_where_the_source_has_math():
    no_math = _probe(math=0, mathRendered=0)
    assert check_pages.evaluate("p", no_math, [], False, []).failures == []
    assert check_pages.evaluate("p", no_math, [], True, []).failures == ["the source has math but the page has no math element"]


CHROMIUM = check_pages.find_chromium(None)


@pytest.mark.skipif(CHROMIUM is None or importlib.util.find_spec("playwright") is None, reason="needs Chromium and Playwright")
def test_checker_in_chromium_passes_a_good_page_and_catches_a_bad_one(tmp_path):
    """Two pages served offline: one with vendored MathJax, a figure and a resolved reference passes;
    one with raw TeX, a missing image, an unresolved reference, a script error and an off-site script fails on each."""
    import shutil

    site = tmp_path / "html"
    shutil.copytree(VENDOR, site / "_static" / "mathjax")
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a1b2c8250000000049454e44ae426082"
    )
    (site / "dot.png").write_bytes(png)
    head = "<!doctype html><meta charset='utf-8'><script defer src='_static/mathjax/tex-chtml-full.js'></script>"
    (site / "index.html").write_text(
        head + "<p>Variance <span class='math notranslate nohighlight'>\\(\\sigma^2\\)</span>, see "
        "<a class='reference internal' href='#fig-dot'><span class='std std-numref'>Fig. 1.1</span></a>.</p>"
        "<div class='math notranslate nohighlight'>\\[\\sum_i x_i^2\\]</div>"
        "<figure id='fig-dot'><img src='dot.png'><figcaption><p><span class='caption-number'>Fig. 1.1 </span>A dot.</p></figcaption></figure>"
    )
    (site / "bad.html").write_text(
        "<!doctype html><meta charset='utf-8'><script src='https://cdn.example.org/x.js'></script>"
        "<p>Raw $$x^2$$ and <span class='xref std std-numref'>fig-gone</span>, <span class='bibtex-citation' id='id1'>[]</span>.</p>"
        "<img src='missing.png'>"
        "<figure id='fig-b'><figcaption><p>No number.</p></figcaption></figure><script>undefined_function()</script>"
    )
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: index\nchapters:\n  - file: bad\n")
    (tmp_path / "index.md").write_text("Variance $\\sigma^2$.\n\n```{figure} dot.png\n:name: fig-dot\n\nA dot.\n```\n")
    shots = tmp_path / "shots"
    shots.mkdir()
    good, bad = check_pages.check_site(site, check_pages.toc_pages(toc), tmp_path, CHROMIUM, shots)
    assert good.failures == [], good.failures
    assert good.math == 2 and good.images == 1 and good.figures == 1 and good.references == 1
    joined = "\n".join(bad.failures)
    for message in (
        "raw TeX",
        "image did not load: missing.png",
        "unresolved cross-reference: 'fig-gone'",
        "unresolved citation",
        "caption without a number",
        "uncaught exception",
        "off-site request blocked: https://cdn.example.org/x.js",
        "off-site resource tag: <script> https://cdn.example.org/x.js",
        "HTTP 404",
    ):
        assert message in joined, f"{message!r} not in {bad.failures}"
    assert (shots / "index.png").stat().st_size > 0 and (shots / "bad.png").stat().st_size > 0
    check_pages.write_index(shots, [good, bad], 1.0, "test")
    assert json.loads((shots / "report.json").read_text())["pages"][1]["failures"] == bad.failures


def test_unique_scripts_drops_the_repeated_inline_script():
    """The book's Sphinx extension keeps one copy of a script that Sphinx lists twice (``None`` and ``''`` file names)."""
    from sphinx.builders.html._assets import _JavaScript

    spec = importlib.util.spec_from_file_location("unique_scripts", ROOT / "_ext" / "unique_scripts.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    body = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("_static/a.js"), _JavaScript(None, body=body), _JavaScript("_static/b.js"), _JavaScript("", body=body)]
    context = {"script_files": scripts}
    ext.unique_scripts(None, "page", "page.html", context, None)
    assert context["script_files"] is scripts
    assert [(js.filename, js.attributes) for js in scripts] == [("_static/a.js", {}), (None, {"body": body}), ("_static/b.js", {})]
