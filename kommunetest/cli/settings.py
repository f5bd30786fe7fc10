"""`kommunetest settings`: every setting with its value, where the value came from, and its help."""

from __future__ import annotations

import json

import click
from pydantic import BaseModel

from kommunetest.cli.app import App, pass_app
from kommunetest.settings import declared


def _plain(value: object) -> object:
    """Nested models (personas) as plain data, so they print and serialise readably."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.model_dump() if isinstance(value, BaseModel) else value


@click.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def command(app: App, as_json: bool) -> None:
    """List every setting: value, source, environment name and help."""
    s = app.settings()
    rows = []
    for info in declared():
        value = s.get(info.name)
        shown = "(set)" if info.secret and value else _plain(value)
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
        value = r["value"]
        if isinstance(value, list) and value and isinstance(value[0], dict):
            ids = ", ".join(str(v.get("id", "?")) for v in value)
            value = f"[{len(value)} entries: {ids}]"
        else:
            value = repr(value)
        click.echo(f"{r['name']} = {value}   [{r['source']}; env {r['env']}]")
        click.echo(f"    {r['help']}")
