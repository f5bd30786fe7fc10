"""Which probe does a received message answer?

In order, the first that decides wins (every match records its method):

1. headers: In-Reply-To, then References, naming one of our Message-IDs (`in_reply_to`, `references`);
2. one of our Message-IDs inside the message, as bounces and some forwards carry the original's headers
   (`embedded_id`); a bounce whose failed recipient is an address this persona wrote to (`bounce_recipient`);
3. among the probes of the persona whose mailbox it arrived in, sent before it arrived:
   the subject (reply prefixes stripped) together with the sender's domain being the municipality's or a
   department's (`subject_domain`); the municipality's domain when the persona wrote to it only once
   (`domain_persona`); the reply quoting the question (`quoted_text`, also from any other domain: a forward
   from an inter-municipal service); the subject alone when it names one probe only (`subject`).

What none of them decides is left unmatched, for `email review`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from kommunetest.channels.email.classify import bounce_recipients
from kommunetest.channels.email.parse import ParsedMail

_PREFIX = re.compile(
    r"^\s*(?:(?:re|sv|vs|fw|fwd|aw|wg|tr|svar|videresend|vidaresend|videresendt|automatisk svar|automatic reply|"
    r"autosvar|auto|fraværsmelding|fråværsmelding|out of office|ikke til stede|ikkje til stades|kvittering|"
    r"din henvendelse er registrert|di henvending er registrert|mottatt)\s*(?:\[\d+\])?\s*[:：]\s*"
    r"|\[[^\]]{1,30}\]\s*)+",
    re.IGNORECASE,
)
_MSGID = re.compile(rb"<[^<>\s@]{1,200}@[^<>\s@]{1,200}>")
_WORD = re.compile(r"[0-9a-zæøåäöéèü]+")
SHINGLE = 3
QUOTE_MIN = 0.5  # share of the question's word triples a reply must quote to match by quoted text
QUOTE_MARGIN = 0.1  # ... and by this much more than the next probe
CLOCK_SLACK = timedelta(hours=1)  # a reply "before" its question: clocks differ a little at most
RAW_SCAN = 600_000  # bytes of a message searched for embedded Message-IDs


def normalize_id(message_id: str | None) -> str | None:
    if not message_id:
        return None
    mid = message_id.strip().lower()
    if not mid:
        return None
    return mid if mid.startswith("<") else f"<{mid}>"


def normalize_subject(subject: str | None) -> str:
    """Reply and forward prefixes (Re:, SV:, VS:, Fwd:, AW:, "Automatisk svar:", tags) stripped, folded."""
    s = unicodedata.normalize("NFC", subject or "")
    prev = None
    while prev != s:
        prev = s
        s = _PREFIX.sub("", s)
    s = " ".join(s.casefold().split())
    return s.strip(" .,:;-–!?\"'")


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").lower().rstrip(".") or None


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    if not host:
        return None
    return host.lower().removeprefix("www.")


def _in_domain(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFC", text).casefold())


def shingles(text: str, n: int = SHINGLE) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(max(0, len(w) - n + 1))}


@dataclass
class SentMessage:
    """One of our messages (an outbox row), with what matching needs to know about its probe."""

    probe_id: str
    part: str
    persona_id: str
    message_id: str
    recipient: str
    subject: str
    kommunenummer: str
    municipality: str  # the bare name, e.g. "Bodø"
    round_name: str
    sent_at: datetime | None
    domains: frozenset[str]
    body_loader: Callable[[], str] | None = None
    _body: str | None = field(default=None, repr=False)

    @property
    def body(self) -> str:
        if self._body is None:
            self._body = self.body_loader() if self.body_loader else ""
        return self._body

    @property
    def norm_subject(self) -> str:
        return normalize_subject(self.subject)


@dataclass(frozen=True)
class Match:
    sent: SentMessage
    method: str
    detail: dict[str, Any]


def municipality_domains(recipient: str, municipality: Mapping[str, Any] | None) -> frozenset[str]:
    """The domains a municipality answers from: its postmottak's, its register e-mail's and its website's."""
    out = {domain_of(recipient)}
    if municipality:
        out.add(domain_of(municipality.get("email")))
        out.add(host_of(municipality.get("website")))
    return frozenset(d for d in out if d)


