"""A fast loopback HTTP/1.1 server with virtual hosts, for tests, benchmarks and simulated municipal sites.

One asyncio server on 127.0.0.1 (one port, optionally a second TLS port) answers for many host names: the
`Host` header picks the site. A site is a mapping `{path: route}` (a route is a `Response`, bytes, str, or a
handler `(Request) -> Response`), a handler for every path, or a directory on disk. Responses can be delayed
or streamed from an async generator, which is how the hostile sites drip bytes or send 50 MB without holding
them. The server records what the tests need to check politeness: a log of requests with their monotonic
arrival times and the most requests in flight per host at once.

Run it in a background thread with `WebServer(sites).start()` / `.stop()`, or as a process serving a
directory per host: `python -m kommunetest.sandbox.webserver --root DIR --port N`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import mimetypes
import ssl
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

HOST = "127.0.0.1"
_REASONS = {200: "OK", 204: "No Content", 301: "Moved Permanently", 302: "Found", 303: "See Other",
            304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}  # fmt: skip
_MAX_HEAD = 64 * 1024


@dataclass
class Request:
    method: str
    target: str  # path and query as sent
    host: str  # lower-case, without port
    headers: dict[str, str]  # lower-case names
    body: bytes = b""

    @property
    def path(self) -> str:
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> str:
        return urlsplit(self.target).query


BodyStream = Callable[[], AsyncIterator[bytes]]


@dataclass
class Response:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | BodyStream = b""
    delay: float = 0.0  # seconds to wait before answering (to make requests overlap in tests)


Handler = Callable[[Request], Response | Awaitable[Response]]
Route = Response | bytes | str | Handler
Site = Mapping[str, Route] | Handler | Path


def html(body: str, status: int = 200, **headers: str) -> Response:
    """An HTML response encoded as UTF-8 with its charset declared."""
    return Response(status, {"content-type": "text/html; charset=utf-8", **headers}, body.encode())


def redirect(location: str, status: int = 302) -> Response:
    return Response(status, {"location": location}, b"")


@dataclass
class ServerStats:
    """What the server saw. Written only on the server's loop; read from anywhere after requests finish."""

    requests: int = 0
    per_host: Counter[str] = field(default_factory=Counter)
    in_flight: Counter[str] = field(default_factory=Counter)
    max_in_flight: Counter[str] = field(default_factory=Counter)
    total_in_flight: int = 0
    max_total_in_flight: int = 0
    log: list[tuple[float, str, str, str]] = field(default_factory=list)  # (monotonic, host, method, target)
    user_agents: Counter[str] = field(default_factory=Counter)
    keep_log: bool = True

    def times(self, host: str, path_prefix: str = "") -> list[float]:
        return [t for t, h, _m, p in self.log if h == host and p.startswith(path_prefix)]

    def paths(self, host: str) -> list[str]:
        return [p for _t, h, _m, p in self.log if h == host]

    def reset(self) -> None:
        self.requests = 0
        self.per_host.clear()
        self.max_in_flight.clear()
        self.max_total_in_flight = 0
        self.log.clear()
        self.user_agents.clear()


def _content_type(path: Path) -> str:
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{ctype}; charset=utf-8" if ctype.startswith("text/") else ctype


def _from_directory(root: Path, path: str) -> Response | None:
    rel = unquote(path).lstrip("/")
    target = (root / rel).resolve()
    if root.resolve() not in (target, *target.parents):
        return None
    if target.is_dir():
        target = target / "index.html"
    elif not target.exists() and (target.with_suffix(".html")).is_file():
        target = target.with_suffix(".html")
    if not target.is_file():
        return None
    return Response(200, {"content-type": _content_type(target)}, target.read_bytes())


