"""Incoming endpoints: what a file in ``endpoints/`` declares.

An endpoint answers one method and path (``{param}`` segments), takes typed inputs from
the path, query, headers or body, checks credentials whose expected values are secrets,
and answers with a templated body, a call's saved sample (``mock_of``) or a stream of
Server-Sent Events. It may run a workspace call after answering (``after_response``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INPUT_SOURCES = ("path", "query", "header", "body")
INPUT_TYPES = ("string", "integer", "number", "boolean", "json", "list")
SECURITY_TYPES = ("public", "bearer", "basic", "api_key")

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(slots=True)
class EndpointInput:
    name: str
    source: str = "query"
    type: str = "string"
    required: bool = True
    default: Any = None
    description: str = ""
    key: str = ""  # the header, query or body field it is read from; the name by default

    @property
    def field_name(self) -> str:
        if self.key:
            return self.key
        return self.name.replace("_", "-") if self.source == "header" else self.name


@dataclass(slots=True)
class Security:
    """Who may call: ``secret`` names the secret holding the expected token or password."""

    type: str = "public"
    secret: str = ""
    username: str = ""
    name: str = ""  # api_key: the header or query parameter
    location: str = "header"  # api_key: "header" or "query"


@dataclass(slots=True)
class SseEvent:
    data: str
    event: str = ""
    id: str = ""


@dataclass(slots=True)
class SseSpec:
    events: list[SseEvent]
    interval: float = 1.0
    repeat: int = 1  # rounds through the events; 0 = until the client leaves


@dataclass(slots=True)
class EndpointResponse:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    mock_of: str = ""
    sse: SseSpec | None = None


@dataclass(slots=True)
class AfterResponse:
    call: str
    environment: str = ""


@dataclass(slots=True)
class Endpoint:
    name: str  # the file's stem
    method: str
    path: str
    title: str = ""
    description: str = ""
    inputs: dict[str, EndpointInput] = field(default_factory=dict)
    security: Security = field(default_factory=Security)
    response: EndpointResponse = field(default_factory=EndpointResponse)
    delay: float = 0.0
    after_response: AfterResponse | None = None
    file: Path | None = None

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def route_key(self) -> tuple[str, str]:
        """Method and path with parameter names erased: two equal keys collide."""
        return self.method, _PARAM.sub("{}", self.path)

    def pattern(self) -> re.Pattern[str]:
        parts = _PARAM.split(self.path)
        regex = ""
        for index, part in enumerate(parts):
            regex += f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part)
        return re.compile(f"^{regex}/?$")
