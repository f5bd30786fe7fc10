"""All SQL lives in this package: SQLAlchemy Core over SQLite (default) or PostgreSQL.

`Store` is assembled from one mixin per subject; channels add theirs here (never SQL elsewhere).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kommunetest.store.evidence import EvidenceMixin
from kommunetest.store.mail import MailMixin
from kommunetest.store.observations import ObservationsMixin
from kommunetest.store.outbox import OutboxMixin
from kommunetest.store.phone import PhoneMixin
from kommunetest.store.rounds import PROBE_STATUSES, RoundsMixin, probe_id
from kommunetest.store.scores import ScoresMixin
from kommunetest.store.web import WebMixin

if TYPE_CHECKING:
    from kommunetest.settings import Settings

__all__ = ["PROBE_STATUSES", "Store", "probe_id"]


class Store(
    RoundsMixin, PhoneMixin, ObservationsMixin, EvidenceMixin, ScoresMixin, OutboxMixin, MailMixin, WebMixin
):
    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Store:
        return cls.connect(
            settings.store.database_url,
            settings.results_dir,
            busy_timeout_s=settings.store.sqlite_busy_timeout_s,
            migrate=migrate,
        )
