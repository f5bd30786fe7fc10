"""Item grades: the facts and text of a site's pages, read against one web item's `grading`, give METHOD.md's
grade (complete / partial / pdf_or_deep / absent) and what backs it.

A page meets a `fact:` requirement with facts of that kind about one of its `topic` terms (`topics.about`:
the library's hours never pass for the service desk's, a water price is not a sewage price); this year's
fee column only (`facts_for_year`); without a topic, any fact of that kind not plainly about some other
subject. Holiday hours ("romjulen 27.–30. desember kl. 10–14") are not opening hours. For the complete rule,
a duration that the item's partial rule names ("12 uker": only the statutory limit) does not count. A page
meets an `any_of:` requirement when one of its terms starts a word of the visible text (links to the site's
own pages left out: a menu entry is a way to the item, not the item); for items about a fact, the term must
also stand in a passage about the item's topic ("saksbehandlingstid" on the home-care page says nothing of
building cases).

Over the site, the best evidence wins, in this order (the PDF rule goes before the scenario's partial rule:
a tester who finds the full fee list in the PDF grades the item "only in a PDF", not "partial"):
1. complete on an HTML page within `max_depth` clicks (or a top-5 hit of the site's search): complete;
2. complete only in a PDF, or only deeper than `max_depth`: pdf_or_deep;
3. partial on a reachable HTML page: partial;
4. partial only in a PDF or too deep: pdf_or_deep;
5. nothing: absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from kommunetest.channels.web.facts import Fact, facts_for_year
from kommunetest.channels.web.patterns import find_durations, find_phones
from kommunetest.channels.web.topics import Topic, about, about_levels
from kommunetest.channels.web.urls import dedupe_key
from kommunetest.scenarios import Requirement, WebSpec

GRADES = ("complete", "partial", "pdf_or_deep", "absent")
RANK = {"complete": 3, "partial": 2, "pdf_or_deep": 1, "absent": 0}
_SPECIAL_HOURS = re.compile(
    r"\b(?:jul\w*|romjul\w*|påske\w*|sommar\w*|sommer\w*|nyttår\w*|pinse\w*|\w*ferie\w*"
    r"|januar|februar|mars|april|juni|juli|august|september|oktober|november|desember"
    r"|\d{1,2}\.\s*[–-]\s*\d{1,2}\.)",
    re.I,
)
Passage = tuple[tuple[str, ...], str]  # (headings, text) of one block
FOOTER = "Bunntekst"  # the heading `document` gives the page footer's blocks


@dataclass
class PageView:
    """What grading needs to know about one crawled page (or PDF)."""

    url: str
    depth: int | None  # clicks from the front page; None when not linked from it
    found_via: str  # front, links, sitemap, search
    facts: list[Fact]
    text: str  # the visible text without the text of links to the site's own pages
    passages: list[Passage] = field(default_factory=list)
    is_pdf: bool = False
    rendered: bool = False  # facts and text come from the browser (JavaScript)
    title: str = ""

    def __post_init__(self) -> None:
        self.folded = re.sub(r"\s+", " ", self.text).casefold()


@dataclass
class PageMatch:
    """A page that meets an item fully or in part, with the facts and terms that show it."""

    page: PageView
    level: str  # complete or partial
    facts: list[Fact] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


@dataclass
class ItemGrade:
    item_id: str
    grade: str  # one of GRADES
    match: PageMatch | None = None  # the page that gives the grade (None when absent)
    reachable: bool = False
    reason: str = ""

    @property
    def page(self) -> PageView | None:
        return self.match.page if self.match else None

    @property
    def facts(self) -> list[Fact]:
        return self.match.facts if self.match else []

    @property
    def terms(self) -> list[str]:
        return self.match.terms if self.match else []


@lru_cache(maxsize=4096)
def _term_re(term: str) -> re.Pattern[str]:
    """A term that starts a word (it may go on: "klagerett" has "klage"); spaces match any whitespace."""
    body = r"\s+".join(re.escape(w) for w in term.casefold().split())
    return re.compile((r"(?<![\wæøå])" if term[:1].isalnum() else "") + body)


@lru_cache(maxsize=4096)
def _plain(term: str) -> str:
    return " ".join(term.casefold().split())


def terms_in(terms: Iterable[str], folded_text: str) -> list[str]:
    """The terms found in `folded_text` (case-folded, spaces collapsed). A plain substring test first: most
    pages name none of an item's terms, and `in` says so far faster than a pattern."""
    return [t for t in terms if (p := _plain(t)) and p in folded_text and _term_re(t).search(folded_text)]


