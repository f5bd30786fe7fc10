"""Generate a simulated municipal website with its ground truth, for one municipality or the whole nation.

Everything is drawn from `random.Random(f"{seed}:{kommunenummer}")` (and one stream per item), so the same
seed gives the same bytes. A site is a mapping `{path: Response | handler}` that `WebServer` serves under the
host `www.<kommunenummer>.sim.kommunetest.test` (a reserved TLD that never resolves); `write_sites` writes the
same as a directory per host for the server's `--root` mode, with the truth beside it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from kommunetest.register import Municipality, Register
from kommunetest.sandbox.mailsystem import SIM_DOMAIN
from kommunetest.sandbox.webserver import Request, Response
from kommunetest.sandbox.websites.facts import GRADES, ItemTruth, SiteTruth, make_facts
from kommunetest.sandbox.websites.items import ItemSpec, Plan, done, ensure, hours_text, para, value
from kommunetest.sandbox.websites.items_fees import FEES
from kommunetest.sandbox.websites.items_general import GENERAL
from kommunetest.sandbox.websites.items_services import SERVICES as SERVICE_ITEMS
from kommunetest.sandbox.websites.lang import t
from kommunetest.sandbox.websites.search import SiteSearch
from kommunetest.sandbox.websites.site import (
    HTML_HEADERS,
    TEXT_HEADERS,
    XML_HEADERS,
    SiteBuilder,
    esc,
    link_depths,
    resolve_truth,
)
from kommunetest.sandbox.websites.structure import INFO, NEWS, SECTIONS, SERVICES, TEKNISK_NO_WASTE, ui
from kommunetest.sandbox.websites.templates import RESULTS_MARK, STYLES, az_content
from kommunetest.sandbox.websites.templates.assets import asset
from kommunetest.scenarios import Scenario

REGISTRY: dict[str, ItemSpec] = {**GENERAL, **FEES, **SERVICE_ITEMS}
BASE_SERVICES = (
    "servicetorg",
    "helsestasjon",
    "hjemmetjenester",
    "barnehage",
    "sfo",
    "byggesak",
    "vann",
    "vei",
    "bibliotek",
    "kulturskole",
)
Route = Response | Callable[[Request], Response]


def sim_host(kommunenummer: str) -> str:
    """The simulated site's host name."""
    return f"www.{kommunenummer}.{SIM_DOMAIN}"


@dataclass
class GeneratedSite:
    """One simulated municipal site: its routes (what `WebServer` serves), its truth and its search.
    Responses of a kind share one headers dict: copy it before changing a response's headers."""

    kommunenummer: str
    name: str
    host: str
    front_url: str
    style: str
    real_domain: str | None
    pages: dict[str, Route]
    truth: SiteTruth
    search: SiteSearch

    def body(self, path: str) -> bytes:
        """The bytes served at `path` (a query string goes to the search handler)."""
        route = self.pages.get(path.split("?", 1)[0])
        if route is None:
            raise KeyError(path)
        if callable(route) and not isinstance(route, Response):
            route = route(Request("GET", path, self.host, {}))
        assert isinstance(route.body, bytes)
        return route.body

    def html_paths(self) -> list[str]:
        return [
            p
            for p, r in self.pages.items()
            if isinstance(r, Response) and r.headers.get("content-type", "").startswith("text/html")
        ]


def _choose_style(q: float, rng: random.Random) -> str:
    weights = {"enonic": 0.35, "acos": 0.30, "sitecore": 0.10 + 0.25 * q, "classic": 0.30 - 0.25 * q}
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _skeleton(site: SiteBuilder, plans: Mapping[str, Plan], rng: random.Random) -> None:
    lang, q = site.lang, site.facts.quality
    no_waste = plans.get("web-renovasjon-gebyr", Plan("complete", "text")).grade == "absent"
    site.add("front", f"{site.m.name} kommune", kind="front", lang=lang)
    for spec in SECTIONS:
        pl = site.page_lang()
        title, intro = spec.title(pl), spec.intro(pl)
        if spec.key == "teknisk" and no_waste:
            title = t(pl, *TEKNISK_NO_WASTE)
            intro = t(pl, "Drikkevann, avløp og kommunale veier.", "Drikkevatn, avløp og kommunale vegar.")
        site.add(spec.key, title, kind="section", lang=pl, intro=intro)
    for spec in INFO:
        site.add(spec.key, spec.title(lang), kind="info", lang=lang, intro=spec.intro(lang))
    site.add("az", ui("az", lang), kind="az", lang=lang)
    site.add("newslist", ui("news", lang), kind="newslist", lang=lang, slug=t(lang, "nyheter", "nyheiter"))
    site.add("search", ui("search", lang), kind="search", lang=lang, indexed=False, slug="sok")
    for key in BASE_SERVICES + (() if no_waste else ("renovasjon",)):
        ensure(site, key)
    lib = site.pages["bibliotek"]
    lines = "".join(f"<li>{esc(hours_text(h, lib.lang, rng))}</li>" for h in site.facts.library_hours)
    site.block("bibliotek", f"<h2>{esc(t(lib.lang, 'Åpningstider', 'Opningstider'))}</h2><ul>{lines}</ul>")
    fillers = [s for s in SERVICES if s.filler]
    k = max(1, min(len(fillers), round(1 + 6 * q + rng.uniform(-1, 1))))
    for spec in sorted(rng.sample(fillers, k), key=fillers.index):
        ensure(site, spec.key)
    for nb, nn, body_nb, body_nn in rng.sample(NEWS, 3 + round(4 * q)):
        site.add_news(nb, nn, intro=(body_nb, body_nn))


