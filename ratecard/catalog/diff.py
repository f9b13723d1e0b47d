"""What changed between two catalogs: provision added, removed, withdrawn or suspended (or back),
eligibility criteria changed, waiting times changed, other details changed.

Statuses have dates, so over a period (from the old catalog's date to the briefing's) a course can
be withdrawn or reopened with no edit to the catalog at all: those changes are reported too, each
with the date it took effect.

Criteria are compared as condition trees, not as text, so a changed threshold is caught even when
the author forgot to update the rule's sentence; the wording of both versions is generated from
the trees (see rules/wording.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .load import Catalog, Intervention
from ..rules.conditions import fields_of
from ..rules.loader import Rule
from ..rules.wording import derived_precise, rule_precise


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Named(_Out):
    id: str
    name: str


class StatusChange(_Out):
    id: str
    name: str
    old_state: str
    new_state: str
    since: str | None  # the date the new status took effect, when it has one
    reason: str | None


class WaitChange(_Out):
    id: str
    name: str
    old_weeks: int  # 0 = no waiting list
    new_weeks: int


class RuleChange(_Out):
    rule: str
    change: Literal["added", "removed", "changed"]
    kind: Literal["criterion", "exclusion"]
    old_text: str | None = None
    old_precise: str | None = None
    new_text: str | None = None
    new_precise: str | None = None


class CriteriaChange(_Out):
    id: str
    name: str
    rules: tuple[RuleChange, ...]
    # derived facts the rules rely on whose definition changed (the rules themselves may not)
    terms: tuple[str, ...] = ()


class DetailChange(_Out):
    id: str
    name: str
    fields: tuple[str, ...]


class TermChange(_Out):
    id: str
    change: Literal["added", "removed", "changed"]
    old_precise: str | None = None
    new_precise: str | None = None


class CatalogDiff(_Out):
    old_version: str
    new_version: str
    old_edition: str
    new_edition: str
    area: str | None
    # the period compared, when statuses were taken on dates (None: as each catalog declares them)
    old_on: dt.date | None = None
    new_on: dt.date | None = None
    added: tuple[Named, ...] = ()
    removed: tuple[Named, ...] = ()
    status: tuple[StatusChange, ...] = ()
    waiting: tuple[WaitChange, ...] = ()
    criteria: tuple[CriteriaChange, ...] = ()
    details: tuple[DetailChange, ...] = ()
    terms: tuple[TermChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.status or self.waiting or self.criteria or self.details or self.terms)


_UNAVAILABLE = ("suspended", "withdrawn")
_NOT_DETAILS = {"id", "status"}


def _rule_key(r: Rule) -> tuple[object, ...]:
    return (r.kind, r.text, r.when, r.judgement, r.applies, r.by)


def _wait(iv: Intervention) -> int:
    return iv.status.waiting_weeks or 0


def _uses(rules: tuple[Rule, ...], cat: Catalog) -> set[str]:
    """Derived facts a set of rules relies on, directly or through other derived facts."""
    seen: set[str] = set()
    todo = [f for r in rules for f in r.fields]
    while todo:
        f = todo.pop()
        if f in seen or f not in cat.rules.derived:
            continue
        seen.add(f)
        todo.extend(cat.rules.derived[f].uses())
    return seen


def _status_changes(a: Intervention, b: Intervention, old_on: dt.date | None, new_on: dt.date | None) -> list[StatusChange]:
    """Changes of status between `a` (old) and `b` (new): as declared, or over the period
    old_on..new_on, each change that took effect in it with its date."""
    def change(frm: str, to: str, since: dt.date | None, reason: str | None) -> StatusChange:
        return StatusChange(id=b.id, name=b.name, old_state=frm, new_state=to, since=str(since) if since else None, reason=reason)

    if old_on is None or new_on is None:
        became = a.status.state != b.status.state and (a.status.state in _UNAVAILABLE or b.status.state in _UNAVAILABLE)
        # still withdrawn or suspended, but with a new date or reason, is news too
        restated = a.status.state in _UNAVAILABLE and a.status != b.status
        return [change(a.status.state, b.status.state, b.status.since, b.status.reason)] if became or restated else []
    dated = [change(frm, to, day, why) for day, frm, to, why in b.status.changes()
             if old_on < day <= new_on and (frm in _UNAVAILABLE or to in _UNAVAILABLE)]
    if dated:
        return dated
    was, now = a.status_on(old_on), b.status_on(new_on)
    became = was.state != now.state and (was.state in _UNAVAILABLE or now.state in _UNAVAILABLE)
    restated = was.state in _UNAVAILABLE and now.state in _UNAVAILABLE and (was.since, was.reason) != (now.since, now.reason)
    return [change(was.state, now.state, now.since, now.reason)] if became or restated else []


def diff_catalogs(old: Catalog, new: Catalog, area: str | None = None, *, old_on: dt.date | None = None,
                  new_on: dt.date | None = None) -> CatalogDiff:
    """Every difference between `old` and `new` that a sentencer would care about, limited to
    provision in `area` (in either catalog) when given. Lists are in id order, so the result is
    reproducible.

    With `old_on` and `new_on`, statuses are compared as they stand on those dates, and every
    dated change between them is listed (a briefing passes the old catalog's date and its own);
    `old` and `new` may then be the same catalog."""

    def in_area(iv: Intervention) -> bool:
        return area is None or iv.area == area

    old_ids = {k for k, v in old.interventions.items() if in_area(v)}
    new_ids = {k for k, v in new.interventions.items() if in_area(v)}
    # provision that moved into or out of the area counts as added or removed here
    added = [Named(id=i, name=new.interventions[i].name) for i in sorted(new_ids - old_ids)]
    removed = [Named(id=i, name=old.interventions[i].name) for i in sorted(old_ids - new_ids)]

    old_reg, new_reg = old.rules.registry, new.rules.registry
    changed_terms: dict[str, TermChange] = {}
    for d in sorted(set(old.rules.derived) | set(new.rules.derived)):
        was, now = old.rules.derived.get(d), new.rules.derived.get(d)
        if was is None and now is not None:
            changed_terms[d] = TermChange(id=d, change="added", new_precise=derived_precise(now, new_reg))
        elif now is None and was is not None:
            changed_terms[d] = TermChange(id=d, change="removed", old_precise=derived_precise(was, old_reg))
        elif was is not None and now is not None and (was.cases, was.otherwise, was.sum, was.values) != (now.cases, now.otherwise, now.sum, now.values):
            changed_terms[d] = TermChange(
                id=d, change="changed", old_precise=derived_precise(was, old_reg), new_precise=derived_precise(now, new_reg)
            )

    status: list[StatusChange] = []
    waiting: list[WaitChange] = []
    criteria: list[CriteriaChange] = []
    details: list[DetailChange] = []
    used_terms: set[str] = set()
    for i in sorted(old_ids & new_ids):
        a, b = old.interventions[i], new.interventions[i]
        changed = _status_changes(a, b, old_on, new_on)
        status.extend(changed)
        if not changed and _wait(a) != _wait(b):
            waiting.append(WaitChange(id=i, name=b.name, old_weeks=_wait(a), new_weeks=_wait(b)))

        ra = {r.id: r for r in old.rules.rules.get(i, ())}
        rb = {r.id: r for r in new.rules.rules.get(i, ())}
        rule_changes: list[RuleChange] = []
        for rid in sorted(set(ra) | set(rb)):
            x, y = ra.get(rid), rb.get(rid)
            if x is not None and y is not None and _rule_key(x) == _rule_key(y):
                continue
            rule_changes.append(
                RuleChange(
                    rule=rid,
                    change="added" if x is None else "removed" if y is None else "changed",
                    kind=(y or x).kind,  # type: ignore[union-attr]
                    old_text=x.text if x else None,
                    old_precise=rule_precise(x, old_reg) if x else None,
                    new_text=y.text if y else None,
                    new_precise=rule_precise(y, new_reg) if y else None,
                )
            )
        terms = sorted((_uses(tuple(ra.values()), old) | _uses(tuple(rb.values()), new)) & set(changed_terms))
        used_terms.update(terms)
        if rule_changes or terms:
            criteria.append(CriteriaChange(id=i, name=b.name, rules=rule_changes, terms=terms))

        da, db = a.model_dump(mode="json"), b.model_dump(mode="json")
        fields = sorted(k for k in da if k not in _NOT_DETAILS and da[k] != db[k])
        if fields:
            details.append(DetailChange(id=i, name=b.name, fields=fields))

    # with an area, only the definitions that matter to its provision are news
    terms_out = [t for d, t in changed_terms.items() if area is None or d in used_terms]
    return CatalogDiff(
        old_version=old.version,
        new_version=new.version,
        old_edition=old.info.edition,
        new_edition=new.info.edition,
        area=area,
        old_on=old_on,
        new_on=new_on,
        added=added,
        removed=removed,
        status=status,
        waiting=waiting,
        criteria=criteria,
        details=details,
        terms=terms_out,
    )
