"""Entry points: a page (HTML, plain text or PDF) → facts, each attached to what it is about.

Blocks come from `document`/`textblocks`; each block is read line by line and sentence by sentence (table
rows cell by cell, with the row label and column header as context) by the finders in `hours` and
`patterns`; `context` decides what durations and prices are.
"""

from __future__ import annotations

import re
from pathlib import Path

from kommunetest.channels.web import patterns as P
from kommunetest.channels.web.context import clause_lead, duration_kind, lead, price_value, trim
from kommunetest.channels.web.document import (
    Block,
    decode_bytes,
    html_to_blocks,
    looks_like_html,
    pdf_to_text,
)
from kommunetest.channels.web.facts import CONTEXT_SEP, Fact
from kommunetest.channels.web.hours import days_in, find_opening_hours
from kommunetest.channels.web.sentences import split_sentences
from kommunetest.channels.web.textblocks import is_title_like, text_to_blocks
from kommunetest.errors import NotFoundError, Problem, ValidationError

__all__ = ["extract_facts", "extract_from_file", "facts_from_blocks", "to_blocks"]

_MONEY_WORDS = re.compile(
    r"(?<![a-zæøå])kr(?![a-zæøå])|nok\b|kroner|pris|gebyr|sats|beløp|betaling|avgift|kostnad|takst|egenandel"
    r"|eigendel|eigenbetaling|kontingent|leige|leie",
    re.I,
)
_BARE_NUMBER = re.compile(r"\s*\d{1,3}(?:\s*[-–]\s*\d{1,3})?\s*")
_HEADER_UNIT = re.compile(r"\((?:i\s+)?(uker|veker|dager|dagar|virkedager|vyrkedagar|måneder|månader|timer|timar)\)", re.I)  # fmt: skip


def to_blocks(data: str | bytes, *, content_type: str | None = None, url: str | None = None) -> list[Block]:
    """Any page → blocks: PDF by magic or type, HTML by type or look, else plain text."""
    ctype = (content_type or "").lower()
    if isinstance(data, bytes):
        if data.startswith(b"%PDF") or "pdf" in ctype or (url or "").lower().endswith(".pdf"):
            return text_to_blocks(pdf_to_text(data))
        data = decode_bytes(data, content_type)
    if "html" in ctype or (not ctype.startswith("text/plain") and looks_like_html(data)):
        return html_to_blocks(data)
    return text_to_blocks(data)


def extract_facts(
    text_or_html: str | bytes, *, content_type: str | None = None, url: str | None = None
) -> list[Fact]:
    """The facts of one page. `content_type` (an HTTP header) and `url` help tell HTML, text and PDF apart."""
    return facts_from_blocks(to_blocks(text_or_html, content_type=content_type, url=url))


