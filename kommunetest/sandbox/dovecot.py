"""A throwaway Dovecot (IMAP + LMTP) on free loopback ports, for tests and the demo.

Dovecot runs in the foreground (`dovecot -F -c CONF`) with a configuration we generate: no system config, plain
IMAP without TLS, users from a passwd-file, maildirs, fsync off. When we are root (as here and in CI) Dovecot
drops privileges itself: login processes run as `dovenull`, internal ones as `dovecot`, mail access as an
unprivileged mail user (`nobody` by default; Dovecot refuses uid 0 for mail).

Processes that run under those users must reach their files. A base directory such as pytest's `tmp_path`
(below /tmp/pytest-of-root, mode 0700) or a project under /root is out of their reach, and Unix socket paths are
limited to 107 bytes, so Dovecot's runtime directory, the passwd-files and (when needed) the maildirs live in a
short world-traversable directory under /tmp that `close()` removes. The configuration, the log and the state
stay in the base directory, where a failing test can show them.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable
from pathlib import Path

from kommunetest.errors import ChannelDisabled
from kommunetest.sandbox.ports import free_port

HOST = "127.0.0.1"
DOVECOT_CANDIDATES = ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot")
DOVECOT_LIBEXEC = ("/usr/lib/dovecot", "/usr/libexec/dovecot", "/usr/local/libexec/dovecot")
DEFAULT_MAIL_USER = "nobody"
_ADDRESS = re.compile(r"^[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]{2,}$")  # Dovecot's auth_username_chars
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9._/+-]+$")


class MailSystemError(ChannelDisabled):
    """The local mail system could not start or deliver; the message carries the log's tail."""


def dovecot_binary() -> str | None:
    for p in DOVECOT_CANDIDATES:
        if os.access(p, os.X_OK):
            return p
    return shutil.which("dovecot")


def _libexec(name: str) -> str | None:
    for d in DOVECOT_LIBEXEC:
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return None


def dovecot_available(mail_user: str = DEFAULT_MAIL_USER) -> str | None:
    """None when Dovecot can be started here, else the reason (for a skip or a ChannelDisabled message)."""
    binary = dovecot_binary()
    if binary is None:
        return "Dovecot is not installed (apt-get install -y dovecot-imapd dovecot-lmtpd)"
    for part, package in (
        ("imap", "dovecot-imapd"),
        ("imap-login", "dovecot-imapd"),
        ("lmtp", "dovecot-lmtpd"),
    ):
        if _libexec(part) is None:
            return f"Dovecot's {part} is missing (apt-get install -y {package})"
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError) as e:
        return f"{binary} --version failed: {e}"
    m = re.match(r"(\d+)\.(\d+)", out.strip())
    if not m or (int(m[1]), int(m[2])) < (2, 3):
        return f"Dovecot 2.3 or later is needed, found {out.strip() or 'an unknown version'}"
    if os.geteuid() == 0:
        for user in ("dovecot", "dovenull", mail_user):
            try:
                pwd.getpwnam(user)
            except KeyError:
                return f"system user {user!r} is missing (it comes with dovecot-core)"
    return None


