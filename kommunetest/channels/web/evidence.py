"""Evidence and observation values for the web channel.

Every found item is backed by the page as it was fetched (HTML or PDF, content-addressed by SHA-256, with the
URL and fetch time in the row's meta) and, when screenshots are on, a PNG of the viewport with the passage
highlighted, on desktop and on mobile. A screenshot is taken again only when the page changed: its meta keeps
the SHA-256 of the page version it shows (`page_sha256`), so re-running a check adds nothing for an unchanged
site.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kommunetest.channels.web.facts import Fact
from kommunetest.channels.web.grade import ItemGrade

KEYS = ("desktop", "mobile")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class PageSource:
    """The bytes that back a grade: what was fetched (or what the browser rendered) from `url`."""

    url: str
    data: bytes
    media_type: str  # text/html, application/pdf
    fetched_at: datetime
    rendered: bool = False

    @property
    def sha256(self) -> str:
        return sha256(self.data)

    @property
    def kind(self) -> str:
        return "pdf" if self.media_type == "application/pdf" else "html"

    @property
    def suffix(self) -> str:
        return ".pdf" if self.kind == "pdf" else ".html"


def fact_json(f: Fact) -> dict[str, Any]:
    return {"kind": f.kind, "value": f.value, "text": f.text, "context": f.context}


def needles(grade: ItemGrade, limit: int = 6) -> list[str]:
    """Texts that show the item on the page, most specific first: each fact's text and its value cell
    ("Hel plass (per måned): 2 170 kr" is a table row; "2 170 kr" is what stands in the cell), then the
    terms that matched."""
    out: list[str] = []
    for f in grade.facts:
        out.append(f.text)
        if ": " in f.text:
            out.append(f.text.split(": ", 1)[1])
    out += grade.terms
    return [n for n in dict.fromkeys(x.strip() for x in out) if n][:limit]


def evidence_row(
    store: Any,
    data: bytes,
    *,
    kind: str,
    media_type: str,
    suffix: str,
    probe_id: str,
    meta: dict[str, Any],
) -> dict[str, Any]:
    """Write the file (once per content) and return its evidence row (observation id filled in later)."""
    sha, rel = store.write_blob(data, suffix)
    return {"sha256": sha, "kind": kind, "path": rel, "size": len(data), "media_type": media_type,
            "probe_id": probe_id, "meta": {**meta, "sha256": sha}}  # fmt: skip


def screenshot_versions(rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    """(probe id, desktop/mobile) → the page versions (page_sha256) screenshots exist for already."""
    out: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        meta = r.get("meta") or {}
        if r.get("kind") == "screenshot" and meta.get("page_sha256") and r.get("probe_id"):
            out.setdefault((r["probe_id"], meta.get("key", "desktop")), set()).add(meta["page_sha256"])
    return out
