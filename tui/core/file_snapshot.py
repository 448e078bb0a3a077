"""Notice when workspace files change on disk (a git pull, another editor).

A cheap poll of names, sizes and modification times: no extra dependency, works over
SSH and on network file systems where inotify does not.
"""

from __future__ import annotations

import os
from pathlib import Path

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path) -> Snapshot:
    """``relative path -> (mtime_ns, size)`` of every TOML file of the workspace."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for name in files:
            if name.endswith(".toml"):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                found[os.path.relpath(path, root)] = (stat.st_mtime_ns, stat.st_size)
    return found
