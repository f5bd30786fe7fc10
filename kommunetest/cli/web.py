"""`kommunetest web`: the web channel (`inspect` one page, `check` a round's web items on every site)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from kommunetest.cli.app import App, pass_app


@click.group("web")
def command() -> None:
    """Web channel: read facts from pages, check a round's web items on the municipalities' websites."""


@command.command("inspect", short_help="Print the facts of one page (a file or a loopback URL).")
@click.argument("source", metavar="PATH_OR_URL")
@click.option("--json", "as_json", is_flag=True, help='Print JSON: {"source": ..., "facts": [...]}.')
@click.option(
    "--topic",
    "topics",
    multiple=True,
    metavar="TERM",
    help="Keep facts about this topic (e.g. servicetorg, bibliotek, byggesak); repeatable.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="KIND",
    help="Keep facts of this kind (opening_hours, processing_time, complaint_deadline, price, phone, "
    "email); repeatable.",
)
@click.option("--year", type=int, help="Keep prices for this year (and those with no year).")
@pass_app
def inspect_command(
    app: App, source: str, as_json: bool, topics: tuple[str, ...], kinds: tuple[str, ...], year: int | None
) -> None:
    """Print the facts one page gives: an HTML, text or PDF file, or a loopback URL."""
    from kommunetest.channels.web.inspection import inspect_source

    result = inspect_source(
        source, settings=app.settings(), topics=list(topics), kinds=list(kinds), year=year
    )
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(f"{result.source}: {len(result.facts)} fact{'s' if len(result.facts) != 1 else ''}")
    if result.facts:
        click.echo(
            _table([(f.kind, format_value(f.kind, f.value), f.context or "", f.text) for f in result.facts])
        )


@command.command("check", short_help="Check the round's web items on every municipality's website.")
@click.option("--round", "round_name", required=True, help="The round whose web probes to check.")
@click.option("--municipality", "municipalities", multiple=True, metavar="KNR",
              help="Only this municipality (4-digit kommunenummer); repeatable.")  # fmt: skip
@click.option("--no-browser", is_flag=True, help="HTTP only: no JavaScript rendering, mobile check, screenshots "
              "or accessibility scan (mobile observations are then not recorded).")  # fmt: skip
@click.option("--no-screenshots", is_flag=True, help="Use the browser, but take no screenshots.")
@click.option(
    "--live", is_flag=True, help="Crawl real websites outside loopback (also needs web.live = true)."
)
@click.option("--resolve", "resolves", multiple=True, metavar="HOST=IP:PORT",
              help="Send requests for HOST to IP:PORT, a loopback server (e.g. the simulated nation). HOST may "
              "be *.domain for every site host under it; repeatable.")  # fmt: skip
@click.option("--resolve-file", type=click.Path(exists=True, dir_okay=False), metavar="FILE.json",
              help='Host mappings as JSON: {"www.3203.sim.kommunetest.test": "127.0.0.1:8080", ...}.')  # fmt: skip
@click.option("--sim-sites", is_flag=True,
              help="Check the simulated sites (www.KNR.sim.kommunetest.test) instead of the register's websites.")  # fmt: skip
@click.option("--recheck", is_flag=True,
              help="Check again the sites already checked (default: skip them, so an interrupted round goes on).")  # fmt: skip
@pass_app
def check_command(
    app: App,
    round_name: str,
    municipalities: tuple[str, ...],
    no_browser: bool,
    no_screenshots: bool,
    live: bool,
    resolves: tuple[str, ...],
    resolve_file: str | None,
    sim_sites: bool,
    recheck: bool,
) -> None:
    """Crawl each municipality's website for the round's web items and record what is found, on desktop
    and on mobile, with evidence (HTML snapshots, highlighted screenshots), accessibility counts and the
    digital services. A site that fails ends with its status; the round goes on. Safe to run again: sites
    already checked are skipped and those that failed are tried again; with --recheck every site is checked
    again and its observations are replaced. Nothing is duplicated."""
    from kommunetest.channels.web.check import check_round, parse_resolve

    settings = app.settings()
    store = app.store()
    resolver = parse_resolve(resolves, Path(resolve_file) if resolve_file else None)
    site_urls = None
    if sim_sites:
        from kommunetest.sandbox.webround import sim_site_urls

        site_urls = sim_site_urls(r["kommunenummer"] for r in store.round_municipalities(round_name))
    summary = check_round(
        settings, store, round_name, municipalities=list(municipalities) or None, progress=_Progress(),
        resolver=resolver, live=live, site_urls=site_urls, browser=False if no_browser else None,
        screenshots=False if no_screenshots else None, recheck=recheck,
    )  # fmt: skip
    for line in summary.lines():
        click.echo(line)


class _Progress:
    """One line on stderr that counts sites as they finish (every tenth of the round when not a terminal)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.failed = 0

    def __call__(self, done: int, total: int, knr: str, status: str) -> None:
        self.failed += status != "ok"
        line = f"web check: {done}/{total} sites ({self.failed} failed), last {knr} {status}"
        if self.tty:
            click.echo(f"\r{line:<78}", nl=done == total, err=True)
        elif done == total or done % max(1, total // 10) == 0:
            click.echo(line, err=True)


_DAY_NAMES = {
    "mon": "man",
    "tue": "tir",
    "wed": "ons",
    "thu": "tor",
    "fri": "fre",
    "sat": "lør",
    "sun": "søn",
}
_UNITS = {"hours": "timer", "days": "dager", "weeks": "uker", "months": "måneder"}
_PER = {"month": "/mnd", "year": "/år", "hour": "/time", "day": "/dag", "week": "/uke", "once": " engangs"}


def format_value(kind: str, value: Any) -> str:
    """A value as a reader writes it: "man–fre 08:00–15:30", "12–16 uker", "3 145 kr/mnd (2027)"."""
    if kind == "opening_hours":
        days = value.get("days")
        if days and len(days) > 2 and _consecutive(days):
            span = f"{_DAY_NAMES[days[0]]}–{_DAY_NAMES[days[-1]]} "
        else:
            span = ", ".join(_DAY_NAMES[d] for d in days) + " " if days else ""
        return f"{span}{value['from']}–{value['to']}"
    if kind in ("processing_time", "complaint_deadline"):
        amount = f"{value['amount']}–{value['max']}" if "max" in value else f"{value['amount']}"
        unit = "virkedager" if value.get("working_days") else _UNITS.get(value["unit"], value["unit"])
        return f"{amount} {unit}"
    if kind == "price":
        nok = f"{value['nok']:,}".replace(",", " ").replace(".", ",")
        text = f"{nok} kr{_PER.get(value.get('per') or '', '')}"
        return f"{text} ({value['year']})" if value.get("year") else text
    return str(value)


def _consecutive(days: list[str]) -> bool:
    order = list(_DAY_NAMES)
    idx = [order.index(d) for d in days]
    return idx == list(range(idx[0], idx[0] + len(idx)))


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    """Kind, value, context and text in aligned columns, text cut to the terminal width."""
    width = shutil.get_terminal_size((120, 20)).columns
    head = ("kind", "value", "context", "text")
    w = [min(max(len(r[i]) for r in [head, *rows]), cap) for i, cap in enumerate((18, 28, 40, 200))]
    lines = []
    for r in [head, *rows]:
        cells = [_cut(r[i], w[i]).ljust(w[i]) for i in range(3)]
        line = "  ".join([*cells, r[3]])
        lines.append(_cut(line, max(width, 60)))
    return "\n".join(lines)


def _cut(text: str, n: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"
