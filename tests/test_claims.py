"""The claims ledger and the scorecard command."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

from mad import verdicts as V
from mad.__main__ import main
from mad.claims import CLAIMS, DECLARED, FAILED, MIME, ClaimFailure, ClaimsLedger, claims_table, collect, counts, scorecard

UP = V.rises(np.arange(4.0) * np.array([[1.0], [1.1], [1.2]]))
DOWN = V.rises(-np.arange(4.0) * np.array([[1.0], [1.1], [1.2]]))
NOISE = V.rises(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.5, 0.2]]))


def _ledger():
    ledger = ClaimsLedger("demo")
    ledger.check(1, UP, part="a")
    ledger.check(2, DOWN, part="b", declared="too few generations on a CPU")
    ledger.check(3, NOISE, part="c")
    return ledger


def test_outcomes_become_statuses_and_only_undeclared_contradictions_raise(monkeypatch):
    assert (UP.outcome, DOWN.outcome, NOISE.outcome) == (V.REPRODUCED, V.CONTRADICTED, V.INCONCLUSIVE)
    ledger = _ledger()
    assert [v.status for v in ledger.verdicts] == ["reproduced", DECLARED, "inconclusive"]
    monkeypatch.setenv("MAD_SCALE", "book")
    ledger.enforce()  # declared contradiction and inconclusive do not raise
    ledger.check(4, DOWN, part="d")
    assert ledger.verdicts[-1].status == FAILED
    with pytest.raises(ClaimFailure, match="claim 4 d"):
        ledger.enforce()
    monkeypatch.setenv("MAD_SCALE", "smoke")
    ledger.enforce()  # smoke scale shows but does not assert


def test_bad_claims_are_refused():
    ledger = ClaimsLedger("demo")
    with pytest.raises(ValueError, match=r"claim must be the id of a claim in mad.claims.CLAIMS \(1-"):
        ledger.check(99, UP)
    with pytest.raises(ValueError, match="claim must be the id"):
        ledger.check(True, UP)
    with pytest.raises(TypeError, match="must come from a test of mad.verdicts"):
        ledger.check(1, True)
    ledger.check(1, UP, part="x")
    with pytest.raises(ValueError, match="already has a part named 'x'"):
        ledger.check(1, UP, part="x")
    with pytest.raises(ValueError, match="chapter must name"):
        ClaimsLedger("")


def test_claims_list_has_the_papers_and_the_books_own():
    assert set(range(1, 17)) <= set(CLAIMS)
    assert all(not CLAIMS[c].own for c in range(1, 17))
    assert any(c.own for c in CLAIMS.values())
    table = claims_table()
    assert list(table["id"]) == list(CLAIMS)


def _write_built_book(tmp_path, ledger):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("ledger.show()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "table", MIME: ledger.payload()})]
    nb.cells = [cell]
    folder = tmp_path / "_build" / "jupyter_execute" / "notebooks"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "demo.ipynb")
    return tmp_path / "_build"


def test_scorecard_collects_from_a_built_book(tmp_path, capsys):
    build = _write_built_book(tmp_path, _ledger())
    verdicts = collect(build)
    assert [v["claim"] for v in verdicts] == [1, 2, 3]
    table = scorecard(verdicts)
    assert len(table) == 3 + len(CLAIMS) - 3  # every claim is listed, checked or not
    assert table.loc[table.claim == 5, "status"].item() == "not checked yet"
    c = counts(table)
    assert (c["reproduced"], c["inconclusive"], c[DECLARED], c["parts"]) == (1, 1, 1, 3)
    assert main(["claims", str(build)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1].startswith("3 parts: 1 reproduced, 1 inconclusive, 0 CONTRADICTED, 1 contradicted (declared)")
    assert main(["claims", "--strict", str(build)]) == 1
    assert main(["seeds", str(build), "--csv", str(tmp_path / "seeds.csv")]) == 0
    assert (tmp_path / "seeds.csv").read_text().startswith("build,seed,")


def test_scorecard_reads_each_executed_notebook_once(tmp_path):
    """The HTML's _sources and jupyter-cache keep copies of the executed notebooks: not counted twice."""
    build = _write_built_book(tmp_path, _ledger())
    executed = build / "jupyter_execute" / "notebooks" / "demo.ipynb"
    for copy in (build / "html" / "_sources" / "notebooks", build / ".jupyter_cache" / "executed" / "abc"):
        copy.mkdir(parents=True)
        (copy / "demo.ipynb").write_bytes(executed.read_bytes())
    assert [v["claim"] for v in collect(build)] == [1, 2, 3]


def test_scorecard_exit_codes(tmp_path, capsys):
    ledger = ClaimsLedger("demo")
    ledger.check(4, DOWN)
    build = _write_built_book(tmp_path, ledger)
    assert main(["claims", str(build)]) == 1  # an undeclared contradiction
    assert main(["claims", str(tmp_path / "nowhere")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["claims", str(empty)]) == 2
    (empty / "broken.ipynb").write_text("{not json")
    assert main(["claims", str(empty)]) == 2
    assert "cannot read the executed notebook" in capsys.readouterr().err
    assert json.loads(json.dumps(ledger.payload()))["verdicts"][0]["status"] == FAILED
    assert main(["claims", "--list"]) == 0


def test_clear_removes_outputs(tmp_path):
    ledger = _ledger()
    build = _write_built_book(tmp_path, ledger)
    path = next(build.rglob("*.ipynb"))
    assert main(["clear", str(path)]) == 0
    nb = nbformat.read(path, as_version=4)
    assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    assert main(["clear", str(bad)]) == 2


def test_claims_markdown_lists_every_claim_with_its_citation() -> None:
    from mad.claims import claims_markdown

    lines = claims_markdown().splitlines()
    assert lines[0].startswith("| id | claim |") and len(lines) == 2 + len(CLAIMS)
    for line, (cid, claim) in zip(lines[2:], CLAIMS.items()):
        assert line.startswith(f"| {cid} |") and f"{{cite:t}}`{claim.source}`" in line
