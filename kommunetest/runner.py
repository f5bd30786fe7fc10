"""`kommunetest run`: the long-running loop of a round. Send what is due, poll the inboxes, sleep, repeat.

Each step is safe to interrupt: SIGINT/SIGTERM stop the loop between steps (and the sender between
messages), and a kill at any instant is made good by the outbox at the next start (`channels/email/outbox`).
The loop sleeps until the next probe's planned time (moved into its municipality's office hours) or the poll
interval, whichever comes first. With a simulated clock (`--now`, `--speed`, `--jump`) a whole round can be
rehearsed in minutes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kommunetest.calendar import Calendars
from kommunetest.channels.email.send import SendReport, next_send_time, send_due
from kommunetest.clock import Clock
from kommunetest.errors import KommunetestError
from kommunetest.scenarios import load_scenarios, scenarios_pattern
from kommunetest.settings import Settings

if TYPE_CHECKING:
    from kommunetest.store import Store

INBOX_MODULE = "kommunetest.channels.email.inbox"
RETRY_SOON = timedelta(seconds=5)  # after a capped pass, or while interrupted messages are looked for


@dataclass
class RunSummary:
    passes: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    polls: int = 0
    dry_run: bool = False
    stopped: bool = False
    warnings: list[str] = field(default_factory=list)


def load_poll() -> Callable[..., Any] | None:
    """The inbox's `poll_all(settings, store, round, *, now, env, echo)`, or None while it is not built."""
    try:
        module = import_module(INBOX_MODULE)
    except ModuleNotFoundError as e:
        if e.name == INBOX_MODULE:
            return None
        raise
    return getattr(module, "poll_all", None)


class Runner:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        round_name: str,
        clock: Clock,
        *,
        live: bool = False,
        limit: int | None = None,
        poll: bool = True,
        env: Mapping[str, str] | None = None,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.store = store
        self.round_name = round_name
        self.clock = clock
        self.live = live
        self.limit = limit
        self.env = env
        self._echo = echo
        self.calendars = Calendars.from_settings(settings)
        self.bank = load_scenarios(*scenarios_pattern(settings))  # once, not every pass
        self.tz = ZoneInfo(settings.calendar.timezone)
        self.summary = RunSummary()
        self._poll: Callable[..., Any] | None = None
        self._poll_checked = not poll  # --no-poll: never look for the inbox

    def echo(self, line: str) -> None:
        stamp = self.clock.now().astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S")
        self._echo(f"[{stamp}] {line}")

    def local(self, t: datetime) -> str:
        return t.astimezone(self.tz).strftime("%a %Y-%m-%d %H:%M")

    # -- one step --------------------------------------------------------------------------------------------
    def send(self) -> SendReport:
        report = send_due(
            self.settings, self.store, self.round_name, clock=self.clock, live=self.live, limit=self.limit,
            env=self.env, echo=self.echo, calendars=self.calendars, bank=self.bank,
        )  # fmt: skip
        s = self.summary
        s.sent += len(report.sent)
        s.failed += len(report.failed)
        s.deferred += len(report.deferred)
        for w in report.warnings + [f"{p}: {r}" for p, r in report.skipped]:
            self.echo(f"warning: {w}")
        return report

    def poll(self) -> None:
        if not self._poll_checked:
            self._poll_checked = True
            self._poll = load_poll()
            if self._poll is None:
                self.echo(f"inbox: {INBOX_MODULE}.poll_all is not available yet; replies are not polled")
        if self._poll is None:
            return
        offered = {"now": self.clock.now(), "env": self.env, "echo": self.echo}
        try:
            params = inspect.signature(self._poll).parameters
        except (TypeError, ValueError):
            params = {}  # type: ignore[assignment]
        kwargs = {k: v for k, v in offered.items() if k in params}
        try:
            result = self._poll(self.settings, self.store, self.round_name, **kwargs)
        except (KommunetestError, OSError) as e:  # the loop outlives a mail server that is away
            self.echo(f"warning: poll failed: {e}")
            return
        self.summary.polls += 1
        summary = getattr(result, "summary", None)
        text = summary() if callable(summary) else (str(result) if result is not None else "")
        if text:
            self.echo(f"poll: {text}")

    def step(self) -> datetime | None:
        """Send, poll; returns when to wake up next (None: stop, e.g. a dry run)."""
        self.summary.passes += 1
        report = self.send()
        if report.dry_run:
            self.summary.dry_run = True
            for line in describe_dry_run(report, self.tz):
                self.echo(line)
            return None
        if self.clock.stopped:
            return None
        self.poll()
        now = self.clock.now()
        wake = now + timedelta(seconds=self.settings.email.poll_interval_s)
        due = next_send_time(self.settings, self.store, self.round_name, now, self.calendars)
        if due is not None and due > now:
            wake = min(wake, due)
        rec = report.reconciliation
        if report.capped or (rec is not None and rec.waiting) or report.undetermined:
            wake = min(wake, now + RETRY_SOON)
        return wake

    # -- the loop --------------------------------------------------------------------------------------------
    def run(self, *, once: bool = False, until: datetime | None = None) -> RunSummary:
        self.store.get_round(self.round_name)  # fail early on an unknown round
        mode = "simulated clock" if self.clock.simulated else "real time"
        self.echo(f"run: round {self.round_name} ({mode}); stop with Ctrl-C or SIGTERM")
        while not self.clock.stopped:
            wake = self.step()
            if wake is None or once or self.clock.stopped:
                break
            if until is not None:
                if self.clock.now() >= until:
                    self.echo(f"run: reached --until {self.local(until)}")
                    break
                wake = min(wake, until)
            self.echo(f"sleeping until {self.local(wake)}")
            if not self.clock.sleep_until(wake):
                break
        self.summary.stopped = self.clock.stopped
        return self.summary


