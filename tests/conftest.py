"""Shared fixtures. Slow servers (PostgreSQL, Dovecot, SMTP, web sites, Chromium) are session-scoped.

Each server lives in the library (`kommunetest.sandbox`, `tests/servers`) so that the demo and the benchmarks
start the very same thing; the fixtures here are thin wrappers.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
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


# --- local mail system: Dovecot (IMAP + LMTP) behind an aiosmtpd relay -----------------------------------


def _require_dovecot() -> None:
    from kommunetest.sandbox.mailsystem import dovecot_available

    reason = dovecot_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Dovecot is required in CI: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def mail_system(tmp_path_factory: pytest.TempPathFactory):
    """One mail system for the session. Tests make their own users (`mail_system.new_user()`); do not stop it."""
    from kommunetest.sandbox.mailsystem import MailSystem

    _require_dovecot()
    with MailSystem(tmp_path_factory.mktemp("mailsystem")) as ms:
        yield ms


@pytest.fixture
def fresh_mail_system(tmp_path: Path):
    """A mail system of one's own, for tests that stop, restart or break it."""
    from kommunetest.sandbox.mailsystem import MailSystem

    _require_dovecot()
    with MailSystem(tmp_path / "mailsystem") as ms:
        yield ms


# --- the command line, as users run it --------------------------------------------------------------------


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(*args: str, env: dict[str, str] | None = None) -> CliResult:
    """Run `kommunetest ARGS` in-process through `main`, the same error handling users get."""
    from click.testing import CliRunner

    from kommunetest.cli import main

    runner = CliRunner(env=env)
    with runner.isolation() as streams:
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return CliResult(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


@pytest.fixture
def kt():
    """`kt("round", "status", "x")` runs the CLI like a user does and returns exit code, stdout, stderr."""
    return run_cli


# --- the published report: a synthetic round of all 357 municipalities, reported once ------------------


@dataclass
class SyntheticReport:
    project: Path
    out: Path
    round_name: str
    planted: dict
    build_output: str


@pytest.fixture(scope="session")
def synthetic_report(tmp_path_factory: pytest.TempPathFactory) -> SyntheticReport:
    """A synthetic round of every municipality (`kommunetest.sandbox.synthetic`) and its report, built with
    `kommunetest report build`. Read-only: tests that add corrections make rounds of their own."""
    from kommunetest.sandbox.synthetic import build_synthetic_round
    from kommunetest.settings import load_settings
    from kommunetest.store import Store

    project = tmp_path_factory.mktemp("report-project")
    settings = load_settings(project)
    store = Store.open(settings)
    try:
        syn = build_synthetic_round(store, settings, "syn")
    finally:
        store.close()
    out = project / "reports" / "syn"
    result = run_cli("--project", str(project), "report", "build", "--round", "syn", "--out", str(out))
    assert result.exit_code == 0, result.output
    return SyntheticReport(project, out, "syn", syn.planted, result.output)
