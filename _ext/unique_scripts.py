"""Sphinx extension of the MAD book: write each ``<script>`` of a page once.

Under Jupyter Book 1.0.4 (Sphinx 7.4) the inline scripts that sphinx-thebe and sphinx-togglebutton
register while the environment is read end up twice in every page: once added to the builder with
``filename=None`` and once re-added from the registry with ``filename=''``, which Sphinx does not see
as equal. The second ``const THEBE_JS_URL = ...`` then throws "Identifier 'THEBE_JS_URL' has already
been declared" in every reader's console (``make check-pages`` reports it). This handler removes
repeated entries from the page's script list, keeping the first, at the end of ``html-page-context``.
"""

from __future__ import annotations

from typing import Any


def _key(js: Any) -> tuple:
    """Identity of a script entry: its file ('' for inline, whether given as None or ''), priority and attributes."""
    return (getattr(js, "filename", js) or "", getattr(js, "priority", 0), tuple(sorted(getattr(js, "attributes", {}).items())))


def unique_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Drop repeated entries of ``context["script_files"]`` in place (the builder's own list), keeping order."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = _key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
