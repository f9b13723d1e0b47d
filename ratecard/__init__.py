"""ratecard: match people on probation against a catalog of interventions, with reasons.

    from ratecard import load_catalog, load_case, screen
    result = screen(load_case("case.yaml"), load_catalog(), on=date(2017, 3, 1))
"""

from __future__ import annotations

from functools import lru_cache

from .case import Case, load_case, parse_case
from .catalog import Catalog, Intervention, load_catalog
from .errors import CaseError, CatalogError, InputError, Problem, RatecardError
from .proposal import Proposal, propose
from .screen import InterventionResult, Reason, Screen, screen


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with ratecard, loaded once per process."""
    return load_catalog()


__all__ = [
    "Case",
    "CaseError",
    "Catalog",
    "CatalogError",
    "InputError",
    "Intervention",
    "InterventionResult",
    "Problem",
    "Proposal",
    "RatecardError",
    "Reason",
    "Screen",
    "default_catalog",
    "load_case",
    "load_catalog",
    "parse_case",
    "propose",
    "screen",
]
__version__ = "0.1.0"
