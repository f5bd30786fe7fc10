"""Sending e-mail probes through the real local mail system (aiosmtpd relay + Dovecot): rendering, the live
guard, office hours, retries, failures, the Sent copy, rate limits, the outbox's reconciliation after a crash,
and SIGKILL at many points while 200 probes go out."""

from __future__ import annotations

import email
import itertools
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest

from kommunetest.channels.email.outbox import is_own_message_id, reconcile
from kommunetest.channels.email.render import bare_name, persona_mapping, recipient_address, render_probe
from kommunetest.channels.email.send import is_local_address, is_loopback_host, live_reasons, send_due
from kommunetest.clock import Clock
from kommunetest.errors import UsageError
from kommunetest.sandbox.mailsystem import MailSystem, municipality_address, read_record
from kommunetest.sandbox.sending import SendingProject, plan_email_round, sending_project
from kommunetest.scenarios import load_scenarios, render_email, scenarios_pattern
from kommunetest.settings import REHEARSAL_PERSONAS, Persona, load_settings
from kommunetest.store import Store

START = date(2027, 2, 1)  # a Monday; rounds below last one or two weeks
AFTER = "2027-02-15T10:00"  # the Monday after: every probe is due and every office open
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ms(tmp_path_factory: pytest.TempPathFactory):
    """This module's own mail system, with the relay's JSON-lines record (failure modes stay local)."""
    from kommunetest.sandbox.mailsystem import dovecot_available

    reason = dovecot_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Dovecot is required in CI: {reason}")
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("send-mail")
    with MailSystem(base / "ms", record_path=base / "record.jsonl") as system:
        yield system


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory):
    settings = load_settings(tmp_path_factory.mktemp("inputs"))
    return load_scenarios(*scenarios_pattern(settings))


def make_round(proj: SendingProject, ms: MailSystem, *, weeks: int = 1, **kw) -> list[str]:
    """Plan an e-mail-only round over a slice of the register; returns the probe ids in planned order."""
    return [p["id"] for p in plan_email_round(proj, ms, start=START, weeks=weeks, **kw)]


def open_store(proj: SendingProject) -> Store:
    return Store.open(load_settings(proj.project_dir))


def settings_of(proj: SendingProject, **flags):
    return load_settings(proj.project_dir, flags=flags)


def mids_to(ms: MailSystem, rcpt: str) -> list[str]:
    return [m.message_id for m in ms.received if rcpt in m.rcpt_tos and m.message_id]


# --- rendering ----------------------------------------------------------------------------------------------


def test_rendered_message_is_ordinary_utf8_and_reveals_no_tool(bank) -> None:
    settings = load_settings(ROOT / "tests" / "data")
    persona = Persona(id="kari", name="Kari Ødegård", email="kari.odegard@eksempel.test", city="Ås")
    scenario = bank.get("sfo-pris-apningstider")  # one subject variant is "SFO fra høsten"
    muni = {"kommunenummer": "1804", "name": "Bodø kommune", "email": "postmottak@bodo.kommune.no"}
    when = datetime(2027, 2, 8, 9, 30, tzinfo=UTC)
    mails = [
        render_probe(settings, scenario=scenario, variant=v, persona=persona, municipality=muni,
                     to="postmottak@bodo.kommune.no", date=when)
        for v in range(scenario.email.variant_count)
    ]  # fmt: skip
    for mail in mails:
        raw = mail.raw
        assert raw.isascii() and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        head = raw.split(b"\r\n\r\n", 1)[0].decode().lower()
        assert "kommunetest" not in raw.decode().lower()
        assert not re.search(r"^(x-|user-agent|list-|precedence|auto-submitted)", head, re.MULTILINE)
        msg = email.message_from_bytes(raw, policy=default_policy)
        assert [k.lower() for k in msg] == [
            "message-id", "date", "mime-version", "to", "from", "subject", "content-type",
            "content-transfer-encoding",
        ]  # fmt: skip
        assert msg["Subject"] == mail.subject and msg["Subject"].isprintable()
        assert msg["From"].addresses[0].display_name == "Kari Ødegård"
        assert msg["From"].addresses[0].addr_spec == "kari.odegard@eksempel.test"
        assert msg["To"] == "postmottak@bodo.kommune.no"
        assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
        assert msg["Content-Transfer-Encoding"] == "quoted-printable"
        assert msg["Date"].datetime == when and msg["Date"].endswith("+0100")  # Europe/Oslo, as a client
        body = msg.get_content()
        assert (
            body.replace("\r\n", "\n") == mail.body and "Bodø" in body and "Bodø kommune kommune" not in body
        )
        assert re.fullmatch(r"<[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}@eksempel\.test>",
                            mail.message_id)  # fmt: skip
        assert msg["Message-ID"] == mail.message_id
    # a subject with æøå is RFC 2047-encoded in the bytes and decodes back exactly
    utf = [m for m in mails if not m.subject.isascii()]
    assert utf, "the scenario should have a subject with æøå"
    assert b"=?utf-8?" in utf[0].raw and utf[0].subject.encode() not in utf[0].raw
    many = {render_probe(settings, scenario=scenario, variant=0, persona=persona, municipality=muni,
                         to="a@b.test", date=when).message_id for _ in range(500)}  # fmt: skip
    assert len(many) == 500


