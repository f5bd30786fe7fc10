"""Shared fixtures. Slow servers (PostgreSQL, Dovecot, SMTP, web sites, Chromium) are session-scoped.

Each server lives in the library (`kommunetest.sandbox`, `tests/servers`) so that the demo and the benchmarks
start the very same thing; the fixtures here are thin wrappers.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project directory (no kommunetest.toml)."""
    return tmp_path


# --- store: SQLite file and PostgreSQL -------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the session (initdb + pg_ctl on a free loopback port)."""
    from kommunetest.sandbox.postgres import PostgresServer, postgres_available

    reason = postgres_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.stop()


_db_counter = itertools.count()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'results' / 'kommunetest.db'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"t{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
def store(store_url: str, tmp_path: Path):
    from kommunetest.store import Store

    s = Store.connect(store_url, tmp_path / "results")
    yield s
    s.close()
