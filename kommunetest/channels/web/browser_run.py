"""The browser part of a web check: one Chromium for the whole round, a bounded pool of pages.

Used only where HTTP is not enough: pages whose content a script fills (`render`), the mobile check, the
evidence screenshots with the passage highlighted, and the axe-core accessibility scan (`visit`).

Loopback safety: unless the check is live, Chromium resolves exactly the hosts of the resolver map
(`--host-resolver-rules`, everything else ~NOTFOUND), and every request whose host is neither a loopback
address nor a host the map sends to loopback goes to a proxy port on 127.0.0.1 that refuses connections
(`loopback_proxy`), so a page's script, image or font from the real internet is never fetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kommunetest.browser import CHROMIUM_ARGS, DESKTOP, MOBILE, chromium_unavailable, launch_options
from kommunetest.loopback import is_loopback_ip
from kommunetest.settings import WebSettings

IMPACTS = ("minor", "moderate", "serious", "critical")
REFUSED_ERRORS = ("ERR_PROXY_CONNECTION_FAILED", "ERR_TUNNEL_CONNECTION_FAILED")
QUIET_S = 0.08  # no request in flight for this long: the page has settled
PAGE_USES = 40  # visits before a page is closed and replaced (frees what Playwright keeps of its requests)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_JS = (Path(__file__).with_name("highlight.js")).read_text(encoding="utf-8")


@dataclass
class Target:
    """Something to find on a page: a key (an item id) and the texts that show it, most specific first."""

    key: str
    needles: list[str]


@dataclass
class Located:
    found: bool
    visible: bool = False
    needle: str | None = None
    how: str | None = None  # "text" (the passage itself) or "element" (its smallest container)
    screenshot: bytes | None = None


@dataclass
class Visit:
    """One page loaded in the browser."""

    url: str
    viewport: str
    status: str = "ok"  # ok, or what went wrong (http_404, timeout, error)
    final_url: str | None = None
    html: str = ""
    axe: dict[str, Any] | None = None
    located: dict[str, Located] = field(default_factory=dict)
    loaded_at: float = 0.0
    seconds: float = 0.0


def host_rules(resolver: Mapping[str, tuple[str, int] | None], live: bool) -> str:
    """Chromium's --host-resolver-rules for the resolver map: each host to its loopback address, unknown
    names to nothing (unless live). `host:port` keys (TLS ports of test servers) are left to the guard."""
    rules = []
    for host, target in sorted(resolver.items()):
        if ":" in host:
            continue
        rules.append(f"MAP {host} ~NOTFOUND" if target is None else f"MAP {host} {target[0]}:{target[1]}")
    if not live:
        rules.append("MAP * ~NOTFOUND")
    return ", ".join(rules)


def loopback_proxy(resolver: Mapping[str, tuple[str, int] | None], dead_port: int) -> dict[str, str]:
    """Playwright's proxy setting that is the browser's loopback guard: every request goes to a port on
    127.0.0.1 that refuses connections, except those to loopback addresses and to the hosts the resolver map
    sends to loopback (`--host-resolver-rules` then takes them there). A page's script, image or font from
    the real internet, by name or by address, fails with ERR_PROXY_CONNECTION_FAILED; nothing is fetched.
    (A guard in Chromium's network stack: no per-request round trip through Playwright's driver, which
    keeps every routed request in memory.)"""
    hosts = {h.split(":")[0] for h, t in resolver.items() if t is not None and is_loopback_ip(t[0])}
    bypass = ["127.0.0.0/8", "[::1]", "localhost", *sorted(hosts)]
    return {"server": f"http://127.0.0.1:{dead_port}", "bypass": ",".join(bypass)}


def _refusing_port() -> socket.socket:
    """A loopback port that is bound (so nobody else takes it) but not listening: connections are refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def axe_counts(results: dict[str, Any]) -> dict[str, Any]:
    """axe-core violations as counts by impact: rules violated and elements affected."""
    rules = dict.fromkeys(IMPACTS, 0)
    nodes = dict.fromkeys(IMPACTS, 0)
    ids = []
    for v in results.get("violations") or []:
        impact = v.get("impact") or "minor"
        if impact in rules:
            rules[impact] += 1
            nodes[impact] += len(v.get("nodes") or [])
        ids.append(v.get("id"))
    return {**rules, "nodes": nodes, "rules": sorted(i for i in ids if i), "standard": "WCAG 2.1 A/AA",
            "axe": results.get("version")}  # fmt: skip


def _needles(target: Target) -> list[str]:
    return [n for n in target.needles if n]


def _located(res: dict[str, Any]) -> Located:
    return Located(bool(res.get("found")), bool(res.get("visible")), res.get("needle"), res.get("how"))


