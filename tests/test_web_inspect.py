"""`kommunetest web inspect`: files, loopback URLs, refusals and the JSON contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kommunetest.channels.web.facts import FACT_KINDS
from kommunetest.channels.web.inspection import inspect_source, is_loopback_url
from kommunetest.errors import LiveSendingRefused

CORPUS = Path(__file__).resolve().parent / "data" / "web_corpus"
PAGE = """<!DOCTYPE html><html lang="nb"><head><meta charset="utf-8"><title>Kontakt</title></head><body>
<h1>Servicetorget</h1><p>Mandag–fredag 08.00–15.30</p>
<p>Saksbehandlingstiden for byggesaker er 12 uker. Klagefristen er 3 uker.</p>
<p>Full plass i SFO koster kr 3 145 per måned.</p>
<p>Telefon 75 06 80 00, e-post postmottak@example.kommune.no</p>
<h2>Biblioteket</h2><p>Lørdag 11.00–15.00</p></body></html>"""
PAGES = {
    "/kontakt": ("text/html; charset=utf-8", PAGE.encode()),
    "/latin1": ("text/html; charset=iso-8859-1", "<p>Åpent lørdag 10.00-14.00</p>".encode("latin-1")),
    "/plain": ("text/plain; charset=utf-8", b"Sentralbord: 73 82 00 00"),
    "/big": ("text/html", b"<p>" + b"x" * 200_000 + b"</p>"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", "http://example.com/")
            self.end_headers()
            return
        ctype, body = PAGES.get(self.path, ("text/plain", b""))
        self.send_response(200 if self.path in PAGES else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _check_contract(doc: dict) -> None:
    assert set(doc) == {"source", "facts"}
    for fact in doc["facts"]:
        assert {"kind", "value", "text"} <= set(fact)
        assert fact["kind"] in FACT_KINDS
        value = fact["value"]
        if fact["kind"] == "opening_hours":
            assert set(value) == {"from", "to", "days"}
            assert value["days"] is None or isinstance(value["days"], list)
        elif fact["kind"] in ("processing_time", "complaint_deadline"):
            assert value["unit"] in ("hours", "days", "weeks", "months") and isinstance(
                value["amount"], int | float
            )
        elif fact["kind"] == "price":
            assert {"nok", "per"} <= set(value)
            assert value["per"] in (None, "month", "year", "hour", "day", "week", "once")
        else:
            assert isinstance(value, str)


def test_json_from_a_file_has_the_contract_shape(kt, tmp_path: Path) -> None:
    page = tmp_path / "kontakt.html"
    page.write_text(PAGE, encoding="utf-8")
    r = kt("web", "inspect", str(page), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    _check_contract(doc)
    assert doc["source"] == str(page)
    found = {(f["kind"], json.dumps(f["value"], sort_keys=True)) for f in doc["facts"]}
    expected = [
        ("opening_hours", {"from": "08:00", "to": "15:30", "days": ["mon", "tue", "wed", "thu", "fri"]}),
        ("processing_time", {"amount": 12, "unit": "weeks"}),
        ("complaint_deadline", {"amount": 3, "unit": "weeks"}),
        ("price", {"nok": 3145, "per": "month"}),
        ("phone", "75068000"),
        ("email", "postmottak@example.kommune.no"),
    ]
    for kind, value in expected:
        assert (kind, json.dumps(value, sort_keys=True)) in found


def test_topic_kind_and_year_filters(kt) -> None:
    r = kt("web", "inspect", str(CORPUS / "servicetorg_bokmal.html"), "--json", "--topic", "bibliotek")
    doc = json.loads(r.stdout)
    assert {f["kind"] for f in doc["facts"]} == {"opening_hours"} and len(doc["facts"]) == 3
    r = kt(
        "web",
        "inspect",
        str(CORPUS / "gebyr_aarskolonner.html"),
        "--json",
        "--year",
        "2027",
        "--kind",
        "price",
    )
    assert sorted(f["value"]["nok"] for f in json.loads(r.stdout)["facts"]) == [1310, 1560, 15500]
    r = kt("web", "inspect", str(CORPUS / "gebyr_aarskolonner.html"), "--kind", "colour")
    assert r.exit_code == 2 and "unknown fact kind" in r.stderr


def test_readable_table(kt) -> None:
    r = kt("web", "inspect", str(CORPUS / "sfo_priser.html"))
    assert r.exit_code == 0, r.output
    assert "5 facts" in r.stdout
    assert "3 145 kr/mnd" in r.stdout and "07:15–16:30" in r.stdout


def test_pdf_and_text_files(kt) -> None:
    r = kt("web", "inspect", str(CORPUS / "gebyrregulativ.pdf"), "--json")
    prices = [f for f in json.loads(r.stdout)["facts"] if f["kind"] == "price"]
    assert {"nok": 26500, "per": None, "year": 2027} in [f["value"] for f in prices]


def test_missing_file_and_directory(kt, tmp_path: Path) -> None:
    r = kt("web", "inspect", str(tmp_path / "borte.html"))
    assert r.exit_code != 0 and "borte.html" in r.stderr and "no such file" in r.stderr
    r = kt("web", "inspect", str(tmp_path))
    assert r.exit_code != 0 and "directory" in r.stderr


def test_loopback_url(kt, site: str) -> None:
    r = kt("web", "inspect", f"{site}/kontakt", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    _check_contract(doc)
    assert doc["source"] == f"{site}/kontakt"
    assert any(f["kind"] == "phone" and f["value"] == "75068000" for f in doc["facts"])
    latin = inspect_source(f"{site}/latin1")
    assert [f.value for f in latin.facts] == [{"from": "10:00", "to": "14:00", "days": ["sat"]}]
    assert [f.value for f in inspect_source(f"{site}/plain").facts] == ["73820000"]
    localhost = site.replace("127.0.0.1", "localhost")
    assert inspect_source(f"{localhost}/plain").facts[0].value == "73820000"


def test_loopback_url_errors(kt, site: str, tmp_path: Path) -> None:
    r = kt("web", "inspect", f"{site}/missing")
    assert r.exit_code == 8 and "404" in r.stderr
    r = kt("web", "inspect", f"{site}/away")
    assert r.exit_code == 9 and "example.com" in r.stderr  # a redirect off loopback is refused too
    (tmp_path / "kommunetest.toml").write_text("[web]\nmax_bytes_per_page = 10000\n", encoding="utf-8")
    r = kt("--project", str(tmp_path), "web", "inspect", f"{site}/big")
    assert r.exit_code == 8 and "larger than" in r.stderr


@pytest.mark.parametrize(
    "url",
    ["http://example.com/", "https://www.bodo.kommune.no/", "http://10.0.0.1/", "http://[2001:db8::1]/"],
)
def test_non_loopback_urls_are_refused(kt, url: str) -> None:
    assert not is_loopback_url(url)
    with pytest.raises(LiveSendingRefused):
        inspect_source(url)
    r = kt("web", "inspect", url, "--json")
    assert r.exit_code == 9 and "not a loopback address" in r.stderr and r.stdout == ""


def test_loopback_recognition() -> None:
    for url in [
        "http://127.0.0.1:8080/x",
        "http://127.3.4.5/",
        "http://localhost/",
        "http://[::1]:81/",
        "http://a.localhost/",
    ]:
        assert is_loopback_url(url), url
