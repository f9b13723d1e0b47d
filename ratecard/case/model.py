"""The case: one person's assessed needs, risk scores and sentence, as other systems send it.

Every field may be absent and absent never means false or zero: the screen reports it as missing.
Names follow the HMPPS Assess Risks and Needs vocabulary so that other systems can map to them.

This model is the one definition of a valid case. Fields are declared with the types of
ratecard/inputs/types.py (`Literal[...]` for words, `Name` for ids, `Date`,
`Flag`, numbers with ge/le bounds); what no single field can say is a `Refusal` in the model's
REFUSALS (ratecard/case/consistency.py). The batch reader (ratecard/case/tables.py) validates whole
tables with these same types and refusals, so a new field declared this way is checked the same
way in a case file, a table, over HTTP and through the Python API.
"""

from __future__ import annotations

import datetime as dt
import typing
import json
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from ..errors import CaseError, Problem
from ..inputs.jsonread import check_limits
from ..inputs.limits import DEFAULT as DEFAULT_LIMITS
from ..inputs.types import Caseless, Date, Flag, MappaLevel, Name
from ..inputs.yamlio import Document, ParseError, load_file, parse_text, pydantic_problems
from .consistency import Refusal, check

Percent = Annotated[float, Field(ge=0, le=100)]

NeedSection = Literal[
    "accommodation",
    "education_training_and_employability",
    "finance",
    "relationships",
    "lifestyle_and_associates",
    "drug_misuse",
    "alcohol_misuse",
    "emotional_wellbeing",
    "thinking_and_behaviour",
    "attitude",
]
NEED_SECTIONS: tuple[str, ...] = typing.get_args(NeedSection)
UNSCORED_SECTIONS = frozenset({"finance", "emotional_wellbeing"})
# Fields the model has but a case can never give: unscored sections have no score. A rule that
# reads one could never be decided, so the rule loader refuses it.
NEVER_GIVEN: frozenset[str] = frozenset(f"needs.{s}.score" for s in UNSCORED_SECTIONS)

Sex = Literal["male", "female"]
OffenceCategory = Literal[
    "violence", "sexual", "acquisitive", "drugs", "motoring", "public_order", "criminal_damage", "fraud", "other"
]
Rosh = Literal["low", "medium", "high", "very_high"]
OspLevel = Literal["low", "medium", "high", "very_high", "not_applicable"]
# HMPPS scores SARA LOW, MEDIUM, HIGH or VERY_HIGH (the PNI reads very high as high)
SaraLevel = Literal["low", "medium", "high", "very_high", "not_applicable"]
Motivation = Literal["close_to_change", "not_close_to_change", "low"]
SentenceType = Literal["community_order", "suspended_sentence_order", "licence", "post_sentence_supervision"]
# where the work would be done: in prison, or in the community (an order, or licence after release)
Setting = Literal["community", "custody"]
# after release from custody: supervision under licence conditions, never a RAR
CUSTODIAL_SUPERVISION = frozenset({"licence", "post_sentence_supervision"})
Requirement = Literal[
    "rar",
    "accredited_programme",
    "drug_rehabilitation",
    "alcohol_treatment",
    "mental_health_treatment",
    "unpaid_work",
    "curfew",
    "exclusion",
    "prohibited_activity",
    "supervision",
]
# An id exactly as written, for the catalog (kept by the people who write the rules); case files
# use the forgiving `Name` (ratecard/inputs/types.py).
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class _Model(BaseModel):
    # strict: "yes" is not true and "50" is not a number; the engine compares strings
    # lexicographically, so a value must have its proper type before it gets there.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # combinations of values this model refuses (ratecard/case/consistency.py), checked once every
    # field is valid; the batch reader checks the same ones over whole columns
    REFUSALS: ClassVar[tuple[Refusal, ...]] = ()

    @model_validator(mode="after")
    def _refusals(self) -> Any:
        check(self, type(self).REFUSALS)
        return self


