"""The claims ledger: the paper's claims and the book's own, as verdicts computed from a run.

Claim ids 1-16 are the checkable claims of Alemohammad et al. (2024), numbered as in section 7
of the book's paper brief; ids from 17 on are the book's own claims (Part V), each with the
publication it comes from. :data:`CLAIMS` is the one list: the scorecard, ``python -m mad claims
--list`` and the appendix's table of claims are generated from it.

A chapter builds a :class:`ClaimsLedger` and calls :meth:`ClaimsLedger.check` once per claim part
with an :class:`mad.verdicts.Evidence`, the outcome of one of the named tests of
:mod:`mad.verdicts` (``rises``, ``falls``, ``ordered``, ``slower_than``, ``flat``, ``same_limit``,
``agrees_with_theory``, ...). The test, not the chapter, decides: *reproduced*, *contradicted* or
*inconclusive*, at the one confidence level :data:`mad.verdicts.LEVEL`, over independent seeds.

* At ``MAD_SCALE=smoke`` verdicts are shown but never raise.
* At ``book`` and ``paper`` scale an undeclared *contradicted* part raises
  :class:`ClaimFailure`, which fails the notebook and so the book build. A chapter may declare,
  with the reason shown to the reader, that a part is *not expected to reproduce at this scale*;
  such a declaration is meant for parts the data contradict with confidence.
* *Inconclusive* never fails a build, but it is counted at the top of the scorecard: a part
  that comes out inconclusive needs more seeds, samples or generations.

``show`` publishes the verdicts as JSON under the MIME type :data:`MIME` inside the notebook's
output, so ``python -m mad claims _build`` reads every verdict back out of a built book.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from mad import config
from mad.verdicts import CONTRADICTED, INCONCLUSIVE, OUTCOMES, REPRODUCED, Evidence

MIME = "application/vnd.mad.claims+json"

PAPER = "alemohammad2024mad"


@dataclass(frozen=True)
class Claim:
    """One checkable claim: its statement, the bibliography key of its source, where it is checked."""

    text: str
    source: str = PAPER
    chapters: tuple[str, ...] = ()

    @property
    def own(self) -> bool:
        """Whether this is one of the book's own claims (not one of the paper's)."""
        return self.source != PAPER


_GAUSS = ("gaussian_fully_synthetic",)
_DDPM_FS = ("diffusion_fully_synthetic",)

#: Every claim the book checks: the paper's (1-16) and the book's own (17 and on).
CLAIMS: dict[int, Claim] = {
    1: Claim(
        "Gaussian, fully synthetic: for any λ ≤ 1 and finite n_s, tr Σ_t → 0 a.s.; μ_t is a martingale random walk; E[Σ_t | Σ_{t-1}] = λ Σ_{t-1}.",
        chapters=_GAUSS,
    ),
    2: Claim(
        "Larger n_s slows the variance collapse and shrinks the mean drift; smaller λ speeds the collapse: E[tr Σ_t] = λ^t tr Σ_0.",
        chapters=_GAUSS,
    ),
    3: Claim(
        "Fully synthetic, λ = 1: FID rises every generation, precision and recall both fall (to ~0 within ~10 generations for MNIST-DDPM); t-SNE modes merge.",
        chapters=(*_DDPM_FS, "gans_and_truncation"),
    ),
    4: Claim(
        "Fully synthetic, λ < 1: precision stays flat or rises, recall falls faster than at λ = 1, FID still rises; t-SNE modes contract without merging.",
        chapters=(*_DDPM_FS, "gans_and_truncation"),
    ),
    5: Claim(
        "Fully synthetic StyleGAN2, λ = 1: artifacts grow from t = 1 to t = 9; at ψ = 0.7 artifacts are suppressed but diversity collapses.",
        chapters=("gans_and_truncation",),
    ),
    6: Claim(
        "WGAN-GP MNIST, 100 generations, λ = 1: FID rises monotonically; precision and recall fall monotonically.",
        chapters=("gans_and_truncation",),
    ),
    7: Claim(
        "2-D 25-mode GMM, λ = 1: covered modes fall; recall drops in step, total variance is a poor indicator.",
        chapters=("mixtures_and_flows",),
    ),
    8: Claim(
        "Normalizing flow on 2-D Rosenbrock, 16 generations: tails are lost with or without bias, faster at λ = 0.75.",
        chapters=("mixtures_and_flows",),
    ),
    9: Claim(
        "Synthetic augmentation (fixed real data): FID rises and precision/recall fall, more slowly than fully synthetic; a fixed real set delays MAD but does not prevent it.",
        chapters=("gaussian_augmentation", "diffusion_augmentation", "gans_and_truncation"),
    ),
    10: Claim(
        "Synthetic augmentation, MNIST-DDPM: FID increases for every λ in {1, .8, .66, .5}; lower λ gives higher precision and lower recall.",
        chapters=("diffusion_augmentation",),
    ),
    11: Claim(
        "Fresh data loop: the distance to P_r converges to a limit that does not depend on n_init (Gaussian and MNIST-DDPM).",
        chapters=("fresh_data_steady_state", "diffusion_fresh_data"),
    ),
    12: Claim(
        "Fresh data, Gaussian, λ < 1: a critical n_s exists above which n_e < n_r; it levels off as n_r grows and falls with λ.",
        chapters=("admissible_synthetic_data",),
    ),
    13: Claim("Fresh data, Gaussian, λ = 1: n_e ≥ n_r for every n_s tested.", chapters=("admissible_synthetic_data",)),
    14: Claim(
        "Memory of the last K generations (λ = 1) raises n_e/n_r, with diminishing returns.", chapters=("admissible_synthetic_data",)
    ),
    15: Claim(
        "Data pool with real fraction p: WD falls with total n, more slowly for small p; with λ < 1 WD plateaus.",
        chapters=("admissible_synthetic_data",),
    ),
    16: Claim(
        "Headline: without enough fresh real data each generation, precision or recall degrades progressively (the model goes MAD).",
        chapters=("diffusion_augmentation",),
    ),
    17: Claim(
        "Replacing the data every generation (λ = 1) drifts away from P_r without bound.",
        "gerstgrasser2024collapse",
        ("accumulate_or_replace",),
    ),
    18: Claim(
        "Accumulating real and synthetic data (λ = 1) keeps the error bounded: it follows Σ_{s≤t} 1/s² ≤ π²/6 times the error of G_1.",
        "gerstgrasser2024collapse",
        ("accumulate_or_replace",),
    ),
    19: Claim(
        "Accumulation does not undo sampling bias: at λ < 1 the accumulated loop ends further from P_r than at λ = 1.",
        "gerstgrasser2024collapse",
        ("accumulate_or_replace",),
    ),
    20: Claim(
        "Keeping the real set beside the last synthetic set ends closer to P_r than accumulating every synthetic set (Gaussian, λ = 1).",
        "gerstgrasser2024collapse",
        ("accumulate_or_replace",),
    ),
    # -- provenance and detection (ids 21-25) --
    21: Claim(
        "A detector (TPR, FPR) that removes flagged rows sets the Gaussian fresh data loop's steady-state variance ratio to v* = w/(1 − (1 − w)λ), w = n_r(1 − FPR)/(n_r(1 − FPR) + n_s(1 − TPR)), up to O(1/kept rows) corrections that the exact recursion with binomial counts removes.",
        "madbook2026",
        ("provenance_and_detection",),
    ),
    22: Claim(
        "Behind a detector, the steady-state variance ratio rises toward 1 step by step as the TPR rises (fixed FPR).",
        "madbook2026",
        ("provenance_and_detection",),
    ),
    23: Claim(
        "FPR hardly matters, TPR does: a 0.1 drop in TPR costs more variance than a 0.1 rise in FPR (theory: (1 − FPR)/(1 − TPR) times more).",
        "madbook2026",
        ("provenance_and_detection",),
    ),
    24: Claim(
        "A detector makes n_s synthetic rows admissible (n_e ≥ n_r) when the undetected part n_s(1 − TPR) is below the admissible n_s of the n_e map, and not when it is well above it.",
        "madbook2026",
        ("provenance_and_detection",),
    ),
    25: Claim(
        "A real-vs-synthetic classifier in the digits feature space detects conditional-DDPM digits better than chance on held-out data, and as a filter it raises the real fraction of the fresh data loop's training sets.",
        "madbook2026",
        ("provenance_and_detection",),
    ),
    # -- curation and verification (ids 26-30) --
    26: Claim(
        "Reward curation with no real data (K = 2, Bradley–Terry): the expected reward rises along the exact recursion p_{t+1}(j) = 2 p_t(j) Σ_i p_t(i) σ(r_j − r_i), and the mass moves onto the top-reward mode.",
        "ferbach2024curated",
        ("curation_and_verification",),
    ),
    27: Claim(
        "Reward curation with a share of fresh real data in every training set settles at the bounded fixed point of the recursion: E[r] and KL(P_r ‖ G_t) stop moving, at the values the recursion predicts.",
        "ferbach2024curated",
        ("curation_and_verification",),
    ),
    28: Claim(
        "Keeping the synthetic samples the previous model finds most likely (a 'quality' filter) loses diversity: modes are lost and the spread collapses, to far fewer modes than a verifier keeps.",
        "feng2024verification",
        ("curation_and_verification",),
    ),
    29: Claim(
        "Selecting synthetic data with a verifier that checks it against the truth keeps both diversity (modes, spread) and quality, where random selection of a generator's errors lets them compound.",
        "feng2024verification",
        ("curation_and_verification",),
    ),
    30: Claim(
        "Controlled sampling is a precision–recall knob: lowering λ, or truncating to the most likely samples, raises precision and lowers recall.",
        "kynkaanniemi2019improved",
        ("curation_and_verification",),
    ),
    # -- accumulate or replace, extended (ids 31-35) --
    31: Claim(
        "Linear regression, replace: the test error of generation t is t·E_1, with E_1 = σ² d/(T − d − 1) the error of one least-squares fit to T rows: it grows without bound.",
        "gerstgrasser2024collapse",
        ("accumulate_or_replace",),
    ),
    32: Claim(
        "Linear regression, accumulate: the test error follows E_1 Σ_{s ≤ t} 1/s² and stays below (π²/6) E_1 however many generations run.",
        "gerstgrasser2024collapse",
        ("accumulate_or_replace",),
    ),
    33: Claim(
        "Linear regression, accumulate-subsample (a fixed budget of T rows drawn from the accumulated pool): the error sits between accumulate and replace, and degrades ever more slowly.",
        "kazdan2024collapse",
        ("accumulate_or_replace",),
    ),
    34: Claim(
        "Gaussian, accumulate with sampling bias λ < 1: E tr Σ_t / tr Σ_0 = Γ(t + λ)/(Γ(1 + λ) Γ(t + 1)) ~ t^(λ−1): accumulation slows the collapse to a power law but does not stop it.",
        "madbook2026",
        ("accumulate_or_replace",),
    ),
    35: Claim(
        "Gaussian, replace, maximum-likelihood covariance (1/n): E tr Σ_t = (1 − 1/n)^t tr Σ_0 and the mean's squared error levels off at tr Σ_0 (1 − (1 − 1/n)^t), where the unbiased 1/(n − 1) estimator keeps tr Σ_0 in expectation and lets the error grow as t tr Σ_0/n.",
        "kazdan2024collapse",
        ("accumulate_or_replace",),
    ),
    # -- how much real data is enough (ids 36-40) --
    36: Claim(
        "Fixed real set plus λ_B·n_r self-samples, kernel density estimate with bandwidth h: the excess variance over the real data settles at h²(1 + λ_B) instead of growing.",
        "bertrand2024stability",
        ("how_much_real_data",),
    ),
    37: Claim(
        "Fully synthetic retraining of the same kernel density estimate: the variance grows by about h² per generation (h² less a leak of V/n_s), without a fixed point in sight.",
        "bertrand2024stability",
        ("how_much_real_data",),
    ),
    38: Claim(
        "A fit that inflates variance by 1 + ε, retrained on a fixed real set plus λ_B·n_r self-samples, is stable iff ελ_B < 1: it settles at (1 + ε)/(1 − ελ_B) times the real variance, and grows geometrically above the threshold.",
        "madbook2026",
        ("how_much_real_data",),
    ),
    39: Claim(
        "An ideal corrector of strength γ makes a share γ/(1 + γ) of each synthetic set behave like real data: the fully synthetic Gaussian loop at sampling bias λ settles at v* = w/(1 − (1 − w)λ) with w = γ/(1 + γ), increasing in γ, where without it the variance collapses.",
        "gillman2024selfcorrecting",
        ("how_much_real_data",),
    ),
    40: Claim(
        "The effective real fraction w decides the Gaussian loop's steady state: fresh real data (w = n_r/(n_r + n_s)), a fixed real set (w = 1/(1 + λ_B)) and an ideal corrector (w = γ/(1 + γ)) all land on v* = w/(1 − (1 − w)λ).",
        "madbook2026",
        ("how_much_real_data",),
    ),
    41: Claim(
        "Refitting a mixture's mode weights from n samples per generation is Wright–Fisher drift: the mean Gini–Simpson diversity decays as H_t = H_0 (1 − 1/n)^t.",
        "ewens2004mathematical",
        ("who_disappears_first",),
    ),
    42: Claim(
        "A mode of share p is eventually lost with probability 1 − p, after −2n p ln p / (1 − p) generations on average when it is lost (diffusion approximation).",
        "kimura1969average",
        ("who_disappears_first",),
    ),
    43: Claim(
        "Under refitting the rare modes disappear first: the 25-mode GMM loop loses its minority modes before its majority modes, and a conditional DDPM loses the within-class diversity of a minority class before that of the majority.",
        "shumailov2024curse",
        ("who_disappears_first",),
    ),
    44: Claim(
        "Sampling bias λ < 1 speeds the loss of a minority class: a conditional DDPM that learns an imbalanced class prior and retrains on its own samples loses the minority share, w_t ∝ w_0^{λ^{-t}}, where at λ = 1 the share only drifts.",
        "wyllie2024fairness",
        ("who_disappears_first",),
    ),
    45: Claim(
        "Stratified resampling of every synthetic training set to the original class shares pins the minority share, where the same loop without it loses the minority.",
        "wyllie2024fairness",
        ("who_disappears_first",),
    ),
    46: Claim(
        "A classifier retrained on its own argmax labels of new data amplifies a class imbalance, within the bound (m/n) δ set by its calibration gap δ; with sampled labels the imbalance is not amplified.",
        "taori2023data",
        ("who_disappears_first",),
    ),
    # -- language models at toy scale (ids 47-52) --
    47: Claim(
        "A language model retrained on its own text (replace, unbiased sampling τ = 1) gets worse at real text: its perplexity on held-out real text rises over generations.",
        "shumailov2024curse",
        ("language_models",),
    ),
    48: Claim(
        "Keeping 10 % of the real data in every generation's training set slows the rise of the test perplexity, without stopping it.",
        "shumailov2024curse",
        ("language_models",),
    ),
    49: Claim(
        "The tail of the vocabulary disappears: a sample of fixed size uses fewer and fewer distinct words over generations, more slowly with 10 % real data.",
        "shumailov2024curse",
        ("language_models",),
    ),
    50: Claim(
        "Generated text becomes more probable under the first model (the one trained on real text) as the generations go on.",
        "shumailov2024curse",
        ("language_models",),
    ),
    51: Claim(
        "Temperature is the language form of λ: a unigram refitted on its own samples at temperature τ follows p_t ∝ p_1^(τ^-(t-1)) (exactly for infinite samples), and its entropy on a known Zipf source agrees with the law.",
        "madbook2026",
        ("language_models",),
    ),
    52: Claim(
        "Biased decoding (temperature τ < 1, or top-p < 1) speeds the collapse of a self-consuming language model: higher test perplexity and a smaller vocabulary than unbiased sampling after the same number of generations.",
        "madbook2026",
        ("language_models",),
    ),
    53: Claim(
        "Fully synthetic resampling (the bootstrap) of n real records: the number K_t of distinct real records that generation t descends from follows the exact occupancy Markov chain, E[K_(t+1) | K_t = k] = n(1 − (1 − 1/n)^k).",
        "kingman1982coalescent",
        ("memorisation_and_privacy",),
    ),
    54: Claim(
        "Fully synthetic resampling of n real records: generation t descends from about 2n/(t + 2) distinct real records (n = 600: about 100 at t = 10), the coalescent approximation dk/dt = −k²/(2n).",
        "kingman1982coalescent",
        ("memorisation_and_privacy",),
    ),
    55: Claim(
        "A diffusion model trained on a few hundred real images favours them: its samples lie closer to its training images than to held-out ones more often than not, and more of them are near-copies than for new real images.",
        "carlini2023extracting",
        ("memorisation_and_privacy",),
    ),
    56: Claim(
        "In a fully synthetic loop the train-vs-holdout gap in distance to closest record, measured against the original real records, vanishes within a few generations.",
        "platzer2021holdout",
        ("memorisation_and_privacy",),
    ),
    57: Claim(
        "Self-consuming diffusion loops drift from generalisation to memorisation: each generation's samples lie ever closer to its own (synthetic) training set.",
        "shi2025closer",
        ("memorisation_and_privacy",),
    ),
    58: Claim(
        "Few-shot recognition: pretraining a classifier on synthetic images of a generative model and fine-tuning it on one real image per class beats training on the real images alone, and the gain shrinks as real images per class grow.",
        "he2023synthetic",
        ("hybrid_training",),
    ),
    59: Claim(
        "A self-consuming loop erodes the value of synthetic pretraining: a classifier pretrained on a late generation of a fully synthetic diffusion loop is less accurate, before and after few-shot fine-tuning, than one pretrained on the first generation.",
        "madbook2026",
        ("hybrid_training",),
    ),
    60: Claim(
        "Synthetic pretraining on a late, collapsed generation of a fully synthetic diffusion loop still beats real-only training with one real image per class.",
        "he2023synthetic",
        ("hybrid_training",),
    ),
}

#: The paper's claims only, by id (kept for readers of earlier versions).
PAPER_CLAIMS: dict[int, str] = {cid: c.text for cid, c in CLAIMS.items() if not c.own}

#: Status of a part, from its outcome and whether the chapter declared it not to reproduce.
STATUS = {
    (REPRODUCED, False): "reproduced",
    (CONTRADICTED, False): "CONTRADICTED",
    (INCONCLUSIVE, False): "inconclusive",
    (REPRODUCED, True): "reproduced (declared not to)",
    (CONTRADICTED, True): "contradicted (declared)",
    (INCONCLUSIVE, True): "inconclusive (declared)",
}
FAILED = STATUS[(CONTRADICTED, False)]
DECLARED = STATUS[(CONTRADICTED, True)]
UNEXPECTED_PASS = STATUS[(REPRODUCED, True)]


def claim_ids() -> str:
    return f"{min(CLAIMS)}-{max(CLAIMS)}"


class ClaimFailure(AssertionError):
    """A claim part was contradicted at a scale where claims are asserted, and the chapter did not declare it."""


@dataclass
class Verdict:
    """One checked claim part: the test's evidence and whether the chapter declared it not to reproduce."""

    claim: int
    chapter: str
    part: str
    evidence: Evidence
    declared: str = ""
    scale: str = field(default_factory=config.scale)
    seed: int = field(default_factory=config.base_seed)

    @property
    def outcome(self) -> str:
        return self.evidence.outcome

    @property
    def status(self) -> str:
        return STATUS[(self.outcome, bool(self.declared))]

    @property
    def unexpected_failure(self) -> bool:
        return self.status == FAILED

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "chapter": self.chapter,
            "part": self.part,
            "outcome": self.outcome,
            "declared": self.declared,
            "status": self.status,
            "scale": self.scale,
            "seed": self.seed,
            "evidence": self.evidence.to_dict(),
        }


