"""The report in a real browser: Debian's Chromium through Playwright, pages opened from file:// under their
strict Content-Security-Policy. Sorting, filtering, search, evidence with a screenshot that loads, an inert
<script> reply, the print view, and an axe-core scan.

Set KOMMUNETEST_DOCS_SCREENSHOTS=1 to also write docs/screenshots/ranking.png and municipality.png.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
ROWS = "table#ranking tbody tr"


@pytest.fixture(scope="module")
def browser():
    from kommunetest.browser import chromium_unavailable, launch_options

    reason = chromium_unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(**launch_options())
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO")
    pg = context.new_page()
    pg.problems = []  # console errors, page errors and dialogs: none may happen
    pg.on(
        "console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("dialog", lambda d: (pg.problems.append(f"dialog: {d.message}"), d.dismiss()))
    yield pg
    context.close()


@pytest.fixture(scope="module")
def report(synthetic_report):
    return synthetic_report


def url(report, rel: str) -> str:
    return (report.out / rel).resolve().as_uri()


def visible_rows(page) -> list[dict]:
    return page.eval_on_selector_all(
        ROWS,
        """rows => rows.filter(r => !r.hidden).map(r => ({
             rank: Number(r.children[0].dataset.v), name: r.querySelector('th').dataset.v,
             total: Number(r.children[4].dataset.v), county: r.dataset.county, size: r.dataset.size}))""",
    )


def test_ranking_table_has_every_municipality_in_rank_order(page, report) -> None:
    page.goto(url(report, "index.html"))
    rows = visible_rows(page)
    assert len(rows) == 357
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows)
    assert page.locator("#ranking-count").inner_text() == "Viser 357 av 357 kommuner"
    assert page.locator("html.js").count() == 1  # the script ran under the CSP
    assert page.problems == []


def test_clicking_a_column_header_sorts(page, report) -> None:
    page.goto(url(report, "index.html"))
    page.get_by_role("button", name="Totalt").click()
    totals = [r["total"] for r in visible_rows(page)]
    assert totals == sorted(totals, reverse=True)
    assert page.locator("th:has(button[data-key=total])").get_attribute("aria-sort") == "descending"
    page.get_by_role("button", name="Totalt").click()
    totals = [r["total"] for r in visible_rows(page)]
    assert totals == sorted(totals)
    page.get_by_role("button", name="Kommune").click()
    names = [r["name"] for r in visible_rows(page)]
    expected = page.evaluate(
        "n => [...n].sort(new Intl.Collator('nb', {sensitivity: 'base', numeric: true}).compare)", names
    )
    assert names == expected and names[0] != names[-1]
    assert (
        names.index("Vadsø") < names.index("Ørland") < names.index("Åfjord")
    )  # Norwegian order: … z, æ, ø, å
    assert names[-1].startswith("Å")
    page.get_by_role("button", name="Plass", exact=True).click()
    ranks = [r["rank"] for r in visible_rows(page)]
    assert ranks == sorted(ranks)


def test_county_and_size_filters_and_search(page, report) -> None:
    records = json.loads((report.out / "data" / "results.json").read_text(encoding="utf-8"))
    page.goto(url(report, "index.html"))
    page.get_by_label("Fylke", exact=True).select_option("18")
    rows = visible_rows(page)
    nordland = [r for r in records if r["county_number"] == "18"]
    assert len(rows) == len(nordland) > 20 and {r["county"] for r in rows} == {"18"}
    assert page.locator("#ranking-count").inner_text() == f"Viser {len(nordland)} av 357 kommuner"
    page.get_by_label("Størrelse (innbyggere)").select_option("<2000")
    rows = visible_rows(page)
    assert rows and all(r["county"] == "18" and r["size"] == "<2000" for r in rows)
    page.get_by_label("Fylke", exact=True).select_option("")
    page.get_by_label("Størrelse (innbyggere)").select_option("")
    page.get_by_label("Søk etter navn").fill("bodø")
    assert [r["name"] for r in visible_rows(page)] == ["Bodø"]
    page.get_by_label("Søk etter navn").fill("Kárášjohka")  # the Sámi name finds Karasjok
    assert [r["name"] for r in visible_rows(page)] == ["Karasjok"]
    page.get_by_label("Søk etter navn").fill("")
    assert len(visible_rows(page)) == 357


def test_municipality_page_shows_evidence_with_a_screenshot_and_an_inert_script(page, report) -> None:
    page.goto(url(report, "kommune/1804.html"))
    text = page.locator("main").inner_text()
    assert "<script>alert(1)</script>" in text  # shown as text
    assert (
        "Spørsmål sendt" in text and "Tidslinje" in text and "Skjermbilde" not in text
    )  # alt text is no text
    assert page.locator("script").count() == 1
    img = page.locator("img.screenshot").first
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 100
    assert page.locator("a.url").first.get_attribute("href").startswith("https://")
    page.wait_for_timeout(200)
    assert page.problems == []  # no dialog: the reply's script never ran


def test_print_view_hides_navigation_and_filters(page, report) -> None:
    page.goto(url(report, "index.html"))
    page.emulate_media(media="print")
    for selector in (".site-nav", ".filters"):
        assert page.eval_on_selector(selector, "e => getComputedStyle(e).display") == "none"
    assert page.eval_on_selector("thead", "e => getComputedStyle(e).display") == "table-header-group"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


@pytest.mark.parametrize("rel", ["index.html", "kommune/1804.html", "metode.html"])
def test_axe_finds_no_serious_or_critical_violations(page, report, rel: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(url(report, rel))
    results = Axe().run(page)
    bad = [(v["id"], v["impact"], len(v["nodes"])) for v in results.response["violations"]
           if v["impact"] in ("serious", "critical")]  # fmt: skip
    assert bad == []


def test_screenshots_for_the_docs(page, report, tmp_path: Path) -> None:
    target = REPO / "docs" / "screenshots" if os.environ.get("KOMMUNETEST_DOCS_SCREENSHOTS") else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.goto(url(report, "index.html"))
    page.screenshot(path=target / "ranking.png")
    page.set_viewport_size({"width": 1280, "height": 2000})
    page.goto(url(report, "kommune/1804.html"))
    page.screenshot(path=target / "municipality.png")
    for name in ("ranking.png", "municipality.png"):
        assert (target / name).read_bytes().startswith(b"\x89PNG")
