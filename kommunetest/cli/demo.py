"""`kommunetest demo`: the whole product on the embedded defaults, on loopback only."""

from __future__ import annotations

from pathlib import Path

import click

from kommunetest.cli.app import App, pass_app


@click.command("demo")
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), default=Path("results/demo"), show_default=True,
    help="Directory of the rehearsal project (emptied first).",
)  # fmt: skip
@click.option("--weeks", type=int, default=6, show_default=True, help="Length of the rehearsal round.")
@pass_app
def command(app: App, out: Path, weeks: int) -> None:
    """Run a complete rehearsal round over all municipalities on loopback and print where the results are."""
    from kommunetest.demo import run_demo

    base = app.project_dir or Path.cwd()
    out = out if out.is_absolute() else base / out
    result = run_demo(out, weeks=weeks, echo=click.echo)
    click.echo(f"rehearsal project: {result.project_dir}")
    click.echo(f"database: {result.database}")
