"""Redaction of what municipalities wrote before it is published: staff names, e-mail addresses and phone
numbers go, the municipality's official postmottak address and switchboard number stay.

Why: replies are published as evidence, and METHOD.md ("Known criticism") says staff names are not published.
The persona (our fictitious citizen) must never be recognisable in the report either. Redaction errs on the
side of removing: a surname-looking word too many is harmless, a name too few is not.

How a name is recognised, in order of confidence:
1. names we know: the reply's From display name, and lines of the signature block that look like a personal
   name ("Kari Hansen", "Máret Sara", "K. Hansen"); each is removed wherever it occurs, whole or in parts;
2. a common first name followed by one or two capitalised words ("Kari Hansen", "Ola Nordmann-Berg");
3. capitalised words after a phrase that introduces a person ("kontakt", "saksbehandler", "spør etter"...);
4. the persona's full name anywhere, and its first name after a greeting ("Hei Anna,").
E-mail addresses are removed unless they are the municipality's official or functional addresses
(postmottak@..., servicetorget@...). Phone numbers are removed unless they are the registered switchboard
number or are introduced as the switchboard/service desk number on the same line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kommunetest.report.text import gettext as _

DATA = Path(__file__).parent / "wordlists"

# Upper- and lower-case letters of Norwegian, Sámi and other Latin names.
UP = "A-ZÆØÅÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮĶĹĻĽŁŃŅŇŊŌŐŒŔŖŘŚŞŠŢŤŦŪŮŰŲŽŹŻ"
LOW = "a-zæøåß-öø-ÿāăąćčďđēėęěğģīįķĺļľłńņňŋōőœŕŗřśşšţťŧūůűųžźż"
_CAP = rf"[{UP}][{LOW}]+(?:[-'’][{UP}][{LOW}]+)?"
_INITIAL = rf"[{UP}]\."
_NAME_TOKEN = re.compile(rf"^(?:{_CAP}|{_INITIAL}|(?:van|von|de|der|den|da|di|la|le))$")

# Words that, before a name, announce a person ("kontakt Kari Hansen", "saksbehandler Ánte Gaup").
INTRO = re.compile(
    r"(?:\b(?:kontakt(?:e|a)?|kontaktperson(?:en)?|ring(?:e)?|spør(?:\s+etter)?|snakk(?:e)?\s+med|"
    r"saksbehandler(?:en)?|sakshandsamar(?:en)?|rådgiver(?:en)?|konsulent(?:en)?|leder(?:en)?|"
    r"fagansvarlig|enhetsleder|virksomhetsleder|hilsen|helsing|mvh|v/|ved|fra|av)\s+)",
    re.IGNORECASE,
)
SWITCHBOARD_WORDS = re.compile(
    r"sentralbord|servicetorg|innbyggertorg|servicesenter|kundesenter|kundeservice|postmottak|hovednummer|"
    r"vakttelefon|legevakt",
    re.IGNORECASE,
)
PERSONAL_PHONE_WORDS = re.compile(r"direkte|dir\.|mobil|privat|mob\.", re.IGNORECASE)
GREETING = r"(?:hei|hallo|heisann|kjære|god\s+dag|goddag|dear|hi|hello)"
# Ambiguous first names that are also common words: a name only next to a surname, greeting or signature.
AMBIGUOUS = frozenset(
    {"Per", "Dag", "Liv", "Tor", "Mai", "Sol", "Even", "Ask", "Eli", "Finn", "Odd", "Gro", "Hans", "Tom", "Kai",
     "Stig", "Lene", "Mette", "Inge", "Bjørn", "Line", "Tone", "Svein", "Frank", "Rune", "Storm", "Vår", "Unni"}
)  # fmt: skip
YEAR_PAIR = re.compile(r"^(?:19|20)\d\d[ \u00a0](?:19|20)\d\d$")

FIRST_AND_MORE = re.compile(rf"(?<![\w-])({_CAP})((?:[ \u00a0](?:{_INITIAL}|{_CAP})){{1,3}})")
LONE_NAME = re.compile(
    rf"(?<=[{LOW},] )({_CAP})(?![\w-])|(?:^|(?<=[.!?:] ))({_CAP})(?=[ \u00a0][{LOW}])", re.MULTILINE
)
CAP_SEQUENCE = re.compile(rf"((?:{_CAP}|{_INITIAL})(?:[ \u00a0](?:{_CAP}|{_INITIAL})){{0,3}})")
EMAIL = re.compile(r"(?<![\w.+-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+(?![\w-])")
_SEP = r"[ \u00a0]?"
PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)47[ \u00a0-]?)?"
    rf"(?:\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}{_SEP}\d{{2}}|\d{{3}}{_SEP}\d{{2}}{_SEP}\d{{3}}|\d{{4}}{_SEP}\d{{4}})"
    r"(?![\d,]\d|[\w])(?!\s*(?:kr\b|kroner|nok\b|,-|%))",
    re.IGNORECASE,
)


@lru_cache(maxsize=8)
def word_list(name: str) -> frozenset[str]:
    """A word list of wordlists/NAME.txt: one entry a line, # comments."""
    lines = (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def first_names() -> frozenset[str]:
    return word_list("first_names")


ORG_WORDS = word_list("organisation_words")
FUNCTIONAL_LOCAL_PARTS = word_list("functional_addresses")


def placeholder(kind: str) -> str:
    """The text that stands where something was removed (Norwegian through the catalogue)."""
    return {
        "name": _("[name removed]"),
        "email": _("[e-mail removed]"),
        "phone": _("[phone removed]"),
        "persona": _("[citizen]"),
        "address": _("[address removed]"),
    }[kind]


def phone_digits(text: str) -> str:
    """The 8-digit national number of a phone number as written (country code dropped)."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 12 and digits.startswith("0047"):
        digits = digits[4:]
    elif len(digits) == 10 and digits.startswith("47"):
        digits = digits[2:]
    return digits


def _is_org_word(token: str) -> bool:
    return token.strip(".,:;()").casefold() in ORG_WORDS


@dataclass(frozen=True)
class Persona:
    """What identifies one of our personas in a text."""

    name: str
    email: str
    address: str = ""

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else ""


@dataclass
class Redacted:
    text: str
    counts: Counter[str] = field(default_factory=Counter)


@dataclass
class Redactor:
    """Redaction for one municipality's texts. `official_emails`/`official_phones` are kept; `place_words`
    (the municipality's names, its county) are never taken for a person's name."""

    official_emails: frozenset[str] = frozenset()
    official_phones: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    personas: Sequence[Persona] = ()
    place_words: frozenset[str] = frozenset()

    @classmethod
    def for_municipality(
        cls,
        *,
        email: str | None = None,
        phone: str | None = None,
        website: str | None = None,
        names: Iterable[str | None] = (),
        personas: Sequence[Persona] = (),
    ) -> Redactor:
        """The redactor for a municipality of the register (its e-mail, phone, website and names)."""
        domains: set[str] = set()
        if website:
            host = re.sub(r"^[a-z]+://", "", website.lower()).split("/")[0].split(":")[0]
            domains.add(host.removeprefix("www."))
        emails = {email.lower()} if email else set()
        for d in list(domains) + [e.split("@", 1)[1] for e in emails]:
            domains.add(d)
            emails |= {f"postmottak@{d}", f"post@{d}"}
        words = {w for n in names if n for w in re.split(r"[\s/-]+", n) if w}
        return cls(
            official_emails=frozenset(emails),
            official_phones=frozenset({phone_digits(phone)} if phone else set()),
            domains=frozenset(domains),
            personas=tuple(personas),
            place_words=frozenset(words),
        )

    # --- what is a name ----------------------------------------------------------------------------------

    def looks_like_name(self, text: str, *, single_ok: bool = False) -> bool:
        """Does `text` (a signature line, a From name) look like a person's name and nothing else?"""
        text = re.sub(r"\s*\([^)]*\)\s*", " ", text).strip(" ,;:-–")
        if not text or any(c.isdigit() for c in text) or "@" in text or "/" in text:
            return False
        if "," in text:  # "Hansen, Kari" as Outlook writes it
            parts = [p.strip() for p in text.split(",")]
            if len(parts) != 2:
                return False
            text = f"{parts[1]} {parts[0]}"
        tokens = text.split()
        if not 1 <= len(tokens) <= 4 or (len(tokens) == 1 and not single_ok):
            return False
        if any(_is_org_word(t) or t in self.place_words for t in tokens):
            return False
        if not all(_NAME_TOKEN.match(t) for t in tokens):
            return False
        return any(len(t) > 2 and not t.endswith(".") for t in tokens)

    def name_tokens(self, name: str) -> list[str]:
        text = re.sub(r"\s*\([^)]*\)\s*", " ", name)
        if "," in text:
            a, _, b = text.partition(",")
            text = f"{b} {a}"
        return [t for t in text.split() if len(t) > 1 and not t.endswith(".") and t[0].isupper()]

    # --- the passes ----------------------------------------------------------------------------------------

    def text(self, text: str, *, names: Iterable[str] = ()) -> Redacted:
        """Redact free text. `names` are persons known to be named in it (From name, signature names)."""
        low = text.casefold()
        persona = any(t in low for t in _persona_terms(tuple(self.personas)))
        if not persona and not _TRIGGER.search(text):
            return Redacted(text)  # no capital, digit, @ or persona: nothing here to remove
        spans: list[tuple[int, int, str]] = []
        spans += self._emails(text)
        spans += self._phones(text)
        if persona:
            spans += self._persona(text)
        spans += self._known_names(text, names)
        spans += self._dictionary_names(text)
        spans += self._introduced_names(text)
        return _apply(text, spans)

    def signature_names(self, signature: str) -> list[str]:
        """Personal names in a signature block: lines that are a name, and the name after a sign-off."""
        found: list[str] = []
        lines = signature.splitlines()
        after_sign_off = False
        for line in lines:
            stripped = line.strip()
            if not stripped:
                continue
            m = re.match(
                r"^(?:(?:med\s+)?(?:vennlig|vennleg|venleg|beste|god)\s+(?:hilsen|helsing)|med\s+hilsen|mvh|vh|"
                r"hilsen|helsing|best regards|kind regards|regards)\b[\s,.!:]*(.*)$",
                stripped,
                re.IGNORECASE,
            )
            if m:
                rest = m.group(1).strip()
                if rest and self.looks_like_name(rest, single_ok=True):
                    found.append(rest)
                after_sign_off = True
                continue
            first, _, title = stripped.partition(",")
            candidate = first if title and not self.looks_like_name(stripped) else stripped
            if self.looks_like_name(candidate, single_ok=after_sign_off):
                found.append(candidate)
            after_sign_off = False
        return found

    def reply(self, new: str, signature: str, *, from_name: str | None = None) -> tuple[Redacted, Redacted]:
        """Redact a reply's new text and its signature; names from the From header and the signature are
        removed from both."""
        names = list(self.signature_names(signature))
        if from_name and self.looks_like_name(from_name):
            names.append(from_name)
        return self.text(new, names=names), self.text(signature, names=names)

    def _emails(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        for m in EMAIL.finditer(text):
            addr = m.group(0).lower().rstrip(".")
            local, _, domain = addr.partition("@")
            persona = any(addr == p.email.lower() for p in self.personas)
            official = addr in self.official_emails or (
                not persona
                and local in FUNCTIONAL_LOCAL_PARTS
                and (not self.domains or domain in self.domains)
            )
            if persona or not official:
                end = m.start() + len(addr)
                out.append((m.start(), end, placeholder("email")))
        return out

    def _phones(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        for m in PHONE.finditer(text):
            if phone_digits(m.group(0)) in self.official_phones or YEAR_PAIR.match(m.group(0)):
                continue
            line_start = text.rfind("\n", 0, m.start()) + 1
            before = text[max(line_start, m.start() - 45) : m.start()]
            sw = list(SWITCHBOARD_WORDS.finditer(before))
            if sw and not PERSONAL_PHONE_WORDS.search(before[sw[-1].end() :]):
                continue
            out.append((m.start(), m.end(), placeholder("phone")))
        return out

    def _persona(self, text: str) -> list[tuple[int, int, str]]:
        whole, greeting, address = _persona_patterns(tuple(self.personas))
        out = []
        if whole is not None:
            out += [(m.start(), m.end(), placeholder("persona")) for m in whole.finditer(text)]
        if address is not None:
            out += [(m.start(), m.end(), placeholder("address")) for m in address.finditer(text)]
        if greeting is not None:
            out += [(m.start(1), m.end(1), placeholder("persona")) for m in greeting.finditer(text)]
        return out

    def _known_names(self, text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
        out = []
        tokens: set[str] = set()
        for name in names:
            if not name or len(name.strip()) < 2:
                continue
            for m in re.finditer(re.escape(name.strip()), text):
                out.append((m.start(), m.end(), placeholder("name")))
            tokens |= {t for t in self.name_tokens(name) if t not in self.place_words and not _is_org_word(t)}
        for tok in sorted(tokens, key=len, reverse=True):
            for m in re.finditer(rf"(?<![\w-]){re.escape(tok)}(?![\w-])", text):
                out.append((m.start(), m.end(), placeholder("name")))
        return out

    def _dictionary_names(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        names = first_names()
        for m in FIRST_AND_MORE.finditer(text):
            first = m.group(1)
            if first not in names:
                continue
            rest = m.group(2).split()
            take = []
            for tok in rest:
                if _is_org_word(tok) or tok in self.place_words:
                    break
                take.append(tok)
            if not take:
                continue
            end = m.start(2) + len(" ".join(take)) + 1
            out.append((m.start(), end, placeholder("name")))
        # A lone common first name (not an ambiguous word): inside a sentence, or opening one before a
        # lower-case word ("Kari kan også hjelpe").
        for m in LONE_NAME.finditer(text):
            g = 1 if m.group(1) else 2
            if m.group(g) in names and m.group(g) not in AMBIGUOUS:
                out.append((m.start(g), m.end(g), placeholder("name")))
        return out

    def _introduced_names(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        for intro in INTRO.finditer(text):
            m = CAP_SEQUENCE.match(text, intro.end())
            if not m:
                continue
            tokens = []
            for tok in m.group(1).split():
                if _is_org_word(tok) or tok in self.place_words:
                    break
                tokens.append(tok)
            if not tokens:
                continue
            if len(tokens) == 1 and (tokens[0] not in first_names() or tokens[0] in AMBIGUOUS):
                continue
            out.append((m.start(), m.start() + len(" ".join(tokens)), placeholder("name")))
        return out


_TRIGGER = re.compile(rf"[@\d{UP}]")


@lru_cache(maxsize=16)
def _persona_terms(personas: tuple[Persona, ...]) -> tuple[str, ...]:
    return tuple(t.casefold() for p in personas for t in (p.name, p.email, p.address, p.first_name) if t)


@lru_cache(maxsize=16)
def _persona_patterns(
    personas: tuple[Persona, ...],
) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None, re.Pattern[str] | None]:
    """(full names and addresses, first name after a greeting, street addresses), compiled once."""

    def alternation(terms: Iterable[str]) -> str:
        return "|".join(re.escape(t) for t in sorted({t for t in terms if t}, key=len, reverse=True))

    whole = alternation([p.name for p in personas] + [p.email for p in personas])
    first = alternation(p.first_name for p in personas)
    streets = alternation(p.address for p in personas)
    return (
        re.compile(whole, re.IGNORECASE) if whole else None,
        re.compile(rf"\b{GREETING}[ \t,]+({first})\b", re.IGNORECASE) if first else None,
        re.compile(streets, re.IGNORECASE) if streets else None,
    )


def _apply(text: str, spans: list[tuple[int, int, str]]) -> Redacted:
    """Replace spans (overlaps merged: the earliest start wins, extended to the furthest end)."""
    counts: Counter[str] = Counter()
    if not spans:
        return Redacted(text, counts)
    kind_of = {placeholder(k): k for k in ("name", "email", "phone", "persona", "address")}
    spans.sort(key=lambda s: (s[0], -s[1]))
    merged: list[list] = []
    for start, end, rep in spans:
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            continue
        merged.append([start, end, rep])
    out, pos = [], 0
    for start, end, rep in merged:
        out.append(text[pos:start])
        out.append(rep)
        counts[kind_of.get(rep, "other")] += 1
        pos = end
    out.append(text[pos:])
    return Redacted("".join(out), counts)
