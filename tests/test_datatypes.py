"""Data types from responses: inference, merging over samples, drift, --check-type."""

from __future__ import annotations

import os
import subprocess
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write
from tui.core.datatypes import DataType, FieldType, check, infer, merge
from tui.core.recommend import recommend
from tui.core.workspace import load_workspace

SAMPLE: dict[str, Any] = {
    "id": 1,
    "name": "Teapot",
    "price": 18.5,
    "tags": ["kitchen"],
    "next": None,
    "stock": {"count": 3, "warehouses": [{"code": "N", "qty": 2}]},
}


def fields(data_type: DataType) -> dict[str, str]:
    return {path: str(kind) for path, kind in data_type.fields.items()}


def test_inference() -> None:
    assert fields(infer(SAMPLE)) == {
        "$": "object",
        "id": "integer",
        "name": "string",
        "next": "null",
        "price": "number",
        "stock": "object",
        "stock.count": "integer",
        "stock.warehouses": "list<object>",
        "stock.warehouses[*].code": "string",
        "stock.warehouses[*].qty": "integer",
        "tags": "list<string>",
    }
    assert fields(infer([{"a": 1}, {"a": 2.5, "b": "x"}])) == {
        "$": "list<object>",
        "[*].a": "number",
        "[*].b": "string",
    }


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ({**SAMPLE, "next": "abc"}, {"next": "string, nullable"}),
        ({**SAMPLE, "price": 18}, {"price": "number"}),
        ({k: v for k, v in SAMPLE.items() if k != "name"}, {"name": "string, optional"}),
        ({**SAMPLE, "new": True}, {"new": "boolean, optional"}),
        ({**SAMPLE, "id": "1"}, {"id": "any"}),
        ({**SAMPLE, "tags": []}, {"tags": "list<string>"}),
        (
            {**SAMPLE, "stock": {"count": 1, "warehouses": []}},
            {"stock.warehouses[*].code": "string"},
        ),
    ],
)
def test_merging_a_second_sample(second: dict[str, Any], expected: dict[str, str]) -> None:
    merged = merge(infer(SAMPLE), second)
    assert merged.samples == 2
    for path, kind in expected.items():
        assert fields(merged)[path] == kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (SAMPLE, []),
        ({**SAMPLE, "price": 18}, []),  # an integer is a number
        ({**SAMPLE, "id": "1"}, ["changed id: integer -> string"]),
        ({k: v for k, v in SAMPLE.items() if k != "name"}, ["missing name: expected string"]),
        ({**SAMPLE, "extra": 1}, ["new extra: integer"]),
        ({**SAMPLE, "tags": [1]}, ["changed tags: list<string> -> list<integer>"]),
        (
            {**SAMPLE, "stock": {"count": 1, "warehouses": [{"code": "S"}]}},
            ["missing stock.warehouses[*].qty: expected integer"],
        ),
        ({**SAMPLE, "stock": None}, ["changed stock: object -> null"]),
    ],
)
def test_drift(value: dict[str, Any], expected: list[str]) -> None:
    assert [str(d) for d in check(infer(SAMPLE), value)] == expected


def test_nullable_and_optional_fields_do_not_drift() -> None:
    data_type = merge(
        merge(infer(SAMPLE), {**SAMPLE, "next": "x"}),
        {k: v for k, v in SAMPLE.items() if k != "name"},
    )
    assert check(data_type, {k: v for k, v in SAMPLE.items() if k != "name"}) == []
    assert check(data_type, {**SAMPLE, "next": None}) == []


@pytest.mark.parametrize(
    "text", ["string", "list<integer>, nullable", "number, nullable, optional"]
)
def test_field_type_round_trips(text: str) -> None:
    assert str(FieldType.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "message"), [("date", "not a type"), ("string, maybe", "unknown flag")]
)
def test_bad_field_types(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FieldType.parse(text)


def test_recommended_paths_rank_ids_and_names_first() -> None:
    paths = [
        r.path
        for r in recommend(
            {"items": [{"sku": "a", "id": 1, "name": "n"}], "total": 1, "meta": {"deep": {"x": 1}}}
        )
    ]
    assert paths[:3] == ["$.items[*].id", "$.items[*].name", "$.total"]
    assert "$.meta.deep.x" in paths and "$.items" not in paths


def test_a_stored_type_that_is_malformed_is_a_file_error(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "a/collection.toml": "",
            "a/x.toml": 'url = "/"\n[data_type]\nsamples = 1\n[data_type.fields]\nid = "date"\n',
        },
    )
    problem = load_workspace(root).problems[root / "a/x.toml"]
    assert "x.toml:5: data_type.fields.id: 'date' is not a type" in str(problem)


def test_cli_save_type_then_check_type_against_a_changing_server(
    tmp_path: Path, server_url: str
) -> None:
    key = uuid.uuid4().hex
    root = write(
        tmp_path,
        {
            "a/collection.toml": f'base_url = "{server_url}"\n',
            "a/shape.toml": f'# keep this comment\nurl = "/shape?key={key}"\n',
        },
    )

    def run(*flags: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["callbench", "run", "a/shape", "-w", str(root), *flags],
            capture_output=True,
            text=True,
            timeout=30,
            env=os.environ.copy(),
        )

    first = run("--save-type")
    assert first.returncode == 0, first.stderr
    assert "saved the data type of a/shape (1 sample(s)" in first.stderr
    text = (root / "a/shape.toml").read_text()
    assert text.startswith("# keep this comment\n")
    assert tomllib.loads(text)["data_type"]["fields"]["id"] == "integer"
    second = run("--check-type", "--save-type")  # next: a string now: still fits (nullable)
    assert second.returncode == 0, second.stderr
    assert tomllib.loads((root / "a/shape.toml").read_text())["data_type"]["fields"]["next"] == (
        "string, nullable"
    )
    third = run("--check-type")
    assert third.returncode == 1
    assert "drifted from its type" in third.stderr
    assert "changed id: integer -> string" in third.stderr
    assert "missing name: expected string" in third.stderr
    assert "new extra: boolean" in third.stderr