def _check_claim_id(claim: Any) -> int:
    if isinstance(claim, bool) or not isinstance(claim, int) or claim not in CLAIMS:
        raise ValueError(f"claim must be the id of a claim in mad.claims.CLAIMS ({claim_ids()}); got {claim!r}")
    return claim


class ClaimsLedger:
    """Collects the verdicts of one chapter.

    >>> from mad import verdicts as V
    >>> ledger = ClaimsLedger("diffusion_fully_synthetic")  # replicates="chains" where chains are the replicates
    >>> ledger.check(3, V.rises(fid_curves, what="FID"), part="λ = 1: FID rises")  # doctest: +SKIP
    >>> ledger.show()  # doctest: +SKIP
    """

    def __init__(self, chapter: str, replicates: str = "seeds") -> None:
        if not isinstance(chapter, str) or not chapter:
            raise ValueError("chapter must name the chapter (for example 'gaussian_fully_synthetic')")
        if not isinstance(replicates, str) or not replicates:
            raise ValueError(f"replicates must name the independent replicates of the chapter's tests (seeds, chains); got {replicates!r}")
        self.chapter = chapter
        self.replicates = replicates
        self.verdicts: list[Verdict] = []

    def check(self, claim: int, evidence: Evidence, part: str = "", declared: str = "") -> Verdict:
        """Record the verdict of a test of :mod:`mad.verdicts` on a part of ``claim``.

        ``declared``, when given, is the reason (shown to the reader) why this part is not
        expected to reproduce at this scale; keep it for parts that the data contradict with
        confidence.
        """
        claim = _check_claim_id(claim)
        if not isinstance(evidence, Evidence):
            raise TypeError(
                f"evidence for claim {claim} must come from a test of mad.verdicts (rises, falls, ordered, ...); got {type(evidence).__name__}"
            )
        if not isinstance(declared, str):
            raise TypeError(f"declared must be the reason (a string) why claim {claim} is not expected to reproduce; got {declared!r}")
        if any(v.claim == claim and v.part == part for v in self.verdicts):
            raise ValueError(f"claim {claim} already has a part named {part!r} in this chapter: name each part differently")
        if evidence.unit == "seeds" and self.replicates != "seeds":
            evidence = evidence.with_unit(self.replicates)
        verdict = Verdict(claim=claim, chapter=self.chapter, part=part, evidence=evidence, declared=declared.strip())
        self.verdicts.append(verdict)
        return verdict

    def table(self) -> pd.DataFrame:
        rows = [
            {
                "claim": v.claim,
                "part": v.part,
                "rule": v.evidence.rule,
                "evidence from this run": v.evidence.summary(),
                "verdict": v.status + (f" — {v.declared}" if v.declared else ""),
            }
            for v in self.verdicts
        ]
        return pd.DataFrame(rows, columns=["claim", "part", "rule", "evidence from this run", "verdict"])

    def payload(self) -> dict[str, Any]:
        return {"chapter": self.chapter, "verdicts": [v.to_dict() for v in self.verdicts]}

    def show(self) -> None:
        """Display the claims table (with the machine-readable verdicts) and enforce them."""
        from IPython.display import display

        table = self.table()
        html = table.to_html(index=False, escape=True, classes="claims-table")
        text = table.to_string(index=False)
        display({"text/html": html, "text/plain": text, MIME: self.payload()}, raw=True)
        self.enforce()

    def enforce(self) -> None:
        failed = [v for v in self.verdicts if v.unexpected_failure]
        if failed and config.enforcing():
            lines = [f"claim {v.claim} {v.part}: {v.evidence}" for v in failed]
            raise ClaimFailure(f"{len(failed)} claim part(s) contradicted at scale {config.scale()!r}:\n" + "\n".join(lines))