class Person(_Model):
    sex: Caseless[Sex] | None = Field(None, description="sex")
    date_of_birth: Date | None = Field(None, description="date of birth")
    home_town: Name | None = Field(None, description="home town")
    area: Name | None = Field(None, description="probation area")


class Offence(_Model):
    category: Caseless[OffenceCategory] | None = Field(None, description="offence category")
    intimate_partner_violence: Flag = Field(None, description="whether the offence is intimate partner violence")
    sexual: Flag = Field(None, description="whether the offence is sexual or sexually motivated")
    internet_only: Flag = Field(None, description="whether a sexual offence was internet-only")
    notification_requirements: Flag = Field(
        None, description="whether the conviction brings sex offender notification requirements (MAPPA category 1)"
    )
    # adult or youth is decided at conviction (CJA 2003 s.177(1); CJIA 2008 s.1), not at sentence
    conviction_date: Date | None = Field(None, description="date of conviction")
    female_partner: Flag = Field(
        None, description="whether the intimate partner abused (now or before), or assessed at risk, is a woman"
    )


class History(_Model):
    intimate_partner_violence: Flag = Field(None, description="history of intimate partner violence")
    sexual: Flag = Field(None, description="history of sexual offending")
    violence: Flag = Field(None, description="history of violence before the current offence")
    victim_of_domestic_abuse: Flag = Field(None, description="whether they have been a victim of domestic abuse")
    completed_programmes: list[Name] | None = Field(None, description="programmes completed before")
    # still on the sex offender register from an earlier conviction: MAPPA category 1 whatever the
    # current offence is
    notification_requirements: Flag = Field(
        None, description="still subject to sex offender notification requirements from an earlier conviction"
    )


class Risk(_Model):
    rosh: Caseless[Rosh] | None = Field(None, description="risk of serious harm level (RoSH)")
    ogrs3_2yr: Percent | None = Field(None, description="OGRS3 two-year score")
    ovp_2yr: Percent | None = Field(None, description="OVP two-year score")
    osp_dc: Caseless[OspLevel] | None = Field(None, description="OSP-DC level")
    osp_iic: Caseless[OspLevel] | None = Field(None, description="OSP-IIC level")
    rsr: Percent | None = Field(None, description="RSR score")
    sara_partner: Caseless[SaraLevel] | None = Field(None, description="SARA level towards a partner")
    sara_others: Caseless[SaraLevel] | None = Field(None, description="SARA level towards others")
    mappa_level: MappaLevel | None = Field(
        None, description="MAPPA level (0 = not managed under MAPPA)"
    )


class Need(_Model):
    score: Annotated[int, Field(ge=0, le=12)] | None = Field(None, description="section score")
    linked_to_harm: Flag = Field(None, description="linked to risk of harm")
    linked_to_reoffending: Flag = Field(None, description="linked to reoffending")
    identified: Flag = Field(None, description="need identified (for a scored section, it stands when a score is given too)")


class Needs(_Model):
    accommodation: Need | None = None
    education_training_and_employability: Need | None = None
    finance: Need | None = None
    relationships: Need | None = None
    lifestyle_and_associates: Need | None = None
    drug_misuse: Need | None = None
    alcohol_misuse: Need | None = None
    emotional_wellbeing: Need | None = None
    thinking_and_behaviour: Need | None = None
    attitude: Need | None = None

    REFUSALS = tuple(
        Refusal(f"{section}.score", (f"{section}.score",), lambda score: score is not None,
                f"{section} is an unscored section, so it has no score: give 'identified: true' or 'false' instead")
        for section in sorted(UNSCORED_SECTIONS))


OasysItem = Annotated[int, Field(ge=0, le=2)]  # one OASys question: 0 no problems, 1 some, 2 significant


