"""The claims ledger: the paper's checkable claims as verdicts computed from a run.

Claim ids follow section 7 of the book's paper brief (claims 1-16 of Alemohammad et al.
2024; see :data:`PAPER_CLAIMS`). A chapter builds a :class:`ClaimsLedger`, calls
:meth:`ClaimsLedger.check` once per claim (or part of a claim) with a boolean computed from
its results and the numbers that decided it, and ends with :meth:`ClaimsLedger.show`.

* At ``MAD_SCALE=smoke`` verdicts are shown but never raise.
* At ``book`` and ``paper`` scale an unexpected failure raises :class:`ClaimFailure`, which
  fails the notebook and so the book build, unless the chapter declared, with a reason
  shown to the reader, that the claim is not expected to reproduce at this scale.

``show`` also publishes the verdicts as JSON under the MIME type :data:`MIME` inside the
notebook's output, so ``python -m mad claims _build`` can read every verdict back out of
a built book (see :func:`collect`) and print the scorecard.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mad import config

MIME = "application/vnd.mad.claims+json"

#: The paper's claims, numbered as in section 7 of the paper brief.
PAPER_CLAIMS: dict[int, str] = {
    1: "Gaussian, fully synthetic: for any λ ≤ 1 and finite n_s, tr Σ_t → 0 a.s.; μ_t is a martingale random walk; E[Σ_t | Σ_{t-1}] = λ Σ_{t-1}.",
    2: "Larger n_s slows the variance collapse and shrinks the mean drift; smaller λ speeds the collapse: E[tr Σ_t] = λ^t tr Σ_0.",
    3: "Fully synthetic, λ = 1: FID rises every generation, precision and recall both fall (to ~0 within ~10 generations for MNIST-DDPM); t-SNE modes merge.",
    4: "Fully synthetic, λ < 1: precision stays flat or rises, recall falls faster than at λ = 1, FID still rises; t-SNE modes contract without merging.",
    5: "Fully synthetic StyleGAN2, λ = 1: artifacts grow from t = 1 to t = 9; at ψ = 0.7 artifacts are suppressed but diversity collapses.",
    6: "WGAN-GP MNIST, 100 generations, λ = 1: FID rises monotonically; precision and recall fall monotonically.",
    7: "2-D 25-mode GMM, λ = 1: covered modes fall; recall drops in step, total variance is a poor indicator.",
    8: "Normalizing flow on 2-D Rosenbrock, 16 generations: tails are lost with or without bias, faster at λ = 0.75.",
    9: "Synthetic augmentation (fixed real data): FID rises and precision/recall fall, more slowly than fully synthetic; a fixed real set delays MAD but does not prevent it.",
    10: "Synthetic augmentation, MNIST-DDPM: FID increases for every λ in {1, .8, .66, .5}; lower λ gives higher precision and lower recall.",
    11: "Fresh data loop: the distance to P_r converges to a limit that does not depend on n_init (Gaussian and MNIST-DDPM).",
    12: "Fresh data, Gaussian, λ < 1: a critical n_s exists above which n_e < n_r; it levels off as n_r grows and falls with λ.",
    13: "Fresh data, Gaussian, λ = 1: n_e ≥ n_r for every n_s tested.",
    14: "Memory of the last K generations (λ = 1) raises n_e/n_r, with diminishing returns.",
    15: "Data pool with real fraction p: WD falls with total n, more slowly for small p; with λ < 1 WD plateaus.",
    16: "Headline: without enough fresh real data each generation, precision or recall degrades progressively (the model goes MAD).",
}

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced (declared)"
FAILED = "FAILED"
UNEXPECTED_PASS = "reproduced (declared not to)"


class ClaimFailure(AssertionError):
    """A claim failed at a scale where it is asserted and the chapter did not declare it."""


def _clean(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


@dataclass
class Verdict:
    """One checked claim (or part of one) with the numbers that decided it."""

    claim: int
    chapter: str
    part: str
    holds: bool
    evidence: dict[str, Any]
    expected: bool = True
    reason: str = ""
    scale: str = field(default_factory=config.scale)
    seed: int = field(default_factory=config.base_seed)

    @property
    def status(self) -> str:
        if self.holds:
            return REPRODUCED if self.expected else UNEXPECTED_PASS
        return FAILED if self.expected else NOT_REPRODUCED

    @property
    def unexpected_failure(self) -> bool:
        return self.status == FAILED

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def format_evidence(evidence: Mapping[str, Any]) -> str:
    parts = []
    for key, value in evidence.items():
        if isinstance(value, float):
            parts.append(f"{key} = {value:.4g}")
        else:
            parts.append(f"{key} = {value}")
    return "; ".join(parts)


class ClaimsLedger:
    """Collects the verdicts of one chapter."""

    def __init__(self, chapter: str) -> None:
        if not chapter:
            raise ValueError("chapter must name the chapter (for example 'gaussian')")
        self.chapter = chapter
        self.verdicts: list[Verdict] = []

    def check(
        self,
        claim: int,
        holds: bool,
        evidence: Mapping[str, Any],
        part: str = "",
        expect_reproduced: bool = True,
        reason: str = "",
    ) -> Verdict:
        """Record the verdict on ``claim`` (1-16).

        ``holds`` is the test computed from the run; ``evidence`` the numbers behind it.
        ``expect_reproduced=False`` declares that the claim is not expected to reproduce at
        this scale; ``reason`` (required then) is shown to the reader.
        """
        if claim not in PAPER_CLAIMS:
            raise ValueError(f"claim must be one of the paper's claims 1-{len(PAPER_CLAIMS)}; got {claim!r}")
        if not expect_reproduced and not reason:
            raise ValueError("a claim declared not reproduced needs a reason for the reader")
        verdict = Verdict(
            claim=claim,
            chapter=self.chapter,
            part=part,
            holds=bool(holds),
            evidence={k: _clean(v) for k, v in evidence.items()},
            expected=expect_reproduced,
            reason=reason,
        )
        self.verdicts.append(verdict)
        return verdict

    def table(self) -> pd.DataFrame:
        rows = [
            {
                "claim": v.claim,
                "part": v.part,
                "the paper says": PAPER_CLAIMS[v.claim],
                "evidence from this run": format_evidence(v.evidence),
                "verdict": v.status + (f" — {v.reason}" if v.reason else ""),
            }
            for v in self.verdicts
        ]
        return pd.DataFrame(rows)

    def payload(self) -> dict[str, Any]:
        return {"chapter": self.chapter, "verdicts": [v.to_dict() for v in self.verdicts]}

    def show(self) -> None:
        """Display the claims table (with the machine-readable verdicts) and enforce them."""
        from IPython.display import display

        html = self.table().to_html(index=False, escape=True, classes="claims-table")
        text = self.table().to_string(index=False)
        display({"text/html": html, "text/plain": text, MIME: self.payload()}, raw=True)
        self.enforce()

    def enforce(self) -> None:
        failed = [v for v in self.verdicts if v.unexpected_failure]
        if failed and config.asserting():
            lines = [f"claim {v.claim} {v.part}: {format_evidence(v.evidence)}" for v in failed]
            raise ClaimFailure(f"{len(failed)} claim(s) failed at scale {config.scale()!r}:\n" + "\n".join(lines))


def collect(build_dir: str | Path) -> list[dict[str, Any]]:
    """Every verdict stored in the executed notebooks under ``build_dir`` (a built book)."""
    root = Path(build_dir)
    if not root.exists():
        raise FileNotFoundError(f"build folder {root} does not exist: build the book first (make book)")
    found: list[dict[str, Any]] = []
    for path in sorted(root.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if MIME in data:
                    payload = data[MIME]
                    if isinstance(payload, str):
                        payload = json.loads(payload)
                    for verdict in payload.get("verdicts", []):
                        found.append({**verdict, "notebook": path.name})
    return found


def scorecard(verdicts: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per verdict, sorted by claim id, with every claim of the paper listed."""
    rows = [
        {
            "claim": int(v["claim"]),
            "chapter": v["chapter"],
            "part": v.get("part", ""),
            "status": v["status"],
            "scale": v.get("scale", ""),
            "seed": v.get("seed", ""),
            "evidence": format_evidence(v.get("evidence", {})),
        }
        for v in verdicts
    ]
    checked = {r["claim"] for r in rows}
    for claim in PAPER_CLAIMS:
        if claim not in checked:
            rows.append({"claim": claim, "chapter": "", "part": "", "status": "not checked yet", "scale": "", "seed": "", "evidence": ""})
    return pd.DataFrame(rows).sort_values(["claim", "chapter", "part"], kind="stable").reset_index(drop=True)