def extract_from_file(path: Path | str) -> list[Fact]:
    """The facts of a .html/.htm, .txt or .pdf file (other names: sniffed)."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file", hint="give an HTML, text or PDF file")
    data = path.read_bytes()
    suffix = path.suffix.lower()
    ctype = {".html": "text/html", ".htm": "text/html", ".xhtml": "text/html", ".txt": "text/plain",
             ".md": "text/plain", ".pdf": "application/pdf"}.get(suffix)  # fmt: skip
    try:
        return extract_facts(data, content_type=ctype, url=path.name)
    except Exception as e:
        if suffix == ".pdf" or data.startswith(b"%PDF"):
            problem = Problem(str(path), f"cannot read the PDF: {type(e).__name__}: {e}")
            raise ValidationError([problem], summary="unreadable PDF") from e
        raise


def facts_from_blocks(blocks: list[Block]) -> list[Fact]:
    """Facts of every block, each (kind, value, context) once."""
    facts: list[Fact] = []
    notes = [(b.headings, per) for b in blocks if (per := _scope_per(b.text))]
    for block in blocks:
        found = _row_facts(block) if block.cells is not None else _block_facts(block)
        for f in found:
            if f.kind == "price" and f.value.get("per") is None:
                # "Alle priser gjelder per måned" under or beside the table
                per = next((p for h, p in notes if block.headings[: len(h)] == h), None)
                if per:
                    f.value["per"] = per
        facts.extend(found)
    seen: set[tuple[str, str, str | None]] = set()
    unique: list[Fact] = []
    for f in facts:
        k = (*f.key(), f.context)
        if k not in seen:
            seen.add(k)
            unique.append(f)
    return unique


def _block_facts(block: Block) -> list[Fact]:
    base = [*block.headings, *([block.label] if block.label else [])]
    lines = block.text.split("\n") if block.text else []
    facts: list[Fact] = []
    line_label: str | None = None
    prev: str | None = None
    for i, line in enumerate(lines):
        if i + 1 < len(lines) and is_title_like(line):
            line_label, prev = line.rstrip(":"), None  # "Servicetorget" above its hours and phone
            continue
        levels = [*base, *([line_label] if line_label else [])]
        fallback = _days_from(levels)
        in_line: str | None = None
        for sentence in split_sentences(line):
            label = line_label or block.label or ""
            facts.extend(
                _sentence_facts(
                    sentence, levels, prev, fallback_days=fallback, prev_in_line=in_line, label=label
                )
            )
            prev = in_line = sentence
    facts.extend(_link_facts(block, base, facts))
    return facts


def _row_facts(block: Block) -> list[Fact]:
    cells = block.cells or ()
    columns = block.columns or ()
    base = [*block.headings, *([block.caption] if block.caption else [])]
    facts: list[Fact] = []
    label = cells[0] if cells else ""
    for i, cell in enumerate(cells):
        if not cell or (i and cell == cells[i - 1] and columns[i : i + 1] == columns[i - 1 : i]):
            continue  # a colspan repeats the cell; read it once
        column = columns[i] if i < len(columns) else None
        levels = [*base, *([label] if i and label else []), *([column] if column else [])]
        money = _money_column(column, [*base, label]) if i else False
        fallback = _days_from([label, *(column or "").split(" / ")]) if i else None
        text = f"{label}: {cell}" if i and label else cell
        if i and (unit := _unit_in_header(column)) and _BARE_NUMBER.fullmatch(cell):
            cell = f"{cell} {unit}"  # "Sakshandsamingstid (veker)" over "7"
        cell_label = " ".join(x for x in (label if i else "", column or "") if x)
        for sentence in split_sentences(cell):
            facts.extend(
                _sentence_facts(
                    sentence,
                    levels,
                    None,
                    fallback_days=fallback,
                    bare_money=money,
                    text=text,
                    label=cell_label,
                )
            )
    facts.extend(_link_facts(block, base, facts))
    return facts


_SCOPE_PER = re.compile(
    r"(?:alle\s+)?(?:prisene|priser|satsene|satsane|satser|beløpene|beløpa|beløp|gebyrene|gebyra)\s+"
    r"(?:gjelder|gjeld|er|er oppgitt|er oppgjeve)\s+(?:per|pr\.?|i)\s+"
    r"(måned|månad|mnd|år|time|døgn|dag|uke|veke)",
    re.I,
)
_PER_CODES = {"måned": "month", "månad": "month", "mnd": "month", "år": "year", "time": "hour", "døgn": "day",
              "dag": "day", "uke": "week", "veke": "week"}  # fmt: skip


def _scope_per(text: str) -> str | None:
    """The period a note gives every price of its section: "Alle priser gjelder per måned"."""
    m = _SCOPE_PER.search(text or "")
    return _PER_CODES[m.group(1).lower()] if m else None


def _money_column(column: str | None, around: list[str]) -> bool:
    """May a bare number in this cell be read as an amount? Yes under a money or year header."""
    if column:
        return bool(_MONEY_WORDS.search(column) or re.search(r"\b(?:19|20)\d\d\b", column))
    return any(_MONEY_WORDS.search(level) for level in around[-3:])


def _unit_in_header(column: str | None) -> str | None:
    m = _HEADER_UNIT.search(column or "")
    return m.group(1) if m else None


def _days_from(levels: list[str]) -> list[str] | None:
    """Days named at the start of the nearest label or heading ("Lørdag", "Tirsdag og torsdag:")."""
    for level in reversed([x for x in levels[-3:] if x]):
        if days := days_in(level, leading=True):
            return days
    return None


def _sentence_facts(
    sentence: str,
    levels: list[str],
    prev: str | None,
    *,
    fallback_days: list[str] | None,
    bare_money: bool = False,
    text: str | None = None,
    prev_in_line: str | None = None,
    label: str = "",
) -> list[Fact]:
    hits = _hits(sentence, fallback_days, bare_money, label)
    prices = [h for h in hits if h.kind == "price"]
    leads = {id(h): clause_lead(sentence, hits, h) for h in hits}
    values = {id(h): price_value(sentence, h, prices, levels, leads[id(h)]) for h in prices}
    shared_per = {v["per"] for v in values.values() if v["per"]}
    facts: list[Fact] = []
    for hit in hits:
        near = [leads[id(hit)]] if leads[id(hit)] else []
        if prev_in_line and len(leads[id(hit)].split()) < 3 and hit is hits[0]:
            near.insert(0, lead(prev_in_line))  # "Søknader som krev dispensasjon tek tid. Rekn med 16 veker."
        kind, value = hit.kind, hit.value
        if kind == "duration":
            kind = duration_kind(sentence, hit, prev, [*levels, *near])
            if kind is None:
                continue
        elif kind == "price":
            value = values[id(hit)]
            if value["per"] is None and len(shared_per) == 1:
                value["per"] = next(iter(shared_per))  # "kr 3 000 per døgn i 2026, og fra 2027 kr 3 300"
        context = CONTEXT_SEP.join(dict.fromkeys(trim(x) for x in [*levels, *near] if x)) or None
        facts.append(Fact(kind=kind, value=value, text=trim(text or sentence, 300), context=context))
    return facts


def _hits(sentence: str, fallback_days: list[str] | None, bare_money: bool, label: str = "") -> list[P.Hit]:
    """All finders' hits, overlaps resolved by priority (e-mail, hours, phone, price, duration); `label` is
    what the sentence is the value of (a definition term, a row label and column header)."""
    groups = [
        P.find_emails(sentence),
        [
            P.Hit("opening_hours", h.start, h.end, {"from": h.frm, "to": h.to, "days": h.days})
            for h in find_opening_hours(sentence, fallback_days)
        ],
        P.find_phones(sentence, label),
        P.find_prices(sentence, bare_ok=bare_money),
        P.find_durations(sentence),
    ]
    accepted: list[P.Hit] = []
    for group in groups:
        for h in group:
            if not any(h.start < a.end and a.start < h.end for a in accepted):
                accepted.append(h)
    return sorted(accepted, key=lambda h: h.start)


def _link_facts(block: Block, levels: list[str], found: list[Fact]) -> list[Fact]:
    """mailto:/tel: links whose address or number the visible text does not show."""
    have = {f.key() for f in found}
    facts: list[Fact] = []
    text = block.text.split("\n")[0] if block.text else ""
    context = CONTEXT_SEP.join(dict.fromkeys(trim(x) for x in [*levels, lead(text)] if x)) or None
    for href in block.links:
        scheme, _, target = href.partition(":")
        target = target.split("?")[0].strip()
        if scheme.lower() == "mailto" and (hits := P.find_emails(target)):
            fact = Fact(
                kind="email", value=hits[0].value, text=trim(block.text or target, 300), context=context
            )
        elif scheme.lower() == "tel" and (digits := re.sub(r"\D", "", target)):
            digits = digits[2:] if len(digits) == 10 and digits.startswith("47") else digits
            digits = digits[4:] if len(digits) == 12 and digits.startswith("0047") else digits
            if len(digits) != 8:
                continue
            fact = Fact(kind="phone", value=digits, text=trim(block.text or target, 300), context=context)
        else:
            continue
        if fact.key() not in have:
            have.add(fact.key())
            facts.append(fact)
    return facts
