"""classify: one focused case per rule, the rule order, the labelled corpus and the CLI."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from kommunetest.channels.email.classify import KINDS, bounce_recipients, classify
from kommunetest.channels.email.parse import parse_mail

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "email_corpus"
REPO = Path(__file__).resolve().parent.parent

ANSWER = "Hei,\n\nFull plass i SFO koster 3 145 kr per måned, og SFO åpner kl. 07:00.\n\nMvh\nKari"


def kind_of(
    *headers: str, body: str = ANSWER, subject: str = "SV: Spørsmål om SFO", question: str | None = None
):
    head = "\r\n".join(
        [
            "From: Kari Nordli <kari@example.kommune.no>",
            "To: marte@epost.example",
            f"Subject: {subject}",
            *headers,
        ]
    )
    raw = (head + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode("utf-8")
    return classify(parse_mail(raw), question=question)


def corpus(label: str, name: str):
    return parse_mail((CORPUS / label / f"{name}.eml").read_bytes())


# -- 1. bounce ----------------------------------------------------------------------------------------


def test_dsn_is_a_bounce_with_recipients() -> None:
    m = corpus("bounce", "postfix_dsn_user_unknown")
    result = classify(m)
    assert result.kind == "bounce" and result.confidence >= 0.95
    assert any("report-type=delivery-status" in r for r in result.reasons)
    (r,) = bounce_recipients(m)
    assert (r.address, r.status, r.action) == ("postmottak@brekkedal.kommune.no", "5.1.1", "failed")


def test_bounce_beats_auto_submitted() -> None:
    m = corpus("bounce", "google_address_not_found")  # carries Auto-Submitted: auto-replied too
    assert "auto-submitted" in m.headers
    assert classify(m).kind == "bounce"


def test_exchange_text_ndr_without_dsn_part() -> None:
    m = corpus("bounce", "exchange_onprem_norwegian_html")
    assert m.dsn is None
    result = classify(m)
    assert result.kind == "bounce"
    assert any("mail system address" in r for r in result.reasons)
    assert any("levering til disse mottakerne" in r for r in result.reasons)
    assert [r.address for r in bounce_recipients(m)] == ["post@lauvdal.kommune.no"]
    assert bounce_recipients(m)[0].status == "5.1.1"


def test_delayed_dsn_reports_the_action() -> None:
    m = corpus("bounce", "postfix_delayed_dsn")
    assert classify(m).kind == "bounce"
    (r,) = bounce_recipients(m)
    assert r.action == "delayed" and r.status == "4.4.1"


def test_postmaster_without_ndr_text_is_not_a_bounce() -> None:
    raw = b"From: postmaster@example.kommune.no\r\nSubject: SV: SFO\r\n\r\n" + ANSWER.encode()
    assert classify(parse_mail(raw)).kind == "substantive"


def test_ndr_words_only_in_quoted_text_are_not_a_bounce() -> None:
    body = ANSWER + "\n\n> Undeliverable: user unknown, delivery has failed to these recipients\n> 550 5.1.1"
    assert kind_of(subject="SV: Undeliverable: test", body=body).kind == "substantive"


def test_non_bounce_has_no_bounce_recipients() -> None:
    assert bounce_recipients(corpus("substantive", "sfo_answer_outlook_quote")) == []


# -- 2. headers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated; owner-email=x@example.no",
        "X-Autoreply: yes",
        "X-Autorespond: vacation",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "Precedence: auto_reply",
        "Return-Path: <>",
        "X-MS-Exchange-Inbox-Rules-Loop: kari@example.kommune.no",
    ],
)
def test_auto_reply_headers(header: str) -> None:
    result = kind_of(header)
    assert result.kind == "auto_reply", result.reasons
    assert any(header.split(":")[0].lower() in r.lower() for r in result.reasons)


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: no", "Precedence: normal", "Return-Path: <kari@example.kommune.no>"]
)
def test_headers_that_do_not_mark_automatic_mail(header: str) -> None:
    assert kind_of(header).kind == "substantive"


def test_x_auto_response_suppress_is_ignored_but_noted() -> None:
    result = kind_of("X-Auto-Response-Suppress: All")
    assert result.kind == "substantive"
    assert any("ignored header X-Auto-Response-Suppress" in r for r in result.reasons)


def test_auto_reply_that_is_an_archive_receipt() -> None:
    body = "Vi bekrefter å ha mottatt din henvendelse. Den er registrert med saksnummer 2027/1234."
    result = kind_of("Auto-Submitted: auto-generated", body=body)
    assert result.kind == "receipt"
    assert result.reasons[0].startswith("header Auto-Submitted")


def test_read_receipt_is_automatic() -> None:
    assert classify(corpus("auto_reply", "read_receipt_mdn")).kind == "auto_reply"


# -- 3. text rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "subject"),
    [
        ("Jeg er på ferie til og med 9. august og leser ikke e-post.", "SV: SFO"),
        ("Eg er ikkje på kontoret før måndag 17. august.", "SV: SFO"),
        ("I am out of the office until 14 July with limited access to e-mail.", "RE: SFO"),
        ("Takk for e-posten. Jeg er tilbake på kontoret mandag 3. august.", "SV: SFO"),
        ("Kort melding.", "Automatisk svar: SFO"),
        ("Kort melding.", "Fraværsmelding"),
    ],
)
def test_out_of_office_by_text_alone(body: str, subject: str) -> None:
    result = kind_of(body=body, subject=subject)
    assert result.kind == "auto_reply", result.reasons


@pytest.mark.parametrize(
    "body",
    [
        "Vi bekrefter å ha mottatt din henvendelse.",
        "Din henvendelse er registrert og vil bli besvart fortløpende.",
        "Henvendelsen er journalført med saksnummer 2027/1234.",
        "Takk for din henvendelse. Vi vil svare så snart som mogleg.",
        "Melding mottatt.",
        "Vi stadfestar at vi har motteke e-posten din.",
    ],
)
def test_receipt_phrases(body: str) -> None:
    assert kind_of(body=body, subject="Re: SFO").kind == "receipt"


@pytest.mark.parametrize(
    "body",
    [
        "Dette er et foreløpig svar. Vi trenger mer tid.",
        "Vi trenger litt mer tid for å svare deg.",
        "Du vil få svar innen to uker.",
        "Saken er sendt til Teknisk drift for uttalelse.",
        "Dette er eit mellombels svar.",
        "Vi undersøker saken og kommer tilbake til deg.",
    ],
)
def test_interim_phrases(body: str) -> None:
    assert kind_of(body=body).kind == "interim"


@pytest.mark.parametrize(
    "body",
    [
        "Ta kontakt med NAV.",
        "Vi har videresendt din henvendelse til fylkeskommunen.",
        "Informasjon om dette finner du på våre nettsider.",
        "Dette må du spørre barnehagen om.",
        "Sjå heimesida vår, www.example.kommune.no/bustad.",
        "Kontakt NAV.",
    ],
)
def test_referral_phrases(body: str) -> None:
    assert kind_of(body=body).kind == "referral"


def test_referral_with_a_real_answer_is_substantive() -> None:
    body = "Full plass i SFO koster 3 145 kr per måned. Se også våre nettsider for søknadsskjema."
    result = kind_of(body=body)
    assert result.kind == "substantive"
    assert any(r.startswith("outweighs: new text: referral phrase") for r in result.reasons)


def test_closing_courtesy_is_not_a_referral() -> None:
    body = ANSWER.replace("Mvh", "Ta gjerne kontakt med servicetorget dersom du har flere spørsmål.\n\nMvh")
    assert kind_of(body=body).kind == "substantive"


def test_signature_links_are_not_read() -> None:
    body = (
        "Prisen er 3 145 kr per måned.\n\nMed vennlig hilsen\nKari\nSe våre nettsider: www.example.kommune.no"
    )
    assert kind_of(body=body).kind == "substantive"


def test_real_answer_quoting_an_auto_reply_is_substantive() -> None:
    result = classify(corpus("substantive", "answer_quoting_auto_reply"))
    assert result.kind == "substantive"
    assert any("quoted text" in r for r in result.reasons)


def test_quoted_question_is_never_the_answer() -> None:
    body = "Hei\n\n-----Opprinnelig melding-----\nFra: Marte\nSendt: 3. mars\nTil: post\nEmne: SFO\n\nHva koster SFO? Jeg trenger svar innen fredag."
    result = kind_of(body=body)
    assert result.kind == "substantive" and result.confidence <= 0.3


def test_question_overlap_is_reported() -> None:
    body = "Garasjer under 50 kvadratmeter kan bygges uten søknad. Gebyret for søknad er ellers 6 200 kroner."
    result = kind_of(body=body, question="Hvor lang er saksbehandlingstiden for garasje, og hva er gebyret?")
    assert result.kind == "substantive" and result.confidence >= 0.9
    assert any("sharing terms with the question" in r and "garas" in r for r in result.reasons)


def test_every_result_has_valid_kind_reasons_and_confidence() -> None:
    for path in sorted(CORPUS.glob("*/*.eml")):
        result = classify(parse_mail(path.read_bytes()))
        assert result.kind in KINDS and result.reasons and 0 <= result.confidence <= 1
        assert list(result.to_dict())[:2] == ["kind", "reasons"]


# -- the labelled corpus ------------------------------------------------------------------------------


def _bench():
    spec = importlib.util.spec_from_file_location(
        "email_classify_eval", REPO / "bench" / "email_classify_eval.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_corpus_size_and_labels() -> None:
    files = list(CORPUS.glob("*/*.eml"))
    assert len(files) >= 60
    assert {p.parent.name for p in files} == set(KINDS)


def test_corpus_accuracy_per_class() -> None:
    bench = _bench()
    result = bench.evaluate(CORPUS)
    misses = "\n".join(f"{p.parent.name}/{p.name} -> {c.kind}: {c.reasons}" for p, _, c in result.misses)
    for label in KINDS:
        assert result.accuracy(label) >= 0.9, f"{label}: {result.accuracy(label):.0%}\n{misses}"
    assert result.accuracy() >= 0.95, misses
    text = bench.report(result)
    assert "confusion matrix" in text and "substantive" in text


# -- the command line ---------------------------------------------------------------------------------


def test_cli_json_shape(kt) -> None:
    res = kt("email", "classify", str(CORPUS / "auto_reply" / "exchange_oof_bokmal_headers.eml"), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out)[:2] == ["kind", "reasons"]
    assert out["kind"] == "auto_reply"
    assert all(isinstance(r, str) for r in out["reasons"]) and out["reasons"]
    assert 0 <= out["confidence"] <= 1
    assert out["bounce_recipients"] == []


def test_cli_json_bounce_recipients(kt) -> None:
    res = kt("email", "classify", str(CORPUS / "bounce" / "exchange_online_ndr.eml"), "--json")
    out = json.loads(res.stdout)
    assert out["kind"] == "bounce"
    assert out["bounce_recipients"][0]["address"] == "postmottak@fjordvik.kommune.no"
    assert out["bounce_recipients"][0]["status"] == "5.1.10"


def test_cli_readable_line_and_question(kt) -> None:
    path = CORPUS / "substantive" / "short_factual_answer.eml"
    res = kt("email", "classify", str(path), "--question", "Hva koster SFO?")
    assert res.exit_code == 0
    line = res.stdout.strip()
    assert line.startswith(f"{path}: substantive (") and "\n" not in line


def test_cli_missing_file_is_a_clear_error(kt, tmp_path: Path) -> None:
    res = kt("email", "classify", str(tmp_path / "nope.eml"), "--json")
    assert res.exit_code != 0
    assert "nope.eml: no such file" in res.stderr and "Traceback" not in res.output
    res = kt("email", "classify", str(tmp_path))
    assert res.exit_code != 0 and "is a directory" in res.stderr
