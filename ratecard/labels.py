"""How ratecard names things to people: one table for every output (terminal, briefing, proposal
paragraph, web page).

Rule ids, field paths and value codes (`risk.ogrs3_2yr`, `moderate_intensity`) are for JSON and
`--explain`; people at court read the words here. A need, a field or a requirement has one name
everywhere, so "education, training and employment" never appears beside another wording of it.
Plain data and small functions only: importing this module costs nothing, so anything may use it.
"""

from __future__ import annotations

import re

from typing import Any

# The OASys need sections, as sentencers and court staff name them.
NEEDS: dict[str, str] = {
    "accommodation": "Accommodation",
    "education_training_and_employability": "Education, training and employment",
    "finance": "Finance, benefits and debt",
    "relationships": "Family and relationships",
    "lifestyle_and_associates": "Lifestyle and associates",
    "drug_misuse": "Drug misuse",
    "alcohol_misuse": "Alcohol misuse",
    "emotional_wellbeing": "Emotional wellbeing and mental health",
    "thinking_and_behaviour": "Thinking and behaviour",
    "attitude": "Attitudes to offending",
}

# Case fields: a short name that reads inside a sentence ("OGRS3 two-year score is 50 or more";
# a yes/no field as "they served in the armed forces: yes"), and below, the unit a number is shown with. Every field of the case model is here (a test checks it), and the
# rule registry takes its labels from here, so the screen, the briefing and the web page agree.
FIELDS: dict[str, str] = {
    "person.sex": "sex",
    "person.date_of_birth": "date of birth",
    "person.home_town": "home town",
    "person.area": "probation area",
    "offence.category": "offence category",
    "offence.intimate_partner_violence": "the offence is intimate partner violence",
    "offence.sexual": "the offence is sexual or sexually motivated",
    "offence.internet_only": "a sexual offence was internet-only",
    "offence.notification_requirements": "the conviction brings sex offender notification requirements",
    "offence.conviction_date": "date of conviction",
    "offence.female_partner": "the partner abused, or at risk, is a woman",
    "history.intimate_partner_violence": "history of intimate partner violence",
    "history.sexual": "history of sexual offending",
    "history.victim_of_domestic_abuse": "they have been a victim of domestic abuse",
    "history.completed_programmes": "programmes completed before",
    "history.violence": "history of violence before this offence",
    "history.notification_requirements": "still on the sex offender register from an earlier conviction",
    "risk.rosh": "risk of serious harm level (RoSH)",
    "risk.ogrs3_2yr": "OGRS3 two-year score",
    "risk.ovp_2yr": "OVP two-year score",
    "risk.osp_dc": "OSP-DC level",
    "risk.osp_iic": "OSP-IIC level",
    "risk.rsr": "RSR score",
    "risk.sara_partner": "SARA level towards a partner",
    "risk.sara_others": "SARA level towards others",
    "risk.mappa_level": "MAPPA level",
    "oasys.sexual_preoccupation": "OASys 11.11 sexual preoccupation (0-2)",
    "oasys.offence_related_sexual_interests": "OASys 11.12 offence-related sexual interests (0-2)",
    "oasys.emotional_congruence_with_children": "OASys 6.12 emotional congruence with children (0-2)",
    "responsivity.learning_disability": "learning disability or challenges",
    "responsivity.reads_simple_sentences": "they can read simple sentences",
    "responsivity.needs_interpreter": "they need an interpreter",
    "responsivity.mental_health_prevents_group_work": "mental health prevents group work",
    "responsivity.veteran": "they served in the armed forces",
    "responsivity.care_responsibilities": "care responsibilities",
    "responsivity.at_risk_in_group": "they are at risk in a group setting",
    "responsivity.has_transport": "they have transport",
    "responsivity.parent_or_carer": "they are a parent or carer of a child",
    "responsivity.likely_personality_disorder": "a personality disorder is likely",
    "motivation": "motivation to change",
    "sentence.type": "sentence type",
    "sentence.setting": "custody or community setting",
    "sentence.length_months": "order length in months",
    "sentence.start": "order start date",
    "sentence.rar_days": "maximum RAR days",
    "sentence.requirements": "requirements on the order",
    "sentence.unpaid_work_hours": "unpaid work hours",
    # computed from the case
    "age": ("age when convicted (from date of birth; without a conviction date, at the order start or the "
            "reference date, whichever is earlier)"),
    "months_left": "months left on the order at the reference date",
}
_NEED_PARTS = {
    "score": "score",
    "linked_to_harm": "linked to risk of harm",
    "linked_to_reoffending": "linked to reoffending",
    "identified": "identified",
}
for _section, _name in NEEDS.items():
    for _part, _words in _NEED_PARTS.items():
        FIELDS[f"needs.{_section}.{_part}"] = f"{_name.lower()} need {_words}"

