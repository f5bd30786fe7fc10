"""The phone app over real HTTP: the waitress server from `running_app` on loopback (the session's
`phone_app`), a real SQLite file store, and httpx as the testers' and coordinators' browsers. The phone-sized
Chromium checks are in test_phone_app_browser.py.

Tests never rely on each other: each makes its own testers and its own round, and reads only its own round's
calls (a coordinator's "share calls" gives calls to every active tester in the store, so a tester's list may
hold other rounds' calls). The UI text is being translated, so the assertions look at status codes, ids,
names, attributes, links and stored rows, not at wording.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from conftest import PHONE_LOCK_AFTER as LOCK_AFTER
from conftest import PHONE_PASSWORD as PASSWORD
from conftest import PhoneApp
from selectolax.lexbor import LexborHTMLParser

from kommunetest.channels.phone.accounts import set_active, set_password
from kommunetest.channels.phone.assign import reassign

Http = Callable[[], httpx.Client]
# The round's script: its log has a free-text field, a NOK field and a yes/no field.
TEXT_FIELD, NOK_FIELD, YES_NO_FIELD = (
    "x_oppgitt_saksbehandlingstid",
    "x_oppgitt_gebyr",
    "x_henvist_til_nettsiden",
)


def _last_tuesday() -> str:
    """A call time a week or more ago, on a Tuesday at 10:15: never in the future, inside the call window."""
    d = date.today() - timedelta(days=7)
    d -= timedelta(days=(d.weekday() - 1) % 7)
    return f"{d.isoformat()}T10:15"


STARTED = _last_tuesday()
RETRIED = STARTED.replace("T10:15", "T13:30")  # a retry comes later than the attempt before it


@pytest.fixture
def app(phone_app: PhoneApp) -> PhoneApp:
    return phone_app


@pytest.fixture
def http(phone_clients: Http) -> Http:
    return phone_clients


# ------------------------------------------------------------------ helpers


def parse(r: httpx.Response) -> LexborHTMLParser:
    return LexborHTMLParser(r.text)


def hidden(r: httpx.Response, name: str, scope: str = "") -> str:
    node = parse(r).css_first(f'{scope} input[name="{name}"]'.strip())
    assert node is not None, f"no input {name!r} in {r.request.url}"
    return node.attributes.get("value") or ""


def login(
    c: httpx.Client, username: str, password: str = PASSWORD, next_: str | None = None
) -> httpx.Response:
    page = c.get("/login", params={"next": next_} if next_ is not None else None)
    assert page.status_code == 200
    data = {"csrf": hidden(page, "csrf"), "username": username, "password": password,
            "next": hidden(page, "next")}  # fmt: skip
    return c.post("/login", data=data)


def logged_in(http: Http, username: str) -> httpx.Client:
    c = http()
    r = login(c, username)
    assert r.status_code == 302, r.text
    return c


def token(c: httpx.Client) -> str:
    """The session's CSRF token, as every page's log-out form carries it."""
    return hidden(c.get("/"), "csrf", 'form[action="/logout"]')


def open_call(c: httpx.Client, probe_id: str, **params: Any) -> httpx.Response:
    r = c.get(f"/call/{probe_id}", params=params)
    assert r.status_code == 200, r.text
    return r


def form_of(r: httpx.Response, **values: str) -> dict[str, str]:
    """The call form's hidden fields (csrf, nonce, attempt, base_revision) plus `values`."""
    form = {n: hidden(r, n, "form.form") for n in ("csrf", "nonce", "attempt", "base_revision")}
    return form | values


def submitted(r: httpx.Response, **changes: str) -> dict[str, str]:
    """What a browser sends from the page's call form as it stands, with `changes` made by the tester."""
    out: dict[str, str] = {}
    for n in parse(r).css("form.form input, form.form textarea, form.form select"):
        name, a = n.attributes.get("name"), n.attributes
        if not name:
            continue
        if n.tag == "textarea":
            out[name] = n.text()
        elif n.tag == "select":
            opts = n.css("option")
            pick = next((o for o in opts if "selected" in o.attributes), opts[0] if opts else None)
            out[name] = (pick.attributes.get("value") or pick.text()) if pick else ""
        elif a.get("type") in ("radio", "checkbox"):
            if "checked" in a:
                out[name] = a.get("value") or "on"
        else:
            out[name] = a.get("value") or ""
    return out | changes


