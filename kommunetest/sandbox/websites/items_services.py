"""Generators for the service items that are not fees: processing times (building cases, home care), SFO's,
the health centre's, the swimming pool's and NAV's opening hours, and the emergency clinic's phone number."""

from __future__ import annotations

import random

from kommunetest.sandbox.websites.facts import ItemTruth
from kommunetest.sandbox.websites.items import (
    ItemSpec,
    Plan,
    add_para,
    deep,
    dl,
    done,
    ensure,
    heading,
    hours_cells,
    hours_table,
    hours_text,
    hours_value,
    item_page,
    para,
    pdf_link,
    value,
)
from kommunetest.sandbox.websites.lang import fmt_duration, fmt_phone, t
from kommunetest.sandbox.websites.site import SiteBuilder, esc
from kommunetest.scenarios import Scenario


def _duration(amount: int, unit: str, text: str, label: str, kind: str = "processing_time"):
    return value(kind, {"amount": amount, "unit": unit}, text, label)


def byggesak_tid(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    f = site.facts
    page = ensure(site, "byggesak")
    lang = page.lang
    head = heading(t(lang, "Saksbehandlingstid", "Sakshandsamingstid"))
    if plan.mode in ("text", "deep"):
        deep_title = ("Saksbehandlingstid for byggesaker", "Sakshandsamingstid for byggjesaker")
        key = item_page(site, sc, plan, rng, "byggesak", "byggesak-tid-deep", *deep_title).key
        kl = site.pages[key].lang
        text = fmt_duration(f.byggesak_weeks, "weeks", kl, rng.randrange(2))
        site.block(
            key,
            (head if key == page.key else "")
            + para(
                t(
                    kl,
                    f"Saksbehandlingstiden for byggesøknader er for tiden ca. {text}.",
                    f"Sakshandsamingstida for byggjesøknader er no om lag {text}.",
                )
            ),
        )
        return done(sc, plan, key, [_duration(f.byggesak_weeks, "weeks", text, "byggesøknad")])
    if plan.mode == "table":
        rows = [
            (
                t(lang, "Søknad om tillatelse med ansvarsrett", "Søknad om løyve med ansvarsrett"),
                f.byggesak_weeks,
            ),
            (
                t(lang, "Søknad om tiltak uten ansvarsrett", "Søknad om tiltak utan ansvarsrett"),
                f.byggesak_small_weeks,
            ),
        ]
        cells = [(label, fmt_duration(w, "weeks", lang, 0)) for label, w in rows]
        body = "".join(f"<tr><td>{esc(a)}</td><td>{esc(b)}</td></tr>" for a, b in cells)
        site.block(
            page.key,
            head + f"<table><thead><tr><th>{esc(t(lang, 'Type søknad', 'Type søknad'))}</th>"
            f"<th>{esc(t(lang, 'Saksbehandlingstid', 'Sakshandsamingstid'))}</th></tr></thead><tbody>{body}</tbody></table>",
        )
        return done(
            sc,
            plan,
            page.key,
            [_duration(w, "weeks", c[1], c[0]) for (_, w), c in zip(rows, cells, strict=True)],
        )
    if plan.mode == "partial":  # only the statutory deadlines, not the municipality's own time
        a, b = t(lang, "12 ukers", "12 vekers"), t(lang, "3 uker", "3 veker")
        site.block(
            page.key,
            head
            + para(
                t(
                    lang,
                    f"Kommunen har {a} frist for å behandle søknader om tillatelse, og {b} for enkle tiltak.",
                    f"Kommunen har {a} frist for å handsame søknader om løyve, og {b} for enkle tiltak.",
                )
            ),
        )
        return done(
            sc,
            plan,
            page.key,
            [_duration(12, "weeks", a, "lovens frist"), _duration(3, "weeks", b, "lovens frist")],
            note="only the statutory deadlines",
        )
    return done(sc, plan, None, [])


def sfo_tid(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    h = site.facts.sfo_hours
    page = ensure(site, "sfo")
    lang = page.lang
    if rng.random() < 0.5:
        add_para(
            site,
            "sfo",
            "Elever på 1.–4. trinn har 12 timer gratis SFO per uke.",
            "Elevar på 1.–4. trinn har 12 timar gratis SFO i veka.",
        )
    if plan.mode == "text":
        text = hours_text(h, lang, rng, capital=False)
        add_para(site, "sfo", f"SFO er åpen {text}.", f"SFO er open {text}.")
        return done(sc, plan, "sfo", [hours_value(h, text, "SFO")])
    if plan.mode == "table":
        days, time = hours_cells(h, lang, rng)
        site.block(
            "sfo", hours_table([(days, time)], t(lang, "Åpningstider i SFO", "Opningstider i SFO"), lang)
        )
        return done(sc, plan, "sfo", [hours_value(h, time, "SFO")])
    if plan.mode == "dl":
        text = hours_text(h, lang, rng)
        site.block("sfo", dl((t(lang, "Åpningstid SFO", "Opningstid SFO"), text)))
        return done(sc, plan, "sfo", [hours_value(h, text, "SFO")])
    if plan.mode == "deep":
        leaf = deep(site, sc, rng, "sfo-tid-deep", "Åpningstider i SFO", "Opningstider i SFO")
        text = hours_text(h, leaf.lang, rng)
        site.block(leaf.key, para(f"SFO: {text}"))
        return done(sc, plan, leaf.key, [hours_value(h, text, "SFO")])
    return done(sc, plan, None, [])


def hjemme_tid(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    amount, unit = site.facts.care_time
    page = ensure(site, "hjemmetjenester")
    if plan.mode in ("text", "deep"):
        deep_title = (
            "Saksbehandlingstid for helse- og omsorgstjenester",
            "Sakshandsamingstid for helse- og omsorgstenester",
        )
        key = item_page(site, sc, plan, rng, "hjemmetjenester", "hjemme-tid-deep", *deep_title).key
        lang = site.pages[key].lang
        word_unit = "working_days" if unit == "days" and rng.random() < 0.5 else unit
        text = fmt_duration(amount, word_unit, lang, 0 if unit == "days" else rng.randrange(2))
        site.block(
            key,
            heading(t(lang, "Søknad og saksbehandlingstid", "Søknad og sakshandsamingstid"))
            + para(
                t(
                    lang,
                    f"Saksbehandlingstiden for søknad om praktisk bistand og hjemmesykepleie er inntil {text}.",
                    f"Sakshandsamingstida for søknad om praktisk bistand og heimesjukepleie er inntil {text}.",
                )
            ),
        )
        return done(sc, plan, key, [_duration(amount, unit, text, "hjemmetjenester")])
    if plan.mode == "partial":
        lang = page.lang
        text = t(lang, "Saksbehandlingstiden varierer", "Sakshandsamingstida varierer")
        site.block(
            page.key,
            para(
                text
                + t(
                    lang,
                    " etter hvor sammensatt saken er. Haster det, tar vi kontakt samme dag.",
                    " etter kor samansett saka er. Hastar det, tek vi kontakt same dag.",
                )
            ),
        )
        return done(sc, plan, page.key, [value("presence", None, text)], note="no figure")
    return done(sc, plan, None, [])


def legevakt(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    f = site.facts
    if plan.mode == "absent":
        return done(sc, plan, None, [])
    key = item_page(site, sc, plan, rng, "legevakt", "legevakt-deep", "Legevakt", "Legevakt").key
    lang = site.pages[key].lang
    p = fmt_phone(f.legevakt_phone, rng.choice((0, 0, 1, 2)))
    local = value("phone", f.legevakt_phone, p, "legevakt")
    national = value("phone", "116117", "116 117", "nasjonalt legevaktnummer")  # on every legevakt page
    if plan.mode == "dl":
        label = t(lang, "Legevakt, nasjonalt nummer", "Legevakt, nasjonalt nummer")
        site.block(key, dl((label, "116 117"), (f"{t(lang, 'Legevakten i', 'Legevakta i')} {f.town}", p)))
        return done(sc, plan, key, [national, local])
    add_para(
        site,
        key,
        "Ring legevakten på 116 117 hvis du trenger legehjelp som ikke kan vente til fastlegen har åpent.",
        "Ring legevakta på 116 117 viss du treng legehjelp som ikkje kan vente til fastlegen har ope.",
    )
    if plan.mode == "partial":
        return done(sc, plan, key, [national], note="only 116 117")
    add_para(site, key, f"Legevakten i {f.town} har telefon {p}.", f"Legevakta i {f.town} har telefon {p}.")
    return done(sc, plan, key, [national, local])


def helsestasjon(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    f = site.facts
    h = f.helsestasjon_hours
    page = ensure(site, "helsestasjon")
    lang = page.lang
    distractors = []
    if rng.random() < 0.3:
        text = hours_text(f.ungdom_hours, lang, rng)
        site.block(
            page.key, heading(t(lang, "Helsestasjon for ungdom", "Helsestasjon for ungdom"), 3) + para(text)
        )
        d = hours_value(f.ungdom_hours, text, "helsestasjon for ungdom")
        d.url = page.url
        distractors.append(d)
    title = heading(t(lang, "Åpningstider", "Opningstider"))
    if plan.mode == "text":
        text = hours_text(h, lang, rng, capital=False)
        site.block(
            page.key,
            title + para(t(lang, f"Helsestasjonen er åpen {text}.", f"Helsestasjonen er open {text}.")),
        )
        return done(sc, plan, page.key, [hours_value(h, text, "helsestasjon")], distractors=distractors)
    if plan.mode == "table":
        days, time = hours_cells(h, lang, rng)
        site.block(
            page.key,
            hours_table(
                [(days, time)],
                t(lang, "Åpningstider for helsestasjonen", "Opningstider for helsestasjonen"),
                lang,
            ),
        )
        return done(sc, plan, page.key, [hours_value(h, time, "helsestasjon")], distractors=distractors)
    if plan.mode == "dl":
        text = hours_text(h, lang, rng)
        phone = fmt_phone(f.helsestasjon_phone, 0)
        # under its own heading: after the youth clinic's block, a bare list would read as the youth clinic's
        contact = heading(t(lang, "Kontakt helsestasjonen", "Kontakt helsestasjonen"))
        site.block(page.key, contact + dl((t(lang, "Åpningstid", "Opningstid"), text), ("Telefon", phone)))
        return done(sc, plan, page.key, [hours_value(h, text, "helsestasjon")], distractors=distractors)
    if plan.mode == "js":
        text = hours_text(h, lang, rng)
        block = site.script_block(
            page.key,
            "helsestasjon",
            {"title": t(lang, "Åpningstider", "Opningstider"), "lines": [text]},
            t(lang, "Laster …", "Lastar …"),
        )
        site.block(page.key, block)
        return done(
            sc,
            plan,
            page.key,
            [hours_value(h, text, "helsestasjon")],
            resource=f"{site.style.api_prefix}helsestasjon.json",
            needs_js=True,
            distractors=distractors,
        )
    if plan.mode == "partial":
        p = fmt_phone(f.helsestasjon_phone, rng.choice((0, 1)))
        add_para(
            site, page.key, f"Du når helsestasjonen på telefon {p}.", f"Du når helsestasjonen på telefon {p}."
        )
        return done(
            sc,
            plan,
            page.key,
            [value("phone", f.helsestasjon_phone, p, "helsestasjon")],
            distractors=distractors,
            note="a phone number, no hours",
        )
    if plan.mode == "deep":
        leaf = deep(
            site,
            sc,
            rng,
            "helsestasjon-deep",
            "Åpningstider for helsestasjonen",
            "Opningstider for helsestasjonen",
        )
        text = hours_text(h, leaf.lang, rng)
        site.block(leaf.key, para(f"{t(leaf.lang, 'Helsestasjonen', 'Helsestasjonen')}: {text}"))
        return done(sc, plan, leaf.key, [hours_value(h, text, "helsestasjon")], distractors=distractors)
    return done(sc, plan, None, [], distractors=distractors)


def svommehall(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    pool = site.facts.pool
    if pool is None:
        if rng.random() < 0.5:
            add_para(
                site,
                "kultur",
                "Kommunen har ikke egen svømmehall. Nærmeste svømmehall er i nabokommunen.",
                "Kommunen har ikkje eigen symjehall. Næraste symjehall er i nabokommunen.",
            )
        return done(sc, Plan("absent", "not_applicable"), None, [], applicable=False, note="no swimming pool")
    key = item_page(site, sc, plan, rng, "svommehall", "svommehall-deep", "Badetider", "Badetider").key
    lang = site.pages[key].lang
    caption = t(lang, "Offentlig bading", "Offentleg bading")
    if plan.mode == "table":
        cells = [hours_cells(h, lang, rng) for h in pool]
        site.block(key, hours_table(cells, caption, lang))
        return done(
            sc,
            plan,
            key,
            [hours_value(h, c[1], "offentlig bading") for h, c in zip(pool, cells, strict=True)],
        )
    if plan.mode in ("text", "deep"):
        texts = [hours_text(h, lang, rng) for h in pool]
        site.block(key, heading(caption) + "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in texts) + "</ul>")
        return done(
            sc, plan, key, [hours_value(h, x, "offentlig bading") for h, x in zip(pool, texts, strict=True)]
        )
    if plan.mode == "pdf":
        doc = site.pdf(
            "bad",
            f"badetider-{site.year}.pdf",
            t(site.lang, f"Badetider {site.year}", f"Badetider {site.year}"),
        )
        texts = [hours_text(h, site.lang, rng) for h in pool]
        doc.heading(t(site.lang, "Offentlig bading", "Offentleg bading"))
        doc.add(*texts)
        site.block(key, pdf_link(doc.path, doc.title))
        return done(
            sc,
            plan,
            key,
            [hours_value(h, x, "offentlig bading") for h, x in zip(pool, texts, strict=True)],
            resource=doc.path,
            in_pdf=True,
        )
    add_para(site, key, "Svømmehallen er stengt for vedlikehold.", "Symjehallen er stengd for vedlikehald.")
    return done(sc, plan, None, [])


def nav(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    f = site.facts
    h = f.nav_hours
    if plan.mode == "absent":
        return done(sc, plan, None, [])
    key = item_page(site, sc, plan, rng, "nav", "nav-deep", f"NAV {f.town}", f"NAV {f.town}").key
    lang = site.pages[key].lang
    if plan.mode == "partial":
        site.block(
            key,
            para(
                t(
                    lang,
                    "Kontakt NAV på nav.no eller ring 55 55 33 33.",
                    "Kontakt NAV på nav.no eller ring 55 55 33 33.",
                )
            )
            + f"<p>{site.external_link('https://www.nav.no/kontaktoss', 'nav.no')}</p>",
        )
        return done(sc, plan, key, [value("presence", None, "nav.no")], note="only a link to nav.no")
    text = hours_text(h, lang, rng, capital=plan.mode == "dl")
    if plan.mode == "dl":
        site.block(
            key,
            heading(f"NAV {f.town}")
            + dl((t(lang, "Åpningstider", "Opningstider"), text), ("Telefon", "55 55 33 33")),
        )
    else:
        site.block(
            key,
            para(t(lang, f"NAV {f.town} har åpent {text}.", f"NAV {f.town} har ope {text}."))
            + para("Telefon: 55 55 33 33"),
        )
    return done(sc, plan, key, [hours_value(h, text, "NAV")])


SERVICES: dict[str, ItemSpec] = {
    "web-byggesak-saksbehandlingstid": ItemSpec(
        byggesak_tid, (0.30, 0.25, 0.10, 0.35), (0.60, 0.20, 0.10, 0.10), (("text", 3), ("table", 2))
    ),
    "web-sfo-apningstider": ItemSpec(
        sfo_tid, (0.40, 0, 0.10, 0.50), (0.65, 0, 0.10, 0.25), (("text", 2), ("table", 1), ("dl", 1))
    ),
    "web-hjemmetjenester-saksbehandlingstid": ItemSpec(
        hjemme_tid, (0.10, 0.20, 0.05, 0.65), (0.35, 0.25, 0.05, 0.35)
    ),
    "web-legevakt-telefon": ItemSpec(
        legevakt, (0.60, 0.30, 0.05, 0.05), (0.85, 0.12, 0.03, 0), (("text", 2), ("dl", 1))
    ),
    "web-helsestasjon-apningstider": ItemSpec(
        helsestasjon,
        (0.30, 0.35, 0.05, 0.30),
        (0.60, 0.25, 0.05, 0.10),
        (("text", 2), ("table", 1), ("dl", 1), ("js", 1)),
    ),
    "web-svommehall-apningstider": ItemSpec(
        svommehall,
        (0.45, 0, 0.10, 0.45),
        (0.75, 0, 0.10, 0.15),
        (("table", 2), ("text", 1)),
        (("pdf", 1), ("deep", 1)),
    ),
    "web-nav-apningstider": ItemSpec(
        nav, (0.35, 0.45, 0.05, 0.15), (0.60, 0.35, 0, 0.05), (("text", 1), ("dl", 1))
    ),
}
