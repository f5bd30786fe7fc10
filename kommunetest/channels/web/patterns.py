"""Durations, amounts, phone numbers and e-mail addresses as Norwegian municipal pages write them.

Each finder returns hits with their span in the text; deciding what a hit is *about* (a complaint deadline
or a processing time, which year a fee is for) is left to `extract`, which sees the context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

NUMBER_WORDS = {
    "en": 1, "ei": 1, "ein": 1, "ett": 1, "eitt": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
    "seks": 6, "sju": 7, "syv": 7, "åtte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12,
    "tretten": 13, "fjorten": 14, "femten": 15, "seksten": 16, "sytten": 17, "søtten": 17, "atten": 18,
    "nitten": 19, "tjue": 20, "tjuefire": 24, "tretti": 30, "førti": 40, "femti": 50,
    "seksti": 60, "nitti": 90,
}  # fmt: skip
_NUMWORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_NUM = rf"(?:\d{{1,3}}(?:[.,]5)?|(?:{_NUMWORD})(?![a-zæøå]))"

UNITS = {
    "hours": r"timer|timar|timane|timene|timers|timars|time",
    "days": r"virkedager|virkedagar|virkedagene|virkedagers|virkedag|vyrkedagar|vyrkedagane|vyrkedag"
    r"|verkedagar|verkedagane|verkedag"
    r"|yrkedagar|yrkedag|arbeidsdager|arbeidsdagar|arbeidsdagers|arbeidsdag|kalenderdager|kalenderdagar"
    r"|dager|dagar|dagene|dagane|dagers|dagars|dag|døgn",
    "weeks": r"uker|ukene|ukers|uke|veker|vekene|vekane|vekers|veke|veka",
    "months": r"måneder|månedene|måneders|måned|månader|månadene|månadane|månaders|månad|mnd\.?|mndr\.?",
}
_UNIT = "|".join(f"(?P<{k}>{v})" for k, v in UNITS.items())
_DURATION = re.compile(
    rf"(?<![\w.,/-]){_NUM.replace('(?:', '(?P<a>', 1)}"
    rf"(?:\s*[-–—]\s*(?:{_NUMWORD})\s*[-–—]|\s*\((?:{_NUMWORD})\)|\s*(?:[-–—]|til)\s*(?P<b>{_NUM}))?"
    rf"\s*(?:{_UNIT})(?![a-zæøå])",
    re.I,
)  # "3 uker", "3–4 uker", "3 – tre – uker" and "3 (tre) uker" (the legal way of writing it)
_WORKING = re.compile(r"virke|verke|vyrke|yrke|arbeids", re.I)


@dataclass
class Hit:
    kind: str
    start: int
    end: int
    value: Any
    extra: dict[str, Any] = field(default_factory=dict)


def number(word: str) -> float | int | None:
    w = word.lower().strip()
    if w in NUMBER_WORDS:
        return NUMBER_WORDS[w]
    try:
        f = float(w.replace(",", "."))
    except ValueError:
        return None
    return int(f) if f.is_integer() else f


def find_durations(text: str) -> list[Hit]:
    """`12 uker`, `3–4 veker`, `tre månader`, `inntil 5 virkedager`, `24 timar` → amount, unit (and max)."""
    hits: list[Hit] = []
    for m in _DURATION.finditer(text):
        unit = next(k for k in UNITS if m.group(k))
        a = number(m["a"])
        b = number(m["b"]) if m["b"] else None
        if a is None or a <= 0 or (b is not None and b <= a):
            continue
        value: dict[str, Any] = {"amount": a, "unit": unit}
        if b is not None:
            value["max"] = b
        if unit == "days" and _WORKING.match(m.group("days")):
            value["working_days"] = True
        hits.append(Hit("duration", m.start(), m.end(), value))
    return hits


# Amounts: thousands grouped by (thin/non-breaking) spaces or dots, decimals after a comma.
_SP = "[ \u00a0\u2009\u202f\u2007.]"
_AMT = rf"(?P<n{{k}}>\d{{{{1,3}}}}(?:{_SP}\d{{{{3}}}})+(?:,\d{{{{1,2}}}})?|\d+(?:,\d{{{{1,2}}}})?)(?P<dash{{k}}>,[-–])?"
_CUR_BEFORE = r"(?:(?<![a-zæøå])kr\.?|(?<![a-zæøå])nok|kroner)"
_CUR_AFTER = r"(?:kr\b\.?(?!\s*\d)|kroner\b|nok\b(?!\s*\d)|,[-–])"
_PRICE = re.compile(
    rf"(?:(?P<cur>{_CUR_BEFORE})\s*{_AMT.format(k=1)}|(?<![\d,.]){_AMT.format(k=2)}\s*(?P<cur2>{_CUR_AFTER})?)"
    rf"(?:\s*[-–]\s*(?:kr\.?\s*)?(?P<max>\d{{1,3}}(?:{_SP}\d{{3}})+|\d+)(?:,-)?\s*(?:kr\b|kroner\b)?)?",
    re.I,
)
_PER_AFTER = [
    ("month", r"(?:per|pr\.?|i|/|hver|kvar|pro)\s*(?:måned|månad|mnd|md)|månedlig|månadleg|månedleg"),
    ("year", r"(?:per|pr\.?|i|/|hvert|kvart)\s*år(?:et)?(?![a-zæøå])|årlig|årleg|per\s+kalenderår"),
    ("hour", r"(?:per|pr\.?|/|i)\s*(?:time|timen|t)(?![a-zæøå])"),
    ("day", r"(?:per|pr\.?|/|i)\s*(?:dag|døgn|dagen|døgnet)(?![a-zæøå])"),
    ("week", r"(?:per|pr\.?|/|i)\s*(?:uke|veke|uka|veka)(?![a-zæøå])"),
    ("once", r"(?:engangs\w*|eingongs\w*|én\s+gang|ein\s+gong|per\s+(?:søknad|sak|tiltak|gang|gong))"),
]
PER_WORDS = [
    ("month", r"månedspris|månadspris|måned|månad|mnd|månedlig|månadleg|\bmd\b"),
    ("year", r"årsgebyr|årsavgift|årspris|årlig|årleg|per\s+år|pr\.?\s*år|/år"),
    ("hour", r"timepris|per\s+time|pr\.?\s*time|/time|timesats"),
    ("day", r"dagpris|døgnpris|per\s+dag|pr\.?\s*dag|per\s+døgn|/dag|/døgn"),
    ("week", r"ukepris|vekepris|per\s+uke|per\s+veke"),
    ("once", r"engangs|eingongs|per\s+søknad|per\s+sak"),
]


def amount(text: str) -> float | int | None:
    digits = re.sub(r"[ \u00a0\u2009\u202f\u2007.]", "", text).replace(",-", "").replace(",–", "")
    try:
        f = float(digits.replace(",", "."))
    except ValueError:
        return None
    return int(f) if f.is_integer() else round(f, 2)


def per_after(text: str, pos: int) -> str | None:
    """The period written right after an amount: `per måned`, `pr. år`, `/mnd`, `i timen`."""
    tail = text[pos : pos + 30]
    for per, pattern in _PER_AFTER:
        if re.match(rf"[\s,.()]*(?:inkl\.?\s+mva\.?\s*)?(?:{pattern})", tail, re.I):
            return per
    return None


def per_in(text: str | None) -> str | None:
    """The one period a label or header names ("Pris per måned", "Årsgebyr"), or None if none or several."""
    if not text:
        return None
    found = {per for per, pattern in PER_WORDS if re.search(pattern, text, re.I)}
    return found.pop() if len(found) == 1 else None


def find_prices(text: str, *, bare_ok: bool = False) -> list[Hit]:
    """Amounts marked as money (`kr 3 145`, `3 145,-`, `NOK 3145`, `3.145 kr`); bare ones only if `bare_ok`."""
    hits: list[Hit] = []
    for m in _PRICE.finditer(text):
        marked = bool(m["cur"] or m["cur2"] or m["dash1"] or m["dash2"])
        if not marked and not (
            bare_ok and re.fullmatch(r"\s*" + re.escape(m.group(0).strip()) + r"\s*", text)
        ):
            continue
        raw = m["n1"] or m["n2"]
        value = amount(raw)
        if value is None or (not marked and _YEAR.fullmatch(raw)):
            continue
        price: dict[str, Any] = {"nok": value}
        if m["max"] and (mx := amount(m["max"])) is not None and mx > value:
            price["max"] = mx
        hits.append(Hit("price", m.start(), m.end(), price))
    return hits


_YEAR = re.compile(r"(?:19|20)\d\d")
YEAR_IN_TEXT = re.compile(r"(?<![\d,])\b(20[0-4]\d)\b(?!,\d|\d)")

# Phone numbers: eight digits starting 2-9, grouped the ways Norwegians write them.
_PHONE = re.compile(
    r"(?<![\d+])(?<!\d[ \u00a0.-])(?P<cc>(?:\+|00)\s?47[\s\u00a0.-]*|\(\+47\)\s*)?"
    r"(?P<num>[2-9]\d(?:[ \u00a0.-]?\d){6})(?![\d]|[ \u00a0.-]\d|,-|\s*kr\b)"
)
_GROUPINGS = {(8,), (2, 2, 2, 2), (3, 2, 3), (2, 2, 4), (4, 4), (2, 3, 3), (3, 3, 2), (3, 5)}
_NOT_PHONE = re.compile(
    r"\b(?:org|foretak|konto|kid\b|faktura|saks|arkiv|postboks|pb\b|gnr\b|bnr\b|fnr\b|fødsels|kr\b|nok\b"
    r"|referanse|ref\b|journal|løpenr|nr\b|nummer\b)",
    re.I,
)
PHONE_WORDS = re.compile(
    r"tlf|telefon|\btel\b|\bring|sentralbord|mobil|\bsms\b|vakttelefon|kontakt|grønt\s+nummer", re.I
)
# The European harmonised numbers of social value (116 117 is the national legevakt number, 116 123 the
# mental-health line, 116 111 the children's line): six digits a municipality's page gives as its number to
# call. The three-digit emergency numbers (110, 112, 113) are the same everywhere and are not recorded.
HARMONISED_NUMBERS = frozenset({"116000", "116006", "116111", "116117", "116123"})
"""The EU's harmonised 116 numbers in use in Norway (legevakt, helplines); any other 116 xxx is not a phone."""
_HARMONISED = re.compile(
    r"(?<![\d+])(?<!\d[ \u00a0.-])(?P<num>116[ \u00a0]?(?:000|006|111|117|123))"
    r"(?![\d]|[ \u00a0.,-]\d|,-|\s*kr\b)"
)


