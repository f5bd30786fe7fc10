"""Item grades from pages: topics (whose hours, which fee), this year's fee column, the PDF and depth rules,
the partial rules, the visible text without menus, the JavaScript signals, the digital services, and the
resolver options of `web check`. Pure functions over hand-written pages; no servers."""

from __future__ import annotations

from pathlib import Path

import pytest

from kommunetest.channels.web.check import expand_resolver, parse_resolve
from kommunetest.channels.web.grade import PageView, grade_item, grade_page, reachable, terms_in
from kommunetest.channels.web.pages import js_signals, page_view, read_content, visible_text
from kommunetest.channels.web.services import ServiceFinder
from kommunetest.channels.web.topics import Topic, about_levels
from kommunetest.channels.web.urls import SiteScope, dedupe_key
from kommunetest.errors import UsageError
from kommunetest.scenarios import load_scenarios

REPO = Path(__file__).resolve().parent.parent
SITE = "http://www.9999.sim.kommunetest.test/"
YEAR = 2027


@pytest.fixture(scope="module")
def specs():
    return {s.id: s.web for s in load_scenarios("scenarios/*.yaml", REPO).by_channel("web")}


def view(body: str, path: str = "side", depth: int | None = 1, *, via: str = "links") -> PageView:
    html = f"<!doctype html><html lang=nb><head><title>Side</title></head><body>{body}</body></html>"
    url = SITE + path
    scope = SiteScope.for_url(SITE)
    return page_view(
        url, depth, via, read_content(html.encode(), "text/html; charset=utf-8", url, scope.owns_url)
    )


def grade(specs, item: str, *pages: PageView, search: set[str] = frozenset()) -> str:  # type: ignore[assignment]
    return grade_item(item, specs[item], list(pages), year=YEAR, search_urls=search).grade


# ---------------------------------------------------------------------- whose facts


def test_the_library_hours_are_not_the_service_desks(specs) -> None:
    desk = (
        "<h1>Servicetorget</h1><h2>Åpningstider</h2><p>Servicetorget er åpent mandag–fredag 08.00–15.30.</p>"
    )
    library = "<h1>Biblioteket</h1><h2>Åpningstider</h2><p>Mandag–fredag 10.00–19.00</p>"
    assert grade(specs, "web-servicetorg-apningstider", view(library)) == "absent"
    assert grade(specs, "web-servicetorg-apningstider", view(desk)) == "complete"
    hours = grade_item(
        "x", specs["web-servicetorg-apningstider"], [view(library), view(desk, "b")], year=YEAR
    )
    assert hours.facts[0].value == {
        "from": "08:00",
        "to": "15:30",
        "days": ["mon", "tue", "wed", "thu", "fri"],
    }


def test_hours_nobody_owns_are_partial_and_holiday_hours_do_not_count(specs) -> None:
    plain = "<h1>Kontakt oss</h1><h3>Åpningstider</h3><p>Mandag–fredag 08.00–15.30</p>"
    assert grade(specs, "web-servicetorg-apningstider", view(plain)) == "partial"
    xmas = "<h1>Åpningstider i julen</h1><p>Servicetorget har redusert åpningstid i romjulen: 27.–30. desember kl. 10.00–14.00.</p>"
    assert grade(specs, "web-servicetorg-apningstider", view(xmas)) == "absent"


def test_a_water_price_is_not_a_sewage_price(specs) -> None:
    water = "<h1>Vann og avløp</h1><p>Abonnementsgebyret for vann er kr 3 415 per år.</p>"
    both = (
        "<h1>Vann og avløp</h1><p>Årsgebyret for vann er kr 3 415 per år, og for avløp kr 4 100 per år.</p>"
    )
    assert grade(specs, "web-vann-avlop-gebyr", view(water)) == "partial"
    assert grade(specs, "web-vann-avlop-gebyr", view(both)) == "complete"