class Oasys(_Model):
    """Single OASys questions that published criteria read on their own, beside the section scores in
    `needs`. Each is named for what it asks, and its description and label give its OASys number.
    The Programme Needs Identifier scores its sex domain from 11.11, 11.12 and 6.12; without them
    that domain is approximated."""

    sexual_preoccupation: OasysItem | None = Field(None, description="OASys 11.11 sexual preoccupation")
    offence_related_sexual_interests: OasysItem | None = Field(
        None, description="OASys 11.12 offence-related sexual interests"
    )
    emotional_congruence_with_children: OasysItem | None = Field(
        None, description="OASys 6.12 emotional congruence with children"
    )
    recognises_impact_of_offending: OasysItem | None = Field(None, description="OASys 2.6 recognises the impact and consequences of offending")
    activities_encourage_offending: OasysItem | None = Field(None, description="OASys 7.2 regular activities encourage offending")
    aggressive_controlling_behaviour: OasysItem | None = Field(None, description="OASys 11.3 aggressive or controlling behaviour")
    temper_control: OasysItem | None = Field(None, description="OASys 11.4 temper control")
    problem_solving: OasysItem | None = Field(None, description="OASys 11.6 problem solving")
    awareness_of_consequences: OasysItem | None = Field(None, description="OASys 11.7 awareness of consequences")
    understands_others_views: OasysItem | None = Field(None, description="OASys 11.9 understands other people's point of view")
    pro_criminal_attitudes: OasysItem | None = Field(None, description="OASys 12.1 pro-criminal attitudes")


class Responsivity(_Model):
    learning_disability: Flag = Field(None, description="learning disability or challenges")
    reads_simple_sentences: Flag = Field(None, description="whether they can read simple sentences")
    needs_interpreter: Flag = Field(None, description="whether they need an interpreter")
    mental_health_prevents_group_work: Flag = Field(
        None, description="whether mental health prevents group work"
    )
    veteran: Flag = Field(None, description="whether they served in the armed forces")
    care_responsibilities: Flag = Field(None, description="care responsibilities")
    at_risk_in_group: Flag = Field(None, description="whether they are at risk in a group setting")
    has_transport: Flag = Field(None, description="whether they have transport")
    parent_or_carer: Flag = Field(None, description="whether they are a parent or carer of a child")
    likely_personality_disorder: Flag = Field(
        None, description="whether a personality disorder is likely (OPD pathway screening)"
    )


# What the law allows, with the statute a refusal names (Criminal Justice Act 2003).
LEGAL_RANGES: dict[str, tuple[int, int, str]] = {
    "unpaid_work_hours": (40, 300, "unpaid work is 40 to 300 hours (Criminal Justice Act 2003 s.199(2))"),
    "community_order": (1, 36, "a community order lasts at most 3 years, 36 months (Criminal Justice Act 2003 s.177(5))"),
    "suspended_sentence_order": (6, 24, "a suspended sentence order's operational period is 6 months to 2 years "
                                        "(Criminal Justice Act 2003 s.189(3))"),
}


def _within(v: Any, lo: int, hi: int, law: str, what: str = "") -> Any:
    # the value itself is not repeated: case data stays out of messages
    if isinstance(v, int) and not isinstance(v, bool) and not lo <= v <= hi:
        raise ValueError(f"{what}is not possible: {law}")
    return v


class Sentence(_Model):
    type: Caseless[SentenceType] | None = Field(None, description="sentence type")
    setting: Caseless[Setting] | None = Field(None, description="custody or community")
    length_months: Annotated[int, Field(ge=1, le=120)] | None = Field(None, description="order length in months")
    start: Date | None = Field(None, description="order start date")
    rar_days: Annotated[int, Field(ge=1, le=365)] | None = Field(None, description="maximum RAR days")
    requirements: list[Caseless[Requirement]] | None = Field(None, description="requirements on the order")
    # the law's range, with the statute, before the type's own bounds (the same numbers)
    unpaid_work_hours: Annotated[int, BeforeValidator(lambda v: _within(v, *LEGAL_RANGES["unpaid_work_hours"])),
                                 Field(ge=40, le=300)] | None = Field(None, description="unpaid work hours")

    REFUSALS = (
        Refusal("requirements", ("requirements",), lambda reqs: reqs is not None and len(set(reqs)) != len(reqs),
                "sentence.requirements lists a requirement twice; list each once"),
        Refusal("rar_days", ("rar_days", "requirements"),
                lambda days, reqs: days is not None and reqs is not None and "rar" not in reqs,
                "sentence.rar_days is given but 'rar' is not in sentence.requirements; add it or drop rar_days"),
        # Offender Rehabilitation Act 2014: a RAR is a requirement of a community order or a
        # suspended sentence order only; a licence has conditions, not requirements of that kind
        Refusal("type", ("type", "rar_days", "requirements"),
                lambda kind, days, reqs: kind in CUSTODIAL_SUPERVISION and (days is not None or "rar" in (reqs or ())),
                lambda kind, days, reqs: (f"a RAR exists only on community orders and suspended sentence orders, not on "
                                          f"{kind.replace('_', ' ')}; drop sentence.rar_days and 'rar' from sentence.requirements")),
        # what the law allows for the length of each kind of order (LEGAL_RANGES)
        Refusal("length_months", ("type", "length_months"),
                lambda kind, months: kind in LEGAL_RANGES and months is not None
                and not LEGAL_RANGES[kind][0] <= months <= LEGAL_RANGES[kind][1],
                lambda kind, months: f"the order length (length_months) is not possible: {LEGAL_RANGES[kind][2]}"),
    )


