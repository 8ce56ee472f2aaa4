"""The embedded store for dev and tests: SecantusDB as a separate `secantusd-py` process.

A separate process rather than `SecantusDBServer` in the crawler: the two then do not share
one interpreter, and the crawl is faster for it (storage notes).
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from finews_spider.store.errors import EmbeddedUnavailable, StoreLocked

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no data-dir lock
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "SecantusDB (the embedded store) is not installed: install the `embedded` extra "
    "(pip install 'finews[embedded]') or set MONGO_URI to a MongoDB server"
)
_LISTENING = re.compile(rb"listening on (\S+):(\d+)")
#: the lock file's line (`_write_lock_info`)
_HOLDER = re.compile(
    r"finews pid (?P<owner>\d+)(?: \(started (?P<started>[\d?]+)\))?, "
    r"secantusd-py pid (?P<server>\d+)"
)
# An explicit (empty) config file stops secantusd-py from picking up ./secantusd.toml,
# ~/.secantus/… or /etc/secantus/… and behaving differently on another machine.
_CONFIG_TEXT = "# written by finews: the embedded server takes its settings from flags\n"


def secantusd_command() -> list[str]:
    """How to run the daemon with this interpreter's SecantusDB, or EmbeddedUnavailable."""
    if importlib.util.find_spec("secantus") is None:
        raise EmbeddedUnavailable(INSTALL_HINT)
    beside = Path(sys.executable).with_name("secantusd-py")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("secantusd-py")
    return [found] if found else [sys.executable, "-m", "secantus"]


class EmbeddedServer:
    """`secantusd-py` serving `home/db` on a loopback port (0: a free one, then kept).

    `stop()` then `start()` restarts it on the same port and data directory."""

    def __init__(
        self,
        home: str | os.PathLike[str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        start_timeout: float = 30.0,
        stop_timeout: float = 15.0,
    ) -> None:
        self.home = Path(home)
        self.data_dir = self.home / "db"
        self.log_path = self.home / "secantusd.log"
        self.lock_path = self.home / "db.lock"
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock_fd: int | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> str:
        """Start the server and wait until it answers ping; returns its URI."""
        command = secantusd_command()
        self.home.mkdir(parents=True, exist_ok=True)
        self._lock()
        try:
            config = self.home / "secantusd.toml"
            config.write_text(_CONFIG_TEXT, "utf-8")
            with open(self.log_path, "ab") as log:
                offset = log.tell()
                self._proc = subprocess.Popen(
                    [
                        *command,
                        *("--config", str(config), "--host", self.host),
                        *("--port", str(self.port), "--storage-path", str(self.data_dir)),
                        *("--log-level", "INFO"),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    # Own session: Ctrl-C on a crawl must not kill the store before the flush.
                    start_new_session=True,
                    # The child holds the lock too, so an orphaned server still guards its dir.
                    pass_fds=() if self._lock_fd is None else (self._lock_fd,),
                )
            deadline = time.monotonic() + self.start_timeout
            self.port = self._wait_listening(offset, deadline)
            self._wait_ping(deadline)
            self._write_lock_info()
        except BaseException:
            self.stop()
            raise
        return self.uri

    def stop(self) -> None:
        """Terminate (the server flushes and closes its storage), kill after a timeout."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self._unlock()

    def wait(self) -> int:
        """Block until the server process exits (for `finews serve`)."""
        if self._proc is None:
            return 0
        return self._proc.wait()

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_listening(self, offset: int, deadline: float) -> int:
        # The server logs the port it bound: exact even for port 0 (no pick-then-bind race).
        while time.monotonic() < deadline:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                match = _LISTENING.search(log.read())
            if match:
                return int(match.group(2))
            if self._proc is None or self._proc.poll() is not None:
                raise EmbeddedUnavailable(f"secantusd-py exited at start: {self._log_tail(offset)}")
            time.sleep(0.05)
        raise EmbeddedUnavailable(
            f"secantusd-py did not listen within {self.start_timeout:.0f}s: "
            + self._log_tail(offset)
        )

    def _wait_ping(self, deadline: float) -> None:
        last: Exception | None = None
        with MongoClient(self.uri, serverSelectionTimeoutMS=500, directConnection=True) as client:
            while time.monotonic() < deadline:
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError as exc:
                    last = exc
                    time.sleep(0.1)
        raise EmbeddedUnavailable(f"secantusd-py at {self.uri} did not answer ping: {last}")

    def _log_tail(self, offset: int) -> str:
        with contextlib.suppress(OSError), open(self.log_path, "rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace").strip()
            return text[-1500:] or "(empty log)"
        return "(no log)"

    def _lock(self) -> None:
        if fcntl is None:
            return
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 400, 0).decode("utf-8", "replace").strip()
            if not self._stop_orphan(holder) or not _flock_within(fd, self.stop_timeout):
                os.close(fd)
                raise StoreLocked(
                    f"{self.data_dir} is in use ({holder or 'unknown process'}); stop that "
                    "process, connect to it with MONGO_URI, or set FINEWS_HOME to another "
                    "directory"
                ) from None
        self._lock_fd = fd

    def _stop_orphan(self, holder: str) -> bool:
        """Stop the server a killed finews left running on this data directory (its owner
        is gone, so nobody else would); False when the holder is alive or not an orphan.
        The server is identified by its command line naming this data directory, so a
        reused process id is never signalled."""
        match = _HOLDER.search(holder)
        if match is None:
            return False
        owner, started, server = int(match["owner"]), match["started"], int(match["server"])
        if _alive(owner, started) or not _serves(server, self.data_dir):
            return False
        logger.warning(
            "stopping the embedded server (pid %d) a killed finews (pid %d) left running on %s",
            server,
            owner,
            self.data_dir,
        )
        with contextlib.suppress(ProcessLookupError):
            os.kill(server, signal.SIGTERM)  # it flushes and closes its storage
        deadline = time.monotonic() + self.stop_timeout
        while _serves(server, self.data_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _serves(server, self.data_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(server, signal.SIGKILL)
        return True

    def _write_lock_info(self) -> None:
        if self._lock_fd is None or self._proc is None:
            return
        started = _start_time(os.getpid()) or "?"
        info = (
            f"finews pid {os.getpid()} (started {started}), "
            f"secantusd-py pid {self._proc.pid}, {self.uri}\n"
        )
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, info.encode(), 0)

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat_line.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    now = _start_time(pid)
    return started in (None, "?") or now is None or now == started


def _serves(pid: int, data_dir: Path) -> bool:
    """Whether `pid` is a running secantusd-py on `data_dir` (not a zombie, not a reused id)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and os.fsencode(data_dir) in cmdline


def _flock_within(fd: int, seconds: float) -> bool:
    """The lock once the stopped orphan has let it go (it holds it until it exits)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free right now (for callers that need a fixed port before starting)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