def _generic(site: SiteBuilder, sc: Scenario, rng: random.Random) -> ItemTruth:
    """An item the generator has no special knowledge of: a page that names it (or nothing)."""
    assert sc.web is not None
    if rng.random() < 0.3 + 0.5 * site.facts.quality:
        page = site.add(f"generic-{sc.id}", sc.title, kind="service", parent="kontakt", section="kontakt")
        terms = sc.web.terms.nn if page.lang == "nn" else sc.web.terms.nb
        site.block(page.key, para(sc.web.item) + para(", ".join(terms)))
        return done(
            sc, Plan("complete", "text"), page.key, [value("presence", None, terms[0])], note="generic item"
        )
    return done(sc, Plan("absent", "absent"), None, [], note="generic item")


def _shortcuts(site: SiteBuilder, rng: random.Random) -> None:
    popular = [
        k
        for k in ("barnehage", "byggesak", "avgifter", "renovasjon", "servicetorg", "sfo", "bibliotek")
        if site.has(k)
    ]
    for key in rng.sample(popular, min(len(popular), rng.randrange(3, 6))):
        site.shortcuts.append((site.url(key), site.pages[key].title))
    site.shortcuts = list(dict.fromkeys(site.shortcuts))[:7]


def _robots_and_sitemap(
    site: SiteBuilder,
    origin: str,
    indexed: list[str],
    rng: random.Random,
    out: dict[str, Route],
    truth: SiteTruth,
) -> None:
    q = site.facts.quality
    has_sitemap = rng.random() < 0.3 + 0.5 * q
    if has_sitemap:
        urls = "".join(
            f"<url><loc>{esc(origin + p)}</loc><lastmod>{site.year}-{rng.randrange(1, 11):02d}-{rng.randrange(1, 28):02d}</lastmod></url>"
            for p in indexed
        )
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
        out["/sitemap.xml"] = Response(200, XML_HEADERS, xml.encode())
    if rng.random() < 0.7:
        lines = ["User-agent: *", "Disallow: /admin/"]
        if rng.random() < 0.15:
            lines.append(f"Disallow: {site.style.search_path}")
            truth.search_disallowed = True
        if has_sitemap and rng.random() < 0.8:
            lines.append(f"Sitemap: {origin}/sitemap.xml")
        out["/robots.txt"] = Response(200, TEXT_HEADERS, ("\n".join(lines) + "\n").encode())
        truth.robots_txt = True
    truth.sitemap = has_sitemap


def _check(item: ItemTruth, max_depth: int) -> str | None:
    """A placement that contradicts its grade (a generator bug), or None."""
    if item.grade not in GRADES:
        return f"unknown grade {item.grade}"
    if item.grade == "absent":
        return None if item.url is None else "absent item has a URL"
    if item.depth is None:
        return f"{item.url} is not reachable from the front page"
    if item.grade in ("complete", "partial") and (item.depth > max_depth or item.in_pdf):
        return f"{item.grade} at depth {item.depth} (max {max_depth})"
    if item.grade == "pdf_or_deep" and not item.in_pdf and item.depth <= max_depth:
        return f"deep item at depth {item.depth} (max {max_depth})"
    return None


