"""HMPPS's published guide texts, read as conditions where their text has a fixed form.

A guide has a fixed form when its words name a threshold on a score the case carries (OGRS3, OVP,
OSP, SARA, RSR, RoSH), time left on a licence or community order, or a category the case records
(offence type, needs, literacy, a completed programme). Each reader below returns a condition (as a
rule file writes it) and a plain sentence, or None: then the text is left to a person's judgement,
word for word. Nothing here guesses; a text that is not recognised is never a rule.

The recognised free texts are listed one by one (normalised: lower case, spaces collapsed), each
with what it says, so the mapping can be reviewed against the source (docs/find-and-refer.md).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from typing import Any

from ..case.model import OspLevel, SaraLevel

Cond = dict[str, Any]


def norm(text: str) -> str:
    """Lower case, every run of white space one space, no parenthesised expansions of a score's name."""
    t = " ".join(text.lower().split())
    t = re.sub(r"\s*\((offender group reconviction scale(?: 3)?|oasys violence predictor|oasys sexual reconviction predictor"
               r"|spousal assault risk assessment|risk of serious harm|risk of serious recidivism)\)", "", t)
    return t.strip()


def _levels(literal: Any, at_least: str) -> list[str]:
    """The levels of a case field from `at_least` upwards (very high included where the case has it)."""
    order = [v for v in typing.get_args(literal) if v != "not_applicable"]
    return order[order.index(at_least):]


@dataclass(frozen=True)
class Read:
    """A text read as a condition: what it means in a sentence, and the condition."""

    text: str
    when: Cond


def _any(parts: list[Cond]) -> Cond:
    return parts[0] if len(parts) == 1 else {"any": parts}


def _all(parts: list[Cond]) -> Cond:
    return parts[0] if len(parts) == 1 else {"all": parts}


# ---- risk scores ------------------------------------------------------------------------------

# OGRS3 and OVP bands as OASys publishes them: OGRS3 low below 50, medium 50-74, high 75-89, very
# high 90+; OVP low below 30, medium 30-59, high 60-79, very high 80+. "High" in a guide is taken as
# the high band and above (the programmes that say it are for "high or very high" risk).
_OGRS = "risk.ogrs3_2yr"
_OVP = "risk.ovp_2yr"
BANDS = {(_OGRS, "high"): (75, None), (_OGRS, "medium"): (50, 75), (_OVP, "high"): (60, None), (_OVP, "medium"): (30, 60)}
_SCORE_WORDS = {_OGRS: "OGRS3 two-year score", _OVP: "OVP two-year score"}


def _band(f: str, band: str) -> Read:
    lo, hi = BANDS[(f, band)]
    if hi is None:
        return Read(f"{_SCORE_WORDS[f]} {lo}% or more ({band} or above)", {"field": f, "gte": lo})
    return Read(f"{_SCORE_WORDS[f]} from {lo}% to below {hi}% ({band})", {"all": [{"field": f, "gte": lo}, {"field": f, "lt": hi}]})


def _at_least(f: str, n: int) -> Read:
    return Read(f"{_SCORE_WORDS[f]} {n}% or more", {"field": f, "gte": n})


def score_guide(text: str, measure: str) -> Read | None:
    """An OGRS or OVP guide ('50+ OGRS3 over 2 years', 'OVP: score 20+', 'High OVP', 'Medium (35 to
    75%) OGRS'). OGRS is read as OGRS3 two-year, the only OGRS a case carries."""
    f = _OGRS if measure == "ogrs" else _OVP
    name = r"ogrs3?" if measure == "ogrs" else r"ovp"
    t = norm(text)
    if m := re.fullmatch(rf"(\d+)\+ {name}( over 2 years)?", t):
        return _at_least(f, int(m[1]))
    if m := re.fullmatch(rf"{name}( \(over 2 years\))?: ?score (\d+)\+", t):
        return _at_least(f, int(m[2]))
    if m := re.fullmatch(rf"(high|medium) {name}", t):
        return _band(f, m[1])
    if m := re.fullmatch(rf"medium \((\d+) to (\d+)%\) {name}", t):
        lo, hi = int(m[1]), int(m[2])
        return Read(f"{_SCORE_WORDS[f]} from {lo}% to {hi}%", {"field": f, "between": [lo, hi]})
    return None


