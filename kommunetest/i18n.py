"""The translation layer: what testers and readers see is Norwegian bokmål, written in the code as English
message ids, so an English (or nynorsk) catalogue can follow.

Catalogues are gettext `.po` files under `kommunetest/locale/<lang>/LC_MESSAGES/messages.po`, read directly
with Babel (no compile step). `babel.cfg` tells `pybabel extract` where the messages are (Python and Jinja2).
Numbers and dates are formatted with Babel's CLDR data for the language.
"""

from __future__ import annotations

import gettext as _gettext
from datetime import date, datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANGUAGE = "nb"
LANGUAGES = {"nb": "nb_NO", "en": "en_GB"}


@lru_cache(maxsize=8)
def translations(lang: str = DEFAULT_LANGUAGE) -> _gettext.NullTranslations:
    """The catalogue for `lang`; English (the message ids themselves) when there is none."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        return _gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=LANGUAGES.get(lang, lang))
    buf = BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def gettext(message: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    text = translations(lang).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    text = translations(lang).ngettext(singular, plural, n)
    return text.format(n=n, **values)


_ = gettext


class Msg(str):
    """English text that keeps its template and values, so a Norwegian screen can translate it: the
    library raises errors in English (the CLI shows them as they are) and the phone app shows them in
    bokmål through `translate`."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Msg:
        obj = super().__new__(cls, template.format(**values) if values else template)
        obj.template = template
        obj.values = values
        return obj


def translate(text: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    if text is None:
        return ""
    if isinstance(text, Msg):
        return gettext(text.template, lang, **text.values)
    return gettext(text, lang)


def locale(lang: str = DEFAULT_LANGUAGE) -> Locale:
    return Locale.parse(LANGUAGES.get(lang, lang))


def format_number(value: float | int | None, lang: str = DEFAULT_LANGUAGE, digits: int = 0) -> str:
    """`3 145` / `60,5` in Norwegian; an en dash for a missing value."""
    if value is None:
        return "–"
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return _format_decimal(value, format=fmt, locale=locale(lang))


def format_date(value: date | None, lang: str = DEFAULT_LANGUAGE, style: str = "long") -> str:
    return "–" if value is None else _format_date(value, format=style, locale=locale(lang))


def format_datetime(value: datetime | None, lang: str = DEFAULT_LANGUAGE, tz: str = "Europe/Oslo") -> str:
    """`22. feb. 2027, 10:15` in Oslo time."""
    if value is None:
        return "–"
    return _format_datetime(value, format="d. MMM y, HH:mm", tzinfo=_zone(tz), locale=locale(lang))


def _zone(tz: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(tz)
