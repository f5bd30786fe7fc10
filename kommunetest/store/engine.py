"""Opening a database: SQLite (WAL, immediate transactions) by default, PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kommunetest.errors import ConfigError

SQLITE_FILE = "kommunetest.db"


def database_url(url: str | None, results_dir: Path) -> str:
    """The configured URL, or the default SQLite file in the results directory."""
    if url:
        return url
    return f"sqlite:///{(results_dir / SQLITE_FILE).resolve()}"


def make_engine(url: str, *, busy_timeout_s: float = 30.0) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(
            f"store.database_url is not a database URL: {e}",
            hint="use e.g. postgresql+psycopg://user@127.0.0.1:5432/kommunetest, or leave it empty for SQLite",
        ) from e
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s, "isolation_level": None})
        _sqlite_pragmas(engine, busy_timeout_s)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=20)
    raise ConfigError(
        f"unsupported database backend {backend!r} in store.database_url",
        hint="kommunetest supports SQLite (default) and PostgreSQL",
    )


def _sqlite_pragmas(engine: Engine, busy_timeout_s: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        cur.close()

    # The driver runs in autocommit; we open every transaction as IMMEDIATE so concurrent writers queue on
    # the lock at BEGIN instead of failing later with "database is locked" when a read upgrades to a write.
    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
