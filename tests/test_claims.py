"""The claims ledger and the scorecard command."""

from __future__ import annotations

import json

import nbformat
import pytest

from mad.__main__ import main
from mad.claims import FAILED, MIME, NOT_REPRODUCED, REPRODUCED, ClaimFailure, ClaimsLedger, collect, scorecard


def _ledger():
    ledger = ClaimsLedger("demo")
    ledger.check(1, True, {"x": 0.5})
    ledger.check(2, False, {"y": 2}, expect_reproduced=False, reason="too few generations on a CPU")
    return ledger


def test_verdicts_and_enforcement(monkeypatch):
    ledger = _ledger()
    assert [v.status for v in ledger.verdicts] == [REPRODUCED, NOT_REPRODUCED]
    monkeypatch.setenv("MAD_SCALE", "book")
    ledger.enforce()  # a declared failure does not raise
    ledger.check(3, False, {"fid slope": -1.0})
    assert ledger.verdicts[-1].status == FAILED
    with pytest.raises(ClaimFailure, match="claim 3"):
        ledger.enforce()
    monkeypatch.setenv("MAD_SCALE", "smoke")
    ledger.enforce()  # smoke scale shows but does not assert


def test_bad_claims_are_refused():
    ledger = ClaimsLedger("demo")
    with pytest.raises(ValueError, match="claim must be one of the paper's claims 1-16"):
        ledger.check(17, True, {})
    with pytest.raises(ValueError, match="needs a reason"):
        ledger.check(1, False, {}, expect_reproduced=False)


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
    assert [v["claim"] for v in verdicts] == [1, 2]
    table = scorecard(verdicts)
    assert len(table) == 16  # every claim of the paper is listed, checked or not
    assert table.loc[table.claim == 5, "status"].item() == "not checked yet"
    assert main(["claims", str(build)]) == 0
    assert "reproduced" in capsys.readouterr().out


def test_scorecard_exit_codes(tmp_path):
    ledger = ClaimsLedger("demo")
    ledger.check(4, False, {"recall slope": 0.1})
    build = _write_built_book(tmp_path, ledger)
    assert main(["claims", str(build)]) == 1  # an unexpected failure
    assert main(["claims", str(tmp_path / "nowhere")]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["claims", str(empty)]) == 2
    assert json.loads(json.dumps(ledger.payload()))["verdicts"][0]["status"] == FAILED
