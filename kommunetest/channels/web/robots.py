"""robots.txt (RFC 9309, parsed by Protego as Scrapy does) and sitemaps (urlsets, indexes, gzip).

RFC 9309 on an unavailable robots.txt: a 4xx answer means no rules (crawl everything); a 5xx answer or no
answer at all means the site is unreachable and nothing may be crawled. The crawler turns the latter into the
site's status (the fetch status: `connection_refused`, `timeout`, `tls_error`, ...), so a dead site costs one
request, not one per page.
"""

from __future__ import annotations

import gzip
import html
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from kommunetest.channels.web.fetch import KEEP_TYPES, Fetcher, FetchResult

SITEMAP_MAX_BYTES = 20_000_000  # uncompressed; the sitemap protocol's own limit is 50 MB
SITEMAP_TYPES = (
    *KEEP_TYPES,
    "application/octet-stream",
    "binary/octet-stream",
)  # how .xml.gz is often served
_LOC = re.compile(rb"<(?:\w+:)?loc>\s*(.*?)\s*</(?:\w+:)?loc>", re.DOTALL | re.IGNORECASE)


@dataclass
class Robots:
    """The rules of one origin. `state`: "rules", "none" (no robots.txt: all allowed) or "unreachable"."""

    origin: str
    state: str = "none"
    parser: Protego | None = None
    fetch: FetchResult | None = None

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.state == "unreachable":
            return False
        if self.parser is None:
            return True
        return bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None

    @property
    def sitemaps(self) -> list[str]:
        return list(self.parser.sitemaps) if self.parser is not None else []


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def robots_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: `kommunetest/0.1 (...)` -> `kommunetest`."""
    return re.split(r"[/\s;(]", user_agent.strip(), maxsplit=1)[0] or user_agent


async def fetch_robots(fetcher: Fetcher, url: str, allow_host: Callable[[str], bool] | None = None) -> Robots:
    """The robots.txt rules for the origin of `url`."""
    origin = origin_of(url)
    res = await fetcher.fetch(origin + "/robots.txt", allow_host=allow_host, max_bytes=500_000)
    robots = Robots(origin=origin, fetch=res)
    if res.status in ("ok", "too_large"):
        text = res.content.decode("utf-8", errors="replace")
        if "<html" in text[:2000].lower():  # a CMS answering every path with a page: no rules
            return robots
        robots.state, robots.parser = "rules", Protego.parse(text)
    elif res.status == "http_4xx" or res.status in ("unsupported_content_type", "redirect_offsite"):
        robots.state = "none"
    else:  # 5xx, network errors, redirect loops: unreachable, crawl nothing
        robots.state = "unreachable"
    return robots


def _gunzip(data: bytes, limit: int = SITEMAP_MAX_BYTES) -> bytes:
    """Decompress gzip without letting a bomb grow past `limit`."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return d.decompress(data, limit)
    except zlib.error:
        try:
            return gzip.decompress(data)[:limit]
        except (OSError, EOFError):
            return b""


@dataclass
class Sitemap:
    kind: str  # "urlset", "index" or "invalid"
    locs: list[str] = field(default_factory=list)


def parse_sitemap(content: bytes) -> Sitemap:
    """The URLs of a sitemap or sitemap index (gzip or not). Regex on `<loc>`: tolerant and entity-safe."""
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content)
    head = content[:4000].lower()
    if b"<sitemapindex" in head:
        kind = "index"
    elif b"<urlset" in head:
        kind = "urlset"
    else:
        text = content.decode("utf-8", errors="replace")  # a plain-text sitemap: one URL per line
        locs = [
            line.strip() for line in text.splitlines() if line.strip().startswith(("http://", "https://"))
        ]
        return Sitemap("urlset" if locs else "invalid", locs)
    locs = [html.unescape(m.decode("utf-8", errors="replace")) for m in _LOC.findall(content)]
    return Sitemap(kind, locs)


async def read_sitemaps(
    fetcher: Fetcher,
    urls: list[str],
    *,
    allow_url: Callable[[str], bool],
    max_sitemaps: int = 10,
    max_urls: int = 5000,
) -> tuple[list[str], list[str]]:
    """Follow sitemaps and sitemap indexes; returns (page URLs, the sitemaps that were read)."""
    queue, tried, used, pages = list(dict.fromkeys(urls)), set(), [], []
    while queue and len(tried) < max_sitemaps and len(pages) < max_urls:
        url = queue.pop(0)
        if url in tried or not allow_url(url):
            continue
        tried.add(url)
        res = await fetcher.fetch(
            url,
            max_bytes=SITEMAP_MAX_BYTES,
            allow_host=lambda h: allow_url(f"http://{h}/"),
            accept=SITEMAP_TYPES,
        )
        if res.status != "ok":
            continue
        sm = parse_sitemap(res.content)
        if sm.kind == "invalid":
            continue
        used.append(url)
        if sm.kind == "index":
            queue.extend(u for u in sm.locs if u not in tried)
        else:
            pages.extend(sm.locs[: max_urls - len(pages)])
    return pages, used
