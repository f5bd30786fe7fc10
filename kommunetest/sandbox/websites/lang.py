"""Bokmål and nynorsk wording and the many ways Norwegian municipal sites write times, days, money and numbers.

Every formatter takes the page's language (`"nb"` or `"nn"`) and a notation index, so that one true value can
appear in the notations real sites use (`08.00–15.30`, `kl. 8–15.30`, `Man–fre`, `kr 3 145`, `3 145,-`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Lang = Literal["nb", "nn"]
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYS = {
    "nb": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "nn": ("måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag", "sundag"),
}
DAY_ABBR = {
    "nb": ("man", "tirs", "ons", "tors", "fre", "lør", "søn"),
    "nn": ("mån", "tys", "ons", "tors", "fre", "laur", "sun"),
}
WEEKDAYS = DAY_CODES[:5]
NUMBER_WORDS = {
    1: "én",
    2: "to",
    3: "tre",
    4: "fire",
    5: "fem",
    6: "seks",
    7: "sju",
    8: "åtte",
    9: "ni",
    10: "ti",
    11: "elleve",
    12: "tolv",
}
NUMBER_WORDS_NN = {**NUMBER_WORDS, 1: "éin"}
UNITS = {
    "weeks": {"nb": ("uke", "uker"), "nn": ("veke", "veker")},
    "days": {"nb": ("dag", "dager"), "nn": ("dag", "dagar")},
    "working_days": {"nb": ("virkedag", "virkedager"), "nn": ("vyrkedag", "vyrkedagar")},
    "months": {"nb": ("måned", "måneder"), "nn": ("månad", "månader")},
    "hours": {"nb": ("time", "timer"), "nn": ("time", "timar")},
}
PER = {
    "month": {"nb": ("per måned", "pr. mnd.", "i måneden"), "nn": ("per månad", "pr. mnd.", "i månaden")},
    "year": {"nb": ("per år", "pr. år", "i året"), "nn": ("per år", "pr. år", "i året")},
    "hour": {"nb": ("per time", "pr. time", "i timen"), "nn": ("per time", "pr. time", "i timen")},
}
_FOLD = str.maketrans(
    {
        "æ": "ae",
        "ø": "o",
        "å": "a",
        "é": "e",
        "á": "a",
        "š": "s",
        "č": "c",
        "ŋ": "n",
        "đ": "d",
        "ŧ": "t",
        "ž": "z",
    }
)


def t(lang: str, nb: str, nn: str | None = None) -> str:
    """The bokmål text, or the nynorsk one on a nynorsk page (the same when no nynorsk form is given)."""
    return nn if lang == "nn" and nn is not None else nb


def slugify(text: str) -> str:
    """A URL slug as Norwegian CMSs make them: lower case, æøå folded, words joined by hyphens."""
    s = text.casefold().translate(_FOLD)
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-") or "side"


def fmt_time(hm: str, notation: int) -> str:
    """`"08:00"` as `08.00` (0), `8.00` (1), `08:00` (2) or `8` when on the hour (3)."""
    h, m = hm.split(":")
    if notation == 0:
        return f"{h}.{m}"
    if notation == 1:
        return f"{int(h)}.{m}"
    if notation == 2:
        return hm
    return str(int(h)) if m == "00" else f"{int(h)}.{m}"


def fmt_range(start: str, end: str, notation: int) -> str:
    """A clock range in one of the common notations; 4 and 5 put `kl.` in front."""
    if notation == 4:
        return f"kl. {fmt_time(start, 0)}–{fmt_time(end, 0)}"
    if notation == 5:
        return f"kl. {fmt_time(start, 3)}–{fmt_time(end, 3)}"
    return f"{fmt_time(start, notation)}–{fmt_time(end, notation)}"


def fmt_days(days: list[str], lang: str, notation: int, *, capital: bool = True) -> str:
    """Days as written on pages: `Mandag–fredag` (0), `Man–fre` (1), `Hverdager` (2), `mandag til fredag` (3);
    days that are not a contiguous run are listed (`Tirsdag og torsdag`)."""
    idx = [DAY_CODES.index(d) for d in days]
    contiguous = idx == list(range(idx[0], idx[-1] + 1))
    full, abbr = DAYS[lang], DAY_ABBR[lang]
    if len(idx) == 1:
        out = full[idx[0]]
    elif contiguous and len(idx) > 2:
        if notation == 2 and idx == [0, 1, 2, 3, 4]:
            out = t(lang, "hverdager", "kvardagar")
        elif notation == 1:
            out = f"{abbr[idx[0]]}–{abbr[idx[-1]]}"
        elif notation == 3:
            out = f"{full[idx[0]]} til {full[idx[-1]]}"
        else:
            out = f"{full[idx[0]]}–{full[idx[-1]]}"
    else:
        names = [full[i] for i in idx]
        out = ", ".join(names[:-1]) + " og " + names[-1]
    return out[0].upper() + out[1:] if capital else out


def fmt_nok(amount: float, notation: int) -> str:
    """Kroner: `kr 3 145` (0), `3 145,-` (1), `kr 3145` (2), `3 145 kr` (3), `NOK 3 145` (4); decimals with a
    comma (`kr 14,50`)."""
    if float(amount).is_integer():
        n = int(amount)
        grouped = f"{n:,}".replace(",", " ")
        plain = str(n)
    else:
        whole, frac = f"{amount:.2f}".split(".")
        grouped = f"{int(whole):,}".replace(",", " ") + "," + frac
        plain = whole + "," + frac
        if notation == 1:
            notation = 0
    if notation == 1:
        return f"{grouped},-"
    if notation == 2:
        return f"kr {plain}"
    if notation == 3:
        return f"{grouped} kr"
    if notation == 4:
        return f"NOK {grouped}"
    return f"kr {grouped}"


def fmt_duration(amount: int, unit: str, lang: str, notation: int) -> str:
    """`6 uker` (0), `seks veker` (1, for amounts up to 12); `unit` may be `working_days`."""
    one, many = UNITS[unit][lang]
    word = one if amount == 1 else many
    words = NUMBER_WORDS_NN if lang == "nn" else NUMBER_WORDS
    if notation == 1 and amount in words:
        return f"{words[amount]} {word}"
    return f"{amount} {word}"


def fmt_phone(digits: str, notation: int) -> str:
    """`75 06 80 00` (0), `75068000` (1), `+47 75 06 80 00` (2), `750 68 000` (3)."""
    pairs = " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    if notation == 1:
        return digits
    if notation == 2:
        return f"+47 {pairs}"
    if notation == 3:
        return f"{digits[:3]} {digits[3:5]} {digits[5:]}"
    return pairs


def per_text(per: str | None, lang: str, notation: int) -> str:
    """`per måned`, `pr. mnd.`, `i måneden`... or nothing."""
    if per is None or per not in PER:
        return ""
    options = PER[per][lang]
    return options[notation % len(options)]
