"""Rounds, their municipalities and their probes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update

from kommunetest.errors import NotFoundError, UsageError
from kommunetest.store import schema as t
from kommunetest.store.base import StoreBase

PROBE_STATUSES = ("planned", "waiting", "due", "sending", "sent", "answered", "done", "failed", "cancelled")


def probe_id(round_name: str, kommunenummer: str, scenario_id: str) -> str:
    """Stable probe id: planning the same round again yields the same ids, so nothing is duplicated."""
    return f"{round_name}:{kommunenummer}:{scenario_id}"


class RoundsMixin(StoreBase):
    def create_round(
        self,
        name: str,
        *,
        start_date: date,
        weeks: int,
        seed: int,
        method_version: str,
        sample: dict[str, Any],
        scenario_ids: list[str],
        config: dict[str, Any],
        exist_ok: bool = False,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        row = {
            "name": name,
            "created_at": now,
            "start_date": start_date,
            "weeks": weeks,
            "seed": seed,
            "method_version": method_version,
            "sample": sample,
            "scenario_ids": scenario_ids,
            "config": config,
            "status": "planned",
        }
        with self.begin() as conn:
            inserted = self.insert_ignore(conn, t.rounds, [row], ["name"])
        if not inserted and not exist_ok:
            raise UsageError(
                f"round {name!r} exists already",
                hint="choose another name, or use `kommunetest round plan` to re-plan it without duplicates",
            )
        return self.get_round(name)

    def get_round(self, name: str) -> dict[str, Any]:
        with self.begin() as conn:
            row = conn.execute(select(t.rounds).where(t.rounds.c.name == name)).mappings().first()
        if row is None:
            known = ", ".join(r["name"] for r in self.list_rounds()) or "none yet"
            raise NotFoundError(
                f"no round named {name!r} (known: {known})", hint="create it with `round create`"
            )
        return dict(row)

    def list_rounds(self) -> list[dict[str, Any]]:
        with self.begin() as conn:
            return [
                dict(r) for r in conn.execute(select(t.rounds).order_by(t.rounds.c.created_at)).mappings()
            ]

    def set_round_status(self, name: str, status: str) -> None:
        with self.begin() as conn:
            conn.execute(update(t.rounds).where(t.rounds.c.name == name).values(status=status))

    def add_round_municipalities(self, round_name: str, rows: Iterable[dict[str, Any]]) -> int:
        data = [{"round_name": round_name, **r} for r in rows]
        with self.begin() as conn:
            return self.insert_ignore(conn, t.round_municipalities, data, ["round_name", "kommunenummer"])

    def update_round_municipalities(
        self, round_name: str, values: dict[str, Any], kommunenummer: str | None = None
    ) -> int:
        """Change a round's snapshot of contact data (all municipalities, or one). Returns rows changed."""
        rm = t.round_municipalities
        q = update(rm).where(rm.c.round_name == round_name)
        if kommunenummer is not None:
            q = q.where(rm.c.kommunenummer == kommunenummer)
        with self.begin() as conn:
            return conn.execute(q.values(**values)).rowcount

    def round_municipalities(self, round_name: str) -> list[dict[str, Any]]:
        q = (
            select(t.round_municipalities)
            .where(t.round_municipalities.c.round_name == round_name)
            .order_by(t.round_municipalities.c.kommunenummer)
        )
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def add_probes(self, probes: Sequence[dict[str, Any]]) -> int:
        """Insert probes that do not exist yet (by id). Returns how many were new."""
        now = datetime.now(UTC)
        rows = []
        for p in probes:
            row = {
                "id": p.get("id") or probe_id(p["round_name"], p["kommunenummer"], p["scenario_id"]),
                "variant": 0,
                "status": "planned",
                "attempts": 0,
                "details": {},
                "planned_at": None,
                "persona_id": None,
                "created_at": now,
                "updated_at": now,
                **p,
            }
            if row["status"] not in PROBE_STATUSES:
                raise UsageError(f"unknown probe status {row['status']!r}")
            rows.append(row)
        with self.begin() as conn:
            return self.insert_ignore(conn, t.probes, rows, ["id"])

    def probes(
        self,
        round_name: str,
        *,
        channel: str | None = None,
        status: str | Sequence[str] | None = None,
        kommunenummer: str | None = None,
        due_before: datetime | None = None,
    ) -> list[dict[str, Any]]:
        q = select(t.probes).where(t.probes.c.round_name == round_name)
        if channel:
            q = q.where(t.probes.c.channel == channel)
        if isinstance(status, str):
            q = q.where(t.probes.c.status == status)
        elif status:
            q = q.where(t.probes.c.status.in_(list(status)))
        if kommunenummer:
            q = q.where(t.probes.c.kommunenummer == kommunenummer)
        if due_before is not None:
            q = q.where(t.probes.c.planned_at <= due_before)
        q = q.order_by(t.probes.c.planned_at.is_(None), t.probes.c.planned_at, t.probes.c.id)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def get_probe(self, pid: str) -> dict[str, Any]:
        with self.begin() as conn:
            row = conn.execute(select(t.probes).where(t.probes.c.id == pid)).mappings().first()
        if row is None:
            raise NotFoundError(f"no probe {pid!r}")
        return dict(row)

    def update_probe(self, pid: str, **values: Any) -> None:
        if "status" in values and values["status"] not in PROBE_STATUSES:
            raise UsageError(f"unknown probe status {values['status']!r}")
        with self.begin() as conn:
            conn.execute(
                update(t.probes).where(t.probes.c.id == pid).values(**values, updated_at=datetime.now(UTC))
            )

    def probe_counts(self, round_name: str) -> list[dict[str, Any]]:
        """Probe counts by channel, status and county: the numbers behind `round status`."""
        p, m = t.probes, t.round_municipalities
        q = (
            select(m.c.county, p.c.channel, p.c.status, func.count().label("n"))
            .select_from(
                p.join(m, (m.c.round_name == p.c.round_name) & (m.c.kommunenummer == p.c.kommunenummer))
            )
            .where(p.c.round_name == round_name)
            .group_by(m.c.county, p.c.channel, p.c.status)
        )
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def count_probes(self, round_name: str | None = None) -> int:
        q = select(func.count()).select_from(t.probes)
        if round_name:
            q = q.where(t.probes.c.round_name == round_name)
        with self.begin() as conn:
            return int(conn.execute(q).scalar_one())
