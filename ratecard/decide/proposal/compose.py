"""propose(): the proposal for a pre-sentence report, put together in the order officers reason.

1. Risk (risk.py): which offending behaviour work the case calls for.
2. Need (need.py): the needs identified, linked to harm first.
3. What the person can start and finish (candidates.py, order.py) and what suits them
   (responsivity.py): everything else is left out, with its reason.
4. The package (choice.py): offending behaviour work first, then the most need met.
5. Order length (order.py): when the case gives none, the shortest lawful order that keeps the package.
6. The paragraph for the court (paragraph.py).

A rehabilitation activity requirement exists only on community orders and suspended sentence
orders (Offender Rehabilitation Act 2014): on licence or post-sentence supervision the same
activities are proposed as supervision work, with no RAR days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from itertools import compress
from operator import attrgetter
from typing import Any

from ... import labels
from ...case.coerce import CaseInput, coerce_case
from ...case.facts import case_facts, order_dates
from ...case.model import Case
from ...catalog.load import Catalog, per_catalog
from ...catalog.model import Intervention, Target
from ...rules.loader import Evaluation
from ...rules.reference import Knowledge
from ..responsivity import obstacles as person_obstacles
from ..results import Decision, Results
from ..screen import Reason, Said, Screen, decide, screen
from ..whatif import Answer, Reads, confirming_answers
from . import responsivity as resp
from .candidates import IN_SCOPE, ResultRead, reasons_text, standing
from .choice import EVIDENCE_RANK, Candidate, best_package, join_names, left_out
from .need import assess_needs, need_field
from .order import (COMMUNITY_SENTENCES, Barrier, timing, DEFAULT_MARGIN_WEEKS, LENGTH_FIELDS, add, legal_max, legal_min,
                    lengths_to_try, longer_order, months_to_fit, weeks, with_length, completion, order_end)
from .paragraph import fact_words, is_youth, proposal_text, written
from .result import (Fallback, ItemRequirement, NeedAssessed, NotProposed, OffendingWork, Option, PackageItem,
                     Proposal, RequirementProposal, TierCheck, ToFindOut, UnmetNeed, Why, made, made_of)
from .risk import PROGRAMME_PATHWAYS, bench_needs, indicated

TIER_MINIMUM_HOURS = {"green": 12, "yellow": 24, "red": 35, "blue": 35}


class _Treats:
    """What each intervention of a catalog treats, and what the proposal reads of it, worked out once per catalog."""

    def __init__(self, catalog: Catalog):
        self.described = any(iv.work is not None for iv in catalog.interventions.values())
        # intervention -> the offending it treats (offending behaviour work only)
        self.targets: dict[str, tuple[str, ...]] = {
            iid: tuple(iv.work.targets) for iid, iv in catalog.interventions.items() if iv.work is not None and iv.work.treats_offending}
        self.by_target: dict[str, list[str]] = {}
        for iid in sorted(self.targets):
            for t in self.targets[iid]:
                self.by_target.setdefault(t, []).append(iid)
        providers = catalog.providers
        self.known = {iid: _Known(iv, self.targets.get(iid, ()), providers[iv.provider].name if iv.provider in providers else None)
                      for iid, iv in catalog.interventions.items()}
        self.names = {iid: iv.name for iid, iv in catalog.interventions.items()}
        self.meeting: dict[str, list[str]] = {}  # need -> the interventions that meet it
        # _Verdicts shared between cases: by what the screen says of an intervention (its decision,
        # judgements, missing fields, status and reach warnings), the person's obstacles to it and
        # what of the case a verdict reads (_sort_out); bounded
        self.verdicts: dict[tuple[Any, ...], _Verdict] = {}
        # the left-out record of an intervention the person is not eligible for: by its id, its
        # reasons (the screen's shared tuple, held here so that its id stays its own) and the needs
        # it meets; bounded
        self.ruled_out: dict[tuple[str, int, tuple[str, ...]], tuple[tuple[Reason, ...], NotProposed]] = {}
        for iid, iv in catalog.interventions.items():
            for need in dict.fromkeys(iv.needs):
                self.meeting.setdefault(need, []).append(iid)


class _Known:
    """What a proposal reads of one intervention whatever the case (the catalog's own figures), read
    off the catalog's models once: a package item is made from these, not from the models' fields."""

    __slots__ = ("iv", "women_only", "targets", "programme", "rar_days", "price", "evidence", "perpetrator_work",
                 "wait", "length", "wait_and_length", "id", "name", "provider", "provider_name", "requires", "sessions",
                 "hours", "waiting_weeks", "price_basis", "evidence_level", "ongoing", "illustrative", "work", "treats",
                 "treats_assumed", "weeks", "other_requirement")

    def __init__(self, iv: Intervention, targets: tuple[str, ...], provider_name: str | None):
        self.iv, self.targets = iv, targets
        self.women_only = iv.delivery.women_only
        self.programme = iv.requires == "accredited_programme"
        # work under a requirement outside the proposal: whether it is left out depends on the sentence (standing)
        self.other_requirement = iv.requires not in IN_SCOPE
        self.rar_days = (iv.rar_days or 0) if iv.requires == "rar" else 0  # on a community sentence
        self.price, self.price_basis = package_price(iv)
        self.evidence = EVIDENCE_RANK[iv.evidence.level] if iv.evidence else 0
        self.perpetrator_work = "partner_abuse" in targets
        # its waiting list and length as time, for the order's window
        wait = iv.status.waiting_weeks or 0
        self.wait = weeks(wait)
        self.length = None if iv.weeks is None else weeks(iv.weeks)
        self.wait_and_length = self.wait if iv.weeks is None else weeks(wait + iv.weeks)
        self.id, self.name, self.provider, self.provider_name = iv.id, iv.name, iv.provider, provider_name
        self.requires, self.sessions, self.hours, self.weeks = iv.requires, iv.sessions, iv.hours, iv.weeks
        self.waiting_weeks = wait
        self.evidence_level = iv.evidence.level if iv.evidence else "not given"
        self.ongoing = iv.weeks is None
        self.illustrative = tuple(iv.illustrative)
        w = iv.work
        self.work = w.kind if w is not None else None
        self.treats = tuple(w.targets) if w is not None and w.treats_offending else ()
        self.treats_assumed = w is not None and w.treats_offending and w.basis.get("targets") == "assumption"


_treats = per_catalog(_Treats)
# When several interventions could have met a need, the need's reason is the one closest to working.
_WHY_ORDER: tuple[Why, ...] = (
    "rar_cap", "one_programme_only", "need_already_met", "partner_abuse_family_work", "waiting_list_too_long",
    "order_too_short", "not_reachable", "not_suitable", "information_missing", "pni_pathway", "suspended", "withdrawn",
    "other_requirement", "not_on_licence", "no_eligible_provision",
)
_WHY_RANK = {w: i for i, w in enumerate(_WHY_ORDER)}
_BY_INTERVENTION = attrgetter("intervention")


def package_price(iv: Intervention) -> tuple[float | None, str]:
    """The rate-card price for one person completing it, and how it was worked out."""
    p = iv.price
    if p is None:  # a catalog that gives no prices (HMPPS's national catalogue)
        return None, "no price in the catalog"
    per = {"per_participant": None, "per_session": iv.sessions, "per_hour": iv.hours, "per_day": iv.rar_days}[p.unit]
    if p.unit == "per_participant":
        return round(p.amount, 2), "per participant"
    if per is None:
        return None, f"{p.amount:.2f} {p.unit.replace('_', ' ')}; total not known"
    return round(p.amount * per, 2), f"{p.amount:.2f} {p.unit.replace('_', ' ')} x {per:g}"


def propose(case: CaseInput, catalog: Catalog | None = None, *, on: dt.date | None = None, rar_days: int | None = None,
            order_months: int | None = None, margin_weeks: int | None = None) -> Proposal:
    """Propose requirements, a package and RAR days for one case.

    `rar_days` is the maximum the court has fixed (default: the case's sentence.rar_days, if any);
    `order_months` the proposed order length (default: the case's sentence.length_months; when
    neither gives one, the proposal proposes the shortest lawful length that lets its package start
    and finish); `margin_weeks` how long before the order ends everything must finish (default: the
    catalog's proposal_margin_weeks, else 4).
    """
    case = coerce_case(case)  # a Case, a dict or a JSON/YAML string (ratecard.case.coerce)
    from ...catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    if order_months is not None:
        case = with_length(case, order_months)
    if margin_weeks is not None:
        margin = margin_weeks
    elif catalog.info.proposal_margin_weeks is not None:
        margin = catalog.info.proposal_margin_weeks
    else:
        margin = DEFAULT_MARGIN_WEEKS
    if case.sentence.length_months is not None:
        d = _analyse(case, catalog, on, rar_days, margin)
    else:
        d = _shortest(case, catalog, on, rar_days, margin)
    # every part is built from checked values (made): the whole is too (d holds its fields in their order)
    d["text"] = proposal_text(d)  # d is this proposal's own: _analyse and _shortest make it afresh
    return made_of(Proposal, d)


def _shortest(case: Case, catalog: Catalog, on: dt.date, rar_days: int | None, margin: int) -> dict[str, Any]:
    """No order length given: the package for the longest lawful order, then the shortest length
    that keeps it (a few lengths at most: only where a rule's answer or the timing changes)."""
    stype = case.sentence.type
    longest = legal_max(stype)
    full = _analyse(with_length(case, longest), catalog, on, rar_days, margin)
    licence = stype is not None and stype not in COMMUNITY_SENTENCES
    if not full["package"]:
        # nothing fits even the longest order: no length to propose, and no need is unmet for want of one
        return {**full, "order_months": None, "order_end": None, "order_months_proposed": False}
    # months count from the order's own start, which may be before the reference date
    last = max((i.start if i.ongoing else i.finish) for i in full["package"])
    need = max(months_to_fit(case.sentence.start or on, last, margin), legal_min(stype))
    want = {(i.intervention, i.conditional) for i in full["package"]}
    chosen = full
    for months in lengths_to_try(catalog, need, longest):
        if months == longest:
            break
        d = _analyse(with_length(case, months), catalog, on, rar_days, margin)
        if {(i.intervention, i.conditional) for i in d["package"]} == want:
            chosen = d
            break
    chosen = {**chosen, "order_months_proposed": True}
    if licence:
        kind = "licence" if stype == "licence" else "post-sentence supervision"
        chosen["assumptions"] = (*chosen["assumptions"], f"The {kind} period is not given: this proposal needs at least "
                                 f"{chosen['order_months']} months of it left from the start of the work.")
    return chosen


def _pathways(screened: Screen) -> frozenset[str] | None:
    """The PNI pathways still possible; None when the rules define no pathway."""
    if "pni_pathway" in screened.derived:
        return frozenset({screened.derived["pni_pathway"]})
    if "pni_pathway" in screened.derived_possible:
        return frozenset(screened.derived_possible["pni_pathway"])
    return None


def _analyse(case: Case, catalog: Catalog, on: dt.date, rar_days: int | None, margin: int) -> dict[str, Any]:
    """The proposal's fields for a case with an order length."""
    stype = case.sentence.type
    community = stype is None or stype in COMMUNITY_SENTENCES
    assumptions: list[str] = []
    if stype is None:
        assumptions.append("The sentence type is not given: a community order or suspended sentence order is assumed, "
                           "the sentences that can carry a rehabilitation activity requirement.")
    # the RAR cap binds RAR days only; on licence there are none
    cap = (rar_days if rar_days is not None else case.sentence.rar_days) if community else None
    screened = screen(case, catalog, on=on)
    dates = order_dates(case, on)
    assert dates is not None  # the case has a length here
    window = (max(dates[0], on), dates[1])
    pathways = _pathways(screened)
    pathway_fields = screened.derived_missing.get("pni_pathway", [])
    female = case.person.sex == "female"
    transport = case.responsivity.has_transport is True

    # 1. risk, 2. need
    # a catalog that does not say what its interventions treat cannot tell offending work from support
    treats = _treats(catalog)
    targets = indicated(case, screened) if treats.described else {}
    tbit = {t: i for i, t in enumerate(targets)}
    needs, unknown_needs, not_assessed = assess_needs(case, screened, catalog)
    bit = {n.need: i for i, n in enumerate(needs)}
    weights = tuple(n.weight for n in needs)
    obs = person_obstacles(case, catalog)

    # 3. what can start and finish, and suits the person
    cands, rejected, considered, ineligible, said, reasons = _sort_out(
        screened, treats, needs, bit, tbit, obs, case, pathways, pathway_fields, window, margin, transport, community)

    # 4. the package
    chosen = best_package(cands, weights, cap, female)
    confirm: dict[str, tuple[Answer, ...]] = {}
    if any(c.waits_on_answers for c in chosen):
        known = screened.results.knowledge() if isinstance(screened.results, Results) else None
        facts = known.facts if known is not None else case_facts(case, on)
        confirm = {c.iv.id: tuple(_confirm_if(catalog, facts, screened, c.iv.id, pathway_fields, said[c.iv.id], known))
                   for c in chosen if c.waits_on_answers}
    completed = frozenset(case.history.completed_programmes or ())
    items = _items(chosen, needs, bit, catalog, community, confirm, obs, add(window[1], -weeks(margin)) or window[1], completed)
    covered = 0
    for c in chosen:
        covered |= c.mask
    rejected += left_out(cands, chosen, needs, bit, cap)
    rejected.sort(key=_BY_INTERVENTION)

    names = treats.names
    unmet_needs = [n for n in needs if not covered >> bit[n.need] & 1]
    about: dict[str, list[NotProposed]] = {}  # an unmet need -> what was left out that meets it, in id order
    if unmet_needs:
        wanted = {n.need for n in unmet_needs}
        for r in rejected:
            for m in r.needs:
                if m in wanted:
                    about.setdefault(m, []).append(r)
    unmet = [_unmet(n, about.get(n.need, []), names) for n in unmet_needs] + unknown_needs
    reqs = _requirements(items, community)
    rar_total = sum(i.rar_days for i in items if i.requirement == "rar")
    fallback = None
    if any(c.conditional for c in chosen):
        sure = best_package([c for c in cands if not c.conditional], weights, cap, female)
        sure_items = _items(sure, needs, bit, catalog, community, {}, obs, None, completed)
        sure_covered = 0
        for c in sure:
            sure_covered |= c.mask
        fallback = made(Fallback, requirements=tuple(_requirements(sure_items, community)), package=tuple(i.intervention for i in sure_items),
                        names=tuple(i.name for i in sure_items),
                        rar_days=sum(i.rar_days for i in sure_items if i.requirement == "rar") or None,
                        unmet_needs=tuple(n.need for n in needs if not sure_covered >> bit[n.need] & 1))
    # a youth: no adult order, so no adult offending behaviour work to weigh and no RAR days
    youth = any(is_youth(w) for w in screened.warnings)
    offending = [] if youth else _offending(targets, items, rejected, reasons, case, catalog, on, margin, community)
    if youth:
        cap = None
    prices = [i.price for i in items]
    tier = screened.derived.get("tier")
    return dict(
        catalog_version=screened.catalog_version,
        catalog=screened.catalog,
        catalog_named=_named(catalog),
        on=on,
        case_id=case.id,
        sentence_type=stype,
        order_months=case.sentence.length_months,
        order_months_proposed=False,
        order_end=dates[1],
        margin_weeks=margin,
        rar_cap=cap,
        requirements=tuple(reqs),
        rar_days=rar_total or None,
        rar_warranted=bool(rar_total),
        offending=tuple(offending),
        package=tuple(items),
        if_not_confirmed=fallback,
        needs=tuple(needs),
        not_assessed=tuple(not_assessed),
        unmet_needs=tuple(unmet),
        not_proposed=tuple(rejected),
        responsivity=tuple(resp.summarise(obs, items, rejected, catalog, ineligible) + resp.unknown_fit(case, items, catalog)),
        to_find_out=tuple(_to_find_out(screened, items, unknown_needs, not_assessed, rejected, catalog,
                                       resp.open_questions(obs, names, considered - ineligible), bench_needs(case))),
        assumptions=tuple(assumptions),
        tier=tier,
        tier_check=_tier_check(tier, items, screened.derived.get("allocation"),
                               any(w.code == "under_18" for w in screened.warnings), "tier" in catalog.rules.derived),
        allocation=screened.derived.get("allocation"),
        allocation_applies="allocation" in catalog.rules.derived,
        pni_pathway=screened.derived.get("pni_pathway"),
        warnings=tuple(screened.warnings),
        pni_pathway_possible=tuple(sorted(pathways or ())),
        total_price=round(float(sum(p for p in prices if p is not None)), 2) if None not in prices else None,
        prices_illustrative=any("price" in i.illustrative for i in items),
    )


def _named(catalog: Catalog) -> str:
    info = catalog.info
    return f"{info.court_name or info.name} as at {written(info.as_of, '%B %Y')}"


def _offending(targets: Mapping[Target, tuple[str, ...]], items: list[PackageItem], rejected: list[NotProposed],
               reasons_of: dict[str, tuple[Reason, ...]], case: Case, catalog: Catalog, on: dt.date, margin: int, community: bool) -> list[OffendingWork]:
    """Risk, answered: for each kind of offending behaviour work indicated, what treats it, or why
    nothing does and how long an order would let it. `reasons_of`: the screen's reasons for each
    intervention considered (all that treat indicated offending)."""
    out: list[OffendingWork] = []
    if not targets:
        return out
    left = {r.intervention: r for r in rejected}
    by_target = _treats(catalog).by_target
    in_package = {i.intervention for i in items}
    for t, because in targets.items():
        treating = [i for i in items if t in i.treats]
        options = []
        for iid in by_target.get(t, ()):
            iv = catalog.interventions[iid]
            if iid in in_package:
                continue
            r = left.get(iid)
            reasons = reasons_of[iid]
            if r is not None and r.why == "no_eligible_provision" and all(x.fields == ("person.sex",) for x in reasons):
                continue  # for the other sex: no option for this person, and nothing to say about it
            if r is not None:
                options.append(made(Option, intervention=iid, name=iv.name, why=r.why, text=r.text))
        longer = longer_for = programme = programme_for = None
        by_programme = any(i.requirement == "accredited_programme" for i in treating)
        if (not treating or not by_programme) and community and case.sentence.length_months is not None:
            for opt in options:
                # only when every rule that rules the person out is about the order's length
                reads_length = all(set(x.fields) & set(LENGTH_FIELDS) for x in reasons_of[opt.intervention])
                if opt.why in ("order_too_short", "waiting_list_too_long") or (opt.why == "no_eligible_provision" and reads_length):
                    iv = catalog.interventions[opt.intervention]
                    months = longer_order(case, catalog, on, iv, margin, case.sentence.length_months)
                    if months is None:
                        continue
                    if not treating and (longer is None or months < longer):
                        longer, longer_for = months, opt.intervention
                    # an accredited programme that only the order's length keeps out: the bench should
                    # know how long an order would let it in, even beside other work for the same offending
                    if iv.requires == "accredited_programme" and (programme is None or months < programme):
                        programme, programme_for = months, opt.intervention
        first = treating[0] if treating else None
        ends = completes = None
        if longer is not None and longer_for is not None:
            ends, completes = order_end(case, on, longer), completion(case, on, catalog.interventions[longer_for])
        out.append(made(OffendingWork, target=t, because=because, proposed=first.intervention if first else None,
                        proposed_name=first.name if first else None, conditional=bool(first and first.conditional),
                        options=tuple(options), longer_order_months=longer, longer_order_for=longer_for,
                        longer_order_end=ends, longer_order_completes=completes,
                        programme_order_months=programme, programme_order_for=programme_for,
                        programme_order_end=order_end(case, on, programme) if programme is not None else None))
    return out


def _sort_out(screened: Screen, treats: _Treats, needs: list[NeedAssessed], bit: dict[str, int], tbit: dict[Target, int],
              obs: dict[str, tuple[Any, ...]], case: Case, pathways: frozenset[str] | None, pathway_fields: list[str],
              window: tuple[dt.date, dt.date], margin: int, transport: bool,
              community: bool) -> tuple[list[Candidate], list[NotProposed], set[str], set[str], dict[str, ResultRead],
                                   dict[str, tuple[Reason, ...]]]:
    """Each intervention that meets an identified need or treats indicated offending, as a candidate
    for the package or left out with its reasons; which were considered, which of those the person
    is not eligible for, what the screen says of each considered the person is not ruled out of
    (read without making its result where the screen can: a proposal needs no decided_without),
    and the reasons for the decision of each considered. What keeps each out apart
    from the order's dates is its _Verdict; whether it can finish in time is checked against the
    order's window."""
    cands: list[Candidate] = []
    rejected: list[NotProposed] = []
    considered: set[str] = set()
    ineligible: set[str] = set()
    met_by_mask: dict[int, tuple[str, ...]] = {}

    names = tuple(bit)  # the needs in bit order
    powers = tuple(1 << i for i in range(len(names)))

    def met_of(mask: int) -> tuple[str, ...]:
        got = met_by_mask.get(mask)
        if got is None:  # the names of the mask's bits (compress and map loop in C)
            got = met_by_mask[mask] = tuple(compress(names, map(mask.__and__, powers)))
        return got

    known = treats.known
    verdicts = treats.verdicts
    if len(verdicts) > 100_000:
        verdicts.clear()
    # what a verdict reads of the case besides the screen's result and the person's obstacles, each
    # keyed only where it is read (the PNI pathway for a programme, whether the order is a community
    # one for another requirement's work, transport for a warning of reach): cases that differ
    # only in what a verdict never reads share it
    pathway_reads = (pathways, tuple(pathway_fields))
    sara_unknown = case.risk.sara_partner is None
    begin, end = window
    latest = add(end, -weeks(margin)) or end
    # the identified needs each intervention meets and the indicated offending it treats, one bit each
    masks: dict[str, int] = {}
    for need, i in bit.items():
        b = 1 << i
        for iid in treats.meeting.get(need, ()):
            masks[iid] = masks.get(iid, 0) | b
    risks: dict[str, int] = {}
    for t, i in tbit.items():
        b = 1 << i
        for iid in treats.by_target.get(t, ()):
            risks[iid] = risks.get(iid, 0) | b
    said: dict[str, ResultRead] = {}
    reasons: dict[str, tuple[Reason, ...]] = {}
    ruled_out = treats.ruled_out
    if len(ruled_out) > 100_000:
        ruled_out.clear()
    results = screened.results
    if isinstance(results, Results):  # read without making the results
        ids, decision_of, said_of = results.ids, results.decision, results.said
        decisions = results.decisions()  # every decision at once; reasons and the rest only where read
    else:  # a screen read back from JSON holds its results
        ids = [r.intervention for r in results]
        decisions = [r.decision for r in results]

        def decision_of(i: int) -> tuple[Decision, tuple[Reason, ...]]:
            return results[i].decision, results[i].reasons

        def said_of(i: int) -> ResultRead:
            return results[i]
    for i, iid in enumerate(ids):
        mask, risk = masks.get(iid, 0), risks.get(iid, 0)
        if not mask and not risk:
            continue
        k = known[iid]
        considered.add(iid)
        # the decision first: of a result the person is not eligible for only its reasons are read
        if decisions[i] == "ineligible":
            # not eligible: that alone is said, whatever else would keep it out (the same words for
            # the same reasons and needs met, which the screen shares between cases)
            met = met_of(mask)
            why = reasons[iid] = decision_of(i)[1]
            got = ruled_out.get((iid, id(why), met))
            if got is None or got[0] is not why:
                iv = k.iv
                got = ruled_out[(iid, id(why), met)] = (why, made(
                    NotProposed, intervention=iid, requires=iv.requires, needs=met, why="no_eligible_provision", also=(),
                    text=reasons_text(why), missing=(), met_by=(), name=iv.name, rar_days=iv.rar_days or 0))
            rejected.append(got[1])
            ineligible.add(iid)
            continue
        r = said[iid] = said_of(i)
        reasons[iid] = r.reasons
        o = obs.get(iid, ())
        programme = k.programme
        if isinstance(r, Said):
            # the parts of what the screen says that a verdict reads (not the fit to the order, nor
            # the person's warnings: `o` stands for those)
            decision = r.decision
            key = (iid, decision,
                   # to_check only where _Settled reads it, missing fields only where standing does
                   r.to_check if decision == "eligible_if_agreed" or decision == "undetermined" else None,
                   r.missing if decision == "undetermined" else None,
                   r.placed, r.far, transport if r.far else None,
                   pathway_reads if programme else None, community if k.other_requirement else None,
                   _in_the_way(o, sara_unknown) if o else None)
            v = verdicts.get(key)
            if v is None:
                v = verdicts[key] = _Verdict(r, o, k, case, pathways, pathway_fields, transport, community)
        else:  # a result made already, or held as a tuple
            v = _Verdict(r, o, k, case, pathways, pathway_fields, transport, community)
        late: list[Barrier] = []
        if v.standing.timed:
            ends = add(begin, k.wait_and_length)
            if ends is None or ends > latest:
                late = timing(k.iv, window, margin, k.iv.status.waiting_weeks or 0)
        settled = _Settled([*v.resp, *v.standing.before, *late, *v.standing.after], r, programme) if late else v.settled
        if settled.left_out is not None:
            rejected.append(settled.not_proposed(k, met_of(mask)))
            continue
        start = add(begin, k.wait) or end
        # ongoing services (no fixed length) count as finishing when the order ends
        finish = end if k.length is None else (add(start, k.length) or end)
        cands.append(Candidate(iv=k.iv, mask=mask, rar_days=k.rar_days if community else 0,
                               programme=programme, start=start, finish=finish, price=k.price,
                               evidence=k.evidence, women_only=k.women_only,
                               conditional=settled.conditional, unknowns=settled.unknowns,
                               to_agree=settled.to_agree if settled.conditional else (), waits_on_answers=settled.waits,
                               transport=v.transport, venue_assumed=v.venue_assumed,
                               risk=risk, needs_perpetrator_work=v.needs_perpetrator_work,
                               perpetrator_work=k.perpetrator_work))
    return cands, rejected, considered, ineligible, said, reasons


def _in_the_way(obs: tuple[Any, ...], sara_unknown: bool) -> tuple[Any, ...]:
    """What of the person's obstacles to an intervention a _Verdict reads (resp.barriers and
    resp.needs_perpetrator_work): what blocks it, and family work for a perpetrator of partner abuse
    with whether the victim's safety is assessed. What is only to arrange (notes) is read elsewhere."""
    family = any(o.code == "partner_abuse_family_work" for o in obs)
    return tuple(o.text for o in obs if o.blocks is True), family, family and sara_unknown


class _Settled:
    """What the barriers found make of an intervention: a candidate (on condition or not), or left
    out with the first reason, the others, the words and the fields missing."""

    __slots__ = ("waits", "to_agree", "conditional", "unknowns", "left_out", "_made")

    def __init__(self, found: list[Barrier], r: ResultRead, programme: bool):
        self.waits = bool(found) and programme and all(b.about for b in found)
        # what only a person can decide keeps nothing out: it is proposed on condition that they agree
        self.to_agree = tuple(r.to_check) if r.decision in ("eligible_if_agreed", "undetermined") else ()
        self.conditional = self.waits or (not found and bool(self.to_agree))
        self.unknowns = len({m for b in found for m in b.fields}) if self.waits else 0
        self.left_out: tuple[Why, tuple[Why, ...], str, tuple[str, ...]] | None = None
        if found and not self.conditional:
            first, *more = found
            self.left_out = (first.why, tuple(dict.fromkeys(b.why for b in more if b.why != first.why)),
                             " ".join(b.text for b in found), tuple(sorted({m for b in found for m in b.fields})))
        self._made: dict[tuple[str, ...], NotProposed] = {}

    def not_proposed(self, k: _Known, met: tuple[str, ...]) -> NotProposed:
        got = self._made.get(met)
        if got is None:
            assert self.left_out is not None
            why, also, text, missing = self.left_out
            iv = k.iv
            got = self._made[met] = made(NotProposed, intervention=iv.id, requires=iv.requires, needs=met, why=why, also=also,
                                         text=text, missing=missing, met_by=(), name=iv.name, rar_days=iv.rar_days or 0)
        return got


class _Verdict:
    """One screen result in a proposal, apart from the order's dates: the barriers around the place
    of the timing, and what they make of it when the timing finds nothing. Shared between cases
    with the same key (_sort_out): it reads of the case only what that key holds."""

    __slots__ = ("standing", "resp", "settled", "transport", "venue_assumed", "needs_perpetrator_work")

    def __init__(self, r: ResultRead, o: tuple[Any, ...], k: _Known, case: Case, pathways: frozenset[str] | None,
                 pathway_fields: list[str], transport: bool, community: bool):
        self.standing = standing(r, k.iv, pathways, pathway_fields, transport, community)
        # what does not suit the person comes first, unless nothing about the person matters
        self.resp = () if self.standing.final else tuple(resp.barriers(o, case))
        self.settled = _Settled([*self.resp, *self.standing.before, *self.standing.after], r, k.programme)
        codes = {x.code for x in r.warnings}
        self.transport, self.venue_assumed = "not_near_home" in codes, "venue_to_be_confirmed" in codes
        self.needs_perpetrator_work = resp.needs_perpetrator_work(o)



def _confirm_if(catalog: Catalog, facts: dict[str, Any], screened: Screen, iid: str, pathway_fields: list[str],
                said: ResultRead | None = None, known: Knowledge | None = None) -> list[Answer]:
    """The answers that would confirm a conditional programme: eligible, and indicated. `said`: what
    the screen says of it, when already read (else its result); `known`: the screen's knowledge of
    the case (its facts are `facts`)."""
    r = said if said is not None else screened.result(iid)
    rules = catalog.rules.rules.get(iid, ())

    def confirmed(ev: Evaluation) -> bool | None:
        decision, _ = decide(iid, rules, ev)
        pathway = ev.possible.get("pni_pathway", frozenset())
        if decision == "ineligible" or not pathway & PROGRAMME_PATHWAYS:
            return False
        # eligible if a person agrees: confirmed as far as answers can confirm it (to_agree says the rest)
        if decision in ("eligible", "eligible_if_agreed") and pathway <= PROGRAMME_PATHWAYS:
            return True
        return None

    reads = Reads(rules=tuple(r.id for r in rules), eligibility=(iid,), derived=("pni_pathway",))
    eligibility = list(dict.fromkeys(m.field for m in r.missing))
    pathway_only = [f for f in dict.fromkeys(pathway_fields) if f not in eligibility]
    if eligibility and pathway_only:
        # While eligibility still waits on its own fields, an answer about the pathway alone can
        # never confirm the programme; and when an eligibility answer alone confirms it, only such
        # answers are named. So the pathway's fields are tried only when none does: the same answers
        # as trying every field at once, with a fraction of the evaluations.
        first = confirming_answers(catalog, facts, eligibility, confirmed, reads, known)
        if any(a.alone for a in first):
            return first
        return first + confirming_answers(catalog, facts, pathway_only, confirmed, reads, known)
    return confirming_answers(catalog, facts, eligibility + pathway_only, confirmed, reads, known)


def _items(chosen: tuple[Candidate, ...], needs: list[NeedAssessed], bit: dict[str, int], catalog: Catalog,
           community: bool, confirm: dict[str, tuple[Answer, ...]], obs: dict[str, tuple[Any, ...]],
           latest: dt.date | None = None, completed: frozenset[str] = frozenset()) -> list[PackageItem]:
    # offending behaviour work first (the programme first of all), then by the most important need
    # each meets; each item is credited with the needs no earlier item already meets
    def top(c: Candidate) -> int:  # its lowest bit: need i is bit i
        return (c.mask & -c.mask).bit_length() - 1 if c.mask else len(needs)

    ordered = sorted(chosen, key=lambda c: (not c.programme, not c.risk, top(c), c.iv.id))
    claimed = 0
    out = []
    perpetrator = next((c for c in ordered if c.perpetrator_work), None)
    known = _treats(catalog).known
    needed = [n.need for n in needs]
    powers = [1 << bit[n] for n in needed]
    for c in ordered:
        k = known[c.iv.id]
        start, finish = c.start, c.finish
        if c.needs_perpetrator_work and perpetrator is not None and k.weeks is not None and latest is not None:
            # family work alongside perpetrator work starts with it, not before, where the order leaves time
            later = max(start, perpetrator.start)
            ends = add(later, weeks(k.weeks))
            if ends is not None and ends <= latest:
                start, finish = later, ends
        own = c.mask & ~claimed
        claimed |= c.mask
        met = list(compress(needed, map(own.__and__, powers))) or list(compress(needed, map(c.mask.__and__, powers)))
        requirement: ItemRequirement = k.requires  # type: ignore[assignment]
        if requirement not in ("accredited_programme", "none") and not community:
            # on licence: RAR activities, drug and alcohol work are supervision work (licence conditions)
            requirement = "supervision"
        out.append(made(  # from the catalog and the checks above: nothing to validate again
            PackageItem, intervention=k.id, name=k.name, provider=k.provider,
            provider_name=k.provider_name if k.provider_name is not None else catalog.providers[k.provider].name,
            requirement=requirement,
            need=met[0] if met else None, also_meets=tuple(met[1:]), rar_days=c.rar_days, sessions=k.sessions, hours=k.hours,
            start=start, finish=finish, waiting_weeks=k.waiting_weeks, price=k.price,
            price_basis=k.price_basis, evidence=k.evidence_level, women_only=c.women_only, ongoing=k.ongoing,
            illustrative=k.illustrative, conditional=c.conditional, confirm_if=confirm.get(k.id, ()),
            to_agree=c.to_agree,
            reachable_by_transport=c.transport, venue_to_be_confirmed=c.venue_assumed,
            work=k.work, treats=k.treats, treats_assumed=k.treats_assumed,
            alongside=perpetrator.iv.id if c.needs_perpetrator_work and perpetrator is not None else None, notes=resp.notes(obs.get(k.id, ())),
            catalog_requires=k.requires, completed_before=k.id in completed,
        ))
    return out


def _requirements(items: list[PackageItem], community: bool) -> list[RequirementProposal]:
    reqs: list[RequirementProposal] = []
    programme = next((i for i in items if i.requirement == "accredited_programme"), None)
    if programme is not None:
        how = "An accredited programme requirement" if community else "An accredited programme as a condition of the licence or supervision"
        reqs.append(made(RequirementProposal, requirement="accredited_programme", intervention=programme.intervention,
                         days=None, conditional=programme.conditional, text=f"{how}: {programme.name}."))
    rar_total = sum(i.rar_days for i in items if i.requirement == "rar")
    if rar_total:
        reqs.append(made(RequirementProposal, requirement="rar", intervention=None, days=rar_total, conditional=False,
                         text=f"A rehabilitation activity requirement of up to {rar_total} days, for the activities below."))
    supervision = [i for i in items if i.requirement == "supervision"]
    if supervision:
        reqs.append(made(RequirementProposal, requirement="supervision", intervention=None, days=None, conditional=False, text=(
            "Activities as part of supervision on licence or post-sentence supervision: "
            + join_names([i.name for i in supervision]) + ".")))
    return reqs


def _to_find_out(screened: Screen, items: list[PackageItem], unknown_needs: list[UnmetNeed], not_assessed: list[str],
                 rejected: list[NotProposed], catalog: Catalog, suits: dict[str, list[str]],
                 bench: list[tuple[str, str]] = []) -> list[ToFindOut]:
    """The questions to ask before sentence, each with what its answer would settle: first the
    assessments a bench needs whatever they change (RoSH, SARA for partner abuse, age), then the one
    that would settle the most results of the screen."""
    why: dict[str, list[str]] = {}
    for f, _ in bench:
        why.setdefault(f, []).append("the court needs it before sentence")
    for i in items:
        for a in i.confirm_if:
            why.setdefault(a.field, []).append(f"confirms {i.name} if {fact_words(a)}")
    for u in unknown_needs:
        for f in u.missing:
            why.setdefault(f, []).append(f"whether there is a {labels.need_words(u.need)} need")
    for section in not_assessed:
        why.setdefault(need_field(section), []).append(f"{labels.need_words(section)} is not assessed")
    for f, reasons in suits.items():
        why.setdefault(f, []).extend(reasons)
    # who manages the case and the CRC tier are for the officer: when unknown, say what settles them
    for fact, words in (("allocation", "who manages the case (NPS or CRC)"), ("tier", "the CRC tier")):
        for f in screened.derived_missing.get(fact, []):
            why.setdefault(f, []).append(words)
    undecided: dict[str, list[str]] = {}  # field -> interventions its answer could let in
    unpublished: dict[str, list[str]] = {}  # a catalog figure not given -> the interventions it holds back
    for r in rejected:
        # only where the missing answer is all that stands in the way (not for withdrawn provision)
        if r.why == "information_missing" and all(a == "information_missing" for a in r.also):
            for f in r.missing:
                iid, _, figure = f.rpartition(".")
                if iid in catalog.interventions and figure in CATALOG_FIGURES:
                    # not the case's to answer: a question for the provider, one line per figure
                    unpublished.setdefault(figure, []).append(catalog.interventions[iid].name)
                    continue
                why.setdefault(f, [])
                undecided.setdefault(f, []).append(catalog.interventions[r.intervention].name)
    settles = {m.field: m.settles or 0 for m in screened.missing}
    registry = catalog.rules.registry
    first = {f for f, _ in bench}
    # the bench's first, then what settles most; sorted is stable, so the rest keep the order they came in
    order = sorted(why, key=lambda f: (f not in first, -settles.get(f, 0)))
    asks = [made(ToFindOut, field=f, label=registry[f].label if f in registry else labels.field(f), settles=settles.get(f),
                 why=_why_words(why[f], undecided.get(f, [])), for_the_court=f in first) for f in order]
    for figure, names in unpublished.items():
        names = sorted(set(names))
        published = all(figure in iv.not_given for iv in catalog.interventions.values() if iv.name in names)
        asks.append(made(ToFindOut, field=f"catalog.{figure}", label=(
            f"{CATALOG_FIGURES[figure]} ({'not published in this catalog' if published else 'not in this catalog'}; "
            "ask the provider)"), settles=None, why=", ".join(names), for_the_court=False))
    return asks


# A figure the catalog may leave out that holds a proposal back, in the words a question for the
# provider asks about it (the case cannot answer it).
CATALOG_FIGURES = {"weeks": "how long it takes"}


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


def _unmet(need: NeedAssessed, about: list[NotProposed], names: dict[str, str]) -> UnmetNeed:
    """An unmet need, from what was left out that would meet it (`about`, in id order)."""
    if not about:
        return made(UnmetNeed, need=need.need, priority=need.priority, why="no_eligible_provision",
                    text="Nothing in the catalog addresses this need.", missing=(), interventions=())
    best = min(about, key=lambda r: (_WHY_RANK[r.why], r.intervention))
    if best.why == "no_eligible_provision":
        named = [names.get(r.intervention, r.intervention) for r in about]
        shown = _some(named, "; ")  # the ids are all in `interventions`
        text = f"Not eligible for any of the {len(named)} interventions that address it ({shown})." if len(named) > 1 \
            else f"Not eligible for the one intervention that addresses it ({shown})."
    else:
        text = f"{names.get(best.intervention, best.intervention)}: {best.text}"
    missing = tuple(sorted({m for r in about if r.why == "information_missing" for m in r.missing}))
    return made(UnmetNeed, need=need.need, priority=need.priority, why=best.why, text=text, missing=missing,
                interventions=tuple(sorted(r.intervention for r in about)))


def _tier_check(tier: str | None, items: list[PackageItem], allocation: str | None = None, child: bool = False,
                tiers: bool = True) -> TierCheck:
    if not tiers:
        return made(TierCheck, tier=None, minimum_hours=None, package_hours=None, meets_minimum=None,
                         text="This catalog has no CRC tiers, so no minimum hours apply.")
    if child:
        return made(TierCheck, tier=tier, minimum_hours=None, package_hours=None, meets_minimum=None,
                         text="Under 18: the youth offending team supervises, and CRC tiers do not apply.")
    if allocation == "nps":
        # CRC tiers and their minimum hours are for cases the CRC manages
        return made(TierCheck, tier=tier, minimum_hours=None, package_hours=None, meets_minimum=None,
                         text="Managed by the NPS: CRC tiers and their minimum hours do not apply.")
    if tier is None:
        return made(TierCheck, tier=None, minimum_hours=None, package_hours=None, meets_minimum=None,
                         text="Tier unknown: what settles it is under what is still to find out.")
    minimum = TIER_MINIMUM_HOURS.get(tier)
    hours = [i.hours for i in items]
    total = float(sum(h for h in hours if h is not None)) if None not in hours else None
    if minimum is None or total is None:
        return made(TierCheck, tier=tier, minimum_hours=minimum, package_hours=total, meets_minimum=None,
                         text=f"Tier {tier}: the package hours are not all known, so the minimum cannot be checked.")
    ok = total >= minimum
    return made(TierCheck, tier=tier, minimum_hours=minimum, package_hours=total, meets_minimum=ok,
                     text=f"Tier {tier} needs at least {minimum} hours; the package gives {total:g}"
                          + ("." if ok else ", so supervision contact must make up the rest."))
