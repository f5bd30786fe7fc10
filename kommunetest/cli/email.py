"""`kommunetest email`."""

from __future__ import annotations

import click


@click.group("email")
def command() -> None:
    """(email commands)"""
