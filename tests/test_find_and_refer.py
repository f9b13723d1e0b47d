"""`ratecard import find-and-refer`: HMPPS's published catalogue converted, shipped, and screened.

The import runs here on the published JSON (examples/sources/, issue 22): it must regenerate the shipped example byte for
byte, account for every source field with a value, and refuse a field it does not know."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from ratecard import load_case, screen
from ratecard.catalog.load import load_catalog
from ratecard.importers.find_and_refer import ELIGIBILITY_FIELDS, FindAndReferError, has_value, run
from ratecard.ruletests import run_rule_tests

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "examples" / "catalogs" / "hmpps-find-and-refer"


def _source() -> Path:
    """The published files, copied unchanged into the repository (examples/sources/, MIT licence) so
    that the import runs wherever the repository is cloned."""
    return REPO / "examples" / "sources" / "hmpps-find-and-refer"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("national")
    _, table = run(_source(), out)
    print(table)  # the field table, in the test output (pytest -s) and in fields.txt
    return out, table


def _generated(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*"))
            if p.is_file() and "tests" not in p.relative_to(root).parts}


def test_the_shipped_catalog_is_what_the_import_writes(imported: tuple[Path, str]) -> None:
    out, _ = imported
    assert _generated(out) == _generated(SHIPPED), (
        "examples/catalogs/hmpps-find-and-refer is out of date: run "
        "ratecard import find-and-refer examples/sources/hmpps-find-and-refer --out examples/catalogs/hmpps-find-and-refer")


def test_the_table_accounts_for_every_field(imported: tuple[Path, str]) -> None:
    _, table = imported
    lines = table.splitlines()
    assert lines[0].split("|")[0].strip() == "field"
    for f in ELIGIBILITY_FIELDS:
        row = next(line for line in lines if line.split("|")[0].strip() == f)
        n, rule, judged, free, _ = (int(x) for x in row.split("|")[1:])
        assert rule + judged + free >= n, f  # every file with a value counted at least once
    assert lines[-1].startswith("51 interventions:")


# What "no restriction" may stand for: values that say so in words, and the pairs that restrict
# nothing (both sexes, both settings, a programme adapted for learning disability).
NO_RESTRICTION = {"any", "na", "null", "yes"}
PERMISSIVE_START = "if the person meets the criteria for an accredited programme, or another structured intervention, they can"


def _values(data: dict, path: str) -> list:
    if "[]" in path:
        head, key = path.split("[].")
        return [e.get(key) for e in data.get(head) or []]
    obj: object = data
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return [obj]


def test_no_national_criterion_silently_becomes_eligible() -> None:
    """Every eligibility field with a value in every file is cited by a rule or a judgement criterion
    of its intervention, or says in its own words that it restricts nothing."""
    src = _source()
    for p in sorted(src.glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        iid = p.stem.replace("-", "_")
        iid = "_".join(x for x in iid.split("_") if x)
        rules = yaml.safe_load((SHIPPED / "rules" / "interventions" / f"{iid}.yaml").read_text(encoding="utf-8"))["interventions"][iid]
        cited = {f.strip() for r in rules.get("criteria", []) + rules.get("exclusions", [])
                 for f in r["source"].split(": ", 1)[1].split(",")}
        for f in ELIGIBILITY_FIELDS:
            vals = [v for v in _values(data, f) if has_value(v)]
            if not vals or f in cited:
                continue
            words = {" ".join(str(v).lower().split()) for v in vals}
            if f in ("personal_eligibility.males", "personal_eligibility.females"):
                assert data["personal_eligibility"]["males"] and data["personal_eligibility"]["females"], (p.name, f)
            elif f == "delivery_method_settings":
                assert sorted(vals[0]) == ["COMMUNITY", "CUSTODY"], p.name
            elif f.endswith(("offence_type_id", "victim_type")) and words == {"any"}:
                pass
            else:
                assert words <= NO_RESTRICTION or all(w.startswith(PERMISSIVE_START) for w in words), (p.name, f, vals)


def test_ratecard_test_runs_the_hand_written_programme_tests_over_it() -> None:
    cat = load_catalog(SHIPPED)
    results = run_rule_tests(None, cat)
    assert len(results) >= 25
    failed = [str(f) for r in results for f in r.failures]
    assert not failed, failed


def test_open_results_in_the_programme_tests_wait_only_on_a_persons_judgement() -> None:
    """Where the hand-written tests expect `eligible_if_agreed`, the case gives everything the rules
    read: what is open is only what the published text leaves to a person, and the result lists it."""
    cat = load_catalog(SHIPPED)
    tests = yaml.safe_load((SHIPPED / "rules" / "tests" / "programmes.yaml").read_text(encoding="utf-8"))["tests"]
    import datetime as dt

    from ratecard.case.model import Case

    checked = 0
    for t in tests:
        case = Case.model_validate_json(json.dumps({"id": "t", **t["case"]}, default=str))
        s = screen(case, cat, on=dt.date.fromisoformat(str(t["date"])))
        for iid, want in t["expect"].get("decisions", {}).items():
            if want != "eligible_if_agreed":
                continue
            r = s.result(iid)
            assert not r.missing, (t["name"], iid, [m.field for m in r.missing])
            judged = {x.id for x in cat.rules.rules[iid] if x.judgement}
            open_ = {x.rule for x in r.reasons if x.outcome in ("to_check", "unknown")}
            assert open_ <= judged and open_ == {j.rule for j in r.to_check} and r.to_check, (t["name"], iid)
            assert r.if_agreed and all(j.text in r.if_agreed for j in r.to_check), (t["name"], iid)
            checked += 1
    assert checked >= 8


def test_the_screen_runs_on_the_national_catalog_and_never_calls_a_judgement_met() -> None:
    cat = load_catalog(SHIPPED)
    for p in sorted((REPO / "examples" / "cases").glob("*.yaml")):
        s = screen(load_case(p), cat, on=__import__("datetime").date(2026, 7, 1))
        assert not {w.code for w in s.warnings} & {"unknown_town", "unknown_area"}, p.name  # a national catalog has no town list
        for r in s.results:
            judged = [x for x in cat.rules.rules[r.intervention] if x.judgement]
            if judged:
                assert r.decision != "eligible", (p.name, r.intervention)
            assert all(w.code != "not_near_home" for w in r.warnings)


def test_a_field_the_importer_does_not_know_stops_it(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(_source(), src)
    f = src / "thinking-skills-programme-acp.json"
    data = json.loads(f.read_text(encoding="utf-8"))
    data["exclusion"]["gang_affiliation_guide"] = "No gang affiliation"
    f.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FindAndReferError) as e:
        run(src, tmp_path / "out")
    assert "thinking-skills-programme-acp.json" in str(e.value) and "exclusion.gang_affiliation_guide" in str(e.value)
    assert not (tmp_path / "out").exists()  # nothing written


def test_the_import_refuses_to_leave_stale_files_behind(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "catalog" / "interventions").mkdir(parents=True)
    (out / "catalog" / "interventions" / "old.yaml").write_text("interventions: []\n", encoding="utf-8")
    with pytest.raises(FindAndReferError, match="not written by this import"):
        run(_source(), out)


def test_the_command_prints_the_table_and_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ratecard.cli import main

    try:
        main(["import", "find-and-refer", str(_source()), "--out", str(tmp_path / "national")])
    except SystemExit as e:
        assert e.code in (0, None)
    out = capsys.readouterr().out
    assert "risk_consideration.ogrs_score_guide" in out and "needing a person's judgement" in out
    assert "Wrote and validated" in out
