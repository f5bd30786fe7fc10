"""The web channel's writes: a site's observations and its site row in one transaction, re-runs replacing.

`web check` records, per municipality, a `web_item` observation per (probe, desktop/mobile) and one
`web_sites` row (crawl figures, accessibility counts, digital services). Writing a site at once keeps a
re-run from leaving half a site's results old and half new, and is fast (one commit per site).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update

from kommunetest.store import schema as t
from kommunetest.store.base import StoreBase

_SITE_COLUMNS = ("site_url", "final_url", "status", "error", "pages", "bytes", "elapsed_s", "stop_reason",
                 "details", "axe", "services", "checked_at")  # fmt: skip


class WebMixin(StoreBase):
    def save_web_site(
        self,
        round_name: str,
        kommunenummer: str,
        site: dict[str, Any],
        observations: Sequence[dict[str, Any]],
    ) -> dict[tuple[str, str], int]:
        """Replace a site's row and its observations (each with probe_id, key, kind, grade, value,
        observed_at, source). Returns the observation ids by (probe_id, key)."""
        o = t.observations
        now = datetime.now(UTC)
        row = {"round_name": round_name, "kommunenummer": kommunenummer, "details": {}, "services": {},
               "axe": None, "error": None, "stop_reason": None, "final_url": None, "site_url": None,
               "checked_at": now, **site}  # fmt: skip
        with self.begin() as conn:
            if not self.insert_ignore(conn, t.web_sites, [row], ["round_name", "kommunenummer"]):
                conn.execute(
                    update(t.web_sites)
                    .where(
                        t.web_sites.c.round_name == round_name, t.web_sites.c.kommunenummer == kommunenummer
                    )
                    .values({k: row[k] for k in _SITE_COLUMNS})
                )
            if not observations:
                return {}
            keys = [(r["probe_id"], r["key"]) for r in observations]
            where = or_(*(and_(o.c.probe_id == p, o.c.key == k) for p, k in keys))
            existing = {(r.probe_id, r.key) for r in conn.execute(select(o.c.probe_id, o.c.key).where(where))}
            fresh = [
                {**r, "recorded_at": now} for r in observations if (r["probe_id"], r["key"]) not in existing
            ]
            if fresh:
                conn.execute(o.insert(), fresh)
            for r in observations:
                if (r["probe_id"], r["key"]) in existing:
                    values = {k: r[k] for k in ("kind", "grade", "value", "observed_at", "source")}
                    conn.execute(
                        update(o)
                        .where(o.c.probe_id == r["probe_id"], o.c.key == r["key"])
                        .values(**values, recorded_at=now)
                    )
            ids = conn.execute(select(o.c.id, o.c.probe_id, o.c.key).where(where))
            return {(r.probe_id, r.key): r.id for r in ids}

    def web_sites(self, round_name: str) -> list[dict[str, Any]]:
        """Every site row of a round, by kommunenummer."""
        q = (
            select(t.web_sites)
            .where(t.web_sites.c.round_name == round_name)
            .order_by(t.web_sites.c.kommunenummer)
        )
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def web_site(self, round_name: str, kommunenummer: str) -> dict[str, Any] | None:
        q = select(t.web_sites).where(
            t.web_sites.c.round_name == round_name, t.web_sites.c.kommunenummer == kommunenummer
        )
        with self.begin() as conn:
            row = conn.execute(q).mappings().first()
        return dict(row) if row else None
