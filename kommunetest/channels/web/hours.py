"""Opening hours: day names and clock ranges as Norwegian municipal pages write them.

Days: bokmål and nynorsk names and their abbreviations (`man–fre`, `måndag til fredag`, `tirsdag og torsdag`,
`hverdager`/`kvardagar`, `helg`). Clock ranges: `08.00–15.30`, `08:00-15:30`, `kl. 8-15.30`,
`fra kl 08.00 til 15.30`, `0800–1530`. Each range takes the days written right before it, else right after
it, else the nearest days earlier in the sentence, else those of its row, column or heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = {
    "mandag": 0, "måndag": 0, "tirsdag": 1, "tysdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4,
    "lørdag": 5, "laurdag": 5, "søndag": 6, "sundag": 6,
}  # fmt: skip
_ABBR = {
    "man": 0, "mån": 0, "tirs": 1, "tir": 1, "tys": 1, "ons": 2, "tors": 3, "tor": 3, "fre": 4,
    "lør": 5, "laur": 5, "lau": 5, "søn": 6, "sun": 6,
}  # fmt: skip
_TWO = {"ma": 0, "ti": 1, "on": 2, "to": 3, "fr": 4, "lø": 5, "sø": 6}
_GROUPS = {
    r"hverdag(?:er|ene|en)?|kvardag(?:ar|ane|en)?|ukedag(?:er|ene)?|vekedag(?:ar|ane)?|"
    r"virkedag(?:er|ene)?|vyrkedag(?:ar|ane)?|yrkedag(?:ar|ane)?": (0, 1, 2, 3, 4),
    r"helg(?:er|ar|en|ene|ane)?|helgedag(?:er|ar)?": (5, 6),
    r"alle\s+dag(?:er|ar)|daglig|dagleg|hver\s+dag|kvar\s+dag|alle\s+ukas\s+dager": (0, 1, 2, 3, 4, 5, 6),
}  # fmt: skip
_NL = r"(?![a-zæøå])"
_FULL_RE = rf"(?:{'|'.join(_FULL)})(?:ene|ane|er|ar|en|s)?{_NL}"
_ABBR_RE = rf"(?:{'|'.join(sorted(_ABBR, key=len, reverse=True))}){_NL}\.?"
_DAY = rf"(?:{_FULL_RE}|{_ABBR_RE})"
_RANGE_SEP = r"\s*(?:[-–—]|til(?:\s+og\s+med)?|t\.\s?o\.\s?m\.?)\s*"
_TWO_RANGE = rf"(?:{'|'.join(_TWO)}){_NL}\.?\s*[-–—]\s*(?:{'|'.join(_TWO)}){_NL}\.?"
_GROUP_RE = "|".join(f"(?:{g}){_NL}" for g in _GROUPS)
_ITEM = rf"(?:{_DAY}{_RANGE_SEP}{_DAY}|{_TWO_RANGE}|{_DAY}|{_GROUP_RE})"
_SPEC = re.compile(rf"(?<![a-zæøå]){_ITEM}(?:\s*(?:,|\bog\b|\+|&|/|\bsamt\b)\s*{_ITEM})*", re.I)
_ITEM_RE = re.compile(_ITEM, re.I)
_ABBR_ONLY = re.compile(rf"^{_ABBR_RE}$", re.I)

_KL = r"(?:kl(?:okka|okken)?\.?\s*)"
_T = r"(?P<h{n}>[012]?\d)(?:[.:](?P<m{n}>[0-5]\d))?"
_RANGE_HM = re.compile(
    rf"(?<![\d.,:/])(?P<kl>{_KL})?{_T.format(n=1)}\s*(?:[-–—]+|\btil\b)\s*{_KL}?{_T.format(n=2)}(?!\d|[.:,]\d)",
    re.I,
)
_RANGE_4 = re.compile(r"(?<![\d.,:/])(?P<a>[012]\d[0-5]\d)\s*[-–—]\s*(?P<b>[012]\d[0-5]\d)(?!\d|[.:,]\d)")
_UNIT_AFTER = re.compile(
    r"\s*(?:år|uker|uke|veker|veke|(?:virke|verke|vyrke|yrke|arbeids|kalender)?dag(?:er|ar|ene|ane)?\b|døgn"
    r"|timer|timar|%|prosent|kr\b|mnd|måneder|månader|plass"
    r"|elev|person|barn|m2|m²|meter|km|kvm|stk|deltakere|sider|klasse|trinn|\.\s?trinn)",
    re.I,
)
_CLOSED_BEFORE = re.compile(r"(?:stengt|stengd|lukket|lukka|pause|lunsj|unntatt|ikke|ikkje)\W{0,12}$", re.I)


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class DaySpec(Span):
    days: tuple[str, ...]
    abbr_only: bool


@dataclass(frozen=True)
class TimeRange(Span):
    frm: str
    to: str
    bare: bool  # whole hours with no "kl.": only taken when days stand right before it


def _item_days(item: str) -> set[int]:
    low = item.lower()
    for pattern, days in _GROUPS.items():
        if re.fullmatch(pattern, low.replace("\u00a0", " ")):
            return set(days)
    names = re.findall(rf"{_FULL_RE}|{_ABBR_RE}|(?:{'|'.join(_TWO)}){_NL}", low)
    idx = [_day_index(n) for n in names]
    idx = [i for i in idx if i is not None]
    if len(idx) == 2 and re.search(r"[-–—]|til|t\.\s?o\.\s?m", low):
        a, b = idx
        return {(a + k) % 7 for k in range(((b - a) % 7) + 1)}
    return set(idx)


def _day_index(name: str) -> int | None:
    name = name.rstrip(".")
    for full, i in _FULL.items():
        if name.startswith(full):
            return i
    return _ABBR.get(name, _TWO.get(name))


def find_day_specs(text: str) -> list[DaySpec]:
    """Every run of day names in `text` with the weekdays it covers (in week order)."""
    specs: list[DaySpec] = []
    for m in _SPEC.finditer(text):
        days: set[int] = set()
        for item in _ITEM_RE.finditer(m.group(0)):
            days |= _item_days(item.group(0))
        if days:
            abbr_only = bool(_ABBR_ONLY.match(m.group(0).strip()))
            specs.append(DaySpec(m.start(), m.end(), tuple(DAY_CODES[d] for d in sorted(days)), abbr_only))
    return specs


def days_in(text: str | None, *, leading: bool = False) -> list[str] | None:
    """The days a label or header names ("Mandag", "Lør–søn"), or None; with `leading`, only days the
    text starts with (a heading "Brøyting i helgen" is about snow, not about weekend opening hours)."""
    if not text:
        return None
    specs = [s for s in find_day_specs(text) if not s.abbr_only or re.fullmatch(r"\W*\w+\.?\W*", text)]
    if leading:
        specs = [s for s in specs if not re.search(r"\w", text[: s.start])]
    return list(specs[0].days) if specs else None


def _hm(h: str, m: str | None) -> tuple[int, int] | None:
    hour, minute = int(h), int(m or 0)
    if hour > 24 or minute % 5 or (hour == 24 and minute):
        return None
    return hour, minute


def find_time_ranges(text: str) -> list[TimeRange]:
    """Clock ranges that can be opening hours (valid, forward, with plausible minutes; not dates)."""
    found: list[TimeRange] = []
    for m in _RANGE_HM.finditer(text):
        if _UNIT_AFTER.match(text, m.end()) or _CLOSED_BEFORE.search(text[: m.start()]):
            continue
        a, b = _hm(m["h1"], m["m1"]), _hm(m["h2"], m["m2"])
        bare = not (m["m1"] or m["m2"] or m["kl"])
        if a and b and _plausible(a, b, min_hours=1 if bare else 0.5):
            found.append(TimeRange(m.start(), m.end(), _fmt(a), _fmt(b), bare))
    taken = [(r.start, r.end) for r in found]
    for m in _RANGE_4.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken) or _UNIT_AFTER.match(text, m.end()):
            continue
        a = _hm(m["a"][:2], m["a"][2:])
        b = _hm(m["b"][:2], m["b"][2:])
        if a and b and a[0] >= 5 and _plausible(a, b, min_hours=1):
            found.append(TimeRange(m.start(), m.end(), _fmt(a), _fmt(b), False))
    return sorted(found, key=lambda r: r.start)


def _plausible(a: tuple[int, int], b: tuple[int, int], min_hours: float) -> bool:
    minutes = (b[0] * 60 + b[1]) - (a[0] * 60 + a[1])
    return min_hours * 60 <= minutes <= 20 * 60


def _fmt(t: tuple[int, int]) -> str:
    return f"{t[0]:02d}:{t[1]:02d}"


@dataclass(frozen=True)
class Hours:
    start: int
    end: int
    frm: str
    to: str
    days: list[str] | None
    days_start: int | None  # where the days this range took are written (for the fact's text span)


_MONTHS = r"januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
_DATE = re.compile(rf"\b\d{{1,2}}\.\s*(?:{_MONTHS})\b|\b\d{{1,2}}\.\d{{1,2}}\.(?:\d{{2,4}})?", re.I)
_OPEN_WORDS = re.compile(
    r"åpen|åpent|åpne|åpning|opning|\bope\b|\bopen\b|\bopne\b|stengt|stengd|betjent|ekspedisjon", re.I
)
# A meeting's length, an event or a road closure in the same sentence: a clock range, not opening hours.
_EVENT_BEFORE = re.compile(
    r"\bmøte\w*|\bvarte\b|\bvarer\b|\bpågikk\b|\bpågår\b|\bkonsert\w*|\bforedrag\w*|\bforestilling\w*"
    r"|gjennomkjøring|gjennomkøyring|omkjøring|omkøyring|\bveien\b|\bvegen\b|\btrafikk\w*",
    re.I,
)
_OPEN_BEFORE = re.compile(
    r"(?:åpent|åpen|åpne|ope|open|opent|betjent|åpningstid(?:er|a|en)?|opningstid(?:er|a|ene)?|kontortid|telefontid)"
    r"\s*(?:fra\s+|frå\s+|mellom\s+)?[:]?\s*$",
    re.I,
)
_LEAD_GAP = re.compile(r"^[\s:,.()]*(?:(?:fra|frå|open|åpent|ope|er)\s+)?(?:kl(?:okka)?\.?\s*)?$", re.I)
_TRAIL_GAP = re.compile(r"^[\s,(]*(?:(?:på|alle|kvar|hver|om)\s+)?$", re.I)


def find_opening_hours(text: str, fallback_days: list[str] | None = None) -> list[Hours]:
    """Clock ranges in one sentence or line, each with its days (see the module docstring)."""
    ranges = find_time_ranges(text)
    specs = find_day_specs(text)
    # Days in brackets right after a range belong to it: "10.00–20.00 (man–tor), 10.00–16.00 (fre)".
    bracketed = {
        s
        for s in specs
        for r in ranges
        if s.start >= r.end and re.fullmatch(r"\s*\(\s*", text[r.end : s.start])
    }
    # A lone abbreviation ("man", "tor") is a day only right before a time or in brackets after one.
    specs = [s for s in specs if not s.abbr_only or s in bracketed or _followed_by_time(text, s, ranges)]
    lead_of: dict[int, DaySpec] = {}
    for r in ranges:
        before = [
            s
            for s in specs
            if s.end <= r.start and s not in bracketed and _LEAD_GAP.match(text[s.end : r.start])
        ]
        if before:
            lead_of[r.start] = before[-1]
    leads = set(lead_of.values())
    trailing: dict[int, DaySpec] = {}
    for r in ranges:
        if r.start not in lead_of:
            after = [
                s
                for s in specs
                if s.start >= r.end and s not in leads and _TRAIL_GAP.match(text[r.end : s.start])
            ]
            if after:
                trailing[r.start] = after[0]
    taken = set(trailing.values())
    dated = bool(_DATE.search(text)) and not _OPEN_WORDS.search(text)
    out: list[Hours] = []
    for r in ranges:
        if dated and _DATE.search(text, 0, r.start):
            continue  # "Foreldremøtet holdes tirsdag 21. april kl. 18.00–19.30": an event, not opening hours
        if _EVENT_BEFORE.search(text, 0, r.start) and not _OPEN_BEFORE.search(text[: r.start]):
            continue  # "Møtet varte fra kl. 09.00 til 17.45", "Vegen er stengd for gjennomkøyring kl. 09–15"
        spec = lead_of.get(r.start) or trailing.get(r.start)
        if spec is None:
            earlier = [s for s in specs if s.end <= r.start and s not in taken]
            spec = earlier[-1] if earlier else None
        if r.bare and spec is None and fallback_days is None and not _OPEN_BEFORE.search(text[: r.start]):
            continue  # "8-10 nye avdelinger" is no clock range; "Vi har åpent 9-15" is
        days = list(spec.days) if spec else fallback_days
        out.append(Hours(r.start, r.end, r.frm, r.to, days, spec.start if spec else None))
    return out


def _followed_by_time(text: str, spec: DaySpec, ranges: list[TimeRange]) -> bool:
    return any(r.start >= spec.end and _LEAD_GAP.match(text[spec.end : r.start]) for r in ranges)
