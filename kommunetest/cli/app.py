"""What every command shares: the settings, opened once, and the store, opened on first use."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kommunetest.settings import Settings, load_settings

if TYPE_CHECKING:
    from kommunetest.store import Store


class App:
    def __init__(self, project_dir: str | None = None, debug: bool = False) -> None:
        self.project_dir = Path(project_dir) if project_dir else None
        self.debug = debug
        self.flags: dict[str, Any] = {}
        self._settings: Settings | None = None
        self._store: Store | None = None

    def settings(self, **flags: Any) -> Settings:
        """Settings with this command's flags (dotted names) on top; loaded once per command."""
        self.flags.update({k: v for k, v in flags.items() if v is not None})
        if self._settings is None or flags:
            self._settings = load_settings(self.project_dir, flags=self.flags)
        return self._settings

    def store(self) -> Store:
        from kommunetest.store import Store

        if self._store is None:
            self._store = Store.open(self.settings())
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


pass_app = click.make_pass_decorator(App)
