"""Who calls what: sharing a round's calls among testers day by day, keeping them on re-runs, rebalancing,
moving single calls, and the coordinator's progress counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import DefaultInputs
from werkzeug.security import generate_password_hash

from kommunetest.channels.phone.accounts import set_active
from kommunetest.channels.phone.assign import Assignment, assign_round, progress, reassign
from kommunetest.channels.phone.calls import PhoneDesk
from kommunetest.errors import KommunetestError, NotFoundError, UsageError
from kommunetest.rounds import Sample, plan_round, save_plan
from kommunetest.store import Store

TZ = ZoneInfo("Europe/Oslo")
START = date(2027, 2, 1)
NOW = datetime(2027, 6, 1, tzinfo=UTC)
TEN = "0301,1101,1103,1106,1108,1111,1112,1114,1119,1120"  # 20 calls in one week
HASH = generate_password_hash("ikke-i-bruk-123")


Inputs = DefaultInputs


@pytest.fixture(scope="module")
def inputs(default_inputs: DefaultInputs) -> Inputs:
    return default_inputs


@pytest.fixture
def sqlite(tmp_path: Path):
    s = Store.connect(None, tmp_path / "results")
    yield s
    s.close()


def make_round(
    store: Store, inputs: Inputs, name: str = "r1", numbers: str = TEN, scenario_ids: list[str] | None = None
) -> int:
    ids = scenario_ids or [s.id for s in inputs.bank.by_channel("phone")]
    sample = Sample.parse(numbers)
    plan = plan_round(name, inputs.register, inputs.bank, inputs.settings, start=START, weeks=1, sample=sample,
                      scenario_ids=ids)  # fmt: skip
    save_plan(store, name, plan, start=START, weeks=1, seed=1, sample=sample, settings=inputs.settings)
    return sum(1 for p in plan.probes if p["channel"] == "phone")


def add_testers(store: Store, *names: str) -> dict[str, dict[str, Any]]:
    return {n: store.add_tester(n, n.title(), "tester", HASH) for n in names}


def owners(store: Store, round_name: str = "r1") -> dict[str, int | None]:
    return {c["id"]: c["tester_id"] for c in store.phone_calls(round_name=round_name)}


def per_day(store: Store, round_name: str = "r1") -> dict[date, Counter[int]]:
    out: dict[date, Counter[int]] = defaultdict(Counter)
    for c in store.phone_calls(round_name=round_name):
        out[c["planned_at"].astimezone(TZ).date()][c["tester_id"]] += 1
    return out


def spread(counts: Counter[int], ids: list[int]) -> int:
    values = [counts.get(i, 0) for i in ids]
    return max(values) - min(values)


# --------------------------------------------------------------------------------------------- sharing


def test_coordinators_get_calls_only_when_named_or_when_there_is_no_tester(
    sqlite: Store, inputs: Inputs
) -> None:
    n = make_round(sqlite, inputs)
    boss = sqlite.add_tester("sjef", "Sjef", "coordinator", HASH)
    assert assign_round(sqlite, "r1", tz=TZ).per_tester == {"sjef": n}  # nobody else: the coordinator calls
    add_testers(sqlite, "anne", "bjorn")
    result = assign_round(sqlite, "r1", tz=TZ, rebalance=True)
    assert set(result.per_tester) == {"anne", "bjorn"} and boss["id"] not in set(owners(sqlite).values())
    named = assign_round(sqlite, "r1", tz=TZ, usernames=["sjef", "anne"], rebalance=True)
    assert set(named.per_tester) == {"sjef", "anne"}


def test_calls_are_shared_evenly_each_day_among_active_testers(sqlite: Store, inputs: Inputs) -> None:
    n = make_round(sqlite, inputs)
    t = add_testers(sqlite, "anne", "bjorn", "cecilie", "dag")
    set_active(sqlite, "dag", False)
    result = assign_round(sqlite, "r1", tz=TZ)
    assert result.assigned == n == 20 and result.kept == 0
    assert set(result.per_tester) == {"anne", "bjorn", "cecilie"} and sum(result.per_tester.values()) == n
    assert sqlite.phone_calls(round_name="r1", unassigned=True) == []
    ids = [t[x]["id"] for x in ("anne", "bjorn", "cecilie")]
    days = per_day(sqlite)
    assert len(days) == 5 and max(sum(c.values()) for c in days.values()) >= 4  # several calls a day
    for day, counts in days.items():
        assert set(counts) <= set(ids), day  # the switched-off tester gets nothing
        assert spread(counts, ids) <= 1, (day, counts)
    totals = Counter(owners(sqlite).values())
    assert spread(totals, ids) <= 1 and dict(totals) == {t[k]["id"]: v for k, v in result.per_tester.items()}


def test_each_day_is_shared_even_when_one_tester_already_has_more_calls(
    sqlite: Store, inputs: Inputs
) -> None:
    """Evening out totals alone would give the newcomer's days all to one tester: the days come first."""
    make_round(sqlite, inputs)
    t = add_testers(sqlite, "anne", "bjorn")
    first_day = min(per_day(sqlite))
    early = [
        c["id"]
        for c in sqlite.phone_calls(round_name="r1")
        if c["planned_at"].astimezone(TZ).date() == first_day
    ]
    assert len(early) >= 3
    reassign(sqlite, early, "anne", by="sjef")
    result = assign_round(sqlite, "r1", tz=TZ)
    assert result.kept == len(early) and result.assigned == 20 - len(early)
    ids = [t["anne"]["id"], t["bjorn"]["id"]]
    for day, counts in per_day(sqlite).items():
        if day != first_day:
            assert spread(counts, ids) <= 1, (day, counts)