def checked(r: httpx.Response, name: str) -> list[str]:
    return [n.attributes.get("value") or "" for n in parse(r).css(f'form.form input[name="{name}"]')
            if "checked" in n.attributes]  # fmt: skip


def questions(r: httpx.Response) -> list[str]:
    return sorted({n.attributes["name"] or "" for n in parse(r).css('input[type=radio][name^="q_"]')})


def reached(r: httpx.Response, **values: str) -> dict[str, str]:
    """A complete, valid entry of a call where someone answered."""
    base = {"outcome": "reached", "started_at": STARTED, "number_dialled": "75 06 80 00", "seconds_to_human": "20",
            "total_wait_s": "45", "case_officer_reached": "yes", "courtesy": "2"}  # fmt: skip
    return form_of(r, **{**base, **dict.fromkeys(questions(r), "correct"), **values})


def no_answer(r: httpx.Response, **values: str) -> dict[str, str]:
    return form_of(
        r, **{"outcome": "no_answer", "started_at": STARTED, "number_dialled": "75068000", **values}
    )


def record(c: httpx.Client, probe_id: str, form: dict[str, str]) -> httpx.Response:
    return c.post(f"/call/{probe_id}", data=form)


def call_links(r: httpx.Response) -> list[str]:
    return [a.attributes.get("href") or "" for a in parse(r).css("li.call a")]


def snapshot(app: PhoneApp, round_name: str) -> dict[str, Any]:
    """Everything a POST could change: assignments, entries, observations, probe states, accounts."""
    calls = app.store.phone_calls(round_name=round_name)
    return {
        "calls": [(c["id"], c["tester_id"], c["status"], c["attempts"]) for c in calls],
        "entries": app.store.phone_entries([c["id"] for c in calls]),
        "observations": app.store.observations(round_name),
        "testers": app.store.testers(),
    }


def redirect_target(app: PhoneApp, r: httpx.Response) -> tuple[str, str]:
    """(host, path) a browser goes to: it drops tabs and newlines from a URL before resolving it."""
    assert r.status_code == 302, r.status_code
    loc = re.sub(r"[\t\n\r]", "", r.headers["location"])
    u = urlsplit(urljoin(app.url + "/login", loc))
    return u.netloc, u.path


# ------------------------------------------------------------------ logging in


def test_healthz_says_ok_without_a_login(app: PhoneApp, http: Http) -> None:
    r = http().get("/healthz")
    assert r.status_code == 200 and r.text.strip() == "ok"


def test_a_page_behind_the_login_redirects_to_it_with_next_and_returns_there(
    app: PhoneApp, http: Http
) -> None:
    user = app.tester()
    _, ids = app.round(testers=(user,))
    c = http()
    for path in ("/", f"/call/{ids[0]}", "/coordinator"):
        r = c.get(path)
        assert r.status_code == 302
        loc = urlsplit(r.headers["location"])
        assert loc.path == "/login" and parse_qs(loc.query)["next"] == [path]
    r = login(c, user, next_=f"/call/{ids[0]}")
    assert redirect_target(app, r) == (urlsplit(app.url).netloc, f"/call/{ids[0]}")
    assert c.get(f"/call/{ids[0]}").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "https://evil.example/call/x",
        "/\\evil.example",
        "///evil.example/",
        pytest.param("/\t/evil.example"),
        pytest.param("/\n/evil.example"),
    ],
)
def test_next_pointing_off_site_is_ignored_after_login(app: PhoneApp, http: Http, target: str) -> None:
    user = app.tester()
    c = http()
    page = c.get("/login", params={"next": target})
    # The login page passes `next` on in its form (as a link like /login?next=... would have it)...
    form = {"csrf": hidden(page, "csrf"), "username": user, "password": PASSWORD, "next": target}
    r = c.post("/login", data=form)
    assert redirect_target(app, r) == (urlsplit(app.url).netloc, "/")
    # ...and does not even put it in the form.
    assert "evil" not in hidden(http().get("/login", params={"next": target}), "next")


