"""The JSON API under /v1: the same answers as the CLI's --json, for other systems.

Each answer is the Python API's model serialised as it is (`model_dump_json`), so a field the
engine adds appears here without a change. Request bodies are read by `body.read_body` (see why
there); the OpenAPI document still describes them from the request models (app.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ..catalog.load import Catalog
from ..decide.allocation import Allocation, allocate
from ..decide.briefing import Briefing, build_briefing
from ..decide.proposal import Proposal, propose
from ..decide.referral import ReferralCheck, check_referral
from ..decide.screen import Screen, screen
from ..errors import CaseError
from .body import RequestError, body_problems, read_body
from .models import (AllocateRequest, CatalogOut, CheckRequest, ErrorOut, Health, InterventionOut, ProposeRequest,
                     ScreenBatchOut, ScreenBatchRequest, ScreenRequest)

JSON = "application/json"


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


BAD_INPUT = {422: _error("The request is not valid: every problem with its field path and the CLI's message."),
             413: _error("The request body is larger than 1 MiB.")}


def body_doc(model: type) -> dict[str, Any]:
    """openapi_extra for an operation whose JSON body is `model` (its schema is added in app.py)."""
    return {"requestBody": {"required": True, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


REQUEST_MODELS = (ScreenRequest, ProposeRequest, CheckRequest, AllocateRequest, ScreenBatchRequest)


def _json(model: Any) -> Response:
    return Response(model.model_dump_json(), media_type=JSON)


async def _run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a decision in the thread pool; a case problem found only then (a birth date after `on`)
    is reported like any other, at its path in the body."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except CaseError as e:
        raise RequestError(body_problems(e.problems, "case")) from None


def _screen_rows(cases: list[Any], catalog: Catalog, on: dt.date) -> list[dict[str, Any]]:
    from ..decide.screen_many import screen_many  # Polars: loaded on the first batch, not at start

    return list(screen_many(cases, catalog, on=on).rows())


def router(catalog: Catalog, dependencies: list[Any]) -> APIRouter:
    r = APIRouter(prefix="/v1", dependencies=dependencies)
    today = dt.date.today

    @r.post("/screen", response_model=Screen, responses=BAD_INPUT, openapi_extra=body_doc(ScreenRequest),
            summary="Screen a case against every intervention (ratecard screen --json)")
    async def screen_case(request: Request) -> Response:
        req = read_body(await request.body(), ScreenRequest)
        return _json(await _run(screen, req.case, catalog, on=req.on or today()))

    @r.post("/propose", response_model=Proposal, responses=BAD_INPUT, openapi_extra=body_doc(ProposeRequest),
            summary="Propose requirements, a package and RAR days (ratecard propose --json)")
    async def propose_case(request: Request) -> Response:
        req = read_body(await request.body(), ProposeRequest)
        return _json(await _run(propose, req.case, catalog, on=req.on or today(), rar_days=req.rar_days,
                                order_months=req.order_months, margin_weeks=req.margin_weeks))

    @r.post("/check", response_model=ReferralCheck,
            responses={**BAD_INPUT, 404: _error("No intervention with that id; the message suggests close ids.")},
            openapi_extra=body_doc(CheckRequest),
            summary="Check a referral after sentence (ratecard check --json)")
    async def check_case(request: Request) -> Response:
        req = read_body(await request.body(), CheckRequest)
        return _json(await _run(check_referral, req.case, req.intervention, catalog, on=req.on or today(),
                                idle_weeks=req.idle_weeks))

    @r.post("/allocate", response_model=Allocation, responses=BAD_INPUT, openapi_extra=body_doc(AllocateRequest),
            summary="NPS or CRC, the CRC tier and any escalation (ratecard allocate --json)")
    async def allocate_case(request: Request) -> Response:
        req = read_body(await request.body(), AllocateRequest)
        return _json(await _run(allocate, req.case, catalog, on=req.on or today()))

    @r.post("/screen-batch", response_model=ScreenBatchOut, responses=BAD_INPUT, openapi_extra=body_doc(ScreenBatchRequest),
            summary="Screen many cases at once (ratecard screen-batch); a bad case is an error row")
    async def screen_batch(request: Request) -> Response:
        req = read_body(await request.body(), ScreenBatchRequest)
        on = req.on or today()
        rows = await run_in_threadpool(_screen_rows, req.cases, catalog, on)
        errors = sum(1 for row in rows if "errors" in row)
        return _json(ScreenBatchOut(catalog_version=catalog.version, on=on, screened=len(rows) - errors, errors=errors,
                                    rows=rows))

    @r.get("/interventions", response_model=list[InterventionOut], summary="Every intervention in the catalog")
    def interventions() -> list[InterventionOut]:
        return [InterventionOut(id=iv.id, name=iv.name, provider=iv.provider,
                                provider_name=catalog.providers[iv.provider].name if iv.provider in catalog.providers else iv.provider,
                                area=iv.area, kind=iv.kind, needs=list(iv.needs), requires=iv.requires, status=iv.status)
                for iv in sorted(catalog.interventions.values(), key=lambda i: i.id)]

    @r.get("/catalog", response_model=CatalogOut, summary="The catalog being served: version, name, edition, areas")
    def catalog_info() -> CatalogOut:
        i = catalog.info
        return CatalogOut(version=catalog.version, name=i.name, edition=i.edition, as_of=i.as_of,
                          illustrative_note=i.illustrative_note, areas=list(i.areas), interventions=len(catalog.interventions))

    @r.get("/briefing", response_model=Briefing,
           responses={200: {"content": {"text/markdown": {"schema": {"type": "string"}},
                                        "text/html": {"schema": {"type": "string"}}},
                            "description": "The briefing as JSON (format=json), Markdown (md) or one HTML page (html)."},
                      404: _error("No such area, or no such town in the area."), 422: _error("A parameter is not valid.")},
           summary="A sentencer briefing for one area (ratecard brief)")
    async def briefing(
        area: str = Query(description="Area id, e.g. northamptonshire (see GET /v1/catalog).", max_length=120),
        town: str | None = Query(None, description="Only provision delivered in this town or by outreach.", max_length=120),
        on: dt.date | None = Query(None, description="Briefing date; default today."),
        format: Literal["json", "md", "html"] = Query("json", description="json, md (Markdown) or html."),
    ) -> Response:
        from ..present.briefing import render_briefing

        b = await run_in_threadpool(build_briefing, catalog, area, town=town, on=on or today())
        if format == "json":
            return _json(b)
        text = await run_in_threadpool(render_briefing, b, format)
        if format == "html":
            # the briefing is one self-contained page with its own stylesheet inside it
            return HTMLResponse(text, headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"})
        return Response(text, media_type="text/markdown; charset=utf-8")

    return r


def health_router() -> APIRouter:
    r = APIRouter()

    @r.get("/healthz", response_model=Health, summary="Liveness: the server is up and its catalog is loaded")
    def healthz() -> Health:
        return Health(status="ok")

    return r
