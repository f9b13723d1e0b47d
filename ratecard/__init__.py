"""ratecard: match people on probation against a catalog of interventions, with reasons.

    from ratecard import load_catalog, load_case, screen
    result = screen(load_case("case.yaml"), load_catalog(), on=date(2017, 3, 1))

The public names are imported on first use, so that `import ratecard` (and every CLI command) loads
only what it needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "Allocation": "decide.allocation",
    "allocate": "decide.allocation",
    "BatchRow": "decide.checkbatch",
    "check_rows": "decide.checkbatch",
    "Briefing": "decide.briefing",
    "BriefingError": "decide.briefing",
    "build_briefing": "decide.briefing",
    "render_briefing": "present.briefing",
    "Case": "case.model",
    "load_case": "case.model",
    "parse_case": "case.model",
    "coerce_case": "case.coerce",
    "Catalog": "catalog.load",
    "load_catalog": "catalog.load",
    "default_catalog": "catalog.load",
    "Intervention": "catalog.model",
    "CatalogDiff": "catalog.diff",
    "diff_catalogs": "catalog.diff",
    "CaseError": "errors",
    "CatalogError": "errors",
    "InputError": "errors",
    "Problem": "errors",
    "RatecardError": "errors",
    "Proposal": "decide.proposal",
    "propose": "decide.proposal",
    "InterventionResult": "decide.screen",
    "Reason": "decide.screen",
    "MissingField": "decide.screen",
    "ScreenWarning": "decide.screen",
    "AgeAt": "decide.screen",
    "Screen": "decide.screen",
    "screen": "decide.screen",
    "RarLedger": "decide.ledger",
    "rar_ledger": "decide.ledger",
    "ReferralCheck": "decide.referral",
    "check_referral": "decide.referral",
    "ScreenedTable": "decide.screen_many",
    "screen_many": "decide.screen_many",
    "read_cases": "case.tables",
    "CaseloadReport": "decide.caseload",
    "build_caseload": "decide.caseload",
    "render_caseload": "present.caseload",
    "RuleTestResult": "ruletests",
    "load_rule_tests": "ruletests",
    "run_rule_tests": "ruletests",
}

__all__ = [
    "AgeAt",
    "Allocation",
    "BatchRow",
    "Briefing",
    "BriefingError",
    "Case",
    "CaseError",
    "CaseloadReport",
    "Catalog",
    "CatalogDiff",
    "CatalogError",
    "InputError",
    "Intervention",
    "InterventionResult",
    "MissingField",
    "Problem",
    "Proposal",
    "RarLedger",
    "RatecardError",
    "Reason",
    "ReferralCheck",
    "RuleTestResult",
    "Screen",
    "ScreenWarning",
    "ScreenedTable",
    "allocate",
    "build_briefing",
    "build_caseload",
    "check_referral",
    "check_rows",
    "coerce_case",
    "default_catalog",
    "diff_catalogs",
    "load_case",
    "load_catalog",
    "load_rule_tests",
    "parse_case",
    "propose",
    "rar_ledger",
    "read_cases",
    "render_briefing",
    "render_caseload",
    "run_rule_tests",
    "screen",
    "screen_many",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ratecard' has no attribute {name!r}")
    try:
        loaded = importlib.import_module(f".{module}", __name__)
    except ImportError as e:  # a part that needs an extra not installed here says how to add it
        from .extras import explain

        raise (explain(e) or e) from None
    value = getattr(loaded, name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from .case.coerce import coerce_case
    from .case.model import Case, load_case, parse_case
    from .catalog.diff import CatalogDiff, diff_catalogs
    from .catalog.load import Catalog, default_catalog, load_catalog
    from .catalog.model import Intervention
    from .decide.allocation import Allocation, allocate
    from .decide.briefing import Briefing, BriefingError, build_briefing
    from .decide.caseload import CaseloadReport, build_caseload
    from .decide.checkbatch import BatchRow, check_rows
    from .decide.ledger import RarLedger, rar_ledger
    from .decide.proposal import Proposal, propose
    from .decide.referral import ReferralCheck, check_referral
    from .decide.screen import AgeAt, InterventionResult, MissingField, Reason, Screen, ScreenWarning, screen
    from .decide.screen_many import ScreenedTable, screen_many
    from .errors import CaseError, CatalogError, InputError, Problem, RatecardError
    from .case.tables import read_cases
    from .present.briefing import render_briefing
    from .present.caseload import render_caseload
    from .ruletests import RuleTestResult, load_rule_tests, run_rule_tests
