"""Exactly-once sending: the outbox's states and crash reconciliation.

Every outgoing message has one outbox row (`kommunetest.store.outbox`):

    pending ──claim──> sending ──250──> sent
       ^                  │ ├──4xx / not accepted──> pending (same bytes, same Message-ID, later)
       │                  │ └──5xx──> failed
       │               (crash)
       │                  v
       └── reconcile: no end of DATA written ─────────────> pending   (the server discarded it)
                      end of DATA maybe written, copy found ─> sent      (INBOX self-copy or Sent)
                      copy absent after the grace period ────> unknown   (the coordinator decides),
                                                               or pending when email.sync_delivery

A message is rendered once and its bytes kept before it is first sent; the municipality and the persona
itself (a Bcc: envelope only) receive it in one SMTP transaction, so the persona's INBOX shows whether the
server accepted it. `unknown` is never resent silently: `email outbox resolve` records the decision.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kommunetest.channels.email.persona_imap import IMAP_ERRORS, PersonaMailbox
from kommunetest.errors import KommunetestError
from kommunetest.settings import Persona, Settings

if TYPE_CHECKING:
    from kommunetest.clock import Clock
    from kommunetest.store import Store


def is_own_message_id(store: Store, message_id: str | None) -> bool:
    """Whether a Message-ID is one of ours (the inbox ignores our Bcc self-copies by it)."""
    return store.is_own_message_id(message_id)


@dataclass
class Reconciliation:
    """What reconciling the `sending` rows found, by outcome; `waiting` rows are checked again later."""

    outcomes: Counter[str] = field(default_factory=Counter)
    waiting: list[str] = field(default_factory=list)  # probe ids still within the grace period
    errors: list[str] = field(default_factory=list)
    copied: int = 0

    def summary(self) -> str:
        parts = [f"{n} {k}" for k, n in sorted(self.outcomes.items())]
        if self.waiting:
            parts.append(f"{len(self.waiting)} still looked for")
        return ", ".join(parts)


def _raw(store: Store, row: Mapping[str, Any]) -> bytes:
    return (store.results_dir / row["evidence_path"]).read_bytes()


def reconcile(
    settings: Settings,
    store: Store,
    *,
    clock: Clock | None = None,
    wait: bool = False,
    max_wait_s: float = 30.0,
    env: Mapping[str, str] | None = None,
    echo: Callable[[str], None] | None = None,
) -> Reconciliation:
    """Decide every row left `sending` by an interrupted run (call it under `store.sender_lock()`).

    With `wait`, rows whose copy is not found yet are looked for again when their grace period ends, if
    that is within `max_wait_s`; otherwise they stay `sending` (never sent again meanwhile) for a later run.
    """
    result = Reconciliation()
    personas = {p.id: p for p in settings.email.personas}
    grace = settings.email.reconcile_grace_s
    while True:
        result.waiting.clear()
        rows = store.outbox_rows(states="sending")
        later: list[datetime] = []
        by_persona: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            if row["data_end_at"] is None:
                store.outbox_pending(
                    row["probe_id"],
                    row["part"],
                    error="interrupted before the end of DATA",
                    resolution="interrupted before the end of DATA: the server discarded it; sent again",
                )
                result.outcomes["resent (interrupted before the end of DATA)"] += 1
            else:
                by_persona.setdefault(row["persona_id"], []).append(row)
        for persona_id, prows in by_persona.items():
            persona = personas.get(persona_id)
            if persona is None:
                result.errors.append(f"persona {persona_id} is not configured: cannot reconcile {len(prows)}")
                continue
            try:
                with PersonaMailbox(persona, env=env, timeout=settings.email.smtp_timeout_s) as box:
                    for row in prows:
                        due = _decide(settings, store, box, row, grace, result)
                        if due is not None:
                            later.append(due)
            except (KommunetestError, *IMAP_ERRORS) as e:
                result.errors.append(f"persona {persona_id}: cannot reconcile {len(prows)} message(s): {e}")
        if not result.waiting or not wait or not later:
            return result
        pause = max(0.0, (min(later) - datetime.now(UTC)).total_seconds()) + 0.2
        if pause > max_wait_s:
            if echo:
                echo(f"reconcile: {len(result.waiting)} interrupted message(s) not found yet; looked for "
                     f"again after {min(later):%H:%M:%S} UTC (email.reconcile_grace_s)")  # fmt: skip
            return result
        if echo:
            echo(f"reconcile: {len(result.waiting)} interrupted message(s) not found yet; looking again")
        if not (clock.real_sleep(pause) if clock else _sleep(pause)):
            return result


def _sleep(seconds: float) -> bool:
    import time

    time.sleep(seconds)
    return True


def _decide(
    settings: Settings,
    store: Store,
    box: PersonaMailbox,
    row: dict[str, Any],
    grace: float,
    result: Reconciliation,
) -> datetime | None:
    """One row whose end of DATA may have reached the server. Returns when to look again, if waiting."""
    folder = box.find(row["message_id"])
    if folder is not None:
        copied = folder == box.sent_folder(create=False)
        store.outbox_sent(
            row["probe_id"],
            row["part"],
            sent_at=row["data_end_at"],
            smtp_code=None,
            smtp_response=None,
            resolution=f"after a crash: found in the persona's {folder}",
            copied=copied,
        )
        result.outcomes[f"sent (found in {folder})"] += 1
        return None
    deadline = row["data_end_at"].timestamp() + grace
    if datetime.now(UTC).timestamp() < deadline:
        result.waiting.append(row["probe_id"])
        return datetime.fromtimestamp(deadline, UTC)
    if settings.email.sync_delivery:
        store.outbox_pending(
            row["probe_id"],
            row["part"],
            error="interrupted at the end of DATA; not delivered",
            resolution="after a crash: not in the persona's mailbox and the server delivers before it "
            "answers (email.sync_delivery), so it was not accepted; sent again",
        )
        result.outcomes["resent (not accepted)"] += 1
    else:
        store.outbox_unknown(
            row["probe_id"],
            row["part"],
            reason=f"interrupted at the end of DATA and not found in the persona's mailbox after {grace:g} s",
        )
        result.outcomes["unknown"] += 1
    return None


def copy_missing_to_sent(
    settings: Settings, store: Store, *, env: Mapping[str, str] | None = None
) -> tuple[int, list[str]]:
    """Append the Sent-folder copies that an interrupted run did not (idempotent: looks first)."""
    rows = store.outbox_rows(uncopied=True)
    personas = {p.id: p for p in settings.email.personas}
    copied, errors = 0, []
    by_persona: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_persona.setdefault(row["persona_id"], []).append(row)
    for persona_id, prows in by_persona.items():
        persona: Persona | None = personas.get(persona_id)
        if persona is None:
            continue
        try:
            with PersonaMailbox(persona, env=env, timeout=settings.email.smtp_timeout_s) as box:
                for row in prows:
                    box.append_sent(_raw(store, row), row["sent_at"] or datetime.now(UTC), row["message_id"])
                    store.outbox_copied(row["probe_id"], row["part"])
                    copied += 1
        except (KommunetestError, *IMAP_ERRORS) as e:
            errors.append(f"persona {persona_id}: Sent copy not made: {e}")
    return copied, errors
