"""Big response bodies live in files, formatted by a worker process, read line by line.

A 50 MB body must never freeze a UI. Pretty-printing it (orjson) and finding its line
breaks take a second or two of CPU that would hold the interpreter lock, so
:func:`format_body` runs in another process: it writes the pretty text and an index of
line offsets next to the spooled body. A :class:`LineFile` then maps both files and
decodes only the lines asked for. :func:`quick_pretty` indents the first kilobytes in
a few milliseconds, so there is something to read while the rest is formatted.
"""

from __future__ import annotations

import itertools
import mmap
import os
import tempfile
import time
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import platformdirs

KEEP_SECONDS = 24 * 3600  # spooled bodies older than this are removed at the next spool


def bodies_dir() -> Path:
    """Where spooled bodies go: the user cache folder, never the workspace."""
    return Path(platformdirs.user_cache_dir("callbench")) / "bodies"


def spool(data: bytes, suffix: str = ".body") -> Path:
    """Write ``data`` to a new private file in the bodies folder."""
    folder = bodies_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    fd, name = tempfile.mkstemp(dir=folder, suffix=suffix)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name)


def _prune(folder: Path) -> None:
    limit = time.time() - KEEP_SECONDS
    for entry in os.scandir(folder):
        try:
            if entry.stat().st_mtime < limit:
                os.unlink(entry.path)
        except OSError:
            continue


@dataclass(frozen=True, slots=True)
class FormattedFile:
    """A text file and the index of its line starts (array 'Q' of byte offsets)."""

    path: str
    index_path: str
    lines: int
    width: int


@dataclass(frozen=True, slots=True)
class Formatted:
    is_json: bool
    pretty: FormattedFile  # the pretty JSON, or the body itself when it is not JSON
    raw: FormattedFile  # the body as received


def _write_index(data: bytes | mmap.mmap, path: str) -> FormattedFile:
    lengths = [len(line) for line in bytes(data).split(b"\n")]
    offsets = array("Q", itertools.accumulate((n + 1 for n in lengths), initial=0))
    index_path = path + ".index"
    with open(index_path, "wb") as handle:
        offsets.tofile(handle)
    return FormattedFile(path, index_path, len(lengths), max(lengths, default=0))


def format_body(path: str) -> Formatted:
    """Pretty-print and index the body spooled at ``path`` (runs in a worker process)."""
    with open(path, "rb") as handle:
        data = handle.read()
    raw = _write_index(data, path)
    try:
        pretty_bytes = orjson.dumps(orjson.loads(data), option=orjson.OPT_INDENT_2)
    except orjson.JSONDecodeError:
        return Formatted(False, raw, raw)
    del data
    pretty_path = path + ".pretty"
    with open(pretty_path, "wb") as handle:
        handle.write(pretty_bytes)
    return Formatted(True, _write_index(pretty_bytes, pretty_path), raw)


class LineFile:
    """Lines of a formatted file, decoded on demand from a memory map."""

    def __init__(self, formatted: FormattedFile) -> None:
        self.path = Path(formatted.path)
        self.width = formatted.width
        self._offsets = array("Q")
        with open(formatted.index_path, "rb") as handle:
            self._offsets.frombytes(handle.read())
        with open(formatted.path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else None

    def __len__(self) -> int:
        return max(len(self._offsets) - 1, 1)

    def line(self, index: int, start: int = 0, end: int | None = None) -> str:
        """Characters ``start:end`` of line ``index`` (a long line is only partly read)."""
        if self._map is None or index >= len(self._offsets) - 1:
            return ""
        first = self._offsets[index]
        last = self._offsets[index + 1] - 1  # without the newline
        if end is not None:
            # UTF-8 takes at most 4 bytes a character: read no more than that needs.
            last = min(last, first + end * 4)
        text = self._map[first:last].decode("utf-8", errors="replace").rstrip("\r")
        return text[start:end]

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None


def quick_pretty(data: bytes, max_lines: int = 400) -> list[str] | None:
    """The first lines of ``data`` pretty-printed as JSON, fast, from its head alone.

    A small tokenizer re-indents what it reads and stops after ``max_lines``; it never
    needs the end of the document. None when the head does not look like JSON.
    """
    text = data[:262_144].decode("utf-8", errors="replace").lstrip()
    if not text.startswith(("{", "[")):
        return None
    lines: list[str] = []
    current: list[str] = []
    depth = 0
    i = 0
    n = len(text)

    def newline() -> None:
        lines.append("".join(current))
        current.clear()
        current.append("  " * depth)

    while i < n and len(lines) < max_lines:
        char = text[i]
        if char == '"':
            end = i + 1
            while end < n and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            current.append(text[i : end + 1])
            i = end + 1
            continue
        if char in "{[":
            depth += 1
            current.append(char)
            closing = text[i + 1 : i + 2]
            if closing in ("}", "]"):
                depth -= 1
                current.append(closing)
                i += 2
                continue
            newline()
        elif char in "}]":
            depth -= 1
            newline()
            current[-1] = "  " * depth
            current.append(char)
        elif char == ",":
            current.append(",")
            newline()
        elif char == ":":
            current.append(": ")
        elif not char.isspace():
            current.append(char)
        i += 1
    if len(lines) < max_lines and "".join(current).strip():
        lines.append("".join(current))
    return lines


def _main(argv: list[str]) -> int:
    """``python -m tui.core.body_files PATH``: format the body at PATH, print JSON."""
    import json
    from dataclasses import asdict

    print(json.dumps(asdict(format_body(argv[0]))))
    return 0


def formatted_from_json(data: dict[str, Any]) -> Formatted:
    return Formatted(data["is_json"], FormattedFile(**data["pretty"]), FormattedFile(**data["raw"]))


if __name__ == "__main__":
    import sys

    raise SystemExit(_main(sys.argv[1:]))
