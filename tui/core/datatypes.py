"""Data types inferred from JSON responses, merged over samples, checked for drift.

A data type is a flat map from a path (``items[*].id``, the JSONPath without ``$.``; the
root is ``$``) to a type: ``string``, ``integer``, ``number``, ``boolean``, ``object``,
``list<T>``, ``null`` or ``any``, followed by ``, nullable`` when the value was seen as
null and ``, optional`` when some sample lacked the field. Flat keys keep a call file
readable and diffable, and every key is a ready JSONPath.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SCALARS = ("string", "integer", "number", "boolean", "object", "null", "any")
_TYPE = re.compile(r"^(string|integer|number|boolean|object|null|any|list<[a-z<>]*>)$")
FLAGS = ("nullable", "optional")


@dataclass(frozen=True, slots=True)
class FieldType:
    kind: str
    nullable: bool = False
    optional: bool = False

    def __str__(self) -> str:
        flags = [name for name in FLAGS if getattr(self, name)]
        return ", ".join([self.kind, *flags])

    @classmethod
    def parse(cls, text: str) -> FieldType:
        """``"list<string>, nullable"``; raises ValueError naming what is wrong."""
        parts = [p.strip() for p in text.split(",")]
        kind = parts[0]
        if not _TYPE.match(kind):
            raise ValueError(
                f"{kind!r} is not a type (string, integer, number, boolean, object, "
                "list<...>, null, any)"
            )
        flags = parts[1:]
        unknown = [f for f in flags if f not in FLAGS]
        if unknown:
            raise ValueError(f"unknown flag {unknown[0]!r} (flags: nullable, optional)")
        return cls(kind, "nullable" in flags, "optional" in flags)


@dataclass(slots=True)
class DataType:
    """What a call's responses look like: ``fields`` by path, from ``samples`` samples."""

    fields: dict[str, FieldType] = field(default_factory=dict)
    samples: int = 0

    def to_toml(self) -> dict[str, Any]:
        return {"samples": self.samples, "fields": {k: str(v) for k, v in self.fields.items()}}


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        inner = {kind_of(v) for v in value} - {"null"}
        return f"list<{_join(inner)}>"
    return "any"


def _join(kinds: set[str]) -> str:
    if not kinds:
        return "any"
    if kinds == {"integer", "number"}:
        return "number"
    return kinds.pop() if len(kinds) == 1 else "any"


def _child(path: str, key: str) -> str:
    plain = key.isidentifier()
    if path == "$":
        return key if plain else f"['{key}']"
    return f"{path}.{key}" if plain else f"{path}['{key}']"


def flatten(value: Any) -> dict[str, set[str]]:
    """Every path in ``value`` with the kinds seen there (a list's items as ``[*]``)."""
    seen: dict[str, set[str]] = {}

    def walk(path: str, node: Any) -> None:
        seen.setdefault(path, set()).add(kind_of(node))
        if isinstance(node, dict):
            for key, child in node.items():
                walk(_child(path, key), child)
        elif isinstance(node, list):
            item_path = "[*]" if path == "$" else f"{path}[*]"
            for child in node:
                if isinstance(child, dict | list):
                    walk(item_path, child)

    walk("$", value)
    return seen


def infer(value: Any) -> DataType:
    return merge(DataType(), value)


def merge(data_type: DataType, value: Any) -> DataType:
    """``data_type`` widened by one more sample."""
    sample = flatten(value)
    first = data_type.samples == 0
    fields: dict[str, FieldType] = {}
    for path in {*data_type.fields, *sample}:
        old = data_type.fields.get(path)
        kinds = sample.get(path)
        if old is None:
            assert kinds is not None
            if not _worth_keeping(path, kinds):
                continue
            solid = kinds - {"null"}
            fields[path] = FieldType(
                join_kinds(solid) if solid else "null",
                nullable="null" in kinds and bool(solid),
                optional=not first,  # earlier samples did not have it
            )
        elif kinds is None:
            optional = old.optional or _parent_in(path, sample)
            fields[path] = FieldType(old.kind, old.nullable, optional)
        else:
            seen = kinds - {"null"}
            if old.kind != "null":
                seen.add(old.kind)
            kind = join_kinds(seen) if seen else "null"
            fields[path] = FieldType(
                kind,
                nullable=kind != "null" and (old.nullable or "null" in kinds or old.kind == "null"),
                optional=old.optional,
            )
    ordered = dict(sorted(fields.items(), key=lambda item: _order(item[0])))
    return DataType(ordered, data_type.samples + 1)