def find_phones(text: str, label: str = "") -> list[Hit]:
    """Norwegian phone numbers; not org or account numbers, dates or amounts. Value: 8 digits (116 xxx: 6).

    `label` is what the text is the value of (a definition term, a table row label or column header): an
    unspaced `51214263` that is the whole value of "Sentralbord" or "Legevakta i Kleppe" is a number to call."""
    hits: list[Hit] = []
    standalone = bool(label) and not _NOT_PHONE.search(label)
    for m in _PHONE.finditer(text):
        raw = m["num"]
        groups = tuple(len(g) for g in re.split(r"[ \u00a0.-]", raw))
        seps = set(re.findall(r"[ \u00a0.-]", raw))
        if groups not in _GROUPINGS or len(seps) > 1:
            continue
        if "." in seps and groups not in {(2, 2, 2, 2), (3, 2, 3)}:
            continue
        if "-" in seps and groups not in {(2, 2, 2, 2), (3, 2, 3), (4, 4)}:
            continue
        before = text[max(0, m.start() - 40) : m.start()]
        last_not = max((x.start() for x in _NOT_PHONE.finditer(before[-30:])), default=-100)
        last_phone = max((x.end() for x in PHONE_WORDS.finditer(before[-30:])), default=-100)
        if not m["cc"] and last_not > last_phone + 2:
            continue  # "org.nr.", "kontonr.", "kr" right before: not a phone number
        named = (
            PHONE_WORDS.search(before) or PHONE_WORDS.search(label) or (standalone and text.strip() == raw)
        )
        if groups == (8,) and not m["cc"] and not named:
            continue
        hits.append(Hit("phone", m.start(), m.end(), re.sub(r"\D", "", raw)))
    for m in _HARMONISED.finditer(text):
        before = text[max(0, m.start() - 30) : m.start()]
        if _NOT_PHONE.search(before) and not PHONE_WORDS.search(before):
            continue
        hits.append(Hit("phone", m.start(), m.end(), re.sub(r"\D", "", m["num"])))
    return sorted(hits, key=lambda h: h.start)


