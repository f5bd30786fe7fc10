"""What simulated municipalities write: the replies of Exchange, Outlook rules, archive systems, case
officers and mailer daemons, in bokmål and nynorsk, as raw RFC 5322 bytes.

Every builder takes a `random.Random` (so a seed reproduces the mail) and the question being answered.
All people, numbers and addresses are invented.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from kommunetest.scenarios import AnswerKey, ExpectedFact, RequiredPoint

OSLO = ZoneInfo("Europe/Oslo")
FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Marte", "Eirik", "Siri", "Nils", "Hanne", "Tor", "Anne", "Per",
         "Solveig", "Jon", "Liv", "Arne", "Gunn", "Knut", "Ragnhild", "Svein"]  # fmt: skip
LAST = ["Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Berg",
        "Haugen", "Hagen", "Eriksen", "Bakke", "Lie", "Moen", "Dahl", "Lunde", "Strand", "Solheim", "Aas"]  # fmt: skip
TITLES = [
    "rådgiver",
    "saksbehandler",
    "konsulent",
    "fagleder",
    "seniorrådgiver",
    "enhetsleder",
    "servicemedarbeider",
]
UNITS = ["servicetorget", "oppvekstetaten", "plan- og byggesaksavdelingen", "tekniske tjenester", "helse og omsorg",
         "kulturavdelingen", "barnehagekontoret"]  # fmt: skip


@dataclass(frozen=True)
class Context:
    """The question being answered, as a municipality sees it."""

    municipality: str  # bare name, e.g. "Lillevik"
    domain: str  # the municipality's mail domain
    recipient: str  # the postmottak address the question went to
    persona_name: str
    persona_email: str
    subject: str
    body: str
    message_id: str
    sent_at: datetime


def staff(rng: random.Random, domain: str) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first} {last}", f"{first}.{last}@{domain}".lower()


def phone(rng: random.Random) -> str:
    return f"{rng.randint(32, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"


def message(
    *,
    sender: tuple[str, str],
    ctx: Context,
    subject: str,
    body: str,
    date: datetime,
    message_id: str,
    headers: dict[str, str] | None = None,
    threaded: bool = True,
    charset: str = "utf-8",
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=sender[0], addr_spec=sender[1])
    msg["To"] = Address(display_name=ctx.persona_name, addr_spec=ctx.persona_email)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date.astimezone(OSLO))
    msg["Message-ID"] = message_id
    if threaded:
        msg["In-Reply-To"] = ctx.message_id
        msg["References"] = ctx.message_id
    for k, v in (headers or {}).items():
        msg[k] = v
    msg["MIME-Version"] = "1.0"
    cte = "quoted-printable" if charset == "utf-8" else "8bit"
    msg.set_content(body, charset=charset, cte=cte)
    return msg.as_bytes()


def quote(rng: random.Random, ctx: Context) -> str:
    """The question quoted below a reply, as Outlook or a webmail client does it."""
    when = ctx.sent_at.astimezone(OSLO)
    if rng.random() < 0.7:
        return (
            "\n\n-----Opprinnelig melding-----\n"
            f"Fra: {ctx.persona_name} <{ctx.persona_email}>\n"
            f"Sendt: {when:%d.%m.%Y %H:%M}\n"
            f"Til: Postmottak {ctx.municipality} <{ctx.recipient}>\n"
            f"Emne: {ctx.subject}\n\n{ctx.body.strip()}\n"
        )
    lines = "\n".join(f"> {ln}" if ln else ">" for ln in ctx.body.strip().splitlines())
    return (
        f"\n\nDen {when:%d.%m.%Y} kl. {when:%H:%M} skrev {ctx.persona_name} <{ctx.persona_email}>:\n{lines}\n"
    )


def signature(rng: random.Random, name: str, ctx: Context, nynorsk: bool) -> str:
    greeting = (
        rng.choice(["Med vennleg helsing", "Venleg helsing"])
        if nynorsk
        else rng.choice(["Med vennlig hilsen", "Vennlig hilsen", "Mvh"])
    )
    return (
        f"\n\n{greeting}\n{name}\n{rng.choice(TITLES)}\n{ctx.municipality} kommune\n"
        f"Tlf. {phone(rng)}\nwww.{ctx.municipality.lower().replace(' ', '')}.kommune.no"
    )


# -- automatic replies -----------------------------------------------------------------------------------


def out_of_office(rng: random.Random, ctx: Context, *, headers: bool) -> tuple[str, str, dict[str, str]]:
    back = rng.choice(["mandag", "tirsdag", "onsdag", "torsdag", "fredag"])
    body = rng.choice([
        f"Takk for e-posten din. Jeg er på ferie til og med {back} og har begrenset tilgang til e-post.\n\n"
        "Henvendelser som haster kan rettes til servicetorget.",
        f"Eg er på kurs og er tilbake på kontoret {back}. E-posten din vert ikkje vidaresend.\n\n"
        "Ved hastesaker, kontakt sentralbordet.",
        f"Jeg er ute av kontoret og er tilbake {back}. Jeg svarer på e-posten din når jeg er tilbake.",
    ])  # fmt: skip
    extra = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"} if headers else {}
    prefix = "Automatisk svar" if headers or rng.random() < 0.5 else "SV"
    return f"{prefix}: {ctx.subject}", body, extra


def archive_receipt(rng: random.Random, ctx: Context) -> tuple[str, str, dict[str, str]]:
    year = ctx.sent_at.astimezone(OSLO).year
    saksnr = f"{year % 100:02d}/{rng.randint(100, 9999)}"
    system = rng.choice(["Elements", "Public 360", "ePhorte", "WebSak"])
    body = rng.choice([
        f"Din henvendelse er registrert, saksnr {saksnr}. Vi vil behandle henvendelsen så snart som mulig.\n\n"
        "Dette er en automatisk generert melding. Vennligst ikke svar på denne e-posten.",
        f"Takk for din henvendelse til {ctx.municipality} kommune. Vi bekrefter at vi har mottatt e-posten din, "
        f"og den er journalført i {system} med referansenummer {saksnr}.\n\nHenvendelsen vil bli besvart så snart "
        "som mulig.",
        f"Meldinga di er motteken og registrert i arkivet vårt (saksnr. {saksnr}).\n\nDette er ei automatisk "
        "stadfesting. Ikkje svar på denne e-posten.",
    ])  # fmt: skip
    extra = {"Auto-Submitted": "auto-generated", "X-Mailer": system} if rng.random() < 0.6 else {}
    subject = rng.choice([f"Din henvendelse er registrert - {ctx.subject}", "Kvittering for mottatt henvendelse",
                          f"Kvittering: {ctx.subject}"])  # fmt: skip
    return subject, body, extra


def bounce(rng: random.Random, ctx: Context, date: datetime, message_id: str) -> bytes:
    """A Postfix-style delivery status notification (RFC 3464): the postmottak address does not exist."""
    mx = f"mx{rng.randint(1, 3)}.{ctx.domain}"
    boundary = f"{rng.getrandbits(48):012X}.{int(date.timestamp())}/{mx}"
    sent = format_datetime(ctx.sent_at.astimezone(OSLO))
    text = f"""From: Mail Delivery System <MAILER-DAEMON@{mx}>
