"""The hostile-site suite: every trap ends within its time bound, in bounded memory, with the right status,
and a round over all of them plus a good site returns a result for every site."""

from __future__ import annotations

import asyncio
import time
import tracemalloc

import pytest

from kommunetest.channels.web.crawl import CrawlItem, CrawlLimits, CrawlResult, crawl_many, crawl_site
from kommunetest.channels.web.fetch import Fetcher
from kommunetest.sandbox.hostile import HostileSites

REQUEST_TIMEOUT = 3.0  # the per-request deadline; the drip must end within it + 1 s
BOUND = {"drip": REQUEST_TIMEOUT + 1.0}
DEFAULT_BOUND = 8.0
MAX_BYTES = 5_000_000
ITEMS = [CrawlItem("open", ["åpningstider", "opningstider"]), CrawlItem("gebyr", ["gebyr"])]
TRAPS = ["calendar", "loop", "huge", "drip", "robots", "broken", "latin1", "tls", "down", "dns", "error500"]


@pytest.fixture(scope="module")
def hostile():
    sites = HostileSites().start()
    yield sites
    sites.stop()


def limits() -> CrawlLimits:
    return CrawlLimits(max_pages=40, time_budget_s=15.0)


def crawl(hostile: HostileSites, key: str) -> tuple[CrawlResult, float]:
    async def run():
        async with Fetcher(resolver=hostile.resolver_map(), host_delay_s=0, timeout_s=REQUEST_TIMEOUT,
                           max_bytes=MAX_BYTES) as f:  # fmt: skip
            return await crawl_site(f, hostile.trap(key).url, ITEMS, limits=limits())

    t0 = time.monotonic()
    result = asyncio.run(run())
    return result, time.monotonic() - t0


@pytest.mark.parametrize("key", TRAPS)
def test_each_trap_ends_in_time_with_its_status(hostile: HostileSites, key: str) -> None:
    result, took = crawl(hostile, key)
    assert result.status == hostile.trap(key).expect, (result.status, result.error)
    assert took <= BOUND.get(key, DEFAULT_BOUND), f"{key} took {took:.1f} s"


def test_calendar_is_capped(hostile: HostileSites) -> None:
    result, _ = crawl(hostile, "calendar")
    months = [p for p in result.pages if "/kalender/" in p.url]
    assert 5 <= len(months) <= limits().per_pattern and result.stop_reason == "frontier_empty"
    assert any(p.url.endswith("/om") for p in result.pages)  # the real page is still reached


def test_robots_disallow_all_sends_nothing_else(hostile: HostileSites) -> None:
    server = hostile.server
    assert server is not None
    before = len(server.stats.paths(hostile.trap("robots").host))
    result, _ = crawl(hostile, "robots")
    assert result.pages == [] and server.stats.paths(hostile.trap("robots").host)[before:] == ["/robots.txt"]


def test_broken_html_and_latin1_are_read(hostile: HostileSites) -> None:
    broken, _ = crawl(hostile, "broken")
    assert {p.url.rsplit("/", 1)[-1] for p in broken.pages} >= {"", "tjenester", "kontakt", "om"}
    latin1, _ = crawl(hostile, "latin1")
    front = latin1.pages[0]
    assert "Åpningstider".encode("windows-1252") in front.fetch.content  # raw bytes kept, not re-encoded
    assert front.fetch.charset is None and front.title == "Åpningstider"
    assert [link.text for link in front.links] == ["Gebyrer for byggesøknad"]


def test_50_mb_page_is_cut_while_streaming(hostile: HostileSites) -> None:
    tracemalloc.start()
    try:
        result, took = crawl(hostile, "huge")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    page = result.pages[0].fetch
    assert page.truncated and len(page.content) == MAX_BYTES and result.status == "too_large"
    assert peak < 100 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert took < DEFAULT_BOUND


def test_the_round_goes_on_over_every_trap(hostile: HostileSites) -> None:
    async def run():
        async with Fetcher(resolver=hostile.resolver_map(), host_delay_s=0, timeout_s=REQUEST_TIMEOUT,
                           max_bytes=MAX_BYTES) as f:  # fmt: skip
            sites = [(t.key, t.url, ITEMS) for t in hostile.traps]
            return {k: r async for k, r in crawl_many(f, sites, limits=limits(), concurrency=20)}

    t0 = time.monotonic()
    results = asyncio.run(run())
    assert time.monotonic() - t0 <= REQUEST_TIMEOUT + 2.0  # all at once: the slowest trap sets the pace
    assert set(results) == {t.key for t in hostile.traps}
    assert {k: r.status for k, r in results.items()} == {t.key: t.expect for t in hostile.traps}
    good = results["good"]
    assert len(good.pages) == 4 and good.page(f"{hostile.trap('good').url}tjenester/sfo") is not None
