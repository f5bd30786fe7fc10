"""An Enonic-like municipal site (the "kommunekart" family): a mega menu that opens every section's services,
nested URLs with trailing slashes (`/helse-og-omsorg/helsestasjon/`), a search hero on the front page."""

from __future__ import annotations

from kommunetest.sandbox.websites.site import Page, SiteBuilder, esc
from kommunetest.sandbox.websites.structure import ui
from kommunetest.sandbox.websites.templates.base import Style, link_items, per_site


class Enonic(Style):
    name = "enonic"
    css = "/_/asset/site.css"
    script = "/_/asset/site.js"
    api_prefix = "/_/service/api/"
    search_path = "/sok"
    search_param = "q"

    def page_url(self, page: Page, parent: Page | None, site: SiteBuilder) -> str:
        base = parent.url if parent is not None and page.kind != "section" else "/"
        return f"{base}{page.slug}/"

    def file_path(self, filename: str, site: SiteBuilder) -> str:
        h = self.ident(Page(filename, "", "nb", "file"), site, 8)
        return f"/_/attachment/inline/{h}/{filename}"

    @per_site
    def header(self, site: SiteBuilder) -> str:
        lang = site.lang
        panels = []
        for sec in self.sections(site):
            kids = "".join(f"<li>{site.a(p.key)}</li>" for p in self.children(sec.key, site))
            panels.append(
                f'<li class="megamenu__item"><a href="{esc(sec.url)}">{esc(sec.title)}</a>'
                f'<div class="megamenu__panel"><ul>{kids}</ul></div></li>'
            )
        tools = (
            link_items(site.header_links)
            + f"<li>{site.a('az', ui('az', lang))}</li><li>{site.a('kontakt')}</li>"
        )
        return (
            '<header class="header"><div class="header__top">'
            f'<a class="logo" href="/"><img src="/_/asset/logo.svg" alt=""><span>{esc(site.m.name)} kommune</span></a>'
            f'<ul class="header__tools">{tools}</ul>{self.search_form(site, "header__search")}</div>'
            f'<nav class="megamenu" aria-label="{esc(ui("menu", lang))}"><ul>{"".join(panels)}</ul></nav></header>'
        )

    def chrome(self, page: Page, site: SiteBuilder, main: str, scripts: bool) -> str:
        return (
            f'{self.head(page, site)}<body class="kt-enonic">\n{self.banner(site)}\n{self.header(site)}\n'
            f'<main id="main" class="main">\n{main}\n</main>\n'
            f'<footer class="footer">{self.contact_box(site)}</footer>\n{self.script_tag(scripts)}</body>\n</html>\n'
        )

    def front(self, site: SiteBuilder) -> str:
        lang = site.lang
        hero = (
            f'<section class="hero"><h1>{esc(ui("welcome", lang).format(name=site.m.name))}</h1>'
            f"{self.search_form(site, 'hero__search')}</section>"
        )
        return "\n".join([hero, self.shortcuts(site), *site.front_blocks, self.news_teasers(site, 3)])
