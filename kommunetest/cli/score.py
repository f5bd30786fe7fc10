"""`kommunetest score`: score and rank a round, store the result as a score run."""

from __future__ import annotations

import json

import click

from kommunetest.cli.app import App, pass_app


def _line(r: dict) -> str:
    interval = f"  (plass {r['rank_low']}–{r['rank_high']})" if r.get("rank_low") is not None else ""
    return f"{r['rank']:>4}. {r['name']:<28} {r['total']:>3}{interval}"


@click.command("score")
@click.option("--round", "round_name", required=True, help="The round to score.")
@click.option("--model", "model_path", type=click.Path(dir_okay=False), help="Scoring model YAML (default: "
              "project.scoring_model, else the packaged default).")  # fmt: skip
@click.option("--previous", "previous_round", help="Earlier round to compare with (its latest score run).")
@click.option("--resamples", type=int, help="Bootstrap resamples (default: the model's, 1000).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def command(app: App, round_name: str, model_path: str | None, previous_round: str | None,
            resamples: int | None, as_json: bool) -> None:  # fmt: skip
    """Score and rank a round under the scoring model and store it as a score run (observations are never changed)."""
    from kommunetest.score_runs import run_scoring
    from kommunetest.scoring_model import model_for

    settings = app.settings()
    model = model_for(settings, model_path)
    run = run_scoring(app.store(), round_name, model, previous_round=previous_round, resamples=resamples)
    summary = run.summary()
    ranked = [r for r in run.records if r["ranked"]]
    if as_json:
        summary["created"] = run.created
        summary["top"] = ranked[:5]
        summary["bottom"] = ranked[-5:]
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    state = "new score run" if run.created else "unchanged, same as score run"
    click.echo(f"round {round_name}: {state} {run.run_id} (model {model.version}, {model.content_hash[:12]})")
    click.echo(
        f"{summary['municipalities']} municipalities: {summary['ranked']} ranked, {summary['not_ranked']} not "
        f"ranked, {summary['passed']} passed (≥ {model.ranking.pass_mark:g}); mean {summary['mean']}; "
        f"probes observed {summary['probes_observed']} of {summary['probes_planned']}"
    )
    if ranked:
        click.echo("top:")
        for r in ranked[:5]:
            click.echo(_line(r))
        click.echo("bottom:")
        for r in ranked[-5:]:
            click.echo(_line(r))
    for w in summary["warnings"]:
        click.secho(f"warning: {w}", fg="yellow", err=True)
