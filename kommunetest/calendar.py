"""The working-day clock: Norwegian public holidays, office hours and per-municipality closures.

Every deadline in the method is counted in working days (virkedager) in Europe/Oslo: Monday–Friday that is
neither a public holiday nor a closure day configured for the municipality. The rounds planner asks
`is_working_day` hundreds of thousands of times and the e-mail code asks `working_days_between` per reply, so
each calendar keeps a flat table of day flags and running counts over the years it has been asked about and
answers from it in constant time. All arithmetic between instants is done in UTC so that the 23 h and 25 h
days of daylight saving time are measured by their real length; office hours are wall-clock times.
"""

from __future__ import annotations

import bisect
import csv
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from kommunetest.errors import ConfigError, Problem, ValidationError

if TYPE_CHECKING:
    from kommunetest.settings import Settings

__all__ = [
    "ALL_MUNICIPALITIES",
    "Calendars",
    "WorkCalendar",
    "public_holidays",
    "read_closures_file",
]

ALL_MUNICIPALITIES = "*"
CHRISTMAS_EVE = (12, 24)
NEW_YEARS_EVE = (12, 31)
_CLOSED = "stengt"
_SUNDAY_NAMES = {"søndag", "sunday"}  # what holidays' include_sundays adds: not a public holiday
_YEAR_MARGIN = 2  # years built around the first year asked about, so neighbouring years need no rebuild


@lru_cache(maxsize=512)
def public_holidays(year: int) -> Mapping[date, str]:
    """Norway's public holidays (helligdager and 1/17 May) of one year, with their Norwegian names.

    Ordinary Sundays are left out even where the `holidays` package lists them.
    """
    try:
        raw = holidays.country_holidays("NO", language="no", years=year, include_sundays=False)
    except TypeError:  # a version without the option
        raw = holidays.country_holidays("NO", language="no", years=year)
    out: dict[date, str] = {}
    for d, name in raw.items():
        names = [n.strip() for n in str(name).split(";") if n.strip().lower() not in _SUNDAY_NAMES]
        if names:
            out[d] = "; ".join(names)
    return out


class _Table(NamedTuple):
    """Day flags and running counts from `base` (an ordinal) over whole years `first`..`last`."""

    first: int
    last: int
    base: int
    flags: bytes  # 1 = working day
    cum: list[int]  # cum[i] = working days among the first i days of the table


def _aware(t: datetime, what: str = "t") -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {t.isoformat()}")
    return t


