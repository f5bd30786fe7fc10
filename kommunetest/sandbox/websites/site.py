"""Building one site: logical pages with content blocks, files (PDF, JSON), the deep chain, then rendering
through a CMS style and measuring click depths by breadth-first search over the rendered links.

Item generators (`items_*`) only talk to `SiteBuilder`: they add blocks to pages, create pages, PDFs and
script-fed blocks, and return `ItemTruth` that names a page key or a file path; `resolve_truth` turns those
into URLs and depths once the site is rendered.
"""

from __future__ import annotations

import html
import json
import random
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kommunetest.register import Municipality
from kommunetest.sandbox.webserver import Response
from kommunetest.sandbox.websites.facts import ItemTruth, MunicipalFacts
from kommunetest.sandbox.websites.lang import slugify, t
from kommunetest.sandbox.websites.pdf import Line, pdf_bytes
from kommunetest.sandbox.websites.structure import CHAIN, PADDING

if TYPE_CHECKING:
    from kommunetest.sandbox.websites.templates.base import Style

HTML_HEADERS = {"content-type": "text/html; charset=utf-8"}
PDF_HEADERS = {"content-type": "application/pdf"}
JSON_HEADERS = {"content-type": "application/json; charset=utf-8"}
TEXT_HEADERS = {"content-type": "text/plain; charset=utf-8"}
XML_HEADERS = {"content-type": "application/xml; charset=utf-8"}
_HREF = re.compile(r'<a\s[^>]*?href="([^"]*)"')  # links a visitor can click (not stylesheets)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass
class Page:
    """A logical page; the style decides its URL and chrome."""

    key: str
    title: str
    lang: str
    kind: str  # front, section, service, info, chain, leaf, news, newslist, az, search
    parent: str | None = None
    section: str | None = None
    slug: str = ""
    url: str = ""
    intro: str = ""
    blocks: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (href, text) listed after the content
    indexed: bool = True  # in the sitemap and the site search
    script: bool = False  # loads the site script (JavaScript-rendered blocks)
    date: str = ""
    ordinal: int = 0
    padding: int = 1  # sentences of padding text


@dataclass
class PdfDoc:
    """A PDF being assembled from several items' sections (e.g. one gebyrregulativ for all fees)."""

    path: str
    title: str
    lines: list[Line] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.lines.append("")
        self.headings.append(len(self.lines))
        self.lines.append(text)

    def add(self, *lines: Line) -> None:
        self.lines.extend(lines)


