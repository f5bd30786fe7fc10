"""Delivery status notifications (RFC 3464): the per-recipient fields of a bounce.

A bounce must not stop the clock, and the address that failed tells the coordinator which postmottak
address in the register is wrong, so the fields are read per recipient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32

from kommunetest.channels.email.decode import decode_header_value, unescape_surrogates


@dataclass(frozen=True)
class DsnRecipient:
    final_recipient: str | None
    action: str | None  # failed, delayed, delivered, relayed, expanded
    status: str | None  # e.g. "5.1.1"
    diagnostic_code: str | None = None
    original_recipient: str | None = None
    remote_mta: str | None = None


@dataclass(frozen=True)
class Dsn:
    reporting_mta: str | None = None
    arrival_date: str | None = None
    recipients: list[DsnRecipient] = field(default_factory=list)

    @property
    def failed(self) -> list[DsnRecipient]:
        """Recipients whose delivery failed for good (action failed, or a 5.x.x status without action)."""
        return [
            r
            for r in self.recipients
            if (r.action or "").lower() == "failed" or (not r.action and (r.status or "").startswith("5"))
        ]


def parse_dsn(part: Message, defects: list[str]) -> Dsn | None:
    """Read a message/delivery-status part; None when it holds no field at all."""
    blocks = _blocks(part, defects)
    if not blocks:
        return None
    head, rest = blocks[0], blocks[1:]
    if _is_recipient_block(head):
        head, rest = {}, blocks
    recipients = [
        DsnRecipient(
            final_recipient=_address(b.get("final-recipient")),
            original_recipient=_address(b.get("original-recipient")),
            action=(b.get("action") or "").strip().lower() or None,
            status=_status(b.get("status")),
            diagnostic_code=_after_type(b.get("diagnostic-code")),
            remote_mta=_after_type(b.get("remote-mta")),
        )
        for b in rest
        if _is_recipient_block(b)
    ]
    return Dsn(
        reporting_mta=_after_type(head.get("reporting-mta")),
        arrival_date=head.get("arrival-date"),
        recipients=recipients,
    )


def _blocks(part: Message, defects: list[str]) -> list[dict[str, str]]:
    try:
        payload = part.get_payload()
    except Exception:
        payload = None
    blocks: list[dict[str, str]] = []
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                try:
                    items = list(sub.raw_items()) if hasattr(sub, "raw_items") else list(sub.items())
                except Exception:
                    continue
                block = _fields(items)
                if block:
                    blocks.append(block)
        return blocks
    text = payload if isinstance(payload, str) else ""
    try:
        decoded = part.get_payload(decode=True)
        if isinstance(decoded, bytes):
            text = decoded.decode("utf-8", "replace")
    except Exception:
        pass
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", text):
        if not chunk.strip():
            continue
        try:
            parsed = HeaderParser(policy=compat32).parsestr(chunk.strip() + "\n")
            block = _fields(list(parsed.items()))
        except Exception:
            defects.append("unreadable delivery-status block")
            continue
        if block:
            blocks.append(block)
    return blocks


def _fields(items: list[tuple[str, object]]) -> dict[str, str]:
    block: dict[str, str] = {}
    for name, value in items:
        key = unescape_surrogates(str(name)).strip().lower()
        block.setdefault(key, decode_header_value(str(value)))
    return block


def _is_recipient_block(block: dict[str, str]) -> bool:
    return "final-recipient" in block or "action" in block or "status" in block


def _after_type(value: str | None) -> str | None:
    """ "rfc822; a@b" → "a@b", "smtp; 550 ..." → "550 ..."."""
    if not value:
        return None
    _, sep, rest = value.partition(";")
    return (rest if sep else value).strip() or None


def _address(value: str | None) -> str | None:
    addr = _after_type(value)
    return addr.strip("<>").strip().lower() if addr else None


def _status(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"\b[245]\.\d{1,3}\.\d{1,3}\b", value)
    return m.group(0) if m else value.strip()[:20] or None
