"""Recording calls: attempts and the retry, revisions and edits, idempotent submits, who may see what, the
observation derived from the entries, warnings, and the evidence file of every revision.

Most tests run on SQLite and PostgreSQL (the `store` fixture); the pure rules (call_state,
observation_value) need no store.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from conftest import DefaultInputs
from sqlalchemy import inspect
from werkzeug.security import generate_password_hash

from kommunetest.channels.phone.calls import CallState, PhoneDesk, call_state, observation_value
from kommunetest.channels.phone.entry import parse_form
from kommunetest.errors import (
    AccessDenied,
    ConflictError,
    KommunetestError,
    NotFoundError,
    UsageError,
    ValidationError,
)
from kommunetest.rounds import Plan, Sample, plan_round, save_plan
from kommunetest.scenarios import (
    LogField,
    PhoneQuestion,
    PhoneSpec,
    QuestionBank,
)
from kommunetest.scoring import score_phone
from kommunetest.scoring_model import load_model
from kommunetest.settings import Settings
from kommunetest.store import Store, probe_id

TZ = ZoneInfo("Europe/Oslo")
ROUND = "r1"
START = date(2027, 2, 1)
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)  # after every call below: nothing lies in the future
GARASJE, SFO = "telefon-byggesak-garasje", "telefon-sfo"
SAMPLE = Sample.parse("0301,4601")
# One hash for every account here: hashing is slow, and logging in is test_phone_accounts' business.
HASH = generate_password_hash("ikke-i-bruk-123")
_nonces = itertools.count()


@dataclass
class Inputs:
    settings: Settings
    bank: QuestionBank
    plan: Plan


@pytest.fixture(scope="module")
def inputs(default_inputs: DefaultInputs) -> Inputs:
    d = default_inputs
    plan = plan_round(
        ROUND,
        d.register,
        d.bank,
        d.settings,
        start=START,
        weeks=2,
        sample=SAMPLE,
        scenario_ids=[GARASJE, SFO],
    )
    return Inputs(d.settings, d.bank, plan)


@dataclass
class World:
    store: Store
    desk: PhoneDesk
    kari: dict[str, Any]  # a tester with two calls
    ola: dict[str, Any]  # a tester with one call
    sjef: dict[str, Any]  # a coordinator
    garasje: str  # kari's
    sfo: str  # kari's
    olas: str  # ola's (4601 garasje)
    free: str  # nobody's (4601 sfo)

    def entries(self, pid: str) -> list[dict[str, Any]]:
        return self.store.phone_entries([pid])

    def observation(self, pid: str) -> dict[str, Any] | None:
        rows = self.store.observations(ROUND, kind="phone_call", probe_ids=[pid])
        assert len(rows) <= 1
        return rows[0] if rows else None

    def forms(self, pid: str) -> list[dict[str, Any]]:
        return [e for e in self.store.evidence_for(pid) if e["kind"] == "form"]


@pytest.fixture
def world(store: Store, inputs: Inputs) -> World:
    plan = inputs.plan
    save_plan(store, ROUND, plan, start=START, weeks=2, seed=1, sample=SAMPLE, settings=inputs.settings)
    kari = store.add_tester("kari", "Kari", "tester", HASH)
    ola = store.add_tester("ola", "Ola", "tester", HASH)
    sjef = store.add_tester("sjef", "Sjef", "coordinator", HASH)
    w = World(
        store, PhoneDesk(store, inputs.bank, inputs.settings), kari, ola, sjef,
        garasje=probe_id(ROUND, "0301", GARASJE), sfo=probe_id(ROUND, "0301", SFO),
        olas=probe_id(ROUND, "4601", GARASJE), free=probe_id(ROUND, "4601", SFO),
    )  # fmt: skip
    assert {p["id"] for p in plan.probes} == {w.garasje, w.sfo, w.olas, w.free}
    store.assign_calls([(w.garasje, kari["id"]), (w.sfo, kari["id"]), (w.olas, ola["id"])], by="test")
    return w


def day_of(w: World, pid: str) -> date:
    planned = w.store.get_probe(pid)["planned_at"]
    return planned.astimezone(TZ).date()


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=TZ)


def stamp(dt: datetime) -> str:
    return f"{dt.astimezone(TZ):%Y-%m-%dT%H:%M}"


def reached_form(w: World, pid: str, started: datetime, **over: str) -> dict[str, str]:
    _, spec = w.desk.spec(w.store.get_probe(pid)["scenario_id"])
    form = {
        "outcome": "reached",
        "started_at": stamp(started),
        "number_dialled": "22 00 00 00",
        "seconds_to_human": "12",
        "total_wait_s": "55",
        "menu_steps": "1",
        "transfers": "0",
        "case_officer_reached": "yes",
        "courtesy": "3",
        **{f"q_{q.id}": "correct" for q in spec.questions},
    }
    return form | over


def unreached_form(started: datetime, outcome: str = "no_answer", **over: str) -> dict[str, str]:
    return {"outcome": outcome, "started_at": stamp(started), "number_dialled": "22000000", **over}


def record(
    w: World, pid: str, form: dict[str, str], *, who: dict[str, Any] | None = None, attempt: int = 1,
    base: int = 0, reason: str = "", nonce: str | None = None,
) -> tuple[dict[str, Any], CallState, bool]:  # fmt: skip
    return w.desk.record(
        pid, who or w.kari, form, nonce=nonce or f"nonce-{next(_nonces)}", attempt=attempt,
        base_revision=base, reason=reason, now=NOW,
    )  # fmt: skip


def score_of(w: World, pid: str) -> float:
    rows = w.store.observations(ROUND, kind="phone_call", probe_ids=[pid])
    obs = pd.DataFrame.from_records(rows, columns=["probe_id", "key", "kind", "grade", "value"])
    out, warnings = score_phone(obs, load_model())
    assert warnings == [] and list(out["probe_id"]) == [pid]
    return float(out["score"].iloc[0])


# --------------------------------------------------------------------------------------------- first attempt


def test_a_reached_first_attempt_finishes_the_call_and_makes_its_observation(world: World) -> None:
    w = world
    started = at(day_of(w, w.garasje), "10:00")
    form = reached_form(
        w, w.garasje, started,
        q_saksbehandlingstid="partial",
        notes="Snakket med Per Hansen på byggesak",
        x_oppgitt_saksbehandlingstid="Per Hansen sa tolv uker",  # a text field: may name staff
        x_oppgitt_gebyr="12 500",
        x_henvist_til_nettsiden="nei",
    )  # fmt: skip
    assert w.desk.calls(tester_id=w.kari["id"])[0]["state"].status == "to_call"
    row, state, added = record(w, w.garasje, form)
    assert added and state.status == "done" and state.reached and state.attempt == 1
    assert (row["attempt"], row["revision"], row["outcome"], row["reason"]) == (1, 1, "reached", None)
    assert row["tester_id"] == w.kari["id"]
    probe = w.store.get_probe(w.garasje)
    assert (probe["status"], probe["attempts"]) == ("done", 1)

    obs = w.observation(w.garasje)
    assert obs is not None
    assert (obs["key"], obs["kind"], obs["grade"], obs["source"]) == (
        "result",
        "phone_call",
        "partial",
        "phone-app",
    )
    assert obs["observed_at"] == started
    v = obs["value"]
    assert v["reached"] is True and v["attempts"] == 1 and v["outcome"] == "reached"
    assert v["outcomes"] == ["reached"] and v["revisions"] == 1
    assert v["started_at"] == v["last_started_at"] == started.isoformat()
    assert (v["seconds_to_human"], v["total_wait_s"], v["menu_steps"], v["transfers"]) == (12, 55, 1, 0)
    assert v["case_officer_reached"] is True and v["courtesy"] == 3 and v["answered"] is True
    assert v["questions"] == {"soknadsplikt": "correct", "saksbehandlingstid": "partial", "gebyr": "correct"}
    assert v["answered_within_15s"] is True and v["officer_within_60s"] is True
    assert v["extra"] == {"oppgitt_gebyr": 12500, "henvist_til_nettsiden": False}
    assert v["warnings"] == []
    # free text and the tester stay in the entries, out of the observation
    text = json.dumps(v, ensure_ascii=False)
    assert "Per" not in text and "Hansen" not in text and "notes" not in v
    assert not any("tester" in k for k in v) and "kari" not in text.lower()
    entry = w.entries(w.garasje)[0]
    assert entry["data"]["notes"] == "Snakket med Per Hansen på byggesak"
    assert entry["data"]["extra"]["oppgitt_saksbehandlingstid"] == "Per Hansen sa tolv uker"

    listed = {c["id"]: c["state"] for c in w.desk.calls(tester_id=w.kari["id"])}
    assert listed[w.garasje].status == "done" and listed[w.sfo].status == "to_call"


def test_the_15_and_60_second_flags_follow_the_wait(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    record(
        w, w.garasje, reached_form(w, w.garasje, at(day, "10:00"), seconds_to_human="16", total_wait_s="61")
    )
    v = w.observation(w.garasje)["value"]  # type: ignore[index]
    assert v["answered_within_15s"] is False and v["officer_within_60s"] is False
    record(w, w.sfo, reached_form(w, w.sfo, at(day_of(w, w.sfo), "10:00"), case_officer_reached="no",
                                  seconds_to_human="5", total_wait_s="20"))  # fmt: skip
    v = w.observation(w.sfo)["value"]  # type: ignore[index]
    assert v["answered_within_15s"] is True and v["officer_within_60s"] is False
    assert v["case_officer_reached"] is False


# --------------------------------------------------------------------------------------------- the retry


def test_no_answer_waits_for_the_retry_and_a_second_miss_scores_zero(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    first = at(day, "10:00")
    _, state, added = record(w, w.garasje, unreached_form(first, total_wait_s="30"))
    assert added and state.status == "retry" and state.attempt == 2 and not state.reached
    assert state.not_before == first + timedelta(minutes=w.desk.settings.phone.retry_after_minutes)
    assert state.not_before == at(day, "11:00")
    probe = w.store.get_probe(w.garasje)
    assert (probe["status"], probe["attempts"]) == ("waiting", 1)
    assert w.observation(w.garasje) is None
    assert {c["id"]: c["state"].status for c in w.desk.calls(round_name=ROUND)}[w.garasje] == "retry"

    second = at(day, "11:00")  # exactly when the retry is due: no warning
    row, state, _ = record(
        w, w.garasje, unreached_form(second, "queue_too_long", total_wait_s="4:30"), attempt=2
    )
    assert row["attempt"] == 2 and row["revision"] == 1
    assert state.status == "done" and not state.reached and sorted(state.attempts) == [1, 2]
    probe = w.store.get_probe(w.garasje)
    assert (probe["status"], probe["attempts"]) == ("done", 2)
    obs = w.observation(w.garasje)
    assert obs is not None and obs["grade"] == "none" and obs["observed_at"] == second
    v = obs["value"]
    assert v["reached"] is False and v["attempts"] == 2 and v["outcome"] == "queue_too_long"
    assert v["outcomes"] == ["no_answer", "queue_too_long"]
    assert v["started_at"] == first.isoformat() and v["last_started_at"] == second.isoformat()
    assert v["seconds_to_human"] is None and v["total_wait_s"] is None and v["courtesy"] is None
    assert v["case_officer_reached"] is False and v["answered"] is False
    assert v["answered_within_15s"] is False and v["officer_within_60s"] is False
    assert v["warnings"] == [] and v["revisions"] == 2
    assert score_of(w, w.garasje) == 0.0

    # a third attempt is refused, and nothing is written
    with pytest.raises(ConflictError, match="needs no new attempt"):
        record(w, w.garasje, unreached_form(at(day, "13:00")), attempt=3)
    with pytest.raises(ConflictError):
        record(w, w.garasje, reached_form(w, w.garasje, at(day, "13:00")), attempt=2)
    assert len(w.entries(w.garasje)) == 2 and len(w.forms(w.garasje)) == 2


def test_a_retry_cannot_begin_before_the_attempt_it_follows(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    record(w, w.garasje, unreached_form(at(day, "11:00")))
    for when in ("10:30", "11:00"):
        with pytest.raises(ValidationError) as info:
            record(w, w.garasje, unreached_form(at(day, when)), attempt=2)
        assert [p.field for p in info.value.problems] == ["started_at"]
        assert "before attempt 1" in info.value.problems[0].message
    assert len(w.entries(w.garasje)) == 1


def test_a_reached_retry_scores_like_a_reached_first_call(world: World) -> None:
    w = world
    day = day_of(w, w.sfo)
    record(w, w.sfo, unreached_form(at(day, "09:45"), "closed"))
    _, state, _ = record(w, w.sfo, reached_form(w, w.sfo, at(day, "12:00")), attempt=2)
    assert state.status == "done" and state.reached
    obs = w.observation(w.sfo)
    assert obs is not None and obs["grade"] == "correct"
    assert obs["value"]["outcomes"] == ["closed", "reached"] and obs["value"]["reached"] is True
    # every part at its best: 100 (quality, reached, courtesy 3, both flags)
    assert score_of(w, w.sfo) == pytest.approx(100.0)


def test_attempts_come_in_order_and_once(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    with pytest.raises(ConflictError, match="next attempt of this call is number 1"):
        record(w, w.garasje, unreached_form(at(day, "10:00")), attempt=2)
    record(w, w.garasje, unreached_form(at(day, "10:00")))
    with pytest.raises(ConflictError, match="attempt 1 of this call is recorded already"):
        record(w, w.garasje, unreached_form(at(day, "10:05")))
    assert len(w.entries(w.garasje)) == 1


def test_a_form_with_problems_writes_nothing(world: World) -> None:
    w = world
    form = reached_form(
        w, w.garasje, at(day_of(w, w.garasje), "10:00"), courtesy="", seconds_to_human="lenge"
    )
    with pytest.raises(ValidationError) as info:
        record(w, w.garasje, form)
    assert {p.field for p in info.value.problems} == {"courtesy", "seconds_to_human"}
    assert w.entries(w.garasje) == [] and w.forms(w.garasje) == [] and w.observation(w.garasje) is None
    assert w.store.get_probe(w.garasje)["status"] == "planned"


# --------------------------------------------------------------------------------------------- idempotency


def test_the_same_form_sent_twice_stores_one_row(world: World) -> None:
    w = world
    form = reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00"))
    first, _, added = record(w, w.garasje, form, nonce="dobbelttrykk")
    again, state, added_again = record(w, w.garasje, form, nonce="dobbelttrykk")
    assert added and not added_again and again["id"] == first["id"] and state.status == "done"
    # even a changed body with the same one-time id is the same submit
    changed, _, added3 = record(w, w.garasje, dict(form, courtesy="0"), nonce="dobbelttrykk")
    assert not added3 and changed["id"] == first["id"]
    assert len(w.entries(w.garasje)) == 1 and len(w.forms(w.garasje)) == 1
    assert w.observation(w.garasje)["value"]["courtesy"] == 3  # type: ignore[index]


@pytest.mark.parametrize("nonce", ["", "x" * 65])
def test_a_form_without_a_valid_one_time_id_is_refused(world: World, nonce: str) -> None:
    w = world
    with pytest.raises(UsageError, match="one-time id"):
        w.desk.record(w.garasje, w.kari, reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00")),
                      nonce=nonce, attempt=1, now=NOW)  # fmt: skip
    assert w.entries(w.garasje) == []


def test_a_nonce_used_on_another_call_is_not_taken_for_a_resend(world: World) -> None:
    w = world
    record(w, w.garasje, reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00")), nonce="gjenbrukt")
    with pytest.raises(KommunetestError):
        record(w, w.sfo, reached_form(w, w.sfo, at(day_of(w, w.sfo), "10:00")), nonce="gjenbrukt")


# --------------------------------------------------------------------------------------------- edits


def test_an_edit_adds_revision_2_keeps_revision_1_and_re_derives_the_observation(world: World) -> None:
    w = world
    form = reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00"))
    record(w, w.garasje, form)
    assert w.observation(w.garasje)["grade"] == "correct"  # type: ignore[index]
    edited = dict(form, courtesy="1", q_gebyr="none", notes="rettet")
    row, state, added = record(w, w.garasje, edited, who=w.sjef, base=1, reason="  feil karakter  ")
    assert added and state.status == "done"
    assert (row["attempt"], row["revision"], row["reason"], row["tester_id"]) == (
        1,
        2,
        "feil karakter",
        w.sjef["id"],
    )
    revs = w.entries(w.garasje)
    assert [(e["revision"], e["tester_id"]) for e in revs] == [(1, w.kari["id"]), (2, w.sjef["id"])]
    assert revs[0]["data"]["courtesy"] == 3 and revs[0]["reason"] is None  # revision 1 untouched
    assert revs[1]["data"]["courtesy"] == 1 and revs[1]["data"]["notes"] == "rettet"
    obs = w.observation(w.garasje)
    assert obs is not None and obs["grade"] == "partial"
    assert obs["value"]["courtesy"] == 1 and obs["value"]["questions"]["gebyr"] == "none"
    assert obs["value"]["revisions"] == 2
    assert state.attempts[1]["revision"] == 2


def test_an_edit_needs_a_reason(world: World) -> None:
    w = world
    form = reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00"))
    record(w, w.garasje, form)
    for reason in ("", "   "):
        with pytest.raises(UsageError, match="say why"):
            record(w, w.garasje, dict(form, courtesy="2"), base=1, reason=reason)
    assert len(w.entries(w.garasje)) == 1 and w.observation(w.garasje)["value"]["courtesy"] == 3  # type: ignore[index]


def test_an_edit_on_a_stale_revision_is_a_conflict_and_writes_nothing(world: World) -> None:
    w = world
    form = reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00"))
    record(w, w.garasje, form)
    record(w, w.garasje, dict(form, courtesy="2"), who=w.sjef, base=1, reason="rettet høflighet")
    # kari opened the form at revision 1, before the coordinator saved revision 2
    with pytest.raises(ConflictError, match="saved by someone else"):
        record(w, w.garasje, dict(form, courtesy="0"), base=1, reason="min rettelse")
    with pytest.raises(ConflictError):
        record(w, w.garasje, dict(form, courtesy="0"), base=7, reason="min rettelse")
    with pytest.raises(ConflictError):  # an attempt that was never made cannot be edited
        record(w, w.garasje, dict(form, courtesy="0"), attempt=2, base=1, reason="min rettelse")
    assert [e["revision"] for e in w.entries(w.garasje)] == [1, 2]
    assert len(w.forms(w.garasje)) == 2
    assert w.observation(w.garasje)["value"]["courtesy"] == 2  # type: ignore[index]


def test_an_edit_to_no_answer_with_an_attempt_left_reopens_the_call(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    form = reached_form(w, w.garasje, at(day, "10:00"))
    record(w, w.garasje, form)
    assert w.observation(w.garasje) is not None
    _, state, _ = record(w, w.garasje, unreached_form(at(day, "10:00")), base=1, reason="ingen svarte")
    assert state.status == "retry" and state.attempt == 2 and state.not_before == at(day, "11:00")
    assert w.observation(w.garasje) is None
    probe = w.store.get_probe(w.garasje)
    assert (probe["status"], probe["attempts"]) == ("waiting", 1)
    assert len(w.entries(w.garasje)) == 2 and len(w.forms(w.garasje)) == 2  # the history stays

    # the retry can now be made, and finishes the call again
    _, state, _ = record(w, w.garasje, reached_form(w, w.garasje, at(day, "12:00")), attempt=2)
    assert state.status == "done"
    obs = w.observation(w.garasje)
    assert obs is not None and obs["value"]["outcomes"] == ["no_answer", "reached"]
    assert obs["value"]["revisions"] == 3


def test_an_earlier_attempt_cannot_become_reached_once_a_later_one_exists(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    record(w, w.garasje, unreached_form(at(day, "10:00")))
    record(w, w.garasje, unreached_form(at(day, "11:30")), attempt=2)
    with pytest.raises(ConflictError, match="attempt 2 follows it"):
        record(w, w.garasje, reached_form(w, w.garasje, at(day, "10:00")), base=1, reason="feil")
    # another unreached outcome for attempt 1 is fine
    _, state, _ = record(w, w.garasje, unreached_form(at(day, "10:00"), "closed"), base=1, reason="stengt")
    assert state.status == "done" and w.observation(w.garasje)["value"]["outcomes"] == ["closed", "no_answer"]  # type: ignore[index]


def test_editing_a_reached_final_attempt_to_no_answer_gives_an_unreached_result(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    record(w, w.garasje, unreached_form(at(day, "10:00")))
    record(w, w.garasje, reached_form(w, w.garasje, at(day, "11:15")), attempt=2)
    assert w.observation(w.garasje)["value"]["reached"] is True  # type: ignore[index]
    _, state, _ = record(w, w.garasje, unreached_form(at(day, "11:15")), attempt=2, base=1, reason="feil")
    assert state.status == "done" and not state.reached
    obs = w.observation(w.garasje)
    assert obs is not None and obs["grade"] == "none" and obs["value"]["reached"] is False
    assert obs["value"]["questions"] == {} and w.store.get_probe(w.garasje)["status"] == "done"


def test_an_edit_of_a_hasty_retry_keeps_its_warning(world: World) -> None:
    w = world
    day = day_of(w, w.garasje)
    record(w, w.garasje, unreached_form(at(day, "10:00")))
    form = reached_form(w, w.garasje, at(day, "10:10"))
    record(w, w.garasje, form, attempt=2)
    before = w.observation(w.garasje)["value"]["warnings"]  # type: ignore[index]
    assert any("retried 10 minutes" in x for x in before)
    record(w, w.garasje, dict(form, notes="skrivefeil rettet"), attempt=2, base=1, reason="skrivefeil")
    assert w.observation(w.garasje)["value"]["warnings"] == before  # type: ignore[index]


# --------------------------------------------------------------------------------------------- access


def test_a_tester_sees_and_records_only_their_own_calls_and_a_coordinator_all(world: World) -> None:
    w = world
    assert {c["id"] for c in w.desk.calls(tester_id=w.kari["id"])} == {w.garasje, w.sfo}
    assert {c["id"] for c in w.desk.calls(tester_id=w.ola["id"])} == {w.olas}
    assert len(w.desk.calls(round_name=ROUND)) == 4 and w.desk.calls(round_name="other") == []
    started = at(day_of(w, w.olas), "10:00")
    for pid in (w.olas, w.free):
        with pytest.raises(AccessDenied, match="not assigned to you"):
            w.desk.call(pid, w.kari)
        with pytest.raises(AccessDenied):
            record(w, pid, reached_form(w, pid, started), who=w.kari)
        assert w.entries(pid) == [] and w.forms(pid) == []
    assert w.desk.call(w.olas, w.ola)["tester_id"] == w.ola["id"]
    assert w.desk.call(w.free, w.sjef)["tester_id"] is None
    _, state, added = record(w, w.free, reached_form(w, w.free, started), who=w.sjef)
    assert added and state.status == "done"
    call = w.desk.call(w.free, w.sjef)
    assert [e["tester_id"] for e in call["entries"]] == [w.sjef["id"]] and call["state"].status == "done"


def test_unknown_calls_and_scripts_are_not_found(world: World, inputs: Inputs) -> None:
    w = world
    with pytest.raises(NotFoundError):
        w.desk.call("r1:0301:finnes-ikke", w.sjef)
    with pytest.raises(NotFoundError):
        w.desk.spec("finnes-ikke")
    web = inputs.bank.by_channel("web")[0].id
    with pytest.raises(NotFoundError, match="no phone script"):
        w.desk.spec(web)


# --------------------------------------------------------------------------------------------- warnings


def test_calls_outside_the_window_or_on_days_off_are_kept_with_a_warning(world: World) -> None:
    w = world
    cases = {
        w.garasje: (
            at(day_of(w, w.garasje), "16:30"),
            "called at 16:30, outside the call window 09:30–15:00",
        ),
        w.sfo: (
            at(date(2027, 2, 13), "11:00"),
            "called on 2027-02-13, which is not a working day",
        ),  # Saturday
        w.free: (
            at(date(2027, 5, 17), "11:00"),
            "called on 2027-05-17, which is not a working day",
        ),  # 17 May
        w.olas: (at(day_of(w, w.olas), "08:15"), "called at 08:15, outside the call window 09:30–15:00"),
    }
    for pid, (started, warning) in cases.items():
        row, _, _ = record(w, pid, reached_form(w, pid, started), who=w.sjef)
        assert [x["text"] for x in row["data"]["warnings"]] == [warning], pid
        assert w.observation(pid)["value"]["warnings"] == [warning]  # type: ignore[index]


def test_the_edges_of_the_call_window_give_no_warning(world: World) -> None:
    w = world
    for pid, hhmm in ((w.garasje, "09:30"), (w.sfo, "15:00")):
        row, _, _ = record(w, pid, reached_form(w, pid, at(day_of(w, pid), hhmm)))
        assert row["data"]["warnings"] == [], hhmm


def test_a_retry_made_too_soon_is_warned_and_every_attempts_warnings_reach_the_observation(
    world: World,
) -> None:
    w = world
    day = day_of(w, w.garasje)
    record(w, w.garasje, unreached_form(at(day, "09:00")))
    row, _, _ = record(w, w.garasje, reached_form(w, w.garasje, at(day, "09:40")), attempt=2)
    assert [x["text"] for x in row["data"]["warnings"]] == [
        "retried 40 minutes after the last attempt; the method waits at least 60"
    ]
    assert w.observation(w.garasje)["value"]["warnings"] == [  # type: ignore[index]
        "called at 09:00, outside the call window 09:30–15:00",
        "retried 40 minutes after the last attempt; the method waits at least 60",
    ]


# --------------------------------------------------------------------------------------------- evidence


def test_every_revision_leaves_a_form_file_with_its_checksum(world: World) -> None:
    w = world
    form = reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00"), notes="første")
    record(w, w.garasje, form, nonce="en-gang")
    record(w, w.garasje, form, nonce="en-gang")  # a resend leaves no second file
    record(w, w.garasje, dict(form, notes="andre"), who=w.sjef, base=1, reason="rettet notat")
    files = w.forms(w.garasje)
    entries = w.entries(w.garasje)
    assert len(files) == len(entries) == 2
    for f, e in zip(files, entries, strict=True):
        assert f["media_type"] == "application/json" and f["probe_id"] == w.garasje
        assert f["meta"] == {"attempt": 1, "revision": e["revision"]}
        assert w.store.verify_evidence(f)
        doc = json.loads(w.store.evidence_path(f).read_text("utf-8"))
        assert (doc["attempt"], doc["revision"], doc["outcome"]) == (1, e["revision"], "reached")
        assert doc["data"] == e["data"] and doc["reason"] == e["reason"]
        assert "tester_id" not in doc and "kari" not in json.dumps(doc) and "sjef" not in json.dumps(doc)
    assert files[0]["sha256"] != files[1]["sha256"]
    # the checksum catches a changed file
    path: Path = w.store.evidence_path(files[0])
    path.write_text(path.read_text("utf-8").replace("første", "endret"), "utf-8")
    assert not w.store.verify_evidence(files[0])


# --------------------------------------------------------------------------------------------- the store side


def test_migration_6_makes_the_phone_tables_and_their_unique_keys_hold(world: World) -> None:
    w = world
    assert w.store.schema_version() >= 6
    names = set(inspect(w.store.engine).get_table_names())
    assert {"testers", "phone_assignments", "phone_entries"} <= names
    record(w, w.garasje, reached_form(w, w.garasje, at(day_of(w, w.garasje), "10:00")))
    first = w.entries(w.garasje)[0]
    # a second row for the same (probe, attempt, revision) means someone saved in between
    clash = {k: first[k] for k in ("probe_id", "attempt", "revision", "tester_id", "outcome", "data")}
    probe = {"status": "done", "attempts": 1}

    def save(row: dict[str, Any], expected: int = 1) -> tuple[dict[str, Any], bool]:
        return w.store.save_phone_entry(
            row, expected_entries=expected, observation=None, probe=probe, evidence=None
        )

    with pytest.raises(ConflictError):  # the unique key (probe, attempt, revision)
        save(clash | {"nonce": "ein-annan"})
    with pytest.raises(ConflictError):  # derived from fewer revisions than there are now
        save(clash | {"revision": 2, "nonce": "ein-tredje"}, expected=0)
    again, added = save(clash | {"revision": 9, "nonce": first["nonce"]})
    assert not added and again["id"] == first["id"]
    assert len(w.entries(w.garasje)) == 1
    # nothing of a refused save stays: the observation and the probe are as the first entry left them
    assert w.observation(w.garasje) is not None and w.store.get_probe(w.garasje)["status"] == "done"
    assert first["created_at"].tzinfo is not None


# --------------------------------------------------------------------------------------------- pure rules

SPEC = PhoneSpec(
    theme="Tema",
    call_to="switchboard",
    questions=[PhoneQuestion(id="a", text="Spørsmål a?"), PhoneQuestion(id="b", text="Spørsmål b?")],
    log=[
        LogField(id="sagt", label="Slik det ble sagt"),
        LogField(id="tilbake", label="Ringes tilbake", kind="datetime"),
        LogField(id="pris", label="Pris", kind="nok"),
        LogField(id="henvist", label="Henvist", kind="yes_no"),
    ],
)
LOCAL_NOW = datetime(2027, 2, 3, 16, 0, tzinfo=TZ)


def _entry(attempt: int, revision: int, form: dict[str, str]) -> dict[str, Any]:
    e = parse_form(form, SPEC, TZ, max_wait_s=240, now=LOCAL_NOW)
    return {"attempt": attempt, "revision": revision, "outcome": e.outcome, "data": e.data()}


def _reached(**over: str) -> dict[str, str]:
    base = {"outcome": "reached", "started_at": "2027-02-03T10:00", "number_dialled": "22000000",
            "seconds_to_human": "10", "case_officer_reached": "yes", "courtesy": "2", "q_a": "correct",
            "q_b": "correct"}  # fmt: skip
    return base | over


def _missed(started: str = "2027-02-03T10:00", outcome: str = "no_answer") -> dict[str, str]:
    return {"outcome": outcome, "started_at": started, "number_dialled": "22000000"}


def test_call_state_follows_the_latest_revision_of_each_attempt() -> None:
    retry = timedelta(minutes=60)
    assert call_state([], max_attempts=2, retry_after=retry).status == "to_call"
    assert call_state([], max_attempts=2, retry_after=retry).attempt == 1
    s = call_state([_entry(1, 1, _missed())], max_attempts=2, retry_after=retry)
    assert (s.status, s.attempt, s.not_before) == ("retry", 2, datetime(2027, 2, 3, 11, 0, tzinfo=TZ))
    # revision 2 says reached: the call is done, whatever revision 1 said (and in any order)
    entries = [_entry(1, 2, _reached()), _entry(1, 1, _missed())]
    s = call_state(entries, max_attempts=2, retry_after=retry)
    assert s.status == "done" and s.reached and s.attempts[1]["revision"] == 2
    entries = [_entry(1, 1, _reached()), _entry(1, 2, _missed())]
    assert call_state(entries, max_attempts=2, retry_after=retry).status == "retry"
    two = [_entry(1, 1, _missed()), _entry(2, 1, _missed("2027-02-03T12:00"))]
    assert call_state(two, max_attempts=2, retry_after=retry).status == "done"
    s = call_state(two, max_attempts=3, retry_after=retry)
    assert (s.status, s.attempt, s.not_before) == ("retry", 3, datetime(2027, 2, 3, 13, 0, tzinfo=TZ))
    assert call_state([_entry(1, 1, _missed())], max_attempts=1, retry_after=retry).status == "done"


@pytest.mark.parametrize(
    ("seconds", "total", "officer", "within_15", "within_60"),
    [
        ("15", "15", "yes", True, True),
        ("16", "16", "yes", False, True),
        ("0", None, "yes", True, True),  # total defaults to the wait for a person
        ("10", "60", "yes", True, True),
        ("10", "61", "yes", True, False),
        ("10", "30", "no", True, False),
        ("2:00", "2:00", "yes", False, False),
    ],
)
def test_the_kkik_flags(
    seconds: str, total: str | None, officer: str, within_15: bool, within_60: bool
) -> None:
    form = _reached(seconds_to_human=seconds, case_officer_reached=officer)
    if total is not None:
        form["total_wait_s"] = total
    state = call_state([_entry(1, 1, form)], max_attempts=2, retry_after=timedelta(hours=1))
    _, v = observation_value(state, SPEC)
    assert (v["answered_within_15s"], v["officer_within_60s"]) == (within_15, within_60)


def test_the_observation_leaves_out_free_text_and_datetime_fields() -> None:
    form = _reached(x_sagt="Per i resepsjonen", x_tilbake="fredag 10:00", x_pris="3145", x_henvist="ja",
                    notes="Per Hansen svarte", q_b="relevant")  # fmt: skip
    state = call_state([_entry(1, 1, form)], max_attempts=2, retry_after=timedelta(hours=1))
    grade, v = observation_value(state, SPEC)
    assert grade == "partial"
    assert v["extra"] == {"pris": 3145, "henvist": True}
    assert "Per" not in json.dumps(v, ensure_ascii=False) and "fredag" not in json.dumps(v)


def test_an_unreached_observation_has_grade_none_and_no_conversation() -> None:
    entries = [_entry(1, 1, _missed()), _entry(2, 1, _missed("2027-02-03T12:00", "closed"))]
    state = call_state(entries, max_attempts=2, retry_after=timedelta(hours=1))
    grade, v = observation_value(state, SPEC)
    assert grade == "none"
    assert v["reached"] is False and v["answered"] is False and v["case_officer_reached"] is False
    assert v["outcomes"] == ["no_answer", "closed"] and v["attempts"] == 2
    assert v["seconds_to_human"] is None and v["courtesy"] is None and v["questions"] == {}
