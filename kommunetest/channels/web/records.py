"""What `web check` records for one site: the `web_item` observations (desktop and mobile), the evidence rows,
the `web_sites` row, and the outcome the round's summary counts. Runs in the store's writer thread."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kommunetest.browser import DESKTOP, MOBILE
from kommunetest.channels.web.browser_run import IMPACTS
from kommunetest.channels.web.evidence import evidence_row, fact_json
from kommunetest.channels.web.grade import GRADES
from kommunetest.channels.web.sitework import SOURCE, BrowserEvidence, ItemPlan, SiteWork, mobile_grade

if TYPE_CHECKING:
    from kommunetest.store import Store


@dataclass
class SiteOutcome:
    kommunenummer: str
    name: str
    url: str | None
    status: str  # ok, or why the site could not be checked
    error: str | None = None
    pages: int = 0
    bytes: int = 0
    elapsed_s: float = 0.0
    desktop: dict[str, str | None] = field(default_factory=dict)  # item id -> grade
    mobile: dict[str, str | None] = field(default_factory=dict)
    renders: int = 0
    services: list[str] = field(default_factory=list)


@dataclass
class WebCheckSummary:
    round_name: str
    sites: list[SiteOutcome] = field(default_factory=list)
    wall_s: float = 0.0
    requests: int = 0
    bytes: int = 0
    browser: str = "off"  # on, off, or why it could not be used
    renders: int = 0
    visits: int = 0
    screenshots: int = 0
    axe_scans: int = 0
    blocked: int = 0  # browser requests the loopback guard refused
    observations: int = 0
    evidence: int = 0
    skipped: int = 0  # sites already checked, left alone (resume)

    @property
    def pages(self) -> int:
        return sum(s.pages for s in self.sites)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s > 0 else 0.0

    def statuses(self) -> Counter[str]:
        return Counter(s.status for s in self.sites)

    def grades(self, key: str = "desktop") -> Counter[str]:
        return Counter(g or "not observed" for s in self.sites for g in getattr(s, key).values())

    def lines(self) -> list[str]:
        """The summary `web check` prints."""
        order = [*GRADES, "not observed"]

        def counts(c: Counter[str], keys: Iterable[str] | None = None) -> str:
            keys = list(keys) if keys is not None else [k for k, _ in c.most_common()]
            return ", ".join(f"{k} {c[k]}" for k in keys if c[k]) or "none"

        st = self.statuses()
        ok = st.get("ok", 0)
        out = [
            f"web check {self.round_name}: {len(self.sites)} sites in {self.wall_s:.1f} s"
            + (
                f" ({self.skipped} checked already, skipped; --recheck checks them again)"
                if self.skipped
                else ""
            ),
            f"  sites: ok {ok}, failed {len(self.sites) - ok}"
            + (
                f" ({counts(Counter({k: v for k, v in st.items() if k != 'ok'}))})"
                if ok < len(self.sites)
                else ""
            ),
            f"  items, desktop: {counts(self.grades('desktop'), order)}",
        ]
        if any(s.mobile for s in self.sites):
            out.append(f"  items, mobile: {counts(self.grades('mobile'), order)}")
        out.append(
            f"  pages fetched: {self.pages} ({self.requests} requests, {self.bytes / 1e6:.1f} MB), "
            f"{self.pages_per_s:.1f} pages/s"
        )
        if self.browser == "on":
            out.append(
                f"  browser: {self.renders} pages rendered for JavaScript, {self.visits} page visits, "
                f"{self.screenshots} screenshots, {self.axe_scans} accessibility scans"
            )
        else:
            out.append(f"  browser: {self.browser} (no JavaScript rendering, mobile check or screenshots)")
        out.append(f"  stored: {self.observations} observations, {self.evidence} new evidence files")
        return out


def _found_via(via: str | None) -> str | None:
    return {"front": "links", "links": "links", "sitemap": "sitemap", "search": "search"}.get(via or "")


def _axe_total(counts: Iterable[dict[str, Any]]) -> dict[str, int]:
    total = dict.fromkeys(IMPACTS, 0)
    for c in counts:
        for k in IMPACTS:
            total[k] += int(c.get(k, 0) or 0)
    return total


def save_site(
    store: Store,
    round_name: str,
    work: SiteWork,
    summary: WebCheckSummary,
    seen: BrowserEvidence | None,
    *,
    status: str,
    error: str | None,
) -> SiteOutcome:
    """Build and store the site's observations, evidence and site row (one transaction for the rows)."""
    now = datetime.now(UTC)
    crawl = work.crawl
    out = SiteOutcome(work.kommunenummer, work.name, work.url, status, error)
    if crawl is not None:
        out.pages, out.bytes, out.elapsed_s = len(crawl.pages), crawl.bytes, crawl.elapsed_s
        out.renders = work.renders
    mobile_on = work.opts.browser is not None
    observations: list[dict[str, Any]] = []
    evidence: list[tuple[tuple[str, str], dict[str, Any]]] = []

    def obs(item: ItemPlan, key: str, grade: str | None, value: dict[str, Any]) -> None:
        observations.append({"probe_id": item.probe_id, "key": key, "kind": "web_item", "grade": grade,
                             "value": value, "observed_at": now, "source": SOURCE})  # fmt: skip
        getattr(out, key)[item.scenario_id] = grade

    if status != "ok" or crawl is None:
        for item in work.items:
            value = {"url": work.url, "depth": None, "found_via": None, "facts": [], "elapsed_s": None,
                     "search_top5": None, "site_status": status, "error": error}  # fmt: skip
            obs(item, "desktop", None, value)
            if mobile_on:
                obs(item, "mobile", None, dict(value))
    else:
        start = crawl.pages[0].fetch.fetched_at if crawl.pages else now
        for item in work.items:
            _item_rows(store, work, item, seen, start, obs, evidence)
    site = _site_row(work, seen, status, error)
    out.services = [s for s, v in site["services"].items() if v.get("found")]
    ids = store.save_web_site(round_name, work.kommunenummer, site, observations)
    rows = []
    for (probe_id, key), row in evidence:
        rows.append({**row, "observation_id": ids.get((probe_id, key))})
    summary.observations += len(observations)
    summary.evidence += store.add_evidence(rows) if rows else 0
    return out