class LedgerEntry(_Model):
    """One day recorded against the RAR: a rehabilitative activity, or (wrongly) a supervision contact."""

    date: Date = Field(description="the day")
    kind: Caseless[Literal["activity", "supervision"]] = Field(description="activity or supervision contact")
    intervention: Name | None = Field(None, description="intervention delivered that day")


EventKind = Literal["breach", "motivation_change", "risk_review"]


class Event(_Model):
    """Something that happened after sentence and may change allocation or tier. The values it
    carries are the new ones from that date on; values it leaves out are unchanged."""

    date: Date = Field(description="when it happened")
    kind: Caseless[EventKind] = Field(description="breach, motivation_change or risk_review")
    motivation: Caseless[Motivation] | None = Field(None, description="motivation from this date")
    rosh: Caseless[Rosh] | None = Field(None, description="risk of serious harm level from this date")
    ogrs3_2yr: Percent | None = Field(None, description="OGRS3 two-year score from this date")
    mappa_level: MappaLevel | None = Field(None, description="MAPPA level from this date")

    REFUSALS = (
        Refusal("motivation", ("kind", "motivation"), lambda kind, motivation: kind == "motivation_change" and motivation is None,
                "a motivation_change event needs 'motivation' (the new motivation)"),
        Refusal("kind", ("kind", "rosh", "ogrs3_2yr", "mappa_level"),
                lambda kind, *values: kind == "risk_review" and all(v is None for v in values),
                "a risk_review event needs at least one of 'rosh', 'ogrs3_2yr', 'mappa_level'"),
    )


# Records of what happened after sentence. They are not facts the rules read (the rules see the
# case as it stands on the reference date, with events applied by ratecard.events).
RECORDS: tuple[str, ...] = ("rar_ledger", "events")


# The id of a case that gives none, when the caller names nothing better: a case file's name and a
# batch row's number stand in (docs/formats.md); a case given in Python or over HTTP is "case".
NO_ID = "case"


