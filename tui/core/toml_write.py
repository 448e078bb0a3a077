"""Write models to TOML with tomlkit, editing an existing file in place.

A save compares the canonical form of the model as it was loaded with the one being
saved and touches only the keys that differ, so comments, key order and layout of a
hand-written file survive and an unchanged model rewrites the same bytes. New files get
the fixed key order of ``to_toml`` and multi-line text as literal ``'''`` strings.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import AoT, InlineTable, Item, String, StringType, Table, Trivia

from .models import TomlDict

# Sections that are written as [table] headers; anything deeper is an inline table.
_TABLE_DEPTH = {"body": 2, "data_type": 2}


def _string(value: str) -> Item:
    if "\n" not in value:
        return tomlkit.string(value)
    if "'''" not in value and not any((c < " " and c not in "\t\n") or c == "\x7f" for c in value):
        return String(StringType.MLL, value, "\n" + value, Trivia())
    # Text a literal string cannot hold (three quotes, control characters): escaped.
    return tomlkit.string(value)


def to_item(value: Any, key: str = "", depth: int = 1) -> Any:
    """A tomlkit item for ``value``: tables up to the section's depth, then inline."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        if depth <= _TABLE_DEPTH.get(key, 1):
            table = tomlkit.table()
            for k, v in value.items():
                table.add(k, to_item(v, key, depth + 1))
            return table
        inline = tomlkit.inline_table()
        for k, v in value.items():
            inline.append(k, to_item(v, key, depth + 1))
        return inline
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        if depth == 1:
            aot = tomlkit.aot()
            for entry in value:
                table = tomlkit.table()
                for k, v in entry.items():
                    table.add(k, to_item(v, key, 99))
                aot.append(table)
            return aot
        array = tomlkit.array()
        array.extend(to_item(v, key, depth + 1) for v in value)
        return array
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(to_item(v, key, depth + 1) for v in value)
        return array
    return tomlkit.item(value)


def new_document(data: TomlDict) -> str:
    doc = tomlkit.document()
    for key, value in data.items():
        doc.add(key, to_item(value, key))
    return tomlkit.dumps(doc)


def edit_document(text: str, old: TomlDict, new: TomlDict) -> str:
    """Apply the difference between two canonical forms to the existing text."""
    doc = tomlkit.parse(text)
    _merge(doc, old, new, section="", depth=1)
    return tomlkit.dumps(doc)


def _merge(
    container: Container | Table | InlineTable | tomlkit.TOMLDocument,
    old: TomlDict,
    new: TomlDict,
    section: str,
    depth: int,
) -> None:
    for key in [k for k in old if k not in new]:
        if key in container:
            del container[key]
    for key, value in new.items():
        section_key = section or key
        if key in old and old[key] == value and key in container:
            continue
        current = container.get(key) if key in container else None
        if (
            isinstance(value, dict)
            and isinstance(old.get(key), dict)
            and isinstance(_unwrap(container, key), Table | InlineTable)
            and not isinstance(current, AoT)
        ):
            _merge(_unwrap(container, key), old[key], value, section_key, depth + 1)
            continue
        item = to_item(value, section_key, depth)
        if isinstance(_unwrap(container, key), InlineTable) and isinstance(item, Table):
            item = to_item(value, section_key, 99)
        container[key] = item


def _unwrap(container: Any, key: str) -> Any:
    if key not in container:
        return None
    return container.item(key) if hasattr(container, "item") else container[key]


def atomic_write(path: Path, text: str) -> None:
    """Write through a temporary file, fsync, rename: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
