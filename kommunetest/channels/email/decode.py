"""Lenient decoding of header values and body bytes.

Municipal mail passes through old archive systems, scanners and gateways that label windows-1252 text as
ISO-8859-1 or UTF-8, put raw 8-bit bytes in headers and name charsets nobody knows. Nothing here raises: text
is decoded as well as the bytes allow and what went wrong is reported as a defect string.
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header

_LATIN1_FAMILY = frozenset({"iso8859-1", "latin-1", "ascii", "cp1252", "iso8859-15"})
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _latin1_fallback(err: UnicodeError) -> tuple[str, int]:
    """Error handler: bytes windows-1252 leaves undefined (0x81, 0x8D, ...) read as ISO-8859-1."""
    if isinstance(err, UnicodeDecodeError):
        return err.object[err.start : err.end].decode("latin-1"), err.end
    raise err


codecs.register_error("kommunetest-latin1", _latin1_fallback)


def codec_name(charset: str | None) -> str | None:
    """Python's codec name for a MIME charset label, or None when the label is empty or unknown."""
    if not charset:
        return None
    label = str(charset).strip().strip("\"'").lower()
    if not label or label in {"unknown-8bit", "x-unknown", "unknown", "8bit", "default"}:
        return None
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError, TypeError):
        return None


def cp1252(data: bytes) -> str:
    """Windows-1252 (the WHATWG reading of ISO-8859-1), never failing."""
    return data.decode("cp1252", errors="kommunetest-latin1")


def decode_bytes(data: bytes, charset: str | None, defects: list[str] | None = None, where: str = "") -> str:
    """Decode body bytes: the declared charset when it fits, else UTF-8, else windows-1252."""
    sink = defects if defects is not None else []
    codec = codec_name(charset)
    if charset and codec is None and str(charset).strip().lower() not in {"unknown-8bit", "x-unknown"}:
        sink.append(f"{where}unknown charset {str(charset)[:40]!r}")
    if data.isascii():
        return data.decode("ascii")
    if codec in _LATIN1_FAMILY:
        # Mislabelled UTF-8 is common ("Ã¸" otherwise); genuine windows-1252 text is almost never valid UTF-8.
        try:
            text = data.decode("utf-8")
            sink.append(f"{where}declared {charset}, decoded as utf-8")
            return text
        except UnicodeDecodeError:
            return data.decode("iso8859-15") if codec == "iso8859-15" else cp1252(data)
    if codec is not None:
        text = _try(data, codec)
        if text is not None:
            return text
        sink.append(f"{where}bytes do not fit declared charset {charset}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if codec is None and charset is None:
            sink.append(f"{where}no charset declared, decoded as windows-1252")
        return cp1252(data)


def _try(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    except Exception:  # some codecs raise other errors on odd input
        return None


def html_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in a <meta> tag (first 4 KiB), if any."""
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "replace") if m else None


def unescape_surrogates(value: str) -> str:
    """Header text holding raw 8-bit bytes (as surrogate escapes) decoded as UTF-8, else windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", errors="surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return cp1252(data)


def decode_header_value(value: object, defects: list[str] | None = None, name: str = "") -> str:
    """A header value as readable text: RFC 2047 words decoded, bad charsets survived, folding removed."""
    sink = defects if defects is not None else []
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    text = unescape_surrogates(text)
    text = re.sub(r"\r?\n[ \t]+", " ", text).replace("\r", "").replace("\n", " ")
    if "=?" not in text or not _ENCODED_WORD.search(text):
        return text.strip()
    try:
        chunks = decode_header(text)
    except Exception as exc:
        sink.append(f"header {name}: undecodable encoded word ({type(exc).__name__})")
        return text.strip()
    out: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        codec = codec_name(charset)
        if charset and codec is None:
            sink.append(f"header {name}: unknown charset {str(charset)[:40]!r}")
        out.append(decode_bytes(chunk, codec or None, sink, where=f"header {name}: "))
    return re.sub(r"\s+", " ", "".join(out)).strip()
