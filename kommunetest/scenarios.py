"""The question bank: YAML files of scenarios -> validated models; rendering; JSON Schema for editors.

A scenario is one e-mail question, one website item or one phone script. Files hold a list under
`scenarios:`. Loading reports every problem at once, each with file, line and field, because the bank is
written by hand and a typo must never silently change a round (all models forbid unknown fields).
"""

from __future__ import annotations

import difflib
import math
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kommunetest.errors import NotFoundError, UsageError

CHANNELS = ("email", "web", "phone")
SECTORS = ("technical", "care", "health", "children_school", "culture", "social", "general")
FACT_KINDS = ("opening_hours", "processing_time", "complaint_deadline", "price", "phone", "email")
WEB_FACT_KINDS = (*FACT_KINDS, "presence")
DURATION_UNITS = ("hours", "days", "weeks", "months")
CALL_TARGETS = ("switchboard", "service_desk")
LOG_KINDS = ("text", "number", "seconds", "nok", "yes_no", "choice", "datetime")
PERSONA_PLACEHOLDERS = ("persona_name", "persona_first_name", "persona_address", "persona_city")
PLACEHOLDERS = (*PERSONA_PLACEHOLDERS, "municipality")
# Follow-up templates may also use the first message's rendered subject, e.g. "Re: {subject}".
FOLLOW_UP_PLACEHOLDERS = ("subject",)

SECTOR_LABELS = {
    "technical": "Tekniske tjenester (byggesak, vann og avløp, renovasjon)",
    "care": "Pleie og omsorg",
    "health": "Helse",
    "children_school": "Barnehage, SFO og skole",
    "culture": "Kultur",
    "social": "Sosiale tjenester",
    "general": "Generelt (kontakt, innsyn, klage, digitale tjenester)",
}
# Forbrukerrådet's 2016 sector weights (METHOD.md); the scoring model may use them as a preset.
SECTOR_WEIGHTS_2016 = {
    "technical": 27.5,
    "care": 17.5,
    "health": 15.0,
    "children_school": 12.5,
    "culture": 12.5,
    "social": 10.0,
    "general": 5.0,
}

Channel = Literal["email", "web", "phone"]
Sector = Literal["technical", "care", "health", "children_school", "culture", "social", "general"]
FactKind = Literal["opening_hours", "processing_time", "complaint_deadline", "price", "phone", "email"]
WebFactKind = Literal[
    "opening_hours", "processing_time", "complaint_deadline", "price", "phone", "email", "presence"
]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
ParamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Text = Annotated[str, StringConstraints(min_length=1)]


def _as_str_list(value: Any) -> Any:
    """Params may be written as one scalar or a list; numbers are fine (`child_age: 7`)."""
    items = value if isinstance(value, list) else [value]
    return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in items]


