"""What a municipality page shows, as plain data for the templates: every probe with its evidence.

Anything that came from a website or an e-mail passes through `Redactor` here and is escaped by the templates
(Jinja2 autoescape); links are kept only for http(s) URLs. Raw e-mails and HTML snapshots are never copied
into the report (they carry the persona's address and foreign markup); screenshots are, by content hash.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kommunetest.channels.email.decode import decode_bytes, decode_header_value
from kommunetest.channels.email.parse import parse_mail
from kommunetest.channels.email.quoting import split_text
from kommunetest.report.data import ReportData
from kommunetest.report.redact import Redactor
from kommunetest.report.text import format_datetime, format_number, ngettext
from kommunetest.report.text import gettext as _
from kommunetest.scenarios import SECTOR_LABELS

MAX_REPLY_CHARS = 8000
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def email_kind_label(kind: str | None) -> str:
    return {
        "auto_reply": _("Automatic reply"),
        "receipt": _("Receipt"),
        "interim": _("Interim reply"),
        "substantive": _("Answer"),
        "referral": _("Referral"),
        "bounce": _("Bounced (not delivered)"),
    }.get(kind or "", kind or "–")


def quality_label(grade: str | None) -> str:
    return {
        "correct": _("Correct and complete"),
        "partial": _("Partly answered"),
        "relevant": _("Relevant, but no answer"),
        "none": _("Wrong or no answer"),
    }.get(grade or "", grade or "–")


def web_grade_label(grade: str | None) -> str:
    return {
        "complete": _("Found and complete"),
        "partial": _("Partly found"),
        "pdf_or_deep": _("Only in a PDF or too deep"),
        "absent": _("Not found"),
    }.get(grade or "", _("Not checked"))


def speed_label(tier: str | None) -> str:
    return {
        "1": _("within 1 working day"),
        "3": _("within 3 working days"),
        "5": _("within 5 working days"),
        "late": _("after 5 working days"),
        "none": _("no answer"),
    }.get(tier or "", "–")


def found_via_label(how: str | None) -> str:
    return {
        "links": _("links from the front page"),
        "sitemap": _("the sitemap"),
        "search": _("the site's search"),
    }.get(how or "", "–")


_UNSAFE_URL_CHAR = re.compile(r'[\x00-\x20"<>\\`\x7f]')


def safe_url(url: Any) -> str | None:
    """The URL if it is a plain http(s) URL fit for a link, else None (then it is shown as text only)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if _UNSAFE_URL_CHAR.search(url):
        return None
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def working_days(value: Any) -> str:
    """Working-day time in words: "16 minutter", "5 timer", "2,4 virkedager". Under a day the working-day
    clock runs like the wall clock, so minutes and hours read better than "0,0 virkedager"."""
    if not isinstance(value, int | float) or value < 0:
        return "–"
    minutes = round(value * 24 * 60)
    if minutes < 60:
        return ngettext("{n} minute", "{n} minutes", minutes)
    if value < 1:
        return ngettext("{n} hour", "{n} hours", round(minutes / 60))
    return ngettext("{days} working day", "{days} working days", 1 if value == 1 else 2,
                    days=format_number(value, digits=1))  # fmt: skip


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value) if isinstance(value, datetime) else "–"


def _duration(value: dict[str, Any]) -> str:
    amount, unit = value.get("amount"), value.get("unit")
    if not isinstance(amount, int | float):
        return "–"
    n = 1 if amount == 1 else 2
    forms = {
        "hours": ngettext("{amount} hour", "{amount} hours", n, amount=format_number(amount)),
        "days": ngettext("{amount} day", "{amount} days", n, amount=format_number(amount)),
        "weeks": ngettext("{amount} week", "{amount} weeks", n, amount=format_number(amount)),
        "months": ngettext("{amount} month", "{amount} months", n, amount=format_number(amount)),
    }
    return forms.get(unit, f"{format_number(amount)} {unit}")


def _days(days: list[str] | None) -> str:
    names = dict(zip(DAY_NAMES, _("Mon Tue Wed Thu Fri Sat Sun").split(), strict=True))
    if not days:
        return ""
    idx = [DAY_NAMES.index(d) for d in days if d in DAY_NAMES]
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{names[DAY_NAMES[idx[0]]]}–{names[DAY_NAMES[idx[-1]]]}"
    return ", ".join(names[DAY_NAMES[i]] for i in idx)


