"""Digital services citizens look for on a municipal site: e-forms, fault reporting ("meld feil"), chat or
chatbot, "Min side", and the public records (postliste/innsyn).

Read from what the crawl saw: links (their text and target, above all links to the known self-service
platforms), buttons, and the scripts of known chat widgets, on every crawled page and on pages the browser
rendered (a chat button a script adds). Each service found keeps a few pieces of evidence: how it was seen,
the URL, the link text, the platform and the page it was on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser

from kommunetest.channels.web.document import clean
from kommunetest.channels.web.urls import host_of, platform_of

SERVICES = ("e_forms", "fault_reporting", "chat", "min_side", "public_records")
LABELS = {
    "e_forms": "Elektroniske skjema",
    "fault_reporting": "Meld feil",
    "chat": "Chat eller chatbot",
    "min_side": "Min side",
    "public_records": "Postliste og innsyn",
}
MAX_EVIDENCE = 5


@dataclass(frozen=True)
class Rule:
    text: re.Pattern[str]  # link or button text
    url: re.Pattern[str]  # link target
    platforms: frozenset[str] = frozenset()  # urls.platform_of labels that are this service


RULES: dict[str, Rule] = {
    "e_forms": Rule(
        re.compile(r"\b(?:elektroniske?\s+skjema\w*|e-?skjema\w*|alle\s+skjema|skjemaoversikt|søknader\s+og\s+skjema"
                   r"|digitale\s+skjema|sjølvbetening|selvbetjening)", re.I),
        re.compile(r"skjema\.|/skjema|forms?\.fiks|/eskjema|altinn\.no/skjema", re.I),
        frozenset({"acos"}),
    ),
    "fault_reporting": Rule(
        re.compile(r"\b(?:meld\s+(?:inn\s+)?feil|melde\s+feil|feilmelding|varsle?\s+(?:om\s+)?feil|meld\s+fr[aå]\s+om\s+feil"
                   r"|fiksgatami)", re.I),
        re.compile(r"meldfeil|meld-feil|feilmelding|fiksgatami|/meld-?inn", re.I),
    ),
    "chat": Rule(
        re.compile(r"\b(?:chat\w*|prat\s+med\s+oss|digital\s+assistent|nettprat)", re.I),
        re.compile(r"/chat|chat\.|livechat|chatbot", re.I),
    ),
    "min_side": Rule(
        re.compile(r"\b(?:min\s+side|mi\s+side|mine\s+saker|innbyggerportal\w*|innbyggjarportal\w*)", re.I),
        re.compile(r"minside|min-side|mi-side", re.I),
        frozenset({"min_side"}),
    ),
    "public_records": Rule(
        re.compile(r"\b(?:postliste\w*|postlista|offentleg\s+journal|offentlig\s+journal|postjournal|e?innsyn)", re.I),
        re.compile(r"innsyn|postliste|postjournal|einnsyn", re.I),
        frozenset({"innsyn", "digdir", "360online", "elements", "ephorte"}),
    ),
}  # fmt: skip
# Chat widgets recognised by their script's host or name.
CHAT_SCRIPTS = re.compile(
    r"boost\.ai|kindly\.ai|kindlycdn|ebot7|puzzel|userlike|livechatinc|tidio|zopim|zendesk|intercom|giosg"
    r"|custhelp\.com/.*chat|chat-widget|chatbot|webchat",
    re.I,
)


@dataclass
class Seen:
    how: str  # link, button, script
    text: str
    url: str | None
    platform: str | None
    found_on: str

    def as_json(self) -> dict[str, Any]:
        return {"how": self.how, "text": self.text, "url": self.url, "platform": self.platform,
                "found_on": self.found_on}  # fmt: skip


@dataclass
class ServiceFinder:
    """Collects evidence page by page; `result()` gives {service: {"found", "evidence"}}."""

    seen: dict[str, list[Seen]] = field(default_factory=lambda: {s: [] for s in SERVICES})
    _keys: set[tuple[str, str, str | None]] = field(default_factory=set)
    _checked: set[tuple[str, str]] = field(default_factory=set)

    def _add(self, service: str, item: Seen) -> None:
        key = (service, item.text.casefold(), item.url)
        if key in self._keys or len(self.seen[service]) >= MAX_EVIDENCE:
            return
        self._keys.add(key)
        self.seen[service].append(item)

    def link(self, url: str, text: str, found_on: str, how: str = "link") -> None:
        if (url, text) in self._checked:
            return  # the same menu entry on every page
        self._checked.add((url, text))
        text = clean(text).replace("\n", " ")[:200]
        platform = platform_of(host_of(url)) if url.startswith(("http://", "https://")) else None
        for service, rule in RULES.items():
            if (
                (text and rule.text.search(text))
                or (platform and platform in rule.platforms)
                or (service != "chat" and rule.url.search(url))
                or (service == "chat" and platform == "custhelp" and rule.url.search(url))
            ):
                self._add(service, Seen(how, text, url or None, platform, found_on))

    def page(self, html: str, url: str) -> None:
        """Links, buttons and chat scripts of one page (HTTP or rendered)."""
        try:
            tree = LexborHTMLParser(html)
        except Exception:
            return
        for a in tree.css("a[href]"):
            href = (a.attributes.get("href") or "").strip()
            if href and not href.startswith(("#", "mailto:", "tel:", "javascript:")):
                self.link(urljoin(url, href), a.text(separator=" "), url)
        for b in tree.css("button, [role=button], input[type=submit], input[type=button]"):
            label = b.text(separator=" ") or b.attributes.get("value") or b.attributes.get("aria-label") or ""
            if label.strip():
                self.link("", label, url, how="button")
        for s in tree.css("script"):
            src = s.attributes.get("src") or ""
            body = "" if src else (s.text() or "")[:5000]
            m = CHAT_SCRIPTS.search(src) or CHAT_SCRIPTS.search(body)
            if m:
                self._add("chat", Seen("script", m.group(0), urljoin(url, src) if src else None, None, url))

    def external(self, links: Iterable[Any]) -> None:
        """The crawl's record of links to other sites (`crawl.ExternalLink`)."""
        for e in links:
            self.link(e.url, e.text, e.found_on)

    def result(self) -> dict[str, dict[str, Any]]:
        return {s: {"found": bool(v), "evidence": [x.as_json() for x in v]} for s, v in self.seen.items()}