def generate_site(
    m: Municipality,
    items: Sequence[Scenario],
    *,
    seed: int = 0,
    host: str | None = None,
    year: int | None = None,
    style: str | None = None,
) -> GeneratedSite:
    """One municipality's simulated site. `items` are the web scenarios (others are ignored); `year` is the
    current year of the fee tables (default: today's); `style` forces a CMS style."""
    year = year or date.today().year
    rng = random.Random(f"{seed}:{m.kommunenummer}")
    facts = make_facts(m, rng, year)
    style_name = style or _choose_style(facts.quality, rng)
    host = host or sim_host(m.kommunenummer)
    origin = f"http://{host}"
    site = SiteBuilder(m, facts, STYLES[style_name], rng, host, m.written_standard)
    web_items = [s for s in items if s.channel == "web" and s.web is not None]
    item_rngs = {s.id: random.Random(f"{seed}:{m.kommunenummer}:{s.id}") for s in web_items}
    plans = {s.id: REGISTRY[s.id].plan(facts.quality, item_rngs[s.id]) for s in web_items if s.id in REGISTRY}
    site.plans = plans
    _skeleton(site, plans, rng)
    truths: dict[str, ItemTruth] = {}
    for sc in web_items:
        spec = REGISTRY.get(sc.id)
        irng = item_rngs[sc.id]
        truths[sc.id] = spec.gen(site, sc, plans[sc.id], irng) if spec else _generic(site, sc, irng)
    _shortcuts(site, rng)
    site.block("az", az_content(site))
    site.pages["newslist"].links = [(site.url(k), site.pages[k].title) for k in site.news]
    site.finish_files()

    out: dict[str, Route] = {}
    titles: dict[str, str] = {}
    search_page = b""
    for page in site.pages.values():
        body = site.style.render(page, site).encode()
        if page.kind == "search":
            search_page = body
            continue
        out[page.url] = Response(200, HTML_HEADERS, body)
        if page.indexed:
            titles[page.url] = page.title
    out.update(site.files)
    for path, (ctype, data) in asset(site.style).items():
        out[path] = Response(200, {"content-type": ctype}, data)
    prefix, _, suffix = search_page.partition(RESULTS_MARK.encode())
    search = SiteSearch(out, titles, prefix, suffix, site.lang, site.style.search_param)
    out[site.style.search_path] = search.handler

    truth = SiteTruth(
        kommunenummer=m.kommunenummer,
        name=m.name,
        host=host,
        front_url=origin + "/",
        real_domain=m.domain,
        real_website=m.website,
        style=style_name,
        written_standard=m.written_standard,
        year=year,
        seed=seed,
        search_path=site.style.search_path,
        search_param=site.style.search_param,
        external_links=site.external,
    )
    _robots_and_sitemap(site, origin, list(titles), rng, out, truth)
    bodies = {p: r.body for p, r in out.items() if isinstance(r, Response) and isinstance(r.body, bytes)}
    depths = link_depths(bodies)
    for item in truths.values():
        resolve_truth(item, site, depths, origin)
        problem = _check(item, item.max_depth)
        if problem:
            raise RuntimeError(f"{m.kommunenummer} {item.item_id} ({item.mode}): {problem}")
    truth.items = truths
    truth.pages = sum(1 for r in out.values() if isinstance(r, Response) and r.headers is HTML_HEADERS) + 1
    return GeneratedSite(
        m.kommunenummer, m.name, host, origin + "/", style_name, m.domain, out, truth, search
    )


def generate_nation(
    register: Register | Iterable[Municipality],
    items: Sequence[Scenario],
    *,
    seed: int = 0,
    only: Iterable[str] | None = None,
    year: int | None = None,
) -> dict[str, GeneratedSite]:
    """A site for every municipality of the register (or those in `only`), keyed by kommunenummer."""
    wanted = set(only) if only is not None else None
    year = year or date.today().year
    return {
        m.kommunenummer: generate_site(m, items, seed=seed, year=year)
        for m in register
        if wanted is None or m.kommunenummer in wanted
    }


def sites_for_server(
    sites: Mapping[str, GeneratedSite] | Iterable[GeneratedSite],
) -> dict[str, dict[str, Route]]:
    """`{host: {path: route}}`, what `WebServer(...)` takes."""
    values = sites.values() if isinstance(sites, Mapping) else sites
    return {s.host: s.pages for s in values}


_FILE_SUFFIXES = (".html", ".htm", ".pdf", ".json", ".txt", ".xml", ".css", ".js", ".svg")


def _file_for(path: str) -> str:
    """Where a route lives on disk for the server's `--root` mode (HTML without a suffix as `index.html`)."""
    rel = unquote(path).lstrip("/")
    if not rel or rel.endswith("/"):
        return rel + "index.html"
    if rel.lower().endswith(_FILE_SUFFIXES):
        return rel
    return rel + "/index.html"


def write_sites(sites: Mapping[str, GeneratedSite] | Iterable[GeneratedSite], root: Path) -> None:
    """A directory per host (the search page without results, since a directory cannot answer queries), the
    truth beside it as `<host>.truth.json`, and `sites.json` listing the sites."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    values = list(sites.values() if isinstance(sites, Mapping) else sites)
    index = []
    for s in values:
        base = root / s.host
        for path in s.pages:
            target = base / _file_for(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s.body(path))
        (root / f"{s.host}.truth.json").write_text(
            json.dumps(s.truth.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        index.append(
            {
                "kommunenummer": s.kommunenummer,
                "name": s.name,
                "host": s.host,
                "front_url": s.front_url,
                "real_domain": s.real_domain,
                "style": s.style,
            }
        )
    (root / "sites.json").write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