def _item_rows(store: Store, work: SiteWork, item: ItemPlan, seen: BrowserEvidence | None, start: datetime,
               obs: Any, evidence: list[tuple[tuple[str, str], dict[str, Any]]]) -> None:  # fmt: skip
    crawl = work.crawl
    assert crawl is not None
    g = work.grades[item.scenario_id]
    search = crawl.search.get(item.scenario_id)
    search_top5 = search.found_in_top5 if search is not None and search.status == "ok" else None
    view = g.page
    source = work.source_of(view) if view is not None else None
    page = work.page_of(view) if view is not None else None
    elapsed = (source.fetched_at - start).total_seconds() if source is not None else crawl.elapsed_s
    base = {
        "url": view.url if view else None,
        "depth": view.depth if view else None,
        "found_via": _found_via(view.found_via) if view else None,
        "facts": [fact_json(f) for f in g.facts],
        "terms": g.terms,
        "elapsed_s": round(max(elapsed, 0.0), 3),
        "search_top5": search_top5,
        "search_rank": search.hit_rank if search is not None else None,
        "site_status": "ok",
        "reason": g.reason,
        "in_pdf": bool(view and view.is_pdf),
        "rendered": bool(view and view.rendered),
        "link_path": page.link_path if page is not None else [],
    }
    visits = seen.visits if seen is not None else {}
    desk_visit = visits.get(("desktop", view.url)) if view else None
    desktop = {**base, "viewport": DESKTOP["viewport"],
               "axe": desk_visit.axe if desk_visit is not None else None}  # fmt: skip
    obs(item, "desktop", g.grade, desktop)
    if source is not None:
        meta = {"url": source.url, "fetched_at": source.fetched_at.isoformat(), "key": "desktop",
                "rendered": source.rendered}  # fmt: skip
        row = evidence_row(store, source.data, kind=source.kind, media_type=source.media_type,
                           suffix=source.suffix, probe_id=item.probe_id, meta=meta)  # fmt: skip
        evidence.append(((item.probe_id, "desktop"), row))
    for key, visit in (
        ("desktop", desk_visit),
        ("mobile", visits.get(("mobile", view.url)) if view else None),
    ):
        loc = visit.located.get(item.scenario_id) if visit is not None else None
        if loc is not None and loc.screenshot:
            meta = {"url": visit.final_url or visit.url, "key": key, "viewport": key, "needle": loc.needle,
                    "visible": loc.visible, "highlight": loc.how,
                    "page_sha256": source.sha256 if source else None, "taken_at": datetime.now(UTC).isoformat()}  # fmt: skip
            row = evidence_row(store, loc.screenshot, kind="screenshot", media_type="image/png", suffix=".png",
                               probe_id=item.probe_id, meta=meta)  # fmt: skip
            evidence.append(((item.probe_id, key), row))
    if work.opts.browser is None:
        return
    mob_visit = visits.get(("mobile", view.url)) if view else None
    grade, check = mobile_grade(g, mob_visit)
    obs(item, "mobile", grade, {**base, "viewport": MOBILE["viewport"], "mobile": check, "axe": None})
    # The phone's DOM backs a mobile downgrade: the passage is in the page but a phone does not show it.
    hidden = check.get("found") and not check.get("visible")
    if mob_visit is not None and mob_visit.status == "ok" and mob_visit.html and hidden:
        data = mob_visit.html.encode("utf-8")
        meta = {"url": mob_visit.final_url or mob_visit.url, "fetched_at": datetime.now(UTC).isoformat(),
                "key": "mobile", "rendered": True}  # fmt: skip
        row = evidence_row(store, data, kind="html", media_type="text/html", suffix=".html",
                           probe_id=item.probe_id, meta=meta)  # fmt: skip
        evidence.append(((item.probe_id, "mobile"), row))