class WebServer:
    """The virtual-host server. `sites` maps host names to sites; `root` adds a directory per host name."""

    def __init__(
        self,
        sites: Mapping[str, Site] | None = None,
        *,
        root: Path | None = None,
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        keep_log: bool = True,
        idle_timeout: float = 30.0,
    ) -> None:
        self.sites: dict[str, Site] = {h.lower(): s for h, s in (sites or {}).items()}
        self.root = root
        self.port = port
        self.tls_port: int | None = None
        self._ssl_context = ssl_context
        self.stats = ServerStats(keep_log=keep_log)
        self.idle_timeout = idle_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> WebServer:
        """Start serving in a background thread; returns when the port accepts connections."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.serve())
            except BaseException as e:  # pragma: no cover - reported to start()
                errors.append(e)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="kommunetest-webserver", daemon=True)
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    async def serve(self) -> None:
        """Open the listening sockets on the running loop (used by `start()` and by the process mode)."""
        self._loop = asyncio.get_running_loop()
        srv = await asyncio.start_server(self._connection, HOST, self.port, backlog=1024, limit=_MAX_HEAD)
        self.port = srv.sockets[0].getsockname()[1]
        self._servers.append(srv)
        if self._ssl_context is not None:
            tls = await asyncio.start_server(
                self._connection, HOST, 0, ssl=self._ssl_context, backlog=256, limit=_MAX_HEAD
            )
            self.tls_port = tls.sockets[0].getsockname()[1]
            self._servers.append(tls)

    async def _shutdown(self) -> None:
        for srv in self._servers:
            srv.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for srv in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(srv.wait_closed(), 1)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers for callers

    def url(self, host: str, path: str = "/") -> str:
        """The URL a client uses for `host` when the resolver maps it to this server (default port)."""
        return f"http://{host}{path}"

    def resolver_map(self, hosts: list[str] | None = None) -> dict[str, tuple[str, int]]:
        """`{host: ("127.0.0.1", port)}` for the fetcher's resolver override (TLS port for `host:443`)."""
        out: dict[str, tuple[str, int]] = {}
        for h in hosts if hosts is not None else list(self.sites):
            out[h] = (HOST, self.port)
            if self.tls_port:
                out[f"{h}:443"] = (HOST, self.tls_port)
        return out

    def add_site(self, host: str, site: Site) -> None:
        self.sites[host.lower()] = site

    # ------------------------------------------------------------------ HTTP

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
                    return
                request = self._parse(head)
                if request is None:
                    writer.write(
                        b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    )
                    return
                length = int(request.headers.get("content-length", "0") or 0)
                if length:
                    request.body = await reader.readexactly(min(length, 10_000_000))
                keep = await self._respond(request, writer)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            return
        except asyncio.CancelledError:  # the server is stopping; the connection just ends
            return
        finally:
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    def _parse(head: bytes) -> Request | None:
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        host = headers.get("host", "").lower()
        if host.startswith("["):
            host = host[1 : host.find("]")]
        else:
            host = host.rsplit(":", 1)[0] if ":" in host else host
        if version == "HTTP/1.0" and headers.get("connection", "").lower() != "keep-alive":
            headers["connection"] = "close"
        return Request(method.upper(), target, host, headers)

    async def _route(self, request: Request) -> Response:
        site = self.sites.get(request.host)
        resp: Any = None
        if isinstance(site, Mapping):
            resp = site.get(request.target) if request.query else None
            if resp is None:
                resp = site.get(request.path)
            if resp is None:
                resp = site.get("*")  # a catch-all handler of a mapping site
        elif isinstance(site, Path):
            resp = _from_directory(site, request.path)
        elif callable(site):
            resp = site
        if resp is None and self.root is not None and request.host:
            resp = _from_directory(self.root / request.host, request.path)
        if callable(resp) and not isinstance(resp, Response):
            resp = resp(request)
            if inspect.isawaitable(resp):
                resp = await resp
        if isinstance(resp, str):
            resp = html(resp)
        elif isinstance(resp, bytes):
            resp = Response(200, {"content-type": "text/html; charset=utf-8"}, resp)
        if resp is None:
            resp = html("<h1>Fant ikke siden</h1>", 404)
        return resp

    async def _respond(self, request: Request, writer: asyncio.StreamWriter) -> bool:
        stats = self.stats
        host = request.host
        stats.requests += 1
        stats.per_host[host] += 1
        if stats.keep_log:
            stats.log.append((time.monotonic(), host, request.method, request.target))
            stats.user_agents[request.headers.get("user-agent", "")] += 1
        stats.in_flight[host] += 1
        stats.max_in_flight[host] = max(stats.max_in_flight[host], stats.in_flight[host])
        stats.total_in_flight += 1
        stats.max_total_in_flight = max(stats.max_total_in_flight, stats.total_in_flight)
        done = False
        try:
            try:
                resp = await self._route(request)
            except Exception as e:  # a broken handler is a 500, not a dead server
                resp = html(f"<h1>Serverfeil</h1><p>{type(e).__name__}</p>", 500)
            if resp.delay:
                await asyncio.sleep(resp.delay)
            keep = request.headers.get("connection", "").lower() != "close"
            headers = {k.lower(): v for k, v in resp.headers.items()}
            streamed = callable(resp.body)
            if not streamed:
                headers.setdefault("content-length", str(len(resp.body)))  # type: ignore[arg-type]
            elif "content-length" not in headers:
                headers["transfer-encoding"] = "chunked"
            if not keep:
                headers["connection"] = "close"
            head = [f"HTTP/1.1 {resp.status} {_REASONS.get(resp.status, 'Status')}"]
            head += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            if request.method != "HEAD":
                if not streamed:
                    writer.write(resp.body)  # type: ignore[arg-type]
                else:
                    chunked = "transfer-encoding" in headers
                    async for chunk in resp.body():  # type: ignore[operator]
                        if chunked:
                            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        else:
                            writer.write(chunk)
                        await writer.drain()
                    if chunked:
                        writer.write(b"0\r\n\r\n")
            # The answer is complete once handed to the transport: count it out before the client can
            # read it and send its next request, so the in-flight figures never over-count.
            done = True
            stats.in_flight[host] -= 1
            stats.total_in_flight -= 1
            await writer.drain()
            return keep
        finally:
            if not done:
                stats.in_flight[host] -= 1
                stats.total_in_flight -= 1


def main(argv: list[str] | None = None) -> None:
    """Serve `--root DIR` (one sub-directory per host name) until interrupted."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--root", type=Path, required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args(argv)

    async def run() -> None:
        server = WebServer(root=args.root, port=args.port, keep_log=False)
        await server.serve()
        print(f"listening on {HOST}:{server.port}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
