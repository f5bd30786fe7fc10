"""Grading answers against the question bank's answer keys, the working-day clock, and the review command."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from kommunetest.calendar import Calendars
from kommunetest.channels.email.grade import propose_grade
from kommunetest.channels.email.timing import speed_tier, timeline
from kommunetest.scenarios import load_project_scenarios
from kommunetest.settings import load_settings

OSLO_WINTER = 1  # UTC offset in February


@pytest.fixture(scope="module")
def bank():
    return load_project_scenarios(load_settings(Path("/nonexistent-project")))


def key(bank, scenario_id: str, follow_up: bool = False):
    spec = bank.get(scenario_id).email
    return spec.follow_up.answer_key if follow_up else spec.answer_key


# -- grading ------------------------------------------------------------------------------------------------


def test_complete_answer_is_correct_and_lists_the_facts(bank) -> None:
    text = "Hei!\n\nEn SFO-plass koster 3 145 kr per måned. SFO er åpen fra kl. 07.30 til 16.30 mandag til fredag."
    p = propose_grade(key(bank, "sfo-pris-apningstider"), text)
    assert p.grade == "correct"
    assert {f["kind"] for f in p.facts_found} == {"price", "opening_hours"}
    assert p.facts_found[0]["fact"]["value"]["nok"] == 3145
    assert not p.facts_missing and p.confidence >= 0.8


def test_topic_comes_from_the_whole_answer_when_the_key_has_one_fact_of_a_kind(bank) -> None:
    # the sentence with the price does not say "SFO"; the answer as a whole is about SFO
    text = "Hei!\n\nSpørsmålet ditt om SFO: prisen er 3 145 kr per måned for full plass."
    p = propose_grade(key(bank, "sfo-pris-apningstider"), text)
    assert p.grade == "partial"
    assert [f["kind"] for f in p.facts_found] == ["price"]
    assert [f["kind"] for f in p.facts_missing] == ["opening_hours"]


def test_pinned_value_outside_tolerance_is_wrong(bank) -> None:
    wrong = (
        "Hei,\n\nKlagefristen er fire uker. Klagen må være skriftlig og sendes til den som fattet vedtaket."
    )
    p = propose_grade(key(bank, "klage-vedtak"), wrong)
    assert p.facts_wrong and p.facts_wrong[0]["kind"] == "complaint_deadline"
    assert p.grade == "partial"  # the points are there, the deadline is wrong
    only_wrong = "Hei,\n\nKlagefristen hos oss er fire uker."
    assert propose_grade(key(bank, "klage-vedtak"), only_wrong).grade == "none"
    right = (
        "Hei,\n\nKlagefristen er tre uker fra du mottok vedtaket. Klagen må være skriftlig og sendes til den som "
        "fattet vedtaket."
    )
    assert propose_grade(key(bank, "klage-vedtak"), right).grade == "correct"


def test_two_facts_of_one_kind_need_two_values(bank) -> None:
    both = "Hei,\n\nÅrsgebyret for vann er 4 200 kr og for avløp 5 100 kr for en enebolig."
    assert propose_grade(key(bank, "vann-avlop-arsgebyr"), both).grade == "correct"
    one = "Hei,\n\nÅrsgebyret for vann er 4 200 kr for en enebolig."
    p = propose_grade(key(bank, "vann-avlop-arsgebyr"), one)
    assert p.grade == "partial" and len(p.facts_found) == 1


def test_vague_referral_and_empty_answers(bank) -> None:
    vague = (
        "Hei!\n\nTakk for spørsmålet. Dette varierer fra sak til sak, og kommunestyret vedtar satsene hvert år i "
        "forbindelse med budsjettet."
    )
    assert propose_grade(key(bank, "sfo-pris-apningstider"), vague).grade == "relevant"
    assert propose_grade(key(bank, "sfo-pris-apningstider"), "Ok.").grade == "none"
    assert propose_grade(key(bank, "sfo-pris-apningstider"), "Ring SFO.", kind="referral").grade == "relevant"
    assert propose_grade(None, vague).confidence < 0.2  # no key: a person must grade it


def test_required_points_of_a_follow_up_key(bank) -> None:
    text = "Hei igjen,\n\nJa, vi har søskenmoderasjon på 30 prosent for barn nummer to."
    p = propose_grade(key(bank, "sfo-pris-apningstider", follow_up=True), text)
    assert p.grade == "correct" and p.points_found[0]["id"] == "moderasjon"


def test_phone_in_the_signature_counts(bank) -> None:
    text = "Hei!\n\nHelsestasjonen er åpen fra kl. 08.00 til 15.30 mandag til fredag."
    signature = "Vennlig hilsen\nHelsestasjonen\nTlf. 75 55 12 34"
    p = propose_grade(key(bank, "helsestasjon-kontakt"), text, signature=signature)
    assert p.grade == "correct", p.reasons


# -- the working-day clock ------------------------------------------------------------------------------------


def _at(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return (
        datetime(y, m, d, h - OSLO_WINTER, mi, tzinfo=UTC)
        if m < 4
        else datetime(y, m, d, h - 2, mi, tzinfo=UTC)
    )


def _reply(i: int, kind: str, at: datetime) -> dict:
    return {"id": i, "kind": kind, "kind_override": None, "received_at": at}


def test_clock_skips_the_weekend_and_only_a_real_answer_stops_it() -> None:
    cal = Calendars(tz="Europe/Oslo").for_municipality("3203")
    sent = _at(2026, 2, 6, 14)  # Friday 14:00
    replies = [
        _reply(1, "auto_reply", _at(2026, 2, 6, 14, 1)),
        _reply(2, "interim", _at(2026, 2, 9, 10)),  # Monday
        _reply(3, "substantive", _at(2026, 2, 10, 10)),  # Tuesday
        _reply(4, "substantive", _at(2026, 2, 11, 9)),
    ]
    tl = timeline(cal, sent, replies, now=_at(2026, 3, 1, 12), close_after=20)
    assert tl.first_reply["id"] == 1 and tl.first_reply_days == pytest.approx(1 / 24 / 60, abs=1e-3)
    assert tl.answer["id"] == 3
    assert tl.answer_days == pytest.approx((10 + 24 + 10) / 24, abs=1e-3)  # Fri 10 h + Mon 24 h + Tue 10 h
    assert tl.interim and tl.speed_tier == "3" and not tl.closed_unanswered


def test_clock_skips_easter_and_closes_unanswered_after_twenty_working_days() -> None:
    cal = Calendars(tz="Europe/Oslo").for_municipality("3203")
    sent = _at(2026, 4, 1, 12)  # Wednesday before Easter: Thu 2, Fri 3 and Mon 6 April are holidays
    answer = _at(2026, 4, 7, 12)  # Tuesday after Easter
    tl = timeline(cal, sent, [_reply(1, "substantive", answer)], now=answer, close_after=20)
    assert tl.answer_days == pytest.approx(1.0, abs=1e-3)  # Wed 12 h + Tue 12 h
    assert tl.speed_tier == "1"
    receipt_only = [_reply(1, "receipt", _at(2026, 4, 1, 12, 5)), _reply(2, "bounce", _at(2026, 4, 1, 12, 6))]
    open_ = timeline(cal, sent, receipt_only, now=_at(2026, 5, 5, 11), close_after=20)
    assert not open_.closed_unanswered and open_.answer is None and len(open_.bounces) == 1
    assert open_.deadline.date() == date(2026, 5, 5)  # 20 working days, Easter and 1 May skipped
    closed = timeline(cal, sent, receipt_only, now=_at(2026, 5, 5, 12), close_after=20)
    assert closed.closed_unanswered and closed.speed_tier == "none"


def test_speed_tiers_and_reviewer_corrections() -> None:
    assert [speed_tier(d) for d in (0.2, 1.0, 2.5, 5.0, 5.01, None)] == ["1", "1", "3", "5", "late", "none"]
    cal = Calendars(tz="Europe/Oslo").for_municipality(None)
    sent = _at(2026, 2, 2, 10)
    r = {**_reply(1, "receipt", _at(2026, 2, 3, 10)), "kind_override": "substantive"}
    assert timeline(cal, sent, [r], now=sent, close_after=20).answer_days == pytest.approx(1.0)


# -- the review command, against a round sent and answered through the local mail system ------------------


@pytest.fixture
def answered_round(mail_system, tmp_path: Path):
    from kommunetest.channels.email.inbox import poll_all
    from kommunetest.sandbox.mailround import sent_round
    from kommunetest.sandbox.responders import Profile, Responders, questions_from_store

    mr = sent_round(tmp_path / "proj", mail_system, "r1", ["3203", "4601"], start=date(2026, 2, 2), weeks=1,
                    scenario_ids=["sfo-pris-apningstider", "klage-vedtak", "svommehall-apningstider"])  # fmt: skip
    bank = load_project_scenarios(mr.settings)
    always = Profile("always", {"answer": 1.0}, 1.0, quality={"complete": 0.5, "partial": 0.5}, threaded=1.0)
    responders = Responders.from_settings(mr.settings, seed=5, profiles={"3203": always, "4601": always})
    plan = [r for r in responders.plan(questions_from_store(mr.store, "r1", bank)) if r.kind == "substantive"]
    responders.deliver(mail_system, plan)
    poll_all(mr.settings, mr.store, "r1", env=mr.env, now=datetime(2026, 3, 20, tzinfo=UTC))
    yield mr
    mr.close()


def _invoke(mr, *args: str, input: str | None = None):
    from kommunetest.cli import cli

    runner = CliRunner(env={**mr.env, "KOMMUNETEST_REVIEWER": "kari"})
    return runner.invoke(
        cli, ["--project", str(mr.project.project_dir), *args], input=input, catch_exceptions=False
    )


def test_review_confirms_and_corrects_one_reply_at_a_time(answered_round) -> None:
    mr = answered_round
    store = mr.store
    pending = [g for g in store.email_grades("r1") if g["reply_id"] and not g["confirmed"]]
    assert len(pending) >= 3
    listed = _invoke(mr, "email", "review", "--round", "r1", "--list")
    assert listed.exit_code == 0 and f"{len(pending)} awaiting confirmation" in listed.output
    # first: accept the proposal; second: "partial" with a note; then quit
    result = _invoke(mr, "email", "review", "--round", "r1", input="\n\np\nmangler åpningstid\nq\n")
    assert result.exit_code == 0, result.output
    assert (
        "question: «" in result.output and "proposed grade:" in result.output and "timing:" in result.output
    )
    assert "confirmed 2 grade(s) as kari" in result.output
    grades = {g["probe_id"]: g for g in store.email_grades("r1")}
    first, second = (grades[pending[0]["probe_id"]], grades[pending[1]["probe_id"]])
    assert first["confirmed"] == first["proposed"] and first["confirmed_by"] == "kari"
    assert second["confirmed"] == "partial" and second["note"] == "mangler åpningstid"
    assert second["proposed"] == pending[1]["proposed"]  # the proposal is kept beside the decision
    result_obs = {o["probe_id"]: o for o in store.observations("r1", kind="email_result")}
    assert result_obs[second["probe_id"]]["grade"] == "partial"
    assert result_obs[second["probe_id"]]["value"]["quality_confirmed"] is True
    assert result_obs[second["probe_id"]]["value"]["quality_proposed"] == pending[1]["proposed"]
    # the rest in bulk
    bulk = _invoke(mr, "email", "review", "--round", "r1", "--accept-all-above", "0")
    assert bulk.exit_code == 0 and f"confirmed {len(pending) - 2} proposal(s)" in bulk.output
    assert all(g["confirmed"] for g in store.email_grades("r1") if g["reply_id"])
    assert "nothing awaits confirmation" in _invoke(mr, "email", "review", "--round", "r1").output


def test_replies_command_shows_timing_and_grades(answered_round) -> None:
    import json

    result = _invoke(answered_round, "email", "replies", "--round", "r1", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    answered = [r for r in rows if r["status"] == "answered"]
    assert answered and all(r["result"]["answer_days"] is not None for r in answered)
    assert all(r["replies"][0]["match_method"] for r in answered)
    text = _invoke(answered_round, "email", "replies", "--round", "r1").output
    assert "answered" in text and "substantive" in text


def test_a_real_answer_makes_the_follow_up_due_and_its_reply_is_kept_apart(
    answered_round, mail_system
) -> None:
    from email.message import EmailMessage
    from email.policy import SMTP

    from kommunetest.channels.email.followup import pending_follow_ups
    from kommunetest.channels.email.inbox import poll_all

    mr, store = answered_round, answered_round.store
    probe = next(p for p in store.probes("r1", channel="email", status="answered")
                 if p["scenario_id"] == "sfo-pris-apningstider")  # fmt: skip
    f = probe["details"]["follow_up"]
    answer = store.mail_message(f["answer_reply_id"])
    assert f["due"] and f["in_reply_to"] == answer["message_id"]
    assert datetime.fromisoformat(f["not_before"]) > answer["received_at"]  # one working day later
    assert probe["id"] in [p["id"] for p, _q, _r in pending_follow_ups(store, "r1")]  # from not_before on

    # the sender sends the follow-up (outbox part follow_up) ...
    question = store.outbox_row(probe["id"])
    sent_at = datetime.fromisoformat(f["not_before"])
    fu_id = "<follow-up-1@persona.kommunetest.test>"
    store.outbox_create_sending(
        {"probe_id": probe["id"], "part": "follow_up", "round_name": "r1", "persona_id": probe["persona_id"],
         "message_id": fu_id, "recipient": question["recipient"], "subject": f"Re: {question['subject']}",
         "in_reply_to": f["in_reply_to"]}, b"Subject: follow-up\r\n\r\nSoeskenmoderasjon?\r\n",
    )  # fmt: skip
    store.outbox_sent(probe["id"], "follow_up", sent_at=sent_at, smtp_code=250, smtp_response="ok")
    assert store.get_probe(probe["id"])["status"] == "answered"
    assert probe["id"] not in [p["id"] for p, _q, _r in pending_follow_ups(store, "r1")]
    # ... and the municipality answers it
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "kari@" + question["recipient"].split("@")[1]
    msg["To"] = mr.project.persona(probe["persona_id"]).email
    msg["Subject"] = f"SV: Re: {question['subject']}"
    msg["Message-ID"] = "<fu-answer@3203.sim.kommunetest.test>"
    msg["In-Reply-To"] = fu_id
    msg.set_content("Hei igjen!\n\nJa, vi har søskenmoderasjon på 30 prosent for barn nummer to.\n")
    mail_system.append(msg["To"], msg.as_bytes(), internal_date=sent_at + timedelta(hours=3))
    before = {o["key"]: o for o in store.observations("r1", probe_ids=[probe["id"]])}["result"]
    poll_all(mr.settings, store, "r1", env=mr.env, now=datetime(2026, 3, 20, tzinfo=UTC))
    obs = {o["key"]: o for o in store.observations("r1", probe_ids=[probe["id"]])}
    assert obs["follow_up"]["kind"] == "email_follow_up" and obs["follow_up"]["grade"] == "correct"
    assert obs["follow_up"]["value"]["answer_days"] == pytest.approx(3 / 24, abs=0.01)
    assert obs["result"]["value"] == before["value"]  # the first question's result is untouched
    reply_keys = [k for k in obs if k.startswith("reply:")]
    assert len(reply_keys) == 2 and {obs[k]["value"]["part"] for k in reply_keys} == {"question", "follow_up"}
    assert all("@" not in str(obs[k]["value"].get("from_domain")) for k in reply_keys)
