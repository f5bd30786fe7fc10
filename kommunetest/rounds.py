"""Test rounds: sampling, assignment and scheduling on the business-day calendar.

A plan is a pure function of (register, question bank, settings, start, weeks, seed): planning the same round
again produces the same probes with the same ids, so re-planning never duplicates anything.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kommunetest.calendar import Calendars, WorkCalendar
from kommunetest.errors import UsageError
from kommunetest.register import Municipality, Register
from kommunetest.scenarios import QuestionBank, Scenario
from kommunetest.settings import Settings
from kommunetest.store import Store, probe_id

METHOD_VERSION = "kommunetest-2027.1"
# Keep sends away from the edges of the office day: nobody writes at 08:00:00 sharp or one minute to close.
EMAIL_MARGIN = timedelta(minutes=20)
CALL_LENGTH = timedelta(minutes=15)


@dataclass(frozen=True)
class Sample:
    """Which municipalities a round covers: all, a stratified random sample, or a named list."""

    kind: str  # census | stratified | list
    size: int | None = None
    numbers: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()

    @classmethod
    def parse(cls, spec: str, sample_size: int | None = None) -> Sample:
        """`all`, `county:46,county:50`, or `3203,0301`; with `sample_size` a stratified sample of that."""
        spec = spec.strip()
        counties: tuple[str, ...] = ()
        numbers: tuple[str, ...] = ()
        if spec != "all":
            parts = [p.strip() for p in spec.split(",") if p.strip()]
            counties = tuple(p.split(":", 1)[1] for p in parts if p.startswith("county:"))
            numbers = tuple(p for p in parts if not p.startswith("county:"))
            bad = [n for n in numbers if not (len(n) == 4 and n.isdigit())]
            if bad or not parts:
                raise UsageError(
                    f"--municipalities: cannot read {', '.join(bad) or spec!r}",
                    hint="use `all`, 4-digit kommunenummer separated by commas, or county:NN",
                )
        if sample_size is not None:
            if sample_size < 1:
                raise UsageError("--sample must be at least 1")
            return cls("stratified", sample_size, numbers, counties)
        return cls("census" if spec == "all" else "list", None, numbers, counties)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "size": self.size,
            "numbers": list(self.numbers),
            "counties": list(self.counties),
        }


def select_municipalities(register: Register, sample: Sample, seed: int) -> list[Municipality]:
    """Apply the sample. Stratified: proportional to county × size class (largest remainders), seeded."""
    pool = list(register)
    if sample.counties:
        known = {m.county_number for m in pool} | {m.county.casefold() for m in pool}
        unknown = [c for c in sample.counties if c not in known and c.casefold() not in known]
        if unknown:
            raise UsageError(
                f"unknown county {', '.join(unknown)}", hint="use the 2-digit county number or name"
            )
        wanted = {c.casefold() for c in sample.counties}
        pool = [m for m in pool if m.county_number in wanted or m.county.casefold() in wanted]
    if sample.numbers:
        by_number = {m.kommunenummer: m for m in register}
        missing = [n for n in sample.numbers if n not in by_number]
        if missing:
            raise UsageError(
                f"kommunenummer not in the register: {', '.join(missing)}",
                hint="see `kommunetest register list`",
            )
        chosen = [by_number[n] for n in sample.numbers]
        pool = chosen if not sample.counties else pool + [m for m in chosen if m not in pool]
    if sample.kind != "stratified" or sample.size is None or sample.size >= len(pool):
        return sorted(pool, key=lambda m: m.kommunenummer)
    # Two-stage allocation: counties get their share of the sample exactly (largest remainders), then each
    # county's share is split over its size classes the same way, so both margins stay proportional.
    counties: dict[str, list[Municipality]] = defaultdict(list)
    for m in pool:
        counties[m.county_number].append(m)
    strata: dict[tuple[str, str], list[Municipality]] = defaultdict(list)
    alloc: dict[tuple[str, str], int] = {}
    for county, n in _largest_remainder({c: len(v) for c, v in counties.items()}, sample.size).items():
        classes: dict[str, list[Municipality]] = defaultdict(list)
        for m in counties[county]:
            classes[m.size_class].append(m)
        for cls, k in _largest_remainder({c: len(v) for c, v in classes.items()}, n).items():
            strata[(county, cls)] = classes[cls]
            alloc[(county, cls)] = k
    rng = random.Random(f"sample:{seed}")
    out: list[Municipality] = []
    for k in sorted(strata):
        members = sorted(strata[k], key=lambda m: m.kommunenummer)
        out.extend(rng.sample(members, alloc[k]))
    return sorted(out, key=lambda m: m.kommunenummer)


def _largest_remainder(sizes: dict[str, int], total: int) -> dict[str, int]:
    """Split `total` over groups in proportion to their sizes, in whole numbers that add up exactly."""
    whole = sum(sizes.values())
    quotas = {k: total * v / whole for k, v in sizes.items()}
    out = {k: math.floor(q) for k, q in quotas.items()}
    for k in sorted(quotas, key=lambda k: (-(quotas[k] - out[k]), k))[: total - sum(out.values())]:
        out[k] += 1
    return out


@dataclass
class Plan:
    municipalities: list[Municipality]
    probes: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)

    def count(self, channel: str) -> int:
        return sum(1 for p in self.probes if p["channel"] == channel)


def _assign(
    members: Sequence[Municipality], scenarios: Sequence[Scenario], k: int, rng: random.Random
) -> dict[str, list[Scenario]]:
    """k distinct scenarios per municipality, rotated so each scenario is used about equally in the group."""
    if not scenarios or k == 0:
        return {m.kommunenummer: [] for m in members}
    k = min(k, len(scenarios))
    order = list(scenarios)
    rng.shuffle(order)
    out = {}
    for i, m in enumerate(members):
        out[m.kommunenummer] = [order[(i * k + j) % len(order)] for j in range(k)]
    return out


class _DayPicker:
    """Chooses send days: spread load evenly, keep a municipality's probes apart, and never give two
    municipalities in the same county the same question on the same day."""

    def __init__(self, days: list[date], rng: random.Random, min_gap: int) -> None:
        self.days = days
        self.index = {d: i for i, d in enumerate(days)}
        self.load: Counter[date] = Counter()
        self.taken: set[tuple[str, str, date]] = set()
        self.rng = rng
        self.min_gap = min_gap
        self.relaxed = 0

    def pick(self, cal: WorkCalendar, county: str, scenario_id: str, own: list[date]) -> date:
        candidates = [d for d in self.days if cal.is_working_day(d)] or self.days
        tiers = [
            lambda d: (county, scenario_id, d) not in self.taken and self._apart(d, own, self.min_gap),
            lambda d: (county, scenario_id, d) not in self.taken and self._apart(d, own, 1),
            lambda d: self._apart(d, own, 1),
            lambda d: True,
        ]
        for tier, ok in enumerate(tiers):
            feasible = [d for d in candidates if ok(d)]
            if feasible:
                if tier >= 2:
                    self.relaxed += 1
                low = min(self.load[d] for d in feasible)
                day = self.rng.choice([d for d in feasible if self.load[d] <= low + 1])
                self.load[day] += 1
                self.taken.add((county, scenario_id, day))
                return day
        raise AssertionError("unreachable: the last tier accepts every day")

    def _apart(self, d: date, own: list[date], gap: int) -> bool:
        return all(abs(self.index.get(d, 0) - self.index.get(o, 0)) >= gap for o in own)


def _time_in(rng: random.Random, start: datetime, end: datetime) -> datetime:
    minutes = max(int((end - start).total_seconds() // 60), 0)
    return (start + timedelta(minutes=rng.randint(0, minutes))).astimezone(UTC)


def _parse_hhmm(value: str, name: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError as e:
        raise UsageError(f"{name}: {value!r} is not a time HH:MM") from e


def plan_round(
    name: str,
    register: Register,
    bank: QuestionBank,
    settings: Settings,
    *,
    start: date,
    weeks: int,
    sample: Sample,
    seed: int | None = None,
    scenario_ids: Sequence[str] | None = None,
    calendars: Calendars | None = None,
) -> Plan:
    """Compute every probe of a round. Pure: no store access, same inputs give the same plan."""
    if weeks < 1:
        raise UsageError("--weeks must be at least 1")
    rs = settings.rounds
    seed = rs.seed if seed is None else seed
    calendars = calendars or Calendars.from_settings(settings)
    if scenario_ids:
        for i in scenario_ids:
            bank.get(i)  # NotFoundError names an unknown id
        # Bank order, not the caller's: the plan must not depend on how the ids were listed or stored.
        chosen = [s for s in bank if s.id in set(scenario_ids)]
    else:
        chosen = list(bank)
    munis = select_municipalities(register, sample, seed)
    if not munis:
        raise UsageError("the round has no municipalities", hint="check --municipalities")
    end = start + timedelta(days=7 * weeks - 1)
    national = calendars.for_municipality(None)
    days = national.working_days(start, end)
    if not days:
        raise UsageError(f"no working days between {start} and {end}")

    personas = settings.email.personas
    email_s = [s for s in chosen if s.channel == "email"]
    phone_s = [s for s in chosen if s.channel == "phone"]
    web_s = [s for s in chosen if s.channel == "web"]
    k_email = min(rs.email_per_municipality, len(email_s))
    warnings: list[str] = []
    if email_s and k_email > len(personas) and not settings.email.allow_persona_reuse:
        raise UsageError(
            f"{k_email} e-mail probes per municipality need at least {k_email} personas; {len(personas)} configured",
            hint="add [[email.personas]] in kommunetest.toml, lower rounds.email_per_municipality, "
            "or set email.allow_persona_reuse = true",
        )

    rng = random.Random(f"plan:{name}:{seed}")
    by_county: dict[str, list[Municipality]] = defaultdict(list)
    for m in munis:
        by_county[m.county_number].append(m)
    email_assign: dict[str, list[Scenario]] = {}
    phone_assign: dict[str, list[Scenario]] = {}
    for county in sorted(by_county):
        members = sorted(by_county[county], key=lambda m: m.kommunenummer)
        rng.shuffle(members)
        email_assign |= _assign(members, email_s, rs.email_per_municipality, rng)
        phone_assign |= _assign(members, phone_s, rs.phone_per_municipality, rng)

    email_days = _DayPicker(days, rng, rs.min_days_between_probes)
    phone_days = _DayPicker(days, rng, 1)
    call_from = _parse_hhmm(rs.call_window_start, "rounds.call_window_start")
    call_to = _parse_hhmm(rs.call_window_end, "rounds.call_window_end")
    variant_seen: Counter[tuple[str, str]] = Counter()
    probes: list[dict[str, Any]] = []
    order = list(munis)
    rng.shuffle(order)
    for m in order:
        cal = calendars.for_municipality(m.kommunenummer)
        base = dict(round_name=name, kommunenummer=m.kommunenummer)
        own: list[date] = []
        offset = rng.randrange(len(personas)) if personas else 0
        for j, s in enumerate(email_assign.get(m.kommunenummer, [])):
            day = email_days.pick(cal, m.county_number, s.id, own)
            own.append(day)
            open_, close = cal.office_window(day) if cal.is_working_day(day) else national.office_window(day)
            variant = variant_seen[(m.county_number, s.id)] % s.email.variant_count if s.email else 0
            variant_seen[(m.county_number, s.id)] += 1
            probes.append(
                {
                    **base,
                    "scenario_id": s.id,
                    "channel": "email",
                    "sector": s.sector,
                    "planned_at": _time_in(rng, open_ + EMAIL_MARGIN, close - EMAIL_MARGIN),
                    "persona_id": personas[(offset + j) % len(personas)].id if personas else None,
                    "variant": variant,
                }
            )
        own_calls: list[date] = []
        for s in phone_assign.get(m.kommunenummer, []):
            day = phone_days.pick(cal, m.county_number, s.id, own_calls)
            own_calls.append(day)
            win_start = datetime.combine(day, call_from, tzinfo=cal.tz)
            win_end = datetime.combine(day, call_to, tzinfo=cal.tz) - CALL_LENGTH
            probes.append(
                {**base, "scenario_id": s.id, "channel": "phone", "sector": s.sector,
                 "planned_at": _time_in(rng, win_start, win_end)}
            )  # fmt: skip
        for s in web_s:
            probes.append(
                {**base, "scenario_id": s.id, "channel": "web", "sector": s.sector, "planned_at": None}
            )
    if email_days.relaxed:
        warnings.append(
            f"{email_days.relaxed} e-mail probes share a question and a day with another municipality in their "
            "county (too few working days for the spread asked); lengthen the round with --weeks"
        )
    if phone_days.relaxed:
        warnings.append(f"{phone_days.relaxed} phone probes could not be spread as asked")
    weights = {s.id: s.weight for s in chosen}
    for p in probes:
        p["id"] = probe_id(name, p["kommunenummer"], p["scenario_id"])
        p["details"] = {"weight": weights[p["scenario_id"]]}
    probes.sort(key=lambda p: (p["planned_at"] or datetime.max.replace(tzinfo=UTC), p["id"]))
    return Plan(munis, probes, warnings)


def municipality_row(m: Municipality) -> dict[str, Any]:
    return {
        "kommunenummer": m.kommunenummer,
        "name": m.name,
        "name_alt": m.name_alt,
        "county_number": m.county_number,
        "county": m.county,
        "population": m.population,
        "size_class": m.size_class,
        "website": m.website,
        "email": m.email,
        "phone": m.phone,
    }


def save_plan(store: Store, name: str, plan: Plan, *, start: date, weeks: int, seed: int, sample: Sample,
              settings: Settings, create: bool = True) -> int:  # fmt: skip
    """Store the round (if new), its municipalities and the probes that are not stored yet."""
    if create:
        store.create_round(
            name,
            start_date=start,
            weeks=weeks,
            seed=seed,
            method_version=METHOD_VERSION,
            sample=sample.as_dict(),
            scenario_ids=sorted({p["scenario_id"] for p in plan.probes}),
            config={"rounds": settings.rounds.model_dump(), "calendar": settings.calendar.model_dump()},
        )
    store.add_round_municipalities(name, [municipality_row(m) for m in plan.municipalities])
    return store.add_probes(plan.probes)


STATUS_GROUPS = {
    "planned": ("planned", "waiting", "due"),
    "sent": ("sending", "sent"),
    "done": ("answered", "done"),
    "failed": ("failed",),
    "cancelled": ("cancelled",),
}


def round_status(store: Store, name: str) -> dict[str, Any]:
    """Progress of a round: probes per channel and status group, overall and per county."""
    rnd = store.get_round(name)
    group_of = {s: g for g, members in STATUS_GROUPS.items() for s in members}
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    counties: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for row in store.probe_counts(name):
        g = group_of.get(row["status"], row["status"])
        totals[row["channel"]][g] += row["n"]
        counties[row["county"]][row["channel"]][g] += row["n"]
    return {
        "round": rnd["name"],
        "status": rnd["status"],
        "start_date": rnd["start_date"].isoformat(),
        "weeks": rnd["weeks"],
        "method_version": rnd["method_version"],
        "municipalities": len(store.round_municipalities(name)),
        "channels": {c: dict(v) for c, v in sorted(totals.items())},
        "counties": {k: {c: dict(v) for c, v in sorted(ch.items())} for k, ch in sorted(counties.items())},
    }
