"""Simulated municipalities answering e-mail, the way real ones do, for tests, benchmarks and the demo.

Each municipality gets a profile (seeded): quick and thorough, slow, run by an archive system that sends a
receipt first, behind an out-of-office, mostly silent, or with a dead postmottak address that bounces. For
each question it plans the replies (out-of-office with or without RFC 3834 headers, archive receipt,
interim answer, the real answer quoting the question with a signature, a referral, a bounce, or silence),
each with a delay in working days drawn from the profile's distribution, and delivers them by IMAP APPEND
into the persona's INBOX with INTERNALDATE = sent time + delay, so that a whole round's mail is in place in
seconds. The plan keeps the ground truth (class, delay, deserved grade) so a rehearsal can print how well the
inbox classified, matched and timed it (`evaluate`).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kommunetest.calendar import Calendars, WorkCalendar
from kommunetest.channels.email.match import domain_of
from kommunetest.channels.email.parse import parse_mail
from kommunetest.channels.email.render import bare_name
from kommunetest.sandbox import responder_texts as T
from kommunetest.scenarios import AnswerKey, QuestionBank

if TYPE_CHECKING:
    from kommunetest.sandbox.mailsystem import MailSystem
    from kommunetest.settings import Settings
    from kommunetest.store import Store

INTER_MUNICIPAL_DOMAIN = "iks.sim.kommunetest.test"  # a shared service answering for several municipalities


@dataclass(frozen=True)
class Profile:
    """How one municipality answers: outcome weights, answer delay (log-normal, working days) and quality."""

    name: str
    outcomes: dict[str, float]
    median_days: float
    sigma: float = 0.7
    quality: dict[str, float] = field(default_factory=lambda: {"complete": 0.6, "partial": 0.3, "vague": 0.1})
    threaded: float = 0.85  # share of answers carrying In-Reply-To/References
    nynorsk: float = 0.2


PROFILES: dict[str, Profile] = {
    "rask": Profile("rask", {"answer": 0.85, "receipt_answer": 0.05, "referral": 0.05, "silence": 0.05}, 0.7,
                    quality={"complete": 0.75, "partial": 0.2, "vague": 0.05}),
    "arkiv": Profile("arkiv", {"receipt_answer": 0.7, "receipt_only": 0.15, "answer": 0.1, "silence": 0.05}, 3.0),
    "travel": Profile("travel", {"oof_answer": 0.35, "interim_answer": 0.3, "answer": 0.2, "oof_only": 0.1,
                                 "silence": 0.05}, 4.0, sigma=0.6),
    "treg": Profile("treg", {"answer": 0.45, "interim_answer": 0.15, "referral": 0.1, "silence": 0.3}, 7.0,
                    quality={"complete": 0.4, "partial": 0.4, "vague": 0.2}, threaded=0.6),
    "taus": Profile("taus", {"silence": 0.7, "receipt_only": 0.15, "answer": 0.15}, 12.0),
    "død": Profile("død", {"bounce": 1.0}, 0.0),
}  # fmt: skip
FOLLOW_UP_OUTCOMES = {"answer": 0.6, "receipt_answer": 0.1, "interim_answer": 0.1, "silence": 0.2}
PROFILE_WEIGHTS = {"rask": 0.35, "arkiv": 0.25, "travel": 0.15, "treg": 0.15, "taus": 0.07}


@dataclass(frozen=True)
class Question:
    """A question a municipality received (from the store's outbox or from its postmottak mailbox)."""

    probe_id: str | None
    kommunenummer: str
    municipality: str
    recipient: str
    persona_name: str
    persona_email: str
    message_id: str
    subject: str
    body: str
    sent_at: datetime
    scenario_id: str | None = None
    answer_key: AnswerKey | None = None
    part: str = "question"  # or "follow_up": the second question in the same thread


@dataclass
class PlannedReply:
    """One reply to deliver, with its ground truth."""

    probe_id: str | None
    kommunenummer: str
    persona_email: str
    message_id: str
    kind: str  # the class it should get: auto_reply, receipt, interim, substantive, referral, bounce
    style: str
    sent_at: datetime
    received_at: datetime
    working_days: float  # true delay on the municipality's working-day clock
    expected_grade: str | None  # for answers: correct, partial, relevant
    profile: str
    raw: bytes = field(repr=False, default=b"")
    part: str = "question"

    def truth(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("raw")
        d["sent_at"] = self.sent_at.isoformat()
        d["received_at"] = self.received_at.isoformat()
        return d


def _draw(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class Responders:
    """Plans and delivers the replies of simulated municipalities. Deterministic from `seed`."""

    def __init__(
        self,
        calendars: Calendars,
        *,
        seed: int = 2027,
        dead_share: float = 0.03,
        profiles: dict[str, str | Profile] | None = None,
    ) -> None:
        self.calendars = calendars
        self.seed = seed
        self.dead_share = dead_share
        self.fixed = dict(profiles or {})

    @classmethod
    def from_settings(cls, settings: Settings, **kw: Any) -> Responders:
        return cls(Calendars.from_settings(settings), **kw)

    def profile(self, kommunenummer: str) -> Profile:
        if kommunenummer in self.fixed:
            fixed = self.fixed[kommunenummer]
            return fixed if isinstance(fixed, Profile) else PROFILES[fixed]
        rng = random.Random(f"{self.seed}:profile:{kommunenummer}")
        if rng.random() < self.dead_share:
            return PROFILES["død"]
        return PROFILES[_draw(rng, PROFILE_WEIGHTS)]

    # -- planning --------------------------------------------------------------------------------------------
    def plan(self, questions: Iterable[Question]) -> list[PlannedReply]:
        out: list[PlannedReply] = []
        for q in questions:
            out += self.plan_one(q)
        out.sort(key=lambda r: (r.received_at, r.message_id))
        return out

    def plan_one(self, q: Question) -> list[PlannedReply]:
        profile = self.profile(q.kommunenummer)
        # by probe when known: our Message-IDs are random, a probe id is the same in every rehearsal
        rng = random.Random(f"{self.seed}:reply:{q.probe_id or q.message_id}")
        cal = self.calendars.for_municipality(q.kommunenummer)
        domain = domain_of(q.recipient) or f"{q.kommunenummer}.sim.kommunetest.test"
        ctx = T.Context(q.municipality, domain, q.recipient, q.persona_name, q.persona_email, q.subject, q.body,
                        q.message_id, q.sent_at)  # fmt: skip
        if q.part == "follow_up":
            # It answered the first question from this address: it does not bounce now, and a follow-up in
            # the same thread is answered more often than not (the archive may acknowledge it again).
            rng = random.Random(f"{self.seed}:follow-up:{q.probe_id or q.message_id}")
            outcome = _draw(rng, FOLLOW_UP_OUTCOMES)
        else:
            outcome = _draw(rng, profile.outcomes)
        replies: list[PlannedReply] = []

        def add(kind: str, style: str, at: datetime, raw: bytes, mid: str, grade: str | None = None) -> None:
            days = round(cal.working_days_between(q.sent_at, at), 4)
            replies.append(PlannedReply(q.probe_id, q.kommunenummer, q.persona_email, mid, kind, style, q.sent_at,
                                        at, days, grade, profile.name, raw, q.part))  # fmt: skip

        def mid(part: str) -> str:
            return f"<{rng.getrandbits(64):016x}.{part}@{domain}>"

        answer_days = rng.lognormvariate(0, profile.sigma) * profile.median_days
        answer_at = self._office_time(rng, cal, q.sent_at, answer_days)
        if outcome == "bounce":
            at = q.sent_at + timedelta(seconds=rng.randint(2, 90))
            m = mid("dsn")
            add("bounce", "postfix_dsn", at, T.bounce(rng, ctx, at, m), m)
            return replies
        if outcome in ("receipt_answer", "receipt_only"):
            at = q.sent_at + timedelta(seconds=rng.randint(20, 900))
            if rng.random() < 0.25:  # registered by the archive the next working morning
                at = self._office_time(rng, cal, q.sent_at, 1.0, early=True)
            subject, body, headers = T.archive_receipt(rng, ctx)
            sender = (f"{q.municipality} kommune", rng.choice([f"noreply@{domain}", f"postmottak@{domain}"]))
            m = mid("receipt")
            add("receipt", "archive_receipt", at,
                T.message(sender=sender, ctx=ctx, subject=subject, body=body, date=at, message_id=m, headers=headers,
                          threaded=rng.random() < 0.5), m)  # fmt: skip
        if outcome in ("oof_answer", "oof_only"):
            at = q.sent_at + timedelta(seconds=rng.randint(5, 300))
            with_headers = rng.random() < 0.6
            subject, body, headers = T.out_of_office(rng, ctx, headers=with_headers)
            name, addr = T.staff(rng, domain)
            m = mid("oof")
            add("auto_reply", "exchange_oof" if with_headers else "outlook_rule_oof", at,
                T.message(sender=(name, addr), ctx=ctx, subject=subject, body=body, date=at, message_id=m,
                          headers=headers, charset=rng.choice(["utf-8", "windows-1252"])), m)  # fmt: skip
        if outcome == "interim_answer":
            at = self._office_time(rng, cal, q.sent_at, min(1.0, answer_days / 2))
            name, addr = T.staff(rng, domain)
            m = mid("interim")
            body = T.interim(rng, ctx) + T.signature(rng, name, ctx, False) + T.quote(rng, ctx)
            add("interim", "interim", at,
                T.message(sender=(name, addr), ctx=ctx, subject=f"SV: {q.subject}", body=body, date=at, message_id=m),
                m)  # fmt: skip
            answer_at = max(answer_at, self._office_time(rng, cal, at, 1.0 + rng.random() * 3))
        if outcome == "referral":
            name, addr = T.staff(rng, domain)
            m = mid("referral")
            body = T.referral(rng, ctx) + T.signature(rng, name, ctx, False) + T.quote(rng, ctx)
            add("referral", "referral", answer_at,
                T.message(sender=(name, addr), ctx=ctx, subject=f"SV: {q.subject}", body=body, date=answer_at,
                          message_id=m, threaded=rng.random() < profile.threaded), m, "relevant")  # fmt: skip
        if outcome in ("answer", "receipt_answer", "oof_answer", "interim_answer"):
            quality = _draw(rng, profile.quality)
            text, grade = T.answer(rng, ctx, q.answer_key, quality)
            forwarded = rng.random() < 0.06
            name, addr = T.staff(rng, INTER_MUNICIPAL_DOMAIN if forwarded else domain)
            nynorsk = rng.random() < profile.nynorsk
            body = text + T.signature(rng, name, ctx, nynorsk) + T.quote(rng, ctx)
            m = mid("answer")
            style = "forwarded_answer" if forwarded else f"answer_{quality}"
            add("substantive", style, answer_at,
                T.message(sender=(name, addr), ctx=ctx, subject=f"SV: {q.subject}", body=body, date=answer_at,
                          message_id=m, threaded=not forwarded and rng.random() < profile.threaded,
                          charset=rng.choice(["utf-8", "utf-8", "windows-1252"])), m, grade)  # fmt: skip
        return replies

    def _office_time(
        self, rng: random.Random, cal: WorkCalendar, start: datetime, days: float, *, early: bool = False
    ) -> datetime:
        """A moment in office hours about `days` working days after `start` (never before it)."""
        n = max(0, int(days))
        local = start.astimezone(cal.tz)
        day = cal.shift_working_days(local.date(), n) if cal.is_working_day(local.date()) else cal.next_working_day(
            local.date()
        )  # fmt: skip
        if n == 0 and cal.is_working_day(local.date()) and days < 1 and rng.random() < 0.5:
            day = local.date()
        for _ in range(30):
            opening, closing = cal.office_window(day)
            lo = max(opening, start + timedelta(minutes=10))
            if early:
                closing = min(closing, opening + timedelta(hours=2))
            if lo < closing:
                span = (closing - lo).total_seconds()
                return lo + timedelta(seconds=rng.uniform(0, span))
            day = cal.next_working_day(day)
        return start + timedelta(days=1)

    # -- delivery --------------------------------------------------------------------------------------------
    def deliver(
        self,
        ms: MailSystem,
        replies: Sequence[PlannedReply],
        *,
        until: datetime | None = None,
        delivered: set[str] | None = None,
    ) -> int:
        """APPEND the replies due by `until` (all when None) to each persona's INBOX, INTERNALDATE = the planned
        received time; one connection per persona. `delivered` (message ids) makes repeated calls idempotent."""
        done = delivered if delivered is not None else set()
        by_persona: dict[str, list[PlannedReply]] = defaultdict(list)
        now = datetime.now(UTC)
        for r in replies:
            if r.message_id not in done and (until is None or r.received_at <= until):
                if r.received_at > now + timedelta(minutes=1):
                    raise ValueError(
                        f"reply {r.message_id} would arrive at {r.received_at:%Y-%m-%d %H:%M} UTC, after the real "
                        "now: Dovecot replaces an APPEND date in the future by the present, so rehearse rounds "
                        "that lie in the past (or deliver with until=<the real now>)"
                    )
                by_persona[r.persona_email].append(r)
        n = 0
        for address, items in by_persona.items():
            with ms.imap(address) as client:
                for r in sorted(items, key=lambda r: r.received_at):
                    client.append("INBOX", r.raw, msg_time=r.received_at)
                    done.add(r.message_id)
                    n += 1
        return n


# -- where the questions come from ---------------------------------------------------------------------------


def questions_from_store(
    store: Store, round_name: str, bank: QuestionBank | None = None, *, part: str = "question"
) -> list[Question]:
    """The round's sent questions (or, with `part="follow_up"`, follow-up questions), from the outbox and the
    exact bytes sent."""
    munis = {m["kommunenummer"]: m for m in store.round_municipalities(round_name)}
    probes = {p["id"]: p for p in store.probes(round_name, channel="email")}
    out = []
    for row in store.outbox_rows(round_name=round_name, states="sent"):
        if row["part"] != part:
            continue
        probe = probes[row["probe_id"]]
        mail = parse_mail((store.results_dir / row["evidence_path"]).read_bytes())
        key = None
        if bank is not None and probe["scenario_id"] in bank:
            spec = bank.get(probe["scenario_id"]).email
            if part == "question":
                key = spec.answer_key if spec else None
            else:
                key = spec.follow_up.answer_key if spec and spec.follow_up else None
        out.append(Question(
            row["probe_id"], probe["kommunenummer"], bare_name(munis[probe["kommunenummer"]]["name"]),
            row["recipient"], mail.from_name or "", mail.from_addr or "", row["message_id"], row["subject"],
            mail.text, row["sent_at"], probe["scenario_id"], key, part,
        ))  # fmt: skip
    return out


def questions_from_mailboxes(
    ms: MailSystem,
    kommunenumre: Iterable[str],
    bank: QuestionBank | None = None,
    names: dict[str, str] | None = None,
) -> list[Question]:
    """The questions each municipality's postmottak mailbox holds (what really arrived). The scenario is
    recognised by the wording of the bank's templates; the sent time is the message's Date."""
    from kommunetest.channels.email.match import shingles
    from kommunetest.sandbox.mailsystem import municipality_address

    templates = []
    for s in bank.by_channel("email") if bank else []:
        assert s.email is not None
        for body in s.email.body:
            templates.append((shingles(body), s))
    out = []
    for knr in kommunenumre:
        address = municipality_address(knr)
        for raw in ms.messages(address):
            mail = parse_mail(raw)
            if not mail.message_id or mail.date is None:
                continue
            found = shingles(mail.text)
            best = max(templates, key=lambda ts: len(ts[0] & found) / max(1, len(ts[0])), default=None)
            scenario = best[1] if best and best[0] & found else None
            key = scenario.email.answer_key if scenario and scenario.email else None
            out.append(Question(
                None, knr, (names or {}).get(knr, knr), address, mail.from_name or "", mail.from_addr or "",
                mail.message_id.lower(), mail.subject, mail.text, mail.date, scenario.id if scenario else None, key,
            ))  # fmt: skip
    return out


# -- how well the inbox did --------------------------------------------------------------------------------


@dataclass
class Evaluation:
    replies: int = 0
    found: int = 0  # stored by the inbox
    matched_right: int = 0  # matched to the probe they answer
    per_class: dict[str, dict[str, int]] = field(default_factory=dict)  # expected -> {"n", "correct"}
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    days_errors: list[float] = field(default_factory=list)
    grades: Counter[tuple[str, str]] = field(default_factory=Counter)  # (expected, proposed)

    @property
    def accuracy(self) -> float:
        n = sum(v["n"] for v in self.per_class.values())
        return sum(v["correct"] for v in self.per_class.values()) / n if n else 0.0

    @property
    def max_days_error(self) -> float:
        return max(self.days_errors, default=0.0)

    def lines(self) -> list[str]:
        out = [f"replies {self.replies}, stored {self.found}, matched to the right probe {self.matched_right}",
               f"classification accuracy {self.accuracy:.1%}"]  # fmt: skip
        for kind, v in sorted(self.per_class.items()):
            out.append(f"  {kind:<12} {v['correct']}/{v['n']}")
        if self.days_errors:
            mean = sum(self.days_errors) / len(self.days_errors)
            out.append(f"response time error (working days): mean {mean:.4f}, max {self.max_days_error:.4f}")
        agree = sum(n for (e, p), n in self.grades.items() if e == p)
        if self.grades:
            out.append(f"proposed grade = deserved grade: {agree}/{sum(self.grades.values())}")
        return out


def evaluate(store: Store, replies: Sequence[PlannedReply]) -> Evaluation:
    """Compare what the inbox stored, matched, classified, timed and graded with the ground truth."""
    ev = Evaluation(replies=len(replies))
    rows = {r["message_id"]: r for r in store.mail_messages(status=["matched", "unmatched", "quarantined"])}
    days_by_key: dict[tuple[str, str], float] = {}
    for pid in {r.probe_id for r in replies if r.probe_id}:
        for o in store.observations(store.get_probe(pid)["round_name"], kind="email_reply", probe_ids=[pid]):
            days_by_key[(pid, o["key"])] = o["value"]["working_days"]
    for r in replies:
        row = rows.get(r.message_id.lower())
        stats = ev.per_class.setdefault(r.kind, {"n": 0, "correct": 0})
        stats["n"] += 1
        if row is None:
            continue
        ev.found += 1
        got = row["kind_override"] or row["kind"] or "?"
        ev.confusion[(r.kind, got)] += 1
        stats["correct"] += int(got == r.kind)
        if r.probe_id and row["probe_id"] == r.probe_id and (row["part"] or "question") == r.part:
            ev.matched_right += 1
            days = days_by_key.get((r.probe_id, f"reply:{row['id']}"))
            if days is not None:
                ev.days_errors.append(abs(days - r.working_days))
            if r.kind == "substantive" and r.expected_grade:
                grade = store.email_grade(r.probe_id, r.part)
                if grade and grade["reply_id"] == row["id"]:
                    ev.grades[(r.expected_grade, grade["proposed"] or "?")] += 1
    return ev