_LOCAL = r"[A-Za-z0-9æøåÆØÅ._%+-]+"
_DOMAIN = r"[A-Za-z0-9æøåÆØÅ-]+(?:\.[A-Za-z0-9æøåÆØÅ-]+)*\.[A-Za-z]{2,}"
_EMAIL = re.compile(rf"(?<![\w.+-])({_LOCAL})@({_DOMAIN})(?![\w-])")
_AT = r"(?:\s*[(\[{<]\s*(?:at|krøllalfa|alfakrøll|snabel-?a|a)\s*[)\]}>]\s*|\s+(?:at|krøllalfa|alfakrøll)\s+)"
_DOT = r"(?:\s*[(\[{]\s*(?:dot|punktum|prikk)\s*[)\]}]\s*|\.)"
_OBFUSCATED = re.compile(
    rf"(?<![\w.+-])({_LOCAL}){_AT}([A-Za-z0-9æøåÆØÅ-]+(?:{_DOT}[A-Za-z0-9æøåÆØÅ-]+)*{_DOT}(?:no|com|net|org|kommune\.no))(?![\w-])",
    re.I,
)


# "fornavn.etternavn@kommune.no" tells how the staff's addresses are formed; it is nobody's address.
_TEMPLATE_LOCAL = re.compile(r"(?:for|first)?na(?:vn|mn|me)(?:\.(?:etter|last|sur)?na(?:vn|mn|me))?", re.I)


def find_emails(text: str) -> list[Hit]:
    """Addresses, including `postmottak (at) x.kommune.no` and `[dot]` forms. Value: lower case."""
    hits = [
        Hit("email", m.start(), m.end(), f"{m[1]}@{m[2]}".lower().rstrip("."))
        for m in _EMAIL.finditer(text)
        if not _TEMPLATE_LOCAL.fullmatch(m[1])
    ]
    for m in _OBFUSCATED.finditer(text):
        if any(h.start <= m.start() < h.end for h in hits):
            continue
        domain = re.sub(_DOT, ".", m[2], flags=re.I)
        hits.append(Hit("email", m.start(), m.end(), f"{m[1]}@{domain}".lower()))
    return sorted(hits, key=lambda h: h.start)
