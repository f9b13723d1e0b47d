"""Generated cases for property tests: every field optional, values typed as the Case model wants."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, get_args

from hypothesis import strategies as st

from ratecard.case.model import NEED_SECTIONS, UNSCORED_SECTIONS, Case, Requirement

ON = dt.date(2017, 3, 1)


def _opt(s: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), s)


def _section(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


pct = st.floats(0, 100, allow_nan=False).map(lambda v: round(v, 2))
need = st.fixed_dictionaries(
    {}, optional={"score": st.integers(0, 12), "linked_to_harm": st.booleans(), "linked_to_reoffending": st.booleans(), "identified": st.booleans()}
)

def _lawful_length(sentence: dict[str, Any]) -> dict[str, Any]:
    # a suspended sentence order's operational period is 6 months to 2 years (CJA 2003 s.189(3))
    n = sentence.get("length_months")
    if sentence.get("type") == "suspended_sentence_order" and n is not None and not 6 <= n <= 24:
        return {**sentence, "length_months": min(max(n, 6), 24)}
    return sentence


def _no_unscored_scores(needs: dict[str, Any]) -> dict[str, Any]:
    # finance and emotional wellbeing have no score: a case gives 'identified' for them
    return {k: {f: v for f, v in n.items() if f != "score"} if n and k in UNSCORED_SECTIONS else n for k, n in needs.items()}


_base_dicts = st.fixed_dictionaries(
    {"id": st.from_regex(r"[a-z]{1,8}-[0-9]{1,4}", fullmatch=True)},
    optional={
        "person": _section({
            "sex": st.sampled_from(["male", "female"]),
            "date_of_birth": st.dates(dt.date(1940, 1, 1), dt.date(2005, 12, 31)).map(str),
            "home_town": st.sampled_from(["northampton", "kettering", "corby", "wellingborough", "daventry"]),
            "area": st.just("northamptonshire"),
        }),
        "offence": _section({
            "category": st.sampled_from(["violence", "sexual", "acquisitive", "drugs", "other"]),
            "intimate_partner_violence": st.booleans(), "sexual": st.booleans(), "internet_only": st.booleans(),
            "notification_requirements": st.booleans(), "female_partner": st.booleans(),
        }),
        "history": _section({
            "intimate_partner_violence": st.booleans(), "sexual": st.booleans(), "violence": st.booleans(),
            "notification_requirements": st.booleans(),
            "completed_programmes": st.lists(st.sampled_from(["horizon", "ihorizon", "bbr", "tsp"]), unique=True),
        }),
        "risk": _section({
            "rosh": st.sampled_from(["low", "medium", "high", "very_high"]),
            "ogrs3_2yr": pct, "ovp_2yr": pct, "rsr": st.floats(0, 10, allow_nan=False).map(lambda v: round(v, 2)),
            "osp_dc": st.sampled_from(["low", "medium", "high", "very_high", "not_applicable"]),
            "osp_iic": st.sampled_from(["low", "medium", "high", "very_high", "not_applicable"]),
            "sara_partner": st.sampled_from(["low", "medium", "high", "very_high", "not_applicable"]),
            "sara_others": st.sampled_from(["low", "medium", "high", "very_high", "not_applicable"]),
            "mappa_level": st.sampled_from([0, 1, 2, 3]),
        }),
        "needs": st.dictionaries(st.sampled_from(NEED_SECTIONS), _opt(need)).map(_no_unscored_scores),
        "oasys": _section({k: st.integers(0, 2) for k in (
            "sexual_preoccupation", "offence_related_sexual_interests", "emotional_congruence_with_children")}),
        "responsivity": _section({k: st.booleans() for k in (
            "learning_disability", "reads_simple_sentences", "needs_interpreter", "mental_health_prevents_group_work",
            "veteran", "care_responsibilities", "at_risk_in_group", "has_transport", "parent_or_carer",
            "likely_personality_disorder")}),
        "motivation": st.sampled_from(["close_to_change", "not_close_to_change", "low"]),
        "sentence": _section({
            "type": st.sampled_from(["community_order", "suspended_sentence_order", "licence"]),
            "length_months": st.integers(1, 36),
            "start": st.dates(dt.date(2015, 1, 1), dt.date(2017, 3, 1)).map(str),
        }).map(_lawful_length),
    },
)


@st.composite
def _convicted(draw: st.DrawFn, d: dict[str, Any]) -> dict[str, Any]:
    """Sometimes a conviction date: after the tenth birthday, on or before the order start."""
    born = d.get("person", {}).get("date_of_birth")
    start = d.get("sentence", {}).get("start")
    lo = dt.date.fromisoformat(born).replace(month=1, day=1) + dt.timedelta(days=366 * 11) if born else dt.date(2000, 1, 1)
    hi = min(dt.date.fromisoformat(start), ON + dt.timedelta(days=90)) if start else ON + dt.timedelta(days=90)
    if lo > hi or not draw(st.booleans()):
        return d
    return {**d, "offence": {**d.get("offence", {}), "conviction_date": str(draw(st.dates(lo, hi)))}}


case_dicts = _base_dicts.flatmap(_convicted)


def to_case(d: dict[str, Any]) -> Case:
    return Case.model_validate_json(json.dumps(d))


cases = case_dicts.map(to_case)


# After sentence: the order's requirements, RAR days and unpaid work hours, the RAR-day ledger and
# events. Dates run past ON so that entries and events after the reference date are generated too.
_REQUIREMENTS = list(get_args(Requirement))
_IDS = ["bold_moves_victim_awareness", "bold_moves_motivation", "crc_ete", "s2s_drr_group", "bbr", "upw_good_loaf", "elsewhere"]
_ledger = st.lists(st.fixed_dictionaries(
    {"date": st.dates(dt.date(2015, 1, 1), dt.date(2017, 6, 1)).map(str), "kind": st.sampled_from(["activity", "supervision"])},
    optional={"intervention": st.sampled_from(_IDS)}), max_size=8)
_events = st.lists(st.one_of(
    st.fixed_dictionaries({"date": st.dates(dt.date(2015, 1, 1), dt.date(2017, 6, 1)).map(str), "kind": st.just("risk_review"),
                           "rosh": st.sampled_from(["low", "medium", "high", "very_high"])}),
    st.fixed_dictionaries({"date": st.dates(dt.date(2015, 1, 1), dt.date(2017, 6, 1)).map(str),
                           "kind": st.sampled_from(["breach", "motivation_change"]),
                           "motivation": st.sampled_from(["close_to_change", "not_close_to_change", "low"])}),
), max_size=3)


@st.composite
def _post_sentence(draw: st.DrawFn) -> dict[str, Any]:
    d: dict[str, Any] = dict(draw(case_dicts))
    sentence: dict[str, Any] = dict(d.get("sentence", {}))
    reqs = draw(_opt(st.lists(st.sampled_from(_REQUIREMENTS), unique=True, max_size=4)))
    licence = sentence.get("type") in ("licence", "post_sentence_supervision")
    if reqs is not None:
        # a RAR exists only on community orders and suspended sentence orders
        sentence["requirements"] = reqs = [r for r in reqs if r != "rar"] if licence else reqs
    if not licence and (reqs is None or "rar" in reqs) and draw(st.booleans()):
        sentence["rar_days"] = draw(st.integers(1, 40))
    if draw(st.booleans()):
        sentence["unpaid_work_hours"] = draw(st.integers(40, 300))
    d["sentence"] = sentence
    if draw(st.booleans()):
        d["rar_ledger"] = draw(_ledger)
    if draw(st.booleans()):
        d["events"] = draw(_events)
    return d


post_sentence_dicts = _post_sentence()
post_sentence_cases = post_sentence_dicts.map(to_case)
