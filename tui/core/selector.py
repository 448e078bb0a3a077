"""One selector language for ``--path``, ``[paths]`` and ``[[extract]]``.

A selector is a JSONPath (jsonpath-ng's ``ext`` parser: filters, slices, wildcards,
recursive descent, arithmetic), ``header:Name`` for a response header, or ``status``.
Compiled JSONPaths are cached: a named path runs on every response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonpath_ng import JSONPath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext import parse as _parse_ext
from jsonpath_ng.jsonpath import Child, Fields, Index, Root, Slice, This

from .errors import PathError
from .exchange import ResponseData

_POSITION = re.compile(r"line (\d+), col(?:umn)? (\d+)|at (\d+)|position (\d+)", re.I)


@dataclass(frozen=True, slots=True)
class Selection:
    """The values a selector found; ``is_list`` when the selector can match many."""

    values: list[Any]
    is_list: bool

    @property
    def value(self) -> Any:
        """A single match as itself; several (or a list selector) as a list."""
        if self.is_list or len(self.values) != 1:
            return self.values
        return self.values[0]


@lru_cache(maxsize=512)
def compile_path(expression: str) -> JSONPath:
    """Parse a JSONPath once; a syntax error names the position when it can."""
    text = expression.strip()
    if not text:
        raise PathError("empty JSONPath")
    try:
        return _parse_ext(text)
    except (JsonPathLexerError, JsonPathParserError, Exception) as error:
        message = str(error).strip() or type(error).__name__
        match = _POSITION.search(message)
        where = ""
        if match:
            column = next(g for g in match.groups()[1:] if g is not None)
            where = f" at column {column}"
        raise PathError(f"invalid JSONPath {text!r}{where}: {message}") from None


def is_list_path(path: JSONPath) -> bool:
    """Whether a path can match many values: wildcards, slices, filters, recursion..."""
    if isinstance(path, Root | This):
        return False
    if isinstance(path, Child):
        return is_list_path(path.left) or is_list_path(path.right)
    if isinstance(path, Fields):
        return path.fields == ("*",) or len(path.fields) > 1
    if type(path) is Index:
        return len(path.indices) > 1
    return True  # slices, descendants, filters, operations: possibly many


def select(selector: str, response: ResponseData) -> Selection:
    """Apply a selector to a response."""
    text = selector.strip()
    if text == "status":
        return Selection([response.status], False)
    if text.lower().startswith("header:"):
        name = text[7:].strip()
        values = [v for k, v in response.headers if k.lower() == name.lower()]
        return Selection(values, False)
    path = compile_path(text)
    try:
        document = response.json
    except ValueError as error:
        raise PathError(f"cannot apply {text!r}: {error}") from None
    return select_json(path, document)


def select_json(path: JSONPath, document: Any) -> Selection:
    try:
        values = _fast(path, [document])
    except _Unsupported:
        try:
            values = [m.value for m in path.find(document)]
        except Exception as error:  # jsonpath-ng raises plain TypeErrors on odd shapes
            raise PathError(f"cannot apply {path}: {error}") from None
    return Selection(values, is_list_path(path))


class _Unsupported(Exception):
    """The expression needs jsonpath-ng's own evaluation."""


def _fast(path: JSONPath, nodes: list[Any]) -> list[Any]:
    """Evaluate the plain parts of jsonpath-ng's parsed expression directly.

    ``$.items[*].id`` on 300,000 items: jsonpath-ng builds a context object per match
    (seconds); this walks the parsed tree over plain values (milliseconds). Only root,
    child, field, index and slice steps on the values they are meant for are handled;
    anything else (filters, recursive descent, arithmetic, a slice of a non-list...)
    falls back to jsonpath-ng, whose results this must always equal.
    """
    if isinstance(path, Root | This):
        return nodes
    if isinstance(path, Child):
        return _fast(path.right, _fast(path.left, nodes))
    if isinstance(path, Fields):
        out: list[Any] = []
        for node in nodes:
            if not isinstance(node, dict):
                raise _Unsupported
            if path.fields == ("*",):
                out.extend(node.values())
            else:
                out.extend(node[name] for name in path.fields if name in node)
        return out
    if isinstance(path, Slice) and type(path) is Slice:
        out = []
        for node in nodes:
            if not isinstance(node, list):
                raise _Unsupported
            out.extend(node[path.start : path.end : path.step])
        return out
    if isinstance(path, Index) and type(path) is Index:
        out = []
        indices = path.indices
        if not all(isinstance(i, int) and i >= 0 for i in indices):
            raise _Unsupported
        for node in nodes:
            if not isinstance(node, list):
                raise _Unsupported
            out.extend(node[i] for i in indices if len(node) > i)
        return out
    raise _Unsupported
