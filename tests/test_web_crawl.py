"""Crawling: priority by item terms, depth and link paths, robots.txt, sitemaps, the site's own search, own and
foreign domains, politeness across sites, limits, and crawl_many's isolation of failures. Real loopback
server, real fetcher; only the host names are mapped to 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
from urllib.parse import parse_qs

import pytest

from kommunetest.channels.web.crawl import CrawlItem, CrawlLimits, Page, crawl_many, crawl_site
from kommunetest.channels.web.fetch import Fetcher
from kommunetest.sandbox.webserver import Request, Response, WebServer, html, redirect

PRIO = "www.1001.sim.kommunetest.test"
ROBOTS = "www.1002.sim.kommunetest.test"
POLITE = "www.1003.sim.kommunetest.test"
SLOW = "www.1004.sim.kommunetest.test"
TARGET = "/bygg/soknad-byggesak/behandling/saksbehandlingstid"
BYGG = CrawlItem(
    "saksbehandlingstid", ["saksbehandlingstid", "sakshandsamingstid", "byggesak"], query="byggesak"
)
SFO = CrawlItem("sfo", ["SFO", "skolefritidsordning"])
KLAGE = CrawlItem("klage", ["klage", "klagerett"])


def page(title: str, body: str = "", links: list[tuple[str, str]] = ()) -> str:  # type: ignore[assignment]
    nav = "".join(f"<li><a href='{href}'>{text}</a></li>" for href, text in links)
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}<ul>{nav}</ul></body></html>"
    )


SEARCH_FORM = (
    "<form action='/sok' role='search' method='get'><input type='search' name='q'>"
    "<input type='hidden' name='lang' value='nb'><button>Søk</button></form>"
    "<form action='/login' method='post'><input name='user'></form>"
)


def search_page(req: Request) -> Response:
    q = parse_qs(req.query).get("q", [""])[0].lower()
    filler = [(f"/nyheter/sak-{i}", f"Nyhet {i}", "Kort om en nyhet fra kommunen.") for i in range(1, 9)]
    if "byggesak" in q:
        hits = [
            *filler[:3],
            (TARGET, "Saksbehandlingstid for byggesak", "Hvor lang tid tar det?"),
            *filler[3:5],
        ]
    elif "sfo" in q:
        hits = [*filler[:6], ("/oppvekst/sfo", "SFO – priser og vedtekter", "Foreldrebetaling")]
    else:
        hits = []
    items = "".join(f"<li><h3><a href='{u}'>{t}</a></h3><p>{s}</p></li>" for u, t, s in hits)
    body = (
        "<header><a href='/'>Forside</a><a href='/kontakt'>Kontakt saksbehandlingstid</a></header>"
        f"<main><div class='search-results'><ol>{items or '<p>Ingen treff</p>'}</ol>"
        "<div class='pager'><a href='/sok?q=x&page=2'>2</a><a href='/sok?q=x&page=2'>Neste</a></div></div></main>"
        "<footer><a href='/personvern'>Personvern</a></footer>"
    )
    return html(f"<html><body>{body}</body></html>")


def prio_site() -> dict[str, object]:
    news = [(f"/nyheter/sak-{i}", f"Nyhet {i}") for i in range(1, 31)]
    front_links = [*news, ("/bygg", "Bygg, byggesak og eiendom"), ("/kontakt", "Kontakt oss"),
                   ("https://innsyn.acos.no/1001/postliste", "Postliste og innsyn"),
                   (f"http://innsyn.{PRIO[4:]}/sok", "Søk i postlisten"),
                   ("https://kommune.custhelp.com/app/ask", "Still et spørsmål"),
                   ("https://www.example.com/", "Eksempel"), ("mailto:post@1001.test", "E-post")]  # fmt: skip
    site: dict[str, object] = {
        "/": page("Forside", SEARCH_FORM, front_links),
        "/bygg": page("Bygg og eiendom", "", [("/bygg/soknad-byggesak", "Søke om byggesak"), ("/om", "Om oss")]),
        "/bygg/soknad-byggesak": page("Søknad", "", [("/bygg/soknad-byggesak/behandling", "Behandling av byggesaker")]),
        "/bygg/soknad-byggesak/behandling": page("Behandling", "<h2>Frister</h2>",
                                                 [(TARGET, "Saksbehandlingstid"), ("/om/kart", "Kart over byggesaker")]),
        TARGET: page("Saksbehandlingstid", "<p>Saksbehandlingstiden er 12 uker.</p>", [("/kontakt", "Kontakt")]),
        "/kontakt": page("Kontakt", "<p>Telefon 75 00 00 00</p>"),
        "/om": page("Om kommunen", "", [("/om/kart", "Kart")]),
        "/om/kart": page("Kart"),
        "/oppvekst/sfo": page("SFO"),
        "/sok": search_page,
    }  # fmt: skip
    site.update({u: page(t, "<p>Ingenting her.</p>", [("/", "Forside")]) for u, t in news})
    return site


def robots_site() -> dict[str, object]:
    urlset = (
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<url><loc>http://{ROBOTS}/skjult/fakta</loc></url><url><loc>http://{ROBOTS}/privat/x</loc></url>"
        "<url><loc>https://www.example.com/utenfor</loc></url></urlset>"
    )
    index = (
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<sitemap><loc>http://{ROBOTS}/sitemap-sider.xml.gz</loc></sitemap></sitemapindex>"
    )
    robots = (
        f"User-agent: *\nDisallow: /privat\nCrawl-delay: 0.3\nSitemap: http://{ROBOTS}/sitemap_index.xml\n"
    )
    return {
        "/robots.txt": Response(200, {"content-type": "text/plain"}, robots.encode()),
        "/sitemap_index.xml": Response(200, {"content-type": "application/xml"}, index.encode()),
        "/sitemap-sider.xml.gz": Response(200, {"content-type": "application/octet-stream"}, gzip.compress(urlset.encode())),
        "/": page("Forside", "", [("/privat/hemmelig", "Hemmelig"), ("/a", "A"), ("/b", "B")]),
        "/a": page("A"), "/b": page("B"), "/skjult/fakta": page("Fakta", "<p>Gebyr kr 3 145</p>"),
        "/privat/hemmelig": page("Hemmelig"), "/privat/x": page("X"),
    }  # fmt: skip


@pytest.fixture(scope="module")
def server():
    own = {
        "hattfjelldal.kommune.no": {"/": redirect("http://www.hattfjelldal.kommune.no/", 301)},
        "www.hattfjelldal.kommune.no": {
            "/": page(
                "Hattfjelldal kommune",
                "",
                [
                    ("/tjenester", "Tjenester"),
                    ("/ekstern", "Nabokommunen"),
                    ("http://bibliotek.hattfjelldal.kommune.no/", "Biblioteket"),
                    ("https://innsyn.hattfjelldal.kommune.no/", "Innsyn"),
                ],
            ),
            "/tjenester": page("Tjenester"),
            "/ekstern": redirect("http://www.vefsn.kommune.no/"),
        },
        "bibliotek.hattfjelldal.kommune.no": {"/": page("Biblioteket")},
        "www.vefsn.kommune.no": {"/": page("Vefsn")},
    }
    polite = {"/": page("P", "", [(f"/p{i}", f"P{i}") for i in range(12)]),
              "/start": page("S", "", [(f"/q{i}", f"Q{i}") for i in range(12)]),
              **{f"/p{i}": Response(200, {"content-type": "text/html"}, b"<p>p</p>", delay=0.05) for i in range(12)},
              **{f"/q{i}": Response(200, {"content-type": "text/html"}, b"<p>q</p>", delay=0.05) for i in range(12)}}  # fmt: skip
    slow = {"/": page("Treg", "", [(f"/s{i}", f"S{i}") for i in range(20)]),
            **{f"/s{i}": Response(200, {"content-type": "text/html"}, b"<p>s</p>", delay=0.4) for i in range(20)}}  # fmt: skip
    hosts = {PRIO: prio_site(), f"innsyn.{PRIO[4:]}": {"/sok": page("Innsyn")}, ROBOTS: robots_site(),
             POLITE: polite, SLOW: slow, **own}  # fmt: skip
    srv = WebServer(hosts).start()
    yield srv
    srv.stop()


def crawl(server: WebServer, url: str, items=(BYGG, SFO, KLAGE), still_missing=None, **limits):
    async def run():
        async with Fetcher(resolver=server.resolver_map(), host_delay_s=0, timeout_s=5) as f:
            return await crawl_site(f, url, items, limits=CrawlLimits(**limits), still_missing=still_missing)

    return asyncio.run(run())


def until_found(path: str):
    def still_missing(p: Page) -> set[str]:
        return set() if p.url.endswith(path) else {BYGG.id}

    return still_missing


def test_terms_lead_to_a_deep_page_before_unrelated_ones(server: WebServer) -> None:
    # One fetch at a time: strictly the pages the terms point to (breadth-first would fetch 30+ news first).
    res = crawl(server, f"http://{PRIO}/", (BYGG,), until_found(TARGET), site_search=False, workers=1)
    assert res.status == "ok" and res.stop_reason == "items_found"
    urls = [p.url for p in res.pages]
    assert urls[-1] == f"http://{PRIO}{TARGET}" and len(urls) == 5, urls
    # Two in flight: the second slot may take an unrelated page beside each relevant one, no more.
    two = crawl(server, f"http://{PRIO}/", (BYGG,), until_found(TARGET), site_search=False, workers=2)
    assert two.pages[-1].url == f"http://{PRIO}{TARGET}" and len(two.pages) <= 9
    target = res.pages[-1]
    assert target.depth == 4 and target.found_via == "links"
    assert target.link_path == [f"http://{PRIO}/", f"http://{PRIO}/bygg", f"http://{PRIO}/bygg/soknad-byggesak",
                                f"http://{PRIO}/bygg/soknad-byggesak/behandling", f"http://{PRIO}{TARGET}"]  # fmt: skip


def test_depth_is_the_shortest_path_over_crawled_links(server: WebServer) -> None:
    res = crawl(server, f"http://{PRIO}/", items=(BYGG,), site_search=False, max_pages=100)
    assert res.stop_reason == "frontier_empty" and len(res.pages) == 38
    # /om/kart is fetched early through the scored link on the depth-3 page; the shorter path through the
    # unscored /om is seen only later, and the final depths are shortest paths.
    urls = [p.url for p in res.pages]
    assert urls.index(f"http://{PRIO}/om/kart") < urls.index(f"http://{PRIO}/om")
    kart = res.page(f"http://{PRIO}/om/kart")
    assert kart is not None and kart.depth == 3
    assert kart.link_path == [
        f"http://{PRIO}/",
        f"http://{PRIO}/bygg",
        f"http://{PRIO}/om",
        f"http://{PRIO}/om/kart",
    ]
    assert res.page(f"http://{PRIO}/").depth == 0  # type: ignore[union-attr]
    assert {p.depth for p in res.pages if "/nyheter/" in p.url} == {1}


def test_external_platforms_are_recorded_not_crawled(server: WebServer) -> None:
    res = crawl(server, f"http://{PRIO}/", items=(BYGG,), site_search=False, max_pages=3)
    ext = {e.url: e for e in res.external_links}
    assert ext["https://innsyn.acos.no/1001/postliste"].platform == "acos"
    assert ext["https://innsyn.acos.no/1001/postliste"].text == "Postliste og innsyn"
    assert ext[f"http://innsyn.{PRIO[4:]}/sok"].platform == "innsyn"  # own subdomain, but a platform
    assert ext["https://kommune.custhelp.com/app/ask"].platform == "custhelp"
    assert ext["https://www.example.com/"].platform is None
    assert server.stats.per_host[f"innsyn.{PRIO[4:]}"] == 0


def test_site_search_top5(server: WebServer) -> None:
    res = crawl(server, f"http://{PRIO}/", still_missing=lambda p: set(), max_pages=5)
    s = res.search
    assert s["saksbehandlingstid"].status == "ok" and s["saksbehandlingstid"].hit_rank == 4
    assert s["saksbehandlingstid"].hits[3].url == f"http://{PRIO}{TARGET}"
    assert "personvern" not in " ".join(h.url for h in s["saksbehandlingstid"].hits)  # chrome left out
    assert s["sfo"].hit_rank is None and s["sfo"].hits[6].title.startswith("SFO")  # rank 7: not in the top 5
    assert s["klage"].status == "ok" and s["klage"].hits == [] and not s["klage"].found_in_top5
    assert any(
        p.startswith("/sok?") and "lang=nb" in p and "q=byggesak" in p for p in server.stats.paths(PRIO)
    )


def test_robots_crawl_delay_and_sitemaps(server: WebServer) -> None:
    res = crawl(server, f"http://{ROBOTS}/", items=(CrawlItem("gebyr", ["gebyr"]),))
    assert res.status == "ok" and res.sitemap_used
    assert res.sitemaps == [f"http://{ROBOTS}/sitemap_index.xml", f"http://{ROBOTS}/sitemap-sider.xml.gz"]
    fakta = res.page(f"http://{ROBOTS}/skjult/fakta")
    assert (
        fakta is not None and fakta.found_via == "sitemap" and fakta.depth is None and fakta.link_path == []
    )
    paths = server.stats.paths(ROBOTS)
    assert not any(p.startswith("/privat") for p in paths)
    assert sorted(res.robots_disallowed) == [f"http://{ROBOTS}/privat/hemmelig", f"http://{ROBOTS}/privat/x"]
    times = server.stats.times(ROBOTS)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) >= 7 and min(gaps) >= 0.28, gaps  # Crawl-delay: 0.3


def test_redirects_between_own_domains_yes_foreign_no(server: WebServer) -> None:
    res = crawl(server, "http://hattfjelldal.kommune.no/", items=())
    assert res.status == "ok" and res.front_url == "http://www.hattfjelldal.kommune.no/"
    by_url = {p.url: p for p in res.pages}
    assert by_url["http://www.hattfjelldal.kommune.no/tjenester"].fetch.status == "ok"
    assert by_url["http://bibliotek.hattfjelldal.kommune.no/"].fetch.status == "ok"  # own subdomain
    offsite = by_url["http://www.hattfjelldal.kommune.no/ekstern"].fetch
    assert offsite.status == "redirect_offsite" and offsite.location == "http://www.vefsn.kommune.no/"
    assert server.stats.per_host["www.vefsn.kommune.no"] == 0
    assert server.stats.per_host["innsyn.hattfjelldal.kommune.no"] == 0


def test_two_sites_on_one_host_share_its_two_slots(server: WebServer) -> None:
    async def run():
        async with Fetcher(resolver=server.resolver_map(), host_delay_s=0) as f:
            sites = [("a", f"http://{POLITE}/", []), ("b", f"http://{POLITE}/start", [])]
            return [r async for r in crawl_many(f, sites, limits=CrawlLimits(workers=4, sitemaps=False))]

    results = dict(asyncio.run(run()))
    assert results["a"].status == results["b"].status == "ok"
    assert len(results["a"].pages) >= 13 and len(results["b"].pages) >= 13
    assert server.stats.max_in_flight[POLITE] == 2


def test_limits_pages_and_time(server: WebServer) -> None:
    few = crawl(server, f"http://{PRIO}/", items=(BYGG,), site_search=False, max_pages=5)
    assert len(few.pages) == 5 and few.stop_reason == "max_pages"
    t0 = time.monotonic()
    slow = crawl(server, f"http://{SLOW}/", items=(), time_budget_s=1.0, sitemaps=False)
    assert slow.stop_reason == "time" and slow.status == "ok" and 1 <= len(slow.pages) <= 6
    assert time.monotonic() - t0 < 1.6


def test_crawl_many_isolates_a_failing_site(server: WebServer) -> None:
    def explode(p: Page) -> set[str]:
        raise RuntimeError("bug in a checker")

    async def run():
        async with Fetcher(resolver=server.resolver_map(), host_delay_s=0) as f:
            sites = [
                ("bad", f"http://{PRIO}/", [BYGG], explode),
                ("good", "http://www.hattfjelldal.kommune.no/", []),
            ]
            return dict([r async for r in crawl_many(f, sites, limits=CrawlLimits(site_search=False))])

    results = asyncio.run(run())
    assert results["bad"].status == "error" and "bug in a checker" in (results["bad"].error or "")
    assert results["good"].status == "ok" and len(results["good"].pages) >= 3


def test_crawling_waits_while_the_caller_holds_every_slot(server: WebServer) -> None:
    """The browser is slower than the crawl: with `slots`, sites crawled but not yet given back stay few."""
    started: set[str] = set()

    def mark(key: str):
        def still_missing(p: Page) -> set[str]:
            started.add(key)
            return set()

        return still_missing

    async def run() -> tuple[list[int], int]:
        slots = asyncio.Semaphore(2)
        while_held: list[int] = []
        async with Fetcher(resolver=server.resolver_map(), host_delay_s=0) as f:
            sites = [(str(i), f"http://{PRIO}/", [], mark(str(i))) for i in range(5)]
            limits = CrawlLimits(site_search=False, sitemaps=False, max_pages=2)
            results = 0
            async for _key, _result in crawl_many(f, sites, limits=limits, concurrency=5, slots=slots):
                results += 1
                await asyncio.sleep(0.3)  # the slow part, holding this site's slot
                while_held.append(len(started))
                slots.release()
        return while_held, results

    while_held, results = asyncio.run(run())
    assert results == 5 and len(started) == 5
    assert while_held[0] <= 2  # while the first result is held, only one more site may have started
    assert while_held == sorted(while_held)
