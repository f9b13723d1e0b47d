"""The catalog's data model: areas, providers and interventions as catalog files write them.

Strict pydantic models with extra="forbid": a misspelt key or a value of the wrong type in a
catalog file is an error naming the file, line and field, never a silent default.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..case.model import Identifier, NeedSection
from ..inputs.types import IsoDate

Kind = Literal[
    "accredited_programme",
    "structured_intervention",
    "rar_activity",
    "mentoring_and_support",
    "resettlement",
    "unpaid_work_placement",
    "substance_misuse",
]
Requires = Literal["accredited_programme", "rar", "drug_rehabilitation", "alcohol_treatment", "unpaid_work", "none"]
Figure = Literal["price", "rar_days", "sessions", "hours", "weeks", "waiting_weeks"]
Text = Annotated[str, Field(min_length=1)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Area(_M):
    id: Identifier
    name: Text
    towns: list[Identifier] = Field(min_length=1)


class CatalogInfo(_M):
    name: Text
    edition: Text
    as_of: IsoDate
    illustrative_note: str | None = None
    # how long before an order ends a proposed intervention must finish; None: the proposal's default
    proposal_margin_weeks: Annotated[int, Field(ge=0, le=26)] | None = None
    areas: list[Area] = Field(min_length=1)


class Provider(_M):
    id: Identifier
    name: Text
    kind: Literal["crc", "partner", "nps", "community"]
    description: str | None = None
    areas: list[Identifier] = Field(min_length=1)


class Delivery(_M):
    mode: Literal["group", "one_to_one", "mixed"]
    women_only: bool = False


class Where(_M):
    towns: list[Identifier] = []
    offices: list[Text] = []
    outreach: bool = False


class Price(_M):
    amount: Annotated[float, Field(ge=0, le=100_000)]
    unit: Literal["per_participant", "per_session", "per_hour", "per_day"]
    currency: Literal["GBP"] = "GBP"


class Status(_M):
    state: Literal["open", "waiting_list", "suspended", "withdrawn"]
    waiting_weeks: Annotated[int, Field(ge=0, le=260)] | None = None
    since: IsoDate | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Status:
        if self.state == "waiting_list" and self.waiting_weeks is None:
            raise ValueError("a waiting list needs 'waiting_weeks'")
        if self.state in ("suspended", "withdrawn") and (self.since is None or not self.reason):
            raise ValueError(f"'{self.state}' needs 'since' (a date) and 'reason'")
        if self.state != "waiting_list" and self.waiting_weeks:
            raise ValueError(f"'waiting_weeks' is only for state waiting_list, not {self.state}")
        return self


class Evidence(_M):
    level: Literal["accredited", "promising", "emerging", "unevaluated"]
    summary: Text


class Intervention(_M):
    id: Identifier
    name: Text
    provider: Identifier
    area: Identifier
    kind: Kind
    needs: list[NeedSection] = Field(min_length=1)
    delivery: Delivery
    where: Where
    sessions: Annotated[int, Field(ge=1, le=500)] | None = None
    hours: Annotated[float, Field(gt=0, le=1000)] | None = None
    weeks: Annotated[int, Field(ge=1, le=260)] | None = None
    rar_days: Annotated[int, Field(ge=1, le=100)] | None = None
    requires: Requires
    price: Price
    status: Status
    evidence: Evidence
    content: Text
    illustrative: list[Figure] = []
    source: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Intervention:
        if self.requires == "rar" and self.rar_days is None:
            raise ValueError("an intervention that uses the RAR needs 'rar_days'")
        if self.kind == "accredited_programme" and self.requires != "accredited_programme":
            raise ValueError("an accredited programme needs 'requires: accredited_programme'")
        if not self.where.towns and not self.where.outreach:
            raise ValueError("say where it is delivered: 'where.towns' or 'where.outreach: true'")
        if len(set(self.needs)) != len(self.needs):
            raise ValueError("'needs' lists a need twice")
        for fig in self.illustrative:
            value = self.status.waiting_weeks if fig == "waiting_weeks" else getattr(self, fig)
            if value is None:
                raise ValueError(f"'illustrative' names '{fig}', which this entry does not give")
        return self
