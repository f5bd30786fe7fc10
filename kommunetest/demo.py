"""The rehearsal: a complete round over every municipality on the embedded defaults, on loopback only.

It starts the local mail system (Dovecot + an SMTP relay) and the simulated nation of municipal websites,
plans a census round that lies in the past (so simulated replies can carry their real arrival times), sends
every e-mail probe at its planned time on a simulated clock, lets simulated municipalities answer the way real
ones do, polls, matches, classifies, times and grades the replies, lets simulated phone testers record every
call through the real phone app over HTTP, checks every website on desktop and mobile,
scores and ranks, builds the report, and compares what the tool measured with the simulation's ground truth.
Nothing here can reach a real municipality: every address is on 127.0.0.1 or under the reserved `.test` TLD.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from kommunetest.register import Register, load_register, register_path
from kommunetest.rounds import Sample, plan_round, save_plan
from kommunetest.scenarios import QuestionBank, load_scenarios, scenarios_pattern
from kommunetest.settings import Settings, load_settings
from kommunetest.store import Store

DEMO_ROUND = "demo"
Echo = Callable[[str], None]


@dataclass
class DemoResult:
    project_dir: Path
    report_dir: Path | None
    database: str
    round_name: str
    accuracy: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def rehearsal_start(weeks: int, today: date | None = None) -> date:
    """A Monday far enough back that the round and its 20-working-day answer window lie in the past."""
    today = today or date.today()
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=weeks + 6)


@contextmanager
def _stage(result: DemoResult, name: str, echo: Echo) -> Iterator[None]:
    t0 = time.perf_counter()
    echo(f"== {name}")
    yield
    result.timings[name] = time.perf_counter() - t0


def run_demo(
    out_dir: Path,
    report_dir: Path,
    *,
    weeks: int = 6,
    browser: bool = True,
    municipalities: list[str] | None = None,
    echo: Echo = print,
) -> DemoResult:
    """Run the rehearsal into `out_dir` (emptied first: a rehearsal always starts clean). `municipalities`
    limits it to those kommunenummer (a quick rehearsal); the default is all of them."""
    from kommunetest.sandbox.mailsystem import MailSystem, dovecot_available
    from kommunetest.sandbox.sending import add_municipalities, sending_project

    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    start = rehearsal_start(weeks)
    result = DemoResult(out_dir, None, "", DEMO_ROUND)
    t_all = time.perf_counter()
    mail_reason = dovecot_available()
    if mail_reason:
        echo(f"e-mail channel switched off: {mail_reason}")
    with tempfile.TemporaryDirectory(prefix="kt-demo-mail-") as mail_dir, MailSystem(Path(mail_dir)) as ms:
        project = sending_project(
            out_dir,
            ms,
            unique_addresses=False,
            sections={
                "project": {"results_dir": "."},
                "web": {"host_delay_s": 0, "site_time_budget_s": 120, "request_timeout_s": 10},
            },
        )
        env = {**os.environ, **project.env}
        settings = load_settings(out_dir, env=env)
        register = load_register(register_path(settings))
        bank = load_scenarios(*scenarios_pattern(settings))
        store = Store.open(settings)
        result.database = store.url
        try:
            with _stage(result, "plan", echo):
                sample = Sample.parse(",".join(municipalities)) if municipalities else Sample("census")
                knrs = _plan(settings, store, register, bank, sample, start, weeks, echo)
                add_municipalities(ms, knrs)
            with _stage(result, "e-mail", echo):
                result.accuracy += _email(settings, store, bank, ms, project.env, start, weeks, echo)
            with _stage(result, "phone", echo):
                result.accuracy += _phone(settings, store, bank, echo)
            with _stage(result, "web", echo):
                result.accuracy += _web(settings, store, register, bank, knrs, browser, echo)
            with _stage(result, "score and report", echo):
                result.report_dir = _report(settings, store, report_dir, echo)
        finally:
            store.close()
    result.timings["total"] = time.perf_counter() - t_all
    return result


def _plan(settings: Settings, store: Store, register: Register, bank: QuestionBank, sample: Sample, start: date,
          weeks: int, echo: Echo) -> list[str]:  # fmt: skip
    plan = plan_round(DEMO_ROUND, register, bank, settings, start=start, weeks=weeks, sample=sample)
    save_plan(store, DEMO_ROUND, plan, start=start, weeks=weeks, seed=settings.rounds.seed, sample=sample,
              settings=settings)  # fmt: skip
    echo(
        f"round {DEMO_ROUND}: {len(plan.municipalities)} municipalities from {start} over {weeks} weeks; "
        f"e-mail {plan.count('email')}, web {plan.count('web')}, phone {plan.count('phone')} probes"
    )
    for w in plan.warnings:
        echo(f"warning: {w}")
    return [m.kommunenummer for m in plan.municipalities]


def _email(settings: Settings, store: Store, bank: QuestionBank, ms: Any, env: dict[str, str], start: date,
           weeks: int, echo: Echo) -> list[str]:  # fmt: skip
    from kommunetest.channels.email.inbox import poll_all
    from kommunetest.channels.email.send import send_due
    from kommunetest.clock import Clock
    from kommunetest.sandbox.mailround import send_planned
    from kommunetest.sandbox.responders import Responders, evaluate, questions_from_store

    sent = send_planned(settings, store, DEMO_ROUND, env=env)
    echo(f"sent {sent} e-mail probes through the local mail system, each at its planned time")
    responders = Responders.from_settings(settings, seed=settings.rounds.seed)
    replies = responders.plan(questions_from_store(store, DEMO_ROUND, bank))
    delivered = responders.deliver(ms, replies, until=datetime.now(UTC))
    echo(f"simulated municipalities answered: {delivered} replies")
    # The clock stands where the answer window of the round has closed, so silent municipalities are closed
    # as unanswered; follow-up questions due by then go out in the same pass.
    end = datetime.combine(start + timedelta(weeks=weeks + 5), dtime(12), tzinfo=UTC)
    stats = poll_all(settings, store, DEMO_ROUND, now=end, env=env, echo=lambda _: None)
    echo(stats.summary())
    follow = send_due(settings, store, DEMO_ROUND, clock=Clock(end), env=env, echo=lambda _: None)
    ev = evaluate(store, replies)
    lines = ["e-mail against the simulation's ground truth:", *("  " + line for line in ev.lines())]
    if follow.sent:
        echo(f"sent {len(follow.sent)} follow-up questions to municipalities that answered")
        # The municipalities answer the follow-ups in the same threads, up to the real now; a second poll
        # matches those answers to the follow-up part of their probe and grades them against its own key.
        now = datetime.now(UTC)
        planned = responders.plan(questions_from_store(store, DEMO_ROUND, bank, part="follow_up"))
        due = [r for r in planned if r.received_at <= now]
        echo(
            f"simulated municipalities answered follow-ups: {responders.deliver(ms, due, until=now)} replies"
        )
        echo(poll_all(settings, store, DEMO_ROUND, now=now, env=env, echo=lambda _: None).summary())
        f_ev = evaluate(store, due)
        lines += [
            "e-mail follow-ups against the simulation's ground truth:",
            *("  " + x for x in f_ev.lines()),
        ]
    return lines


def _phone(settings: Settings, store: Store, bank: QuestionBank, echo: Echo) -> list[str]:
    from kommunetest.sandbox.phone_testers import evaluate_phone, rehearse_phone

    rehearsal = rehearse_phone(settings, store, bank, DEMO_ROUND, seed=settings.rounds.seed, echo=echo)
    lines = evaluate_phone(store, DEMO_ROUND, rehearsal)
    echo(lines[0])
    return ["phone app against what the simulated testers entered:", *("  " + line for line in lines[1:])]


def _web(settings: Settings, store: Store, register: Register, bank: QuestionBank, knrs: list[str],
         browser: bool, echo: Echo) -> list[str]:  # fmt: skip
    from kommunetest.sandbox.rehearsal_web import check_simulated_nation

    return check_simulated_nation(
        settings, store, DEMO_ROUND, register, bank, knrs, browser=browser, echo=echo
    )


def _report(settings: Settings, store: Store, report_dir: Path, echo: Echo) -> Path:
    from kommunetest.report.build import build_report
    from kommunetest.score_runs import run_scoring
    from kommunetest.scoring_model import model_for

    run = run_scoring(store, DEMO_ROUND, model_for(settings))
    s = run.summary()
    echo(
        f"scored under {s['model_version']}: {s['ranked']} of {s['municipalities']} ranked, {s['passed']} passed, "
        f"national mean {s['mean']:.1f}; {s['probes_observed']} of {s['probes_planned']} probes observed"
    )
    if report_dir.exists():
        shutil.rmtree(report_dir)
    build_report(store, settings, DEMO_ROUND, report_dir, echo=lambda _: None)
    return report_dir
