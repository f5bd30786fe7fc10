"""The store on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import inspect

from kommunetest.errors import ConfigError, NotFoundError, UsageError
from kommunetest.store import Store, probe_id
from kommunetest.store import schema as t
from kommunetest.store.migrations import latest_version


def _round(store: Store, name: str = "r1") -> None:
    store.create_round(
        name,
        start_date=date(2027, 2, 1),
        weeks=6,
        seed=1,
        method_version="2027.1",
        sample={"kind": "census"},
        scenario_ids=["a"],
        config={},
    )


def _probe(i: int, round_name: str = "r1") -> dict:
    knr = f"{3000 + i // 40:04d}"
    return {
        "round_name": round_name,
        "kommunenummer": knr,
        "scenario_id": f"s{i % 40}",
        "channel": "email",
        "sector": "general",
        "planned_at": datetime(2027, 2, 1, 9, tzinfo=UTC) + timedelta(minutes=i),
    }


def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    assert store.schema_version() == latest_version()
    insp = inspect(store.engine)
    for table in t.metadata.sorted_tables:
        declared = {c.name for c in table.columns}
        actual = {c["name"] for c in insp.get_columns(table.name)}
        assert declared == actual, table.name
    assert store.migrate() == []  # a second run applies nothing


def test_probes_are_idempotent_and_datetimes_come_back_aware_utc(store: Store) -> None:
    _round(store)
    oslo = timezone(timedelta(hours=1))
    p = {**_probe(0), "planned_at": datetime(2027, 2, 1, 10, 15, tzinfo=oslo)}
    assert store.add_probes([p]) == 1
    assert store.add_probes([p, _probe(1)]) == 1
    rows = store.probes("r1")
    # ordered by planned time: s1 (09:01 UTC) before s0 (10:15+01:00 = 09:15 UTC)
    assert [r["id"] for r in rows] == [probe_id("r1", "3000", "s1"), probe_id("r1", "3000", "s0")]
    assert rows[1]["planned_at"] == datetime(2027, 2, 1, 9, 15, tzinfo=UTC)
    assert rows[1]["planned_at"].tzinfo is not None


def test_naive_datetimes_are_refused(store: Store) -> None:
    _round(store)
    with pytest.raises(Exception, match="naive datetime"):
        store.add_probes([{**_probe(0), "planned_at": datetime(2027, 2, 1, 9)}])


def test_rounds_errors_and_counts(store: Store) -> None:
    _round(store)
    with pytest.raises(UsageError, match="exists already"):
        _round(store)
    with pytest.raises(NotFoundError, match="r1"):
        store.get_round("nope")
    store.add_round_municipalities(
        "r1",
        [
            {"kommunenummer": "3000", "name": "Å", "county_number": "30", "county": "Viken",
             "population": 100, "size_class": "<2000"},
        ],
    )  # fmt: skip
    store.add_probes([_probe(i) for i in range(3)])
    store.update_probe(probe_id("r1", "3000", "s1"), status="sent")
    counts = {(r["channel"], r["status"]): r["n"] for r in store.probe_counts("r1")}
    assert counts == {("email", "planned"): 2, ("email", "sent"): 1}
    with pytest.raises(UsageError):
        store.update_probe(probe_id("r1", "3000", "s1"), status="bogus")


def test_observations_keep_the_first_record_unless_replaced(store: Store) -> None:
    _round(store)
    store.add_probes([_probe(0)])
    pid = probe_id("r1", "3000", "s0")
    at = datetime(2027, 2, 2, 10, tzinfo=UTC)
    first = store.record_observation(
        pid, "desktop", kind="web_item", value={"v": 1}, observed_at=at, source="t"
    )
    again = store.record_observation(
        pid, "desktop", kind="web_item", value={"v": 2}, observed_at=at, source="t"
    )
    assert again["id"] == first["id"] and again["value"] == {"v": 1}
    new = store.record_observation(
        pid, "desktop", kind="web_item", value={"v": 3}, observed_at=at, source="t", replace=True
    )
    assert new["id"] == first["id"] and new["value"] == {"v": 3}
    assert len(store.observations("r1")) == 1


def test_evidence_is_content_addressed_and_verifiable(store: Store) -> None:
    _round(store)
    store.add_probes([_probe(0)])
    pid = probe_id("r1", "3000", "s0")
    a = store.put_evidence(
        b"<html>x</html>", kind="html", media_type="text/html", suffix=".html", probe_id=pid
    )
    b = store.put_evidence(
        b"<html>x</html>", kind="html", media_type="text/html", suffix=".html", probe_id=pid
    )
    assert a["id"] == b["id"] and len(store.evidence_for(pid)) == 1
    assert a["sha256"] == hashlib.sha256(b"<html>x</html>").hexdigest()
    path = store.evidence_path(a)
    assert path.read_bytes() == b"<html>x</html>" and path.name == a["sha256"] + ".html"
    assert store.verify_evidence(a)
    path.write_bytes(b"tampered")
    assert not store.verify_evidence(a)


def test_twenty_concurrent_writers_lose_nothing_and_duplicate_nothing(store_url: str, tmp_path: Path) -> None:
    """5,000 distinct probes from 20 writers, each also re-adding a neighbour's share, in small transactions."""
    setup = Store.connect(store_url, tmp_path / "results")
    _round(setup)
    n_writers, per_writer = 20, 250
    errors: list[BaseException] = []
    inserted: list[int] = []
    barrier = threading.Barrier(n_writers)

    def writer(w: int) -> None:
        s = Store.connect(store_url, tmp_path / "results")
        try:
            own = [_probe(w * per_writer + i) for i in range(per_writer)]
            neighbour = [_probe(((w + 1) % n_writers) * per_writer + i) for i in range(0, per_writer, 2)]
            batch = own + neighbour
            barrier.wait()
            n = 0
            for start in range(0, len(batch), 25):
                n += s.add_probes(batch[start : start + 25])
            inserted.append(n)
        except BaseException as e:  # reported below
            errors.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(n_writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=240)
    assert not errors, errors
    ids = [r["id"] for r in setup.probes("r1")]
    assert len(ids) == len(set(ids)) == n_writers * per_writer == 5000
    assert sum(inserted) == 5000  # every probe counted as new exactly once
    expected = {probe_id("r1", p["kommunenummer"], p["scenario_id"]) for p in map(_probe, range(5000))}
    assert set(ids) == expected
    setup.close()


def test_bad_database_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="database URL"):
        Store.connect("not a url", tmp_path)
    with pytest.raises(ConfigError, match="unsupported"):
        Store.connect("mysql://x@127.0.0.1/db", tmp_path)
