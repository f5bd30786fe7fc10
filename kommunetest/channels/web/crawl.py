"""Crawling one municipality's site, and many at once, the way a tester would look for the web items.

`crawl_site` starts at the front page and stays within the site's own domains (see `urls.SiteScope`): it
obeys robots.txt (Crawl-delay included), seeds the frontier from the sitemaps, runs the site's own search for
every item (recording whether a relevant hit is in the top 5), and then fetches the most promising links first
(`frontier`) until the caller says no item is missing, or a limit on pages, bytes or wall time is reached.
Click depth and the link path from the front page are recomputed at the end as shortest paths over the links
of the pages crawled. A site that fails as a whole (down, TLS error, front page 500, robots.txt disallowing
everything) ends at once with that status.

`crawl_many` crawls many sites concurrently through one shared `Fetcher`, so per-host politeness holds across
municipalities; a failure in one site never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from kommunetest.channels.web.fetch import Fetcher, FetchResult
from kommunetest.channels.web.frontier import Candidate, Frontier, ItemTerms, fold, score_link
from kommunetest.channels.web.links import Link, SearchForm, SearchHit, parse_page, parse_search_results
from kommunetest.channels.web.robots import Robots, fetch_robots, origin_of, read_sitemaps
from kommunetest.channels.web.urls import (
    SiteScope,
    dedupe_key,
    host_of,
    normalize_url,
    platform_of,
    skip_by_extension,
)
from kommunetest.settings import Settings, WebSettings

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
MAX_EXTERNAL_LINKS = 500


@dataclass
class CrawlItem:
    """An item to look for: its id and its terms (bokmål and nynorsk); `query` is what to type in the search."""

    id: str
    terms: list[str]
    query: str | None = None


@dataclass
class CrawlLimits:
    max_pages: int = 60
    max_bytes: int = 60_000_000
    time_budget_s: float = 300.0
    max_depth: int = 10
    per_pattern: int = 30  # pages per URL pattern (digits blurred): the calendar-trap cap
    site_search: bool = True
    sitemaps: bool = True
    max_sitemap_urls: int = 5000
    workers: int = 2  # fetches in flight for one site (the fetcher's per-host cap still applies)

    @classmethod
    def from_settings(
        cls, settings: Settings | WebSettings | None = None, **overrides: object
    ) -> CrawlLimits:
        web = settings.web if isinstance(settings, Settings) else settings or WebSettings()
        values: dict[str, object] = {
            "max_pages": web.max_pages_per_site,
            "max_bytes": web.max_bytes_per_site,
            "time_budget_s": web.site_time_budget_s,
            "site_search": web.site_search,
            "workers": web.per_host_concurrency,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


@dataclass
class Page:
    url: str
    depth: int | None  # shortest click depth from the front page over the crawled links; None if not linked
    fetch: FetchResult
    links: list[Link]
    found_via: str  # "front", "links", "sitemap", "search"
    link_path: list[str] = field(default_factory=list)  # front page ... this page (empty when not linked)
    title: str = ""


@dataclass
class ExternalLink:
    url: str
    text: str
    platform: str | None  # "innsyn", "acos", "custhelp", ... or None for any other site
    found_on: str


@dataclass
class SearchOutcome:
    item_id: str
    query: str
    url: str | None  # the search request
    status: str  # "ok", "no_search_form", "offsite", "robots_disallowed" or a fetch status
    hits: list[SearchHit] = field(default_factory=list)
    hit_rank: int | None = None  # 1-based rank of the first relevant hit within the top 5

    @property
    def found_in_top5(self) -> bool:
        return self.hit_rank is not None


@dataclass
class CrawlResult:
    site_url: str
    status: str = "ok"  # "ok" or the site's failure: a fetch status such as connection_refused
    pages: list[Page] = field(default_factory=list)
    external_links: list[ExternalLink] = field(default_factory=list)
    sitemap_used: bool = False
    sitemaps: list[str] = field(default_factory=list)
    search: dict[str, SearchOutcome] = field(default_factory=dict)
    elapsed_s: float = 0.0
    bytes: int = 0
    stop_reason: str = ""  # items_found, max_pages, max_bytes, time, frontier_empty, or the failure
    error: str | None = None
    robots_disallowed: list[str] = field(default_factory=list)
    front_url: str | None = None  # the front page after redirects

    def page(self, url: str) -> Page | None:
        key = dedupe_key(normalize_url(url) or url)
        return next(
            (p for p in self.pages if key in (dedupe_key(p.url), dedupe_key(p.fetch.final_url))), None
        )


StillMissing = Callable[[Page], Iterable[str]]


class _SiteCrawl:
    """State of one site's crawl; `run` fills `self.result` as it goes, so a time-out keeps what was found."""

    def __init__(self, fetcher: Fetcher, front_url: str, items: Sequence[CrawlItem], limits: CrawlLimits,
                 still_missing: StillMissing | None, extra_domains: Iterable[str]) -> None:  # fmt: skip
        self.f = fetcher
        self.front = normalize_url(front_url) or front_url
        self.items = list(items)
        self.terms = [ItemTerms.of(i.id, i.terms) for i in self.items]
        self.limits = limits
        self.still_missing = still_missing
        self.scope = SiteScope.for_url(self.front, extra_domains)
        self.result = CrawlResult(site_url=front_url)
        self.frontier = Frontier(limits.max_depth, limits.per_pattern)
        self.frontier.set_missing({i.id for i in self.items})
        self.robots: dict[str, Robots] = {}
        self._external: set[str] = set()
        self._scores: dict[tuple[str, str, str], dict[str, int]] = {}  # menus repeat on every page

    async def robots_for(self, url: str) -> Robots:
        origin = origin_of(url)
        robots = self.robots.get(origin)
        if robots is None:
            robots = self.robots[origin] = await fetch_robots(self.f, url, allow_host=self.scope.owns)
            delay = robots.crawl_delay(self.f.user_agent)
            if delay:
                self.f.set_host_delay(host_of(url), delay)
        return robots

    def fail(self, status: str, error: str | None) -> CrawlResult:
        self.result.status = self.result.stop_reason = status
        self.result.error = error
        return self.result

    async def run(self) -> CrawlResult:
        robots = await self.robots_for(self.front)
        if robots.state == "unreachable":
            res = robots.fetch
            assert res is not None
            return self.fail(res.status, f"robots.txt: {res.error}")
        if not robots.allowed(self.front, self.f.user_agent):
            return self.fail("robots_disallowed", "robots.txt forbids the front page")
        front = await self.f.fetch(self.front, allow_host=self.scope.owns)
        page, form = self.add_page(Candidate(self.front, 0, "front"), front)
        if front.status != "ok":
            return self.fail(front.status, front.error)
        self.result.front_url = front.final_url
        all_found = self.report(page)
        if self.limits.site_search and self.items:
            await self.search_all(form)  # measured for every item, found or not
        if all_found:
            self.result.stop_reason = "items_found"
            return self.result
        if self.limits.sitemaps:
            await self.seed_sitemaps(robots)
        await self.crawl_links()
        return self.result

    # ------------------------------------------------------------------ pages and links

    def add_page(self, cand: Candidate, res: FetchResult) -> tuple[Page, SearchForm | None]:
        """Record a fetched page and queue its links; returns the page and its search form."""
        links: list[Link] = []
        title, form = "", None
        if res.status in ("ok", "too_large") and res.content_type in HTML_TYPES and res.content:
            parsed = parse_page(res.content, res.final_url, res.charset)
            links, title, form = parsed.links, parsed.title, parsed.search_form
        path = [*cand.link_path, cand.url] if cand.depth is not None else []
        page = Page(cand.url, cand.depth, res, links, cand.via, path, title)
        self.result.pages.append(page)
        self.result.bytes += len(res.content)
        self.frontier.mark_done(cand.url)
        self.frontier.mark_done(res.final_url)
        depth = cand.depth + 1 if cand.depth is not None else None
        for link in links:
            if not self.scope.owns_url(link.url):
                if link.url not in self._external and len(self._external) < MAX_EXTERNAL_LINKS:
                    self._external.add(link.url)
                    self.result.external_links.append(
                        ExternalLink(link.url, link.text, platform_of(host_of(link.url)), page.url)
                    )
                continue
            if skip_by_extension(link.url):
                continue
            key = (link.text, link.url, link.heading)
            scores = self._scores.get(key)
            if scores is None:
                scores = self._scores[key] = score_link(self.terms, link.text, link.url, link.heading)
            self.frontier.push(Candidate(link.url, depth, "links" if depth is not None else cand.via, path, dict(scores), link.text))  # fmt: skip
        return page, form

    def report(self, page: Page) -> bool:
        """Tell the caller about a page; True when no item is missing any more."""
        if self.still_missing is None:
            return False
        missing = set(self.still_missing(page))
        self.frontier.set_missing(missing)
        return not missing

    # ------------------------------------------------------------------ site search and sitemaps

    async def search_all(self, form: SearchForm | None) -> None:
        sem = asyncio.Semaphore(self.limits.workers)

        async def one(item: CrawlItem) -> None:
            async with sem:
                self.result.search[item.id] = await self.search(form, item)

        await asyncio.gather(*(one(i) for i in self.items))

    async def search(self, form: SearchForm | None, item: CrawlItem) -> SearchOutcome:
        query = item.query or (item.terms[0] if item.terms else item.id)
        if form is None:
            return SearchOutcome(item.id, query, None, "no_search_form")
        sep = "&" if "?" in form.action else "?"
        url = form.action + sep + urlencode({**form.hidden, form.param: query})
        if not self.scope.owns_url(url):
            return SearchOutcome(item.id, query, url, "offsite")
        if not (await self.robots_for(url)).allowed(url, self.f.user_agent):
            return SearchOutcome(item.id, query, url, "robots_disallowed")
        res = await self.f.fetch(url, allow_host=self.scope.owns)
        self.result.bytes += len(res.content)
        if res.status != "ok":
            return SearchOutcome(item.id, query, url, res.status)
        hits = parse_search_results(res.content, res.final_url, res.charset)
        terms = ItemTerms.of(item.id, item.terms)
        outcome = SearchOutcome(item.id, query, url, "ok", hits)
        for rank, hit in enumerate(hits[:5], 1):
            if terms.matches(fold(hit.title) + fold(hit.snippet) + fold(hit.url.split("?")[0])):
                outcome.hit_rank = outcome.hit_rank or rank
                if self.scope.owns_url(hit.url) and not skip_by_extension(hit.url):
                    self.frontier.push(Candidate(hit.url, None, "search", [], {item.id: 5}, hit.title))
        return outcome

    async def seed_sitemaps(self, robots: Robots) -> None:
        urls = robots.sitemaps or [robots.origin + "/sitemap.xml"]
        pages, used = await read_sitemaps(
            self.f, urls, allow_url=self.scope.owns_url, max_urls=self.limits.max_sitemap_urls
        )
        self.result.sitemaps, self.result.sitemap_used = used, bool(used and pages)
        for url in pages:
            norm = normalize_url(url)
            if norm and self.scope.owns_url(norm) and not skip_by_extension(norm):
                self.frontier.push(Candidate(norm, None, "sitemap", [], score_link(self.terms, "", norm)))

    # ------------------------------------------------------------------ the link crawl

    def stop_reason(self) -> str | None:
        if len(self.result.pages) >= self.limits.max_pages:
            return "max_pages"
        if self.result.bytes >= self.limits.max_bytes:
            return "max_bytes"
        return None

    async def visit(self, cand: Candidate) -> tuple[Candidate, FetchResult | None]:
        if not (await self.robots_for(cand.url)).allowed(cand.url, self.f.user_agent):
            return cand, None
        return cand, await self.f.fetch(cand.url, allow_host=self.scope.owns)

    async def crawl_links(self) -> None:
        tasks: set[asyncio.Task[tuple[Candidate, FetchResult | None]]] = set()
        try:
            while True:
                reason = self.stop_reason()
                while reason is None and len(tasks) < self.limits.workers and len(self.result.pages) + len(tasks) < self.limits.max_pages:  # fmt: skip
                    cand = self.frontier.pop()
                    if cand is None:
                        break
                    tasks.add(asyncio.create_task(self.visit(cand)))
                if not tasks:
                    self.result.stop_reason = reason or "frontier_empty"
                    return
                done, tasks = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    cand, res = task.result()
                    if res is None:
                        self.result.robots_disallowed.append(cand.url)
                        continue
                    moved = dedupe_key(res.final_url) != dedupe_key(cand.url)
                    if moved and self.frontier.is_done(res.final_url):
                        continue  # a redirect to a page we have already
                    if self.report(self.add_page(cand, res)[0]):
                        self.result.stop_reason = "items_found"
                        return
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _shortest_paths(result: CrawlResult) -> None:
    """Depth and link path of every page as the shortest path over the crawled pages' links."""
    if not result.pages or result.pages[0].found_via != "front":
        return
    by_key: dict[str, Page] = {}
    for p in result.pages:
        by_key.setdefault(dedupe_key(p.url), p)
        by_key.setdefault(dedupe_key(p.fetch.final_url), p)
    front = result.pages[0]
    parent: dict[int, Page | None] = {id(front): None}
    depth = {id(front): 0}
    queue = deque([front])
    while queue:
        page = queue.popleft()
        for link in page.links:
            nxt = by_key.get(dedupe_key(link.url))
            if nxt is not None and id(nxt) not in depth:
                depth[id(nxt)] = depth[id(page)] + 1
                parent[id(nxt)] = page
                queue.append(nxt)
    for p in result.pages:
        if id(p) not in depth:
            p.depth, p.link_path = None, []
            continue
        p.depth, path, node = depth[id(p)], [], p
        while node is not None:
            path.append(node.url)
            node = parent[id(node)]
        p.link_path = path[::-1]


