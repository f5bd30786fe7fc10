"""A project that sends through the local mail system: personas with mailboxes, municipalities' postmottak.

Used by the sending tests, `bench/email_send.py` and the rehearsal: it writes `kommunetest.toml` with the
personas pointing at the mail system's SMTP relay and Dovecot, routes every probe to
`postmottak@<knr>.sim.kommunetest.test` (`email.address_override`) and returns the environment that holds
the personas' passwords (passwords never go into files).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from kommunetest.sandbox.mailsystem import MailSystem, municipality_address
from kommunetest.settings import REHEARSAL_PERSONAS, Persona

SIM_ADDRESS_TEMPLATE = "postmottak@{kommunenummer}.sim.kommunetest.test"
MUNICIPALITY_PASSWORD = "postmottak-sandbox"


@dataclass
class SendingProject:
    project_dir: Path
    personas: list[Persona]
    env: dict[str, str]  # KOMMUNETEST_PERSONA_<ID>_PASSWORD for each persona

    def persona(self, persona_id: str) -> Persona:
        return next(p for p in self.personas if p.id == persona_id)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def add_municipalities(ms: MailSystem, kommunenumre: Iterable[str]) -> None:
    """Give each municipality its simulated postmottak mailbox."""
    ms.add_users((municipality_address(k), MUNICIPALITY_PASSWORD) for k in kommunenumre)


def sending_project(
    project_dir: Path,
    ms: MailSystem,
    *,
    personas: Sequence[Persona] = REHEARSAL_PERSONAS,
    unique_addresses: bool = True,
    email: Mapping[str, Any] | None = None,
    sections: Mapping[str, Mapping[str, Any]] | None = None,
) -> SendingProject:
    """Write `kommunetest.toml` for sending through `ms`. With `unique_addresses` each persona gets a fresh
    mailbox (tests sharing one mail system do not see each other's mail). `email` adds [email] settings
    (default: rehearsal routing, no rate limit, fast retries), `sections` other sections."""
    project_dir.mkdir(parents=True, exist_ok=True)
    settings: dict[str, Any] = {
        "address_override": SIM_ADDRESS_TEMPLATE,
        "min_send_interval_s": 0,
        "max_per_run": 0,
        "retry_base_s": 0.05,
        "reconcile_grace_s": 2.0,
        "sync_delivery": True,
        **(email or {}),
    }
    out: list[Persona] = []
    env: dict[str, str] = {}
    for p in personas:
        if unique_addresses:
            address, password = ms.new_user(prefix=p.email.split("@")[0])
        else:
            address, password = p.email, f"pw-{p.id}-sandbox"
            ms.add_user(address, password)
        persona = p.model_copy(
            update={
                "email": address,
                "smtp_host": ms.smtp_host,
                "smtp_port": ms.smtp_port,
                "smtp_tls": "none",
                "imap_host": ms.imap_host,
                "imap_port": ms.imap_port,
                "imap_tls": "none",
            }
        )
        out.append(persona)
        env[persona.password_env] = password
    lines = ["[email]"] + [f"{k} = {_toml_value(v)}" for k, v in settings.items()]
    for p in out:
        lines.append("")
        lines.append("[[email.personas]]")
        for key in ("id", "name", "email", "address", "city", "smtp_host", "smtp_port", "smtp_tls",
                    "imap_host", "imap_port", "imap_tls"):  # fmt: skip
            lines.append(f"{key} = {_toml_value(getattr(p, key))}")
    for section, values in (sections or {}).items():
        lines += ["", f"[{section}]"] + [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    (project_dir / "kommunetest.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return SendingProject(project_dir, out, env)


def plan_email_round(
    project: SendingProject,
    ms: MailSystem,
    *,
    name: str = "r",
    start: date,
    weeks: int = 1,
    municipalities: int | None = None,
    offset: int = 0,
    per_municipality: int = 1,
) -> list[dict[str, Any]]:
    """Plan and store an e-mail-only round over the register's municipalities (a slice of them, or all),
    and give each its postmottak mailbox. Returns the planned e-mail probes."""
    from kommunetest.register import load_register, register_path
    from kommunetest.rounds import Sample, plan_round, save_plan
    from kommunetest.scenarios import load_scenarios, scenarios_pattern
    from kommunetest.settings import load_settings
    from kommunetest.store import Store

    settings = load_settings(project.project_dir, flags={"rounds.email_per_municipality": per_municipality})
    register = load_register(register_path(settings))
    bank = load_scenarios(*scenarios_pattern(settings))
    knrs = [m.kommunenummer for m in register]
    if municipalities is not None:
        knrs = knrs[offset : offset + municipalities]
    add_municipalities(ms, knrs)
    sample = Sample("census") if municipalities is None else Sample("list", numbers=tuple(knrs))
    ids = [s.id for s in bank if s.channel == "email"]
    plan = plan_round(
        name, register, bank, settings, start=start, weeks=weeks, sample=sample, scenario_ids=ids
    )
    store = Store.open(settings)
    try:
        save_plan(store, name, plan, start=start, weeks=weeks, seed=settings.rounds.seed, sample=sample,
                  settings=settings)  # fmt: skip
    finally:
        store.close()
    return plan.probes
