"""The coordinator's download of every call entry: internal (notes, tester names), never published."""

from __future__ import annotations

import csv
import io

from kommunetest.channels.phone.calls import PhoneDesk

EXPORT_FIELDS = (
    "probe_id", "kommunenummer", "municipality", "scenario_id", "tester", "attempt", "revision", "outcome",
    "started_at", "number_dialled", "seconds_to_human", "menu_steps", "transfers", "total_wait_s",
    "case_officer_reached", "courtesy", "questions", "extra", "notes", "warnings", "reason", "entered_at",
)  # fmt: skip


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) is kept as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def entries_csv(desk: PhoneDesk, round_name: str) -> str:
    """Every revision of every entry of the round, for the coordinator's own checks (never published)."""
    calls = {c["id"]: c for c in desk.calls(round_name=round_name)}
    names = {t["id"]: t["username"] for t in desk.store.testers()}
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(EXPORT_FIELDS)
    for e in desk.store.phone_entries(list(calls)):
        c, d = calls[e["probe_id"]], e["data"]
        w.writerow([_cell(x) for x in [
            e["probe_id"], c["kommunenummer"], c["municipality"], c["scenario_id"], names.get(e["tester_id"], ""),
            e["attempt"], e["revision"], e["outcome"], d.get("started_at"), d.get("number_dialled"),
            d.get("seconds_to_human"), d.get("menu_steps"), d.get("transfers"), d.get("total_wait_s"),
            d.get("case_officer_reached"), d.get("courtesy"),
            " ".join(f"{k}={v}" for k, v in (d.get("questions") or {}).items()),
            " ".join(f"{k}={v}" for k, v in (d.get("extra") or {}).items() if v is not None),
            d.get("notes", ""), " | ".join(x.get("text", "") for x in d.get("warnings") or []),
            e["reason"] or "", e["created_at"].isoformat(),
        ]])  # fmt: skip
    return out.getvalue()
