"""Find the line of a key in TOML text, for error messages.

tomllib gives no positions for values, so when a value is wrong we look for the line
that defines it: the ``key =`` line under the right ``[table]`` header. Only called when
there is an error to report, so it never slows down loading.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-.\s"']+?)\s*=""")
_SYNTAX_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_key(raw: str) -> list[str]:
    """Split a dotted TOML key into its parts, honouring quotes."""
    parts: list[str] = []
    for match in re.finditer(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^.\s]+)\s*(?:\.|$)""", raw):
        part = match.group(1)
        if part[:1] in "\"'":
            part = part[1:-1]
        parts.append(part)
    return parts


def locate(text: str, key_path: list[str]) -> int | None:
    """The 1-based line that defines ``key_path`` (or its nearest ancestor), if found."""
    for end in range(len(key_path), 0, -1):
        line = _locate_exact(text, [p for p in key_path[:end] if not p.isdigit()])
        if line is not None:
            return line
    return None


def _locate_exact(text: str, key_path: list[str]) -> int | None:
    table: list[str] = []
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        quotes = line.count("'''") + line.count('"""')
        if in_multiline:
            if quotes % 2 == 1:
                in_multiline = False
            continue
        header = _HEADER.match(line)
        if header:
            table = _split_key(header.group(1))
            if table == key_path:
                return number
            continue
        key = _KEY.match(line)
        if key and table + _split_key(key.group(1)) == key_path:
            return number
        if quotes % 2 == 1:
            in_multiline = True
    return None


def syntax_position(error: ValueError) -> tuple[int | None, int | None, str]:
    """Line, column and the bare message of a tomllib syntax error."""
    message = str(error)
    match = _SYNTAX_POSITION.search(message)
    if not match:
        return None, None, message
    bare = message[: match.start()].strip()
    return int(match.group(1)), int(match.group(2)), bare
