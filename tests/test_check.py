"""`kommunetest check` on the repository and on the five broken inputs the foundation issue names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A project with its own copy of the register and the question bank."""
    shutil.copy(REPO / "municipalities.csv", tmp_path / "municipalities.csv")
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    return tmp_path


def _line_of(path: Path, needle: str, start: int = 1) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if n >= start and needle in line:
            return n
    raise AssertionError(needle)


def test_check_passes_on_the_repository(kt) -> None:
    r = kt("--project", str(REPO), "check")
    assert r.exit_code == 0, r.output
    assert "357 municipalities in 15 counties" in r.stdout and "all valid" in r.stdout


def test_duplicated_kommunenummer(proj: Path, kt) -> None:
    csv = proj / "municipalities.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[10] = lines[10].replace(lines[10][:4], lines[9][:4], 1)  # line 11 takes line 10's number
    csv.write_text("".join(lines), encoding="utf-8")
    r = kt("--project", str(proj), "check")
    assert r.exit_code == 4
    assert f"municipalities.csv:11: kommunenummer: duplicate kommunenummer {lines[9][:4]}" in r.stderr, (
        r.stderr
    )
    assert "lines 10 and 11" in r.stderr


def test_bad_email_address(proj: Path, kt) -> None:
    csv = proj / "municipalities.csv"
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[4].split(",")
    cells[10] = "postmottak(at)kommune"
    lines[4] = ",".join(cells)
    csv.write_text("".join(lines), encoding="utf-8")
    r = kt("--project", str(proj), "check")
    assert r.exit_code == 4
    assert "municipalities.csv:5: email:" in r.stderr and "postmottak(at)kommune" in r.stderr, r.stderr


def test_scenario_missing_its_answer_key(proj: Path, kt) -> None:
    yml = proj / "scenarios" / "email.yaml"
    lines = yml.read_text(encoding="utf-8").splitlines(keepends=True)
    start = _line_of(yml, "      answer_key:") - 1
    end = start + 1
    while lines[end].startswith("        ") or not lines[end].strip():  # the block: deeper lines
        end += 1
    yml.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    r = kt("--project", str(proj), "check")
    assert r.exit_code == 4
    assert "email.yaml:" in r.stderr and "email.answer_key" in r.stderr, r.stderr


def test_yaml_syntax_error(proj: Path, kt) -> None:
    yml = proj / "scenarios" / "phone.yaml"
    lines = yml.read_text(encoding="utf-8").splitlines(keepends=True)
    n = _line_of(yml, "title:")
    lines[n - 1] = lines[n - 1].replace("title:", "title: [unclosed", 1)
    yml.write_text("".join(lines), encoding="utf-8")
    r = kt("--project", str(proj), "check")
    assert r.exit_code == 4
    assert "phone.yaml:" in r.stderr and "YAML" in r.stderr, r.stderr


def test_unknown_channel(proj: Path, kt) -> None:
    yml = proj / "scenarios" / "web.yaml"
    n = _line_of(yml, "channel: web")
    lines = yml.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[n - 1] = lines[n - 1].replace("channel: web", "channel: fax")
    yml.write_text("".join(lines), encoding="utf-8")
    r = kt("--project", str(proj), "check")
    assert r.exit_code == 4
    assert f"web.yaml:{n}:" in r.stderr and "channel" in r.stderr and "fax" in r.stderr, r.stderr


def test_bad_settings_file(proj: Path, kt) -> None:
    (proj / "kommunetest.toml").write_text(
        "[rounds]\nseed = 1\nemail_per_municipalty = 2\n", encoding="utf-8"
    )
    r = kt("--project", str(proj), "check")
    assert r.exit_code == 4
    assert "kommunetest.toml:3: rounds.email_per_municipalty: unknown setting" in r.stderr, r.stderr
