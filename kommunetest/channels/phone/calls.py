"""The phone channel's library: what is left to call, recording a call, and the observation it makes.

A probe is called once; if no one answers (no answer, a queue over the limit, a closed desk) it is called once
more, no sooner than `phone.retry_after_minutes` later (METHOD.md, "Phone"). The probe's observation (kind
`phone_call`, key `result`) is derived from the latest revision of each attempt, so an edit re-derives it and
the history of entries stays whole. Free text (notes, the script's text fields) stays in the entries: it may
name the staff member who answered, so it never reaches the observation or the report.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kommunetest.calendar import Calendars
from kommunetest.channels.phone.entry import FORM, CallEntry, call_grade, parse_form
from kommunetest.errors import (
    AccessDenied,
    ConflictError,
    NotFoundError,
    Problem,
    UsageError,
    ValidationError,
)
from kommunetest.i18n import Msg
from kommunetest.scenarios import PhoneSpec, QuestionBank, Scenario
from kommunetest.settings import Settings
from kommunetest.store import Store
from kommunetest.store.phone import edited_meanwhile

SOURCE = "phone-app"
OFFICER_WITHIN_S = 60
ANSWERED_WITHIN_S = 15


@dataclass
class CallState:
    """Where a probe stands: `to_call`, `retry` (wait until `not_before`) or `done`."""

    status: str
    attempt: int  # the attempt a new entry makes (the last one, when done)
    attempts: dict[int, dict[str, Any]] = field(default_factory=dict)  # latest revision of each attempt
    not_before: datetime | None = None

    @property
    def reached(self) -> bool:
        return any(e["outcome"] == "reached" for e in self.attempts.values())


def call_state(entries: list[dict[str, Any]], *, max_attempts: int, retry_after: timedelta) -> CallState:
    latest: dict[int, dict[str, Any]] = {}
    for e in entries:
        if e["attempt"] not in latest or e["revision"] > latest[e["attempt"]]["revision"]:
            latest[e["attempt"]] = e
    if not latest:
        return CallState("to_call", 1)
    last = max(latest)
    entry = latest[last]
    if entry["outcome"] == "reached" or last >= max_attempts:
        return CallState("done", last, latest)
    started = datetime.fromisoformat(entry["data"]["started_at"])
    return CallState("retry", last + 1, latest, started + retry_after)


def observation_value(state: CallState, spec: PhoneSpec) -> tuple[str, dict[str, Any]]:
    """(grade, value) of a finished call, in the shape scoring and the report read; free text is left out."""
    private = {f.id for f in spec.log if f.kind in ("text", "datetime")}
    final = state.attempts[max(state.attempts)]["data"]
    first = state.attempts[min(state.attempts)]["data"]
    reached = final["outcome"] == "reached"
    s, wait = final.get("seconds_to_human"), final.get("total_wait_s")
    officer = final.get("case_officer_reached")
    grade = call_grade(final.get("questions") or {}) if reached else "none"
    value = {
        "attempts": len(state.attempts),
        "reached": reached,
        "outcome": final["outcome"],
        "outcomes": [state.attempts[a]["outcome"] for a in sorted(state.attempts)],
        "started_at": first["started_at"],
        "last_started_at": final["started_at"],
        "seconds_to_human": s if reached else None,
        "menu_steps": final.get("menu_steps") if reached else None,
        "transfers": final.get("transfers") if reached else None,
        "total_wait_s": wait if reached else None,
        "case_officer_reached": officer if reached else False,
        "answered": reached and grade != "none",
        "questions": final.get("questions") or {},
        "courtesy": final.get("courtesy") if reached else None,
        "answered_within_15s": bool(reached and s is not None and s <= ANSWERED_WITHIN_S),
        # The form records the whole wait, not the moment the officer came on: the KKiK flag is read as
        # "the officer was reached and the whole wait was at most 60 s", which never flatters.
        "officer_within_60s": bool(reached and officer and wait is not None and wait <= OFFICER_WITHIN_S),
        "extra": {k: v for k, v in (final.get("extra") or {}).items() if k not in private},
        "warnings": [
            w["text"] for a in sorted(state.attempts) for w in state.attempts[a]["data"].get("warnings", [])
        ],
        "revisions": sum(a["revision"] for a in state.attempts.values()),
    }
    return grade, value


class PhoneDesk:
    """Everything the app and the CLI do with calls, over one store and one question bank."""

    def __init__(self, store: Store, bank: QuestionBank, settings: Settings) -> None:
        self.store = store
        self.bank = bank
        self.settings = settings
        self.tz = ZoneInfo(settings.calendar.timezone)
        self.calendars = Calendars.from_settings(settings)
        self.retry_after = timedelta(minutes=settings.phone.retry_after_minutes)

    # ------------------------------------------------------------ reading

    def spec(self, scenario_id: str) -> tuple[Scenario, PhoneSpec]:
        s = self.bank.get(scenario_id) if scenario_id in self.bank else None
        if s is None or s.phone is None:
            raise NotFoundError(
                Msg("the question bank has no phone script {id}", id=scenario_id),
                hint="the round was planned with a scenario that has since been removed from scenarios/",
            )
        return s, s.phone

    def calls(self, *, tester_id: int | None = None, round_name: str | None = None) -> list[dict[str, Any]]:
        """Phone probes with their state, planned order; each has `state` (CallState)."""
        rows = self.store.phone_calls(tester_id=tester_id, round_name=round_name)
        entries: dict[str, list[dict[str, Any]]] = {}
        for e in self.store.phone_entries([r["id"] for r in rows]):
            entries.setdefault(e["probe_id"], []).append(e)
        for r in rows:
            r["state"] = self._state(entries.get(r["id"], []))
            r["title"] = self._title(r["scenario_id"])
        return rows

    def _title(self, scenario_id: str) -> str:
        try:
            return self.bank.get(scenario_id).title
        except NotFoundError:
            return scenario_id

    def call(self, probe_id: str, tester: dict[str, Any]) -> dict[str, Any]:
        """One call with its state and every revision; a tester sees only the calls given to them."""
        rows = self.store.phone_calls(probe_id=probe_id)
        if not rows:
            raise NotFoundError(Msg("no phone call {id}", id=probe_id))
        row = rows[0]
        if tester["role"] != "coordinator" and row["tester_id"] != tester["id"]:
            raise AccessDenied("this call is not assigned to you", hint="ask a coordinator to assign it")
        row["entries"] = self.store.phone_entries([probe_id])
        row["state"] = self._state(row["entries"])
        return row

    def _state(self, entries: list[dict[str, Any]]) -> CallState:
        return call_state(entries, max_attempts=self.settings.phone.attempts, retry_after=self.retry_after)

    def new_nonce(self) -> str:
        return secrets.token_urlsafe(24)

    # ------------------------------------------------------------ writing

    def record(
        self,
        probe_id: str,
        tester: dict[str, Any],
        form: dict[str, str],
        *,
        nonce: str,
        attempt: int,
        base_revision: int = 0,
        reason: str = "",
        now: datetime | None = None,
    ) -> tuple[dict[str, Any], CallState, bool]:
        """Store one revision of one attempt and re-derive the probe's observation.

        `base_revision` is the revision the form was opened at (0 for a new entry): if someone saved since,
        ConflictError, and nothing is overwritten. A form sent twice (same nonce) stores one row.
        Returns (entry row, new state, whether a row was added)."""
        now = now or datetime.now(UTC)
        call = self.call(probe_id, tester)
        state: CallState = call["state"]
        _, spec = self.spec(call["scenario_id"])
        if not nonce or len(nonce) > 64:
            raise UsageError("the form has no valid one-time id", hint="open the call again and resubmit")
        same = next((e for e in call["entries"] if e["nonce"] == nonce), None)
        if same is not None:  # the form was sent twice (a double tap, a resend after a lost response)
            return same, state, False
        entry = parse_form(form, spec, self.tz, max_wait_s=self.settings.phone.max_wait_s, now=now)
        self._check_attempt(state, attempt, base_revision, entry)
        self._flag_window(entry, call["kommunenummer"])
        self._check_retry_time(state, attempt, entry)
        edit = base_revision > 0
        if edit and not reason.strip():
            raise UsageError("say why the entry is changed", hint="fill in the reason field")
        row = {
            "probe_id": probe_id,
            "attempt": attempt,
            "revision": base_revision + 1,
            "tester_id": tester["id"],
            "outcome": entry.outcome,
            "data": entry.data(),
            "reason": reason.strip() or None,
            "nonce": nonce,
        }
        new_state = self._state([*call["entries"], row])
        observation, probe = self._derived(new_state, spec)
        saved, added = self.store.save_phone_entry(
            row, expected_entries=len(call["entries"]), observation=observation, probe=probe,
            evidence=self._evidence(row, now),
        )  # fmt: skip
        if not added and (saved["probe_id"], saved["attempt"]) != (probe_id, attempt):
            raise UsageError(
                Msg("this form was already sent for another call"),
                hint="open the call again and enter it anew; nothing was saved",
            )
        if not added:
            new_state = self._state(self.store.phone_entries([probe_id]))
        return saved, new_state, added

    def _check_attempt(self, state: CallState, attempt: int, base: int, entry: CallEntry) -> None:
        current = state.attempts.get(attempt)
        if base == 0:
            if current is not None:
                raise ConflictError(
                    Msg("attempt {n} of this call is recorded already", n=attempt),
                    hint="open the call again: the saved entry can be changed from there",
                )
            if state.status == "done" or attempt != state.attempt:
                raise ConflictError(
                    "this call needs no new attempt"
                    if state.status == "done"
                    else Msg("the next attempt of this call is number {n}", n=state.attempt),
                    hint="open the call again to see where it stands",
                )
            return
        if current is None or current["revision"] != base:
            raise edited_meanwhile()
        later = [a for a in state.attempts if a > attempt]
        if later and entry.outcome == "reached":
            raise ConflictError(
                Msg(
                    "attempt {n} cannot become a call that reached someone: attempt {m} follows it",
                    n=attempt,
                    m=max(later),
                ),
                hint="change the later attempt instead, or ask a coordinator",
            )

    def _check_retry_time(self, state: CallState, attempt: int, entry: CallEntry) -> None:
        """A retry begins after the attempt before it, and (the method says) not too soon after it."""
        prev = state.attempts.get(attempt - 1)
        if prev is None:
            return
        before = datetime.fromisoformat(prev["data"]["started_at"])
        if entry.started_at <= before:
            raise ValidationError(
                [Problem(FORM, Msg("begins before attempt {n} did", n=attempt - 1), field="started_at",
                         hint=Msg("give the time this call began"))],
                summary=Msg("{n} field(s) of the call need a fix", n=1),
            )  # fmt: skip
        if entry.started_at < before + self.retry_after:
            entry.warnings.append(
                Msg("retried {m} minutes after the last attempt; the method waits at least {n}",
                    m=int((entry.started_at - before).total_seconds() // 60),
                    n=self.settings.phone.retry_after_minutes)
            )  # fmt: skip

    def _flag_window(self, entry: CallEntry, kommunenummer: str) -> None:
        rs = self.settings.rounds
        local = entry.started_at.astimezone(self.tz)
        cal = self.calendars.for_municipality(kommunenummer)
        if not cal.is_working_day(local.date()):
            entry.warnings.append(
                Msg("called on {day}, which is not a working day", day=local.date().isoformat())
            )
        elif not rs.call_window_start <= local.strftime("%H:%M") <= rs.call_window_end:
            entry.warnings.append(
                Msg(
                    "called at {time}, outside the call window {start}–{end}",
                    time=f"{local:%H:%M}",
                    start=rs.call_window_start,
                    end=rs.call_window_end,
                )
            )

    def _evidence(self, row: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Each revision as a file with its SHA-256 (who entered it stays in the database only). The file is
        written first (content-addressed: a crash leaves at most an unreferenced file); its row is stored with
        the entry."""
        doc = {k: row[k] for k in ("probe_id", "attempt", "revision", "outcome", "data", "reason")}
        doc["entered_at"] = now.isoformat()
        data = json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode()
        sha, rel = self.store.write_blob(data, ".json")
        return {"sha256": sha, "kind": "form", "path": rel, "size": len(data), "media_type": "application/json",
                "probe_id": row["probe_id"], "meta": {"attempt": row["attempt"], "revision": row["revision"]}}  # fmt: skip

    def _derived(self, state: CallState, spec: PhoneSpec) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """(observation, probe values) a call in `state` makes. An edit can turn a finished call back into one
        to retry: then it has no observation (the entries, which are the evidence, all stay)."""
        if state.status != "done":
            status = "waiting" if state.status == "retry" else "planned"
            return None, {"status": status, "attempts": len(state.attempts)}
        grade, value = observation_value(state, spec)
        observation = {"kind": "phone_call", "grade": grade, "value": value, "source": SOURCE,
                       "observed_at": datetime.fromisoformat(value["last_started_at"])}  # fmt: skip
        return observation, {"status": "done", "attempts": len(state.attempts)}
