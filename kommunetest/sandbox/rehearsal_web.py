"""The rehearsal's web channel: serve the simulated nation on loopback, check it, and compare with its truth."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from kommunetest.register import Register
from kommunetest.scenarios import QuestionBank
from kommunetest.settings import Settings
from kommunetest.store import Store

Echo = Callable[[str], None]


def _value_key(kind: str, value: Any) -> Any:
    """What must agree for a found fact to count as the true one (the DESIGN.md fact shapes)."""
    if not isinstance(value, dict):
        return (kind, str(value).lower())
    if kind == "opening_hours":
        return (kind, value.get("from"), value.get("to"))
    if kind in ("processing_time", "complaint_deadline"):
        return (kind, value.get("amount"), value.get("unit"))
    if kind == "price":
        return (kind, value.get("nok"))
    return (kind, tuple(sorted(value.items())))


def evaluate_web(store: Store, round_name: str, sites: dict[str, Any]) -> list[str]:
    """Item-grade accuracy and fact precision/recall of the desktop observations against the ground truth."""
    probes = {p["id"]: p for p in store.probes(round_name, channel="web")}
    observed: dict[tuple[str, str], dict[str, Any]] = {}
    for o in store.observations(round_name, kind="web_item"):
        if o["key"] == "desktop":
            p = probes[o["probe_id"]]
            observed[(p["kommunenummer"], p["scenario_id"])] = o
    grades: Counter[tuple[str, str]] = Counter()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for knr, site in sites.items():
        for item in site.truth.items.values() if isinstance(site.truth.items, dict) else site.truth.items:
            if not item.applicable:
                continue
            o = observed.get((knr, item.item_id))
            if o is None or o["grade"] is None:
                continue
            grades[(item.grade, o["grade"])] += 1
            if item.fact_kind == "presence":
                continue
            truth = {_value_key(v.kind, v.value) for v in item.values}
            found = {
                _value_key(f["kind"], f["value"])
                for f in o["value"].get("facts", [])
                if f["kind"] == item.fact_kind
            }
            tp[item.fact_kind] += len(truth & found)
            fp[item.fact_kind] += len(found - truth)
            fn[item.fact_kind] += len(truth - found)
    n = sum(grades.values())
    right = sum(c for (e, g), c in grades.items() if e == g)
    lines = [
        "web against the simulation's ground truth:",
        f"  item grades right: {right}/{n} ({right / n:.1%})" if n else "  no items observed",
    ]
    for kind in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 1.0
        r = tp[kind] / (tp[kind] + fn[kind]) if tp[kind] + fn[kind] else 1.0
        lines.append(f"  {kind:<19} precision {p:.3f}  recall {r:.3f}  (true {tp[kind] + fn[kind]})")
    confusion = defaultdict(dict)
    for (e, g), c in grades.items():
        confusion[e][g] = c
    for e in sorted(confusion):
        lines.append(f"  truth {e:<12} -> " + ", ".join(f"{g} {c}" for g, c in sorted(confusion[e].items())))
    return lines


BROWSER_SAMPLE = 12  # municipalities whose pages the rehearsal also opens in Chromium (it costs ~10 s each)


def check_simulated_nation(settings: Settings, store: Store, round_name: str, register: Register,
                           bank: QuestionBank, knrs: list[str], *, browser: bool, echo: Echo,
                           browser_sample: int = BROWSER_SAMPLE) -> list[str]:  # fmt: skip
    """Serve one simulated website per municipality (in its own process), run `web check` over them over HTTP,
    then with Chromium (JavaScript pages, mobile view, highlighted screenshots, accessibility) for an evenly
    spread sample, and evaluate against the ground truth."""
    from kommunetest.channels.web.check import check_round
    from kommunetest.sandbox.webround import NationServer, sim_site_urls
    from kommunetest.sandbox.websites import generate_nation

    year = store.get_round(round_name)["start_date"].year
    seed = settings.rounds.seed
    only = None if len(knrs) == len(register) else knrs
    sites = generate_nation(register, bank.by_channel("web"), seed=seed, year=year, only=only)
    urls = sim_site_urls(knrs)
    with NationServer(seed=seed, year=year, only=only).start() as nation:
        echo(f"simulated nation: {len(sites)} websites, {sum(len(s.pages) for s in sites.values())} pages, "
             f"served on 127.0.0.1:{nation.port}")  # fmt: skip
        resolver = nation.resolver_map(knrs)
        summary = check_round(
            settings, store, round_name, resolver=resolver, site_urls=urls, browser=False, year=year
        )
        for line in summary.lines():
            echo(line)
        if browser and browser_sample:
            step = max(1, len(knrs) // browser_sample)
            sample = knrs[::step][:browser_sample]
            echo(f"Chromium: JavaScript pages, mobile view, screenshots and accessibility for {len(sample)} "
                 f"municipalities ({', '.join(sample)})")  # fmt: skip
            full = check_round(settings, store, round_name, municipalities=sample, resolver=resolver,
                               site_urls=urls, browser=True, year=year)  # fmt: skip
            for line in full.lines():
                echo(line)
    return evaluate_web(store, round_name, sites)
