"""The sandbox's SMTP server: aiosmtpd on a loopback port that hands every message to Dovecot over LMTP.

It behaves like a receiving mail server where tests need it to: unknown recipients are refused at RCPT time
with 550, a message is accepted (250) only after Dovecot stored it, and a switchable failure mode answers 451
or 550 on demand. Every accepted message is recorded once (append-only, thread-safe, optionally as JSON lines)
so a test can count exactly what the server received, e.g. after killing a sender.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import smtplib
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from kommunetest.sandbox.ports import free_port


class _QuietDeprecation(logging.Filter):
    """aiosmtpd warns on every AUTH that its own legacy `login_data` is deprecated: noise, not ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietDeprecation())

HOST = "127.0.0.1"
RELAY_HOSTNAME = "relay.kommunetest.test"  # given explicitly: the default would ask DNS for our own name


@dataclass(frozen=True)
class ReceivedMessage:
    """One message the relay accepted (answered 250 to), as a test counts it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message_id: str | None
    size: int
    received_at: datetime
    failed_rcpts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["rcpt_tos"] = list(self.rcpt_tos)
        d["failed_rcpts"] = list(self.failed_rcpts)
        d["received_at"] = self.received_at.isoformat()
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ReceivedMessage:
        return cls(
            mail_from=d["mail_from"],
            rcpt_tos=tuple(d["rcpt_tos"]),
            message_id=d.get("message_id"),
            size=int(d["size"]),
            received_at=datetime.fromisoformat(d["received_at"]),
            failed_rcpts=tuple(d.get("failed_rcpts", ())),
        )


def read_record(path: Path) -> list[ReceivedMessage]:
    """Read a relay's JSON-lines record (a torn last line from a crash is ignored)."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(ReceivedMessage.from_json(json.loads(line)))
        except (ValueError, KeyError):
            continue
    return out


