"""The `ratecard` command. Click for parsing and help (it is well kept, gives typed options and
clear usage errors); every user mistake exits 1 with a message and no traceback."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.console import Console

from .case import Case, load_case
from .catalog import Catalog, load_catalog
from .errors import RatecardError

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _catalog(path: str | None) -> Catalog:
    if path is None:
        from . import default_catalog

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
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
def screen(case: Path, on: dt.datetime | None, as_json: bool, catalog_path: str | None) -> None:
    """Screen CASE (a YAML or JSON file) against every intervention in the catalog."""
    from .render import print_screen
    from .screen import screen as run_screen

    c = load_case(case)
    result = run_screen(c, _catalog(catalog_path), on=_on(on))
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        print_screen(result, Console(width=max(Console().width, 120)))


@cli.command()
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--on", "on", type=_DATE, help="Reference date (YYYY-MM-DD); default today.")
@click.option("--rar-days", type=click.IntRange(1, 365), help="Maximum RAR days the court has fixed; default the case's sentence.rar_days.")
@click.option("--order-months", type=click.IntRange(1, 120), help="Proposed order length in months; default the case's sentence.length_months.")
@click.option("--margin-weeks", type=click.IntRange(0, 52), help="Weeks before the order ends by which everything must finish; default 4.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a summary.")
@click.option("--catalog", "catalog_path", type=click.Path(file_okay=False), help="Catalog folder; default the shipped one.")
def propose(case: Path, on: dt.datetime | None, rar_days: int | None, order_months: int | None,
            margin_weeks: int | None, as_json: bool, catalog_path: str | None) -> None:
    """Propose requirements, an intervention package and RAR days for CASE, for a pre-sentence report."""
    from .proposal import propose as run_propose
    from .proposal_render import print_proposal

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
