"""Launch to first drawn screen: the real ``callbench`` on a 200-call workspace in tmux.

Why: a terminal tool is opened many times a day, over SSH too; it must draw at once.
Measured from starting the process to the browser showing the workspace's calls (read
with ``tmux capture-pane`` every 10 ms), against the time ``python -c "import textual.app"``
takes in the same run: the floor for any Textual app. Goal: first screen under 0.6 s.

The editor, response viewer and variables form are mounted just after the first frame;
the time until they are drawn is printed too.

Run: ``python tests/benchmarks/bench_tui_startup.py`` (needs tmux).
"""

from __future__ import annotations

import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

GOAL_SECONDS = 0.6
RUNS = 7
COLLECTIONS = 10
CALLS_PER_COLLECTION = 20


def generate(root: Path) -> None:
    for c in range(COLLECTIONS):
        folder = root / f"service-{c:02}"
        folder.mkdir(parents=True)
        (folder / "collection.toml").write_text(
            f'name = "Service {c:02}"\nbase_url = "http://127.0.0.1:9"\n'
        )
        for i in range(CALLS_PER_COLLECTION):
            (folder / f"call-{i:02}.toml").write_text(
                f'name = "Call {c:02}-{i:02}"\nmethod = "GET"\nurl = "/things/{{{{id}}}}"\n'
                f"[variables]\nid = {i}\n"
            )


def time_import() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
    return time.perf_counter() - start


def time_first_screen(command: str, marker: str, ready: str) -> tuple[float, float]:
    """Seconds to ``marker`` on screen (the first frame) and to ``ready`` (all panes)."""
    socket = f"callbench-bench-{uuid.uuid4().hex[:8]}"

    def tmux(*args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", socket, *args], capture_output=True, text=True, check=False
        ).stdout

    try:
        start = time.perf_counter()
        tmux("new-session", "-d", "-s", "b", "-x", "120", "-y", "40", command)
        first = None
        while time.perf_counter() - start < 20:
            screen = tmux("capture-pane", "-p", "-t", "b")
            if first is None and marker in screen:
                first = time.perf_counter() - start
            if first is not None and ready in screen:
                return first, time.perf_counter() - start
            time.sleep(0.01)
        raise RuntimeError(f"{marker!r} or {ready!r} never appeared")
    finally:
        tmux("kill-server")


def main() -> int:
    if shutil.which("tmux") is None:
        print("bench_tui_startup: tmux is not installed")
        return 1
    callbench = shutil.which("callbench")
    if callbench is None:
        print("bench_tui_startup: the callbench command is not installed (pip install -e .)")
        return 1
    with tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp:
        root = Path(tmp) / "ws"
        generate(root)
        env = {
            "XDG_CONFIG_HOME": f"{tmp}/config",
            "XDG_DATA_HOME": f"{tmp}/data",
            "XDG_CACHE_HOME": f"{tmp}/cache",
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", tmp),
            "TERM": "xterm-256color",
        }
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        command = f"env -i {assignments} {shlex.quote(callbench)} {shlex.quote(str(root))}"
        time_import()
        time_first_screen(command, "Service 09", "Query")  # warm caches, untimed
        imports = [time_import() for _ in range(RUNS)]
        runs = [time_first_screen(command, "Service 09", "Query") for _ in range(RUNS)]
    screens = [first for first, _ in runs]
    base = statistics.median(imports)
    first = statistics.median(screens)
    ready = statistics.median(r for _, r in runs)
    print(
        f"bench_tui_startup: {COLLECTIONS * CALLS_PER_COLLECTION}-call workspace, tmux 120x40,"
        f" median of {RUNS}"
    )
    print(f"  python -c 'import textual.app' (baseline) : {base * 1000:6.0f} ms")
    print(
        f"  callbench WORKSPACE -> first screen        : {first * 1000:6.0f} ms"
        f"   {first / base:.2f}x baseline"
    )
    print(
        f"  -> all panes mounted (info)                : {ready * 1000:6.0f} ms"
        f"   {ready / base:.2f}x baseline"
    )
    print(
        f"  first-screen runs (ms)                     : "
        f"{', '.join(f'{s * 1000:.0f}' for s in screens)}"
    )
    ok = first < GOAL_SECONDS
    print(f"  goal: first screen < {GOAL_SECONDS} s           : {'PASS' if ok else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
