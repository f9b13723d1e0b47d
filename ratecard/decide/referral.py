"""The referral check after sentence: accept, accept with warnings, accept if agreed, undetermined or
reject, with every reason.

Eligibility is the screen's; this adds what decides whether a referral can work on this order:
the requirement the intervention needs, its status, time to finish, reach from home, earlier
completions, placement suitability, RAR days left, and an escalation to the NPS after sentence.
Information the case does not give makes the verdict undetermined (it names what is missing), never
a rejection; nor does a figure the catalog marks illustrative: what rests on one is a warning to
confirm with the provider. A criterion only a person can decide (a judgement: the provider's
assessment, a treatment manager's agreement to a repeat) makes it "accept if agreed", listing what
to agree and with whom. A rejection or an undetermined check lists the alternatives that meet the
same need, do the same kind of work, and nothing known rules out.

On a licence or post-sentence supervision there are no court requirements: a programme or other
work is done under the licence conditions, and unpaid work (a requirement of a community or
suspended sentence order only) cannot be part of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ..case.facts import order_dates
from ..case.model import CUSTODIAL_SUPERVISION, Case
from ..case.coerce import CaseInput, coerce_case
from ..catalog.load import Catalog, Intervention
from ..errors import UnknownInterventionError
from ..case.events import case_on
from .findings import Finding, Out
from .ledger import DEFAULT_IDLE_WEEKS, RarLedger, rar_ledger
from .allocation import allocate
from .placement import is_placement, placement_findings
from .responsivity import family_work, obstacles
from .screen import AgeAt, InterventionResult, Judgement, MissingField, Screen, screen

Verdict = Literal["accept", "accept_with_warnings", "accept_if_agreed", "undetermined", "reject"]
# the reason code of information not given: alone, it makes the verdict undetermined, not reject
MISSING = "information_missing"

_REQUIREMENT = {
    "accredited_programme": "accredited programme",
    "rar": "rehabilitation activity (RAR)",
    "drug_rehabilitation": "drug rehabilitation",
    "alcohol_treatment": "alcohol treatment",
    "unpaid_work": "unpaid work",
}
# availability warnings from the screen that stop a referral, and those that only warn
_BLOCKING = {"withdrawn", "suspended", "cannot_finish", "other_area"}
_MISSING_FROM_WARNING = {"order_length_unknown": "sentence.length_months"}
# the inspectors saw a woman outside Northampton who could not reach the Good Loaf: a course out of
# reach is no referral, unless the case records that the person has transport to get there
_UNREACHABLE = "not_near_home"
# support (mentoring, resettlement, advice to the officer) never stands in for work on offending
# behaviour: an alternative must do the same kind of work as the intervention it replaces, and offending
# behaviour work is replaced only by work on the same offending (the catalog's `work`, issue 17). For an
# entry the catalog does not describe, by its kind and needs: support never replaces work on thinking
# and behaviour or attitudes.
_SUPPORT = frozenset({"mentoring_and_support", "resettlement", "consultation"})
_OFFENDING_BEHAVIOUR = frozenset({"thinking_and_behaviour", "attitude"})
_TREATS_OFFENDING = frozenset({"accredited_programme", "offending_behaviour"})
# responsivity findings (decide/responsivity.py) the screen shows as warnings: the check reads them itself
_RESPONSIVITY = frozenset({"responsivity", "partner_abuse_family_work"})
_CONFIRM = " These figures are illustrative: confirm the waiting time and length with the provider before deciding."


class Alternative(Out):
    intervention: str
    name: str
    provider: str
    shared_needs: tuple[str, ...]
    weeks_to_finish: int | None  # waiting list plus duration, when the catalog gives them
    warnings: tuple[str, ...]


class ReferralCheck(Out):
    catalog_version: str
    catalog: str
    on: dt.date
    case_id: str
    age: AgeAt | None = None  # the age the rules used, and the date it was measured on
    intervention: str
    name: str
    verdict: Verdict
    decision: str  # the screen's: eligible, eligible_if_agreed, ineligible or undetermined
    reasons: tuple[Finding, ...]
    # what a person must agree before the referral can go ahead (the screen's to_check): with no
    # reason against, the verdict is accept_if_agreed
    to_agree: tuple[Judgement, ...] = ()
    warnings: tuple[Finding, ...]
    missing: tuple[MissingField, ...]
    alternatives: tuple[Alternative, ...]
    alternatives_note: str | None
    rar: RarLedger | None


def _real_cannot_finish(case: Case, iv: Intervention, on: dt.date) -> bool:
    """Whether the intervention cannot finish (before the order ends or before it closes) on the
    figures the catalog vouches for alone, with those it marks illustrative counted as nothing."""
    st = iv.status_on(on)
    wait = 0 if "waiting_weeks" in iv.illustrative else (st.waiting_weeks or 0)
    weeks = 0 if "weeks" in iv.illustrative else (iv.weeks or 0)
    if st.until is not None and st.then is not None and (wait + weeks) * 7 > (st.until - on).days + 1:
        return True
    dates = order_dates(case, on)
    return dates is not None and wait + weeks > (dates[1] - max(dates[0], on)).days / 7


def _assess(case: Case, iv: Intervention, r: InterventionResult, ledger: RarLedger | None,
            catalog: Catalog, with_ledger: bool = True, on: dt.date | None = None) -> tuple[list[Finding], list[Finding], list[str]]:
    reasons: list[Finding] = []
    warnings: list[Finding] = []
    missing: list[str] = []
    if r.decision == "ineligible":
        reasons += [Finding(code="ineligible", text=f"Not eligible: {x.text}", rule=x.rule) for x in r.reasons]
    elif r.decision == "undetermined":
        missing += [m.field for m in r.missing]
        reasons.append(Finding(code="information_missing", text="Eligibility cannot be settled until these are known: " + "; ".join(m.label for m in r.missing) + "."))

    s = case.sentence
    need = iv.requires
    kind = "licence" if s.type == "licence" else "post-sentence supervision"
    if need == "rar" and s.type in CUSTODIAL_SUPERVISION:
        # no RAR after release (Offender Rehabilitation Act 2014): the same activity is licence or
        # supervision work, and there are no RAR days to count or to run out of
        warnings.append(Finding(code="licence_work", text=f"On {kind} there is no RAR: {iv.name} would be {kind} work, "
                                "and no RAR days are counted."))
    elif need == "unpaid_work" and s.type in CUSTODIAL_SUPERVISION:
        # unpaid work exists only as a requirement of a community or suspended sentence order
        what = "a licence" if s.type == "licence" else "post-sentence supervision"
        reasons.append(Finding(code="not_on_licence", text="Unpaid work is a requirement of a community or suspended "
                               f"sentence order; it cannot be part of {what}."))
    elif need != "none" and s.type in CUSTODIAL_SUPERVISION:
        # after release the work is set by the licence conditions (or the supervision requirements),
        # not by a court requirement: the requirement test does not apply
        work = "an accredited programme" if need == "accredited_programme" else _REQUIREMENT[need]
        conditions = "licence conditions" if s.type == "licence" else "supervision requirements"
        what = "a licence condition" if s.type == "licence" else "a supervision requirement"
        text = (f"On {kind}, {work} is {what}, not a court requirement: {iv.name} would be {kind} work.")
        if s.requirements is None:
            text += f" The {conditions} are not recorded in the case: check that they provide for it."
        elif need not in s.requirements:
            text += f" The {conditions} recorded do not provide for it: check them before referring."
        warnings.append(Finding(code="licence_work", text=text))
    elif need != "none":
        label = _REQUIREMENT[need]
        if s.requirements is None:
            missing.append("sentence.requirements")
            reasons.append(Finding(code=MISSING, text=f"The order's requirements are not given: cannot check that it carries the {label} requirement {iv.name} needs."))
        elif need == "accredited_programme" and "rar" in s.requirements:
            # lawful: the activities of a RAR may include an accredited programme (Criminal Justice Act
            # 2003 s.200A); MoJ guidance prefers a programme requirement, which is policy, not a bar
            warnings.append(Finding(code="programme_within_rar", text=(
                f"The order has no accredited programme requirement: {iv.name} would be done within the RAR, which "
                "the law allows (Criminal Justice Act 2003 s.200A). A programme requirement is the usual route; "
                "agree the referral with the treatment manager and count the programme's days against the RAR.")))
        elif need not in s.requirements:
            why = (" A programme needs a programme requirement or a RAR (within which it may be done, Criminal Justice "
                   "Act 2003 s.200A): the court must impose one.") if need == "accredited_programme" else ""
            reasons.append(Finding(code="requirement_missing", text=f"The order has no {label} requirement, which {iv.name} needs.{why}"))
        elif need == "rar" and iv.rar_days is not None and ledger is not None:
            if ledger.days_left is None:
                missing.append("sentence.rar_days")
                reasons.append(Finding(code="information_missing", text="The number of RAR days imposed is not given: cannot check enough are left."))
            elif ledger.days_left < iv.rar_days:
                reasons.append(Finding(code="rar_days_short", text=f"{iv.name} uses {iv.rar_days} RAR days and only {ledger.days_left} are left on the order."))
        elif need == "unpaid_work" and s.unpaid_work_hours is None:
            warnings.append(Finding(code="hours_unknown", text="Unpaid work hours not given."))

    for o in obstacles(case, catalog).get(iv.id, ()):
        if o.blocks is True:
            reasons.append(Finding(code="responsivity", text=f"Not suitable: {o.text}"))
        else:  # it can be overcome, or an answer not yet given decides it: the officer should check
            warnings.append(Finding(code=o.code, text=o.text))
    for w in r.warnings:
        if w.code in _RESPONSIVITY:
            continue  # from the obstacles above
        if w.code == "cannot_finish" and on is not None and not _real_cannot_finish(case, iv, on):
            # it rests on a figure the catalog marks illustrative: never a reason to refuse
            warnings.append(Finding(code=w.code, text=w.text + _CONFIRM))
        elif w.code in _BLOCKING:
            reasons.append(Finding(code=w.code, text=w.text))
        elif w.code == _UNREACHABLE and case.responsivity.has_transport is not True and not iv.where.fares_paid:
            reasons.append(Finding(code="not_reachable", text=f"Not reachable: {w.text[0].lower()}{w.text[1:]} "
                                   "The case does not record transport to get there."))
        elif w.code in _MISSING_FROM_WARNING:
            missing.append(_MISSING_FROM_WARNING[w.code])
            reasons.append(Finding(code="information_missing", text=w.text))
        else:
            warnings.append(Finding(code=w.code, text=w.text))

    if iv.id in (case.history.completed_programmes or ()) and not any(
            "history.completed_programmes" in x.fields for x in catalog.rules.rules.get(iv.id, ())):
        # HMPPS has no once-only rule for most programmes (same_type_rule_guide null); where it has
        # one (Horizon, iHorizon), or the catalog makes a repeat a judgement (BBR, TSP), its rules say so
        warnings.append(Finding(code="completed_before", text=f"{iv.name} has been completed before: a repeat needs "
                                "the treatment manager's agreement that it would help."))
    if is_placement(iv) and s.type not in CUSTODIAL_SUPERVISION:  # on licence the reason already rules it out
        warnings += placement_findings(case, iv, catalog)
    if need == "rar" and ledger is not None and with_ledger:
        warnings += ledger.flagged + ledger.warnings
    return reasons, warnings, list(dict.fromkeys(missing))


def _weeks(iv: Intervention) -> int | None:
    if iv.weeks is None and not iv.status.waiting_weeks:
        return None
    return (iv.status.waiting_weeks or 0) + (iv.weeks or 0)


def _alternatives(case: Case, target: Intervention, scr: Screen, ledger: RarLedger | None,
                  catalog: Catalog, held: frozenset[str] = frozenset()) -> list[Alternative]:
    out: list[tuple[int, int, str, Alternative]] = []
    for r in scr.with_decision("eligible", "eligible_if_agreed"):
        iv = catalog.interventions[r.intervention]
        if iv.id == target.id or iv.id in held:
            continue
        # a placement is replaced only by another placement, and a placement never replaces a course;
        # support never replaces work on offending
        if is_placement(iv) != is_placement(target) or not _same_kind_of_work(iv, target):
            continue
        shared: list[str] = [n for n in target.needs if n in iv.needs]
        if not shared and not is_placement(target):
            continue
        # ledger warnings are about the case, not the alternative: the rejection already shows them
        reasons, warnings, _ = _assess(case, iv, r, ledger, catalog, with_ledger=False, on=scr.on)
        if any(f.code != MISSING for f in reasons):
            continue
        # an alternative is offered as one that can finish in time: not one whose own (illustrative)
        # figures say it cannot, which is a warning for a referral already chosen, not a suggestion
        if any(f.code == "cannot_finish" for f in warnings):
            continue
        # what cannot be settled for the alternative either (the same missing information, usually)
        # is shown with it, first, rather than hiding an alternative nothing known rules out
        warnings = reasons + warnings
        if r.if_agreed:
            warnings.append(Finding(code="to_agree", text=r.if_agreed[0].upper() + r.if_agreed[1:]))
        alt = Alternative(intervention=iv.id, name=iv.name, provider=iv.provider, shared_needs=shared,
                          weeks_to_finish=_weeks(iv), warnings=[w.text for w in warnings])
        out.append((-len(shared), len(warnings), iv.id, alt))
    return [a for *_, a in sorted(out, key=lambda t: t[:3])]


def _same_kind_of_work(iv: Intervention, target: Intervention) -> bool:
    """Whether `iv` can stand in for `target`: support never replaces offending behaviour work, and
    offending behaviour work is replaced only by work on the same offending."""
    if iv.work is not None and target.work is not None:
        if target.work.kind in _TREATS_OFFENDING:
            return iv.work.kind in _TREATS_OFFENDING and set(target.work.targets) <= set(iv.work.targets)
        return True
    return not (iv.kind in _SUPPORT and target.kind not in _SUPPORT and _OFFENDING_BEHAVIOUR & set(target.needs))


def family_contact(catalog: Catalog) -> frozenset[str]:
    """Interventions that bring the person into contact with their family, children or victim, or
    visit the home (the catalog's `work`): held while a risk that has risen is reviewed (the report's
    Raymond)."""
    return frozenset(iid for iid, iv in catalog.interventions.items() if iv.work is not None and family_work(iv.work))


def _verdict(reasons: list[Finding], warnings: list[Finding], to_agree: list[Judgement]) -> Verdict:
    if any(f.code != MISSING for f in reasons):
        return "reject"
    if reasons:
        return "undetermined"
    if to_agree:
        return "accept_if_agreed"
    return "accept_with_warnings" if warnings else "accept"


def check_referral(case: CaseInput, intervention: str, catalog: Catalog | None = None, *, on: dt.date | None = None,
                   idle_weeks: int = DEFAULT_IDLE_WEEKS) -> ReferralCheck:
    """Check a referral of `case` to `intervention` on the reference date `on` (default today).

    The case is taken as it stands on `on`: events recorded up to then are applied first.
    """
    case = coerce_case(case)  # a Case, a dict or a JSON/YAML string (ratecard.case.coerce)
    from ..catalog.load import default_catalog

    catalog = catalog or default_catalog()
    on = on or dt.date.today()
    if intervention not in catalog.interventions and intervention.strip().lower() in catalog.interventions:
        intervention = intervention.strip().lower()  # ids are lower case: 'BBR' can only mean bbr
    if intervention not in catalog.interventions:
        raise UnknownInterventionError(intervention, sorted(catalog.interventions))
    now = case_on(case, on)
    scr = screen(now, catalog, on=on)
    iv = catalog.interventions[intervention]
    # a licence has no RAR, so nothing recorded on it is counted as RAR days
    ledger = None if now.sentence.type in CUSTODIAL_SUPERVISION else rar_ledger(now, on, catalog, idle_weeks)
    reasons, warnings, missing = _assess(now, iv, scr.result(intervention), ledger, catalog, on=on)
    dates = order_dates(now, on)
    ended = dates is not None and dates[1] < on
    if ended and not any(f.code == "cannot_finish" for f in reasons):
        # said even where the catalog gives no length to compare (HMPPS's national catalogue)
        reasons.insert(0, Finding(code="order_ended", text=(
            f"The order ended on {dates[1].strftime('%d/%m/%Y')}, before the reference date ({on.strftime('%d/%m/%Y')}): "  # type: ignore[index]
            "nothing can be started and finished within it. Check the reference date.")))
    escalation = allocate(case, catalog, on=on).escalation if case.events else None
    if escalation is not None:
        warnings.append(Finding(code="escalation", text=escalation.reason))
        if iv.id in family_contact(catalog):
            reasons.append(Finding(code="risk_review_first", text=(
                f"Hold: {iv.name} brings the person into contact with their family or children, and the risk of "
                f"serious harm has risen since sentence. Do not refer until the NPS has reviewed the risk after escalation.")))
    if ledger is None and now.rar_ledger:
        warnings.append(Finding(code="no_rar", text=f"{len(now.rar_ledger)} entries are recorded as RAR days, but there is "
                                f"no RAR on {now.sentence.type.replace('_', ' ')}; they are not counted."))  # type: ignore[union-attr]
    alternatives: list[Alternative] = []
    note = None
    if ended:  # on an order that has ended, nothing else can be done either
        note = "The order has ended: no other intervention can be started and finished on it either."
    elif reasons:
        alternatives = _alternatives(now, iv, scr, ledger, catalog, family_contact(catalog) if escalation else frozenset())
        if not alternatives:
            if is_placement(iv) and now.sentence.type in CUSTODIAL_SUPERVISION:
                note = None  # no placement can be part of a licence: the reason says so, and there is no court to tell
            elif is_placement(iv):
                note = ("No suitable unpaid work placement exists in this catalog for this person. Tell the court, "
                        "so that it can consider a requirement other than unpaid work.")
            else:
                needs = ", ".join(n.replace("_", " ") for n in iv.needs)
                # a catalog that names no need for it (HMPPS's national one, often): the same kind of work
                what = f"meeting the same need ({needs})" if needs else "doing the same kind of work"
                note = f"No other eligible intervention {what} can be started and finished on this order."
    result = scr.result(intervention)
    # judgements matter only while nothing else rules the referral out
    to_agree = list(result.to_check) if not any(f.code != MISSING for f in reasons) else []
    verdict = _verdict(reasons, warnings, to_agree)
    registry = catalog.rules.registry
    return ReferralCheck(
        catalog_version=catalog.version,
        catalog=scr.catalog,
        on=on,
        case_id=case.id,
        age=scr.age,
        intervention=iv.id,
        name=iv.name,
        verdict=verdict,
        decision=result.decision,
        reasons=reasons,
        to_agree=to_agree,
        warnings=warnings,
        missing=[MissingField(field=f, label=registry[f].label if f in registry else f) for f in missing],
        alternatives=alternatives,
        alternatives_note=note,
        rar=ledger,
    )
