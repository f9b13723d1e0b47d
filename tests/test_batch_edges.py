"""The batch back end at its edges: interventions with many rules, rule ids that look like its own
column names, and CSV results that a spreadsheet opens. Each compares with screen(), the per-case
path, or reads the file as a person's spreadsheet would."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ratecard import load_catalog, screen
from ratecard.case.model import Case
from ratecard.decide.screen_many import screen_many, write_results

from .cases import ON
from .catalog_copy import CatalogCopy

BASE = {"person": {"sex": "male", "date_of_birth": "1980-01-01", "home_town": "northampton"},
        "offence": {"category": "violence", "intimate_partner_violence": True},
        "risk": {"sara_partner": "medium", "ogrs3_2yr": 40.0, "ovp_2yr": 30.0, "rosh": "medium"},
        "sentence": {"type": "community_order", "length_months": 24, "start": "2017-02-01"}}


def _cases(ogrs: list[float | None]) -> list[Case]:
    out = []
    for i, x in enumerate(ogrs):
        d = json.loads(json.dumps(BASE))
        if x is None:
            del d["risk"]["ogrs3_2yr"]
        else:
            d["risk"]["ogrs3_2yr"] = x
        out.append(Case.model_validate({**d, "id": f"c{i}"}))
    return out


def _same_as_screen(cat: Any, cases: list[Case]) -> None:
    got = {line["case_id"]: line["results"] for line in map(json.loads, screen_many(cases, cat, on=ON).json_lines())}
    for c in cases:
        want = [{"intervention": r.intervention, "decision": r.decision, "rules": [x.rule for x in r.reasons],
                 "to_check": [j.rule for j in r.to_check], "missing": [m.field for m in r.missing]} for r in screen(c, cat, on=ON).results]
        assert got[c.id] == want, c.id


@pytest.mark.parametrize("total", [63, 64, 65, 130])
def test_an_intervention_with_64_or_more_rules_gets_every_deciding_rule(tmp_path: Path, total: int) -> None:
    copy = CatalogCopy(tmp_path)
    extra = total - len(load_catalog().rules.rules["bbr"])
    # exclusion k holds from an OGRS3 score of 1 + 0.75 k: a score of 99.5 is excluded by every one (the
    # last rule, past the 64th, decides too), 0.5 by none, and no score leaves them undetermined
    copy.rules_of("bbr", lambda e: e.setdefault("exclusions", []).extend(
        {"id": f"bbr.extra_{k:03d}", "text": f"OGRS3 of {1 + k * 0.75} or more.", "when": {"field": "risk.ogrs3_2yr", "gte": 1 + k * 0.75}}
        for k in range(extra)))
    cat = load_catalog(copy.root / "catalog")
    assert len(cat.rules.rules["bbr"]) == total
    cases = _cases([99.5, 0.5, None])
    _same_as_screen(cat, cases)
    last = cat.rules.rules["bbr"][-1].id
    assert last in [r.rule for r in screen(cases[0], cat, on=ON).result("bbr").reasons]


def test_rule_ids_that_look_like_internal_columns_do_not_collide(tmp_path: Path) -> None:
    copy = CatalogCopy(tmp_path)
    # an intervention whose two rules can each be unknown while together they fail for sure (a
    # score below 50 fails one or the other, whatever the sex): it has an eligibility form of its own
    entry = {**copy.entry("bbr"), "id": "xeli", "name": "Cross-rule eligibility"}
    copy.add(entry, {"criteria": [
        {"id": "xeli.a", "text": "Men, or a high score.",
         "when": {"any": [{"field": "person.sex", "eq": "male"}, {"field": "risk.ogrs3_2yr", "gte": 50}]}},
        {"id": "xeli.b", "text": "Women, or a high score.",
         "when": {"any": [{"field": "person.sex", "eq": "female"}, {"field": "risk.ogrs3_2yr", "gte": 50}]}}]})
    # rule ids shaped like the back end's old column names for that intervention and others
    copy.rules_of("tsp", lambda e: e["criteria"].extend([
        {"id": "#xeli", "text": "OGRS3 at least 10.", "when": {"field": "risk.ogrs3_2yr", "gte": 10}},
        {"id": "bbr#d", "text": "OGRS3 at most 90.", "when": {"field": "risk.ogrs3_2yr", "lte": 90}},
        {"id": "row", "text": "Not a woman.", "when": {"field": "person.sex", "ne": "female"}}]))
    cat = load_catalog(copy.root / "catalog")
    assert "xeli" in cat.program.eligibility
    cases = _cases([5.0, 40.0, 60.0, None])
    cases.append(Case.model_validate({**BASE, "id": "nosex", "person": {"date_of_birth": "1980-01-01"},
                                      "risk": {"ogrs3_2yr": 30.0}}))
    _same_as_screen(cat, cases)
    assert screen(cases[-1], cat, on=ON).result("xeli").decision == "ineligible"


def test_csv_results_keep_formula_like_case_ids_as_text(tmp_path: Path) -> None:
    from ratecard import default_catalog

    ids = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+cmd|' /C calc'!A0", "-1", "@SUM(A1)", "plain"]
    rows: list[dict[str, Any]] = [{**BASE, "id": i} for i in ids]
    out = tmp_path / "x.csv"
    write_results(screen_many(rows, default_catalog(), on=ON), out, "csv")
    with out.open(newline="") as f:
        got = {r["case_id"] for r in csv.DictReader(f)}
    assert got == {"'" + i for i in ids[:4]} | {"plain"}
