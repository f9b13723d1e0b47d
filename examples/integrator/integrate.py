"""A typed integrator: another system's case record (a dict) and a case file's text (YAML) in,
decisions, missing information and a proposal out. `mypy --strict` passes on it (CI checks).

    python examples/integrator/integrate.py
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ratecard
from ratecard import CaseError, InterventionResult, MissingField, Proposal, Screen

ON = dt.date(2017, 3, 1)  # the reference date: the same call gives the same answer later

# a record as another system holds it: JSON-like, dates as ISO text, sections left out when not known
RECORD: dict[str, Any] = {
    "id": "record-1001",
    "person": {"sex": "male", "date_of_birth": "1990-06-10", "home_town": "northampton", "area": "northamptonshire"},
    "offence": {"category": "acquisitive"},
    "risk": {"rosh": "low", "ogrs3_2yr": 62.0},
    "needs": {"drug_misuse": {"score": 2}, "alcohol_misuse": {"identified": True}},
    "sentence": {"type": "community_order", "length_months": 12, "start": "2017-02-20", "rar_days": 15,
                 "requirements": ["rar"]},
}

# a case file's text, as a court officer writes it (day-first dates, words in any case)
YAML_CASE = """
person: {sex: Female, date_of_birth: 14/05/1985, home_town: corby, area: northamptonshire}
offence: {category: violence, intimate_partner_violence: false}
sentence: {type: suspended_sentence_order, length_months: 18, start: 2017-01-16, rar_days: 20, requirements: [rar]}
"""


def summary(result: Screen) -> str:
    eligible: list[InterventionResult] = [r for r in result.results if r.decision == "eligible" and r.available]
    asks: tuple[MissingField, ...] = result.missing  # most useful question first
    lines = [f"{result.case_id} on {result.on} ({result.catalog}):",
             f"  eligible and open: {', '.join(r.intervention for r in eligible) or 'none'}",
             f"  undetermined: {len(result.by_decision('undetermined'))}"]
    if asks:
        lines.append("  to find out: " + "; ".join(f"{m.label} ({m.field}, settles {m.settles})" for m in asks[:3]))
    return "\n".join(lines)


def main() -> None:
    catalog = ratecard.default_catalog()
    for case in (RECORD, YAML_CASE):  # a mapping and a JSON/YAML string go through the one validation
        try:
            print(summary(ratecard.screen(case, catalog, on=ON)))
        except CaseError as e:  # a mistake in the record: each problem names the field and what to do
            print("\n".join(f"{p.field}: {p.message}" for p in e.problems))
    proposal: Proposal = ratecard.propose(RECORD, catalog, on=ON)
    print(f"proposal for {proposal.case_id}: {', '.join(i.name for i in proposal.package) or 'no package'}"
          f"; RAR days {proposal.rar_days}")
    print(proposal.text.split("\n\n")[0])
    data: dict[str, Any] = proposal.model_dump(mode="json")  # what an HTTP client would receive
    print(f"{len(data['package'])} package item(s); catalog version {data['catalog_version'][:15]}...")


if __name__ == "__main__":
    main()