def _site_row(work: SiteWork, seen: BrowserEvidence | None, status: str, error: str | None) -> dict[str, Any]:
    crawl = work.crawl
    axe = None
    if seen is not None and seen.visits:
        pages = {url: v.axe for (key, url), v in seen.visits.items() if key == "desktop" and v.axe}
        front = seen.front.get("desktop")
        good = [c for c in pages.values() if "error" not in c]
        axe = {"front": front.axe if front else None, "pages": pages, "total": _axe_total(good),
               "scanned": len(good)}  # fmt: skip
    details: dict[str, Any] = {"renders": work.renders, "js_pages": len(work.js_pages)}
    if crawl is not None:
        details |= {
            "sitemap_used": crawl.sitemap_used,
            "search_form": any(o.status != "no_search_form" for o in crawl.search.values())
            if crawl.search
            else None,
            "robots_disallowed": len(crawl.robots_disallowed),
            "external_links": len(crawl.external_links),
            "grades": {i: g.grade for i, g in work.grades.items()},
        }
    if seen is not None:
        details["front_mobile"] = seen.front["mobile"].status if "mobile" in seen.front else None
    return {
        "site_url": work.url,
        "final_url": crawl.front_url if crawl else None,
        "status": status,
        "error": error,
        "pages": len(crawl.pages) if crawl else 0,
        "bytes": crawl.bytes if crawl else 0,
        "elapsed_s": round(crawl.elapsed_s, 3) if crawl else 0.0,
        "stop_reason": crawl.stop_reason if crawl else None,
        "details": details,
        "axe": axe,
        "services": work.services.result() if status == "ok" else {},
    }
