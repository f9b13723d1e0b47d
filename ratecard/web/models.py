"""What the HTTP API takes and gives, as pydantic models; the OpenAPI document is generated from them.

Answers are the Python API's own models (Screen, Proposal, ReferralCheck, Allocation, Briefing),
served as they are: the API never keeps a copy of their schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..case.model import Case
from ..catalog.model import Area, Status

_ON = Field(None, description="Reference date (YYYY-MM-DD) for ages and time left on the order; default today. "
                              "The answer repeats it as `on`, so the same request gives the same answer later.")


class _In(BaseModel):
    # strict, like the case: in JSON, dates are ISO strings and numbers are numbers, never text
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ScreenRequest(_In):
    """A case to screen against every intervention in the catalog."""

    case: Case
    on: dt.date | None = _ON


class ProposeRequest(_In):
    """A case to propose requirements, a package and RAR days for (`ratecard propose`)."""

    case: Case
    on: dt.date | None = _ON
    rar_days: Annotated[int, Field(ge=1, le=365)] | None = Field(
        None, description="Maximum RAR days the court has fixed; default the case's sentence.rar_days.")
    order_months: Annotated[int, Field(ge=1, le=120)] | None = Field(
        None, description="Proposed order length in months; default the case's sentence.length_months.")
    margin_weeks: Annotated[int, Field(ge=0, le=52)] | None = Field(
        None, description="Weeks before the order ends by which everything must finish; default the catalog's.")


class CheckRequest(_In):
    """A referral of a case to one intervention, after sentence (`ratecard check`)."""

    case: Case
    intervention: Annotated[str, Field(min_length=1, max_length=120)] = Field(
        description="Intervention id, as in GET /v1/interventions.")
    on: dt.date | None = _ON
    idle_weeks: Annotated[int, Field(ge=1, le=52)] = Field(
        4, description="Warn when no RAR activity has happened for longer than this.")


class AllocateRequest(_In):
    """A case to allocate (NPS or CRC), with its CRC tier and any escalation (`ratecard allocate`)."""

    case: Case
    on: dt.date | None = _ON


class ScreenBatchRequest(_In):
    """Many cases to screen at once (`ratecard screen-batch`); a case that is not valid is an error
    row in the answer, and the others are screened all the same. Limits are per request: the
    number of cases (the schema's maxItems, from the catalog being served: see the operation's
    description) and a body of at most 1 MiB."""

    cases: list[Case] = Field(min_length=1, description=(
        "Case objects, as in a case file (dates as ISO strings). One that is not a valid Case is answered "
        "with an error row in its place, not refused with the request."))
    on: dt.date | None = _ON


class ScreenBatchBody(_In):
    """ScreenBatchRequest as it is read: each case is checked by the batch itself, so that a bad
    one becomes an error row (the OpenAPI document shows ScreenBatchRequest)."""

    cases: list[Any] = Field(min_length=1)
    on: dt.date | None = _ON


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProblemOut(_Out):
    field: str = Field(description="Where in the request, e.g. case.risk.ogrs3_2yr; empty for the request as a whole.")
    line: int | None = Field(description="Line of the request body, when known.")
    message: str = Field(description="What is wrong and what to do; the same words as the command line.")


class ErrorOut(_Out):
    error: str = Field(description="invalid_input, not_found, too_large, unauthorized, method_not_allowed or server_error.")
    detail: str = Field(description="The whole message, as the command line prints it.")
    problems: list[ProblemOut] = []


class InterventionOut(_Out):
    id: str
    name: str
    provider: str
    provider_name: str
    area: str
    kind: str
    needs: list[str]
    requires: str
    status: Status


class CatalogOut(_Out):
    version: str = Field(description="Hash of the catalog's content; every answer repeats it as catalog_version.")
    name: str
    edition: str
    as_of: dt.date
    illustrative_note: str | None
    areas: list[Area]
    interventions: int


class Health(_Out):
    status: str


class BatchDecision(_Out):
    intervention: str
    decision: Literal["eligible", "undetermined", "ineligible"]
    rules: list[str] = Field(description="The rules that decide it (for undetermined: the rules still open).")
    missing: list[str] = Field(description="Case fields whose answers would settle it.")


class ScreenedRow(_Out):
    """A case screened: one decision per intervention."""

    case_id: str
    results: list[BatchDecision]


class RowProblem(_Out):
    field: str = Field(description="The case field at fault (risk.ogrs3_2yr), or 'row' for the case as a whole.")
    message: str


class ErrorRow(_Out):
    """A case that could not be screened, in its place among the rows."""

    case_id: str | None = Field(description="Its id, when it has one that can be read.")
    row: int = Field(description="Its position in `cases`, from 1.")
    errors: list[RowProblem]


class ScreenBatchOut(_Out):
    catalog_version: str
    on: dt.date
    screened: int = Field(description="Cases screened.")
    errors: int = Field(description="Rows that could not be screened; each is an error row in `rows`.")
    rows: list[ScreenedRow | ErrorRow] = Field(description=(
        "One per case, in order, exactly the lines `ratecard screen-batch --out FILE.jsonl` writes "
        "(docs/batch.md)."))
