"""Fill the register's contact data (e-mail, phone, website) from Enhetsregisteret.

Enhetsregisteret is where municipalities register their own official contact data, so it is the best
public source for `postmottak` and the switchboard number. One `GET {base}/enheter/{orgnr}` per municipality
(a search by kommunenummer when the orgnr is missing), with bounded concurrency, timeouts and retries.
Each municipality succeeds or fails on its own. The file is only written with `write=True`, and then only
the changed records are re-serialised: every other record keeps its bytes.

The default base URL is the real service; any base URL outside loopback is refused unless `live=True`, so
tests and CI never contact Brønnøysund.
"""

from __future__ import annotations

import asyncio
import csv
import email.utils
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx

from kommunetest.errors import LiveSendingRefused, UsageError, ValidationError
from kommunetest.loopback import is_loopback_url
from kommunetest.register import (
    COLUMNS,
    Municipality,
    Register,
    atomic_write_bytes,
    check_email,
    check_url,
    load_register,
    normalise_phone,
    validate_register,
)

BRREG_BASE_URL = "https://data.brreg.no/enhetsregisteret/api"
MUNICIPALITY_FORM = "KOMM"
MAX_RETRY_AFTER_S = 60.0

Status = Literal["changed", "unchanged", "failed"]


@dataclass
class FieldChange:
    field: str
    old: str
    new: str


@dataclass
class SyncOutcome:
    """What the sync found for one municipality."""

    kommunenummer: str
    name: str
    status: Status = "unchanged"
    changes: list[FieldChange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class SyncReport:
    outcomes: list[SyncOutcome]
    source: Path
    written: Path | None = None

    @property
    def changed(self) -> list[SyncOutcome]:
        return [o for o in self.outcomes if o.changes]

    @property
    def failed(self) -> list[SyncOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "written": str(self.written) if self.written else None,
            "counts": {
                "checked": len(self.outcomes),
                "changed": len(self.changed),
                "failed": len(self.failed),
            },
            "municipalities": [asdict(o) for o in self.outcomes],
        }


def check_base_url(base_url: str, live: bool) -> None:
    """Refuse a malformed base URL, and one outside loopback unless `live` (no request is made)."""
    problem = check_url(base_url)
    if problem:
        raise UsageError(f"bad --base-url: {problem[0]}", hint=problem[1])
    if not is_loopback_url(base_url) and not live:
        raise LiveSendingRefused(
            f"refusing to contact {urlsplit(base_url).hostname} without --live",
            hint="register sync fetches from Enhetsregisteret over the internet; pass --live to do that, "
            "or point --base-url at a loopback server (http://127.0.0.1:PORT/...) for a rehearsal",
        )


# --- fetching ----------------------------------------------------------------------------------------------


class FetchFailed(Exception):
    """One municipality could not be fetched; the message says why."""


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class Fetcher:
    """GET with retries: 429 and 5xx (honouring Retry-After) and network errors, with exponential backoff."""

    client: httpx.AsyncClient
    retries: int = 3
    backoff: float = 0.5
    semaphore: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))

    async def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        attempt = 0
        while True:
            async with self.semaphore:
                try:
                    response = await self.client.get(url, params=params)
                except httpx.TransportError as e:
                    if attempt >= self.retries:
                        raise FetchFailed(f"network error: {type(e).__name__}: {e}".rstrip(": ")) from e
                    delay = self.backoff * 2**attempt
                else:
                    retryable = response.status_code == 429 or response.status_code >= 500
                    if not retryable or attempt >= self.retries:
                        return response
                    wait = _retry_after(response)
                    delay = min(wait, MAX_RETRY_AFTER_S) if wait is not None else self.backoff * 2**attempt
            attempt += 1
            await asyncio.sleep(delay)

    async def entity(self, orgnr: str) -> dict[str, Any]:
        response = await self.get(f"/enheter/{orgnr}")
        if response.status_code == 404:
            raise FetchFailed(f"orgnr {orgnr} not found in Enhetsregisteret (404)")
        if response.status_code == 410:
            deleted = _json(response).get("slettedato") if _is_json_object(response) else None
            raise FetchFailed(f"orgnr {orgnr} is deleted from Enhetsregisteret (410, slettedato {deleted})")
        if response.status_code != 200:
            raise FetchFailed(f"HTTP {response.status_code} for orgnr {orgnr}")
        return _json(response)

    async def find_municipality(self, knr: str) -> str:
        """The orgnr of the KOMM entity whose business address is in municipality `knr`."""
        response = await self.get(
            "/enheter", params={"kommunenummer": knr, "organisasjonsform": MUNICIPALITY_FORM}
        )
        if response.status_code != 200:
            raise FetchFailed(f"HTTP {response.status_code} searching for kommunenummer {knr}")
        hits = _json(response).get("_embedded", {}).get("enheter", [])
        numbers = sorted({str(h.get("organisasjonsnummer")) for h in hits if isinstance(h, dict)})
        if len(numbers) != 1:
            raise FetchFailed(
                f"no orgnr in the register, and the search by kommunenummer found {len(numbers)} "
                f"municipality entities ({', '.join(numbers) or 'none'}); fill in orgnr by hand"
            )
        return numbers[0]


