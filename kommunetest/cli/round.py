"""`kommunetest round`: create, re-plan and follow test rounds."""

from __future__ import annotations

import json
from datetime import date

import click

from kommunetest.cli.app import App, pass_app
from kommunetest.rounds import STATUS_GROUPS, Sample, plan_round, round_status, save_plan


def _load_inputs(app: App, scenarios: str | None):
    from kommunetest.register import load_register, register_path
    from kommunetest.scenarios import load_scenarios, scenarios_pattern

    settings = app.settings()
    register = load_register(register_path(settings))
    if scenarios:
        bank = load_scenarios(scenarios, settings.project_dir)
    else:
        pattern, base = scenarios_pattern(settings)
        bank = load_scenarios(pattern, base)
    return settings, register, bank


@click.group("round")
def command() -> None:
    """Plan test rounds and follow their progress."""


@command.command("create")
@click.argument("name")
@click.option("--scenarios", help="Glob of question-bank files (default: project.scenarios).")
@click.option("--only", "scenario_ids", multiple=True, help="Use only these scenario ids (repeatable).")
@click.option(
    "--municipalities", default="all", show_default=True,
    help="`all`, kommunenummer separated by commas, or county:NN.",
)  # fmt: skip
@click.option(
    "--sample", "sample_size", type=int, help="Stratified sample of this many (county × size class)."
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day (YYYY-MM-DD).")
@click.option("--weeks", type=int, default=6, show_default=True, help="Length of the round in weeks.")
@click.option("--seed", type=int, help="Seed for sampling and scheduling (default: rounds.seed).")
@click.option("--email-per-municipality", type=int, help="Overrides rounds.email_per_municipality.")
@click.option("--phone-per-municipality", type=int, help="Overrides rounds.phone_per_municipality.")
@pass_app
def create(app: App, name: str, scenarios: str | None, scenario_ids: tuple[str, ...], municipalities: str,
           sample_size: int | None, start, weeks: int, seed: int | None, email_per_municipality: int | None,
           phone_per_municipality: int | None) -> None:  # fmt: skip
    """Create round NAME and plan every probe: sample, assign, schedule."""
    app.settings(
        **{
            "rounds.seed": seed,
            "rounds.email_per_municipality": email_per_municipality,
            "rounds.phone_per_municipality": phone_per_municipality,
        }
    )
    settings, register, bank = _load_inputs(app, scenarios)
    sample = Sample.parse(municipalities, sample_size)
    start_date: date = start.date()
    plan = plan_round(
        name, register, bank, settings, start=start_date, weeks=weeks, sample=sample,
        scenario_ids=list(scenario_ids) or None,
    )  # fmt: skip
    store = app.store()
    added = save_plan(
        store,
        name,
        plan,
        start=start_date,
        weeks=weeks,
        seed=settings.rounds.seed,
        sample=sample,
        settings=settings,
    )
    click.echo(
        f"round {name}: {len(plan.municipalities)} municipalities, {added} probes "
        f"(e-mail {plan.count('email')}, phone {plan.count('phone')}, web {plan.count('web')}) "
        f"from {start_date} over {weeks} weeks"
    )
    for w in plan.warnings:
        click.secho(f"warning: {w}", fg="yellow", err=True)
    click.echo(f"database: {store.url}")


@command.command("plan")
@click.argument("name")
@click.option("--scenarios", help="Glob of question-bank files (default: project.scenarios).")
@pass_app
def replan(app: App, name: str, scenarios: str | None) -> None:
    """Plan round NAME again from its stored parameters; adds only probes that are missing."""
    store = app.store()
    rnd = store.get_round(name)
    cfg = rnd["config"].get("rounds", {})
    app.settings(**{f"rounds.{k}": v for k, v in cfg.items()})
    settings, register, bank = _load_inputs(app, scenarios)
    s = rnd["sample"]
    sample = Sample(s["kind"], s.get("size"), tuple(s.get("numbers", ())), tuple(s.get("counties", ())))
    plan = plan_round(
        name, register, bank, settings, start=rnd["start_date"], weeks=rnd["weeks"], sample=sample,
        seed=rnd["seed"], scenario_ids=rnd["scenario_ids"],
    )  # fmt: skip
    added = save_plan(
        store, name, plan, start=rnd["start_date"], weeks=rnd["weeks"], seed=rnd["seed"], sample=sample,
        settings=settings, create=False,
    )  # fmt: skip
    click.echo(
        f"round {name}: {len(plan.probes)} probes planned, {added} new, {len(plan.probes) - added} already stored"
    )


@command.command("list")
@pass_app
def list_rounds(app: App) -> None:
    """List the rounds in the database."""
    rounds = app.store().list_rounds()
    if not rounds:
        click.echo("no rounds yet: create one with `kommunetest round create NAME --start YYYY-MM-DD`")
    for r in rounds:
        click.echo(
            f"{r['name']}\t{r['status']}\tfrom {r['start_date']}\t{r['weeks']} weeks\t{r['method_version']}"
        )


def _cells(counts: dict[str, int]) -> str:
    return " ".join(
        f"{g} {counts.get(g, 0):>5}" for g in STATUS_GROUPS if g in counts or g in ("planned", "sent", "done")
    )


@command.command("status")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--counties/--no-counties", default=True, help="Show the per-county table.")
@pass_app
def status(app: App, name: str, as_json: bool, counties: bool) -> None:
    """Probes per channel: planned, sent and done, overall and per county."""
    st = round_status(app.store(), name)
    if as_json:
        click.echo(json.dumps(st, ensure_ascii=False, indent=2))
        return
    click.echo(
        f"round {st['round']} ({st['status']}), from {st['start_date']} over {st['weeks']} weeks, "
        f"{st['municipalities']} municipalities, method {st['method_version']}"
    )
    for channel, counts in st["channels"].items():
        click.echo(f"  {channel:<6} total {sum(counts.values()):>6}   {_cells(counts)}")
    if counties:
        click.echo("per county:")
        for county, channels in st["counties"].items():
            parts = "   ".join(f"{c}: {_cells(v)}" for c, v in channels.items())
            click.echo(f"  {county:<18} {parts}")


@command.command("probes")
@click.argument("name")
@click.option("--municipality", "kommunenummer", help="Only this kommunenummer.")
@click.option("--channel", type=click.Choice(["email", "web", "phone"]))
@click.option("--limit", type=int, default=50, show_default=True)
@pass_app
def probes(app: App, name: str, kommunenummer: str | None, channel: str | None, limit: int) -> None:
    """List a round's probes with their planned time (Europe/Oslo)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(app.settings().calendar.timezone)
    rows = app.store().probes(name, channel=channel, kommunenummer=kommunenummer)
    for p in rows[:limit]:
        when = p["planned_at"].astimezone(tz).strftime("%a %Y-%m-%d %H:%M") if p["planned_at"] else "-"
        click.echo(
            f"{p['id']:<40} {p['channel']:<6} {when:<21} {p['persona_id'] or '':<8} v{p['variant']} {p['status']}"
        )
    if len(rows) > limit:
        click.echo(f"... {len(rows) - limit} more (use --limit)")
