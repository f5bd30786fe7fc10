"""Memory (proportional set size) and CPU of a whole process tree, for the benchmarks: this process and everything it started
(Playwright's driver, Chromium's browser, renderer and utility processes), which `ru_maxrss` cannot see.

    with TreeSampler(exclude={server_pid}) as tree:
        ...
    tree.peak_mb, tree.peak_by_kind
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _kind(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    if "chrom" in cmd:
        return "chromium"
    if "playwright" in cmd and "node" in cmd:
        return "playwright driver"
    if pid == os.getpid():
        return "this process"
    return "other"


def _pss_kb(pid: int) -> int:
    """Proportional set size: resident memory with each shared page divided among the processes sharing it
    (summing RSS would count Chromium's shared code and buffers once per process)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeSampler:
    """Samples the memory (PSS) of this process's tree every `interval` seconds; keeps the peak."""

    def __init__(self, interval: float = 0.5, exclude: set[int] | None = None) -> None:
        self.interval, self.exclude = interval, exclude or set()
        self.peak_mb = 0.0
        self.peak_by_kind: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="tree-sampler")

    def sample(self) -> None:
        by_kind: Counter[str] = Counter()
        excluded: set[int] = set()
        for pid in self.exclude:
            excluded.update(_tree(pid))
        for pid in _tree(os.getpid()):
            if pid not in excluded:
                by_kind[_kind(pid)] += _pss_kb(pid)
        total = sum(by_kind.values()) / 1024
        if total > self.peak_mb:
            self.peak_mb = total
            self.peak_by_kind = {k: v / 1024 for k, v in by_kind.items()}

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> TreeSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def line(self) -> str:
        parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(self.peak_by_kind.items(), key=lambda kv: -kv[1]))
        return f"{self.peak_mb:.0f} MB ({parts})"
