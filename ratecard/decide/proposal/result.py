"""What a proposal gives back: frozen models with tuples inside, immutable all the way down, each
with model_dump() and JSON. The parts repeated many times (needs, what was not proposed) are built
with model_construct from values the proposal has already checked, which keeps them cheap."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict, computed_field, model_validator

from ...catalog.model import Target
from ..results import SharedFieldsSet, built, built_of
from ..screen import Judgement, MissingField
from ..screen import Warning as CaseWarning
from ..whatif import Answer

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
    # responsivity: something in the person stands in the way (group work, learning disability,
    # reading, interpreter)
    "not_suitable",
    # family, children's or victim work for a perpetrator of partner abuse, with no perpetrator
    # work beside it or the victim's safety not assessed
    "partner_abuse_family_work",
]
Priority = Literal["harm", "reoffending", "other"]
ItemRequirement = Literal["accredited_programme", "rar", "supervision", "none"]


class _Out(SharedFieldsSet):
    # defer_build: a proposal makes its parts with made(), never validating them; their validators
    # are built only when JSON is read back into a Proposal
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)




def _without(data: Any, key: str) -> Any:
    """Input data without a field the model works out itself (JSON read back carries it)."""
    if isinstance(data, dict) and key in data:
        return {k: v for k, v in data.items() if k != key}
    return data


class _Worded(_Out):
    """A part whose `text` is worded from its fields when read: JSON carries it, and JSON read back
    (with the text) validates, the text being worded again."""

    @model_validator(mode="before")
    @classmethod
    def _worded_again(cls, data: Any) -> Any:
        return _without(data, "text")
# a proposal's parts from values it has already checked, every field given: what model_construct
# does without its per-field search for aliases and defaults (a proposal makes dozens of these,
# and model_construct cost more than the choice of the package); made_of keeps the dict it is given
made = built
made_of = built_of


class NeedAssessed(_Out):
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
    need: str | None  # None: proposed for the offending alone (no identified need it meets is known yet)
    also_meets: tuple[str, ...]
    rar_days: int
    sessions: int | None
    hours: float | None
    start: dt.date
    finish: dt.date
    waiting_weeks: int
    # the rate-card price: what the NPS pays the CRC, for the officer and the JSON, never the court
    price: float | None
    price_basis: str
    evidence: str
    women_only: bool
    ongoing: bool = False  # no fixed length: continues until the order ends
    illustrative: tuple[str, ...]
    # proposed on condition that missing information confirms it (eligibility or programme need)
    conditional: bool = False
    confirm_if: tuple[Answer, ...] = ()
    # ... or on a person's agreement: the judgements to agree (published text, who decides)
    to_agree: tuple[Judgement, ...] = ()
    reachable_by_transport: bool = False  # delivered away from home; the case records transport
    venue_to_be_confirmed: bool = False  # the catalog's venue is an assumption (where.assumed)
    # what it is (the catalog's work.kind; None when the catalog does not say) and the offending it treats
    work: str | None = None
    treats: tuple[Target, ...] = ()
    # the offending it treats is the catalog's assumption (work.basis.targets), not its source's word
    treats_assumed: bool = False
    # family or victim work for a perpetrator of partner abuse: the perpetrator work it goes beside
    alongside: str | None = None
    notes: tuple[str, ...] = ()  # responsivity to arrange (an interpreter)
    # the requirement the catalog gives it (drug_rehabilitation for a DRR programme on licence, where
    # `requirement` is supervision), and whether the case records it as completed before
    catalog_requires: str = ""
    completed_before: bool = False


class NotProposed(_Out):
    intervention: str
    requires: str  # the requirement it would need, as the catalog says
    needs: tuple[str, ...]
    why: Why
    text: str
    also: tuple[Why, ...] = ()
    missing: tuple[str, ...] = ()
    met_by: tuple[str, ...] = ()  # need_already_met: the package items that meet its needs
    name: str = ""  # the catalog's name for it, for people (intervention is the id)
    rar_days: int = 0  # the RAR days it would take (rar_cap: what the maximum would have to allow)


class UnmetNeed(_Out):
    need: str
    priority: Priority | None
    why: Why
    text: str
    missing: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()


class RequirementProposal(_Out):
    requirement: Literal["accredited_programme", "rar", "supervision"]
    intervention: str | None = None
    days: int | None = None
    conditional: bool = False
    text: str


class TierCheck(_Out):
    """The CRC tier's minimum hours against the package: for the responsible officer, never the court."""

    tier: str | None
    minimum_hours: int | None
    package_hours: float | None
    meets_minimum: bool | None
    text: str


