"""The inbox against a real Dovecot: incremental sync, UIDVALIDITY, a server restart mid-poll, bad mail."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from kommunetest.channels.email.inbox import poll_all
from kommunetest.sandbox.sending import sending_project
from kommunetest.settings import REHEARSAL_PERSONAS, load_settings
from kommunetest.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _mail(i: int, *, sender: str = "kari@3203.sim.kommunetest.test", body: str | None = None) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = "anna@persona.kommunetest.test"
    msg["Subject"] = f"Melding {i}"
    msg["Message-ID"] = f"<m{i}.{time.time_ns()}@3203.sim.kommunetest.test>"
    msg["Date"] = "Mon, 2 Mar 2026 10:00:00 +0100"
    msg.set_content(body or f"Hei!\n\nDette er melding nummer {i}. SFO koster 3 145 kr per måned.\n")
    return msg.as_bytes()


class Box:
    """One persona's project and mailbox on a mail system."""

    def __init__(self, tmp: Path, ms, **email) -> None:
        self.ms = ms
        self.project = sending_project(tmp / "proj", ms, personas=[REHEARSAL_PERSONAS[0]], email=email)
        self.persona = self.project.personas[0]
        self.address = self.persona.email
        self.env = self.project.env
        self.settings = load_settings(self.project.project_dir, env=self.env)
        self.store = Store.open(self.settings)

    def fill(self, n: int, start: int = 0) -> list[bytes]:
        """APPEND n messages over one connection, received one minute apart."""
        raws = [_mail(start + i) for i in range(n)]
        with self.ms.imap(self.address) as client:
            for i, raw in enumerate(raws):
                client.append("INBOX", raw, msg_time=T0 + timedelta(minutes=start + i))
        return raws

    def poll(self, **kw):
        return poll_all(self.settings, self.store, env=self.env, **kw)


@pytest.fixture
def box(mail_system, tmp_path: Path):
    b = Box(tmp_path, mail_system)
    yield b
    b.store.close()


def test_incremental_sync_fetches_only_new_uids(box: Box) -> None:
    first = box.fill(20)
    stats = box.poll()
    assert stats.fetched == 20 and stats.stored == 20 and stats.unmatched == 20
    assert stats.bytes_fetched == sum(len(r) for r in first)
    rows = box.store.mail_messages(persona_id="anna")
    assert [r["uid"] for r in rows] == list(range(1, 21))
    assert rows[3]["received_at"] == T0 + timedelta(minutes=3)  # INTERNALDATE, not the Date header
    assert all(box.store.verify_evidence({"path": r["evidence_path"], "sha256": r["sha256"]}) for r in rows)

    idle = box.poll()
    assert idle.fetched == 0 and idle.bytes_fetched == 0 and idle.stored == 0
    new = box.fill(3, start=20)
    stats = box.poll()
    assert stats.fetched == 3 and stats.stored == 3 and stats.duplicates == 0
    assert stats.bytes_fetched == sum(len(r) for r in new)
    # the wire carries the 3 new messages and a little protocol, not the 20 old ones
    assert stats.wire_bytes < sum(len(r) for r in new) + 4000 < sum(len(r) for r in first)
    assert idle.wire_bytes < 3000
    state = box.store.mail_folder_state("anna", "INBOX")
    assert state["last_uid"] == 23 and box.store.mail_count(persona_id="anna") == 23


def test_uidvalidity_change_resyncs_without_duplicates(box: Box) -> None:
    box.settings.email.poll_folders = ["INBOX", "Svar"]
    with box.ms.imap(box.address) as client:
        client.create_folder("Svar")
    raws = [_mail(i) for i in range(5)]
    for raw in raws:
        box.ms.append(box.address, raw, folder="Svar", internal_date=T0)
    assert box.poll().stored == 5
    before = box.store.mail_folder_state("anna", "Svar")["uidvalidity"]
    with box.ms.imap(box.address) as client:  # the folder is recreated: same mail, new UIDVALIDITY
        client.delete_folder("Svar")
        client.create_folder("Svar")
    for raw in [*raws, _mail(99)]:
        box.ms.append(box.address, raw, folder="Svar", internal_date=T0)
    stats = box.poll()
    after = box.store.mail_folder_state("anna", "Svar")
    assert after["uidvalidity"] != before and stats.uidvalidity_resets == 1
    assert stats.fetched == 6 and stats.duplicates == 5 and stats.stored == 1
    assert after["last_uid"] == 6
    assert box.store.mail_count(persona_id="anna") == 6
    assert box.poll().fetched == 0


