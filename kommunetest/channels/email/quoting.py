"""Separate what a reply says from what it quotes and from its signature.

A municipality's answer usually quotes our question below it (Outlook/Exchange header block, Gmail
attribution line, `>` quoting) and ends with a sign-off and a signature full of phone numbers and web
addresses. Classification and grading must read only the new text: a real answer quoting an auto-reply is
still a real answer, and "se www.kommune.no" in a signature is no referral.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEPARATOR = re.compile(
    r"^\s*[-_=*]{2,}\s*(?:original message|opprinnelig melding|original melding|opphavleg melding|"
    r"opprinneleg melding|videresendt melding|vidaresendt melding|forwarded message|"
    r"videresendt e-post|ursprüngliche nachricht|ursprungligt meddelande)\s*[-_=*]{2,}\s*$",
    re.IGNORECASE,
)
_RULE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,})\s*$")
_HEADER_FROM = re.compile(r"^\s*[*>]*\s*\*?(?:fra|frå|from|avsender|von|från)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_OTHER = re.compile(
    r"^\s*[*>]*\s*\*?(?:sendt|sent|dato|date|til|to|emne|subject|kopi|cc|datum|an|betreff|ämne|"
    r"sendt til|mottaker)\s*:\*?",
    re.IGNORECASE,
)
# "Den tir. 3. mar. 2026 kl. 10:15 skrev Ola Nordmann <ola@example.no>:", "On Mon, ... wrote:",
# "Kari Nordmann <kari@example.no> skrev følgende:".
_ATTRIBUTION = re.compile(
    r"^\s*(?:\S.{0,300})?\b(?:skrev|skreiv|wrote|schrieb|a écrit)\b.{0,160}:\s*$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"^\s*>")
_SIGN_OFF = re.compile(
    r"^\s*(?:(?:med\s+)?(?:vennlig|vennleg|venleg|venlig|beste|god|varm|varme|mange)\s+"
    r"(?:hilsen|hilsener|hilsner|helsing|helsingar|helsinger)|med\s+hilsen|mvh|m\.v\.h|vh|hilsen|helsing|"
    r"best regards|kind regards|warm regards|regards|sincerely|yours sincerely|with kind regards|"
    r"best wishes)\b[\s,.!:]*(?:$|\S.{0,50}$)",
    re.IGNORECASE,
)
_SIG_DASHES = re.compile(r"^--\s*$")
_SENT_FROM = re.compile(
    r"^\s*(?:sendt fra min|sendt frå min|sent from my|hent outlook for|get outlook for|sendt fra outlook|"
    r"sent from outlook|sendt fra e-post for|sendt frå e-post)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SplitText:
    """A body in three parts: what is new, the sign-off with signature, and everything quoted."""

    new: str
    signature: str
    quoted: str


def split_text(text: str) -> SplitText:
    """Split a plain-text body; the parts joined hold every line of the input once."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _quote_start(lines)
    head, tail = lines[:cut], lines[cut:]
    own = [ln for ln in head if not _QUOTED.match(ln)]
    inline_quotes = [ln for ln in head if _QUOTED.match(ln)]
    if inline_quotes:
        # Interleaved answers: drop a trailing attribution line that introduced the quotes.
        own = _drop_attributions(own)
    sig_at = _signature_start(own)
    new, signature = own[:sig_at], own[sig_at:]
    quoted = inline_quotes + tail
    return SplitText(_join(new), _join(signature), _join(quoted))


def _join(lines: list[str]) -> str:
    return re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", "\n".join(lines)).strip()


def _quote_start(lines: list[str]) -> int:
    """Index of the first line of the quoted tail (len(lines) when nothing is quoted)."""
    n = len(lines)
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if _SEPARATOR.match(line):
            return i
        if _HEADER_FROM.match(line) and _header_block_follows(lines, i):
            return _include_rule_above(lines, i)
        if _attribution_at(lines, i):
            return i
        if _QUOTED.match(line) and _mostly_quoted(lines[i:]):
            return i
    return n


def _header_block_follows(lines: list[str], i: int) -> bool:
    """An Outlook/Exchange "Fra:/Sendt:/Til:/Emne:" block: at least two more header lines close below."""
    hits = 0
    for line in lines[i + 1 : i + 8]:
        if _HEADER_OTHER.match(line):
            hits += 1
    return hits >= 2


def _include_rule_above(lines: list[str], i: int) -> int:
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j >= 0 and (_RULE.match(lines[j]) or _SEPARATOR.match(lines[j])):
        return j
    return i


def _attribution_at(lines: list[str], i: int) -> bool:
    """An attribution line (possibly wrapped over two lines) followed by quoted or header lines."""
    line = lines[i].strip()
    if len(line) > 320:
        return False
    candidates = [line]
    if i + 1 < len(lines) and lines[i + 1].strip():
        candidates.append(line + " " + lines[i + 1].strip())
    for cand in candidates:
        if _ATTRIBUTION.match(cand) and re.search(r"\b(?:skrev|skreiv|wrote|schrieb|écrit)\b", cand, re.I):
            return _looks_like_attribution(cand)
    return False


def _looks_like_attribution(line: str) -> bool:
    # Must name a date, an address or start like "Den/On": plain prose ending in "skrev:" is rare but exists.
    return bool(
        re.match(r"^\s*(?:den|on|på|le|am|i går|i dag|\d)", line, re.I)
        or "@" in line
        or re.search(r"\d{1,2}[.:/]\d{1,2}", line)
    )


def _mostly_quoted(rest: list[str]) -> bool:
    """True when nothing of one's own follows the quote (top-posting); own lines after it are inline answers."""
    return not any(ln.strip() and not _QUOTED.match(ln) for ln in rest)


def _drop_attributions(own: list[str]) -> list[str]:
    return [ln for ln in own if not (_ATTRIBUTION.match(ln.strip()) and _looks_like_attribution(ln))]


def _signature_start(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        stripped = line.rstrip()
        if _SIG_DASHES.match(stripped) or _SENT_FROM.match(stripped):
            return i
        if _SIGN_OFF.match(stripped) and len(stripped.strip()) <= 70:
            return i
    return len(lines)
