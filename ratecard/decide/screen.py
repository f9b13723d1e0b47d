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
from ..rules.explain import missing_for
from ..case.facts import case_facts, order_dates
from ..rules.fields import FieldType
from ..rules.loader import Evaluation, Rule

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
    field: str
    label: str


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
    missing: list[MissingField]
    warnings: list[Warning]


class Screen(_Out):
    catalog_version: str
    catalog: str
    on: dt.date
    case_id: str
    derived: dict[str, Any]
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


def _decide(rules: tuple[Rule, ...], ev: Evaluation) -> tuple[Decision, list[Rule]]:
    passes = [r.passes(ev.outcomes[r.id]) for r in rules]
    if False in passes:
        return "ineligible", [r for r, p in zip(rules, passes) if p is False]
    if None in passes:
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
    at = _Whereabouts.of(case, on, catalog)
    results = []
    all_missing: dict[str, None] = {}
    for iid in sorted(catalog.interventions):
        iv = catalog.interventions[iid]
        rules = catalog.rules.rules.get(iid, ())
        decision, deciding = _decide(rules, ev)
        missing: dict[str, None] = {}
        if decision == "undetermined":
            for r in deciding:
                missing.update(dict.fromkeys(missing_for(r.when, known, catalog.rules)))
        all_missing.update(missing)
        results.append({
            "intervention": iid,
            "name": iv.name,
            "provider": iv.provider,
            "decision": decision,
            "reasons": [
                {"rule": r.id, "text": r.text, "outcome": _outcome(r, ev.outcomes[r.id]), "values": _values(r.fields, known)}
                for r in deciding
            ],
            "missing": [{"field": f, "label": _label(f, registry)} for f in sorted(missing)],
            "warnings": _availability(iv, at),
        })
    # one validation of the whole result: many small model constructions cost more than the engine
    return Screen.model_validate({
        "catalog_version": catalog.version,
        "catalog": f"{catalog.info.name} ({catalog.info.edition})",
        "on": on,
        "case_id": case.id,
        "derived": dict(sorted(ev.derived.items())),
        "missing": [{"field": f, "label": _label(f, registry)} for f in sorted(all_missing)],
        "warnings": _case_warnings(case, catalog),
        "results": results,
    })


def _case_warnings(case: Case, catalog: Catalog) -> list[dict[str, str]]:
    town = case.person.home_town
    if town is not None and town not in catalog.towns:
        known = ", ".join(sorted(catalog.towns))
        return [{"code": "unknown_town", "text": f"Home town '{town}' is not a town of any area in the catalog ({known}); "
                 "check the spelling: reachability cannot be checked."}]
    return []


def _values(fields: tuple[str, ...], known: dict[str, Any]) -> dict[str, Any]:
    return {f: (list(v) if isinstance(v, tuple) else v) for f in fields for v in (known.get(f),)}
