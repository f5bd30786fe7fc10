"""parse_mail: every field, every kind of broken input, never an exception."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kommunetest.channels.email.classify import classify
from kommunetest.channels.email.htmltext import html_to_text
from kommunetest.channels.email.parse import ParsedMail, parse_mail
from kommunetest.channels.email.quoting import split_text

DATA = Path(__file__).resolve().parent / "data"
CPYTHON = sorted((DATA / "cpython_email").glob("msg_*.txt"))
CORPUS = DATA / "email_corpus"


def mail(*headers: str, body: bytes | str = "Hei\n", ctype: str | None = None) -> ParsedMail:
    head = "\r\n".join(headers)
    if ctype:
        head += f"\r\nContent-Type: {ctype}"
    data = body.encode("utf-8") if isinstance(body, str) else body
    return parse_mail(head.encode("utf-8", "surrogateescape") + b"\r\n\r\n" + data)


# -- envelope ------------------------------------------------------------------------------------------


def test_envelope_fields() -> None:
    m = mail(
        "From: =?utf-8?q?Kari_S=C3=A6ter=C3=B8y?= <Kari.Saeteroy@Example.kommune.no>",
        'To: "Lien, Marte" <marte@epost.example>, jonas@epost.example',
        "Cc: Postmottak <postmottak@example.kommune.no>",
        "Subject: =?iso-8859-1?q?SV=3A_Sp=F8rsm=E5l_om_SFO?=",
        "Date: Tue, 3 Mar 2026 10:14:22 +0100",
        "Message-ID: <abc@example.kommune.no>",
        "In-Reply-To: <q1@epost.example>",
        "References: <q0@epost.example>\r\n <q1@epost.example>",
    )
    assert m.from_addr == "kari.saeteroy@example.kommune.no"
    assert m.from_name == "Kari Sæterøy"
    assert m.to == ["marte@epost.example", "jonas@epost.example"]
    assert m.cc == ["postmottak@example.kommune.no"]
    assert m.subject == "SV: Spørsmål om SFO"
    assert m.date == datetime(2026, 3, 3, 9, 14, 22, tzinfo=UTC)
    assert m.date.tzinfo is not None
    assert m.message_id == "<abc@example.kommune.no>"
    assert m.in_reply_to == "<q1@epost.example>"
    assert m.references == ["<q0@epost.example>", "<q1@epost.example>"]
    assert m.quarantine_reason is None


def test_headers_are_case_insensitive_and_keep_repeats() -> None:
    m = mail("Received: one", "RECEIVED: two", "X-Custom: =?utf-8?q?bl=C3=A5?=", "Subject: s")
    assert m.headers["received"] == "one"
    assert m.headers.get_all("Received") == ["one", "two"]
    assert "x-CUSTOM" in m.headers and m.headers["X-Custom"] == "blå"
    assert m.headers.get("missing") is None
    with pytest.raises(KeyError):
        m.headers["missing"]


def test_missing_date_and_message_id_are_none_with_defects() -> None:
    m = mail("From: a@b.no", "Subject: x")
    assert m.date is None and m.message_id is None
    assert "no Date header" in m.defects and "no Message-ID header" in m.defects


def test_bad_and_naive_dates() -> None:
    assert mail("Date: Mon, 99 Foo 2026 99:99:99 +9999").date is None
    minus_zero = mail("Date: Tue, 3 Mar 2026 10:00:00 -0000").date
    assert minus_zero == datetime(2026, 3, 3, 10, tzinfo=UTC)
    oslo = mail("Date: Tue, 3 Mar 2026 10:00:00 +0100").date
    assert oslo is not None and oslo.utcoffset() == timedelta(hours=1)


def test_encoded_word_with_unknown_charset_and_8bit_headers() -> None:
    m = mail("Subject: =?x-unknown?q?Caf=E9?= ok", "From: S\udcc3\udcb8lvi <solvi@example.no>")
    assert m.subject == "Café ok"
    assert m.from_name == "Sølvi"
    assert any("unknown charset" in d for d in m.defects)
    latin = parse_mail(b"Subject: Sp\xf8rsm\xe5l\r\nFrom: \xc5se <ase@example.no>\r\n\r\nx")
    assert latin.subject == "Spørsmål" and latin.from_name == "Åse"


def test_malformed_address_headers_fall_back() -> None:
    m = mail("From: <<<broken@@>>> ,,", "To: bad@@, <>, ok@example.no")
    assert "ok@example.no" in m.to
    assert isinstance(m.from_addr, str | None)


# -- bodies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "data", "expected"),
    [
        (
            "iso-8859-1",
            "Pris – 3 145 kr".encode("cp1252"),
            "Pris – 3 145 kr",
        ),  # windows-1252 labelled latin-1
        (None, "Søknad for én garasje".encode("cp1252"), "Søknad for én garasje"),  # no charset at all
        ("iso-8859-1", "Søknad".encode(), "Søknad"),  # UTF-8 labelled latin-1
        ("utf-8", "Søknad".encode("cp1252"), "Søknad"),  # windows-1252 labelled UTF-8
        ("x-no-such-charset", "Søknad".encode(), "Søknad"),
        ("windows-1252", "æøå ÆØÅ".encode("cp1252"), "æøå ÆØÅ"),
    ],
)
def test_wrong_or_missing_body_charset(charset: str | None, data: bytes, expected: str) -> None:
    ctype = f"text/plain; charset={charset}" if charset else "text/plain"
    assert mail("Subject: x", ctype=ctype, body=data).text == expected


def test_quoted_printable_and_base64_bodies() -> None:
    qp = mail(
        "Content-Transfer-Encoding: quoted-printable",
        ctype="text/plain; charset=windows-1252",
        body=b"Pris p=E5 SFO=\r\n er 3 145 kr",
    )
    assert qp.text == "Pris på SFO er 3 145 kr"
    b64 = mail(
        "Content-Transfer-Encoding: base64",
        ctype="text/plain; charset=utf-8",
        body=base64.b64encode("Hei på deg".encode()),
    )
    assert b64.text == "Hei på deg"
    broken = mail("Content-Transfer-Encoding: base64", ctype="text/plain", body=b"!!!not base64 at all###")
    assert isinstance(broken.text, str)


def test_html_only_keeps_paragraphs_and_drops_style() -> None:
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p class=MsoNormal>Hei,</p><p class=MsoNormal>&nbsp;</p><p>Prisen er <b>3&nbsp;145 kr</b>.<br>Ny linje.</p>"
        "<ul><li>en</li><li>to</li></ul></body></html>"
    )
    m = mail("Subject: x", ctype="text/html; charset=utf-8", body=html)
    assert m.text_source == "html" and m.html is not None and "<p" in m.html
    assert m.text == "Hei,\n\nPrisen er 3 145 kr.\nNy linje.\n\n- en\n- to"
    assert "alert" not in m.text and "color" not in m.text


def test_html_charset_from_meta_tag() -> None:
    html = '<html><head><meta charset="windows-1252"></head><body><p>Bl\xe5b\xe6r</p></body></html>'
    m = mail("Subject: x", ctype="text/html", body=html.encode("latin-1"))
    assert m.text == "Blåbær"


def test_alternative_prefers_plain_unless_empty() -> None:
    def alt(plain: str) -> ParsedMail:
        body = (
            f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n"
            "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>fra html</p>\r\n--b--\r\n"
        )
        return mail("Subject: x", ctype='multipart/alternative; boundary="b"', body=body)

    assert alt("fra tekst").text == "fra tekst"
    assert alt("fra tekst").html == "<p>fra html</p>"
    assert alt("  ").text == "fra html"


def test_nested_multiparts_with_attachments_and_forwarded_message() -> None:
    body = (
        "--outer\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n"
        "--rel\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
        "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSvaret står her.\r\n"
        "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Svaret står her.</p>\r\n--alt--\r\n"
        "--rel\r\nContent-Type: image/png; name=logo.png\r\nContent-ID: <logo1>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "iVBORw0KGgo=\r\n--rel--\r\n"
        "--outer\r\nContent-Type: text/plain; name=notat.txt\r\nContent-Disposition: attachment; filename=notat.txt\r\n\r\n"
        "ikke brødtekst\r\n"
        "--outer\r\nContent-Type: message/rfc822\r\n\r\nSubject: Spørsmål\r\n\r\nOriginal tekst\r\n--outer--\r\n"
    )
    m = mail("Subject: x", ctype='multipart/mixed; boundary="outer"', body=body)
    assert m.text == "Svaret står her."
    names = {a.filename: a for a in m.attachments}
    assert names["logo.png"].content_type == "image/png" and names["logo.png"].content_id == "<logo1>"
    assert names["logo.png"].size == 8
    assert names["notat.txt"].disposition == "attachment"
    assert names["Spørsmål.eml"].content_type == "message/rfc822"
    assert "ikke brødtekst" not in m.text and "Original tekst" not in m.text


def test_large_attachment_is_measured_not_decoded() -> None:
    payload = b"\x00\x01" * (10 * 1024 * 1024)  # 20 MiB
    encoded = base64.encodebytes(payload)
    body = (
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSe vedlegg.\r\n"
        b"--b\r\nContent-Type: application/pdf; name=big.pdf\r\nContent-Disposition: attachment; filename=big.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"\r\n--b--\r\n"
    )
    start = time.perf_counter()
    m = mail("Subject: x", ctype='multipart/mixed; boundary="b"', body=body)
    assert time.perf_counter() - start < 10
    assert m.text == "Se vedlegg."
    (att,) = m.attachments
    assert att.filename == "big.pdf" and att.content_type == "application/pdf"
    assert abs(att.size - len(payload)) <= 2


def test_dsn_fields_per_recipient() -> None:
    m = parse_mail((CORPUS / "bounce" / "postfix_dsn_user_unknown.eml").read_bytes())
    assert m.is_dsn and m.dsn is not None
    assert m.dsn.reporting_mta == "mail.epost.example"
    (r,) = m.dsn.recipients
    assert r.final_recipient == "postmottak@brekkedal.kommune.no"
    assert r.action == "failed" and r.status == "5.1.1"
    assert r.diagnostic_code and r.diagnostic_code.startswith("550 5.1.1")
    assert "I'm sorry to have to inform you" in m.text
    assert "Vi flytter til kommunen" not in m.text  # the returned original is an attachment, not body text


def test_quarantine_is_set_not_raised() -> None:
    assert parse_mail(b"").quarantine_reason == "empty message"
    assert parse_mail(b"\r\n\r\n  ").quarantine_reason == "empty message"
    assert parse_mail(b"X-Nothing: here\r\n\r\n").quarantine_reason is not None
    assert parse_mail(b"From: a@b.no\r\nSubject: x\r\n\r\nbody").quarantine_reason is None


# -- quoting and signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quote",
    [
        "Fra: Marte Lien <marte@epost.example>\nSendt: 3. mars 2026 10:14\nTil: Postmottak\nEmne: SFO\n\nHva koster SFO?",
        "________________________________\nFra: Marte Lien\nSendt: 3. mars 2026 10:14\nTil: Postmottak\nEmne: SFO\n\nHva koster SFO?",
        "-----Original Message-----\nFrom: Marte Lien\nSent: Tuesday, March 3, 2026\nTo: Postmottak\nSubject: SFO\n\nHva koster SFO?",
        "-----Opprinnelig melding-----\nFra: Marte Lien\nSendt: 3. mars\nTil: post\nEmne: SFO\n\nHva koster SFO?",
        "Den tir. 3. mar. 2026 kl. 10:14 skrev Marte Lien <marte@epost.example>:\n> Hva koster SFO?",
        "Den tir. 3. mar. 2026 kl. 10:14 skrev Marte Lien <\nmarte@epost.example>:\n> Hva koster SFO?",
        "On Tue, Mar 3, 2026 at 10:14 AM Marte Lien <marte@epost.example> wrote:\n> Hva koster SFO?",
        "> Hva koster SFO?\n>\n> Hilsen Marte",
    ],
)
def test_quoted_split_recognises_quote_styles(quote: str) -> None:
    text = f"Hei,\n\nPrisen er 3 145 kr.\n\nMed vennlig hilsen\nKari\n\n{quote}\n"
    parts = split_text(text)
    assert parts.new == "Hei,\n\nPrisen er 3 145 kr."
    assert parts.signature.startswith("Med vennlig hilsen")
    assert "Hva koster SFO?" in parts.quoted
    assert "Hva koster" not in parts.new


@pytest.mark.parametrize(
    "sign_off",
    [
        "Mvh",
        "Mvh Kari Nordli",
        "Med venleg helsing",
        "Vennlig hilsen,",
        "--",
        "Sendt fra min iPhone",
        "Best regards",
    ],
)
def test_signatures(sign_off: str) -> None:
    parts = split_text(
        f"Åpningstiden er 07:00.\n\n{sign_off}\nServicetorget\nTlf 12 34 56 78\nwww.example.kommune.no"
    )
    assert parts.new == "Åpningstiden er 07:00."
    assert "Tlf 12 34 56 78" in parts.signature


def test_interleaved_answers_keep_own_lines() -> None:
    parts = split_text("Svar under.\n\n> Hva koster SFO?\n\n3 145 kr.\n\n> Når åpner SFO?\n\nKl. 07:00.")
    assert "3 145 kr." in parts.new and "Kl. 07:00." in parts.new
    assert "Hva koster SFO?" in parts.quoted and "Hva koster" not in parts.new


def test_plain_prose_is_not_mistaken_for_a_quote() -> None:
    text = "Fra august koster SFO 3 145 kr.\nTil info: prisen gjelder full plass.\n\nHilsen Kari"
    assert split_text(text).new == "Fra august koster SFO 3 145 kr.\nTil info: prisen gjelder full plass."


def test_html_blockquote_becomes_quoted_text() -> None:
    html = "<div>Prisen er 3 145 kr.</div><div>Den 3. mars skrev Marte:</div><blockquote><div>Hva koster SFO?</div></blockquote>"
    text = html_to_text(html)
    assert "> Hva koster SFO?" in text
    assert split_text(text).new == "Prisen er 3 145 kr."


def test_html_to_text_survives_deep_nesting() -> None:
    assert html_to_text("<div>" * 5000 + "dypt" + "</div>" * 5000) == "dypt"
    assert html_to_text("") == "" and html_to_text("\x00<<>>") == "<<>>"


# -- whole inputs: CPython's test corpus, our corpus, and generated garbage ------------------------------


def test_cpython_corpus_is_present() -> None:
    assert len(CPYTHON) >= 40, "tests/data/cpython_email/ lost its files"


@pytest.mark.parametrize("path", CPYTHON, ids=[p.name for p in CPYTHON])
def test_cpython_messages_parse_and_classify(path: Path) -> None:
    m = parse_mail(path.read_bytes())
    result = classify(m)
    assert result.kind and result.reasons
    assert isinstance(m.text, str) and isinstance(m.defects, list)


def test_cpython_dsn_message() -> None:
    m = parse_mail((DATA / "cpython_email" / "msg_16.txt").read_bytes())
    assert m.dsn is not None and m.dsn.recipients[0].final_recipient == "jangel1@cougar.noc.ucla.edu"
    assert classify(m).kind == "bounce"


def test_multipart_without_boundary_keeps_its_text() -> None:
    m = parse_mail((DATA / "cpython_email" / "msg_41.txt").read_bytes())
    assert m.text == "Blah blah blah"


def test_deep_multipart_nesting_does_not_raise() -> None:
    raw = b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(1, 400):
        raw += f"--b{i - 1}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n".encode()
    raw += b"--b399\r\nContent-Type: text/plain\r\n\r\ndypt\r\n"
    m = parse_mail(raw)
    assert isinstance(m, ParsedMail)
    assert any("nesting" in d for d in m.defects) or m.quarantine_reason


_CHARSETS = [
    "utf-8",
    "iso-8859-1",
    "windows-1252",
    "us-ascii",
    "x-bogus",
    "utf-16",
    "koi8-r",
    "",
    "utf-7",
    "gb2312",
]
_CTES = ["7bit", "8bit", "quoted-printable", "base64", "x-uuencode", "binary", "garbage"]
_header_names = st.sampled_from(
    [
        *["Subject", "From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References", "Return-Path"],
        *["Auto-Submitted", "Precedence", "X-Autoreply", "Content-Disposition", "Reply-To", "X-Weird"],
    ]
)
_header_values = st.one_of(
    st.text(max_size=80),
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
    st.sampled_from(
        ["=?utf-8?q?Sp=C3=B8rsm=C3=A5l?=", "=?bogus?b?!!!?=", "<>", "auto-replied", "=?utf-8?b?", "a@@b, <c"]
    ),
)


@st.composite
def _part(draw: st.DrawFn, depth: int = 0) -> bytes:
    if depth < 3 and draw(st.booleans()):
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
        boundary = draw(st.sampled_from(["b1", "b2", "=_x", "", "b1"])) + str(depth)
        children = draw(st.lists(_part(depth + 1), max_size=3))
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"; report-type=delivery-status\r\n\r\n'.encode()
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"
        return head + body
    ctype = draw(
        st.sampled_from(
            [
                "text/plain",
                "text/html",
                "application/pdf",
                "message/rfc822",
                "message/delivery-status",
                "image/png",
                "text/x-weird",
            ]
        )
    )
    charset = draw(st.sampled_from(_CHARSETS))
    cte = draw(st.sampled_from(_CTES))
    body = draw(
        st.one_of(st.binary(max_size=300), st.text(max_size=200).map(lambda s: s.encode("utf-8", "replace")))
    )
    if cte == "base64" and draw(st.booleans()):
        body = base64.encodebytes(body)
    disposition = draw(
        st.sampled_from(
            ["", 'Content-Disposition: attachment; filename="x.pdf"\r\n', "Content-Disposition: inline\r\n"]
        )
    )
    return (
        f'Content-Type: {ctype}; charset="{charset}"\r\nContent-Transfer-Encoding: {cte}\r\n{disposition}\r\n'.encode()
        + body
    )


@st.composite
def _message(draw: st.DrawFn) -> bytes:
    headers = draw(st.lists(st.tuples(_header_names, _header_values), max_size=10))
    head = b"".join(
        name.encode()
        + b": "
        + value.encode("utf-8", "surrogateescape").replace(b"\r", b"").replace(b"\n", b" ")
        + b"\r\n"
        for name, value in headers
    )
    raw = head + draw(_part())
    if draw(st.integers(0, 9)) == 0:  # now and then, flip random bytes
        cut = draw(st.integers(0, max(len(raw) - 1, 0)))
        raw = raw[:cut] + draw(st.binary(min_size=1, max_size=20)) + raw[cut:]
    return raw


@settings(
    max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(_message())
def test_generated_messages_never_raise(raw: bytes) -> None:
    m = parse_mail(raw)
    result = classify(m, question="Hva koster SFO?")
    assert isinstance(m.text, str) and isinstance(m.subject, str)
    assert m.date is None or m.date.tzinfo is not None
    assert result.kind in {"auto_reply", "receipt", "interim", "substantive", "referral", "bounce"}
    assert result.reasons
    m.quoted_split()


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    m = parse_mail(raw)
    assert classify(m).reasons
