"""Explicit, numbered schema migrations.

Each migration states its DDL in full (its own Table objects), so that a database built from scratch and one
upgraded step by step end up the same. Append new migrations; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
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
    inspect,
    select,
)

from kommunetest.store import schema

Migration = tuple[int, str, Callable[[Connection], None]]


def _m001_initial(conn: Connection) -> None:
    md = MetaData()
    Table(
        "rounds",
        md,
        Column("name", String(100), primary_key=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("start_date", Date, nullable=False),
        Column("weeks", Integer, nullable=False),
        Column("seed", Integer, nullable=False),
        Column("method_version", String(50), nullable=False),
        Column("sample", JSON, nullable=False),
        Column("scenario_ids", JSON, nullable=False),
        Column("config", JSON, nullable=False),
        Column("status", String(20), nullable=False),
    )
    Table(
        "round_municipalities",
        md,
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
    Table(
        "probes",
        md,
        Column("id", String(200), primary_key=True),
        Column("round_name", String(100), ForeignKey("rounds.name"), nullable=False),
        Column("kommunenummer", String(4), nullable=False),
        Column("scenario_id", String(100), nullable=False),
        Column("channel", String(10), nullable=False),
        Column("sector", String(40), nullable=False),
        Column("planned_at", DateTime(timezone=True)),
        Column("persona_id", String(100)),
        Column("variant", Integer, nullable=False),
        Column("status", String(20), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("details", JSON, nullable=False),
        UniqueConstraint("round_name", "kommunenummer", "scenario_id", name="uq_probe"),
        Index("ix_probes_round_channel_status", "round_name", "channel", "status"),
        Index("ix_probes_planned", "planned_at"),
    )
    Table(
        "observations",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("probe_id", String(200), ForeignKey("probes.id"), nullable=False),
        Column("key", String(100), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("grade", String(40)),
        Column("value", JSON, nullable=False),
        Column("observed_at", DateTime(timezone=True), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False),
        Column("source", String(100), nullable=False),
        UniqueConstraint("probe_id", "key", name="uq_observation"),
    )
    Table(
        "evidence",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("sha256", String(64), nullable=False),
        Column("kind", String(40), nullable=False),
        Column("path", String(500), nullable=False),
        Column("size", Integer, nullable=False),
        Column("media_type", String(100), nullable=False),
        Column("probe_id", String(200), ForeignKey("probes.id")),
        Column("observation_id", Integer, ForeignKey("observations.id")),
        Column("meta", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("sha256", "kind", "probe_id", name="uq_evidence"),
    )
    md.create_all(conn)


def _m002_scores(conn: Connection) -> None:
    md = MetaData()
    # Declared so that the foreign keys below resolve; not created here (migration 1 made them).
    Table("rounds", md, Column("name", String(100), primary_key=True))
    Table("probes", md, Column("id", String(200), primary_key=True))
    Table(
        "score_runs",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("round_name", String(100), ForeignKey("rounds.name"), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("model_version", String(50), nullable=False),
        Column("model_hash", String(64), nullable=False),
        Column("model", JSON, nullable=False),
        Column("method_version", String(50), nullable=False),
        Column("inputs_hash", String(64), nullable=False),
        Column("summary", JSON, nullable=False),
        Index("ix_score_runs_round", "round_name", "id"),
    )
    Table(
        "municipality_scores",
        md,
        Column("run_id", Integer, ForeignKey("score_runs.id"), primary_key=True),
        Column("kommunenummer", String(4), primary_key=True),
        Column("total", Float),
        Column("rank", Integer),
        Column("ranked", Boolean, nullable=False),
        Column("record", JSON, nullable=False),
    )
    Table(
        "probe_scores",
        md,
        Column("run_id", Integer, ForeignKey("score_runs.id"), primary_key=True),
        Column("probe_id", String(200), primary_key=True),
        Column("observed", Boolean, nullable=False),
        Column("score", Float),
        Column("detail", JSON, nullable=False),
    )
    Table(
        "corrections",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("round_name", String(100), ForeignKey("rounds.name"), nullable=False),
        Column("kommunenummer", String(4), nullable=False),
        Column("probe_id", String(200), ForeignKey("probes.id")),
        Column("observation_key", String(100)),
        Column("grade", String(40)),
        Column("value", JSON, nullable=False),
        Column("reason", Text, nullable=False),
        Column("author", String(200), nullable=False),
        Column("status", String(20), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Index("ix_corrections_round", "round_name", "kommunenummer"),
    )
    for name in ("score_runs", "municipality_scores", "probe_scores", "corrections"):
        md.tables[name].create(conn)


def _m003_outbox(conn: Connection) -> None:
    md = MetaData()
    # Declared so that the foreign key below resolves; not created here (migration 1 made it).
    Table("probes", md, Column("id", String(200), primary_key=True))
    Table(
        "outbox",
        md,
        Column("probe_id", String(200), ForeignKey("probes.id"), primary_key=True),
        Column("part", String(20), primary_key=True),
        Column("round_name", String(100), nullable=False),
        Column("persona_id", String(100), nullable=False),
        Column("message_id", String(300), nullable=False),
        Column("recipient", String(320), nullable=False),
        Column("subject", Text, nullable=False),
        Column("state", String(20), nullable=False),
        Column("raw_sha256", String(64), nullable=False),
        Column("evidence_path", String(500), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("last_error", Text),
        Column("smtp_code", Integer),
        Column("smtp_response", Text),
        Column("in_reply_to", String(300)),
        Column("not_before", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("attempt_started_at", DateTime(timezone=True)),
        Column("data_end_at", DateTime(timezone=True)),
        Column("sent_at", DateTime(timezone=True)),
        Column("copied_at", DateTime(timezone=True)),
        Column("reconciled_at", DateTime(timezone=True)),
        Column("resolution", Text),
        UniqueConstraint("message_id", name="uq_outbox_message_id"),
        Index("ix_outbox_state", "state"),
        Index("ix_outbox_round_state", "round_name", "state"),
        Index("ix_outbox_persona", "persona_id", "attempt_started_at"),
    )
    md.tables["outbox"].create(conn)


def _m004_mail(conn: Connection) -> None:
    md = MetaData()
    # Declared so that the foreign keys below resolve; not created here (migration 1 made it).
    Table("probes", md, Column("id", String(200), primary_key=True))
    Table(
        "mail_folders",
        md,
        Column("persona_id", String(100), primary_key=True),
        Column("folder", String(200), primary_key=True),
        Column("uidvalidity", BigInteger),
        Column("last_uid", BigInteger, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "mail_messages",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("persona_id", String(100), nullable=False),
        Column("folder", String(200), nullable=False),
        Column("uidvalidity", BigInteger, nullable=False),
        Column("uid", BigInteger, nullable=False),
        Column("dedup_key", String(64), nullable=False),
        Column("message_id", String(500)),
        Column("in_reply_to", String(500)),
        Column("references", JSON, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("size", Integer, nullable=False),
        Column("evidence_path", String(500)),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("date_header", DateTime(timezone=True)),
        Column("from_addr", String(320)),
        Column("from_name", String(320)),
        Column("subject", Text, nullable=False),
        Column("status", String(20), nullable=False),
        Column("kind", String(20)),
        Column("kind_override", String(20)),
        Column("reasons", JSON, nullable=False),
        Column("confidence", Float),
        Column("quarantine_reason", Text),
        Column("defects", JSON, nullable=False),
        Column("bounce_recipients", JSON, nullable=False),
        Column("probe_id", String(200), ForeignKey("probes.id")),
        Column("part", String(20)),
        Column("match_method", String(40)),
        Column("match_detail", JSON, nullable=False),
        Column("applied", Boolean, nullable=False),
        Column("reviewed_by", String(200)),
        Column("reviewed_at", DateTime(timezone=True)),
        Column("review_note", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("persona_id", "folder", "uidvalidity", "uid", name="uq_mail_location"),
        UniqueConstraint("persona_id", "dedup_key", name="uq_mail_content"),
        Index("ix_mail_messages_probe", "probe_id"),
        Index("ix_mail_messages_status", "status"),
        Index("ix_mail_messages_applied", "applied"),
    )
    Table(
        "email_grades",
        md,
        Column("probe_id", String(200), ForeignKey("probes.id"), primary_key=True),
        Column("part", String(20), primary_key=True),
        Column("reply_id", Integer, ForeignKey("mail_messages.id")),
        Column("proposed", String(20)),
        Column("confidence", Float),
        Column("proposal", JSON, nullable=False),
        Column("confirmed", String(20)),
        Column("confirmed_by", String(200)),
        Column("confirmed_at", DateTime(timezone=True)),
        Column("note", Text),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "flagged_addresses",
        md,
        Column("address", String(320), primary_key=True),
        Column("kommunenummer", String(4)),
        Column("reason", Text, nullable=False),
        Column("status", String(40)),
        Column("probe_id", String(200)),
        Column("message_row_id", Integer),
        Column("count", Integer, nullable=False),
        Column("first_seen", DateTime(timezone=True), nullable=False),
        Column("last_seen", DateTime(timezone=True), nullable=False),
        Column("cleared_at", DateTime(timezone=True)),
    )
    for name in ("mail_folders", "mail_messages", "email_grades", "flagged_addresses"):
        md.tables[name].create(conn)


def _m005_web_sites(conn: Connection) -> None:
    md = MetaData()
    # Declared so that the foreign key below resolves; not created here (migration 1 made it).
    Table("rounds", md, Column("name", String(100), primary_key=True))
    Table(
        "web_sites",
        md,
        Column("round_name", String(100), ForeignKey("rounds.name"), primary_key=True),
        Column("kommunenummer", String(4), primary_key=True),
        Column("site_url", String(500)),
        Column("final_url", String(500)),
        Column("status", String(40), nullable=False),
        Column("error", Text),
        Column("pages", Integer, nullable=False),
        Column("bytes", Integer, nullable=False),
        Column("elapsed_s", Float, nullable=False),
        Column("stop_reason", String(40)),
        Column("details", JSON, nullable=False),
        Column("axe", JSON),
        Column("services", JSON, nullable=False),
        Column("checked_at", DateTime(timezone=True), nullable=False),
    )
    md.tables["web_sites"].create(conn)


def _m006_phone(conn: Connection) -> None:
    md = MetaData()
    # Declared so that the foreign keys below resolve; not created here (migration 1 made it).
    Table("probes", md, Column("id", String(200), primary_key=True))
    Table(
        "testers",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("username", String(100), nullable=False),
        Column("display_name", String(200), nullable=False),
        Column("role", String(20), nullable=False),
        Column("password_hash", String(300), nullable=False),
        Column("active", Boolean, nullable=False),
        Column("failed_logins", Integer, nullable=False),
        Column("locked_until", DateTime(timezone=True)),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_login_at", DateTime(timezone=True)),
        Column("session_epoch", Integer, nullable=False),
        UniqueConstraint("username", name="uq_tester_username"),
    )
    Table(
        "phone_assignments",
        md,
        Column("probe_id", String(200), ForeignKey("probes.id"), primary_key=True),
        Column("tester_id", Integer, ForeignKey("testers.id"), nullable=False),
        Column("assigned_at", DateTime(timezone=True), nullable=False),
        Column("assigned_by", String(100), nullable=False),
        Index("ix_phone_assignments_tester", "tester_id"),
    )
    Table(
        "phone_entries",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("probe_id", String(200), ForeignKey("probes.id"), nullable=False),
        Column("attempt", Integer, nullable=False),
        Column("revision", Integer, nullable=False),
        Column("tester_id", Integer, ForeignKey("testers.id"), nullable=False),
        Column("outcome", String(20), nullable=False),
        Column("data", JSON, nullable=False),
        Column("reason", Text),
        Column("nonce", String(64), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        UniqueConstraint("probe_id", "attempt", "revision", name="uq_phone_entry_revision"),
        UniqueConstraint("nonce", name="uq_phone_entry_nonce"),
        Index("ix_phone_entries_probe", "probe_id"),
    )
    for name in ("testers", "phone_assignments", "phone_entries"):
        md.tables[name].create(conn)


MIGRATIONS: list[Migration] = [
    (1, "initial: rounds, round_municipalities, probes, observations, evidence", _m001_initial),
    (2, "scores: score_runs, municipality_scores, probe_scores, corrections", _m002_scores),
    (3, "outbox: one row per outgoing e-mail, for exactly-once sending", _m003_outbox),
    (4, "mail: inbox sync state, received messages, grades, flagged addresses", _m004_mail),
    (
        5,
        "web sites: one row per municipality's site per round (crawl, accessibility, services)",
        _m005_web_sites,
    ),
    (6, "phone: testers, call assignments and every revision of every call entry", _m006_phone),
]


def applied_versions(conn: Connection) -> set[int]:
    if not inspect(conn).has_table("schema_migrations"):
        return set()
    return set(conn.execute(select(schema.schema_migrations.c.version)).scalars())


def migrate(conn: Connection) -> list[int]:
    """Apply what is missing, in order, inside the caller's transaction. Returns the versions applied."""
    schema.schema_migrations.create(conn, checkfirst=True)
    done = applied_versions(conn)
    applied = []
    for version, name, fn in MIGRATIONS:
        if version in done:
            continue
        fn(conn)
        conn.execute(
            schema.schema_migrations.insert().values(version=version, name=name, applied_at=datetime.now(UTC))
        )
        applied.append(version)
    return applied


def latest_version() -> int:
    return MIGRATIONS[-1][0]
