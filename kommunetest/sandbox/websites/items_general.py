"""Generators for the general items: the service desk's hours, switchboard, postmottak, complaints, user
surveys, the public records, e-forms, fault reporting, chat and Min side."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from kommunetest.sandbox.websites.facts import ItemTruth, TruthValue
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
    para,
    value,
)
from kommunetest.sandbox.websites.lang import fmt_duration, fmt_phone, slugify, t
from kommunetest.sandbox.websites.site import SiteBuilder, esc
from kommunetest.sandbox.websites.structure import ui
from kommunetest.scenarios import Scenario


def _desk(site: SiteBuilder, lang: str) -> str:
    return t(lang, *site.facts.desk_name)


def _custhelp(site: SiteBuilder, path: str) -> str:
    return f"https://{slugify(site.m.name)}.custhelp.com/app/{path}"


def _full_or_deep(
    site: SiteBuilder,
    sc: Scenario,
    plan: Plan,
    rng: random.Random,
    key: str,
    deep_title: tuple[str, str],
    full: Callable[[str], list[TruthValue]],
    **kw: Any,
) -> ItemTruth | None:
    """The `text` mode (what `full(page_key)` writes, on the service page `key`) and the `deep` mode (the same
    on a page buried too deep) of an item; None for its other modes."""
    if plan.mode == "text":
        ensure(site, key)
        return done(sc, plan, key, full(key), **kw)
    if plan.mode == "deep":
        leaf = deep(site, sc, rng, f"{key}-deep", *deep_title)
        return done(sc, plan, leaf.key, full(leaf.key), **kw)
    return None


def servicetorg(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    item = _servicetorg(site, sc, plan, rng)
    if plan.mode not in ("text", "table", "js"):
        return item
    # other opening hours right under the desk's, as many contact pages have them
    f, page = site.facts, site.pages["servicetorg"]
    lang = page.lang
    others = [(t(lang, "Biblioteket", "Biblioteket"), h, "bibliotek") for h in f.library_hours]
    pool_plan = site.plans.get("web-svommehall-apningstider")
    if f.pool and pool_plan is not None and pool_plan.grade == "complete":
        # the pool's hours too, only where the pool's own page has them (else the pool item would be found here)
        others += [(t(lang, "Svømmehallen", "Symjehallen"), h, "svømmehall") for h in f.pool]
    values = [(name, hours_value(h, hours_text(h, lang, rng), label)) for name, h, label in others]
    lines = "".join(f"<li>{esc(name)}: {esc(v.text)}</li>" for name, v in values)
    site.block(
        "servicetorg", heading(t(lang, "Andre åpningstider", "Andre opningstider"), 3) + f"<ul>{lines}</ul>"
    )
    for _, v in values:
        v.url = page.url
        item.distractors.append(v)
    return item


def _servicetorg(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    f = site.facts
    page = ensure(site, "servicetorg")
    lang = page.lang
    desk = _desk(site, lang)
    distractors: list = []
    if rng.random() < 0.3:  # a news item with the Christmas hours
        news = site.add_news("Åpningstider i julen", "Opningstider i jula")
        text = "10.00–14.00"
        add_para(
            site,
            news.key,
            f"{desk} har redusert åpningstid i romjulen: 27.–30. desember kl. {text}.",
            f"{desk} har redusert opningstid i romjula: 27.–30. desember kl. {text}.",
        )
        distractors.append(
            value(
                "opening_hours", {"from": "10:00", "to": "14:00", "days": None}, text, "romjul", url=news.url
            )
        )
    h = f.desk_hours
    if plan.mode == "text":
        text = hours_text(h, lang, rng, capital=False)
        site.block(
            "servicetorg",
            heading(t(lang, "Åpningstider", "Opningstider"))
            + para(t(lang, f"{desk} er åpent {text}.", f"{desk} er ope {text}.")),
        )
        return done(sc, plan, "servicetorg", [hours_value(h, text, desk)], distractors=distractors)
    if plan.mode == "table":
        days, time = hours_cells(h, lang, rng)
        caption = t(lang, f"Åpningstider for {desk.lower()}", f"Opningstider for {desk.lower()}")
        site.block("servicetorg", hours_table([(days, time)], caption, lang))
        return done(sc, plan, "servicetorg", [hours_value(h, time, desk)], distractors=distractors)
    if plan.mode == "js":
        text = hours_text(h, lang, rng)
        title = t(lang, f"Åpningstider for {desk.lower()}", f"Opningstider for {desk.lower()}")
        block = site.script_block(
            "servicetorg",
            "apningstider",
            {"title": title, "lines": [text]},
            t(lang, "Laster åpningstider …", "Lastar opningstider …"),
        )
        site.block("servicetorg", heading(desk) + block)
        path = f"{site.style.api_prefix}apningstider.json"
        return done(
            sc,
            plan,
            "servicetorg",
            [hours_value(h, text, desk)],
            resource=path,
            needs_js=True,
            distractors=distractors,
        )
    if plan.mode == "dl":
        kl = site.pages["kontakt"].lang
        text = hours_text(h, kl, rng)
        site.block("kontakt", heading(t(kl, "Besøk oss", "Besøk oss")) + dl((_desk(site, kl), text)))
        return done(sc, plan, "kontakt", [hours_value(h, text, desk)], distractors=distractors)
    if plan.mode == "footer":
        text = hours_text(h, site.lang, rng)
        site.footer["hours"], site.footer["hours_label"] = text, _desk(site, site.lang)
        return done(sc, plan, "front", [hours_value(h, text, desk)], distractors=distractors)
    if plan.mode == "partial":  # hours on the contact page, but whose hours is not said
        kl = site.pages["kontakt"].lang
        text = hours_text(h, kl, rng)
        site.block("kontakt", heading(t(kl, "Åpningstider", "Opningstider"), 3) + para(text))
        return done(
            sc,
            plan,
            "kontakt",
            [hours_value(h, text)],
            distractors=distractors,
            note="hours without saying whose",
        )
    if plan.mode == "deep":
        leaf = deep(
            site,
            sc,
            rng,
            "servicetorg-deep",
            f"Åpningstider for {desk.lower()}",
            f"Opningstider for {_desk(site, 'nn').lower()}",
        )
        text = hours_text(h, leaf.lang, rng)
        site.block(leaf.key, para(f"{_desk(site, leaf.lang)}: {text}"))
        return done(sc, plan, leaf.key, [hours_value(h, text, desk)], distractors=distractors)
    return done(sc, plan, None, [], distractors=distractors)


def telefon(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    digits = site.facts.phone
    text = fmt_phone(digits, rng.choice((0, 0, 0, 1, 2, 3)))
    found = [value("phone", digits, text, "sentralbord")]
    if plan.mode == "footer":
        site.footer["phone"] = text
        site.footer["phone_label"] = ui(rng.choice(("switchboard", "phone")), site.lang)
        return done(sc, plan, "front", found)
    if plan.mode == "dl":
        kl = site.pages["kontakt"].lang
        site.block("kontakt", heading(t(kl, "Ring oss", "Ring oss")) + dl((ui("switchboard", kl), text)))
        return done(sc, plan, "kontakt", found)
    if plan.mode == "deep":
        leaf = deep(site, sc, rng, "telefonliste", "Telefonliste", "Telefonliste")
        site.block(leaf.key, dl((ui("switchboard", leaf.lang), text)))
        return done(sc, plan, leaf.key, found)
    return done(sc, plan, None, [])


def postmottak(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    mail = site.facts.email
    link = f'<a href="mailto:{esc(mail)}">{esc(mail)}</a>'
    found = [value("email", mail, mail, "postmottak")]
    if plan.mode == "footer":
        site.footer["email"] = mail
        return done(sc, plan, "front", found)
    if plan.mode == "dl":
        kl = site.pages["kontakt"].lang
        site.block(
            "kontakt",
            heading(t(kl, "Skriv til oss", "Skriv til oss"))
            + f"<dl><dt>{esc(ui('email', kl))}</dt><dd>{link}</dd></dl>",
        )
        return done(sc, plan, "kontakt", found)
    if plan.mode == "partial":
        kl = site.pages["kontakt"].lang
        text = t(kl, "Send oss en melding", "Send oss ei melding")
        form = site.external_link(_custhelp(site, "ask"), t(kl, "Kontaktskjema", "Kontaktskjema"), "custhelp")
        site.block(
            "kontakt",
            heading(t(kl, "Skriv til oss", "Skriv til oss"))
            + para(f"{text} via kontaktskjemaet.")
            + f"<p>{form}</p>",
        )
        return done(
            sc, plan, "kontakt", [value("presence", None, text, "kontaktskjema")], note="only a contact form"
        )
    if plan.mode == "deep":
        leaf = deep(
            site, sc, rng, "adresser", "Adresser og organisasjonsnummer", "Adresser og organisasjonsnummer"
        )
        site.block(leaf.key, f"<p>{esc(ui('email', leaf.lang))}: {link}</p>")
        return done(sc, plan, leaf.key, found)
    return done(sc, plan, None, [])


def klage(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    distractors = []
    if site.has("eiendomsskatt") and rng.random() < 0.5:
        p = site.pages["eiendomsskatt"]
        text = t(p.lang, "seks uker", "seks veker")
        add_para(
            site,
            "eiendomsskatt",
            f"Klagefristen for eiendomsskatt er {text} fra skatteseddelen ble sendt ut.",
            f"Klagefristen for eigedomsskatt er {text} frå skattesetelen vart send ut.",
        )
        distractors.append(
            value("complaint_deadline", {"amount": 6, "unit": "weeks"}, text, "eiendomsskatt", url=p.url)
        )

    def full(key: str) -> list:
        lang = site.pages[key].lang
        text = fmt_duration(3, "weeks", lang, rng.randrange(2))
        how = t(
            lang,
            "Klagen må være skriftlig og sendes til den som fattet vedtaket.",
            "Klaga må vere skriftleg og sendast til den som gjorde vedtaket.",
        )
        if rng.random() < 0.5:
            body = para(
                t(
                    lang,
                    f"Du kan klage på enkeltvedtak. Klagefristen er {text} fra du mottok vedtaket.",
                    f"Du kan klage på enkeltvedtak. Klagefristen er {text} frå du fekk vedtaket.",
                )
            ) + para(how)
        else:
            steps = [
                t(
                    lang,
                    f"Frist: {text} etter at du fikk vedtaket.",
                    f"Frist: {text} etter at du fekk vedtaket.",
                ),
                how,
                t(
                    lang,
                    "Skriv hvilket vedtak du klager på, og hvorfor.",
                    "Skriv kva vedtak du klagar på, og kvifor.",
                ),
            ]
            body = (
                heading(t(lang, "Slik klager du", "Slik klagar du"))
                + "<ol>"
                + "".join(f"<li>{esc(s)}</li>" for s in steps)
                + "</ol>"
            )
        site.block(key, body)
        return [value("complaint_deadline", {"amount": 3, "unit": "weeks"}, text, "forvaltningsloven")]

    placed = _full_or_deep(
        site, sc, plan, rng, "klage", ("Klage på vedtak", "Klage på vedtak"), full, distractors=distractors
    )
    if placed is not None:
        return placed
    if plan.mode == "partial":
        page = ensure(site, "klage")
        text = t(page.lang, "Du har klagerett på de fleste vedtak", "Du har klagerett på dei fleste vedtak")
        site.block(
            "klage",
            para(
                text
                + t(
                    page.lang,
                    ". Hvordan du klager, står i vedtaksbrevet.",
                    ". Korleis du klagar, står i vedtaksbrevet.",
                )
            ),
        )
        return done(
            sc,
            plan,
            "klage",
            [value("presence", None, text, "klagerett")],
            distractors=distractors,
            note="no deadline",
        )
    return done(sc, plan, None, [], distractors=distractors)


def brukerundersokelser(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    y = site.year - 1

    def full(key: str) -> list:
        lang = site.pages[key].lang
        add_para(
            site,
            key,
            "Kommunen gjennomfører brukerundersøkelser for å finne ut hva innbyggerne mener om tjenestene.",
            "Kommunen gjennomfører brukarundersøkingar for å finne ut kva innbyggjarane meiner om tenestene.",
        )
        site.block(
            key,
            heading(
                t(
                    lang,
                    f"Resultater fra foreldreundersøkelsen {y}",
                    f"Resultat frå foreldreundersøkinga {y}",
                ),
                3,
            ),
        )
        link_text = t(lang, "Se resultatene på bedrekommune.no", "Sjå resultata på bedrekommune.no")
        site.block(key, f"<p>{site.external_link('https://www.bedrekommune.no/', link_text)}</p>")
        return [value("presence", None, "bedrekommune.no", "resultater publisert")]

    deep_title = ("Brukerundersøkelser", "Brukarundersøkingar")
    placed = _full_or_deep(site, sc, plan, rng, "brukerundersokelser", deep_title, full)
    if placed is not None:
        return placed
    if plan.mode == "partial":
        page = ensure(site, "brukerundersokelser")
        text = t(
            page.lang,
            "Kommunen gjennomfører jevnlig brukerundersøkelser",
            "Kommunen gjennomfører jamleg brukarundersøkingar",
        )
        site.block(
            page.key,
            para(
                text
                + t(
                    page.lang,
                    " i barnehage, skole og hjemmetjenesten.",
                    " i barnehage, skule og heimetenesta.",
                )
            ),
        )
        return done(
            sc,
            plan,
            page.key,
            [value("presence", None, text)],
            note="surveys mentioned, results not published",
        )
    return done(sc, plan, None, [])


def postliste(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    innsyn = f"https://innsyn.{site.host.removeprefix('www.')}/postliste"

    def full(key: str) -> list:
        lang = site.pages[key].lang
        add_para(
            site,
            key,
            "Postlisten er kommunens offentlige journal over inngående og utgående post.",
            "Postlista er den offentlege journalen til kommunen over inngåande og utgåande post.",
        )
        text = t(lang, "be om innsyn", "be om innsyn")
        add_para(
            site,
            key,
            f"Du kan {text} i dokumenter ved å bestille dem i postlisten.",
            f"Du kan {text} i dokument ved å bestille dei i postlista.",
        )
        site.block(
            key,
            f"<p>{site.external_link(innsyn, t(lang, 'Gå til postlisten', 'Gå til postlista'), 'innsyn')}</p>",
        )
        return [value("presence", None, text, "postliste med innsyn")]

    deep_title = ("Offentlig postliste", "Offentleg postliste")
    placed = _full_or_deep(site, sc, plan, rng, "postliste", deep_title, full)
    if placed is not None:
        return placed
    if plan.mode == "partial":
        page = ensure(site, "postliste", title="Postliste", intro="")
        text = t(page.lang, "Her finner du kommunens postliste.", "Her finn du postlista til kommunen.")
        site.block(
            page.key,
            para(text) + f"<p>{site.external_link(innsyn, t(page.lang, 'Åpne', 'Opne'), 'innsyn')}</p>",
        )
        return done(sc, plan, page.key, [value("presence", None, text)], note="a link, no word on innsyn")
    return done(sc, plan, None, [])


def eskjema(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    forms = (
        ("Søknad om barnehageplass", "Søknad om barnehageplass"),
        ("Søknad om SFO-plass", "Søknad om SFO-plass"),
        ("Søknad om helse- og omsorgstjenester", "Søknad om helse- og omsorgstenester"),
        ("Søknad om startlån", "Søknad om startlån"),
    )

    def full(key: str) -> list:
        lang = site.pages[key].lang
        text = t(lang, "elektroniske skjema", "elektroniske skjema")
        add_para(
            site,
            key,
            f"De fleste søknader kan du sende digitalt med {text}. Du logger inn med BankID.",
            f"Dei fleste søknader kan du sende digitalt med {text}. Du loggar inn med BankID.",
        )
        links = "".join(
            f"<li>{site.external_link(f'https://skjema.acos.no/{slugify(site.m.name)}/{slugify(nb)}', t(lang, nb, nn), 'acos')}</li>"
            for nb, nn in forms
        )
        site.block(key, f'<ul class="forms">{links}</ul>')
        return [value("presence", None, text, "skjemaoversikt")]

    deep_title = ("Søknader og skjema", "Søknader og skjema")
    placed = _full_or_deep(site, sc, plan, rng, "skjema", deep_title, full)
    if placed is not None:
        return placed
    if plan.mode == "partial":
        page = ensure(site, "skjema", title="Skjema")
        doc = site.pdf("skjema", "soknadsskjema.pdf", "Søknadsskjema")
        doc.add(
            t(page.lang, "Navn:", "Namn:"), "Adresse:", t(page.lang, "Hva søker du om?", "Kva søkjer du om?")
        )
        add_para(
            site,
            page.key,
            "Skjemaet kan skrives ut og sendes til kommunen i posten.",
            "Skjemaet kan skrivast ut og sendast til kommunen i posten.",
        )
        site.block(page.key, f'<p><a href="{esc(doc.path)}">Søknadsskjema (PDF)</a></p>')
        return done(
            sc,
            plan,
            page.key,
            [value("presence", None, "PDF", "skjema for utskrift")],
            note="forms only as PDF",
        )
    return done(sc, plan, None, [])


def meldfeil(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    def full(key: str) -> list:
        add_para(
            site,
            key,
            "Meld feil på kommunal vei, vann, avløp og gatelys.",
            "Meld feil på kommunal veg, vatn, avløp og gatelys.",
        )
        site.block(key, f"<p>{site.external_link(_custhelp(site, 'meldfeil'), 'Meld feil', 'custhelp')}</p>")
        return [value("presence", None, "Meld feil", "meld feil-tjeneste")]

    placed = _full_or_deep(site, sc, plan, rng, "meldfeil", ("Meld feil", "Meld feil"), full)
    if placed is not None:
        if plan.mode == "text" and rng.random() < 0.6:
            site.shortcuts.append((site.pages["meldfeil"].url, "Meld feil"))
        return placed
    if plan.mode == "partial":
        ensure(site, "vei")
        text = fmt_phone(site.facts.vakt_phone, rng.choice((0, 3)))
        add_para(
            site,
            "vei",
            f"Ved feil på vann eller avløp utenom arbeidstid, ring vakttelefonen {text}.",
            f"Ved feil på vatn eller avløp utanom arbeidstid, ring vakttelefonen {text}.",
        )
        return done(
            sc,
            plan,
            "vei",
            [value("phone", site.facts.vakt_phone, text, "vakttelefon")],
            note="only a phone number",
        )
    return done(sc, plan, None, [])


def chat(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    href = _custhelp(site, "chat")
    if plan.mode == "js":
        text = t(site.lang, "Chat med oss", "Chat med oss")
        payload = {
            "title": t(site.lang, "Trenger du hjelp?", "Treng du hjelp?"),
            "button": text,
            "href": href,
        }
        site.front_blocks.append(site.script_block("front", "hjelp", payload, ""))
        site.external.append({"url": href, "text": text, "platform": "custhelp"})
        return done(
            sc,
            plan,
            "front",
            [value("presence", None, text, "chat")],
            resource=f"{site.style.api_prefix}hjelp.json",
            needs_js=True,
        )
    if plan.mode == "text":
        kl = site.pages["kontakt"].lang
        text = "Chat med oss"
        site.block(
            "kontakt",
            heading(text)
            + para(
                t(
                    kl,
                    f"{_desk(site, kl)} svarer på chat på hverdager.",
                    f"{_desk(site, kl)} svarar på chat på kvardagar.",
                )
            ),
        )
        site.block("kontakt", f"<p>{site.external_link(href, 'Start chat', 'custhelp')}</p>")
        return done(sc, plan, "kontakt", [value("presence", None, text, "chat")])
    if plan.mode == "deep":
        leaf = deep(site, sc, rng, "chat-deep", "Chat med oss", "Chat med oss")
        site.block(leaf.key, f"<p>{site.external_link(href, 'Start chat', 'custhelp')}</p>")
        return done(sc, plan, leaf.key, [value("presence", None, "Chat med oss", "chat")])
    return done(sc, plan, None, [])


def minside(site: SiteBuilder, sc: Scenario, plan: Plan, rng: random.Random) -> ItemTruth:
    href = f"https://minside.{site.host.removeprefix('www.')}/"
    if plan.mode == "header":
        text = t(site.lang, "Min side", "Mi side")
        site.header_links.append((href, text))
        site.external.append({"url": href, "text": text, "platform": "min_side"})
        return done(sc, plan, "front", [value("presence", None, text, "min side")])
    if plan.mode == "deep":
        leaf = deep(site, sc, rng, "minside-deep", "Min side", "Mi side")
        text = t(leaf.lang, "Min side", "Mi side")
        add_para(
            site,
            leaf.key,
            f"Logg inn på {text} for å se sakene dine.",
            f"Logg inn på {text} for å sjå sakene dine.",
        )
        site.block(leaf.key, f"<p>{site.external_link(href, text, 'min_side')}</p>")
        return done(sc, plan, leaf.key, [value("presence", None, text, "min side")])
    return done(sc, plan, None, [])


GENERAL: dict[str, ItemSpec] = {
    "web-servicetorg-apningstider": ItemSpec(
        servicetorg,
        (0.55, 0.15, 0.10, 0.20),
        (0.85, 0.05, 0.05, 0.05),
        (("text", 3), ("table", 2), ("dl", 2), ("footer", 2), ("js", 2)),
    ),
    "web-kontakt-telefon": ItemSpec(
        telefon, (0.90, 0, 0.08, 0.02), (0.97, 0, 0.03, 0), (("footer", 7), ("dl", 3))
    ),
    "web-kontakt-postmottak": ItemSpec(
        postmottak, (0.85, 0.07, 0.06, 0.02), (0.92, 0.06, 0.02, 0), (("footer", 6), ("dl", 4))
    ),
    "web-klage-frist": ItemSpec(klage, (0.35, 0.30, 0.10, 0.25), (0.65, 0.20, 0.05, 0.10)),
    "web-brukerundersokelser": ItemSpec(
        brukerundersokelser, (0.15, 0.20, 0.10, 0.55), (0.55, 0.20, 0.10, 0.15)
    ),
    "web-postliste-innsyn": ItemSpec(postliste, (0.60, 0.25, 0.10, 0.05), (0.90, 0.08, 0.02, 0)),
    "web-e-skjema": ItemSpec(eskjema, (0.55, 0.25, 0.10, 0.10), (0.90, 0.05, 0.05, 0)),
    "web-meld-feil": ItemSpec(meldfeil, (0.30, 0.30, 0.05, 0.35), (0.85, 0.05, 0.05, 0.05)),
    "web-chat": ItemSpec(chat, (0.05, 0, 0.05, 0.90), (0.55, 0, 0.05, 0.40), (("js", 6), ("text", 4))),
    "web-min-side": ItemSpec(minside, (0.20, 0, 0.05, 0.75), (0.75, 0, 0.05, 0.20), (("header", 1),)),
}
