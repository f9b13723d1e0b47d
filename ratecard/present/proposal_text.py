"""The proposal as a short Markdown paragraph that court staff can paste into a pre-sentence report.

Plain English, no case details beyond what the proposal itself says, and the catalog version and
reference date so that a reader can reproduce it.
"""

from __future__ import annotations

from typing import Any

from .. import labels
from ..labels import NEEDS as NEED_LABELS, need_words as _need_words  # the one label table

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
    "need_already_met": "it is met by the package",
    "pni_pathway": "the programme pathway does not indicate a programme",
    "information_missing": "information is missing",
    "other_requirement": "it needs a different requirement",
    "not_on_licence": "the provision that addresses it cannot be part of a licence or post-sentence supervision",
}


def need_words(need: str) -> str:
    """A need as words inside a sentence: 'family and relationships'."""
    return _need_words(need)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _money(x: float) -> str:
    return f"£{x:,.2f}"


def _lower(s: str) -> str:
    return s[0].lower() + s[1:] if s else s


def confirm_words(item: Any) -> str:
    """'the SARA level towards a partner is medium or high' (answers that confirm a conditional item)."""
    alone = [a for a in item.confirm_if if a.alone]
    if alone:
        return " or ".join(a.clause or f"the {a.label} is {a.text}" for a in alone)
    if item.confirm_if:
        return " and ".join(a.clause or f"the {a.label} is {a.text}" for a in item.confirm_if)
    return "the missing assessments confirm it"


