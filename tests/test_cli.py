"""The `ratecard` command as a user runs it: a separate process, from any directory; every mistake
exits 1 with a message naming the problem, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "cases" / "community-order-rar-and-bbr-24m.yaml"


def run(*args: str, cwd: Path, columns: int = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns)}
    return subprocess.run(
        [sys.executable, "-m", "ratecard", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def assert_user_error(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert r.stderr.strip()


def test_validate_accepts_the_default_catalog(tmp_path: Path) -> None:
    r = run("validate", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("OK:") and "version sha256:" in r.stdout


def test_validate_reports_file_and_line_of_a_broken_copy(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "catalog", tmp_path / "catalog")
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    f = tmp_path / "rules" / "interventions" / "sova.yaml"
    lines = f.read_text().splitlines()
    i = next(i for i, line in enumerate(lines) if "{field: age, gte: 18}" in line)
    lines[i] = lines[i].replace("field: age", "field: agee")
    f.write_text("\n".join(lines) + "\n")
    r = run("validate", str(tmp_path), cwd=tmp_path)
    assert_user_error(r)
    assert f"{f}:{i + 1}:" in r.stderr
    assert "agee" in r.stderr


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    cwd = tmp_path_factory.mktemp("anywhere")
    outs = []
    for _ in range(2):
        r = run("screen", str(EXAMPLE), "--on", "2017-03-01", "--json", cwd=cwd)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    return outs[0], outs[1]


def test_screen_json_has_what_a_court_relies_on(screened: tuple[str, str]) -> None:
    out = json.loads(screened[0])
    assert out["catalog_version"].startswith("sha256:")
    assert out["on"] == "2017-03-01"
    assert out["case_id"] == "community-order-rar-and-bbr-24m"
    results = out["results"]
    assert results
    for res in results:
        assert res["intervention"] and res["decision"] in {"eligible", "ineligible", "undetermined"}
        for reason in res["reasons"]:
            assert reason["rule"] and reason["text"]
        assert isinstance(res["missing"], list)
        assert isinstance(res["warnings"], list)
    # decisions carry their reasons: an ineligible one names at least one rule that failed
    assert all(res["reasons"] for res in results if res["decision"] == "ineligible")
    assert len({res["intervention"] for res in results}) == len(results)


def test_screen_json_is_reproducible(screened: tuple[str, str]) -> None:
    assert screened[0] == screened[1]


def test_screen_a_missing_case_file(tmp_path: Path) -> None:
    r = run("screen", "no-such-case.yaml", "--on", "2017-03-01", cwd=tmp_path)
    assert_user_error(r)
    assert "no-such-case.yaml" in r.stderr and "not found" in r.stderr


def test_screen_a_bad_case_names_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "case.yaml").write_text("id: a\nrisk:\n  ogrs: 30\n")
    r = run("screen", "case.yaml", "--on", "2017-03-01", "--json", cwd=tmp_path)
    assert_user_error(r)
    assert "case.yaml:3: risk.ogrs:" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize("args", [("--on", "2017-13-01"), ("--bogus",)])
def test_screen_usage_mistakes_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    r = run("screen", str(EXAMPLE), *args, cwd=tmp_path)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and args[0] in r.stderr


def test_schema_describes_the_case(tmp_path: Path) -> None:
    r = run("schema", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    schema = json.loads(r.stdout)
    assert schema["type"] == "object"
    assert {"id", "person", "offence", "history", "risk", "needs", "responsivity", "motivation", "sentence"} <= set(
        schema["properties"]
    )
    assert "required" not in schema  # any field may be left out, the id too (a file name stands in)
    assert schema.get("additionalProperties") is False


def test_screen_table_for_people_names_what_is_missing_and_why(tmp_path: Path) -> None:
    case = ROOT / "examples" / "cases" / "no-risk-scores.yaml"
    r = run("screen", str(case), "--on", "2017-03-01", cwd=tmp_path, columns=80)
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())  # the phrases, whatever the wrapping
    assert "version sha256:" in out and "2017-03-01" in out
    assert "Information still missing" in out and "SARA level towards a partner" in out
    assert "To decide, find out: SARA level towards a partner" in out  # BBR's row says what would decide it
    assert "✗ For women. (sex: male)" in out  # an ineligible row shows the criterion that failed, in words
    assert "risk.sara_partner" not in out and "bbr.sara" not in out  # field names and rule ids: --explain only
    explained = " ".join(run("screen", str(case), "--on", "2017-03-01", "--explain", cwd=tmp_path, columns=80).stdout.split())
    assert "✓ For adults on probation, aged 18 or over when convicted." in explained
    assert "✓ For adults on probation, aged 18 or over when convicted." not in out
    assert "risk.sara_partner" in explained and "[bbr.sara:" in explained