def test_wrong_password_and_unknown_user_get_the_same_401(app: PhoneApp, http: Http) -> None:
    user = app.tester(scrypt=True)
    c = http()
    wrong = login(c, user, "not-the-password")
    unknown = login(c, f"nobody-{secrets.token_hex(4)}", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    texts = [parse(r).css_first("#login-error").text(strip=True) for r in (wrong, unknown)]
    assert texts[0] and texts[0] == texts[1]
    # The name typed stays in the form; the password never comes back.
    assert hidden(wrong, "username") == user
    assert hidden(wrong, "password") == "" and "not-the-password" not in wrong.text
    assert c.get("/").status_code == 302


def test_an_account_locks_after_the_set_number_of_failures(app: PhoneApp, http: Http) -> None:
    user = app.tester(scrypt=True)
    c = http()
    for i in range(LOCK_AFTER):
        assert login(c, user, f"wrong-password-{i}").status_code == 401
    row = app.store.tester(username=user)
    assert row is not None and row["locked_until"] is not None and row["failed_logins"] == LOCK_AFTER
    r = login(c, user)
    assert r.status_code == 401 and c.get("/").status_code == 302
    # What a coordinator does for a locked-out tester: a new password lifts the lock.
    set_password(app.store, user, "et-nytt-langt-passord", app.settings.phone)
    assert login(c, user, "et-nytt-langt-passord").status_code == 302
    assert c.get("/").status_code == 200


def test_a_switched_off_account_cannot_log_in_and_its_session_ends(app: PhoneApp, http: Http) -> None:
    user = app.tester()
    c = logged_in(http, user)
    assert c.get("/").status_code == 200
    set_active(app.store, user, False)
    r = c.get("/")
    assert r.status_code == 302 and urlsplit(r.headers["location"]).path == "/login"
    assert login(http(), user).status_code == 401


def test_a_new_password_ends_the_sessions_of_the_old_one(app: PhoneApp, http: Http) -> None:
    user = app.tester(scrypt=True)
    c = logged_in(http, user)
    set_password(app.store, user, "et-helt-nytt-passord", app.settings.phone)
    r = c.get("/")
    assert r.status_code == 302 and urlsplit(r.headers["location"]).path == "/login"
    assert login(http(), user).status_code == 401
    assert login(http(), user, "et-helt-nytt-passord").status_code == 302


def test_switching_an_account_on_again_does_not_revive_old_sessions(app: PhoneApp, http: Http) -> None:
    user = app.tester()
    c = logged_in(http, user)
    stolen = dict(c.cookies)
    set_active(app.store, user, False)
    assert c.get("/").status_code == 302
    set_active(app.store, user, True)
    replay = http()
    replay.cookies.update(stolen)
    assert replay.get("/").status_code == 302


def test_logout_ends_the_session(app: PhoneApp, http: Http) -> None:
    c = logged_in(http, app.tester())
    assert c.get("/logout").status_code == 405  # a link cannot log anyone out
    copy = http()
    copy.cookies.update(c.cookies)  # the same session cookie, copied before logging out
    assert copy.get("/").status_code == 200
    r = c.post("/logout", data={"csrf": token(c)})
    assert r.status_code == 302 and c.get("/").status_code == 302
    assert copy.get("/").status_code == 302  # the copy is dead too: logging out ends every session


# ------------------------------------------------------------------ CSRF


def test_every_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    app: PhoneApp, http: Http
) -> None:
    tester, other, coord = app.tester(), app.tester(), app.tester("coordinator")
    rnd, ids = app.round(numbers="0301,4601,5001")
    reassign(app.store, ids[:1], tester, by="test")  # the rest is unassigned: `assign` would change it
    t, co, o, out = (logged_in(http, u) for u in (tester, coord, other, other))
    valid = reached(open_call(t, ids[0]))
    others_token = token(o)  # valid, but for another session
    fresh = http()
    fresh_page = fresh.get("/login")
    login_form = {"username": tester, "password": PASSWORD, "next": ""}

    posts: dict[str, tuple[httpx.Client, str, dict[str, Any], str]] = {
        # route: (client, path, form without csrf, the client's own token)
        "login": (fresh, "/login", login_form, hidden(fresh_page, "csrf")),
        "logout": (out, "/logout", {}, token(out)),
        "record": (t, f"/call/{ids[0]}", {k: v for k, v in valid.items() if k != "csrf"}, token(t)),
        "assign": (co, f"/coordinator/{rnd}/assign", {"rebalance": "1"}, token(co)),
        "reassign": (co, f"/coordinator/{rnd}/reassign", {"probe": ids, "tester": other}, token(co)),
    }
    for route, (c, path, form, own) in posts.items():
        before = snapshot(app, rnd)
        was_in = c.get("/").status_code
        for bad in (None, "", "wrong-token", own[:-1], others_token):
            data = form if bad is None else {**form, "csrf": bad}
            r = c.post(path, data=data)
            assert r.status_code == 400, (route, bad, r.status_code)
            assert snapshot(app, rnd) == before, (route, bad)
            assert c.get("/").status_code == was_in, (route, bad)  # not logged in, not logged out
        # The same request with the session's own token goes through: the token was the only obstacle.
        r = c.post(path, data={**form, "csrf": own})
        assert r.status_code == 302, (route, r.status_code)
    assert all(app.assigned(rnd).values()) and app.assigned(rnd)[ids[0]] == app.tester_id(other)
    assert [e["outcome"] for e in app.entries(ids[0])] == ["reached"]