def ogrs_if_no_ovp(text: str) -> Read | None:
    """'If OVP not available, then OGRS3: score 25+': OGRS3 stands in when the case has no OVP."""
    t = norm(text)
    if m := re.fullmatch(r"if ovp not available, then (.*)", t):
        inner = score_guide(m[1], "ogrs")
        if inner is not None:
            return Read(f"when no OVP score is given, {inner.text}", {"all": [{"field": _OVP, "present": False}, inner.when]})
    return None


def names_measure_only(text: str) -> bool:
    """A guide that only names a measure, with no threshold ('OGRS3 (Offender Group Reconviction
    Scale 3)', 'RSR', 'SARA', 'OSP-DC or OSP-IIC'): the PNI's inputs, not a criterion of its own."""
    t = re.sub(r"\s*\([^)]*\)", "", " ".join(text.lower().split())).strip()
    return t in {"ogrs3", "ogrs", "ovp", "rsr", "sara", "osp-dc or osp-iic"}


def osp_guide(text: str) -> Read | None:
    """'High or very high OSP', 'Medium, high or very high OSP', 'Medium OSP': the OSP level taken as
    the higher of OSP-DC and OSP-IIC."""
    t = norm(text)
    both = ("risk.osp_dc", "risk.osp_iic")
    if t in ("high or very high osp", "medium, high or very high osp"):
        levels = _levels(OspLevel, "high" if t.startswith("high") else "medium")
        return Read(f"OSP-DC or OSP-IIC {_words(levels)}", _any([{"field": f, "in": levels} for f in both]))
    if t == "medium osp":
        below_high = ["low", "medium", "not_applicable"]
        return Read("OSP medium: the higher of OSP-DC and OSP-IIC is medium",
                    _all([_any([{"field": f, "eq": "medium"} for f in both]), *({"field": f, "in": below_high} for f in both)]))
    return None


def sara_guide(text: str) -> Read | None:
    """'High SARA against partners' (towards a partner); 'Medium or high SARA' and 'Low risk on SARA'
    name no target, so they read the higher of the two SARA levels, as the PNI does (pni_risk_sara:
    high if either is high, medium if either is medium)."""
    t = norm(text)
    if m := re.fullmatch(r"(high|medium) sara against partners", t):
        levels = _levels(SaraLevel, "high") if m[1] == "high" else ["medium"]
        return Read(f"SARA level towards a partner {_words(levels)}", {"field": "risk.sara_partner", "in": levels}
                    if len(levels) > 1 else {"field": "risk.sara_partner", "eq": levels[0]})
    if t == "medium or high sara":
        return Read("SARA level (towards a partner or others, the higher) medium or high", {"field": "pni_risk_sara", "in": ["medium", "high"]})
    if t == "low risk on sara":
        return Read("SARA level (towards a partner or others, the higher) low", {"field": "pni_risk_sara", "eq": "low"})
    return None


def rosh_guide(text: str) -> list[Read] | None:
    """The RoSH guide holds a line per measure ('Medium or high ROSH', '50+ OGRS'); each line must read."""
    out: list[Read] = []
    for line in (x for x in text.splitlines() if x.strip()):
        t = norm(line)
        if t == "medium or high rosh":
            out.append(Read("risk of serious harm medium or high", {"field": "risk.rosh", "in": ["medium", "high"]}))
        elif (r := score_guide(line, "ogrs")) is not None:
            out.append(r)
        else:
            return None
    return out or None


def _words(levels: list[str]) -> str:
    words = [v.replace("_", " ") for v in levels]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# ---- needs, OASys items, literacy, learning disability -------------------------------------------

