"""Time planning a census round of all 357 municipalities with the starter bank (target: under 5 s)."""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from kommunetest.register import load_register, register_path
from kommunetest.rounds import Sample, plan_round, save_plan
from kommunetest.scenarios import load_scenarios, scenarios_pattern
from kommunetest.settings import load_settings
from kommunetest.store import Store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp))
        t0 = time.perf_counter()
        register = load_register(register_path(settings))
        bank = load_scenarios(*scenarios_pattern(settings))
        t1 = time.perf_counter()
        plan = plan_round(
            "bench", register, bank, settings, start=date(2027, 2, 1), weeks=6, sample=Sample("census")
        )
        t2 = time.perf_counter()
        store = Store.open(settings)
        n = save_plan(store, "bench", plan, start=date(2027, 2, 1), weeks=6, seed=settings.rounds.seed,
                      sample=Sample("census"), settings=settings)  # fmt: skip
        t3 = time.perf_counter()
        store.close()
    print(f"municipalities: {len(plan.municipalities)}, probes: {n} "
          f"(email {plan.count('email')}, phone {plan.count('phone')}, web {plan.count('web')})")  # fmt: skip
    print(f"load register + question bank: {t1 - t0:.3f} s")
    print(f"plan (sample, assign, schedule): {t2 - t1:.3f} s")
    print(f"store (SQLite, WAL): {t3 - t2:.3f} s")
    print(f"total: {t3 - t0:.3f} s (target < 5 s)")


if __name__ == "__main__":
    main()
