"""Recommended paths: the JSONPaths a user most likely wants from a response.

Leaf fields first, ranked: identifiers, names and tokens before the rest, shallower
before deeper, fields of the items of a list (``$.items[*].id``) as one path each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .datatypes import flatten, join_kinds
from .selector import compile_path, select_json

_FAVOURITES = (
    "id",
    "uuid",
    "name",
    "title",
    "email",
    "token",
    "access_token",
    "refresh_token",
    "url",
    "status",
    "total",
    "count",
    "next",
    "cursor",
    "price",
    "amount",
    "message",
)


@dataclass(frozen=True, slots=True)
class Recommendation:
    path: str  # a JSONPath, "$.items[*].id"
    kind: str
    example: Any
    is_list: bool


def _score(path: str, kind: str) -> tuple[int, int, int, str]:
    leaf = path.rsplit(".", 1)[-1].rsplit("[", 1)[0].strip("'").lower()
    favourite = _FAVOURITES.index(leaf) if leaf in _FAVOURITES else len(_FAVOURITES)
    if kind == "null":
        favourite = len(_FAVOURITES) + 1  # nothing to see yet
    if favourite == len(_FAVOURITES) and (leaf.endswith("_id") or leaf.endswith("id")):
        favourite = 1
    depth = path.count(".") + path.count("[")
    return (favourite, depth, len(path), path)


def recommend(document: Any, limit: int = 30) -> list[Recommendation]:
    found: list[Recommendation] = []
    for path, kinds in flatten(document).items():
        kinds = kinds - {"null"} or kinds
        if path == "$" or kinds & {"object"} or any(k.startswith("list<object") for k in kinds):
            continue  # containers: their fields are recommended instead
        jsonpath = "$" + ("" if path.startswith("[") else ".") + path
        selection = select_json(compile_path(jsonpath), document)
        example = selection.values[0] if selection.values else None
        kind = join_kinds(kinds - {"null"}) if kinds - {"null"} else "null"
        found.append(Recommendation(jsonpath, kind, example, "[*]" in path))
    found.sort(key=lambda r: _score(r.path, r.kind))
    return found[:limit]
