"""A synthetic round: every municipality of the register with realistic observations for every channel and
the evidence behind them, written through the store as the channels would (docs/observations.md).

Used by the report tests, `bench/report_build.py` and anyone who needs a complete round without running the
channels. It plants what the report must handle: replies with staff names, direct phone numbers and personal
e-mail addresses in the text and the signature (which must be redacted), the official postmottak address and
switchboard number (which must stay), a reply carrying `<script>` (which must stay inert), the persona's name
and address in greetings and quoted questions (which must never be published), a hostile URL and fact text
from a website, a site that could not be crawled (not observed, not zero), and PNG screenshots.
The ground truth of what was planted comes back in `SyntheticRound.planted`.
"""

from __future__ import annotations

import io
import random
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.header import Header
from email.utils import format_datetime
from typing import Any

from kommunetest.calendar import Calendars
from kommunetest.register import Municipality, Register, load_register, register_path
from kommunetest.rounds import METHOD_VERSION, municipality_row
from kommunetest.scenarios import QuestionBank, Scenario, load_project_scenarios, render_email
from kommunetest.settings import Settings
from kommunetest.store import Store, probe_id

WEB_GRADES = ("complete", "partial", "pdf_or_deep", "absent")
QUALITY = ("correct", "partial", "relevant", "none")
SCRIPT_PAYLOAD = "<script>alert(1)</script>"
HOSTILE_FACT = '<img src=x onerror="alert(4)">'
HOSTILE_URL = "javascript:alert(3)"
STAFF_FIRST = ("Kari", "Ingrid", "Lars", "Marit", "Hans", "Siri", "Trond", "Hilde", "Geir", "Tone", "Máret", "Ánte",
               "Aslak", "Elle", "Birgit", "Nils")  # fmt: skip
STAFF_LAST = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
              "Karlsen", "Eriksen", "Sara", "Gaup", "Somby", "Eira", "Haugland", "Fjeldstad", "Aarsæther")  # fmt: skip
TITLES = ("Rådgiver", "Konsulent", "Saksbehandler", "Seniorrådgiver", "Førstekonsulent", "Fagleder")
UNITS = ("Servicetorget", "Oppvekst og kultur", "Plan og byggesak", "Helse og omsorg", "Teknisk drift")
SHOT_COLOURS = ("#1f4e79", "#2e6b30", "#7a2f2f", "#5b3f8c", "#8a5a00", "#2f5d6b")


@dataclass
class SyntheticRound:
    name: str
    municipalities: int
    probes: int
    observations: int
    evidence: int
    planted: dict[str, Any] = field(default_factory=dict)


def _switchboard(rng: random.Random) -> str:
    return f"{rng.choice('357')}{rng.randrange(1000000, 9999999)}"


def _spaced(number: str) -> str:
    """75 55 50 00, as municipalities write their numbers."""
    return " ".join(number[i : i + 2] for i in range(0, 8, 2))


def _mobile(rng: random.Random) -> str:
    n = f"{rng.choice('49')}{rng.randrange(1000000, 9999999)}"
    return f"{n[:3]} {n[3:5]} {n[5:]}"


def _ascii(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "á": "a", "Á": "a", "é": "e", "š": "s", "č": "c"})
    return text.lower().translate(table).replace(" ", "")


