"""A stand-in for Enhetsregisteret's open API (`/enheter`), on loopback, for tests and rehearsals.

It answers `GET /enheter/{orgnr}` and `GET /enheter?kommunenummer=..&organisasjonsform=..` in the shape of
data.brreg.no/enhetsregisteret/api: 200 with the entity, 404 for unknown numbers, 410 for deleted ones.
Scripted responses (e.g. a 500 before the 200, a 429 with Retry-After) are served first, in order, so
tests can exercise retries against a real HTTP server.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kommunetest.register import Municipality

API_PREFIX = "/enhetsregisteret/api"


@dataclass
class Scripted:
    """One canned response; `delay` seconds are waited before answering."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def municipality_entity(
    m: Municipality,
    *,
    orgnr: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    website: str | None = None,
    form: str = "KOMM",
) -> dict[str, Any]:
    """An /enheter/{orgnr} body for a municipality, as Enhetsregisteret formats it."""
    number = orgnr or m.orgnr or "000000000"
    body: dict[str, Any] = {
        "organisasjonsnummer": number,
        "navn": f"{m.name.upper()} KOMMUNE",
        "organisasjonsform": {
            "kode": form,
            "beskrivelse": "Kommune" if form == "KOMM" else "Annen form",
            "_links": {"self": {"href": f"https://data.brreg.no{API_PREFIX}/organisasjonsformer/{form}"}},
        },
        "postadresse": {
            "land": "Norge",
            "landkode": "NO",
            "postnummer": "0000",
            "poststed": (m.admin_centre or m.name).upper(),
            "adresse": ["Postboks 1"],
            "kommune": m.name.upper(),
            "kommunenummer": m.kommunenummer,
        },
        "forretningsadresse": {
            "land": "Norge",
            "landkode": "NO",
            "postnummer": "0000",
            "poststed": (m.admin_centre or m.name).upper(),
            "adresse": ["Rådhuset"],
            "kommune": m.name.upper(),
            "kommunenummer": m.kommunenummer,
        },
        "registreringsdatoEnhetsregisteret": "1995-02-19",
        "registrertIMvaregisteret": True,
        "naeringskode1": {"kode": "84.110", "beskrivelse": "Generell offentlig administrasjon"},
        "institusjonellSektorkode": {"kode": "6500", "beskrivelse": "Kommuneforvaltningen"},
        "registrertIForetaksregisteret": False,
        "registrertIStiftelsesregisteret": False,
        "registrertIFrivillighetsregisteret": False,
        "konkurs": False,
        "underAvvikling": False,
        "underTvangsavviklingEllerTvangsopplosning": False,
        "maalform": "Nynorsk" if m.written_standard == "nynorsk" else "Bokmål",
        "_links": {"self": {"href": f"https://data.brreg.no{API_PREFIX}/enheter/{number}"}},
    }
    for key, value in (("epostadresse", email), ("telefon", phone), ("hjemmeside", website)):
        if value is not None:
            body[key] = value
    return body


class FakeEnhetsregister:
    """A threaded HTTP server on 127.0.0.1 (free port) serving entities from `entities` (orgnr -> body)."""

    def __init__(self, entities: dict[str, dict[str, Any]] | None = None, host: str = "127.0.0.1") -> None:
        self.entities: dict[str, dict[str, Any]] = dict(entities or {})
        self.deleted: dict[str, str] = {}  # orgnr -> slettedato
        self.scripted: dict[str, list[Scripted]] = {}  # request path (with query) -> responses, in order
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{API_PREFIX}"

    def script(self, orgnr: str, *responses: Scripted) -> None:
        """Serve these responses to the next requests for `orgnr`, before the normal answer."""
        self.scripted.setdefault(f"{API_PREFIX}/enheter/{orgnr}", []).extend(responses)

    def add_municipalities(self, municipalities: Iterable[Municipality]) -> None:
        """Plausible KOMM entities (postmottak@<domain>, a switchboard number) for every municipality."""
        for i, m in enumerate(municipalities):
            if m.orgnr:
                domain = m.domain or f"{m.kommunenummer}.kommune.no"
                phone = f"7{i:07d}"
                self.entities[m.orgnr] = municipality_entity(
                    m, email=f"postmottak@{domain}", phone=phone, website=f"www.{domain}"
                )

    def start(self) -> FakeEnhetsregister:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-brreg", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeEnhetsregister:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _respond(self, raw_path: str) -> Scripted:
        with self._lock:
            self.requests.append(raw_path)
            queue = self.scripted.get(urlsplit(raw_path).path)
            if queue:
                return queue.pop(0)
        parts = urlsplit(raw_path)
        path = parts.path.removeprefix(API_PREFIX)
        if path == "/enheter":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            hits = [
                e
                for e in self.entities.values()
                if e.get("forretningsadresse", {}).get("kommunenummer") == query.get("kommunenummer")
                and e.get("organisasjonsform", {}).get("kode") == query.get("organisasjonsform", "KOMM")
            ]
            body: dict[str, Any] = {
                "page": {"size": 20, "totalElements": len(hits), "totalPages": 1, "number": 0}
            }
            if hits:
                body["_embedded"] = {"enheter": hits}
            return Scripted(200, body)
        if path.startswith("/enheter/"):
            orgnr = path.removeprefix("/enheter/")
            if orgnr in self.deleted:
                return Scripted(410, {"organisasjonsnummer": orgnr, "slettedato": self.deleted[orgnr]})
            if orgnr in self.entities:
                return Scripted(200, self.entities[orgnr])
        return Scripted(
            404,
            {
                "timestamp": "2025-01-01T12:00:00.000+00:00",
                "status": 404,
                "error": "Not Found",
                "message": f"Ingen enhet funnet for {path}",
                "path": parts.path,
            },
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                answer = fake._respond(self.path)
                if answer.delay:
                    time.sleep(answer.delay)
                body = answer.body
                data = (body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
