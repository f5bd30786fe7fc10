"""Simulated municipalities: a realistic, seeded mix of replies whose ground truth the inbox can be held to."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kommunetest.calendar import Calendars
from kommunetest.channels.email.classify import classify
from kommunetest.channels.email.grade import propose_grade
from kommunetest.channels.email.parse import parse_mail
from kommunetest.register import load_register, register_path
from kommunetest.sandbox.responders import PROFILES, Question, Responders
from kommunetest.scenarios import render_email
from kommunetest.settings import load_settings

SETTINGS = load_settings(Path("/nonexistent-project"))
CALENDARS = Calendars.from_settings(SETTINGS)


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    """Three questions to each of 150 municipalities, sent in office hours in February–March 2026."""
    from kommunetest.scenarios import load_project_scenarios

    bank = load_project_scenarios(SETTINGS)
    scenarios = bank.by_channel("email")
    munis = load_register(register_path(SETTINGS)).municipalities[:150]
    rng = random.Random(3)
    out = []
    for i, m in enumerate(munis):
        cal = CALENDARS.for_municipality(m.kommunenummer)
        for j in range(3):
            s = scenarios[(i + j) % len(scenarios)]
            day = cal.shift_working_days(date(2026, 2, 2), rng.randrange(0, 25))
            opening, closing = cal.office_window(day)
            sent = opening + (closing - opening) * rng.random()
            subject, body = render_email(s, 0, {"name": "Anna Berg", "address": "Storgata 1", "city": "Lillevik"},
                                         m.name)  # fmt: skip
            assert s.email is not None
            out.append(Question(
                f"r:{m.kommunenummer}:{s.id}", m.kommunenummer, m.name, f"postmottak@{m.kommunenummer}.sim.kommunetest.test",
                "Anna Berg", "anna.berg@persona.kommunetest.test", f"<q{i}.{j}@persona.kommunetest.test>", subject,
                body, sent.astimezone(UTC), s.id, s.email.answer_key,
            ))  # fmt: skip
    return out


@pytest.fixture(scope="module")
def plan(questions):
    return Responders(CALENDARS, seed=2027).plan(questions)


def test_profiles_are_seeded_and_mixed() -> None:
    a = Responders(CALENDARS, seed=1)
    knrs = [f"{i:04d}" for i in range(1000, 1400)]
    profiles = Counter(a.profile(k).name for k in knrs)
    assert set(profiles) == set(PROFILES)  # every kind of municipality occurs, a few with a dead address
    assert 0 < profiles["død"] < 30 and profiles["rask"] > profiles["taus"]
    assert [a.profile(k).name for k in knrs] == [Responders(CALENDARS, seed=1).profile(k).name for k in knrs]
    assert [a.profile(k).name for k in knrs] != [Responders(CALENDARS, seed=2).profile(k).name for k in knrs]
    assert Responders(CALENDARS, profiles={"3203": "død"}).profile("3203").name == "død"


def test_the_mix_of_replies_is_realistic(questions, plan) -> None:
    kinds = Counter(r.kind for r in plan)
    assert set(kinds) == {"auto_reply", "receipt", "interim", "substantive", "referral", "bounce"}
    answered = {r.probe_id for r in plan if r.kind == "substantive"}
    silent = {q.probe_id for q in questions} - {r.probe_id for r in plan}
    assert 0.5 < len(answered) / len(questions) < 0.85
    assert silent and len(silent) < len(questions) * 0.25
    styles = Counter(r.style for r in plan)
    assert styles["exchange_oof"] and styles["outlook_rule_oof"] and styles["forwarded_answer"]
    grades = Counter(r.expected_grade for r in plan if r.kind == "substantive")
    assert grades["correct"] > grades["partial"] > 0 and grades["relevant"] > 0


def test_ground_truth_timing(plan) -> None:
    for r in plan:
        cal = CALENDARS.for_municipality(r.kommunenummer)
        assert r.received_at > r.sent_at
        assert r.working_days == pytest.approx(cal.working_days_between(r.sent_at, r.received_at), abs=1e-3)
        if r.kind in ("substantive", "interim", "referral"):  # people write in office hours
            assert cal.is_open(r.received_at), r
        if r.kind in ("auto_reply", "bounce"):
            assert r.received_at - r.sent_at < timedelta(minutes=10)
    answers = sorted(r.working_days for r in plan if r.kind == "substantive")
    assert answers[0] < 1 < answers[len(answers) // 2] < 10 < answers[-1]  # a long-tailed spread


def test_seeded_and_deterministic(questions) -> None:
    a = Responders(CALENDARS, seed=7).plan(questions[:30])
    b = Responders(CALENDARS, seed=7).plan(questions[:30])
    c = Responders(CALENDARS, seed=8).plan(questions[:30])
    assert [r.raw for r in a] == [r.raw for r in b]
    assert [r.raw for r in a] != [r.raw for r in c]


def test_classifier_agrees_with_the_ground_truth_on_most_messages(questions, plan) -> None:
    by_message = {q.message_id: q for q in questions}
    body = {q.probe_id: q.body for q in questions}
    per: dict[str, list[int]] = {}
    for r in plan:
        got = classify(parse_mail(r.raw), question=body[r.probe_id]).kind
        per.setdefault(r.kind, []).append(int(got == r.kind))
    accuracy = {k: sum(v) / len(v) for k, v in per.items()}
    total = sum(sum(v) for v in per.values()) / sum(len(v) for v in per.values())
    assert total >= 0.9, accuracy
    assert all(a >= 0.75 for a in accuracy.values()), accuracy
    assert by_message


def test_deserved_grades_agree_with_the_proposals(questions, plan) -> None:
    keys = {q.probe_id: q.answer_key for q in questions}
    pairs = []
    for r in plan:
        if r.kind != "substantive":
            continue
        parts = parse_mail(r.raw).split()
        pairs.append(
            (r.expected_grade, propose_grade(keys[r.probe_id], parts.new, signature=parts.signature).grade)
        )
    agree = sum(e == g for e, g in pairs) / len(pairs)
    assert agree >= 0.85, Counter(pairs)


def test_delivery_sets_internaldate_and_is_idempotent(mail_system, questions) -> None:
    address, _ = mail_system.new_user("anna")
    qs = [q.__class__(**{**q.__dict__, "persona_email": address}) for q in questions[:12]]
    responders = Responders(CALENDARS, seed=4)
    plan = responders.plan(qs)
    done: set[str] = set()
    cut = plan[len(plan) // 2].received_at
    first = responders.deliver(mail_system, plan, until=cut, delivered=done)
    assert 0 < first < len(plan)
    assert responders.deliver(mail_system, plan, delivered=done) == len(plan) - first
    assert responders.deliver(mail_system, plan, delivered=done) == 0
    with mail_system.imap(address) as client:
        client.normalise_times = False
        client.select_folder("INBOX", readonly=True)
        data = client.fetch("1:*", ["INTERNALDATE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    got = {
        parse_mail(v[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]).message_id: v[b"INTERNALDATE"]
        for v in data.values()
    }
    assert len(got) == len(plan)
    for r in plan:
        assert got[r.message_id] == r.received_at.replace(microsecond=0)
    future = plan[0].__class__(**{**plan[0].__dict__, "received_at": datetime.now(UTC) + timedelta(days=3)})
    with pytest.raises(ValueError, match="in the past"):
        responders.deliver(mail_system, [future])


def test_questions_read_from_the_postmottak_mailboxes(mail_system, tmp_path) -> None:
    from kommunetest.sandbox.mailround import sent_round
    from kommunetest.sandbox.responders import questions_from_mailboxes, questions_from_store
    from kommunetest.scenarios import load_project_scenarios

    mr = sent_round(tmp_path / "proj", mail_system, "r1", ["3203", "1101"], start=date(2026, 2, 2), weeks=1)
    bank = load_project_scenarios(mr.settings)
    stored = {q.message_id: q for q in questions_from_store(mr.store, "r1", bank)}
    # the session's mail system is shared: other tests' questions may sit in the same postmottak mailboxes
    arrived = [
        q for q in questions_from_mailboxes(mail_system, ["3203", "1101"], bank) if q.message_id in stored
    ]
    assert {q.message_id for q in arrived} == set(stored)
    for q in arrived:
        assert q.scenario_id == stored[q.message_id].scenario_id
        assert q.persona_email == stored[q.message_id].persona_email
        assert abs((q.sent_at - stored[q.message_id].sent_at).total_seconds()) < 2
    mr.close()
