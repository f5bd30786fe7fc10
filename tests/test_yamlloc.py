"""YAML with line numbers: syntax errors and duplicate keys become Problems naming file and line."""

from __future__ import annotations

import pytest

from kommunetest import yamlloc


def test_lines_of_keys_and_items() -> None:
    doc = yamlloc.load_located("a: 1\nb:\n  - x: 2\n  - y: 3\n")
    assert doc.data == {"a": 1, "b": [{"x": 2}, {"y": 3}]}
    assert doc.line(("a",)) == 1 and doc.line(("b", 1, "y")) == 4


def test_duplicate_keys_are_problems_with_both_lines() -> None:
    doc = yamlloc.load_located("a: 1\nb: 2\na: 3\n")
    (p,) = doc.duplicate_problems("f.yaml")
    assert p.file == "f.yaml" and p.line == 3 and "a" in p.message


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(yamlloc.YamlSyntaxError) as e:
        yamlloc.load_located("a: [1,\nb: 2\n")
    p = e.value.problem("f.yaml")
    assert p.file == "f.yaml" and p.line is not None and p.line >= 1
