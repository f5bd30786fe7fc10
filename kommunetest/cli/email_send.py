"""`kommunetest email send` and `email outbox`: the sending side of the e-mail channel (thin commands).

Registered on the `email` group by `kommunetest/cli/email.py`.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import click

from kommunetest.cli.app import App, pass_app

_ISO_HELP = "ISO time, e.g. 2027-02-08T10:00 (Europe/Oslo unless it has an offset)"


def clock_from_options(app: App, now: str | None, speed: float = 1.0, jump: bool = False):
    """A real clock, or a simulated one starting at --now."""
    from kommunetest.clock import Clock, parse_instant
    from kommunetest.errors import UsageError

    tz = app.settings().calendar.timezone
    if now is None and (jump or speed != 1.0):
        raise UsageError("--speed and --jump need --now (a simulated clock)")
    return Clock(parse_instant(now, tz) if now else None, speed=speed, jump=jump)


@click.command("send")
@click.option("--round", "round_name", required=True, help="The round whose due probes to send.")
@click.option("--now", help=f"Treat this instant as now (a simulated clock); {_ISO_HELP}.")
@click.option("--live", is_flag=True, help="Send to real addresses (also needs email.live = true).")
@click.option("--dry-run", is_flag=True, help="Only print what would be sent.")
@click.option("--limit", type=int, help="Send at most this many (default: email.max_per_run; 0: no cap).")
@pass_app
def send_command(
    app: App, round_name: str, now: str | None, live: bool, dry_run: bool, limit: int | None
) -> None:
    """Send the e-mail probes that are due now: at or after their planned time, in office hours.

    Without the live opt-in (email.live = true and --live), messages that would leave loopback are not
    sent: the command prints what it would send. Safe to interrupt and run again: nothing is sent twice.
    """
    from kommunetest.channels.email.send import send_due
    from kommunetest.clock import stop_on_signals
    from kommunetest.runner import describe_pass

    settings = app.settings()
    clock = clock_from_options(app, now)
    store = app.store()
    with stop_on_signals(clock.stop):
        report = send_due(
            settings, store, round_name, clock=clock, live=live, dry_run=dry_run, limit=limit, echo=click.echo
        )
    for line in describe_pass(report, ZoneInfo(settings.calendar.timezone)):
        click.echo(line)


def _row_json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


@click.group("outbox", invoke_without_command=True)
@click.option("--round", "round_name", help="Only this round.")
@click.option(
    "--state",
    type=click.Choice(["pending", "sending", "sent", "unknown", "failed"]),
    multiple=True,
    help="Only rows in this state (repeatable).",
)
@click.option("--unknown", is_flag=True, help="Only messages whose fate is unknown after a crash.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (every row).")
@click.option("--limit", type=int, default=100, show_default=True, help="Rows shown at most.")
@click.pass_context
def outbox_command(
    ctx: click.Context,
    round_name: str | None,
    state: tuple[str, ...],
    unknown: bool,
    as_json: bool,
    limit: int,
) -> None:
    """List outgoing messages and their state; `resolve` decides an unknown one."""
    if ctx.invoked_subcommand is not None:
        return
    app: App = ctx.find_object(App)
    store = app.store()
    states = ["unknown"] if unknown else list(state) or None
    rows = store.outbox_rows(round_name=round_name, states=states)
    if as_json:
        click.echo(json.dumps([_row_json(r) for r in rows], ensure_ascii=False, indent=2))
        return
    tz = ZoneInfo(app.settings().calendar.timezone)
    for r in rows[:limit]:
        when = r["sent_at"] or r["attempt_started_at"]
        shown = when.astimezone(tz).strftime("%Y-%m-%d %H:%M") if when else "-"
        extra = (
            f"  ({r['last_error']})"
            if r["state"] in ("unknown", "failed", "pending") and r["last_error"]
            else ""
        )
        click.echo(
            f"{r['probe_id']:<40} {r['state']:<8} {r['persona_id']:<8} → {r['recipient']}  {shown}  "
            f"tries {r['attempts']}{extra}"
        )
    if len(rows) > limit:
        click.echo(f"... {len(rows) - limit} more (use --limit, --state or --json)")
    counts = store.outbox_counts(round_name)
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "the outbox is empty")
    if counts.get("unknown") and not unknown:
        click.echo("some messages' fate is unknown: see `kommunetest email outbox --unknown`")
    if unknown and rows:
        click.echo(
            "decide each: `kommunetest email outbox resolve PROBE --sent` if the municipality got it "
            "(check the persona's Sent folder or ask), `--resend` to send it again"
        )


@outbox_command.command("resolve")
@click.argument("probe")
@click.option("--sent", "decision", flag_value="sent", help="It reached the municipality: mark it sent.")
@click.option("--resend", "decision", flag_value="resend", help="It did not: send it again (same message).")
@click.option("--note", default="", help="Why (kept with the row).")
@pass_app
def resolve_command(app: App, probe: str, decision: str | None, note: str) -> None:
    """Decide the fate of an outbox message that is unknown after a crash."""
    from kommunetest.errors import UsageError

    if decision is None:
        raise UsageError("say --sent or --resend")
    text = f"coordinator: {decision}" + (f" ({note})" if note else "")
    row = app.store().outbox_resolve(probe, sent=decision == "sent", note=text)
    click.echo(
        f"{probe}: {row['state']}" + (" (sent at the next `email send`)" if decision == "resend" else "")
    )


def register(group: click.Group) -> None:
    group.add_command(send_command)
    group.add_command(outbox_command)