async def crawl_site(
    fetcher: Fetcher,
    front_url: str,
    items: Sequence[CrawlItem] = (),
    *,
    limits: CrawlLimits | None = None,
    still_missing: StillMissing | None = None,
    extra_domains: Iterable[str] = (),
) -> CrawlResult:
    """Crawl one site (see the module doc). Never raises for the site's faults; its status says what failed.

    `still_missing(page)` is called after each page with the ids of items it must still find; the crawl
    stops when it returns an empty set. `extra_domains` names other domains the municipality owns."""
    limits = limits or CrawlLimits.from_settings(None)
    crawl = _SiteCrawl(fetcher, front_url, items, limits, still_missing, extra_domains)
    t0 = time.monotonic()
    try:
        async with asyncio.timeout(limits.time_budget_s):
            await crawl.run()
    except TimeoutError:
        crawl.result.stop_reason = "time"
        if not crawl.result.pages:
            crawl.fail("timeout", f"nothing fetched within the site budget of {limits.time_budget_s:g} s")
    _shortest_paths(crawl.result)
    crawl.result.elapsed_s = time.monotonic() - t0
    return crawl.result


SiteSpec = tuple[str, str, Sequence[CrawlItem]] | tuple[str, str, Sequence[CrawlItem], StillMissing | None]


