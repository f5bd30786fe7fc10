"""Debian's Chromium driven by Playwright: one place that knows how to start it here.

`playwright install` cannot download a browser on these machines, so we always launch the system Chromium via
`executable_path` (the Playwright version is pinned in pyproject.toml to one that speaks its protocol). The
flags keep Chromium from phoning home: on a closed network its background connections would only fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from kommunetest.errors import ChannelDisabled

CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root in CI; Chromium refuses its sandbox there
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--metrics-recording-only",
    "--no-default-browser-check",
]

DESKTOP = {"viewport": {"width": 1366, "height": 768}, "device_scale_factor": 1, "is_mobile": False}
MOBILE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent_suffix": "Mobile",
}


HEADLESS_SHELL = "/usr/bin/chromium-headless-shell"


def chromium_path(configured: str | None = None, headless: bool = True) -> str | None:
    """The Chromium executable to use, or None when there is none on this machine.

    Headless work prefers Debian's `chromium-headless-shell`: the same engine and version without the desktop
    browser's machinery, at about half the CPU per page (measured: 60 ms against 112 ms a navigation)."""
    shell = [HEADLESS_SHELL] if headless else []
    for candidate in (
        configured,
        os.environ.get("KOMMUNETEST_WEB_CHROMIUM_PATH"),
        *shell,
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_unavailable(configured: str | None = None) -> str | None:
    """None when a browser can be launched, else a reason fit for a 'channel switched off' message."""
    if chromium_path(configured) is None:
        return "Chromium not found (apt-get install chromium, or set web.chromium_path)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def launch_options(configured: str | None = None, headless: bool = True) -> dict:
    path = chromium_path(configured, headless)
    if path is None:
        raise ChannelDisabled(chromium_unavailable(configured) or "no Chromium")
    return {"executable_path": path, "headless": headless, "args": CHROMIUM_ARGS}
