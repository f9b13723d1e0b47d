"""The paragraph for the pre-sentence report: plain text, ready to paste into a word processor.

It reads as a report writer writes: what is proposed and for how long; the offending behaviour work
the offence calls for, or plainly that none fits the order and why; each piece of work with when it
can start and finish; what about the person shapes it; what is not met. No prices (the rate card is
what the NPS pays the CRC, not sentencing information), no hashes, no CRC tiers, no field names,
rule ids or command-line flags. A blank line, then the catalog named in words and the date.

Every claim here is made only when the structured proposal bears it out (tests/test_proposal_unknowns.py
checks each phrase against the result)."""

from __future__ import annotations

import datetime as dt
import re
from locale import LC_TIME, setlocale
from typing import Any

from ... import labels
from ...labels import NEEDS as NEED_LABELS, need_words
from .candidates import CONSENT
from .risk import WORK_WORDS

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
    "not_suitable": "the provision that addresses it does not suit the person",
    "partner_abuse_family_work": ("the provision that addresses it works with the family, which for a perpetrator of partner "
                                  "abuse belongs only alongside perpetrator work once the victim's safety has been assessed"),
}
# why an intervention for the offending does not fit, after its name
_WHY_NOT = {
    "no_eligible_provision": "is not open to the person",
    "withdrawn": "has been withdrawn",
    "suspended": "is suspended",
    "waiting_list_too_long": "has a waiting list that would not let it finish before the order ends",
    "order_too_short": "could not be finished before the order ends",
    "not_reachable": "is not within reach of the person's home",
    "rar_cap": "would need more rehabilitation activity days than the maximum",
    "one_programme_only": "cannot be proposed beside another programme",
    "need_already_met": "is not needed beside the rest of the package",
    "pni_pathway": "is not indicated by the programme pathway",
    "information_missing": "cannot be confirmed on the information available",
    "other_requirement": "would need a different requirement",
    "not_on_licence": "cannot be part of a licence",
    "not_suitable": "does not suit the person",
    "partner_abuse_family_work": "works with the family",
}
_SUITS = {
    "group_work": "it is group work",
    "learning_disability": "it is not adapted for people with a learning disability",
    "literacy": "it asks them to read simple sentences",
    "interpreter": "it cannot be delivered through an interpreter",
}
# the assessments a bench needs whatever they change (risk.bench_needs), as the paragraph names them
_BENCH = {
    "risk.rosh": "the risk of serious harm assessment (RoSH)",
    "risk.sara_partner": "a SARA assessment of the risk to a partner",
    "person.date_of_birth": "the person's date of birth",
}
_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def _join(parts: list[str], conj: str = "and") -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {conj} " + parts[-1]


def _lower(s: str) -> str:
    """The first letter in lower case, unless it starts an acronym ('SARA', 'OVP', 'OGRS3')."""
    if not s or (len(s) > 1 and (s[1].isupper() or s[1].isdigit())):
        return s
    return s[0].lower() + s[1:]


def _upper(s: str) -> str:
    return s[0].upper() + s[1:] if s else s


def written(d: dt.date, spec: str) -> str:
    """`d` as strftime's `spec` writes it. strftime is costly (it imports time and reads the locale
    at each call) and a proposal writes the same few days again and again: each written once
    (bounded), under the locale that names the month."""
    key = (d, spec, setlocale(LC_TIME))
    got = _DAYS.get(key)
    if got is None:
        if len(_DAYS) >= 100_000:
            _DAYS.clear()
        got = _DAYS[key] = format(d, spec)
    return got


def _day(d: dt.date) -> str:
    """'1 March 2017'."""
    return written(d, "%-d %B %Y")


_DAYS: dict[tuple[dt.date, str, str], str] = {}


def _weeks(n: int) -> str:
    return f"{_NUMBERS.get(n, str(n))} week{'s' if n != 1 else ''}"


# a yes/no question's label is a statement; its negation, as a writer would put it
_NEGATE = ((" is ", " is not "), (" was ", " was not "), (" can ", " cannot "), (" have been ", " have not been "),
           (" has been ", " has not been "), (" brings ", " does not bring "), (" prevents ", " does not prevent "))


