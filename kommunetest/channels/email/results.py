"""From a probe's received mail to its observations: timeline, grade proposal, status, follow-up, flags.

`apply_probe` is idempotent: it recomputes everything from the stored messages and rewrites the probe's
`email_result` (key `result`) and `email_reply` (key `reply:<id>`) observations (docs/observations.md), so it
runs after every poll that touched the probe, after a review decision, and for probes left unapplied by an
interrupted poll. `close_overdue` closes probes with no real answer after the configured working days.

Follow-ups: when a probe whose scenario has a `follow_up` gets its first real answer, the probe's details get
`follow_up = {"due": true, "in_reply_to": <the answer's Message-ID>, "references": [...], "not_before": ISO,
"answer_reply_id": n}`; the sender sends the follow-up (outbox part `follow_up`) when it sees that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kommunetest.calendar import Calendars
from kommunetest.channels.email.grade import propose_grade
from kommunetest.channels.email.parse import parse_mail
from kommunetest.channels.email.timing import Timeline, timeline
from kommunetest.errors import KommunetestError, NotFoundError
from kommunetest.scenarios import AnswerKey, QuestionBank, Scenario
from kommunetest.settings import Settings

if TYPE_CHECKING:
    from kommunetest.store import Store

SOURCE = "email poll"
OUR_STATUSES = ("sent", "answered", "done", "failed")  # statuses this module may move a probe between


@dataclass
class ResultsContext:
    """What applying results needs once per poll: settings, calendars, the question bank (read on first
    use: a poll that answers nothing never parses it), now."""

    settings: Settings
    now: datetime
    calendars: Calendars
    bank: QuestionBank | None = None
    warnings: list[str] = field(default_factory=list)
    _bank_loaded: bool = False

    @classmethod
    def create(cls, settings: Settings, now: datetime | None = None) -> ResultsContext:
        return cls(settings, now or datetime.now(UTC), Calendars.from_settings(settings))

    def scenario(self, scenario_id: str) -> Scenario | None:
        if not self._bank_loaded:
            from kommunetest.scenarios import load_project_scenarios

            self._bank_loaded = True
            try:
                self.bank = load_project_scenarios(self.settings)
            except KommunetestError as e:
                self.warnings.append(f"question bank not loaded ({e}); answers are not graded automatically")
        if self.bank is None:
            return None
        try:
            return self.bank.get(scenario_id)
        except NotFoundError:
            return None


@dataclass
class Applied:
    probe_id: str
    status: str | None = None
    answered: bool = False
    closed: bool = False
    follow_up_due: bool = False
    flagged: list[str] = field(default_factory=list)


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat() if t else None


def answer_text(store: Store, row: dict[str, Any]) -> tuple[str, str, str]:
    """(new text, signature, quoted text) of a stored message, read again from its evidence file."""
    if not row.get("evidence_path"):
        return "", "", ""
    path = store.results_dir / row["evidence_path"]
    try:
        mail = parse_mail(path.read_bytes())
    except OSError:
        return "", "", ""
    parts = mail.split()
    return parts.new, parts.signature, parts.quoted


def _reply_value(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "received_at": _iso(r["received_at"]),
        "kind": r["effective_kind"],
        "reasons": r["reasons"][:12],
        "working_days": r["working_days"],
        "evidence_sha256": r["sha256"],
        "part": r.get("part") or "question",
        "match_method": r.get("match_method"),
        "from_domain": (r.get("from_addr") or "").rpartition("@")[2] or None,  # no staff names (METHOD.md)
    }


def _grade_part(
    store: Store,
    probe_id: str,
    part: str,
    tl: Timeline,
    key: AnswerKey | None,
    subject: str,
) -> dict[str, Any] | None:
    """Propose a grade for the part's answer (or its referral at closing); returns the grades row."""
    graded = tl.answer
    if graded is None:
        referrals = [r for r in tl.replies if r["effective_kind"] == "referral"]
        if not tl.closed_unanswered:
            return store.email_grade(probe_id, part)
        graded = referrals[0] if referrals else None
    if graded is None:
        proposal: dict[str, Any] = {
            "grade": "none",
            "reasons": ["closed: no real answer"],
            "confidence": 0.95,
        }
        return store.set_email_proposal(
            probe_id, part, reply_id=None, proposed="none", confidence=0.95, proposal=proposal
        )
    new, signature, _ = answer_text(store, graded)
    p = propose_grade(key, new, kind=graded["effective_kind"], signature=signature, subject=subject)
    return store.set_email_proposal(
        probe_id, part, reply_id=graded["id"], proposed=p.grade, confidence=p.confidence, proposal=p.to_dict()
    )


