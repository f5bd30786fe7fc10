"""The current shape of every table, for queries. Changes go through `migrations.py`, never here alone.

`tests/test_store.py` checks that a database built by the migrations has exactly these columns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
)

rounds = Table(
    "rounds",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("weeks", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("method_version", String(50), nullable=False),
    Column("sample", JSON, nullable=False),  # how municipalities were chosen
    Column("scenario_ids", JSON, nullable=False),
    Column("config", JSON, nullable=False),  # planning settings in force, for reproducibility
    Column("status", String(20), nullable=False),
)

round_municipalities = Table(
    "round_municipalities",
    metadata,
    Column("round_name", String(100), ForeignKey("rounds.name"), primary_key=True),
    Column("kommunenummer", String(4), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("name_alt", String(200)),
    Column("county_number", String(2), nullable=False),
    Column("county", String(100), nullable=False),
    Column("population", Integer, nullable=False),
    Column("size_class", String(20), nullable=False),
    Column("website", String(500)),
    Column("email", String(320)),
    Column("phone", String(40)),
)

probes = Table(
    "probes",
    metadata,
    Column("id", String(200), primary_key=True),  # round:kommunenummer:scenario, stable across re-planning
    Column("round_name", String(100), ForeignKey("rounds.name"), nullable=False),
    Column("kommunenummer", String(4), nullable=False),
    Column("scenario_id", String(100), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("sector", String(40), nullable=False),
    Column("planned_at", UtcDateTime()),  # UTC; None for web items (checked in one crawl)
    Column("persona_id", String(100)),
    Column("variant", Integer, nullable=False, default=0),
    Column("status", String(20), nullable=False, default="planned"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("details", JSON, nullable=False, default=dict),
    UniqueConstraint("round_name", "kommunenummer", "scenario_id", name="uq_probe"),
    Index("ix_probes_round_channel_status", "round_name", "channel", "status"),
    Index("ix_probes_planned", "planned_at"),
)

observations = Table(
    "observations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("probe_id", String(200), ForeignKey("probes.id"), nullable=False),
    Column("key", String(100), nullable=False),  # e.g. "desktop"/"mobile", a reply id, a call attempt
    Column("kind", String(40), nullable=False),  # web_item, email_reply, phone_call
    Column("grade", String(40)),
    Column("value", JSON, nullable=False, default=dict),
    Column("observed_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("source", String(100), nullable=False),  # what recorded it: a command, a tester id hash
    UniqueConstraint("probe_id", "key", name="uq_observation"),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False),
    Column("kind", String(40), nullable=False),  # eml, html, screenshot, pdf, form
    Column("path", String(500), nullable=False),  # relative to the results directory
    Column("size", Integer, nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("probe_id", String(200), ForeignKey("probes.id")),
    Column("observation_id", Integer, ForeignKey("observations.id")),
    Column("meta", JSON, nullable=False, default=dict),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("sha256", "kind", "probe_id", name="uq_evidence"),
)

# --- scores (migration 2): score runs never change observations; corrections overlay them --------------

score_runs = Table(
    "score_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_name", String(100), ForeignKey("rounds.name"), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("model_version", String(50), nullable=False),
    Column("model_hash", String(64), nullable=False),  # SHA-256 of the model's canonical JSON
    Column("model", JSON, nullable=False),  # the rules in force, in full
    Column("method_version", String(50), nullable=False),  # the round's method version when scored
    Column("inputs_hash", String(64), nullable=False),  # probes, observations and corrections scored
    Column("summary", JSON, nullable=False),  # counts, warnings, bootstrap settings, previous round
    Index("ix_score_runs_round", "round_name", "id"),
)

municipality_scores = Table(
    "municipality_scores",
    metadata,
    Column("run_id", Integer, ForeignKey("score_runs.id"), primary_key=True),
    Column("kommunenummer", String(4), primary_key=True),
    Column("total", Float),  # exact total 0–100; None when nothing was observed
    Column("rank", Integer),  # national competition rank; None when not ranked
    Column("ranked", Boolean, nullable=False),
    Column("record", JSON, nullable=False),  # the published record (kommunetest.ranking.results_records)
)

probe_scores = Table(
    "probe_scores",
    metadata,
    Column("run_id", Integer, ForeignKey("score_runs.id"), primary_key=True),
    Column("probe_id", String(200), primary_key=True),
    Column("observed", Boolean, nullable=False),
    Column("score", Float),  # 0–100; None when not observed
    Column("detail", JSON, nullable=False),  # the parts of the score (speed, quality, desktop, mobile...)
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("round_name", String(100), ForeignKey("rounds.name"), nullable=False),
    Column("kommunenummer", String(4), nullable=False),
    Column("probe_id", String(200), ForeignKey("probes.id")),  # None: a remark on the whole municipality
    Column("observation_key", String(100)),  # which observation of the probe; None: its scored one(s)
    Column("grade", String(40)),  # the corrected grade, if the grade changes
    Column("value", JSON, nullable=False),  # fields of the observation's value that change
    Column("reason", Text, nullable=False),  # why (shown in the report)
    Column("author", String(200), nullable=False),  # who decided it
    Column("status", String(20), nullable=False),  # accepted | rejected | pending
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_corrections_round", "round_name", "kommunenummer"),
)
