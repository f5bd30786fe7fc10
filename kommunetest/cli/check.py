"""`kommunetest check`."""

from __future__ import annotations

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.errors import ValidationError


@click.command("check")
@pass_app
def command(app: App) -> None:
    """Validate settings, register and scenarios; errors name file, line and field."""
    from kommunetest.check import run_check

    _, report = run_check(app.project_dir, app.flags)
    for line in report.ok:
        click.echo(f"ok: {line}")
    if report.problems:
        raise ValidationError(report.problems, summary=f"check failed: {len(report.problems)} problem(s)")
    click.echo("all valid")
