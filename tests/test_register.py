"""The municipality register: the shipped CSV, validation, writing, the build script and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kommunetest.cli import cli
from kommunetest.errors import NotFoundError, Problem, UsageError, ValidationError
from kommunetest.register import (
    COLUMNS,
    SIZE_CLASS_LABELS_NB,
    SIZE_CLASSES,
    Municipality,
    Register,
    load_register,
    orgnr_check_digit,
    parse_size_class,
    register_path,
    size_class_for,
    validate_register,
    write_register,
)
from kommunetest.settings import REPO_ROOT, load_settings

SHIPPED = REPO_ROOT / "municipalities.csv"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

COUNTY_COUNTS = {
    "Innlandet": 46,
    "Vestland": 43,
    "Nordland": 41,
    "Trøndelag": 38,
    "Møre og Romsdal": 27,
    "Agder": 25,
    "Rogaland": 23,
    "Akershus": 21,
    "Troms": 21,
    "Buskerud": 18,
    "Finnmark": 18,
    "Telemark": 17,
    "Østfold": 12,
    "Vestfold": 6,
    "Oslo": 1,
}
WEBSITE_DISAGREEMENTS = {
    "1119",
    "1514",
    "3105",
    "3114",
    "3207",
    "3442",
    "3911",
    "4020",
    "4621",
    "4622",
    "5027",
    "5034",
    "5612",
}


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(SHIPPED)


def lines_of() -> list[str]:
    return SHIPPED.read_text(encoding="utf-8").splitlines(keepends=True)


def set_field(line: str, column: str, value: str) -> str:
    """`line` (a simple CSV record without quotes) with one column replaced."""
    fields = line.rstrip("\n").split(",")
    fields[COLUMNS.index(column)] = value
    return ",".join(fields) + "\n"


def write_lines(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "municipalities.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    register, problems = validate_register(path)
    assert register is None
    assert problems
    return problems


# --- the shipped CSV -------------------------------------------------------------------------------------


def test_shipped_register_has_all_357_municipalities_sorted(register: Register) -> None:
    assert len(register) == 357
    numbers = [m.kommunenummer for m in register]
    assert numbers == sorted(numbers)
    assert SHIPPED.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert register.get("0301").name == "Oslo"
    assert register.get("5636").name == "Nesseby"


def test_shipped_counties_and_population(register: Register) -> None:
    counts: dict[str, int] = {}
    for m in register:
        counts[m.county] = counts.get(m.county, 0) + 1
    assert counts == COUNTY_COUNTS
    assert len(register.counties()) == 15
    assert register.counties()["03"] == "Oslo"
    assert register.counties()["56"] == "Finnmark"
    assert sum(m.population for m in register) == 5_550_203


def test_shipped_names_exact(register: Register) -> None:
    assert register.get("5610").name_alt == "Kárášjohka"
    assert register.get("5610").display_name == "Karasjok / Kárášjohka"
    assert register.get("5612").display_name == "Kautokeino / Guovdageaidnu"
    assert register.get("1875").name_alt == "Hábmer"
    assert register.get("5540").name_alt == "Gáivuotna"
    assert register.get("5636").name_alt == "Unjárga"
    assert register.get("1826").name_alt == "Aarborte"
    assert register.get("1508").name == "Ålesund"
    assert register.get("3911").name == "Færder"
    assert register.get("3442").name == "Østre Toten"
    assert register.get("0301").name_alt is None
    assert register.get("0301").display_name == "Oslo"
    assert sum(1 for m in register if m.name_alt) == 12
    for m in register:
        for text in (m.name, m.name_alt or "", m.county, m.admin_centre or ""):
            assert "?" not in text
            assert unicodedata.is_normalized("NFC", text)


def test_shipped_values(register: Register) -> None:
    assert {m.written_standard for m in register} == {"bokmål", "nynorsk", "neutral"}
    assert register.get("0301").written_standard == "neutral"
    for m in register:
        assert m.website and m.website.startswith("https://")
        assert m.email is None and m.phone is None
    assert register.get("0301").domain == "oslo.kommune.no"
    assert register.get("4621").website == "https://voss.herad.no"
    # tobiasmcvey's swap of Meråker and Midt-Telemark is undone.
    assert register.get("5034").domain == "meraker.kommune.no"
    assert register.get("4020").domain == "midt-telemark.kommune.no"
    assert register.get("1580").website == "https://www.haram.kommune.no"


def test_shipped_notes_flag_uncertainty(register: Register) -> None:
    flagged = {m.kommunenummer for m in register if m.notes and "website:" in m.notes}
    assert flagged == WEBSITE_DISAGREEMENTS | {"1580"}
    assert "chose www.ha.no (newer source)" in (register.get("1119").notes or "")
    haram = register.get("1580")
    assert haram.orgnr is None
    assert "orgnr: missing, new municipality 2024" in (haram.notes or "")
    assert "orgnr: from pre-2024 Ålesund" in (register.get("1508").notes or "")
    assert sum(1 for m in register if m.orgnr) == 356


def test_size_classes_derived(register: Register) -> None:
    assert "size_class" not in COLUMNS
    assert register.get("0301").size_class == ">=20000"
    assert register.get("1151").size_class == "<2000"  # Utsira, 215
    assert register.get("0301").size_class_nb == "20 000 og over"
    by_class = {label: len(register.in_size_class(label)) for label, _, _ in SIZE_CLASSES}
    assert sum(by_class.values()) == 357
    assert all(n > 0 for n in by_class.values())
    for population, label in [
        (0, "<2000"),
        (1999, "<2000"),
        (2000, "2000-4999"),
        (4999, "2000-4999"),
        (5000, "5000-9999"),
        (9999, "5000-9999"),
        (10000, "10000-19999"),
        (19999, "10000-19999"),
        (20000, ">=20000"),
    ]:
        assert size_class_for(population) == label
    assert parse_size_class("under 2 000") == "<2000"
    assert parse_size_class("2 000-4 999") == "2000-4999"
    assert parse_size_class(">=20000") == ">=20000"
    assert set(SIZE_CLASS_LABELS_NB) == {label for label, _, _ in SIZE_CLASSES}
    with pytest.raises(UsageError):
        parse_size_class("huge")


def test_register_lookup(register: Register) -> None:
    assert register.get("301").kommunenummer == "0301"
    assert register["5612"].name == "Kautokeino"
    assert "0301" in register
    with pytest.raises(NotFoundError, match="9999"):
        register.get("9999")
    assert len(register.in_county("Finnmark")) == 18
    assert len(register.in_county("56")) == 18
    assert len(register.in_county("3")) == 1
    with pytest.raises(UsageError, match="unknown county"):
        register.in_county("Narnia")


def test_orgnr_check_digit() -> None:
    assert orgnr_check_digit("97476067") == 3  # Registerenheten i Brønnøysund, 974760673
    assert orgnr_check_digit("95893542") == 0  # Oslo kommune, 958935420


# --- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line_no", "column", "value", "message"),
    [
        (3, "kommunenummer", "110", "malformed kommunenummer"),
        (3, "kommunenummer", "11O1", "malformed kommunenummer"),
        (3, "kommunenummer", "0399", "does not start with its county number 11"),
        (4, "orgnr", "958935421", "modulus-11"),
        (4, "orgnr", "95893542", "malformed orgnr"),
        (5, "website", "www.stavanger.kommune.no", "must start with https://"),
        (5, "website", "ftp://stavanger.kommune.no", "must start with https://"),
        (5, "website", "https://stav anger.no", "white space"),
        (5, "website", "https://-stavanger-.no", "bad host name"),
        (5, "website", "https://", "no host"),
        (6, "email", "postmottak", "bad e-mail address"),
        (6, "email", "post@mottak@haugesund.no", "bad e-mail address"),
        (6, "email", "postmottak@haugesund", "bad domain"),
        (7, "phone", "1234567", "bad Norwegian phone number"),
        (7, "phone", "+46 51 50 00 00", "bad Norwegian phone number"),
        (7, "phone", "12345678", "bad Norwegian phone number"),
        (8, "population", "7 000", "not a whole number"),
        (8, "population", "many", "not a whole number"),
        (8, "area_km2", "12,5", None),  # an extra field: caught as the wrong number of fields
        (9, "written_standard", "Nøytral", "unknown written_standard"),
        (9, "name", "", "must not be empty"),
    ],
)
def test_bad_value_is_located(
    tmp_path: Path, line_no: int, column: str, value: str, message: str | None
) -> None:
    lines = lines_of()
    lines[line_no - 1] = set_field(lines[line_no - 1], column, value)
    problems = problems_of(write_lines(tmp_path, lines))
    if message is None:
        assert [(p.line, p.field) for p in problems] == [(line_no, None)]
        assert "15 fields, the header has 14" in problems[0].message
        return
    assert [(p.line, p.field) for p in problems] == [(line_no, column)]
    assert message in problems[0].message
    assert problems[0].hint


def test_good_unusual_values_are_accepted(tmp_path: Path) -> None:
    lines = lines_of()
    lines[1] = set_field(lines[1], "phone", "+4722000000")
    lines[1] = set_field(lines[1], "email", "post.mottak+test@oslo.kommune.no")
    lines[2] = set_field(lines[2], "website", "http://127.0.0.1:8080/eigersund/")
    lines[3] = set_field(lines[3], "website", "https://hå.no")
    register, problems = validate_register(write_lines(tmp_path, lines))
    assert problems == []
    assert register is not None and register.get("1101").domain == "127.0.0.1"


def test_duplicates_name_both_lines(tmp_path: Path) -> None:
    lines = lines_of()
    lines[4] = set_field(lines[4], "kommunenummer", "1101")  # line 5 repeats line 3
    lines[9] = set_field(lines[9], "orgnr", "958935420")  # line 10 repeats Oslo's orgnr (line 2)
    problems = problems_of(write_lines(tmp_path, lines))
    by_field = {p.field: p for p in problems}
    assert by_field["kommunenummer"].line == 5
    assert "lines 3 and 5" in by_field["kommunenummer"].message
    assert by_field["orgnr"].line == 10
    assert "lines 2 and 10" in by_field["orgnr"].message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    lines = lines_of()
    lines[1] = set_field(lines[1], "phone", "123")
    lines[100] = set_field(lines[100], "written_standard", "riksmål")
    lines[356] = set_field(lines[356], "orgnr", "123456789")
    path = write_lines(tmp_path, lines)
    assert [(p.line, p.field) for p in problems_of(path)] == [
        (2, "phone"),
        (101, "written_standard"),
        (357, "orgnr"),
    ]
    with pytest.raises(ValidationError) as info:
        load_register(path)
    assert len(info.value.problems) == 3
    assert f"{path}:101: written_standard:" in str(info.value)


def test_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    lines = lines_of()
    lines[1] = set_field(lines[1], "notes", '"first line\nsecond line"')
    lines[2] = set_field(lines[2], "phone", "123")  # third record, now on physical line 4
    path = write_lines(tmp_path, lines)
    [problem] = problems_of(path)
    assert (problem.line, problem.field) == (4, "phone")
    lines[1] = set_field(lines[1], "phone", "12")  # an error in the two-line record: its first line
    assert [(p.line, p.field) for p in problems_of(write_lines(tmp_path, lines))] == [
        (2, "phone"),
        (4, "phone"),
    ]
    lines[1] = set_field(lines[1], "phone", "")
    lines[2] = set_field(lines[2], "phone", "")
    register, problems = validate_register(write_lines(tmp_path, lines))
    assert problems == [] and register is not None
    assert register.get("0301").notes == "first line\nsecond line"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (COLUMNS[:-1], [("missing column", "notes")]),
        ((*COLUMNS, "extra"), [("unknown column", "extra")]),
        (("name", "kommunenummer", *COLUMNS[2:]), [("columns are out of order", None)]),
        ((*COLUMNS[:-1], "phone"), [("column appears twice", "phone"), ("missing column", "notes")]),
    ],
)
def test_header_problems(
    tmp_path: Path, header: tuple[str, ...], expected: list[tuple[str, str | None]]
) -> None:
    lines = lines_of()
    lines[0] = ",".join(header) + "\n"
    problems = problems_of(write_lines(tmp_path, lines))
    header_problems = [(p.message, p.field) for p in problems if p.line == 1]
    assert header_problems[:-1] == expected
    assert header_problems[-1] == ("the header must be exactly", None)


def test_wrong_number_of_fields(tmp_path: Path) -> None:
    lines = lines_of()
    lines[6] = lines[6].replace(",", "", 1)
    [problem] = problems_of(write_lines(tmp_path, lines))
    assert problem.line == 7
    assert "13 fields, the header has 14" in problem.message


def test_csv_syntax_error(tmp_path: Path) -> None:
    lines = lines_of()
    lines[5] = set_field(lines[5], "notes", '"quoted"trailing')
    problem = problems_of(write_lines(tmp_path, lines))[-1]
    assert problem.line == 6
    assert "CSV syntax error" in problem.message


def test_county_spelled_two_ways(tmp_path: Path) -> None:
    lines = lines_of()
    lines[3] = set_field(lines[3], "county", "Rogaland fylke")
    [problem] = problems_of(write_lines(tmp_path, lines))
    assert (problem.line, problem.field) == (4, "county")
    assert "on line 3" in problem.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "municipalities.csv"
    lines = [line.encode() for line in lines_of()]
    lines[4] = lines_of()[4].replace("Haugesund", "Håugesund", 1).encode("latin-1")  # line 5
    path.write_bytes(b"".join(lines))
    [problem] = problems_of(path)
    assert problem.line == 5
    assert "not UTF-8 (byte 0xe5" in problem.message
    assert "UTF-8" in (problem.hint or "")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "municipalities.csv"
    path.write_bytes(content)
    [problem] = problems_of(path)
    assert problem.message == "empty file"


def test_header_only_and_missing_file(tmp_path: Path) -> None:
    path = write_lines(tmp_path, lines_of()[:1])
    assert "no municipalities" in problems_of(path)[0].message
    missing = tmp_path / "nope.csv"
    assert problems_of(missing)[0].message == "file not found"
    with pytest.raises(NotFoundError):
        load_register(missing)


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "municipalities.csv"
    path.write_bytes(b"\xef\xbb\xbf" + SHIPPED.read_bytes())
    assert len(load_register(path)) == 357


def test_model_rejects_bad_values() -> None:
    base = load_register(SHIPPED).get("0301").model_dump()
    with pytest.raises(ValueError, match="modulus-11"):
        Municipality.model_validate({**base, "orgnr": "958935421"})
    with pytest.raises(ValueError):
        Municipality.model_validate({**base, "written_standard": "riksmål"})
    assert Municipality.model_validate({**base, "email": ""}).email is None


# --- writing -----------------------------------------------------------------------------------------------


def test_write_register_round_trips_byte_for_byte(tmp_path: Path, register: Register) -> None:
    out = tmp_path / "out.csv"
    write_register(register, out)
    assert out.read_bytes() == SHIPPED.read_bytes()
    rows = [m.to_row() for m in register]
    out.chmod(0o640)
    write_register(rows, out)
    assert out.read_bytes() == SHIPPED.read_bytes()
    assert out.stat().st_mode & 0o777 == 0o640  # permissions survive the replace
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary files left


def test_write_register_refuses_unknown_columns(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("old", encoding="utf-8")
    with pytest.raises(ValueError, match="size_class"):
        write_register([{"kommunenummer": "0301", "size_class": ">=20000"}], out)
    assert out.read_text(encoding="utf-8") == "old"


def test_register_path_falls_back_to_repo_copy(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert register_path(settings) == SHIPPED
    own = tmp_path / "municipalities.csv"
    own.write_bytes(SHIPPED.read_bytes())
    assert register_path(settings) == own
    other = load_settings(tmp_path, flags={"project.municipalities": "mine.csv"}, env={})
    assert register_path(other) == tmp_path / "mine.csv"


# --- the build script --------------------------------------------------------------------------------------


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared/data (the sources) is not beside the repository")
def test_build_script_reproduces_committed_csv(tmp_path: Path) -> None:
    out = tmp_path / "municipalities.csv"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "build_register.py"),
            "--shared",
            str(SHARED_DATA),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": ""},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "357 municipalities" in result.stdout
    assert out.read_bytes() == SHIPPED.read_bytes()


# --- the CLI -----------------------------------------------------------------------------------------------


def invoke(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(project), "register", *args])


def test_cli_validate(tmp_path: Path) -> None:
    result = invoke(tmp_path, "validate")
    assert result.exit_code == 0, result.output
    assert "OK, 357 municipalities in 15 counties" in result.output

    lines = lines_of()
    lines[2] = set_field(lines[2], "phone", "123")
    broken = write_lines(tmp_path, lines)
    result = invoke(tmp_path, "validate")  # the project's own file now
    assert isinstance(result.exception, ValidationError)
    assert result.exception.exit_code == 4
    assert f"{broken}:3: phone: bad Norwegian phone number '123'" in str(result.exception)

    result = invoke(tmp_path, "validate", str(SHIPPED))
    assert result.exit_code == 0


def test_cli_validate_missing_file(tmp_path: Path) -> None:
    result = invoke(tmp_path, "validate", str(tmp_path / "none.csv"))
    assert isinstance(result.exception, NotFoundError)
    assert result.exception.exit_code == 5


def test_cli_show(tmp_path: Path) -> None:
    result = invoke(tmp_path, "show", "5612")
    assert result.exit_code == 0, result.output
    assert "Guovdageaidnu" in result.output
    assert "size_class        2000-4999 (2 000–4 999)" in result.output
    assert "orgnr             945475056" in result.output
    data = json.loads(invoke(tmp_path, "show", "0301", "--json").output)
    assert data["size_class"] == ">=20000" and data["population"] == 717710
    result = invoke(tmp_path, "show", "9999")
    assert isinstance(result.exception, NotFoundError)


def test_cli_list(tmp_path: Path) -> None:
    result = invoke(tmp_path, "list", "--county", "Finnmark")
    assert result.exit_code == 0, result.output
    assert "18 municipalities" in result.output
    assert "Karasjok / Kárášjohka" in result.output
    result = invoke(tmp_path, "list", "--county", "56", "--size-class", "under 2 000", "--json")
    data = json.loads(result.output)
    assert len(data) == 8
    assert {d["size_class"] for d in data} == {"<2000"}
    assert {d["county"] for d in data} == {"Finnmark"}
    result = invoke(tmp_path, "list", "--size-class", ">=20000", "--json")
    assert len(json.loads(result.output)) == sum(1 for m in load_register(SHIPPED) if m.population >= 20000)
    result = invoke(tmp_path, "list", "--county", "Atlantis")
    assert isinstance(result.exception, UsageError)
    assert result.exception.exit_code == 2
