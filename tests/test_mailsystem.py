"""The sandbox mail system against the real Dovecot and aiosmtpd: SMTP in, IMAP out, failures on demand."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import shutil
import socket
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiosmtplib
import imapclient
import pytest

from kommunetest.sandbox.dovecot import Dovecot, _group_alive
from kommunetest.sandbox.mailsystem import (
    MailSystem,
    MailSystemError,
    dovecot_available,
    municipality_address,
    persona_address,
    read_record,
)

CLIENT = "client.kommunetest.test"  # aiosmtplib would otherwise ask DNS for our own name


def send(ms: MailSystem, raw: bytes, sender: str, rcpts: list[str], **kw: object):
    """Send one message with aiosmtplib, as the e-mail channel does."""
    return asyncio.run(
        aiosmtplib.send(
            raw,
            sender=sender,
            recipients=rcpts,
            hostname=ms.smtp_host,
            port=ms.smtp_port,
            local_hostname=CLIENT,
            start_tls=False,
            timeout=30,
            **kw,
        )
    )


def make_raw(sender: str, rcpt: str, subject: str = "Spørsmål om SFO", mid: str | None = None) -> bytes:
    mid = mid or f"<{time.time_ns()}.{os.getpid()}@persona.kommunetest.test>"
    return (
        f"From: Anna Berg <{sender}>\r\n"
        f"To: {rcpt}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {mid}\r\n"
        "Date: Mon, 02 Sep 2024 09:15:00 +0200\r\n"
        "X-Long: " + "lang " * 30 + "\r\n\tfolded continuation\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Hei,\r\n"
        "hva koster SFO for et barn i 1. klasse?\r\n"
        ".en linje som starter med punktum\r\n"
        "..og en med to\r\n"
        "\r\n"
        "Med vennlig hilsen\r\nAnna Berg æøå ÆØÅ\r\n"
    ).encode()


def strip_lmtp_headers(raw: bytes) -> bytes:
    """Remove the Return-Path and Delivered-To lines that LMTP delivery prepends."""
    return re.sub(rb"\A(?:(?:Return-Path|Delivered-To): [^\r\n]*\r\n)+", b"", raw)


def proc_uids(pgid: int, comm: str) -> list[int]:
    """Real uids of the processes named `comm` in process group `pgid`."""
    uids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            name = (d / "comm").read_text().strip()
            status = (d / "status").read_text()
        except OSError:
            continue
        if int(fields[2]) == pgid and name == comm:
            uids.append(int(re.search(r"^Uid:\s+(\d+)", status, re.M)[1]))
    return uids


# -- addresses and availability ---------------------------------------------------------------------------


def test_addresses_use_the_reserved_test_tld() -> None:
    assert municipality_address("3203") == "postmottak@3203.sim.kommunetest.test"
    assert persona_address("Anna Berg") == "anna.berg@persona.kommunetest.test"
    assert persona_address(" Bjørn  Åsen-Ærø ") == "bjorn.aasen.aero@persona.kommunetest.test"
    with pytest.raises(ValueError):
        municipality_address("320")
    with pytest.raises(ValueError):
        persona_address("!!")


def test_dovecot_is_available_here() -> None:
    assert dovecot_available() is None
    assert "nobody-such-user" in (dovecot_available("nobody-such-user") or "") or os.geteuid() != 0


# -- Dovecot itself ---------------------------------------------------------------------------------------


def test_dovecot_runs_with_the_configuration_we_asked_for(mail_system: MailSystem) -> None:
    conf = mail_system.dovecot.doveconf("-n")
    for line in (
        "ssl = no",
        "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        "protocols = imap lmtp",
        "listen = 127.0.0.1",
        "mail_fsync = never",
        "mail_location = maildir:~/Maildir",
        "lmtp_add_received_header = no",
        f"port = {mail_system.imap_port}",
        f"port = {mail_system.lmtp_port}",
    ):
        assert line in conf, f"{line!r} missing from doveconf -n:\n{conf}"
    assert "driver = passwd-file" in conf
    assert "/etc/dovecot" not in conf
    if os.geteuid() == 0:
        assert mail_system.dovecot.doveconf("-h", "default_internal_user").strip() == "dovecot"
        assert mail_system.dovecot.doveconf("-h", "default_login_user").strip() == "dovenull"
    print(f"\nDovecot startup: {mail_system.startup_seconds * 1000:.0f} ms")
    assert mail_system.startup_seconds is not None and mail_system.startup_seconds < 10


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege dropping happens only when started as root")
def test_dovecot_drops_privileges_for_mail_access(mail_system: MailSystem) -> None:
    address, _ = mail_system.new_user("priv")
    mail_system.deliver(make_raw("a@persona.kommunetest.test", address), address)
    nobody = pwd.getpwnam("nobody").pw_uid
    files = [p for p in (mail_system.dovecot.home(address) / "Maildir").rglob("*") if p.is_file()]
    assert files and all(p.stat().st_uid == nobody for p in files)
    with mail_system.imap(address) as client:
        client.select_folder("INBOX")
        pgid = mail_system.dovecot._proc.pid
        assert proc_uids(pgid, "imap") and set(proc_uids(pgid, "imap")) == {nobody}
        assert set(proc_uids(pgid, "imap-login")) == {pwd.getpwnam("dovenull").pw_uid}


# -- SMTP in, IMAP out ------------------------------------------------------------------------------------


def test_message_sent_over_smtp_arrives_byte_for_byte(mail_system: MailSystem) -> None:
    sender, _ = mail_system.new_user("anna")
    rcpt, _ = mail_system.new_user("postmottak", domain="3203.sim.kommunetest.test")
    raw = make_raw(sender, rcpt, mid="<bytes.1@persona.kommunetest.test>")
    before = len(mail_system.received)
    errors, reply = send(mail_system, raw, sender, [rcpt])
    assert errors == {} and "delivered" in reply

    with mail_system.imap(rcpt) as client:
        client.select_folder("INBOX")
        uids = client.search("ALL")
        assert len(uids) == 1
        got = client.fetch(uids, ["RFC822"])[uids[0]][b"RFC822"]
    assert got.startswith(f"Return-Path: <{sender}>\r\n".encode())
    assert f"Delivered-To: {rcpt}\r\n".encode() in got
    assert strip_lmtp_headers(got) == raw

    new = mail_system.received[before:]
    mine = [m for m in new if m.rcpt_tos == (rcpt,)]
    assert len(mine) == 1
    assert mine[0].mail_from == sender
    assert mine[0].message_id == "<bytes.1@persona.kommunetest.test>"
    assert mine[0].size == len(raw)
    assert mine[0].received_at.tzinfo is not None


def test_unknown_recipient_is_refused_with_550(mail_system: MailSystem) -> None:
    sender, _ = mail_system.new_user("anna")
    known, _ = mail_system.new_user("known")
    unknown = "ingen.slik@3203.sim.kommunetest.test"
    before = len(mail_system.received)
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as info:
        send(mail_system, make_raw(sender, unknown), sender, [unknown])
    assert [r.code for r in info.value.recipients] == [550]
    # Mixed: the known recipient gets it, the unknown one is reported back.
    errors, _ = send(mail_system, make_raw(sender, known), sender, [known, unknown])
    assert errors[unknown][0] == 550 and known not in errors
    accepted = [m for m in mail_system.received[before:] if sender == m.mail_from]
    assert [m.rcpt_tos for m in accepted] == [(known,)]
    assert len(mail_system.messages(known)) == 1


def test_append_with_internal_date_reads_back(mail_system: MailSystem) -> None:
    address, _ = mail_system.new_user("svar")
    when = datetime(2024, 1, 15, 10, 30, 5, tzinfo=timezone(timedelta(hours=1)))
    raw = make_raw("postmottak@3203.sim.kommunetest.test", address, subject="Re: SFO")
    uid = mail_system.append(address, raw, internal_date=when, flags=[imapclient.SEEN])
    uid2 = mail_system.append(address, raw, folder="Arkiv")
    assert uid >= 1 and uid2 >= 1
    with mail_system.imap(address) as client:
        client.normalise_times = False
        client.select_folder("INBOX", readonly=True)
        data = client.fetch([uid], ["INTERNALDATE", "FLAGS", "RFC822"])[uid]
        assert client.folder_exists("Arkiv")
    assert data[b"INTERNALDATE"] == when
    assert imapclient.SEEN in data[b"FLAGS"]
    assert data[b"RFC822"] == raw


def test_users_added_while_running_can_log_in(mail_system: MailSystem) -> None:
    address, password = mail_system.new_user("sent")
    with mail_system.imap(address) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    client = imapclient.IMAPClient(mail_system.imap_host, port=mail_system.imap_port, ssl=False, timeout=10)
    with pytest.raises(imapclient.exceptions.LoginError):
        client.login(address, password + "x")
    client.shutdown()
    # Changing the password takes effect at once too.
    mail_system.add_user(address, "nytt-passord")
    with mail_system.imap(address) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    client = imapclient.IMAPClient(mail_system.imap_host, port=mail_system.imap_port, ssl=False, timeout=10)
    with pytest.raises(imapclient.exceptions.LoginError):
        client.login(address, password)
    client.shutdown()


def test_smtp_auth_is_offered_and_checked(mail_system: MailSystem) -> None:
    sender, password = mail_system.new_user("auth")
    rcpt, _ = mail_system.new_user("auth.rcpt")
    errors, _ = send(mail_system, make_raw(sender, rcpt), sender, [rcpt], username=sender, password=password)
    assert errors == {}
    with pytest.raises(aiosmtplib.SMTPAuthenticationError):
        send(mail_system, make_raw(sender, rcpt), sender, [rcpt], username=sender, password="feil")


# -- failure modes ----------------------------------------------------------------------------------------


def test_failure_modes_answer_451_and_550(mail_system: MailSystem) -> None:
    sender, _ = mail_system.new_user("anna")
    rcpt, _ = mail_system.new_user("flaky")
    mail_system.fail_next(2)
    try:
        for _ in range(2):
            with pytest.raises(aiosmtplib.SMTPResponseException) as info:
                send(mail_system, make_raw(sender, rcpt), sender, [rcpt])
            assert info.value.code == 451
        errors, _ = send(mail_system, make_raw(sender, rcpt), sender, [rcpt])
        assert errors == {}
        mail_system.reject_recipient(rcpt)
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            send(mail_system, make_raw(sender, rcpt), sender, [rcpt])
        assert refused.value.recipients[0].code == 550
    finally:
        mail_system.clear_failures()
    send(mail_system, make_raw(sender, rcpt), sender, [rcpt])
    assert len(mail_system.messages(rcpt)) == 2


def test_start_failure_names_the_cause_from_the_log(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        dovecot = Dovecot(tmp_path / "dc", start_timeout=10)
        dovecot.imap_port, dovecot.lmtp_port = busy.getsockname()[1], 0  # fixed ports: no retry elsewhere
        try:
            with pytest.raises(MailSystemError, match="in use"):
                dovecot.start()
        finally:
            dovecot.close()
    assert not dovecot.running


# -- restart, record, cleanup -----------------------------------------------------------------------------


def test_restart_imap_keeps_mail_and_ports(fresh_mail_system: MailSystem) -> None:
    ms = fresh_mail_system
    sender, _ = ms.new_user("anna")
    rcpt, _ = ms.new_user("postmottak")
    send(ms, make_raw(sender, rcpt), sender, [rcpt])
    ports = (ms.imap_port, ms.lmtp_port, ms.smtp_port)
    polling = ms.imap(rcpt)
    polling.select_folder("INBOX")
    old_pgid = ms.dovecot._proc.pid

    ms.restart_imap()
    assert (ms.imap_port, ms.lmtp_port, ms.smtp_port) == ports
    assert not _group_alive(old_pgid)
    with pytest.raises((imapclient.IMAPClient.AbortError, OSError)):
        polling.noop()  # the poll in progress loses its connection, as with a real server restart
    polling.shutdown()
    send(ms, make_raw(sender, rcpt), sender, [rcpt])  # the relay reconnects to LMTP by itself
    assert len(ms.messages(rcpt)) == 2

    # While Dovecot is down the relay defers (451) instead of losing mail.
    ms.dovecot.stop()
    with pytest.raises(aiosmtplib.SMTPResponseException) as info:
        send(ms, make_raw(sender, rcpt), sender, [rcpt])
    assert info.value.code == 451
    ms.stop()
    ms.start()
    assert (ms.imap_port, ms.lmtp_port, ms.smtp_port) == ports
    send(ms, make_raw(sender, rcpt), sender, [rcpt])
    assert len(ms.messages(rcpt)) == 3
    assert len(ms.received) == 3


def test_record_file_and_maildirs_in_a_reachable_base_dir() -> None:
    base = Path(tempfile.mkdtemp(prefix="kt-mailtest-", dir="/tmp"))
    base.chmod(0o755)
    record = base / "received.jsonl"
    rcpt = municipality_address("4601")
    try:
        with MailSystem(base, domain_users=[(rcpt, "pw")], record_path=record) as ms:
            assert ms.dovecot.mail_dir == base.resolve() / "mail"
            for i in range(3):
                send(
                    ms, make_raw("a@persona.kommunetest.test", rcpt, mid=f"<r{i}@t.test>"), "a@x.test", [rcpt]
                )
            assert len(ms.messages(rcpt)) == 3
            assert read_record(record) == ms.received
            assert [json.loads(line)["message_id"] for line in record.read_text().splitlines()] == [
                "<r0@t.test>",
                "<r1@t.test>",
                "<r2@t.test>",
            ]
            pgid = ms.dovecot._proc.pid
            run_root = ms.dovecot.run_root
        assert not _group_alive(pgid)
        assert not run_root.exists()
        assert (base / "mail").is_dir() and (base / "dovecot.log").is_file()
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_thousand_messages_through_smtp_and_lmtp(mail_system: MailSystem) -> None:
    sender, _ = mail_system.new_user("bulk.sender")
    rcpt, _ = mail_system.new_user("bulk")
    n, connections = 1000, 4
    before = len(mail_system.received)

    async def worker(k: int) -> None:
        async with aiosmtplib.SMTP(
            hostname=mail_system.smtp_host, port=mail_system.smtp_port, local_hostname=CLIENT, start_tls=False
        ) as smtp:
            for i in range(k, n, connections):
                await smtp.sendmail(sender, [rcpt], make_raw(sender, rcpt, subject=f"nr {i}"))

    async def main() -> None:
        await asyncio.gather(*(worker(k) for k in range(connections)))

    t0 = time.monotonic()
    asyncio.run(main())
    elapsed = time.monotonic() - t0
    print(f"\n{n} messages SMTP -> LMTP in {elapsed:.1f} s: {n / elapsed:.0f} messages/s")
    assert elapsed < 60
    assert len([m for m in mail_system.received[before:] if m.rcpt_tos == (rcpt,)]) == n
    with mail_system.imap(rcpt) as client:
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == n
