"""Cached translation and number formatting for the report.

A full report asks for the same few hundred messages and numbers hundreds of thousands of times; the
catalogue lookup and Babel's formatting are cached here so that building stays fast. Same signatures as
`kommunetest.i18n` (Norwegian bokmål only: the report is published in bokmål).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from kommunetest import i18n


@lru_cache(maxsize=8192)
def _message(message: str) -> str:
    return i18n.gettext(message)


@lru_cache(maxsize=2048)
def _plural(singular: str, plural: str, one: bool) -> str:
    return i18n.translations().ngettext(singular, plural, 1 if one else 2)


def gettext(message: str, **values: object) -> str:
    text = _message(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    return _plural(singular, plural, n == 1).format(n=n, **values)


@lru_cache(maxsize=65536)
def _number(value: float, digits: int) -> str:
    return i18n.format_number(value, digits=digits)


def format_number(value: float | int | None, digits: int = 0) -> str:
    """`3 145` / `60,5`; an en dash for a missing value."""
    if value is None or value != value:
        return "–"
    return _number(value, digits)


OSLO = ZoneInfo("Europe/Oslo")


@lru_cache(maxsize=1)
def _months() -> dict[int, str]:
    names = i18n.locale().months["format"]["abbreviated"]
    return {m: names[m] for m in range(1, 13)}


def format_datetime(value: datetime | None) -> str:
    """`2. mars 2027, 10:44` in Oslo time: what `i18n.format_datetime` gives, without Babel's pattern
    machinery per call (a report formats thousands of timeline entries)."""
    if value is None:
        return "–"
    local = value.astimezone(OSLO)
    return f"{local.day}. {_months()[local.month]} {local.year}, {local:%H:%M}"
