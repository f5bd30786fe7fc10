"""Tester accounts: who may log in to the phone app, and as what.

Passwords are hashed with scrypt (Werkzeug's default); they never reach a file, a log or the report. A login
that fails says only that the name or the password is wrong, and an account locks after a run of failures.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from kommunetest.errors import AccessDenied, NotFoundError, UsageError
from kommunetest.i18n import Msg
from kommunetest.settings import PhoneSettings
from kommunetest.store import Store

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Checked against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("kommunetest-not-a-password")


def hash_password(password: str, settings: PhoneSettings) -> str:
    if len(password) < settings.min_password_length:
        raise UsageError(
            f"the password is too short ({len(password)} characters)",
            hint=f"use at least {settings.min_password_length} characters (setting phone.min_password_length)",
        )
    return generate_password_hash(password)


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise UsageError(
            f"{username!r} cannot be a user name",
            hint="use 2–64 characters: lower-case letters a–z, digits, '.', '_' and '-', starting with a "
            "letter or digit",
        )
    return name


def create_tester(
    store: Store, username: str, password: str, settings: PhoneSettings, *, display_name: str = "",
    role: str = "tester",
) -> dict[str, Any]:  # fmt: skip
    name = check_username(username)
    return store.add_tester(name, display_name.strip() or name, role, hash_password(password, settings))


def set_password(store: Store, username: str, password: str, settings: PhoneSettings) -> None:
    """A new password also lifts a lock: this is what a coordinator does for a tester who is locked out."""
    row = require_tester(store, username)
    store.update_tester(
        row["id"], password_hash=hash_password(password, settings), failed_logins=0, locked_until=None
    )
    store.end_sessions(row["id"])


def set_active(store: Store, username: str, active: bool) -> None:
    row = require_tester(store, username)
    store.update_tester(row["id"], active=active)
    if not active:
        store.end_sessions(row["id"])


def is_locked(row: dict[str, Any], now: datetime | None = None) -> bool:
    return row["locked_until"] is not None and row["locked_until"] > (now or datetime.now(UTC))


def require_tester(store: Store, username: str) -> dict[str, Any]:
    row = store.tester(username=username.strip().lower())
    if row is None:
        raise NotFoundError(
            Msg("no tester named {name}", name=username),
            hint="`kommunetest phone tester list` shows the accounts",
        )
    return row


def authenticate(
    store: Store, username: str, password: str, settings: PhoneSettings, *, now: datetime | None = None
) -> dict[str, Any]:
    """The tester, or AccessDenied with a message that does not tell which half was wrong."""
    now = now or datetime.now(UTC)
    wrong = AccessDenied("wrong user name or password")
    row = store.tester(username=username.strip().lower()) if username.strip() else None
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        raise wrong
    if is_locked(row, now):
        minutes = max(1, round((row["locked_until"] - now).total_seconds() / 60))
        raise AccessDenied(
            "this account is locked after too many failed logins",
            hint=Msg("try again in {n} minutes, or ask a coordinator to set a new password", n=minutes),
        )
    if row["locked_until"] is not None:  # the lock has run out: a fresh run of failures is needed again
        store.update_tester(row["id"], failed_logins=0, locked_until=None)
    if not check_password_hash(row["password_hash"], password):
        store.count_login_failure(
            row["id"],
            lock_after=settings.lock_after_failures,
            locked_until=now + timedelta(minutes=settings.lock_minutes),
        )
        raise wrong
    if not row["active"]:
        raise AccessDenied("this account is switched off", hint="ask a coordinator to switch it on again")
    store.update_tester(row["id"], failed_logins=0, locked_until=None, last_login_at=now)
    return {**row, "failed_logins": 0, "locked_until": None, "last_login_at": now}
