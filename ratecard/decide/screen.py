"""The screen: every intervention in the catalog as eligible, ineligible or undetermined, with
the rules that decided, the case values they read, what is still missing, and availability."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..case.model import Case
from ..case.coerce import coerce_case
from ..catalog.load import Catalog, Intervention
from ..case.facts import case_facts, order_dates
from ..rules.explain import Explainer, order_fields
from ..rules.fields import FieldType
from ..rules.loader import Evaluation, Rule
from ..rules.reference import Knowledge

Decision = Literal["eligible", "ineligible", "undetermined"]
Outcome = Literal["met", "not_met", "excluded", "not_excluded", "unknown"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reason(_Out):
    rule: str
    text: str
    outcome: Outcome
    values: dict[str, Any]


class MissingField(_Out):
    field: str  # a case field, e.g. risk.sara_partner: never a derived fact nobody can fill in
    label: str
    # in a case-wide list: how many undetermined results an answer to this field could settle
    settles: int | None = None


class Warning(_Out):
    code: Literal[
        "withdrawn", "suspended", "cannot_finish", "order_length_unknown", "not_near_home", "other_area", "home_unknown",
        "unknown_town",
    ]
    text: str


class InterventionResult(_Out):
    intervention: str
    name: str
    provider: str
    decision: Decision
    reasons: list[Reason]
    missing: list[MissingField]  # undetermined: the case fields that could settle it, most useful first
    # decided although the case does not give these fields: every answer to them gives the same decision
    decided_without: list[MissingField] = []
    warnings: list[Warning]


class Screen(_Out):
    catalog_version: str
    catalog: str
    on: dt.date
    case_id: str
    derived: dict[str, Any]  # derived facts that are decided
    # derived facts still undecided, with the values every answer to the missing fields leaves open
    # (a sum: its lowest and highest value)
    derived_possible: dict[str, list[Any]] = {}
    # ... and the case fields whose answers could settle each of them
    derived_missing: dict[str, list[str]] = {}
    missing: list[MissingField]
    warnings: list[Warning]  # about the case as a whole
    results: list[InterventionResult]

    def result(self, intervention: str) -> InterventionResult:
        for r in self.results:
            if r.intervention == intervention:
                return r
        raise KeyError(intervention)

    def by_decision(self, decision: Decision) -> list[str]:
        return [r.intervention for r in self.results if r.decision == decision]


def _label(field: str, registry: dict[str, FieldType]) -> str:
    ft = registry.get(field)
    return ft.label if ft else field


def _outcome(rule: Rule, value: bool | None) -> Outcome:
    if value is None:
        return "unknown"
    if rule.kind == "criterion":
        return "met" if value else "not_met"
    return "excluded" if value else "not_excluded"


def decide(iid: str, rules: tuple[Rule, ...], ev: Evaluation) -> tuple[Decision, list[Rule]]:
    passes = [r.passes(ev.outcomes[r.id]) for r in rules]
    if False in passes:
        return "ineligible", [r for r, p in zip(rules, passes) if p is False]
    whole = ev.eligibility.get(iid)
    if whole is False:
        # no single rule fails for sure, but whatever the missing answers are one of these does
        return "ineligible", [r for r, p in zip(rules, passes) if p is None]
    if None in passes and whole is not True:
        return "undetermined", [r for r, p in zip(rules, passes) if p is None]
    return "eligible", list(rules)


@dataclass(frozen=True)
class _Whereabouts:
    """What availability needs to know of a case, worked out once per case."""

    weeks_left: float | None
    town: str | None
    home_area: str | None

    @classmethod
    def of(cls, case: Case, on: dt.date, catalog: Catalog) -> _Whereabouts:
        dates = order_dates(case, on)
        weeks_left = None if dates is None else (dates[1] - max(dates[0], on)).days / 7
        town = case.person.home_town
        return cls(weeks_left, town, catalog.towns.get(town) if town else case.person.area)


def _weeks_text(weeks: float) -> str:
    # rounding 5.9 weeks up to "6" beside a 6-week course reads as if it would fit: round down
    whole = int(weeks)
    return f"{whole} week{'s' if whole != 1 else ''}" + (f" and {round((weeks - whole) * 7)} days" if weeks != whole else "")


def _availability(iv: Intervention, at: _Whereabouts) -> list[dict[str, str]]:
    """Warnings that do not change eligibility but decide whether a referral can work."""
    out: list[dict[str, str]] = []
    st = iv.status
    if st.state == "withdrawn":
        out.append({"code": "withdrawn", "text": f"Withdrawn since {st.since}: {st.reason}"})
    elif st.state == "suspended":
        out.append({"code": "suspended", "text": f"Suspended since {st.since}: {st.reason}"})
    wait = st.waiting_weeks or 0
    if iv.weeks is not None or wait:
        if at.weeks_left is None:
            out.append({"code": "order_length_unknown", "text": "Order length not given: cannot check that it can finish in time."})
        elif wait + (iv.weeks or 0) > at.weeks_left:
            parts = (f"a waiting list of {wait} weeks plus " if wait else "") + f"{iv.weeks or 0} weeks to complete"
            out.append({"code": "cannot_finish", "text": f"Cannot finish before the order ends: {parts}, with {_weeks_text(at.weeks_left)} left on the order."})
    town, home_area = at.town, at.home_area
    if home_area is not None and home_area != iv.area:
        out.append({"code": "other_area", "text": f"Delivered in {iv.area}, not in the person's area ({home_area})."})
    elif town is None:
        if not iv.where.outreach:
            out.append({"code": "home_unknown", "text": "Home town not given: cannot check that it can be reached."})
    elif town not in iv.where.towns and not iv.where.outreach:
        towns = ", ".join(t.replace("_", " ").title() for t in iv.where.towns)
        out.append({"code": "not_near_home", "text": f"Delivered in {towns} only, not in {town.replace('_', ' ').title()}, and no outreach."})
    return out


def screen(case: Case, catalog: Catalog | None = None, *, on: dt.date | None = None) -> Screen:
    """Screen one case against every intervention in the catalog (default: the shipped one).

    `on` is the reference date for ages and time left on the order (default: today); the result
    records it so that the same call can be made again and give the same answer.
    """
    case = coerce_case(case)  # a Case, a dict or a JSON/YAML string (ratecard.case.coerce)
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    facts = case_facts(case, on)
    ev = catalog.engine.evaluate(facts)
    known = {**facts, **ev.derived}
    registry = catalog.rules.registry
    why = Explainer(catalog.program, Knowledge(facts, ev.possible, ev.bounds))
    at = _Whereabouts.of(case, on, catalog)
    decided: list[tuple[str, Decision, list[Rule]]] = []
    open_fields: dict[str, frozenset[str]] = {}
    for iid in sorted(catalog.interventions):
        decision, deciding = decide(iid, catalog.rules.rules.get(iid, ()), ev)
        decided.append((iid, decision, deciding))
        if decision == "undetermined":
            open_fields[iid] = frozenset().union(*(why.rule_missing(r.id) for r in deciding))
    # one order for every list of missing fields: the field that could settle the most results first
    order = order_fields(list(open_fields.values()))
    rank = {f: i for i, f in enumerate(order)}
    settles = {f: sum(f in fs for fs in open_fields.values()) for f in order}

    def fields(fs: frozenset[str]) -> list[dict[str, Any]]:
        if not fs:
            return []
        return [{"field": f, "label": _label(f, registry)} for f in sorted(fs, key=lambda f: (rank.get(f, len(rank)), f))]

    results = []
    for iid, decision, deciding in decided:
        iv = catalog.interventions[iid]
        without = why.unanswered(r.id for r in deciding) if decision != "undetermined" else frozenset()
        results.append({
            "intervention": iid,
            "name": iv.name,
            "provider": iv.provider,
            "decision": decision,
            "reasons": [
                {"rule": r.id, "text": r.text, "outcome": _outcome(r, ev.outcomes[r.id]), "values": _values(r.fields, known)}
                for r in deciding
            ],
            "missing": fields(open_fields.get(iid, frozenset())),
            "decided_without": fields(without),
            "warnings": _availability(iv, at),
        })
    # one validation of the whole result: many small model constructions cost more than the engine
    return Screen.model_validate({
        "catalog_version": catalog.version,
        "catalog": f"{catalog.info.name} ({catalog.info.edition})",
        "on": on,
        "case_id": case.id,
        "derived": dict(sorted(ev.derived.items())),
        "derived_possible": (undecided := _undecided(ev)),
        "derived_missing": {d: sorted(why.field_missing(d), key=lambda f: (rank.get(f, len(rank)), f)) for d in undecided},
        "missing": [{"field": f, "label": _label(f, registry), "settles": settles[f]} for f in order],
        "warnings": _case_warnings(case, catalog),
        "results": results,
    })


def _undecided(ev: Evaluation) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for d, P in sorted(ev.possible.items()):
        if len(P) > 1:
            out[d] = sorted(P, key=str)
    for d, (lo, hi) in sorted(ev.bounds.items()):
        if lo != hi:
            out[d] = [lo, hi]
    return out


def _case_warnings(case: Case, catalog: Catalog) -> list[dict[str, str]]:
    town = case.person.home_town
    if town is not None and town not in catalog.towns:
        known = ", ".join(sorted(catalog.towns))
        return [{"code": "unknown_town", "text": f"Home town '{town}' is not a town of any area in the catalog ({known}); "
                 "check the spelling: reachability cannot be checked."}]
    return []


def _values(fields: tuple[str, ...], known: dict[str, Any]) -> dict[str, Any]:
    return {f: (list(v) if isinstance(v, tuple) else v) for f in fields for v in (known.get(f),)}
