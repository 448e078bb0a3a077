"""The workspace's data: collections, calls, environments and their parts.

Plain dataclasses with no I/O. Each part knows its canonical TOML form (``to_toml``):
defaults are left out and short forms are used where they say the same thing, so a new
file is small and a saved file changes only where the model changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .datatypes import DataType, kind_of

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
BODY_TYPES = ("none", "json", "text", "form", "multipart")
USE_AS = ("data", "action")
STREAM_MODES = ("auto", "sse", "lines", "off")
VARIABLE_TYPES = ("string", "integer", "number", "boolean", "json", "list", "file")

Scalar = str | int | float | bool
ParamValue = Scalar | list[Scalar]
TomlDict = dict[str, Any]


def infer_type(value: Any) -> str:
    """The variable type a plain TOML value stands for."""
    kind = kind_of(value)
    if kind.startswith("list<"):
        return "list"
    return kind if kind in ("string", "integer", "number", "boolean") else "json"


@dataclass(slots=True)
class Param:
    """A query parameter, header or form field; ``enabled = false`` keeps it unsent."""

    value: ParamValue
    enabled: bool = True

    def to_toml(self) -> Any:
        if self.enabled:
            return self.value
        return {"value": self.value, "enabled": False}


@dataclass(slots=True)
class Variable:
    """A declared variable: its type, default and whether it must have a value."""

    name: str
    type: str = "string"
    default: Any = None
    required: bool = True
    secret: bool = False
    description: str = ""
    data_type: str = ""  # json variables: a call whose [data_type] gives the shape

    @property
    def has_default(self) -> bool:
        return self.default is not None

    def to_toml(self) -> Any:
        plain = (
            self.default is not None
            and not isinstance(self.default, dict)
            and infer_type(self.default) == self.type
            and self.required
            and not self.secret
            and not self.description
            and not self.data_type
        )
        if plain:
            return self.default
        out: TomlDict = {}
        if self.type != "string" or self.default is None:
            out["type"] = self.type
        if self.default is not None:
            out["default"] = self.default
        if not self.required:
            out["required"] = False
        if self.secret:
            out["secret"] = True
        if self.description:
            out["description"] = self.description
        if self.data_type:
            out["data_type"] = self.data_type
        return out


@dataclass(slots=True)
class Body:
    type: str = "none"
    content: str = ""
    fields: dict[str, Param] = field(default_factory=dict)
    files: dict[str, Param] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return self.type == "none" and not self.content and not self.fields and not self.files

    def to_toml(self) -> TomlDict:
        out: TomlDict = {"type": self.type}
        if self.content:
            out["content"] = self.content
        if self.fields:
            out["fields"] = params_to_toml(self.fields)
        if self.files:
            out["files"] = params_to_toml(self.files)
        return out


@dataclass(slots=True)
class Extract:
    """After a 2xx response, set ``variable`` from a selector (JSONPath, header:, status)."""

    variable: str
    source: str
    persist: bool = False

    def to_toml(self) -> TomlDict:
        out: TomlDict = {"variable": self.variable, "from": self.source}
        if self.persist:
            out["persist"] = True
        return out


@dataclass(slots=True)
class Sample:
    """A saved response of a call: what ``mock_of`` endpoints answer with."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def to_toml(self) -> TomlDict:
        out: TomlDict = {"status": self.status}
        if self.headers:
            out["headers"] = dict(self.headers)
        out["body"] = self.body
        return out


@dataclass(slots=True)
class Options:
    timeout: float = 30.0
    follow_redirects: bool = True
    verify: bool | str = True
    proxy: str = ""
    force_utf8: bool = False
    stream: str = "auto"
    cache_ttl: float = 0
    cert: str = ""
    key: str = ""
    key_password: str = ""
    reconnect: bool = False

    def to_toml(self) -> TomlDict:
        defaults = _DEFAULT_OPTIONS
        return {
            name: getattr(self, name)
            for name in OPTION_KEYS
            if getattr(self, name) != getattr(defaults, name)
        }


OPTION_KEYS = (
    "timeout",
    "follow_redirects",
    "verify",
    "proxy",
    "force_utf8",
    "stream",
    "cache_ttl",
    "cert",
    "key",
    "key_password",
    "reconnect",
)
_DEFAULT_OPTIONS = Options()


