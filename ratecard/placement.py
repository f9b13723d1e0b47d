"""Whether an unpaid work placement suits the person. These are matters of suitability that the
inspectors saw send orders back to court; eligibility itself still comes from the screen."""

from __future__ import annotations

from .case import Case
from .catalog import Catalog, Intervention
from .findings import Finding


def is_placement(iv: Intervention) -> bool:
    return iv.kind == "unpaid_work_placement"


def placement_findings(case: Case, iv: Intervention, catalog: Catalog) -> tuple[list[Finding], list[Finding], list[str]]:
    """(reasons it is unsuitable, warnings, missing case fields) for one placement."""
    reasons: list[Finding] = []
    warnings: list[Finding] = []
    missing: list[str] = []
    r = case.responsivity
    # a "mixed" placement still puts the person in a working party for part of the time
    if iv.delivery.mode in ("group", "mixed"):
        if r.at_risk_in_group is True:
            reasons.append(Finding(code="unsuitable_group", text=f"Unsuitable: the person is marked as at risk in a group, and {iv.name} is worked in a group."))
        elif r.at_risk_in_group is None:
            missing.append("responsivity.at_risk_in_group")
            reasons.append(Finding(code="information_missing", text="Not recorded whether the person would be at risk in a group; needed before a group placement."))
    sex = case.person.sex
    if iv.delivery.women_only:
        if sex == "male":
            reasons.append(Finding(code="unsuitable_women_only", text=f"Unsuitable: {iv.name} is for women only."))
        elif sex is None:
            missing.append("person.sex")
            reasons.append(Finding(code="information_missing", text=f"{iv.name} is for women only and the person's sex is not given."))
    elif sex == "female":
        women = sorted(p.name for p in catalog.interventions.values() if is_placement(p) and p.delivery.women_only and p.status.state == "open")
        offer = f": {', '.join(women)}" if women else "; none is open in this catalog"
        warnings.append(Finding(code="women_only_available", text=f"This placement is mixed; she may ask for a women-only placement{offer}."))
    if r.care_responsibilities is True:
        warnings.append(Finding(code="care_responsibilities", text="Care responsibilities: agree placement days and hours that fit them (placement days are full working days)."))
    if r.has_transport is False:
        towns = ", ".join(t.replace("_", " ").title() for t in iv.where.towns) or "the placement"
        warnings.append(Finding(code="no_transport", text=f"No transport: check how the person will get to {towns} for the start of the day."))
    return reasons, warnings, missing