class Case(_Model):
    """One person, as assessed. Any section or field may be left out when it is not known."""

    id: Annotated[str, Field(min_length=1, max_length=120)] = Field(
        NO_ID, description="the case's id; when none is given, the file name (a case file) or the row (a batch) stands in")
    person: Person = Person()
    offence: Offence = Offence()
    history: History = History()
    risk: Risk = Risk()
    needs: Needs = Needs()
    oasys: Oasys = Oasys()
    responsivity: Responsivity = Responsivity()
    motivation: Caseless[Motivation] | None = Field(None, description="motivation to change")
    sentence: Sentence = Sentence()
    rar_ledger: list[LedgerEntry] | None = Field(None, description="RAR days recorded so far")
    events: list[Event] | None = Field(None, description="events after sentence (breaches, reviews)")

    @model_validator(mode="before")
    @classmethod
    def _absent(cls, data: Any, info: ValidationInfo) -> Any:
        # `risk: null` means the section is not known, like leaving it out (docs/formats.md); a case
        # without an id is called by what the caller names it (its file, its row), else NO_ID
        if not isinstance(data, dict):
            return data
        if any(data.get(k, ...) is None for k in _SECTIONS):
            data = {k: v for k, v in data.items() if not (v is None and k in _SECTIONS)}
        stand_in = (info.context or {}).get("id")
        if data.get("id") is None and stand_in is not None:
            data = {**data, "id": stand_in}
        elif "id" in data and data["id"] is None:
            data = {k: v for k, v in data.items() if k != "id"}
        return data

    REFUSALS = (
        Refusal("offence.conviction_date", ("offence.conviction_date", "sentence.start"),
                lambda convicted, start: convicted is not None and start is not None and convicted > start,
                "offence.conviction_date is after sentence.start: an order starts on or after the conviction; check both dates"),
        Refusal("offence.conviction_date", ("offence.conviction_date", "person.date_of_birth"),
                lambda convicted, born: convicted is not None and born is not None and convicted < _tenth_birthday(born),
                "offence.conviction_date is before the person's tenth birthday: no child under 10 can be "
                "convicted (Children and Young Persons Act 1933 s.50); check both dates"),
    )


def _tenth_birthday(born: dt.date) -> dt.date:
    try:
        return born.replace(year=born.year + 10)
    except ValueError:  # born on 29 February
        return dt.date(born.year + 10, 3, 1)


_SECTIONS = frozenset(
    name for name, f in Case.model_fields.items() if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
)


def _jsonable(data: Any) -> Any:
    """YAML gives dates as date objects; JSON-mode validation wants ISO strings (strict mode
    refuses strings for dates in Python mode), so both YAML and JSON take the same path."""
    if isinstance(data, dict):
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_jsonable(v) for v in data]
    if isinstance(data, (dt.date, dt.datetime)):
        return data.isoformat()
    return data


NOT_A_MAPPING = "a case must be a mapping of fields (id, person, risk, ...)"


def case_from_document(doc: Document, stand_in: str | None = None) -> Case:
    """The case in a parsed document; `stand_in` is its id when it gives none (see NO_ID).
    Raises CaseError naming the file, line and field."""
    if not isinstance(doc.data, dict):
        raise CaseError([Problem(doc.path, doc.line(()), "", NOT_A_MAPPING)])
    if not doc.within_limits:  # data built elsewhere, e.g. an inline case in a batch row
        try:
            check_limits(doc.data, doc.path, DEFAULT_LIMITS)
        except ParseError as e:
            raise CaseError(e.problems) from None
        bad_keys = [k for k in _all_keys(doc.data) if not isinstance(k, str)]
        if bad_keys:
            raise CaseError([Problem(doc.path, None, "", f"field names must be text; found {bad_keys[0]!r}")])
    try:
        return Case.model_validate_json(json.dumps(_jsonable(doc.data)), context={"id": stand_in})
    except ValidationError as e:
        raise CaseError(pydantic_problems(doc, e, model=Case, echo=False)) from None


def _all_keys(d: Any) -> list[Any]:
    out: list[Any] = []
    if isinstance(d, dict):
        for k, v in d.items():
            out.append(k)
            out.extend(_all_keys(v))
    elif isinstance(d, list):
        for v in d:
            out.extend(_all_keys(v))
    return out


def load_case(path: str | Path) -> Case:
    """Read a case from a YAML or JSON file. Raises CaseError naming the file, line and field.
    A case without an id is called by its file name without the extension (cases/ab12.yaml: ab12)."""
    try:
        doc = load_file(path)
    except ParseError as e:
        raise CaseError(e.problems) from None
    return case_from_document(doc, stand_in=Path(path).stem or None)


def parse_case(text: str, source: str = "<case>", stand_in: str | None = None) -> Case:
    """Read a case from YAML or JSON text; `stand_in` is its id when it gives none."""
    try:
        doc = parse_text(text, source)
    except ParseError as e:
        raise CaseError(e.problems) from None
    return case_from_document(doc, stand_in)
