"""Polling cost against mailbox size: 1,000, 10,000 and 50,000 messages, then 10 new ones.

For each size a persona mailbox on the local Dovecot is filled by writing Maildir files straight into
`~/Maildir/cur` (with the mail user's ownership and the received time as mtime, which Dovecot uses as
INTERNALDATE), which takes seconds where IMAP APPEND would take minutes. A first `poll_all` stores everything
(full sync, timed); then 10 replies arrive by IMAP APPEND and the incremental poll is timed, with the number of
messages and bytes fetched and the bytes read from the connection. Those must not grow with the mailbox.

    .venv/bin/python bench/email_poll.py [--sizes 1000,10000,50000] [--new 10]
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from kommunetest.channels.email.inbox import poll_all
from kommunetest.sandbox.mailsystem import MailSystem
from kommunetest.sandbox.sending import sending_project
from kommunetest.settings import REHEARSAL_PERSONAS, load_settings
from kommunetest.store import Store

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
PHRASES = [
    "Takk for henvendelsen. SFO koster 3 145 kr per måned, og SFO er åpen fra kl. 07.30 til 16.30.",
    "Din henvendelse er registrert, saksnr 25/{n}. Vi vil behandle henvendelsen så snart som mulig.",
    "Jeg er på ferie til og med mandag og har begrenset tilgang til e-post.",
    "Saksbehandlingstiden for byggesøknader er normalt 3 uker. Gebyret er 12 400 kr.",
    "Dette må du ta kontakt med oppvekstetaten om.",
]


def message(n: int, rng: random.Random) -> bytes:
    msg = EmailMessage(policy=SMTP)
    knr = rng.choice(["3203", "4601", "1101", "5001", "1804"])
    msg["From"] = f"Saksbehandler {n} <s{n}@{knr}.sim.kommunetest.test>"
    msg["To"] = "anna.berg@persona.kommunetest.test"
    msg["Subject"] = f"SV: Spørsmål nr. {n}"
    msg["Message-ID"] = f"<bench.{n}.{rng.getrandbits(40):x}@{knr}.sim.kommunetest.test>"
    msg["Date"] = "Mon, 6 Jan 2025 09:00:00 +0100"
    text = rng.choice(PHRASES).format(n=n)
    msg.set_content(f"Hei!\n\n{text}\n\nMed vennlig hilsen\nKari Nordmann\nTlf. 75 55 55 55\n")
    return msg.as_bytes()


def fill_maildir(ms: MailSystem, address: str, count: int, seed: int = 1) -> int:
    """Write `count` messages as Maildir files owned by the mail user; returns the bytes written."""
    cur = ms.dovecot.home(address) / "Maildir" / "cur"
    for sub in ("cur", "new", "tmp"):
        (cur.parent / sub).mkdir(parents=True, exist_ok=True)
        os.chown(cur.parent / sub, ms.dovecot.mail_uid, ms.dovecot.mail_gid)
    os.chown(cur.parent, ms.dovecot.mail_uid, ms.dovecot.mail_gid)
    rng = random.Random(seed)
    host = socket.gethostname().replace("/", "_").replace(":", "_")
    total = 0
    for n in range(count):
        raw = message(n, rng)
        when = (T0 + timedelta(minutes=n)).timestamp()
        path = cur / f"{int(when)}.M{n}P{os.getpid()}.{host},S={len(raw)}:2,S"
        path.write_bytes(raw)
        os.utime(path, (when, when))
        os.chown(path, ms.dovecot.mail_uid, ms.dovecot.mail_gid)
        total += len(raw)
    return total


def run(size: int, new: int, base: Path, ms: MailSystem) -> dict[str, float]:
    project = sending_project(
        base / f"p{size}", ms, personas=[REHEARSAL_PERSONAS[0]], email={"poll_batch": 200}
    )
    address = project.personas[0].email
    t = time.perf_counter()
    written = fill_maildir(ms, address, size)
    fill_s = time.perf_counter() - t
    settings = load_settings(project.project_dir, env=project.env)
    store = Store.open(settings)
    t = time.perf_counter()
    full = poll_all(settings, store, env=project.env)
    full_s = time.perf_counter() - t
    assert full.stored == size, full.summary()
    rng = random.Random(99)
    with ms.imap(address) as client:
        for i in range(new):
            client.append("INBOX", message(size + i, rng), msg_time=T0 + timedelta(days=60, minutes=i))
    t = time.perf_counter()
    inc = poll_all(settings, store, env=project.env)
    inc_s = time.perf_counter() - t
    assert inc.stored == new and inc.fetched == new, inc.summary()
    t = time.perf_counter()
    idle = poll_all(settings, store, env=project.env)
    idle_s = time.perf_counter() - t
    with ms.imap(address) as client:  # the server's own cost of opening the folder (Maildir: grows with it)
        t = time.perf_counter()
        client.select_folder("INBOX", readonly=True)
        select_s = time.perf_counter() - t
    store.close()
    return {
        "size": size, "fill_s": fill_s, "fill_mb": written / 1e6, "full_s": full_s, "full_wire_mb": full.wire_bytes / 1e6,
        "inc_s": inc_s, "inc_fetched": inc.fetched, "inc_bytes": inc.bytes_fetched, "inc_wire": inc.wire_bytes,
        "idle_s": idle_s, "idle_wire": idle.wire_bytes, "select_s": select_s,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,50000")
    ap.add_argument("--new", type=int, default=10)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="kt-bench-poll-") as tmp, MailSystem(Path(tmp) / "ms") as ms:
        print(f"{'mailbox':>8} {'fill':>7} {'full sync':>10} {'incremental':>12} {'fetched':>8} {'bytes':>7} "
              f"{'wire':>7} {'idle poll':>10} {'idle wire':>9} {'EXAMINE':>8}")  # fmt: skip
        for size in sizes:
            r = run(size, args.new, Path(tmp), ms)
            print(
                f"{r['size']:>8,} {r['fill_s']:>6.1f}s {r['full_s']:>9.1f}s {r['inc_s'] * 1000:>10.0f}ms "
                f"{r['inc_fetched']:>8} {r['inc_bytes']:>7,} {r['inc_wire']:>7,} {r['idle_s'] * 1000:>8.0f}ms "
                f"{r['idle_wire']:>9,} {r['select_s'] * 1000:>6.0f}ms",
                flush=True,
            )
    print(
        "fill: Maildir files written directly; incremental: 10 new messages by IMAP APPEND after a full sync;"
    )
    print(
        "bytes: message bytes fetched; wire: bytes read from the IMAP connection (login and protocol included)"
    )


if __name__ == "__main__":
    main()
