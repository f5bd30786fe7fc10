"""Simulated phone testers for the rehearsal: people who use the real phone app over HTTP.

Each simulated tester logs in to the app (served on loopback), opens every call given to them, and records
what a simulated municipality did on the phone: no answer or a queue too long (then a retry on the next
working day), how long until a person answered, menu steps, transfers, whether a case officer came on, how
well each question was answered and how courteous they were. Testers work at the same time, as real ones
would. What the app stored is then compared with what was simulated: every call, attempt and grade must
arrive unchanged. Nobody is phoned: the "number" is invented and nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from selectolax.lexbor import LexborHTMLParser

from kommunetest.calendar import Calendars
from kommunetest.channels.phone.accounts import create_tester, set_password
from kommunetest.channels.phone.assign import assign_round
from kommunetest.channels.phone.server import running_app
from kommunetest.errors import KommunetestError
from kommunetest.scenarios import QuestionBank
from kommunetest.settings import Settings
from kommunetest.store import Store

Echo = Callable[[str], None]
GRADES = ("correct", "partial", "relevant", "none")


@dataclass
class SimulatedCall:
    """What really happened on one call, attempt by attempt (the ground truth)."""

    probe_id: str
    outcomes: list[str]
    seconds_to_human: int | None = None
    total_wait_s: int | None = None
    menu_steps: int = 0
    transfers: int = 0
    case_officer_reached: bool = False
    courtesy: int | None = None
    questions: dict[str, str] = field(default_factory=dict)

    @property
    def reached(self) -> bool:
        return self.outcomes[-1] == "reached"


def simulate_call(probe_id: str, question_ids: list[str], seed: int, kommunenummer: str) -> SimulatedCall:
    """A municipality's behaviour on one call, from its own skill (stable per municipality and seed)."""
    skill = random.Random(f"{seed}:skill:{kommunenummer}").uniform(0.35, 0.95)
    rng = random.Random(f"{seed}:{probe_id}")
    first = (
        "reached"
        if rng.random() < 0.78 + 0.15 * skill
        else rng.choice(["no_answer", "queue_too_long", "closed"])
    )
    outcomes = [first]
    if first != "reached":
        outcomes.append("reached" if rng.random() < 0.7 else rng.choice(["no_answer", "queue_too_long"]))
    call = SimulatedCall(probe_id, outcomes)
    if call.reached:
        call.seconds_to_human = int(rng.expovariate(1 / (10 + 90 * (1 - skill))))
        call.seconds_to_human = min(call.seconds_to_human, 230)
        call.transfers = rng.choices([0, 1, 2], weights=[5, 3, 1])[0]
        call.total_wait_s = call.seconds_to_human + call.transfers * rng.randint(10, 90)
        call.menu_steps = rng.choices([0, 1, 2, 3], weights=[3, 4, 2, 1])[0]
        call.case_officer_reached = rng.random() < 0.3 + 0.6 * skill
        for q in question_ids:
            level = min(3, sum(rng.random() > skill for _ in range(3)))
            call.questions[q] = GRADES[level]
        call.courtesy = max(0, min(3, round(3 * skill + rng.uniform(-1, 0.6))))
    return call


@dataclass
class PhoneRehearsal:
    testers: int
    calls: int
    entries: int
    seconds: float
    truth: dict[str, SimulatedCall]
    problems: list[str] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=dict)  # seconds per request, by action


def _hidden(html: LexborHTMLParser, name: str) -> str:
    node = html.css_first(f'input[name="{name}"]')
    return (node.attributes.get("value") or "") if node else ""