class BuildUnreadable(RuntimeError):
    """The build folder is missing or holds a notebook that cannot be read."""


def collect(build_dir: str | Path) -> list[dict[str, Any]]:
    """Every verdict stored in the executed notebooks under ``build_dir`` (a built book).

    Each executed notebook is read once: copies that Sphinx and jupyter-cache keep of it (the HTML's
    ``_sources`` and hidden folders such as ``.jupyter_cache``) are skipped.
    """
    root = Path(build_dir)
    if not root.is_dir():
        raise BuildUnreadable(f"build folder {root} does not exist: build the book first (make book)")
    found: list[dict[str, Any]] = []
    for path in sorted(root.rglob("*.ipynb")):
        inside = path.relative_to(root).parts[:-1]
        if any(part.startswith(".") or part == "_sources" for part in inside):
            continue
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise BuildUnreadable(f"cannot read the executed notebook {path}: {err}") from None
        try:
            found.extend({**verdict, "notebook": path.name} for verdict in _stored_verdicts(nb, path))
        except (AttributeError, TypeError, json.JSONDecodeError) as err:
            raise BuildUnreadable(f"the executed notebook {path} holds a malformed claims output: {err}") from None
    return found


#: the fields every stored verdict must carry for the scorecard
_VERDICT_FIELDS = ("claim", "chapter", "outcome", "status")


