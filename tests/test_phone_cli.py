"""`kommunetest phone`: accounts, sharing calls, status, export and serving, the way a coordinator uses them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from conftest import CliResult

REPO = Path(__file__).resolve().parent.parent


def kt_in(project: Path, *args: str, stdin: str | None = None) -> CliResult:
    """The CLI in-process with standard input, in `project`."""
    from kommunetest.cli import main

    runner = CliRunner()
    with runner.isolation(input=stdin) as streams:
        try:
            main(["--project", str(project), *args])
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return CliResult(code, out.decode(), err.decode())


@pytest.fixture
def planned(project: Path) -> Path:
    r = kt_in(project, "round", "create", "r1", "--municipalities", "0301,4601,5001", "--start", "2026-03-02",
              "--weeks", "4")  # fmt: skip
    assert r.exit_code == 0, r.output
    return project


def test_accounts_from_the_command_line(planned: Path) -> None:
    r = kt_in(planned, "phone", "tester", "add", "kari", "--name", "Kari Nordmann", "--password-stdin",
              stdin="et-langt-passord\n")  # fmt: skip
    assert r.exit_code == 0 and "tester kari created" in r.stdout, r.output
    r = kt_in(planned, "phone", "tester", "add", "ola", "--coordinator", "--password-stdin", stdin="kort\n")
    assert r.exit_code == 2 and "too short" in r.stderr and "phone.min_password_length" in r.stderr
    assert "Traceback" not in r.output
    r = kt_in(
        planned, "phone", "tester", "add", "Ola Nordmann", "--password-stdin", stdin="et-langt-passord\n"
    )
    assert r.exit_code == 2 and "cannot be a user name" in r.stderr
    r = kt_in(planned, "phone", "tester", "add", "kari", "--password-stdin", stdin="et-langt-passord\n")
    assert r.exit_code == 2 and "exists already" in r.stderr
    r = kt_in(planned, "phone", "tester", "add", "per", "--password-stdin", stdin="")
    assert r.exit_code == 2 and "no password on standard input" in r.stderr

    listed = json.loads(kt_in(planned, "phone", "tester", "list", "--json").stdout)
    assert [(t["username"], t["role"], t["active"]) for t in listed] == [("kari", "tester", True)]
    assert "password" not in json.dumps(listed) and "et-langt-passord" not in json.dumps(listed)

    assert kt_in(planned, "phone", "tester", "disable", "kari").exit_code == 0
    assert json.loads(kt_in(planned, "phone", "tester", "list", "--json").stdout)[0]["active"] is False
    assert kt_in(planned, "phone", "tester", "enable", "kari").exit_code == 0
    r = kt_in(planned, "phone", "tester", "password", "kari", "--password-stdin", stdin="et-nytt-passord\n")
    assert r.exit_code == 0, r.output
    r = kt_in(planned, "phone", "tester", "password", "nobody", "--password-stdin", stdin="et-nytt-passord\n")
    assert r.exit_code == 5 and "no tester named" in r.stderr


def test_share_follow_and_export_the_calls(planned: Path) -> None:
    r = kt_in(planned, "phone", "assign", "--round", "r1")
    assert r.exit_code == 2 and "no active tester" in r.stderr
    for name in ("kari", "ola"):
        kt_in(planned, "phone", "tester", "add", name, "--password-stdin", stdin="et-langt-passord\n")
    r = kt_in(planned, "phone", "assign", "--round", "r1")
    assert r.exit_code == 0 and "6 calls shared, 0 kept their tester" in r.stdout, r.output
    assert "kari: 3" in r.stdout and "ola: 3" in r.stdout
    assert "0 calls shared, 6 kept" in kt_in(planned, "phone", "assign", "--round", "r1").stdout

    status = json.loads(kt_in(planned, "phone", "status", "--round", "r1", "--json").stdout)
    assert (status["calls"], status["to_call"], status["done"], status["unassigned"]) == (6, 6, 0, 0)
    assert "6 to call" in kt_in(planned, "phone", "status", "--round", "r1").stdout
    r = kt_in(planned, "phone", "status", "--round", "nope")
    assert r.exit_code == 5, r.output

    out = planned / "calls.csv"
    r = kt_in(planned, "phone", "export", "--round", "r1", "--out", str(out))
    assert r.exit_code == 0 and "0 entries written" in r.stdout
    assert out.read_text(encoding="utf-8").startswith("probe_id,kommunenummer,municipality")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_starts_the_app_and_says_where(planned: Path) -> None:
    port = _free_port()
    env = {**os.environ, "KOMMUNETEST_PHONE_SECRET_KEY": "x" * 40}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kommunetest", "--project", str(planned), "phone", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert f"http://127.0.0.1:{port}/" in line
        deadline = time.monotonic() + 10
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert r.status_code == 200 and r.text == "ok\n"
        login = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
        assert login.status_code == 302 and login.headers["location"].startswith("/login")

        # The port is taken now: a second server says so and how to fix it.
        r2 = kt_in(planned, "phone", "serve", "--port", str(port))
        assert (
            r2.exit_code == 3 and f"cannot listen on 127.0.0.1:{port}" in r2.stderr and "--port" in r2.stderr
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serving_beyond_loopback_without_https_warns() -> None:
    from kommunetest.channels.phone.server import exposure_warnings
    from kommunetest.settings import load_settings

    settings = load_settings(REPO, env={"KOMMUNETEST_PHONE_SECRET_KEY": "x" * 40})
    assert exposure_warnings(settings, "127.0.0.1") == []
    assert "HTTPS" in exposure_warnings(settings, "0.0.0.0")[0]
    safe = load_settings(REPO, env={"KOMMUNETEST_PHONE_SECRET_KEY": "x" * 40,
                                    "KOMMUNETEST_PHONE_PUBLIC_URL": "https://telefon.example.test"})  # fmt: skip
    assert exposure_warnings(safe, "0.0.0.0") == []
    assert "SECRET_KEY" in exposure_warnings(load_settings(REPO, env={}), "127.0.0.1")[0]


def test_a_short_secret_key_is_refused_with_the_fix(planned: Path) -> None:
    from kommunetest.cli import main

    runner = CliRunner(env={"KOMMUNETEST_PHONE_SECRET_KEY": "kort"})
    with runner.isolation() as streams:
        with pytest.raises(SystemExit) as info:
            main(["--project", str(planned), "phone", "serve", "--port", "0"])
        err = streams[1].getvalue().decode()
    assert info.value.code == 3 and "too short to sign sessions" in err and "32 or more" in err
