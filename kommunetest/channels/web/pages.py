"""Crawled pages → what grading reads (`grade.PageView`): facts, passages and the visible text; and whether a
page needs a browser to show its content.

The visible text leaves out scripts and the text of links to the site's own pages: "Chat med oss" in a menu
is a way to the chat page, not a chat. Links to other sites stay (a "Min side" button to the citizen portal,
"Meld feil" to the fault-reporting platform are the service itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from kommunetest.channels.web.document import Block, clean, decode_bytes
from kommunetest.channels.web.extract import facts_from_blocks, to_blocks
from kommunetest.channels.web.grade import PageView
from kommunetest.channels.web.urls import normalize_url

HTML_TYPES = ("text/html", "application/xhtml+xml", "")
_NOT_TEXT = "script, style, template, noscript, svg"
# An element a script fills: empty or with a loading text, usually with a data source or an app root id.
_LOADING = re.compile(r"^(?:laster|lastar|loading|henter|hentar|vent litt|venter)\b.{0,40}$", re.I)
_APP_ROOT = re.compile(r"^(?:app|root|__next|__nuxt|main-app|react-root|vue-app)$", re.I)


@dataclass
class PageContent:
    """One page read once: its facts, passages, visible text and title (what `PageView` holds)."""

    facts: list
    passages: list[tuple[tuple[str, ...], str]]
    text: str
    title: str
    is_pdf: bool


def is_pdf(content: bytes, content_type: str, url: str) -> bool:
    return content.startswith(b"%PDF") or "pdf" in content_type or url.lower().split("?")[0].endswith(".pdf")


def _passages(blocks: list[Block]) -> list[tuple[tuple[str, ...], str]]:
    """Content blocks with the headings, label and caption they sit under (headings themselves are context,
    not statements: "Søknad og saksbehandlingstid" says nothing until its paragraph does)."""
    out = []
    for b in blocks:
        heads = (*b.headings, *([b.label] if b.label else []), *([b.caption] if b.caption else []))
        if b.text and b.kind != "heading":
            out.append((heads, b.text))
    return out


def visible_text(html: str, base_url: str, internal: Callable[[str], bool] | None = None) -> tuple[str, str]:
    """The text a reader sees (without the text of links to the site's own pages) and the title."""
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = clean(title_node.text()).replace("\n", " ") if title_node else ""
    body = tree.body
    if body is None:
        return "", title
    for node in body.css(_NOT_TEXT):
        node.decompose()
    if internal is not None:
        for a in body.css("a[href]"):
            href = (a.attributes.get("href") or "").strip()
            if href.startswith(("mailto:", "tel:", "javascript:", "data:")):
                continue
            if "://" not in href[:12] and not href.startswith("//"):
                a.decompose()  # relative: a page of this site
                continue
            url = normalize_url(urljoin(base_url, href))
            if url is not None and internal(url):
                a.decompose()
    return clean(body.text(separator="\n")), title


def read_content(
    content: bytes, content_type: str, url: str, internal: Callable[[str], bool] | None = None
) -> PageContent:
    """Facts, passages and visible text of one page (HTML, text or PDF). Never raises for a bad page."""
    pdf = is_pdf(content, content_type, url)
    try:
        blocks = to_blocks(content, content_type=content_type, url=url)
    except Exception:  # an unreadable PDF or pathological markup: no facts rather than no round
        blocks = []
    facts = facts_from_blocks(blocks)
    passages = _passages(blocks)
    if pdf or not (content_type in HTML_TYPES or "html" in content_type):
        text = "\n".join(t for _, t in passages)
        return PageContent(facts, passages, text, "", pdf)
    text, title = visible_text(decode_bytes(content, content_type), url, internal)
    return PageContent(facts, passages, text, title, False)


def page_view(
    url: str, depth: int | None, found_via: str, content: PageContent, *, rendered: bool = False
) -> PageView:
    return PageView(url, depth, found_via, content.facts, content.text, content.passages,
                    is_pdf=content.is_pdf, rendered=rendered, title=content.title)  # fmt: skip


def js_signals(html: str) -> list[str]:
    """Why a page's content may need JavaScript: `<noscript>` with text, an element a script fills (empty or
    "Laster …", with a data source), an empty app root. Empty list: the HTML shows what there is."""
    tree = LexborHTMLParser(html)
    body = tree.body
    if body is None or tree.css_first("script") is None:
        return []
    reasons = []
    for ns in body.css("noscript"):
        text = clean(ns.text()).lower()
        if text and not text.startswith("<img"):
            reasons.append("noscript")
            break
    for node in body.css("div, section, span, article, ul, main"):
        attrs = node.attributes
        has_source = any(
            k.startswith("data-") and k.endswith(("src", "source", "url", "endpoint")) for k in attrs
        )
        text = clean(node.text()).replace("\n", " ")
        if has_source and (not text or _LOADING.match(text)):
            reasons.append("script-filled element")
            break
        if _APP_ROOT.match(attrs.get("id") or "") and not text:
            reasons.append("empty app root")
            break
        if "loading" in (attrs.get("class") or "").lower().split() and _LOADING.match(text or "laster"):
            reasons.append("loading placeholder")
            break
    return reasons