_SCALAR = {"type": ["string", "number", "integer"]}
ParamValues = Annotated[
    list[Text],
    BeforeValidator(_as_str_list),
    Field(min_length=1),
    WithJsonSchema({"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR, "minItems": 1}]}),
]


def _fail(message: str, hint: str | None = None) -> PydanticCustomError:
    """An error whose hint survives pydantic (it travels in the error's ctx)."""
    return PydanticCustomError("kommunetest", "{message}", {"message": message, "hint": hint or ""})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- answer keys


class Terms(_Model):
    """Keywords in both written standards (bokmål `nb`, nynorsk `nn`); any one of them counts."""

    nb: list[Text] = Field(min_length=1, description="Bokmål terms.")
    nn: list[Text] = Field(
        min_length=1, description="Nynorsk terms (repeat the bokmål term if it is the same)."
    )

    def all(self) -> list[str]:
        return list(dict.fromkeys([*self.nb, *self.nn]))

    def found_in(self, text: str) -> list[str]:
        """The terms that occur in `text` (case-insensitive substring match)."""
        low = text.casefold()
        return [t for t in self.all() if t.casefold() in low]


class ExpectedFact(_Model):
    """A fact a complete answer contains. Municipalities' true values differ, so most keys name only the kind
    (and topic); `value`/`amount` pin a value where the law fixes it (e.g. the three-week complaint deadline)."""

    kind: FactKind
    topic: list[Text] = Field(
        default_factory=list, description="Terms of which one must occur near the fact (nb and nn)."
    )
    value: str | None = Field(None, description="Regular expression the fact's text must match.")
    amount: float | None = Field(
        None, description="Expected number: kroner for a price, the amount for a duration."
    )
    unit: Literal["hours", "days", "weeks", "months"] | None = Field(None, description="Unit of a duration.")
    tolerance: str | None = Field(
        None,
        pattern=r"^(any|exact|±?\d+(?:[.,]\d+)?\s*%)$",
        description="`any` (any value of this kind counts; default without value/amount), `exact` "
        "(default with amount) or a relative tolerance such as `10%`.",
    )
    description: str | None = None

    @field_validator("value")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as e:
                raise _fail(
                    f"not a valid regular expression: {e}", "escape . ( ) [ ] with a backslash"
                ) from e
        return v

    @model_validator(mode="after")
    def _consistent(self) -> ExpectedFact:
        if self.tolerance == "any" and (self.value is not None or self.amount is not None):
            raise _fail(
                "tolerance `any` contradicts a given value/amount", "drop value/amount or the tolerance"
            )
        if self.amount is not None and self.kind not in ("price", "processing_time", "complaint_deadline"):
            raise _fail(f"a {self.kind} fact has no amount", "use `value:`, a pattern, instead")
        if self.unit is not None and self.kind not in ("processing_time", "complaint_deadline"):
            raise _fail(f"a {self.kind} fact has no unit", "remove `unit:`")
        return self

    @property
    def effective_tolerance(self) -> str:
        if self.tolerance:
            return self.tolerance.replace("±", "").replace(" ", "")
        return "exact" if self.amount is not None else "any"

    def matches(self, fact: Mapping[str, Any], context: str = "") -> bool:
        """Does an extracted fact (`{"kind", "value", "text"}`, see DESIGN.md) satisfy this expectation?
        `context` is text around the fact, searched for the topic terms together with the fact's text."""
        if fact.get("kind") != self.kind:
            return False
        text = str(fact.get("text") or "")
        if self.topic and not any(t.casefold() in f"{context} {text}".casefold() for t in self.topic):
            return False
        value = fact.get("value")
        if self.value is not None and not re.search(self.value, f"{text} {value}", re.IGNORECASE):
            return False
        if self.amount is None:
            return True
        got = value.get("nok", value.get("amount")) if isinstance(value, Mapping) else value
        if not isinstance(got, int | float):
            return False
        if self.unit and isinstance(value, Mapping) and value.get("unit") != self.unit:
            return False
        tol = self.effective_tolerance
        frac = 0.0 if tol == "exact" else float(tol.rstrip("%").replace(",", ".")) / 100
        return abs(got - self.amount) <= abs(self.amount) * frac + 1e-9


class RequiredPoint(_Model):
    """A point a complete answer makes, recognised by any of its keywords."""

    id: Slug
    description: Text
    any_of: Terms

    def matches(self, text: str) -> bool:
        return bool(self.any_of.found_in(text))


class AnswerKey(_Model):
    """What a correct and complete answer contains: all expected facts and all required points.
    Partial: some of them. The tool proposes the grade from this key; a human confirms it."""

    expected_facts: list[ExpectedFact] = Field(default_factory=list)
    required_points: list[RequiredPoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> AnswerKey:
        if not self.expected_facts and not self.required_points:
            raise _fail(
                "the answer key is empty",
                "give `expected_facts:` and/or `required_points:` so that answers can be graded",
            )
        return self


# ---------------------------------------------------------------- channel blocks


class FollowUp(_Model):
    """A second question in the same thread, sent only when the first was answered (2008/2010 editions)."""

    subject: list[Text] = Field(min_length=1)
    body: list[Text] = Field(min_length=1)
    answer_key: AnswerKey | None = None


class EmailSpec(_Model):
    """An e-mail question: wording variants (templates) and the key its answer is graded by."""

    subject: list[Text] = Field(min_length=1, description="Subject variants (templates).")
    body: list[Text] = Field(min_length=1, description="Body variants (templates).")
    params: dict[ParamName, ParamValues] = Field(
        default_factory=dict,
        description="Scenario placeholders, e.g. child_age: [6, 7]; a list varies with the variant number.",
    )
    answer_key: AnswerKey
    follow_up: FollowUp | None = None

    @property
    def variant_count(self) -> int:
        """How many distinct renderings the variant number cycles through."""
        sizes = [len(self.subject), len(self.body), *(len(v) for v in self.params.values())]
        return math.lcm(*sizes)


class Requirement(_Model):
    """One thing a page must show: a fact of a kind (near topic terms), or any of some terms."""

    description: str | None = None
    fact: WebFactKind | None = None
    topic: list[Text] = Field(
        default_factory=list, description="Terms of which one must occur near the fact."
    )
    any_of: Terms | None = None
    min_count: int = Field(
        1, ge=1, description="How many such facts (e.g. 2 prices: full and reduced place)."
    )

    @model_validator(mode="after")
    def _something(self) -> Requirement:
        if self.fact is None and self.any_of is None:
            raise _fail("a requirement needs `fact:` or `any_of:`", "e.g. `fact: price` with `topic: [SFO]`")
        return self


class WebGrading(_Model):
    """Found and complete: the page is reached within `max_depth` clicks (or as a top-5 hit of the site's
    search) and every `complete_requires` holds. Partial: found and any `partial_if` holds (without
    `partial_if`: some of `complete_requires`). Only in a PDF or too deep, and absent, as METHOD.md says."""

    complete_requires: list[Requirement] = Field(min_length=1)
    partial_if: list[Requirement] = Field(default_factory=list)


class WebSpec(_Model):
    """A website item: what to find, the words it goes by, and when it counts as found."""

    item: Text = Field(description="What the tester (or crawler) looks for, in Norwegian.")
    terms: Terms
    fact_kind: WebFactKind
    grading: WebGrading
    max_depth: int = Field(
        3, ge=1, le=10, description="Clicks from the front page still counted as findable."
    )


class LogField(_Model):
    """A field the phone tester fills in for this script, beyond the standard ones."""

    id: Slug
    label: Text
    kind: Literal["text", "number", "seconds", "nok", "yes_no", "choice", "datetime"] = "text"
    choices: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _choices(self) -> LogField:
        if (self.kind == "choice") != bool(self.choices):
            raise _fail("`choices:` goes with `kind: choice`, and only with it", "add or remove `choices:`")
        return self


# What every call records (METHOD.md, "Phone"); scripts add their own fields under `log:`.
STANDARD_PHONE_LOG = (
    LogField(id="started_at", label="Starttidspunkt", kind="datetime"),
    LogField(id="number_dialled", label="Nummer som ble ringt"),
    LogField(id="seconds_to_human", label="Sekunder til et menneske svarte", kind="seconds"),
    LogField(id="menu_steps", label="Antall valg i telefonmenyen", kind="number"),
    LogField(id="transfers", label="Antall ganger satt over", kind="number"),
    LogField(id="total_wait_s", label="Samlet ventetid (sekunder)", kind="seconds"),
    LogField(id="case_officer_reached", label="Kom fram til saksbehandler/fagperson", kind="yes_no"),
    LogField(id="answered", label="Fikk svar på spørsmålene", kind="yes_no"),
    LogField(
        id="answer_quality",
        label="Hvor riktig og fullstendig svaret var",
        kind="choice",
        choices=["complete", "partial", "relevant", "wrong_or_none"],
    ),
    LogField(
        id="courtesy",
        label="Høflighet (3 = svært god, 0 = dårlig)",
        kind="choice",
        choices=["3", "2", "1", "0"],
    ),
    LogField(id="notes", label="Notater"),
)


class PhoneQuestion(_Model):
    id: Slug
    text: Text = Field(description="What the tester asks, in their own words if needed.")
    expected: AnswerKey | None = None


class PhoneSpec(_Model):
    """A phone script: one theme per call, several questions (METHOD.md)."""

    theme: Text
    call_to: Literal["switchboard", "service_desk"]
    questions: list[PhoneQuestion] = Field(min_length=1)
    log: list[LogField] = Field(default_factory=list, description="Fields recorded beyond the standard ones.")

    @property
    def log_fields(self) -> list[LogField]:
        """Standard fields first, then this script's own."""
        return [*STANDARD_PHONE_LOG, *self.log]


# ---------------------------------------------------------------- scenario


def _block_rules() -> list[dict[str, Any]]:
    return [
        {
            "if": {"properties": {"channel": {"const": c}}, "required": ["channel"]},
            "then": {"required": [c], "properties": {o: False for o in CHANNELS if o != c}},
        }
        for c in CHANNELS
    ]


class Scenario(_Model):
    """One entry of the question bank, for one channel; it carries exactly the block of its channel."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"allOf": _block_rules()})

    id: Slug = Field(description="Unique across all files: lower-case letters, digits, - and _.")
    channel: Channel
    sector: Sector
    title: Text = Field(description="Short Norwegian title.")
    description: str | None = None
    weight: float = Field(1.0, ge=0, description="Weight within its channel and sector.")
    email: EmailSpec | None = None
    web: WebSpec | None = None
    phone: PhoneSpec | None = None

    _file: str | None = PrivateAttr(None)
    _line: int | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _checks(self, info: ValidationInfo) -> Scenario:
        # The loader runs these itself (context deferred) to report each at its own line.
        if not (info.context or {}).get("deferred"):
            problems = scenario_checks(self)
            if problems:
                raise ValueError("; ".join(f"{'.'.join(map(str, p))}: {m}" for p, m, _ in problems))
        return self

    @property
    def spec(self) -> EmailSpec | WebSpec | PhoneSpec:
        spec = getattr(self, self.channel)
        assert spec is not None, "validated scenarios carry their channel's block"
        return spec

    @property
    def file(self) -> str | None:
        """The file it was loaded from (as shown in messages), if any."""
        return self._file

    @property
    def line(self) -> int | None:
        return self._line

    @property
    def where(self) -> str:
        return f"{self._file}:{self._line}" if self._file else "(not from a file)"


Check = tuple[tuple[str | int, ...], str, str | None]  # (path inside the scenario, message, hint)


def template_problems(template: str, allowed: Sequence[str]) -> list[tuple[str, str]]:
    """Problems (message, hint) of one `str.format` template: malformed braces, unknown placeholders."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as e:
        return [(f"malformed template: {e}", "write {{ and }} for literal braces; placeholders are {name}")]
    out = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            out.append((f"placeholder {{{name}}} is not a plain name", "write placeholders as {name}"))
        elif name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            guess = f"did you mean {{{close[0]}}}? " if close else ""
            known = ", ".join("{" + a + "}" for a in allowed)
            out.append(
                (f"unknown placeholder {{{name}}}", f"{guess}known: {known}; or declare it under `params:`")
            )
    return out


def raw_checks(item: Mapping[str, Any]) -> list[Check]:
    """Rules that need only the raw data (channel blocks, templates), so that they are reported even when
    other fields of the same scenario are broken."""
    out: list[Check] = []
    channel = item.get("channel")
    if channel in CHANNELS:
        if item.get(channel) is None:
            out.append(((channel,), f"`channel: {channel}` needs the `{channel}:` block", None))
        for other in CHANNELS:
            if other != channel and item.get(other) is not None:
                out.append(
                    (
                        (other,),
                        f"block `{other}:` does not belong to a `channel: {channel}` scenario",
                        f"rename the block to `{channel}:` or set `channel: {other}`",
                    )
                )
    email = item.get("email")
    if isinstance(email, Mapping):
        out += _template_checks(email)
    return out


def _template_checks(email: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = []
    params = email.get("params")
    names = [str(k) for k in params] if isinstance(params, Mapping) else []
    for name in names:
        if name in PLACEHOLDERS:
            out.append(
                (("email", "params", name), f"`{name}` is a built-in placeholder", "choose another name")
            )
    allowed = [*PLACEHOLDERS, *names]
    blocks: list[tuple[tuple[str | int, ...], Any, list[str]]] = [
        (("email", "subject"), email.get("subject"), allowed),
        (("email", "body"), email.get("body"), allowed),
    ]
    follow_up = email.get("follow_up")
    if isinstance(follow_up, Mapping):
        allowed_follow_up = [*allowed, *FOLLOW_UP_PLACEHOLDERS]
        blocks += [(("email", "follow_up", "subject"), follow_up.get("subject"), allowed_follow_up)]
        blocks += [(("email", "follow_up", "body"), follow_up.get("body"), allowed_follow_up)]
    for path, templates, allowed_here in blocks:
        for i, t in enumerate(templates if isinstance(templates, list) else []):
            if isinstance(t, str):
                out += [((*path, i), msg, hint) for msg, hint in template_problems(t, allowed_here)]
    return out


def scenario_checks(s: Scenario) -> list[Check]:
    """Rules across fields of one validated scenario, each located by a path inside it."""
    out = raw_checks(s.model_dump(exclude_none=True))
    keys: list[tuple[AnswerKey | None, tuple[str | int, ...]]] = []
    if s.email is not None:
        keys.append((s.email.answer_key, ("email", "answer_key")))
        if s.email.follow_up:
            keys.append((s.email.follow_up.answer_key, ("email", "follow_up", "answer_key")))
    if s.web is not None and s.web.fact_kind != "presence":
        facts = [r.fact for r in s.web.grading.complete_requires]
        if s.web.fact_kind not in facts:
            out.append(
                (
                    ("web", "grading", "complete_requires"),
                    f"no requirement asks for the item's fact kind `{s.web.fact_kind}`",
                    f"add `- fact: {s.web.fact_kind}` or change `fact_kind:`",
                )
            )
    if s.phone is not None:
        out += _unique(s.phone.questions, ("phone", "questions"), "question")
        out += _unique(s.phone.log, ("phone", "log"), "log field")
        standard = {f.id for f in STANDARD_PHONE_LOG}
        for i, f in enumerate(s.phone.log):
            if f.id in standard:
                out.append(
                    (
                        ("phone", "log", i, "id"),
                        f"`{f.id}` is a standard field, logged for every call",
                        "remove it",
                    )
                )
        keys += [(q.expected, ("phone", "questions", i, "expected")) for i, q in enumerate(s.phone.questions)]
    for key, path in keys:
        if key is not None:
            out += _unique(key.required_points, (*path, "required_points"), "point")
    return out


def _unique(items: Sequence[Any], path: tuple[str | int, ...], what: str) -> list[Check]:
    seen: dict[str, int] = {}
    out: list[Check] = []
    for i, item in enumerate(items):
        if item.id in seen:
            out.append(
                ((*path, i, "id"), f"duplicate {what} id `{item.id}` (also item {seen[item.id]})", None)
            )
        seen.setdefault(item.id, i)
    return out


class ScenarioFile(_Model):
    """One YAML file of the question bank."""

    model_config = ConfigDict(extra="forbid", title="kommunetest question bank file")

    scenarios: list[Scenario] = Field(description="The scenarios of this file; ids are unique across files.")


# ---------------------------------------------------------------- the bank


class QuestionBank:
    """The validated scenarios of all files, in file order."""

    def __init__(self, scenarios: Sequence[Scenario], files: Sequence[Path] = ()) -> None:
        self.scenarios = list(scenarios)
        self.files = list(files)
        self._by_id = {s.id: s for s in self.scenarios}

    def get(self, id: str) -> Scenario:
        try:
            return self._by_id[id]
        except KeyError:
            close = difflib.get_close_matches(id, self._by_id, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else "see `kommunetest scenarios list`"
            raise NotFoundError(f"no scenario with id {id!r}", hint=hint) from None

    def by_channel(self, channel: str) -> list[Scenario]:
        if channel not in CHANNELS:
            raise UsageError(f"unknown channel {channel!r}", hint=f"one of {', '.join(CHANNELS)}")
        return [s for s in self.scenarios if s.channel == channel]

    def by_sector(self, sector: str) -> list[Scenario]:
        return [s for s in self.scenarios if s.sector == sector]

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.scenarios]

    def counts(self) -> dict[str, int]:
        return {c: len(self.by_channel(c)) for c in CHANNELS}

    def __iter__(self) -> Iterator[Scenario]:
        return iter(self.scenarios)

    def __len__(self) -> int:
        return len(self.scenarios)

    def __contains__(self, id: object) -> bool:
        return id in self._by_id


# ---------------------------------------------------------------- rendering

SAMPLE_PERSONA = {
    "name": "Kari Nordmann",
    "first_name": "Kari",
    "address": "Eksempelveien 12",
    "city": "Eksempelby",
}


def persona_values(persona: Mapping[str, str]) -> dict[str, str]:
    """The persona placeholders from a persona mapping (keys `name` or `persona_name`, and so on)."""
    out: dict[str, str] = {}
    for ph in PERSONA_PLACEHOLDERS:
        short = ph.removeprefix("persona_")
        v = persona.get(ph, persona.get(short))
        if v:
            out[ph] = str(v)
    if "persona_first_name" not in out and "persona_name" in out:
        out["persona_first_name"] = out["persona_name"].split()[0]
    return out


def render_email(
    scenario: Scenario,
    variant: int,
    persona: Mapping[str, str],
    municipality_name: str,
    *,
    follow_up: bool = False,
) -> tuple[str, str]:
    """(subject, body) of one e-mail. `variant` picks subject, body and each param list modulo its length
    (param lists of equal length stay aligned). A follow-up may use {subject}: the first message's subject
    under the same variant. `municipality_name` is the bare name ("Bodø"); templates add "kommune"."""
    if scenario.email is None:
        raise UsageError(f"scenario {scenario.id!r} is a {scenario.channel} scenario, not an e-mail")
    spec = scenario.email
    values = persona_values(persona)
    values["municipality"] = municipality_name
    values.update({k: v[variant % len(v)] for k, v in spec.params.items()})
    try:
        subject = _fill(spec.subject[variant % len(spec.subject)], values)
        body = spec.body[variant % len(spec.body)].format_map(values)
        if follow_up:
            if spec.follow_up is None:
                raise UsageError(f"scenario {scenario.id!r} has no follow-up question")
            values["subject"] = subject
            subject = _fill(spec.follow_up.subject[variant % len(spec.follow_up.subject)], values)
            body = spec.follow_up.body[variant % len(spec.follow_up.body)].format_map(values)
    except KeyError as e:
        name = e.args[0]
        raise UsageError(
            f"scenario {scenario.id!r} needs {{{name}}}, which the persona does not have",
            hint=f"give the persona a `{name.removeprefix('persona_')}`",
        ) from None
    return subject, body.strip("\n") + "\n"


def _fill(template: str, values: Mapping[str, str]) -> str:
    """A one-line header value: the template filled in, whitespace collapsed."""
    return " ".join(template.format_map(values).split())


# ---------------------------------------------------------------- schema


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one question-bank file, for editors (yaml-language-server)."""
    schema = ScenarioFile.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# Loading lives in its own module (line-located YAML, problem reports); its public names are served from here
# lazily (PEP 562), so that importing either module first works.
_LOADER_NAMES = (
    "DEFAULT_PATTERN",
    "load_project_scenarios",
    "load_scenarios",
    "scenarios_pattern",
    "validate_scenarios",
)

if TYPE_CHECKING:
    from kommunetest.scenario_loader import (
        DEFAULT_PATTERN,
        load_project_scenarios,
        load_scenarios,
        scenarios_pattern,
        validate_scenarios,
    )


def __getattr__(name: str) -> Any:
    if name in _LOADER_NAMES:
        from kommunetest import scenario_loader

        return getattr(scenario_loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CHANNELS",
    "DEFAULT_PATTERN",
    "FACT_KINDS",
    "FOLLOW_UP_PLACEHOLDERS",
    "PLACEHOLDERS",
    "SECTORS",
    "STANDARD_PHONE_LOG",
    "AnswerKey",
    "EmailSpec",
    "ExpectedFact",
    "PhoneSpec",
    "QuestionBank",
    "RequiredPoint",
    "Scenario",
    "Terms",
    "WebSpec",
    "json_schema",
    "load_project_scenarios",
    "load_scenarios",
    "render_email",
    "scenarios_pattern",
    "validate_scenarios",
]
