"""`kommunetest register`: the municipality register (municipalities.csv)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.errors import RemoteError
from kommunetest.register import (
    COLUMNS,
    SIZE_CLASS_LABELS_NB,
    Municipality,
    load_register,
    register_path,
)
from kommunetest.register_sync import BRREG_BASE_URL, SyncReport, sync_register


def _as_json(m: Municipality) -> dict[str, Any]:
    return {
        **m.model_dump(),
        "size_class": m.size_class,
        "size_class_nb": m.size_class_nb,
        "display_name": m.display_name,
        "domain": m.domain,
    }


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)


@click.group("register")
def command() -> None:
    """Municipality register (municipalities.csv)."""


@command.command("validate")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def validate(app: App, path: Path | None) -> None:
    """Check the register; report every problem by line and column.

    PATH defaults to the project's register (project.municipalities).
    """
    register = load_register(path or register_path(app.settings()))
    click.echo(f"{register.path}: OK, {len(register)} municipalities in {len(register.counties())} counties")


@command.command("show")
@click.argument("knr")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def show(app: App, knr: str, as_json: bool) -> None:
    """All fields of one municipality, with its size class."""
    m = load_register(register_path(app.settings())).get(knr)
    if as_json:
        click.echo(json.dumps(_as_json(m), ensure_ascii=False, indent=2))
        return
    row = m.to_row()
    lines = [[col, row[col]] for col in COLUMNS]
    lines.append(["size_class", f"{m.size_class} ({m.size_class_nb})"])
    lines.append(["domain", m.domain or ""])
    click.echo(_table(lines))


@command.command("list")
@click.option("--county", help="County number or name, e.g. 56 or Finnmark.")
@click.option(
    "--size-class",
    "size_class",
    help=f"Population band: {', '.join(f'{k} ({v})' for k, v in SIZE_CLASS_LABELS_NB.items())}.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (all fields).")
@pass_app
def list_(app: App, county: str | None, size_class: str | None, as_json: bool) -> None:
    """List municipalities, optionally of one county and/or size class."""
    register = load_register(register_path(app.settings()))
    chosen = list(register)
    if county:
        keep = {m.kommunenummer for m in register.in_county(county)}
        chosen = [m for m in chosen if m.kommunenummer in keep]
    if size_class:
        keep = {m.kommunenummer for m in register.in_size_class(size_class)}
        chosen = [m for m in chosen if m.kommunenummer in keep]
    if as_json:
        click.echo(json.dumps([_as_json(m) for m in chosen], ensure_ascii=False, indent=2))
        return
    rows = [["knr", "name", "county", "population", "size class", "website"]]
    rows += [
        [m.kommunenummer, m.display_name, m.county, str(m.population), m.size_class, m.website or ""]
        for m in chosen
    ]
    click.echo(_table(rows))
    click.echo(f"{len(chosen)} municipalities")


def _print_sync(report: SyncReport, write: bool) -> None:
    rows = [["knr", "name", "field", "old", "new"]]
    for o in report.changed:
        for c in o.changes:
            rows.append([o.kommunenummer, o.name, c.field, c.old or "(empty)", c.new or "(empty)"])
    if len(rows) > 1:
        click.echo(_table(rows))
    else:
        click.echo("no changes")
    for o in report.failed:
        for problem in o.problems:
            click.echo(f"FAILED {o.kommunenummer} {o.name}: {problem}", err=True)
    n, changed, failed = len(report.outcomes), len(report.changed), len(report.failed)
    summary = f"{n} checked, {changed} with changes, {failed} failed"
    if report.written:
        click.echo(f"{summary}; wrote {report.written}")
    elif write:
        click.echo(f"{summary}; nothing to write")
    else:
        click.echo(f"{summary}; dry run: nothing written (use --write to save)")


@command.command("sync")
@click.option("--base-url", default=BRREG_BASE_URL, show_default=True, help="Enhetsregisteret API base URL.")
@click.option("--live", is_flag=True, help="Allow a base URL outside loopback (the real Enhetsregisteret).")
@click.option("--write", is_flag=True, help="Save the changes (default: only show them).")
@click.option(
    "--municipality", "-m", "municipalities", multiple=True, help="Only this kommunenummer (repeatable)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--concurrency", default=8, show_default=True, help="Requests in flight at once.")
@click.option("--timeout", default=10.0, show_default=True, help="Seconds per request.")
@pass_app
def sync(
    app: App,
    base_url: str,
    live: bool,
    write: bool,
    municipalities: tuple[str, ...],
    as_json: bool,
    concurrency: int,
    timeout: float,
) -> None:
    """Fill e-mail, phone and website from Enhetsregisteret.

    Shows what would change; --write saves it. Exits non-zero if any municipality failed. With --write the changes go to the project's register (project.municipalities), created from the
    repository's copy when the project has none.
    """
    settings = app.settings()
    report = sync_register(
        register_path(settings),
        base_url=base_url,
        live=live,
        write=write,
        write_to=settings.path(settings.project.municipalities),
        municipalities=municipalities or None,
        concurrency=concurrency,
        timeout=timeout,
        user_agent=settings.web.user_agent,
    )
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_sync(report, write)
    if report.failed:
        raise RemoteError(
            f"{len(report.failed)} of {len(report.outcomes)} municipalities failed",
            hint="see the FAILED lines; the others were processed",
        )
