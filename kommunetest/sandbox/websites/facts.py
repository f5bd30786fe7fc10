"""Ground truth: the true values of a simulated municipality, and where its site shows them.

`MunicipalFacts` are the values a municipality really has (its switchboard number, the service desk's opening
hours, this year's fees and last and next year's), drawn deterministically from the seed and the kommunenummer.
`ItemTruth` says, for one web item, what a careful tester should conclude: the grade (`complete`, `partial`,
`pdf_or_deep`, `absent`, with METHOD.md's meaning), the values in the fact shapes of DESIGN.md's `web inspect`
contract, and where they are (URL, click depth, PDF, JavaScript). `SiteTruth` gathers a site's items; both are
plain dataclasses that round-trip through JSON (`to_dict` / `from_dict`).
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from kommunetest.register import Municipality
from kommunetest.sandbox.mailsystem import municipality_address

GRADES = ("complete", "partial", "pdf_or_deep", "absent")
# Landline prefixes by county number (2024 counties), so that numbers look local.
_PREFIXES = {
    "03": ("21", "22", "23"),
    "11": ("51", "52"),
    "15": ("70", "71"),
    "18": ("75", "76"),
    "31": ("69",),
    "32": ("63", "64", "66", "67"),
    "33": ("32",),
    "34": ("61", "62"),
    "39": ("33",),
    "40": ("35",),
    "42": ("37", "38"),
    "46": ("55", "56", "57"),
    "50": ("72", "73", "74"),
    "55": ("77",),
    "56": ("78",),
}
_POSTCODE_FIRST = {
    "03": "0",
    "11": "4",
    "15": "6",
    "18": "8",
    "31": "1",
    "32": "2",
    "33": "3",
    "34": "2",
    "39": "3",
    "40": "3",
    "42": "4",
    "46": "5",
    "50": "7",
    "55": "9",
    "56": "9",
}
DESK_NAMES = (
    ("Servicetorget", "Servicetorget"),
    ("Innbyggertorget", "Innbyggjartorget"),
    ("Servicesenteret", "Servicesenteret"),
    ("Kundesenteret", "Kundesenteret"),
    ("Publikumsmottaket", "Publikumsmottaket"),
)


@dataclass
class Hours:
    """One opening-hours range in the contract's shape."""

    start: str  # "08:00"
    end: str
    days: list[str]  # day codes, "mon".."sun"

    def value(self) -> dict[str, Any]:
        return {"from": self.start, "to": self.end, "days": list(self.days)}


@dataclass
class TruthValue:
    """A value as the page shows it: `value` in the contract's shape, `text` exactly as written where it is."""

    kind: str  # opening_hours, processing_time, complaint_deadline, price, phone, email, presence
    value: Any
    text: str
    label: str = ""
    url: str | None = None  # set for distractors (which page shows them)
    year: int | None = None  # the fee year a price is for (tables with a column per year)


@dataclass
class ItemTruth:
    """What a careful tester finds for one web item on one generated site."""

    item_id: str
    fact_kind: str
    grade: str  # one of GRADES
    mode: str  # text, table, dl, footer, header, js, partial, pdf, deep, absent, not_applicable
    max_depth: int
    values: list[TruthValue] = field(default_factory=list)
    url: str | None = None  # where the values are: the page, the PDF, or the page the script fills
    depth: int | None = None  # clicks from the front page to `url` (BFS over the site's links)
    page_url: str | None = None  # the HTML page that shows the item or links to its PDF
    page_depth: int | None = None
    in_pdf: bool = False
    needs_js: bool = False
    data_url: str | None = None  # the JSON a script fetches the values from
    lang: str | None = None  # "nb" or "nn": the language of the page that has the item
    applicable: bool = True  # False: e.g. no swimming pool in the municipality (item not tested)
    distractors: list[TruthValue] = field(default_factory=list)
    note: str = ""

    # The page key the generator placed the item on (resolved to `page_url` after rendering).
    _page_key: str | None = field(default=None, repr=False)
    _resource: str | None = field(default=None, repr=False)  # path of the PDF / JSON holding the values

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("_page_key")
        d.pop("_resource")
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ItemTruth:
        d = dict(d)
        d["values"] = [TruthValue(**v) for v in d.get("values", [])]
        d["distractors"] = [TruthValue(**v) for v in d.get("distractors", [])]
        return cls(**d)


