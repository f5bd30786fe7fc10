"""Shared fixtures. Slow servers (PostgreSQL, Dovecot, SMTP, web sites, Chromium) are session-scoped.

Each server lives in the library (`kommunetest.sandbox`, `tests/servers`) so that the demo and the benchmarks
start the very same thing; the fixtures here are thin wrappers.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from kommunetest.register import Register
    from kommunetest.scenarios import QuestionBank
    from kommunetest.settings import Settings

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


# --- the phone app: the real server (`running_app`) on loopback over a SQLite file, for the session ---------


PHONE_PASSWORD = "et-langt-testpassord"
PHONE_LOCK_AFTER = 3  # not the default (5), so the tests show that the setting is what counts
_phone_ids = itertools.count(1)


@dataclass
class PhoneApp:
    """The running phone app and what it runs on, with helpers that give each test accounts and a round of
    its own (tests share the server, so they must not share testers or rounds)."""

    url: str
    settings: object
    store: object
    bank: object
    register: object

    def tester(self, role: str = "tester", password: str = PHONE_PASSWORD, *, scrypt: bool = False) -> str:
        """A new account with a unique name; returns the name. Tests about logging in pass `scrypt=True`
        (`create_tester`, as in production); the others store a cheaper but real Werkzeug hash, which the app
        checks the same way, because scrypt costs 0.1–0.2 s a login."""
        from werkzeug.security import generate_password_hash

        from kommunetest.channels.phone.accounts import create_tester

        name = f"{role[:5]}-{next(_phone_ids)}"
        if scrypt:
            display = f"Navn {name}"
            create_tester(self.store, name, password, self.settings.phone, display_name=display, role=role)
        else:
            pw_hash = generate_password_hash(password, "pbkdf2:sha256:1000")
            self.store.add_tester(name, f"Navn {name}", role, pw_hash)
        return name

    def round(self, *, numbers: str = "0301,4601", scenario: str = "telefon-byggesak-garasje",
              testers: tuple[str, ...] = ()) -> tuple[str, list[str]]:  # fmt: skip
        """A new round of one phone script over `numbers`; returns its name and its calls in planned order,
        shared among `testers` when given (else unassigned)."""
        from datetime import date, timedelta
        from zoneinfo import ZoneInfo

        from kommunetest.channels.phone.assign import assign_round
        from kommunetest.rounds import Sample, plan_round, save_plan

        name = f"r{next(_phone_ids)}"
        start, sample = date.today() - timedelta(days=14), Sample.parse(numbers)
        plan = plan_round(name, self.register, self.bank, self.settings, start=start, weeks=4, sample=sample,
                          scenario_ids=[scenario])  # fmt: skip
        save_plan(self.store, name, plan, start=start, weeks=4, seed=1, sample=sample, settings=self.settings)
        if testers:
            tz = ZoneInfo(self.settings.calendar.timezone)
            assign_round(self.store, name, usernames=testers, tz=tz)
        return name, [c["id"] for c in self.store.phone_calls(round_name=name)]

    def tester_id(self, username: str) -> int:
        row = self.store.tester(username=username)
        assert row is not None, username
        return int(row["id"])

    def entries(self, probe_id: str) -> list[dict]:
        return self.store.phone_entries([probe_id])

    def observation(self, round_name: str, probe_id: str) -> dict | None:
        rows = self.store.observations(round_name, kind="phone_call", probe_ids=[probe_id])
        return rows[0] if rows else None

    def assigned(self, round_name: str) -> dict[str, int | None]:
        return {c["id"]: c["tester_id"] for c in self.store.phone_calls(round_name=round_name)}


@pytest.fixture(scope="session")
def phone_app(tmp_path_factory: pytest.TempPathFactory):
    """One phone app for the session: this repository's register and scenarios, a fresh SQLite store, and
    `phone.lock_after_failures` = PHONE_LOCK_AFTER. Clients must be closed (see `phone_clients`): an open
    keep-alive connection holds the server's shutdown for 10 s."""
    from kommunetest.channels.phone.server import running_app
    from kommunetest.register import load_register, register_path
    from kommunetest.scenarios import load_scenarios, scenarios_pattern
    from kommunetest.settings import load_settings
    from kommunetest.store import Store

    env = {
        "KOMMUNETEST_PROJECT_RESULTS_DIR": str(tmp_path_factory.mktemp("phone-results")),
        "KOMMUNETEST_PHONE_LOCK_AFTER_FAILURES": str(PHONE_LOCK_AFTER),
    }
    settings = load_settings(REPO, env=env)
    store = Store.open(settings)
    bank = load_scenarios(*scenarios_pattern(settings))
    register = load_register(register_path(settings))
    try:
        with running_app(settings, store, bank) as url:
            yield PhoneApp(url, settings, store, bank, register)
    finally:
        store.close()


@pytest.fixture
def phone_clients(phone_app: PhoneApp):
    """`new()` gives a fresh httpx client (its own cookie jar, no redirects followed) on the phone app; all
    are closed after the test."""
    import httpx

    clients: list[httpx.Client] = []

    def new() -> httpx.Client:
        c = httpx.Client(base_url=phone_app.url, follow_redirects=False, timeout=20)
        clients.append(c)
        return c

    yield new
    for c in clients:
        c.close()


# --- the embedded register and question bank, loaded once -------------------------------------------------


@dataclass
class DefaultInputs:
    settings: Settings
    register: Register
    bank: QuestionBank


@pytest.fixture(scope="session")
def default_inputs(tmp_path_factory: pytest.TempPathFactory) -> DefaultInputs:
    """Settings of an empty project with the repository's register and question bank (the embedded defaults)."""
    from kommunetest.register import load_register, register_path
    from kommunetest.scenarios import load_scenarios, scenarios_pattern
    from kommunetest.settings import load_settings

    settings = load_settings(tmp_path_factory.mktemp("defaults"), env={})
    return DefaultInputs(
        settings, load_register(register_path(settings)), load_scenarios(*scenarios_pattern(settings))
    )
