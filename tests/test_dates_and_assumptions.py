"""Issue 9 in Python where YAML rule tests cannot reach: statuses in time as a property, the
screen's reading order, the briefing's period of changes, and assumptions shown wherever they
are relied on (data, briefing, docs/catalog.md)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ratecard import CaseError, build_briefing, default_catalog, parse_case, render_briefing, screen
from ratecard.catalog.model import Status
from ratecard.decide.allocation import allocate
from ratecard.decide.screen import AVAILABLE
from ratecard.present.screen import screen_view
from rich.console import Console

from .catalog_copy import REPO

CATALOG = default_catalog()
ON = dt.date(2017, 3, 1)
DAYS = st.dates(dt.date(2015, 1, 1), dt.date(2019, 12, 31))


@st.composite
def statuses(draw: st.DrawFn) -> Status:
    state = draw(st.sampled_from(["open", "waiting_list", "suspended", "withdrawn"]))
    data: dict = {"state": state}
    if state == "waiting_list":
        data["waiting_weeks"] = draw(st.integers(0, 40))
    if state in ("suspended", "withdrawn"):
        data["since"] = str(draw(DAYS))
        data["reason"] = "r"
        if state == "suspended" and draw(st.booleans()):
            data["until"] = str(dt.date.fromisoformat(data["since"]) + dt.timedelta(days=draw(st.integers(0, 400))))
    elif draw(st.booleans()):
        data["until"] = str(draw(DAYS))
        data["reason"] = "r"
    return Status.model_validate_json(json.dumps(data))


@settings(max_examples=200, deadline=None)
@given(statuses(), DAYS)
def test_the_status_on_a_day_is_the_one_its_dated_changes_lead_to(status: Status, day: dt.date) -> None:
    """Replaying the dated changes from the start gives the status in force on any day."""
    changes = status.changes()
    current = changes[0][1] if changes else status.state
    state = current
    for when, before, after, _ in changes:
        assert before == current and (not changes or when >= changes[0][0])
        current = after
        if when <= day:
            state = after
    assert status.on(day).state == state
    on = status.on(day)
    if on.since is not None:
        assert on.since <= day
    if on.until is not None:
        assert day <= on.until


def _case(**over: object) -> dict:
    d: dict = {
        "id": "t",
        "person": {"sex": "male", "date_of_birth": "1985-02-10", "home_town": "corby", "area": "northamptonshire"},
        "offence": {"category": "violence", "sexual": False, "intimate_partner_violence": True},
        "history": {"violence": True, "intimate_partner_violence": False, "completed_programmes": []},
        "risk": {"rosh": "medium", "ovp_2yr": 42.0, "ogrs3_2yr": 55.0, "sara_partner": "medium", "mappa_level": 0},
        "responsivity": {"has_transport": False, "reads_simple_sentences": True, "mental_health_prevents_group_work": False},
        "sentence": {"type": "community_order", "length_months": 24, "start": "2017-03-06", "rar_days": 20,
                     "requirements": ["rar", "accredited_programme"]},
    }
    d.update(over)
    return d


def test_the_screen_reads_eligible_and_available_first_then_eligible_but_unavailable_said_plainly() -> None:
    s = screen(parse_case(json.dumps(_case())), CATALOG, on=ON)
    order = s.in_reading_order()
    rank = {("eligible", True): 0, ("eligible", False): 1, "undetermined": 2, "ineligible": 3}
    ranks = [rank[(r.decision, r.available)] if r.decision == "eligible" else rank[r.decision] for r in order]
    assert ranks == sorted(ranks) and 0 in ranks and 1 in ranks
    assert s.result("resolve").decision == "eligible" and s.result("resolve").availability == "withdrawn"
    unusable = [r.intervention for r in order if r.decision == "eligible" and not r.available]
    assert "resolve" in unusable
    text = Console(width=200, record=True)
    text.print(screen_view(s, width=200))
    out = text.export_text()
    assert "eligible but not available now" in out and "WITHDRAWN" in out
    # RESOLVE's row shows the decision and the availability side by side
    row = next(line for line in out.splitlines() if "RESOLVE" in line)
    assert "eligible" in row and "WITHDRAWN" in row


@settings(max_examples=40, deadline=None)
@given(DAYS)
def test_availability_follows_the_status_on_the_reference_date(day: dt.date) -> None:
    case = parse_case(json.dumps(_case(sentence={"type": "community_order", "length_months": 24, "start": str(day),
                                                  "requirements": ["accredited_programme"]})))
    s = screen(case, CATALOG, on=day)
    for r in s.results:
        st_ = CATALOG.interventions[r.intervention].status_on(day).state
        if st_ in ("suspended", "withdrawn"):
            assert r.availability == st_
        else:
            assert r.availability in (*AVAILABLE, "not_reachable")
            assert (r.availability == "waiting_list") == (st_ == "waiting_list")


def test_age_is_reported_with_the_date_it_was_measured_on() -> None:
    # adult or youth is decided at conviction (Criminal Justice Act 2003 s.177(1))
    convicted = _case(offence={"conviction_date": "2017-02-06"})
    s = screen(parse_case(json.dumps(convicted)), CATALOG, on=ON)
    assert s.age is not None and (s.age.years, s.age.on, s.age.basis) == (31, dt.date(2017, 2, 6), "conviction")
    # without it, the latest the conviction can have been: the reference date before an order that
    # starts later, the order start once it has started
    s = screen(parse_case(json.dumps(_case())), CATALOG, on=ON)
    assert s.age is not None and (s.age.on, s.age.basis) == (ON, "reference_date")
    s = screen(parse_case(json.dumps(_case())), CATALOG, on=dt.date(2017, 5, 1))
    assert s.age is not None and (s.age.on, s.age.basis) == (dt.date(2017, 3, 6), "order_start")


def test_a_rar_on_a_licence_is_an_input_error_naming_the_field() -> None:
    with pytest.raises(CaseError, match="a RAR exists only on community orders and suspended sentence orders"):
        parse_case(json.dumps(_case(sentence={"type": "licence", "length_months": 12, "rar_days": 10, "requirements": ["rar"]})))


def test_allocate_says_why_a_category_1_case_is_nps_and_that_the_mappa_level_disagrees() -> None:
    case = _case(offence={"category": "sexual", "sexual": True, "notification_requirements": True})
    a = allocate(parse_case(json.dumps(case)), CATALOG, on=ON)
    assert a.allocation == "nps" and "MAPPA category 1" in a.reason
    assert a.warnings and "MAPPA level 0" in a.warnings[0]


def test_a_briefing_since_a_date_reports_the_status_changes_of_the_period_with_their_dates() -> None:
    b = build_briefing("northamptonshire", CATALOG, on=ON, since=dt.date(2016, 6, 1))
    assert b.changes is not None
    got = [(x.id, x.old_state, x.new_state, x.since) for x in b.changes.status]
    assert ("resolve", "open", "withdrawn", "2017-01-01") in got
    assert ("tsp", "open", "suspended", "2016-07-01") in got and ("tsp", "suspended", "waiting_list", "2017-01-01") in got
    assert ("horizon", "suspended", "open", "2017-01-01") in got  # the day it first runs
    md = render_briefing(b, "md")
    assert "## Changes since 2016-06-01" in md
    # nothing changed in a period with no dated change
    quiet = build_briefing("northamptonshire", CATALOG, on=ON, since=dt.date(2017, 2, 1))
    assert quiet.changes is not None and quiet.changes.empty


def test_every_assumption_in_the_catalog_is_printed_in_the_briefing() -> None:
    b = build_briefing("northamptonshire", CATALOG, on=ON)
    md = render_briefing(b, "md").replace("\\", "")
    flat = " ".join(md.split())
    for iv in CATALOG.interventions.values():
        for a in iv.assumptions:
            assert " ".join(a.split()) in flat, iv.id
        if iv.where.assumed and not iv.where.outreach:
            assert iv.id in [e.id for e in b.open_entries + b.unavailable]
    assert "(assumption)" in md and "(from the inspection report)" in md and "(from HMPPS criteria)" in md


def test_every_capacity_the_report_does_not_give_is_marked_illustrative() -> None:
    for iv in CATALOG.interventions.values():
        if iv.capacity is not None:
            assert "capacity" in iv.illustrative, iv.id  # the report gives no places a year for anything
        else:
            # only advice to the officer has no places; anything else says why it gives none
            assert iv.kind == "consultation" or any("apacity" in a for a in iv.assumptions), iv.id


def test_the_catalog_page_lists_every_intervention_that_rests_on_an_assumption() -> None:
    page = (REPO / "docs" / "catalog.md").read_text(encoding="utf-8")
    section = page.split("## Assumptions in the default catalog", 1)[1].split("\n## ", 1)[0]
    for iv in CATALOG.interventions.values():
        if iv.assumptions or iv.where.assumed:
            assert f"`{iv.id}`" in section, iv.id


def test_the_providers_say_who_owns_bench() -> None:
    bench, nacro = CATALOG.providers["bench_crc"].description or "", CATALOG.providers["nacro"].description or ""
    assert "owned by Sodexo" in bench
    assert "owner" not in nacro and "Sodexo owns BeNCH" in nacro


def test_family_support_is_not_housing_help_and_the_opd_pathway_meets_no_need_of_its_own() -> None:
    """A proposal never meets an accommodation need with Ormiston Families, nor a thinking and
    behaviour need with the OPD pathway (a consultation for the officer)."""
    from ratecard import propose

    case = _case(
        person={"sex": "male", "date_of_birth": "1983-08-14", "home_town": "northampton", "area": "northamptonshire"},
        risk={"rosh": "high", "ogrs3_2yr": 40.0, "ovp_2yr": 20.0, "mappa_level": 0, "sara_partner": "low"},
        needs={"accommodation": {"score": 4, "linked_to_harm": True}, "thinking_and_behaviour": {"score": 6, "linked_to_harm": True}},
        responsivity={"likely_personality_disorder": True, "parent_or_carer": True, "has_transport": True},
        sentence={"type": "community_order", "length_months": 24, "rar_days": 30, "requirements": ["rar"]},
    )
    s = screen(parse_case(json.dumps(case)), CATALOG, on=ON)
    assert s.result("ormiston_family_support").decision == "eligible" and s.result("opd_pathway").decision == "eligible"
    p = propose(parse_case(json.dumps(case)), CATALOG, on=ON)
    meets = {(i.intervention, n) for i in p.package for n in [i.need, *i.also_meets]}
    assert ("ormiston_family_support", "accommodation") not in meets
    assert "opd_pathway" not in [i.intervention for i in p.package]


def test_a_child_is_told_once_why_nothing_adult_applies_and_when_they_turn_18() -> None:
    # 17 on the reference date, 18 on 20/04/2017: every adult intervention is 'not eligible', and
    # the screen says why once, with the birthday and the youth order that applies instead
    person = {"sex": "male", "date_of_birth": "1999-04-20", "home_town": "corby", "area": "northamptonshire"}
    no_start = _case(person=person, sentence={"type": "community_order", "length_months": 24})
    s = screen(parse_case(json.dumps(no_start)), CATALOG, on=ON)
    under = [w.text for w in s.warnings if w.code == "under_18"]
    assert len(under) == 1 and "20/04/2017" in under[0] and "youth rehabilitation order" in under[0]
    assert not s.by_decision("eligible")
    # an order starting on the birthday changes nothing: he was convicted before it (CJA 2003 s.177(1))
    starts = {"type": "community_order", "length_months": 24, "start": "2017-04-20", "rar_days": 20,
              "requirements": ["rar", "accredited_programme"]}
    s = screen(parse_case(json.dumps(_case(person=person, sentence=starts))), CATALOG, on=ON)
    assert s.age is not None and s.age.years == 17 and [w for w in s.warnings if w.code == "under_18"]
    # convicted on the birthday, he is an adult: an adult order, no youth warning
    adult = _case(person=person, offence={"conviction_date": "2017-04-20"}, sentence=starts)
    s = screen(parse_case(json.dumps(adult)), CATALOG, on=dt.date(2017, 4, 20))
    assert s.age is not None and s.age.years == 18 and not [w for w in s.warnings if w.code == "under_18"]


def test_an_order_that_ended_before_the_reference_date_is_said_once_with_what_to_check() -> None:
    # most often a reference date left at today for an old file
    s = screen(parse_case(json.dumps(_case())), CATALOG, on=dt.date(2026, 11, 27))
    ended = [w.text for w in s.warnings if w.code == "order_ended"]
    assert len(ended) == 1 and "06/03/2019" in ended[0] and "check the reference date" in ended[0]
    assert not [w for w in screen(parse_case(json.dumps(_case())), CATALOG, on=ON).warnings if w.code == "order_ended"]
