"""Plain-English wording of condition trees, for people who never read a rule file.

The wording is generated from the very trees the screen runs, so a briefing can never say one
thing while the engine does another: change a threshold in the rules and the sentence changes.
Field names come from the registry's labels; `between` / `in` / `not_in` are worded as the
author wrote them (the `sugar` kept on All / Any_).
"""

from __future__ import annotations

import re
from typing import Any

from .conditions import All, Any_, Cmp, Cond, Not, Present
from .fields import FieldType
from .loader import Derived, Rule

_NUMBER_OPS = {
    "eq": "is {v}",
    "ne": "is not {v}",
    "lt": "is below {v}",
    "lte": "is {v} or less",
    "gt": "is above {v}",
    "gte": "is {v} or more",
}
# The negation of each comparison in three-valued logic: an absent field stays unknown either way,
# so "not (x < 5)" is exactly "x >= 5".
_NEGATED = {"eq": "ne", "ne": "eq", "lt": "gte", "gte": "lt", "lte": "gt", "gt": "lte"}


def label(field: str, registry: dict[str, FieldType]) -> str:
    """A short name for a field. Derived facts carry a long `text` as their label, too long to
    repeat inside a sentence, so they are named by their id and explained in a glossary."""
    ft = registry.get(field)
    if ft is None or ft.source == "derived" or not ft.label:
        return field.replace("_", " ")
    # a parenthesised note such as "(from date of birth)" explains the field but clutters a
    # sentence; a bare acronym such as "(RoSH)" is kept because people know the measure by it
    lab = re.sub(r" \([^)]* [^)]*\)", "", ft.label)
    return lab[len("whether "):] if lab.startswith("whether ") else lab


def value_text(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).replace("_", " ")


def _either(values: tuple[Any, ...], joiner: str) -> str:
    words = [value_text(v) for v in values]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {joiner} " + words[-1]


def _is_flag(field: str, registry: dict[str, FieldType]) -> bool:
    ft = registry.get(field)
    return ft is not None and ft.kind == "flag"


def _cmp(c: Cmp, registry: dict[str, FieldType], negate: bool = False) -> str:
    name = label(c.field, registry)
    if c.op == "contains":
        return f"{name} {'do not include' if negate else 'include'} {value_text(c.value)}"
    op = _NEGATED[c.op] if negate else c.op
    if _is_flag(c.field, registry) and op in ("eq", "ne"):
        # a flag has two values, so "not yes" is "no" (absent stays unknown either way)
        truth = c.value if op == "eq" else not c.value
        return f"{name}: {'yes' if truth else 'no'}"
    return f"{name} " + _NUMBER_OPS[op].format(v=value_text(c.value))


def _sugar(s: tuple[str, str, tuple[Any, ...]], registry: dict[str, FieldType], negate: bool) -> str:
    kind, field, values = s
    name = label(field, registry)
    if kind == "between":
        lo, hi = (value_text(v) for v in values)
        return f"{name} is {'not ' if negate else ''}from {lo} to {hi} (both included)"
    if (kind == "in") != negate:
        return f"{name} is {_either(values, 'or')}"
    if len(values) == 1:
        return f"{name} is not {value_text(values[0])}"
    return f"{name} is neither {_either(values, 'nor')}"


def phrase(c: Cond, registry: dict[str, FieldType], negate: bool = False) -> str:
    """The condition as a phrase (no capital, no full stop)."""
    if isinstance(c, Cmp):
        return _cmp(c, registry, negate)
    if isinstance(c, Present):
        known = c.present != negate
        return f"{label(c.field, registry)} is {'known' if known else 'not known'}"
    if isinstance(c, Not):
        return phrase(c.part, registry, not negate)
    if c.sugar is not None:
        return _sugar(c.sugar, registry, negate)
    parts = [_nested(p, registry) for p in c.parts]
    if len(parts) == 1:
        body = parts[0]
    else:
        joiner = " and " if isinstance(c, All) else " or "
        body = joiner.join(parts)
    if negate:
        lead = "not all of these: " if isinstance(c, All) else "none of these: "
        return lead + body
    return body


