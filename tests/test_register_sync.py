"""`register sync` against a real HTTP server on loopback in the shape of Enhetsregisteret's API."""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kommunetest.cli import cli
from kommunetest.errors import LiveSendingRefused, NotFoundError, RemoteError
from kommunetest.register import COLUMNS, Register, load_register, validate_register
from kommunetest.register_sync import BRREG_BASE_URL, is_loopback_url, sync_register
from kommunetest.sandbox.brreg import FakeEnhetsregister, Scripted, municipality_entity
from kommunetest.settings import REPO_ROOT

SHIPPED = REPO_ROOT / "municipalities.csv"
FAST = {"backoff": 0.01, "timeout": 5.0}


@pytest.fixture(scope="module")
def shipped() -> Register:
    return load_register(SHIPPED)


@pytest.fixture
def brreg(shipped: Register) -> Iterator[FakeEnhetsregister]:
    with FakeEnhetsregister() as fake:
        fake.add_municipalities(shipped)
        yield fake


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "municipalities.csv").write_bytes(SHIPPED.read_bytes())
    return tmp_path


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return {r["kommunenummer"]: r for r in csv.DictReader(f)}


def invoke(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--project", str(project), "register", "sync", *args])


def entity(shipped: Register, knr: str, **fields: str) -> dict:
    return municipality_entity(shipped.get(knr), **fields)


def test_dry_run_shows_changes_and_writes_nothing(project: Path, brreg: FakeEnhetsregister) -> None:
    before = (project / "municipalities.csv").read_bytes()
    result = invoke(project, "--base-url", brreg.base_url, "-m", "0301", "-m", "1101")
    assert result.exit_code == 0, result.output
    assert "postmottak@oslo.kommune.no" in result.output
    assert "0301  Oslo       email  (empty)  postmottak@oslo.kommune.no" in result.output
    assert "2 checked, 2 with changes, 0 failed; dry run: nothing written" in result.output
    assert (project / "municipalities.csv").read_bytes() == before
    assert len(brreg.requests) == 2


def test_write_changes_only_contact_columns(
    project: Path, brreg: FakeEnhetsregister, shipped: Register
) -> None:
    path = project / "municipalities.csv"
    before_lines = path.read_text(encoding="utf-8").splitlines()
    brreg.entities[shipped.get("1103").orgnr or ""] = entity(
        shipped,
        "1103",
        email="postmottak@stavanger.kommune.no",
        phone="+47 51 50 70 90",
        website="https://stavanger.kommune.no/",
    )
    result = invoke(project, "--base-url", brreg.base_url, "--write", "-m", "0301", "-m", "1103")
    assert result.exit_code == 0, result.output
    assert f"wrote {path}" in result.output

    after_lines = path.read_text(encoding="utf-8").splitlines()
    changed = [i for i, (a, b) in enumerate(zip(before_lines, after_lines, strict=True)) if a != b]
    assert changed == [1, 3]  # Oslo and Stavanger; every other line keeps its bytes
    new, old = rows(path), rows(SHIPPED)
    assert new["1103"]["phone"] == "51507090"
    assert new["1103"]["email"] == "postmottak@stavanger.kommune.no"
    assert new["1103"]["website"] == old["1103"]["website"]  # only www/slash differ: ours kept
    for knr in ("0301", "1103"):
        for col in COLUMNS:
            if col not in ("email", "phone"):
                assert new[knr][col] == old[knr][col], col
    assert len(load_register(path)) == 357


def test_failures_are_reported_per_municipality(
    project: Path, brreg: FakeEnhetsregister, shipped: Register
) -> None:
    org = {knr: shipped.get(knr).orgnr or "" for knr in ("1103", "1106", "1108", "1111", "1112", "1114")}
    del brreg.entities[org["1103"]]  # 404
    brreg.script(org["1106"], Scripted(500, {"status": 500}))  # 500, then the normal 200
    brreg.entities[org["1108"]] = entity(shipped, "1108", form="IKS", email="post@iks.no")
    brreg.entities[org["1111"]] = entity(
        shipped, "1111", email="postmottak(at)sokndal.kommune.no", phone="51470000"
    )
    brreg.deleted[org["1112"]] = "2024-01-01"  # 410
    args = [a for knr in org for a in ("-m", knr)]
    result = invoke(project, "--base-url", brreg.base_url, "--write", *args)

    assert isinstance(result.exception, RemoteError)
    assert result.exception.exit_code == 8
    assert "4 of 6 municipalities failed" in str(result.exception)
    err = result.stderr
    assert f"FAILED 1103 Stavanger: orgnr {org['1103']} not found in Enhetsregisteret (404)" in err
    assert "FAILED 1108 Sandnes: orgnr" in err and "is not a municipality: organisasjonsform IKS" in err
    assert "FAILED 1111 Sokndal: invalid e-mail address from Enhetsregisteret" in err
    assert "FAILED 1112 Lund: orgnr" in err and "deleted" in err and "2024-01-01" in err
    assert "1106" not in err
    assert brreg.requests.count(f"/enhetsregisteret/api/enheter/{org['1106']}") == 2

    new = rows(project / "municipalities.csv")
    assert new["1106"]["email"] == "postmottak@haugesund.kommune.no"  # retried and saved
    assert new["1114"]["email"] == "postmottak@bjerkreim.kommune.no"
    assert new["1111"]["phone"] == "51470000" and new["1111"]["email"] == ""  # bad value not saved
    for knr in ("1103", "1108", "1112"):
        assert new[knr] == rows(SHIPPED)[knr]


def test_non_loopback_base_url_refused(project: Path) -> None:
    before = (project / "municipalities.csv").read_bytes()
    result = invoke(project)  # the default base URL is the real service
    assert isinstance(result.exception, LiveSendingRefused)
    assert result.exception.exit_code == 9
    assert "refusing to contact data.brreg.no without --live" in str(result.exception)
    for url in ("http://10.0.0.1/api", "http://example.org/api", "http://127.0.0.1.nip.io/api"):
        with pytest.raises(LiveSendingRefused):
            sync_register(project / "municipalities.csv", base_url=url)
    assert (project / "municipalities.csv").read_bytes() == before
    assert not is_loopback_url(BRREG_BASE_URL)
    assert is_loopback_url("http://127.0.0.2:8000/x") and is_loopback_url("http://localhost/x")
    assert is_loopback_url("http://[::1]:8000/x")


def test_unknown_municipality_and_bad_url(project: Path, brreg: FakeEnhetsregister) -> None:
    result = invoke(project, "--base-url", brreg.base_url, "-m", "9999")
    assert isinstance(result.exception, NotFoundError)
    result = invoke(project, "--base-url", "not a url")
    assert result.exception is not None and result.exception.exit_code == 2


def test_missing_orgnr_is_found_by_kommunenummer(
    project: Path, brreg: FakeEnhetsregister, shipped: Register
) -> None:
    haram = shipped.get("1580")
    assert haram.orgnr is None
    brreg.entities["999999999"] = municipality_entity(
        haram,
        orgnr="999999999",
        email="postmottak@haram.kommune.no",
        phone="70208000",
        website="haram.kommune.no",
    )
    report = sync_register(
        project / "municipalities.csv", base_url=brreg.base_url, municipalities=["1580"], write=True, **FAST
    )
    assert not report.failed
    row = rows(project / "municipalities.csv")["1580"]
    assert (row["orgnr"], row["email"], row["phone"]) == (
        "999999999",
        "postmottak@haram.kommune.no",
        "70208000",
    )
    assert row["notes"] == ""  # both flags (website, orgnr) settled by Enhetsregisteret
    assert row["website"] == "https://www.haram.kommune.no"
    assert validate_register(project / "municipalities.csv")[1] == []


def test_values_are_normalised(project: Path, brreg: FakeEnhetsregister, shipped: Register) -> None:
    org = shipped.get("0301").orgnr or ""
    body = entity(shipped, "0301", email="postmottak@oslo.kommune.no", website="www.oslo.no/")
    body["mobil"] = "+47 987 65 432"
    brreg.entities[org] = body
    report = sync_register(
        project / "municipalities.csv", base_url=brreg.base_url, municipalities=["0301"], **FAST
    )
    [outcome] = report.outcomes
    changes = {c.field: (c.old, c.new) for c in outcome.changes}
    assert changes == {
        "email": ("", "postmottak@oslo.kommune.no"),
        "phone": ("", "98765432"),
        "website": ("https://www.oslo.kommune.no", "https://www.oslo.no/"),
    }
    assert report.written is None


def test_orgnr_of_another_municipality_fails(
    project: Path, brreg: FakeEnhetsregister, shipped: Register
) -> None:
    org = shipped.get("0301").orgnr or ""
    brreg.entities[org] = entity(shipped, "1101", orgnr=org)
    report = sync_register(
        project / "municipalities.csv", base_url=brreg.base_url, municipalities=["0301"], **FAST
    )
    assert report.failed[0].problems == [f"orgnr {org} belongs to EIGERSUND KOMMUNE, not to Oslo (0301)"]


def test_retry_after_is_honoured(project: Path, brreg: FakeEnhetsregister, shipped: Register) -> None:
    org = shipped.get("0301").orgnr or ""
    brreg.script(org, Scripted(429, {"status": 429}, headers={"Retry-After": "1"}))
    started = time.monotonic()
    report = sync_register(
        project / "municipalities.csv", base_url=brreg.base_url, municipalities=["0301"], **FAST
    )
    assert time.monotonic() - started >= 0.95
    assert not report.failed and report.changed


def test_network_failures_do_not_abort(project: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = sync_register(
        project / "municipalities.csv",
        base_url=f"http://127.0.0.1:{port}/api",
        municipalities=["0301", "1101", "1103"],
        retries=1,
        **FAST,
    )
    assert len(report.failed) == 3
    assert all(o.problems[0].startswith("network error: ConnectError") for o in report.failed)


def test_timeout_is_a_failure(project: Path, brreg: FakeEnhetsregister, shipped: Register) -> None:
    org = shipped.get("0301").orgnr or ""
    brreg.script(org, Scripted(200, brreg.entities[org], delay=1.0))
    report = sync_register(
        project / "municipalities.csv",
        base_url=brreg.base_url,
        municipalities=["0301", "1101"],
        retries=0,
        backoff=0.01,
        timeout=0.3,
    )
    assert [o.kommunenummer for o in report.failed] == ["0301"]
    assert "ReadTimeout" in report.failed[0].problems[0]
    assert [o.kommunenummer for o in report.changed] == ["1101"]


def test_untouched_bytes_survive_a_write(tmp_path: Path, brreg: FakeEnhetsregister) -> None:
    """BOM, CRLF endings and needless quotes in records the sync does not change stay as they were."""
    lines = SHIPPED.read_text(encoding="utf-8").splitlines()[:4]
    lines[2] = lines[2].replace("Eigersund,,11", '"Eigersund",,11')
    path = tmp_path / "municipalities.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    report = sync_register(path, base_url=brreg.base_url, municipalities=["0301"], write=True, **FAST)
    assert report.written == path
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    out = data.decode("utf-8-sig").split("\r\n")
    assert out[0] == lines[0] and out[2:4] == lines[2:4]
    assert next(csv.reader(io.StringIO(out[1])))[COLUMNS.index("email")] == "postmottak@oslo.kommune.no"


def test_write_goes_to_the_project_not_the_repo_copy(tmp_path: Path, brreg: FakeEnhetsregister) -> None:
    before = SHIPPED.read_bytes()
    result = invoke(tmp_path, "--base-url", brreg.base_url, "--write", "-m", "5612", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["source"] == str(SHIPPED)
    assert report["written"] == str(tmp_path / "municipalities.csv")
    assert report["counts"] == {"checked": 1, "changed": 1, "failed": 0}
    [outcome] = report["municipalities"]
    assert outcome["kommunenummer"] == "5612" and outcome["status"] == "changed"
    assert {c["field"] for c in outcome["changes"]} == {"email", "phone", "notes"}
    assert SHIPPED.read_bytes() == before
    assert rows(tmp_path / "municipalities.csv")["5612"]["email"] == "postmottak@guovdageainnu.suohkan.no"
