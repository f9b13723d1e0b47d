"""`ratecard import find-and-refer`: HMPPS's published intervention catalogue as a ratecard catalog.

HMPPS publishes *Find and refer an intervention* as one JSON file per intervention (accredited
programmes, structured interventions, toolkits, commissioned rehabilitative services). Each file's
eligibility is partly structured (age, sex, setting, offence types, needs) and partly text written
for a person. This converts every file into a catalog entry and its rules:

- structured fields and every guide whose text has a fixed form (hmpps_guides.py) become rules;
- every other text becomes a criterion needing a person's judgement, with its exact words;
- a field the importer does not know stops the import: nothing is skipped unseen.

Every source field with a value is accounted for in the table the import prints (rules, judgement,
no restriction, description). The output is deterministic: the same files give the same bytes.
Ids come from the file names; rule ids are `<intervention>.<field>`; every rule cites its file and
fields in `source`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, Problem
from . import hmpps_guides as g

SNAPSHOT = "2026-06"  # the copy in the project's reference folder (its README)
AREA = "england_and_wales"

# Every field a file may have. "catalog": describes the intervention (its entry); "eligibility":
# who it is for (a rule, a judgement, or no restriction). Objects are listed with their fields.
CATALOG_FIELDS = (
    "uuid", "intervention_catalogue.name", "intervention_catalogue.int_type", "intervention_catalogue.short_description",
    "intervention_catalogue.long_description", "intervention_catalogue.session_detail",
    "intervention_catalogue.reason_for_referral", "delivery_method.format", "delivery_method.attendance_type",
    "possible_outcomes",
)
ELIGIBILITY_FIELDS = (
    "delivery_method_settings",
    "personal_eligibility.min_age", "personal_eligibility.max_age", "personal_eligibility.males", "personal_eligibility.females",
    "enabling_intervention.qualifying_previous_intervention", "enabling_intervention.convicted_for_offence_type",
    "eligibility_offence[].offence_type_id", "eligibility_offence[].victim_type", "eligibility_offence[].motivation",
    "exclude_offence[].offence_type_id", "exclude_offence[].victim_type",
    "criminogenic_needs",
    "risk_consideration.cn_score_guide", "risk_consideration.extremism_risk_guide", "risk_consideration.sara_partner_score_guide",
    "risk_consideration.sara_other_score_guide", "risk_consideration.osp_score_guide",
    "risk_consideration.osp_dc_icc_combination_guide", "risk_consideration.ogrs_score_guide", "risk_consideration.ovp_guide",
    "risk_consideration.ogp_guide", "risk_consideration.pna_guide", "risk_consideration.rosh_level", "risk_consideration.rsr_guide",
    "special_educational_needs.exclusion_literacy_level_guide", "special_educational_needs.learning_disability_catered_for",
    "special_educational_needs.equivalent_non_ldc_programme_guide",
    "exclusion.min_remaining_sentence_duration_guide", "exclusion.remaining_license_community_order_guide",
    "exclusion.alcohol_drug_problem_guide", "exclusion.mental_health_problem_guide",
    "exclusion.not_allowed_if_eligible_for_another_intervention", "exclusion.literacy_level",
    "exclusion.other_preferred_method_guide", "exclusion.same_type_rule_guide", "exclusion.schedule_frequency_guide",
    "exclusion.convicted_for_offence_type",
)
FIELDS = CATALOG_FIELDS + ELIGIBILITY_FIELDS
_OBJECTS = {f.split(".")[0] for f in FIELDS if "." in f}  # may be null or an object
_LISTS = {f.split("[]")[0] for f in FIELDS if "[]" in f}  # may be null or a list of objects

# How a judgement names the field its words come from, so a person reading "to check" knows what
# the text is about (the text itself is the source's, word for word).
FIELD_WORDS = {
    "enabling_intervention.qualifying_previous_intervention": "Programmes completed before",
    "enabling_intervention.convicted_for_offence_type": "Offence",
    "eligibility_offence": "Offence",
    "exclude_offence": "Offence excluded",
    "risk_consideration": "Risk",
    "risk_consideration.cn_score_guide": "Criminogenic need",
    "risk_consideration.pna_guide": "Risk",
    "special_educational_needs.learning_disability_catered_for": "Learning disability",
    "special_educational_needs.equivalent_non_ldc_programme_guide": "Learning disability",
    "special_educational_needs.exclusion_literacy_level_guide": "Literacy",
    "exclusion.literacy_level": "Literacy",
    "exclusion.min_remaining_sentence_duration_guide": "Time left on the sentence",
    "exclusion.remaining_license_community_order_guide": "Time left on the licence or order",
    "exclusion.alcohol_drug_problem_guide": "Alcohol or drugs",
    "exclusion.mental_health_problem_guide": "Mental health",
    "exclusion.not_allowed_if_eligible_for_another_intervention": "Other interventions",
    "exclusion.other_preferred_method_guide": "Suitability",
    "exclusion.same_type_rule_guide": "Done before",
    "exclusion.convicted_for_offence_type": "Offence excluded",
    "delivery_method_settings": "Setting",
    "personal_eligibility.min_age": "Age",
    "personal_eligibility.max_age": "Age",
}

KINDS = {"AcP": "accredited_programme", "SI": "structured_intervention", "Toolkits": "toolkit",
         "CRS": "commissioned_rehabilitative_service"}
FORMATS = {"group": "group", "one-to-one": "one_to_one", "group and one-to-one": "mixed", "group or one-to-one": "mixed",
           "group one-to-one": "mixed"}
SETTINGS = {"COMMUNITY": "community", "CUSTODY": "custody"}

# The work each intervention type is (work.kind, HMPPS's own type): structured interventions and
# toolkits are exercises on offending delivered by probation; commissioned rehabilitative services
# meet needs and treat no offending.
WORK_KINDS = {"AcP": "accredited_programme", "SI": "offending_behaviour", "Toolkits": "offending_behaviour",
              "CRS": "support_service"}
# The offending a published eligible offence type names (work.targets, our reading: basis
# assumption). A type not listed here is offending in general.
OFFENCE_TARGETS = {
    "ipv": ("partner_abuse",), "domestic abuse": ("partner_abuse",),
    "sexual": ("sexual_contact",), "community: sexual": ("sexual_contact",), "internet sexual": ("sexual_internet",),
    "general violence": ("general_violence",), "violence (non dv) [males only]": ("general_violence",),
}
# Where no offence type is published, the risk measures the file names say which offending the
# programme is for (Building Choices names SARA, OVP, OSP and OGRS; New Me Strengths one of them).
MEASURE_TARGETS = {
    "sara_partner_score_guide": ("partner_abuse",), "sara_other_score_guide": ("partner_abuse",),
    "ovp_guide": ("general_violence",), "osp_score_guide": ("sexual_contact", "sexual_internet"),
    "osp_dc_icc_combination_guide": ("sexual_contact", "sexual_internet"),
    "ogrs_score_guide": ("general_offending",), "rsr_guide": ("general_offending",),
}
TARGET_ORDER = ("partner_abuse", "sexual_contact", "sexual_internet", "general_violence", "general_offending", "substance")
SUBSTANCE_NEEDS = frozenset({"Drug Misuse", "Alcohol Misuse"})
# special_educational_needs.learning_disability_catered_for, in the fixed words it is published in
LEARNING_DISABILITY = {"yes": "adapted", "no": "not_adapted", "yes, but reviewed case by case": "case_by_case",
                       "assessed case by case": "case_by_case"}

Disposition = str  # "rule", "judgement", "no restriction", "description"
DISPOSITIONS = ("rule", "judgement", "no restriction", "description")


class FindAndReferError(InputError):
    """The published files cannot be converted: a field the importer does not know, or bad JSON."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, what="HMPPS catalogue files")


