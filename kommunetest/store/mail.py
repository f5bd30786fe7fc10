"""Received mail: each persona folder's sync state, every message fetched, grades, flagged addresses.

The inbox (`kommunetest.channels.email.inbox`) commits a batch of messages together with the folder's
`last_uid` in one transaction, so a poll interrupted at any instant resumes where the last commit left it and
never stores a message twice: a message is unique by its place (persona, folder, UIDVALIDITY, UID) and by its
content (SHA-256 of the bytes with the Message-ID), so a UIDVALIDITY reset refetches without duplicating.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from kommunetest.errors import NotFoundError, UsageError
from kommunetest.store import schema as t
from kommunetest.store.base import StoreBase

MAIL_STATUSES = t.MAIL_STATUSES
GRADES = ("correct", "partial", "relevant", "none")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class StoredBatch:
    inserted: list[dict[str, Any]]  # the new rows, with their ids
    duplicates: int  # already stored (same place, or same content elsewhere)


class MailMixin(StoreBase):
    # -- sync state ----------------------------------------------------------------------------------------
    def mail_folder_state(self, persona_id: str, folder: str) -> dict[str, Any] | None:
        f = t.mail_folders
        q = select(f).where(f.c.persona_id == persona_id, f.c.folder == folder)
        with self.begin() as conn:
            row = conn.execute(q).mappings().first()
        return dict(row) if row else None

    def mail_set_folder(self, persona_id: str, folder: str, uidvalidity: int, last_uid: int) -> None:
        """Set a folder's state outright (a new UIDVALIDITY starts again from `last_uid`, usually 0)."""
        with self.begin() as conn:
            self._set_folder(conn, persona_id, folder, uidvalidity, last_uid, only_up=False)

    def _set_folder(
        self,
        conn: Connection,
        persona_id: str,
        folder: str,
        uidvalidity: int,
        last_uid: int,
        *,
        only_up: bool,
    ) -> None:
        f = t.mail_folders
        where = (f.c.persona_id == persona_id) & (f.c.folder == folder)
        current = conn.execute(select(f.c.uidvalidity, f.c.last_uid).where(where)).first()
        now = _now()
        if current is None:
            conn.execute(
                f.insert().values(
                    persona_id=persona_id, folder=folder, uidvalidity=uidvalidity, last_uid=last_uid,
                    updated_at=now,
                )
            )  # fmt: skip
            return
        if only_up and current.uidvalidity == uidvalidity and current.last_uid >= last_uid:
            return
        conn.execute(
            update(f).where(where).values(uidvalidity=uidvalidity, last_uid=last_uid, updated_at=now)
        )

    def mail_store_batch(
        self,
        persona_id: str,
        folder: str,
        uidvalidity: int,
        rows: Sequence[dict[str, Any]],
        last_uid: int,
    ) -> StoredBatch:
        """Store fetched messages and advance the folder to `last_uid`, in one transaction. Rows already
        stored (by place or by content) are skipped. Each row may carry `_evidence` (an evidence row for a
        file already written with `write_blob`)."""
        for attempt in (1, 2):
            try:
                with self.begin() as conn:
                    return self._store_batch(conn, persona_id, folder, uidvalidity, rows, last_uid)
            except IntegrityError:
                if attempt == 2:  # a concurrent poller stored the same rows: the second pass skips them
                    raise
        raise AssertionError("unreachable")

    def _store_batch(
        self,
        conn: Connection,
        persona_id: str,
        folder: str,
        uidvalidity: int,
        rows: Sequence[dict[str, Any]],
        last_uid: int,
    ) -> StoredBatch:
        m = t.mail_messages
        now = _now()
        placed = set(
            conn.execute(
                select(m.c.uid).where(
                    m.c.persona_id == persona_id, m.c.folder == folder, m.c.uidvalidity == uidvalidity,
                    m.c.uid.in_([r["uid"] for r in rows]),
                )
            ).scalars()
        )  # fmt: skip
        seen = set(
            conn.execute(
                select(m.c.dedup_key).where(
                    m.c.persona_id == persona_id, m.c.dedup_key.in_([r["dedup_key"] for r in rows])
                )
            ).scalars()
        )
        inserted: list[dict[str, Any]] = []
        evidence_rows: list[dict[str, Any]] = []
        duplicates = 0
        for row in rows:
            if row["uid"] in placed or row["dedup_key"] in seen:
                duplicates += 1
                continue
            seen.add(row["dedup_key"])
            data = {k: v for k, v in row.items() if not k.startswith("_")}
            data.update(persona_id=persona_id, folder=folder, uidvalidity=uidvalidity, created_at=now)
            data["id"] = conn.execute(m.insert().values(**data).returning(m.c.id)).scalar_one()
            evidence = row.get("_evidence")
            if evidence is not None:
                evidence_rows.append(
                    {
                        "probe_id": data.get("probe_id"),
                        "observation_id": None,
                        "created_at": now,
                        **evidence,
                        "meta": {**evidence.get("meta", {}), "mail_message_id": data["id"]},
                    }
                )
            inserted.append(data)
        self.insert_ignore(conn, t.evidence, evidence_rows, ["sha256", "kind", "probe_id"])
        self._set_folder(conn, persona_id, folder, uidvalidity, last_uid, only_up=True)
        return StoredBatch(inserted, duplicates)

    def write_blobs(self, items: Sequence[bytes], suffix: str) -> list[tuple[str, str]]:
        """`write_blob` for many files at once: each is still fsynced before this returns, but in parallel,
        which costs a fraction of one fsync after another."""
        if len(items) < 4:
            return [self.write_blob(data, suffix) for data in items]  # type: ignore[attr-defined]
        with ThreadPoolExecutor(max_workers=min(16, len(items))) as pool:
            return list(pool.map(lambda data: self.write_blob(data, suffix), items))  # type: ignore[attr-defined]

    # -- reading -------------------------------------------------------------------------------------------
    def mail_message(self, row_id: int) -> dict[str, Any]:
        with self.begin() as conn:
            row = (
                conn.execute(select(t.mail_messages).where(t.mail_messages.c.id == row_id)).mappings().first()
            )
        if row is None:
            raise NotFoundError(
                f"no received message with id {row_id}", hint="see `kommunetest email unmatched`"
            )
        return dict(row)

    def mail_messages(
        self,
        *,
        round_name: str | None = None,
        probe_ids: Sequence[str] | None = None,
        status: str | Sequence[str] | None = None,
        persona_id: str | None = None,
        folder: str | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Received messages, oldest received first."""
        m, p = t.mail_messages, t.probes
        q = select(m)
        if round_name:
            q = q.select_from(m.join(p, p.c.id == m.c.probe_id)).where(p.c.round_name == round_name)
        if probe_ids is not None:
            q = q.where(m.c.probe_id.in_(list(probe_ids)))
        if isinstance(status, str):
            q = q.where(m.c.status == status)
        elif status:
            q = q.where(m.c.status.in_(list(status)))
        if persona_id:
            q = q.where(m.c.persona_id == persona_id)
        if folder:
            q = q.where(m.c.folder == folder)
        if ids is not None:
            q = q.where(m.c.id.in_(list(ids)))
        q = q.order_by(m.c.received_at, m.c.id)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def mail_count(self, *, persona_id: str | None = None, status: str | None = None) -> int:
        m = t.mail_messages
        q = select(func.count()).select_from(m)
        if persona_id:
            q = q.where(m.c.persona_id == persona_id)
        if status:
            q = q.where(m.c.status == status)
        with self.begin() as conn:
            return int(conn.execute(q).scalar_one())

    def mail_status_counts(self) -> dict[str, int]:
        m = t.mail_messages
        with self.begin() as conn:
            return {s: int(n) for s, n in conn.execute(select(m.c.status, func.count()).group_by(m.c.status))}

    def mail_unapplied_probes(self) -> list[str]:
        """Probes with messages whose effect on the probe's result is not recorded yet (e.g. after a crash)."""
        m = t.mail_messages
        q = select(m.c.probe_id).where(m.c.applied.is_(False), m.c.probe_id.is_not(None)).distinct()
        with self.begin() as conn:
            return sorted(conn.execute(q).scalars())

    def mail_mark_applied(self, probe_id: str) -> None:
        m = t.mail_messages
        with self.begin() as conn:
            conn.execute(
                update(m).where(m.c.probe_id == probe_id, m.c.applied.is_(False)).values(applied=True)
            )

    # -- review --------------------------------------------------------------------------------------------
    def mail_assign(
        self, row_id: int, probe_id: str, *, part: str = "question", by: str, note: str | None = None
    ) -> str | None:
        """A reviewer assigns a received message to a probe. Returns the probe it was matched to before."""
        msg = self.mail_message(row_id)
        self.get_probe(probe_id)  # type: ignore[attr-defined]  # NotFoundError names the probe
        if msg["status"] == "own":
            raise UsageError(f"message {row_id} is our own copy of a probe, not a reply")
        m, e = t.mail_messages, t.evidence
        with self.begin() as conn:
            conn.execute(
                update(m).where(m.c.id == row_id).values(
                    probe_id=probe_id, part=part, status="matched", match_method="manual",
                    match_detail={"by": by, "previous": msg["probe_id"]}, applied=False,
                    reviewed_by=by, reviewed_at=_now(), review_note=note,
                )
            )  # fmt: skip
            if msg["evidence_path"]:
                conn.execute(
                    update(e)
                    .where(e.c.path == msg["evidence_path"], e.c.kind == "eml")
                    .where(
                        e.c.probe_id.is_(None) if msg["probe_id"] is None else e.c.probe_id == msg["probe_id"]
                    )
                    .values(probe_id=probe_id)
                )
        return msg["probe_id"]

    def mail_review_set(
        self,
        row_id: int,
        *,
        by: str,
        status: str | None = None,
        kind: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """A reviewer ignores a message (`status="ignored"`) or corrects its kind."""
        if status is not None and status not in MAIL_STATUSES:
            raise UsageError(f"unknown message status {status!r}")
        msg = self.mail_message(row_id)
        values: dict[str, Any] = {
            "reviewed_by": by,
            "reviewed_at": _now(),
            "review_note": note,
            "applied": False,
        }
        if status is not None:
            values["status"] = status
        if kind is not None:
            values["kind_override"] = kind
        with self.begin() as conn:
            conn.execute(update(t.mail_messages).where(t.mail_messages.c.id == row_id).values(**values))
        return {**msg, **values}

    # -- grades --------------------------------------------------------------------------------------------
    def email_grade(self, probe_id: str, part: str = "question") -> dict[str, Any] | None:
        g = t.email_grades
        with self.begin() as conn:
            row = conn.execute(select(g).where(g.c.probe_id == probe_id, g.c.part == part)).mappings().first()
        return dict(row) if row else None

    def email_grades(self, round_name: str) -> list[dict[str, Any]]:
        g, p = t.email_grades, t.probes
        q = (
            select(g, p.c.kommunenummer, p.c.scenario_id)
            .select_from(g.join(p, p.c.id == g.c.probe_id))
            .where(p.c.round_name == round_name)
            .order_by(g.c.probe_id, g.c.part)
        )
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def set_email_proposal(
        self,
        probe_id: str,
        part: str,
        *,
        reply_id: int | None,
        proposed: str | None,
        confidence: float | None,
        proposal: dict[str, Any],
    ) -> dict[str, Any]:
        """Record the tool's proposal; a person's confirmation stays while it is about the same reply."""
        g = t.email_grades
        now = _now()
        with self.begin() as conn:
            where = (g.c.probe_id == probe_id) & (g.c.part == part)
            current = conn.execute(select(g).where(where)).mappings().first()
            values: dict[str, Any] = dict(
                reply_id=reply_id, proposed=proposed, confidence=confidence, proposal=proposal, updated_at=now
            )
            if current is None:
                conn.execute(g.insert().values(probe_id=probe_id, part=part, **values))
            else:
                if current["reply_id"] != reply_id:
                    values.update(confirmed=None, confirmed_by=None, confirmed_at=None)
                conn.execute(update(g).where(where).values(**values))
            return dict(conn.execute(select(g).where(where)).mappings().one())

    def confirm_email_grade(
        self, probe_id: str, part: str = "question", *, grade: str, by: str, note: str | None = None
    ) -> dict[str, Any]:
        if grade not in GRADES:
            raise UsageError(f"unknown grade {grade!r}", hint="use one of: " + ", ".join(GRADES))
        g = t.email_grades
        where = (g.c.probe_id == probe_id) & (g.c.part == part)
        with self.begin() as conn:
            n = conn.execute(
                update(g).where(where).values(
                    confirmed=grade, confirmed_by=by, confirmed_at=_now(), note=note, updated_at=_now()
                )
            ).rowcount  # fmt: skip
            if not n:
                raise NotFoundError(f"probe {probe_id} has no graded answer yet")
            return dict(conn.execute(select(g).where(where)).mappings().one())

    # -- flagged addresses ---------------------------------------------------------------------------------
    def flag_address(
        self,
        address: str,
        *,
        kommunenummer: str | None,
        reason: str,
        status: str | None,
        probe_id: str | None,
        message_row_id: int | None,
        seen_at: datetime,
    ) -> None:
        """A bounce says this address does not take mail: flag it (once per bounce message)."""
        fa = t.flagged_addresses
        addr = address.strip().lower()
        with self.begin() as conn:
            current = conn.execute(select(fa).where(fa.c.address == addr)).mappings().first()
            if current is None:
                conn.execute(
                    fa.insert().values(
                        address=addr, kommunenummer=kommunenummer, reason=reason, status=status,
                        probe_id=probe_id, message_row_id=message_row_id, count=1, first_seen=seen_at,
                        last_seen=seen_at, cleared_at=None,
                    )
                )  # fmt: skip
            elif current["message_row_id"] != message_row_id and seen_at > current["last_seen"]:
                conn.execute(
                    update(fa).where(fa.c.address == addr).values(
                        count=current["count"] + 1, last_seen=seen_at, reason=reason, status=status,
                        probe_id=probe_id, message_row_id=message_row_id, cleared_at=None,
                    )
                )  # fmt: skip

    def flagged_addresses(self, *, include_cleared: bool = False) -> list[dict[str, Any]]:
        fa = t.flagged_addresses
        q = select(fa).order_by(fa.c.kommunenummer, fa.c.address)
        if not include_cleared:
            q = q.where(fa.c.cleared_at.is_(None))
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def clear_flagged_address(self, address: str) -> None:
        fa = t.flagged_addresses
        with self.begin() as conn:
            conn.execute(update(fa).where(fa.c.address == address.strip().lower()).values(cleared_at=_now()))

    # -- observations of received mail ---------------------------------------------------------------------
    def delete_observations(self, probe_id: str, keys: Iterable[str]) -> int:
        """Remove observations (a reply reassigned to another probe leaves its old timeline)."""
        keys = list(keys)
        if not keys:
            return 0
        o = t.observations
        with self.begin() as conn:
            return conn.execute(delete(o).where(o.c.probe_id == probe_id, o.c.key.in_(keys))).rowcount

    def observation_keys(self, probe_id: str, kind: str) -> list[str]:
        o = t.observations
        with self.begin() as conn:
            return list(
                conn.execute(select(o.c.key).where(o.c.probe_id == probe_id, o.c.kind == kind)).scalars()
            )