NEED_NAMES = {
    "Accommodation": "accommodation",
    "Education, Training and Employment": "education_training_and_employability",
    "Finance and Debt": "finance",
    "Relationships and Family": "relationships",
    "Lifestyle and Associates": "lifestyle_and_associates",
    "Drug Misuse": "drug_misuse",
    "Alcohol Misuse": "alcohol_misuse",
    "Emotional Wellbeing": "emotional_wellbeing",
    "Thinking and Behaviour": "thinking_and_behaviour",
    "Attitudes": "attitude",
}


@dataclass(frozen=True)
class ItemTotal:
    """A need evidenced by a total of OASys item scores: a derived sum and a threshold on it."""

    items: tuple[str, ...]  # OASys numbers, e.g. ("2.6", "7.2")
    at_least: int

    @property
    def derived_id(self) -> str:
        return "oasys_total_" + "_".join(i.replace(".", "_") for i in self.items)


# The OASys questions the case carries (case section `oasys`), by their OASys number.
OASYS_ITEMS = {
    "2.6": "oasys.recognises_impact_of_offending", "7.2": "oasys.activities_encourage_offending",
    "11.3": "oasys.aggressive_controlling_behaviour", "11.4": "oasys.temper_control", "11.6": "oasys.problem_solving",
    "11.7": "oasys.awareness_of_consequences", "11.9": "oasys.understands_others_views", "12.1": "oasys.pro_criminal_attitudes",
}


def item_field(number: str) -> str:
    return OASYS_ITEMS[number]


def cn_total(text: str) -> ItemTotal | None:
    """'Need is evidenced by a total score of 5+ ... 2.6 ... 7.2 ... 12.1': the sum of those items."""
    t = " ".join(text.split())
    m = re.search(r"total score of (\d+)\+", t)
    if not m:
        return None
    items = tuple(re.findall(r"\b(\d{1,2}\.\d{1,2})\b", t[m.end():]))
    # an item the case does not carry leaves the total to a person
    return ItemTotal(items, int(m[1])) if items and all(i in OASYS_ITEMS for i in items) else None


_HARM_OR_AGGRESSION = re.compile(
    r"at least (?:1|one) of the following (?:3 )?oasys criteria (?:needs to be|being) satisfied: "
    r"\* (?:11\.3 = 2|score of 2 on item 11\.3 - aggressive behaviour) "
    r"\* (?:thinking and behaviour related rosh|answer of .yes. to .thinking and behaviour. being related to risk of serious harm to self or others) "
    r"\* (?:attitudes related rosh|answer of .yes. to .attitudes. being related to risk of serious harm to self or others)")


def cn_harm_or_aggression(text: str) -> Read | None:
    """'At least one of: 11.3 = 2; thinking and behaviour related to RoSH; attitudes related to RoSH'."""
    t = " ".join(text.lower().replace("\u2018", "'").replace("\u2019", "'").split())
    t = re.sub(r"^need is evidenced by ", "", t)
    if not _HARM_OR_AGGRESSION.fullmatch(t):
        return None
    return Read("OASys 11.3 (aggressive or controlling behaviour) scored 2, or thinking and behaviour or attitudes "
                "linked to risk of serious harm",
                {"any": [{"field": item_field("11.3"), "eq": 2},
                         {"field": "needs.thinking_and_behaviour.linked_to_harm", "eq": True},
                         {"field": "needs.attitude.linked_to_harm", "eq": True}]})


def cn_partner_violence(text: str) -> Read | None:
    """'Intimate partner violence related offence. This can be index (2.3d) or historical (6.7) ...'."""
    t = norm(text)
    if t.startswith("intimate partner violence related offence. this can be index (indicated by oasys 2.3d) "
                    "or historical (indicated by oasys 6.7)."):
        return Read("intimate partner violence in the current offence or before", {"field": "any_intimate_partner_violence", "eq": True})
    return None


LITERACY = {
    "able to read and understand simple sentences",
    "the person you are referring must be able to read and understand simple sentences.",
}


def literacy(text: str) -> Read | None:
    if norm(text) in LITERACY:
        return Read("able to read and understand simple sentences", {"field": "responsivity.reads_simple_sentences", "eq": True})
    return None