def intervention_id(stem: str) -> str:
    """The file name as an id: lower case, every run of other characters one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_")


def has_value(v: Any) -> bool:
    return v is not None and v != "" and v != [] and not (isinstance(v, str) and not v.strip())


# ---- reading the files ----------------------------------------------------------------------------


def _leaves(data: dict[str, Any], file: str, problems: list[Problem]) -> dict[str, list[Any]]:
    """Every known field of one file with its values (a field inside a list: one value per entry).
    An unknown field, or a known one of the wrong shape, is a problem."""
    out: dict[str, list[Any]] = {f: [] for f in FIELDS}

    def take(path: str, v: Any) -> None:
        if path not in out:
            problems.append(Problem(file, None, path, _unknown(path)))
        else:
            out[path].append(v)

    for key, value in data.items():
        if key in _LISTS:
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
                problems.append(Problem(file, None, key, "expected a list of objects or null"))
                continue
            for entry in value:
                for k, v in entry.items():
                    take(f"{key}[].{k}", v)
        elif key in _OBJECTS and key not in FIELDS:
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.append(Problem(file, None, key, "expected an object or null"))
                continue
            for k, v in value.items():
                take(f"{key}.{k}", v)
        elif key in out:
            out[key].append(value)
        else:
            problems.append(Problem(file, None, key, _unknown(key)))
    return out


def _unknown(path: str) -> str:
    return ("a field the importer does not know: it will not guess what it means for eligibility; teach "
            "ratecard/importers/find_and_refer.py to read it (as a rule, a judgement or a description)")


def read_files(folder: Path) -> dict[str, tuple[dict[str, Any], dict[str, list[Any]]]]:
    """stem -> (the parsed file, its known fields). Raises FindAndReferError with every problem."""
    files = sorted(p for p in folder.glob("*.json") if p.is_file())
    problems: list[Problem] = []
    if not files:
        problems.append(Problem(str(folder), None, "", "no *.json files here; give the folder of HMPPS's intervention definitions"))
    out: dict[str, tuple[dict[str, Any], dict[str, list[Any]]]] = {}
    seen: dict[str, str] = {}
    for p in files:
        try:
            data = json.loads(p.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            problems.append(Problem(str(p), getattr(e, "lineno", None), "", f"not readable JSON ({e})"))
            continue
        if not isinstance(data, dict):
            problems.append(Problem(str(p), None, "", "expected one intervention (a JSON object)"))
            continue
        iid = intervention_id(p.stem)
        if iid in seen:
            problems.append(Problem(str(p), None, "", f"its id '{iid}' is also {seen[iid]}'s; rename one file"))
            continue
        seen[iid] = p.name
        out[p.stem] = (data, _leaves(data, str(p), problems))
    if problems:
        raise FindAndReferError(problems)
    return out


# ---- one file ---------------------------------------------------------------------------------------


@dataclass
class Converted:
    """One file's catalog entry, its rules, and what became of each field with a value."""

    stem: str
    iid: str
    entry: dict[str, Any]
    criteria: list[dict[str, Any]] = field(default_factory=list)
    exclusions: list[dict[str, Any]] = field(default_factory=list)
    used: dict[str, set[Disposition]] = field(default_factory=dict)  # field -> what it became


