"""Loading the question bank: files -> scenarios, with every problem located by file, line and field.

Public names are re-exported by `kommunetest.scenarios`; import them from there.
"""

from __future__ import annotations

import difflib
import glob as globlib
import re
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from kommunetest.errors import Problem, ValidationError
from kommunetest.scenarios import QuestionBank, Scenario, raw_checks, scenario_checks
from kommunetest.settings import REPO_ROOT, ProjectSettings
from kommunetest.yamlloc import LocatedYaml, YamlSyntaxError, format_path, load_located

if TYPE_CHECKING:
    from kommunetest.settings import Settings

DEFAULT_PATTERN: str = ProjectSettings.model_fields["scenarios"].default
SCHEMA_HINT = "see scenarios/scenario.schema.json or `kommunetest scenarios schema`"

# Hints for a missing field, by field name.
MISSING_HINTS = {
    "answer_key": "an e-mail question needs `answer_key:` with `expected_facts:` and/or `required_points:`",
    "channel": "add `channel: email`, `web` or `phone`",
    "sector": "add `sector:` (technical, care, health, children_school, culture, social or general)",
    "id": "add a unique `id:` of lower-case letters, digits, - and _",
}
TYPE_HINTS = {
    "list_type": "write a YAML list: one `- item` per line",
    "string_type": "write text here; quote it if YAML reads it as a number, date or yes/no",
    "too_short": "give at least one entry",
    "string_too_short": "give some text",
    "model_type": "write a mapping (`key: value` lines) here",
    "dict_type": "write a mapping (`key: value` lines) here",
    "string_pattern_mismatch": "use lower-case letters, digits, - and _ (a letter or digit first)",
}


