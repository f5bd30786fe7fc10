"""Downloads: the results as CSV, XLSX (openpyxl) and JSON, one record per municipality in rank order.

The three files hold the same records and columns. Kommunenummer stays text ("0301"), scores are the
published whole numbers (`total_exact` keeps two decimals), missing values are empty (CSV, XLSX) or null (JSON).
"""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from kommunetest.report.text import gettext as _
from kommunetest.scenarios import SECTOR_LABELS, SECTORS

COLUMNS: list[str] = [
    "kommunenummer", "name", "name_alt", "county_number", "county", "population", "size_class", "small",
    "rank", "total", "total_exact", "web", "email", "phone", *[f"sector_{s}" for s in SECTORS],
    "county_rank", "size_class_rank", "rank_low", "rank_high", "band", "score_low", "score_high",
    "ranked", "reason", "passed", "coverage", "planned", "observed", "n_web", "n_email", "n_phone",
    "previous_total", "previous_rank", "change_total", "change_rank", "change_note", "corrections", "website",
    "page",
]  # fmt: skip


def column_help() -> dict[str, str]:
    """What each column means (the XLSX's second sheet and data/run.json)."""
    out = {
        "kommunenummer": _("Municipality number (4 digits)"),
        "name": _("Name as in the register"),
        "name_alt": _("Name in Sámi or Kven, where the municipality has one"),
        "county_number": _("County number"),
        "county": _("County"),
        "population": _("Inhabitants"),
        "size_class": _("Size class by inhabitants"),
        "small": _("Under the small-municipality limit (testers may be recognised)"),
        "rank": _("National rank (ties share a rank: 1, 1, 3)"),
        "total": _("Total score, rounded (0–100)"),
        "total_exact": _("Total score with two decimals"),
        "web": _("Web score"),
        "email": _("E-mail score"),
        "phone": _("Phone score"),
        "county_rank": _("Rank within the county"),
        "size_class_rank": _("Rank within the size class"),
        "rank_low": _("Best plausible rank (bootstrap interval)"),
        "rank_high": _("Worst plausible rank (bootstrap interval)"),
        "band": _("Statistically tied band (same number: cannot be told apart)"),
        "score_low": _("Lower end of the score interval"),
        "score_high": _("Upper end of the score interval"),
        "ranked": _("Ranked (enough of the planned probes observed)"),
        "reason": _("Why not ranked"),
        "passed": _("At or above the pass mark"),
        "coverage": _("Share of planned probes observed (0–1)"),
        "planned": _("Probes planned"),
        "observed": _("Probes observed"),
        "n_web": _("Web probes observed"),
        "n_email": _("E-mail probes observed"),
        "n_phone": _("Phone probes observed"),
        "previous_total": _("Total score in the previous round"),
        "previous_rank": _("Rank in the previous round"),
        "change_total": _("Change in total score since the previous round"),
        "change_rank": _("Places moved up since the previous round (negative: down)"),
        "change_note": _("Why the change is not directly comparable, if it is not"),
        "corrections": _("Corrections accepted after the municipality's input"),
        "website": _("Website"),
        "page": _("The municipality's page in this report"),
    }
    for s in SECTORS:
        out[f"sector_{s}"] = _("Sector score: {sector}", sector=SECTOR_LABELS[s])
    return out


def export_record(r: dict[str, Any]) -> dict[str, Any]:
    """A record with exactly COLUMNS, in that order."""
    return {c: r.get(c) for c in COLUMNS}


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def csv_text(records: list[dict[str, Any]]) -> str:
    buf = StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in records:
        w.writerow([_csv_value(v) for v in export_record(r).values()])
    return buf.getvalue()


def json_text(records: list[dict[str, Any]]) -> str:
    return json.dumps([export_record(r) for r in records], ensure_ascii=False, indent=1) + "\n"


def write_xlsx(records: list[dict[str, Any]], path: Path, about: dict[str, Any]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Results"))
    bold = Font(bold=True)
    header = []
    for c in COLUMNS:
        cell = WriteOnlyCell(ws, value=c)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    ws.freeze_panes = "C2"
    for r in records:
        ws.append(list(export_record(r).values()))
    info = wb.create_sheet(_("About"))
    for k, v in about.items():
        info.append(
            [k, v if isinstance(v, str | int | float) or v is None else json.dumps(v, ensure_ascii=False)]
        )
    info.append([])
    for k, v in column_help().items():
        info.append([k, v])
    wb.save(path)


def write_exports(records: list[dict[str, Any]], data_dir: Path, about: dict[str, Any], *,
                  stem: str = "results") -> list[Path]:  # fmt: skip
    """Write `stem`.csv/.xlsx/.json (and run.json with `about` and the column help) into `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    paths = [
        data_dir / f"{stem}.csv",
        data_dir / f"{stem}.json",
        data_dir / f"{stem}.xlsx",
        data_dir / "run.json",
    ]
    paths[0].write_text(csv_text(records), encoding="utf-8")
    paths[1].write_text(json_text(records), encoding="utf-8")
    write_xlsx(records, paths[2], about)
    paths[3].write_text(
        json.dumps({**about, "columns": column_help()}, ensure_ascii=False, indent=1, default=str) + "\n",
        encoding="utf-8",
    )
    return paths
