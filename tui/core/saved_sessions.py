"""Session values kept between ``callbench run`` invocations (``--session NAME``).

A script that logs in with one run and calls the API with the next needs the values the
first run extracted. They live in the user data folder (never the workspace), one JSON
file per workspace and session name. Values of secret variables never go to that file:
they are kept in the workspace's secret store (keyring or vault) when one serves, and
otherwise only for the run that extracted them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import platformdirs

from .errors import CallbenchError
from .secrets import SecretStore
from .toml_write import atomic_write
from .workspace import Workspace

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def check_name(name: str) -> str:
    if not NAME.match(name) or name.startswith("."):
        raise CallbenchError(f"--session {name!r}: use letters, digits, '.', '_' or '-' (up to 64)")
    return name


def session_file(workspace: Workspace, name: str) -> Path:
    folder = Path(platformdirs.user_data_dir("callbench")) / "sessions"
    return folder / workspace.store_key / f"{check_name(name)}.json"


def secret_names(workspace: Workspace) -> set[str]:
    """Every variable declared secret anywhere in the workspace."""
    names: set[str] = set()
    holders: list[Any] = [*workspace.collections.values(), *workspace.environments.values()]
    holders += workspace.calls.values()
    for holder in holders:
        names.update(n for n, v in holder.variables.items() if v.secret)
    return names


def _store(workspace: Workspace, name: str, passphrase: str | None) -> SecretStore | None:
    store = SecretStore(workspace.store_key, f"session:{name}", passphrase=passphrase)
    return store if store.where() else None


def load(
    workspace: Workspace, name: str, passphrase: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The saved values and where each was extracted from; nothing for a new name."""
    path = session_file(workspace, name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        values: dict[str, Any] = dict(data.get("values", {}))
        sources: dict[str, str] = dict(data.get("extracted_from", {}))
        secrets = list(data.get("secrets", []))
    except FileNotFoundError:
        return {}, {}
    except (OSError, ValueError, TypeError, AttributeError) as error:
        raise CallbenchError(f"session {name!r}: cannot read {path}: {error}") from None
    store = _store(workspace, name, passphrase) if secrets else None
    for secret in secrets:
        value = store.lookup(secret) if store is not None else None
        if value is not None:
            values[secret] = value
    return values, sources


def save(
    workspace: Workspace,
    name: str,
    values: dict[str, Any],
    sources: dict[str, str],
    passphrase: str | None = None,
) -> list[str]:
    """Write the session; the secret variables that could not be kept (no store)."""
    secret = secret_names(workspace) & set(values)
    store = _store(workspace, name, passphrase) if secret else None
    kept: list[str] = []
    lost: list[str] = []
    for variable in sorted(secret):
        if store is None:
            lost.append(variable)
            continue
        try:
            store.set(variable, str(values[variable]))
        except Exception:  # a keyring that fails is no reason to lose the run
            lost.append(variable)
        else:
            kept.append(variable)
    plain = {k: v for k, v in values.items() if k not in secret}
    document = {"values": plain, "extracted_from": sources, "secrets": kept}
    path = session_file(workspace, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    return lost
