"""Fetching replies: incremental IMAP sync per persona and folder, then matching, classifying and applying.

Per folder the store remembers UIDVALIDITY and the last UID stored. A poll asks for the folder's STATUS
and stops there when UIDNEXT shows nothing new; otherwise it selects the folder read-only (EXAMINE: flags are
never changed) and fetches only UIDs above the last one (`UID SEARCH n+1:*` answers with the newest message
even when there is nothing above n, so the answer is filtered), in batches. Each batch is committed together with the new last UID, so a
poll cut off at any point (the server going away, a kill) resumes where it stopped: nothing is lost and the
unique keys make sure nothing is stored twice. A new UIDVALIDITY resyncs the folder; the content key
(SHA-256 of the bytes with the Message-ID) keeps what was stored before from being stored again.

A connection that breaks is reopened with backoff for `email.imap_reconnect_s`. A message that cannot be
read is stored and quarantined with its reason. Our own Bcc self-copies are recognised by their Message-ID.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from imapclient import imapclient as _flags
from imapclient.exceptions import LoginError

from kommunetest.channels.email.classify import bounce_recipients, classify
from kommunetest.channels.email.match import Match, MatchIndex, normalize_id
from kommunetest.channels.email.parse import ParsedMail, parse_mail
from kommunetest.channels.email.persona_imap import IMAP_ERRORS, PersonaMailbox
from kommunetest.channels.email.results import ResultsContext, apply_probe, close_overdue
from kommunetest.channels.email.sentindex import build_index
from kommunetest.errors import ConfigError, RemoteError
from kommunetest.settings import Persona, Settings

if TYPE_CHECKING:
    from imapclient import IMAPClient

    from kommunetest.store import Store

Echo = Callable[[str], None]
BACKOFF = (0.2, 0.5, 1.0, 2.0, 4.0, 8.0)
FETCH_ITEMS = ["BODY.PEEK[]", "INTERNALDATE"]


@dataclass
class PollStats:
    """What one poll did; `summary()` is the line `kommunetest run` prints."""

    personas: int = 0
    folders: int = 0
    fetched: int = 0  # messages whose bodies were fetched
    bytes_fetched: int = 0  # message bytes fetched
    wire_bytes: int = 0  # bytes read from the IMAP connections, protocol included
    stored: int = 0
    duplicates: int = 0
    own: int = 0
    matched: int = 0
    unmatched: int = 0
    quarantined: int = 0
    reconnects: int = 0
    uidvalidity_resets: int = 0
    probes_updated: int = 0
    answered: int = 0
    closed: list[str] = field(default_factory=list)
    follow_ups_due: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (persona, why)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.stored} new message(s)"]
        for label, n in (
            ("replies matched", self.matched), ("unmatched", self.unmatched), ("quarantined", self.quarantined),
            ("own copies", self.own), ("already stored", self.duplicates), ("reconnects", self.reconnects),
            ("probes answered", self.answered), ("closed unanswered", len(self.closed)),
            ("follow-ups due", len(self.follow_ups_due)), ("addresses flagged", len(set(self.flagged))),
        ):  # fmt: skip
            if n:
                parts.append(f"{label} {n}")
        text = ", ".join(parts)
        if self.skipped:
            text += "; skipped: " + "; ".join(f"{p} ({why})" for p, why in self.skipped)
        if self.errors:
            text += "; errors: " + "; ".join(self.errors)
        return text


def _count_wire(client: IMAPClient, stats: PollStats) -> None:
    """Count the bytes imaplib reads (every response line and literal goes through read/readline)."""
    imap = getattr(client, "_imap", None)
    if imap is None:
        return
    read, readline = imap.read, imap.readline

    def counted_read(size: int) -> bytes:
        data = read(size)
        stats.wire_bytes += len(data)
        return data

    def counted_readline() -> bytes:
        data = readline()
        stats.wire_bytes += len(data)
        return data

    imap.read, imap.readline = counted_read, counted_readline


class PersonaSync:
    """Sync one persona's folders into the store, reconnecting when the server goes away."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        persona: Persona,
        index: MatchIndex,
        stats: PollStats,
        *,
        env: Mapping[str, str] | None = None,
        echo: Echo | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.persona = persona
        self.index = index
        self.stats = stats
        self.env = env
        self.echo = echo
        self.box: PersonaMailbox | None = None
        self.touched: set[str] = set()

    # -- connection --------------------------------------------------------------------------------------
    def _client(self) -> IMAPClient:
        if self.box is None:
            self.box = PersonaMailbox(self.persona, env=self.env, timeout=self.settings.email.smtp_timeout_s)
            self.box.client.normalise_times = False  # INTERNALDATE with its zone, not local naive time
            _count_wire(self.box.client, self.stats)
        return self.box.client

    def close(self) -> None:
        if self.box is not None:
            with contextlib.suppress(*IMAP_ERRORS):
                self.box.close()
            self.box = None

    def _drop(self) -> None:
        if self.box is not None:
            with contextlib.suppress(*IMAP_ERRORS):
                self.box.client.shutdown()
            self.box = None

    def folders(self) -> list[str]:
        folders = list(dict.fromkeys(self.settings.email.poll_folders or ["INBOX"]))
        if self.settings.email.poll_junk:
            junk = self._with_retry(lambda: self._client().find_special_folder(_flags.JUNK))
            if junk and junk not in folders:
                folders.append(junk)
        return folders

    def _with_retry(self, fn: Callable[[], Any]) -> Any:
        """Run `fn`, reopening the connection with backoff while the server is away (up to the budget,
        which starts again after each committed batch)."""
        attempt = 0
        self._deadline = time.monotonic() + self.settings.email.imap_reconnect_s
        while True:
            try:
                return fn()
            except RemoteError as e:
                if isinstance(e.__cause__, LoginError):
                    raise
                error: Exception = e
            except IMAP_ERRORS as e:
                error = e
            self._drop()
            if time.monotonic() >= self._deadline:
                raise RemoteError(
                    f"persona {self.persona.id}: IMAP {self.persona.imap_host}:{self.persona.imap_port} "
                    f"unreachable for {self.settings.email.imap_reconnect_s:g} s: {error}",
                    hint="the next poll resumes where this one stopped",
                ) from error
            self.stats.reconnects += 1
            if self.echo:
                self.echo(f"persona {self.persona.id}: connection lost ({error}); reconnecting")
            time.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            attempt += 1

    # -- sync ----------------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            for folder in self.folders():
                self._with_retry(lambda f=folder: self.sync_folder(f))
                self.stats.folders += 1
        finally:
            self.close()

    def sync_folder(self, folder: str) -> None:
        """Fetch what is new in one folder; safe to call again after any failure (it resumes)."""
        client = self._client()
        if folder.upper() != "INBOX" and not client.folder_exists(folder):
            return
        state = self.store.mail_folder_state(self.persona.id, folder)
        if state is not None:
            # STATUS first: it costs the server almost nothing, where SELECT can grow with the mailbox
            status = client.folder_status(folder, [b"UIDNEXT", b"UIDVALIDITY"])
            if (
                int(status.get(b"UIDVALIDITY", -1)) == state["uidvalidity"]
                and b"UIDNEXT" in status
                and int(status[b"UIDNEXT"]) <= int(state["last_uid"]) + 1
            ):
                return
        info = client.select_folder(folder, readonly=True)
        uidvalidity = int(info[b"UIDVALIDITY"])
        uidnext = int(info[b"UIDNEXT"]) if b"UIDNEXT" in info else None
        if state is None:
            self.store.mail_set_folder(self.persona.id, folder, uidvalidity, 0)
            last = 0
        elif state["uidvalidity"] != uidvalidity:
            self.stats.uidvalidity_resets += 1
            if self.echo:
                self.echo(f"persona {self.persona.id}: {folder} has a new UIDVALIDITY; resyncing it")
            self.store.mail_set_folder(self.persona.id, folder, uidvalidity, 0)
            last = 0
        else:
            last = int(state["last_uid"])
        if uidnext is not None and uidnext <= last + 1:
            return  # nothing new: no SEARCH, no FETCH
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        batch_size = self.settings.email.poll_batch
        for start in range(0, len(uids), batch_size):
            batch = uids[start : start + batch_size]
            data = client.fetch(batch, FETCH_ITEMS)
            rows = []
            for uid in batch:
                item = data.get(uid)
                if item is None:
                    continue  # expunged since the search: nothing to keep
                raw = item.get(b"BODY[]") or b""
                self.stats.fetched += 1
                self.stats.bytes_fetched += len(raw)
                rows.append(self.process(raw, item.get(b"INTERNALDATE"), uid))
            self._write_evidence(rows)
            result = self.store.mail_store_batch(self.persona.id, folder, uidvalidity, rows, batch[-1])
            self.stats.duplicates += result.duplicates
            self.stats.stored += len(result.inserted)
            for row in result.inserted:
                status = row["status"]
                if status == "own":
                    self.stats.own += 1
                elif status == "matched":
                    self.stats.matched += 1
                elif status == "unmatched":
                    self.stats.unmatched += 1
                else:
                    self.stats.quarantined += 1
                if row.get("probe_id") and status != "own":
                    self.touched.add(row["probe_id"])
            self._deadline = time.monotonic() + self.settings.email.imap_reconnect_s

    # -- one message ---------------------------------------------------------------------------------------
    def process(self, raw: bytes, internaldate: Any, uid: int) -> dict[str, Any]:
        """One fetched message → a mail_messages row (with its evidence), never an exception."""
        sha = hashlib.sha256(raw).hexdigest()
        received = _aware(internaldate)
        try:
            return self._process(raw, sha, received, uid)
        except Exception as e:  # a bug or an input nobody foresaw must not stop the poll or lose the mail
            return self._row(raw, sha, received, uid, ParsedMail(), status="quarantined",
                             quarantine=f"processing failed: {type(e).__name__}: {str(e)[:200]}")  # fmt: skip

    def _process(self, raw: bytes, sha: str, received: datetime | None, uid: int) -> dict[str, Any]:
        mail = parse_mail(raw)
        received = received or mail.date or datetime.now(UTC)
        own = self.index.get(mail.message_id)
        if own is not None:
            return self._row(
                raw, sha, received, uid, mail, status="own", probe_id=own.probe_id, part=own.part,
                method="own", reasons=[f"our own copy of {own.probe_id} ({own.part})"], evidence=False,
            )  # fmt: skip
        match: Match | None = self.index.match(mail, self.persona.id, received, raw)
        question = match.sent.body if match else None
        c = classify(mail, question=question or None)
        bounces = [r.to_dict() for r in bounce_recipients(mail)] if c.kind == "bounce" else []
        status = "quarantined" if mail.quarantine_reason else ("matched" if match else "unmatched")
        return self._row(
            raw, sha, received, uid, mail, status=status, kind=c.kind, reasons=c.reasons, confidence=c.confidence,
            probe_id=match.sent.probe_id if match else None, part=match.sent.part if match else None,
            method=match.method if match else None, detail=match.detail if match else {},
            quarantine=mail.quarantine_reason, bounces=bounces,
        )  # fmt: skip

    def _row(
        self,
        raw: bytes,
        sha: str,
        received: datetime | None,
        uid: int,
        mail: ParsedMail,
        *,
        status: str,
        kind: str | None = None,
        reasons: list[str] | None = None,
        confidence: float | None = None,
        probe_id: str | None = None,
        part: str | None = None,
        method: str | None = None,
        detail: dict[str, Any] | None = None,
        quarantine: str | None = None,
        bounces: list[dict[str, Any]] | None = None,
        evidence: bool = True,
    ) -> dict[str, Any]:
        mid = normalize_id(mail.message_id)
        row: dict[str, Any] = {
            "uid": uid,
            "dedup_key": hashlib.sha256(f"{sha}\n{mid or ''}".encode()).hexdigest(),
            "message_id": mid[:500] if mid else None,
            "in_reply_to": (normalize_id(mail.in_reply_to) or "")[:500] or None,
            "references": [r[:500] for r in mail.references[-30:]],
            "sha256": sha,
            "size": len(raw),
            "evidence_path": None,
            "received_at": received or datetime.now(UTC),
            "date_header": _aware(mail.date),
            "from_addr": (mail.from_addr or "")[:320] or None,
            "from_name": (mail.from_name or "")[:320] or None,
            "subject": (mail.subject or "")[:2000],
            "status": status,
            "kind": kind,
            "kind_override": None,
            "reasons": list(reasons or []),
            "confidence": confidence,
            "quarantine_reason": quarantine,
            "defects": list(mail.defects[:20]),
            "bounce_recipients": bounces or [],
            "probe_id": probe_id,
            "part": part,
            "match_method": method,
            "match_detail": detail or {},
            "applied": status != "matched",
        }
        if evidence:
            row["_raw"] = raw  # written as evidence for the whole batch at once (`_write_evidence`)
        return row

    def _write_evidence(self, rows: list[dict[str, Any]]) -> None:
        """Keep each message's exact bytes (fsynced) before the batch that refers to them is committed."""
        need = [r for r in rows if "_raw" in r]
        written = self.store.write_blobs([r.pop("_raw") for r in need], ".eml")
        for row, (sha, rel) in zip(need, written, strict=True):
            row["evidence_path"] = rel
            row["_evidence"] = {
                "sha256": sha,
                "kind": "eml",
                "path": rel,
                "size": row["size"],
                "media_type": "message/rfc822",
                "meta": {"direction": "incoming", "persona": self.persona.id, "uid": row["uid"]},
            }