def _stored_verdicts(nb: Any, path: Path) -> Iterator[dict[str, Any]]:
    """The verdicts published under :data:`MIME` in one notebook (checked; see :func:`collect`)."""
    for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME in data:
                payload = data[MIME]
                if isinstance(payload, str):
                    payload = json.loads(payload)
                for verdict in payload.get("verdicts", []):
                    if verdict.get("outcome") not in OUTCOMES:
                        raise BuildUnreadable(f"{path} holds a verdict of an older format (no outcome): rebuild the book")
                    missing = [f for f in _VERDICT_FIELDS if f not in verdict]
                    if missing:
                        raise BuildUnreadable(f"{path} holds a verdict without {', '.join(missing)}: rebuild the book")
                    if isinstance(verdict["claim"], bool) or verdict["claim"] not in CLAIMS:
                        raise BuildUnreadable(f"{path} holds a verdict for claim {verdict['claim']!r}, not a claim id ({claim_ids()})")
                    yield verdict


def _evidence_text(evidence: Mapping[str, Any]) -> str:
    if not evidence:
        return ""
    ev = Evidence(**{**evidence, "details": dict(evidence.get("details", {}))}) if "outcome" in evidence else None
    return f"{ev.rule}; {ev.summary()}" if ev else json.dumps(evidence)


