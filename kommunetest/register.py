"""The municipality register, `municipalities.csv`: load, validate and write it.

The CSV is the one list of who is tested. It is edited by hand and by `kommunetest register sync`, so the
validator reports every problem at once, each with its line (header = line 1, quoted newlines counted) and
column, and the writer keeps the column order and replaces the file atomically.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from kommunetest.errors import NotFoundError, Problem, UsageError, ValidationError
from kommunetest.settings import REPO_ROOT

if TYPE_CHECKING:
    from kommunetest.settings import Settings

DEFAULT_FILENAME = "municipalities.csv"
COLUMNS: tuple[str, ...] = (
    "kommunenummer",
    "name",
    "name_alt",
    "county_number",
    "county",
    "admin_centre",
    "written_standard",
    "population",
    "area_km2",
    "website",
    "email",
    "phone",
    "orgnr",
    "notes",
)
REQUIRED = frozenset({"kommunenummer", "name", "county_number", "county", "written_standard", "population"})
WRITTEN_STANDARDS: tuple[str, ...] = ("bokmål", "nynorsk", "neutral")

# METHOD.md's population bands: (label, lowest, highest inclusive or None for open).
SIZE_CLASSES: list[tuple[str, int, int | None]] = [
    ("<2000", 0, 1999),
    ("2000-4999", 2000, 4999),
    ("5000-9999", 5000, 9999),
    ("10000-19999", 10000, 19999),
    (">=20000", 20000, None),
]
SIZE_CLASS_LABELS_NB: dict[str, str] = {
    "<2000": "under 2 000",
    "2000-4999": "2 000–4 999",
    "5000-9999": "5 000–9 999",
    "10000-19999": "10 000–19 999",
    ">=20000": "20 000 og over",
}


def size_class_for(population: int) -> str:
    """The SIZE_CLASSES label of a population."""
    for label, low, high in SIZE_CLASSES:
        if population >= low and (high is None or population <= high):
            return label
    raise ValueError(f"population must not be negative: {population}")


def parse_size_class(text: str) -> str:
    """A size class from its label or its Norwegian label (spaces and dash style ignored)."""

    def key(s: str) -> str:
        return re.sub(r"[\s\u00a0]", "", s).replace("–", "-").casefold()

    for label, nb in SIZE_CLASS_LABELS_NB.items():
        if key(text) in (key(label), key(nb)):
            return label
    choices = ", ".join(f"{label!r} ({nb})" for label, nb in SIZE_CLASS_LABELS_NB.items())
    raise UsageError(f"unknown size class {text!r}", hint=f"use one of {choices}")


# --- value checks: each returns (message, hint) when the value is bad, None when it is fine -------------

Check = tuple[str, str] | None

_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def check_kommunenummer(value: str, county_number: str | None = None) -> Check:
    if not re.fullmatch(r"[0-9]{4}", value):
        return f"malformed kommunenummer {value!r}", "write 4 digits with leading zero, e.g. 0301"
    if county_number and re.fullmatch(r"[0-9]{2}", county_number) and value[:2] != county_number:
        return (
            f"kommunenummer {value} does not start with its county number {county_number}",
            "the first two digits of a kommunenummer are the county number",
        )
    return None


def orgnr_check_digit(first8: str) -> int | None:
    """Brønnøysund's modulus-11 check digit (weights 3 2 7 6 5 4 3 2); None when no valid digit exists."""
    remainder = sum(int(d) * w for d, w in zip(first8, (3, 2, 7, 6, 5, 4, 3, 2), strict=True)) % 11
    digit = (11 - remainder) % 11
    return None if digit == 10 else digit


def check_orgnr(value: str) -> Check:
    if not re.fullmatch(r"[0-9]{9}", value):
        return f"malformed orgnr {value!r}", "an organisasjonsnummer has 9 digits, no spaces"
    if orgnr_check_digit(value[:8]) != int(value[8]):
        return f"orgnr {value} fails the modulus-11 check", "look the number up in Enhetsregisteret"
    return None


def check_host(host: str) -> str | None:
    """Why `host` is not a valid host name or IP address, or None."""
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
            return None
        except ValueError:
            return f"bad IPv6 address {host!r}"
    try:
        ipaddress.IPv4Address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"bad host name {host!r}"
    labels = ascii_host.rstrip(".").split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        return f"bad host name {host!r}"
    if len(labels) < 2 and ascii_host != "localhost":
        return f"host {host!r} has no domain"
    if labels[-1].isdigit():
        return f"bad host name {host!r}"
    return None


