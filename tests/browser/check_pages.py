"""Open every chapter of the built book in headless Chromium, offline, and check what a reader sees.

``make check-pages`` runs this after ``make book``. The built HTML (``_build/html``) is served from a
local HTTP server on 127.0.0.1; Chromium (Debian's ``chromium``, driven by Playwright) resolves no
other host (``--host-resolver-rules``) and every request that is not for the local server is aborted
and reported, so the pages are checked as a reader without network access sees them. On every page
of ``_toc.yml`` the checks are:

- **math rendered**: no raw TeX (``$$``, ``\\(``, ``\\[``, ``\\begin{``, ``$..\\cmd..$``) left in the text
  outside code, and every Sphinx math element (``.math``) holds MathJax output (``mjx-container``);
  a chapter whose source has math must have math elements;
- **figures loaded**: every ``<img>`` finished loading with ``naturalWidth > 0``;
- **numbering and references resolved**: every ``<figure>`` caption carries a number (``Fig. 3.2``),
  every figure named in the chapter's source (``mystnb.figure.name``, ``:name:`` of a figure
  directive) is on the page with its number, no cross-reference is left unlinked (Sphinx renders
  an undefined label as a bare ``span.xref``), every citation links to the bibliography, and no
  ``{number}``, ``??``, literal role text (``{numref}``, ``{cite:t}``...) or docutils error node
  (``.problematic``, ``.system-message``) is left;
- **no errors**: no console error, uncaught page exception, failed or off-site request, HTTP error,
  or code cell showing a traceback;

and a screenshot of each page (its top 6000 CSS pixels by default) is saved to
``<html>/_static/screenshots/<page>.png``, with an ``index.html`` and a ``report.json`` beside them, so the built book links to what was checked. The
static check :func:`offsite_resources` also scans the tags of every other built HTML file (index,
search...) for anything that would load from another site.

Usage: ``python tests/browser/check_pages.py [--html _build/html] [--chromium /usr/bin/chromium]``.
Exit status 1 if any check fails, 2 if the book or Chromium is missing.
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import yaml
from docutils.nodes import make_id

ROOT = Path(__file__).resolve().parents[2]

#: Link relations whose ``href`` the browser fetches (``canonical``, ``alternate``... are not fetched).
FETCHED_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "apple-touch-icon", "manifest"}

#: Raw TeX a reader must never see (outside code blocks): display or inline delimiters, environments,
#: and a ``$...$`` span that holds a TeX command (dollar math that was not parsed).
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^$\n]{0,200}\\[A-Za-z]+[^$\n]{0,200}\$")
#: What Sphinx/MyST leave when a reference, number or role is not resolved.
UNRESOLVED = re.compile(r"\?\?|\{number\}|\{name\}|undefined label|\{(?:numref|ref|eq|doc|cite(?::[a-z]+)?|glue(?::[a-z]+)?)\}")
#: A figure number as Sphinx writes it with ``numfig`` (``Fig. 3``, ``Fig. 3.2``).
FIG_NUMBER = re.compile(r"^Fig\.\s+\d+(?:\.\d+)*\.?$")
#: Figure directives in markdown (MyST backtick or colon fences) and their ``:name:`` option.
FIG_DIRECTIVE = re.compile(r"^(?:```+|:::+)\{(?:figure|glue:figure)\}[^\n]*\n((?::[^\n]*\n)*)", re.MULTILINE)
NAME_OPTION = re.compile(r"^:name:\s*(\S+)", re.MULTILINE)
#: Dollar math or a math directive/role in markdown source.
SOURCE_MATH = re.compile(r"\$[^$\n]+\$|\$\$|\{math\}|\\begin\{")
CODE_FENCE = re.compile(r"^(`{3,}|~{3,})(?!\{)[^\n]*\n.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
FENCE_LINE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|:{3,}).*$", re.MULTILINE)
INLINE_CODE = re.compile(r"(`+)[^`\n].*?\1")


class _ResourceTags(HTMLParser):
    """Collect the URLs that tags in one HTML file make the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "link":
            rels = set(a.get("rel", "").lower().split())
            if rels & FETCHED_RELS:
                self.urls.append((tag, a.get("href", "")))
        elif tag in {"script", "img", "iframe", "source", "video", "audio", "embed", "track"}:
            for key in ("src", "srcset"):
                if a.get(key):
                    self.urls.append((tag, a[key].split()[0]))
        elif tag == "object" and a.get("data"):
            self.urls.append((tag, a["data"]))


