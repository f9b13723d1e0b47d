"""Words for the web page, from the one label table (ratecard/labels.py).

The shared table names fields as they read inside a sentence ("they served in the armed
forces"); a form asks questions, so this module only capitalises, turns the few sentence-shaped
names into question labels, and adds the section titles and hints a PSO needs at court.
"""

from __future__ import annotations

from typing import Any

from .. import labels as shared

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

# A need's parts are asked under the need's own heading, so they are named without it.
_NEED_PARTS = {
    "score": "Section score",
    "linked_to_harm": "Linked to risk of harm",
    "linked_to_reoffending": "Linked to reoffending",
    "identified": "Need identified",
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
    "sentence.length_months": "Community order up to 36; suspended sentence order 6 to 24; licence up to 120",
    "sentence.rar_days": "Also the most RAR days the proposal may use",
    "sentence.unpaid_work_hours": "40 to 300 (Criminal Justice Act 2003 s.199(2))",
    "needs.score": "0 to 12",
}

# sentence-shaped names in the shared table, as the person a form asks about
_LEADS = (("they have been ", "has been "), ("they have ", "has "), ("they are ", "is "), ("they need ", "needs "),
          ("they ", ""), ("the offence is ", ""), ("the conviction ", "conviction "))
_MAPPA = {0: "0 (not managed under MAPPA)", 1: "Level 1", 2: "Level 2", 3: "Level 3"}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def field_label(path: str, description: str | None = None) -> str:
    """The label of a form field: the shared name as a question label ('Served in the armed forces')."""
    if path.startswith("needs.") and path.rsplit(".", 1)[-1] in _NEED_PARTS:
        return _NEED_PARTS[path.rsplit(".", 1)[-1]]
    if path in shared.FIELDS:
        words = shared.FIELDS[path]
        for lead, asked in _LEADS:
            if words.startswith(lead):
                words = asked + words[len(lead):]
                break
        return _capital(words)
    return _capital(description or path.rsplit(".", 1)[-1].replace("_", " "))


def value_label(path: str, value: Any) -> str:
    """How a coded value reads on the form: 'very_high' is 'Very high', MAPPA 0 'not managed under MAPPA'."""
    if path.endswith("mappa_level") and value in _MAPPA:
        return _MAPPA[value]
    if value is None:
        return "Not known"
    if path == "sentence.requirements":
        return _capital(shared.requirement(str(value)))
    return _capital(shared.value(value, path))


def need(section: str) -> str:
    return shared.need(section)
