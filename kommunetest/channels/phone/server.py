"""Running the phone app: `kommunetest phone serve` in the foreground, or in a thread for the rehearsal,
the tests and the benchmark (the same WSGI server, waitress, either way)."""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from waitress.server import create_server

from kommunetest.channels.phone.app import create_app
from kommunetest.errors import ConfigError
from kommunetest.scenarios import QuestionBank
from kommunetest.settings import Settings
from kommunetest.store import Store


def _server(settings: Settings, store: Store, bank: QuestionBank, host: str, port: int) -> Any:
    app = create_app(settings, store, bank)
    # "Task queue depth is N" on every busy moment says nothing a coordinator can act on.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        # Waitress logs nothing per request; its own messages name no tester.
        return create_server(app, host=host, port=port, threads=8, ident="kommunetest")
    except OSError as e:
        raise ConfigError(
            f"the phone app cannot listen on {host}:{port}: {e.strerror}",
            hint="choose another port with --port (or phone.port), or stop what uses it",
        ) from e


def exposure_warnings(settings: Settings, host: str) -> list[str]:
    """What a coordinator should know before testers log in over the network."""
    out = []
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not settings.phone.public_url.startswith("https://"):
        out.append(
            "the app listens beyond this machine without HTTPS: passwords would cross the network in clear. "
            "Put it behind an HTTPS proxy and set phone.public_url to its https:// address."
        )
    if not settings.phone.secret_key:
        out.append(
            "KOMMUNETEST_PHONE_SECRET_KEY is not set: a random key is used, so everyone must log in again "
            "after a restart"
        )
    return out


def serve(settings: Settings, store: Store, bank: QuestionBank, *, host: str, port: int,
          echo: Callable[[str], None] = print) -> None:  # fmt: skip
    """Serve until interrupted."""
    server = _server(settings, store, bank, host, port)
    for w in exposure_warnings(settings, host):
        echo(f"warning: {w}")
    echo(f"phone app on http://{host}:{server.effective_port}/ (Ctrl-C stops it)")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@contextmanager
def running_app(settings: Settings, store: Store, bank: QuestionBank, *, host: str = "127.0.0.1",
                port: int = 0) -> Iterator[str]:  # fmt: skip
    """The app on a loopback port in a thread; yields its base URL (`http://127.0.0.1:PORT`)."""
    server = _server(settings, store, bank, host, port)
    thread = threading.Thread(target=server.run, name="phone-app", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        # Requests in flight finish first; then the sockets close and the loop ends.
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=10)
        server.close()
        thread.join(timeout=10)
