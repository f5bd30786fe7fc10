"""Scrapy over the simulated nation, for `bench/web_round.py`'s comparison (run as its own process).

A minimal CrawlSpider: from each front page it follows every link within that site's host, at most
`--max-pages` pages per site, robots.txt obeyed, the same concurrency as kommunetest's crawler (2 requests
per host, `--concurrency` in all, no delay). Nothing leaves loopback: every request goes through the
loopback server as an HTTP proxy (`--proxy-port`; the server answers by the Host header), any request to a
host outside the simulated sites is dropped, and the DNS resolver resolves nothing but 127.0.0.1.

    python bench/scrapy_sim.py --proxy-port 8080 --sites sites.json --max-pages 60 --out stats.json
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import IgnoreRequest
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule
from twisted.internet import defer
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

LOOPBACK = "127.0.0.1"


@implementer(IResolverSimple)
class LoopbackResolver:
    """Resolves 127.0.0.1 and localhost only: any other name fails before a packet is sent."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> LoopbackResolver:
        return cls(reactor)

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:
        if name in (LOOPBACK, "localhost"):
            return defer.succeed(LOOPBACK)
        return defer.fail(DNSLookupError(f"{name}: only loopback is resolved in this benchmark"))


class LoopbackProxy:
    """Downloader middleware: only the simulated hosts, each request sent through the loopback server."""

    def __init__(self, port: int, hosts: set[str], max_pages: int) -> None:
        self.proxy = f"http://{LOOPBACK}:{port}"
        self.hosts = hosts
        self.max_pages = max_pages
        self.pages: Counter[str] = Counter()
        self.dropped = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> LoopbackProxy:
        s = crawler.settings
        mw = cls(s.getint("SIM_PROXY_PORT"), set(s.getlist("SIM_HOSTS")), s.getint("SIM_MAX_PAGES"))
        crawler.stats.set_value("sim/middleware", id(mw))
        crawler.sim_proxy = mw
        return mw

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        if parts.scheme != "http" or host not in self.hosts:
            self.dropped += 1
            raise IgnoreRequest(f"not a simulated site: {request.url}")
        if parts.path != "/robots.txt":
            if self.pages[host] >= self.max_pages:
                raise IgnoreRequest("page limit of the site reached")
            self.pages[host] += 1
        request.meta["proxy"] = self.proxy


class SimSpider(CrawlSpider):
    name = "sim"
    rules = (Rule(LinkExtractor(), callback="parse_page", follow=True),)

    def __init__(self, sites: list[str], *args: Any, **kwargs: Any) -> None:
        self.start_urls = sites
        self.allowed_domains = sorted({urlsplit(u).hostname or "" for u in sites})
        self.count: Counter[str] = Counter()
        super().__init__(*args, **kwargs)

    def parse_start_url(self, response: Any, **kwargs: Any) -> list[Any]:
        self.count["pages"] += 1
        return []

    def parse_page(self, response: Any) -> None:
        self.count["pages"] += 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--proxy-port", type=int, required=True)
    ap.add_argument("--sites", type=Path, required=True, help="JSON list of front-page URLs")
    ap.add_argument("--max-pages", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--per-host", type=int, default=2)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    sites = json.loads(args.sites.read_text())
    hosts = sorted({urlsplit(u).hostname or "" for u in sites})
    process = CrawlerProcess(
        {
            "LOG_LEVEL": "ERROR",
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": args.concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host,
            "DOWNLOAD_DELAY": 0,
            "COOKIES_ENABLED": False,
            "TELNETCONSOLE_ENABLED": False,
            "RETRY_ENABLED": False,
            "DNS_RESOLVER": "__main__.LoopbackResolver",
            "DOWNLOADER_MIDDLEWARES": {"__main__.LoopbackProxy": 1},
            "SIM_PROXY_PORT": args.proxy_port,
            "SIM_HOSTS": hosts,
            "SIM_MAX_PAGES": args.max_pages,
            "USER_AGENT": "kommunetest-benchmark (Scrapy)",
            "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        }
    )
    crawler = process.create_crawler(SimSpider)
    t0 = time.perf_counter()
    process.crawl(crawler, sites=sites)
    process.start()
    wall = time.perf_counter() - t0
    stats = crawler.stats.get_stats()
    spider_pages = crawler.spider.count["pages"] if crawler.spider else 0
    out = {
        "wall_s": wall,
        "pages": spider_pages,
        "responses": stats.get("downloader/response_count", 0),
        "requests": stats.get("downloader/request_count", 0),
        "bytes": stats.get("downloader/response_bytes", 0),
        "dropped_offsite_or_limit": stats.get(
            "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", 0
        ),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    args.out.write_text(json.dumps(out))


if __name__ == "__main__":
    main()
