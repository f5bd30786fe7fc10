"""The rehearsal's web channel: serve the simulated nation on loopback, check it, and compare with its truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from kommunetest.register import Register
from kommunetest.scenarios import QuestionBank
from kommunetest.settings import Settings
from kommunetest.store import Store

Echo = Callable[[str], None]


KINDS = ("opening_hours", "processing_time", "complaint_deadline", "price", "phone", "email")


def fact_key(kind: str, value: Any) -> tuple[Any, ...]:
    """What must agree for a recorded fact to count as the true one (the DESIGN.md fact shapes)."""
    if kind == "opening_hours":
        return kind, value["from"], value["to"], tuple(value.get("days") or ())
    if kind in ("processing_time", "complaint_deadline"):
        return kind, value["amount"], value["unit"]
    if kind == "price":
        return kind, float(value["nok"]), value.get("per")
    return kind, str(value).lower()


def truth_of(sites: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The generated sites' ground truth as plain data: kommunenummer -> item id -> truth."""
    return {k: {i: t.to_dict() for i, t in s.truth.items.items()} for k, s in sites.items()}


def evaluate_web(
    store: Store, round_name: str, truth: dict[str, dict[str, Any]], *, js: bool
) -> dict[str, Any]:
    """Item-grade accuracy (applicable items; with `js` false, items only a browser shows are left out) and
    precision/recall of the recorded values per fact kind, from the desktop observations."""
    confusion: Counter[tuple[str, str]] = Counter()
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for o in store.observations(round_name, kind="web_item"):
        if o["key"] != "desktop" or o["kommunenummer"] not in truth:
            continue
        t = truth[o["kommunenummer"]][o["scenario_id"]]
        if not t["applicable"] or (t["needs_js"] and not js):
            continue
        confusion[(t["grade"], o["grade"] or "none")] += 1
        want = {fact_key(v["kind"], v["value"]) for v in t["values"] if v["kind"] in KINDS}
        got = {fact_key(f["kind"], f["value"]) for f in (o["value"] or {}).get("facts", [])}
        for k in KINDS:
            w = {x for x in want if x[0] == k}
            g = {x for x in got if x[0] == k}
            tp[k] += len(w & g)
            fp[k] += len(g - w)
            fn[k] += len(w - g)
    total = sum(confusion.values())
    right = sum(n for (a, b), n in confusion.items() if a == b)
    return {"items": total, "accuracy": right / total if total else 0.0, "confusion": confusion,
            "tp": tp, "fp": fp, "fn": fn}  # fmt: skip


def evaluation_lines(ev: dict[str, Any]) -> list[str]:
    lines = [f"item-grade accuracy: {ev['accuracy']:.4f} ({ev['items']} items)"]
    wrong = Counter({k: n for k, n in ev["confusion"].items() if k[0] != k[1]})
    if wrong:
        lines.append(
            "disagreements (truth -> ours): "
            + ", ".join(f"{a}->{b} {n}" for (a, b), n in wrong.most_common())
        )
    lines.append(f"{'fact kind':<20}{'tp':>6}{'fp':>6}{'fn':>6}{'precision':>11}{'recall':>8}")
    for k in KINDS:
        t, f, n = ev["tp"][k], ev["fp"][k], ev["fn"][k]
        p = t / (t + f) if t + f else 1.0
        r = t / (t + n) if t + n else 1.0
        lines.append(f"{k:<20}{t:>6}{f:>6}{n:>6}{p:>11.3f}{r:>8.3f}")
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
                               site_urls=urls, browser=True, year=year, recheck=True)  # fmt: skip
            for line in full.lines():
                echo(line)
    truth = truth_of(sites)
    out = ["web against the simulation's ground truth, HTTP only (items only a browser shows left out):"]
    out += ["  " + line for line in evaluation_lines(evaluate_web(store, round_name, truth, js=False))]
    if browser and browser_sample:
        sampled = {k: truth[k] for k in sample}
        out.append(
            f"web against the ground truth, the {len(sample)} municipalities also checked in Chromium:"
        )
        out += ["  " + line for line in evaluation_lines(evaluate_web(store, round_name, sampled, js=True))]
    return out
