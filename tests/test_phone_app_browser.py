"""The phone app on a phone: Debian's Chromium through Playwright (`playwright install` cannot download a
browser here, so `kommunetest.browser.launch_options` starts the system one), 390×844 with a mobile user agent
and touch, against the session's real `phone_app`. Log in, open a call, tap and type the form, save; the pages
never scroll sideways; an invalid form shows its error list in view.

Every host name but 127.0.0.1 resolves to nothing, so not even a redirect can leave loopback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import PHONE_PASSWORD, PhoneApp

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n"
WIDTH, HEIGHT = 390, 844
MOBILE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/138.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(scope="module")
def chromium(phone_app: PhoneApp) -> Iterator[Any]:
    """One Chromium for the module (it asks for `phone_app` so that it closes before the server does)."""
    from kommunetest.browser import chromium_unavailable, launch_options

    reason = chromium_unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    opts = launch_options()
    opts["args"] = [*opts["args"], "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
    with sync_playwright() as p:
        b = p.chromium.launch(**opts)
        yield b
        b.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A touch phone. Console errors, page errors and requests off loopback are collected in `problems`."""
    from kommunetest.browser import MOBILE

    assert MOBILE["viewport"] == {"width": WIDTH, "height": HEIGHT}
    opts = {k: v for k, v in MOBILE.items() if k != "user_agent_suffix"}
    context = chromium.new_context(**opts, user_agent=MOBILE_UA, locale="nb-NO")
    pg = context.new_page()
    pg.problems = []

    def guard(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            pg.problems.append(f"off-loopback request: {route.request.url}")
            route.abort()

    context.route("**/*", guard)
    pg.on("console", lambda m: pg.problems.append(f"console: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    yield pg
    context.close()


def log_in(page: Any, app: PhoneApp, user: str) -> None:
    page.goto(app.url + "/")
    assert urlsplit(page.url).path == "/login"
    page.locator("#username").tap()
    page.keyboard.type(user)
    page.locator("#password").tap()
    page.keyboard.type(PHONE_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()
    assert urlsplit(page.url).path == "/"


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"


def tap_radio(page: Any, name: str, value: str) -> None:
    page.locator(f'label:has(input[name="{name}"][value="{value}"])').tap()
    assert page.locator(f'input[name="{name}"][value="{value}"]').is_checked()


def type_into(page: Any, field: str, text: str) -> None:
    page.locator(f"#{field}").tap()
    page.keyboard.type(text)


def submit_call(page: Any) -> Any:
    with page.expect_navigation() as nav:
        page.locator("form.form button[type=submit]").tap()
    return nav.value


def error_list(page: Any) -> dict[str, Any] | None:
    return page.evaluate(
        """() => { const e = document.getElementById('form-errors'); if (!e) return null;
                   const r = e.getBoundingClientRect();
                   return {top: r.top, height: innerHeight, visible: r.height > 0,
                           focused: e === document.activeElement || e.contains(document.activeElement)}; }"""
    )


def test_a_tester_records_a_call_on_a_phone(phone_app: PhoneApp, page: Any, tmp_path: Path) -> None:
    app = phone_app
    user = app.tester()
    rnd, ids = app.round(numbers="0301,4601", testers=(user,))
    log_in(page, app, user)
    assert page.evaluate("navigator.maxTouchPoints") > 0 and "Mobile" in page.evaluate("navigator.userAgent")
    assert page.locator(f'li.call a[href^="/call/{rnd}:"]').count() == len(ids)
    no_sideways_scroll(page)
    first = page.locator(f'li.call a[href^="/call/{rnd}:"]').first
    probe = first.get_attribute("href").removeprefix("/call/")
    with page.expect_navigation():
        first.tap()
    assert urlsplit(page.url).path == f"/call/{probe}"
    no_sideways_scroll(page)
    tap_radio(page, "outcome", "reached")
    type_into(page, "number_dialled", "75 06 80 00")
    type_into(page, "seconds_to_human", "0:20")
    type_into(page, "total_wait_s", "45")
    tap_radio(page, "case_officer_reached", "yes")
    for q in sorted(set(page.eval_on_selector_all('input[name^="q_"]', "els => els.map(e => e.name)"))):
        tap_radio(page, q, "correct")
    tap_radio(page, "courtesy", "3")
    type_into(page, "notes", "Rask og hyggelig")
    no_sideways_scroll(page)
    shot = tmp_path / "form.png"
    page.locator("form.form").screenshot(path=str(shot))
    assert shot.stat().st_size > 1000 and shot.read_bytes().startswith(PNG)
    assert submit_call(page).status == 200  # after the 302
    assert urlsplit(page.url).path == "/" and parse_qs(urlsplit(page.url).query)["saved"] == [probe]
    assert page.locator('[role="status"]').is_visible()
    assert page.locator(f'li.call.state-done a[href="/call/{probe}"]').count() == 1
    obs = app.observation(rnd, probe)
    assert obs is not None and obs["grade"] == "correct"
    assert obs["value"]["seconds_to_human"] == 20 and obs["value"]["total_wait_s"] == 45
    assert obs["value"]["courtesy"] == 3 and obs["value"]["case_officer_reached"] is True
    assert [e["data"]["notes"] for e in app.entries(probe)] == ["Rask og hyggelig"]
    assert page.problems == []


def test_an_invalid_form_on_a_phone_shows_the_error_list_in_view(phone_app: PhoneApp, page: Any) -> None:
    app = phone_app
    user = app.tester()
    _, ids = app.round(numbers="0301", testers=(user,))
    log_in(page, app, user)
    page.goto(f"{app.url}/call/{ids[0]}")
    tap_radio(page, "outcome", "reached")
    type_into(page, "seconds_to_human", "tjue")
    assert submit_call(page).status == 422
    state = error_list(page)
    assert state is not None and state["visible"] and 0 <= state["top"] < state["height"], state
    # Keyboard and screen-reader users land on the list of what to fix (autofocus runs just after load).
    page.wait_for_function(
        "() => { const e = document.getElementById('form-errors');"
        " return !!e && (e === document.activeElement || e.contains(document.activeElement)); }",
        timeout=5000,
    )
    no_sideways_scroll(page)
    assert page.locator("#seconds_to_human").input_value() == "tjue"
    assert page.locator('input[name="outcome"][value="reached"]').is_checked()
    # The list's link takes the tester to the field, with its message beside it.
    page.locator('#form-errors a[href="#f-seconds_to_human"]').tap()
    assert page.locator("#f-seconds_to_human #err-seconds_to_human").is_visible()
    top = page.evaluate("document.getElementById('f-seconds_to_human').getBoundingClientRect().top")
    assert 0 <= top < HEIGHT
    assert app.entries(ids[0]) == []
    # Chromium reports the 422 answer itself on the console; nothing else may appear there.
    assert [p for p in page.problems if "status of 422" not in p] == []
