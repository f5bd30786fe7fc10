"""The simulated municipal websites: deterministic, consistent with their ground truth, in the register's
written standard, and served over HTTP on loopback (from memory and from a directory)."""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pypdf
import pytest
from selectolax.lexbor import LexborHTMLParser

from kommunetest.register import load_register
from kommunetest.sandbox.webserver import Response, WebServer
from kommunetest.sandbox.websites import (
    GeneratedSite,
    SiteTruth,
    generate_nation,
    generate_site,
    sites_for_server,
    write_sites,
)
from kommunetest.scenarios import load_scenarios

REPO = Path(__file__).resolve().parent.parent
YEAR = 2026


@pytest.fixture(scope="module")
def register():
    return load_register(REPO / "municipalities.csv")


@pytest.fixture(scope="module")
def web_items():
    return load_scenarios("scenarios/*.yaml", REPO).by_channel("web")


@pytest.fixture(scope="module")
def nation(register, web_items) -> tuple[dict[str, GeneratedSite], float]:
    t0 = time.perf_counter()
    sites = generate_nation(register, web_items, seed=0, year=YEAR)
    return sites, time.perf_counter() - t0


def _norm(text: str) -> str:
    return re.sub(r"[\s\u00a0]+", " ", text).strip()


def _visible(body: bytes) -> str:
    tree = LexborHTMLParser(body.decode("utf-8"))
    for node in tree.css("script, style"):
        node.decompose()
    return _norm(tree.body.text(separator=" ") if tree.body else "")


def _bfs(site: GeneratedSite) -> dict[str, int]:
    """Click depths computed independently of the generator: parse each page's <a href>, resolve against the
    page URL, keep the site's own host."""
    depth = {"/": 0}
    queue = deque(["/"])
    while queue:
        path = queue.popleft()
        route = site.pages.get(path)
        if not isinstance(route, Response) or not route.headers.get("content-type", "").startswith(
            "text/html"
        ):
            continue
        tree = LexborHTMLParser(route.body.decode("utf-8"))
        for a in tree.css("a[href]"):
            url = urlsplit(urljoin(site.front_url.rstrip("/") + path, a.attributes.get("href") or ""))
            if url.scheme != "http" or url.hostname != site.host:
                continue
            target = url.path or "/"
            if target not in depth:
                depth[target] = depth[path] + 1
                queue.append(target)
    return depth


