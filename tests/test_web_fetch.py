"""Fetching: limits, redirects, statuses, the loopback guard and per-host politeness, against a real loopback
server (`kommunetest.sandbox.webserver`)."""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC

import pytest

from kommunetest.channels.web.fetch import Fetcher, Resolver
from kommunetest.channels.web.urls import dedupe_key, normalize_url, registrable_domain
from kommunetest.sandbox.ports import free_port
from kommunetest.sandbox.webserver import Request, Response, WebServer, html, redirect
from kommunetest.settings import load_settings

HOST = "www.3203.sim.kommunetest.test"
OTHER = "www.1804.sim.kommunetest.test"


async def _slow_drip() -> AsyncIterator[bytes]:
    for _ in range(100):  # each byte well within any read timeout; only a total deadline stops it
        yield b"x"
        await asyncio.sleep(0.2)


def _echo_ua(req: Request) -> Response:
    return Response(200, {"content-type": "text/plain"}, req.headers.get("user-agent", "").encode())


def _politeness_site() -> dict[str, object]:
    return {
        f"/p{i}": Response(200, {"content-type": "text/html"}, b"<p>ok</p>", delay=0.05) for i in range(40)
    }


@pytest.fixture(scope="module")
def server():
    sites = {
        HOST: {
            "/": html("<h1>Forside</h1><p>æøå</p>"),
            "/big": Response(200, {"content-type": "text/html"}, b"a" * 1_000_000),
            "/r1": redirect("/r2", 301),
            "/r2": redirect("/r3"),
            "/r3": redirect(f"http://{OTHER}/", 307),
            "/loop1": redirect("/loop2"),
            "/loop2": redirect("/loop1/"),
            "/far": redirect("/far1"),
            **{f"/far{i}": redirect(f"/far{i + 1}") for i in range(1, 12)},
            "/away": redirect("https://www.example.com/"),
            "/img": Response(200, {"content-type": "image/jpeg"}, b"\xff\xd8" + b"0" * 5000),
            "/doc.pdf": Response(200, {"content-type": "application/pdf"}, b"%PDF-1.4 fake"),
            "/drip": Response(200, {"content-type": "text/html"}, _slow_drip),
            "/missing": html("<h1>borte</h1>", 404),
            "/broken": html("<h1>feil</h1>", 503),
            "/ua": _echo_ua,
        },
        OTHER: {"/": html("<h1>Andre</h1>")},
        **{f"www.p{i}.sim.kommunetest.test": _politeness_site() for i in range(4)},
    }
    srv = WebServer(sites).start()
    yield srv
    srv.stop()


def _fetch(server: WebServer, *urls: str, **kw: object):
    async def run():
        async with Fetcher(resolver=server.resolver_map(), host_delay_s=0, **kw) as f:  # type: ignore[arg-type]
            return [await f.fetch(u) for u in urls]

    return asyncio.run(run())


def test_ok_keeps_raw_bytes_headers_and_time(server: WebServer) -> None:
    (res,) = _fetch(server, f"http://{HOST}/")
    assert res.status == "ok" and res.http_status == 200
    assert "æøå".encode() in res.content and res.content_type == "text/html" and res.charset == "utf-8"
    assert res.headers["content-type"].startswith("text/html")
    assert res.fetched_at.tzinfo is UTC and 0 < res.elapsed_s < 5
    assert res.final_url == f"http://{HOST}/" and not res.truncated and not res.redirects


def test_byte_limit_cuts_while_streaming(server: WebServer) -> None:
    (res,) = _fetch(server, f"http://{HOST}/big", max_bytes=100_000)
    assert res.status == "too_large" and res.truncated and len(res.content) == 100_000


def test_redirects_are_followed_hop_by_hop(server: WebServer) -> None:
    ok, loop, far = _fetch(
        server, f"http://{HOST}/r1", f"http://{HOST}/loop1", f"http://{HOST}/far", max_redirects=8
    )
    assert ok.status == "ok" and ok.final_url == f"http://{OTHER}/"
    assert ok.redirects == [f"http://{HOST}/r2", f"http://{HOST}/r3", f"http://{OTHER}/"]
    assert loop.status == "redirect_loop" and loop.location == "/loop1/"  # trailing slash is the same page
    assert far.status == "too_many_redirects" and len(far.redirects) == 8


