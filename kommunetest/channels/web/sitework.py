"""One municipality's web check: pages read as they are crawled, JavaScript pages rendered where needed,
item grades, the browser visits (evidence screenshots, mobile check, axe), and the rows to store.

`SiteWork.still_missing` is the crawl's callback: each page is read once when it arrives (facts, passages,
visible text) and graded against every item, so the crawl stops as soon as every item is found complete.
`SiteWork.finish` does the rest once the crawl is over; it never raises for the site's faults.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kommunetest.channels.web.browser_run import BrowserSession, Target, Visit
from kommunetest.channels.web.crawl import CrawlItem, CrawlResult, Page
from kommunetest.channels.web.evidence import PageSource, needles
from kommunetest.channels.web.grade import ItemGrade, PageMatch, PageView, grade_item, grade_page, reachable
from kommunetest.channels.web.pages import HTML_TYPES, js_signals, page_view, read_content
from kommunetest.channels.web.services import ServiceFinder
from kommunetest.channels.web.urls import SiteScope, dedupe_key, normalize_url
from kommunetest.scenarios import WebSpec

SOURCE = "web check"
TOPIC_RENDERS = 2  # pages rendered only because their title names a missing item (real sites all use scripts)
DOWNGRADE = {"complete": "partial", "partial": "partial", "pdf_or_deep": "pdf_or_deep", "absent": "absent"}


@dataclass
class ItemPlan:
    """One web probe of the site: the probe and its scenario's item."""

    probe_id: str
    scenario_id: str
    spec: WebSpec


@dataclass
class Options:
    year: int
    browser: BrowserSession | None
    screenshots: bool
    accessibility: bool
    max_renders: int
    existing_shots: dict[tuple[str, str], set[str]] = field(default_factory=dict)


