"""Formatting response bodies for reading: pretty JSON with orjson (fast on big bodies)."""

from __future__ import annotations

import orjson


def pretty_json(body: bytes) -> str | None:
    """The body re-indented by two spaces, or None when it is not JSON."""
    try:
        return orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2).decode()
    except (orjson.JSONDecodeError, TypeError):
        return None
