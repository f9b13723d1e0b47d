"""The court form: its fields, read from the Case model's JSON Schema, and the way back from what a
person typed to a case.

The fields come from the model, not from a copy of it, so a field added to the case appears on
the form. Every field is optional and "Not known" is the default: a blank or "Not known" answer
leaves the field out of the case (absent, never false or zero). A value that cannot be read (a
score written as words, a date that does not exist) is an error on that field; a value that can
be read but is impossible is the case model's own error, with the same message as the CLI.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from ..case.model import RECORDS, UNSCORED_SECTIONS, Case
from ..catalog.load import Catalog
from ..inputs.numbers import NumberTextError, parse_number
from .labels import FIELD_HINTS, SECTION_TITLES, field_label, need as need_label, value_label

Kind = Literal["choice", "radios", "flag", "number", "integer", "date", "multi", "idlist", "text"]
NOT_KNOWN = ""  # the value of every "Not known" option


@dataclass(frozen=True)
class FormField:
    path: str  # dotted path in the case, e.g. "risk.ogrs3_2yr"; also the form control's name
    label: str
    kind: Kind
    hint: str | None = None
    options: tuple[tuple[str, str], ...] = ()  # (value, label), "Not known" not included
    minimum: float | None = None
    maximum: float | None = None
    context: str = ""  # what the label belongs to, for messages read away from the form (a need section)

    @property
    def full_label(self) -> str:
        """The label as an error summary shows it: 'Family and relationships: section score'."""
        return f"{self.context}: {self.label[0].lower()}{self.label[1:]}" if self.context else self.label

    @property
    def base_id(self) -> str:
        """The stem of the field's HTML ids (its hint is base_id-hint, its error base_id-error)."""
        return self.path.replace(".", "-")

    @property
    def id(self) -> str:
        """The HTML id of the control an error links to (a date's day box, a list's first box)."""
        return self.base_id + "-day" if self.kind == "date" else self.base_id


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: tuple[FormField, ...]
    groups: tuple[tuple[str, tuple[FormField, ...]], ...] = ()  # needs: one fieldset per OASys section


@dataclass
class Submitted:
    """The form as posted: the raw text of every control, and the errors found reading it."""

    values: dict[str, Any] = field(default_factory=dict)  # name -> str, or list[str] for checkboxes
    errors: dict[str, str] = field(default_factory=dict)  # field path -> message


def _unwrap(prop: dict[str, Any]) -> dict[str, Any]:
    # "x | None" comes out of pydantic as anyOf [x, null]
    alts: list[dict[str, Any]] = prop.get("anyOf", [prop])
    for alt in alts:
        if alt.get("type") != "null":
            return alt
    return prop


def _field(path: str, prop: dict[str, Any], label: str, catalog: Catalog, context: str = "") -> FormField | None:
    p = _unwrap(prop)
    hint = FIELD_HINTS.get(path) or FIELD_HINTS.get("needs." + path.rsplit(".", 1)[-1] if context else "")
    kind = p.get("type")
    if "enum" in p:
        opts = tuple((str(v), value_label(path, v)) for v in p["enum"])
        return FormField(path, label, "radios" if len(opts) <= 3 else "choice", hint, opts, context=context)
    if kind == "boolean":
        return FormField(path, label, "flag", hint, (("true", "Yes"), ("false", "No")), context=context)
    if kind in ("number", "integer"):
        return FormField(path, label, "integer" if kind == "integer" else "number", hint,
                         minimum=p.get("minimum"), maximum=p.get("maximum"), context=context)
    if kind == "string" and p.get("format") == "date":
        return FormField(path, label, "date", hint)
    if kind == "array" and "enum" in p.get("items", {}):
        opts = tuple((str(v), value_label(path, v)) for v in p["items"]["enum"])
        return FormField(path, label, "multi", hint, opts)
    if kind == "array":
        return FormField(path, label, "idlist", hint)
    if path == "person.home_town":
        towns = sorted((t, a) for a in catalog.info.areas for t in a.towns)
        return FormField(path, label, "choice", hint, tuple((t, value_label(path, t)) for t, _ in towns))
    if path == "person.area":
        return FormField(path, label, "choice", hint, tuple((a.id, a.name) for a in catalog.info.areas))
    if kind == "string":
        return FormField(path, label, "text", hint)
    return None


@lru_cache(maxsize=8)
def _schema() -> dict[str, Any]:
    return Case.model_json_schema()


_BUILT: dict[str, tuple[Section, ...]] = {}  # catalog version -> sections (towns and areas come from it)


def sections(catalog: Catalog) -> tuple[Section, ...]:
    """The form's sections in the order of the case model, built once per catalog version."""
    built = _BUILT.get(catalog.version)
    if built is None:
        built = _BUILT[catalog.version] = _build(catalog)
    return built