class SiteBuilder:
    """The mutable state of one site while items are placed on it."""

    def __init__(
        self,
        m: Municipality,
        facts: MunicipalFacts,
        style: Style,
        rng: random.Random,
        host: str,
        written_standard: str,
    ) -> None:
        self.m = m
        self.facts = facts
        self.style = style
        self.rng = rng
        self.host = host
        self.year = facts.year
        self.neutral = written_standard == "neutral"
        self.lang = "nn" if written_standard == "nynorsk" else "nb"  # the chrome's language
        self.pages: dict[str, Page] = {}
        self.files: dict[str, Response] = {}
        self.pdfs: dict[str, PdfDoc] = {}
        self.footer: dict[str, str] = {}  # phone, email, hours: the lines of the footer's contact box
        self.header_links: list[tuple[str, str]] = []
        self.shortcuts: list[tuple[str, str]] = []
        self.front_blocks: list[str] = []
        self.front_script = False
        self.external: list[dict[str, str]] = []
        self.news: list[str] = []
        self.plans: dict[str, Any] = {}  # item id -> Plan, decided before any item is placed
        self.finishers: list[Callable[[], None]] = []  # run once every item is placed (shared tables)
        self._slugs: set[str] = set()
        self._ordinal = 0
        self._json_n = 0

    # ------------------------------------------------------------------ pages

    def page_lang(self) -> str:
        """A new page's language: the site's, or on a neutral site now and then nynorsk."""
        if self.neutral:
            return "nn" if self.rng.random() < 0.3 else "nb"
        return self.lang

    def t(self, key_or_page: str | Page, nb: str, nn: str | None = None) -> str:
        page = key_or_page if isinstance(key_or_page, Page) else self.pages[key_or_page]
        return t(page.lang, nb, nn)

    def add(
        self,
        key: str,
        title: str,
        *,
        kind: str,
        parent: str | None = None,
        section: str | None = None,
        lang: str | None = None,
        intro: str = "",
        indexed: bool = True,
        slug: str | None = None,
    ) -> Page:
        if key in self.pages:
            raise ValueError(f"page {key!r} exists")
        self._ordinal += 1
        page = Page(
            key,
            title,
            lang or self.page_lang(),
            kind,
            parent,
            section,
            intro=intro,
            indexed=indexed,
            ordinal=self._ordinal,
        )
        base = slug or slugify(title)
        s, n = base, 2
        while s in self._slugs and self.style.flat:
            s, n = f"{base}-{n}", n + 1
        self._slugs.add(s)
        page.slug = s
        page.url = self.style.url(page, self.pages.get(parent) if parent else None, self)
        self.pages[key] = page
        return page

    def add_news(self, nb: str, nn: str, *, intro: tuple[str, str] | None = None) -> Page:
        """A news article (newest first in the lists): a date this year, before mid-November."""
        n = sum(1 for k in self.pages if k.startswith("news-"))
        lang = self.page_lang()
        page = self.add(
            f"news-{n}",
            t(lang, nb, nn),
            kind="news",
            parent="newslist",
            lang=lang,
            intro=t(lang, *intro) if intro else "",
        )
        month, day = self.rng.randrange(1, 11), self.rng.randrange(1, 29)
        page.date = f"{day:02d}.{month:02d}.{self.year}"
        self.news.append(page.key)
        self.news.sort(key=lambda k: tuple(reversed(self.pages[k].date.split("."))), reverse=True)
        return page

    def has(self, key: str) -> bool:
        return key in self.pages

    def url(self, key: str) -> str:
        return self.pages[key].url

    def a(self, key: str, text: str | None = None) -> str:
        p = self.pages[key]
        return f'<a href="{esc(p.url)}">{esc(text or p.title)}</a>'

    def block(self, key: str, html_: str) -> None:
        self.pages[key].blocks.append(html_)

    def link_child(self, parent: str, child: str, text: str | None = None) -> None:
        self.pages[parent].links.append((self.pages[child].url, text or self.pages[child].title))

    def external_link(self, url: str, text: str, platform: str = "") -> str:
        if not any(e["url"] == url for e in self.external):
            self.external.append({"url": url, "text": text, "platform": platform})
        return f'<a href="{esc(url)}" rel="external">{esc(text)}</a>'

    def deep_leaf(self, key: str, title: str, depth: int, *, intro: str = "") -> Page:
        """A page reachable only through the chain under "Om kommunen", at click depth `depth` (2..6): deep
        pages are in neither the sitemap nor the site search, so their only way in is by links."""
        depth = max(2, min(depth, len(CHAIN) + 2))
        parent = "om"
        for spec in CHAIN[: depth - 2]:
            if not self.has(spec.key):
                self.add(
                    spec.key,
                    spec.title(self.lang),
                    kind="chain",
                    parent=parent,
                    lang=self.lang,
                    intro=spec.intro(self.lang),
                )
                self.link_child(parent, spec.key)
            parent = spec.key
        leaf = self.add(key, title, kind="leaf", parent=parent, intro=intro, indexed=False)
        self.link_child(parent, key)
        return leaf

    # ------------------------------------------------------------------ files

    def pdf(self, name: str, filename: str, title: str) -> PdfDoc:
        """The PDF `name` (created on first use); its URL is fixed now, its bytes when the site is finished."""
        if name not in self.pdfs:
            self.pdfs[name] = PdfDoc(self.style.file_path(filename, self), title)
            self.pdfs[name].add(title)
            self.pdfs[name].headings.append(0)
        return self.pdfs[name]

    def script_block(self, key: str, name: str, payload: dict[str, Any], loading: str) -> str:
        """A block that a script fills from `/api/<name>.json`: the values are in the JSON, not in the HTML."""
        path = f"{self.style.api_prefix}{name}.json"
        self.files[path] = Response(200, JSON_HEADERS, json.dumps(payload, ensure_ascii=False).encode())
        if key == "front":
            self.front_script = True
        else:
            self.pages[key].script = True
        return (
            f'<div class="kt-dynamic" data-kt-src="{esc(path)}"><p class="loading">{esc(loading)}</p></div>'
        )

    def finish_files(self) -> None:
        for finish in self.finishers:
            finish()
        for doc in self.pdfs.values():
            self.files[doc.path] = Response(
                200, PDF_HEADERS, pdf_bytes(doc.lines, title=doc.title, headings=doc.headings)
            )

    def padding(self, page: Page) -> str:
        picks = self.rng.sample(PADDING, k=min(page.padding, len(PADDING)))
        return "".join(f"<p>{esc(t(page.lang, nb, nn))}</p>" for nb, nn in picks)


def link_depths(pages: dict[str, bytes], front: str = "/") -> dict[str, int]:
    """Click depth of every path reachable from `front`, by BFS over the `href`s of the HTML pages (internal
    absolute paths only; query and fragment dropped)."""
    depth = {front: 0}
    queue = deque([front])
    while queue:
        path = queue.popleft()
        body = pages.get(path)
        if body is None or body.startswith(b"%PDF"):
            continue
        for href in _HREF.findall(body.decode("utf-8", "replace")):
            href = html.unescape(href)
            if not href.startswith("/") or href.startswith("//"):
                continue
            target = href.split("#", 1)[0].split("?", 1)[0]
            if target and target not in depth:
                depth[target] = depth[path] + 1
                queue.append(target)
    return depth


def resolve_truth(item: ItemTruth, site: SiteBuilder, depths: dict[str, int], origin: str) -> None:
    """Fill in URLs and depths of an item placed by page key or file path."""
    if item._page_key is not None:
        page = site.pages[item._page_key]
        item.page_url = origin + page.url
        item.page_depth = depths.get(page.url)
        item.lang = page.lang
        item.url, item.depth = item.page_url, item.page_depth
    if item._resource is not None:
        if item.in_pdf:
            item.url, item.depth = origin + item._resource, depths.get(item._resource)
        else:
            item.data_url = origin + item._resource
    for d in item.distractors:
        if d.url and d.url.startswith("/"):
            d.url = origin + d.url
