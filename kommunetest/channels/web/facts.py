"""Facts read from a page, and the selections item checks and e-mail grading make over them.

A fact is a typed value (opening hours, a processing time, a complaint deadline, a price, a phone number, an
e-mail address), the text it was read from, and its `context`: the path of what it is about, outermost first,
joined by " > " (headings, table caption, row label, column header, and the words leading up to the value
in its sentence). `facts_about` reads that path from the most specific end, so the library's opening hours
listed under the service desk's heading are still the library's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

FACT_KINDS = ("opening_hours", "processing_time", "complaint_deadline", "price", "phone", "email")
CONTEXT_SEP = " > "


class Fact(BaseModel):
    """One value found on a page.

    Values by kind:
    - opening_hours: `{"from": "08:00", "to": "15:30", "days": ["mon", ...] | None}`
    - processing_time, complaint_deadline: `{"amount": 12, "unit": "hours|days|weeks|months"}`, plus
      `"max"` for ranges ("12–16 uker": amount 12, max 16) and `"working_days": true` for virkedager
    - price: `{"nok": 3145, "per": "month|year|hour|day|week|once" | None}`, plus `"max"` for ranges and
      `"year"` when the fee is given for a year (a year column, "i 2027", a heading "Gebyrer 2027")
    - phone: `"75068000"` (eight digits); email: `"postmottak@x.kommune.no"` (lower case)
    """

    kind: str
    value: Any
    text: str
    context: str | None = None

    @property
    def levels(self) -> list[str]:
        return self.context.split(CONTEXT_SEP) if self.context else []

    def key(self) -> tuple[str, str]:
        """Kind and value, for comparing and de-duplicating."""
        return self.kind, _value_key(self.value)


def _value_key(value: Any) -> str:
    if isinstance(value, dict):
        return repr(sorted(value.items(), key=lambda kv: kv[0]))
    return repr(value)


def facts_for_year(facts: Iterable[Fact], year: int, *, undated: bool = True) -> list[Fact]:
    """Prices for `year`: those marked with that year, plus (if `undated`) those marked with none.

    Facts of other kinds pass through; prices marked with another year are dropped.
    """
    out: list[Fact] = []
    for f in facts:
        fy = f.value.get("year") if f.kind == "price" and isinstance(f.value, dict) else None
        if f.kind != "price" or fy == year or (fy is None and undated):
            out.append(f)
    return out


# Groups of words that name the same thing (bokmål, nynorsk and common variants).
TERM_GROUPS: list[tuple[str, ...]] = [
    ("servicetorg", "innbyggertorg", "innbyggjartorg", "servicesenter", "innbyggerservice",
     "innbyggjarservice", "kundesenter", "publikumsmottak", "rådhus", "sørvistorg", "servicekontor"),
    ("sentralbord", "sentralbordet", "hovednummer"),
    ("bibliotek", "biblioteket", "folkebibliotek"),
    ("svømmehall", "symjehall", "basseng", "badeanlegg", "badeland", "svømmebasseng", "bad"),
    ("åpningstid", "opningstid", "åpent", "ope", "open", "åpningstider", "opningstider"),
    ("saksbehandlingstid", "sakshandsamingstid", "behandlingstid", "handsamingstid", "svartid"),
    ("klage", "klagefrist", "klagerett", "påklage", "klaga"),
    ("byggesak", "byggjesak", "byggesøknad", "byggjesøknad", "plan og bygg", "byggesaksbehandling"),
    ("gebyr", "gebyrer", "gebyrregulativ", "avgift", "avgifter", "pris", "priser", "betalingssatser"),
    ("sfo", "skolefritidsordning", "skulefritidsordning", "aks", "aktivitetsskole"),
    ("barnehage", "barnehagen", "foreldrebetaling"),
    ("vann", "vatn", "avløp", "vann og avløp", "vatn og avløp", "va-gebyr", "vassforsyning"),
    ("renovasjon", "avfall", "søppel", "tømming"),
    ("postmottak", "e-post", "epost"),
    ("legevakt",),
    ("legekontor", "fastlege", "legesenter"),
    ("helsestasjon",),
    ("tannklinikk", "tannhelse", "tannlege"),
    ("nav",),
    ("kino",),
    ("kulturhus",),
    ("gjenbruksstasjon", "miljøstasjon", "avfallsmottak", "gjenvinningsstasjon"),
    ("sykehjem", "sjukeheim", "omsorgssenter"),
    ("museum",),
    ("turistinformasjon",),
    ("idrettshall", "flerbrukshall"),
    ("eiendomsskatt", "kemner", "skatt"),
    ("feiing", "brannvesen", "brann"),
    ("parkering",),
    ("hjemmetjeneste", "heimeteneste", "hjemmesykepleie", "heimesjukepleie", "hjemmehjelp"),
]  # fmt: skip

# Subjects: things a fact can be about. A more specific level naming one of these that the caller did not
# ask for means the fact is about something else.
SUBJECT_GROUPS = [
    g for g in TERM_GROUPS if g[0] not in ("åpningstid", "saksbehandlingstid", "klage", "gebyr")
]


def _pattern(term: str) -> str:
    term = re.escape(term.lower())
    # Short words must stand alone ("nav" is not in "navn"); long stems may start compounds or inflect.
    return rf"(?<![a-zæøå]){term}(?![a-zæøå])" if len(term) <= 4 else term


def expand_terms(terms: Iterable[str]) -> list[str]:
    """A topic's terms with their bokmål/nynorsk siblings from `TERM_GROUPS`."""
    out: list[str] = []
    for term in terms:
        t = term.lower().strip()
        if not t:
            continue
        out.append(t)
        for group in TERM_GROUPS:
            if any(t == g or (len(g) > 4 and (t.startswith(g) or g.startswith(t))) for g in group):
                out.extend(group)
    return list(dict.fromkeys(out))


def _matches(patterns: list[re.Pattern[str]], text: str) -> bool:
    low = text.lower()
    return any(p.search(low) for p in patterns)


def facts_about(
    facts: Iterable[Fact], terms: list[str], *, others: Iterable[str] | None = None
) -> list[Fact]:
    """Facts whose most specific named topic is one of `terms` (with their bokmål/nynorsk siblings).

    The context is read from its most specific level (the words before the value, then the sentence,
    row and column, then the headings inwards-out): the first level that names a wanted term includes the
    fact; the first that names another subject (`others`, default: the known subjects not asked for)
    excludes it. A fact whose context names neither is not included.
    """
    wanted_terms = expand_terms(terms)
    wanted = [re.compile(_pattern(t)) for t in wanted_terms]
    if others is None:
        others = [s for g in SUBJECT_GROUPS if not set(g) & set(wanted_terms) for s in g]
    other = [re.compile(_pattern(t)) for t in others if t.lower() not in wanted_terms]
    out: list[Fact] = []
    for fact in facts:
        for level in _reading_order(fact):
            if _matches(wanted, level):
                out.append(fact)
                break
            if _matches(other, level):
                break
    return out


def _reading_order(fact: Fact) -> list[str]:
    """Context levels from the most specific; the fact's own sentence right after the words leading to it."""
    levels = list(reversed(fact.levels))
    words = set(_WORD.findall(fact.text.lower()))
    i = 0
    while i < len(levels) and set(_WORD.findall(levels[i].lower())) <= words:
        i += 1  # the words leading up to the value come from the sentence itself
    return [*levels[:i], fact.text, *levels[i:]]


_WORD = re.compile(r"[\wæøå]+")
