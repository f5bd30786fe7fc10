"""What each browser operation of the web check costs in CPU, and the national lower bound that follows.

The web check's browser part is a sum of a few operations per page: a navigation, the accessibility scan
(axe-core injected, then run over WCAG 2.1 A/AA), a highlighted screenshot, and locating a passage. This
loads pages of a simulated site one at a time (no contention) and measures each operation's wall time and
the CPU the whole machine spent on it (Chromium's processes, Playwright's driver, this process and the
site server), from /proc/stat. It then multiplies by what a national round does (counted from a check of
`--sites` simulated municipalities) to give the CPU the browser part needs at the least, against what two
cores give in five minutes (600 CPU-seconds).

    .venv/bin/python bench/browser_costs.py [--pages 20] [--sites 12] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from proctree import busy_cpu_s

from kommunetest.browser import CHROMIUM_ARGS, DESKTOP, MOBILE, launch_options
from kommunetest.channels.web.browser_run import _JS, AXE_TAGS, host_rules
from kommunetest.channels.web.check import check_round
from kommunetest.register import load_register, register_path
from kommunetest.sandbox.webround import NationServer, plan_web_round, sim_site_urls
from kommunetest.settings import load_settings
from kommunetest.store import Store

KNR = "3203"
AXE_RUN = (
    "() => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: "
    + str(AXE_TAGS)
    + "}}).then(r => r.violations.length)"
)


async def measure(
    name: str, urls: list[str], page: Any, op: Callable[[], Awaitable[Any]] | None, prep: Any = None
) -> tuple[float, float]:
    """Mean wall and CPU milliseconds of `op` on each page (the navigation itself when `op` is None)."""
    walls, cpus = [], []
    for url in urls:
        if op is not None:
            await page.goto(url, wait_until="load")
            if prep is not None:
                await prep()
        t, c = time.perf_counter(), busy_cpu_s()
        await (op() if op is not None else page.goto(url, wait_until="load"))
        walls.append(time.perf_counter() - t)
        cpus.append(busy_cpu_s() - c)
    wall, cpu = statistics.mean(walls) * 1000, statistics.mean(cpus) * 1000
    print(f"  {name:<44}{wall:>8.1f}{cpu:>8.1f}")
    return wall, cpu


async def costs(chromium: str | None, pages: int) -> dict[str, float]:
    from axe_playwright_python.base import AXE_SCRIPT
    from playwright.async_api import async_playwright

    nation = NationServer(seed=0, year=2027, only=[KNR]).start()
    try:
        rules = host_rules(nation.resolver_map([KNR]), False)
        opts = launch_options(chromium)
        print(f"{opts['executable_path']}; {pages} pages of one simulated site, one at a time")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                **{**opts, "args": [*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"]}
            )
            desk = await (await browser.new_context(**DESKTOP)).new_page()
            mobile_opts = {k: v for k, v in MOBILE.items() if k != "user_agent_suffix"}
            phone = await (await browser.new_context(**mobile_opts)).new_page()
            await desk.goto(sim_site_urls([KNR])[KNR])
            links = await desk.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            urls = list(dict.fromkeys(u for u in links if u.startswith("http://") and "/sok" not in u))[
                :pages
            ]
            await measure("warm-up", urls[:3], desk, None)
            print(f"  {'operation':<44}{'wall ms':>8}{'CPU ms':>8}")
            out = {}
            _, out["navigation (desktop)"] = await measure("navigation (desktop)", urls, desk, None)
            _, out["navigation (mobile)"] = await measure("navigation (mobile)", urls, phone, None)
            _, out["inject axe-core"] = await measure(
                "inject axe-core", urls, desk, lambda: desk.evaluate(AXE_SCRIPT)
            )
            _, out["axe run"] = await measure(
                "axe run (WCAG 2.1 A/AA)",
                urls,
                desk,
                lambda: desk.evaluate(AXE_RUN),
                lambda: desk.evaluate(AXE_SCRIPT),
            )
            _, out["locate and highlight"] = await measure(
                "locate and highlight a passage", urls, desk, lambda: desk.evaluate(_JS, ["kommune"])
            )
            _, out["screenshot (desktop)"] = await measure(
                "screenshot, 1366x768 PNG", urls, desk, lambda: desk.screenshot(type="png", scale="css")
            )
            _, out["screenshot (mobile)"] = await measure(
                "screenshot, 390x844 PNG", urls, phone, lambda: phone.screenshot(type="png", scale="css")
            )
            _, out["DOM as HTML"] = await measure("DOM as HTML (page.content)", urls, desk, desk.content)
            await browser.close()
        return out
    finally:
        nation.stop()


def counts(sites: int) -> dict[str, float]:
    """Per site: the browser operations a check of `sites` simulated municipalities did."""
    base = Path(tempfile.mkdtemp(prefix="kt-bench-costs-", dir="/tmp"))
    (base / "kommunetest.toml").write_text("[web]\nhost_delay_s = 0\n")
    settings = load_settings(base)
    register = load_register(register_path(settings))
    knrs = [m.kommunenummer for m in register][:: len(register) // sites][:sites]
    with NationServer(seed=0, year=2027, only=knrs).start() as nation:
        store = Store.open(settings)
        plan_web_round(store, settings, "c", knrs, start=date(2027, 2, 1))
        t, c = time.perf_counter(), busy_cpu_s()
        s = check_round(
            settings, store, "c", resolver=nation.resolver_map(knrs), site_urls=sim_site_urls(knrs)
        )
        wall, cpu = time.perf_counter() - t, busy_cpu_s() - c
        store.close()
    n = len(knrs)
    print(
        f"\na full check of {n} sites: {wall:.1f} s wall, {cpu:.1f} CPU-s ({cpu / n:.2f} CPU-s per site); per site "
        f"{s.visits / n:.1f} page visits, {s.screenshots / n:.1f} screenshots, {s.axe_scans / n:.1f} axe scans"
    )
    return {"visits": s.visits / n, "screenshots": s.screenshots / n, "axe": s.axe_scans / n, "cpu": cpu / n,
            "nation": len(register)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--sites", type=int, default=12)
    ap.add_argument("--chromium", default=None, help="Chromium executable (default: as web check picks)")
    args = ap.parse_args()
    ms = asyncio.run(costs(args.chromium, args.pages))
    per = counts(args.sites)
    nav = (ms["navigation (desktop)"] + ms["navigation (mobile)"]) / 2
    shot = (ms["screenshot (desktop)"] + ms["screenshot (mobile)"]) / 2 + ms["locate and highlight"]
    axe = ms["inject axe-core"] + ms["axe run"]
    site = per["visits"] * nav + per["screenshots"] * shot + per["axe"] * axe
    nation = per["nation"]
    print(
        f"\nlower bound for {nation:.0f} municipalities from these costs (no overhead, perfect use of both cores):"
    )
    for name, n, each in (("navigations", per["visits"], nav), ("highlighted screenshots", per["screenshots"], shot),
                          ("axe scans", per["axe"], axe)):  # fmt: skip
        print(f"  {name:<26}{n * nation:>8.0f} x {each:>6.1f} ms = {n * nation * each / 1000:>6.0f} CPU-s")
    total = site * nation / 1000
    print(f"  {'browser part':<26}{'':>8}   {'':>6}      {total:>6.0f} CPU-s = {total / 2 / 60:.1f} min on 2 cores "
          f"(measured in the full check: {per['cpu'] * nation / 2 / 60:.1f} min)")  # fmt: skip
    print("  two cores give 600 CPU-s in 5 minutes")


if __name__ == "__main__":
    main()