def _distinct(facts: Iterable[Fact]) -> list[Fact]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in facts:
        if f.key() not in seen:
            seen.add(f.key())
            out.append(f)
    return out


def item_topics(spec: WebSpec) -> list[str]:
    """What the item is about: the topics of its fact requirements, else its own terms."""
    topics = [t for r in spec.grading.complete_requires if r.fact for t in r.topic]
    return topics or spec.terms.all()


def _rivals(spec: WebSpec, req: Requirement) -> tuple[str, ...]:
    reqs = [*spec.grading.complete_requires, *spec.grading.partial_if]
    return tuple(t for r in reqs if r is not req and r.fact == req.fact for t in r.topic)


def _value_key(f: Fact) -> tuple[object, object] | None:
    if f.kind in ("processing_time", "complaint_deadline") and isinstance(f.value, dict):
        return f.value.get("amount"), f.value.get("unit")
    if f.kind == "phone":
        return "phone", f.value
    return None


@lru_cache(maxsize=256)
def _values_named(terms: tuple[str, ...]) -> frozenset[tuple[object, object]]:
    durations = {(h.value["amount"], h.value["unit"]) for t in terms for h in find_durations(t)}
    return frozenset(durations | {("phone", h.value) for t in terms for h in find_phones(t)})


def _named_values(spec: WebSpec) -> frozenset[tuple[object, object]]:
    """Values the item's partial rule names: "12 uker" (only the statutory time limit), "116 117" (only the
    national legevakt number, not the municipality's own)."""
    terms = tuple(t for r in spec.grading.partial_if if r.any_of is not None for t in r.any_of.all())
    return _values_named(terms)


def requirement_facts(
    req: Requirement, page: PageView, *, year: int, spec: WebSpec, for_complete: bool = False
) -> list[Fact]:
    """The page's facts that meet a `fact:` requirement (distinct values)."""
    facts = [f for f in page.facts if f.kind == req.fact and not _SPECIAL_HOURS.search(_where(f))]
    if req.fact == "price":
        facts = facts_for_year(facts, year)
    if req.topic:
        topic = Topic.of(tuple(req.topic), _rivals(spec, req))
        facts = [f for f in facts if about(f, topic)]
    else:
        topic = Topic.of(tuple(item_topics(spec)))
        facts = [f for f in facts if about(f, topic) is not False]
    if for_complete and facts and (named := _named_values(spec)):
        facts = [f for f in facts if _value_key(f) not in named]
    return _distinct(facts)


def _where(f: Fact) -> str:
    return f"{f.text} {f.context or ''}" if f.kind == "opening_hours" else ""


def _terms_in_topic(terms: list[str], page: PageView, spec: WebSpec) -> list[str]:
    """The terms that stand in a passage about the item's topic (for items about a fact)."""
    topic = Topic.of(tuple(item_topics(spec)))
    out = []
    for term in terms:
        rx = _term_re(term)
        if any(
            rx.search(text.casefold()) and about_levels(heads, text, topic) for heads, text in page.passages
        ):
            out.append(term)
    return out


def requirement_holds(
    req: Requirement, page: PageView, *, year: int, spec: WebSpec, for_complete: bool = False
) -> tuple[bool, list[Fact], list[str]]:
    """Does the page meet the requirement? With the facts and terms that show it."""
    facts: list[Fact] = []
    terms: list[str] = []
    if req.fact is not None and req.fact != "presence":
        facts = requirement_facts(req, page, year=year, spec=spec, for_complete=for_complete)
        if len(facts) < req.min_count:
            return False, [], []
    if req.any_of is not None:
        terms = terms_in(req.any_of.all(), page.folded)
        if terms and spec.fact_kind != "presence":
            terms = _terms_in_topic(terms, page, spec)
        if not terms:
            return False, [], []
    return True, facts, terms


