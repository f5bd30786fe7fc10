"""Evidence files: content-addressed files beside the database, referenced by SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from kommunetest.store import schema as t
from kommunetest.store.base import StoreBase

EVIDENCE_DIR = "evidence"


class EvidenceMixin(StoreBase):
    def write_blob(self, data: bytes, suffix: str) -> tuple[str, str]:
        """Write bytes once under evidence/ab/<sha256><suffix>; returns (sha256, path relative to results)."""
        sha = hashlib.sha256(data).hexdigest()
        rel = f"{EVIDENCE_DIR}/{sha[:2]}/{sha}{suffix}"
        path = self.results_dir / rel
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        return sha, rel

    def put_evidence(
        self,
        data: bytes,
        *,
        kind: str,
        media_type: str,
        suffix: str,
        probe_id: str | None = None,
        observation_id: int | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a file and its row; storing the same bytes for the same probe again is a no-op."""
        sha, rel = self.write_blob(data, suffix)
        row = {
            "sha256": sha,
            "kind": kind,
            "path": rel,
            "size": len(data),
            "media_type": media_type,
            "probe_id": probe_id,
            "observation_id": observation_id,
            "meta": meta or {},
            "created_at": datetime.now(UTC),
        }
        with self.begin() as conn:
            self.insert_ignore(conn, t.evidence, [row], ["sha256", "kind", "probe_id"])
            q = select(t.evidence).where(t.evidence.c.sha256 == sha, t.evidence.c.kind == kind)
            q = q.where(
                t.evidence.c.probe_id.is_(None) if probe_id is None else t.evidence.c.probe_id == probe_id
            )
            return dict(conn.execute(q).mappings().first() or row)

    def add_evidence(self, rows: Sequence[dict[str, Any]]) -> int:
        """Bulk evidence rows for files already written with `write_blob` (one transaction, idempotent).
        Each row has sha256, kind, path, size, media_type and optionally probe_id, observation_id, meta."""
        now = datetime.now(UTC)
        data = [{"probe_id": None, "observation_id": None, "meta": {}, "created_at": now, **r} for r in rows]
        with self.begin() as conn:
            return self.insert_ignore(conn, t.evidence, data, ["sha256", "kind", "probe_id"])

    def round_evidence(self, round_name: str, *, kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Every evidence row of a round's probes (one query, for the report), in insertion order."""
        e, p = t.evidence, t.probes
        q = (
            select(e)
            .select_from(e.join(p, p.c.id == e.c.probe_id))
            .where(p.c.round_name == round_name)
            .order_by(e.c.id)
        )
        if kinds:
            q = q.where(e.c.kind.in_(list(kinds)))
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def evidence_for(self, probe_id: str) -> list[dict[str, Any]]:
        q = select(t.evidence).where(t.evidence.c.probe_id == probe_id).order_by(t.evidence.c.id)
        with self.begin() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def evidence_path(self, row: dict[str, Any]) -> Path:
        return self.results_dir / row["path"]

    def verify_evidence(self, row: dict[str, Any]) -> bool:
        """True when the file exists and still has the recorded SHA-256."""
        path = self.evidence_path(row)
        return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
