"""The local mail system of the sandbox: Dovecot (IMAP + LMTP) behind an aiosmtpd relay, all on loopback.

Tests and the demo send with SMTP to `smtp_host:smtp_port` and read with IMAP from `imap_host:imap_port`, as
the e-mail channel does against real servers. Addresses use the reserved `.test` TLD, which never resolves:

    with MailSystem(tmp_path, domain_users=[(municipality_address("3203"), "pw")]) as ms:
        ...  # aiosmtplib.send(..., hostname=ms.smtp_host, port=ms.smtp_port)

Personas live at `<first.last>@persona.kommunetest.test`, municipalities at
`postmottak@<kommunenummer>.sim.kommunetest.test`.
"""

from __future__ import annotations

import itertools
import re
import secrets
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

from kommunetest.sandbox.dovecot import (
    HOST,
    Dovecot,
    MailSystemError,
    dovecot_available,
)
from kommunetest.sandbox.ports import free_port
from kommunetest.sandbox.smtprelay import (
    DeliveryError,
    LmtpClient,
    ReceivedMessage,
    SmtpRelay,
    read_record,
)

__all__ = [
    "PERSONA_DOMAIN",
    "SIM_DOMAIN",
    "MailSystem",
    "MailSystemError",
    "ReceivedMessage",
    "dovecot_available",
    "free_port",
    "municipality_address",
    "persona_address",
    "read_record",
]

PERSONA_DOMAIN = "persona.kommunetest.test"
SIM_DOMAIN = "sim.kommunetest.test"
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
_FOLD = {"æ": "ae", "ø": "o", "å": "aa", "Æ": "ae", "Ø": "o", "Å": "aa"}


def municipality_address(kommunenummer: str) -> str:
    """The simulated official inbox of a municipality: postmottak@<knr>.sim.kommunetest.test."""
    if not re.fullmatch(r"\d{4}", kommunenummer):
        raise ValueError(f"kommunenummer must be four digits, got {kommunenummer!r}")
    return f"postmottak@{kommunenummer}.{SIM_DOMAIN}"


def persona_address(name: str) -> str:
    """A persona's mailbox from its name: "Anna Berg" -> anna.berg@persona.kommunetest.test (æøå folded)."""
    folded = "".join(_FOLD.get(c, c) for c in name.strip())
    ascii_ = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode().lower()
    local = ".".join(p for p in re.split(r"[^a-z0-9]+", ascii_) if p)
    if not local:
        raise ValueError(f"cannot make an address from the name {name!r}")
    return f"{local}@{PERSONA_DOMAIN}"


