"""The ASGI application behind `ratecard serve`: the court web page and the JSON API.

`create_app(catalog, token)` builds one; `app_from_env()` is the factory uvicorn's worker
processes call (`--workers N`), reading RATECARD_CATALOG and RATECARD_API_TOKEN.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..catalog.load import Catalog, default_catalog, load_catalog
from ..decide.briefing import BriefingError
from ..errors import InputError, Problem, RatecardError, UnknownInterventionError
from ..inputs.yamlio import Document, pydantic_problems
from . import api, pages
from .body import for_the_api
from .catalogs import CatalogChoices
from .guard import LOOPBACK_NAMES, BodyTooLarge, Guard, app_path, too_large_text

TOKEN_ENV = "RATECARD_API_TOKEN"
CATALOG_ENV = "RATECARD_CATALOG"
HOSTS_ENV = "RATECARD_ALLOWED_HOSTS"
STATIC = Path(str(resources.files("ratecard.web"))) / "static"


def _err(status: int, error: str, detail: str, problems: list[Problem] | None = None,
         headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {"error": error, "detail": for_the_api(detail),
            "problems": [{"field": p.field, "line": p.line, "message": for_the_api(p.message)} for p in problems or []]}
    return JSONResponse(body, status_code=status, headers=headers)


def _is_api(request: Request) -> bool:
    path = app_path(request.scope)
    return path.startswith("/v1/") or path == "/healthz"


class _Errors:
    """Adapter: FastAPI's RequestValidationError.errors() takes no arguments, pydantic's does."""

    def __init__(self, errors: Any):
        self._errors = errors

    def errors(self, include_url: bool = False) -> list[dict[str, Any]]:
        return [dict(e) for e in self._errors]


def _bearer(token: str) -> Any:
    scheme = HTTPBearer(auto_error=False, description="Set RATECARD_API_TOKEN on the server; send it as a bearer token.")

    def require(credentials: HTTPAuthorizationCredentials | None = Depends(scheme)) -> None:
        given = credentials.credentials if credentials else ""
        # constant-time comparison: the time taken must not tell how much of a guess was right
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise StarletteHTTPException(401, "A bearer token is required: send 'Authorization: Bearer <token>'.",
                                         headers={"WWW-Authenticate": "Bearer"})

    return require


def create_app(catalog: Catalog | None = None, token: str | None = None,
               allowed_hosts: Iterable[str] | None = LOOPBACK_NAMES) -> Any:
    """The web page and JSON API for `catalog` (default: the shipped one).

    With `token`, every /v1 route needs `Authorization: Bearer <token>`; the web page and /healthz
    do not (its sign-in belongs to the court's reverse proxy: docs/http.md). `allowed_hosts`: the
    names the Host header may give (default this machine's loopback names; None: any). Returns an
    ASGI app (the FastAPI app inside guard.Guard: who is answered, the size limit, the access log
    and headers); the FastAPI app itself is its `.app`.
    """
    catalog = catalog or default_catalog()
    catalog.engine  # compile now: the first request should not pay for it, and a bad rule fails at start
    app = FastAPI(
        title="ratecard",
        version=__version__,
        description=("Screen a person on probation against a catalog of interventions, propose a package for a "
                     "pre-sentence report, check referrals and allocation. Every answer names the catalog version "
                     "and the reference date. Nothing is stored; no case data is logged."),
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN; the OpenAPI document is at /openapi.json
    )
    app.state.catalog = catalog
    deps = [Depends(_bearer(token))] if token else []
    app.include_router(api.health_router())
    app.include_router(api.router(catalog, deps))
    app.include_router(pages.router(catalog, CatalogChoices(catalog)))  # the served one, the shipped one, the national one
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(InputError)
    async def input_error(request: Request, e: InputError) -> Response:
        if not _is_api(request):
            return await pages.error_page(request, str(e), 422)
        return _err(422, "invalid_input", str(e), e.problems)

    @app.exception_handler(UnknownInterventionError)
    async def unknown_intervention(request: Request, e: UnknownInterventionError) -> Response:
        return _err(404, "not_found", str(e), [Problem("request body", None, "intervention", str(e))])

    @app.exception_handler(BriefingError)
    async def unknown_area(request: Request, e: BriefingError) -> Response:
        return _err(404, "not_found", str(e))

    @app.exception_handler(RatecardError)
    async def other_input(request: Request, e: RatecardError) -> Response:
        if not _is_api(request):
            return await pages.error_page(request, str(e), 422)
        return _err(422, "invalid_input", str(e))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, e: RequestValidationError) -> Response:
        problems = pydantic_problems(Document("request", None, {}), _Errors(e.errors()))
        shown = [Problem(p.file, None, p.field.removeprefix("query.").removeprefix("path."), p.message) for p in problems]
        return _err(422, "invalid_input", InputError(shown, what="request").args[0], shown)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, e: BodyTooLarge) -> Response:
        if not _is_api(request):
            return await pages.error_page(request, too_large_text(), 413)
        return _err(413, "too_large", too_large_text())

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, e: StarletteHTTPException) -> Response:
        codes = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 503: "busy"}
        if not _is_api(request) and e.status_code != 401:
            return await pages.error_page(request, str(e.detail), e.status_code)
        return _err(e.status_code, codes.get(e.status_code, "error"), str(e.detail), headers=e.headers)

    @app.exception_handler(Exception)
    async def server_error(request: Request, e: Exception) -> Response:
        # Guard logs it (type and code location only); the person gets no detail that could echo case data
        return _err(500, "server_error", "Something went wrong in ratecard; nothing was stored. Try again, and report it "
                    "if it happens again.")

    @app.exception_handler(api.TooMuchWork)
    async def too_much_work(request: Request, e: api.TooMuchWork) -> Response:
        return _err(413, "too_large", str(e), e.problems)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return Guard(app, allowed_hosts=allowed_hosts)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the request bodies' schemas (bodies are read by api.read_body)."""
    if app.openapi_schema:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    _, top = models_json_schema([(m, "validation") for m in api.REQUEST_MODELS],
                                ref_template="#/components/schemas/{model}")
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in top.get("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            raise RuntimeError(f"OpenAPI: two different schemas are both named {name}; rename one of the models")
        schemas[name] = schema
    # the most cases a batch request may hold, for the catalog being served
    schemas["ScreenBatchRequest"]["properties"]["cases"]["maxItems"] = api.batch_limit(app.state.catalog)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    for path in doc["paths"].values():
        for method, op in path.items():
            # what the guard refuses before the app sees a request, and, with a token, a missing token
            responses = op.setdefault("responses", {})
            responses.setdefault("413", {"description": "Request body over 1 MiB.", "content": error})
            responses.setdefault("400", {"description": "The Host header names another server (start ratecard with "
                                                        "--allowed-host NAME to answer to NAME).", "content": error})
            if method == "post":
                responses.setdefault("403", {"description": "Sent by another site's page (Sec-Fetch-Site).", "content": error})
                responses.setdefault("415", {"description": "The body is not sent as Content-Type: application/json.",
                                             "content": error})
            if op.get("security"):
                responses.setdefault("401", {"description": "No valid bearer token.", "content": error})
    app.openapi_schema = doc
    return doc


def app_from_env() -> Any:
    """The app as `ratecard serve` configures it: RATECARD_CATALOG (a folder; default the shipped
    catalog), RATECARD_API_TOKEN (optional) and RATECARD_ALLOWED_HOSTS (comma-separated names the
    Host header may give; default this machine's loopback names; `*` any). uvicorn calls this in
    each worker process."""
    import gc

    from .serve import quiet_records

    quiet_records()
    path = os.environ.get(CATALOG_ENV)
    hosts = os.environ.get(HOSTS_ENV)
    app = create_app(load_catalog(path) if path else None, os.environ.get(TOKEN_ENV) or None,
                     LOOPBACK_NAMES if hosts is None else (None if hosts == "*" else hosts.split(",")))
    # A worker keeps one catalog for its life. Frozen out of the cyclic collector's sight, it is no
    # longer walked by every full collection: on the generated 2,000-intervention catalog those
    # came every few screens and took about 300 ms each (screen p90 358 ms, 81 ms frozen).
    gc.collect()
    gc.freeze()
    return app
