"""Turn parsed TOML into models, refusing unknown keys and wrong types.

Each ``parse_*`` function takes the dict from tomllib plus the file's path and text,
and raises :class:`FileProblem` naming the file, the line and the key at fault.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from .datatypes import DataType, FieldType
from .errors import FileProblem
from .models import (
    BODY_TYPES,
    METHODS,
    OPTION_KEYS,
    STREAM_MODES,
    USE_AS,
    VARIABLE_TYPES,
    AuthConfig,
    Body,
    Call,
    Collection,
    Environment,
    Extract,
    Options,
    Param,
    Sample,
    Settings,
    Variable,
    infer_type,
)
from .toml_location import locate

T = TypeVar("T")

# The keys each auth type takes; ``type`` itself is implied.
AUTH_KEYS: dict[str, frozenset[str]] = {
    "inherit": frozenset(),
    "none": frozenset(),
    "api_key": frozenset({"in", "name", "value"}),
    "basic": frozenset({"username", "password"}),
    "bearer": frozenset({"token"}),
    "jwt": frozenset({"algorithm", "key", "key_file", "lifetime", "header", "prefix", "claims"}),
    "oauth2": frozenset(
        {
            "grant",
            "token_url",
            "client_id",
            "client_secret",
            "scope",
            "username",
            "password",
            "authorize_url",
            "device_url",
            "redirect_uri",
            "audience",
            "client_auth",
            "extra",
            "header",
            "prefix",
        }
    ),
    "token_from_call": frozenset({"call", "from", "header", "prefix", "lifetime", "expires_from"}),
}
OAUTH2_GRANTS = ("client_credentials", "password", "authorization_code", "device_code")
# What each grant needs beside grant and token_url.
OAUTH2_NEEDS = {
    "password": ("username",),
    "authorization_code": ("authorize_url",),
    "device_code": ("device_url",),
}
JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384")
# Keys whose values are not strings, and what they are.
_AUTH_KINDS: dict[str, tuple[type, ...]] = {
    "lifetime": (int,),
    "claims": (dict,),
    "extra": (dict,),
}
AUTH_REQUIRED: dict[str, tuple[str, ...]] = {
    "api_key": ("name", "value"),
    "basic": ("username",),
    "bearer": ("token",),
    "oauth2": ("grant", "token_url"),
    "token_from_call": ("call", "from"),
}

_TYPE_NAMES = {
    str: "a string",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    dict: "a table",
    list: "an array",
}


_MISSING: Any = object()


class Reader:
    """Reads one table of a file, remembering where it is for error messages."""

    def __init__(self, path: Path, text: str, data: dict[str, Any], at: list[str]) -> None:
        self.path = path
        self.text = text
        self.data = data
        self.at = at
        self.seen: set[str] = set()

    def fail(self, key: str | None, message: str) -> NoReturn:
        key_path = self.at + ([key] if key else [])
        raise FileProblem(
            self.path,
            message,
            line=locate(self.text, key_path),
            key=".".join(key_path) or None,
        )

    def child(self, key: str, data: dict[str, Any]) -> Reader:
        return Reader(self.path, self.text, data, [*self.at, key])

    def get(self, key: str, kinds: tuple[type, ...], default: T) -> Any | T:
        self.seen.add(key)
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            return default
        kind = type(value)  # the parser gives exact types: a cheap test first
        if kind in kinds or (kind is int and float in kinds):
            return value
        if not _is_kind(value, kinds):
            wanted = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(key, f"must be {wanted}, not {_describe(value)}")
        return value

    def string(self, key: str, default: str = "", choices: tuple[str, ...] = ()) -> str:
        value: str = self.get(key, (str,), default)
        if choices and key in self.data and value not in choices:
            self.fail(key, f"{value!r} is not one of: {', '.join(choices)}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value: bool = self.get(key, (bool,), default)
        return value

    def table(self, key: str) -> Reader | None:
        value = self.get(key, (dict,), None)
        return None if value is None else self.child(key, value)

    def finish(self, allowed: frozenset[str] | None = None) -> None:
        """Refuse keys nobody read (or, with ``allowed``, keys outside that set)."""
        known = allowed if allowed is not None else self.seen
        for key in self.data:
            if key not in known:
                hint = f"; known keys: {', '.join(sorted(known))}" if known else ""
                self.fail(key, f"unknown key{hint}")


def _is_kind(value: Any, kinds: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in kinds
    if isinstance(value, int) and not isinstance(value, bool) and float in kinds:
        return True
    return isinstance(value, kinds)


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in _TYPE_NAMES.items():
        if isinstance(value, kind):
            return name
    return type(value).__name__


# -- parts -------------------------------------------------------------------------------

_SCALARS = (str, int, float, bool)


def _param_value(reader: Reader, key: str, value: Any) -> Any:
    if isinstance(value, list):
        for item in value:
            if not _is_kind(item, _SCALARS):
                reader.fail(key, "list items must be strings, numbers or booleans")
        return value
    if not _is_kind(value, _SCALARS):
        reader.fail(key, f"must be a string, number, boolean or array, not {_describe(value)}")
    return value


def parse_params(reader: Reader | None) -> dict[str, Param]:
    """``[query]``, ``[headers]``, ``[body.fields]``: name = value or {value, enabled}."""
    if reader is None:
        return {}
    params: dict[str, Param] = {}
    for name, raw in reader.data.items():
        if isinstance(raw, dict):
            sub = reader.child(name, raw)
            if "value" not in raw:
                sub.fail(None, "a table here needs a 'value' key")
            value = _param_value(sub, "value", raw["value"])
            sub.seen.add("value")
            params[name] = Param(value, sub.boolean("enabled", True))
            sub.finish()
        else:
            params[name] = Param(_param_value(reader, name, raw))
    return params


_VARIABLE_KEYS = frozenset({"type", "default", "required", "secret", "description", "data_type"})

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "file": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "json": lambda v: True,
}


def parse_variables(reader: Reader | None, *, allow_secret: bool = True) -> dict[str, Variable]:
    if reader is None:
        return {}
    variables: dict[str, Variable] = {}
    for name, raw in reader.data.items():
        if not isinstance(raw, dict):
            variables[name] = Variable(name, infer_type(raw), raw)
            continue
        sub = reader.child(name, raw)
        declared = sub.string("type", "", VARIABLE_TYPES)
        default = raw.get("default")
        sub.seen.add("default")
        var_type = declared or (infer_type(default) if default is not None else "string")
        if default is not None and not _TYPE_CHECKS[var_type](default):
            sub.fail("default", f"must be of type {var_type}, not {_describe(default)}")
        secret = sub.boolean("secret", False)
        if secret and not allow_secret:
            sub.fail("secret", "secrets are declared in environments or collections")
        if secret and default is not None:
            sub.fail(
                "default",
                "a secret has no value in any file; set it with "
                f"'callbench secret set {name}' or CALLBENCH_SECRET_{name.upper()}",
            )
        variables[name] = Variable(
            name,
            var_type,
            default,
            required=sub.boolean("required", True),
            secret=secret,
            description=sub.string("description"),
            data_type=sub.string("data_type"),
        )
        if variables[name].data_type and var_type != "json":
            sub.fail("data_type", 'goes with type = "json" (the shape of a JSON value)')
        sub.finish(_VARIABLE_KEYS)
    return variables


def parse_auth(reader: Reader | None) -> AuthConfig | None:
    if reader is None:
        return None
    auth_type = reader.string("type", "", tuple(AUTH_KEYS))
    if not auth_type:
        reader.fail("type", f"is required; one of: {', '.join(AUTH_KEYS)}")
    allowed = AUTH_KEYS[auth_type] | {"type"}
    params: dict[str, Any] = {}
    for key, value in reader.data.items():
        if key == "type":
            continue
        if key not in allowed:
            reader.fail(key, f"unknown key for auth type {auth_type!r}")
        kinds = _AUTH_KINDS.get(key, (str,))
        if not _is_kind(value, kinds):
            wanted = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            reader.fail(key, f"must be {wanted}, not {_describe(value)}")
        params[key] = value
    for key in AUTH_REQUIRED.get(auth_type, ()):
        if key not in params:
            reader.fail(None, f"auth type {auth_type!r} needs {key!r}")
    if auth_type == "api_key" and params.get("in", "header") not in ("header", "query"):
        reader.fail("in", "must be 'header' or 'query'")
    if auth_type == "jwt":
        if params.get("algorithm", "HS256") not in JWT_ALGORITHMS:
            reader.fail("algorithm", f"is one of: {', '.join(JWT_ALGORITHMS)}")
        if ("key" in params) == ("key_file" in params):
            reader.fail(None, "auth type 'jwt' needs 'key' (a secret) or 'key_file' (a PEM)")
    if auth_type == "oauth2":
        grant = params["grant"]
        if grant not in OAUTH2_GRANTS:
            reader.fail("grant", f"is one of: {', '.join(OAUTH2_GRANTS)}")
        for key in OAUTH2_NEEDS.get(grant, ()):
            if key not in params:
                reader.fail(None, f"the oauth2 grant {grant!r} needs {key!r}")
        if params.get("client_auth", "basic") not in ("basic", "body"):
            reader.fail("client_auth", "must be 'basic' or 'body'")
    return AuthConfig(auth_type, params)


def parse_body(reader: Reader | None) -> Body:
    if reader is None:
        return Body()
    body = Body(
        type=reader.string("type", "none", BODY_TYPES),
        content=reader.string("content"),
        fields=parse_params(reader.table("fields")),
        files=parse_params(reader.table("files")),
    )
    reader.finish()
    if body.type in ("json", "text") and (body.fields or body.files):
        reader.fail("fields" if body.fields else "files", f"a {body.type} body uses 'content'")
    if body.type in ("form", "multipart") and body.content:
        reader.fail("content", f"a {body.type} body uses [body.fields]")
    if body.type == "form" and body.files:
        reader.fail("files", "files need a multipart body")
    return body


def parse_options(reader: Reader | None) -> Options:
    if reader is None:
        return Options()
    options = Options(
        timeout=float(reader.get("timeout", (float,), 30.0)),
        follow_redirects=reader.boolean("follow_redirects", True),
        verify=reader.get("verify", (bool, str), True),
        proxy=reader.string("proxy"),
        force_utf8=reader.boolean("force_utf8", False),
        stream=reader.string("stream", "auto", STREAM_MODES),
        cache_ttl=reader.get("cache_ttl", (float,), 0),
        cert=reader.string("cert"),
        key=reader.string("key"),
        key_password=reader.string("key_password"),
        reconnect=reader.boolean("reconnect", False),
    )
    if options.timeout <= 0:
        reader.fail("timeout", "must be more than 0 seconds")
    reader.finish(frozenset(OPTION_KEYS))
    return options


def parse_extract(reader: Reader) -> list[Extract]:
    raw: list[Any] = reader.get("extract", (list,), [])
    rules: list[Extract] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            reader.fail("extract", "each [[extract]] is a table")
        sub = reader.child("extract", item)
        sub.at.append(str(index))
        variable = sub.string("variable")
        source = sub.string("from")
        if not variable or not source:
            sub.fail(None, "[[extract]] needs 'variable' and 'from'")
        rules.append(Extract(variable, source, sub.boolean("persist", False)))
        sub.finish()
    return rules


def parse_sample(reader: Reader | None) -> Sample | None:
    if reader is None:
        return None
    status = reader.get("status", (int,), 200)
    if not 100 <= status <= 599:
        reader.fail("status", "must be an HTTP status from 100 to 599")
    headers: dict[str, Any] = reader.get("headers", (dict,), {})
    for name, value in headers.items():
        if not isinstance(value, str):
            reader.fail("headers", f"header {name!r} must be a string")
    sample = Sample(status, dict(headers), reader.string("body"))
    reader.finish()
    return sample


def parse_data_type(reader: Reader | None) -> DataType | None:
    if reader is None:
        return None
    samples = reader.get("samples", (int,), 1)
    fields_reader = reader.table("fields")
    fields: dict[str, FieldType] = {}
    for name, raw in (fields_reader.data if fields_reader else {}).items():
        assert fields_reader is not None
        if not isinstance(raw, str):
            fields_reader.fail(name, f"a field type is a string, not {_describe(raw)}")
        try:
            fields[name] = FieldType.parse(raw)
        except ValueError as error:
            fields_reader.fail(name, str(error))
    reader.finish()
    return DataType(fields, samples)


def parse_paths(reader: Reader | None) -> dict[str, str]:
    if reader is None:
        return {}
    for name, value in reader.data.items():
        if not isinstance(value, str):
            reader.fail(name, f"a named path is a string, not {_describe(value)}")
    return dict(reader.data)


# -- files --------------------------------------------------------------------------------


def parse_call(data: dict[str, Any], path: Path, text: str, ref: str) -> Call:
    reader = Reader(path, text, data, [])
    method = reader.string("method", "GET").upper()
    if method not in METHODS:
        reader.fail("method", f"{method!r} is not one of: {', '.join(METHODS)}")
    call = Call(
        ref=ref,
        name=reader.string("name"),
        method=method,
        url=reader.string("url"),
        use_as=reader.string("use_as", "data", USE_AS),
        description=reader.string("description"),
        query=parse_params(reader.table("query")),
        headers=parse_params(reader.table("headers")),
        body=parse_body(reader.table("body")),
        variables=parse_variables(reader.table("variables")),
        paths=parse_paths(reader.table("paths")),
        extract=parse_extract(reader),
        options=parse_options(reader.table("options")),
        auth=parse_auth(reader.table("auth")),
        sample=parse_sample(reader.table("sample")),
        data_type=parse_data_type(reader.table("data_type")),
        path=path,
    )
    reader.finish()
    return call


def parse_collection(data: dict[str, Any], path: Path, text: str, ref: str) -> Collection:
    reader = Reader(path, text, data, [])
    collection = Collection(
        ref=ref,
        name=reader.string("name"),
        base_url=reader.string("base_url"),
        description=reader.string("description"),
        variables=parse_variables(reader.table("variables")),
        headers=parse_params(reader.table("headers")),
        query=parse_params(reader.table("query")),
        auth=parse_auth(reader.table("auth")),
        path=path.parent,
    )
    reader.finish()
    return collection


def parse_environment(data: dict[str, Any], path: Path, text: str, name: str) -> Environment:
    reader = Reader(path, text, data, [])
    environment = Environment(
        name=name,
        description=reader.string("description"),
        variables=parse_variables(reader.table("variables")),
        path=path,
    )
    reader.finish()
    return environment


def parse_settings(data: dict[str, Any], path: Path, text: str) -> Settings:
    reader = Reader(path, text, data, [])
    settings = Settings(
        name=reader.string("name"),
        default_environment=reader.string("default_environment"),
        id=reader.string("id"),
    )
    settings.stream_keep = reader.get("stream_keep", (int,), 100_000)
    if settings.stream_keep < 1:
        reader.fail("stream_keep", "must be 1 or more")
    serve = reader.table("serve")
    if serve is not None:
        settings.serve_host = serve.string("host", "127.0.0.1")
        settings.serve_port = serve.get("port", (int,), 8787)
        if not 0 <= settings.serve_port <= 65535:
            serve.fail("port", "must be a port number from 0 to 65535")
        settings.serve_autostart = serve.boolean("autostart", False)
        serve.finish()
    reader.finish()
    return settings
