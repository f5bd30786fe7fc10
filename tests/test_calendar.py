"""The working-day clock: holidays, closures, office hours, DST, and its arithmetic as properties."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kommunetest.calendar import Calendars, WorkCalendar, public_holidays, read_closures_file
from kommunetest.errors import ConfigError, ValidationError
from kommunetest.settings import load_settings

OSLO = ZoneInfo("Europe/Oslo")
HOLIDAYS_CSV = Path(__file__).parent / "data" / "norway-public-holidays-2024-2030.csv"  # copy of shared/data
CAL = WorkCalendar()


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)  # type: ignore[misc]


# -- concrete days ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2027, 3, 25), "Skjærtorsdag"),
        (date(2027, 3, 26), "Langfredag"),
        (date(2027, 3, 29), "Andre påskedag"),
        (date(2027, 5, 6), "Kristi himmelfartsdag"),
        (date(2026, 5, 25), "Andre pinsedag"),
        (date(2026, 5, 1), "Arbeidernes dag"),
        (date(2028, 5, 17), "Grunnlovsdag"),
        (date(2027, 12, 27), None),  # Monday after a Christmas on the weekend: a normal working day
    ],
)
def test_named_days(day: date, name: str | None) -> None:
    if name is None:
        assert CAL.holiday_name(day) is None
    else:
        assert name in (CAL.holiday_name(day) or "")
    assert CAL.is_working_day(day) is (name is None)


def test_easter_week_2027() -> None:
    days = CAL.working_days(date(2027, 3, 22), date(2027, 4, 2))
    assert days == [date(2027, 3, d) for d in (22, 23, 24, 30, 31)] + [date(2027, 4, 1), date(2027, 4, 2)]
    assert CAL.count_working_days(date(2027, 3, 22), date(2027, 4, 2)) == 7
    assert CAL.count_working_days(date(2027, 4, 2), date(2027, 3, 22)) == 0
    assert CAL.working_days(date(2027, 4, 2), date(2027, 3, 22)) == []


def test_17_may_on_a_weekday_and_the_combined_name() -> None:
    assert not CAL.is_working_day(date(2029, 5, 17))  # a Thursday
    assert "Grunnlovsdag" in (CAL.holiday_name(date(2027, 5, 17)) or "")
    assert "Andre pinsedag" in (CAL.holiday_name(date(2027, 5, 17)) or "")


def test_ordinary_weekends_are_not_holidays_but_are_not_working_days() -> None:
    assert CAL.holiday_name(date(2027, 5, 15)) is None  # Saturday
    assert CAL.holiday_name(date(2027, 5, 9)) is None  # Sunday
    assert CAL.holiday_name(date(2027, 3, 28)) == "Første påskedag"
    assert not CAL.is_working_day(date(2027, 5, 15))
    assert not CAL.is_working_day(date(2027, 5, 9))
    assert all(d.weekday() != 6 or public_holidays(2027)[d] != "Søndag" for d in public_holidays(2027))


def test_christmas_eve_only_with_the_setting(project: Path) -> None:
    eve = date(2027, 12, 24)  # a Friday
    assert Calendars.from_settings(load_settings(project)).for_municipality("0301").is_working_day(eve)
    (project / "kommunetest.toml").write_text(
        "[calendar]\nclose_christmas_eve = true\nclose_new_years_eve = true\n", encoding="utf-8"
    )
    cals = Calendars.from_settings(load_settings(project))
    for cal in (cals.for_municipality("0301"), cals.for_municipality(None)):
        assert not cal.is_working_day(eve)
        assert not cal.is_working_day(date(2027, 12, 31))
        assert not cal.is_working_day(date(2030, 12, 24))  # every year, not only the ones listed
        assert cal.holiday_name(eve) == "stengt (julaften)"
        assert cal.is_working_day(date(2027, 12, 23))


def test_closures_file_per_municipality(project: Path) -> None:
    (project / "stengt.csv").write_text(
        "kommunenummer,date,reason\n"
        "# Oslo's staff seminar\n"
        "0301,2027-06-11,personalseminar\n"
        "*,2027-06-14,\n"
        "4601,14.06.2027\n",
        encoding="utf-8",
    )
    (project / "kommunetest.toml").write_text('[calendar]\nclosures_file = "stengt.csv"\n', encoding="utf-8")
    cals = Calendars.from_settings(load_settings(project))
    oslo_cal, bergen, national = (cals.for_municipality(k) for k in ("0301", "4601", None))
    assert not oslo_cal.is_working_day(date(2027, 6, 11))
    assert oslo_cal.holiday_name(date(2027, 6, 11)) == "stengt (personalseminar)"
    assert bergen.is_working_day(date(2027, 6, 11)) and national.is_working_day(date(2027, 6, 11))
    for cal in (oslo_cal, bergen, national, cals.for_municipality("1108")):
        assert not cal.is_working_day(date(2027, 6, 14))
        assert cal.holiday_name(date(2027, 6, 14)) == "stengt"
    assert cals.for_municipality("1108") is national  # no closures of its own: shared
    assert cals.for_municipality("301") is oslo_cal  # cached, and a lost leading zero is restored
    assert cals.municipalities_with_closures == ["0301", "4601"]


def test_broken_closures_file_names_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "stengt.csv"
    path.write_text(
        "kommunenummer,date,reason\n0301,2027-06-11,ok\n\n0301,2027-13-01,bad month\nOslo,2027-06-11\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as err:
        read_closures_file(path)
    problems = {(p.line, p.field) for p in err.value.problems}
    assert problems == {(4, "date"), (5, "kommunenummer")}
    assert all(p.file == str(path) for p in err.value.problems)
    assert f"{path}:4: date:" in str(err.value)

    path.write_text("knr;dato\n0301;2027-06-11\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"stengt\.csv:1: header"):
        read_closures_file(path)


def test_closures_file_semicolons_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "stengt.csv"
    path.write_text(
        "\ufeffkommunenummer;date;reason\n0301;2027-06-11;seminar, hele dagen\n", encoding="utf-8"
    )
    assert read_closures_file(path) == {"0301": {date(2027, 6, 11): "seminar, hele dagen"}}


def test_bad_calendar_settings_are_config_errors(project: Path) -> None:
    (project / "kommunetest.toml").write_text('[calendar]\noffice_open = "8.00"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"calendar\.office_open"):
        Calendars.from_settings(load_settings(project))
    (project / "kommunetest.toml").write_text('[calendar]\noffice_open = "16:00"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="before"):
        Calendars.from_settings(load_settings(project))
    (project / "kommunetest.toml").write_text('[calendar]\nclosures_file = "nope.csv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"nope\.csv"):
        Calendars.from_settings(load_settings(project))
    (project / "kommunetest.toml").write_text('[calendar]\ntimezone = "Europe/Olso"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="time zone"):
        Calendars.from_settings(load_settings(project))


def test_office_hours_from_settings(project: Path) -> None:
    (project / "kommunetest.toml").write_text(
        '[calendar]\noffice_open = "09:00"\noffice_close = "15:00"\n', encoding="utf-8"
    )
    cal = Calendars.from_settings(load_settings(project)).for_municipality(None)
    assert cal.office_window(date(2027, 6, 1)) == (oslo(2027, 6, 1, 9), oslo(2027, 6, 1, 15))


def test_agrees_with_the_shared_holiday_list_2024_2030() -> None:
    with HOLIDAYS_CSV.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 83
    listed = {date.fromisoformat(r["date"]): r["name_no"] for r in rows}
    ours = {d: n for y in range(2024, 2031) for d, n in public_holidays(y).items()}
    assert ours == listed
    day = date(2024, 1, 1)
    while day.year <= 2030:
        assert CAL.is_working_day(day) is (day.weekday() < 5 and day not in listed), day
        day += timedelta(days=1)


# -- instants and office hours ---------------------------------------------------------------------------


def test_office_window_and_is_open() -> None:
    opening, closing = CAL.office_window(date(2027, 6, 1))
    assert (opening, closing) == (oslo(2027, 6, 1, 8), oslo(2027, 6, 1, 15, 30))
    assert opening.tzinfo == OSLO
    assert CAL.is_open(opening) and not CAL.is_open(closing)
    assert CAL.is_open(datetime(2027, 6, 1, 6, 0, tzinfo=UTC))  # 08:00 summer time in Oslo
    assert not CAL.is_open(datetime(2027, 6, 1, 5, 59, tzinfo=UTC))
    assert not CAL.is_open(oslo(2027, 5, 17, 10))
    with pytest.raises(ValueError, match="not a working day"):
        CAL.office_window(date(2027, 5, 17))
    with pytest.raises(ValueError, match="naive"):
        CAL.is_open(datetime(2027, 6, 1, 10))
    with pytest.raises(ValueError, match="naive"):
        CAL.working_days_between(datetime(2027, 6, 1, 10), oslo(2027, 6, 2))


def test_next_opening() -> None:
    t = oslo(2027, 6, 1, 10)
    assert CAL.next_opening(t) is t
    assert CAL.next_opening(oslo(2027, 6, 1, 7)) == oslo(2027, 6, 1, 8)
    assert CAL.next_opening(oslo(2027, 6, 1, 15, 30)) == oslo(2027, 6, 2, 8)
    assert CAL.next_opening(oslo(2027, 3, 24, 16)) == oslo(2027, 3, 30, 8)  # over Easter


def test_reply_over_a_weekend() -> None:
    sent, answered = oslo(2027, 6, 4, 14), oslo(2027, 6, 7, 10)  # Friday 14:00, Monday 10:00
    assert CAL.working_days_between(sent, answered) == pytest.approx(20 / 24)
    assert CAL.working_days_between(answered, sent) == 0
    assert CAL.office_hours_between(sent, answered) == pytest.approx(1.5 + 2)


def test_add_working_days() -> None:
    assert CAL.add_working_days(oslo(2027, 3, 24, 11), 1) == oslo(2027, 3, 30, 11)  # over Easter
    assert CAL.add_working_days(oslo(2027, 3, 24, 11), 0) == oslo(2027, 3, 24, 11)
    assert CAL.add_working_days(oslo(2027, 3, 26, 11), 0) == oslo(2027, 3, 30, 8)  # Good Friday
    assert CAL.add_working_days(oslo(2027, 3, 26, 11), 2) == oslo(2027, 4, 1, 8)
    assert CAL.add_working_days(oslo(2027, 1, 4, 9), 2000).date() == CAL.shift_working_days(
        date(2027, 1, 4), 2000
    )
    with pytest.raises(ValueError):
        CAL.add_working_days(oslo(2027, 3, 24, 11), -1)


def test_closures_on_the_calendar_itself() -> None:
    cal = WorkCalendar(closures={date(2027, 6, 11): "seminar"}, annual_closures=[(12, 24)])
    assert (
        not cal.is_working_day(date(2027, 6, 11))
        and cal.holiday_name(date(2027, 6, 11)) == "stengt (seminar)"
    )
    assert not cal.is_working_day(date(2031, 12, 24)) and cal.holiday_name(date(2031, 12, 24)) == "stengt"
    assert cal.shift_working_days(date(2027, 6, 10), 1) == date(2027, 6, 14)
    assert cal.shift_working_days(date(2027, 6, 14), -1) == date(2027, 6, 10)
    assert WorkCalendar(closures=[date(2027, 6, 11)]).holiday_name(date(2027, 6, 11)) == "stengt"


# -- daylight saving time ---------------------------------------------------------------------------------


def test_dst_spring_forward_weekend() -> None:
    # Clocks go 02:00 -> 03:00 on Sunday 29 March 2026.
    fri, mon = oslo(2026, 3, 27, 10), oslo(2026, 3, 30, 10)
    assert fri.utcoffset() == timedelta(hours=1) and mon.utcoffset() == timedelta(hours=2)
    assert CAL.add_working_days(fri, 1) == mon
    assert CAL.working_days_between(fri, mon) == pytest.approx(1.0)
    assert CAL.office_window(date(2026, 3, 30))[0] == datetime(2026, 3, 30, 6, tzinfo=UTC)
    assert CAL.next_opening(oslo(2026, 3, 28, 12)) == datetime(2026, 3, 30, 6, tzinfo=UTC)
    assert CAL.is_open(datetime(2026, 3, 30, 6, 30, tzinfo=UTC))
    assert CAL.office_hours_between(fri, mon) == pytest.approx(5.5 + 2)


def test_dst_fall_back_weekend() -> None:
    # Clocks go 03:00 -> 02:00 on Sunday 25 October 2026: 71 real hours from Fri 10:00 to Mon 10:00.
    fri, mon = oslo(2026, 10, 23, 10), oslo(2026, 10, 26, 10)
    assert (mon.astimezone(UTC) - fri.astimezone(UTC)) == timedelta(hours=73)
    assert CAL.add_working_days(fri, 1) == mon
    assert CAL.working_days_between(fri, mon) == pytest.approx(1.0)
    assert CAL.office_window(date(2026, 10, 26))[0] == datetime(2026, 10, 26, 7, tzinfo=UTC)


def test_dst_days_divide_by_their_own_length() -> None:
    # Oslo's changes fall on Sundays; Tehran's 2021 change was Monday 22 March 00:00 -> 01:00 (a 23 h day).
    tehran = ZoneInfo("Asia/Tehran")
    cal = WorkCalendar(tz="Asia/Tehran")
    start = datetime(2021, 3, 22, tzinfo=tehran)
    end = datetime(2021, 3, 23, tzinfo=tehran)
    assert (end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=23)
    assert cal.working_days_between(start, end) == pytest.approx(1.0)
    assert cal.working_days_between(start, start.astimezone(UTC) + timedelta(hours=11.5)) == pytest.approx(
        0.5
    )
    # A wall-clock time that does not exist on the target day moves forward, and stays a working day.
    t = cal.add_working_days(datetime(2021, 3, 19, 0, 30, tzinfo=tehran), 1)
    assert t.date() == date(2021, 3, 22) and (t.hour, t.minute) == (1, 30)
    assert cal.is_working_day(t)


# -- properties ------------------------------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
instants = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from([OSLO, UTC, ZoneInfo("America/New_York")]),
    allow_imaginary=False,
)
working_dates = st.dates(date(2024, 1, 1), date(2030, 12, 31)).filter(CAL.is_working_day)


@st.composite
def office_instants(draw: st.DrawFn) -> datetime:
    d = draw(working_dates)
    minutes = draw(st.integers(0, 7 * 60 + 29))
    return datetime.combine(d, time(8), tzinfo=OSLO) + timedelta(minutes=minutes)


@FAST
@given(office_instants(), st.integers(0, 60))
def test_add_then_measure_gives_n(t: datetime, n: int) -> None:
    later = CAL.add_working_days(t, n)
    assert CAL.is_working_day(later.astimezone(OSLO).date())
    assert CAL.is_open(later)
    assert CAL.working_days_between(t, later) == pytest.approx(n, abs=1e-9)


@FAST
@given(instants, st.integers(0, 30))
def test_add_lands_on_a_working_day(t: datetime, n: int) -> None:
    later = CAL.add_working_days(t, n)
    assert later >= t
    assert CAL.is_working_day(later.astimezone(OSLO).date())
    assert CAL.working_days_between(t, later) <= n + 1


@FAST
@given(instants, instants, instants)
def test_between_is_additive_and_monotone(a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc, ac = (CAL.working_days_between(x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == pytest.approx(ac, abs=1e-9)
    assert 0 <= ab <= ac + 1e-9 and 0 <= bc <= ac + 1e-9
    days = CAL.count_working_days(a.astimezone(OSLO).date(), c.astimezone(OSLO).date())
    assert ac <= days + 1e-9
    hours = [CAL.office_hours_between(x, y) for x, y in ((a, b), (b, c), (a, c))]
    assert hours[0] + hours[1] == pytest.approx(hours[2], abs=1e-9)


@FAST
@given(instants)
def test_next_opening_is_open_and_not_earlier(t: datetime) -> None:
    nxt = CAL.next_opening(t)
    assert nxt >= t and CAL.is_open(nxt)
    assert nxt == t or CAL.office_hours_between(t, nxt) == 0


@FAST
@given(instants, st.integers(0, 60 * 24 * 40))
def test_office_hours_bounded_by_windows(a: datetime, minutes: int) -> None:
    b = a + timedelta(minutes=minutes)
    hours = CAL.office_hours_between(a, b)
    days = CAL.count_working_days(a.astimezone(OSLO).date(), b.astimezone(OSLO).date())
    assert 0 <= hours <= days * 7.5 + 1e-9
    assert hours <= minutes / 60 + 1e-9


@FAST
@given(st.dates(date(2024, 1, 1), date(2030, 12, 31)), st.integers(-300, 300))
def test_shift_and_count_agree(d: date, n: int) -> None:
    target = CAL.shift_working_days(d, n)
    if n == 0:
        assert target == d
        return
    assert CAL.is_working_day(target) and (target > d) is (n > 0)
    lo, hi = sorted((d, target))
    assert CAL.count_working_days(lo, hi) == abs(n) + CAL.is_working_day(d)


def test_table_grows_both_ways_and_datetimes_count_by_local_date() -> None:
    cal = WorkCalendar()
    assert not cal.is_working_day(date(2030, 4, 19))  # Langfredag 2030, builds 2028-2032
    assert not cal.is_working_day(date(2024, 3, 28))  # Skjærtorsdag 2024, grows backwards
    assert not cal.is_working_day(date(2040, 5, 17)) and cal.is_working_day(date(2040, 5, 18))
    assert cal.count_working_days(date(2024, 1, 1), date(2040, 12, 31)) == sum(
        cal.is_working_day(date.fromordinal(o))
        for o in range(date(2024, 1, 1).toordinal(), date(2040, 12, 31).toordinal() + 1)
    )
    assert not cal.is_working_day(datetime(2027, 5, 16, 23, 0, tzinfo=UTC))  # 17 May 01:00 in Oslo
    assert cal.is_working_day(datetime(2027, 5, 18, 22, 30, tzinfo=UTC))  # Wednesday 19 May 00:30