class MatchIndex:
    """Our sent messages, indexed for matching one poll's worth of received mail."""

    def __init__(self, sent: Iterable[SentMessage], *, related_domains: Sequence[str] = ()) -> None:
        self.sent = list(sent)
        self.by_id = {s.message_id: s for s in self.sent}
        self.by_persona: dict[str, list[SentMessage]] = {}
        for s in self.sent:
            self.by_persona.setdefault(s.persona_id, []).append(s)
        self.related = [d.strip().lower() for d in related_domains if d.strip()]

    def is_own(self, message_id: str | None) -> bool:
        mid = normalize_id(message_id)
        return mid is not None and mid in self.by_id

    def get(self, message_id: str | None) -> SentMessage | None:
        mid = normalize_id(message_id)
        return self.by_id.get(mid) if mid else None

    # -- the decision ------------------------------------------------------------------------------------
    def match(
        self, mail: ParsedMail, persona_id: str, received_at: datetime | None, raw: bytes | None = None
    ) -> Match | None:
        hit = self.get(mail.in_reply_to)
        if hit is not None:
            return Match(hit, "in_reply_to", {"message_id": hit.message_id})
        for ref in reversed(mail.references):
            hit = self.get(ref)
            if hit is not None:
                return Match(hit, "references", {"message_id": hit.message_id})
        if raw is not None:
            found = self._embedded(raw, mail.message_id)
            if found is not None:
                return Match(found, "embedded_id", {"message_id": found.message_id})
        candidates = [
            s
            for s in self.by_persona.get(persona_id, [])
            if received_at is None or s.sent_at is None or s.sent_at <= received_at + CLOCK_SLACK
        ]
        if not candidates:
            return None
        bounced = {r.address.lower() for r in bounce_recipients(mail) if r.address}
        if bounced:
            hits = [s for s in candidates if s.recipient.lower() in bounced]
            if hits:
                best = _latest(hits)
                return Match(best, "bounce_recipient", {"recipient": best.recipient})
        return self._by_content(mail, candidates)

    def _embedded(self, raw: bytes, own_id: str | None) -> SentMessage | None:
        own = normalize_id(own_id)
        for m in _MSGID.finditer(raw[:RAW_SCAN]):
            mid = m.group(0).decode("latin-1").lower()
            if mid != own and mid in self.by_id:
                return self.by_id[mid]
        return None

    def _domain(self, sender: str | None, s: SentMessage) -> str:
        if sender is None:
            return "none"
        if any(_in_domain(sender, d) for d in s.domains):
            return "municipality"
        if any(_in_domain(sender, d) for d in self.related):
            return "related"
        return "other"

    def _by_content(self, mail: ParsedMail, candidates: list[SentMessage]) -> Match | None:
        sender = domain_of(mail.from_addr)
        subject = normalize_subject(mail.subject)
        text = mail.text or ""
        _, quoted = mail.quoted_split()
        quoted_text = quoted or text  # forwarded inline: the question sits in the body
        folded_text = text.casefold()

        def subject_equal(s: SentMessage) -> bool:
            return bool(subject) and subject == s.norm_subject

        def subject_within(s: SentMessage) -> bool:
            ns = s.norm_subject
            return len(ns) >= 8 and ns in subject

        domain = {id(s): self._domain(sender, s) for s in candidates}
        own_muni = [s for s in candidates if domain[id(s)] == "municipality"]

        # a) subject and the municipality's (or a department's) domain
        hits = [s for s in own_muni if subject_equal(s) or subject_within(s)]
        if hits:
            best = self._prefer(hits, quoted_text, folded_text)
            return Match(best, "subject_domain", {"subject": subject, "sender_domain": sender})
        # b) the municipality's domain, when this persona wrote to it only once
        by_knr: dict[str, list[SentMessage]] = {}
        for s in own_muni:
            by_knr.setdefault(s.kommunenummer, []).append(s)
        if len(by_knr) == 1:
            (only,) = by_knr.values()
            if len({s.probe_id for s in only}) == 1:  # one probe (its question, perhaps its follow-up)
                best = _latest(only)
                return Match(best, "domain_persona", {"sender_domain": sender})
        # c) the question quoted (from any domain: forwards from departments and inter-municipal services)
        if quoted_text.strip():
            scored = sorted(
                ((self._overlap(s, quoted_text), s) for s in candidates), key=lambda x: x[0], reverse=True
            )
            best_score, best = scored[0]
            if best_score >= QUOTE_MIN:
                tied = [s for sc, s in scored if best_score - sc < QUOTE_MARGIN]
                if len(tied) > 1:
                    named = [s for s in tied if s.municipality and s.municipality.casefold() in folded_text]
                    tied = named if len(named) == 1 else tied
                if len(tied) == 1:
                    return Match(
                        tied[0], "quoted_text", {"overlap": round(best_score, 3), "sender_domain": sender}
                    )
        # d) the subject alone, when it names one probe of this persona
        hits = [s for s in candidates if subject_equal(s) or subject_within(s)]
        if len(hits) == 1:
            return Match(hits[0], "subject", {"subject": subject, "sender_domain": sender})
        if hits:
            named = [s for s in hits if s.municipality and s.municipality.casefold() in folded_text]
            if len(named) == 1:
                return Match(named[0], "subject", {"subject": subject, "named": named[0].municipality})
        return None

    def _overlap(self, s: SentMessage, quoted: str) -> float:
        q = shingles(s.body)
        if not q:
            return 0.0
        return len(q & shingles(quoted)) / len(q)

    def _prefer(self, hits: list[SentMessage], quoted: str, folded: str) -> SentMessage:
        """Of several candidates: the one clearly quoted, else the one named, else the latest sent."""
        if len(hits) == 1:
            return hits[0]
        scored = sorted(((self._overlap(s, quoted), s) for s in hits), key=lambda x: x[0], reverse=True)
        if scored[0][0] >= QUOTE_MIN and scored[0][0] - scored[1][0] >= QUOTE_MARGIN:
            return scored[0][1]
        named = [s for s in hits if s.municipality and s.municipality.casefold() in folded]
        return _latest(named if len(named) == 1 else hits)


def _latest(hits: Sequence[SentMessage]) -> SentMessage:
    """The most recently sent (the reply most likely answers the newest question)."""
    return max(hits, key=lambda s: (s.sent_at is not None, s.sent_at or datetime.min, s.part == "follow_up"))
