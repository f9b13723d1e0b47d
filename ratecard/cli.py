"""The `ratecard` command. Click for parsing and help (it is well kept, gives typed options, clear
usage errors and shell completion).

Start-up is part of the job: a PSO runs `ratecard screen` between two cases, so this module
imports click and nothing else at the top; each command imports what it needs when it runs
(`ratecard --help` loads no pydantic, rich or rules). One function per command.

Exit status: 0 done; 1 an input error (a file that cannot be read or is not valid, an id the
catalog does not have); 2 a usage error (an unknown option, a missing argument, an option value
of the wrong form); `check --exit-code` adds 3 accept with warnings (or if agreed), 4 reject and 5 undetermined
(information missing).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .labels import NEEDS  # plain data, costs nothing to import

if TYPE_CHECKING:
    from .present.layout import Renderable

    from .catalog.load import Catalog

EXIT_INPUT = 1  # usage errors exit 2, click's own status for them
EXIT_WARNINGS = 3
EXIT_REJECT = 4
EXIT_UNDETERMINED = 5  # information missing: the check cannot be settled yet

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


class DateParam(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A date as court staff write it: 2017-03-01 or 01/03/2017 (day first, as in the UK)."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        uk = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if iso:
            y, m, d = (int(x) for x in iso.groups())
        elif uk:
            d, m, y = (int(x) for x in uk.groups())
        else:
            from .present.terminal import shown

            self.fail(f"'{shown(text)}' is not a date; write it as YYYY-MM-DD (2017-03-01) or DD/MM/YYYY (01/03/2017)", param, ctx)
        if not 1 <= y <= 9999:
            self.fail(f"'{text}' is not a date ratecard can use: the year must be from 1 to 9999", param, ctx)
        if not 1 <= m <= 12:
            self.fail(f"'{text}' is not a real date: there is no month {m}; write YYYY-MM-DD or DD/MM/YYYY (day first)", param, ctx)
        try:
            return dt.date(y, m, d)
        except ValueError:
            import calendar

            days = calendar.monthrange(y, m)[1]
            self.fail(f"'{text}' is not a real date: {_MONTHS[m - 1]} {y} has {days} days", param, ctx)


DATE = DateParam()
_ON = click.option("--on", "on", type=DATE,
                   help="YYYY-MM-DD or DD/MM/YYYY: the reference date for ages and time left; default today.")
_CATALOG = click.option("--catalog", "catalog_path", type=click.Path(path_type=Path), metavar="DIR",
                        help="Catalog folder; default the shipped one.")
_OUT = click.option("--out", "-o", "out", type=click.Path(path_type=Path), metavar="FILE",
                    help="Write to this file instead of standard output.")
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON (for other systems) instead of text.")
_EXPLAIN = click.option("--explain", is_flag=True, help="Also show rule ids and field names.")
_CASE = click.argument("case", type=click.Path(path_type=Path))


def _catalog(path: str | Path | None) -> Catalog:
    from .catalog.cache import cached_catalog

    return cached_catalog(path)


def _refuse_inputs(out: Path | None, catalog_path: Path | str | None, *files: Path | str | None) -> None:
    """Refuse --out FILE naming one of the command's inputs: a file given, or a file of a catalog
    it reads (--catalog DIR, or the shipped one)."""
    if out is None or not out.exists():
        return
    from .catalog.load import default_catalog_path, source_files
    from .present.terminal import refuse_overwriting

    catalogs = [Path(c) for c in (catalog_path, *files) if c is not None and Path(c).is_dir()]
    catalogs.append(default_catalog_path())
    refuse_overwriting(out, [*(f for f in files if f is not None and not Path(f).is_dir()),
                             *(p for c in catalogs for p in source_files(c))])


def _on(value: dt.date | None) -> dt.date:
    return value or dt.date.today()


def _emit_text(text: str, out: Path | None, *, is_json: bool = False) -> None:
    """JSON, Markdown or HTML: to standard output, or to --out FILE. On a terminal, characters that
    could restyle the screen or reorder what it shows are escaped (in JSON as \\u escapes, so it
    is the same JSON); into a pipe or a file the text is written as it is."""
    if out is None:
        from .present.terminal import is_terminal

        if is_terminal():
            from .present.terminal import json_for_terminal, shown_lines

            text = json_for_terminal(text) if is_json else shown_lines(text)
        click.echo(text, nl=not text.endswith("\n"))
        return
    from .present.terminal import shown, write_out

    write_out(out, text if text.endswith("\n") else text + "\n")
    click.echo(f"Wrote {shown(out)}", err=True)


def _emit_view(view: Callable[[int], Renderable], out: Path | None) -> None:
    """A terminal view, `view(width)`: in colour at the terminal's width (rich); into a pipe or to
    --out FILE as plain text laid out without rich (present/layout.py), at COLUMNS or 100 columns."""
    from .present.layout import plain
    from .present.terminal import FILE_WIDTH, columns, console, is_terminal

    if out is None and is_terminal():
        c = console()
        c.print(view(c.width))
        return
    width = columns() or FILE_WIDTH
    _emit_text(plain(view(width), width), out)


def _case_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """CASE and the options every command on one case takes: --on, --json, --explain, --catalog, --out."""
    for option in (_OUT, _CATALOG, _EXPLAIN, _JSON, _ON, _CASE):
        f = option(f)
    return f


def _show(result: Any, as_json: bool, out: Path | None, view: Callable[[int], Renderable]) -> None:
    """A result as JSON (from its model) or as a terminal view; `view` imports the view's module
    only when it is needed, so --json never loads the views."""
    if as_json:
        _emit_text(result.model_dump_json(indent=2), out, is_json=True)
    else:
        _emit_view(view, out)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
             epilog="Exit status: 0 done; 1 input error (a file that cannot be read or is not valid, an id the "
                    "catalog does not have); 2 usage error (unknown option, missing argument, a value of the wrong "
                    "form). 'check --exit-code' adds 3 accept with warnings (or if agreed), 4 reject and 5 undetermined.")
@click.version_option(package_name="ratecard")
def cli() -> None:
    """Screen people on probation against a catalog of interventions.

    Dates are YYYY-MM-DD or DD/MM/YYYY. Every command takes --out FILE. Shell completion: see
    docs/cli.md (eval "$(_RATECARD_COMPLETE=bash_source ratecard)").
    """


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@_OUT
def validate(path: Path | None, out: Path | None) -> None:
    """Check a catalog folder and its rules (default: the shipped catalog); list every problem."""
    from .catalog.load import load_catalog
    from .present.terminal import shown
    from .ruletests import check_rule_tests

    _refuse_inputs(out, path)
    cat = load_catalog(path)
    cat.engine  # compile too: a rule can be valid and still too big for durable_rules
    n_tests = check_rule_tests(cat)  # the rule tests must name real interventions and fields
    n_rules = len(cat.rules.all_rules())
    n_judged = sum(r.judgement for r in cat.rules.all_rules())
    for w in cat.warnings:
        click.echo(f"warning: {shown(str(w), prose=True)}", err=True)
    _emit_text(
        f"OK: {shown(cat.info.name)} ({shown(cat.info.edition)}), {len(cat.interventions)} interventions, "
        f"{len(cat.providers)} providers, {len(cat.rules.derived)} derived facts, {n_rules} rules"
        + (f" ({n_judged} needing a person's judgement)" if n_judged else "") + ", "
        f"{n_tests} rule tests; version {cat.version}"
        + (f"; {len(cat.warnings)} warning{'s' if len(cat.warnings) != 1 else ''}" if cat.warnings else "") + "\n", out)


@cli.command("test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
def test_rules(path: Path | None, catalog_path: str | None) -> None:
    """Run rule tests (PATH: a file or folder of them; default the catalog's rules/tests/).

    PATH may also be a catalog folder: its own rules/tests/ are run against it. Each failure is
    printed with file and line; the exit status is 1 when any test fails.
    """
    from .catalog.load import load_catalog
    from .ruletests import run_rule_tests

    if path is not None and catalog_path is None and path.is_dir() and (
            (path / "catalog.yaml").exists() or (path / "catalog" / "catalog.yaml").exists()):
        cat, tests = load_catalog(path), None
    else:
        cat, tests = _catalog(catalog_path), path
    results = run_rule_tests(tests, cat)
    failed = [r for r in results if not r.passed]
    for r in failed:
        for f in r.failures:
            click.echo(str(f))
        click.echo(f"  why it should hold: {r.test.reason}")
    click.echo(f"{len(results)} rule tests: {len(results) - len(failed)} passed, {len(failed)} failed "
               f"(catalog version {cat.version})")
    if failed:
        sys.exit(1)


@cli.command()
@_case_options
def screen(case: Path, on: dt.date | None, as_json: bool, explain: bool, catalog_path: Path | None, out: Path | None) -> None:
    """Screen CASE (a YAML or JSON file) against every intervention in the catalog."""
    from .case.model import load_case
    from .decide.screen import screen as run_screen

    _refuse_inputs(out, catalog_path, case)
    result = run_screen(load_case(case), _catalog(catalog_path), on=_on(on))

    def view(width: int) -> Renderable:
        from .present.screen import screen_view

        return screen_view(result, explain, width)

    _show(result, as_json, out, view)


@cli.command("list")
@click.option("--area", help="Only this area's interventions (an area id, e.g. northamptonshire).")
@click.option("--need", type=click.Choice(sorted(NEEDS)), metavar="NEED",
              help="Only interventions for this need, one of: " + ", ".join(sorted(NEEDS)) + ".")
@click.option("--on", "on", type=DATE, help="YYYY-MM-DD or DD/MM/YYYY: the date of the status shown; default today.")
@_JSON
@_CATALOG
@_OUT
def list_(area: str | None, need: str | None, on: dt.date | None, as_json: bool, catalog_path: Path | None,
          out: Path | None) -> None:
    """List the interventions: id (as `check` takes it), name, needs and status on a date."""
    from .present.catalog import catalog_listing, listing_json, listing_view

    _refuse_inputs(out, catalog_path)
    items = catalog_listing(_catalog(catalog_path), area=area, need=need, on=on)
    if as_json:
        _emit_text(listing_json(items), out, is_json=True)
        return
    _emit_view(lambda width: listing_view(items, width), out)


@cli.command()
@_CASE
@click.argument("intervention")
@_ON
@_JSON
@_EXPLAIN
@_CATALOG
@click.option("--idle-weeks", type=click.IntRange(1, 52), default=4, show_default=True,
              help="Warn when no RAR activity has happened for longer than this.")
@click.option("--exit-code", "exit_code", is_flag=True,
              help="Exit 0 for accept, 3 for accept with warnings or accept if agreed, 4 for reject, 5 for undetermined (information "
                   "missing) (default: 0 whatever the verdict).")
@_OUT
@click.pass_context
def check(ctx: click.Context, case: Path, intervention: str, on: dt.date | None, as_json: bool, explain: bool,
          catalog_path: Path | None, idle_weeks: int, exit_code: bool, out: Path | None) -> None:
    """Check a referral of CASE to INTERVENTION after sentence: accept, accept with warnings, undetermined (information
    missing) or reject."""
    from .case.model import load_case
    from .decide.referral import check_referral

    _refuse_inputs(out, catalog_path, case)
    result = check_referral(load_case(case), intervention, _catalog(catalog_path), on=_on(on), idle_weeks=idle_weeks)

    def view(width: int) -> Renderable:
        from .present.checks import check_view

        return check_view(result, explain)

    _show(result, as_json, out, view)
    if exit_code:
        # accept if agreed: go ahead only once a person agrees, so not 0: the warnings' status
        ctx.exit({"accept": 0, "accept_with_warnings": EXIT_WARNINGS, "accept_if_agreed": EXIT_WARNINGS,
                  "undetermined": EXIT_UNDETERMINED,
                  "reject": EXIT_REJECT}[result.verdict])


@cli.command()
@_case_options
def allocate(case: Path, on: dt.date | None, as_json: bool, explain: bool, catalog_path: Path | None, out: Path | None) -> None:
    """NPS or CRC for CASE, the CRC tier after recorded events, and any escalation to the NPS."""
    from .case.model import load_case
    from .decide.allocation import allocate as run_allocate

    _refuse_inputs(out, catalog_path, case)
    result = run_allocate(load_case(case), _catalog(catalog_path), on=_on(on))

    def view(width: int) -> Renderable:
        from .present.checks import allocation_text

        return allocation_text(result, explain)

    _show(result, as_json, out, view)


@cli.command("check-batch")
@click.argument("file", type=click.Path(path_type=Path))
@_ON
@_CATALOG
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]),
              help="Results as JSON Lines, or as CSV for Excel; default CSV when --out ends in .csv, else JSON Lines.")
@click.option("--allow-paths", "allow_paths", multiple=True, type=click.Path(path_type=Path), metavar="DIR",
              help="Also read case files from this folder (repeatable); by default only from FILE's folder.")
@_OUT
def check_batch(file: Path, on: dt.date | None, catalog_path: Path | None, fmt: str | None,
                allow_paths: tuple[Path, ...], out: Path | None) -> None:
    """Check every (case, intervention) row of FILE (JSON Lines or CSV); one result a row.

    Case paths are relative to FILE's folder and must stay inside it (see --allow-paths). A bad row
    gives an error row; the rest are still checked. The summary goes to standard error.
    """
    from .present.batch import run_check_batch

    _refuse_inputs(out, catalog_path, file)
    run_check_batch(file, _catalog(catalog_path), on=_on(on), fmt=fmt, allow_paths=allow_paths, out=out)


@cli.command("screen-batch")
@click.argument("cases", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_ON
@_CATALOG
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Results file: .jsonl (one line per case), .parquet or .csv (one row per case and intervention).")
def screen_batch(cases: Path, on: dt.datetime | None, catalog_path: str | None, out: Path) -> None:
    """Screen every case of CASES (JSON Lines, JSON array, CSV with dotted columns, or Parquet).

    Exit status 0 when every row was screened, 1 when some rows were errors (they are error rows
    in the output, or beside it for .parquet and .csv), 1 for a file that cannot be read.
    """
    from rich.console import Console
    from rich.progress import Progress

    from .decide.screen_many import output_format, screen_many, write_results
    from .errors import OutputError
    from .case.tables import read_cases
    from .present.terminal import AtomicOut

    fmt = output_format(str(out))
    _refuse_inputs(out, catalog_path, cases)
    cat = _catalog(catalog_path)
    # a progress display only for a person watching; never in a pipe or a log
    with Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("Reading cases", total=3)
        table = read_cases(cases)
        bar.update(task, advance=1, description=f"Screening {table.total:,} cases")
        result = screen_many(table, cat, on=_on(on))
        bar.update(task, advance=1, description="Writing results")
        side_file = Path(str(out) + ".errors.jsonl")
        with AtomicOut(out) as written:
            try:
                side = write_results(result, written.path, fmt)
            except OSError as e:
                raise OutputError(f"{out}: cannot write the results ({e.strerror}); give another --out path") from None
            if side:
                written.also(side, side_file)
        if not side:
            side_file.unlink(missing_ok=True)  # an earlier run's error rows do not describe these results
        bar.update(task, advance=1)
        side = str(side_file) if side else None
    bad = [e["row"] for e in result.errors]
    summary = f"{result.height:,} cases screened, {len(bad):,} row{'s' if len(bad) != 1 else ''} with errors; wrote {out}"
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
        where = f"in {side}" if side else "in the output"
        summary += f" (rows {shown}: see their error rows {where}, fix them and screen those cases again)"
    click.echo(summary, err=True)
    if bad:
        sys.exit(1)


@cli.command()
@click.argument("cases", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_ON
@click.option("--area", help="Area id from the catalog, e.g. northamptonshire; default every area.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True,
              help="Markdown, one self-contained printable HTML file with charts, or the data as JSON.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of standard output.")
@_CATALOG
def caseload(cases: Path, on: dt.datetime | None, area: str | None, fmt: str, out: Path | None, catalog_path: str | None) -> None:
    """The needs assessment of a caseload (CASES as for screen-batch): needs, provision, gaps,
    missing information, cost, and delivery where after-sentence records are given."""
    from .decide.caseload import build_caseload
    from .errors import OutputError
    from .case.tables import read_cases
    from .present.caseload import render_caseload

    _refuse_inputs(out, catalog_path, cases)
    table = read_cases(cases)
    report = build_caseload(table, _catalog(catalog_path), on=_on(on), area=area)
    text = report.model_dump_json(indent=2) + "\n" if fmt == "json" else render_caseload(report, fmt)  # type: ignore[arg-type]
    _emit_text(text, out, is_json=fmt == "json")
    if table.errors:
        click.echo(f"{len(table.errors):,} rows of {cases} could not be read and are not counted "
                   f"(first: row {table.errors[0]['row']}); run screen-batch on the file to see their errors", err=True)


@cli.command()
@click.option("--area", required=True, help="Area id from the catalog, e.g. northamptonshire.")
@click.option("--town", help="Only provision delivered in this town (or by outreach), e.g. corby.")
@click.option("--on", "on", type=DATE, help="YYYY-MM-DD or DD/MM/YYYY: the briefing date; default today.")
@click.option("--since", "since", type=click.Path(path_type=Path), metavar="DIR",
              help="An earlier catalog folder: add a section on what changed since it.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True,
              help="Markdown (for email and documents), one self-contained HTML file, or the data as JSON.")
@_OUT
@_CATALOG
def brief(area: str, town: str | None, on: dt.date | None, since: Path | None, fmt: str, out: Path | None,
          catalog_path: Path | None) -> None:
    """A sentencer briefing for one area: its interventions by need, who each is for, and status."""
    from .catalog.load import load_catalog
    from .decide.briefing import build_briefing
    from .present.briefing import render_briefing

    _refuse_inputs(out, catalog_path, since)
    b = build_briefing(_catalog(catalog_path), area, town=town, on=_on(on), since=load_catalog(since) if since else None)
    _emit_text(b.model_dump_json(indent=2) + "\n" if fmt == "json" else render_briefing(b, fmt), out,  # type: ignore[arg-type]
               is_json=fmt == "json")


@cli.command()
@_CASE
@_ON
@click.option("--rar-days", type=click.IntRange(1, 365), help="Maximum RAR days the court has fixed; default the case's sentence.rar_days.")
@click.option("--order-months", type=click.IntRange(1, 120), help="Proposed order length in months; default the case's sentence.length_months.")
@click.option("--margin-weeks", type=click.IntRange(0, 52), help="Weeks before the order ends by which everything must finish; default the catalog's proposal_margin_weeks, else 4.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
@_CATALOG
@_OUT
def propose(case: Path, on: dt.date | None, rar_days: int | None, order_months: int | None,
            margin_weeks: int | None, as_json: bool, catalog_path: Path | None, out: Path | None) -> None:
    """Propose requirements, an intervention package and RAR days for CASE, for a pre-sentence report."""
    from .case.model import load_case
    from .decide.proposal import propose as run_propose

    _refuse_inputs(out, catalog_path, case)
    result = run_propose(load_case(case), _catalog(catalog_path), on=_on(on), rar_days=rar_days,
                         order_months=order_months, margin_weeks=margin_weeks)

    def view(width: int) -> Renderable:
        from .present.proposal import proposal_view

        return proposal_view(result, width)

    _show(result, as_json, out, view)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default is this machine only; see docs/http.md before changing it.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@_CATALOG
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; each loads its own copy of the catalog.")
@click.option("--root-path", default="", help="URL prefix when a reverse proxy serves it under a sub-path, e.g. /ratecard.")
@click.option("--allowed-host", "allowed_host", multiple=True, metavar="NAME",
              help="Also answer requests addressed to NAME (repeatable), e.g. the name a reverse proxy passes on. "
                   "By default only this machine's loopback names, and the --host address.")
def serve(host: str, port: int, catalog_path: Path | None, workers: int, root_path: str,
          allowed_host: tuple[str, ...]) -> None:
    """Serve the web page for court staff and the JSON API (needs the serve extra: pip install 'ratecard[serve]').

    Nothing is stored and no case data is logged. Set RATECARD_API_TOKEN to require a bearer token on
    /v1 (the API only: the page's sign-in belongs to the court's reverse proxy; see docs/http.md).
    """
    from .web.serve import run

    run(host=host, port=port, catalog=catalog_path, workers=workers, root_path=root_path, extra_hosts=allowed_host)


@cli.command()
@_OUT
def schema(out: Path | None) -> None:
    """Print the JSON Schema of a case file."""
    import json

    from .case.model import Case

    _emit_text(json.dumps(Case.model_json_schema(), indent=2) + "\n", out, is_json=True)


@cli.group("import")
def import_() -> None:
    """Convert a published catalogue into a ratecard catalog and rules."""


@import_.command("find-and-refer")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Catalog folder to write (catalog/ and rules/ inside it; its rules/tests/ are kept).")
def import_find_and_refer(source: Path, out: Path) -> None:
    """HMPPS's Find and refer an intervention files (SOURCE: a folder of *.json) as a catalog.

    Prints what became of every source field (rules, judgement, no restriction, description),
    then validates the catalog it wrote; a field it does not know stops it (exit 1)."""
    from .importers.find_and_refer import run

    _, table = run(source, out)
    click.echo(table + f"Wrote and validated {out}\n", nl=False)


def main(argv: list[str] | None = None) -> None:
    """Run the command; a user's mistake is a message and an exit status, never a traceback."""
    import os

    # the CLI uses no pydantic plugin; looking for them scans every installed package's metadata
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from .errors import RatecardError

    try:
        rv = cli.main(args=argv, standalone_mode=False, prog_name="ratecard")
    except RatecardError as e:
        _fail(str(e), EXIT_INPUT)
    except ImportError as e:  # a command that needs an extra not installed here (ratecard/extras.py)
        from .extras import explain

        if (missing := explain(e)) is None:
            raise
        _fail(str(missing), EXIT_INPUT)
    except click.exceptions.Abort:
        _fail("aborted", EXIT_INPUT)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)  # 2 for usage errors (click.UsageError and its kinds)
    except BrokenPipeError:
        # the reader went away (`ratecard list | head`): stop quietly, and keep Python from
        # complaining about the closed pipe when it flushes at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    if isinstance(rv, int) and rv:
        sys.exit(rv)  # check --exit-code


def _fail(message: str, status: int) -> None:
    from .present.terminal import shown_lines

    text = f"ratecard: {shown_lines(message)}"
    if sys.stderr.isatty():
        # on a terminal, each problem wrapped to its width and indented under its first line; piped
        # or logged, one line a problem, for grep
        import shutil
        import textwrap

        width = max(40, shutil.get_terminal_size().columns)
        text = "\n".join(textwrap.fill(line, width, subsequent_indent="    ", break_long_words=False,
                                        break_on_hyphens=False) if len(line) > width else line
                         for line in text.splitlines())
    click.echo(text, err=True)
    sys.exit(status)
