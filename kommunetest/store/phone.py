"""Phone channel tables: tester accounts, who calls what, and every revision of every call entry.

Entries are append-only: an edit is a new revision, so a call's whole history stays (DESIGN.md, evidence).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from kommunetest.errors import ConflictError, NotFoundError, UsageError
from kommunetest.store import schema as t
from kommunetest.store.observations import ObservationsMixin


def edited_meanwhile() -> ConflictError:
    return ConflictError(
        "this call was saved by someone else while you were editing it",
        hint="open the call again to see what was saved, then make your change on top of it",
    )


class PhoneMixin(ObservationsMixin):
    # ------------------------------------------------------------ testers

    def add_tester(self, username: str, display_name: str, role: str, password_hash: str) -> dict[str, Any]:
        if role not in t.TESTER_ROLES:
            raise UsageError(f"unknown role {role!r}", hint=f"use one of: {', '.join(t.TESTER_ROLES)}")
        row = {
            "username": username.lower(),
            "display_name": display_name,
            "role": role,
            "password_hash": password_hash,
            "active": True,
            "failed_logins": 0,
            "locked_until": None,
            "created_at": datetime.now(UTC),
            "last_login_at": None,
            "session_epoch": 0,
        }
        with self.begin() as conn:
            if not self.insert_ignore(conn, t.testers, [row], ["username"]):
                raise UsageError(
                    f"a tester named {username!r} exists already",
                    hint="pick another user name, or change that account with `kommunetest phone tester`",
                )
            found = conn.execute(select(t.testers).where(t.testers.c.username == row["username"])).mappings()
            return dict(found.one())

    def tester(self, *, username: str | None = None, tester_id: int | None = None) -> dict[str, Any] | None:
        q = select(t.testers)
        q = (
            q.where(t.testers.c.username == username.lower())
            if username
            else q.where(t.testers.c.id == tester_id)
        )
        with self.begin() as conn:
            row = conn.execute(q).mappings().first()
        return dict(row) if row else None

    def testers(self, *, active_only: bool = False, role: str | None = None) -> list[dict[str, Any]]:
        q = select(t.testers).order_by(t.testers.c.username)
        if active_only:
            q = q.where(t.testers.c.active.is_(True))
        if role:
            q = q.where(t.testers.c.role == role)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def update_tester(self, tester_id: int, **values: Any) -> None:
        if "role" in values and values["role"] not in t.TESTER_ROLES:
            raise UsageError(f"unknown role {values['role']!r}")
        with self.begin() as conn:
            n = conn.execute(update(t.testers).where(t.testers.c.id == tester_id).values(**values)).rowcount
        if not n:
            raise NotFoundError(f"no tester with id {tester_id}")

    def end_sessions(self, tester_id: int) -> None:
        """Every session cookie of the account stops working (logout, switch-off, new password)."""
        tt = t.testers
        with self.begin() as conn:
            conn.execute(update(tt).where(tt.c.id == tester_id).values(session_epoch=tt.c.session_epoch + 1))

    def count_login_failure(self, tester_id: int, *, lock_after: int, locked_until: datetime) -> int:
        """One more failed login; the account locks when `lock_after` is reached. Returns the new count."""
        tt = t.testers
        with self.begin() as conn:
            conn.execute(update(tt).where(tt.c.id == tester_id).values(failed_logins=tt.c.failed_logins + 1))
            n = int(conn.execute(select(tt.c.failed_logins).where(tt.c.id == tester_id)).scalar_one())
            if n >= lock_after:
                conn.execute(update(tt).where(tt.c.id == tester_id).values(locked_until=locked_until))
            return n

    # ------------------------------------------------------------ assignments

    def assign_calls(self, pairs: Sequence[tuple[str, int]], *, by: str, replace: bool = False) -> int:
        """Give probes to testers. Without `replace` a probe that has its tester keeps it (idempotent)."""
        now = datetime.now(UTC)
        rows = [{"probe_id": p, "tester_id": tid, "assigned_at": now, "assigned_by": by} for p, tid in pairs]
        a = t.phone_assignments
        with self.begin() as conn:
            n = self.insert_ignore(conn, a, rows, ["probe_id"])
            if replace:
                for r in rows:
                    n += conn.execute(
                        update(a)
                        .where(a.c.probe_id == r["probe_id"], a.c.tester_id != r["tester_id"])
                        .values(tester_id=r["tester_id"], assigned_at=now, assigned_by=by)
                    ).rowcount
            return n

    def phone_calls(
        self,
        *,
        round_name: str | None = None,
        tester_id: int | None = None,
        probe_id: str | None = None,
        unassigned: bool = False,
    ) -> list[dict[str, Any]]:
        """Phone probes with their municipality, tester and entry count, in planned order."""
        p, m, a = t.probes, t.round_municipalities, t.phone_assignments
        q = (
            select(
                p,
                m.c.name.label("municipality"),
                m.c.county,
                m.c.phone.label("municipality_phone"),
                m.c.website,
                a.c.tester_id,
            )
            .select_from(
                p.join(
                    m, (m.c.round_name == p.c.round_name) & (m.c.kommunenummer == p.c.kommunenummer)
                ).outerjoin(a, a.c.probe_id == p.c.id)
            )
            .where(p.c.channel == "phone")
            .order_by(p.c.planned_at, p.c.id)
        )
        if round_name:
            q = q.where(p.c.round_name == round_name)
        if tester_id is not None:
            q = q.where(a.c.tester_id == tester_id)
        if probe_id:
            q = q.where(p.c.id == probe_id)
        if unassigned:
            q = q.where(a.c.tester_id.is_(None))
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    # ------------------------------------------------------------ entries

    def save_phone_entry(
        self,
        row: dict[str, Any],
        *,
        expected_entries: int,
        observation: dict[str, Any] | None,
        probe: dict[str, Any],
        evidence: dict[str, Any] | None,
    ) -> tuple[dict[str, Any], bool]:
        """One revision, the observation derived from it, the probe's status and the form's evidence row, in
        one transaction: a crash leaves all of them or none. `expected_entries` is how many revisions the
        caller derived from; if another was saved meanwhile, ConflictError and nothing is written. A repeated
        nonce returns the row it made the first time, and False. `observation` None removes the probe's
        derived observation (an edit reopened the call)."""
        e, o, p = t.phone_entries, t.observations, t.probes
        now = datetime.now(UTC)
        try:
            with self.begin() as conn:
                again = conn.execute(select(e).where(e.c.nonce == row["nonce"])).mappings().first()
                if again is not None:
                    return dict(again), False
                # Taking the probe's row first serialises writers of one call (a row lock on PostgreSQL, the
                # write lock on SQLite), so the count below is what this revision really follows.
                conn.execute(update(p).where(p.c.id == row["probe_id"]).values(updated_at=now))
                n = conn.execute(select(func.count()).select_from(e).where(e.c.probe_id == row["probe_id"]))
                if int(n.scalar_one()) != expected_entries:
                    raise edited_meanwhile()
                pk = conn.execute(e.insert().values(**{"created_at": now, "reason": None, **row}))
                stored = dict(
                    conn.execute(select(e).where(e.c.id == pk.inserted_primary_key[0])).mappings().one()
                )
                if observation is None:  # no evidence row points at a phone observation: nothing to unlink
                    conn.execute(delete(o).where(o.c.probe_id == row["probe_id"], o.c.key == "result"))
                else:
                    obs = {"probe_id": row["probe_id"], "key": "result", "recorded_at": now, **observation}
                    self.put_observation(conn, obs, replace=True)
                conn.execute(update(p).where(p.c.id == row["probe_id"]).values(**probe, updated_at=now))
                if evidence is not None:
                    self.insert_ignore(conn, t.evidence, [{"created_at": now, "observation_id": None, **evidence}],
                                       ["sha256", "kind", "probe_id"])  # fmt: skip
                return stored, True
        except IntegrityError as err:
            with self.begin() as conn:
                again = conn.execute(select(e).where(e.c.nonce == row["nonce"])).mappings().first()
            if again is not None:
                return dict(again), False
            raise edited_meanwhile() from err

    def phone_entries(self, probe_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Every revision of the probes' entries, oldest first."""
        e = t.phone_entries
        out: list[dict[str, Any]] = []
        ids = list(probe_ids)
        with self.begin() as conn:
            for start in range(0, len(ids), 500):
                q = (
                    select(e)
                    .where(e.c.probe_id.in_(ids[start : start + 500]))
                    .order_by(e.c.probe_id, e.c.attempt, e.c.revision)
                )
                out += [dict(r) for r in conn.execute(q).mappings()]
        return out

    def phone_entry_counts(self, round_name: str) -> dict[str, int]:
        """Revisions per probe of a round, for progress pages."""
        e, p = t.phone_entries, t.probes
        q = (
            select(e.c.probe_id, func.count())
            .select_from(e.join(p, p.c.id == e.c.probe_id))
            .where(p.c.round_name == round_name)
            .group_by(e.c.probe_id)
        )
        with self.begin() as conn:
            return {pid: int(n) for pid, n in conn.execute(q).all()}
