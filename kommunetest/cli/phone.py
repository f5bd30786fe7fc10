"""`kommunetest phone`: the phone app, tester accounts, sharing calls and following the calls."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.errors import UsageError


def _desk(app: App):
    from kommunetest.channels.phone.calls import PhoneDesk
    from kommunetest.scenarios import load_project_scenarios

    settings = app.settings()
    return PhoneDesk(app.store(), load_project_scenarios(settings), settings)


def _password(from_stdin: bool) -> str:
    """Read from stdin for scripts, else prompt twice; never from a flag (it would stay in shell history)."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UsageError("no password on standard input", hint="pipe it in: printf '%s\\n' \"$PW\" | ...")
        return line
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group("phone")
def command() -> None:
    """The phone testers' web app and its accounts."""


@command.command("serve")
@click.option("--host", help="Address to listen on (default: phone.host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: phone.port, 8650).")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """Start the phone app (until Ctrl-C)."""
    from kommunetest.channels.phone.server import serve as run
    from kommunetest.scenarios import load_project_scenarios

    settings = app.settings(**{"phone.host": host, "phone.port": port})
    run(settings, app.store(), load_project_scenarios(settings), host=settings.phone.host,
        port=settings.phone.port, echo=lambda m: click.echo(m, err=m.startswith("warning")))  # fmt: skip


@command.group("tester")
def tester() -> None:
    """Tester and coordinator accounts."""


@tester.command("add")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Full name, shown to coordinators only.")
@click.option("--coordinator", is_flag=True, help="May see every call, share calls and download entries.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def add(app: App, username: str, display_name: str, coordinator: bool, password_stdin: bool) -> None:
    """Create an account."""
    from kommunetest.channels.phone.accounts import check_username, create_tester

    check_username(username)
    password = _password(password_stdin)
    row = create_tester(app.store(), username, password, app.settings().phone, display_name=display_name,
                        role="coordinator" if coordinator else "tester")  # fmt: skip
    click.echo(f"{row['role']} {row['username']} created")


@tester.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Accounts with their role and state (no passwords)."""
    from kommunetest.channels.phone.accounts import is_locked

    rows = app.store().testers()
    now = datetime.now(UTC)
    out = [
        {"username": r["username"], "name": r["display_name"], "role": r["role"], "active": r["active"],
         "locked": is_locked(r, now),
         "last_login": r["last_login_at"].isoformat() if r["last_login_at"] else None}
        for r in rows
    ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    if not out:
        click.echo("no accounts yet: kommunetest phone tester add NAME")
    for r in out:
        state = "active" if r["active"] else "switched off"
        click.echo(f"{r['username']:<20} {r['role']:<12} {state:<13} last login {r['last_login'] or '-'}")


@tester.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def password(app: App, username: str, password_stdin: bool) -> None:
    """Set a new password (also unlocks the account and ends its sessions)."""
    from kommunetest.channels.phone.accounts import require_tester, set_password

    require_tester(app.store(), username)
    set_password(app.store(), username, _password(password_stdin), app.settings().phone)
    click.echo(f"password of {username} changed")


@tester.command("disable")
@click.argument("username")
@pass_app
def disable(app: App, username: str) -> None:
    """Switch an account off (its entries stay; its open calls can be moved)."""
    from kommunetest.channels.phone.accounts import set_active

    set_active(app.store(), username, False)
    click.echo(f"{username} switched off")


@tester.command("enable")
@click.argument("username")
@pass_app
def enable(app: App, username: str) -> None:
    """Switch an account on again."""
    from kommunetest.channels.phone.accounts import set_active

    set_active(app.store(), username, True)
    click.echo(f"{username} switched on")


@command.command("assign")
@click.option("--round", "round_name", required=True, help="Round name.")
@click.option(
    "--tester", "usernames", multiple=True, help="Give calls to these testers (default: all active)."
)
@click.option("--rebalance", is_flag=True, help="Also share anew the calls not yet begun.")
@pass_app
def assign(app: App, round_name: str, usernames: tuple[str, ...], rebalance: bool) -> None:
    """Share the round's phone calls among testers, day by day."""
    from zoneinfo import ZoneInfo

    from kommunetest.channels.phone.assign import assign_round

    settings = app.settings()
    result = assign_round(app.store(), round_name, usernames=usernames, rebalance=rebalance,
                          tz=ZoneInfo(settings.calendar.timezone))  # fmt: skip
    click.echo(f"{result.assigned} calls shared, {result.kept} kept their tester")
    for name, n in result.per_tester.items():
        click.echo(f"  {name}: {n}")


@command.command("status")
@click.option("--round", "round_name", required=True, help="Round name.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def status(app: App, round_name: str, as_json: bool) -> None:
    """How far the round's calls have come, in total and per tester."""
    from kommunetest.channels.phone.assign import progress

    app.store().get_round(round_name)
    p = progress(_desk(app), round_name)
    if as_json:
        click.echo(json.dumps(p, ensure_ascii=False, indent=1))
        return
    click.echo(
        f"round {round_name}: {p['calls']} calls, {p['done']} done ({p['reached']} reached someone), "
        f"{p['to_call']} to call, {p['retry']} to retry, {p['unassigned']} not assigned"
    )
    for name, counts in p["testers"].items():
        parts = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        click.echo(f"  {name or '(not assigned)'}: {parts}")


@command.command("export")
@click.option("--round", "round_name", required=True, help="Round name.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="CSV file (default: stdout).")
@pass_app
def export(app: App, round_name: str, out: Path | None) -> None:
    """Every revision of every call entry as CSV (internal: it holds notes and tester names)."""
    from kommunetest.channels.phone.export import entries_csv

    app.store().get_round(round_name)
    text = entries_csv(_desk(app), round_name)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"{text.count(chr(10)) - 1} entries written to {out}")