def test_this_years_fee_column_is_read(specs) -> None:
    table = (
        "<h1>SFO</h1><table><caption>Foreldrebetaling i SFO</caption><thead><tr><th>Tjeneste</th>"
        "<th>2026</th><th>2027</th></tr></thead><tbody><tr><td>Hel plass (per måned)</td><td>3 000 kr</td>"
        "<td>3 145 kr</td></tr><tr><td>Halv plass (per måned)</td><td>1 800 kr</td><td>1 900 kr</td></tr></tbody></table>"
    )
    g = grade_item("web-sfo-pris", specs["web-sfo-pris"], [view(table)], year=YEAR)
    assert g.grade == "complete"
    assert sorted(f.value["nok"] for f in g.facts) == [1900, 3145]


def test_a_plain_topic_word_does_not_claim_another_subjects_fact() -> None:
    topic = Topic.of(("hjemmetjenester", "praktisk bistand", "søknad"))
    assert about_levels(["Byggesak", "Saksbehandlingstid"], "Søknad om tillatelse: 8 uker", topic) is False
    assert about_levels(["Hjemmetjenester"], "Søknad om praktisk bistand: 3 uker", topic) is True
    youth = Topic.of(("helsestasjon",))
    assert about_levels(["Helsestasjon", "Helsestasjon for ungdom"], "Tirsdag 14–18", youth) is False


def test_statutory_limits_alone_are_partial(specs) -> None:
    law = (
        "<h1>Byggesak</h1><h2>Saksbehandlingstid</h2>"
        "<p>Kommunen har 12 ukers frist for å behandle søknader om tillatelse, og 3 uker for enkle tiltak.</p>"
    )
    own = "<h1>Byggesak</h1><p>Saksbehandlingstiden for byggesøknader er for tiden ca. 8 uker.</p>"
    assert grade(specs, "web-byggesak-saksbehandlingstid", view(law)) == "partial"
    assert grade(specs, "web-byggesak-saksbehandlingstid", view(own)) == "complete"
    care = (
        "<h1>Hjemmetjenester</h1><p>Saksbehandlingstiden for søknad om praktisk bistand er inntil 3 uker.</p>"
    )
    assert grade(specs, "web-byggesak-saksbehandlingstid", view(care)) == "absent"


# ---------------------------------------------------------------------- where: PDF, depth, search


def test_pdf_rule_comes_before_the_partial_rule(specs) -> None:
    html = view("<h1>Byggesak</h1><p>Gebyrene står i gebyrregulativet.</p>", "bygg")
    pdf_text = "Gebyrregulativ 2027\n\nByggesaker\nEnebolig: kr 25 000\nGarasje/uthus: kr 6 000\n"
    content = read_content(pdf_text.encode(), "text/plain", SITE + "gebyr.txt")
    content.is_pdf = True
    pdf = page_view(SITE + "gebyr.pdf", 2, "links", content)
    assert grade(specs, "web-byggesak-gebyr", html) == "partial"
    assert grade(specs, "web-byggesak-gebyr", html, pdf) == "pdf_or_deep"


def test_too_deep_unless_the_sites_search_finds_it(specs) -> None:
    deep = view("<h1>Klage på vedtak</h1><p>Klagefristen er tre uker. Klagen må være skriftlig.</p>", "k", 4)
    assert grade(specs, "web-klage-frist", deep) == "pdf_or_deep"
    assert grade(specs, "web-klage-frist", deep, search={dedupe_key(deep.url)}) == "complete"
    assert not reachable(deep, 3) and reachable(deep, 4)


