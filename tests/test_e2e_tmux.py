"""End to end: the real ``callbench`` command in tmux, driven with keys, read off the screen."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui_helpers import sample_workspace

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Tmux:
    def __init__(self, width: int = 100, height: int = 30) -> None:
        self.socket = f"callbench-test-{uuid.uuid4().hex[:8]}"
        self.width = width
        self.height = height

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def start(self, command: str) -> None:
        self.run(
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            command,
        )

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.run("send-keys", "-t", "main", key)
            time.sleep(0.05)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "main")

    def wait_for(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on screen:\n{screen}")

    def alive(self) -> bool:
        return "main" in self.run("list-sessions")

    def kill(self) -> None:
        self.run("kill-server")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    session = Tmux()
    yield session
    session.kill()


def test_open_send_and_read_the_response_in_tmux(
    tmux: Tmux, tmp_path: Path, server_url: str, isolated_user_dirs: Path
) -> None:
    root = sample_workspace(tmp_path / "ws", server_url)
    callbench = shutil.which("callbench")
    assert callbench, "the callbench command is installed"
    env = {
        name: os.environ[name]
        for name in (
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "XDG_CACHE_HOME",
            "XDG_STATE_HOME",
            "PYTHON_KEYRING_BACKEND",
            "NO_PROXY",
            "PATH",
            "HOME",
        )
        if name in os.environ
    }
    env["TERM"] = "xterm-256color"
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    tmux.start(f"env -i {assignments} {shlex.quote(callbench)} {shlex.quote(str(root))}")
    tmux.wait_for("Items")  # the first frame: the workspace is shown
    tmux.wait_for("Description")  # the editor is mounted: the whole workbench takes keys
    tmux.keys("/", *"Items", "Enter")
    time.sleep(0.2)
    tmux.keys("Enter")
    tmux.wait_for("/items")
    tmux.keys("C-j")
    tmux.wait_for("200 OK")
    screen = tmux.wait_for('"items": [')
    assert '"name": "item 1"' in screen
    tmux.keys("C-q")
    deadline = time.monotonic() + 10
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux.alive(), "callbench quit on ctrl+q"
