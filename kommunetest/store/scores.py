"""Score runs, their per-municipality and per-probe scores, and corrections.

A score run is a snapshot: the model (version, content hash, full rules), a hash of what was scored, and the
results. Scoring never writes observations; corrections agreed with a municipality overlay them at scoring
time, with who decided, when and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from kommunetest.errors import NotFoundError, UsageError
from kommunetest.store import schema as t
from kommunetest.store.base import StoreBase

CORRECTION_STATUSES = ("accepted", "rejected", "pending")
_CHUNK = 1000


class ScoresMixin(StoreBase):
    def save_score_run(
        self,
        round_name: str,
        *,
        model_version: str,
        model_hash: str,
        model: dict[str, Any],
        method_version: str,
        inputs_hash: str,
        summary: dict[str, Any],
        municipalities: Sequence[dict[str, Any]],
        probes: Sequence[dict[str, Any]],
    ) -> tuple[int, bool]:
        """Store a run; (run id, True). When the round's latest run scored the same inputs under the same
        model, nothing is written and that run is returned: (its id, False)."""
        with self.begin() as conn:
            last = conn.execute(
                select(t.score_runs.c.id, t.score_runs.c.model_hash, t.score_runs.c.inputs_hash)
                .where(t.score_runs.c.round_name == round_name)
                .order_by(t.score_runs.c.id.desc())
                .limit(1)
            ).first()
            if last is not None and last.model_hash == model_hash and last.inputs_hash == inputs_hash:
                return int(last.id), False
            run_id = conn.execute(
                insert(t.score_runs)
                .values(
                    round_name=round_name,
                    created_at=datetime.now(UTC),
                    model_version=model_version,
                    model_hash=model_hash,
                    model=model,
                    method_version=method_version,
                    inputs_hash=inputs_hash,
                    summary=summary,
                )
                .returning(t.score_runs.c.id)
            ).scalar_one()
            for table, rows in ((t.municipality_scores, municipalities), (t.probe_scores, probes)):
                data = [{"run_id": run_id, **r} for r in rows]
                for start in range(0, len(data), _CHUNK):
                    conn.execute(insert(table), data[start : start + _CHUNK])
        return int(run_id), True

    def score_runs(self, round_name: str) -> list[dict[str, Any]]:
        """The round's runs, oldest first (without their rows)."""
        q = select(t.score_runs).where(t.score_runs.c.round_name == round_name).order_by(t.score_runs.c.id)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def score_run(self, run_id: int | None = None, *, round_name: str | None = None) -> dict[str, Any]:
        """One run by id, or the latest of `round_name`."""
        q = select(t.score_runs)
        if run_id is not None:
            q = q.where(t.score_runs.c.id == run_id)
        elif round_name is not None:
            q = q.where(t.score_runs.c.round_name == round_name).order_by(t.score_runs.c.id.desc()).limit(1)
        else:
            raise UsageError("score_run needs a run id or a round name")
        with self.begin() as conn:
            row = conn.execute(q).mappings().first()
        if row is None:
            what = f"score run {run_id}" if run_id is not None else f"score run for round {round_name!r}"
            raise NotFoundError(
                f"no {what}", hint=f"score it first: kommunetest score --round {round_name or 'NAME'}"
            )
        return dict(row)

    def municipality_scores(self, run_id: int) -> list[dict[str, Any]]:
        """The run's published records, in rank order (not ranked last, by kommunenummer)."""
        m = t.municipality_scores
        q = select(m).where(m.c.run_id == run_id).order_by(m.c.ranked.desc(), m.c.rank, m.c.kommunenummer)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def probe_scores(self, run_id: int, *, kommunenummer: str | None = None) -> list[dict[str, Any]]:
        ps, p = t.probe_scores, t.probes
        q = (
            select(ps, p.c.kommunenummer, p.c.scenario_id, p.c.channel, p.c.sector)
            .select_from(ps.join(p, p.c.id == ps.c.probe_id))
            .where(ps.c.run_id == run_id)
            .order_by(ps.c.probe_id)
        )
        if kommunenummer:
            q = q.where(p.c.kommunenummer == kommunenummer)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def delete_score_run(self, run_id: int) -> None:
        with self.begin() as conn:
            for table in (t.municipality_scores, t.probe_scores):
                conn.execute(delete(table).where(table.c.run_id == run_id))
            conn.execute(delete(t.score_runs).where(t.score_runs.c.id == run_id))

    # --- corrections ---------------------------------------------------------------------------------

    def add_correction(
        self,
        round_name: str,
        kommunenummer: str,
        *,
        reason: str,
        author: str,
        probe_id: str | None = None,
        observation_key: str | None = None,
        grade: str | None = None,
        value: dict[str, Any] | None = None,
        status: str = "accepted",
    ) -> dict[str, Any]:
        """Record a correction (who, when, why). Accepted ones with a grade or value change the next score
        run; the observation itself stays as recorded."""
        if status not in CORRECTION_STATUSES:
            raise UsageError(
                f"unknown correction status {status!r}", hint=f"use {', '.join(CORRECTION_STATUSES)}"
            )
        if not reason.strip() or not author.strip():
            raise UsageError("a correction needs a reason and an author")
        row = {
            "round_name": round_name,
            "kommunenummer": kommunenummer,
            "probe_id": probe_id,
            "observation_key": observation_key,
            "grade": grade,
            "value": value or {},
            "reason": reason,
            "author": author,
            "status": status,
            "created_at": datetime.now(UTC),
        }
        with self.begin() as conn:
            cid = conn.execute(insert(t.corrections).values(**row).returning(t.corrections.c.id)).scalar_one()
        return {"id": int(cid), **row}

    def set_correction_status(self, correction_id: int, status: str) -> None:
        if status not in CORRECTION_STATUSES:
            raise UsageError(
                f"unknown correction status {status!r}", hint=f"use {', '.join(CORRECTION_STATUSES)}"
            )
        with self.begin() as conn:
            conn.execute(
                update(t.corrections).where(t.corrections.c.id == correction_id).values(status=status)
            )

    def corrections(
        self, round_name: str, *, kommunenummer: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        c = t.corrections
        q = select(c).where(c.c.round_name == round_name).order_by(c.c.id)
        if kommunenummer:
            q = q.where(c.c.kommunenummer == kommunenummer)
        if status:
            q = q.where(c.c.status == status)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]
