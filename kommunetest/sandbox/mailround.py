"""A round whose e-mail probes are really sent through the local mail system, for the inbox's tests, the
benchmarks and the rehearsal: plan it, send it (day by day on a simulated clock), and hand back the store.

    mr = sent_round(tmp_path / "proj", ms, "r1", ["3203", "4601"], start=date(2027, 2, 1))
    # mr.store has sent probes; each persona got a Bcc self-copy; postmottak@<knr>... got the questions
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kommunetest.calendar import Calendars
from kommunetest.clock import Clock
from kommunetest.register import load_register, register_path
from kommunetest.rounds import Sample, plan_round, save_plan
from kommunetest.sandbox.mailsystem import MailSystem
from kommunetest.sandbox.sending import SendingProject, add_municipalities, sending_project
from kommunetest.scenarios import load_project_scenarios
from kommunetest.settings import Settings, load_settings
from kommunetest.store import Store


@dataclass
class MailRound:
    project: SendingProject
    settings: Settings
    store: Store
    round_name: str
    env: dict[str, str]

    def close(self) -> None:
        self.store.close()


def load_project(project: SendingProject) -> tuple[Settings, Store]:
    settings = load_settings(project.project_dir, env=project.env)
    return settings, Store.open(settings)


def sent_round(
    project_dir: Path,
    ms: MailSystem,
    round_name: str,
    kommunenumre: Sequence[str],
    *,
    start: date,
    weeks: int = 2,
    scenario_ids: Sequence[str] | None = None,
    email: dict[str, Any] | None = None,
    sections: dict[str, dict[str, Any]] | None = None,
    send: bool = True,
) -> MailRound:
    """Plan a round over `kommunenumre` and send its e-mail probes at their planned days (each day's probes
    at the latest planned time of that day, on a simulated clock)."""
    project = sending_project(project_dir, ms, email=email, sections=sections)
    add_municipalities(ms, kommunenumre)
    settings, store = load_project(project)
    register = load_register(register_path(settings))
    bank = load_project_scenarios(settings)
    sample = Sample("list", numbers=tuple(kommunenumre))
    ids = scenario_ids or [s.id for s in bank.by_channel("email")]
    plan = plan_round(
        round_name, register, bank, settings, start=start, weeks=weeks, sample=sample, seed=settings.rounds.seed,
        scenario_ids=list(ids),
    )  # fmt: skip
    save_plan(store, round_name, plan, start=start, weeks=weeks, seed=settings.rounds.seed, sample=sample,
              settings=settings)  # fmt: skip
    if send:
        send_planned(settings, store, round_name, env=project.env)
    return MailRound(project, settings, store, round_name, project.env)


def send_planned(
    settings: Settings, store: Store, round_name: str, *, env: dict[str, str], until: datetime | None = None
) -> int:
    """Send every planned e-mail probe (up to `until`), one pass per planned day. Returns how many went."""
    from kommunetest.channels.email.send import send_due

    tz = Calendars.from_settings(settings).for_municipality(None).tz
    days: dict[date, datetime] = defaultdict(lambda: datetime.min.replace(tzinfo=tz))
    for p in store.unsent_email_probes(round_name):
        t = p["planned_at"]
        if until is not None and t > until:
            continue
        d = t.astimezone(tz).date()
        days[d] = max(days[d], t)
    sent = 0
    for d in sorted(days):
        report = send_due(settings, store, round_name, clock=Clock(days[d]), env=env, echo=lambda _: None)
        sent += len(report.sent)
    return sent
