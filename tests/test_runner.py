"""`kommunetest run`: one pass, a simulated week, and clean stops on SIGTERM, against the real mail system."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kommunetest.calendar import Calendars
from kommunetest.clock import Clock, parse_instant
from kommunetest.runner import INBOX_MODULE, Runner, load_poll
from kommunetest.sandbox.sending import plan_email_round, sending_project
from kommunetest.settings import load_settings
from kommunetest.store import Store

START = date(2027, 2, 1)


def _store(project: Path) -> Store:
    return Store.open(load_settings(project))


def test_clock_real_simulated_and_jumping() -> None:
    t0 = datetime(2027, 2, 1, 7, tzinfo=UTC)
    jump = Clock(t0, jump=True)
    assert jump.now() == t0 and jump.sleep(3600) and jump.now() == datetime(2027, 2, 1, 8, tzinfo=UTC)
    fast = Clock(t0, speed=3600)
    time.sleep(0.01)
    assert (fast.now() - t0).total_seconds() >= 30
    stop = threading.Event()
    real = Clock(stop=stop)
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert real.sleep(30) is False and time.monotonic() - started < 5  # a stop cuts a sleep short
    assert parse_instant("2027-02-08T10:00") == datetime(2027, 2, 8, 9, tzinfo=UTC)  # Europe/Oslo
    assert parse_instant("2027-07-01T10:00+02:00") == datetime(2027, 7, 1, 8, tzinfo=UTC)


def test_run_once_sends_what_is_due_and_stops(mail_system, tmp_path, kt) -> None:
    proj = sending_project(tmp_path / "p", mail_system)
    probes = plan_email_round(proj, mail_system, start=START, municipalities=3)
    before = len(mail_system.received)
    r = kt("--project", str(proj.project_dir), "run", "--round", "r", "--once", "--now", "2027-02-15T10:00",
           env=proj.env)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "run finished: 1 pass(es), sent 3" in r.stdout
    assert "[2027-02-15 10:00:" in r.stdout  # lines carry the (simulated) clock
    if load_poll() is None:
        assert f"{INBOX_MODULE}.poll_all is not available yet" in r.stdout
    assert len(mail_system.received) == before + 3
    store = _store(proj.project_dir)
    assert {store.get_probe(p["id"])["status"] for p in probes} == {"sent"}
    store.close()
    r = kt("--project", str(proj.project_dir), "run", "--round", "nope", "--once", env=proj.env)
    assert r.exit_code == 5 and "no round named 'nope'" in r.output


def test_a_simulated_week_sends_each_probe_at_its_planned_time(mail_system, tmp_path) -> None:
    proj = sending_project(tmp_path / "p", mail_system, email={"poll_interval_s": 86400})
    probes = plan_email_round(proj, mail_system, start=START, municipalities=8)
    settings = load_settings(proj.project_dir)
    store = Store.open(settings)
    lines: list[str] = []
    clock = Clock(datetime(2027, 2, 1, 6, tzinfo=UTC), jump=True)
    runner = Runner(settings, store, "r", clock, poll=False, env=proj.env, echo=lines.append)
    summary = runner.run(until=datetime(2027, 2, 6, tzinfo=UTC))
    assert summary.sent == len(probes) == 8 and not summary.stopped
    cal = Calendars.from_settings(settings).national
    for p in probes:
        row = store.outbox_row(p["id"])
        assert row["state"] == "sent"
        # the loop woke at each planned time; the jumping clock stands still while it works
        assert row["sent_at"] == p["planned_at"] and cal.is_open(row["sent_at"])
    assert any(line.endswith("sleeping until Mon 2027-02-01 " + p["planned_at"].astimezone(cal.tz).strftime("%H:%M"))
               for line in lines for p in probes[:1])  # fmt: skip
    store.close()


def _start(proj, *args: str) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "kommunetest",
        "--project",
        str(proj.project_dir),
        "run",
        "--round",
        "r",
        *args,
    ]
    env = {**os.environ, **proj.env, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _read_until(proc: subprocess.Popen[bytes], marker: bytes, timeout: float = 30) -> bytes:
    assert proc.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        line = proc.stdout.readline()
        if not line or time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} in: {seen.decode()}")
        seen += line
    return seen


@pytest.mark.parametrize("moment", ["sleeping", "sending"])
def test_sigterm_stops_the_run_cleanly(mail_system, tmp_path, moment: str) -> None:
    proj = sending_project(tmp_path / "p", mail_system)
    n = 40 if moment == "sending" else 2
    plan_email_round(proj, mail_system, start=START, municipalities=n)
    proc = _start(proj, "--now", "2027-02-15T10:00", "--no-poll")
    seen = _read_until(proc, b"sleeping until" if moment == "sleeping" else b"sent ")
    proc.send_signal(signal.SIGTERM)
    assert proc.stdout is not None
    rest, _ = proc.communicate(timeout=15)
    out = (seen + rest).decode()
    assert proc.returncode == 0, out
    assert "run stopped (SIGTERM)" in out and "Traceback" not in out
    store = _store(proj.project_dir)
    counts = store.outbox_counts("r")
    assert "sending" not in counts  # stopped between messages, not in the middle of one
    if moment == "sending":
        assert 0 < counts.get("sent", 0) < n
    else:
        assert counts == {"sent": n}
    store.close()
