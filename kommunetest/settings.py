"""Every setting, declared once with its default and help.

Precedence: defaults < `kommunetest.toml` (in the project directory) < `KOMMUNETEST_*` environment < flags.
A setting `section.name` is `[section] name = ...` in the TOML file and `KOMMUNETEST_SECTION_NAME` in the
environment. Settings marked secret are read from the environment only, never from a file.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from kommunetest.errors import ConfigError, Problem, ValidationError

CONFIG_FILE = "kommunetest.toml"
ENV_PREFIX = "KOMMUNETEST_"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _secret(description: str) -> Any:
    return Field(default=None, description=description, json_schema_extra={"secret": True})


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ProjectSettings(Section):
    municipalities: str = Field("municipalities.csv", description="Path of the municipality register (CSV).")
    scenarios: str = Field("scenarios/*.yaml", description="Glob of the question bank's YAML files.")
    results_dir: str = Field(
        "results", description="Working data: the database, raw mail, snapshots and screenshots."
    )
    reports_dir: str = Field("reports", description="Where built reports go by default.")
    scoring_model: str | None = Field(
        None,
        description="Scoring model (YAML) used by `kommunetest score`. "
        "Empty: the packaged default, kommunetest/method/default.yaml.",
    )


class StoreSettings(Section):
    database_url: str | None = _secret(
        "SQLAlchemy URL of the database, e.g. postgresql+psycopg://user:pw@host/db. "
        "Empty: a SQLite file results/kommunetest.db. Environment only (it may hold a password)."
    )
    sqlite_busy_timeout_s: float = Field(30.0, description="How long a SQLite writer waits for a lock.")


class CalendarSettings(Section):
    timezone: str = Field("Europe/Oslo", description="Time zone of every office-hours rule.")
    office_open: str = Field("08:00", description="When service desks open on working days (HH:MM).")
    office_close: str = Field("15:30", description="When service desks close on working days (HH:MM).")
    close_christmas_eve: bool = Field(
        False, description="Treat 24 December as a closure day for every municipality."
    )
    close_new_years_eve: bool = Field(
        False, description="Treat 31 December as a closure day for every municipality."
    )
    closures_file: str | None = Field(
        None,
        description="CSV of extra closure days (kommunenummer,date; kommunenummer '*' for all).",
    )


class RoundSettings(Section):
    seed: int = Field(2027, description="Seed for sampling, assignment and scheduling (reproducible plans).")
    email_per_municipality: int = Field(
        3, ge=0, description="E-mail questions per municipality (Forbrukerrådet 2019: 3)."
    )
    phone_per_municipality: int = Field(
        2, ge=0, description="Phone calls per municipality (Forbrukerrådet 2019: 2)."
    )
    call_window_start: str = Field("09:30", description="Earliest time a phone probe is planned (HH:MM).")
    call_window_end: str = Field("15:00", description="Latest time a phone probe is planned (HH:MM).")
    min_days_between_probes: int = Field(
        3, ge=0, description="Working days kept between two e-mail probes to the same municipality."
    )


class Persona(Section):
    """A fictitious citizen with a mailbox. The password comes from KOMMUNETEST_PERSONA_<ID>_PASSWORD."""

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short id, used in the password's env name."
    )
    name: str = Field(description="Display name in From:, e.g. 'Anna Berg'.")
    email: str = Field(description="The persona's address.")
    address: str = Field("", description="Street address, for questions that need one.")
    city: str = Field("", description="Postal town.")
    smtp_host: str = Field("127.0.0.1", description="SMTP server.")
    smtp_port: int = Field(2525, description="SMTP port.")
    smtp_tls: Literal["none", "starttls", "tls"] = Field("none", description="SMTP transport security.")
    imap_host: str = Field("127.0.0.1", description="IMAP server.")
    imap_port: int = Field(1143, description="IMAP port.")
    imap_tls: Literal["none", "starttls", "tls"] = Field("none", description="IMAP transport security.")
    username: str | None = Field(None, description="Login name; default: the e-mail address.")

    @property
    def password_env(self) -> str:
        return f"{ENV_PREFIX}PERSONA_{self.id.upper().replace('-', '_')}_PASSWORD"

    def password(self, env: Mapping[str, str] | None = None) -> str | None:
        return (os.environ if env is None else env).get(self.password_env)


REHEARSAL_PERSONAS = [
    Persona(id="anna", name="Anna Berg", email="anna.berg@persona.kommunetest.test",
            address="Storgata 12", city="Lillevik"),
    Persona(id="jonas", name="Jonas Haugen", email="jonas.haugen@persona.kommunetest.test",
            address="Fjellvegen 3", city="Nordstrand"),
    Persona(id="ingrid", name="Ingrid Solberg", email="ingrid.solberg@persona.kommunetest.test",
            address="Skolebakken 7", city="Elvedal"),
    Persona(id="ola", name="Ola Nilsen", email="ola.nilsen@persona.kommunetest.test",
            address="Havnegata 21", city="Sjøby"),
    Persona(id="fatima", name="Fatima Ali", email="fatima.ali@persona.kommunetest.test",
            address="Lindeveien 5", city="Bakkeby"),
    Persona(id="per", name="Per Johansen", email="per.johansen@persona.kommunetest.test",
            address="Tunvegen 14", city="Åsen"),
]  # fmt: skip


class EmailSettings(Section):
    personas: list[Persona] = Field(
        default_factory=lambda: [p.model_copy() for p in REHEARSAL_PERSONAS],
        description="The personas ([[email.personas]] tables). Default: rehearsal personas on the "
        "reserved .test domain, for the local mail system.",
    )
    allow_persona_reuse: bool = Field(
        False, description="Let one persona send two probes of a round to the same municipality."
    )
    live: bool = Field(
        False,
        description="Allow sending to addresses outside loopback. Off: sending to real "
        "municipalities is refused and commands say what they would send.",
    )
    address_override: str = Field(
        "",
        description="Send every probe to this address template instead of the municipality's own, e.g. "
        "postmottak@{kommunenummer}.sim.kommunetest.test for the rehearsal. Empty: the round's register.",
    )
    min_send_interval_s: float = Field(
        60.0, ge=0, description="Seconds at least between two messages sent by one persona."
    )
    max_per_run: int = Field(
        100, ge=0, description="Messages one `email send` (or one pass of `run`) sends at most; 0: no cap."
    )
    smtp_timeout_s: float = Field(60.0, gt=0, description="Timeout of one SMTP or IMAP operation.")
    retry_attempts: int = Field(
        3, ge=0, description="Retries of a temporary SMTP failure (4xx, no connection) within one run."
    )
    retry_base_s: float = Field(
        5.0, ge=0, description="First retry delay; each further retry waits twice as long."
    )
    reconcile_grace_s: float = Field(
        300.0,
        ge=0,
        description="After a crash, how long to look for an interrupted message's copy in the persona's "
        "mailbox before its fate counts as unknown.",
    )
    sync_delivery: bool = Field(
        False,
        description="The SMTP server stores the persona's Bcc copy before it answers (the sandbox relay "
        "does). Then a crashed message whose copy is absent after the grace period was never accepted and "
        "is sent again; otherwise it becomes `unknown` for the coordinator.",
    )
    poll_interval_s: float = Field(
        300.0, gt=0, description="How often `kommunetest run` polls the personas' mailboxes."
    )
    poll_folders: list[str] = Field(
        default_factory=lambda: ["INBOX"],
        description="Folders of each persona's mailbox that `email poll` reads (missing ones are skipped).",
    )
    poll_junk: bool = Field(
        True,
        description="Also read the folder the server marks as \\Junk (RFC 6154), where replies may land.",
    )
    poll_batch: int = Field(
        50, ge=1, le=1000, description="Messages fetched and committed together during a poll."
    )
    imap_reconnect_s: float = Field(
        60.0,
        ge=0,
        description="How long one poll keeps reconnecting (with backoff) when the IMAP server goes away.",
    )
    close_after_working_days: int = Field(
        20,
        ge=1,
        description="A probe with no real answer this many working days after sending is closed as "
        "unanswered (our choice).",
    )
    related_domains: list[str] = Field(
        default_factory=list,
        description="Domains of inter-municipal services and departments that answer on municipalities' "
        "behalf; replies from them match like the municipality's own.",
    )
    follow_up_after_working_days: int = Field(
        1,
        ge=0,
        description="Working days after a real answer before the follow-up question may be sent.",
    )


class WebSettings(Section):
    user_agent: str = Field(
        "kommunetest/0.1 (+https://github.com/kommunetest/kommunetest; tilgjengelighetstest)",
        description="User agent of the crawler: honest, with a link that explains the test.",
    )
    chromium_path: str = Field(
        "",
        description="Chromium executable used by Playwright; empty: Debian's chromium-headless-shell when it is "
        "installed (lighter for headless work), else chromium.",
    )
    max_pages_per_site: int = Field(60, ge=1, description="Pages fetched per municipality's site at most.")
    max_bytes_per_page: int = Field(
        5_000_000, ge=1024, description="Bytes read of one response; the rest is cut while streaming."
    )
    max_bytes_per_site: int = Field(
        60_000_000, ge=1024, description="Bytes read from one municipality's site at most."
    )
    site_time_budget_s: float = Field(
        300.0, gt=0, description="Wall time for crawling one site; the crawl stops with what it has."
    )
    per_host_concurrency: int = Field(2, ge=1, le=8, description="Requests in flight to one host at most.")
    host_delay_s: float = Field(
        0.5,
        ge=0,
        description="Seconds between the starts of two requests to one host (robots.txt "
        "Crawl-delay raises it for that host).",
    )
    global_concurrency: int = Field(64, ge=1, description="Requests in flight over all hosts at most.")
    sites_concurrency: int = Field(32, ge=1, description="Sites crawled at the same time.")
    request_timeout_s: float = Field(
        20.0, gt=0, description="Total time for one request, redirects and body included."
    )
    max_redirects: int = Field(8, ge=0, description="Redirect hops followed for one request.")
    site_search: bool = Field(True, description="Use each site's own search for every item (top-5 check).")
    live: bool = Field(
        False,
        description="Allow `web check --live` to crawl real municipal sites (outside loopback). Off: such "
        "sites are refused and end with the status refused_not_loopback.",
    )
    browser: bool = Field(
        True,
        description="Use Chromium where needed: pages that need JavaScript, the mobile check, screenshots and "
        "the accessibility scan (`web check --no-browser` turns it off for one run).",
    )
    screenshots: bool = Field(
        True,
        description="Take a screenshot, with the passage highlighted, of every found item (desktop and mobile).",
    )
    accessibility: bool = Field(
        True, description="Run axe-core on the front page and on every evidence page."
    )
    browser_pages: int = Field(
        0,
        ge=0,
        le=32,
        description="Pages the shared browser works on at once; 0: one per CPU core (the browser part is "
        "bound by CPU, and each page holds 100-200 MB).",
    )
    max_js_renders_per_site: int = Field(
        8,
        ge=0,
        description="Pages of one site rendered in the browser because their content needs JavaScript.",
    )


class PhoneSettings(Section):
    host: str = Field("127.0.0.1", description="Address `kommunetest phone serve` listens on.")
    port: int = Field(8650, ge=0, le=65535, description="Port of the phone app (0: any free port).")
    secret_key: str | None = _secret(
        "Signs the phone app's session cookies (32+ random characters). Environment only. Empty: a random key "
        "per start, so testers must log in again after a restart."
    )
    public_url: str = Field(
        "",
        description="The app's address as testers reach it (https://... behind a proxy). An https address "
        "makes session cookies Secure.",
    )
    session_hours: float = Field(12, gt=0, description="How long a login lasts without activity.")
    min_password_length: int = Field(10, ge=8, description="Shortest password a tester account accepts.")
    lock_after_failures: int = Field(5, ge=1, description="Failed logins in a row that lock an account.")
    lock_minutes: float = Field(15, gt=0, description="How long a locked account stays locked.")
    max_wait_s: int = Field(
        240, ge=1, description="A wait longer than this means hang up and retry later (METHOD.md: 4 minutes)."
    )
    retry_after_minutes: int = Field(
        60, ge=0, description="Earliest retry after a call that reached no one (METHOD.md: 'later')."
    )
    attempts: int = Field(2, ge=1, le=5, description="Calls made before a probe counts as not reached.")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project: ProjectSettings = Field(default_factory=ProjectSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    rounds: RoundSettings = Field(default_factory=RoundSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    phone: PhoneSettings = Field(default_factory=PhoneSettings)

    # Not settings: where the values came from, and the directory relative paths start from.
    project_dir: Path = Field(default_factory=Path.cwd, exclude=True)
    sources: dict[str, str] = Field(default_factory=dict, exclude=True)

    def path(self, value: str | Path) -> Path:
        """Resolve a path setting against the project directory."""
        p = Path(value)
        return p if p.is_absolute() else self.project_dir / p

    @property
    def results_dir(self) -> Path:
        return self.path(self.project.results_dir)

    def get(self, dotted: str) -> Any:
        section, name = dotted.split(".", 1)
        return getattr(getattr(self, section), name)


@dataclass(frozen=True)
class SettingInfo:
    name: str  # dotted: section.name
    default: Any
    help: str
    env: str
    secret: bool


def declared() -> Iterator[SettingInfo]:
    """Every declared setting, in declaration order."""
    for section, sfield in Settings.model_fields.items():
        if section in ("project_dir", "sources"):
            continue
        model = sfield.annotation
        assert isinstance(model, type) and issubclass(model, Section)
        for name, f in model.model_fields.items():
            extra = f.json_schema_extra if isinstance(f.json_schema_extra, dict) else {}
            yield SettingInfo(
                name=f"{section}.{name}",
                default=f.get_default(call_default_factory=True),
                help=f.description or "",
                env=f"{ENV_PREFIX}{section}_{name}".upper(),
                secret=bool(extra.get("secret")),
            )


def _line_of(text: str, section: str, key: str | None = None) -> int | None:
    """Line of `[section]` (or `[[section...]]`), or of `key = ` inside it; None if not found."""
    header = re.compile(rf"^[ \t]*\[\[?[ \t]*{re.escape(section)}[\].]", re.MULTILINE)
    m = header.search(text)
    if m is None:
        return None
    pos = m.start()
    if key is not None:
        km = re.compile(rf"^[ \t]*\"?{re.escape(key)}\"?[ \t]*=", re.MULTILINE).search(text, m.end())
        if km is None:
            return None
        pos = km.start()
    return text.count("\n", 0, pos) + 1


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValidationError([Problem(str(path), f"not UTF-8 text: {e}", hint="save it as UTF-8")]) from e
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise ValidationError(
            [Problem(str(path), f"TOML syntax error: {e}", line=int(m.group(1)) if m else None)]
        ) from e


def _parse_env_value(raw: str) -> Any:
    """Environment values are strings; JSON literals (numbers, booleans, lists) are decoded."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_settings(
    project_dir: Path | str | None = None,
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from defaults, the project's TOML file, the environment and flags."""
    project_dir = Path(project_dir or os.environ.get(f"{ENV_PREFIX}PROJECT") or Path.cwd()).resolve()
    env = os.environ if env is None else env
    infos = {i.name: i for i in declared()}
    values: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []

    toml_path = project_dir / CONFIG_FILE
    if toml_path.is_file():
        data, text = _read_toml(toml_path)
        for section, body in data.items():
            if section not in Settings.model_fields or section in ("project_dir", "sources"):
                problems.append(
                    Problem(
                        str(toml_path),
                        f"unknown section [{section}]",
                        line=_line_of(text, section),
                        hint="see `kommunetest settings` for the sections and names",
                    )
                )
                continue
            if not isinstance(body, dict):
                problems.append(Problem(str(toml_path), "must be a table", field=section))
                continue
            for name, value in body.items():
                dotted = f"{section}.{name}"
                info = infos.get(dotted)
                if info is None:
                    problems.append(
                        Problem(
                            str(toml_path),
                            "unknown setting",
                            line=_line_of(text, section, name),
                            field=dotted,
                            hint="see `kommunetest settings` for the names",
                        )
                    )
                elif info.secret:
                    problems.append(
                        Problem(
                            str(toml_path),
                            "is a secret and may not be stored in a file",
                            line=_line_of(text, section, name),
                            field=dotted,
                            hint=f"remove it and set {info.env} in the environment",
                        )
                    )
                else:
                    values.setdefault(section, {})[name] = value
                    sources[dotted] = CONFIG_FILE

    for info in infos.values():
        if info.env in env:
            section, name = info.name.split(".", 1)
            values.setdefault(section, {})[name] = _parse_env_value(env[info.env])
            sources[info.name] = f"env {info.env}"

    for dotted, value in (flags or {}).items():
        if value is None:
            continue
        if dotted not in infos:
            raise ConfigError(f"unknown setting {dotted!r}")
        section, name = dotted.split(".", 1)
        values.setdefault(section, {})[name] = value
        sources[dotted] = "flag"

    if problems:
        raise ValidationError(problems, summary=f"{CONFIG_FILE} has problems")
    try:
        settings = Settings.model_validate(values)
    except PydanticValidationError as e:
        out = []
        for err in e.errors():
            dotted = ".".join(str(p) for p in err["loc"][:2])
            src = sources.get(dotted, "default")
            line = (
                _line_of(toml_path.read_text("utf-8"), *dotted.split(".", 1)) if src == CONFIG_FILE else None
            )
            out.append(
                Problem(src if src != CONFIG_FILE else str(toml_path), err["msg"], line=line, field=dotted)
            )
        raise ValidationError(out, summary="invalid settings") from e
    settings.project_dir = project_dir
    settings.sources = sources
    return settings
