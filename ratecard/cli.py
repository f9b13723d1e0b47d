"""The `ratecard` command. Click for parsing and help (it is well kept, gives typed options and
clear usage errors); every user mistake exits 1 with a message and no traceback."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.console import Console

from .case.model import Case, load_case
from .catalog.load import Catalog, load_catalog
from .errors import RatecardError

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _catalog(path: str | None) -> Catalog:
    if path is None:
        from .catalog.load import default_catalog

        return default_catalog()
    return load_catalog(path)


def _on(value: dt.datetime | None) -> dt.date:
    return value.date() if value else dt.date.today()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ratecard")
def cli() -> None:
    """Screen people on probation against a catalog of interventions."""


@cli.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def validate(path: Path | None) -> None:
    """Check a catalog folder and its rules (default: the shipped catalog); list every problem."""
    from .rules.ruletests import check_rule_tests

    cat = load_catalog(path)
    cat.engine  # compile too: a rule can be valid and still too big for durable_rules
    n_tests = check_rule_tests(cat)  # the rule tests must name real interventions and fields
    n_rules = len(cat.rules.all_rules())
    for w in cat.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(
        f"OK: {cat.info.name} ({cat.info.edition}), {len(cat.interventions)} interventions, "
        f"{len(cat.providers)} providers, {len(cat.rules.derived)} derived facts, {n_rules} rules, "
        f"{n_tests} rule tests; version {cat.version}"
        + (f"; {len(cat.warnings)} warning{'s' if len(cat.warnings) != 1 else ''}" if cat.warnings else "")
    )


@cli.command("test")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
def test_rules(path: Path | None, catalog_path: str | None) -> None:
    """Run rule tests (PATH: a file or folder of them; default the catalog's rules/tests/).

    PATH may also be a catalog folder: its own rules/tests/ are run against it. Each failure is
    printed with file and line; the exit status is 1 when any test fails.
    """
    from .rules.ruletests import run_rule_tests

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
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--on", "on", type=_DATE, help="Reference date (YYYY-MM-DD) for ages and time left; default today.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--explain", is_flag=True, help="List every criterion met, also for eligible interventions.")
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
def screen(case: Path, on: dt.datetime | None, as_json: bool, explain: bool, catalog_path: str | None) -> None:
    """Screen CASE (a YAML or JSON file) against every intervention in the catalog."""
    from .present.screen import print_screen
    from .decide.screen import screen as run_screen

    c = load_case(case)
    result = run_screen(c, _catalog(catalog_path), on=_on(on))
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        print_screen(result, Console(width=max(Console().width, 120)), explain=explain)


_ON = click.option("--on", "on", type=_DATE, help="Reference date (YYYY-MM-DD); default today.")
_CATALOG = click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")


@cli.command()
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("intervention")
@_ON
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_CATALOG
@click.option("--idle-weeks", type=click.IntRange(1, 52), default=4, show_default=True,
              help="Warn when no RAR activity has happened for longer than this.")
def check(case: Path, intervention: str, on: dt.datetime | None, as_json: bool, catalog_path: str | None,
          idle_weeks: int) -> None:
    """Check a referral of CASE to INTERVENTION after sentence: accept, accept with warnings, or reject."""
    from .decide.referral import check_referral
    from .present.checks import print_check

    result = check_referral(load_case(case), intervention, _catalog(catalog_path), on=_on(on), idle_weeks=idle_weeks)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        print_check(result, Console(width=max(Console().width, 100)))


@cli.command()
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@_ON
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_CATALOG
def allocate(case: Path, on: dt.datetime | None, as_json: bool, catalog_path: str | None) -> None:
    """NPS or CRC for CASE, the CRC tier after recorded events, and any escalation to the NPS."""
    from .decide.allocation import allocate as run_allocate
    from .present.checks import print_allocation

    result = run_allocate(load_case(case), _catalog(catalog_path), on=_on(on))
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        print_allocation(result, Console(width=max(Console().width, 100)))


@cli.command("check-batch")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_ON
@_CATALOG
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the results here instead of standard output.")
def check_batch(file: Path, on: dt.datetime | None, catalog_path: str | None, output: Path | None) -> None:
    """Check every (case, intervention) row of FILE (JSON Lines or CSV); one JSON result a line.

    Case paths are relative to FILE's folder. A bad row gives an error row; the rest are still checked.
    """
    from rich.progress import Progress

    from .decide.checkbatch import check_rows, count_rows

    cat = _catalog(catalog_path)
    total = count_rows(file)
    if total == 0:
        raise RatecardError(f"{file}: no rows to check; give one (case, intervention) row a line")
    try:
        out = output.open("w", encoding="utf-8") if output else sys.stdout
    except OSError as e:
        raise RatecardError(f"{output}: cannot write the results ({e.strerror}); give another --output path") from None
    checked = errors = 0
    bad: list[int] = []
    try:
        # a progress bar only for a person watching; never in a pipe or a log
        with Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("Checking referrals", total=total)
            for row in check_rows(file, cat, on=_on(on), progress=lambda i: bar.update(task, completed=i)):
                out.write(row.model_dump_json() + "\n")
                checked += row.status == "checked"
                if row.status == "error":
                    bad.append(row.row)
    finally:
        if output:
            out.close()
    summary = f"{checked} checked, {len(bad)} row{'s' if len(bad) != 1 else ''} with errors"
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
        summary += f" (row{'s' if len(bad) != 1 else ''} {shown}: see their 'errors', fix them and check those rows again)"
    click.echo(summary, err=True)


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
    from rich.progress import Progress

    from .decide.screen_many import output_format, screen_many, write_results
    from .inputs.tables import read_cases

    fmt = output_format(str(out))
    cat = _catalog(catalog_path)
    # a progress display only for a person watching; never in a pipe or a log
    with Progress(console=Console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("Reading cases", total=3)
        table = read_cases(cases)
        bar.update(task, advance=1, description=f"Screening {table.total:,} cases")
        result = screen_many(table, cat, on=_on(on))
        bar.update(task, advance=1, description="Writing results")
        try:
            side = write_results(result, out, fmt)
        except OSError as e:
            raise RatecardError(f"{out}: cannot write the results ({e.strerror}); give another --out path") from None
        bar.update(task, advance=1)
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
    from .inputs.tables import read_cases
    from .present.caseload import render_caseload

    table = read_cases(cases)
    report = build_caseload(table, _catalog(catalog_path), on=_on(on), area=area)
    text = report.model_dump_json(indent=2) + "\n" if fmt == "json" else render_caseload(report, fmt)  # type: ignore[arg-type]
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise RatecardError(f"{out}: cannot write the report ({e.strerror}); give another --out path") from None
        click.echo(f"Wrote {out}", err=True)
    if table.errors:
        click.echo(f"{len(table.errors):,} rows of {cases} could not be read and are not counted "
                   f"(first: row {table.errors[0]['row']}); run screen-batch on the file to see their errors", err=True)


@cli.command()
@click.option("--area", required=True, help="Area id from the catalog, e.g. northamptonshire.")
@click.option("--town", help="Only provision delivered in this town (or by outreach), e.g. corby.")
@click.option("--on", "on", type=_DATE, help="Briefing date (YYYY-MM-DD); default today.")
@click.option("--since", "since", type=click.Path(file_okay=False), help="An earlier catalog folder: add a section on what changed since it.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "json"]), default="md", show_default=True,
              help="Markdown (for email and documents), one self-contained HTML file, or the data as JSON.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of standard output.")
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
def brief(area: str, town: str | None, on: dt.datetime | None, since: str | None, fmt: str, out: Path | None, catalog_path: str | None) -> None:
    """A sentencer briefing for one area: its interventions by need, who each is for, and status."""
    from .decide.briefing import build_briefing
    from .present.briefing import render_briefing

    b = build_briefing(_catalog(catalog_path), area, town=town, on=_on(on), since=load_catalog(since) if since else None)
    text = b.model_dump_json(indent=2) + "\n" if fmt == "json" else render_briefing(b, fmt)  # type: ignore[arg-type]
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {out}", err=True)


@cli.command()
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--on", "on", type=_DATE, help="Reference date (YYYY-MM-DD); default today.")
@click.option("--rar-days", type=click.IntRange(1, 365), help="Maximum RAR days the court has fixed; default the case's sentence.rar_days.")
@click.option("--order-months", type=click.IntRange(1, 120), help="Proposed order length in months; default the case's sentence.length_months.")
@click.option("--margin-weeks", type=click.IntRange(0, 52), help="Weeks before the order ends by which everything must finish; default the catalog's proposal_margin_weeks, else 4.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
def propose(case: Path, on: dt.datetime | None, rar_days: int | None, order_months: int | None,
            margin_weeks: int | None, as_json: bool, catalog_path: str | None) -> None:
    """Propose requirements, an intervention package and RAR days for CASE, for a pre-sentence report."""
    from .decide.proposal import propose as run_propose
    from .present.proposal import print_proposal

    result = run_propose(load_case(case), _catalog(catalog_path), on=_on(on), rar_days=rar_days,
                         order_months=order_months, margin_weeks=margin_weeks)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        print_proposal(result, Console(width=max(Console().width, 120)))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of a case file."""
    click.echo(json.dumps(Case.model_json_schema(), indent=2))


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, standalone_mode=False)
    except RatecardError as e:
        click.echo(f"ratecard: {e}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("ratecard: aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(0)
