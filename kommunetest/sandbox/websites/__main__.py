"""Write (and optionally serve) a simulated nation of municipal websites:

    python -m kommunetest.sandbox.websites --out sites/ [--seed 0] [--year 2026] [--only 0301,4601]
    python -m kommunetest.sandbox.webserver --root sites/ --port 8080

Prints how long generation took, the size of the pages and the distribution of expected grades.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from kommunetest.register import load_register, register_path
from kommunetest.sandbox.webserver import Response
from kommunetest.sandbox.websites.generator import generate_nation, write_sites
from kommunetest.scenarios import load_project_scenarios
from kommunetest.settings import load_settings


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Generate simulated municipal websites with their ground truth.")
    ap.add_argument("--out", type=Path, help="write a directory per host (and <host>.truth.json) here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--year", type=int, default=None, help="the fee tables' current year (default: this year)"
    )
    ap.add_argument("--only", default=None, help="comma-separated kommunenummer")
    args = ap.parse_args(argv)
    settings = load_settings()
    register = load_register(register_path(settings))
    items = load_project_scenarios(settings).by_channel("web")
    only = args.only.split(",") if args.only else None
    t0 = time.perf_counter()
    sites = generate_nation(register, items, seed=args.seed, only=only, year=args.year)
    seconds = time.perf_counter() - t0
    pages = sum(s.truth.pages for s in sites.values())
    size = sum(len(r.body) for s in sites.values() for r in s.pages.values() if isinstance(r, Response))
    grades = Counter(i.grade for s in sites.values() for i in s.truth.items.values())
    total = sum(grades.values()) or 1
    print(f"{len(sites)} sites, {pages} pages, {size / 1e6:.1f} MB, generated in {seconds:.1f} s")
    print(
        "expected grades: " + ", ".join(f"{g} {n} ({100 * n / total:.0f} %)" for g, n in grades.most_common())
    )
    if args.out:
        write_sites(sites, args.out)
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()