class _Tester:
    """One simulated person at the app: their own session, their own calls."""

    def __init__(self, url: str, username: str, password: str, settings: Settings, seed: int) -> None:
        self.client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        self.username, self.password, self.seed = username, password, seed
        self.tz = ZoneInfo(settings.calendar.timezone)
        self.calendars = Calendars.from_settings(settings)
        self.entries = 0
        self.truth: dict[str, SimulatedCall] = {}
        self.problems: list[str] = []
        self.latencies: dict[str, list[float]] = {"list": [], "open": [], "save": []}

    def run(self) -> _Tester:
        with self.client:
            page = LexborHTMLParser(self.client.get("/login").text)
            r = self.client.post("/login", data={"csrf": _hidden(page, "csrf"), "username": self.username,
                                                 "password": self.password})  # fmt: skip
            if r.status_code != 302:
                self.problems.append(f"{self.username} could not log in ({r.status_code})")
                return self
            listing = LexborHTMLParser(self._timed("list", "GET", "/").text)
            for link in listing.css("li.call a"):
                href = link.attributes.get("href") or ""
                try:
                    self._call(href)
                except Exception as e:  # one call going wrong must not stop this tester's other calls
                    self.problems.append(f"{href}: {type(e).__name__}: {e}")
        return self

    def _call(self, href: str) -> None:
        probe_id = href.removeprefix("/call/")
        page = LexborHTMLParser(self._timed("open", "GET", href).text)
        questions = sorted({n.attributes["name"][2:] for n in page.css('input[type=radio][name^="q_"]')})
        knr = probe_id.split(":")[-2]
        truth = simulate_call(probe_id, questions, self.seed, knr)
        self.truth[probe_id] = truth
        when = self._first_time(page)
        for attempt, outcome in enumerate(truth.outcomes, start=1):
            if attempt > 1:
                page = LexborHTMLParser(self._timed("open", "GET", href).text)
                day = self.calendars.for_municipality(knr).next_working_day(when.date())
                when = datetime.combine(day, when.time(), tzinfo=self.tz)
            form = self._form(page, truth, outcome, when, knr)
            r = self._timed("save", "POST", href, data=form)
            if r.status_code != 302:
                self.problems.append(f"{probe_id} attempt {attempt}: the app answered {r.status_code}")
                return
            self.entries += 1

    def _timed(self, action: str, method: str, url: str, **kw: Any) -> httpx.Response:
        t0 = time.perf_counter()
        r = self.client.request(method, url, **kw)
        self.latencies[action].append(time.perf_counter() - t0)
        return r

    def _first_time(self, page: LexborHTMLParser) -> datetime:
        """The planned time of the call, as the call page shows it (every phone probe is planned)."""
        node = page.css_first("[data-planned]")
        planned = node.attributes.get("data-planned") if node is not None else None
        if not planned:
            raise ValueError("the call page shows no planned time")
        return datetime.fromisoformat(planned).astimezone(self.tz)

    def _form(self, page: LexborHTMLParser, t: SimulatedCall, outcome: str, when: datetime,
              knr: str) -> dict[str, str]:  # fmt: skip
        form = {k: _hidden(page, k) for k in ("csrf", "nonce", "attempt", "base_revision")}
        form |= {"outcome": outcome, "started_at": when.strftime("%Y-%m-%dT%H:%M"),
                 "number_dialled": f"7{int(knr):04d}000"[:8], "notes": ""}  # fmt: skip
        if outcome == "queue_too_long":
            form["total_wait_s"] = str(240 + random.Random(t.probe_id).randint(1, 60))
        if outcome != "reached":
            return form
        form |= {"seconds_to_human": str(t.seconds_to_human), "total_wait_s": str(t.total_wait_s),
                 "menu_steps": str(t.menu_steps), "transfers": str(t.transfers),
                 "case_officer_reached": "yes" if t.case_officer_reached else "no", "courtesy": str(t.courtesy)}  # fmt: skip
        form |= {f"q_{q}": g for q, g in t.questions.items()}
        return form


def rehearse_phone(
    settings: Settings, store: Store, bank: QuestionBank, round_name: str, *, testers: int = 6,
    seed: int = 2027, echo: Echo = print,
) -> PhoneRehearsal:  # fmt: skip
    """Create the testers, share the calls, let every tester work through the real app; compare."""
    accounts: list[tuple[str, str]] = []
    for i in range(1, testers + 1):
        name, pw = f"testperson{i}", secrets.token_urlsafe(16)
        try:
            create_tester(store, name, pw, settings.phone, display_name=f"Testperson {i}")
        except KommunetestError:
            set_password(store, name, pw, settings.phone)
        accounts.append((name, pw))
    shared = assign_round(
        store, round_name, usernames=[a for a, _ in accounts], tz=ZoneInfo(settings.calendar.timezone)
    )
    echo(f"phone: {shared.assigned + shared.kept} calls shared among {testers} simulated testers")
    t0 = time.perf_counter()
    with running_app(settings, store, bank) as url:
        people = [_Tester(url, name, pw, settings, seed) for name, pw in accounts]
        with ThreadPoolExecutor(max_workers=testers) as pool:
            done = list(pool.map(lambda p: p.run(), people))
    elapsed = time.perf_counter() - t0
    truth = {k: v for p in done for k, v in p.truth.items()}
    result = PhoneRehearsal(testers, len(truth), sum(p.entries for p in done), elapsed, truth,
                            [x for p in done for x in p.problems],
                            {k: [x for p in done for x in p.latencies[k]] for k in ("list", "open", "save")})  # fmt: skip
    return result


def evaluate_phone(store: Store, round_name: str, rehearsal: PhoneRehearsal) -> list[str]:
    """Does what the app stored match what the simulated testers entered, call by call?"""
    obs = {o["probe_id"]: o for o in store.observations(round_name, kind="phone_call")}
    same = 0
    diffs: list[str] = []
    for pid, t in rehearsal.truth.items():
        o = obs.get(pid)
        v = (o or {}).get("value") or {}
        expected: dict[str, Any] = {"reached": t.reached, "attempts": len(t.outcomes), "outcomes": t.outcomes}
        if t.reached:
            expected |= {"seconds_to_human": t.seconds_to_human, "total_wait_s": t.total_wait_s,
                         "courtesy": t.courtesy, "questions": t.questions,
                         "case_officer_reached": t.case_officer_reached}  # fmt: skip
        wrong = [k for k, x in expected.items() if v.get(k) != x]
        if o is None:
            diffs.append(f"{pid}: no observation")
        elif wrong:
            diffs.append(f"{pid}: {', '.join(wrong)} differ")
        else:
            same += 1
    rate = rehearsal.entries / rehearsal.seconds if rehearsal.seconds else 0.0
    reached = sum(t.reached for t in rehearsal.truth.values())
    lines = [
        f"phone: {rehearsal.entries} call entries for {rehearsal.calls} calls typed into the app by "
        f"{rehearsal.testers} simulated testers in {rehearsal.seconds:.1f} s ({rate:.0f} entries/s); "
        f"{reached} calls reached someone",
        f"phone: stored as entered for {same} of {rehearsal.calls} calls",
    ]
    lines += [f"  {d}" for d in (rehearsal.problems + diffs)[:10]]
    return lines
