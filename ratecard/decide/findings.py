"""Output pieces shared by the post-sentence checks: one finding (a reason or a warning)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Finding(Out):
    """A reason to reject, or a warning. `code` is stable for other systems; `text` is for people."""

    code: str
    text: str
    rule: str | None = None  # the eligibility rule, when the finding comes from the screen
