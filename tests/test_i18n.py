"""The translation layer: Norwegian bokmål for readers and testers, English message ids."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kommunetest.i18n import format_date, format_datetime, format_number, gettext, ngettext


def test_bokmal_is_the_default_and_english_follows_the_ids() -> None:
    assert gettext("Municipality") == "Kommune"
    assert gettext("Municipality", lang="en") == "Municipality"
    assert gettext("A message nobody translated") == "A message nobody translated"
    assert ngettext("{n} municipality", "{n} municipalities", 357) == "357 kommuner"
    assert ngettext("{n} municipality", "{n} municipalities", 1) == "1 kommune"


def test_norwegian_number_and_date_formats() -> None:
    assert format_number(3145).replace("\xa0", " ") == "3 145"
    assert format_number(60.46, digits=1) == "60,5"
    assert format_number(None) == "–"
    assert format_date(date(2027, 5, 17)) == "17. mai 2027"
    assert format_datetime(datetime(2027, 2, 22, 9, 15, tzinfo=UTC)) == "22. feb. 2027, 10:15"