def _display(path: Path) -> str:
    """How a file is named in messages: relative to the working directory when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _expand(pattern: str | Path | Sequence[str | Path], base_dir: Path) -> tuple[list[Path], list[Problem]]:
    """Files for a glob, a file, a directory (its *.yaml and *.yml) or a list of those."""
    if isinstance(pattern, str | Path):
        patterns: Sequence[str | Path] = [pattern]
    else:
        patterns = pattern
    files: list[Path] = []
    problems: list[Problem] = []
    for pat in patterns:
        p = Path(pat)
        full = p if p.is_absolute() else base_dir / p
        if full.is_dir():
            found = sorted([*full.glob("*.yaml"), *full.glob("*.yml")])
        elif full.is_file():
            found = [full]
        elif any(ch in str(pat) for ch in "*?["):
            if p.is_absolute():
                found = [Path(f) for f in sorted(globlib.glob(str(pat), recursive=True))]
            else:
                found = [
                    base_dir / f for f in sorted(globlib.glob(str(pat), root_dir=base_dir, recursive=True))
                ]
            found = [f for f in found if f.is_file()]
        else:
            found = []
        if not found:
            problems.append(
                Problem(
                    _display(full),
                    "no scenario files match",
                    hint="check the path, or [project] scenarios in kommunetest.toml",
                )
            )
        files += found
    unique = list({f.resolve(): f for f in files}.values())
    return unique, problems


def _model_fields_at(path: Sequence[str | int]) -> list[str]:
    """Field names allowed at `path` inside a scenario (for did-you-mean hints)."""
    ann: Any = Scenario
    for el in path:
        ann = _step(ann, el)
        if ann is None:
            return []
    for a in _flatten(ann):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return list(a.model_fields)
    return []


def _flatten(ann: Any) -> list[Any]:
    origin = get_origin(ann)
    if origin in (Union, types.UnionType):
        return [x for a in get_args(ann) for x in _flatten(a)]
    if origin is Annotated:
        return _flatten(get_args(ann)[0])
    return [ann]


def _step(ann: Any, el: str | int) -> Any:
    for a in _flatten(ann):
        if isinstance(a, type) and issubclass(a, BaseModel) and isinstance(el, str) and el in a.model_fields:
            return a.model_fields[el].annotation
        if get_origin(a) is list and isinstance(el, int):
            return get_args(a)[0]
        if get_origin(a) is dict and isinstance(el, str):
            return get_args(a)[1]
    return None


def _data_path(data: Any, loc: Sequence[str | int], missing: bool) -> tuple[str | int, ...]:
    """Map a pydantic error location onto the input data, dropping union tags and validator names."""
    path: list[str | int] = []
    cur = data
    for j, el in enumerate(loc):
        if (isinstance(cur, dict) and el in cur) or (
            isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur)
        ):
            path.append(el)
            cur = cur[el]
        elif missing and j == len(loc) - 1 and isinstance(cur, dict):
            path.append(el)
    return tuple(path)


def _pydantic_problems(
    err: PydanticValidationError, item: Any, prefix: tuple[str | int, ...], display: str, doc: LocatedYaml
) -> list[Problem]:
    out = []
    for e in err.errors(include_url=False):
        kind = e["type"]
        path = _data_path(item, e["loc"], kind == "missing")
        full = (*prefix, *path)
        message, hint = e["msg"], TYPE_HINTS.get(kind)
        if kind == "kommunetest":
            message, hint = e["ctx"]["message"], e["ctx"]["hint"] or None
        elif kind == "literal_error":
            allowed = re.findall(r"'([^']*)'", str(e.get("ctx", {}).get("expected", "")))
            close = difflib.get_close_matches(str(e.get("input")), allowed, n=1)
            message = f"unknown value {e.get('input')!r}: {message[0].lower()}{message[1:]}"
            hint = f"did you mean `{close[0]}`?" if close else f"use one of: {', '.join(allowed)}"
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        elif kind == "missing":
            name = str(path[-1]) if path else ""
            hint = MISSING_HINTS.get(name, f"add `{name}:`; {SCHEMA_HINT}")
        elif kind == "extra_forbidden":
            name = str(path[-1]) if path else ""
            allowed = _model_fields_at(path[:-1])
            close = difflib.get_close_matches(name, allowed, n=1)
            message = f"unknown field `{name}`"
            hint = (f"did you mean `{close[0]}`? " if close else "") + f"allowed here: {', '.join(allowed)}"
        out.append(Problem(display, message, line=doc.line(full), field=format_path(full), hint=hint))
    return out


def _load_file(
    path: Path, ids: list[tuple[str, str, int | None, str]]
) -> tuple[list[Scenario], list[Problem]]:
    """The valid scenarios of one file and the problems of the others; appends (id, file, line) to `ids`."""
    display = _display(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return [], [Problem(display, f"not UTF-8 text: {e}", hint="save the file as UTF-8")]
    except OSError as e:
        return [], [Problem(display, f"cannot read: {e.strerror or e}")]
    try:
        doc = load_located(text)
    except YamlSyntaxError as e:
        return [], [e.problem(display)]
    problems = doc.duplicate_problems(display)
    data = doc.data
    if not isinstance(data, dict) or "scenarios" not in data:
        hint = "start the file with `scenarios:` followed by a list of `- id: ...` entries"
        what = "the file is empty" if data is None else "the file needs a top-level `scenarios:` list"
        return [], [
            *problems,
            Problem(display, what, line=doc.line(()) if data is not None else None, hint=hint),
        ]
    for key in data:
        if key != "scenarios":
            problems.append(
                Problem(
                    display,
                    f"unknown top-level key `{key}`",
                    line=doc.line((key,)),
                    field=str(key),
                    hint="a file holds only `scenarios:`",
                )
            )
    items = data["scenarios"]
    if not isinstance(items, list):
        problems.append(
            Problem(
                display,
                "must be a list",
                line=doc.line(("scenarios",)),
                field="scenarios",
                hint=TYPE_HINTS["list_type"],
            )
        )
        return [], problems
    scenarios: list[Scenario] = []
    for i, item in enumerate(items):
        prefix: tuple[str | int, ...] = ("scenarios", i)
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.append((item["id"], display, doc.line((*prefix, "id")), format_path((*prefix, "id"))))
        try:
            s = Scenario.model_validate(item, context={"deferred": True})
        except PydanticValidationError as e:
            checks = raw_checks(item) if isinstance(item, dict) else []
            # Inside a block that belongs to another channel, field errors are noise: the block is wrong.
            wrong = tuple(format_path((*prefix, c[0][0])) + "." for c in checks if "does not belong" in c[1])
            found = _pydantic_problems(e, item, prefix, display, doc)
            problems += [p for p in found if not (p.field or "").startswith(wrong)] if wrong else found
            s = None
        else:
            s._file, s._line = display, doc.line(prefix)
            checks = scenario_checks(s)
        for sub, message, hint in checks:
            full = (*prefix, *sub)
            problems.append(
                Problem(display, message, line=doc.line(full), field=format_path(full), hint=hint)
            )
        if s is not None and not checks:
            scenarios.append(s)
    return scenarios, problems


def validate_scenarios(
    pattern: str | Path | Sequence[str | Path] = DEFAULT_PATTERN, base_dir: Path | None = None
) -> tuple[QuestionBank | None, list[Problem]]:
    """Load and check every file; (bank, []) when all is well, else (None, every problem found)."""
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    files, problems = _expand(pattern, base)
    scenarios: list[Scenario] = []
    ids: list[tuple[str, str, int | None, str]] = []
    for f in files:
        found, file_problems = _load_file(f, ids)
        scenarios += found
        problems += file_problems
    first: dict[str, tuple[str, int | None, str]] = {}
    hint = "ids must be unique across all scenario files; rename one"
    for id_, file, line, field in ids:
        if id_ not in first:
            first[id_] = (file, line, field)
            continue
        ofile, oline, ofield = first[id_]
        problems.append(Problem(file, f"duplicate id `{id_}` (also at {ofile}:{oline})", line, field, hint))
        problems.append(Problem(ofile, f"duplicate id `{id_}` (also at {file}:{line})", oline, ofield, hint))
    if problems:
        problems.sort(key=lambda p: (p.file, p.line or 0))
        return None, list(dict.fromkeys(problems))
    return QuestionBank(scenarios, files), []


def load_scenarios(
    pattern: str | Path | Sequence[str | Path] = DEFAULT_PATTERN, base_dir: Path | None = None
) -> QuestionBank:
    """The question bank; raises `ValidationError` listing every problem of every file."""
    bank, problems = validate_scenarios(pattern, base_dir)
    if bank is None:
        n = len(problems)
        raise ValidationError(problems, summary=f"the question bank has {n} problem{'s' if n != 1 else ''}")
    return bank


def scenarios_pattern(settings: Settings) -> tuple[str, Path]:
    """(glob, base directory) of the project's scenarios. The default glob falls back to the bank shipped
    in the repository when the project has no scenario files of its own."""
    pattern = settings.project.scenarios
    base = settings.project_dir
    if pattern == DEFAULT_PATTERN and not globlib.glob(pattern, root_dir=base):
        return pattern, REPO_ROOT
    return pattern, base


def load_project_scenarios(settings: Settings) -> QuestionBank:
    pattern, base = scenarios_pattern(settings)
    return load_scenarios(pattern, base)
