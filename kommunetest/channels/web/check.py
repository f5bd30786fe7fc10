"""`web check`: every web probe of a round becomes a `web_item` observation per viewport, with evidence.

For each municipality (concurrently, sharing one polite fetcher and one browser): crawl its site with the
round's web items (`crawl`), read and grade each page as it arrives (`sitework`), render the pages that need
JavaScript, visit the evidence pages on desktop and mobile (screenshots with the passage highlighted, the
mobile check, axe-core), detect the digital services, and store the site's observations, evidence and site
row together. A site that cannot be crawled gives grade null and its `site_status` (not observed, not zero);
a failure in one site never stops the round.

Safety: without `live` (which also needs `web.live = true`) only loopback is reached; a real municipality's
site is refused by the fetcher's guard and ends with the status `refused_not_loopback`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kommunetest.channels.web.browser_run import BrowserSession
from kommunetest.channels.web.crawl import CrawlLimits, crawl_many
from kommunetest.channels.web.evidence import screenshot_versions
from kommunetest.channels.web.fetch import Fetcher
from kommunetest.channels.web.records import SiteOutcome, WebCheckSummary, save_site
from kommunetest.channels.web.sitework import (
    BrowserEvidence,
    ItemPlan,
    Options,
    Progress,
    SiteWork,
    browse,
)
from kommunetest.channels.web.urls import host_of
from kommunetest.errors import LiveSendingRefused, UsageError
from kommunetest.scenario_loader import load_project_scenarios
from kommunetest.settings import Settings

if TYPE_CHECKING:
    from kommunetest.store import Store

__all__ = [
    "SiteOutcome",
    "WebCheckSummary",
    "check_round",
    "check_round_async",
    "expand_resolver",
    "parse_resolve",
]


def parse_resolve(entries: Iterable[str], file: Path | None = None) -> dict[str, tuple[str, int] | None]:
    """`HOST=IP:PORT` options (and a JSON file of the same) as a resolver map. Errors name the entry."""
    items: list[tuple[str, str, str]] = [("--resolve", *_split_entry(e)) for e in entries]
    if file is not None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise UsageError(
                f"{file}: cannot read the resolver map: {e}", hint='{"host": "127.0.0.1:8080"}'
            ) from e
        if not isinstance(data, dict):
            raise UsageError(
                f"{file}: the resolver map must be a JSON object", hint='{"host": "127.0.0.1:8080"}'
            )
        for host, target in data.items():
            target = f"{target[0]}:{target[1]}" if isinstance(target, list) and len(target) == 2 else target
            items.append((str(file), str(host), str(target)))
    out: dict[str, tuple[str, int] | None] = {}
    for where, host, target in items:
        ip, sep, port = target.rpartition(":")
        if not host or not sep or not port.isdigit() or not ip:
            raise UsageError(f"{where}: cannot read {host}={target}", hint="write HOST=IP:PORT, e.g. "
                             "'*.sim.kommunetest.test=127.0.0.1:8080'")  # fmt: skip
        out[host.lower().rstrip(".")] = (ip.strip("[]"), int(port))
    return out


def _split_entry(entry: str) -> tuple[str, str]:
    host, sep, target = entry.partition("=")
    if not sep:
        raise UsageError(
            f"--resolve {entry}: expected HOST=IP:PORT", hint="e.g. --resolve www.x.test=127.0.0.1:8080"
        )
    return host.strip(), target.strip()


def expand_resolver(
    resolver: Mapping[str, tuple[str, int] | None] | None, urls: Iterable[str | None]
) -> dict[str, tuple[str, int] | None]:
    """The resolver map with `*.domain` keys spelled out for every site host under the domain."""
    out = {k: v for k, v in (resolver or {}).items() if not k.startswith("*.")}
    wild = [(k[1:], v) for k, v in (resolver or {}).items() if k.startswith("*.")]
    if wild:
        for url in urls:
            host = host_of(url) if url else ""
            for suffix, target in wild:
                if host.endswith(suffix) and host not in out:
                    out[host] = target
    return out


def _site_urls(rows: list[dict[str, Any]], override: Mapping[str, str] | None) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for r in rows:
        url = (override or {}).get(r["kommunenummer"]) or r.get("website") or None
        if url and "://" not in url:
            url = "https://" + url
        out[r["kommunenummer"]] = url
    return out


def check_round(
    settings: Settings,
    store: Store,
    round_name: str,
    *,
    municipalities: Iterable[str] | None = None,
    progress: Progress | None = None,
    resolver: Mapping[str, tuple[str, int] | None] | None = None,
    live: bool = False,
    site_urls: Mapping[str, str] | None = None,
    browser: bool | None = None,
    screenshots: bool | None = None,
    year: int | None = None,
    recheck: bool = False,
) -> WebCheckSummary:
    """Check the round's web items (see the module doc). `resolver` maps host names to loopback addresses
    (the rehearsal's simulated sites); `site_urls` overrides the register's website per kommunenummer;
    `browser`/`screenshots` default to the settings; `year` (the fee year to read) to the round's start.
    A site already checked with status ok and every item observed is skipped (an interrupted round goes on
    where it stopped, and sites that failed are tried again) unless `recheck`."""
    return asyncio.run(
        check_round_async(
            settings, store, round_name, municipalities=municipalities, progress=progress, resolver=resolver,
            live=live, site_urls=site_urls, browser=browser, screenshots=screenshots, year=year, recheck=recheck,
        )
    )  # fmt: skip


async def check_round_async(
    settings: Settings,
    store: Store,
    round_name: str,
    *,
    municipalities: Iterable[str] | None = None,
    progress: Progress | None = None,
    resolver: Mapping[str, tuple[str, int] | None] | None = None,
    live: bool = False,
    site_urls: Mapping[str, str] | None = None,
    browser: bool | None = None,
    screenshots: bool | None = None,
    year: int | None = None,
    recheck: bool = False,
) -> WebCheckSummary:
    web = settings.web
    if live and not web.live:
        raise LiveSendingRefused(
            "web check --live would crawl real municipal websites, but web.live is off",
            hint="set web.live = true in kommunetest.toml (or KOMMUNETEST_WEB_LIVE=true) to allow it",
        )
    rnd = store.get_round(round_name)
    rows = store.round_municipalities(round_name)
    if municipalities is not None:
        wanted = {m.strip() for m in municipalities}
        unknown = sorted(wanted - {r["kommunenummer"] for r in rows})
        if unknown:
            raise UsageError(f"not in round {round_name!r}: {', '.join(unknown)}", hint="see `round status`")
        rows = [r for r in rows if r["kommunenummer"] in wanted]
    probes = [
        p
        for p in store.probes(round_name, channel="web")
        if p["kommunenummer"] in {r["kommunenummer"] for r in rows}
    ]
    if not probes:
        raise UsageError(f"round {round_name!r} has no web probes for these municipalities",
                         hint="plan the round with the web scenarios (scenarios/web.yaml)")  # fmt: skip
    bank = load_project_scenarios(settings)
    specs = {sid: bank.get(sid).web for sid in sorted({p["scenario_id"] for p in probes})}
    by_muni: dict[str, list[ItemPlan]] = {}
    for p in probes:
        spec = specs[p["scenario_id"]]
        assert spec is not None
        by_muni.setdefault(p["kommunenummer"], []).append(ItemPlan(p["id"], p["scenario_id"], spec))
    use_browser = web.browser if browser is None else browser
    urls = _site_urls(rows, site_urls)
    skipped = set() if recheck else _checked_already(store, round_name, by_muni, use_browser, urls)
    by_muni = {knr: items for knr, items in by_muni.items() if knr not in skipped}
    opts = Options(
        year=year or rnd["start_date"].year,
        browser=None,
        screenshots=web.screenshots if screenshots is None else screenshots,
        accessibility=web.accessibility,
        max_renders=web.max_js_renders_per_site,
        existing_shots=screenshot_versions(store.round_evidence(round_name, kinds=["screenshot"])),
    )
    resolver = expand_resolver(resolver, urls.values())
    works = [SiteWork(r["kommunenummer"], r["name"], urls[r["kommunenummer"]], by_muni[r["kommunenummer"]], opts)
             for r in rows if r["kommunenummer"] in by_muni]  # fmt: skip
    summary = WebCheckSummary(round_name, skipped=len(skipped))
    if not works:
        return summary
    t0 = time.monotonic()
    session = BrowserSession(web, resolver=resolver, live=live) if use_browser else None
    async with Fetcher(settings, resolver=resolver, live=live) as fetcher:
        if session is not None:
            await session.__aenter__()
            summary.browser = "on" if session.available else f"unavailable: {session.reason}"
            opts.browser = session if session.available else None
        try:
            await _run(settings, store, round_name, works, fetcher, summary, progress)
        finally:
            if session is not None:
                summary.renders, summary.visits = session.renders, session.visits
                summary.screenshots, summary.axe_scans, summary.blocked = (
                    session.screenshots, session.axe_scans, session.blocked)  # fmt: skip
                await session.__aexit__()
        summary.requests, summary.bytes = fetcher.requests, fetcher.bytes
    summary.wall_s = time.monotonic() - t0
    summary.sites.sort(key=lambda s: s.kommunenummer)
    return summary


def _checked_already(
    store: Store,
    round_name: str,
    by_muni: Mapping[str, list[ItemPlan]],
    use_browser: bool,
    urls: Mapping[str, str | None],
) -> set[str]:
    """Municipalities whose site (the same address) was checked with status ok and whose every item has its
    observations."""
    ok = {
        s["kommunenummer"] for s in store.web_sites(round_name)
        if s["status"] == "ok" and s["site_url"] == urls.get(s["kommunenummer"])
    }  # fmt: skip
    candidates = {knr: items for knr, items in by_muni.items() if knr in ok}
    if not candidates:
        return set()
    ids = [it.probe_id for items in candidates.values() for it in items]
    have = {(o["probe_id"], o["key"]) for o in store.observations(round_name, kind="web_item", probe_ids=ids)}
    keys = ("desktop", "mobile") if use_browser else ("desktop",)
    return {
        knr
        for knr, items in candidates.items()
        if all((it.probe_id, k) in have for it in items for k in keys)
    }


async def _run(settings: Settings, store: Store, round_name: str, works: list[SiteWork], fetcher: Fetcher,
               summary: WebCheckSummary, progress: Progress | None) -> None:  # fmt: skip
    total = len(works)
    done = 0
    by_knr = {w.kommunenummer: w for w in works}
    # One thread writes to the store (files are fsynced, rows committed) while the loop goes on crawling.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="web-check-store")
    loop = asyncio.get_running_loop()

    def save(work: SiteWork, seen: BrowserEvidence | None, status: str, error: str | None) -> Any:
        job = functools.partial(save_site, store, round_name, work, summary, seen, status=status, error=error)
        return loop.run_in_executor(writer, job)

    # Crawling runs ahead of the browser: at most this many sites are crawled and not yet finished.
    slots = asyncio.Semaphore(2 * settings.web.sites_concurrency)

    async def finish(work: SiteWork) -> None:
        nonlocal done
        try:
            outcome = await _finish(work, save)
        except Exception as e:  # a bug must not end the round: the site gets a clear status
            work.crawl = None
            outcome = await save(work, None, "error", f"{type(e).__name__}: {e}")
        finally:
            if work.url:
                slots.release()
        work.release()
        summary.sites.append(outcome)
        done += 1
        if progress is not None:
            progress(done, total, work.kommunenummer, outcome.status)

    tasks = [asyncio.create_task(finish(w)) for w in works if not w.url]
    specs = [(w.kommunenummer, w.url, w.crawl_items(), w.still_missing) for w in works if w.url]
    limits = CrawlLimits.from_settings(settings)
    try:
        async for knr, result in crawl_many(
            fetcher, specs, limits=limits, concurrency=settings.web.sites_concurrency, slots=slots
        ):
            work = by_knr[knr]
            work.crawl = result
            tasks.append(asyncio.create_task(finish(work)))
        await asyncio.gather(*tasks)
    finally:
        writer.shutdown(wait=True)


async def _finish(work: SiteWork, save: Any) -> SiteOutcome:
    if work.url is None:
        return await save(work, None, "no_website", "the register has no website for this municipality")
    crawl = work.crawl
    assert crawl is not None
    if crawl.status != "ok":
        return await save(work, None, crawl.status, crawl.error)
    work.finalize_depths()
    work.grade_all()
    await work.render_js()
    seen = await browse(work)
    return await save(work, seen, "ok", None)
