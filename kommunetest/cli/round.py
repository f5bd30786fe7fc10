"""`kommunetest round`."""

from __future__ import annotations

import click


@click.group("round")
def command() -> None:
    """(round commands)"""
