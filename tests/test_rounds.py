"""Round planning: sampling, assignment and scheduling on the business-day calendar."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, time
from pathlib import Path

import pytest

from kommunetest.calendar import Calendars
from kommunetest.errors import UsageError
from kommunetest.register import load_register, register_path
from kommunetest.rounds import Sample, plan_round, save_plan, select_municipalities
from kommunetest.scenarios import load_scenarios, scenarios_pattern
from kommunetest.settings import load_settings
from kommunetest.store import Store

START = date(2027, 2, 1)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory):
    settings = load_settings(tmp_path_factory.mktemp("proj"))
    return settings, load_register(register_path(settings)), load_scenarios(*scenarios_pattern(settings))


@pytest.fixture(scope="module")
def census(inputs):
    settings, register, bank = inputs
    return plan_round("host-2027", register, bank, settings, start=START, weeks=6, sample=Sample("census"))


def test_census_covers_every_municipality_with_the_configured_probe_counts(inputs, census) -> None:
    settings, _register, bank = inputs
    assert len(census.municipalities) == 357
    per = defaultdict(Counter)
    for p in census.probes:
        per[p["kommunenummer"]][p["channel"]] += 1
    assert len(per) == 357
    for counts in per.values():
        assert counts["email"] == settings.rounds.email_per_municipality == 3
        assert counts["phone"] == settings.rounds.phone_per_municipality == 2
        assert counts["web"] == len(bank.by_channel("web")) == 24
    assert len({p["id"] for p in census.probes}) == len(census.probes)
    assert census.warnings == []


def test_email_probes_fall_in_office_hours_on_working_days_and_are_spread(inputs, census) -> None:
    settings, register, _ = inputs
    cal = Calendars.from_settings(settings).for_municipality(None)
    county_of = {m.kommunenummer: m.county_number for m in register}
    seen: set[tuple[str, str, date]] = set()
    days_of: dict[str, list[date]] = defaultdict(list)
    personas_of: dict[str, list[str]] = defaultdict(list)
    for p in census.probes:
        if p["channel"] != "email":
            continue
        local = p["planned_at"].astimezone(cal.tz)
        assert cal.is_working_day(local.date()), p
        assert cal.is_open(p["planned_at"]), p
        assert START <= local.date() < date(2027, 3, 15)
        key = (county_of[p["kommunenummer"]], p["scenario_id"], local.date())
        assert key not in seen, f"two municipalities in county {key[0]} get {key[1]} on {key[2]}"
        seen.add(key)
        days_of[p["kommunenummer"]].append(local.date())
        personas_of[p["kommunenummer"]].append(p["persona_id"])
    for knr, days in days_of.items():
        gaps = [len(cal.working_days(a, b)) - 1 for a, b in zip(sorted(days), sorted(days)[1:], strict=False)]
        assert min(gaps) >= settings.rounds.min_days_between_probes, knr
    assert all(len(set(v)) == len(v) for v in personas_of.values()), (
        "a persona wrote twice to one municipality"
    )
    # spread over the weeks and the times of day, not bunched
    weeks = Counter(
        p["planned_at"].astimezone(cal.tz).isocalendar().week for p in census.probes if p["planned_at"]
    )
    assert len(weeks) == 6 and min(weeks.values()) > 0.5 * max(weeks.values())
    hours = Counter(p["planned_at"].astimezone(cal.tz).hour for p in census.probes if p["channel"] == "email")
    assert set(hours) >= {8, 9, 10, 11, 12, 13, 14}
    # wording varies: every e-mail scenario with several variants is sent in more than one wording
    variants = defaultdict(set)
    for p in census.probes:
        if p["channel"] == "email":
            variants[p["scenario_id"]].add(p["variant"])
    assert all(len(v) > 1 for v in variants.values())


def test_phone_probes_are_in_the_call_window(inputs, census) -> None:
    settings, _, _ = inputs
    cal = Calendars.from_settings(settings).for_municipality(None)
    for p in census.probes:
        if p["channel"] == "phone":
            local = p["planned_at"].astimezone(cal.tz)
            assert cal.is_working_day(local.date())
            assert time(9, 30) <= local.time() <= time(14, 45), local


def test_plans_are_reproducible_from_the_seed(inputs, census) -> None:
    settings, register, bank = inputs
    again = plan_round("host-2027", register, bank, settings, start=START, weeks=6, sample=Sample("census"))
    assert again.probes == census.probes
    other = plan_round(
        "host-2027", register, bank, settings, start=START, weeks=6, sample=Sample("census"), seed=7
    )
    assert other.probes != census.probes


def test_stratified_sample_is_proportional_and_seeded(inputs) -> None:
    _, register, _ = inputs
    a = select_municipalities(register, Sample.parse("all", 100), seed=1)
    b = select_municipalities(register, Sample.parse("all", 100), seed=1)
    c = select_municipalities(register, Sample.parse("all", 100), seed=2)
    assert len(a) == 100 and a == b and a != c
    by_county = Counter(m.county_number for m in a)
    full = Counter(m.county_number for m in register)
    for county, n in full.items():
        assert abs(by_county[county] - n * 100 / 357) <= 1.5, county
    sizes = Counter(m.size_class for m in a)
    full_sizes = Counter(m.size_class for m in register)
    for cls, n in full_sizes.items():
        assert abs(sizes[cls] - n * 100 / 357) <= 4, cls


def test_named_and_county_samples(inputs) -> None:
    _, register, _ = inputs
    assert [m.kommunenummer for m in select_municipalities(register, Sample.parse("3203,0301"), 1)] == [
        "0301",
        "3203",
    ]
    finnmark = select_municipalities(register, Sample.parse("county:56"), 1)
    assert len(finnmark) == 18 and {m.county for m in finnmark} == {"Finnmark"}
    with pytest.raises(UsageError, match="9999"):
        select_municipalities(register, Sample.parse("9999"), 1)
    with pytest.raises(UsageError, match="cannot read"):
        Sample.parse("oslo")


def test_too_few_personas_is_a_clear_error(inputs, tmp_path: Path) -> None:
    _, register, bank = inputs
    (tmp_path / "kommunetest.toml").write_text(
        '[[email.personas]]\nid = "a"\nname = "A"\nemail = "a@persona.kommunetest.test"\n', encoding="utf-8"
    )
    settings = load_settings(tmp_path)
    with pytest.raises(UsageError, match="personas"):
        plan_round("r", register, bank, settings, start=START, weeks=6, sample=Sample("census"))


def test_saving_twice_duplicates_nothing(inputs, census, store: Store) -> None:
    settings = inputs[0]
    kw = dict(start=START, weeks=6, seed=settings.rounds.seed, sample=Sample("census"), settings=settings)
    assert save_plan(store, "host-2027", census, **kw) == len(census.probes)
    assert save_plan(store, "host-2027", census, create=False, **kw) == 0
    assert store.count_probes("host-2027") == len(census.probes)
    assert len(store.round_municipalities("host-2027")) == 357


def test_cli_create_status_replan(tmp_path: Path, kt) -> None:
    args = ["--project", str(tmp_path), "round", "create", "host-2027", "--municipalities", "all",
            "--start", "2027-02-01", "--weeks", "6"]  # fmt: skip
    r = kt(*args)
    assert r.exit_code == 0, r.output
    assert "357 municipalities" in r.stdout and "e-mail 1071" in r.stdout
    r = kt("--project", str(tmp_path), "round", "status", "host-2027")
    assert r.exit_code == 0 and "email  total   1071" in r.stdout and "Finnmark" in r.stdout
    r = kt("--project", str(tmp_path), "round", "plan", "host-2027")
    assert r.exit_code == 0 and ", 0 new" in r.stdout, r.output
    r = kt(*args)
    assert r.exit_code == UsageError.exit_code and "exists already" in r.stderr
    assert "Traceback" not in r.output
    r = kt("--project", str(tmp_path), "round", "status", "nope")
    assert r.exit_code == 5 and "no round named 'nope'" in r.stderr and "host-2027" in r.stderr