class _File:
    def __init__(self, stem: str, data: dict[str, Any], leaves: dict[str, list[Any]], by_name: dict[str, tuple[str, ...]]):
        self.stem, self.data, self.leaves, self.by_name = stem, data, leaves, by_name
        self.iid = intervention_id(stem)
        self.out = Converted(stem, self.iid, {})
        self.notes: list[str] = []  # permissive texts, kept in the description
        self.sections: list[str] = []  # the OASys need sections it addresses
        self.totals: list[g.ItemTotal] = []  # OASys item totals its rules read

    # values

    def one(self, f: str) -> Any:
        vals = self.leaves[f]
        return vals[0] if vals and has_value(vals[0]) else None

    def mark(self, f: str, how: Disposition) -> None:
        self.out.used.setdefault(f.split("[]")[0] if f.endswith("[]") else f, set()).add(how)

    # rules

    def _id(self, f: str) -> str:
        base = f"{self.iid}.{f.replace('[]', '')}"
        taken = {r["id"] for r in self.out.criteria + self.out.exclusions}
        rid, n = base, 2
        while rid in taken:
            rid, n = f"{base}_{n}", n + 1
        return rid

    def _source(self, fields: list[str]) -> str:
        return f"{self.stem}.json: " + ", ".join(dict.fromkeys(fields))

    def rule(self, fields: list[str], sentence: str, when: g.Cond, *, exclusion: bool = False, published: str | None = None) -> None:
        text = sentence[:1].upper() + sentence[1:] + "."
        if published:
            text += f' Published: "{" ".join(published.split())}"'
        body = {"id": self._id(fields[0]), "text": text, "basis": "hmpps", "source": self._source(fields), "when": when}
        (self.out.exclusions if exclusion else self.out.criteria).append(body)
        for f in fields:
            self.mark(f, "rule")

    def judgement(self, fields: list[str], words: str, *, exclusion: bool = False,
                  applies: dict[str, Any] | None = None) -> None:
        label = FIELD_WORDS.get(fields[0]) or FIELD_WORDS.get(fields[0].split("[]")[0]) or FIELD_WORDS.get(fields[0].split(".")[0], "")
        words = " ".join(words.split())  # the source's words, its line breaks aside
        text = f"{label}: {words}" if label else words
        body = {"id": self._id(fields[0]), "text": text, "judgement": True, "basis": "hmpps", "source": self._source(fields)}
        if applies is not None:
            body["applies_when"] = applies
        (self.out.exclusions if exclusion else self.out.criteria).append(body)
        for f in fields:
            self.mark(f, "judgement")

    def free(self, f: str) -> None:
        self.mark(f, "no restriction")

    # the whole file

    def convert(self) -> Converted:
        self.catalog_fields()
        self.setting()
        self.person()
        self.offence()
        self.exclusions()
        self.needs()
        self.risk()
        self.responsivity()
        self.order_and_history()
        self.out.entry = self.entry()
        return self.out

    def catalog_fields(self) -> None:
        for f in CATALOG_FIELDS:
            if any(has_value(v) for v in self.leaves[f]):
                self.mark(f, "description")

    def setting(self) -> None:
        f = "delivery_method_settings"
        vals = self.one(f)
        if vals is None:
            return
        settings = {SETTINGS.get(v) for v in vals}
        if None in settings:
            self.judgement([f], ", ".join(map(str, vals)))
        elif settings == {"community", "custody"}:
            self.free(f)
        else:
            (s,) = settings
            self.rule([f], f"in {s}", {"field": "setting", "eq": s})

    def person(self) -> None:
        lo, hi = "personal_eligibility.min_age", "personal_eligibility.max_age"
        for f, op, words in ((lo, "gte", "aged {} or over"), (hi, "lte", "aged {} or under")):
            v = self.one(f)
            if v is None:
                continue
            if str(v).strip().lower() == "any":
                self.free(f)
            elif re.fullmatch(r"\d{1,3}", str(v).strip()):
                n = int(str(v).strip())
                self.rule([f], words.format(n), {"field": "age", op: n})
            else:
                self.judgement([f], str(v))
        m, w = "personal_eligibility.males", "personal_eligibility.females"
        males, females = self.leaves[m][0] if self.leaves[m] else None, self.leaves[w][0] if self.leaves[w] else None
        if males is True and females is True:
            self.free(m)
            self.free(w)
        elif (males, females) in ((True, False), (False, True)):
            sex = "male" if males else "female"
            self.rule([m, w], "for men" if males else "for women", {"field": "person.sex", "eq": sex})
        elif males is not None or females is not None:
            self.judgement([m, w], f"males: {males}, females: {females}")

    def offence(self) -> None:
        """Offence types (eligibility_offence, with victim type and motivation) and the text that
        describes them (enabling_intervention.convicted_for_offence_type), as one criterion."""
        tf = "enabling_intervention.convicted_for_offence_type"
        entries = [e for e in (self.data.get("eligibility_offence") or []) if has_value(e.get("offence_type_id"))]
        text = self.one(tf)
        action, named = g.CONVICTED_FOR.get(" ".join(str(text).lower().split()), (None, ())) if text is not None else (None, ())
        bbr = g.bbr_override(text) if text is not None else None
        types = [e["offence_type_id"] for e in entries]
        fields = ["eligibility_offence[].offence_type_id"] if entries else []
        if not entries and action in ("restates", "historical"):
            types, fields = list(named), [tf]  # the text alone names the offence types
        if text is not None and action == "none":
            self.free(tf)
            text = None
        if any(t in g.ANY_OFFENCE for t in types):
            for f in fields:
                self.free(f)
            fields = []
        details: dict[str, list[str]] = {}  # victim types and motivations a person must check, by field
        implied: list[str] = []  # those the offence type already says: the rule cites them
        for e in entries:
            for k in ("victim_type", "motivation"):
                v = e.get(k)
                f = f"eligibility_offence[].{k}"
                if not has_value(v):
                    continue
                if str(v).strip().lower() == "any":
                    self.free(f)
                elif fields and (e["offence_type_id"], " ".join(str(v).lower().split())) in g.IMPLIED_DETAIL:
                    implied.append(f)  # says no more than the offence type the rule reads
                else:
                    details.setdefault(f, []).append(f"{e['offence_type_id']}, {k.replace('_', ' ')}: {' '.join(str(v).split())}")
        known = [g.OFFENCE_TYPES.get(t) for t in types] if fields else []
        if fields and all(k is not None and k.now is not None for k in known):
            widen = action == "historical" or bbr is not None
            parts = [{"any": [k.now, k.before]} if widen and k.before else k.now for k in known if k is not None and k.now]
            words = " or ".join(dict.fromkeys(k.words for k in known if k is not None))
            used = fields + list(dict.fromkeys(implied)) + ([tf] if text is not None and (action in ("restates", "historical") or bbr) else [])
            if bbr is not None:
                read, custody = bbr
                self.rule(used, "for " + read.text, read.when, published=text)
                # the custody clause is BBR's offence criterion in prison: a community case never needs it
                self.judgement([tf], custody, applies={"field": "setting", "eq": "custody"})
            else:
                self.rule(used, f"for someone convicted of {words}" + (", now or before" if widen else ""), g._any(parts),
                          published=text if action else None)
                if text is not None and not action:
                    self.judgement([tf], text)
            inexact = [t for t, k in zip(types, known) if k is not None and not k.exact]
            if inexact:
                self.judgement(["eligibility_offence[].offence_type_id"], " or ".join(inexact))
        else:
            if fields:
                self.judgement(fields + list(dict.fromkeys(implied)), "; ".join(types))
            if text is not None:
                self.judgement([tf], text)
        for f, texts in details.items():
            self.judgement([f], "; ".join(texts))

    def exclusions(self) -> None:
        entries = [e for e in (self.data.get("exclude_offence") or []) if has_value(e.get("offence_type_id"))]
        tf = "exclusion.convicted_for_offence_type"
        text = self.one(tf)
        types = list(dict.fromkeys(e["offence_type_id"] for e in entries))
        fields = ["exclude_offence[].offence_type_id"] if entries else []
        for e in entries:
            v = e.get("victim_type")
            if has_value(v):
                implied = (e["offence_type_id"], " ".join(str(v).lower().split())) in g.IMPLIED_DETAIL
                if implied and "exclude_offence[].victim_type" not in fields:
                    fields.append("exclude_offence[].victim_type")  # the exclusion rule below cites it
                if not implied:
                    self.judgement(["exclude_offence[].victim_type"], f"{e['offence_type_id']}, victim type: {v}", exclusion=True)
        named = g.EXCLUDED_FOR.get(" ".join(str(text).lower().split())) if text is not None else None
        if text is not None and named is not None:
            types += [t for t in named if t not in types]
            fields.append(tf)
        elif text is not None:
            self.judgement([tf], text, exclusion=True)
        if not types:
            return
        known = [g.OFFENCE_TYPES.get(t) for t in types]
        if all(k is not None and k.now is not None and k.exact for k in known):
            words = " or ".join(k.words for k in known if k is not None)
            self.rule(fields, f"not for someone convicted of {words}", g._any([k.now for k in known if k is not None and k.now]),
                      exclusion=True, published=text)
        else:
            self.judgement(fields, "; ".join(types), exclusion=True)

    def needs(self) -> None:
        f = "criminogenic_needs"
        names = self.one(f)
        if names is None:
            return
        sections = [g.NEED_NAMES.get(n) for n in names]
        if None in sections:
            raise FindAndReferError([Problem(f"{self.stem}.json", None, f, f"a need the importer does not know: "
                                             f"{[n for n in names if n not in g.NEED_NAMES][0]!r}; add it to NEED_NAMES in "
                                             "ratecard/importers/hmpps_guides.py")])
        from ..labels import need_words

        self.sections = list(dict.fromkeys(s for s in sections if s))
        words = ", ".join(need_words(s) for s in self.sections)
        self.rule([f], f"for someone with at least one of these needs identified in OASys: {words}",
                  g._any([{"field": f"need_{s}", "eq": True} for s in self.sections]))

    def risk(self) -> None:
        """The risk guides of one file, read together: the person qualifies on any measure that names
        a threshold (as the PNI takes risk as the highest of its measures)."""
        rc = "risk_consideration."
        cn = self.one(rc + "cn_score_guide")
        if cn is not None:
            f = rc + "cn_score_guide"
            if cn.strip().upper() == "NA":
                self.free(f)
            elif (total := g.cn_total(cn)) is not None:
                self.totals.append(total)
                items = ", ".join(total.items)
                self.rule([f], f"a total of {total.at_least} or more over OASys items {items}",
                          {"field": total.derived_id, "gte": total.at_least}, published=cn)
            elif (read := g.cn_harm_or_aggression(cn) or g.cn_partner_violence(cn)) is not None:
                self.rule([f], read.text, read.when, published=cn)
            else:
                self.judgement([f], cn)
        guides = {k: self.one(rc + k) for k in ("ogrs_score_guide", "ovp_guide", "osp_score_guide", "sara_partner_score_guide",
                                                 "sara_other_score_guide", "rosh_level", "rsr_guide", "osp_dc_icc_combination_guide",
                                                 "pna_guide", "extremism_risk_guide", "ogp_guide")}
        given = {k: v for k, v in guides.items() if v is not None}
        if not given:
            return
        fields = [rc + k for k in given]
        if all(g.names_measure_only(v) for v in given.values()):
            # the PNI's measures named without thresholds (Building Choices): its pathway decides
            name = (self.one("intervention_catalogue.name") or "").lower()
            if "moderate intensity" in name:
                self.rule(fields, "on the moderate intensity programme pathway of the Programme Needs Identifier (PNI), "
                          "which reads these measures", {"field": "pni_pathway", "eq": "moderate_intensity"},
                          published="; ".join(given.values()))
            else:
                self.judgement(fields, "; ".join(" ".join(v.split()) for v in given.values()))
            return
        reads: list[g.Read] = []
        for k, v in given.items():
            got: list[g.Read] | None
            if k == "ogrs_score_guide":
                r = g.score_guide(v, "ogrs") or g.ogrs_if_no_ovp(v)
                got = [r] if r else None
            elif k == "ovp_guide":
                r = g.score_guide(v, "ovp")
                got = [r] if r else None
            elif k == "osp_score_guide":
                r = g.osp_guide(v)
                got = [r] if r else None
            elif k in ("sara_partner_score_guide", "sara_other_score_guide"):
                r = g.sara_guide(v)
                got = [r] if r else None
            elif k == "rosh_level":
                got = g.rosh_guide(v)
            else:
                got = None
            if got is None:
                # a guide with no fixed form: the measures read together, so all go to a person
                self.judgement(fields, "; ".join(" ".join(x.split()) for x in given.values()))
                return
            reads.extend(got)
        self.rule(fields, " or ".join(r.text for r in reads), g._any([r.when for r in reads]),
                  published="; ".join(" ".join(x.split()) for x in given.values()))

    def responsivity(self) -> None:
        lit = ["special_educational_needs.exclusion_literacy_level_guide", "exclusion.literacy_level"]
        texts = {f: self.one(f) for f in lit}
        given = [f for f, v in texts.items() if v is not None]
        reads = {f: g.literacy(texts[f]) for f in given}
        ok = [f for f in given if reads[f] is not None]
        if ok:
            read = reads[ok[0]]
            assert read is not None
            self.rule(ok, read.text, read.when, published=texts[ok[0]])
        for f in given:
            if reads[f] is None:
                self.judgement([f], texts[f])
        f = "special_educational_needs.learning_disability_catered_for"
        ld = self.one(f)
        if ld is not None:
            if ld.strip() == "Yes":
                self.free(f)  # adapted: open to people with a learning disability
            elif ld.strip() == "No":
                self.rule([f], "not adapted for a learning disability or learning challenges",
                          {"field": "responsivity.learning_disability", "eq": True}, exclusion=True, published=ld)
            else:
                self.judgement([f], ld)
        f = "special_educational_needs.equivalent_non_ldc_programme_guide"
        if (v := self.one(f)) is not None:
            self.judgement([f], v)
        for f in ("exclusion.mental_health_problem_guide", "exclusion.other_preferred_method_guide"):
            if (v := self.one(f)) is not None:
                self.judgement([f], v, exclusion=f.endswith("mental_health_problem_guide"))
        f = "exclusion.alcohol_drug_problem_guide"
        if (v := self.one(f)) is not None:
            split = g.alcohol_drug(v)
            if split is None:
                self.judgement([f], v, exclusion=True)
            else:
                self.rule([f], "not for someone with " + split.read.text, split.read.when, exclusion=True)
                if split.rest:
                    self.judgement([f], split.rest, exclusion=True)

    def order_and_history(self) -> None:
        for f in ("exclusion.remaining_license_community_order_guide", "exclusion.min_remaining_sentence_duration_guide"):
            if (v := self.one(f)) is None:
                continue
            read = g.time_left(v)
            if read is None:
                self.judgement([f], v)
            else:
                self.rule([f], read.text, read.when, published=v)
        f = "exclusion.not_allowed_if_eligible_for_another_intervention"
        if (v := self.one(f)) is not None:
            if g.PERMISSIVE.fullmatch(" ".join(v.lower().split())):
                self.free(f)
                self.notes.append(" ".join(v.split()))
            else:
                self.judgement([f], v)
        f = "enabling_intervention.qualifying_previous_intervention"
        if (v := self.one(f)) is not None:
            progs = g.programme_list(v, self.by_name)
            if g.PERMISSIVE.fullmatch(" ".join(v.lower().split())):
                self.free(f)
                self.notes.append(" ".join(v.split()))
            elif progs is None:
                self.judgement([f], v)
            else:
                self.rule([f], "for someone who has completed " + " or ".join(progs.names),
                          g._any([{"field": "history.completed_programmes", "contains": i} for i in progs.ids]), published=v)
        # same-type rule and its override: HMPPS allows an exception, which no case data records, so
        # both go to a person together (a hard exclusion would drop the exception)
        st, sf = "exclusion.same_type_rule_guide", "exclusion.schedule_frequency_guide"
        same, override = self.one(st), self.one(sf)
        if same is not None or override is not None:
            words = "; ".join(" ".join(str(x).split()) for x in (same, override) if x is not None)
            self.judgement([f for f, x in ((st, same), (sf, override)) if x is not None], words, exclusion=True)

    # the catalog entry

    def entry(self) -> dict[str, Any]:
        cat = self.data.get("intervention_catalogue") or {}
        int_type = cat.get("int_type")
        if int_type not in KINDS:
            raise FindAndReferError([Problem(f"{self.stem}.json", None, "intervention_catalogue.int_type",
                                             f"an intervention type the importer does not know: {int_type!r}; known: {', '.join(KINDS)}")])
        kind = KINDS[int_type]
        settings = set(self.data.get("delivery_method_settings") or [])
        requires = "accredited_programme" if kind == "accredited_programme" else ("rar" if "COMMUNITY" in settings else "none")
        not_given = ["price", "hours", "weeks", "waiting_weeks", "capacity"]
        if requires == "rar":
            not_given.insert(1, "rar_days")
        fmt = " ".join(str((self.data.get("delivery_method") or {}).get("format") or "").lower().split())
        mode = FORMATS.get(fmt)
        if fmt and mode is None:
            raise FindAndReferError([Problem(f"{self.stem}.json", None, "delivery_method.format",
                                             f"a delivery format the importer does not know: {fmt!r}")])
        if mode is None:
            not_given.append("delivery")
        sessions = _sessions(cat.get("session_detail") or "")
        if sessions is None:
            not_given.append("sessions")
        needs = self.sections
        if not needs:
            not_given.append("needs")
        women = (self.data.get("personal_eligibility") or {}).get("males") is False
        entry: dict[str, Any] = {
            "id": self.iid,
            "name": " ".join(str(cat.get("name") or self.stem).split()),
            "provider": "crs_providers" if kind == "commissioned_rehabilitative_service" else "hmpps",
            "area": AREA,
            "kind": kind,
            "needs": needs,
            "delivery": {"mode": mode, "women_only": women} if mode else {"women_only": women},
            "where": {"towns": [], "assumed": True},
        }
        if sessions is not None:
            entry["sessions"] = sessions
        entry["requires"] = requires
        entry["status"] = {"state": "open"}
        if kind == "accredited_programme":
            entry["evidence"] = {"level": "accredited", "summary": "Listed by HMPPS as an accredited programme (type AcP); the catalogue gives no evaluation summary."}
        else:
            not_given.append("evidence")
        entry["work"] = self.work(int_type)
        entry["content"] = self.content(cat)
        assumptions = [
            "Listed for referral in HMPPS's published catalogue (snapshot of June 2026); whether it runs near the person, "
            "and the wait, are not given.",
        ]
        if requires == "rar":
            assumptions.append("The catalogue does not say which requirement it is delivered under; in the community it is "
                               "taken as rehabilitation activity (RAR, or licence work), the way HMPPS refers to such work.")
        entry["assumptions"] = assumptions
        entry["source"] = (f"HMPPS Find and refer an intervention, {self.stem}.json (uuid {self.data.get('uuid')}); "
                           "MIT licence, Crown copyright.")
        entry["not_given"] = [f for f in ("price", "rar_days", "sessions", "hours", "weeks", "waiting_weeks", "capacity",
                                          "evidence", "delivery", "needs") if f in not_given]
        return entry

    def work(self, int_type: str) -> dict[str, Any]:
        """What the work is (HMPPS's type) and the offending it works on (our reading of the published
        offence types, or failing those the risk measures named): see docs/find-and-refer.md."""
        kind = WORK_KINDS[int_type]
        work: dict[str, Any] = {"kind": kind, "targets": []}
        basis: dict[str, str] = {"kind": "hmpps", "targets": "hmpps"}
        if kind != "support_service":
            types = [" ".join(str(e.get("offence_type_id")).lower().split())
                     for e in self.data.get("eligibility_offence") or [] if has_value(e.get("offence_type_id"))]
            found: set[str] = set()
            if types:
                for t in types:
                    found.update(OFFENCE_TARGETS.get(t, ("general_offending",)))
            else:
                risk = self.data.get("risk_consideration") or {}
                for k, targets in MEASURE_TARGETS.items():
                    if has_value(risk.get(k)):
                        found.update(targets)
                if not found:
                    found.add("general_offending")
            if SUBSTANCE_NEEDS & set(self.data.get("criminogenic_needs") or []):
                found.add("substance")
            work["targets"] = [t for t in TARGET_ORDER if t in found]
            basis["targets"] = "assumption"
        ld = self.one("special_educational_needs.learning_disability_catered_for")
        if ld is not None and (read := LEARNING_DISABILITY.get(" ".join(str(ld).lower().split()))) is not None:
            work["learning_disability"] = read
            basis["learning_disability"] = "hmpps"
        work["basis"] = basis
        return work

    def content(self, cat: dict[str, Any]) -> str:
        parts = [" ".join(str(cat.get("short_description") or "").split())]
        for p in cat.get("long_description") or []:
            p = " ".join(str(p).split())
            if p and p not in parts:
                parts.append(p)
        if has_value(cat.get("session_detail")):
            parts.append("Sessions: " + " ".join(str(cat["session_detail"]).split()))
        attendance = (self.data.get("delivery_method") or {}).get("attendance_type")
        if has_value(attendance):
            parts.append("Attendance: " + " ".join(str(attendance).split()))
        outcomes = [" ".join(str(x).split()) for x in self.data.get("possible_outcomes") or [] if has_value(x)]
        if outcomes:
            parts.append("Outcomes: " + " ".join(outcomes))
        parts.extend(self.notes)
        return "\n\n".join(p for p in parts if p)


