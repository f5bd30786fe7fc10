"""Generators for the fee items: building-case fees, water and sewage, waste, SFO, kindergarten, home help
and the culture school. They share the placements of fees: a table with a column per year, the site's fee PDF, a
table on a deep page."""

from __future__ import annotations

import random

from kommunetest.sandbox.websites.facts import ItemTruth
from kommunetest.sandbox.websites.items import (
    FeeRow,
    FeeTable,
    ItemSpec,
    Plan,
    deep,
    done,
    ensure,
    fee_pdf_section,
    para,
    pdf_link,
    price_text,
    price_value,
    value,
)
from kommunetest.sandbox.websites.lang import t
from kommunetest.sandbox.websites.site import SiteBuilder, esc
from kommunetest.scenarios import Scenario


def _per(lang: str, per: str) -> str:
    return {
        "year": t(lang, "per år", "per år"),
        "month": t(lang, "per måned", "per månad"),
        "hour": t(lang, "per time", "per time"),
    }[per]


def _fee_placement(
    site: SiteBuilder,
    sc: Scenario,
    plan: Plan,
    rng: random.Random,
    *,
    page: str,
    rows_of,
    caption: tuple[str, str],
    pdf_kind: str,
    pdf_section: tuple[str, str],
    deep_title: tuple[str, str],
    pdf_text: tuple[str, str],
) -> ItemTruth | None:
    """The placements fee items share: a table on `page`, the site's fee PDF, a table on a deep page."""
    if plan.mode == "table":
        lang = ensure(site, page).lang
        values, distractors = FeeTable.on(site, page, t(lang, *caption), rng).add(rows_of(lang))
        return done(sc, plan, page, values, distractors=distractors)
    if plan.mode == "pdf":
        lang = ensure(site, page).lang
        path, values, distractors = fee_pdf_section(
            site, pdf_kind, t(site.lang, *pdf_section), rows_of(site.lang), rng
        )
        site.block(page, para(t(lang, *pdf_text)) + pdf_link(path, site.pdfs[pdf_kind].title))
        return done(sc, plan, page, values, resource=path, in_pdf=True, distractors=distractors)
    if plan.mode == "deep":
        leaf = deep(site, sc, rng, f"{sc.id}-deep", *deep_title)
        values, distractors = FeeTable.on(site, leaf.key, leaf.title, rng).add(rows_of(leaf.lang))
        return done(sc, plan, leaf.key, values, distractors=distractors)
    return None


def _bygg_rows(lang: str) -> list[FeeRow]:
    return [
        FeeRow(t(lang, "Enebolig/tomannsbolig", "Einebustad/tomannsbustad"), "byggesak_enebolig", None),
        FeeRow("Tilbygg/påbygg under 50 m²", "byggesak_tilbygg", None),
        FeeRow("Garasje/uthus", "byggesak_garasje", None),
    ]


