"""OASys needs sections: when a need is identified, and when the case says two different things.

A scored section's need is identified when its score reaches the section's standard threshold
(DOMAIN: the thresholds HMPPS uses); an assessor may also record `identified` directly, and a
court officer with no score often does. The rules read both (rules/derived.yaml, the need_*
facts): `identified` when it is given, else the score against the threshold. When both are given
and disagree, the assessor's `identified` stands and the screen says so (`disagreements`).
"""

from __future__ import annotations

from ..labels import need as need_name
from .model import NEED_SECTIONS, Case

# The standard OASys section thresholds: a score at or above it identifies the need. The need_*
# facts of rules/derived.yaml use the same numbers (tests/test_needs_identified.py checks).
THRESHOLDS: dict[str, int] = {
    "accommodation": 2,
    "education_training_and_employability": 3,
    "relationships": 2,
    "lifestyle_and_associates": 2,
    "drug_misuse": 2,
    "alcohol_misuse": 4,
    "thinking_and_behaviour": 4,
    "attitude": 2,
}


def identified(case: Case, section: str) -> bool | None:
    """Whether the case identifies the need: `identified` when given, else the score against the
    section's threshold; None when neither is given."""
    need = getattr(case.needs, section)
    if need is None:
        return None
    if need.identified is not None:
        return bool(need.identified)
    if need.score is None or section not in THRESHOLDS:
        return None
    return bool(need.score >= THRESHOLDS[section])


def disagreements(case: Case) -> list[dict[str, str]]:
    """A case warning for each section whose `identified` and score disagree; the `identified` stands."""
    out = []
    for section in NEED_SECTIONS:
        need = getattr(case.needs, section)
        if need is None or need.identified is None or need.score is None or section not in THRESHOLDS:
            continue
        by_score = need.score >= THRESHOLDS[section]
        if by_score == need.identified:
            continue
        name = need_name(section)
        threshold = THRESHOLDS[section]
        score = (f"its OASys score {need.score} reaches the section threshold of {threshold}" if by_score else
                 f"its OASys score {need.score} is below the section threshold of {threshold}")
        said = "identified" if need.identified else "not identified"
        out.append({"code": "need_identified_and_score_disagree",
                    "text": f"{name}: the case records the need as {said}, but {score}. The assessor's "
                            f"'identified: {'true' if need.identified else 'false'}' is used; check which is right."})
    return out
