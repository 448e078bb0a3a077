"""Export a prepared request as a curl command line, secrets masked unless revealed."""

from __future__ import annotations

import shlex

from .exchange import header_pairs
from .redact import redact_text
from .request_builder import PreparedRequest

# httpx adds these itself; curl has its own defaults, so they are left out.
_IMPLICIT = {"host", "content-length"}


def to_curl(prepared: PreparedRequest, *, reveal: bool = False) -> str:
    secrets = [] if reveal else prepared.secrets

    def q(text: str) -> str:
        return shlex.quote(redact_text(text, secrets))

    request = prepared.request
    parts = ["curl"]
    if request.method != "GET" or request.content:
        parts += ["-X", request.method]
    parts.append(q(str(request.url)))
    multipart = bool(prepared.parts)
    for name, value in header_pairs(request.headers):
        lower = name.lower()
        if lower in _IMPLICIT or (multipart and lower == "content-type"):
            continue
        parts += ["-H", q(f"{name}: {value}")]
    if multipart:
        for name, value, path in prepared.parts:
            parts += ["-F", q(f"{name}=@{path}" if path else f"{name}={value}")]
    elif request.content:
        parts += ["--data-binary", q(request.content.decode("utf-8", errors="replace"))]
    if prepared.options.follow_redirects:
        parts.append("-L")
    if prepared.transport.verify is False:
        parts.append("-k")
    elif isinstance(prepared.transport.verify, str) and prepared.transport.verify:
        parts += ["--cacert", q(prepared.transport.verify)]
    if prepared.transport.proxy:
        parts += ["-x", q(prepared.transport.proxy)]
    parts += ["--max-time", f"{prepared.options.timeout:g}"]
    return " ".join(parts)
