"""Need: the OASys needs identified, in the order a proposal meets them (linked to harm, then to
reoffending, then other identified needs), and the sections still to assess.

Needs that were not assessed are never read as "no need": the proposal says which sections to
assess, and proposes what the known needs already indicate."""

from __future__ import annotations

from ...case.model import NEED_SECTIONS, UNSCORED_SECTIONS, Case
# the standard OASys section thresholds (DOMAIN.md §2), held with the case: used here only to rank
# needs by how far the score is over the threshold (the rules' need_<section> decide identification)
from ...case.needs import THRESHOLDS
from ...catalog.load import Catalog
from ... import labels
from ..screen import Screen
from .result import NeedAssessed, Priority, UnmetNeed, made

# Priority classes: needs linked to harm, then to reoffending, then other identified needs. The
# bases keep the classes lexicographic: ten needs of a lower class (each at most base + 12 over
# threshold) never outweigh one need of the class above.
_BASE: dict[Priority, int] = {"harm": 100_000, "reoffending": 1_000, "other": 20}

def need_field(section: str) -> str:
    """The case field that settles whether a section's need is identified."""
    return f"needs.{section}.{'identified' if section in UNSCORED_SECTIONS else 'score'}"


def _need_state(case: Case, screened: Screen, defined: bool, section: str) -> tuple[bool | None, list[str]]:
    """(identified, fields missing). Identification is the rules' `need_<section>` fact. A catalog
    whose rules do not define it falls back to the case's `identified` flag, then to the standard
    section threshold."""
    key = _FACT[section]
    if defined:
        if key in screened.derived:
            return bool(screened.derived[key]), []
        return None, list(screened.derived_missing.get(key) or [need_field(section)])
    need = getattr(case.needs, section)
    if need is not None and need.identified is not None:
        return need.identified, []
    if need is not None and need.score is not None and section in THRESHOLDS:
        return need.score >= THRESHOLDS[section], []
    return None, [need_field(section)]


def assess_needs(case: Case, screened: Screen, catalog: Catalog) -> tuple[list[NeedAssessed], list[UnmetNeed], list[str]]:
    """Identified needs in priority order, needs assessed but not settled, and sections not assessed."""
    found: list[NeedAssessed] = []
    unknown: list[UnmetNeed] = []
    not_assessed: list[str] = []
    derived = catalog.rules.derived
    sections = case.needs.__dict__
    for section in NEED_SECTIONS:
        need = sections[section]
        if need is None:
            not_assessed.append(section)
            continue
        identified, missing = _need_state(case, screened, _FACT[section] in derived, section)
        if identified is None:
            unknown.append(made(UnmetNeed, 
                need=section, priority=None, why="information_missing", missing=tuple(missing), interventions=(),
                text=f"Assessed but not scored: give the {', '.join(labels.field(m) for m in missing)}."))
            continue
        if not identified:
            continue
        priority: Priority = "harm" if need.linked_to_harm else "reoffending" if need.linked_to_reoffending else "other"
        over = None
        if need.score is not None and section in THRESHOLDS:
            over = max(need.score - THRESHOLDS[section], 0)
        found.append(made(NeedAssessed, need=section, priority=priority, score=need.score, over_threshold=over,
                                                  weight=_BASE[priority] + min(over or 0, 12)))
    found.sort(key=lambda n: (-n.weight, _ORDER[n.need]))
    return found, unknown, not_assessed


_FACT = {s: f"need_{s}" for s in NEED_SECTIONS}  # the rules' derived fact that identifies each need
_ORDER = {s: i for i, s in enumerate(NEED_SECTIONS)}
