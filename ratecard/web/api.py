"""The JSON API under /v1: the same answers as the CLI's --json, for other systems.

Each answer is the Python API's model serialised as it is (`model_dump_json`), so a field the
engine adds appears here without a change; a batch answers with screen_many's own rows. Request
bodies are read by `body.read_body` (see why there); the OpenAPI document still describes them from
the request models (app.py). Limits are per request (see the constants below and docs/http.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..catalog.load import Catalog
from ..decide.allocation import Allocation, allocate
from ..decide.briefing import Briefing, build_briefing
from ..decide.proposal import Proposal, propose
from ..decide.referral import ReferralCheck, check_referral
from ..decide.screen import Screen, screen
from ..errors import CaseError, Problem, RatecardError
from .body import BATCH_LIMITS, SOURCE, RequestError, body_problems, for_the_api, read_body, read_document, validate_document
from .models import (AllocateRequest, CatalogOut, CheckRequest, ErrorOut, Health, InterventionOut, ProposeRequest,
                     ScreenBatchBody, ScreenBatchOut, ScreenBatchRequest, ScreenRequest)

M = TypeVar("M", bound=BaseModel)

JSON = "application/json"

# Per request. A case is a few kilobytes and one screen about a millisecond: a body this small is
# answered on the event loop, where a thread hop would cost more than the work (1.5 ms on a busy
# machine); a larger one is read and decided in a worker thread.
INLINE_BYTES = 64 * 1024
# A batch request is bounded by its work and its answer, not only by its body: 169 KB of minimal
# cases once asked for 10,000 screens and a 78.5 MB answer. At most MAX_BATCH_CASES cases, and at
# most MAX_BATCH_DECISIONS decisions (cases x interventions): 1,000 cases of the shipped catalog's
# 33 interventions, an answer of about 8 MB and a few seconds' work; fewer on a larger catalog.
MAX_BATCH_CASES = 1_000
MAX_BATCH_DECISIONS = 50_000
# Batches are screened one at a time in each worker process, off the event loop; this many more may
# wait for their turn, and any beyond are refused with 503 and Retry-After.
BATCH_QUEUE = 4


def batch_limit(catalog: Catalog) -> int:
    """The most cases one /v1/screen-batch request may hold with this catalog."""
    return max(1, min(MAX_BATCH_CASES, MAX_BATCH_DECISIONS // max(1, len(catalog.interventions))))


def batch_limit_text(catalog: Catalog) -> str:
    n, k = batch_limit(catalog), len(catalog.interventions)
    return (f"at most {n:,} cases a request ({MAX_BATCH_CASES:,} at most, and at most {MAX_BATCH_DECISIONS:,} "
            f"case-and-intervention decisions: this catalog has {k:,} interventions)")


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorOut, "description": description}


BAD_INPUT: dict[int | str, dict[str, Any]] = {422: _error("The request is not valid: every problem with its field path and the CLI's message."),
             413: _error("The request body is larger than 1 MiB.")}


def body_doc(model: type) -> dict[str, Any]:
    """openapi_extra for an operation whose JSON body is `model` (its schema is added in app.py)."""
    return {"requestBody": {"required": True, "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


REQUEST_MODELS = (ScreenRequest, ProposeRequest, CheckRequest, AllocateRequest, ScreenBatchRequest)


class TooMuchWork(RatecardError):
    """A batch request over its per-request limit; answered 413 with the limit in words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.problems = [Problem(SOURCE, None, "cases", message)]


def _answer(raw: bytes, model: type[M], decide: Callable[[M], Any]) -> Response:
    """Read the request, decide, serialise: the whole of a one-case request, in whichever thread
    runs it. A case problem found only while deciding (a birth date after `on`) is reported like
    any other, at its path in the body."""
    req = read_body(raw, model)
    try:
        result = decide(req)
    except CaseError as e:
        raise RequestError(body_problems(e.problems, "case")) from None
    return Response(result.model_dump_json(), media_type=JSON)


async def _respond(request: Request, model: type[M], decide: Callable[[M], Any]) -> Response:
    raw = await request.body()
    if len(raw) <= INLINE_BYTES:
        return _answer(raw, model, decide)
    return await run_in_threadpool(_answer, raw, model, decide)


def _for_the_api(row: dict[str, Any]) -> dict[str, Any]:
    """An error row's messages as /v1/screen gives them (the request schema, not the CLI's reference)."""
    if "errors" not in row:
        return row
    return {**row, "errors": [{**e, "message": for_the_api(e["message"])} for e in row["errors"]]}


def _batch_answer(raw: bytes, catalog: Catalog, today: dt.date) -> bytes:
    """The screen-batch answer as JSON bytes: the rows exactly as screen_many gives them (the lines
    of `ratecard screen-batch --out FILE.jsonl`), without a second copy of their format."""
    from ..decide.screen_many import screen_many  # Polars: loaded on the first batch, not at start

    limit = batch_limit(catalog)
    doc, text = read_document(raw, ScreenBatchBody, BATCH_LIMITS)
    cases = doc.data.get("cases")
    if isinstance(cases, list) and len(cases) > limit:
        raise TooMuchWork(f"holds {len(cases):,} cases; a request may hold {batch_limit_text(catalog)}. "
                          "Send the cases in several requests, or screen a file with `ratecard screen-batch`")
    req = validate_document(text, doc, ScreenBatchBody)
    on = req.on or today
    rows = [_for_the_api(row) for row in screen_many(req.cases, catalog, on=on).rows()]
    errors = sum(1 for row in rows if "errors" in row)
    head = json.dumps({"catalog_version": catalog.version, "on": on.isoformat(), "screened": len(rows) - errors,
                       "errors": errors}, separators=(",", ":"))
    body = ",".join(json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows)
    return (head[:-1] + ',"rows":[' + body + "]}").encode()