def fact_words(a: Any) -> str:
    """An answer that would confirm a conditional item as a fact in plain words, never the form's own
    label: 'the person is male', 'their mental health does not prevent group work', 'they can read
    simple sentences'."""
    if a.field == "person.sex" and a.text in ("male", "female"):
        return f"the person is {a.text}"
    if a.text not in ("yes", "no") or "‘" not in (a.clause or "‘"):
        return a.clause or f"the {a.label} is {a.text}"
    label: str = a.label
    if label.startswith("mental health"):
        label = "their " + label
    if label.split(" ", 1)[0] not in ("the", "a", "an", "they", "their", "still", "he", "she"):
        noun = label
        article = "an" if noun[0] in "aeiou" else "a"
        return f"there is {article} {noun}" if a.text == "yes" else f"there is no {noun}"
    if label.startswith("still "):
        label = "they are " + label
    if a.text == "yes":
        return label
    padded = f" {label} "
    for yes, no in _NEGATE:
        if yes in padded:
            return padded.replace(yes, no, 1).strip()
    return f"it is not so that {label}"


def confirm_words(item: Any) -> str:
    """'the SARA level towards a partner is medium or high' (answers that confirm a conditional item),
    joined with 'or' when each alone would confirm it, else 'and'; and what a person must agree:
    'the treatment manager agrees that ...'."""
    alone = [a for a in item.confirm_if if a.alone]
    if alone:
        answers = " or ".join(fact_words(a) for a in alone)
    elif item.confirm_if:
        answers = " and ".join(fact_words(a) for a in item.confirm_if)
    elif getattr(item, "to_agree", ()) and not _waits_on_answers(item):
        return agree_words(item.to_agree)
    else:
        answers = "the missing assessments confirm it"
    agree = getattr(item, "to_agree", ())
    return answers + (f", and {agree_words(agree)}" if agree else "")


def _waits_on_answers(item: Any) -> bool:
    return bool(item.confirm_if) or not getattr(item, "to_agree", ())


def agree_words(judgements: Any) -> str:
    """What a person must agree, in words for a court: who, and the published condition, quoted.
    'the provider agrees that the person meets the published conditions "..." and "..."', and
    'the provider finds that "..." does not rule the person out'."""
    parts = []
    by_whom: dict[tuple[str, str], list[Any]] = {}
    for j in judgements:
        by_whom.setdefault((j.by, j.kind), []).append(j)
    for (by, kind), js in by_whom.items():
        quoted = _join([f"\u201c{j.text.rstrip('.')}\u201d" + (f" (needed only if {j.applies_when})" if j.applies is None and j.applies_when else "")
                        for j in js])
        if kind == "criterion":
            parts.append(f"{by} agrees that the person meets the published condition{'s' if len(js) > 1 else ''} {quoted}")
        else:
            parts.append(f"{by} finds that {quoted} {'does' if len(js) == 1 else 'do'} not rule the person out")
    return _join(parts)


def subject_to(item: Any) -> str:
    """'subject to confirming that the person is male and that they can read simple sentences'."""
    alone = [a for a in item.confirm_if if a.alone]
    answers = alone or list(item.confirm_if)
    agree = getattr(item, "to_agree", ())
    if not answers:
        if agree:  # eligible if a person agrees: nothing to confirm from the case
            return f"on condition that {agree_words(agree)}"
        return "subject to the missing assessments confirming it"
    facts = [f"that {fact_words(a)}" for a in answers]
    # each fact may hold its own "or" ("medium, high or very high"): several are kept apart with ";"
    joined = facts[0] if len(facts) == 1 else "; ".join(facts[:-1]) + ("; or " if alone else "; and ") + facts[-1]
    return "subject to confirming " + joined + (f", and on condition that {agree_words(agree)}" if agree else "")


def _order_words(p: dict[str, Any]) -> str:
    kind = {"community_order": "a community order", "suspended_sentence_order": "a suspended sentence order"}.get(
        p["sentence_type"] or "", "an order")
    return kind


