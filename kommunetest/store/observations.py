"""Observations: what a probe produced, one row per (probe, key), written idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from kommunetest.store import schema as t
from kommunetest.store.base import StoreBase


class ObservationsMixin(StoreBase):
    def record_observation(
        self,
        probe_id: str,
        key: str,
        *,
        kind: str,
        value: dict[str, Any],
        observed_at: datetime,
        source: str,
        grade: str | None = None,
        replace: bool = False,
    ) -> dict[str, Any]:
        """Record what a probe produced. Re-running a stage keeps the first row unless `replace` is set."""
        row = {
            "probe_id": probe_id,
            "key": key,
            "kind": kind,
            "grade": grade,
            "value": value,
            "observed_at": observed_at,
            "recorded_at": datetime.now(UTC),
            "source": source,
        }
        o = t.observations
        with self.begin() as conn:
            self.put_observation(conn, row, replace=replace)
            found = conn.execute(select(o).where(o.c.probe_id == probe_id, o.c.key == key)).mappings().one()
            return dict(found)

    def put_observation(self, conn: Connection, row: dict[str, Any], *, replace: bool) -> None:
        """Insert one observation row inside the caller's transaction; an existing (probe, key) keeps its
        row unless `replace`."""
        o = t.observations
        if not self.insert_ignore(conn, o, [row], ["probe_id", "key"]) and replace:
            conn.execute(
                update(o)
                .where(o.c.probe_id == row["probe_id"], o.c.key == row["key"])
                .values({k: v for k, v in row.items() if k not in ("probe_id", "key")})
            )

    def observations(
        self, round_name: str, *, kind: str | None = None, probe_ids: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        o, p = t.observations, t.probes
        q = (
            select(o, p.c.kommunenummer, p.c.scenario_id, p.c.channel, p.c.sector)
            .select_from(o.join(p, p.c.id == o.c.probe_id))
            .where(p.c.round_name == round_name)
            .order_by(o.c.id)
        )
        if kind:
            q = q.where(o.c.kind == kind)
        if probe_ids is not None:
            q = q.where(o.c.probe_id.in_(list(probe_ids)))
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def record_observations(self, rows: Sequence[dict[str, Any]]) -> int:
        """Bulk `record_observation` (first row wins, in one transaction): for generators and imports that
        write thousands of rows. Each row has probe_id, key, kind, value, observed_at, source and grade."""
        now = datetime.now(UTC)
        data = [{"grade": None, "recorded_at": now, **r} for r in rows]
        with self.begin() as conn:
            return self.insert_ignore(conn, t.observations, data, ["probe_id", "key"])
