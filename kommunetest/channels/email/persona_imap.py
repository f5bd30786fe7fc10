"""The persona's own mailbox, as the sending side uses it: keep a copy in Sent, find a message by Message-ID.

Reading replies is the inbox's business (`inbox.py`); this module only does what a mail client does after
sending, and what crash reconciliation needs: is this Message-ID in the persona's INBOX (our Bcc self-copy)
or in Sent?
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Mapping
from datetime import datetime
from types import TracebackType

from imapclient import IMAPClient
from imapclient import imapclient as _flags
from imapclient.exceptions import IMAPClientError

from kommunetest.errors import ConfigError, RemoteError
from kommunetest.settings import Persona

SENT_FOLDER = "Sent"
IMAP_ERRORS = (IMAPClientError, OSError, ssl.SSLError)


class PersonaMailbox:
    """One logged-in IMAP connection to a persona's mailbox (a context manager)."""

    def __init__(
        self, persona: Persona, *, env: Mapping[str, str] | None = None, timeout: float = 60.0
    ) -> None:
        password = persona.password(env)
        if password is None:
            raise ConfigError(
                f"persona {persona.id}: no password, so its mailbox cannot be opened",
                hint=f"set {persona.password_env} in the environment",
            )
        self.persona = persona
        try:
            self.client = IMAPClient(
                persona.imap_host, port=persona.imap_port, ssl=persona.imap_tls == "tls", timeout=timeout
            )
            if persona.imap_tls == "starttls":
                self.client.starttls(ssl.create_default_context())
            self.client.login(persona.username or persona.email, password)
        except IMAP_ERRORS as e:
            raise RemoteError(
                f"persona {persona.id}: IMAP {persona.imap_host}:{persona.imap_port}: {e}",
                hint="check the persona's imap_host, imap_port, imap_tls and password",
            ) from e
        self._sent: str | None = None

    def __enter__(self) -> PersonaMailbox:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.client.logout()
        except IMAP_ERRORS:
            self.client.shutdown()

    def sent_folder(self, create: bool = True) -> str | None:
        """The folder marked \\Sent (RFC 6154) or named like one; "Sent" is created when there is none."""
        if self._sent is None:
            found = self.client.find_special_folder(_flags.SENT)
            if found is None and create:
                self.client.create_folder(SENT_FOLDER)
                with contextlib.suppress(IMAPClientError):
                    self.client.subscribe_folder(SENT_FOLDER)
                found = SENT_FOLDER
            self._sent = found
        return self._sent

    def find(self, message_id: str) -> str | None:
        """The first folder (INBOX, Sent, Junk) holding a message with this Message-ID, else None."""
        folders = ["INBOX"]
        sent = self.sent_folder(create=False)
        junk = self.client.find_special_folder(_flags.JUNK)
        folders += [f for f in (sent, junk) if f]
        for folder in folders:
            self.client.select_folder(folder, readonly=True)
            if self.client.search(["HEADER", "Message-ID", message_id]):
                return folder
        return None

    def in_sent(self, message_id: str) -> bool:
        folder = self.sent_folder()
        assert folder is not None
        self.client.select_folder(folder, readonly=True)
        return bool(self.client.search(["HEADER", "Message-ID", message_id]))

    def append_sent(self, raw: bytes, when: datetime, message_id: str | None = None) -> bool:
        """Append `raw` to Sent as read (\\Seen), dated `when`; with `message_id`, only if not there yet.
        Returns whether it appended."""
        folder = self.sent_folder()
        assert folder is not None
        if message_id and self.in_sent(message_id):
            return False
        self.client.append(folder, raw, flags=(_flags.SEEN,), msg_time=when)
        return True