def proposal_text(p: dict[str, Any]) -> str:
    """One paragraph, a blank line, then the catalog in words and the date. `p` holds the Proposal's fields."""
    out: list[str] = []
    reqs = p["requirements"]
    items = p["package"]
    community = p["sentence_type"] in (None, "community_order", "suspended_sentence_order")
    incomplete = list(p["not_assessed"]) + [u.need for u in p["unmet_needs"] if u.priority is None]
    asked = {t.field: t.label for t in p["to_find_out"]}
    nothing_assessed = bool(incomplete) and not p["needs"] and len(p["not_assessed"]) == len(NEED_LABELS)
    conditional = {i.intervention: i for i in items if i.conditional}
    child = next((w for w in p.get("warnings", ()) if w.code == "under_18"), None)

    if child is not None and not items:
        # every adult intervention is out of reach for a child: one reason, not one per need
        from ..screen import UNDER_18_RESTART

        out.append(youth_words(child.text.replace(
            UNDER_18_RESTART, " If the order will start on or after that day, this proposal should be made again with its start date.")))
        return " ".join(out) + "\n\n" + _foot(p, items)  # nothing below applies to a child
    if not community and reqs:
        # a licence or post-sentence supervision: conditions are not the court's to set, so this is a
        # note for the sentence plan, never "I propose"
        kind = "licence" if p["sentence_type"] == "licence" else "post-sentence supervision"
        programme = next((i for i in items if i.requirement == "accredited_programme"), None)
        others = [i.name for i in items if i.requirement != "accredited_programme"]
        plan = []
        if programme is not None:
            plan.append(f"{programme.name}, an accredited programme, which needs a {kind} condition if it is to be required"
                        + (f" ({subject_to(programme)})" if programme.conditional else ""))
        if others:
            plan.append(f"as part of supervision, {_join(others)}")
        out.append(f"Sentence plan note for the {kind} (not a proposal to a court): the work planned is " + "; and ".join(plan) + ".")
    elif reqs:
        parts = []
        for r in reqs:
            text = _lower(r.text).rstrip(".")
            if r.conditional and r.intervention in conditional:
                text += f", {subject_to(conditional[r.intervention])}"
            parts.append(text)
        # a conditional clause ends with its own "or"/"and": keep the requirements apart
        what = "; and ".join(parts) if conditional else _join(parts)
        if p.get("order_months_proposed") and community and p["order_months"]:
            what = (f"{_order_words(p)} of {p['order_months']} months (the shortest that lets this work start and finish "
                    f"with {_weeks(p['margin_weeks'])} to spare before the order ends), with {what}")
        out.append("I propose " + what + ".")
    elif nothing_assessed:
        out.append("I cannot yet propose requirements: no OASys needs section has been assessed.")
    elif incomplete:
        out.append("Nothing in this catalog can be proposed for the needs known so far.")
    else:
        out.append("I am not able to propose an accredited programme or rehabilitation activities from this catalog.")
    out += _offending(p, items)
    if nothing_assessed:
        words = _join([need_words(n) for n in incomplete])
        out.append(f"The needs assessment is not complete ({words} not assessed): these should be assessed before sentence.")
    elif incomplete:
        words = _join([need_words(n) for n in incomplete])
        out.append(f"The needs assessment is not complete ({words} not assessed or not scored): this proposal covers only "
                   "the needs known so far, so these should be assessed before sentence.")
    rar_items = [i for i in items if i.requirement == "rar"]
    if not community:
        out.append("There is no rehabilitation activity requirement on licence or post-sentence supervision (it exists only "
                   "on community orders and suspended sentence orders): activities are part of supervision, with no RAR days.")
        court_only = [i.name for i in items if i.catalog_requires in ("drug_rehabilitation", "alcohol_treatment")]
        if court_only:
            out.append(f"{_join(court_only)} {'is' if len(court_only) == 1 else 'are'} planned as supervision work, not as a "
                       "drug rehabilitation or alcohol treatment requirement, which only a court can make on a community order.")
    elif not rar_items:
        left_rar = [r for r in p["not_proposed"] if r.requires == "rar" and r.why in ("need_already_met", "rar_cap")]
        met_by = [r for r in left_rar if r.why == "need_already_met"]
        if met_by:
            names = _join(sorted({i.name for i in items if i.intervention in {x for r in met_by for x in r.met_by}}))
            fb = p["if_not_confirmed"]
            then = (f" If {names} {'is' if ' and ' not in names else 'are'} not confirmed, the alternative below would need "
                    f"a rehabilitation activity requirement of up to {fb.rar_days} days." if fb is not None and fb.rar_days else "")
            out.append(f"No rehabilitation activity days are proposed beside {names}: the needs that the activities on offer "
                       f"address are already met by {'it' if ' and ' not in names else 'them'}.{then}")
        elif incomplete:
            if not nothing_assessed:
                out.append("No rehabilitation activity days can be set for the needs not yet assessed.")
        elif any(r.requires == "rar" and r.why == "information_missing" for r in p["not_proposed"]):
            # the activities are there, but what they take is not known: no claim that none fits
            out.append("No rehabilitation activity days can be set yet: no activity that meets an identified need can be "
                       "shown, on the information available, to start and finish before the order ends.")
        elif not left_rar:
            out.append("No rehabilitation activity requirement is warranted: no activity the person can start and finish "
                       "meets an identified need.")
    for item in items:
        met = [n for n in [item.need, *item.also_meets] if n]
        what = f"addresses {_join([need_words(n) for n in met])}" if met else "works on the offending"
        days = f", over {item.rar_days} RAR days" if item.rar_days else ""
        wait = f"after a waiting list of about {_weeks(item.waiting_weeks)}, " if item.waiting_weeks else ""
        end = (f"continue until the order ends on {_day(item.finish)} (an ongoing service with no fixed length)"
               if item.ongoing else f"finish by {_day(item.finish)}")
        lead = ("if agreed, " if not _waits_on_answers(item) else "if confirmed, ") if item.conditional else ""
        source = "" if item.provider_name in item.name else f", from {item.provider_name},"
        out.append(f"{item.name}{source} {what}{days}: {lead}it can start {wait}around "
                   f"{_day(item.start)} and {end}.")
        if item.to_agree and not any(r.conditional and r.intervention == item.intervention for r in reqs):
            # said here unless the requirement it goes under says it already
            out.append(f"It is proposed on condition that {agree_words(item.to_agree)}.")
        elif item.completed_before and not item.to_agree:
            # a catalog with no judgement for a repeat (one the screen would list to agree)
            out.append(f"The person is recorded as having completed {item.name} before: repeating it needs the agreement of "
                       "the programme's treatment manager.")
        if item.alongside:
            beside = next((i.name for i in items if i.intervention == item.alongside), item.alongside)
            out.append(f"{item.name} works with the family, so it is proposed only alongside {beside}, and the safety "
                       "of the partner and any children should be confirmed with them before it starts.")
    if items:
        one = len(items) == 1
        reach = "within reach of their home" + (" (by their own transport where it is not delivered nearby)"
                                                if any(i.reachable_by_transport for i in items) else "")
        unconfirmed = [i.name for i in items if i.venue_to_be_confirmed]
        check = ""
        if unconfirmed:
            # the catalog's venue is an assumption: reach is not established, only not ruled out, so
            # the court is told it must be checked, never that the work is within reach
            reach = ("not known to be out of reach of their home" if len(unconfirmed) == len(items)
                     else reach.replace("within reach of their home", "within reach of their home where the venue is known"))
            one_venue = len(unconfirmed) == 1
            check = (f" Where {_join(unconfirmed)} {'is' if one_venue else 'are'} delivered is not yet confirmed: whether they "
                     f"can reach {'it' if one_venue else 'them'} from their home must be checked before sentence.")
        if one:
            sure = "it is open to them" + (" once confirmed" if conditional else "")
            if any(n.proposed and n.code in ("literacy_unknown", "learning_disability_unknown") for n in p.get("responsivity", ())):
                sure = "it is open to them on the criteria (whether they can take part is to be confirmed, below)"
            out.append(f"{sure[0].upper()}{sure[1:]}, {reach}, and able to {'start' if items[0].ongoing else 'finish'} "
                       "in time before the order ends." + check)
        else:
            sure = "open to them" if not conditional else "open to them (once confirmed, for those proposed on condition)"
            if any(n.proposed and n.code in ("literacy_unknown", "learning_disability_unknown") for n in p.get("responsivity", ())):
                sure = "open to them on the criteria (whether they can take part is to be confirmed, below)"
            out.append("Together they address the person's needs in order of priority (needs linked to risk of harm first, "
                       f"then to reoffending), and every one is {sure}, {reach}, and able to finish (or, for an ongoing "
                       "service, start) in time before the order ends." + check)
    out += _responsivity(p)
    fb = p["if_not_confirmed"]
    if fb is not None:
        names = _join([i.name for i in conditional.values()])
        agreed = [i for i in conditional.values() if i.to_agree]
        verb = "is" if len(conditional) == 1 else "are"
        if not agreed:
            unless = f"If {names} {verb} not confirmed"
        elif len(agreed) == len(conditional) and not any(_waits_on_answers(i) for i in agreed):
            unless = f"If it is not agreed for {names}"
        else:
            unless = f"If {names} {verb} not confirmed and agreed"
        if fb.package:
            days = f", under a rehabilitation activity requirement of up to {fb.rar_days} days" if fb.rar_days else ""
            out.append(f"{unless}, I would propose instead {_join(list(fb.names))}{days}.")
        else:
            out.append(f"{unless}, nothing else in the catalog that the person can start and finish "
                       "meets the needs it addresses.")
    for u in p["unmet_needs"]:
        if u.priority is None:
            continue  # said above: not assessed or not scored
        why = _WHY_WORDS[u.why]
        if u.why == "other_requirement":
            # a matter for the court and the report writer: the requirement this proposal leaves out
            kinds = sorted({r.requires for r in p["not_proposed"] if r.why == "other_requirement" and u.need in r.needs})
            if kinds:
                req = " or ".join(labels.requirement(k) for k in kinds)
                consent = any(k in CONSENT for k in kinds)
                why = (f"the provision that addresses it needs its own requirement: consider {'an' if req[0] in 'aeiou' else 'a'} "
                       f"{req}" + (", subject to assessment and the person's consent" if consent else ""))
        elif u.why == "rar_cap" and community and p["rar_cap"] is not None:
            # the court sets the maximum: say how many days would let it in, not that "the maximum" forbids it
            best = min((r for r in p["not_proposed"] if r.why == "rar_cap" and u.need in r.needs and r.rar_days),
                       key=lambda r: r.rar_days, default=None)
            if best is not None:
                total = (p["rar_days"] or 0) + best.rar_days
                why = (f"{best.name} would take {best.rar_days} more RAR days; a rehabilitation activity requirement of "
                       f"{total} days would allow it")
        # a length the catalog does not give is no question for the person: say which provision's
        # length to ask the provider for
        unlengthed = [m[:-len(".weeks")] for m in u.missing if m.endswith(".weeks") and m.count(".") == 1]
        if unlengthed:
            named = {r.intervention: r.name or r.intervention for r in p["not_proposed"]}
            lengths = _join(sorted({named.get(i, i) for i in unlengthed}))
            if u.why == "information_missing" and len(unlengthed) == len(u.missing):
                why = (f"this catalog does not say how long {lengths} take{'s' if len(unlengthed) == 1 else ''}, so "
                       "finishing before the order ends cannot be shown; ask the provider")
        if u.missing and not (unlengthed and len(unlengthed) == len(u.missing)):
            fields = ", ".join(asked.get(m) or labels.field(m) for m in u.missing
                               if not m.startswith("sentence.length") and m[:-len(".weeks")] not in unlengthed)
            if fields:
                # after "information is missing" the list says which; after another reason it is what is
                # also still open, and must not read as a fact about the person
                why += f" ({fields})" if u.why == "information_missing" else f"; still to find out: {fields}"
        label = f" ({_PRIORITY_WORDS[u.priority]})" if u.priority != "other" else ""
        out.append(f"The need for {need_words(u.need)}{label} is not met: {why}.")
    bench = [t for t in p["to_find_out"] if t.for_the_court and t.field in _BENCH]
    if bench and community:
        out.append("Before sentence the court should also have " + _join([_BENCH[t.field] for t in bench]) + ".")
    alloc = p["allocation"]
    if not p.get("allocation_applies", True):
        pass  # the catalog knows no NPS and CRC (HMPPS's national one): nothing to say
    elif child is not None and is_youth(child):
        out.append("The youth offending team would supervise the order.")
    elif alloc == "nps":
        out.append("The case would be managed by the NPS.")
    elif alloc == "crc":
        out.append("The case would be managed by the CRC.")
    else:
        out.append("Whether the NPS or the CRC would manage the case is not known yet.")
    body = " ".join(out)
    if not community:
        body = _as_plan(body, "the licence" if p["sentence_type"] == "licence" else "post-sentence supervision")
    return body + "\n\n" + _foot(p, items)


