"""The outbox: one row per outgoing e-mail, whose state makes sending exactly-once.

A row is born `sending` together with the exact bytes it will send (rendered once, kept as evidence), so that
no message is ever sent without a committed record of it. `data_end_at` is committed just before the end of
DATA is written: while it is None the server cannot have accepted the message. See
`kommunetest.channels.email.outbox` for the states and how a crash is reconciled.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select, text, update

from kommunetest.errors import NotFoundError, UsageError
from kommunetest.store import schema as t
from kommunetest.store.base import StoreBase

OUTBOX_STATES = t.OUTBOX_STATES
SENDABLE_PROBE_STATUSES = ("planned", "waiting", "due")
_PG_SENDER_LOCK = 727_003  # advisory lock id: one sender per database
SENDER_LOCK_FILE = ".email-sender.lock"


def normalize_message_id(message_id: str) -> str:
    """ "<x@y>" from "x@y", " <x@y> " or "<X@Y>": our ids are lower case, so compare them lower-cased."""
    mid = message_id.strip().lower()
    if not mid.startswith("<"):
        mid = f"<{mid}>"
    return mid


def _now() -> datetime:
    return datetime.now(UTC)


class OutboxMixin(StoreBase):
    # -- reading -------------------------------------------------------------------------------------------
    def outbox_row(self, probe_id: str, part: str = "question") -> dict[str, Any] | None:
        q = select(t.outbox).where(t.outbox.c.probe_id == probe_id, t.outbox.c.part == part)
        with self.begin() as conn:
            row = conn.execute(q).mappings().first()
        return dict(row) if row else None

    def outbox_rows(
        self,
        *,
        round_name: str | None = None,
        states: str | Sequence[str] | None = None,
        persona_id: str | None = None,
        uncopied: bool = False,
    ) -> list[dict[str, Any]]:
        """Outbox rows, oldest first; `uncopied`: sent rows whose Sent-folder copy is missing."""
        q = select(t.outbox)
        if round_name:
            q = q.where(t.outbox.c.round_name == round_name)
        if isinstance(states, str):
            q = q.where(t.outbox.c.state == states)
        elif states:
            q = q.where(t.outbox.c.state.in_(list(states)))
        if persona_id:
            q = q.where(t.outbox.c.persona_id == persona_id)
        if uncopied:
            q = q.where(t.outbox.c.state == "sent", t.outbox.c.copied_at.is_(None))
        q = q.order_by(t.outbox.c.created_at, t.outbox.c.probe_id, t.outbox.c.part)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def outbox_counts(self, round_name: str | None = None) -> dict[str, int]:
        q = select(t.outbox.c.state, func.count()).group_by(t.outbox.c.state)
        if round_name:
            q = q.where(t.outbox.c.round_name == round_name)
        with self.begin() as conn:
            return {state: int(n) for state, n in conn.execute(q)}

    def outbox_by_message_id(self, message_id: str) -> dict[str, Any] | None:
        """The outbox row of one of our own Message-IDs (angle brackets optional), else None."""
        q = select(t.outbox).where(t.outbox.c.message_id == normalize_message_id(message_id))
        with self.begin() as conn:
            row = conn.execute(q).mappings().first()
        return dict(row) if row else None

    def is_own_message_id(self, message_id: str | None) -> bool:
        """Whether a Message-ID is one we sent (the inbox skips our Bcc self-copies by it)."""
        return bool(message_id) and self.outbox_by_message_id(message_id or "") is not None

    def own_message_ids(self, round_name: str | None = None) -> set[str]:
        """Every Message-ID we rendered (normalized), for bulk filtering during a poll."""
        q = select(t.outbox.c.message_id)
        if round_name:
            q = q.where(t.outbox.c.round_name == round_name)
        with self.begin() as conn:
            return set(conn.execute(q).scalars())

    def persona_last_attempts(self) -> dict[str, datetime]:
        """Wall-clock start of each persona's latest send attempt: the rate limit across runs."""
        q = select(t.outbox.c.persona_id, func.max(t.outbox.c.attempt_started_at)).group_by(
            t.outbox.c.persona_id
        )
        with self.begin() as conn:
            rows = conn.execute(q).all()
        out = {}
        for persona, last in rows:
            if last is not None:
                # max() bypasses the column type on SQLite: coerce to an aware UTC datetime here.
                if isinstance(last, str):
                    last = datetime.fromisoformat(last)
                out[persona] = last if last.tzinfo else last.replace(tzinfo=UTC)
        return out

    def due_email_probes(self, round_name: str, now: datetime) -> list[dict[str, Any]]:
        """E-mail probes planned at or before `now` that are not sent, sending or decided: never sent
        (no outbox row) or waiting for another try (`pending`). Adds `outbox_state`."""
        p, o = t.probes, t.outbox
        q = (
            select(p, o.c.state.label("outbox_state"))
            .select_from(p.outerjoin(o, and_(o.c.probe_id == p.c.id, o.c.part == "question")))
            .where(
                p.c.round_name == round_name,
                p.c.channel == "email",
                p.c.status.in_(SENDABLE_PROBE_STATUSES),
                p.c.planned_at.is_not(None),
                p.c.planned_at <= now,
                (o.c.state.is_(None)) | (o.c.state == "pending"),
            )
            .order_by(p.c.planned_at, p.c.id)
        )
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def unsent_email_probes(self, round_name: str) -> list[dict[str, Any]]:
        """Every e-mail probe still to be sent (any planned time): what the runner's next wake-up reads."""
        p, o = t.probes, t.outbox
        q = (
            select(p.c.id, p.c.kommunenummer, p.c.planned_at, p.c.persona_id)
            .select_from(p.outerjoin(o, and_(o.c.probe_id == p.c.id, o.c.part == "question")))
            .where(
                p.c.round_name == round_name,
                p.c.channel == "email",
                p.c.status.in_(SENDABLE_PROBE_STATUSES),
                p.c.planned_at.is_not(None),
                (o.c.state.is_(None)) | (o.c.state == "pending"),
            )
            .order_by(p.c.planned_at)
        )
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    # -- state changes (each one committed transaction) ----------------------------------------------------
    def outbox_create_sending(self, row: dict[str, Any], raw: bytes) -> dict[str, Any] | None:
        """Step 1 of a send: keep the exact bytes, then create the row `sending` (attempt 1) and mark the
        probe `sending`, in one transaction. None when the probe has an outbox row already."""
        sha, rel = self.write_blob(raw, ".eml")
        now = _now()
        out = {
            "part": "question",
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "attempt_started_at": now,
            "data_end_at": None,
            **row,
            "message_id": normalize_message_id(row["message_id"]),
            "state": "sending",
            "raw_sha256": sha,
            "evidence_path": rel,
        }
        evidence = {
            "sha256": sha,
            "kind": "eml",
            "path": rel,
            "size": len(raw),
            "media_type": "message/rfc822",
            "probe_id": out["probe_id"],
            "observation_id": None,
            "meta": {"direction": "outgoing", "part": out["part"], "message_id": out["message_id"]},
            "created_at": now,
        }
        with self.begin() as conn:
            if not self.insert_ignore(conn, t.outbox, [out], ["probe_id", "part"]):
                return None
            self.insert_ignore(conn, t.evidence, [evidence], ["sha256", "kind", "probe_id"])
            self._note(conn, out["probe_id"], out["part"], "sending", {"outbox": "sending"})
        return out

    def outbox_claim(self, probe_id: str, part: str = "question") -> dict[str, Any] | None:
        """A new attempt for a `pending` row: `sending`, attempts + 1, no end of DATA yet. None when the
        row is not pending any more (another sender took it, or the coordinator decided)."""
        now = _now()
        with self.begin() as conn:
            n = conn.execute(
                update(t.outbox)
                .where(
                    t.outbox.c.probe_id == probe_id, t.outbox.c.part == part, t.outbox.c.state == "pending"
                )
                .values(
                    state="sending",
                    attempts=t.outbox.c.attempts + 1,
                    attempt_started_at=now,
                    data_end_at=None,
                    updated_at=now,
                )
            ).rowcount
            if not n:
                return None
            self._note(conn, probe_id, part, "sending", {"outbox": "sending"})
            row = conn.execute(self._select(probe_id, part)).mappings().first()
        return dict(row) if row else None

    def outbox_data_end(self, probe_id: str, part: str = "question") -> None:
        """Committed just before the final "." of DATA is written: from here on the server may accept it."""
        now = _now()
        with self.begin() as conn:
            conn.execute(self._update(probe_id, part).values(data_end_at=now, updated_at=now))

    def outbox_sent(
        self,
        probe_id: str,
        part: str = "question",
        *,
        sent_at: datetime,
        smtp_code: int | None,
        smtp_response: str | None,
        resolution: str | None = None,
        copied: bool = False,
    ) -> None:
        """Accepted by the server: row `sent`, probe `sent` with when, to whom and which Message-ID."""
        now = _now()
        with self.begin() as conn:
            row = conn.execute(self._select(probe_id, part)).mappings().first()
            if row is None:
                raise NotFoundError(f"no outbox row for probe {probe_id!r} ({part})")
            values: dict[str, Any] = dict(
                state="sent",
                sent_at=sent_at,
                smtp_code=smtp_code,
                smtp_response=smtp_response,
                updated_at=now,
            )
            if resolution:
                values.update(resolution=resolution, reconciled_at=now)
            if copied:
                values["copied_at"] = now
            conn.execute(self._update(probe_id, part).values(**values))
            key = "sent" if part == "question" else f"{part}_sent"
            info = {
                f"{key}_at": sent_at.astimezone(UTC).isoformat(),
                f"{key}_message_id": row["message_id"],
                f"{key}_to": row["recipient"],
                f"{key}_subject": row["subject"],
            }
            if part == "question":
                self._set_probe(conn, probe_id, "sent", {"outbox": "sent", **info})
            else:
                self._set_probe(conn, probe_id, None, {f"{part}_outbox": "sent", **info})

    def outbox_pending(
        self,
        probe_id: str,
        part: str = "question",
        *,
        error: str,
        smtp_code: int | None = None,
        smtp_response: str | None = None,
        resolution: str | None = None,
        probe_status: str | None = "due",
    ) -> None:
        """Not accepted (a temporary failure, or interrupted before the end of DATA): back to `pending`,
        sent again later with the same bytes. The probe becomes `due`."""
        now = _now()
        values: dict[str, Any] = dict(
            state="pending",
            data_end_at=None,
            last_error=error,
            smtp_code=smtp_code,
            smtp_response=smtp_response,
            updated_at=now,
        )
        if resolution:
            values.update(resolution=resolution, reconciled_at=now)
        with self.begin() as conn:
            conn.execute(self._update(probe_id, part).values(**values))
            self._note(conn, probe_id, part, probe_status, {"outbox": "pending", "last_error": error})

    def outbox_failed(
        self,
        probe_id: str,
        part: str = "question",
        *,
        reason: str,
        smtp_code: int | None = None,
        smtp_response: str | None = None,
    ) -> None:
        """Refused for good (5xx): row and probe `failed`, with the reason and the server's reply."""
        now = _now()
        with self.begin() as conn:
            conn.execute(
                self._update(probe_id, part).values(
                    state="failed",
                    data_end_at=None,
                    last_error=reason,
                    smtp_code=smtp_code,
                    smtp_response=smtp_response,
                    updated_at=now,
                )
            )
            info = {
                "outbox": "failed",
                "failure": reason,
                "smtp_code": smtp_code,
                "smtp_response": smtp_response,
            }
            self._note(conn, probe_id, part, "failed", info)

    def outbox_unknown(self, probe_id: str, part: str = "question", *, reason: str) -> None:
        """Fate unknown after a crash: never resent silently; the coordinator decides."""
        now = _now()
        with self.begin() as conn:
            conn.execute(
                self._update(probe_id, part).values(
                    state="unknown", last_error=reason, reconciled_at=now, resolution=reason, updated_at=now
                )
            )
            self._note(conn, probe_id, part, None, {"outbox": "unknown", "last_error": reason})

    def outbox_copied(self, probe_id: str, part: str = "question") -> None:
        now = _now()
        with self.begin() as conn:
            conn.execute(self._update(probe_id, part).values(copied_at=now, updated_at=now))

    def outbox_resolve(
        self, probe_id: str, part: str = "question", *, sent: bool, note: str, sent_at: datetime | None = None
    ) -> dict[str, Any]:
        """The coordinator's decision on an `unknown` row: it was sent (`sent_at`, default its last attempt),
        or send it again (`pending`, the same bytes and Message-ID)."""
        row = self.outbox_row(probe_id, part)
        if row is None:
            raise NotFoundError(
                f"no outbox row for probe {probe_id!r}", hint="see `kommunetest email outbox`"
            )
        if row["state"] != "unknown":
            raise UsageError(
                f"probe {probe_id} is {row['state']} in the outbox, not unknown: nothing to resolve",
                hint="only messages whose fate is unknown after a crash need a decision",
            )
        if sent:
            when = sent_at or row["data_end_at"] or row["attempt_started_at"] or _now()
            self.outbox_sent(
                probe_id, part, sent_at=when, smtp_code=None, smtp_response=None, resolution=note
            )
        else:
            self.outbox_pending(probe_id, part, error=row["last_error"] or "unknown", resolution=note)
        return self.outbox_row(probe_id, part) or row

    def probe_note(self, probe_id: str, status: str | None, details: dict[str, Any]) -> None:
        """Merge `details` into a probe's details and set its status (e.g. failed: no address)."""
        with self.begin() as conn:
            self._set_probe(conn, probe_id, status, details)

    # -- one sender at a time ------------------------------------------------------------------------------
    @contextmanager
    def sender_lock(self) -> Iterator[None]:
        """Held while sending: a second sender on the same database would reconcile rows the first is still
        sending. SQLite: a lock file beside the database; PostgreSQL: a session advisory lock. The
        operating system (or the server) releases it when the process dies, even by SIGKILL."""
        if self.dialect == "postgresql":
            with self.engine.connect() as conn:
                got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_SENDER_LOCK}).scalar()
                conn.commit()
                if not got:
                    raise UsageError(
                        f"another kommunetest process is sending e-mail with the database {self.url}",
                        hint="wait for it to finish (or stop it), then run again",
                    )
                try:
                    yield
                finally:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_SENDER_LOCK})
                    conn.commit()
            return
        path = self.results_dir / SENDER_LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                other = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
                raise UsageError(
                    f"another kommunetest process (pid {other}) is sending e-mail for {self.results_dir}",
                    hint="wait for it to finish (or stop it), then run again",
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    # -- helpers -------------------------------------------------------------------------------------------
    @staticmethod
    def _select(probe_id: str, part: str) -> Any:
        return select(t.outbox).where(t.outbox.c.probe_id == probe_id, t.outbox.c.part == part)

    @staticmethod
    def _update(probe_id: str, part: str) -> Any:
        return update(t.outbox).where(t.outbox.c.probe_id == probe_id, t.outbox.c.part == part)

    @classmethod
    def _note(
        cls, conn: Connection, probe_id: str, part: str, status: str | None, details: dict[str, Any]
    ) -> None:
        """The probe's view of its outbox: a question moves the probe's status and writes `outbox`,
        `last_error`...; a follow-up leaves the status alone and writes `follow_up_outbox`, ..."""
        if part == "question":
            cls._set_probe(conn, probe_id, status, details)
        else:
            cls._set_probe(conn, probe_id, None, {f"{part}_{k}": v for k, v in details.items()})

    @staticmethod
    def _set_probe(conn: Connection, probe_id: str, status: str | None, details: dict[str, Any]) -> None:
        """Merge `details` into the probe's details (and set its status) inside the caller's transaction."""
        current = conn.execute(select(t.probes.c.details).where(t.probes.c.id == probe_id)).scalar()
        merged = {**(current or {}), **details}
        values: dict[str, Any] = {"details": merged, "updated_at": _now()}
        if status:
            values["status"] = status
        conn.execute(update(t.probes).where(t.probes.c.id == probe_id).values(**values))