def scorecard(verdicts: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per verdict, sorted by claim id, with every claim of :data:`CLAIMS` listed."""
    rows = [
        {
            "claim": int(v["claim"]),
            "chapter": v["chapter"],
            "part": v.get("part", ""),
            "outcome": v["outcome"],
            "status": v["status"],
            "declared": v.get("declared", ""),
            "scale": v.get("scale", ""),
            "seed": v.get("seed", ""),
            "evidence": _evidence_text(v.get("evidence", {})),
        }
        for v in verdicts
    ]
    checked = {r["claim"] for r in rows}
    for claim in CLAIMS:
        if claim not in checked:
            rows.append(
                {
                    "claim": claim,
                    "chapter": "",
                    "part": "",
                    "outcome": "",
                    "status": "not checked yet",
                    "declared": "",
                    "scale": "",
                    "seed": "",
                    "evidence": "",
                }
            )
    return pd.DataFrame(rows).sort_values(["claim", "chapter", "part"], kind="stable").reset_index(drop=True)


def counts(table: pd.DataFrame) -> dict[str, int]:
    """The headline numbers of a scorecard: parts per status, and claims with no reproduced part."""
    checked = table[table["status"] != "not checked yet"]
    out = {status: int((checked["status"] == status).sum()) for status in STATUS.values()}
    out["parts"] = len(checked)
    reproduced_claims = set(checked.loc[checked["outcome"] == REPRODUCED, "claim"])
    out["claims checked"] = int(checked["claim"].nunique())
    out["claims without a reproduced part"] = int(sum(1 for c in set(checked["claim"]) if c not in reproduced_claims))
    out["claims not checked"] = int((table["status"] == "not checked yet").sum())
    return out


def claims_table() -> pd.DataFrame:
    """The list of claims (for the appendix): id, statement, source, chapters that check it."""
    return pd.DataFrame(
        [
            {"id": cid, "claim": c.text, "source": c.source, "checked in": ", ".join(c.chapters) or "not checked yet"}
            for cid, c in CLAIMS.items()
        ]
    )


def claims_markdown() -> str:
    """The list of claims as a MyST table for the appendix: each source a citation, each chapter a link."""
    rows = ["| id | claim | source | checked in |", "|---|---|---|---|"]
    for cid, claim in CLAIMS.items():
        chapters = ", ".join(f"{{doc}}`{c}`" for c in claim.chapters) or "not checked yet"
        rows.append(f"| {cid} | {claim.text.replace('|', '∣')} | {{cite:t}}`{claim.source}` | {chapters} |")
    return "\n".join(rows)
