"""Trap sites for the crawler: each one must end within its time bound, in bounded memory, with a clear status.

All traps are virtual hosts of one loopback `WebServer` (plus its TLS port), reached through the fetcher's
resolver override (`HostileSites.resolver_map()`):

| key        | trap                                               | expected site status |
|------------|----------------------------------------------------|----------------------|
| calendar   | every page links to the next month, forever        | ok (pages capped)    |
| loop       | `/` -> `/a` -> `/b` -> `/`                         | redirect_loop        |
| huge       | a 50 MB front page, streamed                       | too_large            |
| drip       | a front page that sends one byte a second          | timeout              |
| robots     | robots.txt disallowing everything                  | robots_disallowed    |
| broken     | unclosed tags, NUL and invalid bytes               | ok                   |
| latin1     | windows-1252 with æøå and no charset anywhere      | ok                   |
| tls        | HTTPS with a self-signed certificate               | tls_error            |
| down       | a closed port                                      | connection_refused   |
| dns        | a name that does not exist                         | dns_error            |
| error500   | front page answers 500                             | http_5xx             |
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from kommunetest.sandbox.ports import free_port
from kommunetest.sandbox.webserver import HOST, Request, Response, Site, WebServer, html, redirect

DOMAIN = "trap.kommunetest.test"
HUGE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Trap:
    key: str
    host: str
    url: str
    expect: str  # the site status crawl_site must give
    about: str


def self_signed_context(hosts: list[str], directory: Path | None = None) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate for `hosts` (clients will not trust it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = dt.datetime.now(dt.UTC)
    sans = [x509.DNSName(h) for h in hosts] + [x509.IPAddress(ipaddress.ip_address(HOST))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory = directory or Path(tempfile.mkdtemp(prefix="kommunetest-tls-"))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


def _page(title: str, body: str) -> str:
    return f"<!doctype html><html lang=nb><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


def calendar_site() -> Site:
    """`/kalender/YYYY/MM` links to the next and previous month, without end."""

    def month(req: Request) -> Response:
        parts = req.path.strip("/").split("/")
        try:
            year, mon = int(parts[1]), int(parts[2])
        except (IndexError, ValueError):
            return html(_page("Fant ikke siden", ""), 404)
        ny, nm = (year + (mon == 12), mon % 12 + 1)
        py, pm = (year - (mon == 1), (mon - 2) % 12 + 1)
        return html(_page(f"Kalender {mon:02d}/{year}", f"<p>Ingen arrangementer.</p>"
                          f"<a href='/kalender/{ny}/{nm:02d}'>Neste måned</a> "
                          f"<a href='/kalender/{py}/{pm:02d}'>Forrige måned</a>"))  # fmt: skip

    front = _page(
        "Kalenderkommune", "<a href='/kalender/2025/01'>Arrangementer</a> <a href='/om'>Om kommunen</a>"
    )
    return {"/": front, "/om": _page("Om kommunen", "<p>Her bor det folk.</p>"), "*": month}


async def _huge_body() -> AsyncIterator[bytes]:
    chunk = (b"<p>" + b"fyll " * 13_000 + b"</p>\n")[: 64 * 1024]
    yield b"<!doctype html><html><body><a href='/side'>side</a>"
    sent = 0
    while sent < HUGE_BYTES:
        yield chunk
        sent += len(chunk)


async def _drip_body() -> AsyncIterator[bytes]:
    for b in b"<!doctype html><html><body><p>Vent litt ...</p></body></html>" * 10:
        yield bytes([b])
        await asyncio.sleep(1.0)


BROKEN_HTML = (
    b"<html><head><title>Odelagt side</title><body><div><div><table><tr><td><p>Velkommen til <b>kommunen"
    b"<a href='/tjenester'>Tjenester<a href=/kontakt>Kontakt oss</a\x00\x01\xff\xfe garbage \x80\x81"
    b"<ul><li><a href=\"/om\">Om <i>kommunen</li><li><a href='/tjenester#top'>igjen</a>"
    b"<script>document.write('<a href=/js>')</scr" + bytes(range(256)) + b"<p><<<>>> &&&; &#xZZ; <a href=''>"
)
LATIN1_HTML = (
    "<html><head><title>Åpningstider</title></head><body><h1>Servicetorget</h1>"
    "<p>Åpningstider: mandag–fredag kl. 08.00–15.30. Ærlig talt, søndag er det stengt.</p>"
    "<a href='/gebyr'>Gebyrer for byggesøknad</a></body></html>"
).encode("windows-1252")


class HostileSites:
    """The trap sites on one loopback server. `start()`, then crawl `traps`; `stop()` when done."""

    def __init__(self, good_site: bool = True) -> None:
        self.traps: list[Trap] = []
        self.server: WebServer | None = None
        self.closed_port = free_port()
        self._good = good_site

    def _sites(self) -> dict[str, Site]:
        def host(key: str) -> str:
            return f"www.{key}.{DOMAIN}"

        sites: dict[str, Site] = {
            host("calendar"): calendar_site(),
            host("loop"): {"/": redirect("/a"), "/a": redirect("/b", 301), "/b": redirect("/", 307)},
            host("huge"): {"/": Response(200, {"content-type": "text/html"}, _huge_body)},
            host("drip"): {"/": Response(200, {"content-type": "text/html; charset=utf-8"}, _drip_body)},
            host("robots"): {"/robots.txt": Response(200, {"content-type": "text/plain"}, b"User-agent: *\nDisallow: /\n"),
                             "/": _page("Forbudt", "<a href='/a'>a</a>")},
            host("broken"): {"/": Response(200, {"content-type": "text/html"}, BROKEN_HTML),
                             "/tjenester": Response(200, {"content-type": "text/html"}, BROKEN_HTML[:200]),
                             "/kontakt": Response(200, {"content-type": "text/html"}, b"<p>Telefon 12 34 56 78<p"),
                             "/om": Response(200, {"content-type": "text/html"}, b"\xff\xfe\x00<<html")},
            host("latin1"): {"/": Response(200, {"content-type": "text/html"}, LATIN1_HTML),
                             "/gebyr": Response(200, {"content-type": "text/html"}, "<p>Gebyr: kr 3 145,-</p>".encode("windows-1252"))},
            host("tls"): {"/": _page("Sikker", "<p>hemmelig</p>")},
            host("error500"): {"/": Response(500, {"content-type": "text/html"}, b"<h1>Intern feil</h1>")},
        }  # fmt: skip
        if self._good:
            sites[host("good")] = {
                "/": _page(
                    "God kommune", "<a href='/tjenester'>Tjenester</a> <a href='/kontakt'>Kontakt</a>"
                ),
                "/tjenester": _page("Tjenester", "<a href='/tjenester/sfo'>SFO</a>"),
                "/tjenester/sfo": _page("SFO", "<p>Foreldrebetaling: kr 3 145 per måned.</p>"),
                "/kontakt": _page("Kontakt", "<p>Servicetorget er åpent kl. 08.00–15.30.</p>"),
            }
        expect = {
            "calendar": ("ok", "endless calendar"), "loop": ("redirect_loop", "redirect loop"),
            "huge": ("too_large", "50 MB front page"), "drip": ("timeout", "one byte a second"),
            "robots": ("robots_disallowed", "robots.txt disallows all"), "broken": ("ok", "broken HTML"),
            "latin1": ("ok", "windows-1252 without charset"), "tls": ("tls_error", "self-signed TLS"),
            "down": ("connection_refused", "closed port"), "dns": ("dns_error", "name does not exist"),
            "error500": ("http_5xx", "front page is a 500"), "good": ("ok", "an ordinary site"),
        }  # fmt: skip
        self.traps = [
            Trap(k, host(k), f"{'https' if k == 'tls' else 'http'}://{host(k)}/", status, about)
            for k, (status, about) in expect.items()
            if k != "good" or self._good
        ]
        return sites

    def start(self) -> HostileSites:
        sites = self._sites()
        ctx = self_signed_context([f"www.tls.{DOMAIN}"])
        self.server = WebServer(sites, ssl_context=ctx).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> HostileSites:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def trap(self, key: str) -> Trap:
        return next(t for t in self.traps if t.key == key)

    def resolver_map(self) -> dict[str, tuple[str, int] | None]:
        """Host -> loopback address for the fetcher (`down` goes to a closed port, `dns` does not exist)."""
        assert self.server is not None and self.server.tls_port is not None
        out: dict[str, tuple[str, int] | None] = {}
        for t in self.traps:
            if t.key == "down":
                out[t.host] = (HOST, self.closed_port)
            elif t.key == "dns":
                out[t.host] = None
            elif t.key == "tls":
                out[f"{t.host}:443"] = (HOST, self.server.tls_port)
            else:
                out[t.host] = (HOST, self.server.port)
        return out