def screenshot_png(title: str, colour: str, lines: int = 6) -> bytes:
    """A small PNG that looks like a web page (header bar, heading, text lines), drawn with matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(6.4, 4.0), dpi=60)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 640)
    ax.set_ylim(400, 0)
    ax.axis("off")
    ax.add_patch(Rectangle((0, 0), 640, 56, color=colour))
    ax.text(20, 36, title, color="white", fontsize=16)
    ax.text(20, 100, "Åpningstider og kontakt", fontsize=14, color="#111111")
    for i in range(lines):
        ax.add_patch(Rectangle((20, 130 + 30 * i), 560 - 37 * (i % 4), 12, color="#c8c8c8"))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _fact(kind: str, m: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    if kind == "opening_hours":
        start, end = rng.choice([("08:00", "15:30"), ("07:30", "16:30"), ("09:00", "15:00")])
        days = ["mon", "tue", "wed", "thu", "fri"]
        return {"kind": kind, "value": {"from": start, "to": end, "days": days},
                "text": f"Åpent mandag–fredag {start.replace(':', '.')}–{end.replace(':', '.')}"}  # fmt: skip
    if kind == "processing_time":
        n = rng.choice([3, 4, 6, 8, 12])
        return {
            "kind": kind,
            "value": {"amount": n, "unit": "weeks"},
            "text": f"Saksbehandlingstid: {n} uker",
        }
    if kind == "complaint_deadline":
        return {"kind": kind, "value": {"amount": 3, "unit": "weeks"}, "text": "Klagefristen er tre uker."}
    if kind == "price":
        nok = rng.randrange(900, 4200, 5)
        return {"kind": kind, "value": {"nok": nok, "per": "month"},
                "text": f"Pris: {nok:,} kr per måned".replace(",", " ")}  # fmt: skip
    if kind == "phone":
        return {"kind": kind, "value": m["phone"], "text": f"Sentralbord: {_spaced(m['phone'])}"}
    if kind == "email":
        return {"kind": kind, "value": m["email"], "text": f"E-post: {m['email']}"}
    return None


def _answer_lines(s: Scenario, m: dict[str, Any], rng: random.Random) -> list[str]:
    kinds = [f.kind for f in s.email.answer_key.expected_facts] if s.email else []
    out = [f"Takk for spørsmålet om {s.title.lower()}."]
    for k in kinds or ["processing_time"]:
        f = _fact(k, m, rng)
        if f:
            out.append(f["text"].rstrip(".") + ".")
    return out


@dataclass
class _Ctx:
    store: Store
    settings: Settings
    rng: random.Random
    now: datetime
    calendars: Calendars
    obs: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    planted: dict[str, Any] = field(default_factory=dict)

    def blob(self, data: bytes, suffix: str, kind: str, media: str, pid: str, meta: dict[str, Any]) -> str:
        sha, rel = self.store.write_blob(data, suffix)
        self.evidence.append({"sha256": sha, "kind": kind, "path": rel, "size": len(data), "media_type": media,
                              "probe_id": pid, "meta": meta})  # fmt: skip
        return sha

    def observe(
        self, pid: str, key: str, kind: str, grade: str | None, value: dict[str, Any], source: str
    ) -> None:
        self.obs.append({"probe_id": pid, "key": key, "kind": kind, "grade": grade, "value": value,
                         "observed_at": self.now, "source": source})  # fmt: skip


def _eml(*, sender: tuple[str, str], to: str, subject: str, body: str, when: datetime, auto: bool,
         in_reply_to: str | None) -> bytes:  # fmt: skip
    """A reply as a mail system writes it (8-bit UTF-8 body, RFC 2047 headers); built by hand because the
    email package's header objects cost milliseconds per message and a round has thousands."""
    name = Header(sender[0], "utf-8").encode() if sender[0] else ""
    lines = [
        f"From: {name} <{sender[1]}>" if name else f"From: {sender[1]}",
        f"To: {to}",
        f"Subject: {Header(subject, 'utf-8').encode()}",
        f"Date: {format_datetime(when)}",
        f"Message-ID: <{zlib.crc32((subject + when.isoformat() + sender[1]).encode()):08x}.{when:%Y%m%d%H%M%S}@{sender[1].split('@')[1]}>",
        *([f"In-Reply-To: {in_reply_to}"] if in_reply_to else []),
        *(["Auto-Submitted: auto-replied"] if auto else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
    ]
    return "\r\n".join(lines).replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode()


def _email_probe(ctx: _Ctx, p: dict[str, Any], s: Scenario, m: dict[str, Any], skill: float,
                 plant_script: bool) -> None:  # fmt: skip
    rng, cal = ctx.rng, ctx.calendars.for_municipality(m["kommunenummer"])
    personas = {x.id: x for x in ctx.settings.email.personas}
    persona = personas.get(p["persona_id"] or "") or ctx.settings.email.personas[0]
    pv = {"name": persona.name, "first_name": persona.name.split()[0], "address": persona.address,
          "city": persona.city}  # fmt: skip
    subject, question = render_email(s, p["variant"], pv, m["name"]) if s.email else ("Spørsmål", "Hei")
    sent: datetime = p["planned_at"]
    msgid = f"<{p['id'].replace(':', '.')}@persona.kommunetest.test>"
    domain = m["email"].split("@")[1]
    first, last = rng.choice(STAFF_FIRST), rng.choice(STAFF_LAST)
    staff = {"name": f"{first} {last}", "email": f"{_ascii(first)}.{_ascii(last)}@{domain}",
             "phone": _spaced(f"{m['phone'][:4]}{rng.randrange(1000, 9999)}"), "mobile": _mobile(rng)}  # fmt: skip
    colleague = f"{rng.choice(STAFF_FIRST)} {rng.choice(STAFF_LAST)}"
    replies: list[tuple[str, datetime, bytes]] = []
    answered = plant_script or rng.random() < 0.55 + 0.4 * skill
    if rng.random() < 0.45:
        when = sent + timedelta(minutes=rng.randrange(1, 20))
        kind = rng.choice(["auto_reply", "receipt"])
        body = ("Takk for din henvendelse. Vi har mottatt e-posten din og svarer så snart vi kan.\n\n"
                f"Sentralbord: {_spaced(m['phone'])}\n{m['name']} kommune\n")  # fmt: skip
        replies.append((kind, when, _eml(sender=("", m["email"]), to=persona.email, subject=f"Mottatt: {subject}",
                                         body=body, when=when, auto=True, in_reply_to=msgid)))  # fmt: skip
    if answered and rng.random() < 0.12:
        when = cal.add_working_days(sent, 1) + timedelta(hours=1)
        body = (f"Hei {pv['first_name']},\n\nVi har mottatt spørsmålet ditt og kommer tilbake med svar i løpet av "
                f"neste uke.\n\nMed vennlig hilsen\n{staff['name']}\n{m['name']} kommune\n")  # fmt: skip
        replies.append(("interim", when, _eml(sender=(staff["name"], staff["email"]), to=persona.email,
                                              subject=f"SV: {subject}", body=body, when=when, auto=False,
                                              in_reply_to=msgid)))  # fmt: skip
    quality = None
    answer_at = None
    if answered:
        days = min(19, int(rng.expovariate(1 / max(0.4, 4.5 * (1.15 - skill)))))
        answer_at = cal.add_working_days(sent, days) + timedelta(minutes=rng.randrange(5, 300))
        level = min(3, sum(rng.random() > skill for _ in range(3)))
        quality = QUALITY[level]
        lines = _answer_lines(s, m, rng)
        extra = SCRIPT_PAYLOAD + " " if plant_script else ""
        body = (
            f"Hei {pv['first_name']},\n\n{extra}{' '.join(lines)}\n"
            f"Har du flere spørsmål, kan du kontakte saksbehandler {staff['name']} på {staff['email']} eller "
            f"{staff['phone']}, eller ring sentralbordet på {_spaced(m['phone'])}. Du kan også snakke med "
            f"{colleague} i {rng.choice(UNITS).lower()}. Skriftlige henvendelser sendes til {m['email']}.\n\n"
            f"Med vennlig hilsen\n{staff['name']}\n{rng.choice(TITLES)}, {rng.choice(UNITS)}\n{m['name']} kommune\n"
            f"Tlf. {staff['phone']} | Mobil {staff['mobile']}\n{staff['email']}\n"
            f"Sentralbord: {_spaced(m['phone'])}\n\n"
            f"-----Opprinnelig melding-----\nFra: {persona.name} <{persona.email}>\n"
            f"Sendt: {format_datetime(sent)}\nTil: {m['email']}\nEmne: {subject}\n\n{question}"
        )
        replies.append(("substantive", answer_at, _eml(sender=(staff["name"], staff["email"]), to=persona.email,
                                                      subject=f"SV: {subject}", body=body, when=answer_at,
                                                      auto=False, in_reply_to=msgid)))  # fmt: skip
        ctx.planted.setdefault("staff", []).append({**staff, "colleague": colleague,
                                                    "kommunenummer": m["kommunenummer"]})  # fmt: skip
        if plant_script:
            ctx.planted["script_probe"] = p["id"]
    elif rng.random() < 0.05:
        when = sent + timedelta(minutes=2)
        body = f"Delivery to the following recipient failed permanently:\n\n    {m['email']}\n"
        replies.append(("bounce", when, _eml(sender=("Mail Delivery Subsystem", f"mailer-daemon@{domain}"),
                                             to=persona.email, subject="Delivery Status Notification (Failure)",
                                             body=body, when=when, auto=True, in_reply_to=msgid)))  # fmt: skip
    first_reply = min((r[1] for r in replies), default=None)
    for i, (kind, when, raw) in enumerate(replies):
        sha = ctx.blob(
            raw, ".eml", "eml", "message/rfc822", p["id"], {"kind": kind, "received_at": when.isoformat()}
        )
        wd = round(cal.working_days_between(sent, when), 2)
        ctx.observe(p["id"], f"reply-{i + 1}", "email_reply", kind,
                    {"received_at": when.isoformat(), "kind": kind, "reasons": [f"synthetic {kind}"],
                     "working_days": wd, "evidence_sha256": sha}, "email-inbox")  # fmt: skip
    answer_days = round(cal.working_days_between(sent, answer_at), 2) if answer_at else None
    tier = (
        "none"
        if answer_days is None
        else next((t for t, d in (("1", 1), ("3", 3), ("5", 5)) if answer_days <= d), "late")
    )
    ctx.observe(p["id"], "result", "email_result", quality or "none", {
        "sent_at": sent.isoformat(),
        "first_reply_at": first_reply.isoformat() if first_reply else None,
        "answer_at": answer_at.isoformat() if answer_at else None,
        "first_reply_days": round(cal.working_days_between(sent, first_reply), 2) if first_reply else None,
        "answer_days": answer_days, "speed_tier": tier,
        "interim": any(k == "interim" for k, _, _ in replies),
        "classification": "substantive" if answered else None,
        "quality_proposed": quality or "none", "quality_confirmed": rng.random() < 0.9,
        "closed_unanswered": not answered,
    }, "email-grade")  # fmt: skip


def _web_probe(ctx: _Ctx, p: dict[str, Any], s: Scenario | None, m: dict[str, Any], skill: float, down: bool,
               shots: list[bytes], hostile: bool, snapshot: bool) -> None:  # fmt: skip
    rng = ctx.rng
    kind = s.web.fact_kind if s and s.web else "presence"
    slug = p["scenario_id"]
    for key in ("desktop", "mobile"):
        if down:
            ctx.observe(
                p["id"],
                key,
                "web_item",
                None,
                {"site_status": "timeout", "url": None, "facts": []},
                "web-crawl",
            )
            continue
        level = min(
            3, sum(rng.random() > skill for _ in range(3)) + (key == "mobile" and rng.random() < 0.15)
        )
        grade = WEB_GRADES[level]
        found = grade != "absent"
        url = f"{m['website'].rstrip('/')}/{slug}" if found else None
        fact = _fact(kind, m, rng) if found and grade != "pdf_or_deep" else None
        facts = [fact] if fact else []
        if hostile and key == "desktop":
            url = HOSTILE_URL
            facts = [{"kind": "email", "value": "x@example.test", "text": f"Kontakt oss {HOSTILE_FACT}"}]
        value = {"url": url, "depth": rng.randint(1, 5) if found else None,
                 "found_via": rng.choice(["links", "links", "sitemap", "search"]) if found else None,
                 "facts": facts, "elapsed_s": round(rng.uniform(0.3, 40), 1),
                 "search_top5": rng.random() < skill if found else False, "site_status": "ok"}  # fmt: skip
        ctx.observe(p["id"], key, "web_item", grade, value, "web-crawl")
        if found and key == "desktop" and snapshot:
            html = (f"<!doctype html><html lang=nb><title>{s.title if s else slug}</title>"
                    f"<h1>{m['name']} kommune</h1><p>{fact['text'] if fact else ''}</p></html>").encode()  # fmt: skip
            ctx.blob(html, ".html", "html", "text/html", p["id"], {"key": key, "url": url})
        if found and key == "desktop":
            shot = shots[zlib.crc32(slug.encode()) % len(shots)]
            ctx.blob(shot, ".png", "screenshot", "image/png", p["id"], {"key": key, "url": url})
            ctx.planted.setdefault("screenshot_probes", []).append(p["id"])


def _phone_probe(ctx: _Ctx, p: dict[str, Any], m: dict[str, Any], skill: float) -> None:
    rng = ctx.rng
    attempts = 1 if rng.random() < 0.85 else 2
    reached = rng.random() < 0.8 + 0.18 * skill
    wait = rng.randrange(3, 240) if reached else None
    level = min(3, sum(rng.random() > skill for _ in range(3)))
    ctx.observe(p["id"], "result", "phone_call", QUALITY[level] if reached else "none", {
        "attempts": attempts, "reached": reached, "seconds_to_human": wait,
        "menu_steps": rng.randint(0, 3) if reached else None, "transfers": rng.randint(0, 2) if reached else None,
        "total_wait_s": (wait or 0) + rng.randrange(0, 120) if reached else None,
        "case_officer_reached": reached and rng.random() < skill,
        "courtesy": max(0, 3 - level + (rng.random() < 0.3)) if reached else None,
        "answered_within_15s": bool(reached and wait is not None and wait <= 15),
        "officer_within_60s": bool(reached and rng.random() < skill * 0.8),
    }, "phone-app")  # fmt: skip


def _pick(scenarios: list[Scenario], n: int, offset: int) -> list[tuple[str, Scenario]]:
    """n scenario ids for one municipality: the bank's in turn from `offset`; past its end, numbered copies
    (`<id>-x2`), so benchmarks can ask for more probes than the bank has."""
    out = []
    for i in range(n):
        s = scenarios[(offset + i) % len(scenarios)]
        lap = (i // len(scenarios)) + 1 if scenarios else 1
        out.append((s.id if lap == 1 else f"{s.id}-x{lap}", s))
    return out


def build_synthetic_round(
    store: Store,
    settings: Settings,
    name: str = "synthetic",
    *,
    seed: int = 7,
    web: int = 24,
    email: int = 3,
    phone: int = 2,
    start: date = date(2027, 2, 1),
    municipalities: list[str] | None = None,
    register: Register | None = None,
    bank: QuestionBank | None = None,
    script_municipality: str = "1804",
    down_municipality: str | None = "1151",
    snapshots: int = 4,
) -> SyntheticRound:
    """Write a complete synthetic round `name` into `store` (see the module docstring)."""
    rng = random.Random(f"synthetic:{name}:{seed}")
    register = register or load_register(register_path(settings))
    bank = bank or load_project_scenarios(settings)
    munis: list[Municipality] = [
        m for m in register if municipalities is None or m.kommunenummer in municipalities
    ]
    web_s, email_s, phone_s = (bank.by_channel(c) for c in ("web", "email", "phone"))
    ctx = _Ctx(store, settings, rng, datetime.combine(start + timedelta(weeks=8), time(12), tzinfo=UTC),
               Calendars.from_settings(settings))  # fmt: skip
    rows = []
    for m in munis:
        row = municipality_row(m)
        row["email"] = m.email or f"postmottak@{m.domain or _ascii(m.name) + '.kommune.no'}"
        row["phone"] = m.phone or _switchboard(rng)
        row["website"] = m.website or f"https://www.{_ascii(m.name)}.kommune.no"
        rows.append(row)
    by_id = {s.id: s for s in bank}
    probes: list[dict[str, Any]] = []
    personas = [x.id for x in settings.email.personas]
    national = ctx.calendars.for_municipality(None)
    days = national.working_days(start, start + timedelta(weeks=6))
    for i, m in enumerate(rows):
        base = {"round_name": name, "kommunenummer": m["kommunenummer"]}
        for channel, scen, n in (("web", web_s, web), ("email", email_s, email), ("phone", phone_s, phone)):
            for j, (sid, s) in enumerate(_pick(scen, n, 0 if channel == "web" else i * n)):
                planned = None
                if channel != "web":
                    day = days[(i * 7 + j * 5 + (channel == "phone")) % len(days)]
                    planned = datetime.combine(
                        day, time(rng.randrange(8, 13), rng.randrange(60)), tzinfo=national.tz
                    )
                probes.append({**base, "id": probe_id(name, m["kommunenummer"], sid), "scenario_id": sid,
                               "channel": channel, "sector": s.sector, "planned_at": planned,
                               "persona_id": personas[(i + j) % len(personas)] if channel == "email" and personas else None,
                               "variant": (i + j) % 2, "status": "done", "details": {"weight": s.weight}})  # fmt: skip
    store.create_round(name, start_date=start, weeks=6, seed=seed, method_version=METHOD_VERSION,
                       sample={"kind": "census", "synthetic": True}, scenario_ids=sorted({p["scenario_id"] for p in probes}),
                       config={"synthetic": True}, exist_ok=True)  # fmt: skip
    store.add_round_municipalities(name, rows)
    store.add_probes(probes)
    shots = [screenshot_png(f"Kommune {k + 1}", c) for k, c in enumerate(SHOT_COLOURS)]
    skill = {}
    for m in rows:
        size_bonus = min(0.15, max(0.0, (len(str(m["population"])) - 3) * 0.04))
        skill[m["kommunenummer"]] = min(0.97, rng.betavariate(4, 3) + size_bonus)
    muni_by = {m["kommunenummer"]: m for m in rows}
    script_done = False
    # HTML snapshots of a few items only: each is its own file (fsync'ed by the store), and the report
    # shows their hashes, not their content; screenshots are shared files, so every found item has one.
    snapshot_ids = {x.id for x in web_s[:snapshots]}
    own_shot: list[bytes] | None = None
    for p in probes:
        m, k = muni_by[p["kommunenummer"]], p["kommunenummer"]
        base_id = re.sub(r"-x\d+$", "", p["scenario_id"])
        s = by_id.get(p["scenario_id"]) or by_id.get(base_id)
        if p["channel"] == "email" and s is not None:
            plant = k == script_municipality and not script_done
            script_done = script_done or plant
            _email_probe(ctx, p, s, m, skill[k], plant)
        elif p["channel"] == "web":
            if k == script_municipality and own_shot is None:
                own_shot = [screenshot_png(f"{m['name']} kommune", "#1f4e79")]
            own = own_shot if k == script_municipality and own_shot else shots
            hostile = k == script_municipality and p["scenario_id"] == web_s[-1].id
            snapshot = k == script_municipality or p["scenario_id"] in snapshot_ids
            _web_probe(ctx, p, s, m, skill[k], k == down_municipality, own, hostile, snapshot)
        elif p["channel"] == "phone":
            _phone_probe(ctx, p, m, skill[k])
    store.record_observations(ctx.obs)
    store.add_evidence(ctx.evidence)
    ctx.planted.update(
        script_municipality=script_municipality if script_done else None,
        down_municipality=down_municipality,
        official={m["kommunenummer"]: {"email": m["email"], "phone": m["phone"]} for m in rows},
        personas=[{"name": x.name, "email": x.email, "address": x.address} for x in settings.email.personas],
    )
    return SyntheticRound(name, len(rows), len(probes), len(ctx.obs), len(ctx.evidence), ctx.planted)
