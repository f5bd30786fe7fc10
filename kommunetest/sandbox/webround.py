"""A web round against the simulated nation, for the tests, the benchmark and the rehearsal.

    plan_web_round(store, settings, "r", ["3203", "4601"], start=date(2027, 2, 1))
    with NationServer(seed=0, year=2027).start() as nation:         # its own process: no shared GIL
        check_round(settings, store, "r", resolver=nation.resolver_map(knrs), site_urls=sim_site_urls(knrs))

`NationServer` generates the sites (deterministic by seed and year) in a child process and serves them from
memory, search included, on one loopback port; `python -m kommunetest.sandbox.webround --seed 0` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from kommunetest.register import load_register, register_path
from kommunetest.rounds import Sample, plan_round, save_plan
from kommunetest.sandbox.webserver import HOST
from kommunetest.sandbox.websites.generator import sim_host
from kommunetest.scenarios import load_project_scenarios
from kommunetest.settings import Settings

__all__ = ["NationServer", "plan_web_round", "sim_resolver", "sim_site_urls"]


def sim_site_urls(kommunenumre: Iterable[str]) -> dict[str, str]:
    """Each municipality's simulated front page, in place of the register's website."""
    return {k: f"http://{sim_host(k)}/" for k in kommunenumre}


def sim_resolver(kommunenumre: Iterable[str], port: int) -> dict[str, tuple[str, int]]:
    """The simulated hosts mapped to the loopback server."""
    return {sim_host(k): (HOST, port) for k in kommunenumre}


def plan_web_round(
    store: Any,
    settings: Settings,
    name: str,
    kommunenumre: Sequence[str] | None = None,
    *,
    start: date = date(2027, 2, 1),
) -> int:
    """Plan and store a round of only the web items over `kommunenumre` (all when None). Returns new probes."""
    register = load_register(register_path(settings))
    bank = load_project_scenarios(settings)
    ids = [s.id for s in bank.by_channel("web")]
    sample = Sample("list", numbers=tuple(kommunenumre)) if kommunenumre else Sample("census")
    plan = plan_round(name, register, bank, settings, start=start, weeks=1, sample=sample, scenario_ids=ids)
    return save_plan(store, name, plan, start=start, weeks=1, seed=settings.rounds.seed, sample=sample,
                     settings=settings, create=name not in {r["name"] for r in store.list_rounds()})  # fmt: skip


class NationServer:
    """The simulated nation (or part of it) served by a child process on a loopback port."""

    def __init__(
        self,
        *,
        seed: int = 0,
        year: int | None = None,
        only: Iterable[str] | None = None,
        project_dir: Path | None = None,
    ) -> None:
        self.seed, self.year, self.project_dir = seed, year, project_dir
        self.only = list(only) if only is not None else None
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self, timeout: float = 120.0) -> NationServer:
        cmd = [sys.executable, "-m", "kommunetest.sandbox.webround", "--seed", str(self.seed)]
        if self.year:
            cmd += ["--year", str(self.year)]
        if self.only is not None:
            cmd += ["--only", ",".join(self.only)]
        if self.project_dir is not None:
            cmd += ["--project", str(self.project_dir)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "listening on 127.0.0.1:PORT" once every site is generated
        if not line.startswith("listening on"):
            self.stop()
            raise RuntimeError(f"the simulated nation did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])
        return self

    def resolver_map(self, kommunenumre: Iterable[str]) -> dict[str, tuple[str, int]]:
        return sim_resolver(kommunenumre, self.port)

    def peak_rss_mb(self) -> float | None:
        """The child's peak resident memory (VmHWM), in MB."""
        if self.proc is None:
            return None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return None

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self.proc = None

    def __enter__(self) -> NationServer:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """Generate the simulated nation and serve it from memory until terminated."""
    from kommunetest.sandbox.webserver import WebServer
    from kommunetest.sandbox.websites import generate_nation, sites_for_server
    from kommunetest.settings import load_settings

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--year", type=int, default=None)
    ap.add_argument("--only", default=None, help="comma-separated kommunenummer")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--project", type=Path, default=Path("."), help="whose register and web items to use")
    args = ap.parse_args(argv)
    settings = load_settings(args.project)
    register = load_register(register_path(settings))
    items = load_project_scenarios(settings).by_channel("web")
    only = args.only.split(",") if args.only else None
    sites = generate_nation(register, items, seed=args.seed, only=only, year=args.year)

    async def serve() -> None:
        server = WebServer(sites_for_server(sites), port=args.port, keep_log=False)
        await server.serve()
        print(f"listening on {HOST}:{server.port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
