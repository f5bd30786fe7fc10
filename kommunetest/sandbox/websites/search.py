"""The site's own search (`/sok?q=...`): a GET handler that ranks the site's indexed pages for the query and
answers with a results page in the site's own chrome.

The index is built on the first query (most generated sites are never searched), from the content area of each
indexed page. Deep pages and files are not indexed, so that a page the truth calls too deep cannot be reached
through the search either. Ranking: the whole query in the title, then each word in the title, then how often
each word occurs in the text (at most five times counted).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from kommunetest.sandbox.webserver import Request, Response
from kommunetest.sandbox.websites.structure import ui
from kommunetest.sandbox.websites.templates.base import CONTENT_END, CONTENT_START

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[\wæøåÆØÅ-]+")
_HEADERS = {"content-type": "text/html; charset=utf-8"}


@dataclass
class Hit:
    path: str
    title: str
    snippet: str
    score: int


def page_text(body: bytes) -> str:
    """The visible text of a page's content area (between the content markers)."""
    text = body.decode("utf-8", "replace")
    start, end = text.find(CONTENT_START), text.find(CONTENT_END)
    if start >= 0 and end > start:
        text = text[start + len(CONTENT_START) : end]
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


class SiteSearch:
    """Search over one site's pages; `handler` is the route the web server calls."""

    def __init__(
        self,
        pages: Mapping[str, object],
        titles: dict[str, str],
        prefix: bytes,
        suffix: bytes,
        lang: str,
        param: str,
    ) -> None:
        self.pages = pages  # the site's routes; indexed paths must map to a Response
        self.titles = titles  # indexed path -> title
        self.prefix, self.suffix = prefix, suffix  # the results page around the results
        self.lang = lang
        self.param = param
        self._index: list[tuple[str, str, str, str]] | None = None  # (path, title, title folded, text)

    def _build(self) -> list[tuple[str, str, str, str]]:
        out = []
        for path, title in self.titles.items():
            resp = self.pages.get(path)
            if isinstance(resp, Response) and isinstance(resp.body, bytes):
                out.append((path, title, title.casefold(), page_text(resp.body)))
        return out

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        if self._index is None:
            self._index = self._build()
        q = query.casefold().strip()
        words = [w for w in _WORD.findall(q) if len(w) > 1]
        if not words:
            return []
        hits = []
        for path, title, title_cf, text in self._index:
            text_cf = text.casefold()
            score = 20 if q in title_cf else 0
            score += sum(5 for w in words if w in title_cf)
            score += sum(min(text_cf.count(w), 5) for w in words)
            if score:
                hits.append(Hit(path, title, _snippet(text, text_cf, words), score))
        hits.sort(key=lambda h: (-h.score, h.path))
        return hits[:limit]

    def results_html(self, query: str) -> str:
        lang = self.lang
        if not query.strip():
            return f'<div class="search-results"><p>{html.escape(ui("empty_query", lang))}</p></div>'
        hits = self.search(query)
        head = f"<h2>{html.escape(ui('results_for', lang))} «{html.escape(query)}»</h2>"
        if not hits:
            return f'<div class="search-results">{head}<p>{html.escape(ui("no_hits", lang))}</p></div>'
        items = "".join(
            f'<li><a href="{html.escape(h.path)}">{html.escape(h.title)}</a><p>{html.escape(h.snippet)}</p></li>'
            for h in hits
        )
        return (
            f'<div class="search-results">{head}<p class="count">{len(hits)} {ui("hits", lang)}</p>'
            f"<ol>{items}</ol></div>"
        )

    def render(self, query: str) -> bytes:
        return self.prefix + self.results_html(query).encode() + self.suffix

    def handler(self, request: Request) -> Response:
        values = parse_qs(urlsplit(request.target).query).get(self.param) or [""]
        return Response(200, _HEADERS, self.render(values[0]))


def _snippet(text: str, text_cf: str, words: list[str]) -> str:
    pos = min((i for i in (text_cf.find(w) for w in words) if i >= 0), default=0)
    start = max(0, pos - 80)
    out = text[start : start + 200].strip()
    return ("… " if start else "") + out + (" …" if start + 200 < len(text) else "")
