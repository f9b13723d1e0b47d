"""Package choice: of the interventions the person can start and finish, the package that treats
the offending the case calls for first, then meets the most priority-weighted need; an exact optimum
over every admissible combination (branch and bound), so the same case always gives the same
proposal. Every candidate left out is explained, and for each need the choice is said: what met
it, what that beat, and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import compress
from typing import Any

from ...catalog.model import Intervention
from ... import labels
from .result import Choice, NeedAssessed, NotProposed, PackageItem, Why, made

EVIDENCE_RANK = {"accredited": 3, "promising": 2, "emerging": 1, "unevaluated": 0}


# candidates are told apart by identity, not field by field; never changed once made (not frozen
# only because a frozen dataclass sets each of its twenty fields through object.__setattr__)
@dataclass(eq=False, slots=True)
class Candidate:
    """An intervention the person can start and finish: eligible, open, reachable, in time, suited
    to them; or a programme that only missing information keeps open, or anything a person's judgement
    alone keeps open (conditional)."""

    iv: Intervention
    mask: int  # identified needs it meets, one bit per need in priority order
    rar_days: int
    programme: bool
    start: dt.date
    finish: dt.date
    price: float | None
    evidence: int
    women_only: bool
    conditional: bool = False
    unknowns: int = 0  # conditional: how many case fields must be answered before it is confirmed
    # conditional on a person's agreement (the screen's eligible_if_agreed): the judgements to agree
    to_agree: tuple[Any, ...] = ()
    waits_on_answers: bool = False  # conditional on answers the case does not give yet
    transport: bool = False  # reachable only because the case records transport
    venue_assumed: bool = False  # the catalog's towns for it are placeholders
    risk: int = 0  # the indicated kinds of offending it treats, one bit each (risk.TARGETS order)
    # family or victim work for a perpetrator of partner abuse: only beside partner-abuse work
    needs_perpetrator_work: bool = False
    perpetrator_work: bool = False  # it treats partner abuse


def _popcount(x: int) -> int:
    return x.bit_count()


def package_score(chosen: tuple[Candidate, ...], weights: tuple[int, ...]) -> int:
    covered = 0
    for c in chosen:
        covered |= c.mask
    return sum(w for i, w in enumerate(weights) if covered >> i & 1)


def programme_rank(by_programme: int) -> int:
    """How well the accredited programme is spent: the offending it treats, the most specific first
    (risk.TARGETS order, one bit each, bit 0 the most specific). An accredited programme for partner
    abuse outranks any package that leaves partner abuse to non-accredited work, whatever else that
    package treats: an order names one programme, and it goes where the risk is."""
    return sum(1 << (7 - i) for i in range(8) if by_programme >> i & 1)


_RANK = tuple(map(programme_rank, range(256)))  # programme_rank of every 8-bit mask, for the search


def package_key(chosen: tuple[Candidate, ...], weights: tuple[int, ...], female: bool) -> tuple[Any, ...]:
    """Smaller is better: the accredited programme on the most specific offending indicated
    (programme_rank); then the most kinds of indicated offending treated by offending behaviour work
    (on condition or not: a programme that only missing answers keep open comes before support);
    then the most priority-weighted need met; then as few items proposed only on condition that
    missing answers confirm them as possible, and those resting on as few unanswered questions as
    possible (a person's agreement, eligible if agreed, is no gap in the file: every referral is
    assessed by the provider, so it is not held against an item); for women, most needs
    met by women-only provision; then the weakest evidence base as strong as possible, then the best
    total evidence; then the shortest longest wait; then lowest price; then ids."""
    # every part in one pass over the members (the search asks for the whole key to break each tie)
    covered = women = risk = by_programme = waits = unknowns = longest = 0
    weakest, total = 3, 0
    prices: list[float] = []
    for c in chosen:
        covered |= c.mask
        risk |= c.risk
        if c.programme:
            by_programme |= c.risk
        if c.women_only:
            women |= c.mask
        waits += c.waits_on_answers
        unknowns += c.unknowns
        ev = c.evidence
        total += ev
        if ev < weakest:
            weakest = ev
        wait = c.iv.status.waiting_weeks or 0
        if wait > longest:
            longest = wait
        prices.append(c.price if c.price is not None else 1e9)
    score = sum(w for i, w in enumerate(weights) if covered >> i & 1)
    return (
        -_RANK[by_programme & 0xFF],  # programme_rank reads the first 8 bits only
        -risk.bit_count(),
        -score,
        waits,
        unknowns,
        -women.bit_count() if female else 0,
        -weakest,
        # the mean as a float orders as the exact fraction does: means of a few evidence ranks (0 to 3)
        # differ by far more than a float's rounding, and equal fractions round to the same float
        -total / len(chosen) if chosen else -3.0,
        longest,
        round(sum(prices), 2),  # sum() as before: the same float, added in the same order
        tuple(sorted([c.iv.id for c in chosen])),
    )


def admissible(chosen: tuple[Candidate, ...], cap: int | None) -> bool:
    """Within the RAR cap, at most one programme, family work for a perpetrator of partner abuse only
    beside perpetrator work, and nothing for needs already met: each member meets a need, or treats
    offending, that no other member does."""
    if cap is not None and sum(c.rar_days for c in chosen) > cap:
        return False
    if sum(c.programme for c in chosen) > 1:
        return False
    needs_pw = has_pw = False
    for c in chosen:
        needs_pw = needs_pw or c.needs_perpetrator_work
        has_pw = has_pw or c.perpetrator_work
    if needs_pw and not has_pw:
        return False
    for c in chosen:
        others = others_risk = 0
        for d in chosen:
            if d is not c:
                others |= d.mask
                others_risk |= d.risk
        if not c.mask & ~others and not c.risk & ~others_risk:
            return False
    return True


def best_package(cands: list[Candidate], weights: tuple[int, ...], cap: int | None, female: bool) -> tuple[Candidate, ...]:
    """The admissible package with the smallest package_key (members in id order), by branch and bound.

    Packages grow one candidate at a time, the likeliest to be best first (programmes for the most
    specific offending, then what treats the most offending, then the most need met), so that a
    good package is found early and cuts the rest. A branch is cut as soon as it cannot be
    admissible: a candidate that meets no new need and treats no new offending is never added, nor
    one that would leave a member already chosen with nothing of its own (redundant in every
    superset too). It is also cut when the best its completions could reach is worse than the best
    package found, judged on the leading part of package_key whose bounds are cheap: each component
    at its most favourable for every completion (the programme's offending, offending treated, need
    met and women-only need met grow at most as far as the candidates still to come allow; items on
    condition, unanswered questions and the weakest evidence base only get worse). A completion's
    key is then never smaller than the bound, component by component, so never lexicographically;
    and as candidates come in a fixed order, no later candidate's bound is better, so the loop stops
    there. The whole key (with its mean of evidence) is worked out only to break a tie.
    """
    if not cands:
        return ()
    order = sorted(cands, key=lambda c: (not c.programme, -_RANK[c.risk & 0xFF], -c.risk.bit_count(), -c.mask.bit_count(), c.iv.id))
    n = len(order)
    suffix = [0] * (n + 1)
    rsuffix = [0] * (n + 1)
    psuffix = [0] * (n + 1)
    wsuffix = [0] * (n + 1)
    pwsuffix = [False] * (n + 1)
    for i in range(n - 1, -1, -1):
        c = order[i]
        suffix[i] = suffix[i + 1] | c.mask
        rsuffix[i] = rsuffix[i + 1] | c.risk
        psuffix[i] = psuffix[i + 1] | (c.risk if c.programme else 0)
        wsuffix[i] = wsuffix[i + 1] | (c.mask if c.women_only and female else 0)
        pwsuffix[i] = pwsuffix[i + 1] or c.perpetrator_work

    scores: dict[int, int] = {}
    powers = tuple(1 << i for i in range(len(weights)))

    def score_of(mask: int) -> int:
        s = scores.get(mask)
        if s is None:  # the weights of the mask's bits (compress and map loop in C)
            s = scores[mask] = sum(compress(weights, map(mask.__and__, powers)))
        return s

    # the best package found: the leading part of its key, its whole key once a tie needs it, itself
    best: list[Any] = [None, None, ()]

    def grow(j: int, chosen: tuple[Candidate, ...], own: list[tuple[int, int]], covered: int, risk: int, days: int,
             prog: bool, prisk: int, women: int, waits: int, unknowns: int, weakest: int, needs_pw: bool, has_pw: bool) -> None:
        # `own`: what each member meets and treats that no other member does
        if not needs_pw or has_pw:
            s = scores.get(covered)
            if s is None:
                s = score_of(covered)
            head = (-_RANK[prisk & 0xFF], -risk.bit_count(), -s, waits, unknowns, -women.bit_count(), -weakest)
            if best[0] is None or head < best[0]:
                best[0], best[1], best[2] = head, None, chosen
            elif head == best[0]:
                if best[1] is None:
                    best[1] = package_key(best[2], weights, female)
                k = package_key(chosen, weights, female)
                if k < best[1]:
                    best[1], best[2] = k, chosen
        top = best[0]
        for i in range(j, n):
            if needs_pw and not has_pw and not pwsuffix[i]:
                return
            c = order[i]
            new_mask, new_risk = c.mask & ~covered, c.risk & ~risk
            if not (new_mask or new_risk) or (cap is not None and days + c.rar_days > cap) or (prog and c.programme):
                continue  # never added here: the bound is checked at the next candidate that can be (no better)
            if top is not None:
                full = covered | suffix[i]
                s = scores.get(full)  # score_of's lookup without its call: the search's commonest step
                if s is None:
                    s = score_of(full)
                bound = (-_RANK[(prisk if prog else psuffix[i]) & 0xFF], -(risk | rsuffix[i]).bit_count(),
                         -s, waits, unknowns, -(women | wsuffix[i]).bit_count(), -weakest)
                if bound > top:
                    return
            # every member must keep something of its own (a plain loop: no generator to resume per member)
            not_mask, not_risk = ~c.mask, ~c.risk
            kept = []
            for m, r in own:
                m &= not_mask
                r &= not_risk
                if not (m or r):
                    break
                kept.append((m, r))
            else:
                kept.append((new_mask, new_risk))
                grow(i + 1, chosen + (c,), kept, covered | c.mask, risk | c.risk,
                     days + c.rar_days, prog or c.programme, c.risk if c.programme else prisk,
                     women | c.mask if c.women_only and female else women, waits + c.waits_on_answers, unknowns + c.unknowns,
                     c.evidence if c.evidence < weakest else weakest, needs_pw or c.needs_perpetrator_work, has_pw or c.perpetrator_work)
                top = best[0]

    grow(0, (), [], 0, 0, 0, False, 0, 0, 0, 0, 3, False, False)
    return tuple(sorted(best[2], key=lambda c: c.iv.id))


def join_names(names: list[str], conj: str = "and") -> str:
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conj} " + names[-1]


def left_out(cands: list[Candidate], chosen: tuple[Candidate, ...], needs: list[NeedAssessed], bit: dict[str, int],
             cap: int | None) -> list[NotProposed]:
    """Why each candidate not chosen was left out: every one is explained."""
    covered = risk = 0
    for c in chosen:
        covered |= c.mask
        risk |= c.risk
    used = sum(x.rar_days for x in chosen)
    has_perpetrator_work = any(x.perpetrator_work for x in chosen)
    # by identity: comparing candidates field by field compares whole catalog entries
    picked = {id(x) for x in chosen}
    out = []
    needed = [n.need for n in needs]
    powers = [1 << bit[n] for n in needed]
    for c in cands:
        if id(c) in picked:
            continue
        met = tuple(compress(needed, map(c.mask.__and__, powers)))
        new = c.mask & ~covered or c.risk & ~risk
        by: tuple[str, ...] = ()
        why: Why
        if c.needs_perpetrator_work and not has_perpetrator_work:
            why, text = "partner_abuse_family_work", (
                "It works with the family or visits the home: for a perpetrator of partner abuse it is proposed only "
                "alongside partner-abuse perpetrator work, and none is in the package.")
        elif cap is not None and c.rar_days and used + c.rar_days > cap and new:
            why = "rar_cap"
            text = f"Would need {c.rar_days} RAR days; the package already uses {used} of the {cap} allowed."
        elif c.programme and any(x.programme for x in chosen) and new:
            why, text = "one_programme_only", "Another accredited programme was chosen; an order names one programme at a time."
        elif new:
            # the optimum left out something this could add: only the RAR cap or the one-programme
            # rule, taken together with the rest of the package, can do that
            why = "rar_cap" if c.rar_days else "one_programme_only"
            text = "Leaving it out lets the rest of the package meet more of the needs within the RAR cap and the one-programme rule."
        else:
            by = tuple(x.iv.id for x in chosen if x.mask & c.mask or x.risk & c.risk)
            names = join_names([x.iv.name for x in chosen if x.mask & c.mask or x.risk & c.risk])
            words = ", ".join(labels.need_words(m) for m in met)
            why, text = "need_already_met", (
                (f"The need{'s' if len(met) > 1 else ''} it addresses ({words}) {'are' if len(met) > 1 else 'is'} already met by {names} in the package."
                 if met else f"The offending it works on is already treated by {names} in the package.")
                + (" It would have been proposed only on condition that missing information confirms it." if c.waits_on_answers
                   else " It would have been proposed only on condition that a person agrees to it." if c.conditional else ""))
        out.append(made(NotProposed, intervention=c.iv.id, requires=c.iv.requires, needs=met, why=why, text=text,
                                               also=(), missing=(), met_by=by, name=c.iv.name, rar_days=c.rar_days))
    return out


# why a beaten intervention lost, in a few words, for the package choice
BEAT_WORDS: dict[str, str] = {
    "no_eligible_provision": "not eligible",
    "withdrawn": "withdrawn",
    "suspended": "suspended",
    "waiting_list_too_long": "waiting list too long",
    "order_too_short": "order too short",
    "not_reachable": "out of reach",
    "rar_cap": "over the RAR days",
    "one_programme_only": "one programme at a time",
    "need_already_met": "need already met",
    "pni_pathway": "no programme indicated",
    "information_missing": "information missing",
    "other_requirement": "needs another requirement",
    "not_on_licence": "not on licence",
    "not_suitable": "not suited to the person",
    "partner_abuse_family_work": "family work held without perpetrator work",
}


def explain(needs: list[NeedAssessed], items: list[PackageItem], rejected: list[NotProposed],
            names: dict[str, str]) -> list[Choice]:
    """For each identified need: what met it, what it beat (everything else that could have), and why."""
    from .risk import WORK_WORDS

    out = []
    rivals: dict[str, list[NotProposed]] = {}
    for r in rejected:
        if r.why != "no_eligible_provision":
            for m in r.needs:
                rivals.setdefault(m, []).append(r)
    for n in needs:
        chosen = [i for i in items if n.need == i.need or n.need in i.also_meets]
        beat = rivals.get(n.need, [])
        out.append(made(Choice, need=n.need, chosen=tuple(i.intervention for i in chosen),
                        chosen_names=tuple(i.name for i in chosen),
                        chosen_as=tuple(" and ".join(WORK_WORDS[t] for t in i.treats) if i.treats
                                        else "support, beside any offending behaviour work" if i.work == "support_service" else ""
                                        for i in chosen),
                        beat=tuple(r.intervention for r in beat), beat_names=tuple(names.get(r.intervention, r.intervention) for r in beat),
                        beat_why=tuple(r.why for r in beat)))
    return out
