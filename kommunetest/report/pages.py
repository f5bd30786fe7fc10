"""HTML pages from Jinja2 templates: the national ranking, county and size-class lists, one page per
municipality, the method page and the figures page.

Autoescape is on for every template, so text from websites and e-mails shows as text. Pages link to their
CSS and JS files relatively (`root`), so the report works from disk under a strict Content-Security-Policy.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from kommunetest.i18n import format_date, format_datetime
from kommunetest.register import SIZE_CLASS_LABELS_NB, SIZE_CLASSES
from kommunetest.report.data import ReportData
from kommunetest.report.text import format_number, ngettext
from kommunetest.report.text import gettext as _

CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
SIZE_SLUGS = {label: f"storrelse-{i + 1}" for i, (label, _lo, _hi) in enumerate(SIZE_CLASSES)}


def slug(text: str) -> str:
    """ASCII file-name part: "Møre og Romsdal" -> "more-og-romsdal"."""
    text = text.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def county_file(county_number: str, county: str) -> str:
    return f"fylke/{county_number}-{slug(county)}.html"


def municipality_file(kommunenummer: str) -> str:
    return f"kommune/{kommunenummer}.html"


def _num(value: Any, digits: int = 0) -> str:
    return format_number(value, digits=digits) if isinstance(value, int | float) else "–"


def _smart(value: Any) -> str:
    """A whole number without decimals, anything else with one: 40 %, 27,5."""
    if not isinstance(value, int | float):
        return "–"
    return format_number(value, digits=0 if float(value).is_integer() else 1)


def _pct(value: Any) -> str:
    return f"{format_number(100 * value)} %" if isinstance(value, int | float) else "–"


def _signed(value: Any) -> str:
    if not isinstance(value, int | float):
        return "–"
    return ("+" if value > 0 else "−" if value < 0 else "±") + format_number(abs(value))


def _yes_no(value: Any) -> str:
    return "–" if value is None else _("yes") if value else _("no")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kommunetest.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(_=_, ngettext=ngettext, CSP=CSP, size_labels=SIZE_CLASS_LABELS_NB)
    env.filters.update(
        num=_num,
        smart=_smart,
        pct=_pct,
        signed=_signed,
        yes_no=_yes_no,
        date=format_date,
        datetime=format_datetime,
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def table_rows(records: list[dict[str, Any]], root: str) -> list[dict[str, Any]]:
    """Ranking table rows: the record plus its page link and the text searched by the filter."""
    rows = []
    for r in records:
        search = " ".join(x for x in (r["name"], r.get("name_alt") or "", r["kommunenummer"]) if x).casefold()
        rows.append({**r, "href": root + municipality_file(r["kommunenummer"]), "search": search,
                     "county_href": root + county_file(r["county_number"], r["county"]),
                     "size_label": SIZE_CLASS_LABELS_NB.get(r["size_class"], r["size_class"])})  # fmt: skip
    return rows


def summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    ranked = [r for r in records if r["ranked"] and r["total"] is not None]
    totals = [r["total_exact"] for r in ranked if r.get("total_exact") is not None]
    return {
        "municipalities": len(records),
        "ranked": len(ranked),
        "not_ranked": len(records) - len(ranked),
        "passed": sum(1 for r in ranked if r["passed"]),
        "mean": sum(totals) / len(totals) if totals else None,
        "best": ranked[0] if ranked else None,
    }


def counties(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[(r["county_number"], r["county"])].append(r)
    out = []
    for (number, name), rows in sorted(groups.items()):
        s = summary(rows)
        out.append({"number": number, "name": name, "file": county_file(number, name), **s})
    return out


def size_classes(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for label, _lo, _hi in SIZE_CLASSES:
        rows = [r for r in records if r["size_class"] == label]
        if rows:
            out.append({"label": label, "name": SIZE_CLASS_LABELS_NB[label], "file": f"storrelse/{SIZE_SLUGS[label]}.html",
                        **summary(rows)})  # fmt: skip
    return out


def rank_context(data: ReportData, r: dict[str, Any]) -> dict[str, Any]:
    """The uncertainty of one municipality's rank: its interval and its statistically tied band."""
    band = r.get("band")
    members = [x for x in data.records if band is not None and x.get("band") == band]
    ranks = [x["rank"] for x in members if x["rank"] is not None]
    return {
        "n_ranked": sum(1 for x in data.records if x["ranked"]),
        "band_size": len(members),
        "band_low": min(ranks) if ranks else None,
        "band_high": max(ranks) if ranks else None,
        "level": data.model.ranking.bootstrap.level,
        "resamples": data.model.ranking.bootstrap.resamples,
    }


def common(data: ReportData, root: str, *, preview: bool = False) -> dict[str, Any]:
    """What every page's frame needs."""
    return {
        "root": root,
        "round": data.round,
        "run": data.run,
        "model": data.model,
        "generated_at": data.generated_at,
        "preview": preview,
        "previous_round": data.previous_round,
    }