class MailSystem:
    """Dovecot + SMTP relay. start() is idempotent; stop() keeps ports, users and mail for another start()."""

    def __init__(
        self,
        base_dir: Path,
        *,
        domain_users: Iterable[tuple[str, str]] = (),
        mail_user: str | None = None,
        record_path: Path | None = None,
        start_timeout: float = 20.0,
    ) -> None:
        self.base_dir = Path(base_dir)
        self.dovecot = Dovecot(self.base_dir, mail_user=mail_user, start_timeout=start_timeout)
        self.dovecot.add_users(domain_users)
        self.lmtp = LmtpClient(HOST, lambda: self.dovecot.lmtp_port)
        self.relay = SmtpRelay(
            self.lmtp.deliver,
            self.dovecot.has_user,
            check_login=self._check_login,
            record_path=record_path,
        )
        self._counter = itertools.count(1)
        self._counter_lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> MailSystem:
        self.dovecot.start()
        try:
            self.relay.start()
        except Exception:
            self.dovecot.stop()
            raise
        return self

    def stop(self) -> None:
        self.relay.stop()
        self.lmtp.close()
        self.dovecot.stop()

    def close(self) -> None:
        """Stop and remove the temporary runtime directory (and the maildirs when they live there)."""
        self.stop()
        self.dovecot.close()

    def restart_imap(self) -> None:
        """Stop and start Dovecot only, on the same ports with the same mail (the relay keeps running)."""
        self.dovecot.stop()
        self.lmtp.close()
        self.dovecot.start()

    def __enter__(self) -> MailSystem:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- addresses -----------------------------------------------------------------------------------------
    @property
    def imap_host(self) -> str:
        return self.dovecot.host

    @property
    def imap_port(self) -> int:
        return self.dovecot.imap_port

    @property
    def lmtp_port(self) -> int:
        return self.dovecot.lmtp_port

    @property
    def smtp_host(self) -> str:
        return self.relay.host

    @property
    def smtp_port(self) -> int:
        return self.relay.port

    @property
    def startup_seconds(self) -> float | None:
        """How long the last Dovecot start took until both IMAP and LMTP greeted."""
        return self.dovecot.startup_seconds

    def log_tail(self, lines: int = 40) -> str:
        return self.dovecot.log_tail(lines)

    # -- users ---------------------------------------------------------------------------------------------
    def add_user(self, address: str, password: str) -> None:
        """Create or update a mailbox; works at once, also while running (no Dovecot restart)."""
        self.dovecot.add_users([(address, password)])

    def add_users(self, users: Iterable[tuple[str, str]]) -> None:
        """Create or update many mailboxes (e.g. the 357 municipalities) in one call."""
        self.dovecot.add_users(users)

    def new_user(self, prefix: str = "user", domain: str = PERSONA_DOMAIN) -> tuple[str, str]:
        """A fresh user with a unique name and a random password, for tests sharing one mail system."""
        with self._counter_lock:
            n = next(self._counter)
        address = f"{prefix}.{n}.{secrets.token_hex(3)}@{domain}".lower()
        password = secrets.token_urlsafe(12)
        self.add_user(address, password)
        return address, password

    def password(self, address: str) -> str:
        return self.dovecot.password(address)

    def _check_login(self, login: str, password: str) -> bool:
        try:
            return secrets.compare_digest(self.password(login), password)
        except KeyError:
            return False

    # -- relay record and failure modes --------------------------------------------------------------------
    @property
    def received(self) -> list[ReceivedMessage]:
        """Every message the SMTP relay accepted, oldest first (a snapshot)."""
        return self.relay.received

    def fail_next(self, n: int, code: int = 451, message: str | None = None) -> None:
        self.relay.fail_next(n, code, message)

    def reject_recipient(self, address: str, code: int = 550, message: str | None = None) -> None:
        self.relay.reject_recipient(address, code, message)

    def clear_failures(self) -> None:
        self.relay.clear_failures()

    # -- mailbox access ------------------------------------------------------------------------------------
    def deliver(self, raw: bytes, rcpt: str, *, mail_from: str = "") -> None:
        """Put a message straight into a mailbox over LMTP (bypassing the relay and its record)."""
        try:
            self.lmtp.deliver(raw, rcpt.strip().lower(), mail_from)
        except DeliveryError as e:
            raise MailSystemError(f"LMTP delivery to {rcpt} failed: {e}") from e

    def imap(self, address: str) -> IMAPClient:
        """A logged-in IMAP connection as `address` (use as a context manager: it logs out)."""
        client = IMAPClient(self.imap_host, port=self.imap_port, ssl=False, timeout=30)
        try:
            client.login(address.strip().lower(), self.password(address))
        except Exception:
            client.shutdown()
            raise
        return client

    def append(
        self,
        address: str,
        raw: bytes,
        *,
        folder: str = "INBOX",
        internal_date: datetime | None = None,
        flags: Sequence[str | bytes] = (),
    ) -> int:
        """IMAP APPEND as `address`; returns the new UID. `internal_date` backdates it (naive = local time)."""
        with self.imap(address) as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            response = client.append(folder, raw, flags=tuple(flags), msg_time=internal_date)
        m = _APPENDUID.search(response if isinstance(response, bytes) else str(response).encode())
        if not m:
            raise MailSystemError(f"APPEND to {folder} of {address} gave no APPENDUID: {response!r}")
        return int(m[1])

    def messages(self, address: str, folder: str = "INBOX") -> list[bytes]:
        """The raw RFC822 text of every message in a folder, by UID order (for tests and the demo)."""
        with self.imap(address) as client:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            data = client.fetch(uids, ["RFC822"]) if uids else {}
        return [data[u][b"RFC822"] for u in sorted(data)]