def _worth_keeping(path: str, kinds: set[str]) -> bool:
    """``items[*] = object`` says nothing ``items = list<object>`` does not."""
    return not (path.endswith("[*]") and kinds <= {"object", "null"})


def join_kinds(kinds: set[str]) -> str:
    lists = {k for k in kinds if k.startswith("list<")}
    if lists and lists != kinds:
        return "any"
    if lists:
        inner = {k[5:-1] for k in lists} - {"any"} or {"any"}
        return f"list<{_join(inner)}>"
    return _join(set(kinds))


def _parent(path: str) -> str:
    if path.endswith("[*]"):
        return path[:-3] or "$"
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else "$"


def _parent_in(path: str, sample: dict[str, set[str]]) -> bool:
    """Whether the container ``path`` lives in came, as a container (not as null)."""
    if path == "$":
        return False
    kinds = sample.get(_parent(path), set())
    return any(k == "object" or k.startswith("list<") for k in kinds)


def _order(path: str) -> tuple[int, str]:
    return (0 if path == "$" else 1, path)


@dataclass(frozen=True, slots=True)
class Drift:
    kind: str  # missing | changed | new
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} {self.path}: {self.detail}"


def _compatible(expected: FieldType, kinds: set[str]) -> bool:
    if expected.kind == "null":
        return True  # only ever seen as null: nothing is known of its type yet
    for kind in kinds:
        if kind == "null":
            if not expected.nullable and expected.kind != "null":
                return False
        elif (
            expected.kind == "any"
            or kind == expected.kind
            or (expected.kind == "number" and kind == "integer")
        ):
            continue
        elif expected.kind.startswith("list<") and kind.startswith("list<"):
            if "any" in (expected.kind[5:-1], kind[5:-1]) or kind == "list<any>":
                continue
            if expected.kind == "list<number>" and kind == "list<integer>":
                continue
            return False
        else:
            return False
    return True


def check(data_type: DataType, value: Any) -> list[Drift]:
    """How ``value`` differs from the stored type: missing fields, changed types, new ones."""
    sample = flatten(value)
    drift: list[Drift] = []
    for path, expected in data_type.fields.items():
        kinds = sample.get(path)
        if kinds is None:
            if not expected.optional and (path == "$" or _parent_in(path, sample)):
                drift.append(Drift("missing", path, f"expected {expected}"))
        elif not _compatible(expected, kinds):
            found = ", ".join(sorted(kinds))
            drift.append(Drift("changed", path, f"{expected} -> {found}"))
    for path, kinds in sample.items():
        if path not in data_type.fields and _worth_keeping(path, kinds):
            drift.append(Drift("new", path, ", ".join(sorted(kinds))))
    return sorted(drift, key=lambda d: (_order(d.path), d.kind))


_DEFAULTS: dict[str, Any] = {"string": "", "integer": 0, "number": 0, "boolean": False}


def members(data_type: DataType) -> list[tuple[str, FieldType]]:
    """The top-level fields of an object type: one form field each."""
    return [
        (path, kind)
        for path, kind in data_type.fields.items()
        if path != "$" and "." not in path and "[" not in path
    ]


def blank_value(kind: FieldType) -> Any:
    """What a member holds before anything is typed: "", 0, false, [], {} or null."""
    if kind.nullable or kind.kind in ("null", "any"):
        return None
    if kind.kind.startswith("list<"):
        return []
    if kind.kind == "object":
        return {}
    return _DEFAULTS.get(kind.kind)
