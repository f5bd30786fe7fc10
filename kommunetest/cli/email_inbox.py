"""`kommunetest email poll`, `replies`, `unmatched` and `review`: the receiving side (thin commands).

Registered on the `email` group by `kommunetest/cli/email.py`.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

import click

from kommunetest.cli.app import App, pass_app

_ISO_HELP = "ISO time, e.g. 2027-02-08T10:00 (Europe/Oslo unless it has an offset)"


def _now(app: App, now: str | None):  # type: ignore[no-untyped-def]
    from kommunetest.clock import parse_instant

    return parse_instant(now, app.settings().calendar.timezone) if now else None


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v.isoformat() if hasattr(v, "isoformat") else v


def _flagged_lines(app: App) -> list[str]:
    rows = app.store().flagged_addresses()
    if not rows:
        return []
    lines = [f"{len(rows)} flagged address(es) (bounced; fix the register and send again):"]
    for r in rows:
        lines.append(f"  {r['kommunenummer'] or '----'}  {r['address']}  {r['reason']}  (×{r['count']})")
    return lines


@click.command("poll")
@click.option("--round", "round_name", help="Close this round's overdue probes (default: every round's).")
@click.option("--now", help=f"Treat this instant as now, for closing overdue probes; {_ISO_HELP}.")
@click.option("--persona", "personas", multiple=True, help="Only this persona (repeatable).")
@pass_app
def poll_command(app: App, round_name: str | None, now: str | None, personas: tuple[str, ...]) -> None:
    """Fetch new mail for every persona: match, classify, time and grade the replies.

    Incremental and safe to interrupt: only messages not stored yet are fetched. A persona whose password
    is not in the environment is skipped.
    """
    from kommunetest.channels.email.inbox import poll_all

    settings = app.settings()
    store = app.store()
    if round_name:
        store.get_round(round_name)
    stats = poll_all(
        settings, store, round_name, now=_now(app, now), echo=click.echo, personas=list(personas) or None
    )
    click.echo(stats.summary())
    for w in stats.warnings:
        click.echo(f"warning: {w}")
    for line in _flagged_lines(app):
        click.echo(line)
    unmatched = store.mail_count(status="unmatched") + store.mail_count(status="quarantined")
    if unmatched:
        click.echo(f"{unmatched} message(s) wait in the review queue: `kommunetest email unmatched`")


@click.command("replies")
@click.option("--round", "round_name", required=True, help="The round.")
@click.option("--probe", "probe_id", help="Only this probe.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the email_result observations and replies as JSON."
)
@pass_app
def replies_command(app: App, round_name: str, probe_id: str | None, as_json: bool) -> None:
    """Each sent probe's replies, response times and grade."""
    store = app.store()
    store.get_round(round_name)
    results = {o["probe_id"]: o for o in store.observations(round_name, kind="email_result")}
    messages: dict[str, list[dict[str, Any]]] = {}
    for m in store.mail_messages(round_name=round_name, status="matched"):
        messages.setdefault(m["probe_id"], []).append(m)
    probes = [p for p in store.probes(round_name, channel="email") if probe_id in (None, p["id"])]
    if as_json:
        out = [
            {"probe_id": p["id"], "status": p["status"], "result": _jsonable(results.get(p["id"], {}).get("value")),
             "grade": results.get(p["id"], {}).get("grade"),
             "replies": [{k: _jsonable(m[k]) for k in ("id", "received_at", "kind", "kind_override", "from_addr",
                                                        "subject", "match_method", "part")}
                         for m in messages.get(p["id"], [])]}
            for p in probes
        ]  # fmt: skip
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for p in probes:
        res = results.get(p["id"])
        v = res["value"] if res else {}
        kinds = " ".join(
            f"{m['kind_override'] or m['kind']}" + ("" if m["part"] != "follow_up" else "(f)")
            for m in messages.get(p["id"], [])
        )
        days = v.get("answer_days")
        grade = (res or {}).get("grade") or "-"
        mark = "✓" if v.get("quality_confirmed") else " "
        click.echo(
            f"{p['id']:<48} {p['status']:<9} answer {'-' if days is None else f'{days:5.2f}'} d "
            f"tier {v.get('speed_tier', '-'):<4} grade {grade:<8}{mark} {kinds}"
        )
    for line in _flagged_lines(app):
        click.echo(line)