def test_addresses_names_and_the_live_guard() -> None:
    settings = load_settings(ROOT / "tests" / "data")
    muni = {"kommunenummer": "1804", "name": "Bodø kommune", "email": "postmottak@bodo.kommune.no"}
    assert recipient_address(settings, muni) == "postmottak@bodo.kommune.no"
    assert recipient_address(settings, {**muni, "email": None}) is None
    sim = load_settings(ROOT / "tests" / "data", flags={"email.address_override": "postmottak@{kommunenummer}.sim.kommunetest.test"})  # fmt: skip
    assert recipient_address(sim, muni) == municipality_address("1804")
    assert bare_name("Bodø kommune") == "Bodø" and bare_name("Oslo") == "Oslo"
    assert is_loopback_host("127.0.0.1") and is_loopback_host("127.8.9.1") and is_loopback_host("::1")
    assert is_loopback_host("localhost") and not is_loopback_host("smtp.example.com")
    assert not is_loopback_host("192.0.2.1") and not is_loopback_host("10.0.0.1")
    assert is_local_address("a@b.test") and is_local_address("a@[127.0.0.1]")
    assert not is_local_address("postmottak@bodo.kommune.no") and not is_local_address("a@test.no")
    p = REHEARSAL_PERSONAS[0]
    assert live_reasons(p, "postmottak@1804.sim.kommunetest.test") == []
    assert len(live_reasons(p, "postmottak@bodo.kommune.no")) == 1
    assert len(live_reasons(p.model_copy(update={"smtp_host": "smtp.gmail.com"}), "x@y.test")) == 1


# --- the outbox in the store (SQLite and PostgreSQL) -----------------------------------------------------------


def test_outbox_states_in_the_store(store: Store) -> None:
    store.create_round("r", start_date=START, weeks=1, seed=1, method_version="m", sample={}, scenario_ids=[],
                       config={})  # fmt: skip
    planned = datetime(2027, 2, 1, 9, tzinfo=UTC)
    store.add_probes([{"round_name": "r", "kommunenummer": k, "scenario_id": "q", "channel": "email",
                       "sector": "general", "planned_at": planned, "persona_id": "anna"} for k in ("0301", "1804")])  # fmt: skip
    pid, other = "r:0301:q", "r:1804:q"
    now = planned + timedelta(hours=1)
    assert [p["id"] for p in store.due_email_probes("r", now)] == [pid, other]
    assert store.due_email_probes("r", planned - timedelta(seconds=1)) == []
    row = {"probe_id": pid, "round_name": "r", "persona_id": "anna", "message_id": "<ABC-1@Persona.test>",
           "recipient": "postmottak@0301.sim.kommunetest.test", "subject": "Spørsmål"}  # fmt: skip
    created = store.outbox_create_sending(row, b"Subject: x\r\n\r\nhei\r\n")
    assert created is not None and created["message_id"] == "<abc-1@persona.test>"
    assert store.outbox_create_sending(row, b"other bytes") is None  # rendered once
    assert store.get_probe(pid)["status"] == "sending"
    assert [p["id"] for p in store.due_email_probes("r", now)] == [other]
    (ev,) = store.evidence_for(pid)
    assert ev["meta"]["direction"] == "outgoing" and store.verify_evidence(ev)
    assert store.outbox_claim(pid) is None  # only pending rows can be claimed
    store.outbox_data_end(pid)
    assert store.outbox_row(pid)["data_end_at"] is not None
    store.outbox_pending(pid, error="451 later", smtp_code=451, smtp_response="later")
    assert store.outbox_row(pid)["data_end_at"] is None and store.get_probe(pid)["status"] == "due"
    due = {p["id"]: p["outbox_state"] for p in store.due_email_probes("r", now)}
    assert due == {pid: "pending", other: None}
    claimed = store.outbox_claim(pid)
    assert claimed is not None and claimed["attempts"] == 2 and claimed["state"] == "sending"
    store.outbox_sent(pid, sent_at=now, smtp_code=250, smtp_response="ok")
    probe = store.get_probe(pid)
    assert probe["status"] == "sent" and probe["details"]["sent_at"] == now.isoformat()
    assert probe["details"]["last_error"] == "451 later"  # history is kept
    assert store.is_own_message_id("abc-1@persona.test") and store.is_own_message_id(" <ABC-1@persona.test>")
    assert not store.is_own_message_id("<abc-2@persona.test>") and not store.is_own_message_id("")
    assert store.own_message_ids("r") == {"<abc-1@persona.test>"}
    last = store.persona_last_attempts()["anna"]
    assert last.tzinfo is not None and abs((datetime.now(UTC) - last).total_seconds()) < 60
    assert store.outbox_counts("r") == {"sent": 1}
    with pytest.raises(UsageError, match="not unknown"):
        store.outbox_resolve(pid, sent=True, note="x")
    store.outbox_create_sending({**row, "probe_id": other, "message_id": "<abc-3@persona.test>"}, b"x")
    store.outbox_data_end(other)
    store.outbox_unknown(other, reason="not found")
    assert store.outbox_rows(states="unknown")[0]["probe_id"] == other
    assert store.outbox_resolve(other, sent=False, note="coordinator: resend")["state"] == "pending"
    with (
        store.sender_lock(),
        pytest.raises(UsageError, match="another kommunetest process"),
        store.sender_lock(),
    ):
        pass
    with store.sender_lock():  # released
        pass