def test_imap_restart_in_the_middle_of_a_poll_stores_every_message_once(fresh_mail_system, tmp_path) -> None:
    ms = fresh_mail_system
    b = Box(tmp_path, ms, poll_batch=5, imap_reconnect_s=60)
    n = 1000  # a poll of this many, 5 per batch, lasts seconds: long enough to be cut off
    b.fill(n)
    restarted = threading.Event()

    def restart_when_busy() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if b.store.mail_count(persona_id="anna") >= 20:
                ms.restart_imap()
                restarted.set()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=restart_when_busy)
    thread.start()
    try:
        stats = b.poll()
    finally:
        thread.join()
    assert restarted.is_set()
    assert stats.reconnects >= 1, "the restart did not interrupt the poll; make the mailbox bigger"
    assert not stats.errors
    rows = b.store.mail_messages(persona_id="anna")
    assert len(rows) == n
    assert len({r["message_id"] for r in rows}) == n and len({r["uid"] for r in rows}) == n
    assert stats.stored == n
    assert b.poll().fetched == 0  # and the next poll has nothing left to do
    b.store.close()


def test_a_poll_survives_the_server_being_away(fresh_mail_system, tmp_path) -> None:
    ms = fresh_mail_system
    b = Box(tmp_path, ms, imap_reconnect_s=0.5)
    b.fill(3)
    ms.dovecot.stop()
    try:
        stats = b.poll()
        assert stats.errors and "unreachable" in stats.errors[0] and stats.stored == 0
    finally:
        ms.dovecot.start()
    assert b.poll().stored == 3
    b.store.close()


def test_bad_mail_is_stored_and_quarantined(box: Box) -> None:
    box.ms.append(box.address, b"\r\n\r\n", internal_date=T0)
    box.ms.append(
        box.address,
        b"Subject: =?x-unknown?Q?=FF?=\r\nContent-Type: text/plain; charset=bogus\r\n\r\n\xff\xfe\x00",
        internal_date=T0,
    )
    stats = box.poll()
    assert stats.stored == 2
    rows = box.store.mail_messages(persona_id="anna")
    empty = rows[0]
    assert empty["status"] == "quarantined" and empty["quarantine_reason"]
    assert (box.store.results_dir / empty["evidence_path"]).read_bytes().strip() == b""
    assert rows[1]["status"] in ("unmatched", "quarantined")
    assert {r["id"] for r in box.store.mail_messages(status=["unmatched", "quarantined"])} == {
        r["id"] for r in rows
    }


def test_persona_without_password_is_skipped(box: Box) -> None:
    stats = poll_all(box.settings, box.store, env={})
    assert stats.personas == 0 and stats.skipped[0][0] == "anna"
    assert box.persona.password_env in stats.summary()


def test_poll_and_unmatched_commands(box: Box, kt) -> None:
    box.fill(2)
    result = kt("--project", str(box.project.project_dir), "email", "poll", env=box.env)
    assert result.exit_code == 0, result.output
    assert "2 new message(s)" in result.output and "review queue" in result.output
    listed = kt("--project", str(box.project.project_dir), "email", "unmatched", env=box.env)
    assert "2 message(s) in the queue" in listed.output and "Melding 1" in listed.output
    shutil.rmtree(box.store.results_dir / "evidence", ignore_errors=True)  # evidence is not read by listing
    assert (
        kt("--project", str(box.project.project_dir), "email", "unmatched", "--json", env=box.env).exit_code
        == 0
    )


def test_review_walks_the_unmatched_queue(box: Box) -> None:
    from click.testing import CliRunner

    from kommunetest.cli import cli

    box.fill(2)
    box.poll()
    result = CliRunner(env={**box.env, "KOMMUNETEST_REVIEWER": "kari"}).invoke(
        cli, ["--project", str(box.project.project_dir), "email", "review", "--unmatched"], input="i\ns\n"
    )
    assert result.exit_code == 0, result.output
    assert "[1/2] message" in result.output and "«Melding 0»" in result.output and "ignored" in result.output
    statuses = [(m["status"], m["reviewed_by"]) for m in box.store.mail_messages(persona_id="anna")]
    assert statuses == [("ignored", "kari"), ("unmatched", None)]