# On licence or post-sentence supervision nothing is proposed to a court: the sentence plan's words
_PLAN_WORDS = ((" proposed", " planned"), ("this proposal", "this plan"), ("before sentence", "before referral"))


def _as_plan(body: str, period: str) -> str:
    for a, b in _PLAN_WORDS:
        body = body.replace(a, b)
    return body.replace("the order ends", f"{period} ends").replace("this order", period)


def _offending(p: dict[str, Any], items: list[Any]) -> list[str]:
    """Risk: the offending behaviour work the case calls for, said first; plainly when none fits."""
    out = []
    asked = {t.field: t.label for t in p["to_find_out"]}
    for w in p.get("offending", ()):
        work = WORK_WORDS[w.target]
        because = _join(list(w.because))
        if w.proposed is not None:
            item = next(i for i in items if i.intervention == w.proposed)
            out.append(f"As {because}, {item.name} is the {work} proposed" + _not_accredited(item, any("PNI" in b for b in w.because))
                       + (" (on condition, as above)." if w.conditional else "."))
            out += _programme_order(p, w)
            continue
        out += _none_fits(w, work, because, p, asked)
        if w.longer_order_months is not None:
            name = next((o.name for o in w.options if o.intervention == w.longer_order_for), w.longer_order_for)
            limit = _limit(p)
            ends = f", ending on {_day(w.longer_order_end)}," if w.longer_order_end is not None else ""
            done = f" by {_day(w.longer_order_completes)}" if w.longer_order_completes is not None else ""
            # the legal limit is said once, after the longer of the two orders when both are named
            both = w.programme_order_months is not None and w.programme_order_for != w.longer_order_for
            out.append(f"An order of {w.longer_order_months} months{ends} would let {name} be completed{done}"
                       + ("." if both else f" ({limit})."))
        if w.programme_order_for != w.longer_order_for:
            out += _programme_order(p, w)
        other = [i.name for i in items if i.treats and w.target not in i.treats]
        if other:
            out.append(f"{_join(other)} {'is' if len(other) == 1 else 'are'} not {work}.")
        support = [i.name for i in items if i.work == "support_service"]
        if support:
            verb = "is support and does" if len(support) == 1 else "are support and do"
            out.append(f"{_join(support)} {verb} not address the offending itself.")
    return out


