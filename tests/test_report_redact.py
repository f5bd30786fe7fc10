"""Redaction of published replies (kommunetest.report.redact): staff names, e-mail addresses and phone
numbers go; the official postmottak address, the switchboard number and ordinary text stay; personas never
show."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kommunetest.report.redact import Persona, Redactor, phone_digits

NAME, EMAIL, PHONE, CITIZEN = (
    "[navn fjernet]",
    "[e-postadresse fjernet]",
    "[telefonnummer fjernet]",
    "[innbygger]",
)
ANNA = Persona("Anna Berg", "anna.berg@persona.kommunetest.test", "Storgata 12")
PER = Persona("Per Johansen", "per.johansen@persona.kommunetest.test", "Tunvegen 14")


@pytest.fixture
def bodo() -> Redactor:
    return Redactor.for_municipality(
        email="postmottak@bodo.kommune.no",
        phone="75555000",
        website="https://bodo.kommune.no",
        names=["Bodø", "Bådåddjo", "Nordland"],
        personas=[ANNA, PER],
    )


def red(r: Redactor, text: str, **kw) -> str:
    return r.text(text, **kw).text


# --- e-mail addresses ----------------------------------------------------------------------------------


def test_personal_addresses_go_official_and_functional_ones_stay(bodo: Redactor) -> None:
    text = ("Skriv til kari.hansen@bodo.kommune.no, KH@bodo.kommune.no eller ola.nordmann@gmail.com. "
            "Søknader til postmottak@bodo.kommune.no, post@bodo.kommune.no eller servicetorget@bodo.kommune.no.")  # fmt: skip
    out = red(bodo, text)
    assert out.count(EMAIL) == 3
    for kept in ("postmottak@bodo.kommune.no", "post@bodo.kommune.no", "servicetorget@bodo.kommune.no"):
        assert kept in out
    assert "kari.hansen" not in out and "gmail" not in out


def test_a_functional_address_of_another_domain_and_the_persona_address_go(bodo: Redactor) -> None:
    out = red(bodo, "Se postmottak@example.org og svar til anna.berg@persona.kommunetest.test.")
    assert "postmottak@example.org" not in out and "anna.berg" not in out


def test_register_email_on_its_own_domain_is_kept() -> None:
    r = Redactor.for_municipality(email="Post@Vaaler-hedm.kommune.no")
    assert red(r, "Send til post@vaaler-hedm.kommune.no.") == "Send til post@vaaler-hedm.kommune.no."


# --- phone numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", ["75 55 12 34", "75551234", "755 51 234", "7555 1234", "+47 75 55 12 34", "0047 75551234",
               "+4791234567", "912 34 567", "41 55 12 34"],
)  # fmt: skip
def test_direct_numbers_go(bodo: Redactor, number: str) -> None:
    assert red(bodo, f"Ring meg på {number}.") == f"Ring meg på {PHONE}."


@pytest.mark.parametrize("written", ["75 55 50 00", "75555000", "+47 75 55 50 00", "755 55 000"])
def test_the_registered_switchboard_stays(bodo: Redactor, written: str) -> None:
    assert red(bodo, f"Ring oss på {written}.") == f"Ring oss på {written}."


def test_a_number_introduced_as_switchboard_stays_but_a_direct_one_on_the_same_line_goes() -> None:
    r = Redactor.for_municipality()  # no registered number: context decides
    out = red(
        r, "Sentralbord: 77 66 55 44, direkte: 77 66 55 12\nServicetorget 77 66 55 00\nMobil 98 76 54 32"
    )
    assert out == f"Sentralbord: 77 66 55 44, direkte: {PHONE}\nServicetorget 77 66 55 00\nMobil {PHONE}"


@pytest.mark.parametrize(
    "text",
    ["Prisen er 3 145 kr per måned.", "Gebyret er 12 500 kroner.", "Datert 12.03.2027.", "Orgnr 972 418 013.",
     "Kontonummer 1503.12.34567.", "Postadresse: Postboks 319, 8001 Bodø.", "Åpent 08:00–15:30.",
     "Saksbehandlingstiden er 12 uker.", "Saksnummer 2027/1234.", "Budsjett 12 345 678 kr.",
     "Beløpet er 1 234 567,50 kr.", "Skoleåret 2026 2027 starter i august."],
)  # fmt: skip
def test_ordinary_numbers_are_not_taken_for_phones(bodo: Redactor, text: str) -> None:
    assert red(bodo, text) == text


def test_phone_digits() -> None:
    assert phone_digits("+47 75 55 50 00") == phone_digits("0047 755 55 000") == "75555000"


# --- names ---------------------------------------------------------------------------------------------


def test_signature_names_and_titles(bodo: Redactor) -> None:
    sig = ("Med vennlig hilsen\nMáret Sara\nRådgiver, Oppvekst og kultur\nBodø kommune\n"
           "Tlf. 75 55 12 99 | Mobil 415 55 123\nmaret.sara@bodo.kommune.no\nSentralbord: 75 55 50 00")  # fmt: skip
    new, signature = bodo.reply("Hei!\n\nMáret Sara svarer deg gjerne igjen.", sig, from_name="Sara, Máret")
    assert "Máret" not in new.text + signature.text and "Sara" not in new.text + signature.text
    assert signature.text.splitlines() == [
        "Med vennlig hilsen", NAME, "Rådgiver, Oppvekst og kultur", "Bodø kommune",
        f"Tlf. {PHONE} | Mobil {PHONE}", EMAIL, "Sentralbord: 75 55 50 00"]  # fmt: skip
    assert new.text == f"Hei!\n\n{NAME} svarer deg gjerne igjen."


@pytest.mark.parametrize(
    "sig, name",
    [("Mvh Ánte Gaup", "Ánte Gaup"), ("Hilsen\nKari", "Kari"), ("Vennlig hilsen\nK. Aarsæther\nByggesak", "K. Aarsæther"),
     ("Med hilsen\nOla Nordmann-Berg, saksbehandler", "Ola Nordmann-Berg"), ("--\nTrond Pedersen\nKonsulent", "Trond Pedersen")],
)  # fmt: skip
def test_signature_name_forms(bodo: Redactor, sig: str, name: str) -> None:
    assert bodo.signature_names(sig) == [name]
    _, out = bodo.reply("", sig)
    assert not any(t in out.text for t in name.replace(".", "").split() if len(t) > 1)


def test_organisation_lines_are_not_names(bodo: Redactor) -> None:
    sig = "Med vennlig hilsen\nServicetorget\nBodø kommune\nPlan og byggesak\nNAV Bodø\nwww.bodo.kommune.no"
    assert bodo.signature_names(sig) == []
    assert bodo.reply("", sig)[1].text == sig


def test_names_in_running_text(bodo: Redactor) -> None:
    text = ("Du kan kontakte saksbehandler Ánte Gaup, eller snakke med Ingrid Solberg-Lie i byggesak. "
            "Spør etter Hans Petter Olsen. Kari kan også hjelpe. Leder er Tone Haugland.")  # fmt: skip
    out = red(bodo, text)
    for name in (
        "Ánte",
        "Gaup",
        "Ingrid",
        "Solberg-Lie",
        "Hans",
        "Petter",
        "Olsen",
        "Kari",
        "Tone",
        "Haugland",
    ):
        assert name not in out, name
    assert out.startswith(
        "Du kan kontakte saksbehandler [navn fjernet], eller snakke med [navn fjernet] i byggesak."
    )


def test_place_and_organisation_words_stay(bodo: Redactor) -> None:
    text = ("Kontakt Servicetorget i Bodø kommune, NAV Bodø eller Statsforvalteren i Nordland. "
            "Per måned koster det 500 kr. Bådåddjo suohkan. Vi har åpent på mandager.")  # fmt: skip
    assert red(bodo, text) == text


def test_known_names_are_removed_everywhere_also_in_parts(bodo: Redactor) -> None:
    out = red(bodo, "Gaup har sagt at Ánte kommer tilbake til deg. Ánte Gaup.", names=["Ánte Gaup"])
    assert out == f"{NAME} har sagt at {NAME} kommer tilbake til deg. {NAME}."


# --- personas ------------------------------------------------------------------------------------------


def test_persona_greeting_name_address_and_email(bodo: Redactor) -> None:
    text = ("Hei Anna,\nTakk for e-posten fra anna.berg@persona.kommunetest.test. Vi har registrert Anna Berg, "
            "Storgata 12.\nHei, Per! Prisen er 300 kr per time.")  # fmt: skip
    out = red(bodo, text)
    assert "Anna" not in out and "anna.berg" not in out and "Storgata" not in out and "Per!" not in out
    assert out.startswith(f"Hei {CITIZEN},") and "300 kr per time" in out and f"Hei, {CITIZEN}!" in out


def test_redaction_is_idempotent(bodo: Redactor) -> None:
    text = (
        "Hei Anna,\nkontakt Kari Hansen på kari.hansen@bodo.kommune.no eller 75 55 12 34.\nMvh\nKari Hansen"
    )
    once = red(bodo, text)
    assert red(bodo, once) == once


def test_script_text_is_left_to_the_templates_to_escape(bodo: Redactor) -> None:
    assert red(bodo, "<script>alert(1)</script>") == "<script>alert(1)</script>"


FIRST = ["Kari", "Lars", "Máret", "Ánte", "Siri", "Geir", "Aslak", "Hilde"]
LAST = ["Hansen", "Eira", "Somby", "Fjeldstad", "Aarsæther", "Pedersen", "Gaup"]


@settings(max_examples=60, deadline=None)
@given(
    first=st.sampled_from(FIRST),
    last=st.sampled_from(LAST),
    digits=st.integers(20_000_000, 99_999_999),
    template=st.sampled_from([
        "Ta kontakt med {name} på {email} eller {phone}.",
        "Saksbehandler {name} ({phone}) svarer innen en uke.\n\nMvh\n{name}",
        "Spør etter {name}, tlf. {phone}, e-post {email}.",
        "Hei!\nDette svarer {name} på.\n\nVennlig hilsen\n{name}\n{phone}\n{email}",
    ]),
)  # fmt: skip
def test_planted_staff_details_never_survive(first: str, last: str, digits: int, template: str) -> None:
    r = Redactor.for_municipality(
        email="postmottak@alta.kommune.no", phone="78455000", website="https://alta.kommune.no"
    )
    number = str(digits)
    if number == "78455000":
        return
    phone = f"{number[:2]} {number[2:4]} {number[4:6]} {number[6:]}"
    email = f"{first.lower()}.{last.lower()}@alta.kommune.no"
    text = template.format(name=f"{first} {last}", email=email, phone=phone)
    body, _, sig = text.partition("\n\nMvh\n") if "Mvh" in text else text.partition("\n\nVennlig hilsen\n")
    signature = ("Mvh\n" if "Mvh" in text else "Vennlig hilsen\n") + sig if sig else ""
    new, signed = r.reply(body, signature, from_name=f"{first} {last}")
    out = new.text + "\n" + signed.text
    for secret in (first, last, email, phone):
        assert secret not in out, (secret, out)
