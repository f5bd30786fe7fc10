"""The national web round over the simulated nation (357 sites, about 45 pages each) on loopback, and Scrapy
over the same sites in the same run.

1. The nation is generated and served from memory by its own process (`sandbox.webround.NationServer`), so the
   server does not share the crawler's GIL; the ground truth is generated in another process.
2. HTTP part: `check_round(browser=False)` over a census round of the 24 web items (crawl, extract, grade,
   evidence, store): pages per second, wall time, CPU, peak memory of the checker's process tree and of the
   server; item-grade accuracy and precision/recall per fact kind against the ground truth.
3. Browser part over `--browser-sites` municipalities (all with `--browser-sites 357`: the whole national web
   round): HTTP, JavaScript pages, the mobile check, highlighted screenshots and axe-core; then the same
   without screenshots and axe (every observation of both viewports). Memory counts the checker's whole tree:
   its process, Playwright's driver and Chromium's processes (`proctree.py`).
4. Scrapy (`bench/scrapy_sim.py`, its own process): a CrawlSpider over the same sites with the same page limit
   and concurrency, every request through the loopback server; its pages per second and the ratio.

    .venv/bin/python bench/web_round.py [--browser-sites 24] [--sites 357] [--no-scrapy]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from proctree import TreeSampler, busy_cpu_s

from kommunetest.channels.web.check import WebCheckSummary, check_round
from kommunetest.register import load_register, register_path
from kommunetest.sandbox.rehearsal_web import evaluate_web as evaluate
from kommunetest.sandbox.rehearsal_web import evaluation_lines, truth_of
from kommunetest.sandbox.webround import NationServer, plan_web_round, sim_site_urls
from kommunetest.settings import load_settings
from kommunetest.store import Store

YEAR = 2027
START = date(2027, 2, 1)
TOML = """[web]
host_delay_s = 0          # loopback: no politeness delay (the same for Scrapy)
per_host_concurrency = 2
global_concurrency = 64
sites_concurrency = 32
"""


def _truth(seed: int, only: list[str] | None) -> dict[str, dict[str, Any]]:
    """The ground truth, generated in a worker process (the sites' bytes never reach this one)."""
    from kommunetest.sandbox.websites import generate_nation
    from kommunetest.scenarios import load_project_scenarios

    settings = load_settings(Path("/nonexistent-project"))
    items = load_project_scenarios(settings).by_channel("web")
    return truth_of(
        generate_nation(load_register(register_path(settings)), items, seed=seed, only=only, year=YEAR)
    )


def print_evaluation(ev: dict[str, Any]) -> None:
    for line in evaluation_lines(ev):
        print("  " + line)


def print_summary(s: WebCheckSummary) -> None:
    for line in s.lines():
        print("  " + line)


def run_scrapy(port: int, urls: list[str], max_pages: int, work: Path) -> dict[str, Any]:
    sites = work / "sites.json"
    out = work / "scrapy.json"
    sites.write_text(json.dumps(urls))
    script = Path(__file__).with_name("scrapy_sim.py")
    cmd = [sys.executable, str(script), "--proxy-port", str(port), "--sites", str(sites), "--max-pages",
           str(max_pages), "--concurrency", "64", "--per-host", "2", "--out", str(out)]  # fmt: skip
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"scrapy failed:\n{done.stderr[-3000:]}")
    stats = json.loads(out.read_text())
    stats["process_s"] = time.perf_counter() - t0
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=357, help="municipalities in the HTTP round (default all)")
    ap.add_argument(
        "--browser-sites", type=int, default=24, help="municipalities in the browser part (0: skip)"
    )
    ap.add_argument("--no-scrapy", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="kt-bench-web-", dir="/tmp"))
    try:
        project = base / "project"
        project.mkdir()
        (project / "kommunetest.toml").write_text(TOML)
        settings = load_settings(project)
        register = load_register(register_path(settings))
        knrs = [m.kommunenummer for m in register][: args.sites]
        only = None if len(knrs) == len(register) else knrs
        with ProcessPoolExecutor(1) as pool:
            truth_job = pool.submit(_truth, args.seed, only)
            t0 = time.perf_counter()
            nation = NationServer(seed=args.seed, year=YEAR, only=only).start()
            print(f"simulated nation: {len(knrs)} sites generated and served on 127.0.0.1:{nation.port} "
                  f"in {time.perf_counter() - t0:.1f} s (own process)")  # fmt: skip
            truth = truth_job.result()
        try:
            store = Store.open(settings)
            plan_web_round(store, settings, "http", knrs, start=START)
            resolver, urls = nation.resolver_map(knrs), sim_site_urls(knrs)

            server = {nation.proc.pid} if nation.proc else set()

            def run(name: str, settings_: Any, *, sites: list[str], **kw: Any) -> tuple[WebCheckSummary, Any]:
                plan_web_round(store, settings_, name, sites, start=START)
                cpu0 = busy_cpu_s()
                with TreeSampler(exclude=server) as tree:
                    summary = check_round(settings_, store, name, resolver=resolver, site_urls=urls, **kw)
                cpu = busy_cpu_s() - cpu0
                print_summary(summary)
                print(f"  wall time {summary.wall_s:.1f} s ({summary.wall_s / 60:.2f} min), {summary.pages_per_s:.1f} "
                      f"pages/s; CPU {cpu:.0f} CPU-s over the machine ({cpu / summary.wall_s:.2f} cores busy)")  # fmt: skip
                print(f"  peak memory of the checker (its process, Playwright's driver and Chromium): {tree.line()}; "
                      f"server {nation.peak_rss_mb() or 0:.0f} MB")  # fmt: skip
                return summary, tree

            print(f"\nHTTP part: crawl + extract + grade + evidence, no browser, {len(knrs)} sites")
            http, _ = run("http", settings, sites=knrs, browser=False)
            print("  accuracy against the ground truth (items only a browser shows left out):")
            print_evaluation(evaluate(store, "http", truth, js=False))
            print("  the same with those items (the HTTP part cannot see them):")
            print_evaluation(evaluate(store, "http", truth, js=True))

            if args.browser_sites:
                step = max(1, len(knrs) // args.browser_sites)
                sample = knrs[::step][: args.browser_sites]
                whole = len(sample) == len(register)
                print(f"\n{'the whole national web round' if whole else 'the web round'}: HTTP + JavaScript pages + "
                      f"mobile check + highlighted screenshots (desktop and mobile) + axe, {len(sample)} sites")  # fmt: skip
                full, _ = run("browser", settings, sites=sample)
                per_site = full.wall_s / len(sample)
                if not whole:
                    print(f"  {per_site:.2f} s per site: the whole nation would take about "
                          f"{per_site * len(register) / 60:.1f} min")  # fmt: skip
                print_evaluation(evaluate(store, "browser", truth, js=True))
                light = load_settings(project, flags={"web.accessibility": False})
                print(f"\nthe same without screenshots and axe (every observation of both viewports: JavaScript "
                      f"pages and the mobile check), {len(sample)} sites")  # fmt: skip
                part, _ = run("browser-light", light, sites=sample, screenshots=False)
                if not whole:
                    print(
                        f"  the whole nation would take about {part.wall_s / len(sample) * len(register) / 60:.1f} min"
                    )
            store.close()

            if not args.no_scrapy:
                print(f"\nScrapy {__import__('scrapy').__version__}: CrawlSpider, same sites, "
                      f"{settings.web.max_pages_per_site} pages per site at most, 2 per host, 64 in all")  # fmt: skip
                sc = run_scrapy(nation.port, list(urls.values()), settings.web.max_pages_per_site, base)
                sc_pps = sc["pages"] / sc["wall_s"]
                print(f"  pages {sc['pages']} ({sc['requests']} requests) in {sc['wall_s']:.1f} s: {sc_pps:.1f} pages/s, "
                      f"peak memory {sc['peak_rss_mb']:.0f} MB")  # fmt: skip
                print(f"  ratio ours/Scrapy (pages/s): {http.pages_per_s / sc_pps:.2f} "
                      f"(ours also extracts, grades and stores every page, and runs each site's search)")  # fmt: skip
            print(f"\nserver peak memory: {nation.peak_rss_mb() or 0:.0f} MB")
        finally:
            nation.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
