"""Run CPU-heavy jobs (formatting big bodies) in a child process.

A thread would hold the interpreter lock for the whole job and freeze the UI; a child
process does not. The child is a plain ``python -m`` of a core module that prints its
result as JSON, so nothing of the app (its threads, its ``__main__``) is copied or
re-imported, as multiprocessing's fork and spawn would.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any


class JobFailed(RuntimeError):
    pass


async def run_module(module: str, *args: str) -> Any:
    """Run ``python -m module args...`` and return the JSON it prints on stdout."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await process.communicate()
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
        raise
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip().splitlines()
        raise JobFailed(message[-1] if message else f"{module} exited {process.returncode}")
    return json.loads(stdout)
