"""YAML with line numbers, so that every problem in a hand-written input file can name its line.

PyYAML's composer keeps the position of every node; we walk that node tree once and record, for each path of
keys and list indexes, the line where the key (or list item) starts. Problems found later by pydantic are then
reported at the line of the offending key, or of its parent mapping when the key is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from kommunetest.errors import Problem

Path_ = tuple[str | int, ...]
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlSyntaxError(Exception):
    """The text is not valid YAML; `line` and `column` are 1-based."""

    def __init__(self, message: str, line: int | None, column: int | None, hint: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint

    def problem(self, display: str) -> Problem:
        """The error as a problem of the file `display`."""
        return Problem(display, self.message, line=self.line, hint=self.hint)


@dataclass
class Duplicate:
    """A key given twice in one mapping; YAML silently keeps the last value, we report it."""

    path: Path_
    line: int
    first_line: int


@dataclass
class LocatedYaml:
    """The loaded data, and the line of every key and list item in it."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)

    def line(self, path: Sequence[str | int]) -> int | None:
        """Line of `path`, or of its closest ancestor that exists (the parent mapping of a missing key)."""
        p = tuple(path)
        while True:
            if p in self.lines:
                return self.lines[p]
            if not p:
                return None
            p = p[:-1]

    def duplicate_problems(self, display: str) -> list[Problem]:
        """A problem for every key given twice, in the file `display`."""
        return [
            Problem(
                display,
                f"key given twice (first at line {d.first_line}); the later value would silently win",
                line=d.line,
                field=format_path(d.path),
                hint="remove one of them",
            )
            for d in self.duplicates
        ]


def _hint_for(problem: str) -> str:
    low = problem.lower()
    if "'{'" in problem or "'}'" in problem:
        return "a { inside [ ] or at the start of a value begins a YAML mapping: quote the whole text"
    if "unexpected end of stream" in low and "quoted scalar" in low:
        return "a quoted value is never closed: add the closing quote"
    if "'\\t'" in problem or "tab" in low:
        return "YAML indents with spaces only; replace the tab characters"
    if "mapping values are not allowed" in low:
        return "a value that contains ': ' must be quoted, or the indentation is off by a few spaces"
    if "expected <block end>" in low or "did not find expected" in low:
        return "check the indentation of this line and the one before it"
    if "found undefined alias" in low:
        return "an alias (*name) needs an anchor (&name) defined before it"
    if "found unknown escape" in low or "while scanning a quoted scalar" in low:
        return "inside double quotes a backslash starts an escape; use single quotes or a block scalar (|)"
    if "could not determine a constructor" in low:
        return "custom tags (!something) are not allowed here"
    return "check quoting and indentation around this line"


def load_located(text: str) -> LocatedYaml:
    """Parse one YAML document with SafeLoader; raise `YamlSyntaxError` with line and column on bad input."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return LocatedYaml(None)
        located = LocatedYaml(None)
        _walk(node, (), located, set())
        located.lines.setdefault((), node.start_mark.line + 1)
        located.data = loader.construct_document(node)
        return located
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or str(e)
        context = e.context or ""
        cm = e.context_mark
        if context and cm is not None and mark is not None and cm.line != mark.line:
            context += f" (started at line {cm.line + 1})"
        where = f"{context}: {problem}" if context else problem
        raise YamlSyntaxError(
            f"YAML syntax error: {where}" + (f" (column {mark.column + 1})" if mark else ""),
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            _hint_for(f"{context} {problem}"),
        ) from e
    except yaml.YAMLError as e:  # pragma: no cover - unmarked errors are rare (e.g. reader errors)
        raise YamlSyntaxError(f"YAML error: {e}", None, None, "save the file as UTF-8 YAML") from e
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path_, out: LocatedYaml, active: set[int]) -> None:
    if id(node) in active:  # a recursive alias: its lines are those of the anchor
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue  # merged keys fall back to the line of the mapping that merges them
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                out.duplicates.append(Duplicate((*path, key), line, seen[key]))
            seen[key] = line
            out.lines[(*path, key)] = line
            _walk(value_node, (*path, key), out, active)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), out, active)
    active.discard(id(node))


def format_path(path: Sequence[str | int]) -> str:
    """`("scenarios", 3, "email")` -> `scenarios[3].email`."""
    out = ""
    for el in path:
        out += f"[{el}]" if isinstance(el, int) else (f".{el}" if out else str(el))
    return out
