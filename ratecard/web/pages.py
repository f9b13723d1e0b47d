"""The web page for court staff: a form (or a case file), then the screen and the proposal.

Server-rendered, works without JavaScript (the script only adds a copy button and moves focus to
errors). Nothing is stored: the answers travel in the form and back, and "change the answers"
posts them again. Forms are POSTed so that case data never appears in a URL, a proxy's log or the
browser history.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ..case.coerce import coerce_case
from ..case.model import Case, parse_case
from ..catalog.load import Catalog
from ..decide.proposal import Proposal, propose
from ..decide.proposal.paragraph import fact_words
from ..decide.screen import InterventionResult, Screen, screen
from ..decide.results import UNUSABLE
from ..errors import CaseError, Problem
from .body import for_the_api
from .catalogs import CatalogChoices
from .form import FormField, Submitted, all_fields, case_to_form, read_form, sections
from .guard import MAX_BODY
from .labels import need, value_label

TEMPLATES = Path(str(resources.files("ratecard.web"))) / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                   trim_blocks=True, lstrip_blocks=True)

# Warnings that make an eligible intervention unavailable to this person now; the others say only
# that availability could not be checked (order length or home town not known).
BLOCKING = UNUSABLE  # the warnings shown as what stands in the way (decide/results.py)


def _long_date(d: dt.date | None) -> str:
    return f"{d.day} {d:%B %Y}" if d else ""


_env.filters["long_date"] = _long_date
_env.filters["need"] = need
# a condition on a proposed programme in the words the paragraph uses ("the person is male"),
# never the form's own labels
_env.filters["fact_words"] = fact_words
_env.filters["value"] = lambda v, path="": value_label(path, v)


def _render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    root = request.scope.get("root_path", "").rstrip("/")
    ctx.setdefault("catalog", request.app.state.catalog)  # the footer names the catalog on every page
    html = _env.get_template(template).render(root=root, **ctx)
    return HTMLResponse(html, status_code=status)


async def error_page(request: Request, message: str, status: int) -> Response:
    return _render(request, "error.html.j2", status, title="Sorry, there is a problem", message=for_the_api(message))


def _today_values(on: dt.date) -> dict[str, str]:
    return {"on-day": str(on.day), "on-month": str(on.month), "on-year": str(on.year)}


def _read_on(raw: dict[str, Any], sub: Submitted) -> dt.date:
    parts = [str(raw.get(f"on-{p}", "")).strip() for p in ("day", "month", "year")]
    if not any(parts):
        return dt.date.today()
    try:
        if len(parts[2]) != 4:
            raise ValueError
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        sub.errors["on"] = "Reference date must be a real date, like 1 3 2017 (the year in four figures)"
        return dt.date.today()


def _form_data(form: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in form.keys():
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        out[key] = values if len(values) > 1 or key.startswith("sentence.requirements") else (values[0] if values else "")
    return out


def _field_for(problem: Problem, fields: dict[str, FormField]) -> str:
    """The form field a case problem belongs to: its path, or the nearest field above it, or one
    whose path the message names (rules about two fields are raised on the case as a whole)."""
    where = problem.field
    while where:
        if where in fields:
            return where
        where = where.rpartition(".")[0]
    named = [p for p in fields if problem.message.startswith(p) or f" {p} " in problem.message]
    if named:
        return max(named, key=len)
    section = problem.field.split(".")[0]
    return next((p for p in fields if p.startswith(section + ".")), "")


def _errors_from(e: CaseError, fields: dict[str, FormField], sub: Submitted) -> None:
    for p in e.problems:
        path = _field_for(p, fields)
        sub.errors.setdefault(path or "id", with_label(fields[path].full_label if path in fields else "The case",
                                                       for_the_api(p.message)))


def with_label(label: str, message: str) -> str:
    """The case model's message after the field's label: 'OGRS3 two-year score is out of range: ...'."""
    return f"{label} {message}" if message.startswith(("is ", "should ", "must ")) else f"{label}: {message}"


def _summary(sub: Submitted, fields: dict[str, FormField]) -> list[tuple[str, str]]:
    """(href, message) for the error summary, in the order of the form."""
    order = ["on", "id", *fields]
    out = []
    for path in sorted(sub.errors, key=lambda p: order.index(p) if p in order else len(order)):
        anchor = fields[path].id if path in fields else ("on-day" if path == "on" else path.replace(".", "-"))
        out.append((f"#{anchor}", sub.errors[path]))
    return out


def router(catalog: Catalog, choices: CatalogChoices | None = None) -> APIRouter:
    """The pages. The form is read with `catalog`'s fields (the case format is one for every
    catalog); the screen and proposal use the catalog the form chose among `choices`."""
    r = APIRouter(include_in_schema=False)
    fields = {f.path: f for f in all_fields(catalog)}
    offered = choices or CatalogChoices(catalog, [])

    def chosen(raw: dict[str, Any]) -> Catalog:
        key = raw.get("catalog")
        return offered.get(key if isinstance(key, str) else None)

    def form_page(request: Request, values: dict[str, Any], sub: Submitted | None = None, status: int = 200,
                  upload_error: list[tuple[str, str]] | None = None) -> HTMLResponse:
        sub = sub or Submitted()
        summary = upload_error or _summary(sub, fields)
        return _render(request, "form.html.j2", status, title="Screen a case and propose a package",
                       sections=sections(catalog), values=values, errors=sub.errors, summary=summary,
                       upload_error=upload_error, catalog=catalog, max_kib=MAX_BODY // 1024,
                       catalogs=offered.choices)

    @r.get("/", response_class=HTMLResponse)
    def start(request: Request) -> HTMLResponse:
        return form_page(request, _today_values(dt.date.today()))

    @r.post("/edit", response_class=HTMLResponse)
    async def edit(request: Request) -> HTMLResponse:
        return form_page(request, _form_data(await request.form()))

    @r.post("/result", response_class=HTMLResponse)
    async def result(request: Request) -> HTMLResponse:
        raw = _form_data(await request.form())
        data, sub = read_form(raw, catalog)
        on = _read_on(raw, sub)
        try:
            # the model's checks run on what could be read, so every problem is listed at once
            case = coerce_case(data, "form")
            if sub.errors:
                return form_page(request, raw, sub, 422)
            use = await run_in_threadpool(chosen, raw)
            scr, prop = await run_in_threadpool(_decide, case, use, on)
        except CaseError as e:
            _errors_from(e, fields, sub)
            return form_page(request, raw, sub, 422)
        return _result_page(request, case, scr, prop, raw, use)

    @r.post("/upload", response_class=HTMLResponse)
    async def upload(request: Request) -> HTMLResponse:
        form = await request.form()
        raw = _form_data(form)
        sub = Submitted()
        on = _read_on(raw, sub)
        file = form.get("case_file")
        if sub.errors:
            return form_page(request, raw, None, 422, upload_error=[("#upload-on-day", sub.errors["on"])])
        if not isinstance(file, UploadFile) or not file.filename:
            return form_page(request, raw, None, 422, upload_error=[("#case-file", "Select a case file (YAML or JSON) to upload")])
        name = Path(file.filename).name
        data = await file.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return form_page(request, raw, None, 422, upload_error=[("#case-file", f"{name} is not a UTF-8 text file; save it as YAML or JSON")])
        try:
            case = parse_case(text, name)
            use = await run_in_threadpool(chosen, raw)
            scr, prop = await run_in_threadpool(_decide, case, use, on)
        except CaseError as e:
            return form_page(request, raw, None, 422, upload_error=[("#case-file", for_the_api(str(p))) for p in e.problems])
        values = {**case_to_form(case, catalog), **_today_values(on)}
        if isinstance(raw.get("catalog"), str):
            values["catalog"] = raw["catalog"]  # "change the answers" keeps the catalog chosen
        return _result_page(request, case, scr, prop, values, use)

    def _result_page(request: Request, case: Case, scr: Screen, prop: Proposal, values: dict[str, Any],
                     use: Catalog) -> HTMLResponse:
        return _render(request, "result.html.j2", title="Screen and proposal", case=case, screen=scr, proposal=prop,
                       groups=_groups(scr), to_find=_to_find(scr, prop), providers=use.providers,
                       interventions=use.interventions, values=values, catalog=use, blocking=BLOCKING)

    return r


def _decide(case: Case, catalog: Catalog, on: dt.date) -> tuple[Screen, Proposal]:
    return screen(case, catalog, on=on), propose(case, catalog, on=on)


def _groups(scr: Screen) -> list[dict[str, Any]]:
    """The screen in the order a PSO reads it: what can be used now first."""
    available: list[InterventionResult] = []
    check: list[InterventionResult] = []
    agreed: list[InterventionResult] = []
    undetermined: list[InterventionResult] = []
    ineligible: list[InterventionResult] = []
    for r in scr.results:
        if r.decision == "eligible":
            (available if r.usable_now else check).append(r)
        elif r.decision == "eligible_if_agreed":
            agreed.append(r)
        elif r.decision == "undetermined":
            undetermined.append(r)
        else:
            ineligible.append(r)
    return [
        {"key": "available", "title": "Eligible and available", "results": available,
         "empty": "None: no intervention is both open to this person and available to them."},
        {"key": "check", "title": "Eligible, but not available to them now", "results": check, "empty": None},
        {"key": "agreed", "title": "Eligible if a person agrees (the provider or treatment manager decides)", "results": agreed,
         "empty": None},
        {"key": "undetermined", "title": "Not decided: information missing", "results": undetermined, "empty": None},
        {"key": "ineligible", "title": "Not eligible", "results": ineligible, "empty": None},
    ]


def _to_find(scr: Screen, prop: Proposal) -> list[dict[str, Any]]:
    """Each missing fact once: the proposal's questions first (with what each answer would settle),
    then the screen's, with the interventions each would decide."""
    items: dict[str, dict[str, Any]] = {}

    def item(field: str, label: str) -> dict[str, Any]:
        return items.setdefault(field, {"field": field, "label": label, "why": [], "interventions": [], "needs": []})

    for q in prop.to_find_out:
        item(q.field, q.label)["why"].append(q.why)
    for m in scr.missing:
        item(m.field, m.label)
    for r in scr.with_decision("undetermined"):  # only an undetermined result lists fields missing
        for m in r.missing:
            item(m.field, m.label)["interventions"].append(r.name)
    for u in prop.unmet_needs:
        for f in u.missing:
            it = item(f, f)
            if u.need not in it["needs"]:
                it["needs"].append(u.need)
    return list(items.values())