class BrowserSession:
    """Chromium for one round. `async with BrowserSession(...) as b:`; check `b.available` first."""

    def __init__(
        self,
        web: WebSettings,
        *,
        resolver: Mapping[str, tuple[str, int] | None] | None = None,
        live: bool = False,
        user_agent: str | None = None,
    ) -> None:
        self.web = web
        self.resolver = {k.lower(): v for k, v in (resolver or {}).items()}
        self.live = live
        self.user_agent = user_agent or web.user_agent
        self.reason: str | None = chromium_unavailable(web.chromium_path)
        self._pw: Any = None
        self._browser: Any = None
        self._contexts: dict[str, Any] = {}
        self._pool = asyncio.Semaphore(web.browser_pages or os.cpu_count() or 2)
        self._idle: dict[str, list[Any]] = {}
        self._uses: dict[Any, int] = {}
        self._dead_end: socket.socket | None = None
        self._axe_script: str | None = None
        self.renders = self.visits = self.screenshots = self.axe_scans = self.blocked = 0

    @property
    def available(self) -> bool:
        return self.reason is None and self._browser is not None

    async def __aenter__(self) -> BrowserSession:
        if self.reason is not None:
            return self
        try:
            from playwright.async_api import async_playwright

            opts = launch_options(self.web.chromium_path)
            rules = host_rules(self.resolver, self.live)
            args = [*CHROMIUM_ARGS, *([f"--host-resolver-rules={rules}"] if rules else [])]
            if not self.live:
                self._dead_end = _refusing_port()
                opts["proxy"] = loopback_proxy(self.resolver, self._dead_end.getsockname()[1])
            self._pw = await async_playwright().start()
            self._browser = await self._pw.chromium.launch(**{**opts, "args": args})
            desktop = {k: v for k, v in DESKTOP.items()}
            mobile = {k: v for k, v in MOBILE.items() if k != "user_agent_suffix"}
            self._contexts["desktop"] = await self._context(desktop, self.user_agent)
            self._contexts["mobile"] = await self._context(mobile, self.mobile_user_agent())
        except Exception as e:  # no browser: the check goes on over HTTP and says so
            self.reason = f"Chromium could not start: {type(e).__name__}: {e}"
            await self.__aexit__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            if self._browser is not None:
                await self._browser.close()
        with contextlib.suppress(Exception):
            if self._pw is not None:
                await self._pw.stop()
        if self._dead_end is not None:
            self._dead_end.close()
        self._browser = self._pw = self._dead_end = None

    def mobile_user_agent(self) -> str:
        """The crawler's honest user agent, marked as a phone so that sites serve their mobile version."""
        suffix = MOBILE.get("user_agent_suffix", "Mobile")
        return f"{self.user_agent} (Linux; Android 14; Pixel 8) {suffix}"

    async def _context(self, options: dict[str, Any], user_agent: str) -> Any:
        ctx = await self._browser.new_context(
            **options, user_agent=user_agent, locale="nb-NO", timezone_id="Europe/Oslo",
            service_workers="block", accept_downloads=False,
        )  # fmt: skip
        ctx.on("requestfailed", self._count_refused)
        ctx.set_default_timeout(self.web.request_timeout_s * 1000)
        return ctx

    def _count_refused(self, request: Any) -> None:
        if any(e in (request.failure or "") for e in REFUSED_ERRORS):
            self.blocked += 1

    @contextlib.asynccontextmanager
    async def _page(self, viewport: str) -> AsyncIterator[Any]:
        """A page of the pool: reused (opening one costs more than loading a small site's page), but only
        `PAGE_USES` times, since Playwright keeps every request and response of a page until it is closed."""
        async with self._pool:
            idle = self._idle.setdefault(viewport, [])
            page = idle.pop() if idle else await self._contexts[viewport].new_page()
            self._uses[page] = self._uses.get(page, 0) + 1
            healthy = False
            try:
                yield page
                healthy = not page.is_closed() and self._uses[page] < PAGE_USES
            finally:
                if healthy:
                    idle.append(page)
                else:
                    self._uses.pop(page, None)
                    with contextlib.suppress(Exception):
                        await page.close()

    async def _open(self, page: Any, url: str, settle: bool) -> tuple[str, str | None]:
        """Navigate; with `settle`, also wait until the page's own requests have settled (scripts filling
        content). Pages the crawl saw no script fill are complete at the load event, and are loaded without
        request events (each one costs a round trip through Playwright's driver)."""
        inflight = {"n": 0, "last": time.monotonic()}

        def start(_: Any) -> None:
            inflight["n"] += 1

        def end(_: Any) -> None:
            inflight["n"] = max(0, inflight["n"] - 1)
            inflight["last"] = time.monotonic()

        events = (("request", start), ("requestfinished", end), ("requestfailed", end)) if settle else ()
        for name, handler in events:
            page.on(name, handler)
        try:
            try:
                resp = await page.goto(url, wait_until="load")
            except Exception as e:
                text = str(e).split("\n")[0]
                timeout = "Timeout" in type(e).__name__ or "timeout" in text.lower()
                return ("timeout" if timeout else "error"), text
            # Scripts that fill the page fetch their data around the load event: wait until nothing has been
            # in flight for a moment (at most 3 s).
            deadline = time.monotonic() + 3.0
            while settle and time.monotonic() < deadline:
                if inflight["n"] == 0 and time.monotonic() - inflight["last"] >= QUIET_S:
                    break
                await asyncio.sleep(0.02)
        finally:
            for name, handler in events:
                page.remove_listener(name, handler)
        if resp is not None and resp.status >= 400:
            return f"http_{resp.status // 100}xx", f"HTTP {resp.status}"
        return "ok", None

    async def render(self, url: str) -> Visit:
        """The page as a desktop browser shows it after its scripts ran (its DOM as HTML)."""
        self.renders += 1
        return await self.visit(url, "desktop", [], screenshots=False, axe=False, html="always")

    async def visit(
        self,
        url: str,
        viewport: str,
        targets: Sequence[Target],
        *,
        screenshots: bool,
        axe: bool,
        settle: bool = True,
        html: Literal["always", "never", "hidden"] = "always",
    ) -> Visit:
        """Load `url`; scan it with axe (before anything is marked); find each target, highlight it, scroll
        to it and (with `screenshots`) take the viewport. `html` says when to keep the DOM as HTML:
        "always", "never" or "hidden" (only when a target is there but hidden: the evidence of a mobile
        downgrade); serialising the DOM costs as much CPU as a third of the page load. Never raises for the
        page's faults."""
        out = Visit(url, viewport)
        if not self.available:
            out.status = "no_browser"
            return out
        t0 = time.monotonic()
        try:
            async with self._page(viewport) as page:
                self.visits += 1
                out.status, error = await self._open(page, url, settle)
                out.final_url = page.url
                if out.status not in ("ok",):
                    out.html = ""
                    out.located = {t.key: Located(False) for t in targets}
                    if error:
                        out.status = out.status if out.status != "error" else f"error: {error[:200]}"
                    return out
                if html == "always":
                    out.html = await page.content()
                if axe:
                    out.axe = await self._axe(page)
                if screenshots:
                    for target in targets:
                        out.located[target.key] = await self._locate(page, target)
                elif targets:  # visibility only: one round trip for all
                    found = await page.evaluate(
                        f"(lists) => lists.map({_JS})", [_needles(t) for t in targets]
                    )
                    out.located = {t.key: _located(r) for t, r in zip(targets, found, strict=True)}
                if html == "hidden" and any(loc.found and not loc.visible for loc in out.located.values()):
                    out.html = await self._unmarked_content(page)
        except Exception as e:  # a crashed page or browser: this visit failed, the round goes on
            out.status = f"error: {type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
        finally:
            out.seconds = time.monotonic() - t0
        return out

    async def _locate(self, page: Any, target: Target) -> Located:
        loc = _located(await page.evaluate(_JS, _needles(target)))
        loc.screenshot = await page.screenshot(
            type="png", full_page=False, animations="disabled", scale="css"
        )
        self.screenshots += 1
        return loc

    async def _unmarked_content(self, page: Any) -> str:
        """The DOM as HTML without our marks (they are removed by locating nothing)."""
        await page.evaluate(_JS, [])
        return await page.content()

    def axe_script(self) -> str:
        if self._axe_script is None:
            from axe_playwright_python.base import AXE_SCRIPT  # the axe-core the package bundles

            self._axe_script = AXE_SCRIPT
        return self._axe_script

    async def _axe(self, page: Any) -> dict[str, Any] | None:
        """axe-core's WCAG 2.1 A/AA rules (what Norwegian law requires of public websites) on the page."""
        try:
            if not await page.evaluate("() => typeof axe !== 'undefined'"):
                await page.evaluate(self.axe_script())
            results = await page.evaluate(
                "() => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: "
                + json.dumps(AXE_TAGS)
                + "}}).then(r => ({version: axe.version, violations: r.violations.map(v => "
                "({id: v.id, impact: v.impact, nodes: v.nodes.map(n => 1)}))}))"
            )
            self.axe_scans += 1
            return axe_counts(results)
        except Exception as e:
            return {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"}