def _sessions(detail: str) -> int | None:
    """'5 x one-to-one sessions and 25 x group sessions' is 30; anything less plain is not given."""
    t = " ".join(detail.lower().split())
    parts = re.split(r" and |\s(?=\d+ x )", t)
    counts = [re.fullmatch(r"(\d+) x (?:pre-group|one-to-one|group)(?: session| sessions)", p.strip()) for p in parts if p.strip()]
    if not counts or not all(counts):
        return None
    return sum(int(m[1]) for m in counts if m)


def _programme_names(files: dict[str, tuple[dict[str, Any], dict[str, list[Any]]]]) -> dict[str, tuple[str, ...]]:
    """Programme name (lower case), its family before ':' and the initials its description gives
    (BNM+, NMS), each to the ids of the files that bear it."""
    out: dict[str, list[str]] = {}
    for stem, (data, _) in files.items():
        cat = data.get("intervention_catalogue") or {}
        name = str(cat.get("name") or "").strip()
        iid = intervention_id(stem)
        keys = {name.lower(), name.split(":")[0].strip().lower()}
        if m := re.match(r"^(.*?) \(([A-Za-z+]+)\)", str(cat.get("short_description") or "")):
            keys |= {m[1].strip().lower(), m[2].lower()}
        for k in keys:
            out.setdefault(k, []).append(iid)
    return {k: tuple(sorted(v)) for k, v in out.items()}