# ------------------------------------------------------------------ who sees what


def test_a_tester_sees_only_their_own_calls_and_cannot_open_or_post_others(app: PhoneApp, http: Http) -> None:
    kari, ola, coord = app.tester(), app.tester(), app.tester("coordinator")
    rnd, ids = app.round(numbers="0301,4601,5001,1103", testers=(kari, ola))
    mine = {c["id"] for c in app.store.phone_calls(tester_id=app.tester_id(kari))}
    theirs = set(ids) - mine
    assert mine and theirs
    c = logged_in(http, kari)
    assert set(call_links(c.get("/"))) == {f"/call/{p}" for p in mine}
    own = open_call(c, sorted(mine)[0])
    for pid in theirs:
        assert c.get(f"/call/{pid}").status_code == 403
        r = record(c, pid, reached(own))
        assert r.status_code == 403
        assert app.entries(pid) == []
    assert c.get(f"/call/{rnd}:9999:nothing").status_code == 404
    # A coordinator opens and could record any call.
    co = logged_in(http, coord)
    for pid in ids:
        r = co.get(f"/call/{pid}")
        assert r.status_code == 200 and parse(r).css_first("form.form") is not None


def test_a_tester_gets_403_on_every_coordinator_page(app: PhoneApp, http: Http) -> None:
    user, other = app.tester(), app.tester()
    rnd, ids = app.round(numbers="0301,4601")
    reassign(app.store, ids[:1], user, by="test")
    c = logged_in(http, user)
    for path in ("/coordinator", f"/coordinator/{rnd}", f"/coordinator/{rnd}/entries.csv"):
        assert c.get(path).status_code == 403, path
    before = snapshot(app, rnd)
    tok = token(c)
    assert c.post(f"/coordinator/{rnd}/assign", data={"csrf": tok}).status_code == 403
    r = c.post(f"/coordinator/{rnd}/reassign", data={"csrf": tok, "probe": ids, "tester": other})
    assert r.status_code == 403
    assert snapshot(app, rnd) == before


# ------------------------------------------------------------------ recording a call


def test_an_invalid_form_is_422_with_each_error_beside_its_field_and_keeps_what_was_typed(
    app: PhoneApp, http: Http
) -> None:
    user = app.tester()
    rnd, ids = app.round(numbers="0301", testers=(user,))
    c = logged_in(http, user)
    page = open_call(c, ids[0])
    qs = questions(page)
    assert len(qs) >= 2
    typed = {
        "outcome": "reached", "started_at": STARTED, "number_dialled": "75 06 80 00",
        "seconds_to_human": "tjue", "total_wait_s": "1:30", "menu_steps": "2", "transfers": "1",
        "case_officer_reached": "yes", "courtesy": "3", qs[0]: "partial",
        TEXT_FIELD: "tolv uker, «kanskje»", NOK_FIELD: "mange kroner", YES_NO_FIELD: "no",
        "notes": "Hyggelig <b>samtale</b>\nmed to linjer",
    }  # fmt: skip
    r = record(c, ids[0], form_of(page, **typed))
    assert r.status_code == 422
    doc = parse(r)
    bad = {"seconds_to_human", NOK_FIELD, *qs[1:]}
    assert {e.attributes["id"] for e in doc.css(".field-error")} == {f"err-{f}" for f in bad}
    for f in bad:
        err = doc.css_first(f"#f-{f} #err-{f}")
        assert err is not None and err.text(strip=True), f  # the message sits inside the field's own block
        inputs = doc.css(f'[name="{f}"]')
        assert inputs and all(i.attributes.get("aria-invalid") == "true" for i in inputs), f
        assert all(i.attributes.get("aria-describedby") == f"err-{f}" for i in inputs), f
    assert not [i for i in doc.css("[aria-invalid]") if i.attributes.get("name") not in bad]
    # The summary at the top links to each field that needs a fix.
    links = {a.attributes.get("href") for a in doc.css("#form-errors a")}
    assert links == {f"#f-{f}" for f in bad} and all(doc.css_first(h) is not None for h in links)
    # Every value typed is still there.
    for name, value in typed.items():
        if name == "notes":
            assert doc.css_first("textarea#notes").text() == value
            continue
        nodes = doc.css(f'form.form [name="{name}"]')
        if nodes[0].attributes.get("type") == "radio":
            assert checked(r, name) == [value], name
        else:
            assert nodes[0].attributes.get("value") == value, name
    # The hidden fields still describe attempt 1 as new, with a fresh one-time id.
    assert hidden(r, "attempt") == "1" and hidden(r, "base_revision") == "0"
    assert hidden(r, "nonce") and hidden(r, "nonce") != hidden(page, "nonce")
    assert app.entries(ids[0]) == [] and app.observation(rnd, ids[0]) is None


