"""Order length: whether each intervention can start and finish before the order ends, with the
margin; the shortest order, within the legal maximum, that lets a package or one piece of work fit.

A pre-sentence report proposes the order's length: when the case gives none, the proposal is made
for the longest lawful order and then for the shortest length that keeps the same package; a
missing length is never reported as an unmet need. Legal ranges (DOMAIN.md §2): a community order
lasts at most 3 years; a suspended sentence order's operational period is 6 months to 2 years."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from ...case.facts import add_months, case_facts, whole_months
from ...case.model import Case
from ...catalog.load import Catalog, per_catalog
from ...catalog.model import Intervention
from ...rules.forms import Range, relevant_pieces
from ...rules.reference import Knowledge, derive, outcome
from .result import Why

DEFAULT_MARGIN_WEEKS = 4
COMMUNITY_SENTENCES = frozenset({"community_order", "suspended_sentence_order"})
# the longest and shortest lawful order, in months; with no sentence type the proposal is for a
# community order or a suspended sentence order, so the range both allow
LEGAL_MAX: dict[str | None, int] = {"community_order": 36, "suspended_sentence_order": 24, None: 24}
LEGAL_MIN: dict[str | None, int] = {"community_order": 1, "suspended_sentence_order": 6, None: 6}
# a licence's length is the custodial sentence's, not the report's to propose: looked for up to this
LICENCE_HORIZON = 36
LENGTH_FIELDS = ("sentence.length_months", "months_left")
_SENTENCE = frozenset({"sentence.type", "sentence.length_months", "sentence.start", "months_left"})


@dataclass(frozen=True)
class Barrier:
    why: Why
    text: str
    fields: tuple[str, ...] = ()
    # "eligibility" or "indication": only missing information about the person stands in the way
    about: str = ""


def weeks(n: float) -> dt.timedelta:
    return dt.timedelta(days=round(7 * n))


def add(d: dt.date, delta: dt.timedelta) -> dt.date | None:
    """A date plus a delta, or None past the calendar's end (an order ending in year 9999)."""
    try:
        return d + delta
    except OverflowError:
        return None


def timing(iv: Intervention, window: tuple[dt.date, dt.date], margin: int, wait: int) -> list[Barrier]:
    """Whether it can start (ongoing services) or finish (everything else) `margin` weeks before the
    order ends. Time before place: a waiting list that outlasts the order cannot be solved by travelling."""
    begin, end = window
    latest = add(end, -weeks(margin)) or end
    if iv.weeks is None:
        # an ongoing service with no fixed length needs no requirement: the person takes part for
        # as long as the order lasts, so it only has to be able to start before the margin
        start = add(begin, weeks(wait))
        if start is None or start > latest:
            return [Barrier("waiting_list_too_long", f"Could start only on {start or 'a date past the calendar'}: a waiting list of {wait} weeks, "
                            f"but the order ends on {end} and it must start by {latest} ({margin} weeks' margin).")]
        return []
    finish = add(begin, weeks(wait + iv.weeks))
    if finish is None or finish > latest:
        alone = add(begin, weeks(iv.weeks))
        why: Why = "waiting_list_too_long" if wait and alone is not None and alone <= latest else "order_too_short"
        head = f"a waiting list of {wait} weeks and " if wait else ""
        return [Barrier(why, f"Would finish on {finish or 'a date past the calendar'}: {head}{iv.weeks} weeks to complete, "
                             f"but the order ends on {end} and it must finish by {latest} ({margin} weeks' margin).")]
    return []


def months_to_fit(start: dt.date, last_day: dt.date, margin: int) -> int:
    """The fewest whole months from `start` for an order that ends at least `margin` weeks after
    `last_day` (the day the last piece of work finishes, or starts for an ongoing service)."""
    need = last_day + weeks(margin)
    m = max(0, (need.year - start.year) * 12 + need.month - start.month - 1)
    while add_months(start, m) < need:
        m += 1
    return max(m, 1)


def legal_max(sentence_type: str | None) -> int:
    return LEGAL_MAX.get(sentence_type, LICENCE_HORIZON)


def legal_min(sentence_type: str | None) -> int:
    return LEGAL_MIN.get(sentence_type, 1)


