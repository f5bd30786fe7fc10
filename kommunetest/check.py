"""`kommunetest check`: validate everything a round depends on, reporting all problems at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kommunetest.errors import KommunetestError, Problem, ValidationError
from kommunetest.settings import Settings, load_settings


@dataclass
class CheckReport:
    ok: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _collect(report: CheckReport, label: str, fn) -> object | None:
    try:
        result = fn()
    except ValidationError as e:
        report.problems.extend(e.problems)
        return None
    except KommunetestError as e:
        report.problems.append(Problem(label, e.message, hint=e.hint))
        return None
    return result


def run_check(project_dir: Path | None, flags: dict | None = None) -> tuple[Settings | None, CheckReport]:
    """Check settings, register, question bank and closures; never stop at the first problem."""
    from kommunetest.calendar import Calendars
    from kommunetest.register import register_path, validate_register
    from kommunetest.scenarios import scenarios_pattern, validate_scenarios

    report = CheckReport()
    settings = _collect(report, "kommunetest.toml", lambda: load_settings(project_dir, flags=flags))
    if not isinstance(settings, Settings):
        return None, report
    report.ok.append("settings")

    path = register_path(settings)
    register, problems = validate_register(path)
    report.problems.extend(problems)
    if register is not None and not problems:
        report.ok.append(
            f"register {path}: {len(register)} municipalities in {len(register.counties())} counties"
        )

    pattern, base = scenarios_pattern(settings)
    bank, problems = validate_scenarios(pattern, base)
    report.problems.extend(problems)
    if bank is not None and not problems:
        counts = ", ".join(f"{c} {len(bank.by_channel(c))}" for c in ("email", "web", "phone"))
        report.ok.append(f"question bank {Path(base) / pattern}: {len(bank)} scenarios ({counts})")

    if _collect(report, "calendar", lambda: Calendars.from_settings(settings)) is not None:
        report.ok.append("calendar")
    ids = [p.id for p in settings.email.personas]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        report.problems.append(
            Problem("kommunetest.toml", f"duplicate persona id {', '.join(dupes)}", field="email.personas")
        )
    else:
        report.ok.append(f"{len(ids)} personas")
    return settings, report