def fact_value(fact: dict[str, Any], redactor: Redactor) -> str:
    """A fact's value in words: "man–fre 08:00–15:30", "12 uker", "3 145 kr per måned"."""
    kind, value = fact.get("kind"), fact.get("value")
    if kind == "opening_hours" and isinstance(value, dict):
        return f"{_days(value.get('days'))} {value.get('from', '?')}–{value.get('to', '?')}".strip()
    if kind in ("processing_time", "complaint_deadline") and isinstance(value, dict):
        return _duration(value)
    if kind == "price" and isinstance(value, dict):
        per = {"month": _("per month"), "year": _("per year"), "hour": _("per hour"), "week": _("per week")}
        nok = value.get("nok")
        text = _("{nok} kr", nok=format_number(nok)) if isinstance(nok, int | float) else "–"
        return f"{text} {per.get(value.get('per') or '', '')}".strip()
    if kind in ("phone", "email"):
        return redactor.text(str(value or "")).text
    if value in (None, "", True):
        return _("present")
    return redactor.text(str(value)).text


def fact_kind_label(kind: str | None) -> str:
    return {
        "opening_hours": _("Opening hours"),
        "processing_time": _("Processing time"),
        "complaint_deadline": _("Complaint deadline"),
        "price": _("Price"),
        "phone": _("Phone number"),
        "email": _("E-mail address"),
        "presence": _("Present"),
    }.get(kind or "", kind or "–")


@dataclass
class Copies:
    """Evidence files to copy into the report: source path -> path relative to the report root."""

    files: dict[str, tuple[Path, str]] = field(default_factory=dict)

    def add(self, row: dict[str, Any], source: Path) -> str:
        suffix = Path(row["path"]).suffix.lower() or ".bin"
        rel = f"evidence/{row['sha256'][:2]}/{row['sha256']}{suffix}"
        self.files.setdefault(row["sha256"], (source, rel))
        return rel