def _reachable(path: Path, uid: int, gids: set[int]) -> bool:
    """Whether `uid` can traverse every directory from / down to `path`."""
    if uid == 0:
        return True
    for p in [path, *path.parents]:
        st = p.stat()
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid in gids:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def _group_members(pgid: int) -> dict[int, str]:
    """Running processes of group `pgid` by pid, with their names (zombies do not count: PID 1 here may never
    reap the orphans). Linux /proc; elsewhere {pgid: "?"} while the group exists."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return {}
        return {pgid: "?"}
    out = {}
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            text = (d / "stat").read_text()
            name, rest = text[text.index("(") + 1 :].rsplit(")", 1)
            fields = rest.split()
        except (OSError, ValueError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out[int(d.name)] = name
    return out


def _group_alive(pgid: int) -> bool:
    return bool(_group_members(pgid))


class Dovecot:
    """One Dovecot instance. Ports are chosen on the first start and kept, so stop() + start() is a restart."""

    def __init__(self, base_dir: Path, *, mail_user: str | None = None, start_timeout: float = 20.0) -> None:
        self.base_dir = Path(base_dir).resolve()
        self.start_timeout = start_timeout
        self.host = HOST
        self.imap_port = 0
        self.lmtp_port = 0
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._users: dict[str, str] = {}
        self._lock = threading.Lock()
        self.conf_path = self.base_dir / "dovecot.conf"
        self.log_path = self.base_dir / "dovecot.log"
        self.out_path = self.base_dir / "dovecot.out"
        self.state_dir = self.base_dir / "state"
        self.root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid())
        if self.root:
            self.mail_user = mail_user or DEFAULT_MAIL_USER
            mu = pwd.getpwnam(self.mail_user)
            self.mail_uid, self.mail_gid = mu.pw_uid, mu.pw_gid
            self.mail_gids = {mu.pw_gid, *(g.gr_gid for g in grp.getgrall() if mu.pw_name in g.gr_mem)}
            self.internal_user, self.login_user = "dovecot", "dovenull"
            self.internal_gid = pwd.getpwnam("dovecot").pw_gid
        else:  # Dovecot as an ordinary user: every process is that user, no chroot.
            self.mail_user = me.pw_name
            self.mail_uid, self.mail_gid, self.mail_gids = me.pw_uid, me.pw_gid, set(os.getgroups())
            self.internal_user = self.login_user = me.pw_name
            self.internal_gid = me.pw_gid
        self.run_root: Path | None = None
        self.mail_dir: Path | None = None
        self._finalizer: weakref.finalize | None = None
        self._proc_finalizer: weakref.finalize | None = None

    # -- users ---------------------------------------------------------------------------------------------
    @property
    def users(self) -> dict[str, str]:
        with self._lock:
            return dict(self._users)

    def add_users(self, users: Iterable[tuple[str, str]]) -> None:
        """Add or update (address, password) pairs; takes effect at once, also while Dovecot runs."""
        new: dict[str, str] = {}
        for address, password in users:
            a = address.strip().lower()
            if not _ADDRESS.match(a):
                raise ValueError(f"not a plain e-mail address (a-z, 0-9, '.', '_', '-'): {address!r}")
            if not password or any(c in password for c in ":\r\n"):
                raise ValueError(f"password for {a} must be non-empty without ':' or line breaks")
            new[a] = password
        with self._lock:
            changed = {a for a, p in new.items() if self._users.get(a, p) != p}
            self._users.update(new)
            if self.run_root is not None:
                for a, p in new.items():
                    self._write_user(a, p, a in changed)
        if changed and self.running:
            # Dovecot stats a passwd-file at most once a second: let that second pass.
            time.sleep(1.02 - time.time() % 1)

    def has_user(self, address: str) -> bool:
        with self._lock:
            return address.strip().lower() in self._users

    def password(self, address: str) -> str:
        with self._lock:
            return self._users[address.strip().lower()]

    def home(self, address: str) -> Path:
        assert self.mail_dir is not None, "not prepared"
        local, domain = address.lower().split("@", 1)
        return self.mail_dir / domain / local

    def _write_user(self, address: str, password: str, changed: bool = False) -> None:
        """Write one user's passwd-file (one file per user) atomically and make the home directory.

        One file per user because Dovecot caches a passwd-file and re-reads it only when its mtime or size
        changed and it was not already checked in the same second; a missing file is never cached, so a new
        user works at once. For a changed password we move the mtime and add_users() waits out the second.
        """
        assert self.run_root is not None
        home = self.home(address)
        if not home.exists():
            home.mkdir(parents=True, mode=0o700)
            for p in [home, home.parent]:
                os.chown(p, self.mail_uid, self.mail_gid)
        path = self.run_root / "users" / address
        tmp = path.with_name(f".{address}.tmp")
        tmp.write_text(f"{address}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{home}::\n")
        if self.root:
            os.chown(tmp, 0, self.internal_gid)
        tmp.chmod(0o640)
        if changed and path.exists():
            old = int(path.stat().st_mtime) - 1
            os.utime(tmp, (old, old))
        tmp.replace(path)

    # -- lifecycle -----------------------------------------------------------------------------------------
    def _prepare(self) -> None:
        if self.run_root is not None:
            return
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(exist_ok=True)
        tmp_root = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        self.run_root = Path(tempfile.mkdtemp(prefix="kt-mail-", dir=tmp_root))
        self.run_root.chmod(0o755)
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.run_root), True)
        inside = self.base_dir / "mail"
        usable = _PLAIN_PATH.match(str(inside)) and _reachable(self.base_dir, self.mail_uid, self.mail_gids)
        self.mail_dir = inside if usable else self.run_root / "mail"
        self.mail_dir.mkdir(exist_ok=True)
        os.chown(self.mail_dir, self.mail_uid, self.mail_gid)
        self.mail_dir.chmod(0o700)
        users_dir = self.run_root / "users"
        users_dir.mkdir(mode=0o750)
        if self.root:
            os.chown(users_dir, 0, self.internal_gid)
        with self._lock:
            for a, p in self._users.items():
                self._write_user(a, p)

    def config(self) -> str:
        assert self.run_root is not None and self.mail_dir is not None
        q = _quote
        return f"""# Generated by kommunetest.sandbox.dovecot for a throwaway test mail system.
