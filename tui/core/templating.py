"""``{{variables}}`` in strings and JSON bodies.

A :class:`Scope` answers "what is the value of this name": it looks through the layers in
DESIGN.md's order (values given for this run, values extracted earlier, the environment,
the call's defaults, the collection's defaults), coerces the value to the variable's
declared type and remembers where it came from. Rendering then inserts values as text,
or, inside a JSON body, as JSON that stays valid whatever the value holds.

Write ``\\{{`` for a literal ``{{``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .errors import BodyError, TemplateError, VariableError
from .models import Variable

_TOKEN = re.compile(r"\\\{\{|\{\{(.*?)\}\}|\{\{", re.S)
_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.\-]*|\$[A-Za-z]+|\$env\.[A-Za-z_][A-Za-z0-9_]*)$")
BUILTINS = ("$uuid", "$timestamp", "$isoTimestamp", "$randomInt")
_MAX_DEPTH = 10


@dataclass(frozen=True, slots=True)
class Reference:
    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Literal:
    text: str


Part = Reference | Literal


def parse(template: str, where: str = "") -> list[Part]:
    """Split a template into literal text and references; a stray ``{{`` is an error."""
    parts: list[Part] = []
    position = 0
    for match in _TOKEN.finditer(template):
        if match.start() > position:
            parts.append(Literal(template[position : match.start()]))
        token = match.group(0)
        if token == "\\{{":
            parts.append(Literal("{{"))
        elif match.group(1) is None:
            raise TemplateError(
                f"{where or 'template'}: '{{{{' at position {match.start() + 1} is never "
                "closed with '}}'; write \\{{ for a literal {{"
            )
        else:
            name = match.group(1).strip()
            if not _NAME.match(name):
                raise TemplateError(
                    f"{where or 'template'}: {{{{{match.group(1)}}}}} is not a variable "
                    "name (letters, digits, _ . -) or a built-in like {{$uuid}}"
                )
            parts.append(Reference(name, match.start(), match.end()))
        position = match.end()
    if position < len(template):
        parts.append(Literal(template[position:]))
    return parts


def references(template: str) -> list[str]:
    """Names referenced by a template, in order, without duplicates or built-ins."""
    seen: dict[str, None] = {}
    try:
        parts = parse(template)
    except TemplateError:
        return []
    for part in parts:
        if isinstance(part, Reference) and not part.name.startswith("$"):
            seen.setdefault(part.name, None)
    return list(seen)


# -- values -------------------------------------------------------------------------------


_A_TYPE = {
    "string": "a string",
    "file": "a file path",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "json": "JSON",
    "list": "a list (JSON array or comma-separated)",
}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def coerce(value: Any, var_type: str, name: str, where: str = "") -> Any:
    """Convert ``value`` (often text from the command line) to ``var_type``."""
    if value is None:
        return None
    try:
        if var_type in ("string", "file"):
            return value if isinstance(value, str) else to_text(value)
        if var_type == "integer":
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        if var_type == "number":
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, int | float):
                return value
            number = float(value)
            return int(number) if number.is_integer() and "." not in str(value) else number
        if var_type == "boolean":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError
        if var_type == "json":
            return orjson.loads(value) if isinstance(value, str) else value
        if var_type == "list":
            if isinstance(value, list):
                return value
            text = str(value).strip()
            if text.startswith("["):
                parsed = orjson.loads(text)
                if isinstance(parsed, list):
                    return parsed
                raise ValueError
            return [item.strip() for item in text.split(",")] if text else []
    except (ValueError, TypeError, orjson.JSONDecodeError):
        used = f" (used in {where})" if where else ""
        raise VariableError(
            f"variable {name!r}{used} must be {_A_TYPE[var_type]}; got {to_text(value)!r}"
        ) from None
    raise VariableError(f"variable {name!r} has an unknown type {var_type!r}")


def to_text(value: Any) -> str:
    """A value as it appears inside text: JSON for lists and tables, true/false."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return orjson.dumps(value).decode()


@dataclass(slots=True)
class Layer:
    """One source of values: a name for "where it came from" and its values."""

    source: str
    values: Mapping[str, Any]
    templated: bool = True  # values from files may refer to other variables; typed ones not


@dataclass(slots=True)
class Resolved:
    name: str
    value: Any
    source: str
    declaration: Variable | None
    secret: bool = False
    via: str = ""  # the variable whose value referred to this one, if any


@dataclass
class Scope:
    """Variable lookup for one request: layers in priority order plus declarations.

    ``secret_lookup`` is asked for a secret variable's value when no layer above the
    environment gave one; it raises VariableError naming the ways to provide it.
    """

    layers: list[Layer]
    declarations: dict[str, Variable] = field(default_factory=dict)
    secret_lookup: Callable[[str], str | None] | None = None
    secret_position: int = 0
    # True where a present None means "null" (an endpoint's optional input that did not
    # come, request.json without a JSON body); otherwise None means "not set here".
    none_is_value: bool = False
    # Values made from secrets (a basic-auth header): masked like the secrets themselves.
    derived_secrets: list[str] = field(default_factory=list)
    used: dict[str, Resolved] = field(default_factory=dict)
    _stack: list[str] = field(default_factory=list)

    @property
    def secret_values(self) -> list[str]:
        """Secret values used so far, for redaction."""
        own = [to_text(r.value) for r in self.used.values() if r.secret and r.value]
        return own + self.derived_secrets

    def resolve(self, name: str, where: str) -> Resolved | None:
        """The value of ``name``; None for an empty optional; an error if missing."""
        if name in self.used:
            return self.used[name]
        declaration = self.declarations.get(name)
        secret = bool(declaration and declaration.secret)
        found: Resolved | None = None
        templated = False
        for index, layer in enumerate(self.layers):
            if secret and index == self.secret_position:
                found = self._from_secret_store(name, declaration)
                if found:
                    break
            if name in layer.values and (layer.values[name] is not None or self.none_is_value):
                found = Resolved(name, layer.values[name], layer.source, declaration, secret)
                templated = layer.templated
                break
        if found is None and secret and self.secret_position >= len(self.layers):
            found = self._from_secret_store(name, declaration)
        if found is None or (found.value is None and self.none_is_value):
            if found is not None or (declaration is not None and not declaration.required):
                return None
            raise VariableError(_missing_message(name, where, secret))
        if self._stack:
            found.via = self._stack[-1]
        if declaration is not None:
            found.value = coerce(found.value, declaration.type, name, where)
        if templated and isinstance(found.value, str) and "{{" in found.value:
            found.value = self._nested(name, found.value, where)
        self.used[name] = found
        return found

    def _from_secret_store(self, name: str, declaration: Variable | None) -> Resolved | None:
        if self.secret_lookup is None:
            return None
        value = self.secret_lookup(name)
        if value is None:
            return None
        return Resolved(name, value, "secret", declaration, True)

    def _nested(self, name: str, value: str, where: str) -> str:
        if name in self._stack or len(self._stack) >= _MAX_DEPTH:
            chain = " -> ".join([*self._stack, name])
            raise VariableError(f"variables refer to each other in a loop: {chain}")
        self._stack.append(name)
        try:
            return render_text(value, self, f"{where} (through variable {name!r})")
        finally:
            self._stack.pop()

    def value(self, name: str, where: str) -> Any:
        """The typed value of a reference, built-ins included; None for empty optional."""
        if name.startswith("$"):
            return builtin(name, where)
        resolved = self.resolve(name, where)
        return None if resolved is None else resolved.value


def _missing_message(name: str, where: str, secret: bool) -> str:
    if secret:
        return (
            f"secret {name!r} (used in {where}) has no value: set it with "
            f"'callbench secret set {name}', or the environment variable "
            f"CALLBENCH_SECRET_{env_suffix(name)}, or give it with -v {name}=VALUE"
        )
    return (
        f"variable {name!r} (used in {where}) has no value: give it with -v {name}=VALUE, "
        "in the active environment, or as a default in the call or collection"
    )


def env_suffix(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def builtin(name: str, where: str) -> Any:
    if name == "$uuid":
        return str(uuid.uuid4())
    if name == "$timestamp":
        return int(time.time())
    if name == "$isoTimestamp":
        return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if name == "$randomInt":
        return random.randint(0, 1000)
    if name.startswith("$env."):
        env_name = name[5:]
        if env_name not in os.environ:
            raise VariableError(f"environment variable {env_name} (used in {where}) is not set")
        return os.environ[env_name]
    known = ", ".join([*BUILTINS, "$env.NAME"])
    raise TemplateError(f"{where}: unknown built-in {{{{{name}}}}} (built-ins: {known})")


# -- rendering ----------------------------------------------------------------------------


def render_text(template: str, scope: Scope, where: str) -> str:
    if "{{" not in template:
        return template
    out: list[str] = []
    for part in parse(template, where):
        if isinstance(part, Literal):
            out.append(part.text)
        else:
            out.append(to_text(scope.value(part.name, where)))
    return "".join(out)


def whole_reference(template: str) -> str | None:
    """The name when the template is exactly one ``{{name}}``, else None."""
    stripped = template.strip()
    if not (stripped.startswith("{{") and stripped.endswith("}}")):
        return None
    parts = parse(stripped)
    if len(parts) == 1 and isinstance(parts[0], Reference):
        return parts[0].name
    return None


def render_value(template: str, scope: Scope, where: str) -> Any:
    """A parameter's typed value: a whole ``{{name}}`` keeps its type (a list stays a
    list, an empty optional variable is None); anything else renders as text."""
    name = whole_reference(template)
    if name is not None:
        return scope.value(name, where)
    return render_text(template, scope, where)


def _string_spans(parts: list[Part]) -> Iterator[tuple[Part, bool]]:
    """Each part with whether it stands inside a JSON string literal."""
    in_string = False
    for part in parts:
        if isinstance(part, Reference):
            yield part, in_string
            continue
        yield part, in_string
        escaped = False
        for char in part.text:
            if escaped:
                escaped = False
            elif char == "\\" and in_string:
                escaped = True
            elif char == '"':
                in_string = not in_string


def render_json(template: str, scope: Scope, where: str = "body") -> str:
    """Render a JSON body: values inside strings are escaped, whole values typed.

    The result is checked; invalid JSON is refused with its line and column.
    """
    if "{{" in template:
        out: list[str] = []
        for part, in_string in _string_spans(parse(template, where)):
            if isinstance(part, Literal):
                out.append(part.text)
                continue
            value = scope.value(part.name, where)
            if in_string:
                out.append(json.dumps(to_text(value), ensure_ascii=False)[1:-1])
            else:
                out.append(orjson.dumps(value).decode())
        text = "".join(out)
    else:
        text = template
    check_json(text, where)
    return text


def check_json(text: str, where: str) -> None:
    if not text.strip():
        return
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise BodyError(
                f"{where}: invalid JSON after templating at line {error.lineno}, "
                f"column {error.colno}: {error.msg}"
            ) from None
        except ValueError as error:  # json accepts a few things orjson refuses
            raise BodyError(f"{where}: invalid JSON after templating: {error}") from None


def json_template_problem(template: str) -> str | None:
    """Whether a JSON body template is valid JSON whatever its variables hold.

    References inside strings become empty text and standing ones ``0``; the result is
    parsed. Returns a message with line and column, or None when it is fine. Used for
    live validation while a body is edited, before any variable has a value.
    """
    try:
        parts = list(_string_spans(parse(template, "body")))
    except TemplateError as error:
        return str(error)
    text = "".join(
        part.text if isinstance(part, Literal) else ("" if in_string else "0")
        for part, in_string in parts
    )
    try:
        check_json(text, "body")
    except BodyError as error:
        return str(error).replace(" after templating", "")
    return None
