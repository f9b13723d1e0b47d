"""ratecard: match people on probation against a catalog of interventions, with reasons.

    import datetime as dt
    from ratecard import screen, propose
    result = screen({"person": {...}, "sentence": {...}}, on=dt.date(2017, 3, 1))

Every entry point takes `(case, catalog=None, *, on=None)`: a case as a `Case`, a mapping of case
fields or a JSON/YAML string, the shipped catalog by default, today by default. Every result is a
frozen pydantic model (tuples, never lists) with `model_dump()` and `model_dump_json()`, and every
type a result holds is exported here. docs/python.md is the reference.

The public names are imported on first use, so that `import ratecard` (and every CLI command) loads
only what it needs; the batch names (screen_many, build_caseload, CaseTable...) need the `batch`
extra and say so when it is missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# module -> the public names it defines (ratecard/api.py holds the entry points whose public
# argument order differs from the one the package uses inside)
_MODULES: dict[str, tuple[str, ...]] = {
    "api": ("build_briefing", "rar_ledger"),
    "case.coerce": ("CaseInput", "coerce_case"),
    "case.model": ("Case", "load_case", "parse_case"),
    "case.tables": ("CaseTable", "CasesInput", "read_cases"),
    "catalog.load": ("Catalog", "default_catalog", "load_catalog"),
    "catalog.model": ("Intervention",),
    "catalog.diff": ("CatalogDiff", "CriteriaChange", "DetailChange", "Named", "RuleChange", "StatusChange",
                     "TermChange", "WaitChange", "diff_catalogs"),
    "extras": ("MissingExtra",),
    "errors": ("CaseError", "CatalogError", "InputError", "Problem", "RatecardError", "UnknownInterventionError"),
    "decide.results": ("AgeAt", "Availability", "Decision", "InterventionResult", "Judgement", "MissingField", "Outcome",
                       "Reason", "Screen", "ScreenWarning", "WarningCode"),
    "decide.screen": ("screen",),
    "decide.findings": ("Finding",),
    "decide.ledger": ("RarLedger",),
    "decide.referral": ("Alternative", "ReferralCheck", "check_referral"),
    "decide.allocation": ("Allocation", "Escalation", "TierChange", "allocate"),
    "decide.proposal": ("Choice", "Fallback", "NeedAssessed", "NotProposed", "OffendingWork", "Option", "PackageItem",
                        "Proposal", "RequirementProposal", "ResponsivityNote", "TierCheck", "ToFindOut", "UnmetNeed",
                        "propose"),
    "decide.whatif": ("Answer",),
    "decide.briefing": ("Briefing", "BriefingError", "Entry", "NeedGroup", "RuleLine", "Term"),
    "present.briefing": ("render_briefing",),
    "decide.screen_many": ("ScreenedTable", "screen_many"),
    "decide.caseload": ("CaseloadReport", "GapRow", "InterventionRow", "MissingRow", "NeedRow", "SufficiencyRow",
                        "build_caseload"),
    "present.caseload": ("render_caseload",),
    "decide.checkbatch": ("BatchRow", "RowError", "check_rows"),
    "ruletests": ("Expectation", "Failure", "RuleTest", "RuleTestResult", "load_rule_tests", "run_rule_tests"),
}
_EXPORTS: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "AgeAt",
    "Allocation",
    "Alternative",
    "Answer",
    "Availability",
    "BatchRow",
    "Briefing",
    "BriefingError",
    "Case",
    "CaseError",
    "CaseInput",
    "CaseTable",
    "CaseloadReport",
    "CasesInput",
    "Catalog",
    "CatalogDiff",
    "CatalogError",
    "Choice",
    "CriteriaChange",
    "Decision",
    "DetailChange",
    "Entry",
    "Escalation",
    "Expectation",
    "Failure",
    "Fallback",
    "Finding",
    "GapRow",
    "InputError",
    "Intervention",
    "InterventionResult",
    "Judgement",
    "InterventionRow",
    "MissingExtra",
    "MissingField",
    "MissingRow",
    "Named",
    "NeedAssessed",
    "NeedGroup",
    "NeedRow",
    "NotProposed",
    "OffendingWork",
    "Option",
    "Outcome",
    "PackageItem",
    "Problem",
    "Proposal",
    "RarLedger",
    "RatecardError",
    "Reason",
    "ReferralCheck",
    "RequirementProposal",
    "ResponsivityNote",
    "RowError",
    "RuleChange",
    "RuleLine",
    "RuleTest",
    "RuleTestResult",
    "Screen",
    "ScreenWarning",
    "ScreenedTable",
    "StatusChange",
    "SufficiencyRow",
    "Term",
    "TermChange",
    "TierChange",
    "TierCheck",
    "ToFindOut",
    "UnknownInterventionError",
    "UnmetNeed",
    "WaitChange",
    "WarningCode",
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
    from .api import build_briefing, rar_ledger
    from .case.coerce import CaseInput, coerce_case
    from .case.model import Case, load_case, parse_case
    from .case.tables import CaseTable, CasesInput, read_cases
    from .catalog.load import Catalog, default_catalog, load_catalog
    from .catalog.model import Intervention
    from .catalog.diff import (CatalogDiff, CriteriaChange, DetailChange, Named, RuleChange, StatusChange, TermChange, WaitChange,
                               diff_catalogs)
    from .extras import MissingExtra
    from .errors import CaseError, CatalogError, InputError, Problem, RatecardError, UnknownInterventionError
    from .decide.results import (AgeAt, Availability, Decision, InterventionResult, Judgement, MissingField, Outcome, Reason,
                                 Screen, ScreenWarning, WarningCode)
    from .decide.screen import screen
    from .decide.findings import Finding
    from .decide.ledger import RarLedger
    from .decide.referral import Alternative, ReferralCheck, check_referral
    from .decide.allocation import Allocation, Escalation, TierChange, allocate
    from .decide.proposal import (Choice, Fallback, NeedAssessed, NotProposed, OffendingWork, Option, PackageItem, Proposal,
                                  RequirementProposal, ResponsivityNote, TierCheck, ToFindOut, UnmetNeed, propose)
    from .decide.whatif import Answer
    from .decide.briefing import Briefing, BriefingError, Entry, NeedGroup, RuleLine, Term
    from .present.briefing import render_briefing
    from .decide.screen_many import ScreenedTable, screen_many
    from .decide.caseload import (CaseloadReport, GapRow, InterventionRow, MissingRow, NeedRow, SufficiencyRow, build_caseload)
    from .present.caseload import render_caseload
    from .decide.checkbatch import BatchRow, RowError, check_rows
    from .ruletests import Expectation, Failure, RuleTest, RuleTestResult, load_rule_tests, run_rule_tests
