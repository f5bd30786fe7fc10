"""Matching replies to probes: headers, embedded ids, subject and domain, quoted text, forwards, the queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from kommunetest.channels.email.match import MatchIndex, SentMessage, normalize_subject
from kommunetest.channels.email.parse import parse_mail

SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = SENT + timedelta(days=1)
SFO_BODY = (
    "Hei!\n\nVi vurderer å flytte til {m} i løpet av sommeren, og datteren vår skal begynne i 1. klasse til høsten. "
    "Hva koster en SFO-plass hos dere per måned, og hva er åpningstidene på SFO?\n\nVennlig hilsen\nAnna Berg\n"
)


def sent(probe: str, knr: str, name: str, *, persona: str = "anna", subject: str = "Spørsmål om SFO",
         body: str | None = None, at: datetime = SENT, part: str = "question") -> SentMessage:  # fmt: skip
    text = body if body is not None else SFO_BODY.format(m=name)
    return SentMessage(
        probe_id=probe, part=part, persona_id=persona, message_id=f"<{probe}.{part}@persona.kommunetest.test>",
        recipient=f"postmottak@{knr}.sim.kommunetest.test", subject=subject, kommunenummer=knr, municipality=name,
        round_name="r1", sent_at=at, domains=frozenset({f"{knr}.sim.kommunetest.test", f"{name.lower().replace('ø', 'o')}.kommune.no"}),
        body_loader=lambda: text,
    )  # fmt: skip


def reply(*, sender: str, subject: str, body: str, headers: dict[str, str] | None = None) -> tuple:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = sender
    msg["To"] = "anna.berg@persona.kommunetest.test"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<reply.{abs(hash(body))}@x.test>"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    raw = msg.as_bytes()
    return parse_mail(raw), raw


@pytest.fixture
def index() -> MatchIndex:
    return MatchIndex(
        [
            sent("p-bodo", "1804", "Bodø"),
            sent("p-moss", "3103", "Moss"),  # the same question to another municipality
            sent(
                "p-moss-vann",
                "3103",
                "Moss",
                subject="Vann og avløp",
                body="Hva er årsgebyret for vann?\n",
                persona="jonas",
            ),
            sent("p-alta", "5601", "Alta", subject="Klagefrist", body="Hvor lang er klagefristen?\n"),
        ],
        related_domains=["iks.example.no"],
    )


def test_subject_normalisation() -> None:
    assert normalize_subject("SV: VS: Re: Fwd: Spørsmål om SFO ") == "spørsmål om sfo"
    assert normalize_subject("AW: [EKSTERN] Automatisk svar: Spørsmål  om SFO.") == "spørsmål om sfo"
    assert normalize_subject("Din henvendelse er registrert: Spørsmål om SFO") == "spørsmål om sfo"


def test_headers_first(index: MatchIndex) -> None:
    mail, raw = reply(sender="x@elsewhere.test", subject="Hei", body="Ja.",
                      headers={"In-Reply-To": "<p-alta.question@persona.kommunetest.test>"})  # fmt: skip
    m = index.match(mail, "anna", LATER, raw)
    assert m.sent.probe_id == "p-alta" and m.method == "in_reply_to"
    refs = "<other@x.test> <P-MOSS.question@persona.kommunetest.test>"  # case-insensitive ids
    mail, raw = reply(sender="x@elsewhere.test", subject="Hei", body="Ja.", headers={"References": refs})
    assert index.match(mail, "anna", LATER, raw).method == "references"
    assert index.is_own("<p-bodo.question@persona.kommunetest.test>")  # our Bcc self-copy
    assert not index.is_own("<reply.1@x.test>")


def test_subject_and_municipality_domain(index: MatchIndex) -> None:
    mail, raw = reply(
        sender="kari.hansen@bodo.kommune.no", subject="SV: Spørsmål om SFO", body="SFO koster 3 000 kr."
    )
    m = index.match(mail, "anna", LATER, raw)
    assert (m.sent.probe_id, m.method) == ("p-bodo", "subject_domain")
    # a department's subdomain is the municipality's too
    mail, raw = reply(sender="sfo@skole.3103.sim.kommunetest.test", subject="Re: Spørsmål om SFO", body="Ja.")
    assert index.match(mail, "anna", LATER, raw).sent.probe_id == "p-moss"


def test_domain_alone_when_the_persona_wrote_there_once(index: MatchIndex) -> None:
    mail, raw = reply(sender="noreply@5601.sim.kommunetest.test", subject="Kvittering for mottatt henvendelse",
                      body="Din henvendelse er registrert, saksnr 26/1234.")  # fmt: skip
    m = index.match(mail, "anna", LATER, raw)
    assert (m.sent.probe_id, m.method) == ("p-alta", "domain_persona")
    # the mailbox narrows the candidates: jonas wrote to Moss once, anna did not ask him about SFO
    mail, raw = reply(sender="post@3103.sim.kommunetest.test", subject="Kvittering", body="Registrert.")
    assert index.match(mail, "jonas", LATER, raw).sent.probe_id == "p-moss-vann"


def test_forward_from_another_domain_matches_by_quoted_text(index: MatchIndex) -> None:
    body = (
        "Hei! Vi i det interkommunale SFO-kontoret svarer for kommunen. Prisen er 3 100 kr.\n\n"
        "-----Opprinnelig melding-----\nFra: Anna Berg\nEmne: Spørsmål om SFO\n\n" + SFO_BODY.format(m="Moss")
    )
    mail, raw = reply(sender="ola@interkommunal.example.org", subject="VS: Spørsmål om SFO", body=body)
    m = index.match(mail, "anna", LATER, raw)
    assert (m.sent.probe_id, m.method) == ("p-moss", "quoted_text")  # the two SFO questions differ by name
    assert m.detail["overlap"] >= 0.5


def test_subject_alone_identifies_a_single_probe(index: MatchIndex) -> None:
    mail, raw = reply(sender="sak@iks.example.no", subject="SV: Klagefrist", body="Tre uker.")
    assert index.match(mail, "anna", LATER, raw).method == "subject"


def test_what_nothing_identifies_stays_unmatched(index: MatchIndex) -> None:
    mail, raw = reply(sender="ola@interkommunal.example.org", subject="SV: Spørsmål om SFO", body="3 100 kr.")
    assert index.match(mail, "anna", LATER, raw) is None  # two SFO probes, no quote, no known domain
    mail, raw = reply(sender="nyhetsbrev@butikk.example", subject="Tilbud!", body="Kjøp nå.")
    assert index.match(mail, "anna", LATER, raw) is None
    early = SENT - timedelta(days=2)  # mail from before the question cannot answer it
    mail, raw = reply(sender="kari@5601.sim.kommunetest.test", subject="SV: Klagefrist", body="Tre uker.")
    assert index.match(mail, "anna", early, raw) is None


def test_bounce_matches_by_the_embedded_message_id(index: MatchIndex) -> None:
    body = (
        "Delivery has failed to these recipients:\n\npostmottak@5601.sim.kommunetest.test\n\n"
        "Message-ID: <p-alta.question@persona.kommunetest.test>\n"
    )
    mail, raw = reply(sender="MAILER-DAEMON@mx.5601.sim.kommunetest.test", subject="Undeliverable: Klagefrist",
                      body=body)  # fmt: skip
    m = index.match(mail, "anna", LATER, raw)
    assert (m.sent.probe_id, m.method) == ("p-alta", "embedded_id")


# -- through the mail system ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def polled(mail_system, tmp_path_factory):
    """A round of 4 municipalities: one answers through a forward from another domain, one has a dead
    address, one answers fast, one through an archive system; plus a stray message for the queue."""
    from kommunetest.channels.email.inbox import poll_all
    from kommunetest.sandbox.mailround import sent_round
    from kommunetest.sandbox.responders import Responders, questions_from_store
    from kommunetest.scenarios import load_project_scenarios

    tmp = tmp_path_factory.mktemp("match")
    mr = sent_round(tmp / "proj", mail_system, "r1", ["3203", "4601", "1101", "5601"], start=date(2026, 2, 2),
                    weeks=2)  # fmt: skip
    bank = load_project_scenarios(mr.settings)
    responders = Responders.from_settings(
        mr.settings, seed=11, profiles={"3203": "rask", "4601": "død", "1101": "arkiv", "5601": "travel"}
    )
    plan = responders.plan(questions_from_store(mr.store, "r1", bank))
    responders.deliver(mail_system, plan)
    _, stray = reply(sender="nyhetsbrev@butikk.example", subject="Tilbud!", body="Kjøp nå.")
    mail_system.append(mr.project.personas[0].email, stray, internal_date=SENT)
    stats = poll_all(mr.settings, mr.store, "r1", env=mr.env, now=datetime(2026, 3, 31, tzinfo=UTC))
    yield mr, plan, stats
    mr.close()


def test_every_planned_reply_is_matched_to_its_probe(polled) -> None:
    from kommunetest.sandbox.responders import evaluate

    mr, plan, _stats = polled
    ev = evaluate(mr.store, plan)
    assert ev.found == len(plan) and ev.matched_right == len(plan), ev.lines()
    methods = {r["match_method"] for r in mr.store.mail_messages(status="matched")}
    assert "in_reply_to" in methods and {"subject_domain", "domain_persona", "embedded_id"} & methods
    assert ev.max_days_error < 0.001


def test_self_copies_are_recognised_and_never_queued(polled) -> None:
    mr, _plan, stats = polled
    own = mr.store.mail_messages(status="own")
    sent = mr.store.outbox_rows(round_name="r1", states="sent")
    assert len(own) == len(sent) == stats.own
    assert {r["message_id"] for r in own} == {r["message_id"] for r in sent}
    assert all(r["evidence_path"] is None for r in own)


def test_bounces_flag_the_address_and_fail_the_probe(polled, kt) -> None:
    mr, _plan, _stats = polled
    dead = [p for p in mr.store.probes("r1", channel="email", kommunenummer="4601")]
    assert dead and all(p["status"] == "failed" for p in dead)
    assert all("bounce" in p["details"]["failure"] and "5.1.1" in p["details"]["failure"] for p in dead)
    flagged = mr.store.flagged_addresses()
    assert [f["address"] for f in flagged] == ["postmottak@4601.sim.kommunetest.test"]
    assert flagged[0]["kommunenummer"] == "4601" and flagged[0]["status"] == "5.1.1"
    result = {o["probe_id"]: o for o in mr.store.observations("r1", kind="email_result")}[dead[0]["id"]]
    assert result["grade"] is None and result["value"]["bounced"] is True  # not observed, not zero
    out = kt("--project", str(mr.project.project_dir), "email", "replies", "--round", "r1", env=mr.env).output
    assert "flagged address" in out and "postmottak@4601.sim.kommunetest.test" in out


def test_unmatched_goes_to_the_queue_and_review_assigns_it(polled, kt) -> None:
    mr, _plan, _stats = polled
    queue = mr.store.mail_messages(status="unmatched")
    assert [m["subject"] for m in queue] == ["Tilbud!"]
    probe = mr.store.probes("r1", channel="email", kommunenummer="3203")[0]["id"]
    proj = str(mr.project.project_dir)
    r = kt("--project", proj, "email", "review", "--assign", str(queue[0]["id"]), "--probe", probe,
           "--reviewer", "kari", env=mr.env)  # fmt: skip
    assert r.exit_code == 0, r.output
    moved = mr.store.mail_message(queue[0]["id"])
    assert (
        moved["status"] == "matched" and moved["match_method"] == "manual" and moved["reviewed_by"] == "kari"
    )
    keys = mr.store.observation_keys(probe, "email_reply")
    assert f"reply:{moved['id']}" in keys
    r = kt("--project", proj, "email", "review", "--kind", f"{moved['id']}=receipt", env=mr.env)
    assert r.exit_code == 0 and mr.store.mail_message(moved["id"])["kind_override"] == "receipt"
    obs = {o["key"]: o for o in mr.store.observations("r1", probe_ids=[probe])}
    assert obs[f"reply:{moved['id']}"]["grade"] == "receipt"
    r = kt("--project", proj, "email", "review", "--ignore", str(queue[0]["id"]), env=mr.env)
    assert r.exit_code == 0 and mr.store.mail_message(queue[0]["id"])["status"] == "ignored"
    assert f"reply:{moved['id']}" not in mr.store.observation_keys(probe, "email_reply")
    assert "0 message(s) in the queue" in kt("--project", proj, "email", "unmatched", env=mr.env).output