class DeliveryError(Exception):
    """LMTP did not take a message for a recipient; `code` is the SMTP reply code to pass on."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


class LmtpClient:
    """Delivers into Dovecot over LMTP, reusing idle connections (one transaction per recipient, because
    smtplib.LMTP reads only one reply after DATA where LMTP sends one per recipient)."""

    def __init__(self, host: str, port: Callable[[], int], timeout: float = 30.0) -> None:
        self.host = host
        self._port = port
        self.timeout = timeout
        self._idle: queue.LifoQueue[smtplib.LMTP] = queue.LifoQueue()

    def _connection(self) -> smtplib.LMTP:
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            try:
                if conn.noop()[0] == 250:
                    return conn
            except (smtplib.SMTPException, OSError):
                pass
            _close(conn)
        try:
            conn = smtplib.LMTP(local_hostname=RELAY_HOSTNAME, timeout=self.timeout)
            conn.connect(self.host, self._port())
            conn.ehlo_or_helo_if_needed()
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(451, f"4.4.1 mailbox server unavailable ({e})") from e
        return conn

    def deliver(self, raw: bytes, rcpt: str, mail_from: str = "", options: tuple[str, ...] = ()) -> None:
        """Store `raw` for one recipient or raise DeliveryError."""
        conn = self._connection()
        ext = {"BODY": "8bitmime", "SMTPUTF8": "smtputf8"}
        opts = [o for o in options if conn.has_extn(ext.get(o.split("=")[0].upper(), "-"))]
        try:
            conn.sendmail(mail_from, [rcpt], raw, mail_options=opts)
        except smtplib.SMTPRecipientsRefused as e:
            code, msg = e.recipients[rcpt]
            self._idle.put(conn)
            raise DeliveryError(code, msg.decode(errors="replace")) from e
        except smtplib.SMTPResponseException as e:
            _close(conn)
            raise DeliveryError(e.smtp_code, e.smtp_error.decode(errors="replace")) from e
        except (smtplib.SMTPException, OSError) as e:
            _close(conn)
            raise DeliveryError(451, f"4.4.1 mailbox server unavailable ({e})") from e
        self._idle.put(conn)

    def close(self) -> None:
        while True:
            try:
                _close(self._idle.get_nowait())
            except queue.Empty:
                return


def _close(conn: smtplib.LMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


@dataclass
class _Failures:
    temp_left: int = 0
    temp_code: int = 451
    temp_message: str = "4.3.0 Temporary failure (kommunetest test mode), try again later"
    rcpt: dict[str, tuple[int, str]] = field(default_factory=dict)


class SmtpRelay:
    """aiosmtpd server on a loopback port; `deliver` stores a message, `is_known` says if a recipient exists.

    AUTH PLAIN/LOGIN is offered without TLS (loopback only) and checked by `check_login` when given; it is
    optional, so unauthenticated clients may send too.
    """

    def __init__(
        self,
        deliver: Callable[[bytes, str, str, tuple[str, ...]], None],
        is_known: Callable[[str], bool],
        *,
        check_login: Callable[[str, str], bool] | None = None,
        record_path: Path | None = None,
        port: int = 0,
    ) -> None:
        self._deliver = deliver
        self._is_known = is_known
        self._check_login = check_login
        self.host = HOST
        self.port = port
        self.record_path = record_path
        self._received: list[ReceivedMessage] = []
        self._cond = threading.Condition()
        self._failures = _Failures()
        self.refused = 0  # DATA answered with an error (failure mode or LMTP failure)
        self._controller: Controller | None = None

    # -- control -------------------------------------------------------------------------------------------
    def start(self) -> SmtpRelay:
        if self._controller is not None:
            return self
        self.port = self.port or free_port()
        kwargs: dict[str, Any] = {}
        if self._check_login is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False, auth_required=False)
        controller = Controller(
            _Handler(self),
            hostname=self.host,
            port=self.port,
            server_hostname=RELAY_HOSTNAME,
            enable_SMTPUTF8=True,
            ident="kommunetest sandbox relay",
            **kwargs,
        )
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def fail_next(self, n: int, code: int = 451, message: str | None = None) -> None:
        """Answer the next `n` messages (at end of DATA) with `code` instead of delivering them."""
        with self._cond:
            self._failures.temp_left = n
            self._failures.temp_code = code
            if message:
                self._failures.temp_message = message

    def reject_recipient(self, address: str, code: int = 550, message: str | None = None) -> None:
        """Refuse `address` at RCPT time with `code` until clear_failures()."""
        text = message or f"5.1.1 <{address}>: Recipient address rejected (kommunetest test mode)"
        with self._cond:
            self._failures.rcpt[address.strip().lower()] = (code, text)

    def clear_failures(self) -> None:
        with self._cond:
            self._failures = _Failures()

    # -- record --------------------------------------------------------------------------------------------
    @property
    def received(self) -> list[ReceivedMessage]:
        """A snapshot of every accepted message, oldest first."""
        with self._cond:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[ReceivedMessage]:
        """Wait until at least `count` messages were accepted; returns the snapshot (raises on timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"relay accepted {len(self._received)} of {count} messages")
                self._cond.wait(left)
            return list(self._received)

    def _record(self, msg: ReceivedMessage) -> None:
        with self._cond:
            self._received.append(msg)
            if self.record_path is not None:
                with self.record_path.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(msg.to_json(), ensure_ascii=False) + "\n")
            self._cond.notify_all()

    # -- SMTP hooks (called by _Handler) -------------------------------------------------------------------
    def _authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self._check_login is not None
        if isinstance(auth_data, LoginPassword):
            ok = self._check_login(auth_data.login.decode(), auth_data.password.decode())
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    def _rcpt_reply(self, address: str) -> str | None:
        a = address.strip().lower()
        with self._cond:
            forced = self._failures.rcpt.get(a)
        if forced:
            return f"{forced[0]} {forced[1]}"
        if not self._is_known(a):
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        return None

    async def _data_reply(self, envelope: Envelope) -> str:
        with self._cond:
            if self._failures.temp_left > 0:
                self._failures.temp_left -= 1
                self.refused += 1
                return f"{self._failures.temp_code} {self._failures.temp_message}"
        raw = envelope.original_content or b""
        options = tuple(o for o in envelope.mail_options if o.upper().startswith(("BODY=", "SMTPUTF8")))
        delivered: list[str] = []
        failed: list[DeliveryError] = []
        for rcpt in envelope.rcpt_tos:
            try:
                await asyncio.to_thread(self._deliver, raw, rcpt, envelope.mail_from or "", options)
                delivered.append(rcpt)
            except DeliveryError as e:
                failed.append(e)
        if not delivered:
            with self._cond:
                self.refused += 1
            e = failed[0]
            return f"{e.code} {e.message}" if e.code >= 400 else f"451 {e.message}"
        headers = BytesHeaderParser().parsebytes(raw, headersonly=True)
        mid = headers.get("Message-ID")
        self._record(
            ReceivedMessage(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(delivered),
                message_id=str(mid).strip() if mid else None,
                size=len(raw),
                received_at=datetime.now(UTC),
                failed_rcpts=tuple(r for r in envelope.rcpt_tos if r not in delivered),
            )
        )
        return "250 2.0.0 OK: delivered"


class _Handler:
    """aiosmtpd handler hooks, delegating to the relay."""

    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.relay._rcpt_reply(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        # Shielded: aiosmtpd cancels the handler when the client disconnects, which would leave a message
        # delivered to some recipients and unrecorded. Like a real MTA, once the final "." is in, finish.
        return await asyncio.shield(self.relay._data_reply(envelope))