def _is_json_object(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError as e:
        raise FetchFailed(f"response is not JSON (HTTP {response.status_code})") from e
    if not isinstance(data, dict):
        raise FetchFailed("response is not a JSON object")
    return data


# --- comparing ---------------------------------------------------------------------------------------------


def _same_website(ours: str, theirs: str) -> bool:
    a, b = urlsplit(ours), urlsplit(theirs)
    host_a = (a.hostname or "").removeprefix("www.")
    host_b = (b.hostname or "").removeprefix("www.")
    return host_a == host_b and a.path.rstrip("/") == b.path.rstrip("/") and a.query == b.query


# Notes are "; "-separated items that start with the column they are about ("orgnr: missing, ...");
# an item may itself contain "; ", so items are split only where a column name follows.
_NOTE_ITEM = re.compile(rf";\s+(?=(?:{'|'.join(COLUMNS)}):\s)")


def _drop_notes(notes: str, fields: Iterable[str]) -> str:
    """`notes` without the items about `fields` (the sync has settled them)."""
    prefixes = tuple(f"{f}:" for f in fields)
    return "; ".join(p for p in _NOTE_ITEM.split(notes) if p and not p.startswith(prefixes))


def _name_matches(m: Municipality, navn: str) -> bool:
    words = set(re.split(r"[\s/\-]+", navn.casefold()))
    return any(n and set(re.split(r"[\s/\-]+", n.casefold())) <= words for n in (m.name, m.name_alt))


def compare(m: Municipality, row: dict[str, str], entity: dict[str, Any], orgnr: str) -> SyncOutcome:
    """The changes Enhetsregisteret's entity implies for one row, and what is wrong with its values."""
    out = SyncOutcome(m.kommunenummer, m.name)
    form = entity.get("organisasjonsform") or {}
    navn = str(entity.get("navn", ""))
    if str(entity.get("organisasjonsnummer")) != orgnr:
        out.problems.append(f"asked for orgnr {orgnr}, got {entity.get('organisasjonsnummer')!r}")
    elif entity.get("slettedato"):
        out.problems.append(f"orgnr {orgnr} ({navn}) was deleted on {entity['slettedato']}")
    elif form.get("kode") != MUNICIPALITY_FORM:
        out.problems.append(
            f"orgnr {orgnr} ({navn}) is not a municipality: organisasjonsform "
            f"{form.get('kode')} {form.get('beskrivelse', '')}".rstrip()
        )
    else:
        addresses = [entity.get(k) or {} for k in ("forretningsadresse", "postadresse")]
        if not any(a.get("kommunenummer") == m.kommunenummer for a in addresses) and not _name_matches(
            m, navn
        ):
            out.problems.append(f"orgnr {orgnr} belongs to {navn}, not to {m.name} ({m.kommunenummer})")
    if out.problems:
        out.status = "failed"
        return out

    new = dict(row)
    resolved = ["orgnr"]
    if row.get("orgnr", "") != orgnr:
        new["orgnr"] = orgnr

    raw_email = str(entity.get("epostadresse") or "").strip()
    if raw_email:
        if check_email(raw_email):
            out.problems.append(f"invalid e-mail address from Enhetsregisteret: {raw_email!r} (kept ours)")
        elif raw_email.casefold() != row.get("email", "").casefold():
            new["email"] = raw_email

    raw_phone = str(entity.get("telefon") or entity.get("mobil") or "").strip()
    if raw_phone:
        phone = normalise_phone(raw_phone)
        if phone is None:
            out.problems.append(f"invalid phone number from Enhetsregisteret: {raw_phone!r} (kept ours)")
        elif phone != normalise_phone(row.get("phone", "")):
            new["phone"] = phone

    raw_site = str(entity.get("hjemmeside") or "").strip()
    if raw_site:
        site = raw_site if re.match(r"^https?://", raw_site, re.I) else f"https://{raw_site}"
        if check_url(site):
            out.problems.append(f"invalid website from Enhetsregisteret: {raw_site!r} (kept ours)")
        else:
            resolved.append("website")
            if not (row.get("website") and _same_website(row["website"], site)):
                new["website"] = site

    new["notes"] = _drop_notes(row.get("notes", ""), resolved)
    out.changes = [
        FieldChange(c, row.get(c, ""), new[c]) for c in COLUMNS if new.get(c, "") != row.get(c, "")
    ]
    out.status = "failed" if out.problems else ("changed" if out.changes else "unchanged")
    return out


# --- the file --------------------------------------------------------------------------------------------


@dataclass
class _RawFile:
    bom: str
    header: list[str]
    header_raw: str
    records: list[tuple[list[str], str]]  # (fields, raw text including its line ending)


def _read_raw(path: Path) -> _RawFile:
    text = path.read_bytes().decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    buffer: list[str] = []

    def lines() -> Iterable[str]:
        for line in io.StringIO(text.removeprefix(bom), newline=""):
            buffer.append(line)
            yield line

    records: list[tuple[list[str], str]] = []
    for record in csv.reader(lines(), strict=True):
        records.append((record, "".join(buffer)))
        buffer.clear()
    (header, header_raw), *rest = records
    return _RawFile(bom, header, header_raw, rest)


def _render(raw: _RawFile, updates: dict[str, dict[str, str]]) -> str:
    """The file with `updates` (kommunenummer -> column -> value) applied to those records only."""
    parts = [raw.bom, raw.header_raw]
    knr_index = raw.header.index("kommunenummer")
    for fields, text in raw.records:
        change = updates.get(fields[knr_index]) if len(fields) > knr_index else None
        if not change:
            parts.append(text)
            continue
        values = [change.get(col, value) for col, value in zip(raw.header, fields, strict=True)]
        ending = next((e for e in ("\r\n", "\n", "\r") if text.endswith(e)), "")
        buf = io.StringIO()
        csv.writer(buf, lineterminator=ending).writerow(values)
        parts.append(buf.getvalue())
    return "".join(parts)


def _check_written(tmp: Path) -> None:
    _, problems = validate_register(tmp)
    if problems:
        raise ValidationError(problems, summary="the synced register would be invalid; nothing was written")


# --- the whole run -----------------------------------------------------------------------------------------


async def _sync_one(fetcher: Fetcher, m: Municipality, row: dict[str, str]) -> SyncOutcome:
    try:
        orgnr = m.orgnr or await fetcher.find_municipality(m.kommunenummer)
        entity = await fetcher.entity(orgnr)
        return compare(m, row, entity, orgnr)
    except FetchFailed as e:
        return SyncOutcome(m.kommunenummer, m.name, status="failed", problems=[str(e)])
    except (httpx.HTTPError, AttributeError, TypeError, KeyError, ValueError) as e:  # odd responses
        problem = f"unexpected response: {type(e).__name__}: {e}"
        return SyncOutcome(m.kommunenummer, m.name, status="failed", problems=[problem])


async def sync_register_async(
    path: Path | str,
    *,
    base_url: str = BRREG_BASE_URL,
    municipalities: Iterable[str] | None = None,
    write: bool = False,
    write_to: Path | str | None = None,
    live: bool = False,
    concurrency: int = 8,
    timeout: float = 10.0,
    retries: int = 3,
    backoff: float = 0.5,
    user_agent: str = "kommunetest",
) -> SyncReport:
    """Fetch, compare and (with `write`) save. `write_to` defaults to `path`."""
    check_base_url(base_url, live)
    if concurrency < 1:
        raise UsageError("concurrency must be at least 1")
    path = Path(path)
    register: Register = load_register(path)
    raw = _read_raw(path)
    rows = {
        fields[raw.header.index("kommunenummer")]: dict(zip(raw.header, fields, strict=True))
        for fields, _ in raw.records
    }
    chosen = [register.get(k) for k in municipalities] if municipalities else list(register)
    chosen = list({m.kommunenummer: m for m in chosen}.values())

    async with httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        timeout=httpx.Timeout(timeout),
        headers={"Accept": "application/json", "User-Agent": user_agent},
        follow_redirects=False,
        trust_env=not is_loopback_url(base_url),
    ) as client:
        fetcher = Fetcher(client, retries=retries, backoff=backoff, semaphore=asyncio.Semaphore(concurrency))
        outcomes = await asyncio.gather(*(_sync_one(fetcher, m, rows[m.kommunenummer]) for m in chosen))

    report = SyncReport(list(outcomes), source=path)
    if write and report.changed:
        target = Path(write_to) if write_to else path
        updates = {o.kommunenummer: {c.field: c.new for c in o.changes} for o in report.changed}
        atomic_write_bytes(target, _render(raw, updates).encode("utf-8"), check=_check_written)
        report.written = target
    return report


def sync_register(path: Path | str, **options: Any) -> SyncReport:
    """`sync_register_async` for callers without an event loop (the CLI)."""
    return asyncio.run(sync_register_async(path, **options))
