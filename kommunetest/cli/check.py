"""`kommunetest check`."""

from __future__ import annotations

import click


@click.command("check")
def command() -> None:
    """Validate settings, register and scenarios."""
