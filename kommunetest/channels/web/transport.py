"""The transport under the fetcher: host names mapped to loopback addresses, and the loopback guard.

`Resolver` holds the override map (`{host or host:port: (ip, port)}`) and decides, without resolving, whether
a request may be sent at all: when the fetcher is not live only loopback may be reached. The mapping is
applied in httpcore's network backend, so URLs, Host headers and TLS server names keep the municipal-looking
name while the socket goes to 127.0.0.1:port; the resolved address is checked again before connecting.

httpx has no public hook for a network backend, so `_Transport` replaces the pool of an `AsyncHTTPTransport`;
and since httpcore scans every connection of a pool for each request, `PerOriginTransport` keeps one small
pool per origin (hundreds of hosts in one pool made requests several times slower).
"""

from __future__ import annotations

import asyncio
import select
import socket
import ssl
from collections.abc import Mapping
from typing import Any

import httpcore
import httpx

from kommunetest.loopback import is_loopback_ip


class NotLoopbackError(PermissionError):
    """A host that is not loopback while the fetcher is not live."""


class Resolver:
    """Host names to addresses: an override map first, then (only when live) the system resolver.

    Keys are `host` or `host:port`; a value `None` simulates a name that does not exist (NXDOMAIN)."""

    def __init__(self, overrides: Mapping[str, tuple[str, int] | None] | None = None) -> None:
        self.overrides: dict[str, tuple[str, int] | None] = {
            k.lower(): v for k, v in (overrides or {}).items()
        }
        self.system_lookups = 0

    def add(self, host: str, ip: str | None, port: int | None = None) -> None:
        self.overrides[host.lower()] = None if ip is None else (ip, port or 80)

    def _override(self, host: str, port: int) -> tuple[bool, tuple[str, int] | None]:
        for key in (f"{host}:{port}", host):
            if key in self.overrides:
                return True, self.overrides[key]
        return False, None

    def refusal(self, host: str, port: int, live: bool) -> str | None:
        """Why a request to host:port may not be sent (not live and not loopback), or None. Never resolves."""
        if live:
            return None
        known, target = self._override(host, port)
        if known:
            return None if target is None or is_loopback_ip(target[0]) else f"{host} maps to {target[0]}"
        if is_loopback_ip(host) or host == "localhost" or host.endswith(".localhost"):
            return None
        return f"{host} is not a loopback host (pass live=True to reach real sites)"

    async def resolve(self, host: str, port: int, live: bool) -> tuple[str, int]:
        host = host.lower().rstrip(".")
        known, target = self._override(host, port)
        if known:
            if target is None:
                raise socket.gaierror(socket.EAI_NONAME, f"{host}: name does not exist (override)")
            ip, port = target
        elif is_loopback_ip(host) or host == "localhost" or host.endswith(".localhost"):
            ip = "127.0.0.1" if not is_loopback_ip(host) else host.strip("[]")
        elif live:
            self.system_lookups += 1
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            ip = str(infos[0][4][0])
        else:
            raise NotLoopbackError(f"{host} is not a loopback host")
        if not live and not is_loopback_ip(ip):
            raise NotLoopbackError(f"{host} resolves to {ip}, not loopback")
        return ip, port


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """A network stream on plain asyncio streams: httpcore's AnyIO backend costs a tenth of our CPU."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as e:
            raise httpcore.ReadTimeout(str(e)) from e
        except OSError as e:
            raise httpcore.ReadError(str(e) or type(e).__name__) from e

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as e:
            raise httpcore.WriteTimeout(str(e)) from e
        except OSError as e:
            raise httpcore.WriteError(str(e) or type(e).__name__) from e

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:  # fmt: skip
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as e:
            self._writer.close()
            raise httpcore.ConnectTimeout(str(e)) from e
        except (OSError, ssl.SSLError) as e:
            self._writer.close()
            raise httpcore.ConnectError(str(e)) from e
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # an idle keep-alive connection that is readable was closed by the server
            sock = self._writer.get_extra_info("socket")
            if sock is None or self._reader.at_eof():
                return True
            try:
                return bool(select.select([sock], [], [], 0)[0])
            except (OSError, ValueError):
                return True
        names = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }
        return self._writer.get_extra_info(names[info]) if info in names else None


class _MappedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with our resolver in front: connect to the mapped address."""

    def __init__(self, resolver: Resolver, live: bool) -> None:
        self._resolver = resolver
        self._live = live

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None, socket_options: Any = None) -> Any:  # fmt: skip
        ip, port = await self._resolver.resolve(host, port, self._live)
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(ip, port, limit=2**20)
        except TimeoutError as e:
            raise httpcore.ConnectTimeout(f"connecting to {host} ({ip}:{port})") from e
        except OSError as e:
            raise httpcore.ConnectError(f"{host} ({ip}:{port}): {e}") from e
        return _AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Any:
        raise NotLoopbackError("unix sockets are not used")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class _Transport(httpx.AsyncHTTPTransport):
    """httpx's transport with the mapped network backend (httpx has no public hook for it)."""

    def __init__(self, resolver: Resolver, live: bool, ssl_context: ssl.SSLContext, limits: httpx.Limits):
        super().__init__(verify=ssl_context, trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_MappedBackend(resolver, live),
        )


class PerOriginTransport(httpx.AsyncBaseTransport):
    """One small connection pool per origin: httpcore scans every connection of a pool for each request,
    which is slow with the hundreds of hosts of a national round in one pool."""

    def __init__(
        self, resolver: Resolver, live: bool, verify: ssl.SSLContext | bool, per_origin: int
    ) -> None:
        self._resolver, self._live = resolver, live
        self._ssl = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        self._limits = httpx.Limits(
            max_connections=per_origin, max_keepalive_connections=per_origin, keepalive_expiry=10.0
        )
        self._pools: dict[tuple[bytes, bytes, int | None], _Transport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        key = (url.raw_scheme, url.raw_host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Transport(self._resolver, self._live, self._ssl, self._limits)
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()
