"""Responsivity in the proposal: what the responsivity module finds in the person (decide/responsivity.py)
turned into what goes in the package and what stays out.

- what stands in the way (group work against mental health or risk in a group, a programme not
  adapted for learning disability, reading, an interpreter it cannot work with) keeps it out;
- for a programme not adapted for learning disability, the adapted alternative is named, or the
  proposal says there is none;
- family, children's, home-visiting or victim work for a perpetrator of partner abuse goes in only
  beside partner-abuse perpetrator work, and only once the victim's safety has been assessed (SARA);
- what must be arranged (an interpreter) is noted on the item."""

from __future__ import annotations

from ...case.model import Case
from ...catalog.load import Catalog
from ..responsivity import Obstacle
from .order import Barrier
from .result import NotProposed, PackageItem, ResponsivityNote, made


def barriers(obs: tuple[Obstacle, ...], case: Case) -> list[Barrier]:
    """What keeps an intervention out: obstacles that stand in the way, and family work for a
    perpetrator of partner abuse whose victim's safety has not been assessed."""
    out = [Barrier("not_suitable", o.text) for o in obs if o.blocks is True]
    if any(o.code == "partner_abuse_family_work" for o in obs) and case.risk.sara_partner is None:
        out.append(Barrier("partner_abuse_family_work", "It works with the family or visits the home: for a perpetrator of "
                           "partner abuse that waits until the victim's safety has been assessed (SARA), and it is not."))
    return out


def needs_perpetrator_work(obs: tuple[Obstacle, ...]) -> bool:
    return any(o.code == "partner_abuse_family_work" for o in obs)


def notes(obs: tuple[Obstacle, ...]) -> tuple[str, ...]:
    """What to arrange for an item in the package."""
    if not obs:  # most items: nothing about the person to arrange
        return ()
    return tuple(o.text for o in obs if o.blocks is False and o.code != "partner_abuse_family_work")


def open_questions(obs: dict[str, tuple[Obstacle, ...]], names: dict[str, str], considered: set[str]) -> dict[str, list[str]]:
    """field -> why it is asked: answers not yet given that decide whether something considered suits the person."""
    out: dict[str, list[str]] = {}
    for iid in sorted(considered):
        for o in obs.get(iid, ()):
            if o.blocks is None:
                out.setdefault(o.field, []).append(f"whether {names[iid]} suits them ({o.text[0].lower()}{o.text[1:].rstrip('.')})")
    return out


def alternative(iid: str, catalog: Catalog, package: list[PackageItem]) -> str | None:
    """An intervention adapted for learning disability that works on the same offending as `iid`
    and is in the package."""
    w = catalog.interventions[iid].work
    if w is None:
        return None
    for item in package:
        other = catalog.interventions[item.intervention].work
        if other is not None and other.learning_disability == "adapted" and set(other.targets) & set(w.targets):
            return item.intervention
    return None


def summarise(obs: dict[str, tuple[Obstacle, ...]], package: list[PackageItem], rejected: list[NotProposed],
              catalog: Catalog, decided_out: set[str]) -> list[ResponsivityNote]:
    """The notes an officer and a court need: for every item in the package what to arrange, and for
    everything left out because of the person (and not ruled out on eligibility), why."""
    out = []
    for item in package:
        for o in obs.get(item.intervention, ()):
            if o.blocks is False:
                out.append(made(ResponsivityNote, intervention=item.intervention, name=item.name, code=o.code,
                                                            text=o.text, proposed=True, alternative=None))
    for r in rejected:
        if r.intervention in decided_out or r.why not in ("not_suitable", "partner_abuse_family_work"):
            continue
        for o in obs.get(r.intervention, ()):
            if o.blocks is True or (o.code == "partner_abuse_family_work" and r.why == "partner_abuse_family_work"):
                alt = alternative(r.intervention, catalog, package) if o.code == "learning_disability" else None
                out.append(made(ResponsivityNote, intervention=r.intervention, name=r.name, code=o.code,
                                                            text=o.text, proposed=False, alternative=alt))
    return out


def unknown_fit(case: Case, items: list[PackageItem], catalog: Catalog) -> list[ResponsivityNote]:
    """Items in the package whose fit the catalog cannot vouch for: someone who cannot read simple
    sentences, or who has a learning disability, and work whose reading or adaptation the catalog
    does not give. Not a reason to leave it out; a caveat the court must hear."""
    r = case.responsivity
    out = []
    for item in items:
        w = catalog.interventions[item.intervention].work
        if w is None:
            continue
        if r.reads_simple_sentences is False and w.literacy is None:
            out.append(made(ResponsivityNote, intervention=item.intervention, name=item.name, code="literacy_unknown",
                            text="They cannot read simple sentences, and the catalog does not say how much reading it "
                                 "asks: the provider should confirm they can take part.", proposed=True, alternative=None))
        if r.learning_disability is True and w.learning_disability is None:
            out.append(made(ResponsivityNote, intervention=item.intervention, name=item.name, code="learning_disability_unknown",
                            text="They have a learning disability, and the catalog does not say whether it is adapted: "
                                 "the provider should confirm they can take part.", proposed=True, alternative=None))
    return out
