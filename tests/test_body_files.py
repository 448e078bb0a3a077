"""Big bodies: spooled to files, formatted in a child process, read line by line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tui.core.body_files import (
    LineFile,
    bodies_dir,
    format_body,
    formatted_from_json,
    quick_pretty,
    spool,
)

DOC = {
    "items": [
        {"id": i, "name": f'item "{i}", ok', "tags": ["a"], "empty": [], "none": None}
        for i in range(30)
    ],
    "total": 30,
    "unicode": "café ☃",
}


@pytest.mark.parametrize(
    "raw", [orjson.dumps(DOC), orjson.dumps(DOC, option=orjson.OPT_INDENT_2)], ids=["min", "pretty"]
)
def test_quick_pretty_is_the_head_of_the_real_pretty_print(raw: bytes) -> None:
    pretty = orjson.dumps(DOC, option=orjson.OPT_INDENT_2).decode().splitlines()
    head = quick_pretty(raw, max_lines=50)
    assert head == pretty[:50]


def test_quick_pretty_of_a_whole_small_document_and_of_non_json() -> None:
    pretty = orjson.dumps(DOC, option=orjson.OPT_INDENT_2).decode().splitlines()
    assert quick_pretty(orjson.dumps(DOC), max_lines=10_000) == pretty
    assert quick_pretty(b"hello, not json") is None


def test_format_body_writes_pretty_text_and_indexes(tmp_path: Path) -> None:
    body = orjson.dumps(DOC)
    path = spool(body)
    assert path.parent == bodies_dir() and path.read_bytes() == body
    formatted = format_body(str(path))
    assert formatted.is_json
    pretty = LineFile(formatted.pretty)
    expected = orjson.dumps(DOC, option=orjson.OPT_INDENT_2).decode().splitlines()
    assert len(pretty) == len(expected)
    assert [pretty.line(i) for i in range(len(pretty))] == expected
    assert pretty.line(3, 4, 10) == expected[3][4:10]
    raw = LineFile(formatted.raw)
    assert len(raw) == 1 and raw.line(0) == body.decode()
    assert raw.line(0, 0, 5) == body.decode()[:5]


def test_format_body_of_text_keeps_it_as_is(tmp_path: Path) -> None:
    path = spool(b"line one\nline two\r\nline three")
    formatted = format_body(str(path))
    assert not formatted.is_json
    lines = LineFile(formatted.pretty)
    assert [lines.line(i) for i in range(len(lines))] == ["line one", "line two", "line three"]


def test_the_child_process_entry_point(tmp_path: Path) -> None:
    """The TUI runs ``python -m tui.core.body_files PATH`` and reads its JSON."""
    path = spool(orjson.dumps(DOC))
    result = subprocess.run(
        [sys.executable, "-m", "tui.core.body_files", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    formatted = formatted_from_json(json.loads(result.stdout))
    assert formatted.is_json and formatted.pretty.lines > 30
    assert LineFile(formatted.pretty).line(0) == "{"
