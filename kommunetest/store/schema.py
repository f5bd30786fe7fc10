"""The current shape of every table, for queries. Changes go through `migrations.py`, never here alone.

`tests/test_store.py` checks that a database built by the migrations has exactly these columns.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
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

# --- outbox (migration 3): one row per outgoing e-mail; its state makes sending exactly-once ------------

OUTBOX_STATES = ("pending", "sending", "sent", "unknown", "failed")

outbox = Table(
    "outbox",
    metadata,
    Column("probe_id", String(200), ForeignKey("probes.id"), primary_key=True),
    Column("part", String(20), primary_key=True),  # question | follow_up
    Column("round_name", String(100), nullable=False),
    Column("persona_id", String(100), nullable=False),
    Column("message_id", String(300), nullable=False),  # "<...@persona-domain>", our own, random
    Column("recipient", String(320), nullable=False),  # the municipality's address (envelope and To:)
    Column("subject", Text, nullable=False),
    Column("state", String(20), nullable=False),  # OUTBOX_STATES
    Column("raw_sha256", String(64), nullable=False),  # the exact bytes sent, rendered once
    Column("evidence_path", String(500), nullable=False),  # relative to the results directory
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("smtp_code", Integer),  # the last SMTP reply code (250 when accepted)
    Column("smtp_response", Text),
    Column("in_reply_to", String(300)),  # follow-ups: the municipality's reply they answer
    Column("not_before", UtcDateTime()),  # follow-ups: earliest send time (clock time)
    Column("created_at", UtcDateTime(), nullable=False),  # wall clock
    Column("updated_at", UtcDateTime(), nullable=False),  # wall clock
    Column("attempt_started_at", UtcDateTime()),  # wall clock; the per-persona rate limit reads it
    # Wall clock, set in a committed transaction just before the end of DATA is written. None while
    # `sending` means the server cannot have accepted the message (SMTP accepts only at the final dot).
    Column("data_end_at", UtcDateTime()),
    Column("sent_at", UtcDateTime()),  # the run's clock (simulated in rehearsals): response times start here
    Column("copied_at", UtcDateTime()),  # copy appended to the persona's Sent folder
    Column("reconciled_at", UtcDateTime()),
    Column("resolution", Text),  # how a crash was reconciled, or the coordinator's decision
    UniqueConstraint("message_id", name="uq_outbox_message_id"),
    Index("ix_outbox_state", "state"),
    Index("ix_outbox_round_state", "round_name", "state"),
    Index("ix_outbox_persona", "persona_id", "attempt_started_at"),
)

# --- mail (migration 4): the inbox's sync state, every received message, grades, flagged addresses -------

MAIL_STATUSES = ("own", "matched", "unmatched", "quarantined", "ignored")

mail_folders = Table(
    "mail_folders",
    metadata,
    Column("persona_id", String(100), primary_key=True),
    Column("folder", String(200), primary_key=True),
    Column("uidvalidity", BigInteger),  # IMAP UIDVALIDITY last seen (32-bit unsigned)
    Column("last_uid", BigInteger, nullable=False),  # every UID up to this one is stored
    Column("updated_at", UtcDateTime(), nullable=False),
)

mail_messages = Table(
    "mail_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("persona_id", String(100), nullable=False),
    Column("folder", String(200), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("dedup_key", String(64), nullable=False),  # SHA-256 of content hash + Message-ID
    Column("message_id", String(500)),  # normalized "<...>", lower case
    Column("in_reply_to", String(500)),
    Column("references", JSON, nullable=False, default=list),
    Column("sha256", String(64), nullable=False),  # of the raw bytes, as fetched
    Column("size", Integer, nullable=False),
    Column("evidence_path", String(500)),  # relative to the results directory; None for our own copies
    Column("received_at", UtcDateTime(), nullable=False),  # IMAP INTERNALDATE
    Column("date_header", UtcDateTime()),
    Column("from_addr", String(320)),
    Column("from_name", String(320)),
    Column("subject", Text, nullable=False),
    Column("status", String(20), nullable=False),  # MAIL_STATUSES
    Column("kind", String(20)),  # the classifier's kind (None for our own copies)
    Column("kind_override", String(20)),  # a reviewer's correction of the kind
    Column("reasons", JSON, nullable=False, default=list),
    Column("confidence", Float),
    Column("quarantine_reason", Text),
    Column("defects", JSON, nullable=False, default=list),
    Column("bounce_recipients", JSON, nullable=False, default=list),
    Column("probe_id", String(200), ForeignKey("probes.id")),
    Column("part", String(20)),  # question | follow_up: which of our messages it answers
    Column("match_method", String(40)),  # in_reply_to, references, embedded_id, bounce_recipient, ...
    Column("match_detail", JSON, nullable=False, default=dict),
    Column("applied", Boolean, nullable=False, default=False),  # its probe's result is up to date
    Column("reviewed_by", String(200)),
    Column("reviewed_at", UtcDateTime()),
    Column("review_note", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("persona_id", "folder", "uidvalidity", "uid", name="uq_mail_location"),
    UniqueConstraint("persona_id", "dedup_key", name="uq_mail_content"),
    Index("ix_mail_messages_probe", "probe_id"),
    Index("ix_mail_messages_status", "status"),
    Index("ix_mail_messages_applied", "applied"),
)

email_grades = Table(
    "email_grades",
    metadata,
    Column("probe_id", String(200), ForeignKey("probes.id"), primary_key=True),
    Column("part", String(20), primary_key=True),  # question | follow_up
    Column("reply_id", Integer, ForeignKey("mail_messages.id")),  # the answer graded
    Column("proposed", String(20)),  # correct | partial | relevant | none
    Column("confidence", Float),
    Column("proposal", JSON, nullable=False, default=dict),  # facts and points found and missing
    Column("confirmed", String(20)),  # the person's grade
    Column("confirmed_by", String(200)),
    Column("confirmed_at", UtcDateTime()),
    Column("note", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
)

flagged_addresses = Table(
    "flagged_addresses",
    metadata,
    Column("address", String(320), primary_key=True),  # lower case
    Column("kommunenummer", String(4)),
    Column("reason", Text, nullable=False),  # the bounce's status and diagnostic
    Column("status", String(40)),  # DSN status, e.g. 5.1.1
    Column("probe_id", String(200)),
    Column("message_row_id", Integer),
    Column("count", Integer, nullable=False),
    Column("first_seen", UtcDateTime(), nullable=False),
    Column("last_seen", UtcDateTime(), nullable=False),
    Column("cleared_at", UtcDateTime()),  # the coordinator fixed the address
)

# --- web sites (migration 5): one row per municipality's site per round: crawl, accessibility, services ----

web_sites = Table(
    "web_sites",
    metadata,
    Column("round_name", String(100), ForeignKey("rounds.name"), primary_key=True),
    Column("kommunenummer", String(4), primary_key=True),
    Column("site_url", String(500)),  # the front page crawled (the register's website, or an override)
    Column("final_url", String(500)),  # after redirects
    Column("status", String(40), nullable=False),  # ok, or why the site could not be checked
    Column("error", Text),
    Column("pages", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("elapsed_s", Float, nullable=False),
    Column("stop_reason", String(40)),
    Column("details", JSON, nullable=False, default=dict),  # sitemap, search form, renders, item grades...
    Column("axe", JSON),  # {"front": counts, "pages": {url: counts}, "total": counts} by impact
    Column("services", JSON, nullable=False, default=dict),  # digital services found, with evidence
    Column("checked_at", UtcDateTime(), nullable=False),
)

# --- phone (migration 6): testers, who calls what, and every revision of every call entry -------------------

TESTER_ROLES = ("tester", "coordinator")
CALL_OUTCOMES = ("reached", "no_answer", "queue_too_long", "closed")

testers = Table(
    "testers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False),  # lower case; never published, never logged
    Column("display_name", String(200), nullable=False),  # shown to coordinators only
    Column("role", String(20), nullable=False),  # TESTER_ROLES
    Column("password_hash", String(300), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("failed_logins", Integer, nullable=False),
    Column("locked_until", UtcDateTime()),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_login_at", UtcDateTime()),
    Column("session_epoch", Integer, nullable=False),  # raised to end every session of the account
    UniqueConstraint("username", name="uq_tester_username"),
)

phone_assignments = Table(
    "phone_assignments",
    metadata,
    Column("probe_id", String(200), ForeignKey("probes.id"), primary_key=True),
    Column("tester_id", Integer, ForeignKey("testers.id"), nullable=False),
    Column("assigned_at", UtcDateTime(), nullable=False),
    Column("assigned_by", String(100), nullable=False),  # a command, or a coordinator's tester id
    Index("ix_phone_assignments_tester", "tester_id"),
)

phone_entries = Table(
    "phone_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("probe_id", String(200), ForeignKey("probes.id"), nullable=False),
    Column("attempt", Integer, nullable=False),  # 1, or 2 for the retry
    Column("revision", Integer, nullable=False),  # 1 when entered; each edit adds a row, none is overwritten
    Column("tester_id", Integer, ForeignKey("testers.id"), nullable=False),  # who wrote this revision
    Column("outcome", String(20), nullable=False),  # CALL_OUTCOMES
    Column("data", JSON, nullable=False),  # the form's fields, validated
    Column("reason", Text),  # why an entry was changed (revisions after the first)
    Column("nonce", String(64), nullable=False),  # the form's one-time id: a repeated submit is not a new row
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("probe_id", "attempt", "revision", name="uq_phone_entry_revision"),
    UniqueConstraint("nonce", name="uq_phone_entry_nonce"),
    Index("ix_phone_entries_probe", "probe_id"),
)
