"""The Store's core: connections, transactions, migrations, dialect-neutral upserts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from kommunetest.errors import StoreError
from kommunetest.store import migrations
from kommunetest.store.engine import database_url, make_engine

_PG_MIGRATION_LOCK = 727_001  # advisory lock id: one migrator at a time


class StoreBase:
    def __init__(self, engine: Engine, results_dir: Path) -> None:
        self.engine = engine
        self.results_dir = results_dir

    @classmethod
    def connect(
        cls, url: str | None, results_dir: Path, *, busy_timeout_s: float = 30.0, migrate: bool = True
    ):
        results_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(database_url(url, results_dir), busy_timeout_s=busy_timeout_s)
        store = cls(engine, results_dir)
        if migrate:
            store.migrate()
        return store

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def url(self) -> str:
        """The URL with any password hidden, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction; store errors become StoreError with the URL (never the password)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as e:
            raise StoreError(
                f"database error on {self.url}: {e.orig}",
                hint="check that the database is reachable and not locked by a crashed process",
            ) from e

    def migrate(self) -> list[int]:
        try:
            with self.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
                return migrations.migrate(conn)
        except SQLAlchemyError as e:
            raise StoreError(f"cannot migrate the database {self.url}: {e}") from e

    def schema_version(self) -> int:
        with self.begin() as conn:
            return max(migrations.applied_versions(conn), default=0)

    def insert_ignore(
        self, conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: list[str]
    ) -> int:
        """Insert rows, skipping those whose unique key exists: idempotent writes. Returns rows inserted."""
        if not rows:
            return 0
        ins = pg_insert(table) if self.dialect == "postgresql" else sqlite_insert(table)
        # RETURNING counts what was really inserted; executemany rowcounts are unreliable across drivers.
        stmt = ins.on_conflict_do_nothing(index_elements=keys).returning(table.c[keys[0]])
        total = 0
        for start in range(0, len(rows), 500):
            total += len(conn.execute(stmt, list(rows[start : start + 500])).all())
        return total

    def close(self) -> None:
        self.engine.dispose()
