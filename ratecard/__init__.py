"""ratecard: match people on probation against a catalog of interventions, with reasons.

    from ratecard import load_catalog, load_case, screen
    result = screen(load_case("case.yaml"), load_catalog(), on=date(2017, 3, 1))
"""

from __future__ import annotations

from functools import lru_cache

from .briefing import Briefing, BriefingError, build_briefing
from .briefing_render import render_briefing
from .case import Case, load_case, parse_case
from .catalog import Catalog, Intervention, load_catalog
from .catalog_diff import CatalogDiff, diff_catalogs
from .errors import CaseError, CatalogError, InputError, Problem, RatecardError
from .proposal import Proposal, propose
from .screen import InterventionResult, Reason, Screen, screen
from .allocation import Allocation, allocate
from .batch import BatchRow, check_rows
from .ledger import RarLedger, rar_ledger
from .referral import ReferralCheck, check_referral


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with ratecard, loaded once per process."""
    return load_catalog()


__all__ = [
    "Briefing",
    "BriefingError",
    "Allocation",
    "BatchRow",
    "RarLedger",
    "ReferralCheck",
    "allocate",
    "check_referral",
    "check_rows",
    "rar_ledger",
    "Case",
    "CaseError",
    "Catalog",
    "CatalogDiff",
    "CatalogError",
    "InputError",
    "Intervention",
    "InterventionResult",
    "Problem",
    "Proposal",
    "RatecardError",
    "Reason",
    "Screen",
    "build_briefing",
    "default_catalog",
    "diff_catalogs",
    "load_case",
    "load_catalog",
    "parse_case",
    "propose",
    "render_briefing",
    "screen",
]
__version__ = "0.1.0"