# Single OASys questions (case section `oasys`), by what they ask, with their OASys number.
for _name, _words in {
    "recognises_impact_of_offending": "OASys 2.6 recognises the impact and consequences of offending (0-2)",
    "activities_encourage_offending": "OASys 7.2 regular activities encourage offending (0-2)",
    "aggressive_controlling_behaviour": "OASys 11.3 aggressive or controlling behaviour (0-2)",
    "temper_control": "OASys 11.4 temper control (0-2)",
    "problem_solving": "OASys 11.6 problem solving (0-2)",
    "awareness_of_consequences": "OASys 11.7 awareness of consequences (0-2)",
    "understands_others_views": "OASys 11.9 understands other people's point of view (0-2)",
    "pro_criminal_attitudes": "OASys 12.1 pro-criminal attitudes (0-2)",
}.items():
    FIELDS[f"oasys.{_name}"] = _words

UNITS: dict[str, str] = {"risk.ogrs3_2yr": "%", "risk.ovp_2yr": "%", "risk.rsr": "%"}

# Facts the shipped rules derive (rules/derived.yaml). A catalog may define others: those are
# named by their id in words (see field()).
DERIVED: dict[str, str] = {
    "allocation": "who manages the case (NPS or CRC)",
    "tier": "CRC tier",
    "sexual_offence": "sexual offence",
    "any_intimate_partner_violence": "intimate partner violence, now or before",
    "pni_risk": "programme risk level (PNI)",
    "pni_risk_reoffending": "PNI risk from reoffending (OGRS3)",
    "pni_risk_violence": "PNI risk from violence (OVP)",
    "pni_risk_serious": "PNI risk from OSP and RSR",
    "pni_risk_sara": "PNI risk from SARA",
    "mappa_category_1": "MAPPA category 1 (registered sexual offender)",
    "young_adult": "young adult (18 to 25)",
    "pni_need": "programme need level (PNI)",
    "pni_need_score": "programme need score (PNI)",
    "pni_pathway": "programme pathway (PNI)",
    "pni_domain_sex": "PNI sex domain score",
    "pni_domain_thinking": "PNI thinking domain score",
    "pni_domain_relationships": "PNI relationships domain score",
    "pni_domain_self_management": "PNI self-management domain score",
    # the national catalog's (ratecard import find-and-refer)
    "setting": "setting (custody or community)",
    "pni_sex_items": "PNI sexual-interest items total (OASys 11.11, 11.12, 6.12)",
    "pni_sex_domain_approximated": "PNI sex domain approximated (OASys items not given)",
    "pni_domain_thinking_known": "PNI thinking domain score so far",
    "pni_domain_relationships_known": "PNI relationships domain score so far",
    "pni_domain_self_management_known": "PNI self-management domain score so far",
    "pni_domain_sex_known": "PNI sex domain score so far",
    "pni_sexual_known": "a sexual offence, now or before, on file",
    "pni_sexual_now_known": "the current offence recorded as sexual",
    "pni_sex_items_given": "all three OASys sexual items given (11.11, 11.12, 6.12)",
    "pni_osp_high_known": "a high or very high OSP on file",
    "pni_need_score_known": "programme need score so far (PNI)",
    **{f"need_{s}": f"{n.lower()} need" for s, n in NEEDS.items()},
}

# Requirements of a community order or suspended sentence order.
REQUIREMENTS: dict[str, str] = {
    "rar": "rehabilitation activity requirement (RAR)",
    "accredited_programme": "accredited programme requirement",
    "drug_rehabilitation": "drug rehabilitation requirement",
    "alcohol_treatment": "alcohol treatment requirement",
    "mental_health_treatment": "mental health treatment requirement",
    "unpaid_work": "unpaid work requirement",
    "curfew": "curfew requirement",
    "exclusion": "exclusion requirement",
    "prohibited_activity": "prohibited activity requirement",
    "supervision": "supervision requirement",
    "none": "no requirement",
}