def _aware(t: Any) -> datetime | None:
    if not isinstance(t, datetime):
        return None
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def poll_all(
    settings: Settings,
    store: Store,
    round_name: str | None = None,
    *,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
    echo: Echo | None = None,
    personas: list[str] | None = None,
) -> PollStats:
    """Fetch new mail for every persona, match and classify it, update the probes it answers, and close
    probes overdue (of `round_name`, or of every round). `now` is the run's clock (default: real time)."""
    stats = PollStats()
    index = build_index(settings, store)
    touched: set[str] = set()
    for persona in settings.email.personas:
        if personas is not None and persona.id not in personas:
            continue
        if persona.password(env) is None:
            stats.skipped.append((persona.id, f"no password in {persona.password_env}; not polled"))
            continue
        sync = PersonaSync(settings, store, persona, index, stats, env=env, echo=echo)
        stats.personas += 1
        try:
            sync.run()
        except (RemoteError, ConfigError) as e:
            stats.errors.append(str(e))
        touched |= sync.touched
    ctx = ResultsContext.create(settings, now)
    for pid in sorted(touched | set(store.mail_unapplied_probes())):
        applied = apply_probe(store, ctx, pid)
        stats.probes_updated += 1
        stats.answered += int(applied.answered)
        stats.flagged += applied.flagged
        if applied.follow_up_due:
            stats.follow_ups_due.append(pid)
    stats.closed = close_overdue(store, ctx, round_name)
    stats.warnings += ctx.warnings
    return stats
