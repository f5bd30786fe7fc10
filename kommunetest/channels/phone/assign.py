"""Who calls what: phone probes shared among testers, and how far each tester has come.

Calls are shared day by day, so that no tester gets a day of forty calls while another has four; a probe
that has its tester keeps it when assignment runs again (new testers only get what is left), unless the
coordinator asks to share everything that is not yet called anew.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kommunetest.channels.phone.accounts import require_tester
from kommunetest.channels.phone.calls import PhoneDesk
from kommunetest.errors import NotFoundError, UsageError
from kommunetest.i18n import Msg
from kommunetest.store import Store


@dataclass
class Assignment:
    assigned: int
    kept: int
    per_tester: dict[str, int] = field(default_factory=dict)


def assign_round(
    store: Store, round_name: str, *, usernames: Sequence[str] = (), tz: ZoneInfo, rebalance: bool = False,
    by: str = "cli",
) -> Assignment:  # fmt: skip
    """Share the round's phone probes among testers (every active tester when none are named)."""
    store.get_round(round_name)
    if usernames:
        people = [require_tester(store, u) for u in usernames]
    else:  # testers make the calls; coordinators only when there is nobody else (or when named)
        people = store.testers(active_only=True, role="tester") or store.testers(active_only=True)
    people = [p for p in people if p["active"]]
    if not people:
        raise UsageError(
            "there is no active tester to give calls to",
            hint="add one with `kommunetest phone tester add NAME`",
        )
    calls = store.phone_calls(round_name=round_name)
    if not calls:
        raise NotFoundError(
            Msg("round {name} has no phone probes", name=round_name), hint="plan it with phone scenarios"
        )
    started = set(store.phone_entry_counts(round_name))
    ids = {p["id"] for p in people}
    # A call that has begun stays with whoever began it, even when rebalancing.
    kept = {c["id"] for c in calls if c["tester_id"] is not None and (not rebalance or c["id"] in started)}
    keep = [c for c in calls if c["id"] in kept]
    todo = [c for c in calls if c["id"] not in kept]
    by_day: dict[Any, Counter[int]] = defaultdict(Counter)
    total: Counter[int] = Counter()
    for c in keep:
        if c["tester_id"] in ids:
            by_day[_day(c, tz)][c["tester_id"]] += 1
            total[c["tester_id"]] += 1
    pairs: list[tuple[str, int]] = []
    names = {p["id"]: p["username"] for p in people}
    for c in todo:
        day = by_day[_day(c, tz)]
        tid = min(ids, key=lambda i: (day[i], total[i], names[i]))
        day[tid] += 1
        total[tid] += 1
        pairs.append((c["id"], tid))
    store.assign_calls(pairs, by=by, replace=rebalance)
    per = Counter(names[t] for _, t in pairs)
    return Assignment(len(pairs), len(keep), dict(sorted(per.items())))


def reassign(store: Store, probe_ids: Sequence[str], username: str, *, by: str) -> int:
    tester = require_tester(store, username)
    if not tester["active"]:
        raise UsageError(
            Msg("tester {name} is switched off", name=username), hint="switch the account on first"
        )
    for pid in probe_ids:
        if store.get_probe(pid)["channel"] != "phone":
            raise UsageError(Msg("{id} is not a phone call", id=pid), hint="choose phone probes only")
    return store.assign_calls([(p, tester["id"]) for p in probe_ids], by=by, replace=True)


def _day(call: dict[str, Any], tz: ZoneInfo) -> Any:
    return call["planned_at"].astimezone(tz).date() if call["planned_at"] else None


def progress(desk: PhoneDesk, round_name: str, calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Counts for the coordinator: by state, by tester, and how many calls reached someone. `calls`: the
    round's calls from `desk.calls`, when the caller has them already."""
    calls = desk.calls(round_name=round_name) if calls is None else calls
    names = {t["id"]: t["username"] for t in desk.store.testers()}
    by_state = Counter(c["state"].status for c in calls)
    by_tester: dict[str, Counter[str]] = defaultdict(Counter)
    for c in calls:
        by_tester[names.get(c["tester_id"], "")][c["state"].status] += 1
    done = [c for c in calls if c["state"].status == "done"]
    return {
        "round": round_name,
        "calls": len(calls),
        "unassigned": sum(1 for c in calls if c["tester_id"] is None),
        "to_call": by_state["to_call"],
        "retry": by_state["retry"],
        "done": len(done),
        "reached": sum(1 for c in done if c["state"].reached),
        "testers": {k: dict(v) for k, v in sorted(by_tester.items())},
    }