# ---- the whole catalogue ------------------------------------------------------------------------------


@dataclass
class Imported:
    """Every file converted, with the derived facts its rules need and the field table."""

    files: list[Converted]
    totals: list[g.ItemTotal]
    table: list[tuple[str, int, Counter[str]]]  # field, files with a value, dispositions counted per file


def convert(folder: Path) -> Imported:
    files = read_files(folder)
    by_name = _programme_names(files)
    out: list[Converted] = []
    totals: dict[str, g.ItemTotal] = {}
    problems: list[Problem] = []
    for stem, (data, leaves) in files.items():
        f = _File(stem, data, leaves, by_name)
        conv = f.convert()
        for t in f.totals:
            totals[t.derived_id] = t
        # every field with a value must have become something: a rule, a judgement, no restriction
        # (an explicit "Any"), or the entry's description
        for name in FIELDS:
            key = name.split("[]")[0] if name.endswith("[]") else name
            if any(has_value(v) for v in leaves[name]) and not conv.used.get(key):
                problems.append(Problem(f"{stem}.json", None, name, "has a value the importer did not turn into a rule, "
                                        "a judgement or a description; this is a bug in the importer"))
        out.append(conv)
    if problems:
        raise FindAndReferError(problems)
    table = []
    for name in FIELDS:
        with_value = [c for c in out if any(has_value(v) for v in files[c.stem][1][name])]
        counts: Counter[str] = Counter()
        for c in with_value:
            for how in c.used.get(name, ()):
                counts[how] += 1
        table.append((name, len(with_value), counts))
    return Imported(out, sorted(totals.values(), key=lambda t: t.derived_id), table)


