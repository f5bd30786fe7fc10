"""Time sending a census round's e-mail probes (357 × 3 = 1,071) through the local mail system.

Everything real: `kommunetest email send` in its own process, as a user runs it; the outbox (render once,
keep the bytes, three committed transactions per message); aiosmtplib to the aiosmtpd relay, which delivers
over LMTP into Dovecot for the municipality and the persona's Bcc copy; an IMAP APPEND of each message to
the persona's Sent folder. Rate limit 0, a simulated clock after the round's last day.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from kommunetest.sandbox.mailsystem import MailSystem
from kommunetest.sandbox.sending import plan_email_round, sending_project
from kommunetest.settings import load_settings
from kommunetest.store import Store

START = date(2027, 2, 1)
WEEKS = 6
NOW = "2027-03-15T10:00"  # the Monday after the round (Europe/Oslo): every probe due, every office open


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="kt-bench-send-", dir="/tmp"))
    base.chmod(0o755)
    try:
        t0 = time.perf_counter()
        with MailSystem(base / "mail") as ms:
            proj = sending_project(base / "project", ms)
            probes = plan_email_round(proj, ms, start=START, weeks=WEEKS, per_municipality=3)
            t1 = time.perf_counter()
            cmd = [sys.executable, "-m", "kommunetest", "--project", str(proj.project_dir), "email", "send",
                   "--round", "r", "--now", NOW, "--limit", "0"]  # fmt: skip
            done = subprocess.run(cmd, env={**os.environ, **proj.env}, capture_output=True, text=True)
            t2 = time.perf_counter()
            if done.returncode != 0:
                raise SystemExit(f"email send failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            store = Store.open(load_settings(proj.project_dir))
            rows = store.outbox_rows(round_name="r")
            store.close()
            received = len(ms.received)
        states = Counter(r["state"] for r in rows)
        copies = sum(1 for r in rows if r["copied_at"])
        n = states.get("sent", 0)
        print(f"probes planned: {len(probes)} e-mail probes (357 municipalities × 3)")
        print(f"setup (mail system, 6 personas + 357 mailboxes, plan): {t1 - t0:.2f} s")
        print(f"sent: {n} (outbox {dict(states)}, relay accepted {received}, Sent copies {copies})")
        print(f"send time (`email send`, process start included): {t2 - t1:.2f} s  ->  "
              f"{n / (t2 - t1):.1f} messages per second")  # fmt: skip
        print(f"`email send` said: {done.stdout.strip().splitlines()[-1]}")
        if n != len(probes) or received != len(probes):
            raise SystemExit(f"not everything was sent exactly once: {dict(states)}, relay {received}")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