def grade_page(spec: WebSpec, page: PageView, *, year: int) -> PageMatch | None:
    """How far one page goes for the item: complete, partial or not at all. The match's facts are those
    that met the requirements, then the page's other facts of the item's kind that are not about another
    subject (the income limits below the hourly rate of home help are values of the same item)."""
    full = [
        requirement_holds(r, page, year=year, spec=spec, for_complete=True)
        for r in spec.grading.complete_requires
    ]
    if all(ok for ok, _, _ in full):
        level, held = "complete", [(fs, ts) for _, fs, ts in full]
    else:
        part = [requirement_holds(r, page, year=year, spec=spec) for r in spec.grading.partial_if] or full
        if not any(ok for ok, _, _ in part):
            return None
        level = "partial"
        held = [(fs, ts) for ok, fs, ts in [*part, *full] if ok]  # what the complete rule found counts too
    facts = [f for fs, _ in held for f in fs]
    if spec.fact_kind != "presence":
        others = requirement_facts(Requirement(fact=spec.fact_kind), page, year=year, spec=spec)
        facts += [f for f in others if f.levels[:1] != [FOOTER]]  # the footer is the municipality's
    return PageMatch(page, level, _distinct(facts), list(dict.fromkeys(t for _, ts in held for t in ts)))


def reachable(page: PageView, max_depth: int, search_urls: set[str] | frozenset[str] = frozenset()) -> bool:
    """Within `max_depth` clicks of the front page, or a top-5 hit of the site's own search (`search_urls`
    holds the hits' `urls.dedupe_key`)."""
    return (page.depth is not None and page.depth <= max_depth) or (
        bool(search_urls) and dedupe_key(page.url) in search_urls
    )


def grade_item(
    item_id: str,
    spec: WebSpec,
    pages: Sequence[PageView],
    *,
    year: int,
    search_urls: Iterable[str] = (),
    matches: Sequence[PageMatch] | None = None,
) -> ItemGrade:
    """The item's grade over the site's pages (see the module doc); `search_urls` are the top-5 hits of the
    site's own search for the item. `matches` may pass `grade_page` results computed already."""
    hits = (
        list(matches) if matches is not None else [m for p in pages if (m := grade_page(spec, p, year=year))]
    )
    search = frozenset(search_urls)

    def best(level: str, *, pdf: bool | None, near: bool | None) -> PageMatch | None:
        chosen = [
            m
            for m in hits
            if m.level == level
            and (pdf is None or m.page.is_pdf == pdf)
            and (near is None or reachable(m.page, spec.max_depth, search) == near)
        ]
        # the shallowest page, then the one with the most evidence, then by URL (the same grade every run)
        chosen.sort(
            key=lambda m: (m.page.depth if m.page.depth is not None else 99, -len(m.facts), m.page.url)
        )
        return chosen[0] if chosen else None

    if m := best("complete", pdf=False, near=True):
        return ItemGrade(item_id, "complete", m, True, "found and complete")
    if m := best("complete", pdf=True, near=None):
        return ItemGrade(
            item_id, "pdf_or_deep", m, reachable(m.page, spec.max_depth, search), "only in a PDF"
        )
    if m := best("complete", pdf=False, near=False):
        return ItemGrade(item_id, "pdf_or_deep", m, False, f"deeper than {spec.max_depth} clicks")
    if m := best("partial", pdf=False, near=True):
        return ItemGrade(item_id, "partial", m, True, "found in part")
    if m := best("partial", pdf=None, near=None):
        where = "only in a PDF" if m.page.is_pdf else f"deeper than {spec.max_depth} clicks"
        return ItemGrade(item_id, "pdf_or_deep", m, False, f"in part, {where}")
    return ItemGrade(item_id, "absent", None, False, "not found")