base_dir = {self.run_root / "run"}
state_dir = {q(self.state_dir)}
instance_name = kommunetest-{self.imap_port}
log_path = {q(self.log_path)}
info_log_path = {q(self.log_path)}
hostname = mail.kommunetest.test
postmaster_address = postmaster@kommunetest.test
protocols = imap lmtp
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_cache_size = 0
auth_failure_delay = 0
default_internal_user = {self.internal_user}
default_internal_group = {grp.getgrgid(self.internal_gid).gr_name}
default_login_user = {self.login_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = never
mail_max_userip_connections = 200
lmtp_add_received_header = no
login_greeting = kommunetest IMAP ready.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {self.run_root / "users"}/%Lu
}}
userdb {{
  driver = passwd-file
  args = username_format=%Lu {self.run_root / "users"}/%Lu
}}
service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  service_count = 0
{_no_chroot(self.root)}}}
service lmtp {{
  inet_listener lmtp {{
    address = {HOST}
    port = {self.lmtp_port}
  }}
  unix_listener lmtp {{
    mode = 0600
  }}
}}
service anvil {{
  # No growing delays after failed logins from 127.0.0.1: tests try wrong passwords on purpose.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{_no_chroot(self.root)}}}
"""

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Dovecot:
        """Start and wait until IMAP and LMTP greet. Raises MailSystemError with the log's tail if not."""
        if self.running:
            return self
        reason = dovecot_available(self.mail_user)
        if reason:
            raise MailSystemError(reason)
        self._prepare()
        fixed = self.imap_port != 0
        for attempt in range(3):
            if not fixed:
                self.imap_port, self.lmtp_port = free_port(), free_port()
            offsets = [p.stat().st_size if p.exists() else 0 for p in (self.out_path, self.log_path)]
            try:
                self._start_once()
                return self
            except MailSystemError:
                if fixed or attempt == 2 or not self._said_since(offsets, "in use"):
                    raise
        raise AssertionError("unreachable")

    def _start_once(self) -> None:
        assert self.run_root is not None
        self.conf_path.write_text(self.config())
        t0 = time.monotonic()
        with self.out_path.open("ab") as out:
            self._proc = subprocess.Popen(
                [dovecot_binary() or "dovecot", "-F", "-c", str(self.conf_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Stops Dovecot at interpreter exit (or when this object is dropped) if nobody called stop().
        self._proc_finalizer = weakref.finalize(self, _terminate, self._proc)
        deadline = t0 + self.start_timeout
        pending = {self.imap_port: b"* OK", self.lmtp_port: b"220 "}
        while pending:
            if self._proc.poll() is not None:
                self.stop()  # its children may still run
                raise MailSystemError(f"Dovecot exited while starting.\n{self.log_tail()}")
            for port, greeting in list(pending.items()):
                if _greets(port, greeting):
                    del pending[port]
            if pending and time.monotonic() > deadline:
                self.stop()
                raise MailSystemError(
                    f"Dovecot did not answer on {HOST}:{sorted(pending)} within {self.start_timeout:.0f} s."
                    f"\n{self.log_tail()}"
                )
            if pending:
                time.sleep(0.02)
        self.startup_seconds = time.monotonic() - t0

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, wait, then SIGKILL the whole process group; keeps ports, users and mail."""
        proc, self._proc = self._proc, None
        if self._proc_finalizer is not None:
            self._proc_finalizer.detach()
            self._proc_finalizer = None
        if proc is None:
            return
        _terminate(proc, timeout)

    def close(self) -> None:
        """Stop and remove the runtime directory (with the maildirs, when they live there)."""
        self.stop()
        if self._finalizer is not None:
            self._finalizer()
        self.run_root = self.mail_dir = self._finalizer = None  # a later start() prepares anew

    def _said_since(self, offsets: list[int], text: str) -> bool:
        """Whether Dovecot wrote `text` to its output or log after the given file sizes."""
        for path, offset in zip((self.out_path, self.log_path), offsets, strict=True):
            if path.exists():
                with path.open("rb") as f:
                    f.seek(offset)
                    if text.encode() in f.read():
                        return True
        return False

    def log_tail(self, lines: int = 40) -> str:
        chunks = []
        for path in (self.out_path, self.log_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                if text:
                    chunks.append(f"--- {path} (last {len(text)} lines) ---\n" + "\n".join(text))
        return "\n".join(chunks) or "(Dovecot wrote no log)"

    def doveconf(self, *args: str) -> str:
        """Output of `doveconf -c CONF ARGS` (e.g. "-n" for the settings that differ from the defaults)."""
        binary = shutil.which("doveconf") or "/usr/bin/doveconf"
        proc = subprocess.run(
            [binary, "-c", str(self.conf_path), *args], capture_output=True, text=True, timeout=30
        )
        if proc.returncode != 0:
            raise MailSystemError(f"doveconf {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout


def _terminate(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop the master with SIGTERM, then the processes it leaves behind, then SIGKILL what is left.

    The master exits after about a second but leaves the imap processes of connected clients (and the log
    and stats processes serving them) running; a SIGTERM makes them say BYE and exit.
    """
    pgid = proc.pid
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            _killpg(pgid)
            proc.wait(5)
    # The log process last, so that it still writes what the others say on their way out.
    for sig, spare_log in ((signal.SIGTERM, True), (signal.SIGTERM, False), (signal.SIGKILL, False)):
        members = _group_members(pgid)
        targets = [pid for pid, name in members.items() if not (spare_log and name == "log")]
        if not members:
            return
        for pid in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(p in _group_members(pgid) for p in targets):
            time.sleep(0.01)


def _quote(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _no_chroot(root: bool) -> str:
    return "" if root else "  chroot =\n"


def _killpg(pgid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _greets(port: int, greeting: bytes) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1) as s:
            return s.recv(256).startswith(greeting)
    except OSError:
        return False