def test_a_valid_form_is_stored_once_even_when_sent_twice(app: PhoneApp, http: Http) -> None:
    user = app.tester()
    rnd, ids = app.round(numbers="0301,4601", testers=(user,))
    c = logged_in(http, user)
    form = reached(open_call(c, ids[0]), courtesy="3", notes="Ingen navn her")
    r = record(c, ids[0], form)
    assert r.status_code == 302
    loc = urlsplit(r.headers["location"])
    assert loc.path == "/" and parse_qs(loc.query)["saved"] == [ids[0]]
    again = record(c, ids[0], form)  # a double tap, or a resend after a lost answer
    assert again.status_code == 302
    assert [(e["attempt"], e["revision"], e["outcome"]) for e in app.entries(ids[0])] == [(1, 1, "reached")]
    obs = app.observation(rnd, ids[0])
    assert obs is not None and obs["grade"] == "correct"
    assert obs["value"]["reached"] is True and obs["value"]["courtesy"] == 3 and obs["value"]["attempts"] == 1
    lst = c.get("/?saved=" + ids[0])
    assert parse(lst).css_first(f'li.call.state-done a[href="/call/{ids[0]}"]') is not None
    assert parse(lst).css_first('[role="status"]') is not None
    # The second call, sent five times at once, is stored once too.
    form2 = reached(open_call(c, ids[1]))
    with ThreadPoolExecutor(5) as pool:
        codes = list(pool.map(lambda _: record(c, ids[1], form2).status_code, range(5)))
    assert codes == [302] * 5
    assert len(app.entries(ids[1])) == 1


def test_no_answer_makes_the_call_a_retry_with_an_attempt_2_form(app: PhoneApp, http: Http) -> None:
    user = app.tester()
    rnd, ids = app.round(numbers="0301", testers=(user,))
    c = logged_in(http, user)
    page = open_call(c, ids[0])
    assert hidden(page, "attempt") == "1"
    assert record(c, ids[0], no_answer(page)).status_code == 302
    assert parse(c.get("/")).css_first(f'li.call.state-retry a[href="/call/{ids[0]}"]') is not None
    assert app.observation(rnd, ids[0]) is None  # not done yet: no observation
    page2 = open_call(c, ids[0])
    assert hidden(page2, "attempt") == "2" and hidden(page2, "base_revision") == "0"
    # A stale attempt-1 form (sent from an old tab) cannot record attempt 1 again.
    assert record(c, ids[0], {**no_answer(page), "nonce": "another-nonce-1"}).status_code == 409
    assert record(c, ids[0], no_answer(page2, started_at=RETRIED)).status_code == 302
    assert [e["attempt"] for e in app.entries(ids[0])] == [1, 2]
    obs = app.observation(rnd, ids[0])
    assert obs is not None and obs["grade"] == "none" and obs["value"]["reached"] is False
    assert obs["value"]["outcomes"] == ["no_answer", "no_answer"]
    assert parse(c.get("/")).css_first(f'li.call.state-done a[href="/call/{ids[0]}"]') is not None