def test_redirect_to_a_host_not_allowed_is_not_followed(server: WebServer) -> None:
    async def run():
        async with Fetcher(resolver=server.resolver_map(), host_delay_s=0) as f:
            return await f.fetch(f"http://{HOST}/r1", allow_host=lambda h: h == HOST)

    before = server.stats.per_host[OTHER]
    res = asyncio.run(run())
    assert res.status == "redirect_offsite" and res.location == f"http://{OTHER}/"
    assert res.final_url == f"http://{HOST}/r3" and server.stats.per_host[OTHER] == before


def test_content_types_and_http_errors(server: WebServer) -> None:
    img, pdf, missing, broken = _fetch(
        server,
        f"http://{HOST}/img",
        f"http://{HOST}/doc.pdf",
        f"http://{HOST}/missing",
        f"http://{HOST}/broken",
    )
    assert img.status == "unsupported_content_type" and img.content == b""
    assert pdf.status == "ok" and pdf.content.startswith(b"%PDF") and pdf.content_type == "application/pdf"
    assert (missing.status, missing.http_status) == ("http_4xx", 404) and b"borte" in missing.content
    assert (broken.status, broken.http_status) == ("http_5xx", 503)


def test_total_deadline_cuts_a_slow_drip(server: WebServer) -> None:
    t0 = time.monotonic()
    (res,) = _fetch(server, f"http://{HOST}/drip", timeout_s=1.0)
    assert res.status == "timeout" and time.monotonic() - t0 < 2.0


def test_network_errors_map_to_statuses() -> None:
    closed = free_port()

    async def run():
        resolver = Resolver({"www.down.test": ("127.0.0.1", closed), "www.nxdomain.test": None})
        async with Fetcher(resolver=resolver, host_delay_s=0, timeout_s=3) as f:
            return await f.fetch("http://www.down.test/"), await f.fetch("http://www.nxdomain.test/")

    down, nx = asyncio.run(run())
    assert down.status == "connection_refused" and nx.status == "dns_error"


def test_non_loopback_is_refused_before_any_lookup_or_packet(server: WebServer, monkeypatch) -> None:
    calls: list[object] = []
    real_connect = socket.socket.connect

    def spy_getaddrinfo(*a: object, **k: object):
        calls.append(("getaddrinfo", a))
        raise AssertionError("a name was looked up")

    def spy_connect(self: socket.socket, address: object) -> object:
        if not (isinstance(address, tuple) and str(address[0]).startswith("127.")):
            calls.append(("connect", address))
            raise AssertionError("a packet would leave loopback")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", spy_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", spy_connect)
    resolver = Resolver({**server.resolver_map(), "www.evil.test": ("93.184.216.34", 80)})

    async def run():
        async with Fetcher(resolver=resolver, host_delay_s=0) as f:
            return [await f.fetch(u) for u in
                    ("https://www.example.com/", "http://www.evil.test/", f"http://{HOST}/away", f"http://{HOST}/")]  # fmt: skip

    example, evil, away, ok = asyncio.run(run())
    assert example.status == evil.status == away.status == "refused_not_loopback"
    assert away.redirects == [] and away.location == "https://www.example.com/"
    assert ok.status == "ok"  # loopback still works under the same spies
    assert calls == [] and resolver.system_lookups == 0


def test_live_mode_and_localhost_literals(server: WebServer) -> None:
    async def run():
        async with Fetcher(host_delay_s=0, live=True) as live, Fetcher(host_delay_s=0) as local:
            return (await live.fetch(f"http://127.0.0.1:{server.port}/"),
                    await local.fetch(f"http://127.0.0.1:{server.port}/"),
                    await local.fetch(f"http://localhost:{server.port}/"))  # fmt: skip

    for res in asyncio.run(run()):
        assert res.status == "http_4xx"  # reached the server: no site is named 127.0.0.1