def proposal_text(p: dict[str, Any]) -> str:
    """One paragraph, then a line naming the catalog and date. `p` holds the Proposal's fields.

    Every claim here is made only when the structured proposal bears it out (tests/test_proposal_text.py
    checks each phrase against the result)."""
    out: list[str] = []
    reqs = p["requirements"]
    items = p["package"]
    community = p["sentence_type"] in (None, "community_order", "suspended_sentence_order")
    incomplete = [n for n in p["not_assessed"]] + [u.need for u in p["unmet_needs"] if u.priority is None]
    asked = {t.field: t.label for t in p["to_find_out"]}
    nothing_assessed = bool(incomplete) and not p["needs"] and len(p["not_assessed"]) == len(NEED_LABELS)
    conditional = {i.intervention: i for i in items if i.conditional}
    child = next((w for w in p.get("warnings", ()) if w.code == "under_18"), None)

    if child is not None and not items:
        # every adult intervention is out of reach for a child: one reason, not one per need
        from ..decide.screen import UNDER_18_RESTART

        out.append("The person is " + child.text[0].lower() + child.text[1:].replace(
            UNDER_18_RESTART, " If the order will start on or after that day, this proposal should be made again with its start date."))
    elif reqs:
        parts = []
        for r in reqs:
            text = _lower(r.text).rstrip(".")
            if r.conditional and r.intervention in conditional:
                text += f", if {confirm_words(conditional[r.intervention])}"
            parts.append(text)
        # a conditional clause ends with its own "or"/"and": keep the requirements apart
        out.append("I propose " + ("; and ".join(parts) if conditional else _join(parts)) + ".")
    elif nothing_assessed:
        out.append("I cannot yet propose requirements: no OASys needs section has been assessed.")
    elif incomplete:
        out.append("Nothing in this catalog can be proposed for the needs known so far.")
    else:
        out.append("I am not able to propose an accredited programme or rehabilitation activities from this catalog.")
    if child is not None and not items:
        return " ".join(out) + "\n\n" + _foot(p, items)  # nothing below applies to a child
    if nothing_assessed:
        # nothing is proposed: there are no "needs known so far" for a proposal to cover
        words = _join([need_words(n) for n in incomplete])
        out.append(f"The needs assessment is not complete ({words} not assessed): these should be assessed before sentence.")
    elif incomplete:
        words = _join([need_words(n) for n in incomplete])
        out.append(f"The needs assessment is not complete ({words} not assessed or not scored): this proposal covers only "
                   "the needs known so far, so these should be assessed before sentence.")
    rar_items = [i for i in items if i.requirement == "rar"]
    left_rar = [r for r in p["not_proposed"] if r.requires == "rar" and r.why in ("need_already_met", "rar_cap")]
    if not community:
        # said once, here (the supervision requirement above names the activities only)
        out.append("There is no rehabilitation activity requirement on licence or post-sentence supervision (it exists only "
                   "on community orders and suspended sentence orders): activities are proposed as part of supervision, "
                   "with no RAR days.")
    elif not rar_items:
        met_by = [r for r in left_rar if r.why == "need_already_met"]
        if met_by:
            names = _join(sorted({n for i in items if i.intervention in {x for r in met_by for x in r.met_by} for n in [i.name]}))
            out.append(f"No rehabilitation activity days are proposed: the needs that the activities on offer address are "
                       f"already met by {names}.")
        elif incomplete:
            if not nothing_assessed:  # else the first sentence has said nothing can be proposed yet
                out.append("No rehabilitation activity days can be set for the needs not yet assessed.")
        elif not left_rar:
            out.append("No rehabilitation activity requirement is warranted: no activity the person can start and finish "
                       "meets an identified need.")
    for item in items:
        needs = _join([need_words(n) for n in [item.need, *item.also_meets]])
        days = f", {item.rar_days} RAR days" if item.rar_days else ""
        wait = f"after a waiting list of about {item.waiting_weeks} weeks, " if item.waiting_weeks else ""
        # a price of 0 is provision the CRC does not pay for (NPS programmes, statutory services)
        price = (f"; rate-card price {_money(item.price)}" if item.price
                 else "; no charge on the CRC's rate card" if item.price == 0 else "")
        end = (f"continue until the order ends on {item.finish:%-d %B %Y} (an ongoing service with no fixed length)"
               if item.ongoing else f"finish by {item.finish:%-d %B %Y}")
        lead = "if confirmed, " if item.conditional else ""
        out.append(
            f"{item.name}, from {item.provider_name}, addresses {needs}{days}: {lead}it can start {wait}"
            f"around {item.start:%-d %B %Y} and {end}{price}."
        )
    if items:
        reach = "within reach of their home" + (" (by their own transport where it is not delivered nearby)"
                                                if any(i.reachable_by_transport for i in items) else "")
        unconfirmed = [i.name for i in items if i.venue_to_be_confirmed]
        if unconfirmed:
            # the catalog's venue is an assumption: reach is not established, only not ruled out
            venues = "venue of" if len(unconfirmed) == 1 else "venues of"
            verb = "is" if len(unconfirmed) == 1 else "are"
            reach = f"within reach of their home as far as the catalog says (the {venues} {_join(unconfirmed)} {verb} to be confirmed)"
        sure = "open to them" if not conditional else "open to them (once confirmed, for those proposed on condition)"
        out.append(
            "These address the person's needs in order of priority (needs linked to risk of harm first, then to "
            f"reoffending) and every one is {sure}, {reach} and able to finish (or, for an ongoing "
            "service, start) in time before the order ends."
        )
    fb = p["if_not_confirmed"]
    if fb is not None:
        names = _join([i.name for i in conditional.values()])
        if fb.package:
            days = f" ({fb.rar_days} RAR days)" if fb.rar_days else ""
            out.append(f"If the answers do not confirm {names}, I would propose instead {_join(fb.names)}{days}.")
        else:
            out.append(f"If the answers do not confirm {names}, nothing else in the catalog that the person can start and finish "
                       "meets the needs it addresses.")
    for u in p["unmet_needs"]:
        if u.priority is None:
            continue  # said above: not assessed or not scored
        why = _WHY_WORDS[u.why]
        if u.why == "other_requirement":
            # a matter for the court and the report writer: the requirement this proposal leaves out
            reqs = sorted({labels.requirement(r.requires) for r in p["not_proposed"]
                           if r.why == "other_requirement" and u.need in r.needs})
            if reqs:
                req = " or ".join(reqs)
                why = (f"the provision that addresses it would need {'an' if req[0] in 'aeiou' else 'a'} {req}; "
                       "this proposal does not include one")
        if u.missing:
            fields = ", ".join(asked.get(m) or labels.field(m) for m in u.missing)
            # after "information is missing" the list says which; after another reason it is what is
            # also still open, and must not read as a fact about the person
            why += f" ({fields})" if u.why == "information_missing" else f"; still to find out: {fields}"
        label = f" ({_PRIORITY_WORDS[u.priority]})" if u.priority != "other" else ""
        out.append(f"The need for {need_words(u.need)}{label} is not met: {why}.")
    tier = p["tier"]
    alloc = p["allocation"]
    if alloc == "nps":
        out.append("The case would be managed by the NPS.")  # a CRC tier is for CRC cases only
    else:
        out.append(
            ("The case would be managed by the CRC" if alloc else "Allocation to the NPS or CRC is unknown")
            + (f", CRC tier {tier}." if tier else "; the CRC tier is unknown.")
        )
    # the tier's minimum hours are a check for the responsible officer (terminal and JSON), not the court
    return " ".join(out) + "\n\n" + _foot(p, items)


def _foot(p: dict[str, Any], items: list[Any]) -> str:
    illustrative = any(i.illustrative for i in items)
    foot = f"_Catalog {p['catalog']}, version {p['catalog_version']}; assessed on {p['on']:%-d %B %Y}."
    for a in p["assumptions"]:
        foot += f" Assumed: {_lower(a)}"
    if illustrative:
        foot += " Some prices, RAR days or waiting times in this catalog are illustrative."
    return foot + "_"
