"""Follow-up questions: sent only when the first question got a real answer (2008 and 2010 editions).

The inbox side (`results.py`) marks a probe whose scenario has a follow-up, when its first real answer
arrives: `details["follow_up"] = {"due": true, "in_reply_to": <the answer's Message-ID>, "references": [...],
"not_before": ISO, ...}`. The sender picks it up here and sends it as outbox part `follow_up`, with the same
guarantees as the question: same persona, same address, in office hours, at or after `not_before`, threaded
to the answer (In-Reply-To, References) like a reply from a mail client.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kommunetest.calendar import Calendars
from kommunetest.channels.email.render import bare_name, persona_mapping
from kommunetest.channels.email.send import Outgoing, SendReport
from kommunetest.errors import NotFoundError
from kommunetest.scenarios import QuestionBank, render_email
from kommunetest.settings import Settings

if TYPE_CHECKING:
    from kommunetest.store import Store

PART = "follow_up"
ANSWERED_STATUSES = ("sent", "answered", "done")


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t if t.tzinfo else None


def pending_follow_ups(
    store: Store, round_name: str
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]]:
    """(probe, its sent question's outbox row, its follow-up row if pending) for every follow-up still to
    send."""
    rows = store.outbox_rows(round_name=round_name)
    questions = {r["probe_id"]: r for r in rows if r["part"] == "question" and r["state"] == "sent"}
    follow = {r["probe_id"]: r for r in rows if r["part"] == PART}
    for probe in store.probes(round_name, channel="email", status=ANSWERED_STATUSES):
        spec = (probe["details"] or {}).get(PART)
        if not isinstance(spec, dict) or not spec.get("due"):
            continue
        question = questions.get(probe["id"])
        row = follow.get(probe["id"])
        if question is None or (row is not None and row["state"] != "pending"):
            continue
        yield probe, question, row


def follow_up_times(store: Store, round_name: str) -> Iterator[tuple[str, datetime | None]]:
    """(kommunenummer, not_before) of each follow-up still to send: for the runner's next wake-up."""
    for probe, _question, _row in pending_follow_ups(store, round_name):
        yield probe["kommunenummer"], _instant(probe["details"][PART].get("not_before"))


def collect_follow_ups(
    settings: Settings,
    store: Store,
    round_name: str,
    now: datetime,
    report: SendReport,
    *,
    bank: QuestionBank,
    calendars: Calendars,
    munis: dict[str, dict[str, Any]],
) -> list[Outgoing]:
    """Follow-ups due at `now` (after `not_before`, office open), ready to send."""
    personas = {p.id: p for p in settings.email.personas}
    out: list[Outgoing] = []
    for probe, question, row in pending_follow_ups(store, round_name):
        pid, spec = probe["id"], probe["details"][PART]
        not_before = _instant(spec.get("not_before"))
        if not_before is not None and not_before > now:
            continue
        cal = calendars.for_municipality(probe["kommunenummer"])
        if not cal.is_open(now):
            report.closed += 1
            opening = cal.next_opening(now)
            report.next_opening = min(opening, report.next_opening or opening)
            continue
        persona = personas.get(question["persona_id"])
        muni = munis.get(probe["kommunenummer"])
        if persona is None or muni is None:
            report.skipped.append((f"{pid} (follow-up)", "its persona or municipality is not configured"))
            continue
        if row is not None:
            out.append(Outgoing(probe, persona, muni, row["recipient"], row["subject"], None, row, part=PART))
            continue
        try:
            scenario = bank.get(probe["scenario_id"])
        except NotFoundError:
            report.skipped.append(
                (f"{pid} (follow-up)", f"scenario {probe['scenario_id']!r} is not in the bank")
            )
            continue
        if scenario.email is None or scenario.email.follow_up is None:
            continue
        subject, _ = render_email(
            scenario, probe["variant"], persona_mapping(persona), bare_name(muni["name"]), follow_up=True
        )
        references = [str(r) for r in spec.get("references") or [] if r]
        out.append(
            Outgoing(probe, persona, muni, question["recipient"], subject, scenario, part=PART,
                     in_reply_to=spec.get("in_reply_to") or None, references=references)
        )  # fmt: skip
    return out
