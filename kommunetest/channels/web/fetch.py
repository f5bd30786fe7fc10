"""Fetching one URL safely: bounded in time and bytes, redirects checked hop by hop, loopback unless live.

Everything the crawler downloads goes through `Fetcher.fetch`, which never raises for network trouble: the
outcome is a `FetchResult` whose `status` is "ok" or one of `FETCH_STATUSES`. The limits are per request: a
total deadline over every hop (so a server that drips one byte a second is cut, not merely one that stops),
a byte limit applied while streaming (the body is cut at the limit and marked `truncated`), and a hop limit
with loop detection. Redirects are followed by hand so that each hop's host can be checked.

Safety: unless the caller passes `live=True` (the CLI does only on the user's explicit opt-in), every host
must be loopback: an IP literal in 127.0.0.0/8 or ::1, `localhost` or `*.localhost`, or a name the resolver
override maps to loopback. Anything else is refused with `refused_not_loopback` before any lookup or packet.
The override (`{host: (ip, port)}`) is applied in the transport's network backend, so URLs, the Host header
and TLS server names keep the municipal-looking name while the socket goes to 127.0.0.1:port.

Politeness is shared by every crawl that uses one Fetcher: at most `per_host_concurrency` requests in flight
per host, request starts spaced `host_delay_s` apart (or the robots.txt Crawl-delay), and a global cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpcore
import httpx

from kommunetest.channels.web.transport import NotLoopbackError, PerOriginTransport, Resolver
from kommunetest.channels.web.urls import dedupe_key, host_of, host_port, normalize_url
from kommunetest.settings import Settings, WebSettings

FETCH_STATUSES = (
    "ok", "timeout", "too_large", "dns_error", "connection_refused", "connection_error", "tls_error",
    "protocol_error", "redirect_loop", "too_many_redirects", "redirect_offsite", "bad_redirect",
    "http_3xx", "http_4xx", "http_5xx", "unsupported_content_type", "robots_disallowed",
    "refused_not_loopback", "invalid_url",
)  # fmt: skip
# Content types whose bodies we keep (a missing Content-Type is kept too; the caller sniffs it).
KEEP_TYPES = ("text/", "application/xhtml+xml", "application/pdf", "application/xml", "+xml",
              "application/json", "application/gzip", "application/x-gzip")  # fmt: skip
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.5"
ACCEPT_LANGUAGE = "nb-NO,nb;q=0.9,nn;q=0.8,no;q=0.7,en;q=0.5"


@dataclass
class FetchResult:
    url: str  # as requested
    final_url: str  # after the redirects that were followed
    status: str  # "ok" or one of FETCH_STATUSES
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # of the last response; lower-case names
    content: bytes = b""  # raw body (decompressed transfer encoding, charset left to the caller)
    content_type: str = ""  # MIME type without parameters, lower case
    elapsed_s: float = 0.0  # network time over all hops (politeness waits excluded)
    truncated: bool = False
    redirects: list[str] = field(default_factory=list)  # each URL a redirect led to, in order
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    error: str | None = None  # detail for a non-ok status
    location: str | None = None  # a redirect target that was not followed (offsite, loop, limit)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            k, _, v = part.strip().partition("=")
            if k.lower() == "charset" and v:
                return v.strip("\"' ").lower()
        return None


class _HostGate:
    """Politeness for one host: a few slots, and request starts spaced `delay` seconds apart."""

    def __init__(self, slots: int, delay: float) -> None:
        self.sem = asyncio.Semaphore(slots)
        self.delay = delay
        self.next_start = 0.0
        self.last_start = -1e9

    def set_delay(self, delay: float) -> None:
        self.delay = delay
        self.next_start = max(self.next_start, self.last_start + delay)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self.sem:
            now = time.monotonic()
            start = self.last_start = max(now, self.next_start)
            self.next_start = start + self.delay
            if start > now:
                await asyncio.sleep(start - now)
            yield


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out and len(out) < 10:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return out


def classify_error(exc: BaseException) -> str:
    """The fetch status for an exception raised while talking to a server."""
    chain = _chain(exc)
    text = " ".join(f"{type(e).__name__} {e}" for e in chain).lower()
    if any(isinstance(e, NotLoopbackError) for e in chain):
        return "refused_not_loopback"
    if any(isinstance(e, socket.gaierror) for e in chain) or "name or service not known" in text:
        return "dns_error"
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain) or "[ssl" in text:
        return "tls_error"
    if any(isinstance(e, TimeoutError | httpx.TimeoutException) for e in chain):
        return "timeout"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or "connection refused" in text:
        return "connection_refused"
    if any(isinstance(e, httpx.ProtocolError | httpx.DecodingError) for e in chain):
        return "protocol_error"
    return "connection_error"


def _keep_type(ctype: str, accept: tuple[str, ...]) -> bool:
    return not ctype or any(ctype.startswith(a) or (a.startswith("+") and ctype.endswith(a)) for a in accept)


class Fetcher:
    """Bounded, polite, loopback-guarded HTTP/1.1 fetching. Use as `async with Fetcher(...) as f`."""

    def __init__(
        self,
        settings: Settings | WebSettings | None = None,
        *,
        resolver: Resolver | Mapping[str, tuple[str, int] | None] | None = None,
        live: bool = False,
        user_agent: str | None = None,
        timeout_s: float | None = None,
        max_bytes: int | None = None,
        max_redirects: int | None = None,
        per_host_concurrency: int | None = None,
        host_delay_s: float | None = None,
        global_concurrency: int | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        web = settings.web if isinstance(settings, Settings) else settings or WebSettings()
        self.live = live
        self.resolver = resolver if isinstance(resolver, Resolver) else Resolver(resolver)
        self.user_agent = user_agent or web.user_agent
        self.timeout_s = timeout_s if timeout_s is not None else web.request_timeout_s
        self.max_bytes = max_bytes if max_bytes is not None else web.max_bytes_per_page
        self.max_redirects = max_redirects if max_redirects is not None else web.max_redirects
        self.per_host = per_host_concurrency or web.per_host_concurrency
        self.host_delay_s = host_delay_s if host_delay_s is not None else web.host_delay_s
        self.global_concurrency = global_concurrency or web.global_concurrency
        self._verify = verify
        self._gates: dict[str, _HostGate] = {}
        self._global: asyncio.Semaphore | None = None
        self._client: httpx.AsyncClient | None = None
        self.requests = 0
        self.bytes = 0

    async def __aenter__(self) -> Fetcher:
        self._client = httpx.AsyncClient(
            transport=PerOriginTransport(self.resolver, self.live, self._verify, self.per_host + 1),
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)),
            headers={"User-Agent": self.user_agent, "Accept": ACCEPT, "Accept-Language": ACCEPT_LANGUAGE},
        )
        self._global = asyncio.Semaphore(self.global_concurrency)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def gate(self, host: str) -> _HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = _HostGate(self.per_host, self.host_delay_s)
        return gate

    def set_host_delay(self, host: str, delay_s: float) -> None:
        """Space requests to `host` at least `delay_s` apart (robots.txt Crawl-delay; capped at 60 s)."""
        self.gate(host.lower()).set_delay(max(self.host_delay_s, min(float(delay_s), 60.0)))

    async def fetch(
        self,
        url: str,
        *,
        allow_host: Callable[[str], bool] | None = None,
        max_bytes: int | None = None,
        timeout_s: float | None = None,
        accept: tuple[str, ...] = KEEP_TYPES,
    ) -> FetchResult:
        """GET `url`, following redirects whose hosts `allow_host` accepts. Never raises for network errors."""
        if self._client is None:
            raise RuntimeError("use `async with Fetcher(...)` before fetching")
        limit = max_bytes if max_bytes is not None else self.max_bytes
        budget = remaining = timeout_s if timeout_s is not None else self.timeout_s
        result = FetchResult(url=url, final_url=url, status="ok")
        current = normalize_url(url)
        if current is None:
            result.status, result.error = "invalid_url", f"not an http(s) URL: {url!r}"
            return result
        seen = {dedupe_key(current)}
        refusal = self._refusal(current)
        if refusal:
            result.status, result.error = "refused_not_loopback", refusal
            return result
        while True:
            t0 = time.monotonic()
            try:
                async with self.gate(host_port(current)[0]).turn(), self._global:  # type: ignore[union-attr]
                    t0 = time.monotonic()
                    async with asyncio.timeout(max(remaining, 0.001)):
                        location = await self._hop(current, result, limit, accept)
            except TimeoutError:
                location = None
                result.status, result.error = "timeout", f"no complete answer within {budget:g} s"
            except (httpx.HTTPError, OSError, ssl.SSLError, httpcore.NetworkError) as e:
                location = None
                result.status, result.error = classify_error(e), f"{type(e).__name__}: {e}"
            spent = time.monotonic() - t0
            remaining -= spent
            result.elapsed_s += spent
            if location is None:
                return result
            nxt = normalize_url(location, base=current)
            result.location = location
            if nxt is None:
                result.status, result.error = "bad_redirect", f"redirect to {location!r}"
                return result
            if dedupe_key(nxt) in seen:
                result.status, result.error = "redirect_loop", f"{nxt} was already visited"
                return result
            if len(result.redirects) >= self.max_redirects:
                result.status, result.error = (
                    "too_many_redirects",
                    f"more than {self.max_redirects} redirects",
                )
                return result
            if allow_host is not None and not allow_host(host_of(nxt)):
                result.status, result.error = "redirect_offsite", f"redirect to another site: {nxt}"
                return result
            refusal = self._refusal(nxt)
            if refusal:
                result.status, result.error = "refused_not_loopback", refusal
                return result
            seen.add(dedupe_key(nxt))
            result.redirects.append(nxt)
            result.final_url = current = nxt
            result.location = None

    def _refusal(self, url: str) -> str | None:
        host, port = host_port(url)
        return self.resolver.refusal(host, port, self.live)

    async def _hop(self, url: str, result: FetchResult, limit: int, accept: tuple[str, ...]) -> str | None:
        """One request; fills `result` and returns the Location to follow, if any."""
        assert self._client is not None
        self.requests += 1
        result.fetched_at = datetime.now(UTC)
        async with self._client.stream("GET", url) as resp:
            result.http_status = resp.status_code
            result.headers = {k.decode("latin-1").lower(): "" for k, _ in resp.headers.raw}
            for k in result.headers:
                result.headers[k] = ", ".join(resp.headers.get_list(k))
            result.content_type = resp.headers.get("content-type", "").split(";")[0].strip().lower()
            code = resp.status_code
            if code in REDIRECT_CODES and resp.headers.get("location"):
                result.content = await self._read(resp, result, min(limit, 64 * 1024))
                result.status = "ok"
                return resp.headers["location"]
            if not _keep_type(result.content_type, accept):
                result.status, result.error = "unsupported_content_type", result.content_type
                return None
            result.content = await self._read(resp, result, limit)
            if code >= 300:
                result.status = f"http_{code // 100}xx"
                result.error = f"HTTP {code}"
            elif result.truncated:
                result.status, result.error = "too_large", f"cut at {limit} bytes"
            else:
                result.status = "ok"
            return None

    async def _read(self, resp: httpx.Response, result: FetchResult, limit: int) -> bytes:
        """Stream the body, stopping at `limit` bytes (the rest is never read)."""
        buf = bytearray()
        result.truncated = False
        async for chunk in resp.aiter_bytes():
            room = limit - len(buf)
            if len(chunk) > room:
                buf += chunk[:room]
                result.truncated = True
                break
            buf += chunk
        self.bytes += len(buf)
        return bytes(buf)