@per_catalog
def rule_steps(catalog: Catalog) -> tuple[int, ...]:
    """The order lengths (months) at which some rule changes its answer: the thresholds the rules
    name on the order's length or the months left on it."""
    pieces = relevant_pieces(catalog.rules, LENGTH_FIELDS)
    steps: set[int] = set()
    for f in LENGTH_FIELDS:
        for piece, _ in pieces.get(f, ()):
            if isinstance(piece, Range) and piece.lo is not None:
                steps.add(math.floor(piece.lo) + (0 if piece.lo_closed and piece.lo == int(piece.lo) else 1))
    return tuple(sorted(steps))


def lengths_to_try(catalog: Catalog, at_least: int, at_most: int, elapsed: int = 0) -> list[int]:
    """Order lengths worth trying from `at_least` to `at_most`, shortest first: between two rule
    thresholds every length gives the same eligibility, so only the first of each stretch is tried.
    `elapsed`: whole months of the order already gone by the reference date (for `months_left`)."""
    steps = {at_least, at_most} | {s for s in rule_steps(catalog)} | {s + elapsed for s in rule_steps(catalog)}
    return sorted(s for s in steps if at_least <= s <= at_most)


def with_length(case: Case, months: int) -> Case:
    return case.model_copy(update={"sentence": case.sentence.model_copy(update={"length_months": months})})


def completion(case: Case, on: dt.date, iv: Intervention) -> dt.date | None:
    """The day `iv` would finish (or, ongoing, start) if referred now: the work starts no earlier than
    the reference date, then waits its list and runs its weeks."""
    start = max(case.sentence.start or on, on)
    return add(start, weeks((iv.status_on(on).waiting_weeks or 0) + (iv.weeks or 0)))


def order_end(case: Case, on: dt.date, months: int) -> dt.date:
    """The day an order of `months` ends, counted from the order's own start (or the reference date)."""
    return add_months(case.sentence.start or on, months)


def longer_order(case: Case, catalog: Catalog, on: dt.date, iv: Intervention, margin: int, current: int | None) -> int | None:
    """The shortest order, longer than `current` and within the legal maximum, for which `iv` is not
    ruled out by its rules and can finish (or start, if ongoing) with the margin; None if no lawful
    length lets it. Evaluates the rules once for each length worth trying (a few at most)."""
    stype = case.sentence.type
    # the work starts no earlier than the reference date, but the order's months count from the
    # order's own start: an order that began months ago needs those months too
    begin = case.sentence.start or on
    last = completion(case, on, iv)
    if last is None:
        return None
    need = max(months_to_fit(begin, last, margin), legal_min(stype), (current or 0) + 1)
    elapsed = 0 if case.sentence.start is None or case.sentence.start >= on else whole_months(case.sentence.start, on)
    rules = catalog.rules.rules.get(iv.id, ())
    if need > legal_max(stype):
        return None
    program = catalog.program
    cones = program.cones
    reading = [r for r in rules if set(cones.get(r.id, r.fields)) & set(LENGTH_FIELDS)]
    if not reading:
        # no rule reads the order's length: the timing alone decides, and the rules need no new run
        return need
    # The caller asks only when no rule but these rules about the order's length rules the
    # person out, so only they are evaluated again at each length, by the reference evaluator (the
    # engine's yardstick), on the sentence facts they read.
    sentence_only = all(cones.get(r.id, frozenset(r.fields)) <= _SENTENCE for r in reading)
    base: dict[str, Any] = {} if sentence_only else case_facts(case, on)
    if sentence_only:
        if case.sentence.type is not None:
            base["sentence.type"] = case.sentence.type
        if case.sentence.start is not None:
            base["sentence.start"] = case.sentence.start
    knowledge = Knowledge({}) if sentence_only else derive(program, base)
    for months in lengths_to_try(catalog, need, legal_max(stype), elapsed):
        knowledge.facts = {**base, "sentence.length_months": months,
                           "months_left": whole_months(max(begin, on), add_months(begin, months))}
        if all(r.passes(outcome(program.rules[r.id], knowledge)) is not False for r in reading):
            return months
    return None
