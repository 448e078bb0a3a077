"""What was sent and what came back: the record of one request and its response."""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import httpx
import orjson

from .redact import redact_text, redact_value


def header_pairs(headers: httpx.Headers) -> list[tuple[str, str]]:
    """Headers with their names as written (httpx's items() lower-cases them)."""
    encoding = headers.encoding
    return [(k.decode(encoding), v.decode(encoding)) for k, v in headers.raw]


@dataclass(slots=True)
class SentRequest:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass
class ResponseData:
    status: int
    reason: str
    http_version: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    encoding: str = "utf-8"

    @property
    def size(self) -> int:
        return len(self.body)

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    @property
    def is_json(self) -> bool:
        kind = self.content_type
        return kind == "application/json" or kind.endswith("+json")

    def head_text(self, secrets: list[str]) -> str:
        """The status line and headers as on the wire, secrets masked, a blank line after."""
        lines = [f"{self.http_version} {self.status} {self.reason}"]
        lines += [f"{k}: {redact_text(v, secrets)}" for k, v in self.headers]
        return "\n".join(lines) + "\n\n"

    @property
    def is_text(self) -> bool:
        """Whether the body reads as text (by its type; an untyped one by its bytes)."""
        kind = self.content_type
        if kind.startswith("text/") or kind.endswith(("json", "xml", "javascript")):
            return True
        if kind in ("", "application/x-www-form-urlencoded"):
            return b"\x00" not in self.body[:8192]
        return False

    @cached_property
    def text(self) -> str:
        return self.body.decode(self.encoding, errors="replace")

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON; raises ValueError when it is not JSON."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError as error:
            raise ValueError(f"the response body is not JSON: {error}") from None


def charset_of(content_type: str | None, force_utf8: bool) -> str:
    """The codec to decode a body with: the declared charset when Python knows it."""
    if force_utf8 or not content_type:
        return "utf-8"
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            name = value.strip().strip('"').lower()
            try:
                return codecs.lookup(name).name
            except LookupError:
                return "utf-8"
    return "utf-8"


@dataclass(slots=True)
class Timing:
    """Seconds from the start of the send; None where the phase did not happen."""

    total: float = 0.0
    ttfb: float = 0.0
    connect: float | None = None
    tls: float | None = None
    send: float | None = None
    wait: float | None = None
    download: float | None = None

    def as_dict(self) -> dict[str, float | None]:
        return {
            "total": self.total,
            "ttfb": self.ttfb,
            "connect": self.connect,
            "tls": self.tls,
            "send": self.send,
            "wait": self.wait,
            "download": self.download,
        }


@dataclass
class Exchange:
    call_ref: str
    request: SentRequest
    response: ResponseData
    timing: Timing
    started_at: float
    redirects: list[tuple[int, str]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def to_json(self, *, reveal: bool = False, body: bool = True) -> dict[str, Any]:
        """A JSON-ready description; secrets are masked unless ``reveal``."""
        secrets = [] if reveal else self.secrets

        def clean(text: str) -> str:
            return redact_text(text, secrets)

        response = self.response
        out: dict[str, Any] = {
            "call": self.call_ref,
            "request": {
                "method": self.request.method,
                "url": clean(self.request.url),
                "headers": [[k, clean(v)] for k, v in self.request.headers],
                "body": clean(self.request.body.decode("utf-8", errors="replace")),
            },
            "response": {
                "status": response.status,
                "reason": response.reason,
                "http_version": response.http_version,
                "url": clean(response.url),
                "headers": [[k, clean(v)] for k, v in response.headers],
                "size": response.size,
                "encoding": response.encoding,
            },
            "timing": self.timing.as_dict(),
            "redirects": [[status, clean(url)] for status, url in self.redirects],
        }
        if body:
            if response.is_json:
                try:
                    out["response"]["json"] = redact_value(response.json, secrets)
                except ValueError:
                    out["response"]["text"] = clean(response.text)
            else:
                out["response"]["text"] = clean(response.text)
        return out