# ---- time left on the order or licence ------------------------------------------------------------


def time_left(text: str) -> Read | None:
    """'12 months on licence or at least 18 months on community order': time left, not the order's
    length. A suspended sentence order is served in the community as a community order is."""
    t = norm(text)
    m = re.fullmatch(r"(\d+) months on licen[cs]e or at least (\d+) months on community order", t)
    if not m:
        return None
    lic, co = int(m[1]), int(m[2])
    return Read(f"at least {lic} months left on licence or post-sentence supervision, or at least {co} months left on a "
                "community order or suspended sentence order",
                {"any": [{"all": [{"field": "sentence.type", "in": ["licence", "post_sentence_supervision"]},
                                  {"field": "months_left", "gte": lic}]},
                         {"all": [{"field": "sentence.type", "in": ["community_order", "suspended_sentence_order"]},
                                  {"field": "months_left", "gte": co}]}]})


# ---- offences -----------------------------------------------------------------------------------

IPV_NOW = {"field": "offence.intimate_partner_violence", "eq": True}
SEXUAL_NOW = {"field": "sexual_offence", "eq": True}
CUSTODY = {"field": "setting", "eq": "custody"}
COMMUNITY = {"field": "setting", "eq": "community"}


@dataclass(frozen=True)
class OffenceType:
    """One published offence type: its condition on the current offence, the condition that also
    counts an earlier conviction (None: the case cannot tell), and whether the condition says all
    the type says (False: it is only necessary, and a person checks the rest)."""

    words: str
    now: Cond | None
    before: Cond | None = None
    exact: bool = True


# The published offence types (eligibility_offence and exclude_offence). "Domestic abuse" is read
# as intimate partner violence: the case records no wider domestic-abuse flag, and every file that
# names it names intimate partner violence with it or in its text.
OFFENCE_TYPES: dict[str, OffenceType] = {
    "General Violence": OffenceType("a violent offence", {"field": "offence.category", "eq": "violence"},
                                    {"field": "history.violence", "eq": True}),
    "IPV": OffenceType("an intimate partner violence offence", IPV_NOW, {"field": "any_intimate_partner_violence", "eq": True}),
    "Domestic Abuse": OffenceType("a domestic abuse (intimate partner violence) offence", IPV_NOW,
                                  {"field": "any_intimate_partner_violence", "eq": True}),
    "Domestic abuse": OffenceType("a domestic abuse (intimate partner violence) offence", IPV_NOW,
                                  {"field": "any_intimate_partner_violence", "eq": True}),
    "Sexual": OffenceType("a sexual or sexually motivated offence", SEXUAL_NOW, {"field": "history.sexual", "eq": True}),
    "Internet Sexual": OffenceType("an internet-only sexual offence", {"all": [SEXUAL_NOW, {"field": "offence.internet_only", "eq": True}]}),
    "Non-internet Sexual": OffenceType("a sexual offence that was not internet-only",
                                       {"all": [SEXUAL_NOW, {"field": "offence.internet_only", "eq": False}]}),
    "Custody: Any": OffenceType("any offence, in custody", CUSTODY),
    "Community: Sexual": OffenceType("a sexual offence, in the community", {"all": [COMMUNITY, SEXUAL_NOW]}),
    "Acquisitive/Financial": OffenceType("an acquisitive or financial offence", {"field": "offence.category", "in": ["acquisitive", "fraud"]}),
    "Motoring": OffenceType("a motoring offence", {"field": "offence.category", "eq": "motoring"}),
    "Drink Driving": OffenceType("a motoring offence (drink driving)", {"field": "offence.category", "eq": "motoring"}, exact=False),
    "Drug Driving": OffenceType("a motoring offence (drug driving)", {"field": "offence.category", "eq": "motoring"}, exact=False),
    "Violence (non DV) [MALES ONLY]": OffenceType("a violent offence that is not domestic violence",
                                                  {"all": [{"field": "offence.category", "eq": "violence"},
                                                           {"field": "offence.intimate_partner_violence", "eq": False}]}),
    # no case field records these: a person decides
    "Robbery": OffenceType("robbery", None),
    "Alcohol motivated/disinhibited": OffenceType("an alcohol-motivated offence", None),
    "Drugs motivated/disinhibited": OffenceType("a drugs-motivated offence", None),
    "Other": OffenceType("another offence type", None),
    "Community Order": OffenceType("a community order", None),
    "Terrorism Act Cast": OffenceType("a Terrorism Act case", None),
}
ANY_OFFENCE = {"Any"}

