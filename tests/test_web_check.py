"""`web check` over generated municipal sites (four CMS styles, bokmål, nynorsk, PDFs, JavaScript, deep pages)
and hostile sites in one round: grades and values against the ground truth, depth and how items were found,
evidence files, the mobile check, axe counts, digital services, clear statuses for broken sites, re-runs that
add nothing, the JavaScript-only fact with and without the browser, and the command line.

Real parts throughout: the loopback web servers, the fetcher, the store, Chromium."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from kommunetest.browser import chromium_unavailable
from kommunetest.channels.web.browser_run import IMPACTS
from kommunetest.channels.web.check import WebCheckSummary, check_round
from kommunetest.register import load_register, register_path
from kommunetest.sandbox.hostile import HostileSites
from kommunetest.sandbox.webround import plan_web_round, sim_site_urls
from kommunetest.sandbox.webserver import WebServer
from kommunetest.sandbox.websites import GeneratedSite, generate_nation, sites_for_server
from kommunetest.scenarios import load_project_scenarios
from kommunetest.settings import Settings, load_settings
from kommunetest.store import Store

pytestmark = pytest.mark.timeout(240)

YEAR = 2027  # the round starts 2027-02-01: the fee tables' current year
SIM = ["1149", "4649", "4207", "1579"]  # classic, acos (nynorsk), sitecore, enonic; JavaScript in each
HOSTILE = {"0301": "drip", "3203": "loop", "4601": "down", "5001": "robots"}
PNG = b"\x89PNG\r\n\x1a\n"
TOML = """[web]
host_delay_s = 0
request_timeout_s = 3
site_time_budget_s = 30
browser_pages = 4
"""


class Round:
    def __init__(self, settings: Settings, store: Store, sites: dict[str, GeneratedSite], resolver: dict,
                 urls: dict[str, str], hostile: HostileSites, port: int, summary: WebCheckSummary) -> None:  # fmt: skip
        self.settings, self.store, self.sites, self.resolver, self.urls = (
            settings,
            store,
            sites,
            resolver,
            urls,
        )
        self.hostile, self.port, self.summary = hostile, port, summary

    def obs(self, round_name: str = "r", key: str | None = None) -> list[dict[str, Any]]:
        rows = self.store.observations(round_name, kind="web_item")
        return [o for o in rows if key is None or o["key"] == key]


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory):
    if chromium_unavailable():
        pytest.skip(chromium_unavailable() or "")
    project = tmp_path_factory.mktemp("webcheck")
    (project / "kommunetest.toml").write_text(TOML)
    settings = load_settings(project)
    store = Store.open(settings)
    register = load_register(register_path(settings))
    items = load_project_scenarios(settings).by_channel("web")
    sites = generate_nation(register, items, seed=0, only=SIM, year=YEAR)
    plan_web_round(store, settings, "r", [*SIM, *HOSTILE])
    with WebServer(sites_for_server(sites)) as server, HostileSites() as hostile:
        resolver = {**server.resolver_map(), **hostile.resolver_map()}
        urls = {**sim_site_urls(SIM), **{k: hostile.trap(t).url for k, t in HOSTILE.items()}}
        summary = check_round(settings, store, "r", resolver=resolver, site_urls=urls)
        yield Round(settings, store, sites, resolver, urls, hostile, server.port, summary)
    store.close()


def _key(kind: str, value: Any) -> tuple:
    if kind == "opening_hours":
        return kind, value["from"], value["to"], tuple(value["days"] or ())
    if kind in ("processing_time", "complaint_deadline"):
        return kind, value["amount"], value["unit"]
    if kind == "price":
        return kind, float(value["nok"]), value.get("per")
    return kind, str(value)


def test_grades_equal_the_ground_truth(checked: Round) -> None:
    wrong = []
    for o in checked.obs(key="desktop"):
        site = checked.sites.get(o["kommunenummer"])
        if site is None:
            continue
        truth = site.truth.items[o["scenario_id"]]
        if truth.applicable and truth.grade != o["grade"]:
            wrong.append((o["kommunenummer"], o["scenario_id"], truth.mode, truth.grade, o["grade"]))
    assert not wrong
    assert sum(1 for o in checked.obs(key="desktop") if o["kommunenummer"] in SIM) == 4 * 24


def test_values_depth_and_how_found(checked: Round) -> None:
    compared = 0
    for o in checked.obs(key="desktop"):
        site = checked.sites.get(o["kommunenummer"])
        if site is None or o["grade"] != "complete":
            continue
        truth, value = site.truth.items[o["scenario_id"]], o["value"]
        assert value["found_via"] in ("links", "sitemap", "search") and value["elapsed_s"] >= 0
        if truth.fact_kind == "presence":
            assert value["terms"], o["probe_id"]
            continue
        found = {_key(f["kind"], f["value"]) for f in value["facts"]}
        for v in truth.values:
            assert _key(v.kind, v.value) in found, (o["probe_id"], v, found)
        if value["url"] == truth.url:
            assert value["depth"] == truth.depth, o["probe_id"]
            compared += 1
    assert compared > 30


def test_evidence_files_back_every_found_item(checked: Round) -> None:
    store = checked.store
    ev = store.round_evidence("r")
    by_obs: dict[int, list[dict]] = {}
    for e in ev:
        by_obs.setdefault(e["observation_id"], []).append(e)
    shots = 0
    for o in checked.obs():
        if o["grade"] in (None, "absent"):
            continue
        rows = by_obs.get(o["id"], [])
        if o["key"] == "desktop":
            page = [e for e in rows if e["kind"] in ("html", "pdf")]
            assert page, o["probe_id"]
            assert all(
                store.verify_evidence(e) and e["meta"]["url"] and e["meta"]["fetched_at"] for e in page
            )
            data = store.evidence_path(page[0]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == page[0]["sha256"]
        if not o["value"]["in_pdf"]:
            pngs = [e for e in rows if e["kind"] == "screenshot"]
            assert pngs, (o["probe_id"], o["key"])
            for e in pngs:
                data = store.evidence_path(e).read_bytes()
                assert data.startswith(PNG) and len(data) > 3_000 and store.verify_evidence(e)
                assert e["meta"]["key"] == o["key"] and e["meta"]["page_sha256"]
                shots += 1
    assert shots == checked.summary.screenshots


def test_mobile_observations_and_the_javascript_only_facts(checked: Round) -> None:
    desktop = {o["probe_id"]: o for o in checked.obs(key="desktop")}
    mobile = {o["probe_id"]: o for o in checked.obs(key="mobile")}
    assert set(mobile) == set(desktop)
    for pid, m in mobile.items():
        if m["kommunenummer"] in SIM:
            assert m["grade"] == desktop[pid]["grade"], pid  # nothing is hidden on the simulated phones
            assert m["value"]["viewport"] == {"width": 390, "height": 844} and m["value"]["mobile"]["checked"]
    js = [(k, i) for k, s in checked.sites.items() for i in s.truth.items.values() if i.needs_js]
    assert len(js) == 8
    for knr, item in js:
        o = desktop[f"r:{knr}:{item.item_id}"]
        assert o["grade"] == "complete" and o["value"]["rendered"], o["probe_id"]


def test_without_the_browser_the_javascript_only_fact_is_not_found(checked: Round) -> None:
    knr = "4207"
    plan_web_round(checked.store, checked.settings, "r-http", [knr])
    summary = check_round(checked.settings, checked.store, "r-http", resolver=checked.resolver,
                          site_urls=checked.urls, browser=False)  # fmt: skip
    assert summary.browser == "off" and summary.visits == 0
    rows = {o["scenario_id"]: o for o in checked.obs("r-http")}
    assert all(o["key"] == "desktop" for o in rows.values())  # no browser: the phone was not observed
    assert rows["web-servicetorg-apningstider"]["grade"] == "absent"  # only a script shows the desk's hours
    assert rows["web-chat"]["grade"] == "absent"
    assert rows["web-kontakt-telefon"]["grade"] == "complete"


def test_accessibility_counts_and_digital_services(checked: Round) -> None:
    sites = {s["kommunenummer"]: s for s in checked.store.web_sites("r")}
    service_of = {"web-chat": "chat", "web-min-side": "min_side"}
    for knr, site in checked.sites.items():
        row = sites[knr]
        assert row["status"] == "ok" and row["pages"] > 20
        axe = row["axe"]
        assert set(IMPACTS) <= set(axe["front"]) and axe["scanned"] >= 3
        assert axe["front"]["standard"] == "WCAG 2.1 A/AA" and axe["front"]["axe"]
        pages = [c for c in axe["pages"].values() if "error" not in c]
        assert axe["total"] == {
            k: sum(c[k] for c in pages) for k in IMPACTS
        }  # violations found: see test_web_browser
        for item_id, service in service_of.items():
            expected = site.truth.items[item_id].grade == "complete"
            assert row["services"][service]["found"] == expected, (knr, service)
        assert row["services"]["public_records"]["found"] == (
            site.truth.items["web-postliste-innsyn"].grade != "absent"
        )
        assert row["services"]["e_forms"]["found"] or site.truth.items["web-e-skjema"].grade == "absent"
    desktop = [o for o in checked.obs(key="desktop") if o["grade"] == "complete" and not o["value"]["in_pdf"]]
    assert all(set(IMPACTS) <= set(o["value"]["axe"]) for o in desktop)


def test_hostile_sites_end_with_clear_statuses(checked: Round) -> None:
    sites = {s["kommunenummer"]: s for s in checked.store.web_sites("r")}
    for knr, trap in HOSTILE.items():
        expect = checked.hostile.trap(trap).expect
        assert sites[knr]["status"] == expect, (knr, sites[knr]["status"], sites[knr]["error"])
        for o in checked.obs():
            if o["kommunenummer"] == knr:
                assert o["grade"] is None and o["value"]["site_status"] == expect
    assert checked.summary.statuses()["ok"] == len(SIM)


def test_a_second_run_adds_nothing(checked: Round) -> None:
    store = checked.store
    before_obs = len(store.observations("r"))
    before_ev = len(store.round_evidence("r"))
    grades = {(o["probe_id"], o["key"]): o["grade"] for o in checked.obs()}
    again = check_round(checked.settings, store, "r", municipalities=["4649", "0301"],
                        resolver=checked.resolver, site_urls=checked.urls)  # fmt: skip
    # 4649 was checked (ok, every item on both viewports): skipped. 0301 failed (a drip): tried again.
    assert again.skipped == 1 and [s.kommunenummer for s in again.sites] == ["0301"]
    assert "1 checked already, skipped" in again.lines()[0]
    assert again.evidence == 0 and again.screenshots == 0
    forced = check_round(checked.settings, store, "r", municipalities=["4649"], resolver=checked.resolver,
                         site_urls=checked.urls, recheck=True)  # fmt: skip
    assert forced.skipped == 0 and [s.kommunenummer for s in forced.sites] == ["4649"] and forced.pages > 0
    assert forced.evidence == 0  # the same pages: the same files
    assert len(store.observations("r")) == before_obs and len(store.round_evidence("r")) == before_ev
    assert {(o["probe_id"], o["key"]): o["grade"] for o in checked.obs()} == grades


def test_the_command_line(checked: Round, kt) -> None:
    project = str(checked.settings.project_dir)
    plan_web_round(checked.store, checked.settings, "r-cli", ["1579"])
    sim = ["--resolve", f"*.sim.kommunetest.test=127.0.0.1:{checked.port}"]
    res = kt("--project", project, "web", "check", "--round", "r-cli", "--sim-sites", "--no-browser", *sim)
    assert res.exit_code == 0, res.output
    assert "sites: ok 1, failed 0" in res.stdout and "pages/s" in res.stdout and "1/1 sites" in res.stderr
    real = kt("--project", project, "web", "check", "--round", "r-cli", "--no-browser", *sim)
    assert real.exit_code == 0 and "refused_not_loopback 1" in real.stdout  # the register's real website
    live = kt("--project", project, "web", "check", "--round", "r-cli", "--live")
    assert live.exit_code != 0 and "web.live" in live.output
    bad = kt("--project", project, "web", "check", "--round", "r-cli", "--resolve", "www.x.test")
    assert bad.exit_code != 0 and "HOST=IP:PORT" in bad.output
