"""The rehearsal end to end on a few municipalities: every stage runs on loopback and the report is built."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kommunetest.demo import rehearsal_start


def test_rehearsal_lies_in_the_past_on_a_monday() -> None:
    from datetime import date, timedelta

    start = rehearsal_start(6, today=date(2026, 11, 22))
    assert start.weekday() == 0
    assert start + timedelta(weeks=6 + 5) < date(2026, 11, 22)  # round + answer window before today


@pytest.mark.slow
def test_quick_rehearsal_runs_every_stage_and_builds_the_report(tmp_path: Path, kt) -> None:
    out, report = tmp_path / "demo", tmp_path / "report"
    r = kt(
        "demo",
        "--municipalities",
        "0301,5601,3428",
        "--out",
        str(out),
        "--report",
        str(report),
        "--no-browser",
    )
    assert r.exit_code == 0, r.output
    for needle in ("3 municipalities", "sent 9 e-mail probes", "web check demo: 3 sites", "item-grade accuracy",
                   "classification accuracy", "response time error"):  # fmt: skip
        assert needle in r.stdout, (needle, r.stdout)
    # Municipalities that answered got the follow-up question and answered it in the same thread: each answer is
    # stored, matched to the follow-up part of its probe and timed from the follow-up. (How many have arrived
    # by the real now depends on the weekday the rehearsal runs: its round ends on a Monday.)
    follow = r.stdout.split("e-mail follow-ups against the simulation's ground truth:")[1]
    assert "sent 4 follow-up questions" in r.stdout
    n = int(re.search(r"answered follow-ups: (\d+) replies", r.stdout)[1])
    assert n >= 1 and f"replies {n}, stored {n}, matched to the right probe {n}" in follow.splitlines()[1]
    assert "classification accuracy 100.0%" in follow and "response time error" in follow
    # Simulated testers typed every call into the real phone app, and it stored what they entered.
    assert re.search(
        r"phone: \d+ call entries for 6 calls typed into the app by 6 simulated testers", r.stdout
    )
    assert "phone: stored as entered for 6 of 6 calls" in r.stdout, r.stdout
    assert "87 of 87 probes observed" in r.stdout
    records = json.loads((report / "data" / "results.json").read_text(encoding="utf-8"))
    assert sorted(rec["kommunenummer"] for rec in records) == ["0301", "3428", "5601"]
    assert all(rec.get("phone") is not None for rec in records), records[0]
    assert all(rec["total"] is not None for rec in records)
    assert (report / "index.html").is_file() and (out / "kommunetest.db").is_file()
    # Each municipality page shows its calls with the grade of every question, and no tester's name.
    page = (report / "kommune" / "0301.html").read_text(encoding="utf-8")
    assert page.count('class="call-questions"') == 2 and "testperson" not in page.lower()
    assert f"report: {report / 'index.html'}" in r.stdout
