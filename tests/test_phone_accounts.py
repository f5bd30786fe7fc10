"""Tester accounts of the phone app: user names, password hashing, login, lockout and switching off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug.security import check_password_hash

from kommunetest.channels.phone.accounts import (
    authenticate,
    check_username,
    create_tester,
    require_tester,
    set_active,
    set_password,
)
from kommunetest.errors import AccessDenied, NotFoundError, UsageError, ValidationError
from kommunetest.settings import PhoneSettings, load_settings
from kommunetest.store import Store

PASSWORD = "riktig-passord-123"
NOW = datetime(2027, 2, 3, 10, 0, tzinfo=UTC)
WRONG = "wrong user name or password"


@pytest.fixture
def sqlite(tmp_path: Path):
    s = Store.connect(None, tmp_path / "results")
    yield s
    s.close()


@pytest.fixture
def settings() -> PhoneSettings:
    return PhoneSettings(lock_after_failures=3, lock_minutes=10, min_password_length=10)


def _fail(store: Store, name: str, password: str, settings: PhoneSettings, now: datetime) -> AccessDenied:
    with pytest.raises(AccessDenied) as info:
        authenticate(store, name, password, settings, now=now)
    return info.value


# --------------------------------------------------------------------------------------------- user names


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("kari", "kari"),
        ("Kari", "kari"),
        ("  ola.nordmann ", "ola.nordmann"),
        ("k2", "k2"),
        ("2k", "2k"),
        ("a_b-c.d", "a_b-c.d"),
        ("x" * 64, "x" * 64),
    ],
)
def test_valid_user_names_are_normalised_to_lower_case(given: str, expected: str) -> None:
    assert check_username(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "k",
        "-kari",
        ".kari",
        "_kari",
        "kari nordmann",
        "kåre",
        "kari@example.no",
        "x" * 65,
        "ka/ri",
    ],
)
def test_invalid_user_names_are_refused_with_a_hint(given: str) -> None:
    with pytest.raises(UsageError) as info:
        check_username(given)
    assert "user name" in info.value.message
    assert info.value.hint and "2–64" in info.value.hint


def test_create_tester_refuses_a_bad_name_and_stores_nothing(sqlite: Store, settings: PhoneSettings) -> None:
    with pytest.raises(UsageError):
        create_tester(sqlite, "kari nordmann", PASSWORD, settings)
    assert sqlite.testers() == []


# --------------------------------------------------------------------------------------------- passwords


def test_a_password_below_the_minimum_is_refused_and_nothing_is_stored(
    sqlite: Store, settings: PhoneSettings
) -> None:
    with pytest.raises(UsageError) as info:
        create_tester(sqlite, "kari", "x" * 9, settings)
    assert "too short" in info.value.message and "(9 characters)" in info.value.message
    assert info.value.hint and "10" in info.value.hint and "phone.min_password_length" in info.value.hint
    assert sqlite.testers() == []
    # exactly the minimum is enough
    create_tester(sqlite, "kari", "x" * 10, settings)
    assert [t["username"] for t in sqlite.testers()] == ["kari"]


def test_the_stored_hash_is_not_the_password_and_checks_against_it(
    sqlite: Store, settings: PhoneSettings
) -> None:
    row = create_tester(sqlite, "kari", PASSWORD, settings, display_name="  Kari N.  ")
    stored = sqlite.tester(username="kari")
    assert stored is not None
    assert stored["password_hash"] != PASSWORD and PASSWORD not in stored["password_hash"]
    assert stored["password_hash"].startswith("scrypt:")
    assert check_password_hash(stored["password_hash"], PASSWORD)
    assert not check_password_hash(stored["password_hash"], PASSWORD + "x")
    # two accounts with the same password do not share a hash (salted)
    create_tester(sqlite, "ola", PASSWORD, settings)
    other = sqlite.tester(username="ola")
    assert other is not None and other["password_hash"] != stored["password_hash"]
    assert row["display_name"] == "Kari N." and row["role"] == "tester" and row["active"] is True
    assert row["failed_logins"] == 0 and row["locked_until"] is None


def test_display_name_defaults_to_the_user_name_and_role_is_checked(
    sqlite: Store, settings: PhoneSettings
) -> None:
    assert create_tester(sqlite, "Kari", PASSWORD, settings)["display_name"] == "kari"
    coordinator = create_tester(sqlite, "sjef", PASSWORD, settings, role="coordinator")
    assert coordinator["role"] == "coordinator"
    with pytest.raises(UsageError, match="unknown role"):
        create_tester(sqlite, "admin", PASSWORD, settings, role="admin")
    assert sqlite.tester(username="admin") is None


def test_a_duplicate_user_name_is_refused_whatever_its_case(sqlite: Store, settings: PhoneSettings) -> None:
    first = create_tester(sqlite, "kari", PASSWORD, settings)
    for again in ("kari", "KARI", " Kari "):
        with pytest.raises(UsageError, match="exists already"):
            create_tester(sqlite, again, "another-password-1", settings)
    assert len(sqlite.testers()) == 1
    # the first account is untouched: its password still works
    assert authenticate(sqlite, "kari", PASSWORD, settings, now=NOW)["id"] == first["id"]


def test_unknown_tester_is_a_not_found_error(sqlite: Store, settings: PhoneSettings) -> None:
    with pytest.raises(NotFoundError):
        require_tester(sqlite, "nobody")
    with pytest.raises(NotFoundError):
        set_password(sqlite, "nobody", PASSWORD, settings)
    with pytest.raises(NotFoundError):
        set_active(sqlite, "nobody", False)


# --------------------------------------------------------------------------------------------- login


def test_login_ignores_the_case_and_spaces_of_the_name_and_records_the_time(
    sqlite: Store, settings: PhoneSettings
) -> None:
    create_tester(sqlite, "kari", PASSWORD, settings)
    for name in ("kari", "KARI", "  Kari  "):
        who = authenticate(sqlite, name, PASSWORD, settings, now=NOW)
        assert who["username"] == "kari"
    stored = sqlite.tester(username="kari")
    assert stored is not None and stored["last_login_at"] == NOW


def test_a_wrong_password_says_exactly_what_an_unknown_name_says(
    sqlite: Store, settings: PhoneSettings
) -> None:
    create_tester(sqlite, "kari", PASSWORD, settings)
    wrong_password = _fail(sqlite, "kari", PASSWORD + "!", settings, NOW)
    unknown_name = _fail(sqlite, "karin", PASSWORD, settings, NOW)
    empty_name = _fail(sqlite, "   ", PASSWORD, settings, NOW)
    assert str(wrong_password) == str(unknown_name) == str(empty_name) == WRONG
    assert wrong_password.hint is None and unknown_name.hint is None
    # the password is case-sensitive
    _fail(sqlite, "kari", PASSWORD.upper(), settings, NOW)


def test_a_success_resets_the_run_of_failures(sqlite: Store, settings: PhoneSettings) -> None:
    create_tester(sqlite, "kari", PASSWORD, settings)
    for _ in range(settings.lock_after_failures - 1):
        _fail(sqlite, "kari", "feil-passord-000", settings, NOW)
    stored = sqlite.tester(username="kari")
    assert stored is not None and stored["failed_logins"] == settings.lock_after_failures - 1
    authenticate(sqlite, "kari", PASSWORD, settings, now=NOW)
    stored = sqlite.tester(username="kari")
    assert stored is not None and stored["failed_logins"] == 0 and stored["locked_until"] is None
    # the count starts again: as many failures again still leave the account open
    for _ in range(settings.lock_after_failures - 1):
        _fail(sqlite, "kari", "feil-passord-000", settings, NOW)
    assert authenticate(sqlite, "kari", PASSWORD, settings, now=NOW)["username"] == "kari"


def test_lockout_refuses_the_right_password_until_it_expires(store: Store, settings: PhoneSettings) -> None:
    """On both databases: `locked_until` must come back comparable with an aware `now`."""
    create_tester(store, "kari", PASSWORD, settings)
    create_tester(store, "ola", PASSWORD, settings)
    for _ in range(settings.lock_after_failures):
        assert str(_fail(store, "kari", "feil-passord-000", settings, NOW)) == WRONG
    stored = store.tester(username="kari")
    assert stored is not None
    assert stored["locked_until"] == NOW + timedelta(minutes=settings.lock_minutes)

    locked = _fail(store, "kari", PASSWORD, settings, NOW + timedelta(minutes=1))
    assert "locked" in str(locked) and str(locked) != WRONG
    assert locked.hint is not None and "9 minutes" in str(locked.hint)
    # still locked one second before the end, open one second after
    _fail(store, "kari", PASSWORD, settings, NOW + timedelta(minutes=settings.lock_minutes, seconds=-1))
    # other accounts are not affected
    assert authenticate(store, "ola", PASSWORD, settings, now=NOW)["username"] == "ola"

    after = NOW + timedelta(minutes=settings.lock_minutes, seconds=1)
    who = authenticate(store, "kari", PASSWORD, settings, now=after)
    assert who["username"] == "kari" and who["failed_logins"] == 0
    stored = store.tester(username="kari")
    assert stored is not None and stored["failed_logins"] == 0 and stored["locked_until"] is None
    assert stored["last_login_at"] == after


def test_after_a_lock_expires_one_typo_does_not_lock_again(sqlite: Store, settings: PhoneSettings) -> None:
    create_tester(sqlite, "kari", PASSWORD, settings)
    for _ in range(settings.lock_after_failures):
        _fail(sqlite, "kari", "feil-passord-000", settings, NOW)
    after = NOW + timedelta(minutes=settings.lock_minutes, seconds=1)
    assert str(_fail(sqlite, "kari", "feil-passord-000", settings, after)) == WRONG
    # one typo after the lock ran out: the right password must work at once
    assert authenticate(sqlite, "kari", PASSWORD, settings, now=after)["username"] == "kari"


def test_set_password_lifts_a_lock_and_replaces_the_old_password(
    sqlite: Store, settings: PhoneSettings
) -> None:
    create_tester(sqlite, "kari", PASSWORD, settings)
    for _ in range(settings.lock_after_failures):
        _fail(sqlite, "kari", "feil-passord-000", settings, NOW)
    assert "locked" in str(_fail(sqlite, "kari", PASSWORD, settings, NOW))
    with pytest.raises(UsageError, match="too short"):
        set_password(sqlite, "Kari", "kort", settings)
    assert "locked" in str(_fail(sqlite, "kari", PASSWORD, settings, NOW))  # a refused reset changes nothing

    set_password(sqlite, "Kari", "nytt-passord-456", settings)
    stored = sqlite.tester(username="kari")
    assert stored is not None and stored["failed_logins"] == 0 and stored["locked_until"] is None
    assert authenticate(sqlite, "kari", "nytt-passord-456", settings, now=NOW)["username"] == "kari"
    assert str(_fail(sqlite, "kari", PASSWORD, settings, NOW)) == WRONG


def test_a_switched_off_account_is_refused_until_switched_on(sqlite: Store, settings: PhoneSettings) -> None:
    create_tester(sqlite, "kari", PASSWORD, settings)
    set_active(sqlite, "KARI", False)
    stored = sqlite.tester(username="kari")
    assert stored is not None and stored["active"] is False
    off = _fail(sqlite, "kari", PASSWORD, settings, NOW)
    assert "switched off" in str(off)
    stored = sqlite.tester(username="kari")
    assert stored is not None and stored["last_login_at"] is None
    # a wrong password on a switched-off account still says only "wrong"
    assert str(_fail(sqlite, "kari", "feil-passord-000", settings, NOW)) == WRONG
    assert sqlite.testers(active_only=True) == []

    set_active(sqlite, "kari", True)
    assert authenticate(sqlite, "kari", PASSWORD, settings, now=NOW)["active"] is True


# --------------------------------------------------------------------------------------------- settings


def test_phone_settings_load_from_the_environment_and_are_checked(tmp_path: Path) -> None:
    s = load_settings(
        tmp_path,
        env={"KOMMUNETEST_PHONE_LOCK_AFTER_FAILURES": "3", "KOMMUNETEST_PHONE_RETRY_AFTER_MINUTES": "90"},
    )
    assert s.phone.lock_after_failures == 3 and s.phone.retry_after_minutes == 90
    d = load_settings(tmp_path, env={}).phone
    assert (d.min_password_length, d.lock_after_failures, d.max_wait_s, d.attempts) == (10, 5, 240, 2)
    with pytest.raises(ValidationError) as info:
        load_settings(tmp_path, env={"KOMMUNETEST_PHONE_MIN_PASSWORD_LENGTH": "4"})
    assert [p.field for p in info.value.problems] == ["phone.min_password_length"]
