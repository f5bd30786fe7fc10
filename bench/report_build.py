"""Time building the whole report for a synthetic round of all 357 municipalities with 50 probes each
(target < 15 s).

The round (observations of every channel, e-mail replies as .eml evidence, screenshots) is written first with
`kommunetest.sandbox.synthetic` (setup, not timed). Timed: `build_report` as `kommunetest report build` runs it,
first on a round without a score run (so it scores and bootstraps first), then again on the stored run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from kommunetest.report import build_report
from kommunetest.sandbox.synthetic import build_synthetic_round
from kommunetest.settings import load_settings
from kommunetest.store import Store

WEB, EMAIL, PHONE = 38, 7, 5  # probes per municipality by channel: 50 in all (as bench/report_scoring.py)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--keep", type=Path, help="Build into this directory and keep it (default: a temporary one)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = args.keep or Path(tmp)
        settings = load_settings(project)
        store = Store.open(settings)
        t0 = time.perf_counter()
        syn = build_synthetic_round(store, settings, "bench", web=WEB, email=EMAIL, phone=PHONE)
        t1, c1 = time.perf_counter(), time.process_time()
        first = build_report(store, settings, "bench", project / "reports" / "bench")
        t2, c2 = time.perf_counter(), time.process_time()
        again = build_report(store, settings, "bench", project / "reports" / "bench")
        t3, c3 = time.perf_counter(), time.process_time()
        store.close()
    print(f"municipalities: {syn.municipalities}, probes: {syn.probes}, observations: {syn.observations}, "
          f"evidence rows: {syn.evidence}")  # fmt: skip
    print(f"write synthetic round (setup): {t1 - t0:.2f} s")
    print(f"pages: {first.pages}, evidence files copied: {first.evidence_files}")
    # CPU time too: on a shared machine the wall clock also counts other processes' work.
    print(f"build report, scoring first (1,000 bootstrap resamples): {t2 - t1:.2f} s (target < 15 s; "
          f"CPU {c2 - c1:.2f} s)")  # fmt: skip
    print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in first.timings.items()))
    print(f"build report again on the stored score run: {t3 - t2:.2f} s (CPU {c3 - c2:.2f} s)")
    print("  " + ", ".join(f"{k} {v:.2f} s" for k, v in again.timings.items()))


if __name__ == "__main__":
    main()