To: {ctx.persona_email}
Subject: Undelivered Mail Returned to Sender
Date: {format_datetime(date.astimezone(OSLO))}
Message-ID: {message_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

This is a MIME-encapsulated message.

--{boundary}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host {mx}.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{ctx.recipient}>: host {mx} said: 550 5.1.1 <{ctx.recipient}>:
    Recipient address rejected: User unknown in virtual mailbox table

--{boundary}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; {mx}
Arrival-Date: {sent}

Final-Recipient: rfc822; {ctx.recipient}
Original-Recipient: rfc822;{ctx.recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown in virtual mailbox table

--{boundary}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: {ctx.persona_name} <{ctx.persona_email}>
To: {ctx.recipient}
Subject: {ctx.subject}
Message-ID: {ctx.message_id}
Date: {sent}

--{boundary}--
"""
    return text.replace("\n", "\r\n").encode("utf-8")


# -- written by people -------------------------------------------------------------------------------------


def interim(rng: random.Random, ctx: Context) -> str:
    unit = rng.choice(UNITS)
    return rng.choice([
        f"Hei!\n\nTakk for spørsmålet. Dette er et foreløpig svar: vi undersøker saken med {unit} og kommer "
        "tilbake til deg med svar så snart vi kan.",
        "Hei,\n\nVi har ikke glemt deg. Vi venter på opplysninger fra fagavdelingen og kommer tilbake til deg i "
        "løpet av neste uke.",
        "Hei!\n\nEg må sjekke dette med ein kollega før eg svarar. Du får svar frå oss seinast neste veke.",
    ])  # fmt: skip


def referral(rng: random.Random, ctx: Context) -> str:
    unit = rng.choice(UNITS)
    return rng.choice([
        f"Hei,\n\nDette må du ta kontakt med {unit} om.",
        f"Hei!\n\nSpørsmål som dette svarer {unit} på. Ta direkte kontakt med dem.",
        f"Hei,\n\nDu finn informasjon om dette på nettsidene våre, www.{ctx.domain}/tenester.",
    ])  # fmt: skip


def _fact_sentence(rng: random.Random, ef: ExpectedFact, wrong: bool = False) -> str:
    topic = ef.topic[0] if ef.topic else ""
    if ef.kind == "price":
        amount = (
            ef.amount if ef.amount is not None else rng.choice([450, 1250, 2980, 3145, 4320, 6875, 11200])
        )
        amount = amount * 1.5 if wrong else amount
        per = rng.choice(["per måned", "per år"])
        return f"For {topic} er prisen {int(amount):,} kr {per}.".replace(",", " ")
    if ef.kind == "opening_hours":
        a, b = rng.choice([("07.30", "16.30"), ("08.00", "15.30"), ("07.00", "17.00")])
        return f"{topic.capitalize() or 'Vi'} er åpen fra kl. {a} til {b} mandag til fredag.".strip()
    if ef.kind in ("processing_time", "complaint_deadline"):
        amount = ef.amount if ef.amount is not None else rng.choice([2, 3, 4, 6, 8, 12])
        amount = amount + 1 if wrong else amount
        unit = {"days": "dager", "months": "måneder", "hours": "timer"}.get(ef.unit or "weeks", "uker")
        n = int(amount) if float(amount).is_integer() else amount
        if ef.kind == "complaint_deadline":
            return f"Klagefristen er {n} {unit} fra du mottok vedtaket."
        return f"Saksbehandlingstiden for {topic or 'slike saker'} er normalt {n} {unit}."
    if ef.kind == "phone":
        return f"Du når {topic or 'oss'} på telefon {phone(rng)}."
    if ef.kind == "email":
        return f"Du kan også sende e-post til {topic or 'oss'} på post.{rng.randint(1, 99)}@kommune.example."
    return ""


def _point_sentence(rng: random.Random, rp: RequiredPoint) -> str:
    term = rp.any_of.nb[0]
    return rng.choice([f"Når det gjelder {term}, kan jeg bekrefte at det gjelder hos oss også.",
                       f"Ja, vi har {term}, og det står beskrevet i retningslinjene våre."])  # fmt: skip


def answer(rng: random.Random, ctx: Context, key: AnswerKey | None, quality: str) -> tuple[str, str | None]:
    """A case officer's answer and the grade it deserves: `complete`, `partial` or `vague` (on topic,
    without the facts asked for)."""
    opener = rng.choice(["Hei!\n\nTakk for spørsmålet.", f"Hei {ctx.persona_name.split()[0]},\n\nTakk for e-posten.",
                         "Hei,\n\nTakk for henvendelsen din."])  # fmt: skip
    if key is None or quality == "vague":
        body = (
            f"{opener} Dette varierer litt fra sak til sak, og det er flere forhold som spiller inn for akkurat "
            "ditt tilfelle. Kommunestyret vedtar satsene og reglene i forbindelse med budsjettet hvert år."
        )
        return body, "relevant"
    items: list[Any] = [*key.expected_facts, *key.required_points]
    if quality == "partial" and len(items) > 1:
        keep = max(1, len(items) // 2)
        items = items[:keep]
        grade = "partial"
    else:
        grade = "correct"
    sentences = [
        _fact_sentence(rng, i) if isinstance(i, ExpectedFact) else _point_sentence(rng, i) for i in items
    ]
    return f"{opener} " + " ".join(s for s in sentences if s), grade
