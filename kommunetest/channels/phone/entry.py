"""One call's form: what a tester enters after a call, read from the form and checked field by field.

The form is flat (what an HTML form posts): standard fields by their METHOD.md names, `q_<question id>` for
the grade of each question of the script, `x_<field id>` for the script's own log fields. Every problem names
its field, so the app can show it beside the field and keep everything else the tester typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from kommunetest.errors import Problem, ValidationError
from kommunetest.i18n import Msg
from kommunetest.scenarios import LogField, PhoneSpec

OUTCOMES = ("reached", "no_answer", "queue_too_long", "closed")
QUESTION_GRADES = ("correct", "partial", "relevant", "none")
# Menu steps and transfers can happen before a queue or a closed line, so any outcome may have them.
REACHED_ONLY = ("seconds_to_human", "case_officer_reached", "courtesy")
FORM = "call form"
_DIGITS = re.compile(r"[\s().-]")


@dataclass
class CallEntry:
    """A validated call entry, as stored in `phone_entries.data` (JSON-ready)."""

    outcome: str
    started_at: datetime
    number_dialled: str
    seconds_to_human: int | None = None
    menu_steps: int | None = None
    transfers: int | None = None
    total_wait_s: int | None = None
    case_officer_reached: bool | None = None
    courtesy: int | None = None
    questions: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    warnings: list[Msg] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return self.outcome == "reached"

    def data(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "started_at": self.started_at.isoformat(),
            "number_dialled": self.number_dialled,
            "seconds_to_human": self.seconds_to_human,
            "menu_steps": self.menu_steps,
            "transfers": self.transfers,
            "total_wait_s": self.total_wait_s,
            "case_officer_reached": self.case_officer_reached,
            "courtesy": self.courtesy,
            "questions": dict(self.questions),
            "extra": dict(self.extra),
            "notes": self.notes,
            # Kept as template and values, so the app can show them in the tester's language later.
            "warnings": [{"text": str(w), "template": w.template, "values": w.values} for w in self.warnings],
        }


def form_from_data(data: Mapping[str, Any], tz: ZoneInfo) -> dict[str, str]:
    """The flat form of a stored entry: what an edit starts from."""
    out: dict[str, str] = {}
    for k, v in data.items():
        if k in ("questions", "extra", "warnings") or v is None:
            continue
        if k == "started_at":
            local = datetime.fromisoformat(v).astimezone(tz)
            out[k] = local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")
        elif isinstance(v, bool):
            out[k] = "yes" if v else "no"
        else:
            out[k] = str(v)
    out |= {f"q_{q}": g for q, g in (data.get("questions") or {}).items()}
    for k, v in (data.get("extra") or {}).items():
        if v is not None:
            out[f"x_{k}"] = "yes" if v is True else "no" if v is False else str(v)
    return out


class _Reader:
    def __init__(self, form: Mapping[str, str]) -> None:
        self.form = form
        self.problems: list[Problem] = []

    def fail(self, name: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(FORM, message, field=name, hint=hint))

    def require(self, name: str, present: bool, message: Msg, hint: Msg) -> None:
        """A missing value is a problem, unless the field has one already (a value that could not be read)."""
        if not present and not any(p.field == name for p in self.problems):
            self.fail(name, message, hint)

    def text(self, name: str, limit: int = 4000) -> str:
        value = (self.form.get(name) or "").strip()
        if len(value) > limit:
            self.fail(
                name,
                Msg("is {n} characters long", n=len(value)),
                Msg("shorten it to {limit} characters", limit=limit),
            )
        return value[:limit]

    def integer(self, name: str, low: int, high: int) -> int | None:
        raw = self.text(name).replace("\u00a0", "").replace(" ", "")
        if not raw:
            return None
        if not re.fullmatch(r"\d+", raw):
            self.fail(
                name, Msg("“{value}” is not a whole number", value=raw), Msg("write digits only, e.g. 45")
            )
            return None
        value = int(raw)
        if not low <= value <= high:
            self.fail(
                name,
                Msg("{value} is outside {low}–{high}", value=value, low=low, high=high),
                Msg("check the figure"),
            )
            return None
        return value

    def seconds(self, name: str, high: int) -> int | None:
        """Seconds, or m:ss as testers read it off a phone's call timer."""
        raw = self.text(name).replace(" ", "")
        m = re.fullmatch(r"(\d{1,3}):([0-5]\d)", raw)
        if m:
            value = int(m[1]) * 60 + int(m[2])
            if value > high:
                self.fail(
                    name,
                    Msg("{value} is more than {high} seconds", value=raw, high=high),
                    Msg("check the figure"),
                )
                return None
            return value
        return self.integer(name, 0, high)

    def yes_no(self, name: str) -> bool | None:
        raw = self.text(name).lower()
        if raw in ("", "unknown"):
            return None
        if raw in ("yes", "ja", "true", "1", "on"):
            return True
        if raw in ("no", "nei", "false", "0", "off"):
            return False
        self.fail(name, Msg("“{value}” is neither yes nor no", value=raw), Msg("choose yes or no"))
        return None

    def choice(self, name: str, choices: tuple[str, ...] | list[str]) -> str | None:
        raw = self.text(name)
        if not raw:
            return None
        if raw not in choices:
            self.fail(
                name,
                Msg("“{value}” is not one of the choices", value=raw),
                Msg("choose one of: {choices}", choices=", ".join(choices)),
            )
            return None
        return raw


