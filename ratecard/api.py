"""The entry points of the Python API whose public form differs from the function the rest of the
package calls, so that every entry point reads the same way:

    screen(case, catalog=None, *, on=None)             propose(case, catalog=None, *, on=None, ...)
    check_referral(case, intervention, catalog=None, *, on=None)
    allocate(case, catalog=None, *, on=None)            rar_ledger(case, catalog=None, *, on=None)
    build_briefing(area, catalog=None, *, on=None)      screen_many(cases, catalog=None, *, on=None)
    build_caseload(cases, catalog=None, *, on=None)

A case is a `Case`, a mapping of case fields or a JSON/YAML string (`CaseInput`), validated by the
one validation every path uses (ratecard/case/coerce.py). The catalog defaults to the shipped one,
the reference date `on` to today. docs/python.md is the reference.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

from .case.coerce import CaseInput, coerce_case
from .case.events import case_on
from .catalog.load import Catalog, default_catalog
from .decide import briefing as _briefing
from .decide import ledger as _ledger

__all__ = ["CaseInput", "build_briefing", "rar_ledger"]


def rar_ledger(case: CaseInput, catalog: Catalog | None = None, *, on: dt.date | None = None,
               idle_weeks: int = _ledger.DEFAULT_IDLE_WEEKS) -> _ledger.RarLedger | None:
    """The RAR-day ledger of a case on the reference date `on` (default today): days used and
    left, entries that do not count, and whether the days left can still be delivered. None when
    the order has no RAR and nothing was recorded as RAR days.

    The case is taken as it stands on `on` (its events up to then applied), as check_referral
    takes it. Before 0.2 the call was `rar_ledger(case, on, catalog)`; that order is refused
    with the form to write, never read as a catalog.
    """
    if isinstance(catalog, dt.date) or isinstance(on, Catalog):
        raise TypeError("rar_ledger takes (case, catalog=None, *, on=date): write "
                        "rar_ledger(case, catalog, on=date) (the old order rar_ledger(case, on, catalog) is gone)")
    _check_catalog(catalog, "rar_ledger")
    on = on or dt.date.today()
    return _ledger.rar_ledger(case_on(coerce_case(case), on), on, catalog or default_catalog(), idle_weeks)


def build_briefing(area: str, catalog: Catalog | None = None, *, town: str | None = None, on: dt.date | None = None,
                   since: Catalog | dt.date | None = None) -> _briefing.Briefing:
    """The sentencers' briefing for one area of the catalog (and, if given, one town in it) on
    the date `on` (default today); with `since` (an earlier catalog or a date), what changed.

    Raises BriefingError for an area or town the catalog does not have. The older order
    `build_briefing(catalog, area)` still works (it cannot be misread: a Catalog is never an
    area) but warns.
    """
    if isinstance(area, Catalog):
        if catalog is not None and not isinstance(catalog, str):
            raise TypeError("build_briefing takes (area, catalog=None, *, on=date): write build_briefing(area, catalog, on=date)")
        warnings.warn("build_briefing(catalog, area) is the old order: write build_briefing(area, catalog, on=date)",
                      DeprecationWarning, stacklevel=2)
        area, catalog = catalog, area  # type: ignore[assignment]  # the old order, checked above
    if not isinstance(area, str):
        raise TypeError(f"build_briefing's area must be an area id such as 'northamptonshire', not {type(area).__name__}")
    _check_catalog(catalog, "build_briefing")
    return _briefing.build_briefing(catalog or default_catalog(), area, town=town, on=on, since=since)


def _check_catalog(catalog: Any, where: str) -> None:
    # a path or a folder name where the Catalog goes is a common slip: say how to load one
    if catalog is not None and not isinstance(catalog, Catalog):
        raise TypeError(f"{where}'s catalog must be a ratecard Catalog (ratecard.load_catalog(path)) or None for the "
                        f"shipped one, not {type(catalog).__name__}")