@dataclass(slots=True)
class AuthConfig:
    """An ``[auth]`` table: its type and that type's keys (values may hold templates)."""

    type: str
    params: TomlDict = field(default_factory=dict)

    def to_toml(self) -> TomlDict:
        return {"type": self.type, **self.params}


def params_to_toml(params: dict[str, Param]) -> TomlDict:
    return {name: p.to_toml() for name, p in params.items()}


@dataclass(slots=True)
class Call:
    """One request definition, one file; ``ref`` is its path in the workspace."""

    ref: str
    name: str = ""
    method: str = "GET"
    url: str = ""
    use_as: str = "data"
    description: str = ""
    query: dict[str, Param] = field(default_factory=dict)
    headers: dict[str, Param] = field(default_factory=dict)
    body: Body = field(default_factory=Body)
    variables: dict[str, Variable] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    extract: list[Extract] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    auth: AuthConfig | None = None
    sample: Sample | None = None
    data_type: DataType | None = None
    path: Path | None = field(default=None, compare=False)

    @property
    def collection(self) -> str:
        return self.ref.split("/", 1)[0]

    @property
    def title(self) -> str:
        return self.name or self.ref.rsplit("/", 1)[-1]

    def to_toml(self) -> TomlDict:
        """The canonical document, keys in the fixed order new files use."""
        out: TomlDict = {}
        if self.name:
            out["name"] = self.name
        out["method"] = self.method
        out["url"] = self.url
        if self.use_as != "data":
            out["use_as"] = self.use_as
        if self.description:
            out["description"] = self.description
        if self.query:
            out["query"] = params_to_toml(self.query)
        if self.headers:
            out["headers"] = params_to_toml(self.headers)
        if not self.body.is_empty():
            out["body"] = self.body.to_toml()
        if self.variables:
            out["variables"] = {n: v.to_toml() for n, v in self.variables.items()}
        if self.paths:
            out["paths"] = dict(self.paths)
        if self.auth is not None:
            out["auth"] = self.auth.to_toml()
        options = self.options.to_toml()
        if options:
            out["options"] = options
        if self.sample is not None:
            out["sample"] = self.sample.to_toml()
        if self.data_type is not None:
            out["data_type"] = self.data_type.to_toml()
        if self.extract:
            out["extract"] = [e.to_toml() for e in self.extract]
        return out


@dataclass(slots=True)
class Collection:
    """A provider's calls: shared base URL, variables, headers, query and auth."""

    ref: str
    name: str = ""
    base_url: str = ""
    description: str = ""
    variables: dict[str, Variable] = field(default_factory=dict)
    headers: dict[str, Param] = field(default_factory=dict)
    query: dict[str, Param] = field(default_factory=dict)
    auth: AuthConfig | None = None
    path: Path | None = field(default=None, compare=False)

    @property
    def title(self) -> str:
        return self.name or self.ref

    def to_toml(self) -> TomlDict:
        out: TomlDict = {}
        if self.name:
            out["name"] = self.name
        if self.base_url:
            out["base_url"] = self.base_url
        if self.description:
            out["description"] = self.description
        if self.variables:
            out["variables"] = {n: v.to_toml() for n, v in self.variables.items()}
        if self.headers:
            out["headers"] = params_to_toml(self.headers)
        if self.query:
            out["query"] = params_to_toml(self.query)
        if self.auth is not None:
            out["auth"] = self.auth.to_toml()
        return out


@dataclass(slots=True)
class Environment:
    name: str
    description: str = ""
    variables: dict[str, Variable] = field(default_factory=dict)
    path: Path | None = field(default=None, compare=False)

    def to_toml(self) -> TomlDict:
        out: TomlDict = {}
        if self.description:
            out["description"] = self.description
        out["variables"] = {n: v.to_toml() for n, v in self.variables.items()}
        return out


@dataclass(slots=True)
class Settings:
    """``callbench.toml``: marks the workspace root."""

    name: str = ""
    default_environment: str = ""
    id: str = ""  # stable across clones: keys this workspace's secrets in the keyring
    serve_host: str = "127.0.0.1"
    serve_port: int = 8787
    serve_autostart: bool = False
    stream_keep: int = 100_000  # events a stream view keeps (all are counted)
