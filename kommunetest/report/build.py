"""Build the static report of a round (`kommunetest report build`) or one municipality's draft (`--preview`).

Output layout (all links relative, so the directory works from disk and can be copied anywhere):

    index.html            the national ranking (sortable, filterable, searchable)
    fylker.html           counties and size classes; fylke/*.html and storrelse/*.html: their lists
    kommune/KNR.html      one page per municipality, with every probe and its evidence
    metode.html           the method, generated from the scoring model and the question bank
    figurer.html          the charts (charts/*.svg)
    data/results.csv|xlsx|json, data/run.json
    evidence/ab/SHA.png   screenshots (raw e-mails and HTML snapshots are never published)
    static/style.css, static/report.js

Before it finishes, the build reads every file it wrote and fails if a persona's name or e-mail address
appears anywhere: nothing that identifies our testers may be published.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from kommunetest.errors import KommunetestError, UsageError
from kommunetest.i18n import format_date
from kommunetest.register import SIZE_CLASS_LABELS_NB
from kommunetest.report import pages
from kommunetest.report.charts import render_charts
from kommunetest.report.data import ReportData, load_report_data
from kommunetest.report.exports import csv_text, export_record, write_exports
from kommunetest.report.method import method_context
from kommunetest.report.redact import Persona
from kommunetest.report.text import gettext as _
from kommunetest.report.views import Copies, MunicipalityView, correction_view
from kommunetest.scenarios import SECTOR_LABELS, SECTORS
from kommunetest.settings import Settings
from kommunetest.store import Store

MARKER = ".kommunetest-report"
OWNED_DIRS = ("kommune", "fylke", "storrelse", "evidence", "data", "static", "charts")
TEXT_SUFFIXES = {".html", ".json", ".csv", ".txt", ".svg", ".js", ".css"}


class PersonaLeak(KommunetestError):
    """A persona's identity was found in the built report; it must not be published."""


@dataclass
class ReportResult:
    out_dir: Path
    round_name: str
    run_id: int
    scored: bool
    municipalities: int
    pages: int
    evidence_files: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.out_dir / "index.html"


def prepare_out_dir(out_dir: Path) -> None:
    """Create `out_dir`, or clear what an earlier build wrote there; refuse a directory with other content."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir} is a file", hint="give a directory for --out")
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).is_file():
            raise UsageError(
                f"{out_dir} is not empty and holds no earlier report",
                hint="choose a new or empty directory for --out (files there would be mixed with the report)",
            )
        for d in OWNED_DIRS:
            shutil.rmtree(out_dir / d, ignore_errors=True)
        for f in [*out_dir.glob("*.html"), out_dir / "README.txt"]:
            f.unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("built by kommunetest report build\n", encoding="utf-8")


def copy_static(out_dir: Path) -> None:
    target = out_dir / "static"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("style.css", "report.js"):
        data = (resources.files("kommunetest.report") / "static" / name).read_bytes()
        (target / name).write_bytes(data)


def copy_evidence(copies: Copies, out_dir: Path) -> int:
    """Copy evidence files by content hash (hard links where the file system allows: they never change)."""
    for source, rel in copies.files.values():
        dest = out_dir / rel
        if dest.exists():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, dest)
        except OSError:
            shutil.copyfile(source, dest)
    return len(copies.files)


def persona_leaks(out_dir: Path, personas: list[Persona]) -> list[str]:
    """Files under `out_dir` that contain a persona's name or e-mail address (case-insensitive)."""
    terms = sorted({t.casefold() for p in personas for t in (p.name, p.email) if t and len(t) > 3})
    found = []
    for path in sorted(out_dir.rglob("*")):
        if terms and path.suffix.lower() in TEXT_SUFFIXES and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").casefold()
            hits = [t for t in terms if t in text]
            if hits:
                found.append(f"{path.relative_to(out_dir)}: {', '.join(hits)}")
    return found


def _check_leaks(out_dir: Path, personas: list[Persona]) -> None:
    leaks = persona_leaks(out_dir, personas)
    if leaks:
        raise PersonaLeak(
            f"a persona's identity appears in the report in {len(leaks)} files: " + "; ".join(leaks[:5]),
            hint="the report must not be published; report this as a bug (redaction missed it)",
        )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _with_pages(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "page": pages.municipality_file(r["kommunenummer"])} for r in records]


def about(data: ReportData) -> dict[str, Any]:
    """The run's identity for the downloads."""
    return {
        "round": data.round["name"],
        "run_id": data.run["id"],
        "run_created_at": data.run["created_at"].isoformat(),
        "model_version": data.model.version,
        "model_hash": data.run["model_hash"],
        "method_version": data.run["method_version"],
        "previous_round": data.previous_round,
        "generated_at": data.generated_at.isoformat() if data.generated_at else None,
        "municipalities": len(data.records),
    }


