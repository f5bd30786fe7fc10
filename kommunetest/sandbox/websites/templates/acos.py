"""An ACOS/Jalla-like municipal site: flat URLs with a numeric id (`/helsestasjon.412345.no.html`), a top
menu of sections, breadcrumbs, and a left menu with the current section's pages."""

from __future__ import annotations

from kommunetest.sandbox.websites.site import Page, SiteBuilder, esc
from kommunetest.sandbox.websites.structure import ui
from kommunetest.sandbox.websites.templates.base import Style, link_items, per_site


class Acos(Style):
    name = "acos"
    css = "/css/jalla.css"
    script = "/js/jalla.js"
    api_prefix = "/api/"
    search_path = "/sok.html"
    search_param = "q"
    flat = True

    def page_url(self, page: Page, parent: Page | None, site: SiteBuilder) -> str:
        return f"/{page.slug}.{self.ident(page, site)}.no.html"

    def file_path(self, filename: str, site: SiteBuilder) -> str:
        h = self.ident(Page(filename, "", "nb", "file"), site, 7)
        return f"/_f/p1/i{h}/{filename}"

    @per_site
    def topmenu(self, site: SiteBuilder) -> str:
        items = "".join(f"<li>{site.a(s.key)}</li>" for s in self.sections(site))
        return (
            f'<div id="header"><a id="logo" href="/">{esc(site.m.name)} kommune</a>'
            f'<ul id="tools">{link_items(site.header_links)}<li>{site.a("az", ui("az", site.lang))}</li></ul>'
            f"{self.search_form(site, 'quicksearch')}"
            f'<div id="topmenu"><ul>{items}</ul></div></div>'
        )

    def breadcrumbs(self, page: Page, site: SiteBuilder) -> str:
        start = page.section if page.kind == "service" and page.section else page.parent
        crumbs = [
            f'<a href="/">{esc(ui("front", site.lang))}</a>',
            *(site.a(p.key) for p in self.trail(start, site)),
            f"<span>{esc(page.title)}</span>",
        ]
        return f'<div id="breadcrumbs">{" &gt; ".join(crumbs)}</div>'

    def leftmenu(self, page: Page, site: SiteBuilder) -> str:
        section = page.key if page.kind == "section" else page.section
        if not section:
            return ""
        items = "".join(f"<li>{site.a(p.key)}</li>" for p in self.children(section, site))
        return f'<div id="leftmenu"><h2>{site.a(section)}</h2><ul>{items}</ul></div>'

    def chrome(self, page: Page, site: SiteBuilder, main: str, scripts: bool) -> str:
        crumbs = "" if page.kind == "front" else self.breadcrumbs(page, site)
        return (
            f'{self.head(page, site)}<body class="kt-acos">\n{self.banner(site)}\n{self.topmenu(site)}\n{crumbs}\n'
            f'<div id="wrapper">{self.leftmenu(page, site)}<div id="content">\n{main}\n</div></div>\n'
            f'<div id="footer">{self.contact_box(site)}</div>\n{self.script_tag(scripts)}</body>\n</html>\n'
        )

    def section_list(self, page: Page, site: SiteBuilder) -> str:
        return ""  # the left menu lists the section's pages

    def front(self, site: SiteBuilder) -> str:
        return "\n".join([self.news_teasers(site, 4), self.shortcuts(site), *site.front_blocks])