@dataclass
class SiteTruth:
    """The ground truth of one generated site."""

    kommunenummer: str
    name: str
    host: str
    front_url: str
    real_domain: str | None  # the register's domain, for display
    real_website: str | None
    style: str
    written_standard: str
    year: int
    seed: int
    pages: int = 0
    robots_txt: bool = False
    sitemap: bool = False
    search_path: str = "/sok"
    search_param: str = "q"
    search_disallowed: bool = False  # robots.txt disallows the search page
    external_links: list[dict[str, str]] = field(default_factory=list)
    items: dict[str, ItemTruth] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "items"}
        d["items"] = {k: v.to_dict() for k, v in self.items.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SiteTruth:
        d = dict(d)
        items = {k: ItemTruth.from_dict(v) for k, v in d.pop("items", {}).items()}
        return cls(**d, items=items)

    def grades(self) -> dict[str, str]:
        return {k: v.grade for k, v in self.items.items()}


@dataclass
class MunicipalFacts:
    """The true values of one municipality (whether or not its site publishes them)."""

    year: int
    quality: float  # 0 (tiny, sparse site) .. 1 (large, complete site)
    phone: str
    email: str
    legevakt_phone: str
    helsestasjon_phone: str
    vakt_phone: str
    desk_name: tuple[str, str]
    street: str
    postcode: str
    town: str
    desk_hours: Hours
    library_hours: list[Hours]
    sfo_hours: Hours
    helsestasjon_hours: Hours
    ungdom_hours: Hours
    nav_hours: Hours
    pool: list[Hours] | None
    byggesak_weeks: int
    byggesak_small_weeks: int
    care_time: tuple[int, str]  # (amount, unit)
    fees: dict[str, dict[int, float]]  # fee key -> {year: amount}
    years: tuple[int, int]  # the two year columns of fee tables (one of them is `year`)

    def fee(self, key: str, year: int | None = None) -> float:
        return self.fees[key][self.year if year is None else year]


def quality_of(population: int) -> float:
    """Bigger municipalities have more complete sites: 0 at 500 inhabitants, 1 at 300 000 (log scale)."""
    q = (math.log10(max(population, 1)) - math.log10(500)) / (math.log10(300_000) - math.log10(500))
    return min(1.0, max(0.0, q))


def _number(rng: random.Random, prefix: str, round_end: bool = False) -> str:
    if round_end:
        return prefix + f"{rng.randrange(10, 99)}{rng.randrange(0, 10)}000"
    return prefix + f"{rng.randrange(0, 1_000_000):06d}"


def _fee(rng: random.Random, low: float, high: float, step: float) -> float:
    return round(rng.uniform(low, high) / step) * step


def _years_of(rng: random.Random, base: float, year: int, step: float) -> dict[int, float]:
    """A fee for last year, this year and next year (fees rise 2–8 % a year)."""
    up, up2 = rng.uniform(1.02, 1.08), rng.uniform(1.02, 1.08)

    def r(x: float) -> float:
        v = round(x / step) * step
        return round(v, 2) if step < 1 else float(int(v))

    return {year - 1: r(base / up), year: r(base), year + 1: r(base * up2)}


def make_facts(m: Municipality, rng: random.Random, year: int) -> MunicipalFacts:
    """The true values of `m`, drawn from `rng` (seeded by the caller from seed and kommunenummer)."""
    q = quality_of(m.population)
    prefixes = _PREFIXES.get(m.county_number, ("7",))
    prefix = rng.choice(prefixes)
    phone = _number(rng, prefix, round_end=rng.random() < 0.6)
    legevakt = _number(rng, prefix)
    helsestasjon = _number(rng, prefix)
    vakt = rng.choice(("9", "4")) + f"{rng.randrange(0, 10_000_000):07d}"
    start = rng.choice(("08:00", "08:00", "08:30", "09:00", "07:45"))
    end = rng.choice(("15:00", "15:30", "15:30", "15:45", "16:00"))
    lib = [
        Hours(
            rng.choice(("10:00", "11:00", "12:00")),
            rng.choice(("18:00", "19:00", "20:00")),
            ["mon", "tue", "wed", "thu", "fri"],
        )
    ]
    if rng.random() < 0.7:
        lib.append(Hours("11:00", rng.choice(("14:00", "15:00")), ["sat"]))
    pool: list[Hours] | None = None
    if rng.random() < 0.45 + 0.55 * q:
        pool = [
            Hours(
                rng.choice(("16:00", "17:00", "18:00")),
                rng.choice(("20:00", "21:00")),
                rng.choice((["tue", "thu"], ["mon", "wed"], ["tue", "wed", "thu"])),
            )
        ]
        if rng.random() < 0.8:
            pool.append(
                Hours(rng.choice(("10:00", "11:00", "12:00")), rng.choice(("15:00", "16:00")), ["sat"])
            )
    care = (rng.choice((2, 3, 4)), "weeks") if rng.random() < 0.6 else (rng.choice((10, 14, 15, 20)), "days")
    nav_days = ["mon", "tue", "wed", "thu", "fri"] if rng.random() < 0.7 else ["mon", "wed", "fri"]
    fees_base = {
        "byggesak_enebolig": (_fee(rng, 8_000, 30_000, 100), 100),
        "byggesak_tilbygg": (_fee(rng, 3_000, 9_000, 50), 50),
        "byggesak_garasje": (_fee(rng, 2_000, 7_000, 50), 50),
        "vann_abonnement": (_fee(rng, 1_500, 6_000, 1), 1),
        "vann_forbruk": (_fee(rng, 10, 40, 0.05), 0.05),
        "avlop_abonnement": (_fee(rng, 1_800, 7_000, 1), 1),
        "avlop_forbruk": (_fee(rng, 12, 45, 0.05), 0.05),
        "renovasjon": (_fee(rng, 2_800, 6_500, 1), 1),
        "sfo_full": (_fee(rng, 2_200, 3_800, 5), 5),
        "kost_sfo": (_fee(rng, 150, 450, 10), 10),
        "kost_barnehage": (_fee(rng, 200, 600, 10), 10),
        "praktisk_time": (_fee(rng, 150, 450, 1), 1),
        "praktisk_tak": (_fee(rng, 800, 2_500, 10), 10),
        "kulturskole": (_fee(rng, 2_400, 4_800, 10), 10),
    }
    fees = {k: _years_of(rng, base, year, step) for k, (base, step) in fees_base.items()}
    share = rng.choice((0.5, 0.6, 0.65))
    fees["sfo_half"] = {y: float(round(v * share / 5) * 5) for y, v in fees["sfo_full"].items()}
    makspris = (
        700.0 if (q < 0.35 and m.county_number in ("18", "55", "56") and rng.random() < 0.7) else 1200.0
    )
    fees["barnehage"] = {year - 1: 2000.0, year: makspris, year + 1: makspris}
    fees["praktisk_2g"] = {year - 1: 230.0, year: 240.0, year + 1: 250.0}  # the national cap under 2G
    years = (year - 1, year) if rng.random() < 0.5 else (year, year + 1)
    town = m.admin_centre or m.name
    return MunicipalFacts(
        year=year,
        quality=q,
        phone=phone,
        email=municipality_address(m.kommunenummer),
        legevakt_phone=legevakt,
        helsestasjon_phone=helsestasjon,
        vakt_phone=vakt,
        desk_name=rng.choice(DESK_NAMES),
        street=rng.choice(("Rådhusveien", "Rådhusgata", "Storgata", "Kirkegata", "Sentrumsvegen"))
        + f" {rng.randrange(1, 40)}",
        postcode=_POSTCODE_FIRST.get(m.county_number, "9") + f"{rng.randrange(0, 1000):03d}",
        town=town,
        desk_hours=Hours(start, end, ["mon", "tue", "wed", "thu", "fri"]),
        library_hours=lib,
        sfo_hours=Hours(
            rng.choice(("07:00", "07:15", "07:30")),
            rng.choice(("16:30", "16:45", "17:00")),
            ["mon", "tue", "wed", "thu", "fri"],
        ),
        helsestasjon_hours=Hours(
            rng.choice(("08:00", "08:30")),
            rng.choice(("15:00", "15:30")),
            ["mon", "tue", "wed", "thu", "fri"],
        ),
        ungdom_hours=Hours(
            rng.choice(("14:00", "15:00")),
            rng.choice(("17:00", "18:00")),
            [rng.choice(("tue", "wed", "thu"))],
        ),
        nav_hours=Hours(rng.choice(("09:00", "10:00")), rng.choice(("14:00", "15:00")), nav_days),
        pool=pool,
        byggesak_weeks=rng.randrange(4, 12),
        byggesak_small_weeks=rng.choice((2, 4, 5)),
        care_time=care,
        fees=fees,
        years=years,
    )
