"""The call form: every field kind, the rules of a reached call, warnings, the grade table, and the round trip
from a stored entry back to the form an edit starts from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kommunetest.channels.phone.entry import (
    FORM,
    QUESTION_GRADES,
    REACHED_ONLY,
    CallEntry,
    call_grade,
    form_from_data,
    parse_form,
)
from kommunetest.errors import ValidationError
from kommunetest.scenarios import LogField, PhoneQuestion, PhoneSpec

TZ = ZoneInfo("Europe/Oslo")
NOW = datetime(2027, 2, 3, 12, 0, tzinfo=TZ)
MAX_WAIT = 240
SPEC = PhoneSpec(
    theme="Pris og åpningstider for SFO",
    call_to="switchboard",
    questions=[
        PhoneQuestion(id="pris", text="Hva koster en plass?"),
        PhoneQuestion(id="apningstider", text="Når åpner dere?"),
    ],
    log=[
        LogField(id="sagt", label="Slik det ble sagt"),
        LogField(id="antall", label="Antall", kind="number"),
        LogField(id="pris_nok", label="Oppgitt pris", kind="nok"),
        LogField(id="ko", label="Tid i kø", kind="seconds"),
        LogField(id="henvist", label="Henvist til nettsiden", kind="yes_no"),
        LogField(
            id="til", label="Satt over til", kind="choice", choices=["servicetorget", "skolen", "ingen"]
        ),
        LogField(id="tilbake", label="Lovet å ringe tilbake", kind="datetime"),
    ],
)


def reached(**over: str) -> dict[str, str]:
    form = {
        "outcome": "reached",
        "started_at": "2027-02-03T10:15",
        "number_dialled": "22 00 00 00",
        "seconds_to_human": "20",
        "case_officer_reached": "yes",
        "courtesy": "3",
        "q_pris": "correct",
        "q_apningstider": "partial",
    }
    return {k: v for k, v in (form | over).items() if v is not None}


def unreached(outcome: str = "no_answer", **over: str) -> dict[str, str]:
    return {"outcome": outcome, "started_at": "2027-02-03T10:15", "number_dialled": "22000000", **over}


def parse(form: Mapping[str, str], *, now: datetime = NOW) -> CallEntry:
    return parse_form(form, SPEC, TZ, max_wait_s=MAX_WAIT, now=now)


def problems(form: Mapping[str, str], *, now: datetime = NOW) -> dict[str, str]:
    """field -> message of every problem; fails the test when the form is accepted."""
    with pytest.raises(ValidationError) as info:
        parse(form, now=now)
    out: dict[str, str] = {}
    for p in info.value.problems:
        assert p.file == FORM and p.field, p
        assert p.field not in out, f"two problems for {p.field}: {out[p.field]!r}, {p.message!r}"
        assert p.hint, p
        out[p.field] = str(p.message)
    return out


# --------------------------------------------------------------------------------------------- a good form


def test_a_complete_reached_call_is_read_into_its_entry() -> None:
    e = parse(reached(menu_steps="2", transfers="1", total_wait_s="1:10", notes="  Hyggelig, het Per.  "))
    assert e.reached and e.outcome == "reached"
    assert e.started_at == datetime(2027, 2, 3, 10, 15, tzinfo=TZ)
    assert e.number_dialled == "22000000"
    assert (e.seconds_to_human, e.total_wait_s, e.menu_steps, e.transfers) == (20, 70, 2, 1)
    assert e.case_officer_reached is True and e.courtesy == 3
    assert e.questions == {"pris": "correct", "apningstider": "partial"}
    assert e.notes == "Hyggelig, het Per."
    assert e.warnings == []
    assert e.extra == {f.id: None for f in SPEC.log}
    data = e.data()
    assert json.loads(json.dumps(data)) == data  # what the store keeps is plain JSON
    assert data["started_at"] == "2027-02-03T10:15:00+01:00"


# --------------------------------------------------------------------------------------------- field kinds


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("95", 95), ("1:35", 95), (" 1:35 ", 95), ("0:05", 5), ("0", 0), ("10:00", 600), ("120:00", 7200)],
)
def test_seconds_are_read_as_seconds_or_minutes_and_seconds(raw: str, seconds: int) -> None:
    assert parse(reached(seconds_to_human=raw, total_wait_s="7200")).seconds_to_human == seconds


@pytest.mark.parametrize("raw", ["abc", "-5", "1.5", "1:60", "1:5", "1:35:00", "7201", "120:01", "95s"])
def test_bad_seconds_are_a_problem_of_that_field_only(raw: str) -> None:
    found = problems(reached(seconds_to_human=raw))
    assert list(found) == ["seconds_to_human"]


def test_total_wait_has_its_own_upper_bound() -> None:
    assert parse(reached(total_wait_s="14400")).total_wait_s == 14400
    assert list(problems(reached(total_wait_s="14401"))) == ["total_wait_s"]
    assert list(problems(reached(total_wait_s="240:01"))) == ["total_wait_s"]


@pytest.mark.parametrize("name", ["menu_steps", "transfers"])
def test_counts_are_whole_numbers_from_0_to_30(name: str) -> None:
    assert getattr(parse(reached(**{name: "0"})), name) == 0
    assert getattr(parse(reached(**{name: "30"})), name) == 30
    assert getattr(parse(reached(**{name: "1 2"})), name) == 12  # spaces typed on a phone keypad
    assert getattr(parse(reached(**{name: ""})), name) is None
    for bad in ("31", "-1", "2.5", "to"):
        found = problems(reached(**{name: bad}))
        assert list(found) == [name], bad
    assert "outside 0–30" in problems(reached(**{name: "31"}))[name]
    assert "not a whole number" in problems(reached(**{name: "to"}))[name]


@pytest.mark.parametrize(
    ("raw", "value"),
    [("yes", True), ("Ja", True), ("true", True), ("1", True), ("on", True),
     ("no", False), ("NEI", False), ("false", False), ("0", False), ("off", False)],
)  # fmt: skip
def test_yes_no_accepts_english_and_norwegian(raw: str, value: bool) -> None:
    assert parse(reached(case_officer_reached=raw)).case_officer_reached is value


def test_yes_no_refuses_anything_else() -> None:
    found = problems(reached(case_officer_reached="kanskje"))
    assert list(found) == ["case_officer_reached"] and "neither yes nor no" in found["case_officer_reached"]


@pytest.mark.parametrize("courtesy", ["0", "1", "2", "3"])
def test_courtesy_is_the_kkik_scale_and_zero_counts_as_given(courtesy: str) -> None:
    assert parse(reached(courtesy=courtesy)).courtesy == int(courtesy)


@pytest.mark.parametrize(
    ("name", "raw"),
    [("courtesy", "4"), ("courtesy", "god"), ("outcome", "Reached"), ("outcome", "busy"), ("q_pris", "good")],
)
def test_a_value_outside_the_choices_is_a_problem_of_its_field(name: str, raw: str) -> None:
    found = problems(reached(**{name: raw}))
    assert name in found and "not one of the choices" in found[name]


def test_every_question_grade_is_accepted() -> None:
    for grade in QUESTION_GRADES:
        assert parse(reached(q_pris=grade)).questions["pris"] == grade


def test_a_missing_outcome_is_named() -> None:
    form = reached()
    del form["outcome"]
    assert "outcome" in problems(form) and problems(form)["outcome"] == "is missing"


# --------------------------------------------------------------------------------------------- started_at, number


def test_started_at_missing_or_unreadable() -> None:
    assert problems(reached(started_at=None)) == {"started_at": "is missing"}
    for bad in ("i går", "2027-02-30T10:00", "10:15", "03.02.2027 10:15"):
        found = problems(reached(started_at=bad))
        assert list(found) == ["started_at"] and "not a date and time" in found["started_at"], bad


def test_started_at_accepts_a_space_and_keeps_an_explicit_offset() -> None:
    assert parse(reached(started_at="2027-02-03 10:15")).started_at == datetime(2027, 2, 3, 10, 15, tzinfo=TZ)
    utc = parse(reached(started_at="2027-02-03T09:15+00:00")).started_at
    assert utc == datetime(2027, 2, 3, 10, 15, tzinfo=TZ)


def test_started_at_in_the_future_is_refused_beyond_a_few_minutes_of_clock_skew() -> None:
    soon = NOW + timedelta(minutes=2)
    assert parse(reached(started_at=f"{soon:%Y-%m-%dT%H:%M}")).started_at == soon
    later = NOW + timedelta(minutes=30)
    assert problems(reached(started_at=f"{later:%Y-%m-%dT%H:%M}")) == {"started_at": "lies in the future"}
    tomorrow = NOW + timedelta(days=1)
    assert list(problems(reached(started_at=f"{tomorrow:%Y-%m-%dT%H:%M}"))) == ["started_at"]


@pytest.mark.parametrize(
    ("raw", "number"),
    [("22 00 00 00", "22000000"), ("+47 22 00 00 00", "+4722000000"), ("(22) 00-00.00", "22000000"),
     ("113", "113")],
)  # fmt: skip
def test_the_number_dialled_is_kept_as_digits(raw: str, number: str) -> None:
    assert parse(reached(number_dialled=raw)).number_dialled == number


@pytest.mark.parametrize("raw", [None, "", "12", "sentralbordet", "22 00 00 0x", "1" * 16])
def test_a_missing_or_unreadable_number_is_a_problem(raw: str | None) -> None:
    assert list(problems(reached(number_dialled=raw))) == ["number_dialled"]


# --------------------------------------------------------------------------------------------- a reached call


def test_a_reached_call_needs_its_conversation_fields() -> None:
    found = problems(unreached("reached"))
    assert set(found) == {"seconds_to_human", "courtesy", "case_officer_reached", "q_pris", "q_apningstider"}
    assert found["seconds_to_human"] == "is missing" and found["q_pris"] == "has no grade"


@pytest.mark.parametrize(
    "missing", ["seconds_to_human", "courtesy", "case_officer_reached", "q_apningstider"]
)
def test_each_conversation_field_is_required_on_its_own(missing: str) -> None:
    assert list(problems(reached(**{missing: None}))) == [missing]


def test_unknown_for_the_officer_question_counts_as_not_answered() -> None:
    assert list(problems(reached(case_officer_reached="unknown"))) == ["case_officer_reached"]


def test_total_wait_cannot_be_shorter_than_the_wait_for_a_person() -> None:
    found = problems(reached(seconds_to_human="1:40", total_wait_s="90"))
    assert list(found) == ["total_wait_s"] and "90 s is less than the 100 s" in found["total_wait_s"]
    assert parse(reached(seconds_to_human="100", total_wait_s="100")).total_wait_s == 100


def test_total_wait_defaults_to_the_wait_for_a_person() -> None:
    assert parse(reached(seconds_to_human="0:45")).total_wait_s == 45
    assert parse(reached(seconds_to_human="45", total_wait_s="200")).total_wait_s == 200


# --------------------------------------------------------------------------------------------- no one answered


@pytest.mark.parametrize("outcome", ["no_answer", "queue_too_long", "closed"])
def test_an_unreached_call_needs_only_time_and_number(outcome: str) -> None:
    e = parse(unreached(outcome, total_wait_s="300", notes="Ingen svar"))
    assert not e.reached and e.outcome == outcome
    assert e.seconds_to_human is None and e.case_officer_reached is None and e.courtesy is None
    assert e.questions == {} and e.total_wait_s == 300 and e.notes == "Ingen svar"


@pytest.mark.parametrize("outcome", ["no_answer", "queue_too_long", "closed"])
@pytest.mark.parametrize(
    ("name", "value"),
    [("seconds_to_human", "20"), ("case_officer_reached", "no"), ("courtesy", "2"), ("q_pris", "none")],
)  # fmt: skip
def test_an_unreached_call_refuses_conversation_fields(outcome: str, name: str, value: str) -> None:
    found = problems(unreached(outcome, **{name: value}))
    assert list(found) == [name] and "someone answered" in found[name]


def test_an_unreached_call_refuses_the_scripts_conversation_fields() -> None:
    found = problems(unreached("no_answer", x_pris_nok="3145", x_henvist="ja"))
    assert set(found) == {"x_pris_nok", "x_henvist"}


def test_all_wrong_fields_are_reported_together_each_with_its_field() -> None:
    form = reached(
        started_at="snart",
        number_dialled="x",
        seconds_to_human="lenge",
        total_wait_s="-1",
        menu_steps="99",
        transfers="en",
        case_officer_reached="tja",
        courtesy="5",
        q_pris="bra",
        x_antall="mange",
        x_til="rådhuset",
    )
    with pytest.raises(ValidationError) as info:
        parse(form)
    fields = [p.field for p in info.value.problems]
    assert sorted(fields) == sorted(
        ["started_at", "number_dialled", "seconds_to_human", "total_wait_s", "menu_steps", "transfers",
         "case_officer_reached", "courtesy", "q_pris", "x_antall", "x_til"]
    )  # fmt: skip
    assert "11 field(s) of the call need a fix" in str(info.value)
    assert all(f"{p.field}:" in str(info.value) for p in info.value.problems)


# --------------------------------------------------------------------------------------------- warnings


def test_a_wait_over_the_limit_is_kept_with_a_warning() -> None:
    e = parse(reached(seconds_to_human="5:00", total_wait_s="5:30"))
    assert e.seconds_to_human == 300
    assert [str(w) for w in e.warnings] == ["waited 300 s for a person: the method says hang up after 240 s"]
    stored = e.data()["warnings"][0]
    assert stored["template"].startswith("waited {s} s") and stored["values"] == {"s": 300, "limit": 240}
    assert parse(reached(seconds_to_human="240")).warnings == []


def test_hanging_up_on_a_queue_before_the_limit_is_warned() -> None:
    early = parse(unreached("queue_too_long", total_wait_s="2:00"))
    assert [str(w) for w in early.warnings] == ["hung up after 120 s, before the 240 s limit"]
    assert parse(unreached("queue_too_long", total_wait_s="4:30")).warnings == []
    assert parse(unreached("queue_too_long")).warnings == []  # no wait given: nothing to judge
    assert parse(unreached("no_answer", total_wait_s="30")).warnings == []


# --------------------------------------------------------------------------------------------- the script's fields


def test_the_scripts_own_fields_are_read_by_their_kind() -> None:
    e = parse(
        reached(
            x_sagt="  tre uker  ",
            x_antall="1 200",
            x_pris_nok="3145",
            x_ko="2:05",
            x_henvist="ja",
            x_til="skolen",
            x_tilbake="i morgen kl. 10",
        )
    )
    assert e.extra == {
        "sagt": "tre uker",
        "antall": 1200,
        "pris_nok": 3145,
        "ko": 125,
        "henvist": True,
        "til": "skolen",
        "tilbake": "i morgen kl. 10",
    }
    assert parse(reached(x_henvist="nei")).extra["henvist"] is False


@pytest.mark.parametrize(
    ("name", "raw"),
    [("x_antall", "12a"), ("x_antall", "-3"), ("x_pris_nok", "3145,50"), ("x_pris_nok", "10000001"),
     ("x_ko", "1:99"), ("x_ko", "14401"), ("x_henvist", "kanskje"), ("x_til", "Skolen"), ("x_sagt", "x" * 1001)],
)  # fmt: skip
def test_a_bad_script_field_is_a_problem_of_that_field(name: str, raw: str) -> None:
    assert list(problems(reached(**{name: raw}))) == [name]


def test_fields_the_script_does_not_declare_are_ignored() -> None:
    e = parse(reached(x_ukjent="noe", q_ukjent="correct"))
    assert "ukjent" not in e.extra and "ukjent" not in e.questions


def test_notes_longer_than_the_limit_are_refused() -> None:
    assert list(problems(reached(notes="x" * 4001))) == ["notes"]
    assert len(parse(reached(notes="x" * 4000)).notes) == 4000


# --------------------------------------------------------------------------------------------- call_grade


@pytest.mark.parametrize(
    ("questions", "grade"),
    [
        ({}, "none"),
        ({"a": "none"}, "none"),
        ({"a": "none", "b": "none"}, "none"),
        ({"a": "correct"}, "correct"),
        ({"a": "correct", "b": "correct"}, "correct"),
        ({"a": "correct", "b": "partial"}, "partial"),
        ({"a": "correct", "b": "none"}, "partial"),
        ({"a": "correct", "b": "relevant"}, "partial"),
        ({"a": "partial"}, "partial"),
        ({"a": "partial", "b": "none"}, "partial"),
        ({"a": "relevant"}, "relevant"),
        ({"a": "relevant", "b": "none"}, "relevant"),
    ],
)
def test_call_grade(questions: dict[str, str], grade: str) -> None:
    assert call_grade(questions) == grade


# --------------------------------------------------------------------------------------------- round trip


def _round_trip(entry: CallEntry) -> dict[str, Any]:
    form = form_from_data(json.loads(json.dumps(entry.data())), TZ)
    assert all(isinstance(v, str) for v in form.values())
    return parse(form).data()


def test_a_reached_entry_survives_the_round_trip_through_the_form() -> None:
    entry = parse(
        reached(
            menu_steps="0",
            transfers="2",
            total_wait_s="6:00",
            case_officer_reached="no",
            courtesy="0",
            notes="Linje 1\nLinje 2",
            x_sagt="tre uker",
            x_antall="0",
            x_pris_nok="3145",
            x_ko="95",
            x_henvist="nei",
            x_til="ingen",
            x_tilbake="fredag",
            seconds_to_human="5:00",
        )
    )
    assert entry.warnings  # the wait over the limit: warnings are re-derived, not carried
    form = form_from_data(entry.data(), TZ)
    assert form["started_at"] == "2027-02-03T10:15" and form["case_officer_reached"] == "no"
    assert form["courtesy"] == "0" and form["menu_steps"] == "0" and form["x_henvist"] == "no"
    assert form["x_antall"] == "0" and form["q_pris"] == "correct"
    assert _round_trip(entry) == entry.data()


@pytest.mark.parametrize("outcome", ["no_answer", "queue_too_long", "closed"])
def test_an_unreached_entry_survives_the_round_trip(outcome: str) -> None:
    entry = parse(unreached(outcome, total_wait_s="60", menu_steps="2", transfers="1"))
    form = form_from_data(entry.data(), TZ)
    assert not any(k in form for k in REACHED_ONLY)
    assert _round_trip(entry) == entry.data()


def test_an_entry_given_in_utc_comes_back_at_the_same_instant_in_local_time() -> None:
    entry = parse(reached(started_at="2027-02-03T09:15+00:00"))
    form = form_from_data(entry.data(), TZ)
    assert form["started_at"] == "2027-02-03T10:15"
    assert parse(form).started_at == entry.started_at


def test_started_at_keeps_its_seconds_through_the_round_trip() -> None:
    entry = parse(reached(started_at="2027-02-03T10:15:42"))
    assert entry.started_at.second == 42
    assert _round_trip(entry)["started_at"] == entry.data()["started_at"]


@pytest.mark.parametrize("outcome", ["no_answer", "queue_too_long", "closed"])
def test_menu_steps_and_transfers_are_kept_for_a_call_that_reached_no_one(outcome: str) -> None:
    # A tester can go through the menu and be transferred before the queue or a closed line ends the call.
    e = parse(unreached(outcome, menu_steps="3", transfers="1"))
    assert (e.menu_steps, e.transfers) == (3, 1)