def check_url(value: str) -> Check:
    hint = "write a full address with scheme, e.g. https://www.oslo.kommune.no"
    if any(c.isspace() for c in value):
        return f"URL {value!r} contains white space", hint
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        return f"URL {value!r} must start with https:// or http://", hint
    host = parts.netloc.rsplit("@", 1)[-1]
    if ":" in host and not host.endswith("]"):
        host, _, port = host.rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            return f"URL {value!r} has a bad port", hint
    if not host:
        return f"URL {value!r} has no host", hint
    problem = check_host(host)
    return (f"URL {value!r}: {problem}", hint) if problem else None


def check_email(value: str) -> Check:
    hint = "write one address like postmottak@oslo.kommune.no"
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or len(value) > 254:
        return f"bad e-mail address {value!r}", hint
    if not _EMAIL_LOCAL.match(local) or len(local) > 64:
        return f"bad e-mail address {value!r}", hint
    if check_host(domain) or domain.startswith("["):
        return f"bad e-mail address {value!r}: bad domain", hint
    return None


def normalise_phone(raw: str) -> str | None:
    """A Norwegian phone number as 8 digits ('+47 75 06 80 00' -> '75068000'); None if it is not one."""
    digits = re.sub(r"[\s.\-()\u00a0]", "", raw)
    for prefix in ("+47", "0047"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 8:
            digits = digits[len(prefix) :]
    return digits if re.fullmatch(r"[2-9][0-9]{7}", digits) else None


def check_phone(value: str) -> Check:
    if not re.fullmatch(r"(\+47)?[2-9][0-9]{7}", value):
        return (
            f"bad Norwegian phone number {value!r}",
            "write 8 digits without spaces, optionally after +47, e.g. 75068000",
        )
    return None


def _format_float(value: float) -> str:
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


# --- the model ------------------------------------------------------------------------------------------


class Municipality(BaseModel):
    """One row of the register. Derived values (size class, domain) are properties, never CSV columns."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kommunenummer: str
    name: str
    name_alt: str | None = None
    county_number: str
    county: str
    admin_centre: str | None = None
    written_standard: Literal["bokmål", "nynorsk", "neutral"]
    population: int
    area_km2: float | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = None
    orgnr: str | None = None
    notes: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _empty_is_none(cls, data: object) -> object:
        if isinstance(data, Mapping):
            return {k: (None if v == "" else v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _check(self) -> Municipality:
        checks: list[Check] = [check_kommunenummer(self.kommunenummer, self.county_number)]
        if not re.fullmatch(r"[0-9]{2}", self.county_number):
            checks.append((f"malformed county_number {self.county_number!r}", "2 digits"))
        if self.population < 0:
            checks.append(("population must not be negative", ""))
        for value, check in (
            (self.orgnr, check_orgnr),
            (self.website, check_url),
            (self.email, check_email),
            (self.phone, check_phone),
        ):
            if value is not None:
                checks.append(check(value))
        errors = [c[0] for c in checks if c]
        if errors:
            raise ValueError("; ".join(errors))
        return self

    @field_validator("name", "county")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be empty")
        return v

    @property
    def size_class(self) -> str:
        return size_class_for(self.population)

    @property
    def size_class_nb(self) -> str:
        return SIZE_CLASS_LABELS_NB[self.size_class]

    @property
    def domain(self) -> str | None:
        """Host of the website without `www.` (the key web checks and mail matching use)."""
        if not self.website:
            return None
        host = (urlsplit(self.website).hostname or "").lower()
        return host.removeprefix("www.") or None

    @property
    def display_name(self) -> str:
        return f"{self.name} / {self.name_alt}" if self.name_alt else self.name

    def to_row(self) -> dict[str, str]:
        """The CSV row, every value a string (empty for None)."""
        out: dict[str, str] = {}
        for col in COLUMNS:
            value = getattr(self, col)
            if value is None:
                out[col] = ""
            elif isinstance(value, float):
                out[col] = _format_float(value)
            else:
                out[col] = str(value)
        return out


class Register:
    """The municipalities in file order, indexable by kommunenummer."""

    def __init__(self, municipalities: Iterable[Municipality], path: Path | None = None) -> None:
        self.municipalities: list[Municipality] = list(municipalities)
        self.path = path
        self._by_knr: dict[str, Municipality] = {}
        for m in self.municipalities:
            if m.kommunenummer in self._by_knr:
                raise ValueError(f"duplicate kommunenummer {m.kommunenummer}")
            self._by_knr[m.kommunenummer] = m

    def get(self, knr: str) -> Municipality:
        key = knr.strip()
        if key.isdigit() and len(key) < 4:
            key = key.zfill(4)
        try:
            return self._by_knr[key]
        except KeyError:
            where = f" in {self.path}" if self.path else ""
            raise NotFoundError(
                f"no municipality with kommunenummer {knr!r}{where}",
                hint="see `kommunetest register list` for the numbers",
            ) from None

    __getitem__ = get

    def __contains__(self, knr: object) -> bool:
        return knr in self._by_knr

    def __iter__(self) -> Iterator[Municipality]:
        return iter(self.municipalities)

    def __len__(self) -> int:
        return len(self.municipalities)

    def counties(self) -> dict[str, str]:
        """County number -> county name, ordered by number."""
        found = {m.county_number: m.county for m in self.municipalities}
        return dict(sorted(found.items()))

    def in_county(self, name_or_number: str) -> list[Municipality]:
        """Municipalities of a county given by number ('56', '3') or name (case-insensitive)."""
        text = name_or_number.strip()
        counties = self.counties()
        number = text.zfill(2) if text.isdigit() else None
        if number is None:
            number = next((n for n, c in counties.items() if c.casefold() == text.casefold()), None)
        if number not in counties:
            choices = ", ".join(f"{n} {c}" for n, c in counties.items())
            raise UsageError(f"unknown county {name_or_number!r}", hint=f"use a number or name: {choices}")
        return [m for m in self.municipalities if m.county_number == number]

    def in_size_class(self, size_class: str) -> list[Municipality]:
        label = parse_size_class(size_class)
        return [m for m in self.municipalities if m.size_class == label]


# --- reading and validating -----------------------------------------------------------------------------


def _check_row(row: Mapping[str, str], file: str, line: int) -> list[Problem]:
    """Every problem of one row's values (only the columns present)."""
    problems: list[Problem] = []

    def add(fieldname: str, check: Check) -> None:
        if check:
            problems.append(Problem(file, check[0], line=line, field=fieldname, hint=check[1] or None))

    for col in REQUIRED:
        if col in row and not row[col].strip():
            add(col, ("must not be empty", f"every municipality needs a {col}"))
    if row.get("kommunenummer"):
        add("kommunenummer", check_kommunenummer(row["kommunenummer"], row.get("county_number")))
    if row.get("county_number") and not re.fullmatch(r"[0-9]{2}", row["county_number"]):
        add("county_number", (f"malformed county_number {row['county_number']!r}", "write 2 digits, e.g. 03"))
    if row.get("population") and not re.fullmatch(r"[0-9]+", row["population"]):
        add(
            "population",
            (f"population {row['population']!r} is not a whole number", "digits only, e.g. 5850"),
        )
    if row.get("area_km2") and not re.fullmatch(r"[0-9]+(\.[0-9]+)?", row["area_km2"]):
        add(
            "area_km2",
            (f"area_km2 {row['area_km2']!r} is not a number", "use a dot for decimals, e.g. 454.12"),
        )
    if row.get("written_standard") and row["written_standard"] not in WRITTEN_STANDARDS:
        add(
            "written_standard",
            (
                f"unknown written_standard {row['written_standard']!r}",
                f"use one of {', '.join(WRITTEN_STANDARDS)}",
            ),
        )
    for col, check in (
        ("orgnr", check_orgnr),
        ("website", check_url),
        ("email", check_email),
        ("phone", check_phone),
    ):
        if row.get(col):
            add(col, check(row[col]))
    return problems


def _decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    if not data.strip():
        return None, [
            Problem(file, "empty file", hint=f"the first line must be the header: {','.join(COLUMNS)}")
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return None, [
            Problem(
                file,
                f"not UTF-8 (byte 0x{data[e.start]:02x} on this line)",
                line=line,
                hint="save the file as UTF-8 (Excel: 'CSV UTF-8')",
            )
        ]
    return text.removeprefix("\ufeff"), []


def _check_header(header: list[str], file: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for col in header:
        if col in seen:
            problems.append(
                Problem(file, "column appears twice", line=1, field=col, hint="remove one of them")
            )
        elif col not in COLUMNS:
            problems.append(Problem(file, "unknown column", line=1, field=col, hint="remove or rename it"))
        seen.add(col)
    for col in COLUMNS:
        if col not in seen:
            problems.append(
                Problem(file, "missing column", line=1, field=col, hint="add it; its values may be empty")
            )
    common = [c for c in header if c in COLUMNS]
    if common != [c for c in COLUMNS if c in seen] and len(set(common)) == len(common):
        problems.append(Problem(file, "columns are out of order", line=1))
    if problems:
        problems.append(Problem(file, "the header must be exactly", line=1, hint=",".join(COLUMNS)))
    return problems


def validate_register(path: Path | str) -> tuple[Register | None, list[Problem]]:
    """Read and check the register; the Register when nothing is wrong, else None and every problem."""
    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem(file, "file not found", hint="set project.municipalities or create the file")]
    except OSError as e:
        return None, [Problem(file, f"cannot read: {e.strerror or e}")]
    text, problems = _decode(data, file)
    if text is None:
        return None, problems

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    start = 1
    try:
        for record in reader:
            line, start = start, reader.line_num + 1
            if not record or record == [""]:
                continue  # blank line
            if header is None:
                header = record
                problems += _check_header(header, file)
                continue
            if len(record) != len(header):
                problems.append(
                    Problem(
                        file,
                        f"row has {len(record)} fields, the header has {len(header)}",
                        line=line,
                        hint="quote values that contain commas; check for a missing or extra comma",
                    )
                )
                continue
            rows.append((line, dict(zip(header, record, strict=True))))
    except csv.Error as e:
        problems.append(
            Problem(file, f"CSV syntax error: {e}", line=start, hint="check the quotes on this line")
        )
    if header is None:
        return None, problems or [Problem(file, "empty file")]
    if not rows and not problems:
        problems.append(Problem(file, "the register has no municipalities", line=2))

    seen_knr: dict[str, int] = {}
    seen_orgnr: dict[str, int] = {}
    county_names: dict[str, tuple[str, int]] = {}
    for line, row in rows:
        problems += _check_row(row, file, line)
        for col, seen in (("kommunenummer", seen_knr), ("orgnr", seen_orgnr)):
            value = row.get(col, "")
            if not value:
                continue
            if value in seen:
                problems.append(
                    Problem(
                        file,
                        f"duplicate {col} {value}: lines {seen[value]} and {line}",
                        line=line,
                        field=col,
                        hint="each municipality appears once, with its own number",
                    )
                )
            else:
                seen[value] = line
        number, county = row.get("county_number", ""), row.get("county", "")
        if number and county:
            first = county_names.setdefault(number, (county, line))
            if first[0] != county:
                problems.append(
                    Problem(
                        file,
                        f"county {county!r} differs from {first[0]!r} on line {first[1]} for county number {number}",
                        line=line,
                        field="county",
                        hint="use one spelling per county",
                    )
                )
    if problems:
        return None, problems

    municipalities: list[Municipality] = []
    for line, row in rows:
        try:
            municipalities.append(Municipality.model_validate(row))
        except PydanticValidationError as e:  # a rule the row checks do not cover: still located
            for err in e.errors():
                col = str(err["loc"][0]) if err["loc"] else None
                problems.append(Problem(file, err["msg"], line=line, field=col))
    if problems:
        return None, problems
    return Register(municipalities, path=path), []


def load_register(path: Path | str) -> Register:
    """The register at `path`; ValidationError (listing every problem) if anything is wrong."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(
            f"municipality register not found: {path}",
            hint="set project.municipalities in kommunetest.toml, or copy municipalities.csv into the project",
        )
    register, problems = validate_register(path)
    if register is None:
        n = len(problems)
        raise ValidationError(problems, summary=f"{path}: {n} problem{'s' if n != 1 else ''} in the register")
    return register


def register_path(settings: Settings) -> Path:
    """The project's register; the repository's copy when the default name is unset in the project."""
    configured = settings.project.municipalities
    path = settings.path(configured)
    if not path.exists() and Path(configured) == Path(DEFAULT_FILENAME):
        fallback = REPO_ROOT / DEFAULT_FILENAME
        if fallback.exists():
            return fallback
    return path


# --- writing ---------------------------------------------------------------------------------------------


def atomic_write_bytes(path: Path | str, data: bytes, check: Callable[[Path], None] | None = None) -> None:
    """Write via a temporary file in the same directory and rename it over `path`.

    Readers never see a half-written file; `check` may inspect the temporary file and raise to abort.
    The file keeps its permissions (a new file gets the usual 0666 minus umask).
    """
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            mode = path.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        tmp.chmod(mode)
        if check is not None:
            check(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def rows_to_csv(rows: Iterable[Mapping[str, str | None]], lineterminator: str = "\n") -> str:
    """CSV text in COLUMNS order; values are written as given (None as empty)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=lineterminator)
    writer.writerow(COLUMNS)
    for row in rows:
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise ValueError(f"unknown register columns: {', '.join(sorted(unknown))}")
        writer.writerow(["" if row.get(col) is None else str(row.get(col)) for col in COLUMNS])
    return buf.getvalue()


def write_register(
    register_or_rows: Register | Iterable[Municipality] | Iterable[Mapping[str, str | None]], path: Path | str
) -> None:
    """Write the register (models or plain string rows) atomically, in COLUMNS order, UTF-8, LF endings."""
    rows = [m.to_row() if isinstance(m, Municipality) else m for m in register_or_rows]
    atomic_write_bytes(path, rows_to_csv(rows).encode("utf-8"))