def _nested(c: Cond, registry: dict[str, FieldType]) -> str:
    text = phrase(c, registry)
    # a list of values ("medium, high or very high") inside an "or" would blur where each part ends
    compound = isinstance(c, (All, Any_)) and len(c.parts) > 1 and (c.sugar is None or c.sugar[0] != "between")
    return f"({text})" if compound else text


def sentence(c: Cond, registry: dict[str, FieldType]) -> str:
    """The condition as a sentence, e.g. "OGRS3 two-year score is 50 or more."."""
    text = phrase(c, registry)
    i = next((k for k, ch in enumerate(text) if ch.isalpha()), 0)
    return text[:i] + text[i:i + 1].upper() + text[i + 1:] + "."


def rule_precise(rule: Rule, registry: dict[str, FieldType]) -> str:
    """What must hold (criterion) or what rules the person out (exclusion), worded from the tree."""
    if rule.judgement:
        return judgement_precise(rule, registry)
    assert rule.when is not None  # the loader gives every rule but a judgement its condition
    if rule.kind == "criterion":
        return sentence(rule.when, registry)
    return "Ruled out when " + phrase(rule.when, registry) + "."


def judgement_precise(rule: Rule, registry: dict[str, FieldType] | None = None) -> str:
    """A judgement has no condition to word: it says who decides, from what published text, and
    when it needs deciding at all (its applies_when, worded from the tree)."""
    what = "must hold" if rule.kind == "criterion" else "rules the person out"
    out = f"Decided by a person ({rule.decider}), not by case data: whether this {what}, as published: {rule.text}"
    if rule.applies is not None:
        out += f" Only when {phrase(rule.applies, registry or {})}; otherwise it does not apply."
    return out


def applies_phrase(rule: Rule, registry: dict[str, FieldType]) -> str | None:
    """When a judgement needs deciding, in words (None: always)."""
    return None if rule.applies is None else phrase(rule.applies, registry)


def derived_precise(d: Derived, registry: dict[str, FieldType]) -> str:
    """How a derived fact is worked out, worded from its rules."""
    if d.sum:
        return "The sum of " + _either(tuple(label(t, registry) for t in d.sum), "and") + "."
    steps = [f"{value_text(v)} when {phrase(c, registry)}" for v, c in d.cases]
    steps.append(f"otherwise {value_text(d.otherwise)}")
    if len(d.cases) == 1:
        return steps[0][:1].upper() + steps[0][1:] + "; " + steps[1] + "."
    # with several cases the order matters: an earlier case wins
    return "The first that holds: " + "; ".join(steps) + "."


def _num(x: float) -> str:
    return value_text(int(x) if float(x).is_integer() else x)


def range_phrase(r: Any) -> str:
    """A range of numbers in words: "50 or more", "below 30", "from 30 to 59.99"."""
    lo, hi = r.lo, r.hi
    if lo is not None and hi is not None and lo == hi:
        return _num(lo)
    low = None if lo is None else (f"{_num(lo)} or more" if r.lo_closed else f"above {_num(lo)}")
    high = None if hi is None else (f"{_num(hi)} or less" if r.hi_closed else f"below {_num(hi)}")
    if low and high:
        return f"{low} and {high}"
    return low or high or "any value"


def answers_phrase(answers: list[Any], ft: FieldType) -> str:
    """Answers to one field in words, e.g. "medium or high", "50 or more" (ranges are trimmed to the
    field's own range, so "0 or more and below 50" reads "below 50")."""
    words = []
    for a in answers:
        if hasattr(a, "lo_closed"):
            lo = None if a.lo is not None and ft.lo is not None and a.lo <= ft.lo and a.lo_closed else a.lo
            hi = None if a.hi is not None and ft.hi is not None and a.hi >= ft.hi and a.hi_closed else a.hi
            words.append(range_phrase(type(a)(lo, a.lo_closed, hi, a.hi_closed)))
        elif isinstance(a, tuple):
            words.append(", ".join(value_text(x) for x in a) if a else "none")
        else:
            words.append(value_text(a))
    return _either(tuple(words), "or") if words else "none"
