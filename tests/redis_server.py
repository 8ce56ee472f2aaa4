"""A throwaway `redis-server` for tests: a free 127.0.0.1 port, its own directory, no
persistence (`--save '' --appendonly no`), stopped (and waited for) on exit.

    with RedisServer(tmp_path / "redis") as redis:
        ... redis.url ...   # redis://127.0.0.1:PORT/0
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Self

EXECUTABLE = "redis-server"


def available() -> bool:
    return shutil.which(EXECUTABLE) is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    def __init__(self, directory: Path, *, startup_timeout: float = 10.0) -> None:
        self.directory = Path(directory)
        self.startup_timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.process is None:
            raise RuntimeError("the Redis server is not running")
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    def start(self) -> Self:
        executable = shutil.which(EXECUTABLE)
        if executable is None:
            raise FileNotFoundError(f"{EXECUTABLE} is not on PATH")
        self.directory.mkdir(parents=True, exist_ok=True)
        for _attempt in range(3):  # another process may take the port between probe and bind
            self.port = _free_port()
            self.process = subprocess.Popen(
                [
                    executable,
                    "--bind", "127.0.0.1",
                    "--port", str(self.port),
                    "--dir", str(self.directory),
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    "--logfile", str(self.log_path),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            if self._wait_ready():
                return self
            self.stop()
        log = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
        raise RuntimeError(f"redis-server did not start:\n{log}")

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