def _is_offsite(url: str) -> bool:
    """True for an absolute ``http(s)``/protocol-relative URL (a request to another host)."""
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url.strip(), re.IGNORECASE)) or url.strip().lower().startswith(("http:", "https:"))


def offsite_resources(html_text: str) -> list[str]:
    """The fetched resources (``<script src>``, ``<link rel=stylesheet href>``, ``<img src>``...) of one HTML page
    that point at another site, as ``"<tag> <url>"`` strings; links a reader clicks (``<a href>``) are not fetched
    and not listed."""
    parser = _ResourceTags()
    parser.feed(html_text)
    return [f"<{tag}> {url}" for tag, url in parser.urls if _is_offsite(url)]


def toc_pages(toc_path: Path) -> list[str]:
    """Every page of a jb-book ``_toc.yml`` (root first), as paths without suffix, in reading order."""
    toc = yaml.safe_load(toc_path.read_text())
    pages = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return pages


def source_expectations(source: Path) -> tuple[list[str], bool]:
    """The HTML ids of the figures a page's source names, and whether its text has math.

    Figures are the ``mystnb.figure.name`` of code cells and the ``:name:`` of ``{figure}`` /
    ``{glue:figure}`` directives; the id is docutils' :func:`make_id` of the name, as Sphinx writes it.
    """
    if source.suffix == ".ipynb":
        nb = nbformat.read(source, as_version=4)
        names = [c.metadata["mystnb"]["figure"]["name"] for c in nb.cells if "name" in c.metadata.get("mystnb", {}).get("figure", {})]
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        names, markdown = [], source.read_text()
    for options in FIG_DIRECTIVE.findall(markdown):
        names += NAME_OPTION.findall(options)
    return [make_id(n) for n in names], bool(SOURCE_MATH.search(strip_code(markdown)))


def strip_code(markdown: str) -> str:
    """Markdown without code: fenced blocks that are not directives (```` ```bash ````), the fence lines of
    directives (their content is kept) and inline code spans."""
    markdown = FENCE_LINE.sub("", CODE_FENCE.sub("", markdown))
    return INLINE_CODE.sub("", markdown)


