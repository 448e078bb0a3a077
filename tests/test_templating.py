"""Templating: references, escapes, resolution order, types, JSON-aware rendering."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tui.core.errors import BodyError, TemplateError, VariableError
from tui.core.models import Variable
from tui.core.templating import (
    Layer,
    Scope,
    coerce,
    parse,
    references,
    render_json,
    render_text,
    render_value,
)


def scope(values: dict[str, Any] | None = None, **declared: Variable) -> Scope:
    """Values given for this run: used as typed, never re-rendered."""
    return Scope([Layer("run", values or {}, templated=False)], declarations=dict(declared))


def file_scope(values: dict[str, Any]) -> Scope:
    """Values from files (environments, defaults): they may refer to other variables."""
    return Scope([Layer("environment", values)])


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        ("plain", {}, "plain"),
        ("/users/{{id}}", {"id": 7}, "/users/7"),
        ("{{ id }}-{{id}}", {"id": "a"}, "a-a"),
        ("{{flag}}", {"flag": True}, "true"),
        ("{{tags}}", {"tags": ["a", 1]}, '["a",1]'),
        ("{{obj}}", {"obj": {"k": None}}, '{"k":null}'),
        ("{{x.y-z}}", {"x.y-z": "dotted"}, "dotted"),
        (r"\{{literal}}", {}, "{{literal}}"),
        (r"a \{{b}} {{c}}", {"c": 1}, "a {{b}} 1"),
        ("{single}", {}, "{single}"),
    ],
)
def test_render_text(template: str, values: dict[str, Any], expected: str) -> None:
    assert render_text(template, scope(values), "url") == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("/a/{{id", r"url: '\{\{' at position 4 is never closed"),
        ("{{not a name}}", r"url: \{\{not a name\}\} is not a variable name"),
        ("{{$nope}}", r"unknown built-in \{\{\$nope\}\}"),
    ],
)
def test_bad_templates_name_the_field(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        render_text(template, scope({"id": 1}), "url")


def test_missing_variable_names_itself_and_the_field() -> None:
    with pytest.raises(VariableError, match=r"variable 'email' \(used in body\) has no value"):
        render_text("{{email}}", scope(), "body")


def test_optional_variable_renders_empty_and_drops_out_as_a_whole_value() -> None:
    s = scope(tag=Variable("tag", required=False))
    assert render_text("t={{tag}}", s, "url") == "t="
    assert render_value("{{tag}}", s, "query.tag") is None
    assert render_json('{"t": {{tag}}, "s": "{{tag}}"}', s) == '{"t": null, "s": ""}'


def test_resolution_order_first_layer_wins_and_source_is_recorded() -> None:
    s = Scope(
        [
            Layer("run", {"a": "run"}),
            Layer("session", {"a": "session", "b": "session"}),
            Layer("environment dev", {"b": "env", "c": "env"}),
            Layer("call x", {"c": "call", "d": "call"}),
            Layer("collection y", {"d": "collection", "e": "collection"}),
        ]
    )
    assert (
        render_text("{{a}} {{b}} {{c}} {{d}} {{e}}", s, "url") == "run session env call collection"
    )
    assert {n: r.source for n, r in s.used.items()} == {
        "a": "run",
        "b": "session",
        "c": "environment dev",
        "d": "call x",
        "e": "collection y",
    }


def test_nested_variables_and_loops() -> None:
    s = file_scope({"host": "127.0.0.1", "base": "http://{{host}}:1"})
    assert render_text("{{base}}/x", s, "url") == "http://127.0.0.1:1/x"
    with pytest.raises(VariableError, match="loop: a -> b -> a"):
        render_text("{{a}}", file_scope({"a": "{{b}}", "b": "{{a}}"}), "url")
    # A value typed for this run is taken as is, braces and all.
    assert render_text("{{v}}", scope({"v": "{{x}}"}), "url") == "{{x}}"


def test_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CB_TEST_VALUE", "from-env")
    s = scope()
    uuid.UUID(render_text("{{$uuid}}", s, "h"))
    assert render_text("{{$timestamp}}", s, "h").isdigit()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", render_text("{{$isoTimestamp}}", s, "h")
    )
    assert 0 <= int(render_text("{{$randomInt}}", s, "h")) <= 1000
    assert render_text("{{$env.CB_TEST_VALUE}}", s, "h") == "from-env"
    with pytest.raises(VariableError, match="environment variable CB_MISSING_X"):
        render_text("{{$env.CB_MISSING_X}}", s, "h")


@pytest.mark.parametrize(
    ("value", "var_type", "expected"),
    [
        ("3", "integer", 3),
        (3.0, "integer", 3),
        ("2.5", "number", 2.5),
        ("4", "number", 4),
        ("yes", "boolean", True),
        ("false", "boolean", False),
        ('{"a": [1]}', "json", {"a": [1]}),
        ("null", "json", None),
        ("[1, 2]", "list", [1, 2]),
        ("a, b", "list", ["a", "b"]),
        ("", "list", []),
        (12, "string", "12"),
        ("x.png", "file", "x.png"),
    ],
)
def test_coerce(value: Any, var_type: str, expected: Any) -> None:
    assert coerce(value, var_type, "v") == expected


@pytest.mark.parametrize(
    ("value", "var_type"),
    [
        ("x", "integer"),
        ("1.5", "integer"),
        (True, "integer"),
        ("x", "number"),
        ("maybe", "boolean"),
        ("{", "json"),
        ("[1, ", "list"),
    ],
)
def test_coerce_refuses(value: Any, var_type: str) -> None:
    with pytest.raises(VariableError, match=r"variable 'v' \(used in body\) must be"):
        coerce(value, var_type, "v", "body")


def test_declared_type_coerces_values_from_the_command_line() -> None:
    s = scope(
        {"qty": "3", "gift": "true", "tags": "a,b"},
        qty=Variable("qty", "integer"),
        gift=Variable("gift", "boolean"),
        tags=Variable("tags", "list"),
    )
    body = render_json('{"qty": {{qty}}, "gift": {{gift}}, "tags": {{tags}}}', s)
    assert json.loads(body) == {"qty": 3, "gift": True, "tags": ["a", "b"]}


@pytest.mark.parametrize(
    "value",
    ['He said "hi"', "two\nlines", "back\\slash", "tab\tand unicode é ☃", "{{not}} a template"],
)
def test_strings_inside_json_strings_stay_valid(value: str) -> None:
    body = render_json('{"note": "before {{v}} after", "whole": {{v}}}', scope({"v": value}))
    assert json.loads(body) == {"note": f"before {value} after", "whole": value}


def test_escaped_quotes_in_the_template_keep_string_tracking() -> None:
    body = render_json(r'{"a": "x \" {{v}}", "n": {{n}}}', scope({"v": 'q"', "n": 2}))
    assert json.loads(body) == {"a": 'x " q"', "n": 2}


def test_invalid_json_after_templating_names_line_and_column() -> None:
    with pytest.raises(BodyError, match=r"body: invalid JSON after templating at line 2, column"):
        render_json('{\n  "a": {{v}} "b": 1\n}', scope({"v": 1}))


def test_references_lists_names_once_without_builtins() -> None:
    assert references("{{a}}/{{b}}?x={{a}}&t={{$uuid}}\\{{c}}") == ["a", "b"]
    assert [type(p).__name__ for p in parse("a{{b}}c")] == ["Literal", "Reference", "Literal"]
