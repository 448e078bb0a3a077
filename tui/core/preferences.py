"""Per-user UI state kept outside the workspace: the environment chosen for each workspace.

One small JSON file in the user state folder (``platformdirs.user_state_dir``), keyed by
the workspace's resolved root path, so the choice is personal and never shows up in a
git diff. The file is written atomically; a missing, unreadable or corrupt file counts
as empty (the workspace's ``default_environment`` then applies), never as an error.

    {"version": 1, "workspaces": {"/home/ann/apis": {"environment": "dev"}}}

``"environment": null`` remembers that "no environment" was chosen on purpose.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import platformdirs

from .toml_write import atomic_write
from .workspace import Workspace

VERSION = 1


def state_path() -> Path:
    return Path(platformdirs.user_state_dir("callbench")) / "state.json"


def workspace_key(root: Path | str) -> str:
    return str(Path(root).expanduser().resolve())


def _read() -> dict[str, Any]:
    try:
        document = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(document, dict) or not isinstance(document.get("workspaces"), dict):
        return {}
    return document


def _entry(root: Path | str) -> dict[str, Any]:
    entry = _read().get("workspaces", {}).get(workspace_key(root))
    return entry if isinstance(entry, dict) else {}


def remembered_environment(root: Path | str) -> tuple[bool, str | None]:
    """(whether a choice is remembered for this workspace, the environment or None)."""
    entry = _entry(root)
    if "environment" not in entry:
        return False, None
    value = entry["environment"]
    if value is None:
        return True, None
    if isinstance(value, str) and value:
        return True, value
    return False, None


def remember_environment(root: Path | str, environment: str | None) -> None:
    """Keep ``environment`` (None: "no environment") as this workspace's choice.

    Best effort: a state folder that cannot be written is not the user's problem here.
    """
    document = _read() or {"version": VERSION, "workspaces": {}}
    document["version"] = VERSION
    workspaces: dict[str, Any] = document.setdefault("workspaces", {})
    key = workspace_key(root)
    entry = workspaces.get(key)
    if not isinstance(entry, dict):
        entry = {}
    entry["environment"] = environment or None
    workspaces[key] = entry
    with contextlib.suppress(OSError):
        atomic_write(state_path(), json.dumps(document, indent=2, sort_keys=True) + "\n")


def initial_environment(workspace: Workspace) -> str | None:
    """The environment a workspace opens with: the remembered one if it still exists,
    else the workspace's ``default_environment`` if it exists, else none. A remembered
    "no environment" stays none."""
    known, environment = remembered_environment(workspace.root)
    if known and (environment is None or environment in workspace.environments):
        return environment
    default = workspace.settings.default_environment or None
    return default if default in workspace.environments else None