# Kinds of intervention in the catalog.
KINDS: dict[str, str] = {
    "accredited_programme": "Accredited programme",
    "structured_intervention": "Structured intervention",
    "rar_activity": "RAR activity",
    "mentoring_and_support": "Mentoring and support",
    "resettlement": "Resettlement",
    "unpaid_work_placement": "Unpaid work placement",
    "substance_misuse": "Substance misuse treatment",
    "consultation": "Consultation for the responsible officer",
    "toolkit": "Toolkit (structured one-to-one work with the probation practitioner)",
    "commissioned_rehabilitative_service": "Commissioned rehabilitative service",
}
# Where a rule or a catalog fact comes from, as a sentencer is told it.
BASES: dict[str, str] = {"report": "from the inspection report", "hmpps": "from HMPPS criteria", "assumption": "assumption"}
MODES: dict[str, str] = {"group": "Group", "one_to_one": "One-to-one", "mixed": "Group and one-to-one"}
EVIDENCE: dict[str, str] = {
    "accredited": "Accredited (nationally accredited design)",
    "promising": "Promising (some evaluation evidence)",
    "emerging": "Emerging (early or local evidence only)",
    "unevaluated": "Not evaluated",
}
STATES: dict[str, str] = {
    "open": "open",
    "waiting_list": "open with a waiting list",
    "suspended": "suspended",
    "withdrawn": "withdrawn",
}

DECISIONS: dict[str, str] = {"eligible": "eligible", "eligible_if_agreed": "eligible if agreed", "ineligible": "not eligible",
                             "undetermined": "undetermined"}
VERDICTS: dict[str, str] = {"accept": "ACCEPT", "accept_with_warnings": "ACCEPT WITH WARNINGS",
                           "accept_if_agreed": "ACCEPT IF AGREED (a person's judgement to check)",
                           "undetermined": "UNDETERMINED (information missing)", "reject": "REJECT"}
OUTCOMES: dict[str, str] = {
    "met": "met", "not_met": "not met", "excluded": "rules them out", "not_excluded": "does not rule them out",
    "unknown": "not known yet", "to_check": "to check (a person decides)", "not_applicable": "does not apply",
}
PATHWAYS: dict[str, str] = {
    "high_intensity": "high intensity",
    "moderate_intensity": "moderate intensity",
    "alternative": "alternative pathway (no accredited programme indicated)",
    "missing_information": "information missing",
}
ALLOCATIONS: dict[str, str] = {"nps": "NPS", "crc": "CRC"}

# Words for choice values that are not plain once the underscore goes ("very_high" is "very high").
_VALUES: dict[str, str] = {
    **PATHWAYS,
    **ALLOCATIONS,
    "not_applicable": "not applicable",
    "close_to_change": "close to change",
    "not_close_to_change": "not close to change",
    "community_order": "community order",
    "suspended_sentence_order": "suspended sentence order",
    "post_sentence_supervision": "post-sentence supervision",
}

_PLACES = frozenset({"person.home_town", "person.area"})


def need(section: str) -> str:
    """A need as a heading: 'Education, training and employment'."""
    return NEEDS.get(section, section.replace("_", " "))


def need_words(section: str) -> str:
    """A need inside a sentence: 'education, training and employment'."""
    return need(section).lower() if section in NEEDS else section.replace("_", " ")


def field(path: str) -> str:
    """A case field, computed field or derived fact in words: 'OGRS3 two-year score'."""
    if path in FIELDS:
        return FIELDS[path]
    if path in DERIVED:
        return DERIVED[path]
    if path.endswith(".weeks") and path.count(".") == 1:
        # an intervention's length the catalog does not publish (catalog.weeks: any of them)
        return "how long it takes (not published in this catalog; ask the provider)"
    total = _OASYS_TOTAL.fullmatch(path)
    if total:  # a sum the HMPPS import makes of named OASys items: 'oasys_total_2_6_7_2' is 2.6 and 7.2
        nums = total[1].split("_")
        return "total of OASys items " + ", ".join(f"{a}.{b}" for a, b in zip(nums[::2], nums[1::2]))
    return path.rsplit(".", 1)[-1].replace("_", " ")


_OASYS_TOTAL = re.compile(r"oasys_total_((?:\d+_\d+_)*\d+_\d+)")


def requirement(kind: str) -> str:
    return REQUIREMENTS.get(kind, kind.replace("_", " ") + " requirement")


def value(v: Any, path: str = "", *, missing: str = "not known") -> str:
    """A value as people read it: 18.0 -> '18%' for OGRS3, True -> 'yes', 'very_high' -> 'very high'."""
    if v is None:
        return missing
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple)):
        if not v:
            return "none"
        if path == "sentence.requirements":
            return ", ".join(requirement(x) for x in v)
        return ", ".join(value(x) for x in v)
    if isinstance(v, float):
        text = f"{v:g}"
    elif isinstance(v, str) and path in _PLACES:
        text = v.replace("_", " ").title()  # northampton -> Northampton
    elif isinstance(v, str):
        text = _VALUES.get(v, v.replace("_", " "))
    else:
        text = str(v)
    return text + UNITS.get(path, "")


def statement(path: str, v: Any) -> str:
    """One value as people read it: 'OGRS3 two-year score: 18%', 'SARA level towards a partner: not known'."""
    return f"{field(path)}: {value(v, path)}"
