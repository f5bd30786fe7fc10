"""Time scoring and ranking 357 municipalities × 50 probes with 1,000 bootstrap resamples (target < 5 s).

Synthetic observations of every channel are written through the store first (not timed against the target).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

from kommunetest.ranking import rank_result, results_records
from kommunetest.register import load_register, register_path
from kommunetest.rounds import METHOD_VERSION, municipality_row
from kommunetest.scenarios import SECTORS
from kommunetest.score_runs import run_scoring
from kommunetest.scoring import score_round
from kommunetest.scoring_model import load_model
from kommunetest.settings import load_settings
from kommunetest.store import Store

WEB, EMAIL, PHONE = 38, 7, 5  # probes per municipality by channel: 50 in all
WEB_GRADES = ["complete", "partial", "pdf_or_deep", "absent"]
QUALITY = ["correct", "partial", "relevant", "none"]
NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def build(store: Store, name: str, seed: int = 1) -> int:
    """A round of every municipality in the register with synthetic observations; returns probes written."""
    settings = load_settings(Path.cwd())
    register = load_register(register_path(settings))
    rng = np.random.default_rng(seed)
    store.create_round(name, start_date=date(2027, 2, 1), weeks=6, seed=seed, method_version=METHOD_VERSION,
                       sample={"kind": "census"}, scenario_ids=[], config={})  # fmt: skip
    store.add_round_municipalities(name, [municipality_row(m) for m in register.municipalities])
    probes = []
    for m in register.municipalities:
        for channel, n in (("web", WEB), ("email", EMAIL), ("phone", PHONE)):
            for i in range(n):
                sector = SECTORS[(i * 3 + len(channel)) % len(SECTORS)]
                probes.append({"round_name": name, "kommunenummer": m.kommunenummer,
                               "scenario_id": f"{channel}-{i:02d}", "channel": channel, "sector": sector})  # fmt: skip
    store.add_probes(probes)
    skill = {m.kommunenummer: rng.beta(4, 3) for m in register.municipalities}  # how good each one is
    for p in store.probes(name):
        good = skill[p["kommunenummer"]]
        level = lambda good=good: int(np.clip(rng.binomial(3, 1 - good), 0, 3))  # noqa: E731
        if p["channel"] == "web":
            for key in ("desktop", "mobile"):
                store.record_observation(p["id"], key, kind="web_item", grade=WEB_GRADES[level()],
                                         value={"site_status": "ok"}, observed_at=NOW, source="bench")  # fmt: skip
        elif p["channel"] == "email":
            days = float(rng.exponential(4 * (1.2 - good)))
            answered = rng.random() < 0.9
            store.record_observation(p["id"], "result", kind="email_result",
                                     grade=QUALITY[level()] if answered else "none",
                                     value={"answer_days": days if answered else None, "interim": False,
                                            "quality_confirmed": True, "closed_unanswered": not answered},
                                     observed_at=NOW, source="bench")  # fmt: skip
        else:
            reached = rng.random() < 0.92
            store.record_observation(p["id"], "result", kind="phone_call", grade=QUALITY[level()] if reached else "none",
                                     value={"reached": reached, "courtesy": 3 - level() if reached else None,
                                            "answered_within_15s": bool(rng.random() < good),
                                            "officer_within_60s": bool(rng.random() < good)},
                                     observed_at=NOW, source="bench")  # fmt: skip
    return len(probes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.connect(None, Path(tmp))
        t0 = time.perf_counter()
        n = build(store, "bench")
        t1 = time.perf_counter()
        model = load_model()
        result = score_round(store, "bench", model)
        t2 = time.perf_counter()
        ranked = rank_result(result, resamples=args.resamples)
        t3 = time.perf_counter()
        records = results_records(ranked)
        t4 = time.perf_counter()
        run = run_scoring(store, "bench", model, resamples=args.resamples)
        t5 = time.perf_counter()
        store.close()
    ranked_n = sum(r["ranked"] for r in records)
    print(f"municipalities: {len(records)} ({ranked_n} ranked), probes: {n}, "
          f"bootstrap resamples: {args.resamples}")  # fmt: skip
    print(f"write synthetic observations (setup): {t1 - t0:.2f} s")
    print(f"load + score (probes, channels, sectors, totals): {t2 - t1:.3f} s")
    print(f"bootstrap + rank (national, county, size class, bands): {t3 - t2:.3f} s")
    print(f"results records: {t4 - t3:.3f} s")
    print(f"total scoring + ranking: {t4 - t1:.3f} s (target < 5 s)")
    print(f"full `kommunetest score` run incl. storing the run (run {run.run_id}): {t5 - t4:.3f} s")


if __name__ == "__main__":
    main()
