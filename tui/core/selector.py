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
    """Whether a path can match more than one value (wildcards, slices, filters...)."""
    text = str(path)
    return any(token in text for token in ("*", "..", "?", ":", ",")) or "[?" in text


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
    return Selection([m.value for m in path.find(document)], is_list_path(path))