# --- sending through the local mail system --------------------------------------------------------------------


def test_send_delivers_once_with_bcc_self_copy_and_sent_folder_copy(ms, tmp_path, kt) -> None:
    proj = sending_project(tmp_path / "p", ms)
    pids = make_round(proj, ms, municipalities=3)
    before = len(ms.received)
    r = kt("--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, env=proj.env)
    assert r.exit_code == 0, r.output
    assert "sent 3" in r.stdout
    store = open_store(proj)
    try:
        new = ms.received[before:]
        assert len(new) == 3
        rows = {row["probe_id"]: row for row in store.outbox_rows(round_name="r")}
        assert set(rows) == set(pids)
        for pid in pids:
            row, probe = rows[pid], store.get_probe(pid)
            persona = proj.persona(row["persona_id"])
            (rec,) = [m for m in new if m.message_id == row["message_id"]]
            assert rec.mail_from == persona.email
            assert rec.rcpt_tos == (row["recipient"], persona.email)  # Bcc: envelope only
            assert row["state"] == "sent" and row["attempts"] == 1 and row["smtp_code"] == 250
            assert row["copied_at"] is not None and row["data_end_at"] is not None
            assert probe["status"] == "sent" and probe["details"]["sent_message_id"] == row["message_id"]
            sent_at = datetime.fromisoformat(probe["details"]["sent_at"])
            assert row["sent_at"] == sent_at  # the simulated clock's time, a moment after --now
            assert timedelta(0) <= sent_at - datetime(2027, 2, 15, 9, tzinfo=UTC) < timedelta(minutes=1)
            assert is_own_message_id(store, row["message_id"]) and store.is_own_message_id(
                row["message_id"].strip("<>")
            )
            ev = [e for e in store.evidence_for(pid) if e["meta"].get("direction") == "outgoing"]
            assert len(ev) == 1 and store.verify_evidence(ev[0]) and ev[0]["sha256"] == row["raw_sha256"]
            raw = store.evidence_path(ev[0]).read_bytes()
            assert b"Bcc" not in raw and row["recipient"].encode() in raw
            # the municipality got it, the persona has its self-copy in INBOX and a \Seen copy in Sent
            assert ms.messages(row["recipient"])
            with ms.imap(persona.email) as imap:
                imap.select_folder("Sent", readonly=True)
                (uid,) = imap.search(["HEADER", "Message-ID", row["message_id"]])
                data = imap.fetch([uid], ["FLAGS", "RFC822", "INTERNALDATE"])[uid]
                assert b"\\Seen" in data[b"FLAGS"] and data[b"RFC822"] == raw
                imap.select_folder("INBOX", readonly=True)
                assert imap.search(["HEADER", "Message-ID", row["message_id"]])
        assert not is_own_message_id(store, "<someone-else@bodo.kommune.no>")
        assert not store.is_own_message_id(None)
    finally:
        store.close()
    again = kt(
        "--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, env=proj.env
    )
    assert again.exit_code == 0 and "sent 0" in again.stdout
    assert len(ms.received) == before + 3


def test_dry_run_without_the_live_opt_in_sends_nothing_and_says_what_it_would(ms, tmp_path, kt) -> None:
    # A persona whose SMTP server is not on loopback (TEST-NET-1: never contacted).
    proj = sending_project(tmp_path / "p", ms)
    toml = proj.project_dir / "kommunetest.toml"
    toml.write_text(toml.read_text().replace(f'smtp_host = "{ms.smtp_host}"', 'smtp_host = "192.0.2.25"'))
    pids = make_round(proj, ms, municipalities=2)
    before = len(ms.received)
    r = kt("--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, env=proj.env)
    assert r.exit_code == 0, r.output
    assert len(ms.received) == before
    would = [line for line in r.stdout.splitlines() if line.startswith("would send")]
    assert len(would) == 2 and all(any(p in line for p in pids) for line in would)
    assert "192.0.2.25" in r.stdout and "email.live" in r.stdout and "planned 2027-02-0" in r.stdout
    assert "«" in would[0] and "postmottak@" in would[0]
    store = open_store(proj)
    assert store.outbox_rows() == [] and {store.get_probe(p)["status"] for p in pids} == {"planned"}
    store.close()
    # --live alone is refused with a clear error: the setting is off
    r = kt("--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, "--live",
           env=proj.env)  # fmt: skip
    assert r.exit_code == 9 and "email.live" in r.output and len(ms.received) == before
    # the setting alone is not enough either
    env = {**proj.env, "KOMMUNETEST_EMAIL_LIVE": "true"}
    r = kt("--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, env=env)
    assert r.exit_code == 0 and "would send" in r.stdout and len(ms.received) == before


def test_real_recipient_needs_both_opt_ins_and_then_goes(ms, tmp_path, kt) -> None:
    proj = sending_project(tmp_path / "p", ms, email={"address_override": ""})
    (_pid,) = make_round(proj, ms, municipalities=1)
    store = open_store(proj)
    store.update_round_municipalities("r", {"email": "postmottak@bodo.kommune.no"})
    store.close()
    before = len(ms.received)
    args = ("--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER)
    r = kt(*args, env=proj.env)
    assert r.exit_code == 0 and "bodo.kommune.no is a real address" in r.stdout and len(ms.received) == before
    # with both, it is sent (here to a loopback relay that has a mailbox of that name: nothing leaves)
    ms.add_user("postmottak@bodo.kommune.no", "pw-bodo")
    r = kt(*args, "--live", env={**proj.env, "KOMMUNETEST_EMAIL_LIVE": "true"})
    assert r.exit_code == 0, r.output
    assert "sent 1" in r.stdout
    assert ms.received[-1].rcpt_tos[0] == "postmottak@bodo.kommune.no" and len(ms.received) == before + 1


def test_nothing_goes_outside_office_hours_or_before_the_planned_time(ms, tmp_path, kt) -> None:
    proj = sending_project(tmp_path / "p", ms)
    pids = make_round(proj, ms, municipalities=2)
    before = len(ms.received)
    base = ("--project", str(proj.project_dir), "email", "send", "--round", "r")
    r = kt(*base, "--now", "2027-02-13T11:00", env=proj.env)  # a Saturday after the round
    assert r.exit_code == 0 and "sent 0" in r.stdout
    assert "2 due probe(s) wait for office hours (next opening Mon 2027-02-15 08:00)" in r.stdout
    r = kt(*base, "--now", "2027-02-15T16:30", env=proj.env)  # after closing on a Monday
    assert "next opening Tue 2027-02-16 08:00" in r.stdout
    r = kt(*base, "--now", "2027-01-29T10:00", env=proj.env)  # before anything is planned
    assert "sent 0" in r.stdout and "office hours" not in r.stdout
    assert len(ms.received) == before
    store = open_store(proj)
    first = min(store.get_probe(p)["planned_at"] for p in pids)
    store.close()
    r = kt(*base, "--now", first.isoformat(), env=proj.env)
    assert "sent 1" in r.stdout and len(ms.received) == before + 1


def test_temporary_failure_retries_with_backoff_then_succeeds(ms, tmp_path) -> None:
    proj = sending_project(tmp_path / "p", ms, email={"retry_base_s": 0.2})
    (pid,) = make_round(proj, ms, municipalities=1)
    store = open_store(proj)
    before, refused = len(ms.received), ms.relay.refused
    ms.fail_next(2, 451)
    lines: list[str] = []
    t0 = time.monotonic()
    report = send_due(settings_of(proj), store, "r", clock=Clock(datetime(2027, 2, 15, 9, tzinfo=UTC)),
                      env=proj.env, echo=lines.append)  # fmt: skip
    elapsed = time.monotonic() - t0
    assert report.sent == [pid] and ms.relay.refused == refused + 2 and len(ms.received) == before + 1
    assert elapsed >= 0.2 + 0.4  # waited 0.2 s, then 0.4 s
    assert sum(line.startswith("retry") for line in lines) == 2 and "451" in lines[0]
    row = store.outbox_row(pid)
    assert row["attempts"] == 3 and row["state"] == "sent" and row["smtp_code"] == 250
    store.close()


def test_temporary_failures_that_last_leave_the_probe_due_for_the_next_run(ms, tmp_path) -> None:
    proj = sending_project(tmp_path / "p", ms, email={"retry_attempts": 1, "retry_base_s": 0.01})
    (pid,) = make_round(proj, ms, municipalities=1)
    store = open_store(proj)
    clock = Clock(datetime(2027, 2, 15, 9, tzinfo=UTC))
    ms.fail_next(5, 421, "4.7.0 try again later")
    try:
        report = send_due(settings_of(proj), store, "r", clock=clock, env=proj.env, echo=lambda s: None)
    finally:
        ms.clear_failures()
    assert report.deferred and report.sent == []
    row = store.outbox_row(pid)
    assert row["state"] == "pending" and row["smtp_code"] == 421 and "try again later" in row["last_error"]
    assert store.get_probe(pid)["status"] == "due"
    mid = row["message_id"]
    report = send_due(settings_of(proj), store, "r", clock=clock, env=proj.env, echo=lambda s: None)
    assert report.sent == [pid]
    row = store.outbox_row(pid)
    assert row["message_id"] == mid and row["attempts"] == 3  # the same message, rendered once
    assert mids_to(ms, row["recipient"]).count(mid) == 1
    store.close()


def test_permanent_failures_are_recorded_on_the_probe(ms, tmp_path) -> None:
    proj = sending_project(tmp_path / "p", ms)
    a, b, c = make_round(proj, ms, municipalities=3, offset=40)
    store = open_store(proj)
    clock = Clock(datetime(2027, 2, 15, 9, tzinfo=UTC))
    ms.reject_recipient(municipality_address(store.get_probe(b)["kommunenummer"]), 550,
                        "5.1.1 <postmottak>: no such user here")  # fmt: skip
    ms.fail_next(1, 554, "5.7.1 message rejected as spam")  # the first message that reaches DATA
    try:
        report = send_due(settings_of(proj), store, "r", clock=clock, env=proj.env, echo=lambda s: None)
    finally:
        ms.clear_failures()
    assert len(report.failed) == 2 and len(report.sent) == 1
    row_b, probe_b = store.outbox_row(b), store.get_probe(b)
    assert (
        row_b["state"] == "failed" and row_b["smtp_code"] == 550 and "no such user" in row_b["smtp_response"]
    )
    assert probe_b["status"] == "failed" and probe_b["details"]["smtp_code"] == 550
    assert "RCPT TO" in probe_b["details"]["failure"]
    (spam,) = [pid for pid in (a, c) if store.outbox_row(pid)["smtp_code"] == 554]
    assert (
        store.get_probe(spam)["status"] == "failed"
        and "end of DATA" in store.get_probe(spam)["details"]["failure"]
    )
    again = send_due(settings_of(proj), store, "r", clock=clock, env=proj.env, echo=lambda s: None)
    assert again.sent == [] and again.failed == []  # failed probes are not retried

    # From the register snapshot (no override): a municipality without an address fails, the rest go on.
    x, y = make_round(proj, ms, municipalities=2, offset=60, name="r2")
    knr_x, knr_y = store.get_probe(x)["kommunenummer"], store.get_probe(y)["kommunenummer"]
    store.update_round_municipalities("r2", {"email": None}, knr_x)
    store.update_round_municipalities("r2", {"email": municipality_address(knr_y)}, knr_y)
    settings = settings_of(proj, **{"email.address_override": ""})
    report = send_due(settings, store, "r2", clock=clock, env=proj.env, echo=lambda s: None)
    assert report.sent == [y]
    ((pid, reason),) = report.failed
    assert pid == x and "no e-mail address" in reason
    assert store.get_probe(x)["status"] == "failed"
    assert "no e-mail address" in store.get_probe(x)["details"]["failure"]
    store.close()


def test_rate_limit_per_persona_and_the_per_run_cap(ms, tmp_path) -> None:
    proj = sending_project(tmp_path / "p", ms, personas=REHEARSAL_PERSONAS[:1],
                           email={"min_send_interval_s": 0.5})  # fmt: skip
    pids = make_round(proj, ms, municipalities=4)
    store = open_store(proj)
    clock = Clock(datetime(2027, 2, 15, 9, tzinfo=UTC))
    capped = send_due(settings_of(proj), store, "r", clock=clock, env=proj.env, echo=lambda s: None, limit=1)
    assert len(capped.sent) == 1 and capped.capped
    lines: list[str] = []
    report = send_due(settings_of(proj, **{"email.max_per_run": 2}), store, "r", clock=clock, env=proj.env,
                      echo=lines.append)  # fmt: skip
    assert len(report.sent) == 2 and report.capped
    assert any(line.startswith("rate limit") for line in lines)  # waited for the first send of this run
    report = send_due(settings_of(proj), store, "r", clock=clock, env=proj.env, echo=lines.append)
    assert len(report.sent) == 1
    rows = sorted(store.outbox_rows(round_name="r"), key=lambda r: r["attempt_started_at"])
    assert {r["probe_id"] for r in rows} == set(pids)
    got = {m.message_id: m.received_at for m in ms.received}
    times = sorted(got[r["message_id"]] for r in rows)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.45, gaps
    store.close()


def test_one_sender_at_a_time(ms, tmp_path, kt) -> None:
    proj = sending_project(tmp_path / "p", ms)
    make_round(proj, ms, municipalities=1)
    store = open_store(proj)
    with store.sender_lock():
        r = kt(
            "--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, env=proj.env
        )
        assert r.exit_code == 2 and "another kommunetest process" in r.output
    r = kt("--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, env=proj.env)
    assert r.exit_code == 0 and "sent 1" in r.stdout
    store.close()


def test_follow_up_goes_after_a_real_answer_threaded_to_it(ms, bank, tmp_path) -> None:
    from kommunetest.channels.email.send import next_send_time

    proj = sending_project(tmp_path / "p", ms)
    probes = plan_email_round(proj, ms, start=START, municipalities=8, offset=300)
    with_follow_up = {s.id for s in bank if s.email and s.email.follow_up}
    pid = next(p["id"] for p in probes if p["scenario_id"] in with_follow_up)
    store = open_store(proj)
    settings = settings_of(proj)
    clock = Clock(datetime(2027, 2, 15, 9, tzinfo=UTC))
    send_due(settings, store, "r", clock=clock, env=proj.env, echo=lambda s: None)
    question = store.outbox_row(pid)
    assert send_due(settings, store, "r", clock=clock, env=proj.env, echo=lambda s: None).sent == []
    # what the inbox side writes when the first real answer arrives (kommunetest.channels.email.results)
    answer_id = "<svar-1@kommune.example.test>"
    not_before = datetime(2027, 2, 16, 9, 30, tzinfo=UTC)
    store.probe_note(pid, "answered", {"follow_up": {
        "due": True, "in_reply_to": answer_id, "references": [question["message_id"], answer_id],
        "not_before": not_before.isoformat(), "answer_reply_id": 1}})  # fmt: skip
    assert send_due(settings, store, "r", clock=clock, env=proj.env, echo=lambda s: None).sent == []
    assert next_send_time(settings, store, "r", clock.now()) == not_before
    later = Clock(not_before)
    report = send_due(settings, store, "r", clock=later, env=proj.env, echo=lambda s: None)
    assert report.sent == [f"{pid} (follow-up)"]
    row = store.outbox_row(pid, "follow_up")
    assert row["state"] == "sent" and row["persona_id"] == question["persona_id"]
    assert row["recipient"] == question["recipient"] and row["in_reply_to"] == answer_id
    assert row["message_id"] != question["message_id"] and store.is_own_message_id(row["message_id"])
    raw = (store.results_dir / row["evidence_path"]).read_bytes()
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert msg["In-Reply-To"] == answer_id
    assert msg["References"].split() == [question["message_id"], answer_id]
    probe = store.get_probe(pid)
    persona = proj.persona(question["persona_id"])
    muni = next(m for m in store.round_municipalities("r") if m["kommunenummer"] == probe["kommunenummer"])
    expected, body = render_email(bank.get(probe["scenario_id"]), probe["variant"], persona_mapping(persona),
                                  bare_name(muni["name"]), follow_up=True)  # fmt: skip
    assert msg["Subject"] == row["subject"] == expected and msg.get_content().replace("\r\n", "\n") == body
    assert probe["status"] == "answered"  # the follow-up leaves the probe's status to the inbox side
    assert probe["details"]["follow_up_sent_message_id"] == row["message_id"]
    assert probe["details"]["sent_message_id"] == question["message_id"]
    assert mids_to(ms, row["recipient"]).count(row["message_id"]) == 1
    again = send_due(settings, store, "r", clock=later, env=proj.env, echo=lambda s: None)
    assert again.sent == []  # once
    store.close()


# --- crash reconciliation -----------------------------------------------------------------------------------


def _interrupted(store: Store, settings, proj: SendingProject, pid: str, *, data_end: bool) -> dict:
    """Leave a probe as a crashed sender would: rendered, `sending`, maybe with the end of DATA marked."""
    from kommunetest.channels.email.send import SendReport, collect_due

    (item,) = [i for i in collect_due(settings, store, "r", datetime(2027, 2, 15, 9, tzinfo=UTC), SendReport())
               if i.id == pid]  # fmt: skip
    mail = render_probe(settings, scenario=item.scenario, variant=item.probe["variant"], persona=item.persona,
                        municipality=item.municipality, to=item.to, date=datetime(2027, 2, 15, 9, tzinfo=UTC))  # fmt: skip
    row = store.outbox_create_sending(
        {"probe_id": pid, "round_name": "r", "persona_id": item.persona.id, "message_id": mail.message_id,
         "recipient": item.to, "subject": mail.subject}, mail.raw)  # fmt: skip
    if data_end:
        store.outbox_data_end(pid)
    return {"row": row, "raw": mail.raw, "persona": item.persona, "to": item.to}


def test_reconciliation_resends_what_never_reached_the_end_of_data_and_finds_what_did(ms, tmp_path) -> None:
    proj = sending_project(tmp_path / "p", ms, email={"sync_delivery": False, "reconcile_grace_s": 0})
    a, b, c = make_round(proj, ms, municipalities=3, offset=80)
    store = open_store(proj)
    settings = settings_of(proj)
    x = _interrupted(store, settings, proj, a, data_end=False)  # killed before the final "."
    y = _interrupted(store, settings, proj, b, data_end=True)  # killed after the server took it
    ms.deliver(y["raw"], y["to"], mail_from=y["persona"].email)
    ms.deliver(y["raw"], y["persona"].email, mail_from=y["persona"].email)
    z = _interrupted(store, settings, proj, c, data_end=True)  # killed in between: nobody knows
    assert {store.get_probe(p)["status"] for p in (a, b, c)} == {"sending"}
    before = len(ms.received)
    rec = reconcile(settings, store, env=proj.env)
    assert rec.outcomes == Counter({"resent (interrupted before the end of DATA)": 1, "sent (found in INBOX)": 1,
                                    "unknown": 1})  # fmt: skip
    assert store.outbox_row(a)["state"] == "pending"
    assert store.outbox_row(b)["state"] == "sent" and store.get_probe(b)["status"] == "sent"
    assert store.outbox_row(c)["state"] == "unknown"
    report = send_due(settings, store, "r", clock=Clock(datetime(2027, 2, 15, 9, tzinfo=UTC)), env=proj.env,
                      echo=lambda s: None)  # fmt: skip
    assert report.sent == [a]  # the unknown one is never resent silently
    assert [m.message_id for m in ms.received[before:]] == [x["row"]["message_id"]]
    assert store.outbox_row(b)["copied_at"] is not None  # the missing Sent copy was made
    assert ms.messages(y["persona"].email, "Sent")
    assert z["row"]["message_id"] not in {m.message_id for m in ms.received}
    store.close()


def test_unknown_messages_are_listed_and_resolved_by_the_coordinator(ms, tmp_path, kt) -> None:
    proj = sending_project(tmp_path / "p", ms, email={"sync_delivery": False, "reconcile_grace_s": 0})
    a, b = make_round(proj, ms, municipalities=2, offset=90)
    store = open_store(proj)
    settings = settings_of(proj)
    x = _interrupted(store, settings, proj, a, data_end=True)
    _interrupted(store, settings, proj, b, data_end=True)
    reconcile(settings, store, env=proj.env)
    store.close()
    base = ("--project", str(proj.project_dir), "email", "outbox")
    r = kt(*base, "--unknown", env=proj.env)
    assert r.exit_code == 0 and a in r.stdout and b in r.stdout and "resolve" in r.stdout
    r = kt(*base, "resolve", a, "--resend", env=proj.env)
    assert r.exit_code == 0 and "pending" in r.stdout
    r = kt(*base, "resolve", b, "--sent", "--note", "found in the persona's webmail", env=proj.env)
    assert r.exit_code == 0 and "sent" in r.stdout
    r = kt(*base, "resolve", b, "--sent", env=proj.env)
    assert r.exit_code == 2 and "not unknown" in r.output
    before = len(ms.received)
    r = kt("--project", str(proj.project_dir), "email", "send", "--round", "r", "--now", AFTER, env=proj.env)
    assert r.exit_code == 0 and "sent 1" in r.stdout
    assert [m.message_id for m in ms.received[before:]] == [x["row"]["message_id"]]
    store = open_store(proj)
    assert store.outbox_row(b)["resolution"].startswith("coordinator: sent")
    assert store.get_probe(b)["status"] == "sent"
    store.close()
    r = kt(*base, "--json", env=proj.env)
    assert r.exit_code == 0 and '"state": "sent"' in r.stdout


# --- SIGKILL at many points ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_at_many_points_never_sends_a_probe_twice(ms, tmp_path) -> None:
    proj = sending_project(tmp_path / "p", ms, personas=REHEARSAL_PERSONAS[:3])
    # Municipalities 150–249 of the register are this test's alone (their mailboxes are counted below).
    pids = make_round(proj, ms, municipalities=100, per_municipality=2, weeks=2, offset=150)
    assert len(pids) == 200
    store = open_store(proj)
    addresses = {municipality_address(store.get_probe(p)["kommunenummer"]) for p in pids}
    store.close()
    record_path = ms.relay.record_path
    record_start = len(read_record(record_path)) if record_path.exists() else 0
    cmd = [sys.executable, "-m", "kommunetest", "--project", str(proj.project_dir), "email", "send",
           "--round", "r", "--now", AFTER]  # fmt: skip
    env = {**os.environ, **proj.env, "PYTHONUNBUFFERED": "1"}
    rng = random.Random(20270215)
    kills, mid_send = 0, 0
    t0 = time.monotonic()

    def sent_so_far() -> int:
        s = open_store(proj)
        try:
            return s.outbox_counts("r").get("sent", 0)
        finally:
            s.close()

    while kills < 22 and time.monotonic() - t0 < 60:
        done_before = sent_so_far()
        if done_before == len(pids):
            break
        # Every other kill lands while messages go out (just after one was reported sent, plus a random
        # part of a message's round trip); the others anywhere from start-up and reconciliation onwards.
        during_send = kills % 2 == 0
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        if during_send:
            for line in proc.stdout:
                if line.startswith(b"sent "):
                    break
            time.sleep(rng.uniform(0.0, 0.25))
        else:
            time.sleep(rng.uniform(0.1, 1.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        output = proc.stdout.read().decode()
        proc.wait()
        assert proc.returncode in (0, -signal.SIGKILL), output
        mid_send += done_before < sent_so_far() < len(pids)
    final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert kills >= 15 and mid_send >= 8, (kills, mid_send)

    record = read_record(record_path)[record_start:]
    to_munis = Counter(m.message_id for m in record for r in m.rcpt_tos if r in addresses)
    store = open_store(proj)
    try:
        rows = store.outbox_rows(round_name="r")
        assert len(rows) == 200 and {r["state"] for r in rows} == {"sent"}, Counter(r["state"] for r in rows)
        assert {store.get_probe(p)["status"] for p in pids} == {"sent"}
        ours = {r["message_id"] for r in rows}
        missing = [(m, [x for x in record if x.message_id == m]) for m in ours - set(to_munis)]
        assert set(to_munis) == ours, missing  # nothing else (no second rendering) reached them
        assert max(to_munis.values()) == 1 and sum(to_munis.values()) == 200
        # and what the municipalities' mailboxes hold (the relay delivers before it records)
        held: Counter[str] = Counter()
        for address in addresses:
            for raw in ms.messages(address):
                held[email.message_from_bytes(raw)["Message-ID"]] += 1
        assert held == Counter(dict.fromkeys(ours, 1))
        resolutions = Counter(r["resolution"][:40] for r in rows if r["resolution"])
        print(f"kills {kills}, mid-send {mid_send}, reconciled {dict(resolutions)}")
    finally:
        store.close()
