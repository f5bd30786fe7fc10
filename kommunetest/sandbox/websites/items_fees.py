"""Generators for the fee items: building-case fees, water and sewage, waste, SFO, kindergarten, home help
and the culture school. They share the placements of fees: a table with a column per year, the site's fee PDF, a
table on a deep page; a `FeePlaces` per item holds what differs between them."""

from __future__ import annotations

import random
from dataclasses import dataclass

from kommunetest.sandbox.websites.facts import ItemTruth
from kommunetest.sandbox.websites.items import (
    FeeRow,
    FeeTable,
    ItemSpec,
    Plan,
    add_para,
    deep,
    done,
    ensure,
    fee_pdf_section,
    fee_price,
    para,
    pdf_link,
    price_text,
    price_value,
    value,
)
from kommunetest.sandbox.websites.lang import t
from kommunetest.sandbox.websites.site import SiteBuilder, esc
from kommunetest.scenarios import Scenario

# (label in bokmål, label in nynorsk or None when the same, fee key, what it is counted per)
Row = tuple[str, str | None, str, str | None]


def _unit(lang: str, per: str | None) -> str:
    """What a fee is counted per, as the label column writes it ("" for a one-off fee)."""
    if per is None:
        return ""
    if per == "m3":
        return "per m³"
    return {
        "year": t(lang, "per år", "per år"),
        "month": t(lang, "per måned", "per månad"),
        "hour": t(lang, "per time", "per time"),
    }[per]