def _build(catalog: Catalog) -> tuple[Section, ...]:
    schema = _schema()
    defs = schema.get("$defs", {})

    def resolve(prop: dict[str, Any]) -> dict[str, Any] | None:
        p = _unwrap(prop)
        ref_ = p.get("$ref")
        return defs[ref_.rsplit("/", 1)[-1]] if ref_ else None

    out: list[Section] = []
    loose: list[FormField] = []  # top-level plain fields (motivation), shown in their own section
    for key, prop in schema["properties"].items():
        if key == "id" or key in RECORDS:
            continue
        sub = resolve(prop)
        if sub is None:
            f = _field(key, prop, field_label(key, prop.get("description")), catalog)
            if f is not None:
                loose.append(f)
            continue
        if key == "needs":
            groups = []
            for section, sprop in sub["properties"].items():
                need = resolve(sprop)
                if need is None:
                    continue
                fs = []
                for name, nprop in need["properties"].items():
                    # scored sections take a score, unscored ones (finance, emotional wellbeing) 'identified'
                    unscored = section in UNSCORED_SECTIONS
                    if (name == "score" and unscored) or (name == "identified" and not unscored):
                        continue
                    path = f"needs.{section}.{name}"
                    f = _field(path, nprop, field_label(path, nprop.get("description")), catalog,
                               context=need_label(section))
                    if f is not None:
                        fs.append(f)
                groups.append((need_label(section), tuple(fs)))
            out.append(Section(key, SECTION_TITLES.get(key, key), (), tuple(groups)))
            continue
        fs = []
        for name, fprop in sub["properties"].items():
            path = f"{key}.{name}"
            f = _field(path, fprop, field_label(path, fprop.get("description")), catalog)
            if f is not None:
                fs.append(f)
        out.append(Section(key, SECTION_TITLES.get(key, key), tuple(fs)))
    if loose:
        # motivation sits with the other facts about the person's readiness, before the sentence
        at = next((i for i, s in enumerate(out) if s.key == "sentence"), len(out))
        out.insert(at, Section("motivation", SECTION_TITLES.get("motivation", "Motivation"), tuple(loose)))
    return tuple(out)


def all_fields(catalog: Catalog) -> list[FormField]:
    return [f for s in sections(catalog) for f in (*s.fields, *(f for _, g in s.groups for f in g))]


# ---- reading what was typed ---------------------------------------------------------------------

def _number(text: str, f: FormField) -> tuple[Any, str | None]:
    # the one reader of typed numbers (a decimal comma is read, `1,000` is asked about, never dropped)
    whole = "a whole number" if f.kind == "integer" else "a number"
    span = f" from {f.minimum:g} to {f.maximum:g}" if f.minimum is not None and f.maximum is not None else ""
    try:
        return parse_number(text, whole=f.kind == "integer"), None
    except NumberTextError as e:
        if "comma" in str(e):
            return None, f"{f.full_label} {e}"
        return None, f"{f.full_label} must be {whole}{span}"  # what was typed is on the form beside it


def _date(raw: Mapping[str, Any], f: FormField) -> tuple[str | None, str | None]:
    parts = [str(raw.get(f"{f.path}-{p}", "")).strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None, None
    name = f.full_label
    if not all(parts):
        missing = [p for p, v in zip(("day", "month", "year"), parts) if not v]
        return None, f"{name} must include a {' and a '.join(missing)}"
    if not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        return None, f"{name} must be a real date, like 14 5 1980 (the year in four figures)"
    try:
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0])).isoformat(), None
    except ValueError:
        return None, f"{name} must be a real date"


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    *heads, last = path.split(".")
    for h in heads:
        tree = tree.setdefault(h, {})
    tree[last] = value


def read_form(raw: Mapping[str, Any], catalog: Catalog) -> tuple[dict[str, Any], Submitted]:
    """The case (a plain dict, as other systems send it) from a posted form, and what could not be read.

    `raw` maps control names to a string, or to a list of strings for checkboxes.
    """
    sub = Submitted(values={k: v for k, v in raw.items()})
    case: dict[str, Any] = {"id": str(raw.get("id", "")).strip() or "court-form"}
    for f in all_fields(catalog):
        if f.kind == "date":
            value, err = _date(raw, f)
        else:
            given = raw.get(f.path, [] if f.kind == "multi" else "")
            value, err = _value(given, f)
        if err:
            sub.errors[f.path] = err
        elif value is not None:
            _set(case, f.path, value)
    return case, sub


def _value(given: Any, f: FormField) -> tuple[Any, str | None]:
    if f.kind == "multi":
        chosen = given if isinstance(given, list) else [given]
        known = {v for v, _ in f.options}
        picked = [v for v in chosen if v in known]
        # nothing ticked is "not known", never "none of them"
        return (picked or None), None
    text = given[-1] if isinstance(given, list) and given else given
    text = str(text or "").strip()
    if text == NOT_KNOWN:
        return None, None
    if f.kind in ("number", "integer"):
        return _number(text, f)
    if f.kind == "flag":
        if text not in ("true", "false"):
            return None, f"{f.full_label}: choose yes, no or not known"
        return text == "true", None
    if f.kind in ("choice", "radios"):
        for v, _ in f.options:
            if v == text:
                return _typed(v, f), None
        return None, f"{f.full_label}: choose one of the listed answers"
    if f.kind == "idlist":
        if text.lower() in ("none", "no", "-"):
            return [], None
        return [p.strip().lower().replace(" ", "_") for p in re.split(r"[,;\n]", text) if p.strip()], None
    return text, None


def _typed(value: str, f: FormField) -> Any:
    # enum values come back as text; MAPPA levels are numbers in the model
    return int(value) if value.isdigit() else value


# ---- from a case back to the form (uploaded files, "change the answers") -------------------------


def case_to_form(case: Case, catalog: Catalog) -> dict[str, Any]:
    """The form values that describe `case` (for the fields the form has)."""
    data = case.model_dump(mode="json", exclude_none=True)
    out: dict[str, Any] = {"id": case.id}
    for f in all_fields(catalog):
        v: Any = data
        for part in f.path.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        if v is None:
            continue
        if f.kind == "date":
            d = dt.date.fromisoformat(v)
            out.update({f"{f.path}-day": str(d.day), f"{f.path}-month": str(d.month), f"{f.path}-year": str(d.year)})
        elif f.kind == "multi":
            out[f.path] = [str(x) for x in v]
        elif f.kind == "idlist":
            out[f.path] = ", ".join(v) if v else "none"
        elif f.kind == "flag":
            out[f.path] = "true" if v else "false"
        else:
            out[f.path] = f"{v:g}" if isinstance(v, float) else str(v)
    return out