def _limit(p: dict[str, Any]) -> str:
    return ("a suspended sentence order can run for up to two years" if p["sentence_type"] == "suspended_sentence_order"
            else "a community order can last up to three years" if p["sentence_type"] == "community_order"
            else "within the legal maximum")


def _programme_order(p: dict[str, Any], w: Any) -> list[str]:
    """How long an order would let in the accredited programme that only the order's length keeps out."""
    if w.programme_order_months is None:
        return []
    name = next((o.name for o in w.options if o.intervention == w.programme_order_for), w.programme_order_for)
    ends = f", ending on {_day(w.programme_order_end)}," if w.programme_order_end is not None else ""
    return [f"{name}, the accredited programme for this, is out only because of the order's length: an order of "
            f"{w.programme_order_months} months{ends} would allow it ({_limit(p)})."]


def _not_accredited(item: Any, pathway: bool = False) -> str:
    """Offending behaviour work that is not an accredited programme says so (and, where the pathway
    indicates a programme, that it does not stand in for one), and says when what it works on is
    the catalog's assumption rather than the provider's word."""
    if item.requirement == "accredited_programme" or item.work == "accredited_programme":
        return ""
    parts = ["it is not an accredited programme" + (" and does not stand in for the one the pathway indicates" if pathway else "")]
    if getattr(item, "treats_assumed", False):
        parts.append("what offending it works on is assumed, as the provider's description does not say")
    return " (" + "; ".join(parts) + ")"


