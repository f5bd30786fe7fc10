"""The phone app under a national round: every phone probe of a census round (714 with the default bank)
recorded by simulated testers working at the same time through the real app over HTTP, on loopback.

Prints, per store and number of testers: entries per second, and the latency of the three things a tester
does (open the list, open a call, save a call) at the median, 95th percentile and worst. The target is
interactive use: a save well under a second with a whole team at work. Run:

    .venv/bin/python bench/phone_app.py [--testers 6 30] [--postgres]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from kommunetest.register import load_register, register_path
from kommunetest.rounds import Sample, plan_round, save_plan
from kommunetest.sandbox.phone_testers import evaluate_phone, rehearse_phone
from kommunetest.scenarios import load_scenarios, scenarios_pattern
from kommunetest.settings import load_settings
from kommunetest.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(testers: int, database_url: str | None, results: Path) -> None:
    env = {"KOMMUNETEST_PROJECT_RESULTS_DIR": str(results)}
    if database_url:
        env["KOMMUNETEST_STORE_DATABASE_URL"] = database_url
    settings = load_settings(ROOT, env=env)
    register = load_register(register_path(settings))
    bank = load_scenarios(*scenarios_pattern(settings))
    store = Store.open(settings)
    name = f"bench-{testers}"
    start = date(2026, 3, 2)
    t0 = time.perf_counter()
    plan = plan_round(name, register, bank, settings, start=start, weeks=6, sample=Sample("census"))
    save_plan(store, name, plan, start=start, weeks=6, seed=1, sample=Sample("census"), settings=settings)
    planned = time.perf_counter() - t0
    r = rehearse_phone(settings, store, bank, name, testers=testers, echo=lambda _: None)
    lines = evaluate_phone(store, name, r)
    backend = store.dialect
    print(f"{backend}, {testers} testers: {r.entries} entries for {r.calls} calls in {r.seconds:.1f} s "
          f"= {r.entries / r.seconds:.0f} entries/s (round planned in {planned:.1f} s)")  # fmt: skip
    for action, values in r.latencies.items():
        ms = [v * 1000 for v in values]
        print(f"  {action:<5} n={len(ms):>4}  median {statistics.median(ms):6.1f} ms  "
              f"p95 {_pct(ms, 0.95):6.1f} ms  max {max(ms):6.1f} ms")  # fmt: skip
    print("  " + lines[1])
    store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--testers", type=int, nargs="+", default=[6, 30])
    ap.add_argument("--postgres", action="store_true", help="Also on a PostgreSQL server on loopback.")
    args = ap.parse_args()
    for n in args.testers:
        with tempfile.TemporaryDirectory(prefix="kt-bench-phone-") as tmp:
            run(n, None, Path(tmp))
    if args.postgres:
        from kommunetest.sandbox.postgres import PostgresServer

        with tempfile.TemporaryDirectory(prefix="kt-bench-pg-") as tmp, PostgresServer() as pg:
            for n in args.testers:
                run(n, pg.create_database(f"bench_phone_{n}"), Path(tmp) / f"results-{n}")


if __name__ == "__main__":
    main()
