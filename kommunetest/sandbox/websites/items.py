"""How the web items are placed on a generated site: the plan (grade and mode) drawn per municipality, and the
helpers the item generators share (opening hours, fee tables with a column per year, deep pages, PDFs).

An item generator is `gen(site, scenario, plan, rng) -> ItemTruth`. Grades follow METHOD.md: `complete`
(found within `max_depth` clicks, every requirement met), `partial`, `pdf_or_deep` (only in a PDF, or deeper than
`max_depth`), `absent`. The odds of each grade move with the municipality's size (`MunicipalFacts.quality`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kommunetest.sandbox.websites.facts import Hours, ItemTruth, TruthValue
from kommunetest.sandbox.websites.lang import fmt_days, fmt_nok, fmt_range, per_text, t
from kommunetest.sandbox.websites.site import Page, SiteBuilder, esc
from kommunetest.sandbox.websites.structure import SERVICE_BY_KEY
from kommunetest.scenarios import Scenario


@dataclass(frozen=True)
class Plan:
    grade: str
    mode: str


Odds = tuple[float, float, float, float]  # complete, partial, pdf_or_deep, absent
Generator = Callable[[SiteBuilder, Scenario, Plan, random.Random], ItemTruth]


@dataclass(frozen=True)
class ItemSpec:
    """How one item is generated: odds of each grade for a tiny (q=0) and a large (q=1) municipality, and
    the modes a complete or pdf/deep placement may take (with weights)."""

    gen: Generator
    small: Odds
    large: Odds
    complete_modes: Sequence[tuple[str, float]] = (("text", 1.0),)
    deep_modes: Sequence[tuple[str, float]] = (("deep", 1.0),)

    def plan(self, quality: float, rng: random.Random) -> Plan:
        odds = [s + (g - s) * quality for s, g in zip(self.small, self.large, strict=True)]
        grade = rng.choices(("complete", "partial", "pdf_or_deep", "absent"), weights=odds)[0]
        if grade == "complete":
            return Plan(grade, _pick(self.complete_modes, rng))
        if grade == "pdf_or_deep":
            return Plan(grade, _pick(self.deep_modes, rng))
        return Plan(grade, grade if grade == "partial" else "absent")


def _pick(options: Sequence[tuple[str, float]], rng: random.Random) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def new_truth(sc: Scenario, plan: Plan, **kw: Any) -> ItemTruth:
    assert sc.web is not None
    return ItemTruth(sc.id, sc.web.fact_kind, plan.grade, plan.mode, sc.web.max_depth, **kw)


def done(
    sc: Scenario,
    plan: Plan,
    page: str | None,
    values: list[TruthValue],
    *,
    resource: str | None = None,
    in_pdf: bool = False,
    needs_js: bool = False,
    distractors: Sequence[TruthValue] = (),
    note: str = "",
    applicable: bool = True,
) -> ItemTruth:
    item = new_truth(
        sc,
        plan,
        values=list(values),
        in_pdf=in_pdf,
        needs_js=needs_js,
        distractors=list(distractors),
        note=note,
        applicable=applicable,
    )
    item._page_key = page
    item._resource = resource
    return item


# ---------------------------------------------------------------------- pages


def ensure(site: SiteBuilder, key: str, *, title: str | None = None, intro: str | None = None) -> Page:
    """The service page `key` from the catalogue, created (under its section) on first use."""
    if site.has(key):
        return site.pages[key]
    spec = SERVICE_BY_KEY[key]
    lang = site.page_lang()
    text = spec.intro(lang).replace("{desk}", t(lang, *site.facts.desk_name))
    assert spec.section is not None
    if title is None:
        title = t(lang, *site.facts.desk_name) if key == "servicetorg" else spec.title(lang)
    return site.add(
        key,
        title,
        kind="service",
        parent=spec.section,
        section=spec.section,
        lang=lang,
        intro=text if intro is None else intro,
    )


def deep(site: SiteBuilder, sc: Scenario, rng: random.Random, key: str, nb: str, nn: str) -> Page:
    """A page buried deeper than the item's `max_depth` (one or two clicks too many)."""
    assert sc.web is not None
    depth = sc.web.max_depth + rng.choice((1, 2))
    title = t(site.lang, nb, nn)
    return site.deep_leaf(key, title, depth)