def test_user_agent_comes_from_settings(server: WebServer, tmp_path) -> None:
    (tmp_path / "kommunetest.toml").write_text('[web]\nuser_agent = "testagent/9 (+https://x.test)"\n')
    settings = load_settings(tmp_path, env={})

    async def run():
        async with Fetcher(settings, resolver=server.resolver_map(), host_delay_s=0) as f:
            return await f.fetch(f"http://{HOST}/ua")

    assert asyncio.run(run()).content == b"testagent/9 (+https://x.test)"


def test_per_host_slots_spacing_and_global_cap(server: WebServer) -> None:
    hosts = [f"www.p{i}.sim.kommunetest.test" for i in range(4)]
    deadline = time.monotonic() + 5
    while server.stats.total_in_flight and time.monotonic() < deadline:  # let the drip's server side end
        time.sleep(0.05)
    server.stats.reset()

    async def run():
        async with Fetcher(resolver=server.resolver_map(), per_host_concurrency=2, host_delay_s=0,
                           global_concurrency=5) as f:  # fmt: skip
            await asyncio.gather(*(f.fetch(f"http://{h}/p{i}") for h in hosts for i in range(12)))
        async with Fetcher(resolver=server.resolver_map(), host_delay_s=0.1) as f:
            await asyncio.gather(*(f.fetch(f"http://{hosts[0]}/p{i}") for i in range(20, 26)))

    asyncio.run(run())
    assert all(server.stats.max_in_flight[h] == 2 for h in hosts)  # 2 used, never more
    assert server.stats.max_total_in_flight == 5
    spaced = {f"/p{i}" for i in range(20, 26)}
    times = sorted(t for t, h, _m, p in server.stats.log if h == hosts[0] and p in spaced)
    assert len(times) == 6 and min(b - a for a, b in itertools.pairwise(times)) >= 0.09


def test_url_normalisation_and_domains() -> None:
    n = normalize_url
    assert n("HTTP://WWW.Hattfjelldal.Kommune.NO:80/a/../Tjenester/?utm_source=x&b=2&a=1#frag") == (
        "http://www.hattfjelldal.kommune.no/Tjenester/?a=1&b=2"
    )
    assert n("https://x.no:443") == "https://x.no/" and n("/rel", "https://b.no/d/p") == "https://b.no/rel"
    assert n("mailto:post@x.no") is None and n("javascript:void(0)") is None
    assert n("https://x.no/%7euser/æ") == n("https://x.no/~user/%C3%A6")
    assert dedupe_key(n("https://x.no/a/") or "") == dedupe_key(n("https://X.no/a#top") or "")
    assert registrable_domain("www.hattfjelldal.kommune.no") == "hattfjelldal.kommune.no"
    assert registrable_domain("www.3203.sim.kommunetest.test") == "3203.sim.kommunetest.test"


def test_server_serves_directories_keeps_alive_and_answers_head(tmp_path) -> None:
    site = tmp_path / "www.0301.sim.kommunetest.test"
    (site / "tjenester").mkdir(parents=True)
    (site / "index.html").write_text("<h1>Forside</h1>", encoding="utf-8")
    (site / "tjenester" / "sfo.html").write_text("<h1>SFO</h1>", encoding="utf-8")
    (tmp_path / "hemmelig.txt").write_text("nei")
    with WebServer(root=tmp_path) as srv, socket.create_connection(("127.0.0.1", srv.port)) as sock:

        def ask(method: str, path: str) -> bytes:
            sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: www.0301.sim.kommunetest.test\r\n\r\n".encode())
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(1)
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            body = b""
            while method == "GET" and len(body) < length:
                body += sock.recv(length - len(body))
            return head.split(b"\r\n", 1)[0] + b"|" + body

        assert ask("GET", "/") == b"HTTP/1.1 200 OK|<h1>Forside</h1>"  # one connection throughout
        assert ask("GET", "/tjenester/sfo") == b"HTTP/1.1 200 OK|<h1>SFO</h1>"
        assert ask("HEAD", "/tjenester/sfo.html") == b"HTTP/1.1 200 OK|"
        assert ask("GET", "/../hemmelig.txt").startswith(b"HTTP/1.1 404")
        assert srv.stats.per_host["www.0301.sim.kommunetest.test"] == 4
