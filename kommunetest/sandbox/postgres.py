"""A throwaway PostgreSQL server on a free loopback port, for tests and benchmarks.

initdb and pg_ctl from Debian's postgresql package, run as the `postgres` system user when we are root (initdb
refuses to run as root). Trust authentication on 127.0.0.1 only; fsync off: the data is disposable.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kommunetest.sandbox.ports import free_port, wait_for_port

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _pg_bin(name: str) -> str | None:
    for d in PG_BIN_DIRS:
        if (d / name).exists():
            return str(d / name)
    return shutil.which(name)


def postgres_available() -> str | None:
    """None when a server can be started here, else why not."""
    if not _pg_bin("initdb") or not _pg_bin("pg_ctl"):
        return "PostgreSQL server binaries not found (apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root but runuser is missing"
    return None


class PostgresServer:
    def __init__(self, base_dir: Path | None = None) -> None:
        # The postgres user must reach the directory, so by default it lives in a fresh world-traversable
        # directory rather than under a root-only pytest tmp dir.
        self._own_dir = base_dir is None
        self.base_dir = base_dir or Path(tempfile.mkdtemp(prefix="kommunetest-pg-"))
        self.base_dir.chmod(0o755)
        self.data_dir = self.base_dir / "data"
        self.port = 0
        self.host = "127.0.0.1"
        self.user = "kommunetest"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {proc.stdout}\n{proc.stderr}")

    def start(self) -> PostgresServer:
        reason = postgres_available()
        if reason:
            raise RuntimeError(reason)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base_dir, "postgres", "postgres")
        if not self.data_dir.exists():
            self._run(
                _pg_bin("initdb") or "initdb",
                "-D", str(self.data_dir), "-U", self.user, "--auth=trust", "-E", "UTF8",
                "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
        self.port = free_port()
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.base_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            _pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data_dir), "-l", str(self.base_dir / "server.log"),
            "-o", opts, "-w", "-t", "60", "start",
        )  # fmt: skip
        wait_for_port(self.host, self.port, timeout=30)
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.data_dir.exists():
            with contextlib.suppress(RuntimeError):
                self._run(
                    _pg_bin("pg_ctl") or "pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"
                )
        if self._own_dir:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