def parse_form(
    form: Mapping[str, str], spec: PhoneSpec, tz: ZoneInfo, *, max_wait_s: int, now: datetime
) -> CallEntry:
    """Check a posted form; ValidationError lists every problem, each with its field."""
    r = _Reader(form)
    outcome = r.choice("outcome", OUTCOMES)
    if outcome is None and not r.problems:
        r.fail("outcome", Msg("is missing"), Msg("say whether someone answered"))
    started = _started_at(r, tz, now)
    number = _DIGITS.sub("", r.text("number_dialled", 40))
    if not re.fullmatch(r"\+?\d{3,15}", number):
        r.fail("number_dialled", Msg("“{value}” is not a phone number", value=number) if number else Msg("is missing"),
               Msg("write the number you called, e.g. 75 06 80 00"))  # fmt: skip
    entry = CallEntry(outcome=outcome or "", started_at=started or now, number_dialled=number)
    entry.seconds_to_human = r.seconds("seconds_to_human", 7200)
    entry.total_wait_s = r.seconds("total_wait_s", 14400)
    entry.menu_steps = r.integer("menu_steps", 0, 30)
    entry.transfers = r.integer("transfers", 0, 30)
    entry.case_officer_reached = r.yes_no("case_officer_reached")
    courtesy = r.choice("courtesy", ("3", "2", "1", "0"))
    entry.courtesy = int(courtesy) if courtesy is not None else None
    entry.notes = r.text("notes")
    for q in spec.questions:
        grade = r.choice(f"q_{q.id}", QUESTION_GRADES)
        if grade is not None:
            entry.questions[q.id] = grade
    for f in spec.log:
        entry.extra[f.id] = _extra(r, f)
    if outcome == "reached":
        _check_reached(r, entry, spec, max_wait_s)
    elif outcome is not None:
        given = [n for n in REACHED_ONLY if r.text(n)] + [f"q_{q}" for q in entry.questions]
        given += [f"x_{f.id}" for f in spec.log if r.text(f"x_{f.id}")]
        for name in given:
            r.fail(name, Msg("belongs to a call where someone answered"),
                   Msg("clear it, or say that someone answered"))  # fmt: skip
        if outcome == "queue_too_long" and entry.total_wait_s is not None and entry.total_wait_s < max_wait_s:
            entry.warnings.append(
                Msg("hung up after {s} s, before the {limit} s limit", s=entry.total_wait_s, limit=max_wait_s)
            )
    if r.problems:
        raise ValidationError(
            r.problems, summary=Msg("{n} field(s) of the call need a fix", n=len(r.problems))
        )
    return entry


def _started_at(r: _Reader, tz: ZoneInfo, now: datetime) -> datetime | None:
    raw = r.text("started_at", 40)
    if not raw:
        r.fail("started_at", Msg("is missing"), Msg("give the date and time the call began"))
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "T"))
    except ValueError:
        r.fail(
            "started_at",
            Msg("“{value}” is not a date and time", value=raw),
            Msg("write it as 2027-03-01T10:15"),
        )
        return None
    value = value.replace(tzinfo=tz) if value.tzinfo is None else value
    if value > now.astimezone(tz).replace(second=59) and (value - now).total_seconds() > 300:
        r.fail("started_at", Msg("lies in the future"), Msg("give the time the call began"))
    return value


def _extra(r: _Reader, f: LogField) -> Any:
    name = f"x_{f.id}"
    if f.kind == "yes_no":
        return r.yes_no(name)
    if f.kind in ("number", "nok"):
        return r.integer(name, 0, 10_000_000)
    if f.kind == "seconds":
        return r.seconds(name, 14400)
    if f.kind == "choice":
        return r.choice(name, f.choices)
    return r.text(name, 1000) or None


def _check_reached(r: _Reader, entry: CallEntry, spec: PhoneSpec, max_wait_s: int) -> None:
    r.require(
        "seconds_to_human",
        entry.seconds_to_human is not None,
        Msg("is missing"),
        Msg("give the seconds until a person answered (0 if at once)"),
    )
    r.require(
        "courtesy",
        entry.courtesy is not None,
        Msg("is missing"),
        Msg("rate courtesy from 3 (very good) to 0 (poor)"),
    )
    r.require(
        "case_officer_reached",
        entry.case_officer_reached is not None,
        Msg("is missing"),
        Msg("say whether you reached a case officer or specialist"),
    )
    for q in spec.questions:
        r.require(f"q_{q.id}", q.id in entry.questions, Msg("has no grade"),
                  Msg("grade the answer to this question, or ‘not answered’"))  # fmt: skip
    s, total = entry.seconds_to_human, entry.total_wait_s
    if s is not None and total is not None and total < s:
        r.fail("total_wait_s", Msg("{total} s is less than the {s} s until a person answered", total=total, s=s),
               Msg("the total wait includes the wait for the first person"))  # fmt: skip
    if s is not None and total is None:
        entry.total_wait_s = s
    if s is not None and s > max_wait_s:
        entry.warnings.append(
            Msg("waited {s} s for a person: the method says hang up after {limit} s", s=s, limit=max_wait_s)
        )


def call_grade(questions: Mapping[str, str]) -> str:
    """One grade for the call, for lists and exports (scoring uses each question's own grade)."""
    grades = set(questions.values())
    if not grades or grades == {"none"}:
        return "none"
    if grades == {"correct"}:
        return "correct"
    if grades & {"correct", "partial"}:
        return "partial"
    return "relevant"
