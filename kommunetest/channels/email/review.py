"""The coordinator's decisions on received mail: confirm or correct grades, place unmatched replies.

Every decision keeps who made it and when, next to what the tool proposed (`email_grades`, `mail_messages`),
and re-applies the probe so its `email_result` observation says `quality_confirmed` with the person's grade.
`email review` (the CLI) is a thin loop over these functions.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kommunetest.channels.email.classify import KINDS
from kommunetest.channels.email.results import ResultsContext, answer_text, apply_probe
from kommunetest.errors import UsageError
from kommunetest.settings import Settings

if TYPE_CHECKING:
    from kommunetest.store import Store

GRADE_KEYS = {"c": "correct", "p": "partial", "r": "relevant", "n": "none"}


def reviewer_name() -> str:
    """Who is reviewing: KOMMUNETEST_REVIEWER, else the login name."""
    name = os.environ.get("KOMMUNETEST_REVIEWER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def parse_grade(text: str) -> str | None:
    """ "c"/"correct" → correct, and so on; None if it is no grade."""
    t = text.strip().lower()
    if t in GRADE_KEYS:
        return GRADE_KEYS[t]
    return t if t in GRADE_KEYS.values() else None


@dataclass
class ReviewItem:
    """A proposed grade waiting for a person, with everything needed to decide."""

    probe: dict[str, Any]
    grade: dict[str, Any]
    reply: dict[str, Any] | None
    question_subject: str
    question: str
    reply_text: str
    result: dict[str, Any]

    @property
    def probe_id(self) -> str:
        return str(self.probe["id"])

    def lines(self, tz: Any) -> list[str]:
        g, r, res = self.grade, self.reply, self.result
        p = g.get("proposal") or {}
        when = r["received_at"].astimezone(tz).strftime("%a %Y-%m-%d %H:%M") if r else "-"
        out = [
            f"== {self.probe_id} ({g['part']})",
            f"question: «{self.question_subject}»",
            *[f"  | {ln}" for ln in self.question.strip().splitlines()[:25]],
            f"reply {r['id'] if r else '-'} from {r['from_addr'] if r else '-'} at {when}: "
            f"{(r['kind_override'] or r['kind']) if r else '-'} ({r['confidence'] if r else 0:.2f})",
            *[f"  > {ln}" for ln in self.reply_text.strip().splitlines()[:40]],
            f"timing: first reply {_days(res.get('first_reply_days'))}, answer {_days(res.get('answer_days'))} "
            f"working days, speed tier {res.get('speed_tier')}, interim {'yes' if res.get('interim') else 'no'}",
            f"proposed grade: {g['proposed']} (confidence {g['confidence'] or 0:.2f})",
            *[f"  - {reason}" for reason in p.get("reasons", [])],
        ]
        if g.get("confirmed"):
            out.append(
                f"confirmed: {g['confirmed']} by {g['confirmed_by']}"
                + (f" ({g['note']})" if g["note"] else "")
            )
        return out


def _days(v: Any) -> str:
    return "-" if v is None else f"{v:.2f}"


def review_items(store: Store, round_name: str, *, include_confirmed: bool = False) -> list[ReviewItem]:
    """Graded answers of a round awaiting confirmation (or all graded answers), by probe."""
    store.get_round(round_name)
    out = []
    results = {o["probe_id"]: o["value"] for o in store.observations(round_name, kind="email_result")}
    for g in store.email_grades(round_name):
        if g["reply_id"] is None or g["proposed"] is None:
            continue  # closed without any reply: nothing to read
        if g["confirmed"] and not include_confirmed:
            continue
        probe = store.get_probe(g["probe_id"])
        reply = store.mail_message(g["reply_id"])
        sent = store.outbox_row(g["probe_id"], g["part"])
        question = ""
        if sent is not None:
            from kommunetest.channels.email.parse import parse_mail

            question = parse_mail((store.results_dir / sent["evidence_path"]).read_bytes()).text
        new, _sig, _quoted = answer_text(store, reply)
        out.append(
            ReviewItem(
                probe,
                g,
                reply,
                sent["subject"] if sent else "",
                question,
                new,
                results.get(g["probe_id"], {}),
            )
        )
    return out


def confirm_grade(
    store: Store,
    settings: Settings,
    probe_id: str,
    grade: str,
    *,
    by: str,
    note: str | None = None,
    part: str = "question",
    now: datetime | None = None,
) -> dict[str, Any]:
    """A person's grade for a probe's answer; the proposal stays beside it. Re-applies the probe."""
    row = store.confirm_email_grade(probe_id, part, grade=grade, by=by, note=note or None)
    apply_probe(store, ResultsContext.create(settings, now), probe_id)
    return row


def accept_all_above(
    store: Store,
    settings: Settings,
    round_name: str,
    threshold: float,
    *,
    by: str,
    now: datetime | None = None,
) -> list[str]:
    """Confirm every unconfirmed proposal with confidence >= `threshold` as proposed. Returns the probe ids."""
    if not 0 <= threshold <= 1:
        raise UsageError("--accept-all-above takes a confidence between 0 and 1, e.g. 0.8")
    ctx = ResultsContext.create(settings, now)
    done = []
    for item in review_items(store, round_name):
        g = item.grade
        if (g["confidence"] or 0) >= threshold:
            store.confirm_email_grade(item.probe_id, g["part"], grade=g["proposed"], by=by,
                                      note=f"accepted in bulk (confidence ≥ {threshold:g})")  # fmt: skip
            apply_probe(store, ctx, item.probe_id)
            done.append(item.probe_id)
    return done


# -- the unmatched queue ----------------------------------------------------------------------------------


def unmatched(store: Store) -> list[dict[str, Any]]:
    """Replies no rule placed, and quarantined mail: waiting for a person (never dropped)."""
    return store.mail_messages(status=["unmatched", "quarantined"])


def candidates(store: Store, message: dict[str, Any], round_name: str | None = None) -> list[dict[str, Any]]:
    """Probes the persona wrote to before the message arrived (newest first): suggestions for assigning."""
    rows = [
        r
        for r in store.outbox_rows(round_name=round_name, persona_id=message["persona_id"])
        if r["sent_at"] is not None and r["sent_at"] <= message["received_at"]
    ]
    return sorted(rows, key=lambda r: r["sent_at"], reverse=True)


def assign_message(
    store: Store,
    settings: Settings,
    row_id: int,
    probe_id: str,
    *,
    by: str,
    note: str | None = None,
    part: str = "question",
    now: datetime | None = None,
) -> None:
    """Place a received message on a probe (method `manual`); both the old and the new probe are re-applied."""
    previous = store.mail_assign(row_id, probe_id, part=part, by=by, note=note)
    ctx = ResultsContext.create(settings, now)
    for pid in {probe_id, previous} - {None}:
        apply_probe(store, ctx, str(pid))


def ignore_message(
    store: Store, settings: Settings, row_id: int, *, by: str, note: str | None = None
) -> None:
    """Not a reply to any probe (spam, a newsletter): out of the queue, kept in the store."""
    msg = store.mail_review_set(row_id, by=by, status="ignored", note=note)
    if msg.get("probe_id"):
        apply_probe(store, ResultsContext.create(settings), msg["probe_id"])


def reclassify_message(
    store: Store, settings: Settings, row_id: int, kind: str, *, by: str, note: str | None = None
) -> None:
    """Correct the classifier's kind (the clock may start or stop differently); the probe is re-applied."""
    if kind not in KINDS:
        raise UsageError(f"unknown kind {kind!r}", hint="one of: " + ", ".join(KINDS))
    msg = store.mail_review_set(row_id, by=by, kind=kind, note=note)
    if msg.get("probe_id"):
        apply_probe(store, ResultsContext.create(settings), msg["probe_id"])