_DMY = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")
_YOUTH_HEADS = (
    (re.compile(r"^Under 18 when convicted \(([^)]*)\)"), r"The person was under 18 when convicted, on \1"),
    (re.compile(r"^Under 18 on the reference date \(([^)]*)\), so under 18 when convicted \(no conviction date is given\)"),
     r"The person is under 18 on the date of this report, \1, so was under 18 when convicted (the conviction date is not given)"),
    (re.compile(r"^Under 18 on the order start \(([^)]*)\), so under 18 when convicted \(no conviction date is given\)"),
     r"The person was under 18 when the order started, on \1, so was under 18 when convicted (the conviction date is not given)"),
    (re.compile(r"^Under 18 on the reference date \(([^)]*)\), though convicted on ([^ ]+ [^ ]+ [^ ]+) as an adult"),
     r"The person is under 18 on the date of this report, \1, but was convicted as an adult, on \2"),
)


def is_youth(warning: Any) -> bool:
    """An under-18 warning that makes the sentence a youth rehabilitation order (not one convicted as an adult)."""
    return warning.code == "under_18" and "youth rehabilitation order" in warning.text


def youth_words(text: str) -> str:
    """The screen's under-18 warning as a report writer puts it: dates written one way ('1 March
    2017'), the past tense for the conviction, and no 'reference date'."""
    text = _DMY.sub(lambda m: f"{int(m[1])} {_MONTHS[int(m[2]) - 1]} {m[3]}", text)
    for pattern, words in _YOUTH_HEADS:
        text, n = pattern.subn(words, text)
        if n:
            break
    return text.replace("the reference date", "the date of this report")


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
           "December")


