"""Selectors: JSONPath (jsonpath-ng's ext parser), header:Name and status."""

from __future__ import annotations

from typing import Any

import pytest

from tui.core.errors import PathError
from tui.core.exchange import ResponseData
from tui.core.selector import _fast, _Unsupported, compile_path, select, select_json

DOC: dict[str, Any] = {
    "items": [
        {"id": i, "name": f"item {i}", "price": p, "tags": t, "stock": {"count": c}}
        for i, p, t, c in [
            (1, 18.5, ["kitchen"], 3),
            (2, 6.0, ["kitchen", "gift"], 0),
            (3, 2.25, [], 12),
        ]
    ],
    "total": 3,
    "meta": {"next": None, "page": {"size": 20}},
    "matrix": [[1, 2], [3, 4]],
}


@pytest.mark.parametrize(
    ("expression", "expected", "is_list"),
    [
        ("$.total", 3, False),
        ("$.items[0].name", "item 1", False),
        ("$.items[*].id", [1, 2, 3], True),
        ("$.items[1:].id", [2, 3], True),
        ("$.items[::2].id", [1, 3], True),
        ("$.items[-1].id", 3, False),
        ("$.items[*].tags[0]", ["kitchen", "kitchen"], True),
        ("$.matrix[*][1]", [2, 4], True),
        ("$.meta.*", [None, {"size": 20}], True),
        ("$.meta.next", None, False),
        ("$..count", [3, 0, 12], True),
        ("$..size", [20], True),
        ("$.items[?(@.price < 10)].name", ["item 2", "item 3"], True),
        ("$.items[?(@.stock.count > 0)].id", [1, 3], True),
        ("$.items[?(@.name == 'item 2')].price", [6.0], True),
        ("$.items[*].price * 2", [37.0, 12.0, 4.5], True),
        ("$.missing", [], False),
        ("$.items[10].id", [], False),
    ],
)
def test_jsonpath(expression: str, expected: Any, is_list: bool) -> None:
    selection = select_json(compile_path(expression), DOC)
    assert selection.value == expected
    assert selection.is_list == is_list


@pytest.mark.parametrize(
    "expression",
    [
        "$.items[*].id",
        "$.items[0].name",
        "$.items[0:2].stock.count",
        "$.meta.*",
        "$.total",
        "$.matrix[*][0]",
        "$['meta']['page']",
        "$.meta['next','page']",
        "$.nothing.deeper",
    ],
)
def test_the_fast_path_always_equals_jsonpath_ng(expression: str) -> None:
    path = compile_path(expression)
    assert _fast(path, [DOC]) == [match.value for match in path.find(DOC)]


@pytest.mark.parametrize("expression", ["$..id", "$.items[?(@.id > 1)]", "$.items[-1]"])
def test_what_the_fast_path_leaves_to_jsonpath_ng(expression: str) -> None:
    with pytest.raises(_Unsupported):
        _fast(compile_path(expression), [DOC])


@pytest.mark.parametrize(
    ("expression", "message"),
    [("$.items[", r"invalid JSONPath '\$\.items\['"), ("$$..", "invalid JSONPath"), ("", "empty")],
)
def test_invalid_paths(expression: str, message: str) -> None:
    with pytest.raises(PathError, match=message):
        compile_path(expression)


def test_a_path_on_an_odd_shape_is_a_clear_error() -> None:
    with pytest.raises(PathError, match="cannot apply"):
        select_json(compile_path("$.total[0]"), DOC)


def response(body: bytes, content_type: str = "application/json") -> ResponseData:
    return ResponseData(
        200, "OK", "HTTP/1.1", "http://x", [("Content-Type", content_type), ("X-Id", "7")], body
    )


def test_header_and_status_selectors_and_non_json_bodies() -> None:
    assert select("status", response(b"{}")).value == 200
    assert select("header:x-id", response(b"{}")).value == "7"
    assert select("$.a", response(b'{"a": [1]}')).value == [1]
    with pytest.raises(PathError, match="not JSON"):
        select("$.a", response(b"<html>", "text/html"))