class _BatchTurns:
    """One batch at a time in this process, and a short queue: four maximal batches at once took
    RSS to 2.0 GiB and froze /healthz for 11.9 s."""

    def __init__(self) -> None:
        self.running = asyncio.Semaphore(1)
        self.pending = 0  # running or waiting

    async def run(self, fn: Callable[..., bytes], *args: Any) -> bytes:
        if self.pending > BATCH_QUEUE:
            raise StarletteHTTPException(503, f"{self.pending} batches are already being screened or waiting their turn; "
                                              "try again in a few seconds.", headers={"Retry-After": "5"})
        self.pending += 1
        try:
            async with self.running:
                return await run_in_threadpool(fn, *args)
        finally:
            self.pending -= 1


def router(catalog: Catalog, dependencies: list[Any]) -> APIRouter:
    r = APIRouter(prefix="/v1", dependencies=dependencies)
    today = dt.date.today
    turns = _BatchTurns()

    @r.post("/screen", operation_id="screen", response_model=Screen, responses=BAD_INPUT,
            openapi_extra=body_doc(ScreenRequest), summary="Screen a case against every intervention (ratecard screen --json)")
    async def screen_route(request: Request) -> Response:
        return await _respond(request, ScreenRequest, lambda q: screen(q.case, catalog, on=q.on or today()))

    @r.post("/propose", operation_id="propose", response_model=Proposal, responses=BAD_INPUT,
            openapi_extra=body_doc(ProposeRequest),
            summary="Propose requirements, a package and RAR days (ratecard propose --json)")
    async def propose_route(request: Request) -> Response:
        return await _respond(request, ProposeRequest, lambda q: propose(
            q.case, catalog, on=q.on or today(), rar_days=q.rar_days, order_months=q.order_months,
            margin_weeks=q.margin_weeks))

    @r.post("/check", operation_id="check", response_model=ReferralCheck,
            responses={**BAD_INPUT, 404: _error("No intervention with that id; the message suggests close ids.")},
            openapi_extra=body_doc(CheckRequest), summary="Check a referral after sentence (ratecard check --json)")
    async def check_route(request: Request) -> Response:
        return await _respond(request, CheckRequest, lambda q: check_referral(
            q.case, q.intervention, catalog, on=q.on or today(), idle_weeks=q.idle_weeks))

    @r.post("/allocate", operation_id="allocate", response_model=Allocation, responses=BAD_INPUT,
            openapi_extra=body_doc(AllocateRequest),
            summary="NPS or CRC, the CRC tier and any escalation (ratecard allocate --json)")
    async def allocate_route(request: Request) -> Response:
        return await _respond(request, AllocateRequest, lambda q: allocate(q.case, catalog, on=q.on or today()))

    @r.post("/screen-batch", operation_id="screen_batch", response_model=ScreenBatchOut,
            responses={**BAD_INPUT, 413: _error(f"The request body is larger than 1 MiB, or holds more cases than one "
                                                f"request may ({batch_limit_text(catalog)})."),
                       503: _error("Other batches are being screened: try again after Retry-After seconds.")},
            openapi_extra=body_doc(ScreenBatchRequest),
            summary="Screen many cases at once (ratecard screen-batch); a bad case is an error row",
            description=f"Per request: {batch_limit_text(catalog)}, and a body of at most 1 MiB. Each process "
                        f"screens one batch at a time; {BATCH_QUEUE} more may wait their turn.")
    async def screen_batch_route(request: Request) -> Response:
        raw = await request.body()
        return Response(await turns.run(_batch_answer, raw, catalog, today()), media_type=JSON)

    @r.get("/interventions", operation_id="interventions", response_model=list[InterventionOut],
           summary="Every intervention in the catalog")
    def interventions() -> list[InterventionOut]:
        return [InterventionOut(id=iv.id, name=iv.name, provider=iv.provider,
                                provider_name=catalog.providers[iv.provider].name if iv.provider in catalog.providers else iv.provider,
                                area=iv.area, kind=iv.kind, needs=list(iv.needs), requires=iv.requires, status=iv.status)
                for iv in sorted(catalog.interventions.values(), key=lambda i: i.id)]

    @r.get("/catalog", operation_id="catalog", response_model=CatalogOut,
           summary="The catalog being served: version, name, edition, areas")
    def catalog_info() -> CatalogOut:
        i = catalog.info
        return CatalogOut(version=catalog.version, name=i.name, edition=i.edition, as_of=i.as_of,
                          illustrative_note=i.illustrative_note, areas=list(i.areas), interventions=len(catalog.interventions))

    @r.get("/briefing", operation_id="briefing", response_model=Briefing,
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
            return Response(b.model_dump_json(), media_type=JSON)
        text = await run_in_threadpool(render_briefing, b, format)
        if format == "html":
            # the briefing is one self-contained page with its own stylesheet inside it
            return HTMLResponse(text, headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'"})
        return Response(text, media_type="text/markdown; charset=utf-8")

    return r


def health_router() -> APIRouter:
    r = APIRouter()

    @r.get("/healthz", operation_id="healthz", response_model=Health,
           summary="Liveness: the server is up and its catalog is loaded")
    def healthz() -> Health:
        return Health(status="ok")

    return r
