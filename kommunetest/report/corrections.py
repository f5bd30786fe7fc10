"""Corrections agreed with a municipality during its correction window.

A correction records who decided (an organisation or role, never a persona), when and why; an accepted one
with a grade overlays the observation at scoring time (`kommunetest.scoring.apply_corrections`), while the
observation itself stays as recorded. The report shows accepted corrections where they apply.
"""

from __future__ import annotations

from typing import Any

from kommunetest.errors import NotFoundError, UsageError
from kommunetest.settings import Settings
from kommunetest.store import Store, probe_id

GRADES = {
    "web": ("complete", "partial", "pdf_or_deep", "absent"),
    "email": ("correct", "partial", "relevant", "none"),
    "phone": ("correct", "partial", "relevant", "none"),
}
KEYS = {"web": ("desktop", "mobile"), "email": ("result",), "phone": ("result",)}


def _persona_in(text: str, settings: Settings) -> str | None:
    low = text.casefold()
    for p in settings.email.personas:
        for term in (p.name, p.email):
            if term and term.casefold() in low:
                return term
    return None


def resolve_probe(store: Store, round_name: str, kommunenummer: str, probe: str) -> dict[str, Any]:
    """A probe given by its full id or by its scenario id within the municipality."""
    pid = probe if probe.count(":") >= 2 else probe_id(round_name, kommunenummer, probe)
    try:
        row = store.get_probe(pid)
    except NotFoundError:
        known = sorted(p["scenario_id"] for p in store.probes(round_name, kommunenummer=kommunenummer))
        raise NotFoundError(
            f"no probe {probe!r} for municipality {kommunenummer} in round {round_name!r}",
            hint=f"give a scenario id of its probes: {', '.join(known[:12])}{' ...' if len(known) > 12 else ''}",
        ) from None
    if row["round_name"] != round_name or row["kommunenummer"] != kommunenummer:
        raise UsageError(
            f"probe {pid!r} belongs to {row['round_name']}/{row['kommunenummer']}, not {round_name}/{kommunenummer}"
        )
    return row


def record_correction(
    store: Store,
    settings: Settings,
    round_name: str,
    kommunenummer: str,
    *,
    reason: str,
    by: str,
    probe: str | None = None,
    key: str | None = None,
    grade: str | None = None,
    status: str = "accepted",
) -> dict[str, Any]:
    """Validate and store a correction; returns the stored row (with `probe_id` resolved)."""
    store.get_round(round_name)
    knr = kommunenummer.strip().zfill(4)
    if knr not in {m["kommunenummer"] for m in store.round_municipalities(round_name)}:
        raise NotFoundError(f"municipality {kommunenummer!r} is not in round {round_name!r}")
    who = _persona_in(by, settings) or _persona_in(reason, settings)
    if who:
        raise UsageError(
            f"the correction names a persona ({who!r}); personas must never appear in the report",
            hint="give --by as the organisation or role that decided, e.g. 'Forbrukerrådet, prosjektleder', and "
            "leave persona details out of --reason",
        )
    pid = None
    if probe:
        row = resolve_probe(store, round_name, knr, probe)
        pid, channel = row["id"], row["channel"]
        if grade is not None and grade not in GRADES[channel]:
            raise UsageError(
                f"{grade!r} is not a {channel} grade", hint=f"use one of {', '.join(GRADES[channel])}"
            )
        if key is not None and key not in KEYS[channel]:
            raise UsageError(f"{key!r} is not an observation of a {channel} probe",
                             hint=f"use one of {', '.join(KEYS[channel])}")  # fmt: skip
    elif grade or key:
        raise UsageError("--grade and --key need --probe", hint="a correction without --probe is a remark")
    return store.add_correction(round_name, knr, reason=reason.strip(), author=by.strip(), probe_id=pid,
                                observation_key=key, grade=grade, status=status)  # fmt: skip