@click.command("unmatched")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_app
def unmatched_command(app: App, as_json: bool) -> None:
    """Replies no rule could place on a probe, and quarantined mail: the review queue."""
    from kommunetest.channels.email.review import unmatched

    rows = unmatched(app.store())
    if as_json:
        keys = ("id", "persona_id", "folder", "received_at", "from_addr", "subject", "kind", "status",
                "quarantine_reason", "probe_id", "evidence_path")  # fmt: skip
        click.echo(
            json.dumps([{k: _jsonable(r[k]) for k in keys} for r in rows], ensure_ascii=False, indent=2)
        )
        return
    tz = ZoneInfo(app.settings().calendar.timezone)
    for r in rows:
        why = f"  [quarantined: {r['quarantine_reason']}]" if r["status"] == "quarantined" else ""
        click.echo(
            f"{r['id']:>6}  {r['persona_id']:<8} {r['received_at'].astimezone(tz):%Y-%m-%d %H:%M}  "
            f"{r['kind'] or '?':<11} {r['from_addr'] or '?'}  «{r['subject']}»{why}"
        )
    click.echo(
        f"{len(rows)} message(s) in the queue"
        + ("; place one with `kommunetest email review --assign ID --probe PROBE`" if rows else "")
    )


@click.command("review")
@click.option("--round", "round_name", help="The round whose proposed grades to review.")
@click.option("--list", "as_list", is_flag=True, help="Only list what awaits confirmation.")
@click.option("--all", "include_confirmed", is_flag=True, help="With --list: confirmed grades too.")
@click.option("--accept-all-above", "accept_above", type=float, help="Confirm every proposal this confident.")
@click.option("--unmatched", "walk_unmatched", is_flag=True, help="Walk through the unmatched queue instead.")
@click.option("--assign", "assign_id", type=int, help="Place received message ID on --probe.")
@click.option("--probe", "probe_id", help="The probe for --assign.")
@click.option(
    "--ignore", "ignore_id", type=int, help="Take received message ID out of the queue (not a reply)."
)
@click.option("--kind", "kind", help="With --assign or alone as ID=KIND: correct a message's classification.")
@click.option("--reviewer", help="Who decides (default: KOMMUNETEST_REVIEWER or the login name).")
@click.option("--note", default="", help="A note kept with non-interactive decisions.")
@pass_app
def review_command(app: App, round_name: str | None, as_list: bool, include_confirmed: bool,
                   accept_above: float | None, walk_unmatched: bool, assign_id: int | None, probe_id: str | None,
                   ignore_id: int | None, kind: str | None, reviewer: str | None, note: str) -> None:  # fmt: skip
    """Confirm or correct proposed grades, one reply at a time; place unmatched replies on probes.

    Interactive: Enter accepts the proposal, c/p/r/n (correct, partial, relevant, none) gives another
    grade, s skips, q stops. The store keeps the proposal and the decision, with who and when.
    """
    from kommunetest.channels.email import review as R
    from kommunetest.errors import UsageError

    settings, store = app.settings(), app.store()
    by = reviewer or R.reviewer_name()
    if assign_id is not None or ignore_id is not None or (kind and "=" in kind):
        if assign_id is not None:
            if not probe_id:
                raise UsageError("--assign needs --probe PROBE")
            R.assign_message(store, settings, assign_id, probe_id, by=by, note=note or None)
            click.echo(f"message {assign_id} → {probe_id}")
            if kind:
                R.reclassify_message(store, settings, assign_id, kind, by=by, note=note or None)
        if ignore_id is not None:
            R.ignore_message(store, settings, ignore_id, by=by, note=note or None)
            click.echo(f"message {ignore_id} ignored")
        if kind and "=" in kind:
            mid, _, k = kind.partition("=")
            R.reclassify_message(store, settings, int(mid), k.strip(), by=by, note=note or None)
            click.echo(f"message {mid} is now {k.strip()}")
        return
    if walk_unmatched:
        _walk_unmatched(app, by, round_name)
        return
    if not round_name:
        raise UsageError("give --round NAME (or --unmatched, --assign, --ignore)")
    tz = ZoneInfo(settings.calendar.timezone)
    if accept_above is not None:
        done = R.accept_all_above(store, settings, round_name, accept_above, by=by)
        click.echo(f"confirmed {len(done)} proposal(s) with confidence ≥ {accept_above:g} as {by}")
        return
    items = R.review_items(store, round_name, include_confirmed=include_confirmed and as_list)
    if as_list:
        for it in items:
            g = it.grade
            state = f"confirmed {g['confirmed']}" if g["confirmed"] else "awaiting"
            click.echo(f"{it.probe_id:<48} proposed {g['proposed']:<8} ({g['confidence'] or 0:.2f})  {state}")
        click.echo(f"{sum(1 for it in items if not it.grade['confirmed'])} awaiting confirmation")
        return
    if not items:
        click.echo("nothing awaits confirmation")
        return
    confirmed = 0
    for n, it in enumerate(items, 1):
        click.echo("")
        click.echo(f"[{n}/{len(items)}]")
        for line in it.lines(tz):
            click.echo(line)
        answer = click.prompt(
            "grade [Enter = accept, c/p/r/n, s = skip, q = quit]", default="", show_default=False
        ).strip().lower()  # fmt: skip
        if answer == "q":
            break
        if answer == "s":
            continue
        grade = it.grade["proposed"] if answer == "" else R.parse_grade(answer)
        while grade is None:
            grade = R.parse_grade(click.prompt("not a grade; c, p, r or n", default=""))
        text = click.prompt("note (optional)", default="", show_default=False).strip()
        R.confirm_grade(store, settings, it.probe_id, grade, by=by, note=text or None, part=it.grade["part"])
        confirmed += 1
        click.echo(f"→ {grade} (proposed {it.grade['proposed']})")
    click.echo(f"confirmed {confirmed} grade(s) as {by}")