async def crawl_many(
    fetcher: Fetcher,
    sites: Iterable[SiteSpec],
    *,
    limits: CrawlLimits | None = None,
    concurrency: int | None = None,
    slots: asyncio.Semaphore | None = None,
) -> AsyncIterator[tuple[str, CrawlResult]]:
    """Crawl many sites at once; yields `(key, result)` as each finishes, one result for every site.

    `sites` holds `(key, front_url, items)` or `(key, front_url, items, still_missing)`. An unexpected error
    in one site becomes that site's result (status "error"); the others go on. With `slots`, a site takes a
    slot before its crawl starts and the caller gives it back once it is done with the result: this bounds
    the sites crawled but not yet finished (their pages are in memory) when the caller is the slower part."""
    limits = limits or CrawlLimits.from_settings(None)
    sem = asyncio.Semaphore(concurrency or WebSettings().sites_concurrency)
    done: asyncio.Queue[tuple[str, CrawlResult]] = asyncio.Queue()

    async def one(spec: SiteSpec) -> None:
        key, url, items = spec[0], spec[1], spec[2]
        missing = spec[3] if len(spec) > 3 else None  # type: ignore[misc]
        if slots is not None:
            await slots.acquire()
        async with sem:
            try:
                result = await crawl_site(fetcher, url, items, limits=limits, still_missing=missing)
            except Exception as e:  # a bug must not end the round; the result says what happened
                result = CrawlResult(
                    site_url=url, status="error", stop_reason="error", error=f"{type(e).__name__}: {e}"
                )
        await done.put((key, result))

    tasks = [asyncio.create_task(one(s)) for s in sites]
    try:
        for _ in range(len(tasks)):
            yield await done.get()
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
