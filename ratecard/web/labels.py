"""Words for the web page: section titles, hints, and how coded values read to court staff.

Field labels start from the case model's own descriptions (one source); this module only adds
the capital letter, the hints a PSO needs at court, and readable names for coded values.
"""

from __future__ import annotations

from typing import Any

SECTION_TITLES = {
    "person": "The person",
    "offence": "The offence",
    "history": "History",
    "risk": "Risk scores",
    "needs": "Needs (OASys sections)",
    "responsivity": "Responsivity",
    "motivation": "Motivation",
    "sentence": "Sentence being proposed",
}

# Labels where the model's description is written for a file format rather than for a form.
_LABELS = {
    "risk.ogrs3_2yr": "OGRS3 two-year score",
    "risk.ovp_2yr": "OVP two-year score",
    "risk.rsr": "RSR score",
    "risk.mappa_level": "MAPPA level",
    "sentence.length_months": "Order length in months",
    "sentence.rar_days": "Maximum RAR days",
    "sentence.start": "Order start date",
    "history.victim_of_domestic_abuse": "Victim of domestic abuse",
    "responsivity.needs_interpreter": "Needs an interpreter",
    "responsivity.at_risk_in_group": "At risk in a group setting",
    "responsivity.has_transport": "Has transport",
    "responsivity.veteran": "Served in the armed forces",
    "responsivity.reads_simple_sentences": "Can read simple sentences",
    "offence.intimate_partner_violence": "Intimate partner violence",
    "offence.sexual": "Sexual or sexually motivated",
    "offence.internet_only": "Internet-only sexual offence",
    "needs.score": "Section score",
    "needs.linked_to_harm": "Linked to risk of harm",
    "needs.linked_to_reoffending": "Linked to reoffending",
    "needs.identified": "Need identified",
}

FIELD_HINTS = {
    "person.date_of_birth": "For example, 14 5 1980",
    "person.home_town": "Used to check that provision can be reached",
    "history.completed_programmes": "Intervention ids separated by commas, for example bbr, tsp. Write 'none' if none; leave empty if not known.",
    "risk.ogrs3_2yr": "Percentage, 0 to 100",
    "risk.ovp_2yr": "Percentage, 0 to 100",
    "risk.rsr": "Percentage, 0 to 100",
    "sentence.start": "Leave empty for an order starting on the reference date",
    "sentence.requirements": "Tick every requirement proposed. Leave all unticked if not known.",
    "sentence.length_months": "1 to 120",
    "sentence.rar_days": "Also the most RAR days the proposal may use",
    "sentence.unpaid_work_hours": "20 to 300",
    "needs.score": "0 to 12",
}

_VALUES = {
    "not_applicable": "Not applicable",
    "very_high": "Very high",
    "rar": "Rehabilitation activity requirement (RAR)",
    "accredited_programme": "Accredited programme",
    "drug_rehabilitation": "Drug rehabilitation",
    "alcohol_treatment": "Alcohol treatment",
    "mental_health_treatment": "Mental health treatment",
    "unpaid_work": "Unpaid work",
    "close_to_change": "Close to change",
    "not_close_to_change": "Not close to change",
    "nps": "NPS",
    "crc": "CRC",
}
_MAPPA = {0: "0 (not managed under MAPPA)", 1: "Level 1", 2: "Level 2", 3: "Level 3"}


def field_label(path: str, description: str | None) -> str:
    """The label of a form field: the model's description with a capital letter, or a better one."""
    generic = "needs." + path.rsplit(".", 1)[-1] if path.startswith("needs.") else None
    text = _LABELS.get(path) or (generic and _LABELS.get(generic)) or description or path.rsplit(".", 1)[-1].replace("_", " ")
    text = text.removeprefix("whether ")
    return text[0].upper() + text[1:]


def value_label(path: str, value: Any) -> str:
    """How a coded value reads: 'very_high' is 'Very high', MAPPA 0 is 'not managed under MAPPA'."""
    if path.endswith("mappa_level") and value in _MAPPA:
        return _MAPPA[value]
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None:
        return "Not known"
    if path == "person.home_town":
        return str(value).replace("_", " ").title()
    s = str(value)
    return _VALUES.get(s) or (s.replace("_", " ")[:1].upper() + s.replace("_", " ")[1:])