def _none_fits(w: Any, work: str, because: str, p: dict[str, Any], asked: dict[str, str]) -> list[str]:
    """No work for an indicated kind of offending is in the package: whether any could still fit and
    what would settle it (a case fact to find out, or a length to ask the provider for), then what is
    not open to the person and why."""
    missing: dict[str, Any] | None = None  # each left out's missing fields, read only when an option waits on them
    open_question, other, unlengthed = [], [], []
    for o in w.options:
        if o.why != "information_missing":
            other.append(f"{o.name} {_WHY_NOT[o.why]}" + (f" ({_reason(o.text)})" if o.why == "no_eligible_provision" else ""))
            continue
        if missing is None:
            missing = {r.intervention: r.missing for r in p["not_proposed"]}
        gaps = missing.get(o.intervention, ())
        length = f"{o.intervention}.weeks" in gaps
        facts = _join([asked.get(m) or labels.field(m) for m in gaps if m != f"{o.intervention}.weeks"])
        if facts:
            open_question.append(f"{o.name} cannot be confirmed without {facts}"
                                 + ("; its length is not published in this catalog either (ask the provider)" if length else ""))
        elif length:
            unlengthed.append(o.name)
        else:
            open_question.append(f"{o.name} {_WHY_NOT[o.why]}")
    if unlengthed:
        many = len(unlengthed) > 1
        open_question.insert(0, f"nothing in the case rules out {_join(unlengthed)}, but this catalog does not say how long "
                             f"{'they take' if many else 'it takes'}, so finishing before the order ends cannot be shown; "
                             "ask the provider")
    if not w.options:
        return [f"No {work} fits this order, although {because}: none is offered in this catalog."]
    out = []
    if open_question:
        # undecided is not "none fits": say what would settle it
        out.append(f"No {work} can be shown to fit this order yet, although {because}: " + "; ".join(open_question) + ".")
        if other:
            out.append(f"Other {work} in this catalog does not fit: " + "; ".join(other) + ".")
    else:
        out.append(f"No {work} fits this order, although {because}: " + _join(other) + ".")
    return out