def municipality_context(data: ReportData, view: MunicipalityView, r: dict[str, Any], *,
                         preview: bool = False) -> dict[str, Any]:  # fmt: skip
    """Everything the municipality template needs."""
    knr = r["kommunenummer"]
    probes = view.probes(knr)
    planned: dict[str, int] = {"email": 0, "web": 0, "phone": 0}
    for p in data.probes.get(knr, []):
        planned[p["channel"]] = planned.get(p["channel"], 0) + 1
    weights = {c: data.model.channel_weight(c) for c in ("email", "web", "phone")}
    total_w = sum(weights.values()) or 1
    labels = {"email": (_("E-mail"), "epost"), "web": (_("Web"), "nett"), "phone": (_("Phone"), "telefon")}
    channels = [
        {"id": labels[c][1], "label": labels[c][0], "score": r.get(c), "observed": r.get(f"n_{c}", 0),
         "planned": planned[c], "weight": 100 * weights[c] / total_w}
        for c in ("email", "web", "phone") if planned[c]
    ]  # fmt: skip
    sectors = [{"label": SECTOR_LABELS[s], "score": r.get(f"sector_{s}")} for s in SECTORS
               if r.get(f"sector_{s}") is not None]  # fmt: skip
    corrected = [
        {"anchor": p["anchor"], "title": p["title"], "when": c["when"]}
        for group in probes.values() for p in group for c in p["corrections"] if c["status"] == "accepted"
    ]  # fmt: skip
    redactor = view.redactor(knr)
    remarks = [correction_view(c, redactor, None, None) for c in data.corrections_for(knr)
               if not c["probe_id"] and c["status"] == "accepted"]  # fmt: skip
    root = "../"
    return {
        **pages.common(data, root, preview=preview),
        "m": r,
        "rc": pages.rank_context(data, r),
        "county_href": root + pages.county_file(r["county_number"], r["county"]),
        "probes": probes,
        "channels": channels,
        "sectors": sectors,
        "corrected": corrected,
        "remarks": remarks,
    }


def render_municipalities(data: ReportData, store: Store, out_dir: Path, knrs: list[str]) -> Copies:
    """Every municipality page; returns the evidence files they show. (Forked workers were tried: copying
    the heap into each made them cost more CPU than they saved on two cores.)"""
    copies = Copies()
    view = MunicipalityView(data, store, copies)
    template = pages.environment().get_template("municipality.html")
    for knr in knrs:
        html = template.render(**municipality_context(data, view, data.by_knr[knr]))
        _write(out_dir / pages.municipality_file(knr), html)
    return copies


def _answer_days(data: ReportData) -> list[float | None]:
    out = []
    for rows in data.observations.values():
        for o in rows:
            if o["kind"] == "email_result" and o["key"] == "result":
                d = (o["value"] or {}).get("answer_days")
                out.append(float(d) if isinstance(d, int | float) else None)
    return out


def render_site(data: ReportData, store: Store, out_dir: Path, timings: dict[str, float]) -> tuple[int, int]:
    """Write every page, chart, download and evidence file; (pages written, evidence files)."""
    t = time.perf_counter()
    records = _with_pages(data.records)
    data.records[:] = records
    data.by_knr = {r["kommunenummer"]: r for r in records}
    copy_static(out_dir)
    write_exports(records, out_dir / "data", about(data))
    timings["exports"] = time.perf_counter() - t
    t = time.perf_counter()
    charts = render_charts(records, _answer_days(data), data.model.ranking.pass_mark, out_dir)
    timings["charts"] = time.perf_counter() - t
    t = time.perf_counter()
    base = pages.common(data, "")
    counties = pages.counties(records)
    sizes = pages.size_classes(records)
    change_note = next((r.get("change_note") for r in records if r.get("change_note")), None)
    n = 0
    _write(out_dir / "index.html", pages.render(
        "index.html", **base, stats=pages.summary(records), rows=pages.table_rows(records, ""),
        counties=counties, sizes=sizes, charts=charts, change_note=change_note))  # fmt: skip
    _write(out_dir / "fylker.html", pages.render("counties.html", **base, counties=counties, sizes=sizes))
    _write(out_dir / "figurer.html", pages.render("figures.html", **base, charts=charts))
    _write(out_dir / "metode.html", pages.render("method.html", **base, **method_context(data)))
    n += 4
    sub = pages.common(data, "../")
    for c in counties:
        rows = [r for r in records if r["county_number"] == c["number"]]
        _write(out_dir / c["file"], pages.render(
            "list.html", **sub, heading=c["name"], stats=c,
            rows=[{**x, "list_rank": x["county_rank"]} for x in pages.table_rows(rows, "../")],
            intro=_("The municipalities of {county} ranked among themselves. “Rank” is the national rank.",
                    county=c["name"]),
            list_rank_label=_("County rank"), show_county=False))  # fmt: skip
        n += 1
    for s in sizes:
        rows = [r for r in records if r["size_class"] == s["label"]]
        heading = _("Municipalities with {label} inhabitants", label=SIZE_CLASS_LABELS_NB[s["label"]])
        _write(out_dir / s["file"], pages.render(
            "list.html", **sub, heading=heading, stats=s,
            rows=[{**x, "list_rank": x["size_class_rank"]} for x in pages.table_rows(rows, "../")],
            intro=_("Municipalities of about the same size ranked among themselves. “Rank” is the national rank."),
            list_rank_label=_("Rank in size class"), show_county=True))  # fmt: skip
        n += 1
    timings["lists"] = time.perf_counter() - t
    t = time.perf_counter()
    copies = render_municipalities(data, store, out_dir, [r["kommunenummer"] for r in records])
    n += len(records)
    timings["municipality pages"] = time.perf_counter() - t
    t = time.perf_counter()
    files = copy_evidence(copies, out_dir)
    timings["evidence"] = time.perf_counter() - t
    return n, files


