"""Proposals for the pre-sentence report: requirements, an intervention package, RAR days and a
paragraph a court can rely on, reasoned as an officer reasons (risk, need, responsivity).

The modules follow that reasoning, each readable alone: risk (the offending behaviour work the case
calls for), need (the needs identified), candidates and responsivity (what the person can start,
finish and take part in), choice (the package), order (the order's length), paragraph (the text for
the court), compose (propose(), which puts them together), result (what it gives back).

Court files are rarely complete, so the proposal works with what is known: a programme that only
missing information keeps open is proposed *conditionally*, with the answers that would confirm it
and the package that would stand if they do not; needs not assessed are never read as "no need";
an order length not given is proposed, never reported as a need unmet.
"""

from .choice import EVIDENCE_RANK, Candidate, admissible, best_package, package_key, package_score
from .compose import TIER_MINIMUM_HOURS, package_price, propose
from .candidates import other_requirement_text
from ...case.needs import THRESHOLDS
from .need import assess_needs
from .order import COMMUNITY_SENTENCES, DEFAULT_MARGIN_WEEKS
from .result import (Choice, Fallback, NeedAssessed, NotProposed, OffendingWork, Option, PackageItem, Proposal,
                     RequirementProposal, ResponsivityNote, TierCheck, ToFindOut, UnmetNeed, Why)
from .risk import PROGRAMME_PATHWAYS

__all__ = [
    "COMMUNITY_SENTENCES", "DEFAULT_MARGIN_WEEKS", "EVIDENCE_RANK", "PROGRAMME_PATHWAYS", "THRESHOLDS",
    "TIER_MINIMUM_HOURS", "Candidate", "Choice", "Fallback", "NeedAssessed", "NotProposed", "OffendingWork", "Option",
    "PackageItem", "Proposal", "RequirementProposal", "ResponsivityNote", "TierCheck", "ToFindOut", "UnmetNeed", "Why",
    "admissible", "assess_needs", "best_package", "other_requirement_text", "package_key", "package_price",
    "package_score", "propose",
]
