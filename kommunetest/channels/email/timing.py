"""The e-mail clock: working days from sending to the first reply and to the real answer.

METHOD.md: the clock counts working days of the municipality's own calendar (Europe/Oslo, Monday–Friday
minus public holidays and its closure days). Only a substantive answer stops it; an automatic reply, a
receipt, an interim answer or a bounce does not (an interim answer is noted). The speed tier is the 2010
edition's: within 1, 3 or 5 working days, later, or none. A probe with no real answer after
`email.close_after_working_days` (20, our choice) is closed as unanswered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kommunetest.calendar import WorkCalendar

SPEED_TIERS: tuple[tuple[float, str], ...] = ((1.0, "1"), (3.0, "3"), (5.0, "5"))
ANSWER_KINDS = frozenset({"substantive"})  # only these stop the clock
NOT_REPLIES = frozenset({"bounce"})  # a mail system's report is no reply from the municipality


def speed_tier(days: float | None) -> str:
    """ "1", "3" or "5" (answered within that many working days), "late", or "none" (no answer)."""
    if days is None:
        return "none"
    for limit, tier in SPEED_TIERS:
        if days <= limit + 1e-9:
            return tier
    return "late"


def effective_kind(row: dict[str, Any]) -> str | None:
    """The reviewer's correction if there is one, else the classifier's kind."""
    return row.get("kind_override") or row.get("kind")


@dataclass
class Timeline:
    """One probe's replies on the municipality's working-day clock."""

    sent_at: datetime
    replies: list[dict[str, Any]] = field(default_factory=list)  # with "working_days" and "effective_kind"
    first_reply: dict[str, Any] | None = None
    answer: dict[str, Any] | None = None
    interim: bool = False
    bounces: list[dict[str, Any]] = field(default_factory=list)
    deadline: datetime | None = None
    closed_unanswered: bool = False

    @property
    def first_reply_days(self) -> float | None:
        return self.first_reply["working_days"] if self.first_reply else None

    @property
    def answer_days(self) -> float | None:
        return self.answer["working_days"] if self.answer else None

    @property
    def speed_tier(self) -> str:
        return speed_tier(self.answer_days)


def timeline(
    cal: WorkCalendar,
    sent_at: datetime,
    replies: Sequence[dict[str, Any]],
    *,
    now: datetime,
    close_after: int,
) -> Timeline:
    """Place `replies` (mail_messages rows with `received_at` and a kind) on the clock started at `sent_at`."""
    out = Timeline(sent_at=sent_at, deadline=cal.add_working_days(sent_at, close_after))
    for r in sorted(replies, key=lambda r: (r["received_at"], r.get("id") or 0)):
        kind = effective_kind(r)
        days = round(cal.working_days_between(sent_at, r["received_at"]), 4)
        row = {**r, "effective_kind": kind, "working_days": days}
        out.replies.append(row)
        if kind in NOT_REPLIES:
            out.bounces.append(row)
            continue
        if out.first_reply is None:
            out.first_reply = row
        if kind in ANSWER_KINDS and out.answer is None:
            out.answer = row
        if kind == "interim" and out.answer is None:
            out.interim = True
    out.closed_unanswered = out.answer is None and out.deadline is not None and now >= out.deadline
    return out