@dataclass(frozen=True)
class FeePlaces:
    """Where one item's fees stand in the modes all fee items share: a table with a column per year on `page`,
    a section of the site's fee PDF (`pdf_kind`: `gebyr` or `satser`) that `page` links to after `pdf_text`,
    or a table on a page buried too deep."""

    page: str
    rows: tuple[Row, ...]
    caption: tuple[str, str]
    pdf_kind: str
    pdf_section: tuple[str, str]
    pdf_text: tuple[str, str]
    deep_title: tuple[str, str]

    def rows_of(self, lang: str) -> list[FeeRow]:
        return [
            FeeRow(t(lang, nb, nn), fee, None if per == "m3" else per, _unit(lang, per))
            for nb, nn, fee, per in self.rows
        ]

    def place(self, site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth | None:
        """The item placed in the `table`, `pdf` or `deep` mode; None for the item's own modes."""
        if plan.mode == "table":
            lang = ensure(site, self.page).lang
            table = FeeTable.on(site, self.page, t(lang, *self.caption), rng)
            values, distractors = table.add(self.rows_of(lang))
            return done(sc, plan, self.page, values, distractors=distractors)
        if plan.mode == "pdf":
            lang = ensure(site, self.page).lang
            section, rows = t(site.lang, *self.pdf_section), self.rows_of(site.lang)
            path, values, distractors = fee_pdf_section(site, self.pdf_kind, section, rows, rng)
            link = pdf_link(path, site.pdfs[self.pdf_kind].title)
            site.block(self.page, para(t(lang, *self.pdf_text)) + link)
            return done(sc, plan, self.page, values, resource=path, in_pdf=True, distractors=distractors)
        if plan.mode == "deep":
            leaf = deep(site, sc, rng, f"{sc.id}-deep", *self.deep_title)
            values, distractors = FeeTable.on(site, leaf.key, leaf.title, rng).add(self.rows_of(leaf.lang))
            return done(sc, plan, leaf.key, values, distractors=distractors)
        return None


_AVGIFT_CAPTION = ("Kommunale gebyrer (inkl. mva.)", "Kommunale gebyr (inkl. mva.)")

_BYGG = FeePlaces(
    "byggegebyr",
    (
        ("Enebolig/tomannsbolig", "Einebustad/tomannsbustad", "byggesak_enebolig", None),
        ("Tilbygg/påbygg under 50 m²", None, "byggesak_tilbygg", None),
        ("Garasje/uthus", None, "byggesak_garasje", None),
    ),
    ("Gebyrer for byggesaker", "Gebyr for byggjesaker"),
    "gebyr",
    ("Byggesaker", "Byggjesaker"),
    ("Gebyrene står i gebyrregulativet.", "Gebyra står i gebyrregulativet."),
    ("Byggesaksgebyr", "Byggjesaksgebyr"),
)
_VANN = FeePlaces(
    "avgifter",
    (
        ("Vann – abonnementsgebyr", "Vatn – abonnementsgebyr", "vann_abonnement", "year"),
        ("Vann – forbruksgebyr", "Vatn – forbruksgebyr", "vann_forbruk", "m3"),
        ("Avløp – abonnementsgebyr", None, "avlop_abonnement", "year"),
        ("Avløp – forbruksgebyr", None, "avlop_forbruk", "m3"),
    ),
    _AVGIFT_CAPTION,
    "gebyr",
    ("Vann og avløp", "Vatn og avløp"),
    (
        "Gebyrene for vann og avløp står i gebyrregulativet.",
        "Gebyra for vatn og avløp står i gebyrregulativet.",
    ),
    ("Gebyrer for vann og avløp", "Gebyr for vatn og avløp"),
)
_RENOVASJON = FeePlaces(
    "avgifter",
    (("Renovasjon – standard abonnement", None, "renovasjon", "year"),),
    _AVGIFT_CAPTION,
    "gebyr",
    ("Renovasjon", "Renovasjon"),
    ("Renovasjonsgebyret står i gebyrregulativet.", "Renovasjonsgebyret står i gebyrregulativet."),
    ("Renovasjonsgebyr", "Renovasjonsgebyr"),
)
_SFO = FeePlaces(
    "sfo",
    (("Hel plass", "Heil plass", "sfo_full", "month"), ("Halv plass", None, "sfo_half", "month")),
    ("Foreldrebetaling i SFO", "Foreldrebetaling i SFO"),
    "satser",
    ("SFO", "SFO"),
    ("Prisene for SFO står i betalingssatsene.", "Prisane for SFO står i betalingssatsane."),
    ("Priser i SFO", "Prisar i SFO"),
)
_BARNEHAGE = FeePlaces(
    "barnehagepris",
    (
        ("Heltidsplass", "Heiltidsplass", "barnehage", "month"),
        ("Kostpenger", "Kostpengar", "kost_barnehage", "month"),
    ),
    ("Foreldrebetaling", "Foreldrebetaling"),
    "satser",
    ("Barnehage", "Barnehage"),
    ("Prisene står i betalingssatsene.", "Prisane står i betalingssatsane."),
    ("Priser i barnehage", "Prisar i barnehage"),
)
_PRAKTISK = FeePlaces(
    "helsepriser",
    (
        ("Praktisk bistand, timepris", None, "praktisk_time", "hour"),
        (
            "Inntekt under 2G, høyeste egenandel",
            "Inntekt under 2G, høgaste eigenandel",
            "praktisk_2g",
            "month",
        ),
        ("Inntekt 2–3G, høyeste egenandel", "Inntekt 2–3G, høgaste eigenandel", "praktisk_tak", "month"),
    ),
    ("Egenandel for praktisk bistand", "Eigenandel for praktisk bistand"),
    "satser",
    ("Praktisk bistand", "Praktisk bistand"),
    ("Egenandelene står i betalingssatsene.", "Eigenandelane står i betalingssatsane."),
    ("Egenandel for praktisk bistand", "Eigenandel for praktisk bistand"),
)
_KULTURSKOLE = FeePlaces(
    "kulturskole",
    (("Elevplass", None, "kulturskole", "year"),),
    ("Elevavgift", "Elevavgift"),
    "satser",
    ("Kulturskole", "Kulturskule"),
    ("Elevavgiften står i betalingssatsene.", "Elevavgifta står i betalingssatsane."),
    ("Elevavgift i kulturskolen", "Elevavgift i kulturskulen"),
)


def byggesak_gebyr(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _BYGG.place(site, sc, plan, rng)
    if placed is not None:
        return placed
    f = site.facts
    if plan.mode == "text":
        lang = ensure(site, "byggegebyr").lang
        rows = _BYGG.rows_of(lang)
        prices = [fee_price(site, r.fee, None, lang, rng, r.label, notation=0) for r in rows]
        add_para(
            site,
            "byggegebyr",
            f"Gebyret for en søknad om ny enebolig er {prices[0][0]} i {f.year}.",
            f"Gebyret for ein søknad om ny einebustad er {prices[0][0]} i {f.year}.",
        )
        items = "".join(
            f"<li>{esc(r.label)}: {esc(x)}</li>" for r, (x, _) in zip(rows[1:], prices[1:], strict=True)
        )
        site.block("byggegebyr", f"<ul>{items}</ul>")
        return done(sc, plan, "byggegebyr", [v for _, v in prices])
    if plan.mode == "partial":
        lang = ensure(site, "byggesak").lang
        text = "gebyrregulativ"
        add_para(
            site,
            "byggesak",
            f"Gebyrene følger kommunens {text}, som kommunestyret vedtar hvert år. "
            "Ta kontakt med byggesaksavdelingen for å få vite hva din sak koster.",
            f"Gebyra følgjer {text}et til kommunen, som kommunestyret vedtek kvart år. "
            "Ta kontakt med byggjesaksavdelinga for å få vite kva saka di kostar.",
        )
        return done(
            sc, plan, "byggesak", [value("presence", None, text)], note="the fee list is named, no amounts"
        )
    return done(sc, plan, None, [])


def vann_avlop(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _VANN.place(site, sc, plan, rng)
    if placed is not None:
        if plan.mode == "table":
            site.block("vann", f"<p>{site.a('avgifter')}</p>")
        return placed
    lang = ensure(site, "vann").lang
    v, vv = fee_price(site, "vann_abonnement", "year", lang, rng, "vann")
    a, av = fee_price(site, "avlop_abonnement", "year", lang, rng, "avløp")
    if plan.mode == "text":
        add_para(
            site,
            "vann",
            f"Årsgebyret for vann er {v}, og for avløp {a} (abonnementsgebyr, inkl. mva.).",
            f"Årsgebyret for vatn er {v}, og for avløp {a} (abonnementsgebyr, inkl. mva.).",
        )
        return done(sc, plan, "vann", [vv, av])
    if plan.mode == "partial":
        site.block(
            "vann",
            para(t(lang, f"Abonnementsgebyret for vann er {v}.", f"Abonnementsgebyret for vatn er {v}."))
            + para(
                t(
                    lang,
                    "Gebyret for avløp blir fastsatt på nytt.",
                    "Gebyret for avløp blir fastsett på nytt.",
                )
            ),
        )
        return done(sc, plan, "vann", [vv], note="water only, no sewage fee")
    return done(sc, plan, None, [])


def renovasjon(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _RENOVASJON.place(site, sc, plan, rng)
    if placed is not None:
        if plan.mode == "table" and site.has("renovasjon"):
            site.block("renovasjon", f"<p>{site.a('avgifter')}</p>")
        return placed
    f = site.facts
    if plan.mode == "text":
        lang = ensure(site, "renovasjon").lang
        p, found = fee_price(site, "renovasjon", "year", lang, rng, "renovasjon")
        add_para(
            site,
            "renovasjon",
            f"Renovasjonsgebyret for en vanlig husstand er {p}.",
            f"Renovasjonsgebyret for eit vanleg hushald er {p}.",
        )
        return done(sc, plan, "renovasjon", [found])
    if plan.mode == "partial":  # an inter-municipal company does it; only a link to them
        lang = ensure(site, "renovasjon").lang
        iks = f"{f.town} og omegn Renovasjon IKS"
        host = f"https://www.{site.m.kommunenummer}-renovasjon-iks.sim.kommunetest.test/"
        site.block(
            "renovasjon",
            para(
                t(
                    lang,
                    f"Renovasjonen i kommunen blir utført av {iks}. Priser og tømmekalender finner du hos selskapet.",
                    f"Renovasjonen i kommunen blir utført av {iks}. Prisar og tømmekalender finn du hos selskapet.",
                )
            )
            + f"<p>{site.external_link(host, iks)}</p>",
        )
        return done(
            sc,
            plan,
            "renovasjon",
            [value("presence", None, iks)],
            note="a link to the waste company, no price",
        )
    return done(sc, plan, None, [])


def sfo_pris(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    f = site.facts
    distractors = []
    if rng.random() < 0.25 and f.years[1] > f.year:
        news = site.add_news("Nye priser i SFO", "Nye prisar i SFO")
        nxt = f.fee("sfo_full", f.year + 1)
        p = price_text(nxt, "month", news.lang, rng)
        add_para(
            site,
            news.key,
            f"Fra 1. august {f.year + 1} blir prisen for hel plass {p}.",
            f"Frå 1. august {f.year + 1} blir prisen for heil plass {p}.",
        )
        d = price_value(nxt, "month", p, "SFO neste år", f.year + 1)
        d.url = news.url
        distractors.append(d)
    placed = _SFO.place(site, sc, plan, rng)
    if placed is not None:
        placed.distractors += distractors
        return placed
    lang = ensure(site, "sfo").lang
    full, vf = fee_price(site, "sfo_full", "month", lang, rng, "hel plass")
    half, vh = fee_price(site, "sfo_half", "month", lang, rng, "halv plass")
    first = t(
        lang,
        f"Foreldrebetalingen for hel plass i SFO er {full}",
        f"Foreldrebetalinga for heil plass i SFO er {full}",
    )
    if plan.mode == "text":
        site.block(
            "sfo", para(first + t(lang, f", og for halv plass {half}.", f", og for halv plass {half}."))
        )
        return done(sc, plan, "sfo", [vf, vh], distractors=distractors)
    if plan.mode == "partial":
        site.block("sfo", para(first + "."))
        return done(sc, plan, "sfo", [vf], distractors=distractors, note="one price only")
    return done(sc, plan, None, [], distractors=distractors)


def _moderasjon(lang: str) -> str:
    return para(
        t(
            lang,
            "Det gis søskenmoderasjon, og familier med lav inntekt kan søke om redusert foreldrebetaling og gratis kjernetid.",
            "Det blir gitt søskenmoderasjon, og familiar med låg inntekt kan søkje om redusert foreldrebetaling og gratis kjernetid.",
        )
    )


def barnehage_pris(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _BARNEHAGE.place(site, sc, plan, rng)
    if placed is not None:
        if plan.mode in ("table", "deep"):
            key = placed._page_key or "barnehagepris"
            site.block(key, _moderasjon(site.pages[key].lang))
        return placed
    if plan.mode in ("text", "partial"):
        lang = ensure(site, "barnehagepris").lang
        p, vp = fee_price(site, "barnehage", "month", lang, rng, "heltidsplass")
        k, vk = fee_price(site, "kost_barnehage", "month", lang, rng, "kostpenger")
        site.block(
            "barnehagepris",
            para(
                t(
                    lang,
                    f"Foreldrebetalingen for en heltidsplass i barnehage er {p} (maksimalpris).",
                    f"Foreldrebetalinga for ein heiltidsplass i barnehage er {p} (maksimalpris).",
                )
            )
            + para(t(lang, f"Kostpenger kommer i tillegg: {k}.", f"Kostpengar kjem i tillegg: {k}.")),
        )
        if plan.mode == "text":
            site.block("barnehagepris", _moderasjon(lang))
        return done(
            sc, plan, "barnehagepris", [vp, vk], note="" if plan.mode == "text" else "no word on reductions"
        )
    return done(sc, plan, None, [])


def praktisk_pris(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _PRAKTISK.place(site, sc, plan, rng)
    if placed is not None:
        return placed
    lang = ensure(site, "helsepriser").lang
    if plan.mode == "text":
        p, vp = fee_price(site, "praktisk_time", "hour", lang, rng, "timepris")
        c, vc = fee_price(site, "praktisk_2g", "month", lang, rng, "under 2G")
        site.block(
            "helsepriser",
            para(
                t(
                    lang,
                    f"Egenandelen for praktisk bistand (hjemmehjelp) er {p}.",
                    f"Eigenandelen for praktisk bistand (heimehjelp) er {p}.",
                )
            )
            + para(
                t(
                    lang,
                    f"Har husstanden inntekt under 2G, betaler du høyst {c}.",
                    f"Har hushaldet inntekt under 2G, betaler du høgst {c}.",
                )
            ),
        )
        return done(sc, plan, "helsepriser", [vp, vc])
    if plan.mode == "partial":
        text = t(
            lang, "Du betaler egenandel for praktisk bistand", "Du betaler eigenandel for praktisk bistand"
        )
        site.block(
            "helsepriser",
            para(
                text
                + t(
                    lang,
                    " etter betalingssatser vedtatt av kommunestyret. Kontakt tildelingskontoret for å få vite hva du må betale.",
                    " etter betalingssatsar vedtekne av kommunestyret. Kontakt tildelingskontoret for å få vite kva du må betale.",
                )
            ),
        )
        return done(sc, plan, "helsepriser", [value("presence", None, text)], note="no amounts")
    return done(sc, plan, None, [])


def kulturskole(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _KULTURSKOLE.place(site, sc, plan, rng)
    if placed is not None:
        return placed
    f = site.facts
    if plan.mode == "text":
        lang = ensure(site, "kulturskole").lang
        if rng.random() < 0.3:
            amount = float(round(f.fee("kulturskole") / 20) * 10)
            p = price_text(amount, None, lang, rng)
            add_para(
                site, "kulturskole", f"Elevavgiften er {p} per semester.", f"Elevavgifta er {p} per semester."
            )
            return done(
                sc, plan, "kulturskole", [price_value(amount, None, p, "elevavgift per semester", f.year)]
            )
        p, found = fee_price(site, "kulturskole", "year", lang, rng, "elevavgift")
        add_para(
            site,
            "kulturskole",
            f"Elevavgiften er {p} for én elevplass.",
            f"Elevavgifta er {p} for éin elevplass.",
        )
        return done(sc, plan, "kulturskole", [found])
    return done(sc, plan, None, [])


FEES: dict[str, ItemSpec] = {
    "web-byggesak-gebyr": ItemSpec(
        byggesak_gebyr,
        (0.25, 0.10, 0.50, 0.15),
        (0.55, 0.05, 0.35, 0.05),
        (("table", 3), ("text", 1)),
        (("pdf", 3), ("deep", 1)),
    ),
    "web-vann-avlop-gebyr": ItemSpec(
        vann_avlop,
        (0.40, 0.15, 0.30, 0.15),
        (0.70, 0.10, 0.15, 0.05),
        (("table", 3), ("text", 2)),
        (("pdf", 2), ("deep", 1)),
    ),
    "web-renovasjon-gebyr": ItemSpec(
        renovasjon,
        (0.35, 0.35, 0.10, 0.20),
        (0.60, 0.30, 0.05, 0.05),
        (("table", 2), ("text", 2)),
        (("pdf", 1), ("deep", 1)),
    ),
    "web-sfo-pris": ItemSpec(
        sfo_pris,
        (0.45, 0.25, 0.15, 0.15),
        (0.75, 0.15, 0.05, 0.05),
        (("table", 2), ("text", 2)),
        (("pdf", 2), ("deep", 1)),
    ),
    "web-barnehage-pris": ItemSpec(
        barnehage_pris,
        (0.35, 0.40, 0.10, 0.15),
        (0.60, 0.30, 0.05, 0.05),
        (("text", 2), ("table", 2)),
        (("pdf", 2), ("deep", 1)),
    ),
    "web-praktisk-bistand-pris": ItemSpec(
        praktisk_pris,
        (0.30, 0.25, 0.25, 0.20),
        (0.55, 0.20, 0.15, 0.10),
        (("table", 2), ("text", 1)),
        (("pdf", 2), ("deep", 1)),
    ),
    "web-kulturskole-pris": ItemSpec(
        kulturskole,
        (0.40, 0, 0.25, 0.35),
        (0.70, 0, 0.15, 0.15),
        (("text", 2), ("table", 1)),
        (("pdf", 2), ("deep", 1)),
    ),
}
