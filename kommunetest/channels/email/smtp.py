"""One SMTP transaction per message with aiosmtplib, split at the only moment that matters for a crash.

An SMTP server accepts a message only when it receives the final "." of DATA. `SmtpSessions.transaction`
writes the dot-stuffed message, calls `before_end` (which commits "the end of DATA may now reach the
server"), and only then writes the final ".". A crash before that commit means the server discarded the
message; after it, the persona's mailbox tells (see `outbox.py`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import aiosmtplib
from aiosmtplib.errors import SMTPAuthenticationError, SMTPException, SMTPResponseException

from kommunetest.settings import Persona

_LINE_ENDS = re.compile(rb"\r\n|\r(?!\n)|(?<!\r)\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


class SmtpFailure(Exception):
    """A failed transaction. `kind`: temporary (try again later: not accepted), permanent (5xx for this
    message), persona (the persona's account or server is the problem) or ambiguous (the connection broke
    after the end of DATA may have been written: only the persona's mailbox can tell)."""

    def __init__(self, kind: str, code: int | None, text: str, stage: str) -> None:
        super().__init__(f"{stage}: {code} {text}" if code else f"{stage}: {text}")
        self.kind = kind
        self.code = code
        self.text = text
        self.stage = stage


@dataclass(frozen=True)
class Accepted:
    code: int
    text: str
    self_copy: bool  # the server took the persona's own address as a second recipient


def dot_stuffed(raw: bytes) -> bytes:
    """The DATA payload without its terminator: CRLF line ends, leading dots doubled (RFC 5321 4.5.2)."""
    data = _LEADING_DOT.sub(b"..", _LINE_ENDS.sub(b"\r\n", raw))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _by_code(code: int, text: str, stage: str, permanent: str = "permanent") -> SmtpFailure:
    return SmtpFailure("temporary" if 400 <= code < 500 else permanent, code, text, stage)


class SmtpSessions:
    """One open connection per persona, reused for its next message; a broken one is dropped."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, *, timeout: float, env: Mapping[str, str] | None
    ) -> None:
        self.loop = loop
        self.timeout = timeout
        self.env = env
        self._open: dict[str, aiosmtplib.SMTP] = {}

    async def _connect(self, persona: Persona) -> aiosmtplib.SMTP:
        smtp = aiosmtplib.SMTP(
            hostname=persona.smtp_host,
            port=persona.smtp_port,
            use_tls=persona.smtp_tls == "tls",
            start_tls=persona.smtp_tls == "starttls",
            # Given explicitly: the default asks DNS for our own name, and the persona's domain is what its
            # own mail client would not reveal more than.
            local_hostname=persona.email.rsplit("@", 1)[-1].lower(),
            timeout=self.timeout,
        )
        where = f"{persona.smtp_host}:{persona.smtp_port}"
        try:
            await smtp.connect()
            password = persona.password(self.env)
            if password is not None:
                await smtp.ehlo()
                if smtp.supports_extension("auth"):
                    await smtp.login(persona.username or persona.email, password)
        except SMTPAuthenticationError as e:
            smtp.close()
            raise SmtpFailure("persona", e.code, e.message, f"login to {where}") from e
        except SMTPResponseException as e:
            smtp.close()
            raise _by_code(e.code, e.message, f"connect to {where}", "persona") from e
        except (TimeoutError, SMTPException, OSError) as e:
            smtp.close()
            raise SmtpFailure("temporary", None, str(e) or type(e).__name__, f"connect to {where}") from e
        return smtp

    def drop(self, persona_id: str) -> None:
        smtp = self._open.pop(persona_id, None)
        if smtp is not None:
            smtp.close()

    def transaction(
        self, persona: Persona, raw: bytes, recipient: str, before_end: Callable[[], None]
    ) -> Accepted:
        """Send `raw` to `recipient` and (Bcc, envelope only) to the persona itself. Raises SmtpFailure."""
        return self.loop.run_until_complete(self._transaction(persona, raw, recipient, before_end))

    async def _transaction(
        self, persona: Persona, raw: bytes, recipient: str, before_end: Callable[[], None]
    ) -> Accepted:
        reused = persona.id in self._open
        for fresh_try in (False, True):
            smtp = self._open.get(persona.id)
            if smtp is None or not smtp.is_connected:
                self._open.pop(persona.id, None)
                smtp = self._open[persona.id] = await self._connect(persona)
            try:
                return await self._send(smtp, persona, raw, recipient, before_end)
            except SmtpFailure as e:
                self.drop(persona.id)
                # A reused connection the server closed while idle: one more go on a new one, at once.
                if (
                    e.kind == "temporary"
                    and e.stage == "MAIL FROM"
                    and e.code is None
                    and reused
                    and not fresh_try
                ):
                    continue
                raise
            except BaseException:
                # Anything else (the store failing in before_end, an interrupt) leaves the server mid-DATA:
                # close without a word, so that it discards the message (QUIT would become part of it).
                self.drop(persona.id)
                raise
        raise AssertionError("unreachable")

    async def _send(
        self,
        smtp: aiosmtplib.SMTP,
        persona: Persona,
        raw: bytes,
        recipient: str,
        before_end: Callable[[], None],
    ) -> Accepted:
        stage = "MAIL FROM"
        data_end = False
        try:
            try:
                await smtp.mail(persona.email)
            except SMTPResponseException as e:
                raise _by_code(e.code, e.message, stage, "persona") from e
            stage = "RCPT TO"
            try:
                await smtp.rcpt(recipient)
            except SMTPResponseException as e:
                raise _by_code(e.code, e.message, f"RCPT TO:<{recipient}>") from e
            self_copy = True
            try:
                await smtp.rcpt(persona.email)
            except SMTPResponseException:
                self_copy = False  # the municipality still gets it; reconciliation falls back on Sent
            stage = "DATA"
            response = await smtp.execute_command(b"DATA")
            if response.code != 354:
                raise _by_code(response.code, response.message, stage)
            protocol = smtp.protocol
            if protocol is None:
                raise aiosmtplib.SMTPServerDisconnected("connection lost")
            protocol.write(dot_stuffed(raw))
            before_end()
            data_end = True
            protocol.write(b".\r\n")
            stage = "end of DATA"
            response = await protocol.read_response(timeout=self.timeout)
            if response.code != 250:
                raise _by_code(response.code, response.message, stage)
            return Accepted(response.code, response.message, self_copy)
        except SmtpFailure:
            raise
        except (TimeoutError, SMTPException, OSError) as e:
            text = str(e) or type(e).__name__
            raise SmtpFailure("ambiguous" if data_end else "temporary", None, text, stage) from e

    def close(self) -> None:
        async def quit_all() -> None:
            for smtp in list(self._open.values()):
                try:
                    await asyncio.wait_for(smtp.quit(), timeout=5)
                except (TimeoutError, SMTPException, OSError):
                    smtp.close()

        if self._open and not self.loop.is_closed():
            self.loop.run_until_complete(quit_all())
        self._open.clear()
