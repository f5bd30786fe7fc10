"""An old-fashioned municipal site: a layout table with a left column of links, `.htm` pages in a flat
namespace, a plain search form posting `sokeord` by GET to `/sok.php`."""

from __future__ import annotations

from kommunetest.sandbox.websites.site import Page, SiteBuilder, esc
from kommunetest.sandbox.websites.structure import ui
from kommunetest.sandbox.websites.templates.base import Style, per_site


class Classic(Style):
    name = "classic"
    css = "/stil.css"
    script = "/js/dynamisk.js"
    api_prefix = "/data/"
    search_path = "/sok.php"
    search_param = "sokeord"
    flat = True

    def page_url(self, page: Page, parent: Page | None, site: SiteBuilder) -> str:
        folder = {"service": "/tekst/", "news": "/nyheter/", "leaf": "/tekst/"}.get(page.kind, "/")
        return f"{folder}{page.slug}.htm"

    def file_path(self, filename: str, site: SiteBuilder) -> str:
        return f"/filer/{filename}"

    def head(self, page: Page, site: SiteBuilder, extra: str = "") -> str:
        title = f"{site.m.name} kommune" if page.kind == "front" else f"{page.title} - {site.m.name} kommune"
        return (
            '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n'
            f'<html lang="{page.lang}">\n<head>\n'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            f'<title>{esc(title)}</title>\n<link rel="stylesheet" href="{self.css}">\n{extra}</head>\n'
        )

    def search_form(self, site: SiteBuilder, css: str = "search") -> str:
        return (
            f'<form action="{self.search_path}" method="get">{esc(ui("search", site.lang))}: '
            f'<input type="text" name="{self.search_param}" size="15"> <input type="submit" value="OK"></form>'
        )

    @per_site
    def menu(self, site: SiteBuilder) -> str:
        links = "<br>\n".join(site.a(s.key) for s in self.sections(site))
        extra = "<br>\n".join(f'<a href="{esc(h)}">{esc(x)}</a>' for h, x in site.header_links)
        news = site.a("newslist") if site.has("newslist") else ""
        return f"{links}<br>\n<br>\n{site.a('az', ui('az', site.lang))}<br>\n{news}<br>\n{extra}"

    def chrome(self, page: Page, site: SiteBuilder, main: str, scripts: bool) -> str:
        top = f'<a href="/"><b>{esc(site.m.name)} kommune</b></a>'
        return (
            f'{self.head(page, site)}<body bgcolor="#ffffff">\n'
            '<table width="100%" cellpadding="6" cellspacing="0" border="0">\n'
            f'<tr><td colspan="2" class="topp">{top} {self.search_form(site)}</td></tr>\n'
            f'<tr><td valign="top" width="190" class="meny">{self.menu(site)}</td>\n'
            f'<td valign="top" class="innhold">\n{main}\n</td></tr>\n'
            f'<tr><td colspan="2" class="bunn">{self.contact_box(site)}</td></tr>\n</table>\n'
            f"{self.script_tag(scripts)}</body>\n</html>\n"
        )

    def front(self, site: SiteBuilder) -> str:
        lang = site.lang
        welcome = f"<h1>{esc(ui('welcome', lang).format(name=site.m.name))}</h1><p>{esc(ui('welcome_text', lang))}</p>"
        return "\n".join([welcome, *site.front_blocks, self.news_teasers(site, 3), self.shortcuts(site)])
