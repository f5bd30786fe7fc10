"""Raw message bytes → `ParsedMail`, for any input, without ever raising.

Replies come from Exchange, Outlook rules, archive systems, gateways and mailer daemons, and some of them are
broken: wrong or missing charsets, 8-bit headers, HTML only, nested multiparts, huge attachments, no Date.
The inbox must store and classify every one of them, so `parse_mail` turns what it cannot read into
`defects` and, when nothing usable is left, `quarantine_reason`, instead of an exception.

Headers are read with `email.policy.default` and, where its structured parsing fails, from the raw value as
`compat32` would (encoded words decoded leniently, 8-bit bytes read as UTF-8 or windows-1252).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from kommunetest.channels.email.decode import (
    decode_bytes,
    decode_header_value,
    html_charset,
    unescape_surrogates,
)
from kommunetest.channels.email.dsn import Dsn, parse_dsn
from kommunetest.channels.email.htmltext import html_to_text
from kommunetest.channels.email.quoting import SplitText, split_text

MAX_BODY_CHARS = 2_000_000  # more text than any reply holds; the rest is cut with a defect
MAX_DEPTH = 40  # multipart nesting followed; deeper parts are reported, not read
_ADDRESS_HEADERS = ("from", "to", "cc", "reply-to", "sender")


class Headers(Mapping[str, str]):
    """Decoded header fields with case-insensitive access; `get_all` for repeated fields."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = list(items)
        self._index: dict[str, list[str]] = {}
        self._names: dict[str, str] = {}
        for name, value in self._items:
            key = name.lower()
            self._index.setdefault(key, []).append(value)
            self._names.setdefault(key, name)

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()][0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._names)

    def get_all(self, name: str) -> list[str]:
        return list(self._index.get(name.lower(), []))

    def raw_items(self) -> list[tuple[str, str]]:
        """Every field in message order, repeats included."""
        return list(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


@dataclass(frozen=True)
class Attachment:
    """A part that is not body text. `size` is the decoded size in bytes, estimated without decoding."""

    filename: str | None
    content_type: str
    size: int
    disposition: str | None = None
    content_id: str | None = None


@dataclass
class ParsedMail:
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str | None = None
    from_name: str | None = None
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: datetime | None = None
    headers: Headers = field(default_factory=lambda: Headers([]))
    content_type: str = "text/plain"
    report_type: str | None = (
        None  # multipart/report's report-type: delivery-status, disposition-notification
    )
    text: str = ""  # best plain-text body: text/plain parts, else the HTML converted
    text_source: str = "none"  # "plain", "html" or "none"
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    dsn: Dsn | None = None
    quarantine_reason: str | None = None
    raw_size: int = 0

    @property
    def is_dsn(self) -> bool:
        """A delivery status notification (RFC 3464), whatever its action."""
        return self.dsn is not None or self.report_type == "delivery-status"

    def split(self) -> SplitText:
        """The body as new text, signature and quoted text."""
        return split_text(self.text)

    def quoted_split(self) -> tuple[str, str]:
        """(new text without the signature, quoted text)."""
        parts = self.split()
        return parts.new, parts.quoted


def parse_mail(raw: bytes | bytearray | memoryview | str) -> ParsedMail:
    """Parse one message. Never raises; see `ParsedMail.defects` and `quarantine_reason`."""
    data = _as_bytes(raw)
    if not data.strip():
        return ParsedMail(quarantine_reason="empty message", raw_size=len(data))
    errors: list[str] = []
    for pol in (policy.default, policy.compat32):
        try:
            msg = BytesParser(policy=pol).parsebytes(data)
            mail = _extract(msg, data)
        except Exception as exc:  # the fallback exists because the stdlib raises on odd input
            errors.append(f"{pol.__class__.__name__}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if errors:
            mail.defects.insert(0, f"parsed with compat32 after: {errors[0]}")
        return mail
    return ParsedMail(
        quarantine_reason="unparseable: " + "; ".join(errors), defects=errors, raw_size=len(data)
    )


def _as_bytes(raw: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(raw, str):
        return raw.encode("utf-8", errors="surrogateescape")
    return bytes(raw)


def _extract(msg: Message, data: bytes) -> ParsedMail:
    defects: list[str] = []
    mail = ParsedMail(raw_size=len(data), defects=defects)
    mail.headers = _headers(msg, defects)
    _fill_envelope(mail, msg, defects)
    mail.content_type = _safe(lambda: msg.get_content_type(), "text/plain")
    if mail.content_type == "multipart/report":
        report = _safe(lambda: msg.get_param("report-type"), None)
        mail.report_type = str(report).strip().lower() if isinstance(report, str) else None
    walker = _Walker(defects)
    walker.walk(msg)
    mail.attachments = walker.attachments
    mail.dsn = walker.dsn
    body = walker.body(msg)
    mail.text, mail.text_source, mail.html = body
    if len(mail.text) > MAX_BODY_CHARS:
        mail.text = mail.text[:MAX_BODY_CHARS]
        defects.append(f"body text cut at {MAX_BODY_CHARS} characters")
    defects.extend(walker.defects_of_parts)
    mail.quarantine_reason = _quarantine(mail)
    return mail


def _safe(fn, default):  # type: ignore[no-untyped-def]
    try:
        return fn()
    except Exception:
        return default


def _headers(msg: Message, defects: list[str]) -> Headers:
    items: list[tuple[str, str]] = []
    try:
        raw_items = list(msg.raw_items()) if hasattr(msg, "raw_items") else list(msg._headers)  # type: ignore[attr-defined]
    except Exception as exc:
        defects.append(f"headers unreadable: {type(exc).__name__}")
        return Headers([])
    for name, value in raw_items:
        name_text = unescape_surrogates(str(name)).strip()
        items.append((name_text, decode_header_value(_raw_text(value), defects, name_text)))
    return Headers(items)


def _raw_text(value: object) -> str:
    """The source text of a header value, whether the policy stored a string or a header object."""
    if isinstance(value, str):
        return value
    return str(value)


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in _safe(lambda: list(msg.raw_items()), []):
        if str(key).lower() == name:
            return _raw_text(value)
    return None


def _fill_envelope(mail: ParsedMail, msg: Message, defects: list[str]) -> None:
    h = mail.headers
    mail.subject = h.get("subject", "") or ""
    mail.message_id = _first_id(h.get("message-id"))
    mail.in_reply_to = _first_id(h.get("in-reply-to"))
    mail.references = _ids(h.get_all("references"))
    senders = _addresses(msg, "from", defects)
    if senders:
        mail.from_name, mail.from_addr = senders[0]
    mail.to = [addr for _, addr in _addresses(msg, "to", defects) if addr]
    mail.cc = [addr for _, addr in _addresses(msg, "cc", defects) if addr]
    mail.date = _date(h.get("date"), defects)
    if not h.get("date"):
        defects.append("no Date header")
    if not mail.message_id:
        defects.append("no Message-ID header")


def _first_id(value: str | None) -> str | None:
    if not value:
        return None
    ids = _ids([value])
    return ids[0] if ids else value.strip()[:998] or None


def _ids(values: list[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        matches = re.findall(r"<[^<>\s]+>", value)
        found.extend(matches if matches else [v for v in value.split() if "@" in v])
    return found


def _addresses(msg: Message, name: str, defects: list[str]) -> list[tuple[str | None, str | None]]:
    """(display name, address) pairs: policy.default's parser first, the raw compat32 reading as fallback."""
    raw = _raw_header(msg, name)
    if raw is None:
        return []
    try:
        header = msg[name]
        addresses = header.addresses  # type: ignore[union-attr]
        pairs = [(str(a.display_name), str(a.addr_spec)) for a in addresses]
        if any(_bad(n) or _bad(a) for n, a in pairs) or getattr(header, "defects", ()):
            raise ValueError("defective address header")
    except Exception:
        try:
            parsed = getaddresses([raw])
        except Exception:
            defects.append(f"header {name}: unparseable addresses")
            return []
        pairs = [(decode_header_value(n, defects, name), unescape_surrogates(a)) for n, a in parsed]
    result: list[tuple[str | None, str | None]] = []
    for display, addr in pairs:
        addr_clean = addr.strip().strip("<>").strip() if addr else ""
        if addr_clean in {"", "@", "<>"}:
            addr_clean = ""
        result.append((display.strip() or None, addr_clean.lower() or None))
    return [pair for pair in result if pair[1] or pair[0]]


def _bad(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" or ch == "\ufffd" for ch in text)


def _date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:
        defects.append(f"unparseable Date {value[:60]!r}")
        return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _quarantine(mail: ParsedMail) -> str | None:
    has_body = bool(mail.text.strip()) or bool(mail.attachments) or mail.dsn is not None
    if not mail.headers and not has_body:
        return "no headers and no body"
    if not has_body and not mail.from_addr and not mail.subject:
        return "no sender, no subject and no body"
    return None


class _Walker:
    """One pass over the MIME tree (iterative, depth-limited): attachments, DSN fields, part defects."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.attachments: list[Attachment] = []
        self.dsn: Dsn | None = None
        self.defects_of_parts: list[str] = []

    def walk(self, root: Message) -> None:
        stack: list[tuple[Message, int]] = [(root, 0)]
        seen = 0
        while stack:
            part, depth = stack.pop()
            seen += 1
            for d in _safe(lambda p=part: list(p.defects), []):
                text = type(d).__name__
                if text not in self.defects_of_parts:
                    self.defects_of_parts.append(text)
            ctype = _safe(lambda p=part: p.get_content_type(), "application/octet-stream")
            if depth > MAX_DEPTH:
                self.defects_of_parts.append(f"nesting deeper than {MAX_DEPTH} parts ignored")
                continue
            if ctype in ("message/delivery-status", "message/global-delivery-status"):
                dsn = parse_dsn(part, self.defects)
                if dsn is not None and self.dsn is None:
                    self.dsn = dsn
                continue
            if ctype in ("text/rfc822-headers", "message/global-headers"):
                continue
            payload = _safe(lambda p=part: p.get_payload(), None)
            if ctype == "message/rfc822" or (ctype.startswith("message/") and isinstance(payload, list)):
                self.attachments.append(_attachment(part, ctype))
                continue
            if isinstance(payload, list):
                children = [c for c in payload if isinstance(c, Message)]
                stack.extend((c, depth + 1) for c in reversed(children))
                continue
            if _is_attachment(part, ctype):
                self.attachments.append(_attachment(part, ctype))

    def body(self, root: Message) -> tuple[str, str, str | None]:
        """(text, source, html) chosen by structure: alternatives prefer text/plain, mixed parts concatenate."""
        plains: list[str] = []
        htmls: list[str] = []
        self._collect(root, 0, plains, htmls)
        plain_text = "\n\n".join(t.strip("\n") for t in plains if t.strip())
        html = "\n".join(htmls) if htmls else None
        if plain_text.strip():
            return _tidy(plain_text), "plain", html
        if html:
            return _tidy(html_to_text(html[: MAX_BODY_CHARS * 2])), "html", html
        return "", "none", None

    def _collect(self, part: Message, depth: int, plains: list[str], htmls: list[str]) -> None:
        if depth > MAX_DEPTH:
            return
        ctype = _safe(lambda: part.get_content_type(), "text/plain")
        payload = _safe(lambda: part.get_payload(), None)
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            return
        if isinstance(payload, list):
            children = [c for c in payload if isinstance(c, Message)]
            if ctype == "multipart/alternative":
                self._collect_alternative(children, depth, plains, htmls)
            elif ctype == "multipart/report" and children:
                self._collect(children[0], depth + 1, plains, htmls)
            else:
                for child in children:
                    self._collect(child, depth + 1, plains, htmls)
            return
        if ctype.startswith("multipart/") and isinstance(payload, str):
            # A multipart without a usable boundary: its payload is plain text.
            plains.append(self._text_of(part, html=False))
            return
        if _is_attachment(part, ctype) or not ctype.startswith("text/"):
            return
        if ctype == "text/html":
            htmls.append(self._text_of(part, html=True))
        else:
            plains.append(self._text_of(part, html=False))

    def _collect_alternative(
        self, children: list[Message], depth: int, plains: list[str], htmls: list[str]
    ) -> None:
        options: list[tuple[list[str], list[str]]] = []
        for child in children:
            p: list[str] = []
            h: list[str] = []
            self._collect(child, depth + 1, p, h)
            options.append((p, h))
        for p, _ in options:
            if any(t.strip() for t in p):
                plains.extend(p)
                break
        for _, h in reversed(options):
            if h:
                htmls.extend(h)
                break

    def _text_of(self, part: Message, *, html: bool) -> str:
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            self.defects.append(f"undecodable body part ({type(exc).__name__})")
            data = None
        if data is None:
            data = _safe(lambda: str(part.get_payload()).encode("utf-8", "surrogateescape"), b"")
        if not isinstance(data, bytes):
            data = bytes(data) if isinstance(data, bytearray) else b""
        if len(data) > MAX_BODY_CHARS * 2:
            self.defects.append("body part larger than the limit, cut")
            data = data[: MAX_BODY_CHARS * 2]
        charset = _safe(lambda: part.get_content_charset(), None)
        if html and not charset:
            charset = html_charset(data)
        return decode_bytes(data, charset, self.defects).replace("\x00", "")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _tidy(text: str) -> str:
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n")


def _is_attachment(part: Message, ctype: str) -> bool:
    disposition = _safe(lambda: part.get_content_disposition(), None)
    if disposition == "attachment":
        return True
    if ctype.startswith("multipart/"):
        return False
    if not ctype.startswith("text/"):
        return True
    if ctype not in ("text/plain", "text/html"):
        return True
    return bool(_filename(part)) and disposition != "inline"


def _filename(part: Message) -> str | None:
    name = _safe(lambda: part.get_filename(), None)
    if not name:
        name = _safe(lambda: part.get_param("name"), None)
    if isinstance(name, tuple):  # RFC 2231 triple from compat32
        name = name[2]
    return decode_header_value(name) if isinstance(name, str) and name else None


def _attachment(part: Message, ctype: str) -> Attachment:
    name = _filename(part)
    if ctype == "message/rfc822" and not name:
        inner = _safe(lambda: part.get_payload(0), None)
        subject = _safe(lambda: inner["subject"], None) if inner is not None else None
        name = decode_header_value(str(subject)) + ".eml" if subject else None
    cid = _safe(lambda: part.get("content-id"), None)
    return Attachment(
        filename=name,
        content_type=ctype,
        size=_encoded_size(part),
        disposition=_safe(lambda: part.get_content_disposition(), None),
        content_id=str(cid).strip() if cid else None,
    )


def _encoded_size(part: Message) -> int:
    """Decoded size from the transfer-encoded payload, without decoding it into memory."""
    payload = _safe(lambda: part.get_payload(), "")
    if isinstance(payload, list):
        return sum(_encoded_size(p) for p in payload if isinstance(p, Message))
    if not isinstance(payload, str):
        return 0
    cte = str(_safe(lambda: part.get("content-transfer-encoding", ""), "") or "").strip().lower()
    if cte == "base64":
        chars = len(payload) - sum(payload.count(c) for c in " \t\r\n")
        padding = payload.rstrip().count("=", -3) if payload else 0
        return max(chars * 3 // 4 - min(padding, 2), 0)
    if cte == "quoted-printable":
        return len(payload) - 2 * payload.count("=") - payload.count("\n")
    return len(payload.encode("utf-8", "surrogateescape"))
