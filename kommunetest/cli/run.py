"""`kommunetest run`: send on schedule, poll, repeat; safe to stop and restart."""

from __future__ import annotations

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.cli.email_send import clock_from_options


@click.command("run")
@click.option("--round", "round_name", required=True, help="The round to run.")
@click.option("--once", is_flag=True, help="One pass (send what is due, poll) and exit.")
@click.option("--now", help="Start a simulated clock at this instant (ISO, Europe/Oslo unless offset given).")
@click.option(
    "--speed", type=float, default=1.0, show_default=True, help="Simulated seconds per real second."
)
@click.option("--jump", is_flag=True, help="Simulated clock: leap over every wait instead of sleeping.")
@click.option("--until", help="Stop when the clock reaches this instant (ISO).")
@click.option("--live", is_flag=True, help="Send to real addresses (also needs email.live = true).")
@click.option("--limit", type=int, help="Messages per pass at most (default: email.max_per_run).")
@click.option("--no-poll", is_flag=True, help="Only send; do not poll the inboxes.")
@pass_app
def command(
    app: App,
    round_name: str,
    once: bool,
    now: str | None,
    speed: float,
    jump: bool,
    until: str | None,
    live: bool,
    limit: int | None,
    no_poll: bool,
) -> None:
    """Run a round: send due e-mail probes on schedule, poll the inboxes, sleep, repeat.

    Stops cleanly on Ctrl-C or SIGTERM between steps; a kill at any moment never sends a probe twice.
    """
    from kommunetest.clock import parse_instant, stop_on_signals
    from kommunetest.errors import UsageError
    from kommunetest.runner import Runner

    settings = app.settings()
    clock = clock_from_options(app, now, speed, jump)
    end = parse_instant(until, settings.calendar.timezone, "--until") if until else None
    if jump and end is None and not once:
        raise UsageError("--jump needs --until (a leaping clock would otherwise never stop)")
    runner = Runner(
        settings, app.store(), round_name, clock, live=live, limit=limit, poll=not no_poll, echo=click.echo
    )
    with stop_on_signals(clock.stop) as received:
        summary = runner.run(once=once, until=end)
    why = f" ({', '.join(received)})" if received else ""
    click.echo(
        f"run {'stopped' + why if summary.stopped else 'finished'}: {summary.passes} pass(es), "
        f"sent {summary.sent}, failed {summary.failed}, deferred {summary.deferred}, polls {summary.polls}"
    )