class Fallback(_Out):
    """The package that stands if a conditional item is not confirmed."""

    requirements: tuple[RequirementProposal, ...]
    package: tuple[str, ...]
    names: tuple[str, ...]
    rar_days: int | None
    unmet_needs: tuple[str, ...]


class ToFindOut(MissingField):
    """A question to ask before sentence, and what its answer would settle."""

    why: str
    # an assessment a bench needs before sentence whatever it changes here (RoSH, SARA, age)
    for_the_court: bool = False


class Option(_Out):
    """One intervention that works on an indicated kind of offending, and why it is not in the package."""

    intervention: str
    name: str
    why: Why
    text: str


class OffendingWork(_Worded):
    """Risk: one kind of offending behaviour work the case calls for, and what the package does about it."""

    target: Target
    because: tuple[str, ...]  # why it is indicated, in words ("the offence was against a partner")
    proposed: str | None  # the package item that treats it
    proposed_name: str | None = None
    conditional: bool = False
    options: tuple[Option, ...] = ()  # the catalog's work for it that is not proposed, and why
    # the shortest order (months, within the legal maximum) that would let `longer_order_for` fit
    longer_order_months: int | None = None
    longer_order_for: str | None = None
    # the day that longer order would end, and the day `longer_order_for` would finish in it
    longer_order_end: dt.date | None = None
    longer_order_completes: dt.date | None = None
    # the shortest order that would let an accredited programme for it in (when only the order's
    # length keeps one out and none is proposed), even where other work is proposed for it
    programme_order_months: int | None = None
    programme_order_for: str | None = None
    programme_order_end: dt.date | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """For the officer: what treats it, or why nothing does."""
        from .risk import WORK_WORDS

        work = WORK_WORDS[self.target]
        options = self.options
        if self.proposed is not None:
            text = f"{work[:1].upper()}{work[1:]}: {self.proposed_name}" + (" (on condition)." if self.conditional else ".")
            return text + self._programme_note()
        text = f"No {work} fits: " + ("; ".join(f"{o.name}: {o.text.rstrip('.')}" for o in options) + "." if options
                                       else "the catalog has none.")
        if self.longer_order_months is not None:
            name = next((o.name for o in options if o.intervention == self.longer_order_for), self.longer_order_for)
            end = f", ending {self.longer_order_end}," if self.longer_order_end is not None else ""
            text += f" An order of {self.longer_order_months} months{end} would let {name} fit."
        if self.programme_order_for != self.longer_order_for:
            text += self._programme_note()
        return text

    def _programme_note(self) -> str:
        if self.programme_order_months is None:
            return ""
        name = next((o.name for o in self.options if o.intervention == self.programme_order_for), self.programme_order_for)
        end = f", ending {self.programme_order_end}," if self.programme_order_end is not None else ""
        return f" An order of {self.programme_order_months} months{end} would let {name}, an accredited programme, in."


class ResponsivityNote(_Out):
    """Responsivity: what in the person stands in the way of an intervention, or must be arranged."""

    intervention: str
    name: str
    code: str
    text: str
    proposed: bool  # in the package (something to arrange) or left out for it
    # an intervention adapted for learning disability that works on the same offending, if any
    alternative: str | None = None


