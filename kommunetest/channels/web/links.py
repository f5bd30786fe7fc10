"""What the crawler reads in a page: its links (with anchor text and the heading above them), its search form,
and the hits of a search results page. Parsing is selectolax (lexbor), which copes with broken HTML.

Bodies are decoded here only to read links: BOM, then the HTTP charset, then `<meta charset>`, then UTF-8 if
it decodes, else windows-1252 (what Norwegian pages without a declared charset almost always are).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from kommunetest.channels.web.urls import normalize_url

MAX_LINKS = 3000
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_SEARCH_NAMES = (
    "q",
    "query",
    "s",
    "search",
    "sok",
    "søk",
    "k",
    "keyword",
    "keywords",
    "text",
    "searchtext",
    "term",
)
_SEARCHY = re.compile(r"s(ø|o|oe)k|search|finn", re.IGNORECASE)
_RESULTS_AREA = re.compile(r"result|treff|hits|s(ø|o|oe)keresultat|search-?list|searchlist", re.IGNORECASE)
_PAGER = re.compile(r"^(\d+|neste|forrige|next|previous|førre|«|»|‹|›|<|>|\.\.\.)$", re.IGNORECASE)


@dataclass
class Link:
    url: str  # normalised absolute URL
    text: str  # anchor text, or the image's alt / aria-label / title
    heading: str = ""  # the nearest heading before the link


@dataclass
class SearchForm:
    action: str  # absolute URL the form submits to
    param: str  # name of the text input
    hidden: dict[str, str] = field(default_factory=dict)  # other inputs sent with it


@dataclass
class ParsedPage:
    title: str = ""
    links: list[Link] = field(default_factory=list)
    search_form: SearchForm | None = None


@dataclass
class SearchHit:
    url: str
    title: str
    snippet: str


def decode_html(content: bytes, charset: str | None = None) -> str:
    """Text of an HTML or text body (see the module doc for the order of guesses)."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(bom):
            return content.decode(enc, errors="replace")
    candidates = [charset] if charset else []
    m = _META_CHARSET.search(content[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    for enc in candidates:
        try:
            codecs.lookup(enc)
        except LookupError:
            continue
        if enc.lower().replace("_", "-") in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"):
            enc = "windows-1252"  # as browsers do (WHATWG encoding standard)
        return content.decode(enc, errors="replace")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("windows-1252", errors="replace")


def clean(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _link_text(node: LexborNode) -> str:
    text = clean(node.text(deep=True, separator=" "))
    if not text:
        attrs = node.attributes
        text = clean(attrs.get("aria-label") or attrs.get("title") or "")
        if not text:
            img = node.css_first("img[alt]")
            text = clean(img.attributes.get("alt") if img is not None else "")
    return text[:300]


def parse_tree(text: str) -> LexborHTMLParser:
    return LexborHTMLParser(text)


def parse_page(content: bytes, url: str, charset: str | None = None) -> ParsedPage:
    """Links (in document order, deduplicated), title and search form of an HTML page."""
    tree = parse_tree(decode_html(content, charset))
    base = url
    base_node = tree.css_first("base[href]")
    if base_node is not None:
        base = normalize_url(base_node.attributes.get("href") or "", base=url) or url
    title_node = tree.css_first("title")
    page = ParsedPage(title=clean(title_node.text()) if title_node is not None else "")
    heading, seen = "", set()
    for node in tree.css("h1, h2, h3, h4, h5, h6, a[href], area[href]"):
        if node.tag not in ("a", "area"):
            heading = clean(node.text(deep=True, separator=" "))[:200]
            continue
        target = normalize_url(node.attributes.get("href") or "", base=base)
        if target is None or target in seen:
            continue
        seen.add(target)
        page.links.append(Link(target, _link_text(node), heading))
        if len(page.links) >= MAX_LINKS:
            break
    page.search_form = find_search_form(tree, base)
    return page


def find_search_form(tree: LexborHTMLParser, base: str) -> SearchForm | None:
    """The site's search: a GET form with one text/search input, the most search-like one first."""
    best: tuple[int, SearchForm] | None = None
    for form in tree.css("form"):
        if (form.attributes.get("method") or "get").lower() != "get":
            continue
        text_input, hidden = None, {}
        for inp in form.css("input[name]"):
            kind = (inp.attributes.get("type") or "text").lower()
            name = inp.attributes.get("name") or ""
            if kind in ("text", "search") and text_input is None:
                text_input = inp
            elif kind == "hidden":
                hidden[name] = inp.attributes.get("value") or ""
        if text_input is None:
            continue
        action = normalize_url(form.attributes.get("action") or base, base=base)
        if action is None:
            continue
        param = text_input.attributes.get("name") or "q"
        score = 0
        score += 3 if (form.attributes.get("role") or "").lower() == "search" else 0
        score += 2 if (text_input.attributes.get("type") or "").lower() == "search" else 0
        score += 2 if param.lower() in _SEARCH_NAMES else 0
        attrs = " ".join(str(v) for v in (*form.attributes.values(), *text_input.attributes.values()) if v)
        score += 2 if _SEARCHY.search(attrs + " " + action) else 0
        if best is None or score > best[0]:
            best = (score, SearchForm(action, param, hidden))
    return best[1] if best is not None and best[0] > 0 else None


def _results_area(tree: LexborHTMLParser) -> LexborNode | None:
    best, best_links = None, 0
    for node in tree.css("[class], [id]"):
        if node.tag in ("html", "body", "form", "input", "a"):
            continue
        marker = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
        if not _RESULTS_AREA.search(marker):
            continue
        n = len(node.css("a[href]"))
        if n > best_links:  # the outermost area with the most links; ties keep the first (outer) one
            best, best_links = node, n
    if best is not None:
        return best
    for sel in ("main", "[role=main]", "#content", "#main", "article", "body"):
        node = tree.css_first(sel)
        if node is not None:
            return node
    return None


def _snippet(node: LexborNode, title: str) -> str:
    block = node.parent
    for _ in range(3):
        if block is None:
            break
        text = clean(block.text(deep=True, separator=" "))
        if block.tag in ("li", "article", "div", "section", "dd", "tr", "p") and len(text) > len(title) + 10:
            return text.replace(title, "", 1).strip()[:400]
        block = block.parent
    return ""


def parse_search_results(
    content: bytes, url: str, charset: str | None = None, limit: int = 10
) -> list[SearchHit]:
    """The first `limit` hits of a search results page: links in its results area, pagers and chrome left out."""
    tree = parse_tree(decode_html(content, charset))
    for sel in ("nav", "header", "footer", "form", "script", "style", "[role=navigation]"):
        for node in tree.css(sel):
            node.decompose()
    area = _results_area(tree)
    if area is None:
        return []
    own_path = url.split("?", 1)[0]
    hits: list[SearchHit] = []
    seen: set[str] = set()
    for a in area.css("a[href]"):
        target = normalize_url(a.attributes.get("href") or "", base=url)
        title = _link_text(a)
        if target is None or target in seen or not title or _PAGER.match(title):
            continue
        if target.split("?", 1)[0] == own_path:  # another page of the same results
            continue
        seen.add(target)
        hits.append(SearchHit(target, title, _snippet(a, title)))
        if len(hits) >= limit:
            break
    return hits
