"""Whether an unpaid work placement suits the person, beyond eligibility. Who may not work in a
group, or on a women-only placement, is decided by the placement's eligibility rules through the
screen (one copy of each criterion); this module adds what the rules cannot express: the offer of a
women-only placement, care responsibilities and transport."""

from __future__ import annotations

from ..case.model import Case
from ..catalog.load import Catalog, Intervention
from .findings import Finding


def is_placement(iv: Intervention) -> bool:
    return iv.kind == "unpaid_work_placement"


def placement_findings(case: Case, iv: Intervention, catalog: Catalog) -> list[Finding]:
    """Warnings about one placement that eligibility does not cover."""
    warnings: list[Finding] = []
    r = case.responsivity
    if case.person.sex == "female" and not iv.delivery.women_only:
        women = sorted(p.name for p in catalog.interventions.values() if is_placement(p) and p.delivery.women_only and p.status.state == "open")
        offer = f": {', '.join(women)}" if women else "; none is open in this catalog"
        warnings.append(Finding(code="women_only_available", text=f"This placement is mixed; she may ask for a women-only placement{offer}."))
    if r.care_responsibilities is True:
        warnings.append(Finding(code="care_responsibilities", text="Care responsibilities: agree placement days and hours that fit them (placement days are full working days)."))
    # only when the placement may be away from home: the screen counts a placement in the person's own
    # town as within reach, and "get to Northampton" means nothing to someone who lives there
    if r.has_transport is False and case.person.home_town not in iv.where.towns:
        towns = ", ".join(t.replace("_", " ").title() for t in iv.where.towns) or "the placement"
        # fares paid make it reachable, not easy: the report's Kerry found the journey hard all the same
        fares = " Public transport fares are paid; check that the journey works with the person's other commitments." if iv.where.fares_paid else ""
        warnings.append(Finding(code="no_transport", text=f"No transport: check how the person will get to {towns} for the start of the day.{fares}"))
    return warnings