def test_menu_links_are_not_the_item_but_a_service_link_is(specs) -> None:
    menu = view("<nav><a href='/chat-med-oss'>Chat med oss</a></nav><p>Velkommen</p>", "", 0)
    service = view("<h1>Kontakt</h1><a href='https://x.custhelp.com/app/chat'>Chat med oss</a>", "", 0)
    assert grade(specs, "web-chat", menu) == "absent"
    assert grade(specs, "web-chat", service) == "complete"
    text, title = visible_text("<title>T</title><a href='/a'>Inne</a><a href='https://ute.no/'>Ute</a>", SITE,
                               SiteScope.for_url(SITE).owns_url)  # fmt: skip
    assert "Ute" in text and "Inne" not in text and title == "T"


def test_terms_start_words() -> None:
    assert terms_in(["3 uker"], "saken tar 13 uker") == []
    assert terms_in(["3 uker", "klage"], "frist: 3 uker. klagerett") == ["3 uker", "klage"]


def test_grade_page_levels(specs) -> None:
    survey = view("<h1>Brukerundersøkelser</h1><p>Resultater fra foreldreundersøkelsen.</p>"
                  "<p>Kommunen gjennomfører brukerundersøkelser.</p>")  # fmt: skip
    m = grade_page(specs["web-brukerundersokelser"], survey, year=YEAR)
    assert m is not None and m.level == "complete" and "brukerundersøkelse" in m.terms


# ---------------------------------------------------------------------- JavaScript, services, resolver


def test_js_signals() -> None:
    filled = '<body><div data-kt-src="/api/x.json"><p class="loading">Laster …</p></div><script src=/s.js></script></body>'
    assert js_signals(filled) == ["script-filled element"]
    assert js_signals('<body><div id="app"></div><script src="/app.js"></script></body>') == [
        "empty app root"
    ]
    assert js_signals("<body><noscript>Du må slå på JavaScript</noscript><script></script></body>") == [
        "noscript"
    ]
    assert js_signals("<body><p>Alt står her.</p><script src=/a.js></script></body>") == []
    assert js_signals('<body><div data-src="/x"></div></body>') == []  # no script: nothing to wait for


def test_services_from_links_buttons_and_scripts() -> None:
    finder = ServiceFinder()
    page = (
        "<a href='https://skjema.acos.no/x/soknad'>Søknad om barnehageplass</a>"
        "<a href='https://x.custhelp.com/app/meldfeil'>Meld feil</a>"
        "<a href='https://minside.x.test/'>Min side</a>"
        "<a href='https://innsyn.x.test/postliste'>Gå til postlisten</a>"
        "<script src='https://cdn.boost.ai/chatPanel.js'></script>"
    )
    finder.page(page, SITE)
    result = finder.result()
    assert all(result[s]["found"] for s in result), result
    assert result["chat"]["evidence"][0]["how"] == "script"
    assert ServiceFinder().result()["chat"] == {"found": False, "evidence": []}


def test_resolve_options(tmp_path: Path) -> None:
    m = parse_resolve(["*.sim.kommunetest.test=127.0.0.1:8080", "www.a.test=127.0.0.1:81"])
    assert m == {"*.sim.kommunetest.test": ("127.0.0.1", 8080), "www.a.test": ("127.0.0.1", 81)}
    urls = ["http://www.0301.sim.kommunetest.test/", "https://www.oslo.kommune.no/", None]
    assert expand_resolver(m, urls) == {"www.a.test": ("127.0.0.1", 81),
                                        "www.0301.sim.kommunetest.test": ("127.0.0.1", 8080)}  # fmt: skip
    with pytest.raises(UsageError):
        parse_resolve(["www.a.test"])
    with pytest.raises(UsageError):
        parse_resolve(["www.a.test=127.0.0.1"])
    mapping = tmp_path / "hosts.json"
    mapping.write_text('{"www.b.test": "127.0.0.1:82", "www.c.test": ["127.0.0.1", 83]}')
    assert parse_resolve([], mapping) == {"www.b.test": ("127.0.0.1", 82), "www.c.test": ("127.0.0.1", 83)}
    mapping.write_text("[1, 2]")
    with pytest.raises(UsageError, match="JSON object"):
        parse_resolve([], mapping)
