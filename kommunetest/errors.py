"""The errors users see.

Every failure a user can cause or fix is a `KommunetestError`. The CLI (`kommunetest.cli`) and the phone web
app each have one place that turns these into a message and an exit code; anything else is a bug and is shown
as an internal error (with a traceback only under `--debug`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as the input allows."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class KommunetestError(Exception):
    """Base of all errors meant for users. `exit_code` is what the CLI exits with."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(KommunetestError):
    """The command was called wrongly (bad option value, unknown round...)."""

    exit_code = 2


class ConfigError(KommunetestError):
    """kommunetest.toml, the environment or a flag holds a bad setting."""

    exit_code = 3


class ValidationError(KommunetestError):
    """An input file (register, scenarios, scoring model...) has one or more problems."""

    exit_code = 4

    def __init__(self, problems: Iterable[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = summary or f"{n} problem{'s' if n != 1 else ''} found"
        super().__init__(head + "".join(f"\n  {p}" for p in self.problems))


class NotFoundError(KommunetestError):
    """A named thing (round, municipality, probe, file) does not exist."""

    exit_code = 5


class StoreError(KommunetestError):
    """The database cannot be opened, migrated or written."""

    exit_code = 6


class ChannelDisabled(KommunetestError):
    """A channel lacks the settings or system parts it needs; the run goes on without it."""

    exit_code = 7


class RemoteError(KommunetestError):
    """A remote service (SMTP, IMAP, HTTP API) failed in a way the user must act on."""

    exit_code = 8


class LiveSendingRefused(KommunetestError):
    """Something would contact a non-loopback address without the explicit live opt-in."""

    exit_code = 9


class ConflictError(KommunetestError):
    """Someone else changed the record since it was read; nothing was overwritten."""

    exit_code = 10


class AccessDenied(KommunetestError):
    """Wrong credentials, a locked or disabled account, or a page the account may not see."""

    exit_code = 11