def _walk_unmatched(app: App, by: str, round_name: str | None) -> None:
    from kommunetest.channels.email import review as R

    settings, store = app.settings(), app.store()
    tz = ZoneInfo(settings.calendar.timezone)
    rows = R.unmatched(store)
    if not rows:
        click.echo("the review queue is empty")
        return
    for n, m in enumerate(rows, 1):
        new, _sig, _quoted = R.answer_text(store, m)
        click.echo("")
        click.echo(f"[{n}/{len(rows)}] message {m['id']} to {m['persona_id']} at "
                   f"{m['received_at'].astimezone(tz):%a %Y-%m-%d %H:%M}: {m['kind']}  from {m['from_addr']}")  # fmt: skip
        click.echo(f"subject: «{m['subject']}»" + (f"  [quarantined: {m['quarantine_reason']}]" if
                                                   m["status"] == "quarantined" else ""))  # fmt: skip
        for ln in new.strip().splitlines()[:30]:
            click.echo(f"  > {ln}")
        options = R.candidates(store, m, round_name)[:9]
        for i, o in enumerate(options, 1):
            click.echo(f"  {i}. {o['probe_id']} ({o['part']}) → {o['recipient']} «{o['subject']}»")
        answer = click.prompt("probe [number or id, i = ignore, s = skip, q = quit]", default="s").strip()
        if answer == "q":
            break
        if answer in ("s", ""):
            continue
        if answer == "i":
            R.ignore_message(store, settings, m["id"], by=by)
            click.echo("ignored")
            continue
        chosen = options[int(answer) - 1] if answer.isdigit() and 0 < int(answer) <= len(options) else None
        pid, part = (chosen["probe_id"], chosen["part"]) if chosen else (answer, "question")
        R.assign_message(store, settings, m["id"], pid, by=by, part=part)
        click.echo(f"→ {pid}")


def register(group: click.Group) -> None:
    for cmd in (poll_command, replies_command, unmatched_command, review_command):
        group.add_command(cmd)