def test_an_edit_needs_a_reason_keeps_revision_1_and_a_stale_tab_gets_409(app: PhoneApp, http: Http) -> None:
    user = app.tester()
    rnd, ids = app.round(numbers="0301", testers=(user,))
    c = logged_in(http, user)
    assert record(c, ids[0], reached(open_call(c, ids[0]), courtesy="1")).status_code == 302
    # Two tabs open the entry for a change.
    tab_a, tab_b = open_call(c, ids[0], edit=1), open_call(c, ids[0], edit=1)
    for tab in (tab_a, tab_b):
        assert hidden(tab, "attempt") == "1" and hidden(tab, "base_revision") == "1"
        assert checked(tab, "courtesy") == ["1"] and checked(tab, "outcome") == ["reached"]
        assert parse(tab).css_first('input[name="reason"]') is not None
    no_reason = record(c, ids[0], submitted(tab_a, courtesy="3"))
    assert no_reason.status_code == 400
    assert checked(no_reason, "courtesy") == ["3"]
    assert len(app.entries(ids[0])) == 1
    a = submitted(tab_a, courtesy="3", reason="Feil knapp")
    assert record(c, ids[0], a).status_code == 302
    b = record(c, ids[0], submitted(tab_b, courtesy="0", reason="Også endret"))
    assert b.status_code == 409
    assert parse(b).css_first('[role="alert"]') is not None
    rows = app.entries(ids[0])
    assert [(e["revision"], e["data"]["courtesy"], e["reason"]) for e in rows] == [
        (1, 1, None),
        (2, 3, "Feil knapp"),
    ]
    obs = app.observation(rnd, ids[0])
    assert obs is not None and obs["value"]["courtesy"] == 3 and obs["value"]["revisions"] == 2
    assert c.get(f"/call/{ids[0]}", params={"edit": 7}).status_code == 404


# ------------------------------------------------------------------ coordinators


def _cells(row: Any) -> list[str]:
    return [td.text(strip=True) for td in row.css("td")]


def test_the_coordinator_sees_the_counts_of_a_round(app: PhoneApp, http: Http) -> None:
    user, coord = app.tester(), app.tester("coordinator")
    rnd, ids = app.round(numbers="0301,4601,5001,1103")
    reassign(app.store, ids[:3], user, by="test")
    t = logged_in(http, user)
    assert record(t, ids[0], reached(open_call(t, ids[0]))).status_code == 302
    assert record(t, ids[1], no_answer(open_call(t, ids[1]))).status_code == 302
    co = logged_in(http, coord)
    overview = parse(co.get("/coordinator"))
    row = next(tr for tr in overview.css("tbody tr") if tr.css_first(f'a[href="/coordinator/{rnd}"]'))
    # calls, not assigned, to call, retry, done, reached
    assert _cells(row)[1:] == ["4", "1", "2", "1", "1", "1"]
    r = co.get(f"/coordinator/{rnd}")
    assert r.status_code == 200
    doc = parse(r)
    numbers = sorted(int(n) for n in re.findall(r"\d+", doc.css_first("p.summary").text()))
    assert numbers == sorted([1, 4, 1, 2, 1, 1])  # done, calls, reached, to call, retry, not assigned
    per_tester = {_cells(tr)[0]: _cells(tr)[1:] for tr in doc.css("table")[0].css("tbody tr")}
    assert per_tester[user] == ["1", "1", "1"] and len(per_tester) == 2
    assert len(doc.css('input[name="probe"]')) == 4
    retry = parse(co.get(f"/coordinator/{rnd}", params={"state": "retry"}))
    assert [i.attributes["value"] for i in retry.css('input[name="probe"]')] == [ids[1]]
    nobody = parse(co.get(f"/coordinator/{rnd}", params={"tester": "-"}))
    assert [i.attributes["value"] for i in nobody.css('input[name="probe"]')] == [ids[3]]
    assert co.get("/coordinator/no-such-round").status_code == 404


