"""Our sent messages as matching needs them: from the outbox, with each municipality's domains and name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kommunetest.channels.email.match import MatchIndex, SentMessage, municipality_domains, normalize_id
from kommunetest.channels.email.parse import parse_mail
from kommunetest.channels.email.render import bare_name
from kommunetest.settings import Settings

if TYPE_CHECKING:
    from kommunetest.store import Store


def _body_loader(path: Path) -> Callable[[], str]:
    """The question's text, read from the exact bytes sent, only when matching needs it."""

    def load() -> str:
        try:
            return parse_mail(path.read_bytes()).text
        except OSError:
            return ""

    return load


def sent_messages(store: Store) -> list[SentMessage]:
    """Every message we rendered (any state: a reply proves it went out), oldest first."""
    rows = store.outbox_rows()
    munis: dict[tuple[str, str], dict[str, Any]] = {}
    for name in {r["round_name"] for r in rows}:
        for m in store.round_municipalities(name):
            munis[(name, m["kommunenummer"])] = m
    probes: dict[str, dict[str, Any]] = {}
    for name in {r["round_name"] for r in rows}:
        for p in store.probes(name, channel="email"):
            probes[p["id"]] = p
    out = []
    for r in rows:
        probe = probes.get(r["probe_id"])
        knr = probe["kommunenummer"] if probe else ""
        muni = munis.get((r["round_name"], knr))
        out.append(
            SentMessage(
                probe_id=r["probe_id"],
                part=r["part"],
                persona_id=r["persona_id"],
                message_id=normalize_id(r["message_id"]) or r["message_id"],
                recipient=r["recipient"],
                subject=r["subject"],
                kommunenummer=knr,
                municipality=bare_name(muni["name"]) if muni else "",
                round_name=r["round_name"],
                sent_at=r["sent_at"],
                domains=municipality_domains(r["recipient"], muni),
                body_loader=_body_loader(store.results_dir / r["evidence_path"]),
            )
        )
    return out


def build_index(settings: Settings, store: Store) -> MatchIndex:
    return MatchIndex(sent_messages(store), related_domains=settings.email.related_domains)
