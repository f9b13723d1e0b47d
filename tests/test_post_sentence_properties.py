"""Invariants of the checks after sentence, on generated cases (tests/cases.py) and the default catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ratecard import Case, default_catalog
from ratecard.decide.allocation import allocate
from ratecard.decide.checkbatch import check_rows
from ratecard.catalog.load import default_catalog_path
from ratecard.case.events import case_on
from ratecard.case.facts import order_dates
from ratecard.decide.ledger import rar_ledger
from ratecard.decide.referral import check_referral
from ratecard.decide.screen import screen
from tests.cases import ON, post_sentence_cases, post_sentence_dicts

pytestmark = pytest.mark.skipif(not (default_catalog_path() / "catalog.yaml").exists(), reason="default catalog not present")
CATALOG = default_catalog()
IDS = sorted(CATALOG.interventions)
BLOCKING = {"cannot_finish", "withdrawn", "suspended", "order_length_unknown", "other_area"}


@settings(max_examples=80, deadline=None)
@given(post_sentence_cases, st.sampled_from(IDS))
def test_a_check_never_accepts_what_the_screen_finds_ineligible(case: Case, iv: str) -> None:
    c = check_referral(case, iv, CATALOG, on=ON)
    decision = screen(case_on(case, ON), CATALOG, on=ON).result(iv).decision
    assert c.decision == decision
    if decision == "ineligible":
        assert c.verdict == "reject"
    elif decision == "undetermined":
        assert c.verdict in ("reject", "undetermined")
    need = CATALOG.interventions[iv].requires
    reqs = case.sentence.requirements
    licence = case.sentence.type in ("licence", "post_sentence_supervision")
    if licence:
        # no RAR after release: RAR activities are licence work, and no RAR days are counted
        assert c.rar is None
        if need == "rar":
            assert "licence_work" in {w.code for w in c.warnings}
    if need == "unpaid_work" and licence:
        assert c.verdict == "reject" and "not_on_licence" in {f.code for f in c.reasons}
    elif need not in ("none", "rar") and licence:
        # on licence the work is a licence condition, not a court requirement
        assert "requirement_missing" not in {f.code for f in c.reasons} and "licence_work" in {w.code for w in c.warnings}
    elif need == "accredited_programme" and not licence and reqs is not None and need not in reqs and "rar" in reqs:
        # a programme within a RAR is lawful (Criminal Justice Act 2003 s.200A): a warning, never a rejection
        assert "requirement_missing" not in {f.code for f in c.reasons}
        assert "programme_within_rar" in {w.code for w in c.warnings}
    elif need != "none" and not licence and reqs is not None and need not in reqs:
        assert c.verdict == "reject", "a referral the order does not carry the requirement for must not be accepted"
    elif need != "none" and not licence and reqs is None:
        assert c.verdict in ("reject", "undetermined") and "sentence.requirements" in [m.field for m in c.missing]
    assert (c.verdict in ("reject", "undetermined")) == bool(c.reasons)
    assert (c.verdict == "undetermined") == (bool(c.reasons) and all(f.code == "information_missing" for f in c.reasons))
    if c.verdict == "accept":
        assert not c.warnings
    assert (c.on, c.catalog_version, c.case_id) == (ON, CATALOG.version, case.id)


@settings(max_examples=60, deadline=None)
@given(post_sentence_cases, st.sampled_from(IDS))
def test_alternatives_are_always_eligible_and_finishable(case: Case, iv: str) -> None:
    c = check_referral(case, iv, CATALOG, on=ON)
    now = case_on(case, ON)
    s = screen(now, CATALOG, on=ON)
    dates = order_dates(now, ON)
    weeks_left = None if dates is None else (dates[1] - max(dates[0], ON)).days / 7
    target = CATALOG.interventions[iv]
    for a in c.alternatives:
        assert a.intervention != iv
        r = s.result(a.intervention)
        assert r.decision == "eligible"
        # an alternative nothing known rules out is listed, with what cannot be settled for it yet
        assert not (BLOCKING - {"order_length_unknown"}) & {w.code for w in r.warnings}
        assert all(w.text in a.warnings for w in r.warnings if w.code == "order_length_unknown")
        if a.weeks_to_finish is not None and weeks_left is not None:
            assert a.weeks_to_finish <= weeks_left
        alt = CATALOG.interventions[a.intervention]
        assert (alt.kind == "unpaid_work_placement") == (target.kind == "unpaid_work_placement")
        if alt.kind != "unpaid_work_placement":
            assert a.shared_needs and set(a.shared_needs) <= set(target.needs) & set(alt.needs)
        assert check_referral(case, a.intervention, CATALOG, on=ON).verdict != "reject"
    if c.verdict not in ("reject", "undetermined"):
        assert c.alternatives == () and c.alternatives_note is None
    elif not c.alternatives and not (target.kind == "unpaid_work_placement" and "not_on_licence" in {f.code for f in c.reasons}):
        # (unpaid work on licence: the reason says no placement can be part of it, and there is no court to tell)
        assert c.alternatives_note, "a rejection with no alternative must say so plainly"
    assert "Tell the court" not in (c.alternatives_note or "") or case.sentence.type not in ("licence", "post_sentence_supervision")


@settings(max_examples=80, deadline=None)
@given(post_sentence_cases)
def test_the_ledger_counts_only_activity_days_up_to_the_reference_date(case: Case) -> None:
    ledger = rar_ledger(case, ON, CATALOG)
    if ledger is None:
        assert not case.rar_ledger and case.sentence.rar_days is None
        return
    counted = {e.date for e in case.rar_ledger or () if e.kind == "activity" and e.date <= ON}
    assert ledger.days_used <= len(counted)
    supervision = [e for e in case.rar_ledger or () if e.kind == "supervision" and e.date <= ON]
    assert len([f for f in ledger.flagged if f.code == "supervision_as_rar"]) == len(supervision)
    if case.sentence.rar_days is not None:
        assert ledger.days_left == max(case.sentence.rar_days - ledger.days_used, 0)


def _category_1(case: Case) -> bool | None:
    """MAPPA category 1: a sexual offence with notification requirements, or still on the register
    from an earlier one, asked only when a past sexual offence is recorded (None: cannot tell)."""
    o, h = case.offence, case.history
    sexual = True if (o.sexual is True or o.category == "sexual") else False if (o.sexual is False and o.category is not None) else None
    if sexual is False or o.notification_requirements is False:
        now: bool | None = False
    else:
        now = True if sexual and o.notification_requirements else None
    before = True if h.notification_requirements is True else None if (h.sexual is True and h.notification_requirements is None) else False
    if now is True or before is True:
        return True
    return False if now is False and before is False else None


def _who(rosh: str | None, mappa: int | None, cat1: bool | None) -> str | None:
    if rosh in ("high", "very_high") or (mappa or 0) > 0 or cat1:
        return "nps"
    return "crc" if rosh is not None and mappa == 0 and cat1 is False else None


@settings(max_examples=60, deadline=None)
@given(post_sentence_cases)
def test_a_crc_case_whose_risk_rises_to_high_is_always_escalated(case: Case) -> None:
    a = allocate(case, CATALOG, on=ON)
    rosh, mappa, cat1 = case.risk.rosh, case.risk.mappa_level, _category_1(case)
    before, rise = _who(rosh, mappa, cat1), None
    for e in sorted(case.events or (), key=lambda e: e.date):
        if e.date > ON:
            break
        rosh, mappa = e.rosh or rosh, mappa if e.mappa_level is None else e.mappa_level
        now = _who(rosh, mappa, cat1)
        if rise is None and before == "crc" and now == "nps":
            rise = e.date
        before = now
    assert (a.escalation.date if a.escalation else None) == rise
    if a.escalation is not None:
        assert "NPS" in a.escalation.reason and "high" in a.escalation.reason


BAD_ROWS = st.sampled_from([
    "{broken",
    json.dumps({"case": {"id": "x", "risk": {"rosh": "huge"}}, "intervention": "bbr"}),
    json.dumps({"case": "no-such-file.yaml", "intervention": "bbr"}),
    json.dumps({"case": {"id": "y"}, "intervention": "no_such"}),
    json.dumps({"intervention": "tsp"}),
    json.dumps([1, 2]),
    json.dumps({"case": {"id": "z"}, "intervention": "bbr", "extra": 1}),
    json.dumps({"case": {"id": "d", "person": {"date_of_birth": "2030-01-01"}}, "intervention": "bbr"}),
])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(post_sentence_dicts, st.sampled_from(IDS)), min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 4), BAD_ROWS), min_size=1, max_size=3))
def test_a_bad_row_in_a_batch_never_changes_the_results_of_the_other_rows(tmp_path: Path, good: list[Any], bad: list[Any]) -> None:
    good_lines = [json.dumps({"case": d, "intervention": iv}) for d, iv in good]
    mixed: list[tuple[bool, str]] = [(True, x) for x in good_lines]
    for pos, line in sorted(bad, reverse=True):
        mixed.insert(min(pos, len(mixed)), (False, line))
    clean = tmp_path / "clean.jsonl"
    dirty = tmp_path / "dirty.jsonl"
    clean.write_text("\n".join(good_lines) + "\n")
    dirty.write_text("\n".join(x for _, x in mixed) + "\n")
    expected = [r.model_dump(exclude={"row", "line"}) for r in check_rows(clean, CATALOG, on=ON)]
    assert all(r["status"] == "checked" for r in expected)
    got = list(check_rows(dirty, CATALOG, on=ON))
    assert [r.row for r in got] == list(range(1, len(mixed) + 1))
    assert [r.status for r, (ok, _) in zip(got, mixed) if not ok] == ["error"] * len(bad)
    assert all(r.errors and r.errors[0].field for r, (ok, _) in zip(got, mixed) if not ok)
    assert [r.model_dump(exclude={"row", "line"}) for r, (ok, _) in zip(got, mixed) if ok] == expected
