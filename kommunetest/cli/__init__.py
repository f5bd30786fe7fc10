"""The command line: thin commands over the library.

This module is the one place where errors become what users see: a message on stderr and an exit code,
with a traceback only under `--debug`.
"""

from __future__ import annotations

import sys
import traceback
from importlib import import_module

import click

from kommunetest import __version__
from kommunetest.cli.app import App
from kommunetest.errors import KommunetestError

# Command groups, one module each; a module defines `command` (a click command or group).
COMMAND_MODULES = [
    "check",
    "settings",
    "register",
    "scenarios",
    "round",
    "web",
    "email",
    "phone",
    "run",
    "score",
    "report",
    "demo",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False),
    help="Project directory (holds kommunetest.toml, results/). Default: the current directory.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(__version__, prog_name="kommunetest")
@click.pass_context
def cli(ctx: click.Context, project_dir: str | None, debug: bool) -> None:
    """kommunetest: mystery-shopper tests of Norwegian municipalities' public service."""
    ctx.obj = App(project_dir=project_dir, debug=debug)
    ctx.call_on_close(ctx.obj.close)


for _name in COMMAND_MODULES:
    cli.add_command(import_module(f"kommunetest.cli.{_name}").command)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="kommunetest", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except KommunetestError as e:
        if debug:
            traceback.print_exc()
        click.secho(f"error: {e}", fg="red", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as e:
        if debug:
            traceback.print_exc()
        click.secho(
            f"internal error: {type(e).__name__}: {e}\n  run again with --debug for the traceback and report it",
            fg="red",
            err=True,
        )
        sys.exit(70)
    sys.exit(0)