# Runs in the page once it has loaded and MathJax has finished: returns what the checks need.
PAGE_PROBE = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => (i.complete ? null : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); }))));
  const SKIP = 'pre, code, script, style, textarea, mjx-container, .highlight, .cell_input';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (el && !el.closest(SKIP)) parts.push(walker.currentNode.nodeValue);
  }
  const figures = Array.from(document.querySelectorAll('figure')).map(f => {
    const cap = f.querySelector('figcaption');
    const num = cap && cap.querySelector('.caption-number');
    return {id: f.id || '', caption: !!cap, number: num ? num.textContent.trim() : null};
  });
  const refSel = '.std-numref, .std-ref, .std-doc, .xref.eq';
  const unlinked = Array.from(document.querySelectorAll(refSel)).filter(e => !e.closest('a')).map(e => e.textContent.trim());
  const numrefs = Array.from(document.querySelectorAll('a .std-numref')).map(e => e.textContent.trim());
  const maths = Array.from(document.querySelectorAll('.math'));
  const cites = Array.from(document.querySelectorAll('.bibtex-citation'));
  return {
    text: parts.join(' '),
    mathjax: !!(window.MathJax && MathJax.version),
    math: maths.length,
    mathRendered: maths.filter(m => m.querySelector('mjx-container')).length,
    images: imgs.map(i => ({src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0})),
    figures: figures,
    unlinked: unlinked,
    numrefs: numrefs,
    errorNodes: document.querySelectorAll('.problematic, .system-message').length,
    errorOutputs: document.querySelectorAll('.output.traceback, .output.error').length,
    citations: cites.length,
    citationsUnresolved: cites.filter(c => !c.querySelector('a')).map(c => c.id + ': ' + c.textContent.trim()),
  };
}
"""


@dataclass
class PageResult:
    """What was seen on one page and which checks failed."""

    page: str
    seconds: float = 0.0
    math: int = 0
    images: int = 0
    figures: int = 0
    references: int = 0
    failures: list[str] = field(default_factory=list)


def evaluate(page: str, probe: dict, expected_ids: list[str], source_has_math: bool, events: list[str]) -> PageResult:
    """Turn the in-page probe and the browser events of one page into a :class:`PageResult`."""
    res = PageResult(page, math=probe["math"], images=len(probe["images"]), figures=len(probe["figures"]), references=len(probe["numrefs"]))
    fail = res.failures.append
    for m in RAW_TEX.finditer(probe["text"]):
        lo = max(m.start() - 40, 0)
        fail(f"raw TeX in the rendered text: ...{probe['text'][lo : m.end() + 40]!r}...")
        break
    if source_has_math and probe["math"] == 0:
        fail("the source has math but the page has no math element")
    if probe["math"] and not probe["mathjax"]:
        fail(f"{probe['math']} math elements but MathJax did not load")
    elif probe["mathRendered"] < probe["math"]:
        fail(f"MathJax rendered {probe['mathRendered']} of {probe['math']} math elements")
    for img in probe["images"]:
        if not img["ok"]:
            fail(f"image did not load: {img['src']}")
    for fig in probe["figures"]:
        if fig["caption"] and not (fig["number"] and FIG_NUMBER.match(fig["number"])):
            fail(f"figure {fig['id'] or '(no id)'} has a caption without a number: {fig['number']!r}")
    on_page = {f["id"] for f in probe["figures"]}
    for fid in expected_ids:
        if fid not in on_page:
            fail(f"figure {fid!r} named in the source is not on the page")
    for text in probe["unlinked"]:
        fail(f"unresolved cross-reference: {text!r}")
    for text in probe.get("citationsUnresolved", []):
        fail(f"unresolved citation (no link to the bibliography): {text!r}")
    for text in probe["numrefs"]:
        if not re.search(r"\d", text) or "{" in text:
            fail(f"reference without a number: {text!r}")
    m = UNRESOLVED.search(probe["text"])
    if m:
        lo = max(m.start() - 40, 0)
        fail(f"unresolved text: ...{probe['text'][lo : m.end() + 40]!r}...")
    if probe.get("errorOutputs"):
        fail(f"{probe['errorOutputs']} code cells show an error (traceback) output")
    if probe["errorNodes"]:
        fail(f"{probe['errorNodes']} docutils error nodes (.problematic/.system-message)")
    res.failures.extend(events)
    return res


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - signature of the base class
        pass


def serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a daemon thread; returns the server and its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def find_chromium(explicit: str | None) -> str | None:
    """The Chromium binary: ``explicit``, ``$CHROMIUM``, or ``chromium`` / ``chromium-browser`` on the PATH."""
    for candidate in (explicit, os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def check_site(
    html_dir: Path, pages: list[str], sources: Path, chromium: str, shots: Path | None, max_height: int = 6000
) -> list[PageResult]:
    """Open each page of the site in ``html_dir`` offline in Chromium, run the checks, and save a screenshot of
    each page (its first ``max_height`` CSS pixels, 1280 wide: full-page captures of the longest pages cost
    seconds each and megabytes) to ``shots``."""
    from playwright.sync_api import sync_playwright

    server, base = serve(html_dir)
    results = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium,
                args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-background-networking", "--no-first-run"],
            )
            context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1, service_workers="block")
            events: list[str] = []
            blocked: set[str] = set()

            def route(r) -> None:  # every request: only the local server is reachable
                if urlsplit(r.request.url).netloc == urlsplit(base).netloc or r.request.url.startswith(("data:", "blob:")):
                    r.continue_()
                else:
                    events.append(f"off-site request blocked: {r.request.url}")
                    blocked.add(r.request.url)
                    r.abort("blockedbyclient")

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda msg: events.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
            page.on("pageerror", lambda exc: events.append(f"uncaught exception: {exc}"))
            page.on(
                "requestfailed", lambda req: None if req.url in blocked else events.append(f"request failed: {req.url} ({req.failure})")
            )
            page.on("response", lambda resp: events.append(f"HTTP {resp.status}: {resp.url}") if resp.status >= 400 else None)
            for name in pages:
                start = time.perf_counter()
                events.clear()
                html_file = html_dir / f"{name}.html"
                if not html_file.exists():
                    results.append(PageResult(name, failures=[f"{html_file} was not built"]))
                    continue
                page.goto(base + f"{name}.html", wait_until="load")
                probe = page.evaluate(PAGE_PROBE)
                if shots is not None:  # the page from its top, at most max_height CSS pixels of it
                    height = min(page.evaluate("document.documentElement.scrollHeight"), max_height)
                    clip = {"x": 0, "y": 0, "width": 1280, "height": height}
                    page.screenshot(path=str(shots / f"{Path(name).name}.png"), full_page=True, clip=clip)
                src = next((sources / f"{name}{ext}" for ext in (".ipynb", ".md") if (sources / f"{name}{ext}").exists()), None)
                expected, has_math = source_expectations(src) if src else ([], False)
                res = evaluate(name, probe, expected, has_math, list(dict.fromkeys(events)))
                res.failures += [f"off-site resource tag: {t}" for t in offsite_resources(html_file.read_text(encoding="utf-8"))]
                res.seconds = time.perf_counter() - start
                results.append(res)
            browser.close()
    finally:
        server.shutdown()
    return results


def write_index(shots: Path, results: list[PageResult], seconds: float, chromium_version: str) -> None:
    """Write ``report.json`` and an ``index.html`` gallery of the screenshots with each page's checks."""
    (shots / "report.json").write_text(
        json.dumps({"chromium": chromium_version, "seconds": seconds, "pages": [r.__dict__ for r in results]}, indent=1)
    )
    rows = []
    for r in results:
        shot = f"{Path(r.page).name}.png"
        image = (
            f"<p><a href='{shot}'><img src='{shot}' width='640' alt='screenshot of {html.escape(r.page)}'></a></p>"
            if (shots / shot).exists()
            else ""
        )
        title = html.escape(r.page) if r.page.startswith("(") else f"<a href='../../{html.escape(r.page)}.html'>{html.escape(r.page)}</a>"
        status = "passed" if not r.failures else "FAILED: " + "; ".join(html.escape(f) for f in r.failures)
        rows.append(
            f"<h2>{title}</h2><p>{r.math} math elements rendered, {r.images} images loaded, {r.figures} numbered figures, "
            f"{r.references} numbered references resolved; {status}</p>{image}"
        )
    (shots / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Pages as checked offline</title><body style='font-family:sans-serif;max-width:60em;margin:auto'>"
        f"<h1>Pages as checked offline</h1><p>Each page of the book opened in headless {html.escape(chromium_version)} with the network "
        "blocked: math rendered by the book's own MathJax (no raw TeX), every image loaded, every figure numbered and every reference resolved, "
        f"no console errors, nothing requested from another site. {sum(not r.page.startswith('(') for r in results)} pages, {seconds:.0f} s.</p>"
        + "\n".join(rows)
        + "</body>"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--html", type=Path, default=ROOT / "_build" / "html", help="the built book (default: _build/html)")
    ap.add_argument("--toc", type=Path, default=ROOT / "_toc.yml", help="table of contents listing the pages (default: _toc.yml)")
    ap.add_argument("--chromium", default=None, help="Chromium binary (default: $CHROMIUM or chromium on the PATH)")
    ap.add_argument("--screenshots", type=Path, default=None, help="screenshot folder (default: <html>/_static/screenshots)")
    ap.add_argument("--max-height", type=int, default=6000, help="screenshot height limit in CSS pixels (default: 6000)")
    args = ap.parse_args(argv)
    if not (args.html / "index.html").exists():
        print(f"check-pages: no built book in {args.html}; run 'make book' first", file=sys.stderr)
        return 2
    chromium = find_chromium(args.chromium)
    if chromium is None:
        print(
            "check-pages: Chromium not found; install Debian's chromium ('apt-get install chromium', done by 'make install' as root) or pass --chromium",
            file=sys.stderr,
        )
        return 2
    shots = args.screenshots or args.html / "_static" / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    pages = toc_pages(args.toc)
    start = time.perf_counter()
    results = check_site(args.html, pages, args.toc.parent, chromium, shots, args.max_height)
    checked = {(args.html / f"{name}.html").resolve() for name in pages}
    others = [f for f in sorted(args.html.rglob("*.html")) if f.resolve() not in checked and shots not in f.parents]
    offsite = [
        f"{f.relative_to(args.html)}: {t}" for f in others for t in offsite_resources(f.read_text(encoding="utf-8", errors="replace"))
    ]
    results.append(
        PageResult(f"({len(others)} other built HTML files, tags only)", failures=[f"off-site resource tag: {t}" for t in offsite])
    )
    seconds = time.perf_counter() - start
    for r in results:
        print(
            f"{'ok  ' if not r.failures else 'FAIL'} {r.page:45s} {r.seconds:5.1f} s  math {r.math:4d}  img {r.images:3d}  fig {r.figures:3d}  refs {r.references:3d}"
        )
        for f in r.failures:
            print(f"       - {f}")
    version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip() or chromium
    write_index(shots, results, seconds, version)
    failed = [r.page for r in results if r.failures]
    print(f"check-pages: {len(results) - len(failed)}/{len(results)} pages passed in {seconds:.1f} s; screenshots in {shots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
