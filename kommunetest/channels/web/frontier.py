"""The crawl frontier: which page to fetch next, so that the items still missing are found with few pages.

A link scores, for each item still missing, 3 if one of the item's terms is in its anchor text, 2 if in its
URL path, 1 if in the heading above it (summed over the missing items); the highest score is fetched first and
click depth breaks ties (so without any hint the crawl is breadth-first). Terms and texts are folded (case,
æ/ø/å, `aa`, URL escapes) so that `Åpningstider`, `/aapningstider` and `/%C3%A5pningstider` meet; short terms
(up to 4 letters, such as `SFO`) must start a word, longer ones may sit inside a compound (`byggesaksgebyr`).

Crawler traps (endless calendars, session ids) are contained by a cap on pages per URL pattern (digits
blurred) and a maximum depth.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from kommunetest.channels.web.urls import dedupe_key, url_pattern

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "é": "e", "ü": "u", "ö": "o", "ä": "a"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
ANCHOR, PATH, HEADING = 3, 2, 1


@functools.lru_cache(maxsize=65536)  # anchor texts and paths repeat on every page of a site
def fold(text: str) -> str:
    """Lower case, Norwegian letters to ASCII, `aa` to `a`, everything else to single spaces."""
    text = unquote(text).casefold().translate(_FOLD).replace("aa", "a")
    return " " + _NON_WORD.sub(" ", text).strip() + " "


def term_in(term_folded: str, text_folded: str) -> bool:
    """Match a folded term (see `fold`) in folded text: short terms at a word start, long ones anywhere."""
    t = term_folded.strip()
    if not t:
        return False
    return (" " + t) in text_folded if len(t) <= 4 else t in text_folded


@dataclass
class ItemTerms:
    """An item's folded terms, prepared once (with one pattern for all of them: every link of every page is
    scored against every item, so matching is the crawler's hottest loop)."""

    id: str
    folded: list[str]
    pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern is None:
            words = [t.strip() for t in self.folded if t.strip()]
            alts = [re.escape(" " + w if len(w) <= 4 else w) for w in words]  # the rule of `term_in`
            self.pattern = re.compile("|".join(alts)) if alts else None

    @classmethod
    def of(cls, item_id: str, terms: Iterable[str]) -> ItemTerms:
        return cls(item_id, [f for f in (fold(t) for t in terms) if f.strip()])

    def matches(self, text_folded: str) -> bool:
        return self.pattern is not None and self.pattern.search(text_folded) is not None


def score_link(items: Iterable[ItemTerms], anchor: str, url: str, heading: str = "") -> dict[str, int]:
    """Per item id, how strongly a link points to it (0 left out)."""
    a, p, h = fold(anchor), fold(urlsplit(url).path), fold(heading)
    out: dict[str, int] = {}
    for item in items:
        s = ANCHOR * item.matches(a) + PATH * item.matches(p) + HEADING * item.matches(h)
        if s:
            out[item.id] = s
    return out


@dataclass
class Candidate:
    url: str
    depth: int | None  # clicks from the front page when found by links; None from a sitemap or search
    via: str  # "links", "sitemap", "search"
    link_path: list[str] = field(default_factory=list)  # front page ... parent (the pages clicked through)
    scores: dict[str, int] = field(default_factory=dict)
    anchor: str = ""

    def priority(self, missing: Mapping[str, object] | set[str]) -> int:
        return sum(s for i, s in self.scores.items() if i in missing)

    def tiebreak(self) -> int:
        if self.depth is not None:
            return self.depth
        return 1 + urlsplit(self.url).path.strip("/").count("/")  # a guess for sitemap and search URLs


class Frontier:
    """A priority queue of candidates keyed by dedupe key, re-scored when the set of missing items changes."""

    def __init__(self, max_depth: int = 10, per_pattern: int = 12) -> None:
        self.max_depth = max_depth
        self.per_pattern = per_pattern
        self._cands: dict[str, Candidate] = {}
        self._done: set[str] = set()
        self._heap: list[tuple[int, int, int, str]] = []
        self._seq = itertools.count()
        self._patterns: Counter[str] = Counter()
        self.missing: set[str] = set()
        self.dropped_traps = 0

    def __len__(self) -> int:
        return len(self._cands)

    def mark_done(self, url: str) -> None:
        key = dedupe_key(url)
        self._done.add(key)
        self._cands.pop(key, None)

    def is_done(self, url: str) -> bool:
        return dedupe_key(url) in self._done

    def push(self, cand: Candidate) -> bool:
        """Add or improve a candidate; False when it is done already, too deep, or a trap's n-th page."""
        key = dedupe_key(cand.url)
        if key in self._done or (cand.depth is not None and cand.depth > self.max_depth):
            return False
        old = self._cands.get(key)
        if old is None:
            pattern = url_pattern(cand.url)
            if self._patterns[pattern] >= self.per_pattern:
                self.dropped_traps += 1
                return False
            self._patterns[pattern] += 1
            self._cands[key] = cand
        else:
            changed = False
            if cand.depth is not None and (old.depth is None or cand.depth < old.depth):
                old.depth, old.link_path, old.via = cand.depth, cand.link_path, cand.via
                changed = True
            for i, s in cand.scores.items():
                if s > old.scores.get(i, 0):
                    old.scores[i] = s
                    changed = True
            if not old.anchor and cand.anchor:
                old.anchor = cand.anchor
            if not changed:
                return True
            cand = old
        heapq.heappush(self._heap, (-cand.priority(self.missing), cand.tiebreak(), next(self._seq), key))
        return True

    def set_missing(self, missing: set[str]) -> None:
        """Re-score everything for a new set of missing items."""
        if missing == self.missing:
            return
        self.missing = set(missing)
        self._heap = [
            (-c.priority(self.missing), c.tiebreak(), next(self._seq), k) for k, c in self._cands.items()
        ]
        heapq.heapify(self._heap)

    def pop(self) -> Candidate | None:
        while self._heap:
            neg, tie, _seq, key = heapq.heappop(self._heap)
            cand = self._cands.get(key)
            if cand is None or -neg != cand.priority(self.missing) or tie != cand.tiebreak():
                continue  # stale entry: done, or re-pushed with a better priority
            del self._cands[key]
            self._done.add(key)
            return cand
        return None
