"""`kommunetest scenarios`."""

from __future__ import annotations

import click


@click.group("scenarios")
def command() -> None:
    """(scenarios commands)"""