@dataclass
class SiteWork:
    kommunenummer: str
    name: str
    url: str | None  # the front page to crawl; None: the register has no website
    items: list[ItemPlan]
    opts: Options
    views: dict[int, PageView] = field(default_factory=dict)  # id(crawl Page) -> view
    sources: dict[int, PageSource] = field(default_factory=dict)
    matches: dict[str, list[PageMatch]] = field(default_factory=dict)
    complete: set[str] = field(default_factory=set)
    js_pages: dict[int, list[str]] = field(default_factory=dict)  # id(Page) -> why it needs a browser
    grades: dict[str, ItemGrade] = field(default_factory=dict)
    crawl: CrawlResult | None = None
    services: ServiceFinder = field(default_factory=ServiceFinder)
    started: float = field(default_factory=time.monotonic)
    renders: int = 0

    def __post_init__(self) -> None:
        self.scope = SiteScope.for_url(self.url) if self.url else None
        self.matches = {i.scenario_id: [] for i in self.items}

    # ------------------------------------------------------------------ during the crawl

    def crawl_items(self) -> list[CrawlItem]:
        return [CrawlItem(i.scenario_id, i.spec.terms.all(), query=i.spec.terms.nb[0]) for i in self.items]

    def _internal(self, url: str) -> bool:
        return self.scope is not None and self.scope.owns_url(url)

    def still_missing(self, page: Page) -> set[str]:
        """The crawl's callback: read and grade the page; the items not yet found complete."""
        res = page.fetch
        if res.status in ("ok", "too_large") and res.content and (
            res.content_type in HTML_TYPES or "html" in res.content_type or "pdf" in res.content_type
            or res.content.startswith(b"%PDF")
        ):  # fmt: skip
            content = read_content(res.content, res.content_type, res.final_url, self._internal)
            view = page_view(res.final_url, page.depth, page.found_via, content)
            self._add(
                page, view, PageSource(res.final_url, res.content, _media(content.is_pdf), res.fetched_at)
            )
            if not content.is_pdf and b"<script" in res.content:
                reasons = js_signals(res.content.decode("utf-8", "replace"))
                if reasons:
                    self.js_pages[id(page)] = reasons
        for link in page.links:
            self.services.link(link.url, link.text, page.url)
        return {i.scenario_id for i in self.items} - self.complete

    def _add(self, page: Page, view: PageView, source: PageSource) -> None:
        self.views[id(page)] = view
        self.sources[id(page)] = source
        for item in self.items:
            m = grade_page(item.spec, view, year=self.opts.year)
            if m is None:
                continue
            self.matches[item.scenario_id] = [x for x in self.matches[item.scenario_id] if x.page is not view]
            self.matches[item.scenario_id].append(m)
            if m.level == "complete" and not view.is_pdf and reachable(view, item.spec.max_depth):
                self.complete.add(item.scenario_id)

    # ------------------------------------------------------------------ after the crawl

    def search_urls(self, item_id: str) -> set[str]:
        outcome = self.crawl.search.get(item_id) if self.crawl else None
        if outcome is None or outcome.status != "ok":
            return set()
        return {dedupe_key(normalize_url(h.url) or h.url) for h in outcome.hits[:5]}

    def grade_all(self) -> None:
        for item in self.items:
            self.grades[item.scenario_id] = grade_item(
                item.scenario_id, item.spec, [], year=self.opts.year,
                search_urls=self.search_urls(item.scenario_id), matches=self.matches[item.scenario_id],
            )  # fmt: skip

    def _render_candidates(self) -> list[Page]:
        """Pages to render: those that show a script fills them, then (at most `TOPIC_RENDERS`) pages whose
        title names an item still missing or partial, in case a script writes its facts."""
        assert self.crawl is not None
        pages = {id(p): p for p in self.crawl.pages}
        chosen = [pages[k] for k in self.js_pages if k in pages][: self.opts.max_renders]
        limit = min(self.opts.max_renders, len(chosen) + TOPIC_RENDERS)
        missing = [i for i in self.items if self.grades[i.scenario_id].grade in ("absent", "partial")]
        for p in self.crawl.pages:
            if len(chosen) >= limit:
                break
            view = self.views.get(id(p))
            if view is None or view.is_pdf or p in chosen or b"<script" not in p.fetch.content:
                continue
            title = view.title.casefold()
            if any(t.casefold() in title for i in missing for t in i.spec.terms.all()[:3]):
                chosen.append(p)
        return chosen[: self.opts.max_renders]

    async def render_js(self) -> None:
        """Render the pages that need JavaScript and grade them again with what the browser shows."""
        browser = self.opts.browser
        if browser is None or not browser.available or self.crawl is None:
            return
        todo = self._render_candidates()
        visits = await asyncio.gather(*(browser.render(p.fetch.final_url) for p in todo))
        for p, v in zip(todo, visits, strict=True):
            if v.status != "ok" or not v.html:
                continue
            self.renders += 1
            data = v.html.encode("utf-8")
            content = read_content(data, "text/html", v.final_url or p.fetch.final_url, self._internal)
            old = self.views[id(p)]
            view = page_view(old.url, old.depth, old.found_via, content, rendered=True)
            source = PageSource(old.url, data, "text/html", datetime.now(UTC), rendered=True)
            for item_id in self.matches:
                self.matches[item_id] = [m for m in self.matches[item_id] if m.page is not old]
            self._add(p, view, source)
            self.services.page(v.html, old.url)
        self.grade_all()

    def finalize_depths(self) -> None:
        """Depths and link paths as the crawl recomputed them (shortest paths over the crawled links)."""
        assert self.crawl is not None
        for p in self.crawl.pages:
            view = self.views.get(id(p))
            if view is not None:
                view.depth = p.depth
        if self.crawl.pages and self.crawl.pages[0].fetch.ok:
            front = self.crawl.pages[0].fetch
            self.services.page(front.content.decode("utf-8", "replace"), front.final_url)
        self.services.external(self.crawl.external_links)

    def release(self) -> None:
        """Drop the pages (their bytes, facts and text) once the site is stored: a national round keeps only
        each site's outcome in memory."""
        self.views.clear()
        self.sources.clear()
        self.matches.clear()
        self.grades.clear()
        self.js_pages.clear()
        self.crawl = None
        self.services = ServiceFinder()

    def page_of(self, view: PageView) -> Page | None:
        assert self.crawl is not None
        return next((p for p in self.crawl.pages if self.views.get(id(p)) is view), None)

    def source_of(self, view: PageView) -> PageSource | None:
        page = self.page_of(view)
        return self.sources.get(id(page)) if page is not None else None