class WorkCalendar:
    """Working days and office hours of one municipality (or of the whole country).

    `closures` are extra closed dates (a mapping gives each one a reason); `annual_closures` are
    (month, day) pairs closed every year, such as (12, 24) for Christmas Eve.
    """

    def __init__(
        self,
        *,
        tz: str = "Europe/Oslo",
        office_open: time = time(8, 0),
        office_close: time = time(15, 30),
        closures: Iterable[date] | Mapping[date, str] = (),
        annual_closures: Iterable[tuple[int, int]] | Mapping[tuple[int, int], str] = (),
    ) -> None:
        try:
            self.tz = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {tz!r}") from e
        if office_open.tzinfo is not None or office_close.tzinfo is not None:
            raise ValueError("office hours are wall-clock times: give them without tzinfo")
        if not office_open < office_close:
            raise ValueError(f"office_open {office_open} must be before office_close {office_close}")
        self.office_open = office_open
        self.office_close = office_close
        self.closures: dict[date, str] = {}
        for d in closures:
            if isinstance(d, datetime) or not isinstance(d, date):
                raise TypeError(f"closures must be dates, got {d!r}")
            self.closures[d] = closures[d] if isinstance(closures, Mapping) else ""
        self.annual_closures: dict[tuple[int, int], str] = {}
        for md in annual_closures:
            month, day = md
            date(2024, month, day)  # validates (a leap year, so 29 Feb is allowed)
            self.annual_closures[(month, day)] = (
                annual_closures[md] if isinstance(annual_closures, Mapping) else ""
            )
        self._lock = threading.Lock()
        self._tab = _Table(0, -1, 0, b"", [0])

    def __repr__(self) -> str:
        return (
            f"WorkCalendar(tz={self.tz.key!r}, office={self.office_open:%H:%M}-{self.office_close:%H:%M}, "
            f"closures={len(self.closures)}, annual={sorted(self.annual_closures)})"
        )

    # -- the day table ---------------------------------------------------------------------------------

    def _closed_on(self, d: date) -> bool:
        return d in self.closures or (d.month, d.day) in self.annual_closures

    def _build(self, first: int, last: int) -> _Table:
        base = date(first, 1, 1).toordinal()
        n = date(last, 12, 31).toordinal() - base + 1
        flags = bytearray(n)
        off: set[int] = set()
        for y in range(first, last + 1):
            off.update(d.toordinal() for d in public_holidays(y))
        off.update(d.toordinal() for d in self.closures if first <= d.year <= last)
        for y in range(first, last + 1):
            for month, day in self.annual_closures:
                if month == 2 and day == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
                    continue
                off.add(date(y, month, day).toordinal())
        cum = [0] * (n + 1)
        count = 0
        for i in range(n):
            o = base + i
            # ordinal 1 (0001-01-01) was a Monday, so (o - 1) % 7 is the weekday.
            if (o - 1) % 7 < 5 and o not in off:
                flags[i] = 1
                count += 1
            cum[i + 1] = count
        return _Table(first, last, base, bytes(flags), cum)

    def _table_for(self, year: int) -> _Table:
        """The table, extended (rebuilt) if needed so that it covers `year`."""
        tab = self._tab
        if tab.first <= year <= tab.last:
            return tab
        with self._lock:
            tab = self._tab
            if not tab.first <= year <= tab.last:
                if tab.last < tab.first:  # empty
                    first, last = year - _YEAR_MARGIN, year + _YEAR_MARGIN
                else:
                    first, last = min(tab.first, year), max(tab.last, year)
                first, last = max(first, date.min.year), min(last, date.max.year)
                tab = self._tab = self._build(first, last)
            return tab

    def _as_date(self, d: date) -> date:
        if isinstance(d, datetime):
            return (d.astimezone(self.tz) if d.tzinfo is not None else d).date()
        if not isinstance(d, date):
            raise TypeError(f"expected a date, got {d!r}")
        return d

    # -- days ------------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Monday–Friday, not a public holiday, not a closure. A datetime counts by its local date."""
        if type(d) is not date:
            d = self._as_date(d)
        tab = self._tab
        i = d.toordinal() - tab.base
        if 0 <= i < len(tab.flags):
            return tab.flags[i] == 1
        tab = self._table_for(d.year)
        return tab.flags[d.toordinal() - tab.base] == 1

    def count_working_days(self, start: date, end: date) -> int:
        """How many working days lie in start..end, both included (0 if end < start)."""
        start, end = self._as_date(start), self._as_date(end)
        if end < start:
            return 0
        self._table_for(start.year)
        tab = self._table_for(end.year)
        return tab.cum[end.toordinal() - tab.base + 1] - tab.cum[start.toordinal() - tab.base]

    def working_days(self, start: date, end: date) -> list[date]:
        """The working days in start..end, both included, in order."""
        start, end = self._as_date(start), self._as_date(end)
        if end < start:
            return []
        self._table_for(start.year)
        tab = self._table_for(end.year)
        lo, hi = start.toordinal() - tab.base, end.toordinal() - tab.base
        flags, base = tab.flags, tab.base
        return [date.fromordinal(base + i) for i in range(lo, hi + 1) if flags[i]]

    def shift_working_days(self, d: date, n: int) -> date:
        """The n-th working day after d (n >= 1), or before it (n <= -1); d itself for n == 0."""
        d = self._as_date(d)
        if n == 0:
            return d
        year = d.year
        while True:
            tab = self._table_for(year)
            i = d.toordinal() - tab.base
            if n > 0:
                want = tab.cum[i + 1] + n  # working days counted through d, plus n
                if want <= tab.cum[-1]:
                    return date.fromordinal(tab.base + bisect.bisect_left(tab.cum, want) - 1)
                year = tab.last + max(1, n // 250 + 1)
            else:
                want = tab.cum[i] + n + 1  # the (want)-th working day of the table, counted from 1
                if want >= 1:
                    return date.fromordinal(tab.base + bisect.bisect_left(tab.cum, want) - 1)
                year = tab.first - max(1, -n // 250 + 1)
            if not date.min.year <= year <= date.max.year:
                raise OverflowError("no such working day in the supported date range")

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after d."""
        return self.shift_working_days(d, 1)

    def holiday_name(self, d: date) -> str | None:
        """The Norwegian name of a public holiday, "stengt (reason)" for a closure day, else None."""
        d = self._as_date(d)
        name = public_holidays(d.year).get(d)
        if name:
            return name
        if self._closed_on(d):
            reason = self.closures.get(d) or self.annual_closures.get((d.month, d.day)) or ""
            return f"{_CLOSED} ({reason})" if reason else _CLOSED
        return None

    # -- instants --------------------------------------------------------------------------------------

    def _local(self, d: date, t: time) -> datetime:
        """Wall-clock time t on day d as an aware datetime; a time in a DST gap moves forward."""
        dt = datetime.combine(d, t, tzinfo=self.tz)
        return dt.astimezone(UTC).astimezone(self.tz)

    def _midnight_utc(self, d: date) -> datetime:
        return datetime.combine(d, time(0), tzinfo=self.tz).astimezone(UTC)

    def _day_seconds(self, d: date) -> float:
        return (self._midnight_utc(d + timedelta(days=1)) - self._midnight_utc(d)).total_seconds()

    def _window_utc(self, d: date) -> tuple[datetime, datetime]:
        """The office window of day d in UTC, so that comparisons and differences are by real time."""
        return (
            datetime.combine(d, self.office_open, tzinfo=self.tz).astimezone(UTC),
            datetime.combine(d, self.office_close, tzinfo=self.tz).astimezone(UTC),
        )

    def office_window(self, d: date) -> tuple[datetime, datetime]:
        """Opening and closing of the office on working day d, aware in the calendar's zone."""
        d = self._as_date(d)
        if not self.is_working_day(d):
            raise ValueError(f"{d.isoformat()} is not a working day")
        return self._local(d, self.office_open), self._local(d, self.office_close)

    def is_open(self, t: datetime) -> bool:
        """Whether the office is open at instant t (any zone): open <= local time < close."""
        t_utc = _aware(t).astimezone(UTC)
        d = t_utc.astimezone(self.tz).date()
        if not self.is_working_day(d):
            return False
        opening, closing = self._window_utc(d)
        return opening <= t_utc < closing

    def next_opening(self, t: datetime) -> datetime:
        """t itself if the office is open at t, else the start of the next office window."""
        t_utc = _aware(t).astimezone(UTC)
        d = t_utc.astimezone(self.tz).date()
        if self.is_working_day(d):
            opening, closing = self._window_utc(d)
            if t_utc < opening:
                return opening.astimezone(self.tz)
            if t_utc < closing:
                return t
        return self.office_window(self.next_working_day(d))[0]

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """The same wall-clock time n working days later (n >= 0).

        If t is not on a working day, counting starts at the next working day's opening: the result is
        that opening moved n working days on.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        local = _aware(t).astimezone(self.tz)
        d = local.date()
        if self.is_working_day(d):
            return self._local(self.shift_working_days(d, n), local.time())  # time() keeps fold
        start = self.next_working_day(d)
        return self._local(self.shift_working_days(start, n), self.office_open)

    def working_days_between(self, a: datetime, b: datetime) -> float:
        """Elapsed working-day time from a to b, in days (0 if b <= a).

        Each working day contributes the part of its own local day (23, 24 or 25 hours) that lies between a
        and b, divided by that day's length: Fri 14:00 to Mon 10:00 is (10 + 10) / 24.
        """
        a_utc = _aware(a, "a").astimezone(UTC)
        b_utc = _aware(b, "b").astimezone(UTC)
        if b_utc <= a_utc:
            return 0.0
        da, db = a_utc.astimezone(self.tz).date(), b_utc.astimezone(self.tz).date()
        if da == db:
            if not self.is_working_day(da):
                return 0.0
            return (b_utc - a_utc).total_seconds() / self._day_seconds(da)
        total = 0.0
        if self.is_working_day(da):
            end_a = self._midnight_utc(da + timedelta(days=1))
            total += (end_a - a_utc).total_seconds() / self._day_seconds(da)
        if self.is_working_day(db):
            total += (b_utc - self._midnight_utc(db)).total_seconds() / self._day_seconds(db)
        return total + self.count_working_days(da + timedelta(days=1), db - timedelta(days=1))

    def office_hours_between(self, a: datetime, b: datetime) -> float:
        """Hours of office time (inside office windows of working days) between a and b."""
        a_utc = _aware(a, "a").astimezone(UTC)
        b_utc = _aware(b, "b").astimezone(UTC)
        if b_utc <= a_utc:
            return 0.0
        da, db = a_utc.astimezone(self.tz).date(), b_utc.astimezone(self.tz).date()
        seconds = 0.0
        for d in self.working_days(da, db):
            opening, closing = self._window_utc(d)
            lo, hi = max(opening, a_utc), min(closing, b_utc)
            if hi > lo:
                seconds += (hi - lo).total_seconds()
        return seconds / 3600.0


# -- configuration ---------------------------------------------------------------------------------------

_KNR = re.compile(r"^\d{4}$")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_NO_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _parse_date(text: str) -> date:
    """ISO 2027-12-24, or Norwegian 24.12.2027."""
    m = _NO_DATE.match(text)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    return date.fromisoformat(text)


def read_closures_file(path: Path | str) -> dict[str, dict[date, str]]:
    """Read a closures CSV (kommunenummer,date[,reason]) into {kommunenummer or '*': {date: reason}}.

    The header row is required; ',' or ';' separates fields; lines starting with '#' and empty lines are
    skipped. Every bad row is reported at once, by line and field.
    """
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as e:
        raise ValidationError([Problem(name, "file not found", field="calendar.closures_file")]) from e
    except UnicodeDecodeError as e:
        raise ValidationError([Problem(name, f"not UTF-8 text: {e}", hint="save it as UTF-8")]) from e
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    problems: list[Problem] = []
    out: dict[str, dict[date, str]] = {}
    header: list[str] | None = None
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in row]
        if header is None:
            header = [c.lower() for c in cells]
            if header[:2] != ["kommunenummer", "date"] or header[2:] not in ([], ["reason"]):
                problems.append(
                    Problem(
                        name,
                        f"header must be 'kommunenummer,date' or 'kommunenummer,date,reason', got {row!r}",
                        line=line,
                        hint="first line: kommunenummer,date,reason",
                    )
                )
                break
            continue
        if len(cells) > len(header):
            problems.append(Problem(name, f"{len(cells)} fields, the header has {len(header)}", line=line))
            continue
        cells += [""] * (len(header) - len(cells))
        knr, raw_date = cells[0], cells[1]
        reason = cells[2] if len(cells) > 2 else ""
        if knr != ALL_MUNICIPALITIES and not _KNR.match(knr):
            problems.append(
                Problem(
                    name,
                    f"{knr!r} is not a kommunenummer",
                    line=line,
                    field="kommunenummer",
                    hint="4 digits such as 0301, or * for every municipality",
                )
            )
            continue
        try:
            d = _parse_date(raw_date)
        except ValueError:
            problems.append(
                Problem(
                    name,
                    f"{raw_date!r} is not a date",
                    line=line,
                    field="date",
                    hint="write it as YYYY-MM-DD, e.g. 2027-12-24",
                )
            )
            continue
        out.setdefault(knr, {})[d] = reason
    if header is None and not problems:
        problems.append(Problem(name, "empty file: no header", hint="first line: kommunenummer,date,reason"))
    if problems:
        raise ValidationError(problems, summary=f"{name}: closures file has problems")
    return out


def _parse_hhmm(value: str, setting: str, source: str) -> time:
    m = _HHMM.match(value.strip()) if isinstance(value, str) else None
    if not m:
        raise ConfigError(
            f"{setting} = {value!r} ({source}) is not a time of day",
            hint="write it as HH:MM, e.g. 08:00",
        )
    return time(int(m.group(1)), int(m.group(2)))


class Calendars:
    """Per-municipality calendars built from the settings, cached.

    Municipalities without closures of their own share the national calendar (public holidays plus the
    closures that apply everywhere), so its day table is built once.
    """

    def __init__(
        self,
        *,
        tz: str = "Europe/Oslo",
        office_open: time = time(8, 0),
        office_close: time = time(15, 30),
        closures: Mapping[str, Mapping[date, str]] | None = None,
        annual_closures: Mapping[tuple[int, int], str] | None = None,
    ) -> None:
        self._kw = {"tz": tz, "office_open": office_open, "office_close": office_close}
        self._annual = dict(annual_closures or {})
        closures = dict(closures or {})
        self._global = dict(closures.pop(ALL_MUNICIPALITIES, {}))
        self._local = {knr: dict(days) for knr, days in closures.items()}
        self.national = WorkCalendar(**self._kw, closures=self._global, annual_closures=self._annual)
        self._cache: dict[str, WorkCalendar] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Calendars:
        """Build from `settings.calendar`; the closures file is resolved against the project directory."""
        cal = settings.calendar
        src = settings.sources
        try:
            ZoneInfo(cal.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ConfigError(
                f"calendar.timezone = {cal.timezone!r} ({src.get('calendar.timezone', 'default')}) "
                "is not a known time zone",
                hint="use an IANA name such as Europe/Oslo",
            ) from e
        opening = _parse_hhmm(
            cal.office_open, "calendar.office_open", src.get("calendar.office_open", "default")
        )
        closing = _parse_hhmm(
            cal.office_close, "calendar.office_close", src.get("calendar.office_close", "default")
        )
        if not opening < closing:
            raise ConfigError(
                f"calendar.office_open ({cal.office_open}) must be before calendar.office_close "
                f"({cal.office_close})"
            )
        annual: dict[tuple[int, int], str] = {}
        if cal.close_christmas_eve:
            annual[CHRISTMAS_EVE] = "julaften"
        if cal.close_new_years_eve:
            annual[NEW_YEARS_EVE] = "nyttårsaften"
        closures: dict[str, dict[date, str]] = {}
        if cal.closures_file:
            path = settings.path(cal.closures_file)
            if not path.is_file():
                raise ConfigError(
                    f"calendar.closures_file = {cal.closures_file!r} "
                    f"({src.get('calendar.closures_file', 'default')}): no such file {path}",
                    hint="create it (kommunenummer,date,reason) or unset the setting",
                )
            closures = read_closures_file(path)
        return cls(
            tz=cal.timezone,
            office_open=opening,
            office_close=closing,
            closures=closures,
            annual_closures=annual,
        )

    @property
    def municipalities_with_closures(self) -> list[str]:
        """Kommunenumre that have closure days of their own."""
        return sorted(self._local)

    def for_municipality(self, kommunenummer: str | None) -> WorkCalendar:
        """The calendar of one municipality; None gives the national one (closures for all only)."""
        if kommunenummer is None:
            return self.national
        knr = str(kommunenummer).strip()
        if knr.isdigit() and len(knr) < 4:
            knr = knr.zfill(4)
        local = self._local.get(knr)
        if not local:
            return self.national
        cal = self._cache.get(knr)
        if cal is None:
            with self._lock:
                cal = self._cache.get(knr)
                if cal is None:
                    merged = {**local, **self._global}
                    cal = self._cache[knr] = WorkCalendar(
                        **self._kw, closures=merged, annual_closures=self._annual
                    )
        return cal
