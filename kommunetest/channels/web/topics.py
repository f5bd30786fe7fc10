"""What a fact or a passage is about: its context read against a topic, from the most specific level out.

`facts.facts_about` answers "is this fact about one of these words?"; grading needs more: a topic named only
with plain words ("søknad", "telefon") must not claim the building case's processing time, a water price is
not a sewage price when an item asks for both separately, and "Helsestasjon for ungdom" is not the health
centre. `Topic` and `about_levels` add those distinctions (see `about_levels`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from kommunetest.channels.web.facts import CONTEXT_SEP, SUBJECT_GROUPS, Fact, expand_terms

# Subjects the shared term groups lack, named on municipal sites beside the ones the items ask for.
EXTRA_SUBJECTS: list[tuple[str, ...]] = [
    ("kulturskole", "kulturskule", "kulturskolen", "kulturskulen"),
    ("helsestasjon for ungdom", "ungdomshelsestasjon", "helsestasjon for ungdommen"),
    ("skole", "skule", "grunnskole", "grunnskule", "ungdomsskole", "ungdomsskule"),
    ("bading", "badetid", "offentlig bading", "offentleg bading", "svømming", "symjing"),
    ("praktisk bistand", "praktisk hjelp"),
]
SUBJECTS: list[tuple[str, ...]] = [*SUBJECT_GROUPS, *EXTRA_SUBJECTS]


def _subject_pattern(term: str) -> str:
    term = re.escape(term.casefold())
    # Short words stand alone ("nav" is not in "navn"); longer stems may start or end compounds.
    return rf"(?<![\wæøå]){term}(?![\wæøå])" if len(term) <= 4 else term


def _word_start(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\wæøå])" + r"\s+".join(re.escape(w) for w in term.casefold().split()))


@lru_cache(maxsize=1)
def _subject_res() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile("|".join(_subject_pattern(t) for t in g)) for g in SUBJECTS)


def _groups_of(term: str) -> set[int]:
    """The subject groups a topic term belongs to (itself, a sibling, or a compound of it)."""
    t = term.casefold().strip()
    expanded = set(expand_terms([t]))
    return {i for i, g in enumerate(SUBJECTS) if expanded & set(g) or _subject_res()[i].fullmatch(t)}


@dataclass(frozen=True)
class Topic:
    """What a requirement is about, for reading a fact's (or passage's) context.

    `own`: its terms as written; `strong`: the subject groups they belong to (siblings count as the same
    subject); `rivals`: terms of the item's other requirements ("avløp" against "vann": a water price is not
    a sewage price); `weak_only`: none of its terms names a known subject (e.g. "feil", "vakt"), so its
    words decide even beside other subjects."""

    own: tuple[tuple[re.Pattern[str], bool], ...]  # (pattern, names a subject)
    strong: frozenset[int]
    rivals: tuple[re.Pattern[str], ...]
    weak_only: bool

    @classmethod
    @lru_cache(maxsize=512)
    def of(cls, terms: tuple[str, ...], rivals: tuple[str, ...] = ()) -> Topic:
        own, strong = [], set()
        for term in terms:
            groups = _groups_of(term)
            strong |= groups
            own.append((_word_start(term), bool(groups)))
        mine = {t.casefold() for t in terms}
        rival = tuple(_word_start(t) for t in rivals if t.casefold() not in mine)
        return cls(tuple(own), frozenset(strong), rival, not strong)


def _spans(level: str, topic: Topic, *, nearest: bool = False) -> tuple[set[str], int]:
    """Categories named in one level (own, weak, mine, other, rival) after dropping matches inside longer
    ones ("helsestasjon" inside "helsestasjon for ungdom"), and how many subject groups it names. With
    `nearest` (the words leading up to a value) only the last thing named counts: in "for vann er 3 000 kr,
    og for avløp 2 000 kr" the second price is the sewage fee."""
    low = level.casefold()
    found: list[tuple[int, int, int, str]] = []  # start, end, priority, category
    for pattern, is_subject in topic.own:
        found += [(m.start(), m.end(), 0, "own" if is_subject else "weak") for m in pattern.finditer(low)]
    found += [(m.start(), m.end(), 1, "rival") for r in topic.rivals for m in r.finditer(low)]
    groups: set[int] = set()
    for i, rx in enumerate(_subject_res()):
        for m in rx.finditer(low):
            found.append((m.start(), m.end(), 2, "mine" if i in topic.strong else "other"))
            groups.add(i)
    kept: dict[tuple[int, int], tuple[int, str]] = {}
    for a, b, prio, cat in found:
        if any((x <= a and b <= y) and (x, y) != (a, b) for x, y, _, _ in found):
            continue  # inside a longer match
        if (a, b) not in kept or prio < kept[(a, b)][0]:
            kept[(a, b)] = (prio, cat)
    if nearest and kept:
        last = max(kept, key=lambda span: (span[1], -kept[span][0]))
        return {kept[last][1]}, len(groups)
    return {cat for _, cat in kept.values()}, len(groups)


_WORD = re.compile(r"[\wæøå]+")


def _reading_order(levels: Sequence[str], text: str) -> tuple[list[str], int]:
    """Context levels from the most specific: the words before the value, the sentence, then the row,
    column and headings outwards; and how many of them are words leading up to the value."""
    levels = list(reversed(levels))
    words = set(_WORD.findall(text.casefold()))
    i = 0
    while i < len(levels) and set(_WORD.findall(levels[i].casefold())) <= words:
        i += 1
    return [*levels[:i], text, *levels[i:]], i


def about_levels(levels: Sequence[str], text: str, topic: Topic) -> bool | None:
    """Is a fact (or passage) with this context about the topic (True), about something else (False), or does
    it not say (None)? Levels are read from the most specific: one naming only the topic's subjects says
    yes, one naming only others says no, one naming both leaves it to the levels around it, one naming
    three or more subjects (a menu, a list of services) is skipped. Plain words of the topic ("søknad",
    "telefon") say yes only if no level says otherwise."""
    weak_seen = False
    order, leads = _reading_order(levels, text)
    for n, level in enumerate(order):
        cats, n_groups = _spans(level, topic, nearest=n < leads)
        if n_groups > 2 and "own" not in cats:
            continue
        pos = bool(cats & {"own", "mine"})
        neg = bool(cats & {"other", "rival"})
        weak = "weak" in cats
        if topic.weak_only and weak and "rival" not in cats:
            return True
        if pos and not neg:
            return True
        if neg and not pos:
            return False
        if weak and not neg:
            weak_seen = True
    return True if weak_seen else None


def about(fact: Fact, topic: Topic) -> bool | None:
    return _about_cached(fact.context or "", fact.text, topic)


@lru_cache(maxsize=65536)  # the footer's facts, with the same context, are on every page of a site
def _about_cached(context: str, text: str, topic: Topic) -> bool | None:
    return about_levels(context.split(CONTEXT_SEP) if context else [], text, topic)
