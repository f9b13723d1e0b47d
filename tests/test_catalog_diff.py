"""`--since`: the diff between two catalogs lists exactly the differences, no more and no fewer."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from .catalog_copy import REPO, CatalogCopy

from ratecard import load_catalog
from ratecard.decide.briefing import build_briefing
from ratecard.present.briefing import render_briefing
from ratecard.catalog.diff import diff_catalogs

AREA = "northamptonshire"


def test_a_catalog_against_itself_has_no_differences(tmp_path: Path) -> None:
    old = load_catalog(REPO)
    new = load_catalog(CatalogCopy(tmp_path).root)  # a re-written copy: file layout must not matter
    d = diff_catalogs(old, new, area=AREA)
    assert d.empty
    assert "No changes." in render_briefing(build_briefing(new, AREA, on=dt.date(2017, 3, 1), since=old), "md")


def test_each_kind_of_change_is_listed_once_and_nothing_else_is(tmp_path: Path) -> None:
    old = load_catalog(REPO)
    c = CatalogCopy(tmp_path)
    open_ids = sorted(i for i, iv in old.interventions.items() if iv.area == AREA and iv.status.state in ("open", "waiting_list"))
    # pick by role, not by name, so the test follows the catalog as it grows
    waiting = next(i for i in open_ids if old.interventions[i].status.state == "waiting_list")
    to_withdraw = next(i for i in open_ids if old.interventions[i].status.state == "open")
    to_remove = next(i for i in open_ids if i not in (waiting, to_withdraw))
    with_threshold = next(
        r for r in old.rules.all_rules()
        if r.intervention in open_ids and r.intervention not in (waiting, to_withdraw, to_remove)
        and r.kind == "criterion" and r.when.__class__.__name__ == "Cmp" and r.when.op == "gte" and r.when.field == "age"
    )
    detail_id = next(i for i in open_ids if i not in (waiting, to_withdraw, to_remove, with_threshold.intervention))

    new_entry = copy.deepcopy(c.entry(to_remove))
    new_entry["id"] = "brand_new_course"
    new_entry["name"] = "A brand new course"
    c.add(new_entry, {"criteria": [{"id": "brand_new_course.adult", "text": "Adults.", "when": {"field": "age", "gte": 18}}]})
    c.remove(to_remove)
    def withdraw(e: dict) -> None:
        e["status"] = {"state": "withdrawn", "since": dt.date(2017, 2, 1), "reason": "Funding ended."}

    c.intervention(to_withdraw, withdraw)
    c.intervention(waiting, lambda e: e["status"].__setitem__("waiting_weeks", e["status"]["waiting_weeks"] + 7))

    def raise_age(rules: dict) -> None:
        for r in rules["criteria"]:
            if r["id"] == with_threshold.id:
                r["when"] = {"field": "age", "gte": 21}  # the author's sentence is left unchanged on purpose

    c.rules_of(with_threshold.intervention, raise_age)
    c.intervention(detail_id, lambda e: e.__setitem__("content", e["content"] + " Now also on Saturdays."))
    new = load_catalog(c.root)

    d = diff_catalogs(old, new, area=AREA)
    assert [x.id for x in d.added] == ["brand_new_course"]
    assert [x.id for x in d.removed] == [to_remove]
    assert [(x.id, x.old_state, x.new_state, x.since, x.reason) for x in d.status] == [
        (to_withdraw, old.interventions[to_withdraw].status.state, "withdrawn", "2017-02-01", "Funding ended.")
    ]
    old_wait = old.interventions[waiting].status.waiting_weeks
    assert [(x.id, x.old_weeks, x.new_weeks) for x in d.waiting] == [(waiting, old_wait, old_wait + 7)]
    assert [x.id for x in d.criteria] == [with_threshold.intervention]
    (rc,) = d.criteria[0].rules
    assert (rc.rule, rc.change) == (with_threshold.id, "changed")
    assert rc.old_precise is not None and "18 or more" in rc.old_precise
    assert rc.new_precise is not None and "21 or more" in rc.new_precise
    assert [(x.id, x.fields) for x in d.details] == [(detail_id, ("content",))]
    assert d.terms == ()

    md = render_briefing(build_briefing(new, AREA, on=dt.date(2017, 3, 1), since=old), "md")
    changes = md.split("## Changes since edition", 1)[1].split("\n## ", 1)[0]
    for name in ("A brand new course", old.interventions[to_remove].name, new.interventions[to_withdraw].name,
                 new.interventions[waiting].name, new.interventions[with_threshold.intervention].name):
        assert name.replace("(", "").split()[0] in changes
    assert "Funding ended." in changes
    assert f"{old_wait} weeks → {old_wait + 7} weeks" in changes
    assert "21 or more" in changes


def test_a_changed_definition_is_reported_against_every_intervention_that_relies_on_it(tmp_path: Path) -> None:
    old = load_catalog(REPO)
    term = "need_education_training_and_employability"
    c = CatalogCopy(tmp_path)
    c.derived(term, lambda d: d["cases"][2]["when"].__setitem__("gte", 5))  # the score threshold (cases 0 and 1: identified)
    new = load_catalog(c.root)
    d = diff_catalogs(old, new, area=AREA)
    users = sorted(
        i for i, iv in old.interventions.items()
        if iv.area == AREA and any(term in r.fields for r in old.rules.rules[i])
    )
    assert users
    assert [x.id for x in d.criteria] == users
    assert all(x.rules == () and x.terms == (term,) for x in d.criteria)
    assert [(t.id, t.change) for t in d.terms] == [(term, "changed")]
    assert d.terms[0].new_precise is not None and "5 or more" in d.terms[0].new_precise
    assert not (d.added or d.removed or d.status or d.waiting or d.details)


def test_provision_in_another_area_is_left_out_of_an_area_diff(tmp_path: Path) -> None:
    old = load_catalog(REPO)
    c = CatalogCopy(tmp_path)
    c.info(lambda i: i["areas"].append({"id": "rutland", "name": "Rutland", "towns": ["oakham"]}))
    c.providers(lambda p: p["providers"][0]["areas"].append("rutland"))
    entry = copy.deepcopy(next(iter(old.interventions.values())).model_dump(mode="json"))
    entry.update(id="rutland_course", name="Rutland course", area="rutland", where={"towns": ["oakham"], "offices": [], "outreach": False})
    entry["provider"] = next(iter(old.providers))
    c.add(entry, {"criteria": []})
    new = load_catalog(c.root)
    assert diff_catalogs(old, new, area=AREA).empty
    assert [x.id for x in diff_catalogs(old, new, area="rutland").added] == ["rutland_course"]
