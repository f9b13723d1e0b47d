"""The after-sentence examples in examples/after-sentence run as the README says and tell their stories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ratecard.catalog.load import default_catalog_path
from ratecard.cli import cli

pytestmark = pytest.mark.skipif(not (default_catalog_path() / "catalog.yaml").exists(), reason="default catalog not present")
HERE = Path(__file__).parent.parent / "examples" / "after-sentence"
CASE = HERE / "dv-rar-supervision-recorded-risk-rises.yaml"


def run(*args: str) -> str:
    res = CliRunner().invoke(cli, [*args, "--on", "2017-03-01"])
    assert res.exit_code == 0, res.output
    return res.output


def test_the_ledger_example_flags_supervision_and_warns_on_pace() -> None:
    out = json.loads(run("check", str(CASE), "bold_moves_motivation", "--json"))
    rar = out["rar"]
    assert (rar["rar_days"], rar["days_used"], rar["days_left"]) == (20, 2, 18)
    assert [f["code"] for f in rar["flagged"]] == ["supervision_as_rar"] * 3
    assert {"behind_pace", "idle"} <= {f["code"] for f in rar["warnings"]}
    assert out["verdict"] == "accept_with_warnings"


def test_the_ledger_example_is_escalated_after_the_risk_review() -> None:
    out = json.loads(run("allocate", str(CASE), "--json"))
    assert out["allocation"] == "nps" and out["escalation"]["date"] == "2017-01-23"
    assert [h["tier"] for h in out["history"]] == ["red", "yellow", "blue"]  # Figure 1.2: medium RoSH, OGRS3 41, not close to change


@pytest.mark.parametrize("name", ["referrals.jsonl", "referrals.csv"])
def test_the_example_batches_check_every_good_row_and_name_the_bad_one(name: str) -> None:
    # the example cases live beside the batches' folder: the README allows that folder explicitly
    res = CliRunner().invoke(cli, ["check-batch", str(HERE / name), "--on", "2017-03-01",
                                   "--allow-paths", str(HERE.parent / "cases")])
    assert res.exit_code == 0, res.output
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    errors = [r for r in rows if r["status"] == "error"]
    assert len(errors) == 1 and errors[0]["errors"][0]["field"] in ("case", "intervention")
    assert all(r["result"]["verdict"] in ("accept", "accept_with_warnings", "reject") for r in rows if r["status"] == "checked")
    assert len(rows) - 1 >= 3
