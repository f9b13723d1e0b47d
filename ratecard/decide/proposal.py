"""Proposals for the pre-sentence report: requirements, an intervention package and RAR days.

Eligibility and availability come from the screen; this module decides which of the interventions
the person can actually start and finish go into the package, and says why each other one that
could meet a need does not. The package is the exact optimum over every admissible combination
(branch and bound), so the same case always gives the same proposal.

Court files are rarely complete, so the proposal works with what is known:
- a programme that is eligible and indicated whatever the missing answers are is proposed outright;
  one that only missing information keeps open is proposed *conditionally*, with the answers that
  would confirm it, and the package that would stand if they do not;
- needs that were not assessed are never read as "no need": the proposal says which sections to
  assess, and proposes what the known needs already indicate;
- a rehabilitation activity requirement exists only on community orders and suspended sentence
  orders (Offender Rehabilitation Act 2014): on licence or post-sentence supervision the same
  activities are proposed as supervision work, with no RAR days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..case.facts import case_facts, order_dates
from ..case.model import NEED_SECTIONS, UNSCORED_SECTIONS, Case
from ..case.coerce import coerce_case
from ..catalog.load import Catalog
from ..catalog.model import Intervention
from ..rules.loader import Evaluation
from .screen import InterventionResult, MissingField, Screen, decide, screen
from .screen import Warning as CaseWarning
from .whatif import Answer, confirming_answers
from .. import labels  # plain data: the one table of names for people

# Priority classes, in the order the issue gives: needs linked to harm, then to reoffending, then
# other identified needs. The bases keep the classes lexicographic: ten needs of a lower class
# (each at most base + 12 over threshold) never outweigh one need of the class above.
_HARM, _REOFFENDING, _OTHER = 100_000, 1_000, 20

# Standard OASys section thresholds (DOMAIN.md §2), ratecard/case/needs.py. Used only to rank needs
# by how far the score is over the threshold; whether a need is identified comes from the rules
# (need_<section>).
from ..case.needs import THRESHOLDS  # noqa: E402

EVIDENCE_RANK = {"accredited": 3, "promising": 2, "emerging": 1, "unevaluated": 0}
TIER_MINIMUM_HOURS = {"green": 12, "yellow": 24, "red": 35, "blue": 35}
PROGRAMME_PATHWAYS = frozenset({"high_intensity", "moderate_intensity"})
# Requirements a package can use: the programme requirement, the RAR, and free provision that
# needs no requirement at all. Drug rehabilitation, alcohol treatment and unpaid work are
# separate requirements with their own assessments, outside what ratecard proposes.
_IN_SCOPE = frozenset({"accredited_programme", "rar", "none"})
DEFAULT_MARGIN_WEEKS = 4
COMMUNITY_SENTENCES = frozenset({"community_order", "suspended_sentence_order"})

Why = Literal[
    "no_eligible_provision",
    "withdrawn",
    "suspended",
    "waiting_list_too_long",
    "order_too_short",
    "not_reachable",
    "rar_cap",
    "one_programme_only",
    "need_already_met",
    "pni_pathway",
    "information_missing",
    "other_requirement",
    "not_on_licence",
]
# When several interventions could have met a need, the need's reason is the one closest to working.
_WHY_ORDER: tuple[Why, ...] = (
    "rar_cap",
    "one_programme_only",
    "need_already_met",
    "waiting_list_too_long",
    "order_too_short",
    "not_reachable",
    "information_missing",
    "pni_pathway",
    "suspended",
    "withdrawn",
    "other_requirement",
    "not_on_licence",
    "no_eligible_provision",
)
Priority = Literal["harm", "reoffending", "other"]
ItemRequirement = Literal["accredited_programme", "rar", "supervision", "none"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The parts repeated many times in a proposal are slotted dataclasses, not models (as in the screen):
# pydantic still serialises and documents them, and building them costs far less.


@dataclass(frozen=True, slots=True)
class NeedAssessed:
    need: str
    priority: Priority
    score: int | None
    over_threshold: int | None
    weight: int


class PackageItem(_Out):
    intervention: str
    name: str
    provider: str
    provider_name: str
    # how the order carries it: the programme requirement (a licence condition on licence), RAR
    # days, supervision work on licence or post-sentence supervision, or nothing (free provision)
    requirement: ItemRequirement
    need: str
    also_meets: list[str]
    rar_days: int
    sessions: int | None
    hours: float | None
    start: dt.date
    finish: dt.date
    waiting_weeks: int
    price: float | None
    price_basis: str
    evidence: str
    women_only: bool
    ongoing: bool = False  # no fixed length: continues until the order ends
    illustrative: list[str]
    # proposed on condition that missing information confirms it (eligibility or programme need)
    conditional: bool = False
    confirm_if: list[Answer] = []
    reachable_by_transport: bool = False  # delivered away from home; the case records transport
    venue_to_be_confirmed: bool = False  # the catalog's venue is an assumption (where.assumed)


@dataclass(frozen=True, slots=True)
class NotProposed:
    intervention: str
    requires: str  # the requirement it would need, as the catalog says
    needs: list[str]
    why: Why
    text: str
    also: list[Why] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    met_by: list[str] = field(default_factory=list)  # need_already_met: the package items that meet its needs
    name: str = ""  # the catalog's name for it, for people (intervention is the id)


@dataclass(frozen=True, slots=True)
class UnmetNeed:
    need: str
    priority: Priority | None
    why: Why
    text: str
    missing: list[str] = field(default_factory=list)
    interventions: list[str] = field(default_factory=list)


class RequirementProposal(_Out):
    requirement: Literal["accredited_programme", "rar", "supervision"]
    intervention: str | None = None
    days: int | None = None
    conditional: bool = False
    text: str


class TierCheck(_Out):
    tier: str | None
    minimum_hours: int | None
    package_hours: float | None
    meets_minimum: bool | None
    text: str


class Fallback(_Out):
    """The package that stands if a conditional item is not confirmed."""

    requirements: list[RequirementProposal]
    package: list[str]
    names: list[str]
    rar_days: int | None
    unmet_needs: list[str]


class ToFindOut(MissingField):
    """A question to ask before sentence, and what its answer would settle."""

    why: str


class Proposal(_Out):
    catalog_version: str
    catalog: str
    on: dt.date
    case_id: str
    # the sentence the proposal is for; when the case does not say, a community order or suspended
    # sentence order is assumed (what a pre-sentence report proposes), and `assumptions` says so
    sentence_type: str | None
    order_months: int | None
    order_end: dt.date | None
    margin_weeks: int
    rar_cap: int | None
    requirements: list[RequirementProposal]
    rar_days: int | None
    rar_warranted: bool
    package: list[PackageItem]
    if_not_confirmed: Fallback | None
    needs: list[NeedAssessed]
    not_assessed: list[str]  # need sections with no assessment at all
    unmet_needs: list[UnmetNeed]
    not_proposed: list[NotProposed]
    to_find_out: list[ToFindOut]
    assumptions: list[str]
    tier: str | None
    tier_check: TierCheck
    allocation: str | None
    pni_pathway: str | None
    # about the case as a whole, as the screen gives them (a child, a young adult, an unknown town)
    warnings: list[CaseWarning] = []
    # the pathways still possible when the missing information leaves it open
    pni_pathway_possible: list[str]
    total_price: float | None
    text: str


# ---- needs ------------------------------------------------------------------------------------


def _need_state(case: Case, screened: Screen, defined: bool, section: str) -> tuple[bool | None, list[str]]:
    """(identified, fields missing). Identification is the rules' `need_<section>` fact. A catalog
    whose rules do not define it falls back to the case's `identified` flag, then to the standard
    section threshold."""
    field = "identified" if section in UNSCORED_SECTIONS else "score"
    key = f"need_{section}"
    if defined:
        if key in screened.derived:
            return bool(screened.derived[key]), []
        return None, screened.derived_missing.get(key) or [f"needs.{section}.{field}"]
    need = getattr(case.needs, section)
    if need is not None and need.identified is not None:
        return need.identified, []
    if need is not None and need.score is not None and section in THRESHOLDS:
        return need.score >= THRESHOLDS[section], []
    return None, [f"needs.{section}.{field}"]


def assess_needs(case: Case, screened: Screen, catalog: Catalog) -> tuple[list[NeedAssessed], list[UnmetNeed], list[str]]:
    """Identified needs in priority order, needs assessed but not settled, and sections not assessed."""
    found: list[NeedAssessed] = []
    unknown: list[UnmetNeed] = []
    not_assessed: list[str] = []
    for section in NEED_SECTIONS:
        need = getattr(case.needs, section)
        if need is None:
            not_assessed.append(section)
            continue
        identified, missing = _need_state(case, screened, f"need_{section}" in catalog.rules.derived, section)
        if identified is None:
            unknown.append(UnmetNeed(need=section, priority=None, why="information_missing",
                                     text=f"Assessed but not scored: give the {', '.join(labels.field(m) for m in missing)}.", missing=missing))
            continue
        if not identified:
            continue
        if need.linked_to_harm:
            priority: Priority = "harm"
        elif need.linked_to_reoffending:
            priority = "reoffending"
        else:
            priority = "other"
        over = None
        if need.score is not None and section in THRESHOLDS:
            over = max(need.score - THRESHOLDS[section], 0)
        base = {"harm": _HARM, "reoffending": _REOFFENDING, "other": _OTHER}[priority]
        found.append(NeedAssessed(need=section, priority=priority, score=need.score, over_threshold=over,
                                  weight=base + min(over or 0, 12)))
    found.sort(key=lambda n: (-n.weight, NEED_SECTIONS.index(n.need)))
    return found, unknown, not_assessed


# ---- candidates -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # candidates are told apart by identity, not field by field
class Candidate:
    """An intervention the person can start and finish: eligible, open, reachable, in time; or a
    programme that only missing information keeps open (conditional)."""

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
    transport: bool = False  # reachable only because the case records transport
    venue_assumed: bool = False  # the catalog's towns for it are placeholders


@dataclass(frozen=True)
class Barrier:
    why: Why
    text: str
    fields: tuple[str, ...] = ()
    # "eligibility" or "indication": only missing information about the person stands in the way
    about: str = ""


def package_price(iv: Intervention) -> tuple[float | None, str]:
    """The rate-card price for one person completing it, and how it was worked out."""
    p = iv.price
    per = {"per_participant": None, "per_session": iv.sessions, "per_hour": iv.hours, "per_day": iv.rar_days}[p.unit]
    if p.unit == "per_participant":
        return round(p.amount, 2), "per participant"
    if per is None:
        return None, f"{p.amount:.2f} {p.unit.replace('_', ' ')}; total not known"
    return round(p.amount * per, 2), f"{p.amount:.2f} {p.unit.replace('_', ' ')} x {per:g}"


def _weeks(n: float) -> dt.timedelta:
    return dt.timedelta(days=round(7 * n))


def _add(d: dt.date, delta: dt.timedelta) -> dt.date | None:
    """A date plus a delta, or None past the calendar's end (an order ending in year 9999)."""
    try:
        return d + delta
    except OverflowError:
        return None