def test_assignment_is_idempotent_and_new_testers_get_only_what_is_left(store: Store, inputs: Inputs) -> None:
    n = make_round(store, inputs)
    add_testers(store, "anne", "bjorn")
    first = assign_round(store, "r1", tz=TZ)
    before = owners(store)
    again = assign_round(store, "r1", tz=TZ)
    assert again == Assignment(assigned=0, kept=n, per_tester={})
    assert owners(store) == before
    add_testers(store, "cecilie")
    later = assign_round(store, "r1", tz=TZ)
    assert later.assigned == 0 and later.kept == n and owners(store) == before
    assert first.assigned == n and sorted(first.per_tester) == ["anne", "bjorn"]


def test_named_testers_share_the_calls_and_switched_off_testers_are_skipped(
    sqlite: Store, inputs: Inputs
) -> None:
    n = make_round(sqlite, inputs)
    t = add_testers(sqlite, "anne", "bjorn", "cecilie")
    set_active(sqlite, "bjorn", False)
    result = assign_round(sqlite, "r1", usernames=["ANNE", "bjorn"], tz=TZ)
    assert result.per_tester == {"anne": n}
    assert set(owners(sqlite).values()) == {t["anne"]["id"]}
    with pytest.raises(NotFoundError):
        assign_round(sqlite, "r1", usernames=["nobody"], tz=TZ)


def test_with_no_active_tester_nothing_is_assigned(sqlite: Store, inputs: Inputs) -> None:
    make_round(sqlite, inputs)
    with pytest.raises(UsageError, match="no active tester"):
        assign_round(sqlite, "r1", tz=TZ)
    add_testers(sqlite, "anne")
    set_active(sqlite, "anne", False)
    with pytest.raises(UsageError, match="no active tester"):
        assign_round(sqlite, "r1", tz=TZ)
    with pytest.raises(UsageError):
        assign_round(sqlite, "r1", usernames=["anne"], tz=TZ)
    assert set(owners(sqlite).values()) == {None}


def test_a_round_without_phone_probes_or_an_unknown_round_is_an_error(sqlite: Store, inputs: Inputs) -> None:
    web = inputs.bank.by_channel("web")[0].id
    make_round(sqlite, inputs, "bare-web", "0301", scenario_ids=[web])
    add_testers(sqlite, "anne")
    with pytest.raises(NotFoundError, match="no phone probes"):
        assign_round(sqlite, "bare-web", tz=TZ)
    with pytest.raises(NotFoundError):
        assign_round(sqlite, "finnes-ikke", tz=TZ)


# --------------------------------------------------------------------------------------------- rebalance


def _begin(store: Store, inputs: Inputs, pid: str, tester: dict[str, Any]) -> None:
    """Record a first, unanswered attempt: the call has begun."""
    desk = PhoneDesk(store, inputs.bank, inputs.settings)
    planned = store.get_probe(pid)["planned_at"].astimezone(TZ)
    started = datetime.combine(planned.date(), time(10, 0), tzinfo=TZ)
    form = {"outcome": "no_answer", "started_at": f"{started:%Y-%m-%dT%H:%M}", "number_dialled": "22000000"}
    desk.record(pid, tester, form, nonce=f"begin-{pid}", attempt=1, now=NOW)


def test_rebalance_moves_only_calls_not_yet_begun(store: Store, inputs: Inputs) -> None:
    n = make_round(store, inputs)
    t = add_testers(store, "anne", "bjorn")
    assign_round(store, "r1", tz=TZ)
    before = owners(store)
    begun = {next(p for p, o in before.items() if o == t[x]["id"]): t[x]["id"] for x in ("anne", "bjorn")}
    for pid, tid in begun.items():
        _begin(store, inputs, pid, store.tester(tester_id=tid))  # type: ignore[arg-type]

    t |= add_testers(store, "cecilie")
    result = assign_round(store, "r1", tz=TZ, rebalance=True)
    assert result.kept == 2 and result.assigned == n - 2
    after = owners(store)
    assert all(after[pid] == tid for pid, tid in begun.items())  # begun calls stay put
    totals = Counter(after.values())
    assert totals[t["cecilie"]["id"]] >= 5  # the newcomer gets a fair share of what was not begun
    assert spread(totals, [x["id"] for x in t.values()]) <= 1

    # switching a tester off and rebalancing hands on all their calls but the one they began
    set_active(store, "anne", False)
    assign_round(store, "r1", tz=TZ, rebalance=True)
    anne = [pid for pid, o in owners(store).items() if o == t["anne"]["id"]]
    assert anne == [pid for pid, tid in begun.items() if tid == t["anne"]["id"]]


