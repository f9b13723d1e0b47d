"""What keeps an intervention out of the package, from the screen's decision and warnings, the
order's window and the programme pathway; and the candidates that nothing keeps out."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from ... import labels
from ...catalog.model import Intervention
from ..screen import InterventionResult, Reason, Said
from .order import Barrier, timing
from .risk import PROGRAMME_PATHWAYS

# Requirements a package can use: the programme requirement, the RAR, and free provision that
# needs no requirement at all. Drug rehabilitation, alcohol treatment and unpaid work are
# separate requirements with their own assessments, outside what ratecard proposes.
# a screen's result as the proposal reads it: made, or what the screen says of it without making it
ResultRead = InterventionResult | Said
IN_SCOPE = frozenset({"accredited_programme", "rar", "none"})
# requirements the person must consent to, after an assessment (Criminal Justice Act 2003 ss.207, 209, 212)
CONSENT = frozenset({"drug_rehabilitation", "alcohol_treatment", "mental_health_treatment"})


@functools.lru_cache(maxsize=4096)  # a screen's reasons are shared between cases: worded once
def _as_reason(r: Reason) -> str:
    """A rule that rules someone out, as a reason: 'it is for women only', not 'For women.'"""
    text = r.text.strip().rstrip(".")
    if r.fields == ("person.sex",) and text in ("For women", "For men"):
        return f"it is for {text[4:]} only"
    if text.startswith("For "):
        return "it is f" + text[1:]
    if text.startswith("Not for "):
        return "it is n" + text[1:]
    if len(text) > 1 and (text[1].isupper() or text[1].isdigit()):
        return text  # an acronym ('SARA', 'OVP') keeps its capitals
    return text[0].lower() + text[1:]


def ineligible_text(r: ResultRead) -> str:
    return reasons_text(r.reasons)


def reasons_text(reasons: tuple[Reason, ...]) -> str:
    """Why the person is not eligible, in words. The screen shares one tuple of reasons between the
    results of a combination of rule values: worded once per tuple (held beside its words, so its
    id is never another's)."""
    got = _WORDED.get(id(reasons))
    if got is not None and got[0] is reasons:
        return got[1]
    text = "Not eligible: " + "; ".join(dict.fromkeys(_as_reason(x) for x in reasons)) + "."
    if len(_WORDED) >= 4096:
        _WORDED.clear()
    _WORDED[id(reasons)] = (reasons, text)
    return text


_WORDED: dict[int, tuple[tuple[Reason, ...], str]] = {}


def other_requirement_text(requires: str) -> str:
    """Why provision under a requirement outside the proposal (drug rehabilitation, unpaid work...)
    is not in it: a matter for the court and the report writer, said without naming the tool."""
    req = labels.requirement(requires)
    consent = ", subject to assessment and the person's consent" if requires in CONSENT else ""
    return f"Needs its own requirement: consider {'an' if req[0] in 'aeiou' else 'a'} {req}{consent}."


def pathways_words(pathways: frozenset[str]) -> str:
    words = [p.replace("_", " ") for p in sorted(pathways)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def barriers(r: ResultRead, iv: Intervention, pathways: frozenset[str] | None, pathway_fields: list[str],
             window: tuple[dt.date, dt.date], margin: int, transport: bool, community: bool) -> list[Barrier]:
    """Everything that keeps an intervention out of the package, the most fundamental first; empty
    when it can go in."""
    found = standing(r, iv, pathways, pathway_fields, transport, community)
    if found.timed:
        return [*found.before, *timing(iv, window, margin, iv.status.waiting_weeks or 0), *found.after]
    return [*found.before, *found.after]


@dataclass(frozen=True)
class Standing:
    """What keeps an intervention out whatever the order's dates: the barriers before and after the
    place of the timing (whether it can finish in time), and whether that is checked at all."""

    before: tuple[Barrier, ...]
    after: tuple[Barrier, ...] = ()
    timed: bool = False  # the order's window decides whether it can start or finish in time (order.timing)
    final: bool = False  # it is kept out before anything about the person matters (not eligible, another requirement)


def standing(r: ResultRead, iv: Intervention, pathways: frozenset[str] | None, pathway_fields: list[str],
             transport: bool, community: bool) -> Standing:
    """The barriers that do not depend on the order's dates, around the place of the timing."""
    # ineligibility first: a requirement outside the proposal matters only for someone eligible
    if r.decision == "ineligible":
        return Standing((Barrier("no_eligible_provision", ineligible_text(r)),), final=True)
    if iv.requires not in IN_SCOPE:
        if community:
            return Standing((Barrier("other_requirement", other_requirement_text(iv.requires)),), final=True)
        if iv.requires == "unpaid_work":
            return Standing((Barrier("not_on_licence", "Unpaid work is a requirement of a community or suspended sentence order; "
                                     "it cannot be part of a licence or post-sentence supervision."),), final=True)
        # on licence, drug and alcohol work are licence conditions, as `check` treats them
    out: list[Barrier] = []
    if r.decision == "undetermined":
        fields = tuple(m.field for m in r.missing)
        words = ", ".join(m.label or labels.field(m.field) for m in r.missing)
        out.append(Barrier("information_missing", f"Eligibility cannot be decided without: {words}.", fields, "eligibility"))
    codes = {w.code: w.text for w in r.warnings}
    for code in ("withdrawn", "suspended"):
        if code in codes:
            out.append(Barrier(code, codes[code]))
    timed = not (iv.weeks is None and iv.requires != "none")
    if not timed:
        out.append(Barrier("information_missing", "The catalog does not say how many weeks it takes, so finishing in time cannot be checked.",
                           (f"{iv.id}.weeks",)))
    before, out = tuple(out), []
    if "other_area" in codes:
        out.append(Barrier("not_reachable", codes["other_area"]))
    if "not_near_home" in codes and not transport:
        out.append(Barrier("not_reachable", codes["not_near_home"] + " The case does not record transport to get there."))
    if "home_unknown" in codes:
        out.append(Barrier("information_missing", codes["home_unknown"], ("person.home_town",)))
    if iv.requires == "accredited_programme":
        if pathways is None:
            out.append(Barrier("information_missing", "The catalog's rules give no PNI pathway, so a programme cannot be shown to be indicated."))
        elif not pathways & PROGRAMME_PATHWAYS:
            out.append(Barrier("pni_pathway", f"The PNI pathway is {pathways_words(pathways)}, which does not indicate an accredited programme."))
        elif not pathways <= PROGRAMME_PATHWAYS:
            fields = tuple(pathway_fields)
            out.append(Barrier("information_missing", f"Whether a programme is indicated depends on information not yet given: the PNI pathway could be "
                                                      f"{pathways_words(pathways)}. Needed: {', '.join(labels.field(f) for f in fields) or 'the missing assessments'}.",
                               fields, "indication"))
    return Standing(before, tuple(out), timed)
