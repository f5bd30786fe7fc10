"""Sending what is due: office hours, the planned time, per-persona rate limits, the live guard, retries.

`send_due` is one pass (the `email send` command, and each step of `kommunetest run`): reconcile what an
interrupted run left, then send every due probe once. Each message goes through the outbox (`outbox.py`):

1. render once, keep the bytes as evidence and the row `sending` (one committed transaction);
2. one SMTP transaction to the municipality, with the persona itself as a Bcc (envelope only);
3. mark it `sent` (row and probe, one committed transaction);
4. append a copy to the persona's Sent folder over IMAP, as a mail client does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kommunetest.calendar import Calendars
from kommunetest.channels.email.outbox import Reconciliation, copy_missing_to_sent, reconcile
from kommunetest.channels.email.persona_imap import IMAP_ERRORS, PersonaMailbox
from kommunetest.channels.email.render import bare_name, persona_mapping, recipient_address, render_probe
from kommunetest.channels.email.smtp import Accepted, SmtpFailure, SmtpSessions
from kommunetest.clock import Clock
from kommunetest.errors import KommunetestError, LiveSendingRefused, NotFoundError, StoreError
from kommunetest.loopback import is_loopback_host
from kommunetest.scenarios import QuestionBank, Scenario, render_email
from kommunetest.settings import Persona, Settings

if TYPE_CHECKING:
    from kommunetest.store import Store

Echo = Callable[[str], None]


# --- the live guard ---------------------------------------------------------------------------------------


def is_local_address(address: str) -> bool:
    """An address in the reserved .test TLD, or at a loopback host (`kommunetest.loopback`): mail there
    can never leave."""
    domain = address.rsplit("@", 1)[-1].strip().strip("<>").lower().rstrip(".")
    return domain == "test" or domain.endswith(".test") or is_loopback_host(domain)


def live_reasons(persona: Persona, to: str) -> list[str]:
    """Why sending this message would leave loopback (empty: it stays local)."""
    out = []
    if not is_loopback_host(persona.smtp_host):
        out.append(f"persona {persona.id} sends through {persona.smtp_host}, which is not on loopback")
    if not is_local_address(to):
        out.append(f"{to} is a real address (not .test)")
    if not is_local_address(persona.email):
        out.append(f"the persona's own copy goes to {persona.email} (not .test)")
    return out


# --- what is due --------------------------------------------------------------------------------------------


@dataclass
class Outgoing:
    """A due probe, ready to go: its persona, municipality, address and (when retried) its outbox row."""

    probe: dict[str, Any]
    persona: Persona
    municipality: dict[str, Any]
    to: str | None
    subject: str
    scenario: Scenario | None
    row: dict[str, Any] | None = None  # a pending outbox row: the same bytes are sent again
    part: str = "question"  # or follow_up (see followup.py)
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.probe["id"])

    @property
    def label(self) -> str:
        return self.id if self.part == "question" else f"{self.id} ({self.part.replace('_', '-')})"


@dataclass
class SendReport:
    dry_run: bool = False
    live_reasons: list[str] = field(default_factory=list)
    would_send: list[Outgoing] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # temporary failures: due again next run
    undetermined: list[str] = field(default_factory=list)  # connection lost at the end of DATA
    skipped: list[tuple[str, str]] = field(default_factory=list)
    closed: int = 0  # due, but the municipality's office is closed now
    next_opening: datetime | None = None
    capped: bool = False
    stopped: bool = False
    persona_errors: dict[str, str] = field(default_factory=dict)
    reconciliation: Reconciliation | None = None
    warnings: list[str] = field(default_factory=list)


def _load_bank(settings: Settings) -> QuestionBank:
    from kommunetest.scenarios import load_scenarios, scenarios_pattern

    return load_scenarios(*scenarios_pattern(settings))


def collect_due(
    settings: Settings,
    store: Store,
    round_name: str,
    now: datetime,
    report: SendReport,
    *,
    bank: QuestionBank | None = None,
    calendars: Calendars | None = None,
) -> list[Outgoing]:
    """Due probes whose municipality's office is open at `now`, oldest planned first, then due follow-ups."""
    store.get_round(round_name)  # NotFoundError names the known rounds
    calendars = calendars or Calendars.from_settings(settings)
    munis = {m["kommunenummer"]: m for m in store.round_municipalities(round_name)}
    personas = {p.id: p for p in settings.email.personas}
    out: list[Outgoing] = []
    for probe in store.due_email_probes(round_name, now):
        pid, knr = probe["id"], probe["kommunenummer"]
        cal = calendars.for_municipality(knr)
        if not cal.is_open(now):
            report.closed += 1
            opening = cal.next_opening(now)
            report.next_opening = min(opening, report.next_opening or opening)
            continue
        persona = personas.get(probe["persona_id"] or "")
        if persona is None:
            report.skipped.append(
                (pid, f"persona {probe['persona_id']!r} is not configured in email.personas")
            )
            continue
        muni = munis.get(knr)
        if muni is None:
            report.skipped.append((pid, f"municipality {knr} is not in the round's register snapshot"))
            continue
        row = store.outbox_row(pid) if probe["outbox_state"] == "pending" else None
        if row is not None:
            out.append(Outgoing(probe, persona, muni, row["recipient"], row["subject"], None, row))
            continue
        bank = bank or _load_bank(settings)
        try:
            scenario = bank.get(probe["scenario_id"])
        except NotFoundError:
            report.skipped.append(
                (pid, f"scenario {probe['scenario_id']!r} is no longer in the question bank")
            )
            continue
        subject, _ = render_email(
            scenario, probe["variant"], persona_mapping(persona), bare_name(muni["name"])
        )
        out.append(Outgoing(probe, persona, muni, recipient_address(settings, muni), subject, scenario))
    from kommunetest.channels.email.followup import collect_follow_ups

    bank = bank or _load_bank(settings)
    return out + collect_follow_ups(
        settings, store, round_name, now, report, bank=bank, calendars=calendars, munis=munis
    )


