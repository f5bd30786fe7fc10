"""`kommunetest web inspect`: the facts of one page, read from a file or a loopback URL.

Only loopback URLs are fetched (127.0.0.0/8, ::1, localhost): inspecting is for rehearsals and saved
snapshots, never a way to reach a real municipality's site outside a planned, rate-limited crawl.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kommunetest.channels.web.extract import extract_facts, extract_from_file
from kommunetest.channels.web.facts import FACT_KINDS, Fact, facts_about, facts_for_year
from kommunetest.channels.web.fetch import Fetcher
from kommunetest.errors import LiveSendingRefused, NotFoundError, RemoteError, UsageError
from kommunetest.loopback import is_loopback_url
from kommunetest.settings import Settings, WebSettings

__all__ = ["Inspection", "inspect_source", "is_loopback_url"]


@dataclass
class Inspection:
    source: str
    facts: list[Fact]

    def to_json(self) -> dict[str, Any]:
        """The `web inspect --json` contract: {"source": ..., "facts": [{kind, value, text, context}]}."""
        return {"source": self.source, "facts": [f.model_dump() for f in self.facts]}


def is_url(text: str) -> bool:
    return urlsplit(text).scheme.lower() in ("http", "https")


def fetch_loopback(url: str, web: WebSettings | None = None) -> tuple[bytes, str, str]:
    """GET a loopback URL within the page size and time limits: (body, content type, final URL)."""
    if not is_loopback_url(url):
        raise LiveSendingRefused(
            f"{url} is not a loopback address; web inspect fetches only from 127.0.0.0/8, ::1 and localhost",
            hint="save the page as a file and run `kommunetest web inspect FILE`",
        )

    async def run() -> Any:
        async with Fetcher(web or WebSettings(), live=False, host_delay_s=0) as fetcher:
            return await fetcher.fetch(url)

    result = asyncio.run(run())
    if result.status == "refused_not_loopback":
        raise LiveSendingRefused(f"{url}: {result.error}", hint="only loopback addresses can be fetched")
    if result.status == "too_large":
        raise RemoteError(f"{url}: the page is larger than {len(result.content)} bytes",
                          hint="raise web.max_bytes_per_page")  # fmt: skip
    if not result.ok:
        raise RemoteError(f"{url}: {result.status} ({result.error})")
    return result.content, result.headers.get("content-type", ""), result.final_url


def inspect_source(
    path_or_url: str,
    *,
    settings: Settings | None = None,
    topics: list[str] | None = None,
    kinds: list[str] | None = None,
    year: int | None = None,
) -> Inspection:
    """Facts of a file (.html, .txt, .pdf) or a loopback URL, optionally narrowed by topic, kind and year."""
    if kinds and (bad := [k for k in kinds if k not in FACT_KINDS]):
        raise UsageError(f"unknown fact kind: {', '.join(bad)}", hint=f"choose from {', '.join(FACT_KINDS)}")
    if is_url(path_or_url):
        body, ctype, final = fetch_loopback(path_or_url, settings.web if settings else None)
        facts = extract_facts(body, content_type=ctype, url=final)
    else:
        path = Path(path_or_url)
        if not path.exists():
            raise NotFoundError(
                f"{path_or_url}: no such file", hint="give an HTML, text or PDF file, or a loopback URL"
            )
        if path.is_dir():
            raise UsageError(f"{path_or_url}: is a directory", hint="give the path of one page")
        facts = extract_from_file(path)
    if topics:
        facts = facts_about(facts, topics)
    if kinds:
        facts = [f for f in facts if f.kind in kinds]
    if year is not None:
        facts = facts_for_year(facts, year)
    return Inspection(source=path_or_url, facts=facts)