def table_text(imported: Imported) -> str:
    """The field table: for each source field, in how many files it has a value and what it became
    (a file counts once per outcome; a field can feed a rule and a judgement in the same file)."""
    head = ("field", "with a value", "rule", "judgement", "no restriction", "description")
    rows = [head] + [(name, str(n), *(str(c.get(h, 0)) for h in DISPOSITIONS)) for name, n, c in imported.table]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [" | ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)) for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    n_rules = sum(1 for c in imported.files for r in c.criteria + c.exclusions if not r.get("judgement"))
    n_judged = sum(1 for c in imported.files for r in c.criteria + c.exclusions if r.get("judgement"))
    lines.append(f"{len(imported.files)} interventions: {n_rules} rules, {n_judged} criteria needing a person's judgement")
    return "\n".join(lines) + "\n"


# ---- writing the catalog ------------------------------------------------------------------------------

HEADER = ("# Generated by `ratecard import find-and-refer` from HMPPS's published catalogue ({what}; MIT licence,\n"
          "# Crown copyright). Do not edit: change ratecard/importers/ and run the import again.\n")


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, s: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None)


_Dumper.add_representer(str, _str)


def _dump(data: Any, what: str) -> str:
    return HEADER.format(what=what) + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def derived_facts(totals: list[g.ItemTotal]) -> list[dict[str, Any]]:
    """The derived facts the converted rules read: the shipped catalog's facts about the person (not
    the 2017 CRC's tier or the NPS/CRC split, which no longer exist), the setting, and item totals."""
    from ..catalog.load import _resolve, default_catalog_path
    from ..inputs.yamlio import load_file

    _, rules_dir = _resolve(default_catalog_path())
    shipped = load_file(rules_dir / "derived.yaml").data["derived"]
    keep = [d for d in shipped if d["id"] not in ("allocation", "tier")]
    setting = {
        "id": "setting",
        "text": ("Where the work would be done: in custody (prison) or in the community. sentence.setting says; when it is "
                 "not given, any sentence type a case can give (a community order, a suspended sentence order, licence or "
                 "post-sentence supervision) is served in the community."),
        "values": ["custody", "community"],
        "basis": "hmpps",
        "cases": [
            {"value": "custody", "when": {"all": [{"field": "sentence.setting", "present": True},
                                                   {"field": "sentence.setting", "eq": "custody"}]}},
            {"value": "community", "when": {"any": [{"field": "sentence.setting", "eq": "community"},
                                                     {"field": "sentence.type", "present": True}]}},
        ],
        "otherwise": "community",
    }
    sums = [{"id": t.derived_id, "text": f"The total of the OASys item scores {', '.join(t.items)} (each 0 to 2).",
             "type": "number", "basis": "hmpps", "sum": [g.item_field(i) for i in t.items]} for t in totals]
    return keep + [setting] + sums


