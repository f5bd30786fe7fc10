"""What every CMS style shares: the page skeleton, the contact box, content, news teasers, the A–Å index.

A style decides URLs (`page_url`, `file_path`), the search form's action and parameter, and the chrome around
the content (`render`). Pieces that are the same on every page of a site (menus, footer) are built once per site
and cached on the builder (`per_site`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import TypeVar

from kommunetest.sandbox.websites.site import Page, SiteBuilder, esc
from kommunetest.sandbox.websites.structure import SECTIONS, ui

RESULTS_MARK = "<!--kt-search-results-->"
CONTENT_START, CONTENT_END = (
    "<!-- innhold start -->",
    "<!-- innhold slutt -->",
)  # what the site search indexes

S = TypeVar("S", bound="Style")


def per_site(method: Callable[[S, SiteBuilder], str]) -> Callable[[S, SiteBuilder], str]:
    """Build a style's piece once per site and keep it on the builder: menus and footers are the same on
    every page."""
    key = f"_cache_{method.__name__}"

    @functools.wraps(method)
    def cached(self: S, site: SiteBuilder) -> str:
        if key not in site.__dict__:
            site.__dict__[key] = method(self, site)
        return site.__dict__[key]

    return cached


def link_items(links: Iterable[tuple[str, str]]) -> str:
    """`<li>` links from (href, text) pairs."""
    return "".join(f'<li><a href="{esc(h)}">{esc(x)}</a></li>' for h, x in links)


class Style:
    """Base of the CMS styles; subclasses set the names and override `page_url`, `chrome` and `front`."""

    name = "base"
    css = "/assets/site.css"
    script = "/assets/site.js"
    api_prefix = "/api/"
    search_path = "/sok"
    search_param = "q"
    flat = False  # one namespace of slugs (the style's URLs do not nest)

    # ------------------------------------------------------------------ URLs

    def url(self, page: Page, parent: Page | None, site: SiteBuilder) -> str:
        if page.kind == "front":
            return "/"
        if page.kind == "search":
            return self.search_path
        return self.page_url(page, parent, site)

    def page_url(self, page: Page, parent: Page | None, site: SiteBuilder) -> str:
        """The URL of any page but the front page and the search page."""
        raise NotImplementedError

    def file_path(self, filename: str, site: SiteBuilder) -> str:
        return f"/dokumenter/{filename}"

    @staticmethod
    def ident(page: Page, site: SiteBuilder, digits: int = 6) -> str:
        """A stable numeric id for CMSs that put ids in URLs."""
        h = hashlib.blake2b(f"{site.m.kommunenummer}:{page.key}".encode(), digest_size=4).digest()
        return str(int.from_bytes(h, "big") % (9 * 10 ** (digits - 1)) + 10 ** (digits - 1))

    # ------------------------------------------------------------------ rendering

    def render(self, page: Page, site: SiteBuilder) -> str:
        main = self.front(site) if page.kind == "front" else self.content(page, site)
        main = f"{CONTENT_START}\n{main}\n{CONTENT_END}"
        scripts = page.script or (page.kind == "front" and site.front_script)
        return self.chrome(page, site, main, scripts)

    def chrome(self, page: Page, site: SiteBuilder, main: str, scripts: bool) -> str:
        raise NotImplementedError

    def front(self, site: SiteBuilder) -> str:
        raise NotImplementedError

    def head(self, page: Page, site: SiteBuilder, extra: str = "") -> str:
        name = f"{site.m.name} kommune"
        title = name if page.kind == "front" else f"{page.title} - {name}"
        desc = esc(page.intro or ui("welcome_text", page.lang))
        return (
            f'<!DOCTYPE html>\n<html lang="{page.lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{esc(title)}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="description" content="{desc}">\n'
            f'<meta property="og:title" content="{esc(title)}">\n<meta property="og:description" content="{desc}">\n'
            f'<meta property="og:site_name" content="{esc(name)}">\n<meta property="og:type" content="website">\n'
            f'<meta property="og:url" content="http://{site.host}{esc(page.url)}">\n'
            '<meta name="format-detection" content="telephone=no">\n<meta name="theme-color" content="#00456e">\n'
            f'<link rel="canonical" href="http://{site.host}{esc(page.url)}">\n'
            f'<link rel="stylesheet" href="{self.css}">\n{extra}</head>\n'
        )

    @per_site
    def banner(self, site: SiteBuilder) -> str:
        """Skip link and cookie-consent banner, as nearly every municipal site has them."""
        lang = site.lang
        return (
            f'<a class="skip-link" href="#main">{esc(ui("skip", lang))}</a>\n'
            '<div class="cookie-consent" role="dialog" aria-live="polite" aria-label="Cookies">'
            f"<p>{esc(ui('cookies', lang))}</p>"
            f'<button type="button" class="cookie-consent__accept">{esc(ui("accept", lang))}</button> '
            f'<button type="button" class="cookie-consent__decline">{esc(ui("decline", lang))}</button></div>'
        )

    def feedback(self, page: Page, site: SiteBuilder) -> str:
        """The "was this page useful?" form under content pages (POST, so never taken for a search form)."""
        if page.kind not in ("service", "info", "news", "chain", "leaf", "section"):
            return ""
        lang = page.lang
        return (
            '<form class="page-feedback" method="post" action="/tilbakemelding">'
            f"<fieldset><legend>{esc(ui('useful', lang))}</legend>"
            f'<input type="hidden" name="side" value="{esc(page.url)}">'
            f'<button type="submit" name="svar" value="ja">{esc(ui("yes", lang))}</button> '
            f'<button type="submit" name="svar" value="nei">{esc(ui("no", lang))}</button>'
            f'<label for="kt-fb">{esc(ui("feedback_hint", lang))}</label>'
            '<textarea id="kt-fb" name="kommentar" rows="3" maxlength="500"></textarea></fieldset></form>'
        )

    def social(self, site: SiteBuilder) -> str:
        slug = site.host.split(".")[1]
        return (
            f'<ul class="social"><li><a href="https://www.facebook.com/kommune{slug}" rel="external">Facebook</a></li>'
            f'<li><a href="https://www.instagram.com/kommune{slug}" rel="external">Instagram</a></li></ul>'
        )

    def script_tag(self, scripts: bool) -> str:
        return f'<script src="{self.script}" defer></script>\n' if scripts else ""

    def search_form(self, site: SiteBuilder, css: str = "search") -> str:
        lang = site.lang
        return (
            f'<form class="{css}" role="search" action="{self.search_path}" method="get">'
            f'<label for="kt-q">{esc(ui("search_label", lang))}</label>'
            f'<input type="search" id="kt-q" name="{self.search_param}">'
            f'<button type="submit">{esc(ui("search", lang))}</button></form>'
        )

    @per_site
    def contact_box(self, site: SiteBuilder) -> str:
        """The footer's contact box: address always, phone, e-mail and desk hours when the site has them."""
        lang, f = site.lang, site.facts
        rows = [
            f"<dt>{esc(ui('visit', lang))}</dt><dd>{esc(f.street)}, {esc(f.postcode)} {esc(f.town)}</dd>",
        ]
        if "phone" in site.footer:
            rows.append(f"<dt>{esc(site.footer['phone_label'])}</dt><dd>{esc(site.footer['phone'])}</dd>")
        if "email" in site.footer:
            mail = site.footer["email"]
            rows.append(
                f'<dt>{esc(ui("email", lang))}</dt><dd><a href="mailto:{esc(mail)}">{esc(mail)}</a></dd>'
            )
        if "hours" in site.footer:
            rows.append(f"<dt>{esc(site.footer['hours_label'])}</dt><dd>{esc(site.footer['hours'])}</dd>")
        if site.m.orgnr:
            orgnr = site.m.orgnr
            rows.append(f"<dt>{esc(ui('orgnr', lang))}</dt><dd>{orgnr[:3]} {orgnr[3:6]} {orgnr[6:]}</dd>")
        links = " ".join(
            f"<li>{site.a(k)}</li>" for k in ("om", "personvern", "tilgjengelighet") if site.has(k)
        )
        return (
            f'<div class="contact-box"><h2>{esc(site.m.name)} kommune</h2><dl>{"".join(rows)}</dl></div>'
            f'<ul class="footer-links">{links}</ul>{self.social(site)}'
        )

    def content(self, page: Page, site: SiteBuilder) -> str:
        parts = [f"<h1>{esc(page.title)}</h1>"]
        if page.date:
            parts.append(f'<p class="date">{esc(ui("published", site.lang))} {esc(page.date)}</p>')
        if page.intro:
            parts.append(f'<p class="ingress">{esc(page.intro)}</p>')
        parts.extend(page.blocks)
        if page.kind == "section":
            parts.append(self.section_list(page, site))
        if page.links:
            parts.append(f'<ul class="related">{link_items(page.links)}</ul>')
        if page.kind in ("service", "section", "info", "chain", "leaf", "news"):
            parts.append(site.padding(page))
        if page.kind == "search":
            parts.append(RESULTS_MARK)
        parts.append(self.feedback(page, site))
        return "\n".join(parts)

    def children(self, section: str, site: SiteBuilder) -> list[Page]:
        return [p for p in site.pages.values() if p.kind == "service" and p.section == section]

    def section_list(self, page: Page, site: SiteBuilder) -> str:
        items = "".join(f"<li>{site.a(p.key)}</li>" for p in self.children(page.key, site))
        return f'<ul class="services">{items}</ul>'

    def news_teasers(self, site: SiteBuilder, n: int) -> str:
        items = []
        for key in site.news[:n]:
            p = site.pages[key]
            items.append(
                f'<li><a href="{esc(p.url)}">{esc(p.title)}</a> <span class="date">{esc(p.date)}</span></li>'
            )
        more = f"<p>{site.a('newslist', ui('all_news', site.lang))}</p>" if site.has("newslist") else ""
        return f'<section class="news"><h2>{esc(ui("news", site.lang))}</h2><ul>{"".join(items)}</ul>{more}</section>'

    def shortcuts(self, site: SiteBuilder) -> str:
        items = link_items(site.shortcuts)
        return (
            f'<section class="shortcuts"><h2>{esc(ui("shortcuts", site.lang))}</h2><ul>{items}</ul></section>'
        )

    def sections(self, site: SiteBuilder) -> list[Page]:
        return [site.pages[s.key] for s in SECTIONS if s.key in site.pages]

    @staticmethod
    def trail(start: str | None, site: SiteBuilder) -> list[Page]:
        """The page `start` and the pages above it, outermost first (for breadcrumbs)."""
        out = []
        p = site.pages.get(start) if start else None
        while p is not None:
            out.append(p)
            p = site.pages.get(p.parent) if p.parent else None
        return out[::-1]


def az_content(site: SiteBuilder) -> str:
    """The A–Å index: every service page, grouped by first letter."""
    services = sorted(
        (p for p in site.pages.values() if p.kind == "service"), key=lambda p: p.title.casefold()
    )
    groups: dict[str, list[Page]] = {}
    for p in services:
        groups.setdefault(p.title[0].upper(), []).append(p)
    out = []
    for letter, pages in groups.items():
        links = "".join(f"<li>{site.a(p.key)}</li>" for p in pages)
        out.append(f'<h2 id="{esc(letter)}">{esc(letter)}</h2><ul>{links}</ul>')
    return '<div class="a-aa">' + "".join(out) + "</div>"