class MunicipalityView:
    """Builds the evidence view of one municipality's probes."""

    def __init__(self, data: ReportData, store: Any, copies: Copies) -> None:
        self.data = data
        self.store = store
        self.copies = copies
        self._eml_by_sha: dict[str, dict[str, Any]] | None = None

    def eml(self, sha: str | None, own: list[dict[str, Any]]) -> dict[str, Any] | None:
        """The evidence row of a reply's .eml: the probe's own, else any in the round with that hash."""
        if not sha:
            return None
        for e in own:
            if e["kind"] == "eml" and e["sha256"] == sha:
                return e
        if self._eml_by_sha is None:
            self._eml_by_sha = {e["sha256"]: e for rows in self.data.evidence.values() for e in rows
                                if e["kind"] == "eml"}  # fmt: skip
        return self._eml_by_sha.get(sha)

    def redactor(self, knr: str) -> Redactor:
        m = self.data.municipalities.get(knr, {})
        return Redactor.for_municipality(
            email=m.get("email"),
            phone=m.get("phone"),
            website=m.get("website"),
            names=[m.get("name"), m.get("name_alt"), m.get("county")],
            personas=self.data.personas,
        )

    def probes(self, knr: str) -> dict[str, list[dict[str, Any]]]:
        redactor = self.redactor(knr)
        out: dict[str, list[dict[str, Any]]] = {"email": [], "web": [], "phone": []}
        corrections = [c for c in self.data.corrections_for(knr) if c["probe_id"]]
        for p in self.data.probes.get(knr, []):
            obs = self.data.observations.get(p["id"], [])
            ev = self.data.evidence.get(p["id"], [])
            base = self._base(p, corrections, obs, redactor)
            if p["channel"] == "email":
                out["email"].append({**base, **self._email(p, obs, ev, redactor)})
            elif p["channel"] == "web":
                out["web"].append({**base, **self._web(obs, ev, redactor)})
            elif p["channel"] == "phone":
                out["phone"].append({**base, **self._phone(p, obs)})
        return out

    def _base(
        self,
        p: dict[str, Any],
        corrections: list[dict[str, Any]],
        obs: list[dict[str, Any]],
        redactor: Redactor,
    ) -> dict[str, Any]:
        s = self.data.scenario(p["scenario_id"])
        score = self.data.probe_scores.get(p["id"], {})
        scored_grade = {o["key"]: o["grade"] for o in obs}
        label = quality_label if p["channel"] != "web" else web_grade_label
        own = []
        for c in corrections:
            if c["probe_id"] != p["id"]:
                continue
            before = scored_grade.get(
                c["observation_key"] or ("result" if p["channel"] != "web" else "desktop")
            )
            own.append(correction_view(c, redactor, label(before) if before else None,
                                       label(c["grade"]) if c["grade"] else None))  # fmt: skip
        return {
            "id": p["id"],
            "anchor": "probe-" + re.sub(r"[^a-z0-9-]", "-", p["scenario_id"].lower()),
            "title": s.title if s else p["scenario_id"],
            "description": s.description if s else None,
            "theme": s.phone.theme if s and s.phone else None,
            "sector": SECTOR_LABELS.get(p["sector"], p["sector"]),
            "observed": bool(score.get("observed")),
            "score": None if score.get("score") is None else round(score["score"]),
            "corrections": own,
        }

    def _email(
        self, p: dict[str, Any], obs: list[dict[str, Any]], ev: list[dict[str, Any]], redactor: Redactor
    ) -> dict[str, Any]:
        result = next((o for o in obs if o["kind"] == "email_result"), None)
        value = (result or {}).get("value") or {}
        sent = value.get("sent_at") or p["planned_at"]
        timeline: list[dict[str, Any]] = [_event("sent", _("Question sent"), sent)]
        follow = next((o for o in obs if o["kind"] == "email_follow_up"), None)
        follow_sent = ((follow or {}).get("value") or {}).get("sent_at")
        if follow_sent:
            timeline.append(_event("sent", _("Follow-up question sent"), follow_sent))
        replies = [o for o in obs if o["kind"] == "email_reply"]
        for o in replies:
            v = o["value"] or {}
            kind = v.get("kind") or o["grade"]
            label = email_kind_label(kind)
            if v.get("part") == "follow_up":
                label = _("{what} to the follow-up question", what=label)
            item = _event(kind, label, v.get("received_at"), working_days(v.get("working_days")))
            if kind != "bounce":
                item.update(self._reply_text(self.eml(v.get("evidence_sha256"), ev), redactor))
            timeline.append(item)
        timeline[1:] = sorted(timeline[1:], key=lambda t: t["sort"])
        if value.get("closed_unanswered"):
            timeline.append(_event("closed", _("Closed without an answer")))
        confirmed = value.get("quality_confirmed")
        return {
            "timeline": timeline,
            "answered": value.get("answer_days") is not None,
            "answer_days": working_days(value.get("answer_days")),
            "first_reply_days": working_days(value.get("first_reply_days")),
            "speed": speed_label(value.get("speed_tier")),
            "quality": quality_label(result["grade"]) if result else "–",
            "quality_confirmed": bool(confirmed),
            "interim": bool(value.get("interim")),
            "closed_unanswered": bool(value.get("closed_unanswered")),
            "has_result": result is not None,
        }

    def _reply_text(self, row: dict[str, Any] | None, redactor: Redactor) -> dict[str, Any]:
        if row is None:
            return {"missing": True}
        path = self.store.evidence_path(row)
        try:
            raw = path.read_bytes()
        except OSError:
            return {"missing": True}
        subject, from_name, new_text, sig_text = reply_parts(raw)
        new, signature = redactor.reply(new_text, sig_text, from_name=from_name)
        text = new.text
        if len(text) > MAX_REPLY_CHARS:
            text = text[:MAX_REPLY_CHARS] + " " + _("[shortened]")
        return {
            "text": text,
            "signature": signature.text or None,
            "subject": redactor.text(
                subject, names=[from_name] if from_name and redactor.looks_like_name(from_name) else []
            ).text
            if subject
            else None,
            "sha256": row["sha256"],
            "redactions": sum(new.counts.values()) + sum(signature.counts.values()),
        }

    def _web(self, obs: list[dict[str, Any]], ev: list[dict[str, Any]], redactor: Redactor) -> dict[str, Any]:
        sides = []
        for key in ("desktop", "mobile"):
            o = next((x for x in obs if x["kind"] == "web_item" and x["key"] == key), None)
            if o is None:
                continue
            v = o["value"] or {}
            url = v.get("url")
            # The latest screenshot and saved page of this side (a re-check of a changed page adds new ones).
            shots = [e for e in ev if e["kind"] == "screenshot" and _belongs(e, o, key, ev)][-1:]
            htmls = [e for e in ev if e["kind"] in ("html", "pdf") and _belongs(e, o, key, ev)][-1:]
            screenshots = []
            for e in shots:
                source = self.store.evidence_path(e)
                if source.is_file():
                    screenshots.append({"src": self.copies.add(e, source), "sha256": e["sha256"]})
            sides.append({
                "key": key,
                "label": _("Desktop") if key == "desktop" else _("Mobile"),
                "grade": web_grade_label(o["grade"]),
                "grade_id": o["grade"] or "none",
                "site_status": v.get("site_status"),
                "url": safe_url(url),
                "url_text": redactor.text(str(url)).text if url else None,
                "depth": v.get("depth"),
                "found_via": found_via_label(v.get("found_via")) if v.get("found_via") else None,
                "search_top5": v.get("search_top5"),
                "elapsed": format_number(v.get("elapsed_s"), digits=1) if isinstance(v.get("elapsed_s"), int | float) else None,
                "facts": [
                    {"kind": fact_kind_label(f.get("kind")), "value": fact_value(f, redactor),
                     "text": redactor.text(str(f.get("text") or "")).text}
                    for f in v.get("facts") or [] if isinstance(f, dict)
                ],
                "screenshots": screenshots,
                "snapshots": [e["sha256"] for e in htmls],
            })  # fmt: skip
        return {"sides": sides}

    def _phone(self, p: dict[str, Any], obs: list[dict[str, Any]]) -> dict[str, Any]:
        o = next((x for x in obs if x["kind"] == "phone_call"), None)
        if o is None:
            return {"call": None}
        v = o["value"] or {}
        s = self.data.scenario(p["scenario_id"])
        texts = {q.id: q.text for q in s.phone.questions} if s is not None and s.phone is not None else {}
        graded = v.get("questions") if isinstance(v.get("questions"), dict) else {}
        questions = [{"text": texts.get(qid, qid), "grade": quality_label(g)} for qid, g in graded.items()]
        courtesy = v.get("courtesy")
        return {
            "call": {
                "attempts": v.get("attempts"),
                "reached": v.get("reached"),
                "seconds_to_human": v.get("seconds_to_human"),
                "menu_steps": v.get("menu_steps"),
                "transfers": v.get("transfers"),
                "total_wait_s": v.get("total_wait_s"),
                "case_officer_reached": v.get("case_officer_reached"),
                "courtesy": courtesy if isinstance(courtesy, int) else None,
                "answered_within_15s": v.get("answered_within_15s"),
                "officer_within_60s": v.get("officer_within_60s"),
                "quality": quality_label(o["grade"]),
                "questions": questions,
            }
        }


