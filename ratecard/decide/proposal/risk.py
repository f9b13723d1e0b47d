"""Risk: which offending behaviour work the case calls for, from the offence, the history and the
risk scores (the programme pathway, PNI), before any need is looked at.

Partner abuse, general violence, sexual offending (contact or internet) and general offending. The
package meets these first: a support service never stands in for them, and when no work for one of
them fits the order the paragraph says so (the 2017 report: too little work was delivered to reduce
domestic abuse, and plans seldom represented the views and needs of victims)."""

from __future__ import annotations

from ...case.model import Case
from ...catalog.model import Target
from ..screen import Screen

PROGRAMME_PATHWAYS = frozenset({"high_intensity", "moderate_intensity"})
# the order targets are weighed in and named in: the most specific work first
TARGETS: tuple[Target, ...] = ("partner_abuse", "sexual_contact", "sexual_internet", "general_violence", "general_offending")
# what the work is called at court
WORK_WORDS: dict[str, str] = {
    "partner_abuse": "domestic abuse perpetrator work",
    "sexual_contact": "sexual offending work",
    "sexual_internet": "internet sexual offending work",
    "general_violence": "violence work",
    "general_offending": "offending behaviour work on thinking and general offending",
    "substance": "substance misuse work",
}
_HIGH = ("medium", "high")


def indicated(case: Case, screened: Screen) -> dict[Target, tuple[str, ...]]:
    """Each kind of offending behaviour work the case calls for, with why, in words. Only what the
    case shows: an unanswered question indicates nothing (the screen asks it)."""
    o, h, r = case.offence, case.history, case.risk
    d = screened.derived
    out: dict[Target, tuple[str, ...]] = {}
    abuse = []
    if o.intimate_partner_violence is True:
        abuse.append("the offence was against a partner")
    if h.intimate_partner_violence is True:
        abuse.append("there is a history of abuse of a partner")
    if r.sara_partner in _HIGH:
        abuse.append(f"SARA assesses a {r.sara_partner} risk to a partner")
    if abuse:
        out["partner_abuse"] = tuple(abuse)
    if d.get("sexual_offence") is True:
        why = ("the offence is sexual or sexually motivated",)
        if o.internet_only is not True:
            out["sexual_contact"] = why
        if o.internet_only is not False:
            out["sexual_internet"] = why
    violence = []
    if o.category == "violence" and o.intimate_partner_violence is not True:
        violence.append("the offence was violent")
    if h.violence is True:
        violence.append("there is a history of violence")
    if d.get("pni_risk_violence") in _HIGH and "partner_abuse" not in out:
        violence.append(f"the likelihood of violent reoffending (OVP) is {d['pni_risk_violence']}")
    if violence:
        out["general_violence"] = tuple(violence)
    general = []
    if r.ogrs3_2yr is not None and r.ogrs3_2yr >= 50:
        general.append(f"the likelihood of reoffending (OGRS3) is {r.ogrs3_2yr:g}% over two years")
    if d.get("pni_pathway") in PROGRAMME_PATHWAYS and not out:
        general.append("the programme pathway (PNI) indicates an accredited programme")
    if general:
        out["general_offending"] = tuple(general)
    return {t: out[t] for t in TARGETS if t in out}


def bench_needs(case: Case) -> list[tuple[str, str]]:
    """(field, what it is, in words) for the assessments a bench needs before sentence that the case
    does not give, whatever they would change in the proposal: the risk of serious harm, a SARA
    where the offence or history is partner abuse, and the person's age."""
    out: list[tuple[str, str]] = []
    if case.risk.rosh is None:
        out.append(("risk.rosh", "the risk of serious harm assessment (RoSH)"))
    if case.risk.sara_partner is None and (case.offence.intimate_partner_violence is True
                                           or case.history.intimate_partner_violence is True):
        out.append(("risk.sara_partner", "a SARA assessment of the risk to a partner, as the offending involves a partner"))
    if case.person.date_of_birth is None:
        out.append(("person.date_of_birth", "the person's date of birth (their age decides which court and which orders apply)"))
    return out