class Choice(_Worded):
    """For one need: what the package meets it with, what that beat, and why."""

    need: str
    chosen: tuple[str, ...]
    chosen_names: tuple[str, ...]
    # per item chosen: the offending behaviour work it is ("violence work"), "support", or ""
    chosen_as: tuple[str, ...]
    beat: tuple[str, ...]
    beat_names: tuple[str, ...]
    beat_why: tuple[Why, ...]  # why each lost

    @computed_field  # type: ignore[prop-decorator]
    @property
    def text(self) -> str:
        """For the officer: 'Family and relationships: BBR (domestic abuse perpetrator work); over ...'."""
        from ... import labels
        from .choice import BEAT_WORDS, join_names

        head = labels.need(self.need)
        if self.chosen:
            one = len(self.chosen) == 1
            why = [("" if one else f"{n}: ") + a for n, a in zip(self.chosen_names, self.chosen_as) if a]
            text = f"{head}: {join_names(list(self.chosen_names))}" + (f" ({'; '.join(why)})" if why else "")
        else:
            text = f"{head}: nothing in the package"
        if self.beat:
            text += "; over " + "; ".join(f"{n} ({BEAT_WORDS[w]})" for n, w in zip(self.beat_names, self.beat_why))
        return text + "."


class Proposal(_Out):
    catalog_version: str
    catalog: str
    catalog_named: str  # the catalog in words for the court: "BeNCH CRC provision ... as at January 2017"
    on: dt.date
    case_id: str
    # the sentence the proposal is for; when the case does not say, a community order or suspended
    # sentence order is assumed (what a pre-sentence report proposes), and `assumptions` says so
    sentence_type: str | None
    order_months: int | None
    # the case gives no order length: order_months is the proposal's, the shortest that lets the
    # package start and finish with the margin, within the legal maximum
    order_months_proposed: bool = False
    order_end: dt.date | None
    margin_weeks: int
    rar_cap: int | None
    requirements: tuple[RequirementProposal, ...]
    rar_days: int | None
    rar_warranted: bool
    offending: tuple[OffendingWork, ...] = ()
    package: tuple[PackageItem, ...]
    if_not_confirmed: Fallback | None
    needs: tuple[NeedAssessed, ...]
    not_assessed: tuple[str, ...]  # need sections with no assessment at all
    unmet_needs: tuple[UnmetNeed, ...]
    not_proposed: tuple[NotProposed, ...]
    responsivity: tuple[ResponsivityNote, ...] = ()
    to_find_out: tuple[ToFindOut, ...]
    assumptions: tuple[str, ...]
    tier: str | None
    tier_check: TierCheck
    allocation: str | None
    # whether the catalog's rules split cases between the NPS and the CRC (the 2017 arrangement;
    # HMPPS's national catalogue has no such split): when not, no allocation or tier is spoken of
    allocation_applies: bool = True
    pni_pathway: str | None
    # about the case as a whole, as the screen gives them (a child, a young adult, an unknown town)
    warnings: tuple[CaseWarning, ...] = ()
    # the pathways still possible when the missing information leaves it open
    pni_pathway_possible: tuple[str, ...]
    total_price: float | None
    # whether any price in the package is illustrative (the catalog's own figure, not a provider's)
    prices_illustrative: bool = False
    text: str  # plain text for the pre-sentence report: a paragraph, a blank line, the catalog and date

    @model_validator(mode="before")
    @classmethod
    def _choices_worked_out(cls, data: Any) -> Any:
        # `choices` is worked out from the rest when read; JSON read back carries it
        return _without(data, "choices")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def choices(self) -> tuple[Choice, ...]:
        """The package choice explained: for each need, what met it, what that beat, and why."""
        from .choice import explain

        return tuple(explain(list(self.needs), list(self.package), list(self.not_proposed),
                             {r.intervention: r.name for r in self.not_proposed}))
