"""Responsivity: what, in the person, stands in the way of an intervention, or must be arranged
before they can take part in it.

Eligibility is the rules' answer; this is the officer's next question. It reads the catalog's
`work` description (format, literacy, learning-disability adaptation, interpreter, who the work
reaches) against the case's responsivity answers:
- group work for someone whose mental health prevents it, or who is at risk in a group;
- a programme not adapted for learning disability, for someone with one (HMPPS publishes which are);
- reading it asks for that the person cannot do; an interpreter it cannot work with;
- family, children's, home-visiting or victim-contact work for a perpetrator of partner abuse,
  which is for use only alongside perpetrator work and once the victim's safety is assessed (the
  2017 report: plans "seldom represented the views and needs of victims").
Used by the proposal (which leaves out what stands in the way) and, as warnings, by the screen.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Literal

from ..case.model import Case
from ..catalog.load import Catalog
from ..catalog.model import Intervention, Work
from .results import ScreenWarning

Code = Literal["group_work", "learning_disability", "literacy", "interpreter", "partner_abuse_family_work"]
# the screen's warning code for each: what stands in the way, and family work held for a perpetrator
WARNING_CODE = {"partner_abuse_family_work": "partner_abuse_family_work"}
WORK_WITH_OTHERS = frozenset({"family", "children", "victim"})


@dataclass(frozen=True, slots=True)
class Obstacle:
    code: Code
    text: str  # for the officer, a sentence
    # True: it stands in the way; False: it can be overcome (an interpreter to book, family work
    # alongside perpetrator work); None: an answer not yet given decides it
    blocks: bool | None
    field: str  # the case field it rests on


Profile = tuple[bool | None, bool | None, bool | None, bool | None, bool | None, bool | None]


def profile(case: Case) -> Profile:
    """The case answers responsivity reads: learning disability, reading, interpreter, mental health
    and group work, at risk in a group, partner abuse (offence or history)."""
    r = case.responsivity
    ipv = True if (case.offence.intimate_partner_violence or case.history.intimate_partner_violence) else (
        None if case.offence.intimate_partner_violence is None or case.history.intimate_partner_violence is None else False)
    return (r.learning_disability, r.reads_simple_sentences, r.needs_interpreter, r.mental_health_prevents_group_work,
            r.at_risk_in_group, ipv)


def partner_abuse(case: Case) -> bool:
    """Whether the person is a known perpetrator of partner abuse (the current offence or history)."""
    return profile(case)[5] is True


def family_work(work: Work) -> bool:
    """Work that reaches the family, children or victim, or visits the home."""
    return bool(WORK_WITH_OTHERS & set(work.involves or ())) or work.format == "home_visits"


def obstacles_for(p: Profile, iv: Intervention) -> tuple[Obstacle, ...]:
    """What stands in the way of `iv` for a case with answers `p` (see profile())."""
    w = iv.work
    if w is None:
        return ()
    ld, reads, interpreter, mental_health, at_risk, ipv = p
    out: list[Obstacle] = []
    if w.group:
        if mental_health is True:
            out.append(Obstacle("group_work", "It is group work, and their mental health prevents group work.", True,
                                "responsivity.mental_health_prevents_group_work"))
        if at_risk is True:
            out.append(Obstacle("group_work", "It is group work, and they would be at risk in a group.", True,
                                "responsivity.at_risk_in_group"))
    if w.learning_disability == "not_adapted":
        if ld is True:
            out.append(Obstacle("learning_disability", "It is not adapted for people with a learning disability.", True,
                                "responsivity.learning_disability"))
        elif ld is None:
            out.append(Obstacle("learning_disability", "It is not adapted for people with a learning disability, and "
                                "whether they have one is not known.", None, "responsivity.learning_disability"))
    elif w.learning_disability == "case_by_case" and ld is True:
        out.append(Obstacle("learning_disability", "It is adapted for learning disability case by case: ask the provider.",
                            False, "responsivity.learning_disability"))
    if w.literacy == "reads_simple_sentences" and reads is False:
        out.append(Obstacle("literacy", "It asks them to read simple sentences, and they cannot.", True,
                            "responsivity.reads_simple_sentences"))
    if interpreter is True:
        if w.interpreter == "not_available":
            out.append(Obstacle("interpreter", "It cannot be delivered through an interpreter, and they need one.", True,
                                "responsivity.needs_interpreter"))
        else:
            out.append(Obstacle("interpreter", "They need an interpreter: book one for every session.", False,
                                "responsivity.needs_interpreter"))
    if ipv is True and family_work(w) and "partner_abuse" not in w.targets:
        out.append(Obstacle("partner_abuse_family_work", "It works with the family or visits the home: for a perpetrator "
                            "of partner abuse, only alongside partner-abuse perpetrator work and once the victim's "
                            "safety has been assessed.", False, "offence.intimate_partner_violence"))
    return tuple(out)


_CACHE: weakref.WeakKeyDictionary[Catalog, dict[Profile, dict[str, tuple[Obstacle, ...]]]] = weakref.WeakKeyDictionary()
_WARNINGS: weakref.WeakKeyDictionary[Catalog, dict[Profile, dict[str, tuple[ScreenWarning, ...]]]] = weakref.WeakKeyDictionary()


def obstacles(case: Case, catalog: Catalog) -> dict[str, tuple[Obstacle, ...]]:
    """Every intervention's obstacles for this case (only those with any). The same answers give the
    same obstacles, so they are worked out once per catalog and profile."""
    p = profile(case)
    per = _CACHE.setdefault(catalog, {})
    got = per.get(p)
    if got is None:
        got = per[p] = {iid: o for iid, iv in catalog.interventions.items() if (o := obstacles_for(p, iv))}
    return got


def screen_warnings(case: Case, catalog: Catalog) -> dict[str, tuple[ScreenWarning, ...]]:
    """The screen's warnings: what stands in the way (code `responsivity`) and family work held for a
    perpetrator of partner abuse (code `partner_abuse_family_work`). Answers not yet given are the
    screen's missing fields to ask about, not warnings."""
    p = profile(case)
    per = _WARNINGS.setdefault(catalog, {})
    got = per.get(p)
    if got is None:
        got = per[p] = {}
        for iid, obs in obstacles(case, catalog).items():
            ws = tuple(ScreenWarning(code=WARNING_CODE.get(o.code, "responsivity"), text=o.text) for o in obs if o.blocks is not None)
            if ws:
                got[iid] = ws
    return got
