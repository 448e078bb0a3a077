"""Workspace load: 10,000 call files through ``load_workspace`` vs bare ``tomllib``.

Why: the TUI and every ``callbench run`` load the whole workspace before doing anything,
so a big workspace must open in well under a second, and validation on top of parsing
must stay a small multiple of the TOML parse itself. The headline is a ratio against
bare ``tomllib.loads(path.read_text())`` over the same files in the same run.

The baseline walks the tree with ``os.walk`` inside the timed region (load_workspace
discovers its files too); the same parse over a pre-listed file list is printed as
information.

Run: ``python tests/benchmarks/bench_load.py [--profile]`` (exit 0 with PASS or MISS,
non-zero on error; --profile adds a cProfile summary of one load).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tui.core.workspace import Workspace, load_workspace

T = TypeVar("T")

COLLECTIONS = 20
CALLS_PER_COLLECTION = 500
CALLS_AT_TOP = 300  # the rest go into sub-folders, a few levels deep
SUB_FOLDERS = ("users", "orders", "admin/reports", "admin/audit/logs")
RUNS = 3
GOAL_SECONDS = 1.0
GOAL_RATIO = 2.0
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "GET", "GET", "POST")

COLLECTION_TOML = """\
name = "Coll {n}"
base_url = "http://127.0.0.1:1"
[headers]
Accept = "application/json"
"""

CALL_HEAD = """\
name = "{verb} thing {i}"
method = "{method}"
url = "/things/{{{{thing_id}}}}/parts/{{{{part}}}}"
description = "Call number {i} of collection {c}, generated for the load benchmark."
[query]
limit = "{{{{limit}}}}"
page = "2"
[headers]
X-Trace = "{{{{$uuid}}}}"
X-Tenant = "{{{{tenant}}}}"
"""

CALL_BODY = """\
[body]
type = "json"
content = '''
{{
  "a": "{{{{name}}}}",
  "n": {{{{n}}}},
  "tags": ["x", "y", "z"],
  "nested": {{"id": {i}, "flag": true}}
}}
'''
"""

CALL_TAIL = """\
[variables]
thing_id = {{ type = "integer", default = {i} }}
part = "p{i}"
limit = 50
tenant = "acme"
name = "x"
n = 1
[paths]
id = "$.id"
names = "$.items[*].name"
"""


def call_text(c: int, i: int) -> str:
    """A call file like a user writes: half of them carry a JSON body."""
    method = METHODS[i % len(METHODS)]
    text = CALL_HEAD.format(verb=method.title(), method=method, i=i, c=c)
    if method != "GET" or i % 4 == 0:
        text += CALL_BODY.format(i=i)
    return text + CALL_TAIL.format(i=i)


def generate(root: Path) -> int:
    """Write the workspace; returns the number of call files."""
    count = 0
    for c in range(COLLECTIONS):
        folder = root / f"coll-{c:02d}"
        folder.mkdir(parents=True)
        (folder / "collection.toml").write_text(COLLECTION_TOML.format(n=c), encoding="utf-8")
        for sub in SUB_FOLDERS:
            (folder / sub).mkdir(parents=True, exist_ok=True)
        for i in range(CALLS_PER_COLLECTION):
            sub = SUB_FOLDERS[i % len(SUB_FOLDERS)]
            target = folder if i < CALLS_AT_TOP else folder / sub
            (target / f"call-{i:03d}.toml").write_text(call_text(c, i), encoding="utf-8")
            count += 1
    return count


def bare_walk(root: Path) -> int:
    """Baseline: find every .toml with os.walk and parse it with tomllib, nothing else."""
    parsed = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".toml"):
                tomllib.loads(Path(folder, name).read_text(encoding="utf-8"))
                parsed += 1
    return parsed


def bare_listed(paths: list[Path]) -> int:
    """Information: the same parse without the directory walk."""
    for path in paths:
        tomllib.loads(path.read_text(encoding="utf-8"))
    return len(paths)


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Wall time of one call, and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def measure(root: Path, paths: list[Path]) -> tuple[Workspace, float, float, float, float]:
    """Best times of load_workspace cold (every file parsed, no cache) and warm (the load
    cache primed by an earlier load), bare tomllib with os.walk, bare tomllib pre-listed.

    The page cache and imports are warmed once, untimed; then the sides alternate and the
    best run of each is kept (the one least disturbed by the rest of the machine).
    """
    bare_walk(root)
    load_workspace(root)  # primes the load cache
    load_times: list[float] = []
    warm_times: list[float] = []
    walk_times: list[float] = []
    listed_times: list[float] = []
    workspace = None
    for _ in range(RUNS):
        seconds, workspace = timed(lambda: load_workspace(root, use_cache=False))
        load_times.append(seconds)
        seconds, warm = timed(lambda: load_workspace(root))
        warm_times.append(seconds)
        if warm.calls != workspace.calls:
            raise RuntimeError("the cached load differs from the parsed one")
        seconds, parsed = timed(lambda: bare_walk(root))
        walk_times.append(seconds)
        listed_times.append(timed(lambda: bare_listed(paths))[0])
        if parsed != len(paths):
            raise RuntimeError(f"baseline parsed {parsed} files, expected {len(paths)}")
    if workspace is None:
        raise RuntimeError("no timed runs")
    return workspace, min(load_times), min(warm_times), min(walk_times), min(listed_times)


def profile(root: Path) -> None:
    """With --profile: where one load_workspace spends its time (top 15, cumulative)."""
    profiler = cProfile.Profile()
    profiler.runcall(load_workspace, root, use_cache=False)
    print("\nprofile of one load_workspace (cProfile, sorted by cumulative time):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(15)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp:
        root = Path(tmp) / "ws"
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")  # never the user's cache
        expected_calls = generate(root)
        paths = sorted(root.rglob("*.toml"))
        workspace, load, warm, walk, listed = measure(root, paths)
        if len(workspace.calls) != expected_calls:
            raise RuntimeError(f"loaded {len(workspace.calls)} calls, expected {expected_calls}")
        if workspace.problems:
            first = next(iter(workspace.problems.values()))
            raise RuntimeError(f"{len(workspace.problems)} files have problems, e.g.: {first}")
        report(expected_calls, len(paths), workspace, load, warm, walk, listed)
        if "--profile" in sys.argv[1:]:
            profile(root)
    return 0


def report(
    expected_calls: int,
    files: int,
    workspace: Workspace,
    load: float,
    warm: float,
    walk: float,
    listed: float,
) -> None:
    ratio = load / walk
    fast = warm < GOAL_SECONDS
    close = ratio <= GOAL_RATIO
    overhead_us = (load - walk) / files * 1e6
    calls, problems = len(workspace.calls), len(workspace.problems)
    print(f"bench_load: {expected_calls} call files + {COLLECTIONS} collection.toml")
    print(f"  ({COLLECTIONS} collections x {CALLS_PER_COLLECTION} calls, {CALLS_AT_TOP} at the top")
    print(f"  of each, the rest in sub-folders), best of {RUNS} runs of each, alternated")
    print(f"  load_workspace, cold (no cache)    : {load * 1000:7.0f} ms")
    print(f"  load_workspace, warm (load cache)  : {warm * 1000:7.0f} ms")
    print(f"  bare tomllib, os.walk (baseline)   : {walk * 1000:7.0f} ms")
    print(f"  bare tomllib, pre-listed (info)    : {listed * 1000:7.0f} ms")
    print(f"  load overhead over bare            : {overhead_us:7.0f} us/file")
    print(f"  ratio load/bare os.walk            : {ratio:.2f}x")
    print(f"  ratio load/bare pre-listed (info)  : {load / listed:.2f}x")
    print(f"  loaded calls / problems            : {calls} / {problems}")
    print(f"  cold load < {GOAL_SECONDS:.0f} s (info)             : {load < GOAL_SECONDS}")
    print(f"  goal 1: warm load < {GOAL_SECONDS:.0f} s            : {'PASS' if fast else 'MISS'}")
    print(f"  goal 2: cold <= {GOAL_RATIO:.0f}x bare tomllib      : {'PASS' if close else 'MISS'}")
    print(f"  result                             : {'PASS' if fast and close else 'MISS'}")


if __name__ == "__main__":
    sys.exit(main())