# Victim types and motivations that say no more than the offence type they go with (the case's
# intimate partner violence flag is OASys 2.3d's "IPV-related", which covers a non-partner victim of
# intimate partner conflict; the sexual-offence fact covers sexually motivated offences). Any other
# value is left to a person.
IMPLIED_DETAIL: dict[tuple[str, str], str] = {
    ("IPV", "partner"): "victim_type",
    ("IPV", "partner, or non-partner offences which arise out of intimate partner conflict against a non-partner"): "victim_type",
    ("Domestic Abuse", "partner"): "victim_type",
    ("Sexual", "or sexually motivated offence"): "motivation",
    ("Sexual", "sexual"): "motivation",
    ("Non-internet Sexual", "contact"): "victim_type",
}

# enabling_intervention.convicted_for_offence_type, text by text: what it does and the offence
# types it names. "restates": it says what the file's eligibility_offence list says (or, when the
# list is empty, names the types itself); "historical": the same, counting an earlier conviction
# too; "none": no restriction. A text not listed here is left to a person.
CONVICTED_FOR: dict[str, tuple[str, tuple[str, ...]]] = {
    "have a conviction for general violence offence (gv)": ("restates", ("General Violence",)),
    "have a conviction for a intimate partner violence (ipv)": ("restates", ("IPV",)),
    "have a conviction for a sexual offence": ("restates", ("Sexual",)),
    "general violence offence": ("restates", ("General Violence",)),
    "eligibility is based on the person being convicted for domestic abuse offences.": ("restates", ("Domestic Abuse",)),
    "sexual": ("restates", ("Sexual",)),
    "eligibility is based on the person being convicted for domestic abuse offences and intimate partner violence.":
        ("restates", ("IPV",)),
    "internet-only sexual": ("restates", ("Internet Sexual",)),
    "sexual, or general violence, or intimate partner violence (ipv)": ("restates", ("Sexual", "General Violence", "IPV")),
    "any (custody) sexual (community)": ("restates", ("Custody: Any", "Community: Sexual")),
    "this is for men convicted of a sexual offence.": ("restates", ("Sexual",)),
    "this is for women convicted of a sexual offence.": ("restates", ("Sexual",)),
    "eligibility is based on the person being convicted for intimate partner violence offences": ("restates", ("IPV",)),
    "eligibility is based on the person being convitcted for drink or drug-driving offences.":
        ("restates", ("Drink Driving", "Drug Driving")),
    "eligibility is based on the person being convicted for intimate partner violence offences, with the offence factor of domestic abuse.":
        ("restates", ("IPV",)),
    "eligibility is based on the person being convicted for a violence-related offence. this can be index or historical.":
        ("historical", ("General Violence",)),
    "eligibility is based on the person being convicted for an intimate partner violence-related offence. this can be index or historical.":
        ("historical", ("IPV",)),
    # its last sentence restates the file's exclusion of intimate partner violence (exclude_offence)
    "eligibility is based on the person being convicted for a violence-related offence. this can be index or historical. "
    "not suitable for people with an offence factor of domestic violence.": ("historical", ("General Violence",)),
    "any": ("none", ()),
    "null": ("none", ()),
}

