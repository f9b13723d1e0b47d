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
    cat = load_catalog(path)
    cat.engine  # compile too: a rule can be valid and still too big for durable_rules
    n_rules = len(cat.rules.all_rules())
    click.echo(
        f"OK: {cat.info.name} ({cat.info.edition}), {len(cat.interventions)} interventions, "
        f"{len(cat.providers)} providers, {len(cat.rules.derived)} derived facts, {n_rules} rules; "
        f"version {cat.version}"
    )


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
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default is this machine only; see the README before changing it.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes; each loads its own copy of the catalog.")
@click.option("--root-path", default="", help="URL prefix when a reverse proxy serves it under a sub-path, e.g. /ratecard.")
def serve(host: str, port: int, catalog_path: str | None, workers: int, root_path: str) -> None:
    """Serve the web page for court staff and the JSON API (needs: pip install 'ratecard[serve]').

    Nothing is stored and no case data is logged. Set RATECARD_API_TOKEN to require a bearer token on /v1.
    """
    from .web.serve import run

    run(host=host, port=port, catalog=catalog_path, workers=workers, root_path=root_path)


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
