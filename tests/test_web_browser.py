"""The browser part of web checks, really driving Debian's Chromium: JavaScript rendering, the highlighted
screenshot, visibility on mobile, axe-core counts, and the loopback guard. One Chromium for the module (its
own event loop in a thread), one loopback web server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from kommunetest.browser import chromium_unavailable
from kommunetest.channels.web.browser_run import BrowserSession, Target, axe_counts, host_rules
from kommunetest.sandbox.webserver import Response, WebServer, html
from kommunetest.settings import WebSettings

HOST = "www.browser.sim.kommunetest.test"
PNG = b"\x89PNG\r\n\x1a\n"

SCRIPT = b"""document.addEventListener('DOMContentLoaded', function () {
  fetch('/data.json').then(function (r) { return r.json(); }).then(function (d) {
    document.getElementById('hours').innerHTML = '<p>' + d.text + '</p>';
  });
  var e = document.getElementById('env');
  if (e) e.textContent = navigator.userAgent + ' | ' + window.innerWidth;
});"""
PAGES = {
    "/": html("<html lang=nb><head><title>Forside</title><meta name=viewport content='width=device-width'></head>"
              "<body><h1>Kommunen</h1>"
              "<nav style='display:none'><a href='/x'>Mandag–fredag 08.00–15.30</a></nav>"
              "<main><h2>Servicetorget</h2><p>Vi har åpent mandag–fredag 08.00–15.30.</p>"
              "<div style='display:none'><p>Skjult klagefrist: tre uker</p></div>"
              "<p id=env></p></main><script src='/s.js'></script></body></html>"),
    "/js": html("<html><head><title>JS</title></head><body><h1>Helsestasjonen</h1>"
                "<div id=hours data-src='/data.json'><p class=loading>Laster …</p></div>"
                "<script src='/s.js'></script></body></html>"),
    "/s.js": Response(200, {"content-type": "application/javascript"}, SCRIPT),
    "/data.json": Response(200, {"content-type": "application/json"}, b'{"text": "Tirsdag 09.00-14.00"}'),
    "/a11y": html("<html><head><title>A</title></head><body><img src='/s.js'><input type=text>"
                  "<img src='https://example.com/tracker.png' alt=''><script src='http://203.0.113.9/x.js'></script>"
                  "</body></html>"),
}  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[BrowserSession, Any]]:
    reason = chromium_unavailable()
    if reason:
        pytest.skip(reason)
    server = WebServer({HOST: PAGES}).start()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def run(coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    session = BrowserSession(
        WebSettings(browser_pages=2, request_timeout_s=10), resolver=server.resolver_map()
    )
    run(session.__aenter__())
    assert session.available, session.reason
    yield session, run
    run(session.__aexit__())
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    server.stop()


def test_rendering_shows_what_only_javascript_writes(browser) -> None:
    session, run = browser
    visit = run(session.render(f"http://{HOST}/js"))
    assert visit.status == "ok"
    assert "Tirsdag 09.00-14.00" in visit.html and "Laster" not in visit.html


def test_the_passage_is_highlighted_and_the_screenshot_is_a_png(browser) -> None:
    session, run = browser
    target = Target("hours", ["mandag–fredag 08.00–15.30"])
    visit = run(session.visit(f"http://{HOST}/", "desktop", [target], screenshots=True, axe=False))
    loc = visit.located["hours"]
    assert loc.found and loc.visible and loc.how == "text"  # the visible one, not the hidden menu entry
    assert loc.screenshot is not None and loc.screenshot.startswith(PNG) and len(loc.screenshot) > 5_000
    assert "data-kt-hl" not in visit.html  # the DOM snapshot is taken before anything is marked


def test_hidden_text_is_found_but_not_visible_and_absent_text_is_not_found(browser) -> None:
    session, run = browser
    targets = [Target("hidden", ["Skjult klagefrist: tre uker"]), Target("none", ["finnes ikke her"])]
    visit = run(session.visit(f"http://{HOST}/", "mobile", targets, screenshots=False, axe=False))
    assert visit.located["hidden"].found and not visit.located["hidden"].visible
    assert not visit.located["none"].found


def test_the_phone_is_a_phone(browser) -> None:
    session, run = browser
    visit = run(session.visit(f"http://{HOST}/", "mobile", [], screenshots=False, axe=False))
    assert "Mobile" in visit.html and "| 390" in visit.html  # a responsive page is laid out 390 px wide
    assert session.mobile_user_agent().startswith(WebSettings().user_agent)


def test_axe_counts_violations_by_impact(browser) -> None:
    session, run = browser
    visit = run(session.visit(f"http://{HOST}/a11y", "desktop", [], screenshots=False, axe=True))
    axe = visit.axe
    assert axe is not None and "error" not in axe
    assert axe["critical"] >= 2  # an image without alt text, an input without a label
    assert {"image-alt", "label"} <= set(axe["rules"])
    assert (
        axe_counts({"violations": [{"id": "x", "impact": "serious", "nodes": [1, 2]}]})["nodes"]["serious"]
        == 2
    )


def test_nothing_outside_loopback_is_fetched(browser) -> None:
    session, run = browser
    before = session.blocked
    visit = run(session.visit(f"http://{HOST}/a11y", "desktop", [], screenshots=False, axe=False))
    assert visit.status == "ok" and session.blocked >= before + 2  # the tracker image and the foreign script
    away = run(session.visit("https://www.example.com/", "desktop", [], screenshots=False, axe=False))
    assert away.status.startswith("error")
    rules = host_rules(
        {HOST: ("127.0.0.1", 8080), "gone.test": None, "tls.test:443": ("127.0.0.1", 1)}, False
    )
    assert rules == f"MAP gone.test ~NOTFOUND, MAP {HOST} 127.0.0.1:8080, MAP * ~NOTFOUND"


def test_the_dom_is_kept_only_as_evidence_of_a_hidden_passage(browser) -> None:
    session, run = browser
    shown = [Target("hours", ["mandag–fredag 08.00–15.30"])]
    visit = run(
        session.visit(f"http://{HOST}/", "mobile", shown, screenshots=False, axe=False, html="hidden")
    )
    assert visit.located["hours"].visible and visit.html == ""  # nothing to back: no DOM serialised
    hidden = [Target("hidden", ["Skjult klagefrist: tre uker"])]
    visit = run(
        session.visit(f"http://{HOST}/", "mobile", hidden, screenshots=False, axe=False, html="hidden")
    )
    assert not visit.located["hidden"].visible and "Skjult klagefrist" in visit.html
    assert "data-kt-hl" not in visit.html  # our marks are taken out before the DOM is kept


def test_the_lighter_headless_build_is_preferred_when_installed() -> None:
    from kommunetest.browser import HEADLESS_SHELL, chromium_path

    if not Path(HEADLESS_SHELL).is_file():
        pytest.skip("chromium-headless-shell is not installed")
    assert chromium_path() == HEADLESS_SHELL
    assert chromium_path(headless=False) != HEADLESS_SHELL  # a visible window needs the full browser
    assert chromium_path("/usr/bin/chromium") == "/usr/bin/chromium"  # the setting wins


def test_the_loopback_proxy_lets_only_loopback_through() -> None:
    from kommunetest.channels.web.browser_run import loopback_proxy

    proxy = loopback_proxy({HOST: ("127.0.0.1", 8080), "tls.test:443": ("127.0.0.1", 1),
                            "gone.test": None, "far.test": ("203.0.113.9", 80)}, 5555)  # fmt: skip
    assert proxy["server"] == "http://127.0.0.1:5555"
    bypass = proxy["bypass"].split(",")
    assert {"127.0.0.0/8", "[::1]", "localhost", HOST, "tls.test"} == set(bypass)  # not gone.test, far.test