# BBR's text: intimate partner violence now or before (OASys 2.3d, 6.7); in the community a non-IPV
# offence with a high SARA; in custody, partner abuse that need not be a conviction (a person decides).
BBR_OVERRIDE = re.compile(
    r"ipv related offence - indicated by oasys 2\.3d or historical by oasys 6\.7\) override: "
    r"\(community\): non ipv-related can also be referred to bbr if they are also assessed as being a high risk on the sara "
    r"and they meet all other risk and need (\(custody\): .*)")


def bbr_override(text: str) -> tuple[Read, str] | None:
    """BBR's offence text: the part with a fixed form as a condition, and its custody clause word for
    word (from the original text, not the normalised one) for a person."""
    if not BBR_OVERRIDE.fullmatch(" ".join(text.lower().split())):
        return None
    start = text.find("(Custody)")
    read = Read("intimate partner violence in the current offence or before; or, in the community, any offence with a "
                "high SARA level; or in custody (where partner abuse is judged below)",
                {"any": [{"field": "any_intimate_partner_violence", "eq": True},
                         {"all": [COMMUNITY, {"field": "pni_risk_sara", "eq": "high"}]},
                         CUSTODY]})
    return read, text[start:].strip()


# exclusion.convicted_for_offence_type: the offence types each text excludes (to be found in the
# file's exclude_offence list, or added to it).
EXCLUDED_FOR: dict[str, tuple[str, ...]] = {
    "this intervention should not be delivered to address needs relating directly to sexual offending or intimate partner violence.": ("Sexual", "IPV"),
    "this toolkit is not suitable for women convicted of a sexual offence.": ("Sexual",),
    "this toolkit is not suitable for men convicted of a sexual offence.": ("Sexual",),
    "none internet sexual offence": ("Non-internet Sexual",),
    "if sex offence": ("Sexual",),
}

# ---- other fixed texts ----------------------------------------------------------------------------

# not_allowed_if_eligible_for_another_intervention (and qualifying_previous_intervention) texts that
# allow something and restrict nothing: kept in the entry's description, never a criterion
PERMISSIVE = re.compile(r"if the person meets the criteria for an accredited programme, or another structured intervention, "
                        r"they can (?:do|participate in) .* alongside it\.")

ATR_DRR = "this toolkit is not suitable for men with an alcohol treatment requirement or drug rehabilitation requirement."


@dataclass
class Split:
    """A text cut into the sentence a rule reads and the rest, word for word, for a person."""

    read: Read
    rest: str


def alcohol_drug(text: str) -> Split | None:
    """'Not suitable for men with an alcohol treatment requirement or drug rehabilitation requirement.
    Men that self-report or are assessed as dependent ... are not eligible.': the requirements are on
    the order; dependency is for a person to judge."""
    t = " ".join(text.split())
    if not t.lower().startswith(ATR_DRR):
        return None
    rest = t[len(ATR_DRR):].strip()
    return Split(Read("an alcohol treatment or drug rehabilitation requirement on the order",
                      {"any": [{"field": "sentence.requirements", "contains": "alcohol_treatment"},
                               {"field": "sentence.requirements", "contains": "drug_rehabilitation"}]}), rest)


@dataclass(frozen=True)
class Programmes:
    """A list of programme names: completed before (qualifying) or once only (same type)."""

    ids: tuple[str, ...]
    names: tuple[str, ...] = field(default=())


def programme_list(text: str, by_name: dict[str, tuple[str, ...]]) -> Programmes | None:
    """'Kaizen, Horizon, BNM+ or NMS', 'Becoming New Me Plus (BNM+) or New Me Strengths (NMS)': each
    name must be a programme of this catalogue (by its name, or its initials in brackets)."""
    t = " ".join(text.split())
    parts = [p.strip() for p in re.split(r",| or ", t) if p.strip()]
    ids: list[str] = []
    for p in parts:
        key = re.sub(r"\s*\(([^)]*)\)$", "", p).strip().lower()
        short = re.search(r"\(([^)]*)\)$", p)
        got = by_name.get(key) or (by_name.get(short[1].lower()) if short else None)
        if not got:
            return None
        ids.extend(got)
    return Programmes(tuple(dict.fromkeys(ids)), tuple(parts))
