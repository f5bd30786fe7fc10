"""`kommunetest report`: build the published report, a municipality's draft, and manage corrections."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.errors import UsageError


@click.group("report")
def command() -> None:
    """Build the published report and municipalities' drafts; record corrections."""


@command.command("build")
@click.option("--round", "round_name", required=True, help="The round to report.")
@click.option("--out", "out", type=click.Path(file_okay=False), help="Output directory (default: "
              "project.reports_dir/ROUND, or ROUND-preview-KNR with --preview).")  # fmt: skip
@click.option(
    "--run", "run_id", type=int, help="Score run to show (default: the latest, scored first if needed)."
)
@click.option(
    "--previous", "previous_round", help="Earlier round to show change since (its latest score run)."
)
@click.option("--preview", "preview", metavar="KNR", help="Build only this municipality's draft, for its "
              "correction window.")  # fmt: skip
@click.option("--deadline", type=click.DateTime(formats=["%Y-%m-%d"]), help="With --preview: end of the "
              "correction window (default: 10 working days from today).")  # fmt: skip
@pass_app
def build(app: App, round_name: str, out: str | None, run_id: int | None, previous_round: str | None,
          preview: str | None, deadline: object) -> None:  # fmt: skip
    """Build the static report site (or with --preview one municipality's draft)."""
    from kommunetest.report import build_preview, build_report

    settings = app.settings()
    if deadline is not None and not preview:
        raise UsageError("--deadline goes with --preview")
    default = f"{round_name}-preview-{preview}" if preview else round_name
    out_dir = Path(out) if out else settings.path(settings.project.reports_dir) / default

    def echo(msg: str) -> None:
        click.echo(msg, err=True)

    if preview:
        dl = deadline.date() if hasattr(deadline, "date") else None  # type: ignore[union-attr]
        res = build_preview(app.store(), settings, round_name, preview, out_dir, run_id=run_id,
                            previous_round=previous_round, deadline=dl, echo=echo)  # fmt: skip
        click.echo(f"draft for {preview.zfill(4)} written to {res.out_dir} (score run {res.run_id}; "
                   f"{res.evidence_files} evidence files); send the directory with its README.txt")  # fmt: skip
        return
    res = build_report(app.store(), settings, round_name, out_dir, run_id=run_id, previous_round=previous_round,
                       echo=echo)  # fmt: skip
    click.echo(f"report written to {res.index} ({res.municipalities} municipalities, {res.pages} pages, "
               f"{res.evidence_files} evidence files, score run {res.run_id}) in {res.seconds:.1f} s")  # fmt: skip


@command.command("correct")
@click.option("--round", "round_name", required=True, help="The round.")
@click.option("--municipality", "kommunenummer", required=True, metavar="KNR", help="Kommunenummer.")
@click.option("--probe", help="The probe: its scenario id (or full probe id). Without it: a remark on the "
              "whole municipality.")  # fmt: skip
@click.option(
    "--key", help="Which observation of the probe (web: desktop or mobile; default: all scored ones)."
)
@click.option("--grade", help="The corrected grade (web: complete, partial, pdf_or_deep, absent; e-mail and "
              "phone: correct, partial, relevant, none).")  # fmt: skip
@click.option("--reason", required=True, help="Why (shown in the report).")
@click.option("--by", "by", required=True, help="Who decided: an organisation or role (shown in the report).")
@click.option("--status", type=click.Choice(["accepted", "rejected", "pending"]), default="accepted",
              show_default=True, help="Only accepted corrections change scores.")  # fmt: skip
@pass_app
def correct(app: App, round_name: str, kommunenummer: str, probe: str | None, key: str | None, grade: str | None,
            reason: str, by: str, status: str) -> None:  # fmt: skip
    """Record a correction after a municipality's input (who, when and why); it applies at the next scoring."""
    from kommunetest.report.corrections import record_correction

    row = record_correction(app.store(), app.settings(), round_name, kommunenummer, reason=reason, by=by,
                            probe=probe, key=key, grade=grade, status=status)  # fmt: skip
    what = f"probe {row['probe_id']}" if row["probe_id"] else f"municipality {row['kommunenummer']}"
    change = f", grade → {row['grade']}" if row["grade"] else ""
    click.echo(f"correction {row['id']} recorded for {what}{change} ({status}); it applies when the round is "
               f"scored again (`kommunetest score` or `kommunetest report build`)")  # fmt: skip


@command.command("corrections")
@click.option("--round", "round_name", required=True, help="The round.")
@click.option("--municipality", "kommunenummer", metavar="KNR", help="Only this municipality.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def corrections(app: App, round_name: str, kommunenummer: str | None, as_json: bool) -> None:
    """List the corrections of a round."""
    store = app.store()
    store.get_round(round_name)
    rows = store.corrections(round_name, kommunenummer=kommunenummer.zfill(4) if kommunenummer else None)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default))
        return
    if not rows:
        click.echo(f"no corrections in round {round_name}")
        return
    for r in rows:
        probe = (r["probe_id"] or "").split(":")[-1] or "(whole municipality)"
        grade = f" grade={r['grade']}" if r["grade"] else ""
        click.echo(f"{r['id']:>4} {r['created_at']:%Y-%m-%d %H:%M} {r['kommunenummer']} {probe}{grade} "
                   f"[{r['status']}] by {r['author']}: {r['reason']}")  # fmt: skip


def _json_default(x: object) -> str:
    if isinstance(x, date):
        return x.isoformat()
    return str(x)
