"""Start-up: ``callbench run --help`` vs ``python -c pass``.

Why: ``callbench run`` is meant for scripts and CI, where it may be started thousands of
times, so the CLI imports only argparse up front (tui/cli.py) and leaves Textual and httpx
to the commands that need them. The headline is the ratio of medians against a bare
interpreter start in the same run; whether ``run --help`` pulls in textual or httpx is
printed as information, with the heaviest imports from ``-X importtime``.

Bytecode: the children run without PYTHONDONTWRITEBYTECODE and with PYTHONPYCACHEPREFIX in a
temporary folder, so .pyc files are cached as on a normal install without writing into
the repository. When the inherited environment disables bytecode, ``-m tui`` is also timed
as inherited, as information.

Run: ``python tests/benchmarks/bench_startup.py`` (exit 0 with PASS or MISS, non-zero on
error).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 20
WARMUP = 2
SOFT_GOAL = 5.0
HELP_ARGS = ["run", "--help"]
MODULES = ("textual", "httpx", "httpcore", "tui.core", "tomlkit", "orjson", "jsonpath_ng")

IMPORT_PROBE = f"""
import contextlib, io, sys
from tui.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main({HELP_ARGS!r})
    except SystemExit:
        pass
print(" ".join(f"{{m}}={{m in sys.modules}}" for m in {MODULES!r}))
print(len(sys.modules))
"""


def child_env(cache: Path) -> dict[str, str]:
    """The inherited environment with a bytecode cache outside the repository."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def run_once(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Wall time of one start, in seconds; a non-zero exit is an error."""
    start = time.perf_counter()
    done = subprocess.run(
        argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return seconds


def time_commands(
    commands: dict[str, list[str]], env: dict[str, str], cwd: Path, runs: int
) -> dict[str, float]:
    """Median seconds per command; the commands take turns (rotated) so drift hits all."""
    names = list(commands)
    for name in names:
        for _ in range(WARMUP):
            run_once(commands[name], env, cwd)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            times[name].append(run_once(commands[name], env, cwd))
    return {name: statistics.median(values) for name, values in times.items()}


def console_scripts() -> tuple[Path | None, Path | None]:
    """(the script next to this interpreter, the one PATH finds) — often a pyenv shim."""
    beside = Path(sys.executable).parent / "callbench"
    on_path = shutil.which("callbench")
    return (beside if beside.is_file() else None), (Path(on_path) if on_path else None)


def import_report(env: dict[str, str], cwd: Path) -> list[str]:
    """What ``run --help`` imports: a sys.modules probe and the top -X importtime entries."""
    probe = subprocess.run(
        [sys.executable, "-c", IMPORT_PROBE],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    flags, count = probe.stdout.split("\n")[:2]
    lines = [
        f"  imported by run --help        : {flags}",
        f"  modules loaded (in-process)   : {count}",
    ]
    timing = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tui", *HELP_ARGS],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    top: list[tuple[int, str]] = []
    for line in timing.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        if not name.startswith("  "):  # only top-level imports (no nesting indent)
            top.append((int(cumulative), name.strip()))
    top.sort(reverse=True)
    heaviest = ", ".join(f"{name} {us / 1000:.1f} ms" for us, name in top[:5])
    lines.append(f"  heaviest top-level imports    : {heaviest}")
    return lines


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp:
        cwd = Path(tmp) / "cwd"
        cwd.mkdir()
        env = child_env(Path(tmp) / "pycache")
        beside, on_path = console_scripts()
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -m tui run --help": [sys.executable, "-m", "tui", *HELP_ARGS],
        }
        if beside is not None:
            commands["callbench run --help"] = [str(beside), *HELP_ARGS]
        shim = on_path is not None and on_path != beside
        if shim and on_path is not None:
            commands["callbench (PATH) run --help"] = [str(on_path), *HELP_ARGS]
        medians = time_commands(commands, env, cwd, RUNS)

        inherited: dict[str, float] = {}
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            pair = {name: commands[name] for name in ("python -c pass", "python -m tui run --help")}
            inherited = time_commands(pair, dict(os.environ), cwd, RUNS // 2)
        imports = import_report(env, cwd)

    base = medians["python -c pass"]
    print(f"bench_startup: median of {RUNS} starts each ({WARMUP} warm-up), commands rotated,")
    print("  .pyc cached in a temporary PYTHONPYCACHEPREFIX")
    verdicts: list[bool] = []
    for name, seconds in medians.items():
        ratio = seconds / base
        label = name
        if name == "python -c pass":
            print(f"  {label:<30}: {seconds * 1000:6.0f} ms  (baseline)")
            continue
        print(f"  {label:<30}: {seconds * 1000:6.0f} ms  {ratio:5.2f}x python -c pass")
        if name != "callbench (PATH) run --help":
            verdicts.append(ratio < SOFT_GOAL)
    if beside is None:
        print("  callbench console script      : not found beside the interpreter")
    else:
        where = "also the one on PATH" if on_path == beside else "not the one on PATH"
        print(f"  callbench console script      : {beside} ({where})")
    if shim and on_path is not None:
        print(f"  callbench on PATH             : {on_path}, a wrapper: information, not a goal")
    if on_path is None:
        print("  callbench on PATH             : not found")
    if inherited:
        plain, tui = inherited["python -c pass"], inherited["python -m tui run --help"]
        print("  inherited env (info; PYTHONDONTWRITEBYTECODE is set, so tui/ is compiled")
        print(f"  on every start), median of {RUNS // 2}:")
        print(f"    python -c pass              : {plain * 1000:6.0f} ms")
        print(f"    python -m tui run --help    : {tui * 1000:6.0f} ms  {tui / plain:5.2f}x")
    for line in imports:
        print(line)
    print(f"  goal (soft)                   : run --help < {SOFT_GOAL:.0f}x python -c pass")
    print(f"  result                        : {'PASS' if all(verdicts) else 'MISS'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
