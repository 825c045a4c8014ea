"""Re-create the vendored offline MathJax under ``_vendor/mathjax`` from the npm registry.

The book renders its formulas with MathJax 3 served from the book's own static files, so a reader
offline still sees typeset math. Only one component is kept: ``es5/tex-chtml-full.js`` (TeX input
with every extension bundled, so nothing is autoloaded at run time, and CommonHTML output) and the
CommonHTML woff-v2 fonts it loads from ``[mathjax]/output/chtml/fonts/woff-v2``, plus MathJax's
Apache-2.0 ``LICENSE``. The files are committed; this script only documents and repeats how they
were obtained: ``npm pack`` of the pinned version, checked against the pinned sha512 integrity,
then a ``SHA256SUMS`` manifest that ``tests/test_offline_math.py`` verifies.

Usage: ``python tests/browser/vendor_mathjax.py`` (needs ``npm``; run from anywhere).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VERSION = "3.2.2"
INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
ROOT = Path(__file__).resolve().parents[2]
DEST = ROOT / "_vendor" / "mathjax"
KEEP = ("package/LICENSE", "package/es5/tex-chtml-full.js", "package/es5/output/chtml/fonts/woff-v2/")


def _kept(name: str) -> str | None:
    """Path under DEST of a tarball member we keep, or None."""
    if not any(name == k or (k.endswith("/") and name.startswith(k)) for k in KEEP):
        return None
    return name.removeprefix("package/").removeprefix("es5/")


def write_manifest(dest: Path = DEST) -> str:
    """Write and return ``SHA256SUMS`` (sha256 of every vendored file, sorted by path)."""
    lines = []
    for path in sorted(p for p in dest.rglob("*") if p.is_file() and p.name not in {"SHA256SUMS", "README.md"}):
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(dest).as_posix()}")
    text = "\n".join(lines) + "\n"
    (dest / "SHA256SUMS").write_text(text)
    return text


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["npm", "pack", f"mathjax@{VERSION}"], cwd=tmp, check=True, capture_output=True, text=True)
        tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            raise SystemExit(f"mathjax@{VERSION}: integrity {digest} differs from the pinned {INTEGRITY}")
        if DEST.exists():
            keep_readme = (DEST / "README.md").read_text() if (DEST / "README.md").exists() else None
            shutil.rmtree(DEST)
        else:
            keep_readme = None
        with tarfile.open(tarball) as tar:
            for member in tar.getmembers():
                rel = _kept(member.name)
                if rel is None or not member.isfile():
                    continue
                target = DEST / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
        if keep_readme is not None:
            (DEST / "README.md").write_text(keep_readme)
    print(write_manifest())


if __name__ == "__main__":
    main()