def reply_parts(raw: bytes) -> tuple[str, str | None, str, str]:
    """(subject, sender's display name, new text, signature) of a reply; the quoted part is dropped (it is
    our own question, with the persona's name). Plain single-part mail takes a fast path; anything else goes
    through the channel's full parser, which survives every kind of broken message."""
    head = BytesParser(policy=compat32).parsebytes(raw, headersonly=False)
    if not head.is_multipart() and head.get_content_type() == "text/plain" and not head.get_filename():
        payload = head.get_payload(decode=True)
        text = decode_bytes(payload if isinstance(payload, bytes) else b"", _charset(head))
        name, _addr = parseaddr(decode_header_value(head.get("From")))
        parts = split_text(text)
        return decode_header_value(head.get("Subject")), name or None, parts.new, parts.signature
    mail = parse_mail(raw)
    parts = mail.split()
    return mail.subject, mail.from_name, parts.new, parts.signature


def _charset(msg: Message) -> str | None:
    try:
        return msg.get_content_charset()
    except Exception:  # malformed parameters: let the decoder guess
        return None


def _event(kind: str | None, what: str, at: Any = None, days: str = "") -> dict[str, Any]:
    """One line of an e-mail timeline (every key present: the templates are strict); `at` is the time (a
    datetime or ISO text), shown in Oslo time and used to order the lines."""
    when = _when(at) if at is not None else ""
    sort = at.isoformat() if isinstance(at, datetime) else str(at or "~")
    if sort != "~":
        with contextlib.suppress(ValueError):  # not a time: ordered as written
            sort = datetime.fromisoformat(sort).astimezone(UTC).isoformat()
    return {"kind": kind or "unknown", "what": what, "when": when, "days": days, "text": None, "signature": None,
            "subject": None, "missing": False, "sha256": None, "redactions": 0, "sort": sort}  # fmt: skip


def _belongs(e: dict[str, Any], o: dict[str, Any], key: str, all_ev: Iterable[dict[str, Any]]) -> bool:
    """Is evidence row `e` about observation `o` (key desktop/mobile)? By observation id, else by the key in
    its meta, else (one unlabelled file) it is the desktop check's."""
    if e.get("observation_id") is not None:
        return e["observation_id"] == o["id"]
    meta = e.get("meta") or {}
    tagged = meta.get("key") or meta.get("device")
    if tagged:
        return tagged == key
    return key == "desktop"


def correction_view(
    c: dict[str, Any], redactor: Redactor, before: str | None, after: str | None
) -> dict[str, Any]:
    """A correction as shown: when, why, who (an organisation or role; persona identities are removed)."""
    return {
        "when": _when(c["created_at"]),
        "reason": redactor.text(c["reason"]).text,
        "by": redactor.text(c["author"]).text,
        "before": before,
        "after": after,
        "status": c["status"],
    }