def next_send_time(
    settings: Settings, store: Store, round_name: str, now: datetime, calendars: Calendars | None = None
) -> datetime | None:
    """When the next unsent e-mail probe may go: its planned time, moved to its office's next opening."""
    from kommunetest.channels.email.followup import follow_up_times

    calendars = calendars or Calendars.from_settings(settings)
    best: datetime | None = None
    pending = [(p["kommunenummer"], p["planned_at"]) for p in store.unsent_email_probes(round_name)]
    for knr, planned in [*pending, *follow_up_times(store, round_name)]:
        t = calendars.for_municipality(knr).next_opening(max(planned or now, now)).astimezone(UTC)
        if best is None or t < best:
            best = t
    return best


# --- sending ------------------------------------------------------------------------------------------------


class Sender:
    """Sends Outgoing items through the outbox; keeps one SMTP and one IMAP connection per persona."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Clock,
        report: SendReport,
        *,
        env: Mapping[str, str] | None = None,
        echo: Echo = print,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.report = report
        self.env = env
        self.echo = echo
        self.loop = asyncio.new_event_loop()
        self.smtp = SmtpSessions(self.loop, timeout=settings.email.smtp_timeout_s, env=env)
        self._boxes: dict[str, PersonaMailbox] = {}

    def close(self) -> None:
        try:
            self.smtp.close()
        finally:
            self.loop.close()
            for box in self._boxes.values():
                box.close()
            self._boxes.clear()

    def _raw_of(self, row: Mapping[str, Any]) -> bytes:
        raw = (self.store.results_dir / row["evidence_path"]).read_bytes()
        if hashlib.sha256(raw).hexdigest() != row["raw_sha256"]:
            raise StoreError(
                f"the stored message of probe {row['probe_id']} ({row['evidence_path']}) has changed since it "
                "was rendered", hint="restore the evidence file; it must not be edited"
            )  # fmt: skip
        return raw

    def send(self, item: Outgoing) -> str:
        """Send one item. Returns sent, failed, deferred, undetermined, persona or skipped."""
        store, pid, part, label = self.store, item.id, item.part, item.label
        if item.to is None:
            reason = "the municipality has no e-mail address in the round's register snapshot"
            store.probe_note(pid, "failed", {"failure": reason})
            self.report.failed.append((label, reason))
            self.echo(f"failed  {label}: {reason}")
            return "failed"
        if item.row is None:
            assert item.scenario is not None
            mail = render_probe(
                self.settings, scenario=item.scenario, variant=item.probe["variant"], persona=item.persona,
                municipality=item.municipality, to=item.to, date=self.clock.now(),
                follow_up=part == "follow_up", in_reply_to=item.in_reply_to, references=item.references,
            )  # fmt: skip
            row = store.outbox_create_sending(
                {"probe_id": pid, "part": part, "round_name": item.probe["round_name"],
                 "persona_id": item.persona.id, "message_id": mail.message_id, "recipient": item.to,
                 "subject": mail.subject, "in_reply_to": item.in_reply_to}, mail.raw,
            )  # fmt: skip
            raw = mail.raw
        else:
            row = store.outbox_claim(pid, part)
            raw = self._raw_of(item.row)
        if row is None:
            self.report.skipped.append((label, "taken by another sender or decided meanwhile"))
            return "skipped"
        outcome, accepted = self._attempts(item, raw)
        if accepted is not None:
            sent_at = self.clock.now()
            store.outbox_sent(
                pid, part, sent_at=sent_at, smtp_code=accepted.code, smtp_response=accepted.text
            )
            self.report.sent.append(label)
            self.echo(f"sent    {label}  {item.persona.id} → {item.to}  «{row['subject']}»")
            self._copy_to_sent(item.persona, pid, part, raw, sent_at)
        return outcome

    def _attempts(self, item: Outgoing, raw: bytes) -> tuple[str, Accepted | None]:
        """The SMTP transaction, retried with exponential backoff after temporary failures."""
        s, store, pid, part, label = self.settings.email, self.store, item.id, item.part, item.label
        last: SmtpFailure | None = None
        for attempt in range(s.retry_attempts + 1):
            if attempt:
                delay = s.retry_base_s * 2 ** (attempt - 1)
                self.echo(f"retry   {label} in {delay:g} s after {last}")
                if not self.clock.real_sleep(delay) or store.outbox_claim(pid, part) is None:
                    self.report.deferred.append((label, str(last)))
                    return "deferred", None
            try:
                accepted = self.smtp.transaction(
                    item.persona, raw, item.to or "", lambda: store.outbox_data_end(pid, part)
                )
            except SmtpFailure as e:
                last = e
                if e.kind == "temporary":
                    store.outbox_pending(pid, part, error=str(e), smtp_code=e.code, smtp_response=e.text)
                    continue
                if e.kind == "permanent":
                    store.outbox_failed(
                        pid, part, reason=f"refused at {e.stage}", smtp_code=e.code, smtp_response=e.text
                    )
                    self.report.failed.append((label, str(e)))
                    self.echo(f"failed  {label} → {item.to}: {e}")
                    return "failed", None
                if e.kind == "persona":
                    store.outbox_pending(pid, part, error=str(e), smtp_code=e.code, smtp_response=e.text)
                    self.report.persona_errors[item.persona.id] = str(e)
                    self.echo(f"error   persona {item.persona.id}: {e}; its messages wait for the next run")
                    return "persona", None
                # ambiguous: the end of DATA may have reached the server; the next run's reconciliation decides
                self.report.undetermined.append(label)
                self.echo(f"unsure  {label}: connection lost at the end of DATA ({e}); reconciled next run")
                return "undetermined", None
            return "sent", accepted
        self.report.deferred.append((label, str(last)))
        self.echo(f"later   {label}: {last} (due again at the next run)")
        return "deferred", None

    def _copy_to_sent(self, persona: Persona, pid: str, part: str, raw: bytes, when: datetime) -> None:
        try:
            box = self._boxes.get(persona.id)
            if box is None:
                box = self._boxes[persona.id] = PersonaMailbox(
                    persona, env=self.env, timeout=self.settings.email.smtp_timeout_s
                )
            box.append_sent(raw, when)
            self.store.outbox_copied(pid, part)
        except (KommunetestError, *IMAP_ERRORS) as e:
            broken = self._boxes.pop(persona.id, None)
            if broken is not None:
                with contextlib.suppress(IMAP_ERRORS):
                    broken.close()
            self.report.warnings.append(f"{pid}: no copy in Sent yet ({e}); made at the next run")


def send_due(
    settings: Settings,
    store: Store,
    round_name: str,
    *,
    clock: Clock | None = None,
    live: bool = False,
    dry_run: bool = False,
    limit: int | None = None,
    env: Mapping[str, str] | None = None,
    echo: Echo = print,
    calendars: Calendars | None = None,
    bank: QuestionBank | None = None,
) -> SendReport:
    """One pass: reconcile, then send what is due now (or, without the live opt-in, say what would go)."""
    clock = clock or Clock()
    report = SendReport()
    with store.sender_lock():
        if not dry_run:
            report.reconciliation = reconcile(settings, store, clock=clock, wait=True, env=env, echo=echo)
            report.warnings += report.reconciliation.errors
            if report.reconciliation.outcomes:
                echo(f"reconciled interrupted messages: {report.reconciliation.summary()}")
            _copied, errors = copy_missing_to_sent(settings, store, env=env)
            report.warnings += errors
        items = collect_due(settings, store, round_name, clock.now(), report, calendars=calendars, bank=bank)
        reasons = sorted({r for it in items if it.to for r in live_reasons(it.persona, it.to)})
        report.live_reasons = reasons
        if reasons and live and not settings.email.live:
            raise LiveSendingRefused(
                "--live was given, but email.live is off: " + "; ".join(reasons[:3]),
                hint="set `live = true` under [email] in kommunetest.toml to allow sending to real addresses",
            )
        if dry_run or (reasons and not (live and settings.email.live)):
            report.dry_run = True
            report.would_send = items
            return report
        _send_items(
            settings, store, clock, items, report, limit=limit, env=env, echo=echo, calendars=calendars
        )
    return report


def _free(last: datetime | None, interval: timedelta, now: datetime) -> bool:
    return last is None or now >= last + interval


def _send_items(
    settings: Settings,
    store: Store,
    clock: Clock,
    items: list[Outgoing],
    report: SendReport,
    *,
    limit: int | None,
    env: Mapping[str, str] | None,
    echo: Echo,
    calendars: Calendars | None,
) -> None:
    """Send in planned order, keeping each persona's minimum interval (waiting when every persona must)."""
    cap = settings.email.max_per_run if limit is None else limit
    interval = timedelta(seconds=settings.email.min_send_interval_s)
    calendars = calendars or Calendars.from_settings(settings)
    last = store.persona_last_attempts()
    queue = [it for it in items if it.to is not None]
    attempted = 0
    sender = Sender(settings, store, clock, report, env=env, echo=echo)
    try:
        for it in items:
            if it.to is None:  # fails at once, without contacting anyone: no rate limit, no cap
                sender.send(it)
        while queue:
            if clock.stopped:
                report.stopped = True
                return
            if cap and attempted >= cap:
                report.capped = True
                return
            queue = [it for it in queue if it.persona.id not in report.persona_errors]
            real_now = datetime.now(UTC)
            item = next((it for it in queue if _free(last.get(it.persona.id), interval, real_now)), None)
            if item is None:
                if not queue:
                    return
                wake = min(last[it.persona.id] + interval for it in queue)
                wait = (wake - real_now).total_seconds()
                echo(f"rate limit: next message in {wait:.1f} s (email.min_send_interval_s)")
                if not clock.real_sleep(wait):
                    report.stopped = True
                    return
                continue
            queue.remove(item)
            now = clock.now()
            cal = calendars.for_municipality(item.probe["kommunenummer"])
            if not cal.is_open(now):  # the office closed while we waited
                report.closed += 1
                opening = cal.next_opening(now)
                report.next_opening = min(opening, report.next_opening or opening)
                continue
            attempted += 1
            last[item.persona.id] = datetime.now(UTC)
            sender.send(item)
    finally:
        sender.close()
