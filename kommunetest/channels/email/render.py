"""A probe's e-mail as a citizen's mail client would write it.

Plain UTF-8 text (quoted-printable), an ordinary header set and nothing else: no X-Mailer, no User-Agent, no
tracking, and a Message-ID that is a random UUID on the persona's own domain (as Thunderbird makes them), so
that nothing in the message reveals the tool.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from kommunetest.errors import ConfigError
from kommunetest.scenarios import Scenario, render_email
from kommunetest.settings import Persona, Settings

_KOMMUNE_SUFFIX = re.compile(r"\s+kommune\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class RenderedMail:
    message_id: str
    subject: str
    body: str
    sender: str  # the persona's address (envelope and From:)
    to: str
    date: datetime
    raw: bytes


def new_message_id(address: str) -> str:
    """`<uuid4@domain-of-address>`: random, on the sender's own domain, like a common mail client's."""
    domain = address.rsplit("@", 1)[-1].strip().lower()
    return f"<{uuid.uuid4()}@{domain}>"


def bare_name(name: str) -> str:
    """The municipality's name as templates want it: "Bodø kommune" -> "Bodø"."""
    return _KOMMUNE_SUFFIX.sub("", name).strip()


def recipient_address(settings: Settings, municipality: Mapping[str, Any]) -> str | None:
    """The address a probe goes to: `email.address_override` filled in, else the round's register snapshot."""
    template = settings.email.address_override.strip()
    if template:
        try:
            return template.format(kommunenummer=municipality["kommunenummer"]).strip()
        except (KeyError, IndexError, ValueError) as e:
            raise ConfigError(
                f"email.address_override = {template!r} cannot be filled in ({e})",
                hint="the only placeholder is {kommunenummer}, e.g. postmottak@{kommunenummer}.sim.kommunetest.test",
            ) from e
    address = (municipality.get("email") or "").strip()
    return address or None


def persona_mapping(persona: Persona) -> dict[str, str]:
    return {"name": persona.name, "address": persona.address, "city": persona.city}


def build_message(
    *,
    persona: Persona,
    to: str,
    subject: str,
    body: str,
    date: datetime,
    message_id: str,
    timezone: str = "Europe/Oslo",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> bytes:
    """The message's bytes (CRLF line ends), headers in the order a common mail client writes them."""
    msg = EmailMessage(policy=SMTP)
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(date.astimezone(ZoneInfo(timezone)))
    msg["MIME-Version"] = "1.0"
    msg["To"] = to
    msg["From"] = Address(display_name=persona.name, addr_spec=persona.email)
    msg["Subject"] = subject
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = " ".join(
            [*references, in_reply_to] if in_reply_to not in references else references
        )
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    return msg.as_bytes()


def render_probe(
    settings: Settings,
    *,
    scenario: Scenario,
    variant: int,
    persona: Persona,
    municipality: Mapping[str, Any],
    to: str,
    date: datetime,
    follow_up: bool = False,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> RenderedMail:
    """Render one probe's message for `persona` to `to`, dated `date` (the run's clock)."""
    subject, body = render_email(
        scenario, variant, persona_mapping(persona), bare_name(municipality["name"]), follow_up=follow_up
    )
    mid = new_message_id(persona.email)
    raw = build_message(
        persona=persona,
        to=to,
        subject=subject,
        body=body,
        date=date,
        message_id=mid,
        timezone=settings.calendar.timezone,
        in_reply_to=in_reply_to,
        references=references,
    )
    return RenderedMail(mid, subject, body, persona.email, to, date, raw)