def _barriers(r: InterventionResult, iv: Intervention, pathways: frozenset[str] | None,
              pathway_fields: list[str], window: tuple[dt.date, dt.date] | None, margin: int,
              transport: bool, community: bool = True) -> list[Barrier]:
    """Everything that keeps an intervention out of the package, the most fundamental first, from
    the screen's decision and warnings; empty when it can go in."""
    # ineligibility first: a requirement outside the proposal matters only for someone eligible
    if r.decision == "ineligible":
        return [Barrier("no_eligible_provision", "Not eligible: " + " ".join(x.text for x in r.reasons))]
    if iv.requires not in _IN_SCOPE:
        if community:
            return [Barrier("other_requirement", other_requirement_text(iv.requires))]
        if iv.requires == "unpaid_work":
            return [Barrier("not_on_licence", "Unpaid work is a requirement of a community or suspended sentence order; "
                            "it cannot be part of a licence or post-sentence supervision.")]
        # on licence, drug and alcohol work are licence conditions, as `check` treats them
    out: list[Barrier] = []
    if r.decision == "undetermined":
        fields = tuple(m.field for m in r.missing)
        words = ", ".join(m.label or labels.field(m.field) for m in r.missing)
        out.append(Barrier("information_missing", f"Eligibility cannot be decided without: {words}.", fields, "eligibility"))
    codes = {w.code: w.text for w in r.warnings}
    for code in ("withdrawn", "suspended"):
        if code in codes:
            out.append(Barrier(code, codes[code]))  # type: ignore[arg-type]
    # time before place: a waiting list that outlasts the order cannot be solved by travelling
    wait = iv.status.waiting_weeks or 0
    if window is None:
        out.append(Barrier("information_missing", "Order length not given: cannot check that it can finish in time (give --order-months).",
                           ("sentence.length_months",)))
    elif iv.weeks is None and iv.requires != "none":
        out.append(Barrier("information_missing", "The catalog does not say how many weeks it takes, so finishing in time cannot be checked.",
                           (f"{iv.id}.weeks",)))
    else:
        begin, end = window
        latest = _add(end, -_weeks(margin)) or end
        if iv.weeks is None:
            # an ongoing service with no fixed length needs no requirement: the person takes part for
            # as long as the order lasts, so it only has to be able to start before the margin
            start = _add(begin, _weeks(wait))
            if start is None or start > latest:
                out.append(Barrier("waiting_list_too_long", f"Could start only on {start or 'a date past the calendar'}: a waiting list of {wait} weeks, "
                                   f"but the order ends on {end} and it must start by {latest} ({margin} weeks' margin)."))
        else:
            finish = _add(begin, _weeks(wait + iv.weeks))
            if finish is None or finish > latest:
                alone = _add(begin, _weeks(iv.weeks))
                why: Why = "waiting_list_too_long" if wait and alone is not None and alone <= latest else "order_too_short"
                head = f"a waiting list of {wait} weeks and " if wait else ""
                out.append(Barrier(why, f"Would finish on {finish or 'a date past the calendar'}: {head}{iv.weeks} weeks to complete, "
                                        f"but the order ends on {end} and it must finish by {latest} ({margin} weeks' margin)."))
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
            out.append(Barrier("pni_pathway", f"The PNI pathway is {_pathways_words(pathways)}, which does not indicate an accredited programme."))
        elif not pathways <= PROGRAMME_PATHWAYS:
            fields = tuple(pathway_fields)
            out.append(Barrier("information_missing", f"Whether a programme is indicated depends on information not yet given: the PNI pathway could be "
                                                      f"{_pathways_words(pathways)}. Needed: {', '.join(labels.field(f) for f in fields) or 'the missing assessments'}.",
                               fields, "indication"))
    return out