def write(imported: Imported, out: Path) -> list[Path]:
    """Write the catalog under `out` (catalog/ and rules/, beside any rules/tests/ kept there).
    Refuses to leave behind a YAML file in catalog/ or rules/interventions/ that it did not write."""
    planned: dict[Path, str] = {}
    cat_dir, rules_dir = out / "catalog", out / "rules"
    planned[cat_dir / "catalog.yaml"] = _dump({
        "name": "HMPPS Find and refer an intervention (national catalogue)",
        "edition": SNAPSHOT,
        "as_of": f"{SNAPSHOT}-01",
        "illustrative_note": ("No figure here is illustrative, and none is invented: HMPPS's catalogue gives no prices, RAR "
                              "days, lengths, waiting times, places or venues, so none is shown: where one would be, "
                              "the entry says it is not given."),
        "areas": [{"id": AREA, "name": "England and Wales", "national": True}],
    }, "catalog")
    planned[cat_dir / "providers.yaml"] = _dump({"providers": [
        {"id": "hmpps", "name": "HM Prison and Probation Service", "kind": "hmpps",
         "description": "The Probation Service in the community and prisons in custody deliver the accredited programmes, "
                        "structured interventions and toolkits.", "areas": [AREA]},
        {"id": "crs_providers", "name": "Commissioned rehabilitative services providers", "kind": "commissioned",
         "description": "Providers HMPPS contracts region by region for commissioned rehabilitative services; the catalogue "
                        "does not name them.", "areas": [AREA]},
    ]}, "providers")
    planned[rules_dir / "derived.yaml"] = _dump({"derived": derived_facts(imported.totals)}, "derived facts")
    for c in imported.files:
        what = f"{c.stem}.json"
        planned[cat_dir / "interventions" / f"{c.iid}.yaml"] = _dump({"interventions": [c.entry]}, what)
        body: dict[str, Any] = {"criteria": c.criteria}
        if c.exclusions:
            body["exclusions"] = c.exclusions
        planned[rules_dir / "interventions" / f"{c.iid}.yaml"] = _dump({"interventions": {c.iid: body}}, what)
    planned[out / "fields.txt"] = table_text(imported)
    stale = sorted(p for d in (cat_dir, cat_dir / "interventions", rules_dir / "interventions") if d.is_dir()
                   for p in d.iterdir() if p.suffix in (".yaml", ".yml") and p not in planned)
    if stale:
        raise FindAndReferError([Problem(str(p), None, "", "not written by this import, and the catalog would load it too; "
                                         "remove it, or import into an empty folder") for p in stale])
    for p, text in planned.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_text(encoding="utf-8") != text:
            p.write_text(text, encoding="utf-8")
    return sorted(planned)


def run(source: Path, out: Path) -> tuple[Imported, str]:
    """Convert, write and validate (load the written catalog, compile its rules). Returns the import
    and the field table."""
    from ..catalog.load import load_catalog

    imported = convert(source)
    write(imported, out)
    load_catalog(out)
    return imported, table_text(imported)
