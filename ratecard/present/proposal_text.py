"""The proposal as a short Markdown paragraph that court staff can paste into a pre-sentence report.

Plain English, no case details beyond what the proposal itself says, and the catalog version and
reference date so that a reader can reproduce it.
"""

from __future__ import annotations

from typing import Any

from . import labels

_PRIORITY_WORDS = {"harm": "linked to risk of harm", "reoffending": "linked to reoffending", "other": "identified"}
_WHY_WORDS = {
    "no_eligible_provision": "no provision that the person is eligible for addresses it",
    "withdrawn": "the only provision has been withdrawn",
    "suspended": "the only provision is suspended",
    "waiting_list_too_long": "the waiting list would not let it finish before the order ends",
    "order_too_short": "the order is too short to complete it",
    "not_reachable": "no provision within reach of the person's home",
    "rar_cap": "the maximum number of RAR days leaves no room for it",
    "one_programme_only": "only one accredited programme can be proposed",
    "pni_pathway": "the programme pathway does not indicate a programme",
    "information_missing": "information is missing",
    "other_requirement": "it needs a different requirement",
}


def need_words(need: str) -> str:
    """A need as words inside a sentence: 'family and relationships'."""
    return labels.need_words(need)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _money(x: float) -> str:
    return f"£{x:,.2f}"


def proposal_text(p: dict[str, Any]) -> str:
    """One paragraph, then a line naming the catalog and date. `p` holds the Proposal's fields."""
    out: list[str] = []
    reqs = p["requirements"]
    if reqs:
        out.append("I propose " + _join([r.text[0].lower() + r.text[1:].rstrip(".") for r in reqs]) + ".")
    else:
        out.append("I am not able to propose an accredited programme or rehabilitation activities from this catalog.")
    if not p["rar_warranted"]:
        out.append("No rehabilitation activity requirement is warranted: no activity the person can start and finish meets an identified need.")
    for item in p["package"]:
        needs = _join([need_words(n) for n in [item.need, *item.also_meets]])
        days = f", {item.rar_days} RAR days" if item.rar_days else ""
        wait = f"after a waiting list of about {item.waiting_weeks} weeks, " if item.waiting_weeks else ""
        price = f"; rate-card price {_money(item.price)}" if item.price is not None else ""
        end = (f"continue until the order ends on {item.finish:%-d %B %Y} (an ongoing service with no fixed length)"
               if item.ongoing else f"finish by {item.finish:%-d %B %Y}")
        out.append(
            f"{item.name}, from {item.provider_name}, addresses {needs}{days}: it can start {wait}"
            f"around {item.start:%-d %B %Y} and {end}{price}."
        )
    if p["package"]:
        out.append(
            "These address the person's needs in order of priority (needs linked to risk of harm first, then to "
            "reoffending) and every one is open to them, within reach of their home and able to finish (or, for an ongoing "
            "service, start) in time before the order ends."
        )
    for u in p["unmet_needs"]:
        why = _WHY_WORDS[u.why]
        if u.why == "other_requirement":
            why = u.text.split(": ", 1)[-1].rstrip(".").replace("Needs", "it needs", 1)
        if u.missing:
            why += " (" + ", ".join(u.missing) + ")"
        label = f" ({_PRIORITY_WORDS[u.priority]})" if u.priority and u.priority != "other" else ""
        out.append(f"The need for {need_words(u.need)}{label} is not met: {why}.")
    tier = p["tier"]
    alloc = p["allocation"]
    out.append(
        ("The case would be managed by the " + ("NPS" if alloc == "nps" else "CRC") if alloc else "Allocation to the NPS or CRC is unknown")
        + (f", CRC tier {tier}." if tier else "; the CRC tier is unknown.")
    )
    if tier and p["tier_check"].meets_minimum is not None:
        out.append(p["tier_check"].text)
    illustrative = any(i.illustrative for i in p["package"])
    foot = f"_Catalog {p['catalog']}, version {p['catalog_version']}; assessed on {p['on']:%-d %B %Y}."
    if illustrative:
        foot += " Some prices, RAR days or waiting times in this catalog are illustrative."
    foot += "_"
    return " ".join(out) + "\n\n" + foot
