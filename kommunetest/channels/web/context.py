"""What a value is about: the words leading to it, and what they make of durations and prices.

A duration is a complaint deadline when the nearest telling word is about klage, a processing time when it
is about saksbehandlingstid, and nothing otherwise. A price takes its period and year from the words right
after it, its clause, its column header, row, caption or heading.
"""

from __future__ import annotations

import re
from typing import Any

from kommunetest.channels.web import patterns as P

MAX_LEVEL = 120
_CLAUSE_BREAK = re.compile(r";|,?\s+mens\s|,\s+men\s|[.!?]\s+(?=[A-ZÆØÅ])|,\s*(?=[\w -]{2,25}:)")

_COMPLAINT_SPECIFIC = re.compile(
    r"klagefrist\w*|frist\w*\s+(?:for\s+å\s+|til\s+å\s+)?(?:på)?(?:klage|klaga)\w*|klagerett\w*|klageadgang\w*"
    r"|(?<![a-zæøå])(?:på)?klag(?:e|a|es|ast)\s+(?:på\s+\w+\s+)?(?:innen|innan)"
    r"|klage\w*\s+(?:(?:må|skal)\s+)?(?:være|vere|bli|verte|sendes|sendast|leveres|leverast|fremmes|fremjast)"
    r"\s+(?:[\w.]+\s+){0,4}(?:innen|innan)",
    re.I,
)
_PROCESS_SPECIFIC = re.compile(
    r"saksbehandlingstid\w*|sakshandsamingstid\w*|behandlingstid\w*|handsamingstid\w*|svartid\w*|ventetid\w*"
    r"|tid\s+(?:det\s+)?(?:tar\s+)?å\s+(?:behandle|handsame)",
    re.I,
)
_PROCESS_VERB_BEFORE = re.compile(
    r"(?:behandle|handsame|avgjøre|avgjere|vurdere|svare\s+på|ferdigbehandle)\s+(?:din\s+|di\s+)?$", re.I
)
_COMPLAINT_GENERIC = re.compile(r"(?<![a-zæøå])(?:på)?klag\w*|(?<![a-zæøå])anke\w*", re.I)
_PROCESS_GENERIC = re.compile(
    r"(?<![a-zæøå])(?:ferdig)?(?:behandl|handsam)\w*|(?<![a-zæøå])svar(?:e|er|ar|a|t)?(?![a-zæøå])"
    r"|(?<![a-zæøå])(?:avgjø|avgje)\w*|(?<![a-zæøå])fatt?(?:e|er|ar|a)?\s+vedtak|(?<![a-zæøå])bruk(?:er|ar)\b"
    r"|(?<![a-zæøå])(?:får|fær)\s+(?:du\s+)?(?:svar|vedtak)|(?<![a-zæøå])bekreft\w*|(?:tar|tek)\s+kontakt",
    re.I,
)


def lead(text: str) -> str:
    """Words leading up to a value, without dangling punctuation; at most the last `MAX_LEVEL` characters."""
    text = re.sub(r"\s+([,:;])", r"\1", text)
    text = re.sub(r"[,:;]+([,:;])", r"\1", text).strip(" ,;:–—-(").strip()
    if len(text) > MAX_LEVEL:
        text = text[-MAX_LEVEL:].split(" ", 1)[-1]
    return text


def trim(text: str, limit: int = MAX_LEVEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def clause_lead(sentence: str, hits: list[P.Hit], hit: P.Hit) -> str:
    """The words of the hit's clause before it, other values cut out ("mens biblioteket har åpent på
    hverdager og" for the library's Saturday hours in a sentence that starts with the service desk's)."""
    start = 0
    for m in _CLAUSE_BREAK.finditer(sentence, 0, hit.start):
        start = m.end()
    parts: list[str] = []
    pos = start
    for h in hits:
        if h is hit:
            break
        if h.end <= start:
            continue
        parts.append(sentence[pos : max(pos, h.start)])
        pos = max(pos, h.end)
    parts.append(sentence[pos : hit.start])
    return lead(re.sub(r"\s+", " ", " ".join(p.strip() for p in parts)))


def duration_kind(sentence: str, hit: P.Hit, prev: str | None, levels: list[str]) -> str | None:
    """complaint_deadline or processing_time by the nearest telling word; None if nothing tells.

    Looks in the sentence, then the sentence before, then the context levels from the most specific."""
    kind = _nearest_kind(sentence, hit.start, hit.end)
    if kind:
        return kind
    for level in [*([prev] if prev else []), *reversed(levels)]:
        kind = _nearest_kind(level, len(level), len(level))
        if kind:
            return kind
    return None


def _nearest_kind(text: str, start: int, end: int) -> str | None:
    """Specific words first (klagefrist, saksbehandlingstid), nearest wins; then generic words (klage,
    behandle), where a processing word before the value wins: "behandle klagen innen seks uker"."""
    best: tuple[float, str] | None = None
    for pattern, kind in (
        (_COMPLAINT_SPECIFIC, "complaint_deadline"),
        (_PROCESS_SPECIFIC, "processing_time"),
    ):
        for m in pattern.finditer(text):
            if m.start() < end and start < m.end():
                continue
            if kind == "complaint_deadline" and _PROCESS_VERB_BEFORE.search(
                text[max(0, m.start() - 30) : m.start()]
            ):
                kind_here = "processing_time"  # "handsame klaga innan seks veker": the municipality's time
            else:
                kind_here = kind
            dist = start - m.end() if m.end() <= start else (m.start() - end) * 1.5 + 5
            if best is None or dist < best[0]:
                best = (dist, kind_here)
    if best:
        return best[1]
    for part in (text[:start], text[end:]):
        if _PROCESS_GENERIC.search(part):
            return "processing_time"
        if _COMPLAINT_GENERIC.search(part):
            return "complaint_deadline"
    return None


def price_value(
    sentence: str, hit: P.Hit, prices: list[P.Hit], levels: list[str], near: str
) -> dict[str, Any]:
    """The price with its period (`per`) and, where the page gives one, its `year`."""
    value = dict(hit.value)
    per = P.per_after(sentence, hit.end) or P.per_in(near)
    for level in reversed(levels):
        if per:
            break
        per = P.per_in(level)
    value["per"] = per
    year = _year_in_sentence(sentence, hit, prices)
    for level in reversed(levels):
        if year:
            break
        years = set(P.YEAR_IN_TEXT.findall(level))
        year = int(years.pop()) if len(years) == 1 else None
    if year:
        value["year"] = year
    return value


def _year_in_sentence(sentence: str, hit: P.Hit, prices: list[P.Hit]) -> int | None:
    """The year nearest the price with no other price between them ("2026: kr 3 000, 2027: kr 3 145")."""
    i = prices.index(hit)
    lo = prices[i - 1].end if i else 0
    hi = prices[i + 1].start if i + 1 < len(prices) else len(sentence)
    best: tuple[int, int] | None = None
    for m in P.YEAR_IN_TEXT.finditer(sentence):
        if not lo <= m.start() < hi or any(p.start <= m.start() < p.end for p in prices):
            continue
        dist = hit.start - m.end() if m.end() <= hit.start else m.start() - hit.end
        if best is None or dist < best[0]:
            best = (dist, int(m.group(1)))
    return best[1] if best else None