def _result_value(tl: Timeline, grade_row: dict[str, Any] | None) -> dict[str, Any]:
    deciding = tl.answer or tl.first_reply
    return {
        "sent_at": _iso(tl.sent_at),
        "first_reply_at": _iso(tl.first_reply["received_at"]) if tl.first_reply else None,
        "answer_at": _iso(tl.answer["received_at"]) if tl.answer else None,
        "first_reply_days": tl.first_reply_days,
        "answer_days": tl.answer_days,
        "speed_tier": tl.speed_tier,
        "interim": tl.interim,
        "classification": deciding["effective_kind"] if deciding else None,
        "quality_proposed": grade_row["proposed"] if grade_row else None,
        "quality_confirmed": bool(grade_row and grade_row["confirmed"]),
        "closed_unanswered": tl.closed_unanswered,
        "replies": len(tl.replies),
        "bounced": bool(tl.bounces) and tl.first_reply is None,
        "deadline": _iso(tl.deadline),
    }


def apply_probe(store: Store, ctx: ResultsContext, probe_id: str) -> Applied:
    """Recompute one probe's e-mail result from its stored messages and write its observations."""
    out = Applied(probe_id)
    probe = store.get_probe(probe_id)
    question = store.outbox_row(probe_id, "question")
    if question is None or question["sent_at"] is None:
        store.mail_mark_applied(probe_id)
        return out
    cal = ctx.calendars.for_municipality(probe["kommunenummer"])
    close_after = ctx.settings.email.close_after_working_days
    messages = store.mail_messages(probe_ids=[probe_id], status="matched")
    q_msgs = [m for m in messages if (m["part"] or "question") == "question"]
    tl = timeline(cal, question["sent_at"], q_msgs, now=ctx.now, close_after=close_after)
    bounced_only = bool(tl.bounces) and tl.first_reply is None
    if bounced_only:
        tl.closed_unanswered = (
            False  # the question never arrived: not observed, for the coordinator to resend
        )
    scenario = ctx.scenario(probe["scenario_id"])
    key = scenario.email.answer_key if scenario and scenario.email else None
    grade_row = _grade_part(store, probe_id, "question", tl, key, question["subject"])

    # the timeline, one observation per reply (question and follow-up parts)
    f_row = store.outbox_row(probe_id, "follow_up")
    f_tl = None
    if f_row is not None and f_row["sent_at"] is not None:
        f_msgs = [m for m in messages if m["part"] == "follow_up"]
        f_tl = timeline(cal, f_row["sent_at"], f_msgs, now=ctx.now, close_after=close_after)
    replies = tl.replies + (f_tl.replies if f_tl else [])
    wanted = {f"reply:{r['id']}" for r in replies}
    store.delete_observations(
        probe_id, [k for k in store.observation_keys(probe_id, "email_reply") if k not in wanted]
    )
    for r in replies:
        store.record_observation(
            probe_id, f"reply:{r['id']}", kind="email_reply", grade=r["effective_kind"], value=_reply_value(r),
            observed_at=r["received_at"], source=SOURCE, replace=True,
        )  # fmt: skip

    value = _result_value(tl, grade_row)
    grade = (
        (grade_row["confirmed"] or grade_row["proposed"])
        if grade_row and (tl.answer or tl.closed_unanswered)
        else None
    )
    observed = tl.answer["received_at"] if tl.answer else (tl.deadline if tl.closed_unanswered else None)
    observed = observed or (tl.first_reply["received_at"] if tl.first_reply else None) or ctx.now
    store.record_observation(
        probe_id, "result", kind="email_result", grade=grade, value=value, observed_at=observed, source=SOURCE,
        replace=True,
    )  # fmt: skip

    if f_tl is not None and scenario and scenario.email and scenario.email.follow_up:
        f_key = scenario.email.follow_up.answer_key
        f_grade = _grade_part(store, probe_id, "follow_up", f_tl, f_key, f_row["subject"]) if f_key else None
        f_value = _result_value(f_tl, f_grade)
        f_obs = f_tl.answer["received_at"] if f_tl.answer else ctx.now
        store.record_observation(
            probe_id, "follow_up", kind="email_follow_up",
            grade=(f_grade["confirmed"] or f_grade["proposed"]) if f_grade and f_tl.answer else None,
            value=f_value, observed_at=f_obs, source=SOURCE, replace=True,
        )  # fmt: skip

    details: dict[str, Any] = {
        "email": {
            "replies": len(tl.replies),
            "first_reply_days": tl.first_reply_days,
            "answer_days": tl.answer_days,
            "speed_tier": tl.speed_tier,
            "classification": value["classification"],
        }
    }
    status = probe["status"]
    if tl.answer is not None:
        status = "answered"
        out.answered = probe["status"] != "answered"
    elif bounced_only:
        status = "failed"
        b = tl.bounces[0]
        rec = (b.get("bounce_recipients") or [{}])[0]
        details["failure"] = (
            f"bounce: {rec.get('address') or question['recipient']} {rec.get('status') or ''} "
            f"{rec.get('diagnostic') or ''}".strip()
        )
    elif tl.closed_unanswered:
        status = "done"
        out.closed = True
    elif probe["status"] in OUR_STATUSES:
        status = "sent"
    for b in tl.bounces:
        for rec in b.get("bounce_recipients") or []:
            address = rec.get("address") or question["recipient"]
            store.flag_address(
                address, kommunenummer=probe["kommunenummer"],
                reason=f"bounce {rec.get('status') or '?'}: {rec.get('diagnostic') or rec.get('action') or ''}".strip(),
                status=rec.get("status"), probe_id=probe_id, message_row_id=b["id"], seen_at=b["received_at"],
            )  # fmt: skip
            out.flagged.append(address)
    if tl.answer is not None and scenario and scenario.email and scenario.email.follow_up:
        current = (probe["details"] or {}).get("follow_up")
        if not current:
            n = ctx.settings.email.follow_up_after_working_days
            answer = tl.answer
            details["follow_up"] = {
                "due": True,
                "in_reply_to": answer["message_id"],
                "references": [
                    question["message_id"],
                    *([answer["message_id"]] if answer["message_id"] else []),
                ],
                "not_before": _iso(cal.add_working_days(answer["received_at"], n)),
                "answer_reply_id": answer["id"],
            }
            out.follow_up_due = True
    if status not in OUR_STATUSES:
        status = probe["status"]
    store.probe_note(probe_id, status if probe["status"] in OUR_STATUSES else None, details)
    out.status = status
    store.mail_mark_applied(probe_id)
    return out


def close_overdue(store: Store, ctx: ResultsContext, round_name: str | None = None) -> list[str]:
    """Close every sent probe (of `round_name`, or of every round) with no real answer after the configured
    working days: grade `none`, `closed_unanswered`, status done. Returns the probe ids closed."""
    closed: list[str] = []
    n = ctx.settings.email.close_after_working_days
    rounds = [round_name] if round_name else [r["name"] for r in store.list_rounds()]
    for name in rounds:
        waiting = {p["id"]: p for p in store.probes(name, channel="email", status="sent")}
        for row in store.outbox_rows(round_name=name, states="sent"):
            probe = waiting.get(row["probe_id"])
            if probe is None or row["part"] != "question" or row["sent_at"] is None:
                continue
            cal = ctx.calendars.for_municipality(probe["kommunenummer"])
            if (
                ctx.now >= cal.add_working_days(row["sent_at"], n)
                and apply_probe(store, ctx, probe["id"]).closed
            ):
                closed.append(probe["id"])
    return closed