def test_sharing_gives_every_call_a_tester_and_moving_changes_only_the_chosen(
    app: PhoneApp, http: Http
) -> None:
    kari, ola, coord = app.tester(), app.tester(), app.tester("coordinator")
    rnd, ids = app.round(numbers="0301,4601,5001,1103")
    co = logged_in(http, coord)
    assert not any(app.assigned(rnd).values())
    r = co.post(f"/coordinator/{rnd}/assign", data={"csrf": token(co)})
    assert r.status_code == 302 and urlsplit(r.headers["location"]).path == f"/coordinator/{rnd}"
    assert co.get(r.headers["location"]).status_code == 200
    shared = app.assigned(rnd)
    active = {t["id"] for t in app.store.testers(active_only=True)}
    assert all(tid in active for tid in shared.values())
    # Move two chosen calls to Kari, then one of them on to Ola: the others stay where they were.
    r = co.post(f"/coordinator/{rnd}/reassign", data={"csrf": token(co), "probe": ids[:2], "tester": kari})
    assert r.status_code == 302
    r = co.post(f"/coordinator/{rnd}/reassign", data={"csrf": token(co), "probe": ids[1], "tester": ola})
    assert r.status_code == 302
    expected = {**shared, ids[0]: app.tester_id(kari), ids[1]: app.tester_id(ola)}
    assert app.assigned(rnd) == expected
    assert set(call_links(logged_in(http, ola).get("/"))) >= {f"/call/{ids[1]}"}
    # Nothing chosen, an unknown tester, a switched-off tester: refused, nothing moves.
    tok = token(co)
    assert co.post(f"/coordinator/{rnd}/reassign", data={"csrf": tok, "tester": ola}).status_code == 400
    r = co.post(f"/coordinator/{rnd}/reassign", data={"csrf": tok, "probe": ids[2], "tester": "nobody-here"})
    assert r.status_code == 404
    set_active(app.store, kari, False)
    r = co.post(f"/coordinator/{rnd}/reassign", data={"csrf": tok, "probe": ids[2], "tester": kari})
    assert r.status_code == 400
    assert app.assigned(rnd) == expected


def test_csv_has_every_revision_with_notes_but_observations_hold_no_notes_or_names(
    app: PhoneApp, http: Http
) -> None:
    user, coord = app.tester(), app.tester("coordinator")
    rnd, ids = app.round(numbers="0301,4601", testers=(user,))
    t = logged_in(http, user)
    notes, said = "Snakket med Per Hansen på servicetorget", "Kari Nordmann sa tolv uker"
    form = reached(
        open_call(t, ids[0]), notes=notes, **{TEXT_FIELD: said, NOK_FIELD: "3145", YES_NO_FIELD: "no"}
    )
    assert record(t, ids[0], form).status_code == 302
    edit = submitted(open_call(t, ids[0], edit=1), courtesy="3", reason="Rettet høflighet")
    assert record(t, ids[0], edit).status_code == 302
    assert record(t, ids[1], no_answer(open_call(t, ids[1]), notes='=HYPERLINK("x")')).status_code == 302
    co = logged_in(http, coord)
    r = co.get(f"/coordinator/{rnd}/entries.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment")
    assert "no-store" in r.headers["cache-control"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    stored = app.store.phone_entries(ids)
    assert len(rows) == len(stored) == 3
    assert sorted((x["probe_id"], x["attempt"], x["revision"]) for x in rows) == sorted(
        (e["probe_id"], str(e["attempt"]), str(e["revision"])) for e in stored
    )
    first = [x for x in rows if x["probe_id"] == ids[0]]
    assert {x["notes"] for x in first} == {notes} and {x["tester"] for x in rows} == {user}
    assert {x["reason"] for x in first} == {"", "Rettet høflighet"}
    assert said in " ".join(x["extra"] for x in first)
    # A note a spreadsheet would run as a formula stays text.
    assert [x["notes"] for x in rows if x["probe_id"] == ids[1]] == ['\'=HYPERLINK("x")']
    obs = app.store.observations(rnd)
    assert [o["probe_id"] for o in obs] == [ids[0]]
    blob = json.dumps([o["value"] for o in obs], ensure_ascii=False) + " ".join(str(o["grade"]) for o in obs)
    for secret in (notes, "Per Hansen", said, "Kari Nordmann", user, f"Navn {user}"):
        assert secret not in blob, secret
    assert obs[0]["value"]["extra"][NOK_FIELD[2:]] == 3145


# ------------------------------------------------------------------ headers and privacy


def test_pages_carry_security_headers_and_the_session_cookie_is_httponly_and_lax(
    app: PhoneApp, http: Http
) -> None:
    user, coord = app.tester(), app.tester("coordinator")
    _, ids = app.round(numbers="0301", testers=(user,))
    c = http()
    r = login(c, user)
    cookies = [
        v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("kommunetest_phone=")
    ]
    assert cookies, r.headers
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookies[-1].split(";")[1:]}
    assert "httponly" in attrs and attrs["samesite"].lower() == "samesite=lax"
    co = logged_in(http, coord)
    for client, path in (
        (c, "/login"),
        (c, "/"),
        (c, f"/call/{ids[0]}"),
        (co, "/coordinator"),
        (c, "/nowhere"),
    ):
        page = client.get(path)
        assert page.status_code in (200, 404), path
        csp = page.headers.get("content-security-policy", "")
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "no-store" in page.headers.get("cache-control", ""), path
        assert page.headers.get("x-content-type-options") == "nosniff", path
    css = c.get(parse(c.get("/")).css_first('link[rel="stylesheet"]').attributes["href"])
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