def _reason(text: str) -> str:
    """'Not eligible: it is for men only.' -> 'it is for men only'."""
    return text.removeprefix("Not eligible: ").rstrip(".")


def _responsivity(p: dict[str, Any]) -> list[str]:
    """What about the person shapes the package: what was left out for it, and what to arrange."""
    out = []
    left = [n for n in p.get("responsivity", ()) if not n.proposed and n.code in _SUITS]
    by_code: dict[str, list[Any]] = {}
    for n in left:
        by_code.setdefault(n.code, []).append(n)
    for code, notes in by_code.items():
        names = _join(list(dict.fromkeys(n.name for n in notes)))
        verb = "is" if len({n.name for n in notes}) == 1 else "are"
        reason = {
            "group_work": f"{names} {verb} not proposed because {'it is' if verb == 'is' else 'they are'} group work, "
                          "which the person cannot take part in",
            "learning_disability": f"{names} {verb} not proposed because {'it is' if verb == 'is' else 'they are'} not adapted "
                                   "for people with a learning disability",
            "literacy": f"{names} {verb} not proposed because {'it asks' if verb == 'is' else 'they ask'} the person to read "
                        "simple sentences",
            "interpreter": f"{names} {verb} not proposed because {'it' if verb == 'is' else 'they'} cannot be delivered "
                           "through an interpreter",
        }[code]
        if code == "learning_disability":
            alts = [n.alternative for n in notes if n.alternative]
            reason += (f"; {next(i.name for i in p['package'] if i.intervention == alts[0])} is adapted and is proposed"
                       if alts else "; no adapted alternative is offered in this catalog")
        out.append(_upper(reason) + ".")
    unsure = [n for n in p.get("responsivity", ()) if n.proposed and n.code in ("literacy_unknown", "learning_disability_unknown")]
    if unsure:
        unsure_names = list(dict.fromkeys(n.name for n in unsure))
        what = _join(list(dict.fromkeys({"literacy_unknown": "they cannot read simple sentences",
                                         "learning_disability_unknown": "they have a learning disability"}[n.code] for n in unsure)))
        out.append(f"As {what}, and the provision does not say how it meets this, that they can take part in {_join(unsure_names)} "
                   "must be confirmed with the provider before sentence.")
    if any(n.code == "interpreter" and n.proposed for n in p.get("responsivity", ())):
        out.append("The person needs an interpreter, who should be booked for every session.")
    held = [n for n in p.get("responsivity", ()) if not n.proposed and n.code == "partner_abuse_family_work"]
    if held:
        named = list(dict.fromkeys(n.name for n in held))
        one = len(named) == 1
        out.append(f"{_join(named)} {'is' if one else 'are'} not proposed: {'it works' if one else 'they work'} with the "
                   "family, which for a perpetrator of partner abuse belongs only alongside perpetrator work, once the "
                   "victim's safety has been assessed.")
    return out


def _foot(p: dict[str, Any], items: list[Any]) -> str:
    foot = f"Based on {p['catalog_named']}; assessed on {_day(p['on'])}."
    for a in p["assumptions"]:
        foot += f" Assumed: {_lower(a)}"
    if any(set(i.illustrative) & {"weeks", "waiting_weeks", "rar_days"} for i in items):
        foot += " Some course lengths, waiting times or RAR days behind these dates are illustrative."
    return foot
