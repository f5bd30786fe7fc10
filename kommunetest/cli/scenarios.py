"""`kommunetest scenarios`: the question bank (list, show, validate, JSON Schema)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.errors import ValidationError
from kommunetest.scenarios import (
    CHANNELS,
    SAMPLE_PERSONA,
    SECTOR_LABELS,
    QuestionBank,
    Scenario,
    json_schema,
    load_scenarios,
    render_email,
    scenarios_pattern,
    validate_scenarios,
)

CHANNEL_LABELS = {"email": "e-post", "web": "nett", "phone": "telefon"}


def _bank(app: App) -> QuestionBank:
    pattern, base = scenarios_pattern(app.settings())
    return load_scenarios(pattern, base)


def _size(s: Scenario) -> str:
    """What the scenario holds, in a few words (variants, questions)."""
    if s.email is not None:
        follow = ", follow-up" if s.email.follow_up else ""
        return f"{len(s.email.subject)} subj/{len(s.email.body)} body{follow}"
    if s.phone is not None:
        return f"{len(s.phone.questions)} questions"
    assert s.web is not None
    return f"{s.web.fact_kind}, depth {s.web.max_depth}"


@click.group("scenarios")
def command() -> None:
    """The question bank: list, show, validate, and export the JSON Schema for editors."""


@command.command("list")
@click.option("--channel", type=click.Choice(CHANNELS), help="Only this channel.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def list_(app: App, channel: str | None, as_json: bool) -> None:
    """List the scenarios: id, channel, sector, title."""
    bank = _bank(app)
    scenarios = bank.by_channel(channel) if channel else list(bank)
    if as_json:
        rows = [
            {
                "id": s.id,
                "channel": s.channel,
                "sector": s.sector,
                "title": s.title,
                "weight": s.weight,
                "file": s.file,
                "line": s.line,
            }
            for s in scenarios
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    width = max((len(s.id) for s in scenarios), default=2)
    for s in scenarios:
        click.echo(f"{s.id:<{width}}  {s.channel:<5}  {s.sector:<15}  {s.title}  [{_size(s)}]")
    counts = ", ".join(
        f"{CHANNEL_LABELS[c]} {len([s for s in scenarios if s.channel == c])}" for c in CHANNELS
    )
    click.echo(f"{len(scenarios)} scenarios ({counts})")


@command.command("show")
@click.argument("scenario_id")
@click.option(
    "--variant", type=int, default=0, show_default=True, help="Wording variant of the example e-mail."
)
@click.option("--municipality", default="Eksempelby", show_default=True, help="Municipality in the example.")
@click.option("--follow-up", "follow_up", is_flag=True, help="Render the follow-up question instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the scenario as JSON.")
@pass_app
def show(app: App, scenario_id: str, variant: int, municipality: str, follow_up: bool, as_json: bool) -> None:
    """Show one scenario, with a rendered example e-mail for e-mail questions."""
    s = _bank(app).get(scenario_id)
    if as_json:
        data: dict[str, Any] = s.model_dump(mode="json", exclude_none=True)
        data["file"], data["line"] = s.file, s.line
        if s.email is not None:
            data["example"] = dict(
                zip(("subject", "body"), render_email(s, variant, SAMPLE_PERSONA, municipality), strict=True)
            )
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{s.id}  ({s.where})")
    click.echo(f"  {s.title}")
    click.echo(
        f"  channel: {s.channel}   sector: {s.sector} – {SECTOR_LABELS[s.sector]}   weight: {s.weight:g}"
    )
    if s.description:
        click.echo(f"  {s.description}")
    if s.email is not None:
        _show_email(s, variant, municipality, follow_up)
    elif s.web is not None:
        w = s.web
        click.echo(f"\nItem: {w.item}")
        click.echo(f"  terms (nb): {', '.join(w.terms.nb)}")
        click.echo(f"  terms (nn): {', '.join(w.terms.nn)}")
        click.echo(f"  fact kind: {w.fact_kind}   max depth: {w.max_depth}")
        for title, reqs in (
            ("complete requires", w.grading.complete_requires),
            ("partial if", w.grading.partial_if),
        ):
            for r in reqs:
                what = (
                    f"fact {r.fact}" if r.fact else "any of " + ", ".join(r.any_of.all() if r.any_of else [])
                )
                topic = f" near {', '.join(r.topic)}" if r.topic else ""
                count = f" (at least {r.min_count})" if r.min_count > 1 else ""
                click.echo(
                    f"  {title}: {what}{topic}{count}" + (f" – {r.description}" if r.description else "")
                )
    elif s.phone is not None:
        p = s.phone
        click.echo(f"\nTheme: {p.theme}   (call the {p.call_to.replace('_', ' ')})")
        for i, q in enumerate(p.questions, 1):
            click.echo(f"  {i}. {q.text}")
        click.echo("Logged per call:")
        for f in p.log_fields:
            extra = f" [{'/'.join(f.choices)}]" if f.choices else ""
            click.echo(f"  - {f.label} ({f.kind}{extra})")


def _show_email(s: Scenario, variant: int, municipality: str, follow_up: bool) -> None:
    e = s.email
    assert e is not None
    click.echo(
        f"\n{len(e.subject)} subject and {len(e.body)} body variants, {e.variant_count} distinct renderings"
        + (", with a follow-up" if e.follow_up else "")
    )
    keys = [("answer key", e.answer_key)]
    if e.follow_up and e.follow_up.answer_key:
        keys.append(("follow-up answer key", e.follow_up.answer_key))
    for title, key in keys:
        click.echo(f"{title}:")
        for f in key.expected_facts:
            topic = f" ({', '.join(f.topic)})" if f.topic else ""
            click.echo(f"  - fact {f.kind}{topic}, tolerance {f.effective_tolerance}")
        for p in key.required_points:
            click.echo(f"  - point {p.id}: {p.description}")
    subject, body = render_email(s, variant, SAMPLE_PERSONA, municipality, follow_up=follow_up)
    label = "follow-up" if follow_up else "e-mail"
    click.echo(f"\nExample {label} (variant {variant}, to {municipality}):")
    click.echo(f"Subject: {subject}\n")
    click.echo(body.rstrip("\n"))


@command.command("validate")
@click.argument("globs", nargs=-1)
@pass_app
def validate(app: App, globs: tuple[str, ...]) -> None:
    """Check scenario files (default: the project's [project] scenarios glob); every problem with its line."""
    if globs:
        bank, problems = validate_scenarios(list(globs), Path.cwd())
    else:
        pattern, base = scenarios_pattern(app.settings())
        bank, problems = validate_scenarios(pattern, base)
    if bank is None:
        n = len(problems)
        raise ValidationError(problems, summary=f"the question bank has {n} problem{'s' if n != 1 else ''}")
    counts = ", ".join(f"{CHANNEL_LABELS[c]} {n}" for c, n in bank.counts().items())
    click.echo(f"ok: {len(bank)} scenarios ({counts}) in {len(bank.files)} files")


@command.command("schema")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead.")
def schema(out: Path | None) -> None:
    """Print the JSON Schema of scenario files (for editors: yaml-language-server, VS Code)."""
    text = json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")