def test_without_rebalance_a_switched_off_testers_calls_stay_with_them(sqlite: Store, inputs: Inputs) -> None:
    make_round(sqlite, inputs)
    t = add_testers(sqlite, "anne", "bjorn")
    assign_round(sqlite, "r1", tz=TZ)
    before = owners(sqlite)
    set_active(sqlite, "anne", False)
    assert assign_round(sqlite, "r1", tz=TZ).assigned == 0
    assert owners(sqlite) == before and t["anne"]["id"] in before.values()


# --------------------------------------------------------------------------------------------- reassign


def test_reassign_moves_single_calls(store: Store, inputs: Inputs) -> None:
    make_round(store, inputs, numbers="0301,1101")
    t = add_testers(store, "anne", "bjorn")
    assign_round(store, "r1", usernames=["anne"], tz=TZ)
    calls = list(owners(store))
    assert reassign(store, calls[:2], "BJORN", by="sjef") == 2
    now = owners(store)
    assert [now[c] for c in calls] == [t["bjorn"]["id"]] * 2 + [t["anne"]["id"]] * (len(calls) - 2)
    assert reassign(store, calls[:1], "bjorn", by="sjef") == 0  # already there
    set_active(store, "anne", False)
    with pytest.raises(UsageError, match="switched off"):
        reassign(store, calls[:1], "anne", by="sjef")
    with pytest.raises(NotFoundError):
        reassign(store, ["r1:0301:finnes-ikke"], "bjorn", by="sjef")
    with pytest.raises(NotFoundError):
        reassign(store, calls[:1], "nobody", by="sjef")
    assert owners(store) == now


def test_reassign_refuses_a_probe_that_is_not_a_call(sqlite: Store, inputs: Inputs) -> None:
    web = inputs.bank.by_channel("web")[0].id
    make_round(sqlite, inputs, numbers="0301", scenario_ids=[web, inputs.bank.by_channel("phone")[0].id])
    add_testers(sqlite, "anne")
    web_probe = next(p["id"] for p in sqlite.probes("r1") if p["channel"] == "web")
    with pytest.raises(KommunetestError):
        reassign(sqlite, [web_probe], "anne", by="sjef")


# --------------------------------------------------------------------------------------------- progress


def test_progress_counts_calls_by_state_and_tester(sqlite: Store, inputs: Inputs) -> None:
    make_round(sqlite, inputs, numbers="0301,1101")
    t = add_testers(sqlite, "anne")
    desk = PhoneDesk(sqlite, inputs.bank, inputs.settings)
    calls = list(owners(sqlite))
    assert len(calls) == 4
    empty = progress(desk, "r1")
    assert empty == {"round": "r1", "calls": 4, "unassigned": 4, "to_call": 4, "retry": 0, "done": 0,
                     "reached": 0, "testers": {"": {"to_call": 4}}}  # fmt: skip
    reassign(sqlite, calls[:3], "anne", by="sjef")
    anne = t["anne"]
    _begin(sqlite, inputs, calls[0], anne)  # no answer: to retry
    _begin(sqlite, inputs, calls[1], anne)
    _, spec = desk.spec(sqlite.get_probe(calls[1])["scenario_id"])
    planned = sqlite.get_probe(calls[1])["planned_at"].astimezone(TZ)
    form = {"outcome": "reached", "started_at": f"{planned.date()}T12:00", "number_dialled": "22000000",
            "seconds_to_human": "30", "case_officer_reached": "no", "courtesy": "2",
            **{f"q_{q.id}": "partial" for q in spec.questions}}  # fmt: skip
    desk.record(calls[1], anne, form, nonce="second", attempt=2, now=NOW)
    got = progress(desk, "r1")
    assert got == {"round": "r1", "calls": 4, "unassigned": 1, "to_call": 2, "retry": 1, "done": 1,
                   "reached": 1, "testers": {"": {"to_call": 1}, "anne": {"retry": 1, "done": 1, "to_call": 1}}}  # fmt: skip
    # a second miss finishes the call without reaching anyone
    form = {"outcome": "closed", "started_at": f"{planned.date()}T13:00", "number_dialled": "22000000"}
    desk.record(calls[0], anne, form, nonce="miss-2", attempt=2, now=NOW)
    got = progress(desk, "r1")
    assert (got["done"], got["reached"], got["retry"]) == (2, 1, 0)