def test_the_server_logs_neither_user_name_nor_password(
    app: PhoneApp, http: Http, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    user = app.tester(password="hemmelig-passord-XYZ", scrypt=True)
    caplog.set_level(logging.DEBUG)
    for name in ("waitress", "waitress.queue", "kommunetest", "flask.app"):
        caplog.set_level(logging.DEBUG, logger=name)
    # The capture sees what the server thread logs: a canary from another thread under waitress's logger.
    canary = threading.Thread(target=lambda: logging.getLogger("waitress").info("canary-line"))
    canary.start()
    canary.join()
    c = http()
    assert login(c, user, "feil-passord-QRS").status_code == 401
    assert login(c, f"ukjent-{user}", "feil-passord-TUV").status_code == 401
    assert login(c, user, "hemmelig-passord-XYZ").status_code == 302
    assert c.get("/").status_code == 200
    assert c.post("/logout", data={"csrf": token(c)}).status_code == 302
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "canary-line" in caplog.text
    for secret in (user, "hemmelig-passord-XYZ", "feil-passord-QRS", "feil-passord-TUV"):
        assert secret not in logged, secret


# ------------------------------------------------------------------ accounts (coordinators)


def test_a_coordinator_manages_accounts_from_the_app(app: PhoneApp, http: Http) -> None:
    coord, tester = app.tester("coordinator"), app.tester()
    co = logged_in(http, coord)
    assert co.get("/accounts").status_code == 200
    new = f"ny-{secrets.token_hex(3)}"
    csrf = token(co)
    r = co.post("/accounts", data={"csrf": csrf, "username": new, "name": "Nora Ny", "role": "tester",
                                   "password": "kort"})  # fmt: skip
    assert r.status_code == 400 and parse(r).css_first("#account-error") is not None
    assert app.store.tester(username=new) is None
    assert hidden(r, "username", "#new-account") == new  # what was typed is kept
    r = co.post("/accounts", data={"csrf": csrf, "username": new, "name": "Nora Ny", "role": "tester",
                                   "password": PASSWORD})  # fmt: skip
    assert r.status_code == 302 and app.store.tester(username=new)["role"] == "tester"
    t = logged_in(http, new)  # the new account works at once
    assert t.get("/").status_code == 200 and t.get("/accounts").status_code == 403

    # Switching an account off ends its sessions; a coordinator cannot switch off their own.
    assert co.post(f"/accounts/{new}/active", data={"csrf": csrf, "active": "off"}).status_code == 302
    assert t.get("/").status_code == 302 and login(http(), new).status_code == 401
    r = co.post(f"/accounts/{coord}/active", data={"csrf": csrf, "active": "off"})
    assert r.status_code == 400 and app.store.tester(username=coord)["active"]
    assert co.post(f"/accounts/{new}/active", data={"csrf": csrf, "active": "on"}).status_code == 302

    # A new password unlocks a locked account; a short one is refused and changes nothing.
    for _ in range(LOCK_AFTER):
        login(http(), tester, "feil-passord-123")
    assert app.store.tester(username=tester)["locked_until"] is not None
    before = app.store.tester(username=tester)["password_hash"]
    r = co.post(f"/accounts/{tester}/password", data={"csrf": csrf, "password": "kort"})
    assert r.status_code == 400 and app.store.tester(username=tester)["password_hash"] == before
    fresh = "et-helt-nytt-passord"
    assert co.post(f"/accounts/{tester}/password", data={"csrf": csrf, "password": fresh}).status_code == 302
    assert login(http(), tester, fresh).status_code == 302
    # Every POST here needs the session's CSRF token.
    assert co.post(f"/accounts/{tester}/active", data={"active": "off"}).status_code == 400
    assert app.store.tester(username=tester)["active"]
    # The list names every account and never shows a password hash.
    page = co.get("/accounts").text
    assert all(f'data-username="{u}"' in page for u in (coord, tester, new))
    assert "scrypt:" not in page and "pbkdf2:" not in page