def build_report(
    store: Store,
    settings: Settings,
    round_name: str,
    out_dir: Path | str,
    *,
    run_id: int | None = None,
    previous_round: str | None = None,
    echo: Callable[[str], None] = lambda _: None,
) -> ReportResult:
    """Build the whole report of `round_name` into `out_dir` (scoring the round first if needed)."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    timings: dict[str, float] = {}
    data = load_report_data(
        store, settings, round_name, run_id=run_id, previous_round=previous_round, echo=echo
    )
    timings["load"] = time.perf_counter() - t0
    prepare_out_dir(out_dir)
    n, files = render_site(data, store, out_dir, timings)
    t = time.perf_counter()
    _check_leaks(out_dir, data.personas)
    timings["persona check"] = time.perf_counter() - t
    return ReportResult(out_dir, round_name, data.run["id"], data.scored_now, len(data.records), n, files,
                        time.perf_counter() - t0, timings)  # fmt: skip


def default_deadline(settings: Settings, today: date | None = None, working_days: int = 10) -> date:
    """The end of the correction window: `working_days` working days from today."""
    from kommunetest.calendar import Calendars

    cal = Calendars.from_settings(settings).for_municipality(None)
    return cal.shift_working_days(today or date.today(), working_days)


def preview_readme(data: ReportData, r: dict[str, Any], deadline: date) -> str:
    knr = r["kommunenummer"]
    name = r["name"] + (f" / {r['name_alt']}" if r.get("name_alt") else "")
    paragraphs = [
        _("Draft results of the municipality test {round} for {name} ({knr})", round=data.round["name"], name=name,
          knr=knr),
        _("This is a draft, sent to the municipality before publication. It holds the municipality's page "
          "(kommune/{knr}.html – open it in a web browser), the evidence it rests on (screenshots in evidence/) "
          "and the municipality's figures as data (data/{knr}.json and data/{knr}.csv).", knr=knr),
        _("Correction window: the municipality may point out errors in the observations until {deadline}. Say "
          "which probe is wrong (its title on the page) and why, preferably with documentation: for example a "
          "link to the page where the information is published, or the date of a reply we have not registered.",
          deadline=format_date(deadline)),
        _("Send the input as a reply to the e-mail this draft came with."),
        _("The project assesses every input. Accepted corrections change the score and are shown in the published "
          "report with when and why; the original observations are kept. Ranks may still change when other "
          "municipalities' results are corrected."),
        _("Names, e-mail addresses and phone numbers of staff have been removed from the replies shown. The "
          "draft is confidential until the report is published."),
    ]  # fmt: skip
    title = paragraphs[0]
    return f"{title}\n{'=' * len(title)}\n\n" + "\n\n".join(paragraphs[1:]) + "\n"


def build_preview(
    store: Store,
    settings: Settings,
    round_name: str,
    kommunenummer: str,
    out_dir: Path | str,
    *,
    run_id: int | None = None,
    previous_round: str | None = None,
    deadline: date | None = None,
    echo: Callable[[str], None] = lambda _: None,
) -> ReportResult:
    """One municipality's page, its evidence, its record (JSON, CSV) and a README on the correction window."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    data = load_report_data(
        store, settings, round_name, run_id=run_id, previous_round=previous_round, echo=echo
    )
    knr = kommunenummer.strip().zfill(4)
    if knr not in data.by_knr:
        raise UsageError(
            f"municipality {kommunenummer!r} is not in round {round_name!r}",
            hint="give a kommunenummer of the round (see `kommunetest round status`)",
        )
    prepare_out_dir(out_dir)
    copy_static(out_dir)
    r = {**data.by_knr[knr], "page": pages.municipality_file(knr)}
    copies = Copies()
    view = MunicipalityView(data, store, copies)
    html = (
        pages.environment()
        .get_template("municipality.html")
        .render(**municipality_context(data, view, r, preview=True))
    )
    _write(out_dir / pages.municipality_file(knr), html)
    files = copy_evidence(copies, out_dir)
    _write(
        out_dir / "data" / f"{knr}.json", json.dumps(export_record(r), ensure_ascii=False, indent=1) + "\n"
    )
    _write(out_dir / "data" / f"{knr}.csv", csv_text([r]))
    _write(out_dir / "README.txt", preview_readme(data, r, deadline or default_deadline(settings)))
    _check_leaks(out_dir, data.personas)
    return ReportResult(
        out_dir, round_name, data.run["id"], data.scored_now, 1, 1, files, time.perf_counter() - t0
    )