def _pdf_text(data: bytes) -> str:
    return _norm(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


def _satisfied(requirements, text: str) -> bool:
    """Every `any_of` requirement has one of its terms (bokmål or nynorsk) in `text`."""
    low = text.casefold()
    return all(any(term.casefold() in low for term in r.any_of.all()) for r in requirements if r.any_of)


_DAYS = {
    "man": 0,
    "mån": 0,
    "tir": 1,
    "tys": 1,
    "ons": 2,
    "tor": 3,
    "fre": 4,
    "lør": 5,
    "lau": 5,
    "søn": 6,
    "sun": 6,
}
_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBERS = {"én": 1, "éin": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "sju": 7, "åtte": 8, "ni": 9,
            "ti": 10, "elleve": 11, "tolv": 12}  # fmt: skip
_UNIT_STEMS = {
    "weeks": ("uke", "veke"),
    "days": ("dag", "virkedag", "vyrkedag"),
    "months": ("måned", "månad"),
}


def _days_of(text: str) -> list[str] | None:
    low = text.casefold()
    if "hverdag" in low or "kvardag" in low:
        return list(_CODES[:5])
    found = [(m.start(), _DAYS[m.group(1)]) for m in re.finditer(r"\b(" + "|".join(_DAYS) + r")", low)]
    if not found:
        return None
    idx = [d for _, d in found]
    if len(idx) == 2 and re.search(r"[–-]|\btil\b", low[found[0][0] : found[1][0]]):
        return list(_CODES[idx[0] : idx[1] + 1])
    return [_CODES[i] for i in idx]


def _value_matches_text(v) -> bool:
    """The truth's value says what its text says (an independent reading of the text)."""
    if v.kind == "price":
        m = re.search(r"\d[\d \u00a0]*(?:,\d+)?", v.text)
        return float(m.group().replace(" ", "").replace("\u00a0", "").replace(",", ".")) == v.value["nok"]
    if v.kind == "phone":
        digits = re.sub(r"\D", "", v.text)
        return (digits[2:] if len(digits) == 10 else digits) == v.value
    if v.kind == "email":
        return v.text == v.value
    if v.kind in ("processing_time", "complaint_deadline"):
        m = re.match(r"(\d+|\w+)\s+(\w+)", v.text)
        amount = int(m[1]) if m[1].isdigit() else _NUMBERS[m[1]]
        return amount == v.value["amount"] and m[2].startswith(_UNIT_STEMS[v.value["unit"]])
    if v.kind == "opening_hours":
        first = re.search(r"\d", v.text).start()
        times = re.findall(r"(\d{1,2})(?:[.:](\d{2}))?", v.text[first:])
        got = [f"{int(h):02d}:{m or '00'}" for h, m in times[:2]]
        days = _days_of(v.text[:first])
        return got == [v.value["from"], v.value["to"]] and (days is None or days == v.value["days"])
    return v.kind == "presence"


# ---------------------------------------------------------------------- generation


def test_same_seed_same_bytes_other_seed_other_site(register, web_items) -> None:
    m = register.get("4601")
    a = generate_site(m, web_items, seed=7, year=YEAR)
    b = generate_site(m, web_items, seed=7, year=YEAR)
    c = generate_site(m, web_items, seed=8, year=YEAR)
    assert list(a.pages) == list(b.pages)
    assert all(a.body(p) == b.body(p) for p in a.pages)
    assert json.dumps(a.truth.to_dict()) == json.dumps(b.truth.to_dict())
    assert a.truth.to_dict() != c.truth.to_dict()


def test_nation_has_a_site_per_municipality_fast_and_small(nation, register) -> None:
    sites, seconds = nation
    assert len(sites) == len(register) == 357
    assert len({s.host for s in sites.values()}) == 357
    assert all(s.host == f"www.{k}.sim.kommunetest.test" for k, s in sites.items())
    assert seconds < 30, f"generating the nation took {seconds:.1f} s"
    size = sum(len(r.body) for s in sites.values() for r in s.pages.values() if isinstance(r, Response))
    assert size < 150_000_000
    pages = [s.truth.pages for s in sites.values()]
    assert min(pages) >= 30 and max(pages) <= 60, (min(pages), max(pages))
    assert Counter(s.style for s in sites.values()).keys() == {"enonic", "acos", "sitecore", "classic"}
    grades = Counter(i.grade for s in sites.values() for i in s.truth.items.values())
    assert set(grades) == {"complete", "partial", "pdf_or_deep", "absent"}
    assert 0.35 < grades["complete"] / sum(grades.values()) < 0.7
    modes = Counter(i.mode for s in sites.values() for i in s.truth.items.values())
    assert {"text", "table", "dl", "footer", "js", "pdf", "deep", "partial", "absent"} <= set(modes)


def test_bigger_municipalities_have_more_complete_sites(nation, register) -> None:
    sites, _ = nation
    by_pop = sorted(sites.values(), key=lambda s: register.get(s.kommunenummer).population)

    def share(group: list[GeneratedSite]) -> float:
        items = [i for s in group for i in s.truth.items.values()]
        return sum(i.grade == "complete" for i in items) / len(items)

    small, large = by_pop[:60], by_pop[-60:]
    assert share(large) > share(small) + 0.1
    assert sum(s.truth.pages for s in large) > sum(s.truth.pages for s in small)


# ---------------------------------------------------------------------- truth against pages


def _check_site(site: GeneratedSite, specs: dict) -> Counter:
    """Every item's truth against the site's pages; returns how many items of each grade were checked."""
    depths = _bfs(site)
    texts: dict[str, str] = {}
    checked: Counter = Counter()

    def text_of(url: str) -> str:
        path = urlsplit(url).path
        if path not in texts:
            body = site.body(path)
            texts[path] = _pdf_text(body) if body.startswith(b"%PDF") else _visible(body)
        return texts[path]

    for item in site.truth.items.values():
        where = f"{site.kommunenummer} {item.item_id} ({item.grade}/{item.mode})"
        web = specs[item.item_id]
        if item.grade == "absent":
            assert item.url is None and not item.values, where
            if item.fact_kind == "presence":
                for path in site.html_paths():
                    page = text_of(site.front_url + path[1:])
                    assert not _satisfied(web.grading.complete_requires, page), (where, path)
            continue
        path = urlsplit(item.url).path
        assert depths.get(path) == item.depth, (where, depths.get(path), item.depth)
        if item.grade in ("complete", "partial"):
            assert item.depth <= item.max_depth and not item.in_pdf, where
        elif not item.in_pdf:
            assert item.depth > item.max_depth, where
        else:
            assert site.body(path).startswith(b"%PDF"), where
        assert item.values, where
        if item.needs_js:
            source = site.body(path).decode()
            data = json.dumps(json.loads(site.body(urlsplit(item.data_url).path)), ensure_ascii=False)
            for v in item.values:
                assert v.text not in source and v.text.casefold() not in text_of(item.url).casefold(), where
                assert v.text in data, where
            page_text = text_of(item.url) + " " + data
        else:
            page_text = text_of(item.url)
            for v in item.values:
                assert _norm(v.text) in page_text, (where, v.text)
        for v in item.values:
            assert _value_matches_text(v), (where, v)
        if item.grade == "complete":
            assert _satisfied(web.grading.complete_requires, page_text), where
            topics = [t for r in web.grading.complete_requires if r.fact for t in r.topic]
            if topics and not item.in_pdf:
                assert any(t.casefold() in page_text.casefold() for t in topics), where
        if item.grade == "partial":
            assert _satisfied([r for r in web.grading.partial_if if r.any_of][:1], page_text), where
        for d in item.distractors:
            assert _norm(d.text) in text_of(d.url), (where, d.text, d.url)
            assert _value_matches_text(d), (where, d)
        checked[item.grade] += 1
    return checked


def test_every_item_truth_matches_the_pages(nation, web_items) -> None:
    specs = {s.id: s.web for s in web_items}
    checked: Counter = Counter()
    for site in nation[0].values():
        checked += _check_site(site, specs)
    assert min(checked.values()) > 100, checked


def test_fee_tables_put_the_current_year_in_the_truth(nation) -> None:
    sites, _ = nation
    seen = 0
    for site in sites.values():
        for item in site.truth.items.values():
            if item.fact_kind == "price" and item.mode in ("table", "pdf") and item.grade != "absent":
                assert all(v.year == YEAR for v in item.values)
                assert item.distractors and all(d.year != YEAR for d in item.distractors if d.year)
                seen += 1
    assert seen > 300


def test_written_standard_follows_the_register(nation, register) -> None:
    sites, _ = nation
    for standard, own, other in (("bokmål", "Tjenester", "Tenester"), ("nynorsk", "Tenester", "Tjenester")):
        group = [s for s in sites.values() if s.truth.written_standard == standard]
        assert group
        for site in group[:25]:
            lang = "nn" if standard == "nynorsk" else "nb"
            for path in site.html_paths():
                body = site.body(path).decode()
                assert f'<html lang="{lang}">' in body, (site.kommunenummer, path)
                assert other not in body, (site.kommunenummer, path)
            assert any(own in site.body(p).decode() for p in site.html_paths())
    neutral = [s for s in sites.values() if s.truth.written_standard == "neutral"]
    assert neutral
    langs = Counter(
        re.search(r'<html lang="(\w+)"', site.body(p).decode())[1]
        for site in neutral
        for p in site.html_paths()
    )
    assert langs["nb"] > langs["nn"] > 0


def test_search_finds_indexed_pages_but_never_deep_ones(nation) -> None:
    sites, _ = nation
    from kommunetest.channels.web.links import parse_search_results

    for site in list(sites.values())[:40]:
        deep = {urlsplit(i.url).path for i in site.truth.items.values() if i.mode == "deep"}
        for query in ("SFO", "åpningstider", "opningstider", "gebyr", "klage", "legevakt"):
            hits = site.search.search(query)
            assert not deep & {h.path for h in hits}
        hits = site.search.search("SFO")
        assert hits and "SFO" in hits[0].title
        path = f"{site.truth.search_path}?{site.truth.search_param}=SFO"
        parsed = parse_search_results(site.body(path), site.front_url.rstrip("/") + path)
        assert parsed and parsed[0].url == site.front_url.rstrip("/") + hits[0].path


def test_truth_round_trips_through_json(nation) -> None:
    site = next(iter(nation[0].values()))
    back = SiteTruth.from_dict(json.loads(json.dumps(site.truth.to_dict())))
    assert back.to_dict() == site.truth.to_dict()
    assert back.items["web-chat"].grade == site.truth.items["web-chat"].grade


# ---------------------------------------------------------------------- served on loopback


def _sample(sites: dict[str, GeneratedSite]) -> list[GeneratedSite]:
    """A handful of sites covering every style, a PDF, a script-fed block and a robots.txt."""
    chosen: dict[str, GeneratedSite] = {}
    for s in sites.values():
        chosen.setdefault(s.style, s)
    chosen["pdf"] = next(s for s in sites.values() if any(i.in_pdf for i in s.truth.items.values()))
    chosen["js"] = next(s for s in sites.values() if any(i.needs_js for i in s.truth.items.values()))
    return list({s.host: s for s in chosen.values()}.values())


def _fetch_all(port: int, site: GeneratedSite) -> dict[str, httpx.Response]:
    out = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": site.host}, timeout=10) as client:
        for path in ("/", *[urlsplit(i.url).path for i in site.truth.items.values() if i.url]):
            out[path] = client.get(path)
        out["search"] = client.get(site.truth.search_path, params={site.truth.search_param: "gebyr"})
        out["missing"] = client.get("/finnes-ikke")
    return out


def test_sites_are_served_over_http_from_memory_and_from_a_directory(nation, tmp_path: Path) -> None:
    sample = _sample(nation[0])
    with WebServer(sites_for_server(sample)) as server:
        served = {s.host: _fetch_all(server.port, s) for s in sample}
    for site in sample:
        got = served[site.host]
        assert got["/"].status_code == 200 and got["/"].headers["content-type"].startswith("text/html")
        assert got["/"].content == site.body("/")
        assert got["missing"].status_code == 404
        assert got["search"].status_code == 200 and b"search-results" in got["search"].content
        for item in site.truth.items.values():
            if item.url:
                resp = got[urlsplit(item.url).path]
                assert resp.status_code == 200, item.url
                if item.in_pdf:
                    assert resp.headers["content-type"] == "application/pdf"

    root = tmp_path / "sites"
    write_sites(sample, root)
    assert json.loads((root / "sites.json").read_text())[0]["host"] == sample[0].host
    truth = SiteTruth.from_dict(json.loads((root / f"{sample[0].host}.truth.json").read_text()))
    assert truth.items.keys() == sample[0].truth.items.keys()
    with WebServer(root=root) as server:
        from_disk = {s.host: _fetch_all(server.port, s) for s in sample}
    for site in sample:
        for path, resp in served[site.host].items():
            if path not in ("search", "missing"):
                assert from_disk[site.host][path].status_code == 200, path
                assert from_disk[site.host][path].content == resp.content, path
                assert (
                    from_disk[site.host][path].headers["content-type"].split(";")[0]
                    == resp.headers["content-type"].split(";")[0]
                )
    shutil.rmtree(root)


def test_a_browser_sees_what_only_javascript_shows(nation) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Chromium is not installed")
    site = next(s for s in nation[0].values() if any(i.needs_js for i in s.truth.items.values()))
    items = [i for i in site.truth.items.values() if i.needs_js]
    with WebServer(sites_for_server([site])) as server, playwright.sync_playwright() as p:
        rule = f"MAP *.sim.kommunetest.test 127.0.0.1:{server.port}"
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=[f"--host-resolver-rules={rule}"]
        )
        try:
            page = browser.new_page()
            for item in items:
                page.goto(item.url)
                page.wait_for_selector("[data-kt-loaded='1']", timeout=10_000)
                text = page.inner_text("body")
                assert all(v.text in text for v in item.values), item.item_id
        finally:
            browser.close()
