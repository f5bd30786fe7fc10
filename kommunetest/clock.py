"""The clock of a run: real time, or a simulated one for tests and rehearsals.

`--now ISO` starts the clock at that instant; it then runs at `speed` times real time, or, with `jump`,
stands still while working and leaps over every wait (a six-week round in minutes). Every wait goes through
`sleep`, which returns early (False) when the run is asked to stop, so SIGTERM never waits for a timer.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo

from kommunetest.errors import UsageError


def parse_instant(value: str, tz: str = "Europe/Oslo", option: str = "--now") -> datetime:
    """An ISO 8601 instant; without an offset it is wall-clock time in `tz`. Returned in UTC."""
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError as e:
        raise UsageError(
            f"{option}: {value!r} is not an ISO 8601 time", hint="e.g. 2027-02-08T10:00 or 2027-02-08T09:00Z"
        ) from e
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt.astimezone(UTC)


class Clock:
    """Now and sleep, real or simulated, interruptible through `stop`."""

    def __init__(
        self,
        start: datetime | None = None,
        *,
        speed: float = 1.0,
        jump: bool = False,
        stop: threading.Event | None = None,
    ) -> None:
        if speed <= 0:
            raise UsageError("--speed must be above 0")
        if start is not None and start.tzinfo is None:
            raise ValueError("the clock's start must be an aware datetime")
        self.simulated = start is not None
        self.speed = speed
        self.jump = jump and self.simulated
        self.stop = stop or threading.Event()
        self._start = start.astimezone(UTC) if start else None
        self._t0 = time.monotonic()
        self._skipped = 0.0  # simulated seconds leapt over (jump mode)

    def now(self) -> datetime:
        if self._start is None:
            return datetime.now(UTC)
        if self.jump:
            return self._start + timedelta(seconds=self._skipped)
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed + self._skipped)

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds` of this clock's time; False if asked to stop meanwhile."""
        if seconds <= 0:
            return not self.stopped
        if self.jump:
            if self.stopped:
                return False
            self._skipped += seconds
            return True
        return not self.stop.wait(seconds / self.speed)

    def sleep_until(self, t: datetime) -> bool:
        return self.sleep((t - self.now()).total_seconds())

    def real_sleep(self, seconds: float) -> bool:
        """Wait real seconds (rate limits and retries protect real servers); False if asked to stop."""
        return not self.stop.wait(seconds) if seconds > 0 else not self.stopped


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[str]]:
    """SIGINT and SIGTERM set `stop` (the work stops cleanly between steps) instead of killing the process
    mid-transaction; yields the list of signal names received. A second SIGINT interrupts at once. The
    handler only records (printing from a signal handler can re-enter a half-done write); previous handlers
    come back afterwards."""
    received: list[str] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        received.append(signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