def other_requirement_text(requires: str) -> str:
    """Why provision under a requirement outside the proposal (drug rehabilitation, unpaid work...)
    is not in it: a matter for the court and the report writer, said without naming the tool."""
    req = labels.requirement(requires)
    return f"Would need {'an' if req[0] in 'aeiou' else 'a'} {req}; this proposal does not include one."


def _pathways_words(pathways: frozenset[str]) -> str:
    words = [p.replace("_", " ") for p in sorted(pathways)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# ---- the optimisation -------------------------------------------------------------------------


def _popcount(x: int) -> int:
    return bin(x).count("1")


def package_score(chosen: tuple[Candidate, ...], weights: tuple[int, ...]) -> int:
    covered = 0
    for c in chosen:
        covered |= c.mask
    return sum(w for i, w in enumerate(weights) if covered >> i & 1)


def package_key(chosen: tuple[Candidate, ...], weights: tuple[int, ...], female: bool) -> tuple[Any, ...]:
    """Smaller is better: most priority-weighted need met; then as few items proposed only on
    condition as possible, and those resting on as few unanswered questions as possible (a
    programme that needs only a date of birth before one that also needs the offence to be sexual);
    for women, most needs met by women-only provision; then the weakest
    evidence base as strong as possible, then the best total evidence; then the shortest longest
    wait; then lowest price; then ids."""
    covered = women = 0
    for c in chosen:
        covered |= c.mask
        if c.women_only:
            women |= c.mask
    score = sum(w for i, w in enumerate(weights) if covered >> i & 1)
    ev = [c.evidence for c in chosen]
    price = sum(c.price if c.price is not None else 1e9 for c in chosen)
    return (
        -score,
        sum(c.conditional for c in chosen),
        sum(c.unknowns for c in chosen),
        -_popcount(women) if female else 0,
        -min(ev, default=3),
        -Fraction(sum(ev), len(ev)) if ev else Fraction(-3),
        max((c.iv.status.waiting_weeks or 0 for c in chosen), default=0),
        round(price, 2),
        tuple(sorted(c.iv.id for c in chosen)),
    )


def admissible(chosen: tuple[Candidate, ...], cap: int | None) -> bool:
    """Within the RAR cap, at most one programme, and no intervention for needs already met:
    each member meets a need no other member meets."""
    if cap is not None and sum(c.rar_days for c in chosen) > cap:
        return False
    if sum(c.programme for c in chosen) > 1:
        return False
    for c in chosen:
        others = 0
        for d in chosen:
            if d is not c:
                others |= d.mask
        if not c.mask & ~others:
            return False
    return True


def best_package(cands: list[Candidate], weights: tuple[int, ...], cap: int | None, female: bool) -> tuple[Candidate, ...]:
    """The admissible package with the smallest package_key, by branch and bound.

    Including a candidate that meets no new need can never be admissible (it would be redundant
    in every superset), and a branch whose best possible score is below the best found is cut.
    """
    order = sorted(cands, key=lambda c: c.iv.id)
    n = len(order)
    suffix = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        suffix[i] = suffix[i + 1] | order[i].mask

    scores: dict[int, int] = {}

    def score_of(mask: int) -> int:
        if mask not in scores:
            scores[mask] = sum(w for i, w in enumerate(weights) if mask >> i & 1)
        return scores[mask]

    best: list[Any] = [None, ()]

    def visit(i: int, chosen: tuple[Candidate, ...], covered: int, days: int, prog: bool) -> None:
        if best[0] is not None and score_of(covered | suffix[i]) < -best[0][0]:
            return
        if i == n:
            if admissible(chosen, cap):
                key = package_key(chosen, weights, female)
                if best[0] is None or key < best[0]:
                    best[0], best[1] = key, chosen
            return
        c = order[i]
        if c.mask & ~covered and (cap is None or days + c.rar_days <= cap) and not (prog and c.programme):
            visit(i + 1, chosen + (c,), covered | c.mask, days + c.rar_days, prog or c.programme)
        visit(i + 1, chosen, covered, days, prog)

    visit(0, (), 0, 0, False)
    return best[1]


# ---- the proposal -----------------------------------------------------------------------------


def propose(case: Case, catalog: Catalog | None = None, *, on: dt.date | None = None, rar_days: int | None = None,
            order_months: int | None = None, margin_weeks: int | None = None) -> Proposal:
    """Propose requirements, a package and RAR days for one case.

    `rar_days` is the maximum the court has fixed (default: the case's sentence.rar_days, if any);
    `order_months` the proposed order length (default: the case's sentence.length_months);
    `margin_weeks` how long before the order ends everything must finish (default: the catalog's
    proposal_margin_weeks, else 4).
    """
    case = coerce_case(case)  # a Case, a dict or a JSON/YAML string (ratecard.case.coerce)
    from ..catalog.load import default_catalog
    from ..present.proposal_text import proposal_text

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    if order_months is not None:
        case = case.model_copy(update={"sentence": case.sentence.model_copy(update={"length_months": order_months})})
    stype = case.sentence.type
    community = stype is None or stype in COMMUNITY_SENTENCES
    assumptions: list[str] = []
    if stype is None:
        assumptions.append("The sentence type is not given: a community order or suspended sentence order is assumed, "
                           "the sentences that can carry a rehabilitation activity requirement.")
    # the RAR cap binds RAR days only; on licence there are none
    cap = (rar_days if rar_days is not None else case.sentence.rar_days) if community else None
    if margin_weeks is not None:
        margin = margin_weeks
    elif catalog.info.proposal_margin_weeks is not None:
        margin = catalog.info.proposal_margin_weeks
    else:
        margin = DEFAULT_MARGIN_WEEKS
    screened = screen(case, catalog, on=on)
    dates = order_dates(case, on)
    window = (max(dates[0], on), dates[1]) if dates else None
    pathways = _pathways(screened, catalog)
    pathway_fields = screened.derived_missing.get("pni_pathway", [])
    female = case.person.sex == "female"
    transport = case.responsivity.has_transport is True

    needs, unknown_needs, not_assessed = assess_needs(case, screened, catalog)
    bit = {n.need: i for i, n in enumerate(needs)}
    weights = tuple(n.weight for n in needs)

    cands: list[Candidate] = []
    rejected: list[NotProposed] = []
    for r in screened.results:
        iv = catalog.interventions[r.intervention]
        mask = 0
        for s in iv.needs:
            if s in bit:
                mask |= 1 << bit[s]
        if not mask:
            continue
        barriers = _barriers(r, iv, pathways, pathway_fields, window, margin, transport, community)
        met = [n.need for n in needs if mask >> bit[n.need] & 1]
        programme = iv.requires == "accredited_programme"
        conditional = bool(barriers) and programme and all(b.about for b in barriers)
        if barriers and not conditional:
            first, *more = barriers
            rejected.append(NotProposed(
                intervention=iv.id, requires=iv.requires, needs=met, why=first.why,
                also=list(dict.fromkeys(b.why for b in more if b.why != first.why)),
                text=" ".join(b.text for b in barriers), missing=sorted({m for b in barriers for m in b.fields}), name=iv.name))
            continue
        assert window is not None  # no window is a barrier for everything
        start = _add(window[0], _weeks(iv.status.waiting_weeks or 0)) or window[1]
        # ongoing services (no fixed length) count as finishing when the order ends
        finish = window[1] if iv.weeks is None else (_add(start, _weeks(iv.weeks)) or window[1])
        price, _ = package_price(iv)
        cands.append(Candidate(iv=iv, mask=mask, rar_days=(iv.rar_days or 0) if iv.requires == "rar" and community else 0,
                               programme=programme, start=start, finish=finish, price=price,
                               evidence=EVIDENCE_RANK[iv.evidence.level], women_only=iv.delivery.women_only,
                               conditional=conditional,
                               unknowns=len({m for b in barriers for m in b.fields}) if conditional else 0,
                               transport="not_near_home" in {w.code for w in r.warnings},
                               venue_assumed="venue_to_be_confirmed" in {w.code for w in r.warnings}))

    chosen = best_package(cands, weights, cap, female)
    facts = case_facts(case, on) if any(c.conditional for c in chosen) else {}
    items = _items(chosen, needs, bit, catalog, community,
                   {c.iv.id: _confirm_if(catalog, facts, screened, c.iv.id, pathway_fields) for c in chosen if c.conditional})
    covered = 0
    for c in chosen:
        covered |= c.mask
    rejected += _left_out(cands, chosen, needs, bit, cap)
    rejected.sort(key=lambda x: x.intervention)

    names = {iid: iv.name for iid, iv in catalog.interventions.items()}
    unmet = [_unmet(n, rejected, names) for n in needs if not covered >> bit[n.need] & 1] + unknown_needs
    reqs = _requirements(items, community)
    rar_total = sum(i.rar_days for i in items if i.requirement == "rar")
    fallback = None
    if any(c.conditional for c in chosen):
        sure = best_package([c for c in cands if not c.conditional], weights, cap, female)
        sure_items = _items(sure, needs, bit, catalog, community, {})
        sure_covered = 0
        for c in sure:
            sure_covered |= c.mask
        fallback = Fallback(requirements=_requirements(sure_items, community), package=[i.intervention for i in sure_items],
                            names=[i.name for i in sure_items],
                            rar_days=sum(i.rar_days for i in sure_items if i.requirement == "rar") or None,
                            unmet_needs=[n.need for n in needs if not sure_covered >> bit[n.need] & 1])
    prices = [i.price for i in items]
    tier = screened.derived.get("tier")
    proposal = dict(
        catalog_version=screened.catalog_version,
        catalog=screened.catalog,
        on=on,
        case_id=case.id,
        sentence_type=stype,
        order_months=case.sentence.length_months,
        order_end=dates[1] if dates else None,
        margin_weeks=margin,
        rar_cap=cap,
        requirements=reqs,
        rar_days=rar_total or None,
        rar_warranted=bool(rar_total),
        package=items,
        if_not_confirmed=fallback,
        needs=needs,
        not_assessed=not_assessed,
        unmet_needs=unmet,
        not_proposed=rejected,
        to_find_out=_to_find_out(screened, items, unknown_needs, not_assessed, rejected, catalog),
        assumptions=assumptions,
        tier=tier,
        tier_check=_tier_check(tier, items, screened.derived.get("allocation"),
                               any(w.code == "under_18" for w in screened.warnings)),
        allocation=screened.derived.get("allocation"),
        pni_pathway=screened.derived.get("pni_pathway"),
        warnings=list(screened.warnings),
        pni_pathway_possible=sorted(pathways or ()),
        total_price=round(sum(p for p in prices if p is not None), 2) if None not in prices else None,
    )
    return Proposal(**proposal, text=proposal_text(proposal))


def _pathways(screened: Screen, catalog: Catalog) -> frozenset[str] | None:
    """The PNI pathways still possible; None when the rules define no pathway."""
    if "pni_pathway" in screened.derived:
        return frozenset({screened.derived["pni_pathway"]})
    if "pni_pathway" in screened.derived_possible:
        return frozenset(screened.derived_possible["pni_pathway"])
    return None


def _confirm_if(catalog: Catalog, facts: dict[str, Any], screened: Screen, iid: str, pathway_fields: list[str]) -> list[Answer]:
    """The answers that would confirm a conditional programme: eligible, and indicated."""
    rules = catalog.rules.rules.get(iid, ())

    def confirmed(ev: Evaluation) -> bool | None:
        decision, _ = decide(iid, rules, ev)
        pathway = ev.possible.get("pni_pathway", frozenset())
        if decision == "ineligible" or not pathway & PROGRAMME_PATHWAYS:
            return False
        if decision == "eligible" and pathway <= PROGRAMME_PATHWAYS:
            return True
        return None

    fields = [m.field for m in screened.result(iid).missing] + list(pathway_fields)
    return confirming_answers(catalog, facts, list(dict.fromkeys(fields)), confirmed)


def _items(chosen: tuple[Candidate, ...], needs: list[NeedAssessed], bit: dict[str, int], catalog: Catalog,
           community: bool, confirm: dict[str, list[Answer]]) -> list[PackageItem]:
    # the programme first, then by the most important need each meets; each item is credited with
    # the needs no earlier item already meets
    def top(c: Candidate) -> int:
        return min(i for i in range(len(needs)) if c.mask >> i & 1)

    ordered = sorted(chosen, key=lambda c: (not c.programme, top(c), c.iv.id))
    claimed = 0
    out = []
    for c in ordered:
        own = c.mask & ~claimed
        claimed |= c.mask
        met = [n.need for n in needs if own >> bit[n.need] & 1]
        price, basis = package_price(c.iv)
        requirement: ItemRequirement = c.iv.requires  # type: ignore[assignment]
        if requirement not in ("accredited_programme", "none") and not community:
            # on licence: RAR activities, drug and alcohol work are supervision work (licence conditions)
            requirement = "supervision"
        out.append(PackageItem(
            intervention=c.iv.id, name=c.iv.name, provider=c.iv.provider,
            provider_name=catalog.providers[c.iv.provider].name, requirement=requirement,
            need=met[0], also_meets=met[1:], rar_days=c.rar_days, sessions=c.iv.sessions, hours=c.iv.hours,
            start=c.start, finish=c.finish, waiting_weeks=c.iv.status.waiting_weeks or 0, price=price,
            price_basis=basis, evidence=c.iv.evidence.level, women_only=c.women_only, ongoing=c.iv.weeks is None,
            illustrative=list(c.iv.illustrative), conditional=c.conditional, confirm_if=confirm.get(c.iv.id, []),
            reachable_by_transport=c.transport, venue_to_be_confirmed=c.venue_assumed,
        ))
    return out


def _requirements(items: list[PackageItem], community: bool) -> list[RequirementProposal]:
    reqs: list[RequirementProposal] = []
    programme = next((i for i in items if i.requirement == "accredited_programme"), None)
    if programme is not None:
        how = "An accredited programme requirement" if community else "An accredited programme as a condition of the licence or supervision"
        reqs.append(RequirementProposal(requirement="accredited_programme", intervention=programme.intervention,
                                        conditional=programme.conditional, text=f"{how}: {programme.name}."))
    rar_total = sum(i.rar_days for i in items if i.requirement == "rar")
    if rar_total:
        reqs.append(RequirementProposal(requirement="rar", days=rar_total,
                                        text=f"A rehabilitation activity requirement of up to {rar_total} days, the days the activities below use."))
    supervision = [i for i in items if i.requirement == "supervision"]
    if supervision:
        reqs.append(RequirementProposal(requirement="supervision", text=(
            "Activities as part of supervision on licence or post-sentence supervision: "
            + ", ".join(i.name for i in supervision) + ".")))
    return reqs


def _left_out(cands: list[Candidate], chosen: tuple[Candidate, ...], needs: list[NeedAssessed], bit: dict[str, int],
              cap: int | None) -> list[NotProposed]:
    """Why each candidate not chosen was left out: every one is explained."""
    covered = 0
    for c in chosen:
        covered |= c.mask
    used = sum(x.rar_days for x in chosen)
    # by identity: comparing candidates field by field compares whole catalog entries
    picked = {id(x) for x in chosen}
    out = []
    for c in cands:
        if id(c) in picked:
            continue
        met = [n.need for n in needs if c.mask >> bit[n.need] & 1]
        if cap is not None and c.rar_days and used + c.rar_days > cap and c.mask & ~covered:
            why: Why = "rar_cap"
            text = f"Would need {c.rar_days} RAR days; the package already uses {used} of the {cap} allowed."
            by: list[str] = []
        elif c.programme and any(x.programme for x in chosen) and c.mask & ~covered:
            why, text, by = "one_programme_only", "Another accredited programme was chosen; an order names one programme at a time.", []
        elif c.mask & ~covered:
            # the optimum left out a need this could meet: only the RAR cap or the one-programme
            # rule, taken together with the rest of the package, can do that
            why = "rar_cap" if c.rar_days else "one_programme_only"
            text, by = "Leaving it out lets the rest of the package meet more of the needs within the RAR cap and the one-programme rule.", []
        else:
            by = [x.iv.id for x in chosen if x.mask & c.mask]
            names = _join_names([x.iv.name for x in chosen if x.mask & c.mask])
            why, text = "need_already_met", (
                f"The need{'s' if len(met) > 1 else ''} it addresses ({', '.join(labels.need_words(m) for m in met)}) "
                f"{'are' if len(met) > 1 else 'is'} already met by {names} in the package."
                + (" It would have been proposed only on condition that missing information confirms it." if c.conditional else ""))
        out.append(NotProposed(intervention=c.iv.id, requires=c.iv.requires, needs=met, why=why, text=text, met_by=by,
                               name=c.iv.name))
    return out


def _join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _to_find_out(screened: Screen, items: list[PackageItem], unknown_needs: list[UnmetNeed], not_assessed: list[str],
                 rejected: list[NotProposed], catalog: Catalog) -> list[ToFindOut]:
    """The questions to ask before sentence, each with what its answer would settle; the one that
    would settle the most results of the screen first."""
    from ..present.proposal_text import need_words

    why: dict[str, list[str]] = {}
    for i in items:
        for a in i.confirm_if:
            why.setdefault(a.field, []).append(f"confirms {i.name} if {a.clause}" if a.clause else f"confirms {i.name} if it is {a.text}")
    for u in unknown_needs:
        for f in u.missing:
            why.setdefault(f, []).append(f"whether there is a {need_words(u.need)} need")
    for section in not_assessed:
        field = f"needs.{section}.{'identified' if section in UNSCORED_SECTIONS else 'score'}"
        why.setdefault(field, []).append(f"{need_words(section)} is not assessed")
    # who manages the case and the CRC tier are in the paragraph: when unknown, say what settles them
    for fact, words in (("allocation", "who manages the case (NPS or CRC)"), ("tier", "the CRC tier")):
        for f in screened.derived_missing.get(fact, []):
            why.setdefault(f, []).append(words)
    undecided: dict[str, list[str]] = {}  # field -> interventions its answer could let in
    for r in rejected:
        # only where the missing answer is all that stands in the way (not for withdrawn provision)
        if r.why == "information_missing" and all(a == "information_missing" for a in r.also):
            for f in r.missing:
                why.setdefault(f, [])
                undecided.setdefault(f, []).append(catalog.interventions[r.intervention].name)
    settles = {m.field: m.settles or 0 for m in screened.missing}
    registry = catalog.rules.registry
    order = sorted(why, key=lambda f: (-settles.get(f, 0), list(why).index(f)))
    return [ToFindOut(field=f, label=registry[f].label if f in registry else f, settles=settles.get(f),
                      why=_why_words(why[f], undecided.get(f, []))) for f in order]


def _why_words(reasons: list[str], undecided: list[str]) -> str:
    """Why a field is asked: its reasons, then the interventions it could let in, counted when many."""
    parts = list(dict.fromkeys(reasons))
    names = list(dict.fromkeys(undecided))
    if len(names) > 3:
        parts.append(f"whether {len(names)} interventions can be proposed ({_some(names, ', ')})")
    else:
        parts += [f"whether {n} can be proposed" for n in names]
    return "; ".join(parts)


def _some(names: list[str], sep: str) -> str:
    """Up to three names; more are the first two and a count, as a table cell or a line can hold."""
    return sep.join(names) if len(names) <= 3 else f"{sep.join(names[:2])} and {len(names) - 2} more"


def _unmet(need: NeedAssessed, rejected: list[NotProposed], names: dict[str, str]) -> UnmetNeed:
    about = [r for r in rejected if need.need in r.needs]
    if not about:
        return UnmetNeed(need=need.need, priority=need.priority, why="no_eligible_provision",
                         text="Nothing in the catalog addresses this need.")
    best = min(about, key=lambda r: (_WHY_ORDER.index(r.why), r.intervention))
    if best.why == "no_eligible_provision":
        named = [names.get(r.intervention, r.intervention) for r in about]
        shown = _some(named, "; ")  # the ids are all in `interventions`
        text = f"Not eligible for any of the {len(named)} interventions that address it ({shown})." if len(named) > 1 \
            else f"Not eligible for the one intervention that addresses it ({shown})."
    else:
        text = f"{names.get(best.intervention, best.intervention)}: {best.text}"
    missing = sorted({m for r in about if r.why == "information_missing" for m in r.missing})
    return UnmetNeed(need=need.need, priority=need.priority, why=best.why, text=text, missing=missing,
                     interventions=sorted(r.intervention for r in about))


def _tier_check(tier: str | None, items: list[PackageItem], allocation: str | None = None, child: bool = False) -> TierCheck:
    if child:
        return TierCheck(tier=tier, minimum_hours=None, package_hours=None, meets_minimum=None,
                         text="Under 18: the youth offending team supervises, and CRC tiers do not apply.")
    if allocation == "nps":
        # CRC tiers and their minimum hours are for cases the CRC manages
        return TierCheck(tier=tier, minimum_hours=None, package_hours=None, meets_minimum=None,
                         text="Managed by the NPS: CRC tiers and their minimum hours do not apply.")
    if tier is None:
        return TierCheck(tier=None, minimum_hours=None, package_hours=None, meets_minimum=None,
                         text="Tier unknown: what settles it is under what is still to find out.")
    minimum = TIER_MINIMUM_HOURS.get(tier)
    hours = [i.hours for i in items]
    total = sum(h for h in hours if h is not None) if None not in hours else None
    if minimum is None or total is None:
        return TierCheck(tier=tier, minimum_hours=minimum, package_hours=total, meets_minimum=None,
                         text=f"Tier {tier}: the package hours are not all known, so the minimum cannot be checked.")
    ok = total >= minimum
    return TierCheck(tier=tier, minimum_hours=minimum, package_hours=total, meets_minimum=ok,
                     text=f"Tier {tier} needs at least {minimum} hours; the package gives {total:g}"
                          + ("." if ok else ", so supervision contact must make up the rest."))