def _media(is_pdf: bool) -> str:
    return "application/pdf" if is_pdf else "text/html"


@dataclass
class BrowserEvidence:
    """What the browser saw of a site: visits by (viewport, page URL), and the front page on mobile."""

    visits: dict[tuple[str, str], Visit] = field(default_factory=dict)
    front: dict[str, Visit] = field(default_factory=dict)


async def browse(work: SiteWork) -> BrowserEvidence:
    """Visit every evidence page on desktop and mobile (screenshots with highlights, axe on desktop) and the
    front page on both. Screenshots are skipped for pages whose version has them already."""
    out = BrowserEvidence()
    browser = work.opts.browser
    if browser is None or not browser.available or work.crawl is None or work.crawl.status != "ok":
        return out
    by_url: dict[str, list[tuple[ItemPlan, ItemGrade]]] = {}
    for item in work.items:
        g = work.grades[item.scenario_id]
        if g.page is not None and not g.page.is_pdf:
            by_url.setdefault(g.page.url, []).append((item, g))
    # Pages a script fills are given time to settle; the rest are complete at the load event.
    scripted = {p.fetch.final_url for p in work.crawl.pages if id(p) in work.js_pages}
    scripted |= {v.url for v in work.views.values() if v.rendered}
    jobs: list[tuple[tuple[str, str], Any]] = []
    for url, found in by_url.items():
        view = found[0][1].page
        assert view is not None
        source = work.source_of(view)
        version = source.sha256 if source else ""
        targets = [Target(item.scenario_id, needles(g)) for item, g in found]
        for key in ("desktop", "mobile"):
            have = all(version in work.opts.existing_shots.get((i.probe_id, key), set()) for i, _ in found)
            shots = work.opts.screenshots and not have
            axe = work.opts.accessibility and key == "desktop"
            if key == "desktop" and not (shots or axe):
                continue  # HTTP has shown the desktop page already; nothing to photograph or scan
            html = "hidden" if key == "mobile" else "never"
            visit = browser.visit(
                url, key, targets, screenshots=shots, axe=axe, settle=url in scripted, html=html
            )
            jobs.append(((key, url), visit))
    front = work.crawl.front_url or work.url or ""
    planned = {k for k, _ in jobs}
    for key in ("desktop", "mobile"):
        axe = work.opts.accessibility and key == "desktop"
        if (key, front) not in planned and (key == "mobile" or axe):
            visit = browser.visit(
                front, key, [], screenshots=False, axe=axe, settle=front in scripted, html="never"
            )
            jobs.append(((key, front), visit))
    results = await asyncio.gather(*(job for _, job in jobs))
    for (key, url), visit in zip((k for k, _ in jobs), results, strict=True):
        out.visits[(key, url)] = visit
        if url == front:
            out.front[key] = visit
    return out


def mobile_grade(desktop: ItemGrade, visit: Visit | None) -> tuple[str | None, dict[str, Any]]:
    """The mobile grade from the desktop one and what the phone showed: the same when the passage is there and
    visible; complete becomes partial when it is there but hidden; absent when the page lacks it."""
    if desktop.page is None:
        return desktop.grade, {"checked": "nothing to find"}
    if desktop.page.is_pdf:
        return desktop.grade, {"checked": "pdf"}
    if visit is None or visit.status != "ok":
        status = visit.status if visit else "not visited"
        return None, {"checked": "failed", "status": status}
    loc = visit.located.get(desktop.item_id)
    if loc is None or not loc.found:
        return "absent", {"checked": "page", "found": False, "visible": False}
    grade = desktop.grade if loc.visible else DOWNGRADE[desktop.grade]
    return grade, {"checked": "page", "found": True, "visible": loc.visible, "needle": loc.needle}


Progress = Callable[[int, int, str, str], None]
