"""`kommunetest register`."""

from __future__ import annotations

import click


@click.group("register")
def command() -> None:
    """(register commands)"""
