#!/usr/bin/env python3
"""Build the repository's `municipalities.csv` from the collected sources in shared/data.

    python scripts/build_register.py --shared ../shared/data --out municipalities.csv

The sources and their known problems are described in shared/data/PROVENANCE.md. This script is
deterministic (same inputs, same bytes), so a test can rebuild the CSV and compare it with the committed one.
Choices it makes, each flagged in the row's `notes` where the data leaves doubt:

- name, name_alt (Sámi/Kven primary name), admin_centre, written_standard, population, area: aprestmo.
  The SSB file lost "š" (Kárášjohka), so no names are taken from it.
- website: tobiasmcvey is the newer source (domains updated 2026-01-05) and wins a disagreement, except
  where its domains are swapped between two municipalities (detected, not hard-coded); Haram is only in
  aprestmo. Neither source has a scheme: https:// is added. Nothing is resolved over the network.
- orgnr: SSB KLASS 1236 via the joined file, checked against the SSB file and the modulus-11 rule.
- email, phone: empty; `kommunetest register sync` fills them from Enhetsregisteret.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kommunetest.register import COLUMNS, check_orgnr, validate_register, write_register

WRITTEN_STANDARD = {"bokmål": "bokmål", "nynorsk": "nynorsk", "nøytral": "neutral"}
EXPECTED_ROWS = 357

# Known caveats the data cannot settle (PROVENANCE.md, "Known gaps and problems").
ORGNR_CAVEATS = {
    "1508": "orgnr: from pre-2024 Ålesund (1507), verify it is unchanged after the 2024 Haram split",
}


def read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def bare(host: str) -> str:
    return (
        host.strip().lower().removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
    )


def area(text: str) -> str:
    value = float(text)
    out = repr(value)
    return out[:-2] if out.endswith(".0") else out


def choose_website(
    knr: str, aprestmo: dict[str, dict[str, str]], tobias: dict[str, dict[str, str]]
) -> tuple[str, str | None]:
    """The website host for one municipality and the note explaining any doubt."""
    a = aprestmo[knr]["k_url"].strip()
    t_row = tobias.get(knr)
    if t_row is None:
        return a, f"website: only in aprestmo ({a}; tobiasmcvey has no row), verify"
    t = t_row["Domene"].strip()
    if bare(a) == bare(t):
        return t, None
    # Swapped pair: tobiasmcvey gives us another municipality's aprestmo domain, and gives that one ours.
    for other, row in aprestmo.items():
        if (
            other != knr
            and bare(row["k_url"]) == bare(t)
            and other in tobias
            and bare(tobias[other]["Domene"]) == bare(a)
        ):
            name = aprestmo[knr]["k_name_no"]
            return a, (
                f"website: tobiasmcvey has the domains of {name} and {row['k_name_no']} swapped;"
                f" used aprestmo ({a})"
            )
    return t, f"website: sources disagree ({a} / {t}); chose {t} (newer source), verify"


def build(shared: Path) -> list[dict[str, str]]:
    joined = read_csv(shared / "municipalities-source.csv")
    aprestmo = {r["k_id"]: r for r in read_csv(shared / "src-aprestmo-kommuner-2025.csv")}
    tobias = {r["Nr"]: r for r in read_csv(shared / "src-tobiasmcvey-kommuner.csv")}
    ssb = {r["sourceCode"]: r for r in read_csv(shared / "src-ssb-klass-1236-orgnr-kommune-2020.csv", ";")}
    ssb_numbers = {r["targetCode"] for r in ssb.values()}

    if len(joined) != EXPECTED_ROWS or {r["kommunenummer"] for r in joined} != set(aprestmo):
        raise SystemExit(f"expected the same {EXPECTED_ROWS} municipalities in the joined and aprestmo files")

    rows: list[dict[str, str]] = []
    for src in sorted(joined, key=lambda r: r["kommunenummer"]):
        knr = src["kommunenummer"]
        a = aprestmo[knr]
        t = tobias.get(knr)
        notes: list[str] = []

        name = a["k_name_no"]
        name_alt = a["k_name"] if a["k_name"] != a["k_name_no"] else ""
        if (src["kommunenavn"], src["kommunenavn_alt"]) != (name, name_alt):
            raise SystemExit(f"{knr}: names differ between the joined file and aprestmo")
        if src["fylkesnummer"] != knr[:2]:
            raise SystemExit(f"{knr}: county number {src['fylkesnummer']} does not match")

        admin_centre = a["k_adm_center"]
        if t and t["Adm. senter"] != admin_centre:
            notes.append(
                f"admin_centre: sources disagree ({admin_centre} / {t['Adm. senter']}); kept aprestmo, verify"
            )
        written = WRITTEN_STANDARD[a["k_language"].lower()]
        if t and WRITTEN_STANDARD[t["Målform"].lower()] != written:
            other = WRITTEN_STANDARD[t["Målform"].lower()]
            notes.append(f"written_standard: sources disagree ({written} / {other}); kept aprestmo, verify")

        host, website_note = choose_website(knr, aprestmo, tobias)
        if website_note:
            notes.append(website_note)

        orgnr = src["orgnr"]
        if orgnr:
            if orgnr not in ssb or check_orgnr(orgnr):
                raise SystemExit(f"{knr}: orgnr {orgnr} is not a valid number from the SSB table")
            if knr in ORGNR_CAVEATS:
                notes.append(ORGNR_CAVEATS[knr])
        elif knr not in ssb_numbers:
            notes.append("orgnr: missing, new municipality 2024 (not in SSB's 2020–2023 table)")
        else:
            notes.append("orgnr: missing")

        rows.append(
            {
                "kommunenummer": knr,
                "name": name,
                "name_alt": name_alt,
                "county_number": knr[:2],
                "county": src["fylke"],
                "admin_centre": admin_centre,
                "written_standard": written,
                "population": str(int(a["k_population"])),
                "area_km2": area(a["k_area"]) if a["k_area"] else "",
                "website": f"https://{host}",
                "email": "",
                "phone": "",
                "orgnr": orgnr,
                "notes": "; ".join(notes),
            }
        )
    if len({r["orgnr"] for r in rows if r["orgnr"]}) != sum(1 for r in rows if r["orgnr"]):
        raise SystemExit("duplicate orgnr")
    assert list(rows[0]) == list(COLUMNS)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"), help="folder of the sources")
    parser.add_argument("--out", type=Path, default=Path("municipalities.csv"), help="CSV to write")
    args = parser.parse_args(argv)
    rows = build(args.shared)
    write_register(rows, args.out)
    _, problems = validate_register(args.out)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return 1
    flagged = sum(1 for r in rows if r["notes"])
    print(f"wrote {args.out}: {len(rows)} municipalities, {flagged} with notes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