def item_page(
    site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random, key: str, deep_key: str, nb: str, nn: str
) -> Page:
    """The service page `key`, or in the `deep` mode a page `deep_key` (titled `nb`/`nn`) buried too deep."""
    return deep(site, sc, rng, deep_key, nb, nn) if plan.mode == "deep" else ensure(site, key)


def heading(text: str, level: int = 2) -> str:
    return f"<h{level}>{esc(text)}</h{level}>"


def para(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def add_para(site: SiteBuilder, key: str, nb: str, nn: str | None = None) -> None:
    """Add a paragraph to page `key`, in the page's language."""
    site.block(key, para(site.t(key, nb, nn)))


def dl(*rows: tuple[str, str]) -> str:
    """A definition list of (term, description) texts."""
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"


def value(
    kind: str, val: Any, text: str, label: str = "", year: int | None = None, url: str | None = None
) -> TruthValue:
    return TruthValue(kind, val, text, label, url, year)


# ---------------------------------------------------------------------- opening hours


def hours_text(h: Hours, lang: str, rng: random.Random, *, capital: bool = True) -> str:
    """`Mandag–fredag 08.00–15.30`, `Man–fre kl. 8–15.30`, `Hverdager 08:00–15:30`..."""
    day_n = rng.randrange(4) if h.days == ["mon", "tue", "wed", "thu", "fri"] else 0
    days = fmt_days(h.days, lang, day_n, capital=capital)
    rng_n = rng.choice((0, 0, 1, 2, 4, 5))
    sep = rng.choice((" ", ": ")) if day_n != 3 else " "
    return f"{days}{sep}{fmt_range(h.start, h.end, rng_n)}"


def hours_cells(h: Hours, lang: str, rng: random.Random) -> tuple[str, str]:
    """(days, time) for a table row or a definition list."""
    day_n = rng.choice((0, 1)) if h.days == ["mon", "tue", "wed", "thu", "fri"] else 0
    return fmt_days(h.days, lang, day_n), fmt_range(h.start, h.end, rng.choice((0, 1, 2)))


def hours_value(h: Hours, text: str, label: str = "") -> TruthValue:
    return value("opening_hours", h.value(), text, label)


def hours_table(rows: Sequence[tuple[str, str]], caption: str, lang: str) -> str:
    head = f"<tr><th>{esc(t(lang, 'Dag', 'Dag'))}</th><th>{esc(t(lang, 'Tid', 'Tid'))}</th></tr>"
    body = "".join(f"<tr><td>{esc(d)}</td><td>{esc(x)}</td></tr>" for d, x in rows)
    return f"<table><caption>{esc(caption)}</caption><thead>{head}</thead><tbody>{body}</tbody></table>"


# ---------------------------------------------------------------------- prices


def price_text(
    amount: float, per: str | None, lang: str, rng: random.Random, *, notation: int | None = None
) -> str:
    n = rng.choice((0, 0, 1, 2, 3)) if notation is None else notation
    money = fmt_nok(amount, n)
    suffix = per_text(per, lang, rng.randrange(3))
    return f"{money} {suffix}" if suffix else money


def price_value(amount: float, per: str | None, text: str, label: str, year: int | None = None) -> TruthValue:
    nok: int | float = int(amount) if float(amount).is_integer() else amount
    return value("price", {"nok": nok, "per": per}, text, label, year)


def fee_price(
    site: SiteBuilder,
    fee: str,
    per: str | None,
    lang: str,
    rng: random.Random,
    label: str,
    *,
    notation: int | None = None,
) -> tuple[str, TruthValue]:
    """This year's amount of `fee` written in one of the usual ways, and its truth value."""
    amount = site.facts.fee(fee)
    text = price_text(amount, per, lang, rng, notation=notation)
    return text, price_value(amount, per, text, label, site.facts.year)


@dataclass
class FeeRow:
    label: str
    fee: str  # key in MunicipalFacts.fees
    per: str | None
    unit_label: str = ""  # e.g. "kr per m³" written in the label column instead of after the amount


class FeeTable:
    """A fee table with a column per year on one page, filled by one or more items (water, sewage and waste
    often share one), rendered when the site is finished. This year's column is the truth; the other year's
    amounts are distractors."""

    def __init__(self, site: SiteBuilder, page: str, caption: str, rng: random.Random) -> None:
        self.site = site
        self.page = site.pages[page]
        self.caption = caption
        self.notation = rng.choice((0, 1, 2, 3))
        self.header_style = rng.randrange(2)
        self.rows: list[tuple[str, list[str]]] = []
        self.index = len(self.page.blocks)
        self.page.blocks.append("")
        site.finishers.append(self.render)

    @classmethod
    def on(cls, site: SiteBuilder, page: str, caption: str, rng: random.Random) -> FeeTable:
        tables: dict[str, FeeTable] = site.__dict__.setdefault("_fee_tables", {})
        if page not in tables:
            tables[page] = cls(site, page, caption, rng)
        return tables[page]

    def add(self, rows: Sequence[FeeRow]) -> tuple[list[TruthValue], list[TruthValue]]:
        values, distractors = [], []
        for row in rows:
            cells = []
            for y in self.site.facts.years:
                amount = self.site.facts.fee(row.fee, y)
                text = fmt_nok(amount, self.notation)
                cells.append(text)
                v = price_value(amount, row.per, text, row.label, y)
                if y == self.site.facts.year:
                    values.append(v)
                else:
                    v.url = self.page.url
                    distractors.append(v)
            label = esc(row.label) + (f" <small>({esc(row.unit_label)})</small>" if row.unit_label else "")
            self.rows.append((label, cells))
        return values, distractors

    def render(self) -> None:
        lang = self.page.lang
        word = t(lang, "Gebyr", "Gebyr")
        cols = "".join(
            f"<th>{esc(f'{word} {y}' if self.header_style == 0 else str(y))}</th>"
            for y in self.site.facts.years
        )
        head = f"<tr><th>{esc(t(lang, 'Tjeneste', 'Teneste'))}</th>{cols}</tr>"
        body = "".join(
            f"<tr><td>{label}</td>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>"
            for label, cells in self.rows
        )
        self.page.blocks[self.index] = (
            f'<table class="fees"><caption>{esc(self.caption)}</caption><thead>{head}</thead>'
            f"<tbody>{body}</tbody></table>"
        )


def fee_pdf_section(
    site: SiteBuilder, kind: str, section: str, rows: Sequence[FeeRow], rng: random.Random
) -> tuple[str, list[TruthValue], list[TruthValue]]:
    """Add a section to the site's fee list PDF (`gebyr`: building, water, waste; `satser`: kindergarten, SFO,
    care, culture school), a row per fee with a column per year. Returns (path, values, distractors)."""
    y, lang = site.facts.year, site.lang
    if kind == "gebyr":
        names = (f"gebyrregulativ-{y}.pdf", f"Gebyrregulativ%20{y}.pdf", f"gebyrer_{y}.pdf")
        title = f"Gebyrregulativ {y} – {site.m.name} kommune"
    else:
        names = (f"betalingssatser-{y}.pdf", f"Betalingssatser%20{y}.pdf", f"priser-{y}.pdf")
        title = t(lang, f"Betalingssatser {y}", f"Betalingssatsar {y}") + f" – {site.m.name} kommune"
    doc = site.pdf(kind, rng.choice(names), title)
    doc.heading(section)
    years = site.facts.years
    doc.add([(0.0, t(lang, "Tjeneste", "Teneste")), (300.0, str(years[0])), (390.0, str(years[1]))])
    values, distractors = [], []
    for row in rows:
        cells: list[tuple[float, str]] = [
            (0.0, row.label + (f" ({row.unit_label})" if row.unit_label else ""))
        ]
        for x, yr in zip((300.0, 390.0), years, strict=True):
            amount = site.facts.fee(row.fee, yr)
            text = fmt_nok(amount, 0)
            cells.append((x, text))
            v = price_value(amount, row.per, text, row.label, yr)
            if yr == y:
                values.append(v)
            else:
                v.url = doc.path
                distractors.append(v)
        doc.add(cells)
    return doc.path, values, distractors


def pdf_link(path: str, text: str) -> str:
    return f'<p><a href="{esc(path)}" class="pdf">{esc(text)} (PDF)</a></p>'
