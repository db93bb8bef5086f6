"""Run the twin's Node runner (tools/twin/twin.mjs) and stop it with everything it started.

The runner gets its request on stdin and answers with JSON events on a pipe of its own; the
workers' output (workerd's stdout and stderr) is relayed line by line with every local secret
value masked. It runs in a process group of its own, so that stopping the twin (closing its
stdin, then SIGTERM, then SIGKILL to the group) also ends workerd, whatever state the runner is
in; and it stops on its own when its stdin closes, so a killed parent leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from plan.twin.config import HOST, TWIN_DIR

MIN_NODE = (18, 0)
INSTALL_HINT = "run `make twin` (npm ci in tools/twin)"


class TwinError(Exception):
    """The twin cannot run; the message is one line and says what to do."""


class RunnerFailed(TwinError):
    """The runner reported an error event before it was ready."""

    def __init__(self, event: dict[str, Any]):
        self.event = event
        super().__init__(event.get("message") or event.get("code") or "the twin failed to start")


def find_node() -> str:
    """The `node` executable, checked to be recent enough for miniflare."""
    node = shutil.which("node")
    if node is None:
        raise TwinError(
            "node is not on PATH: the twin runs workerd through miniflare, which needs Node.js "
            f"{MIN_NODE[0]} or later; install it, then {INSTALL_HINT}"
        )
    try:
        version = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as err:
        raise TwinError(f"`{node} --version` failed ({err}); reinstall Node.js") from None
    match = re.match(r"v(\d+)\.(\d+)", version)
    if match is None or tuple(map(int, match.groups())) < MIN_NODE:
        raise TwinError(
            f"node {version} is too old for miniflare: install Node.js {MIN_NODE[0]} or later"
        )
    return node


def check_packages(twin_dir: Path = TWIN_DIR) -> str:
    """The installed miniflare version, checked against the pin in package.json."""
    try:
        wanted = json.loads((twin_dir / "package.json").read_text())["dependencies"]["miniflare"]
    except (OSError, ValueError, KeyError):
        raise TwinError(f"{twin_dir / 'package.json'} is missing or has no miniflare pin") from None
    installed_file = twin_dir / "node_modules" / "miniflare" / "package.json"
    try:
        installed = json.loads(installed_file.read_text())["version"]
    except (OSError, ValueError, KeyError):
        raise TwinError(f"the twin's npm packages are not installed: {INSTALL_HINT}") from None
    if installed != wanted:
        raise TwinError(
            f"miniflare {installed} is installed but package.json pins {wanted}: {INSTALL_HINT}"
        )
    return installed


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


class FreePorts:
    """Ports the OS picks, held until `release()` so that no two are the same."""

    def __init__(self) -> None:
        self._held: list[socket.socket] = []

    def __call__(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((HOST, 0))
        self._held.append(sock)
        return sock.getsockname()[1]

    def release(self) -> None:
        for sock in self._held:
            sock.close()
        self._held.clear()


class Runner:
    """One run of tools/twin/twin.mjs. Use as a context manager: leaving it stops the runner."""

    def __init__(
        self,
        request: dict[str, Any],
        *,
        twin_dir: Path = TWIN_DIR,
        redact: Callable[[str], str] = str,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
    ):
        self._request = request
        self._twin_dir = twin_dir
        self._redact = redact
        self._out = {"stdout": stdout, "stderr": stderr}
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._held: list[tuple[str, str]] = []
        self._live = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.process: subprocess.Popen[str] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> Runner:
        node = find_node()
        check_packages(self._twin_dir)
        read_fd, write_fd = os.pipe()
        try:
            self.process = subprocess.Popen(
                [node, str(self._twin_dir / "twin.mjs"), str(write_fd)],
                cwd=self._twin_dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                encoding="utf-8",
                errors="replace",  # whatever a worker prints, the relay keeps going
                pass_fds=(write_fd,),
                start_new_session=True,  # its own group: Ctrl-C reaches us, we stop it all
            )
        finally:
            os.close(write_fd)
        events = os.fdopen(read_fd, encoding="utf-8")
        self._thread(self._read_events, events)
        self._thread(self._relay, self.process.stdout, "stdout")
        self._thread(self._relay, self.process.stderr, "stderr")
        try:
            self.process.stdin.write(json.dumps(self._request) + "\n")
            self.process.stdin.flush()
        except OSError:
            pass  # it exited already; the event (or its absence) says why
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self, timeout: float = 15) -> int | None:
        """Stop the runner and everything in its process group; its exit code."""
        if self.process is None:
            return None
        with contextlib.suppress(OSError):
            self.process.stdin.close()  # the runner disposes of miniflare and exits
        code = self._wait(timeout)
        if code is None:
            self._signal_group(signal.SIGTERM)
            code = self._wait(5)
        self._signal_group(signal.SIGKILL)  # whatever is left of the group, workerd included
        if code is None:
            code = self._wait(5)
        for thread in self._threads:
            thread.join(timeout=5)
        return code

    def _wait(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def exit_code(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    # -- events and output ---------------------------------------------------------------------

    def wait_for(self, wanted: str, timeout: float) -> dict[str, Any]:
        """The first event named `wanted`; raises RunnerFailed on an error event, TwinError if
        the runner exits or takes longer than `timeout` seconds."""
        try:
            event = self._events.get(timeout=timeout)
        except queue.Empty:
            raise TwinError(
                f"the twin was not ready after {timeout:.0f} s; is the machine busy? try again"
            ) from None
        if event is None:
            self.stop()
            raise TwinError(
                f"the twin's runner (node tools/twin/twin.mjs) exited with code "
                f"{self.exit_code()} before it was ready{self._last_output()}"
            )
        if event.get("event") == "error":
            raise RunnerFailed(event)
        if event.get("event") != wanted:
            raise TwinError(f"the twin's runner sent '{event.get('event')}', not '{wanted}'")
        return event

    def go_live(self) -> None:
        """Print the output held back during start-up, then relay output as it comes."""
        with self._lock:
            self._live.set()
            for stream, line in self._held:
                self._write(stream, line)
            self._held.clear()

    def _thread(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_events(self, events: IO[str]) -> None:
        with events:
            for line in events:
                try:
                    self._events.put(json.loads(line))
                except ValueError:
                    continue
        self._events.put(None)

    def _relay(self, pipe: IO[str], stream: str) -> None:
        for line in pipe:
            line = self._redact(line.rstrip("\n"))
            with self._lock:
                if self._live.is_set():
                    self._write(stream, line)
                else:
                    self._held.append((stream, line))

    def _write(self, stream: str, line: str) -> None:
        out = self._out[stream]
        if out is not None:
            out.write(line + "\n")
            out.flush()

    def _last_output(self) -> str:
        with self._lock:
            lines = [line for _, line in self._held if line.strip()][-3:]
        return ": " + " | ".join(lines) if lines else ""