def describe_pass(report: SendReport, tz: ZoneInfo) -> list[str]:
    """The end-of-pass summary of `email send`."""
    if report.dry_run:
        return describe_dry_run(report, tz)
    parts = [f"sent {len(report.sent)}"]
    for name, items in (
        ("failed", report.failed),
        ("deferred", report.deferred),
        ("skipped", report.skipped),
    ):
        if items:
            parts.append(f"{name} {len(items)}")
    if report.undetermined:
        parts.append(f"awaiting reconciliation {len(report.undetermined)}")
    lines = [", ".join(parts)]
    if report.reconciliation and report.reconciliation.waiting:
        lines.append(
            f"{len(report.reconciliation.waiting)} interrupted message(s) not found in the personas' mailboxes "
            "yet: they are not sent again; run again later to decide them"
        )
    if report.closed:
        when = (
            report.next_opening.astimezone(tz).strftime("%a %Y-%m-%d %H:%M") if report.next_opening else "?"
        )
        lines.append(f"{report.closed} due probe(s) wait for office hours (next opening {when})")
    if report.capped:
        lines.append("stopped at the per-run cap (email.max_per_run, or --limit); run again for the rest")
    if report.stopped:
        lines.append("stopped on request; run again to go on")
    for persona, error in report.persona_errors.items():
        lines.append(f"persona {persona}: {error}")
    for pid, reason in report.skipped:
        lines.append(f"skipped {pid}: {reason}")
    lines += [f"warning: {w}" for w in report.warnings]
    return lines


def describe_dry_run(report: SendReport, tz: ZoneInfo) -> list[str]:
    """What a pass would have sent, one line each, and why it did not."""
    lines = []
    for it in report.would_send:
        planned = it.probe["planned_at"].astimezone(tz).strftime("%Y-%m-%d %H:%M")
        to = it.to or "(no address: would fail)"
        lines.append(f"would send  {it.id}  {it.persona.id} → {to}  «{it.subject}»  planned {planned}")
    if report.live_reasons:
        lines.append(
            f"dry run: nothing sent ({len(report.would_send)} due), because "
            + "; ".join(report.live_reasons[:3])
            + ("; ..." if len(report.live_reasons) > 3 else "")
        )
        lines.append("  to send for real: set email.live = true in kommunetest.toml and add --live")
    else:
        lines.append(f"dry run: nothing sent ({len(report.would_send)} due)")
    return lines