def byggesak_gebyr(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _fee_placement(
        site,
        sc,
        plan,
        rng,
        page="byggegebyr",
        rows_of=_bygg_rows,
        caption=("Gebyrer for byggesaker", "Gebyr for byggjesaker"),
        pdf_kind="gebyr",
        pdf_section=("Byggesaker", "Byggjesaker"),
        deep_title=("Byggesaksgebyr", "Byggjesaksgebyr"),
        pdf_text=("Gebyrene står i gebyrregulativet.", "Gebyra står i gebyrregulativet."),
    )
    if placed is not None:
        return placed
    f = site.facts
    if plan.mode == "text":
        lang = ensure(site, "byggegebyr").lang
        rows = _bygg_rows(lang)
        texts = [price_text(f.fee(r.fee), None, lang, rng, notation=0) for r in rows]
        site.block(
            "byggegebyr",
            para(
                t(
                    lang,
                    f"Gebyret for en søknad om ny enebolig er {texts[0]} i {f.year}.",
                    f"Gebyret for ein søknad om ny einebustad er {texts[0]} i {f.year}.",
                )
            ),
        )
        site.block(
            "byggegebyr",
            "<ul>"
            + "".join(f"<li>{esc(r.label)}: {esc(x)}</li>" for r, x in zip(rows[1:], texts[1:], strict=True))
            + "</ul>",
        )
        return done(
            sc,
            plan,
            "byggegebyr",
            [price_value(f.fee(r.fee), None, x, r.label, f.year) for r, x in zip(rows, texts, strict=True)],
        )
    if plan.mode == "partial":
        lang = ensure(site, "byggesak").lang
        text = "gebyrregulativ"
        site.block(
            "byggesak",
            para(
                t(
                    lang,
                    f"Gebyrene følger kommunens {text}, som kommunestyret vedtar hvert år. "
                    "Ta kontakt med byggesaksavdelingen for å få vite hva din sak koster.",
                    f"Gebyra følgjer {text}et til kommunen, som kommunestyret vedtek kvart år. "
                    "Ta kontakt med byggjesaksavdelinga for å få vite kva saka di kostar.",
                )
            ),
        )
        return done(
            sc, plan, "byggesak", [value("presence", None, text)], note="the fee list is named, no amounts"
        )
    return done(sc, plan, None, [])


def _va_rows(lang: str) -> list[FeeRow]:
    year, m3 = _per(lang, "year"), "per m³"
    return [
        FeeRow(
            t(lang, "Vann – abonnementsgebyr", "Vatn – abonnementsgebyr"), "vann_abonnement", "year", year
        ),
        FeeRow(t(lang, "Vann – forbruksgebyr", "Vatn – forbruksgebyr"), "vann_forbruk", None, m3),
        FeeRow("Avløp – abonnementsgebyr", "avlop_abonnement", "year", year),
        FeeRow("Avløp – forbruksgebyr", "avlop_forbruk", None, m3),
    ]


_AVGIFT_CAPTION = ("Kommunale gebyrer (inkl. mva.)", "Kommunale gebyr (inkl. mva.)")


def vann_avlop(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _fee_placement(
        site,
        sc,
        plan,
        rng,
        page="avgifter",
        rows_of=_va_rows,
        caption=_AVGIFT_CAPTION,
        pdf_kind="gebyr",
        pdf_section=("Vann og avløp", "Vatn og avløp"),
        deep_title=("Gebyrer for vann og avløp", "Gebyr for vatn og avløp"),
        pdf_text=(
            "Gebyrene for vann og avløp står i gebyrregulativet.",
            "Gebyra for vatn og avløp står i gebyrregulativet.",
        ),
    )
    if placed is not None:
        if plan.mode == "table":
            site.block("vann", f"<p>{site.a('avgifter')}</p>")
        return placed
    f = site.facts
    lang = ensure(site, "vann").lang
    v = price_text(f.fee("vann_abonnement"), "year", lang, rng)
    a = price_text(f.fee("avlop_abonnement"), "year", lang, rng)
    vv = price_value(f.fee("vann_abonnement"), "year", v, "vann", f.year)
    av = price_value(f.fee("avlop_abonnement"), "year", a, "avløp", f.year)
    if plan.mode == "text":
        site.block(
            "vann",
            para(
                t(
                    lang,
                    f"Årsgebyret for vann er {v}, og for avløp {a} (abonnementsgebyr, inkl. mva.).",
                    f"Årsgebyret for vatn er {v}, og for avløp {a} (abonnementsgebyr, inkl. mva.).",
                )
            ),
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


def _renovasjon_rows(lang: str) -> list[FeeRow]:
    return [FeeRow("Renovasjon – standard abonnement", "renovasjon", "year", _per(lang, "year"))]


def renovasjon(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _fee_placement(
        site,
        sc,
        plan,
        rng,
        page="avgifter",
        rows_of=_renovasjon_rows,
        caption=_AVGIFT_CAPTION,
        pdf_kind="gebyr",
        pdf_section=("Renovasjon", "Renovasjon"),
        deep_title=("Renovasjonsgebyr", "Renovasjonsgebyr"),
        pdf_text=(
            "Renovasjonsgebyret står i gebyrregulativet.",
            "Renovasjonsgebyret står i gebyrregulativet.",
        ),
    )
    if placed is not None:
        if plan.mode == "table" and site.has("renovasjon"):
            site.block("renovasjon", f"<p>{site.a('avgifter')}</p>")
        return placed
    f = site.facts
    if plan.mode == "text":
        lang = ensure(site, "renovasjon").lang
        p = price_text(f.fee("renovasjon"), "year", lang, rng)
        site.block(
            "renovasjon",
            para(
                t(
                    lang,
                    f"Renovasjonsgebyret for en vanlig husstand er {p}.",
                    f"Renovasjonsgebyret for eit vanleg hushald er {p}.",
                )
            ),
        )
        return done(
            sc, plan, "renovasjon", [price_value(f.fee("renovasjon"), "year", p, "renovasjon", f.year)]
        )
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


def _sfo_rows(lang: str) -> list[FeeRow]:
    m = _per(lang, "month")
    return [
        FeeRow(t(lang, "Hel plass", "Heil plass"), "sfo_full", "month", m),
        FeeRow("Halv plass", "sfo_half", "month", m),
    ]


def sfo_pris(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    f = site.facts
    distractors = []
    if rng.random() < 0.25 and f.years[1] > f.year:
        news = site.add_news("Nye priser i SFO", "Nye prisar i SFO")
        nxt = f.fee("sfo_full", f.year + 1)
        p = price_text(nxt, "month", news.lang, rng)
        site.block(
            news.key,
            para(
                t(
                    news.lang,
                    f"Fra 1. august {f.year + 1} blir prisen for hel plass {p}.",
                    f"Frå 1. august {f.year + 1} blir prisen for heil plass {p}.",
                )
            ),
        )
        d = price_value(nxt, "month", p, "SFO neste år", f.year + 1)
        d.url = news.url
        distractors.append(d)
    placed = _fee_placement(
        site,
        sc,
        plan,
        rng,
        page="sfo",
        rows_of=_sfo_rows,
        caption=("Foreldrebetaling i SFO", "Foreldrebetaling i SFO"),
        pdf_kind="satser",
        pdf_section=("SFO", "SFO"),
        deep_title=("Priser i SFO", "Prisar i SFO"),
        pdf_text=("Prisene for SFO står i betalingssatsene.", "Prisane for SFO står i betalingssatsane."),
    )
    if placed is not None:
        placed.distractors += distractors
        return placed
    lang = ensure(site, "sfo").lang
    full = price_text(f.fee("sfo_full"), "month", lang, rng)
    half = price_text(f.fee("sfo_half"), "month", lang, rng)
    vf = price_value(f.fee("sfo_full"), "month", full, "hel plass", f.year)
    vh = price_value(f.fee("sfo_half"), "month", half, "halv plass", f.year)
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


def _bhg_rows(lang: str) -> list[FeeRow]:
    m = _per(lang, "month")
    return [
        FeeRow(t(lang, "Heltidsplass", "Heiltidsplass"), "barnehage", "month", m),
        FeeRow(t(lang, "Kostpenger", "Kostpengar"), "kost_barnehage", "month", m),
    ]


def _moderasjon(lang: str) -> str:
    return para(
        t(
            lang,
            "Det gis søskenmoderasjon, og familier med lav inntekt kan søke om redusert foreldrebetaling og gratis kjernetid.",
            "Det blir gitt søskenmoderasjon, og familiar med låg inntekt kan søkje om redusert foreldrebetaling og gratis kjernetid.",
        )
    )


def barnehage_pris(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _fee_placement(
        site,
        sc,
        plan,
        rng,
        page="barnehagepris",
        rows_of=_bhg_rows,
        caption=("Foreldrebetaling", "Foreldrebetaling"),
        pdf_kind="satser",
        pdf_section=("Barnehage", "Barnehage"),
        deep_title=("Priser i barnehage", "Prisar i barnehage"),
        pdf_text=("Prisene står i betalingssatsene.", "Prisane står i betalingssatsane."),
    )
    if placed is not None:
        if plan.mode in ("table", "deep"):
            site.block(
                placed._page_key or "barnehagepris",
                _moderasjon(site.pages[placed._page_key or "barnehagepris"].lang),
            )
        return placed
    f = site.facts
    if plan.mode in ("text", "partial"):
        lang = ensure(site, "barnehagepris").lang
        p = price_text(f.fee("barnehage"), "month", lang, rng)
        k = price_text(f.fee("kost_barnehage"), "month", lang, rng)
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
        values = [
            price_value(f.fee("barnehage"), "month", p, "heltidsplass", f.year),
            price_value(f.fee("kost_barnehage"), "month", k, "kostpenger", f.year),
        ]
        return done(
            sc, plan, "barnehagepris", values, note="" if plan.mode == "text" else "no word on reductions"
        )
    return done(sc, plan, None, [])


def _praktisk_rows(lang: str) -> list[FeeRow]:
    m = _per(lang, "month")
    return [
        FeeRow("Praktisk bistand, timepris", "praktisk_time", "hour", _per(lang, "hour")),
        FeeRow(
            t(lang, "Inntekt under 2G, høyeste egenandel", "Inntekt under 2G, høgaste eigenandel"),
            "praktisk_2g",
            "month",
            m,
        ),
        FeeRow(
            t(lang, "Inntekt 2–3G, høyeste egenandel", "Inntekt 2–3G, høgaste eigenandel"),
            "praktisk_tak",
            "month",
            m,
        ),
    ]


def praktisk_pris(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _fee_placement(
        site,
        sc,
        plan,
        rng,
        page="helsepriser",
        rows_of=_praktisk_rows,
        caption=("Egenandel for praktisk bistand", "Eigenandel for praktisk bistand"),
        pdf_kind="satser",
        pdf_section=("Praktisk bistand", "Praktisk bistand"),
        deep_title=("Egenandel for praktisk bistand", "Eigenandel for praktisk bistand"),
        pdf_text=("Egenandelene står i betalingssatsene.", "Eigenandelane står i betalingssatsane."),
    )
    if placed is not None:
        return placed
    f = site.facts
    lang = ensure(site, "helsepriser").lang
    if plan.mode == "text":
        p = price_text(f.fee("praktisk_time"), "hour", lang, rng)
        c = price_text(f.fee("praktisk_2g"), "month", lang, rng)
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
        return done(
            sc,
            plan,
            "helsepriser",
            [
                price_value(f.fee("praktisk_time"), "hour", p, "timepris", f.year),
                price_value(f.fee("praktisk_2g"), "month", c, "under 2G", f.year),
            ],
        )
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


def _kulturskole_rows(lang: str) -> list[FeeRow]:
    return [FeeRow("Elevplass", "kulturskole", "year", _per(lang, "year"))]


def kulturskole(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    placed = _fee_placement(
        site,
        sc,
        plan,
        rng,
        page="kulturskole",
        rows_of=_kulturskole_rows,
        caption=("Elevavgift", "Elevavgift"),
        pdf_kind="satser",
        pdf_section=("Kulturskole", "Kulturskule"),
        deep_title=("Elevavgift i kulturskolen", "Elevavgift i kulturskulen"),
        pdf_text=("Elevavgiften står i betalingssatsene.", "Elevavgifta står i betalingssatsane."),
    )
    if placed is not None:
        return placed
    f = site.facts
    if plan.mode == "text":
        lang = ensure(site, "kulturskole").lang
        if rng.random() < 0.3:
            amount = float(round(f.fee("kulturskole") / 20) * 10)
            p = price_text(amount, None, lang, rng)
            site.block(
                "kulturskole",
                para(t(lang, f"Elevavgiften er {p} per semester.", f"Elevavgifta er {p} per semester.")),
            )
            return done(
                sc, plan, "kulturskole", [price_value(amount, None, p, "elevavgift per semester", f.year)]
            )
        p = price_text(f.fee("kulturskole"), "year", lang, rng)
        site.block(
            "kulturskole",
            para(t(lang, f"Elevavgiften er {p} for én elevplass.", f"Elevavgifta er {p} for éin elevplass.")),
        )
        return done(
            sc, plan, "kulturskole", [price_value(f.fee("kulturskole"), "year", p, "elevavgift", f.year)]
        )
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
