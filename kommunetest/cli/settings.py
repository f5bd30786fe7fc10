"""`kommunetest settings`: every setting with its value, where the value came from, and its help."""

from __future__ import annotations

import json

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.settings import declared


@click.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def command(app: App, as_json: bool) -> None:
    """List every setting: value, source, environment name and help."""
    s = app.settings()
    rows = []
    for info in declared():
        value = s.get(info.name)
        shown = "(set)" if info.secret and value else value
        rows.append(
            {
                "name": info.name,
                "value": shown,
                "default": info.default,
                "source": s.sources.get(info.name, "default"),
                "env": info.env,
                "secret": info.secret,
                "help": info.help,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    for r in rows:
        click.echo(f"{r['name']} = {r['value']!r}   [{r['source']}; env {r['env']}]")
        click.echo(f"    {r['help']}")
