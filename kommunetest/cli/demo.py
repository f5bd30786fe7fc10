"""`kommunetest demo`: the whole product on the embedded defaults, on loopback only."""

from __future__ import annotations

from pathlib import Path

import click

from kommunetest.cli.app import App, pass_app


@click.command("demo")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("results/demo"), show_default=True,
    help="Directory of the rehearsal project: database, raw mail, snapshots (emptied first).",
)  # fmt: skip
@click.option(
    "--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports/demo"),
    show_default=True, help="Where the rehearsal's report is built (emptied first).",
)  # fmt: skip
@click.option("--weeks", type=int, default=6, show_default=True, help="Length of the rehearsal round.")
@click.option(
    "--no-browser", is_flag=True, help="Skip Chromium (JavaScript pages, mobile view, screenshots)."
)
@click.option(
    "--municipalities",
    help="Only these kommunenummer (comma-separated), for a quick rehearsal. Default: all.",
)
@pass_app
def command(
    app: App, out: Path, report_dir: Path, weeks: int, no_browser: bool, municipalities: str | None
) -> None:
    """Run a complete rehearsal round over all 357 municipalities on loopback and build its report.

    Local mail system, simulated municipal websites and simulated municipalities answering e-mail: nothing
    leaves 127.0.0.1. Prints how right the round was against the simulation's ground truth."""
    from kommunetest.demo import run_demo

    base = app.project_dir or Path.cwd()
    out = out if out.is_absolute() else base / out
    report_dir = report_dir if report_dir.is_absolute() else base / report_dir
    knrs = [k.strip() for k in municipalities.split(",")] if municipalities else None
    result = run_demo(
        out, report_dir, weeks=weeks, browser=not no_browser, municipalities=knrs, echo=click.echo
    )
    click.echo("")
    for line in result.accuracy:
        click.echo(line)
    click.echo("")
    click.echo("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in result.timings.items()))
    click.echo(f"database: {result.database}")
    click.echo(f"report: {result.report_dir / 'index.html' if result.report_dir else 'not built'}")
