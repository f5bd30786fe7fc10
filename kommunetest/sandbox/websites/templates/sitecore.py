"""A Sitecore-like municipal site: a slim top navigation, breadcrumbs, and cards (sections on the front page,
services on section pages); URLs without trailing slashes under `/tjenester/` (nynorsk `/tenester/`)."""

from __future__ import annotations

from kommunetest.sandbox.websites.lang import t
from kommunetest.sandbox.websites.site import Page, SiteBuilder, esc
from kommunetest.sandbox.websites.structure import ui
from kommunetest.sandbox.websites.templates.base import Style, link_items, per_site


class Sitecore(Style):
    name = "sitecore"
    css = "/dist/styles/main.css"
    script = "/dist/scripts/main.js"
    api_prefix = "/api/content/"
    search_path = "/sok"
    search_param = "query"

    def page_url(self, page: Page, parent: Page | None, site: SiteBuilder) -> str:
        root = t(site.lang, "tjenester", "tenester")
        if page.kind == "section":
            return f"/{root}/{page.slug}"
        if page.kind == "az":
            return f"/{root}/a-a"
        if page.kind == "newslist":
            return "/aktuelt"
        if parent is not None:
            return f"{parent.url.rstrip('/')}/{page.slug}"
        return f"/{page.slug}"

    def file_path(self, filename: str, site: SiteBuilder) -> str:
        return f"/-/media/dokumenter/{filename}"

    @per_site
    def nav(self, site: SiteBuilder) -> str:
        items = "".join(f"<li>{site.a(s.key)}</li>" for s in self.sections(site))
        return (
            f'<header class="sc-header"><a class="sc-logo" href="/">{esc(site.m.name)} kommune</a>'
            f'<ul class="sc-tools">{link_items(site.header_links)}<li>{site.a("az", ui("az", site.lang))}</li></ul>'
            f'<nav class="sc-nav" aria-label="{esc(ui("menu", site.lang))}"><ul>{items}</ul></nav>'
            f"{self.search_form(site, 'sc-search')}</header>"
        )

    def breadcrumbs(self, page: Page, site: SiteBuilder) -> str:
        trail = "".join(f"<li>{site.a(p.key)}</li>" for p in self.trail(page.parent, site))
        crumbs = f'<li><a href="/">{esc(ui("front", site.lang))}</a></li>' + trail
        return f'<nav class="sc-breadcrumb"><ol>{crumbs}<li aria-current="page">{esc(page.title)}</li></ol></nav>'

    def section_list(self, page: Page, site: SiteBuilder) -> str:
        cards = "".join(
            f'<a class="card" href="{esc(p.url)}"><h2>{esc(p.title)}</h2></a>'
            for p in self.children(page.key, site)
        )
        return f'<div class="card-grid">{cards}</div>'

    def chrome(self, page: Page, site: SiteBuilder, main: str, scripts: bool) -> str:
        crumbs = "" if page.kind == "front" else self.breadcrumbs(page, site)
        return (
            f'{self.head(page, site)}<body class="kt-sitecore">\n{self.banner(site)}\n{self.nav(site)}\n{crumbs}\n'
            f'<main class="sc-main">\n{main}\n</main>\n'
            f'<footer class="sc-footer">{self.contact_box(site)}</footer>\n{self.script_tag(scripts)}</body>\n</html>\n'
        )

    def front(self, site: SiteBuilder) -> str:
        cards = "".join(
            f'<a class="card" href="{esc(s.url)}"><h2>{esc(s.title)}</h2><p>{esc(s.intro)}</p></a>'
            for s in self.sections(site)
        )
        title = f'<h1 class="visually-hidden">{esc(site.m.name)} kommune</h1>'
        grid = f'<section class="card-grid">{cards}</section>'
        return "\n".join([title, grid, self.shortcuts(site), *site.front_blocks, self.news_teasers(site, 3)])
