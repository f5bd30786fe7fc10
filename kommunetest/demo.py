"""The rehearsal: a complete round over every municipality on the embedded defaults, on loopback only.

Each stage is a function of the round so far; a stage whose channel is not built or not available says so
and the rehearsal goes on.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from kommunetest.register import load_register, register_path
from kommunetest.rounds import Sample, plan_round, round_status, save_plan
from kommunetest.scenarios import load_scenarios, scenarios_pattern
from kommunetest.settings import Settings, load_settings
from kommunetest.store import Store

DEMO_ROUND = "demo"


@dataclass
class DemoResult:
    project_dir: Path
    database: str
    round_name: str
    lines: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def next_monday(today: date | None = None) -> date:
    today = today or date.today()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def run_demo(
    out_dir: Path, *, start: date | None = None, weeks: int = 6, echo: Callable[[str], None] = print
) -> DemoResult:
    """Run the rehearsal into `out_dir` (emptied first: a rehearsal always starts clean)."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    settings: Settings = load_settings(out_dir, flags={"project.results_dir": "."})
    # The demo project has no register or scenarios of its own: the repository's embedded defaults are used.
    start = start or next_monday()
    result = DemoResult(out_dir, "", DEMO_ROUND)

    t0 = time.perf_counter()
    register = load_register(register_path(settings))
    pattern, base = scenarios_pattern(settings)
    bank = load_scenarios(pattern, base)
    echo(f"register: {len(register)} municipalities; question bank: {len(bank)} scenarios")
    store = Store.open(settings)
    result.database = store.url
    plan = plan_round(DEMO_ROUND, register, bank, settings, start=start, weeks=weeks, sample=Sample("census"))
    save_plan(store, DEMO_ROUND, plan, start=start, weeks=weeks, seed=settings.rounds.seed,
              sample=Sample("census"), settings=settings)  # fmt: skip
    result.timings["plan"] = time.perf_counter() - t0
    st = round_status(store, DEMO_ROUND)
    echo(
        f"round {DEMO_ROUND}: {st['municipalities']} municipalities from {start} over {weeks} weeks, "
        + ", ".join(f"{c} {sum(v.values())}" for c, v in st["channels"].items())
        + f" probes ({result.timings['plan']:.1f} s)"
    )
    for w in plan.warnings:
        echo(f"warning: {w}")
    store.close()
    return result
