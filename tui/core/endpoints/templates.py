"""Starting points for new endpoint files: echo, webhook receiver, mock of a call, SSE ticker.

Every template is protected by a bearer token whose expected value is a secret named
after the endpoint: a new endpoint is never open to anyone who can reach the port.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import CallbenchError
from ..secrets import env_var_name
from ..toml_write import atomic_write
from ..workspace import ENDPOINTS_DIR
from ..workspace_ops import check_name

TEMPLATES = {
    "echo": "Echo: answers with what it received",
    "webhook": "Webhook receiver: accepts a JSON event, answers 202",
    "mock": "Mock of a call: answers with the call's saved sample response",
    "sse": "SSE ticker: a stream of events, one a second",
}


def _security(secret: str) -> str:
    return (
        "# Never open by default: the expected token is the secret below. Give it a value\n"
        f"# with `callbench secret set {secret}` or the variable {env_var_name(secret)}.\n"
        f'[security]\ntype = "bearer"\nsecret = "{secret}"\n'
    )


def template_text(kind: str, name: str, call: str = "") -> str:
    secret = f"{name.replace('-', '_')}_token"
    head = f'name = "{name}"\n'
    if kind == "echo":
        return (
            head + f'method = "POST"\npath = "/{name}"\n\n' + _security(secret) + "\n[response]\n"
            "body = '''\n"
            '{"method": "{{request.method}}", "query": {{request.query}}, '
            '"json": {{request.json}}, "form": {{request.form}}}\n'
            "'''\n"
        )
    if kind == "webhook":
        return (
            head + f'method = "POST"\npath = "/webhooks/{name}"\n\n' + _security(secret) + "\n"
            "[inputs]\n"
            'event = { from = "body", type = "string" }\n'
            'data = { from = "body", type = "json", required = false }\n\n'
            "[response]\nstatus = 202\n"
            'body = \'{"accepted": "{{event}}"}\'\n\n'
            "# [after_response]  # run a call with the inputs as variables\n"
            '# call = "collection/call"\n'
        )
    if kind == "mock":
        if not call:
            raise CallbenchError("a mock endpoint needs the call it mocks")
        return (
            head + f'method = "GET"\npath = "/mock/{name}"\n\n' + _security(secret) + "\n"
            f'[response]\nmock_of = "{call}"  # answers with its [sample]\n'
        )
    if kind == "sse":
        return (
            head + f'method = "GET"\npath = "/events/{name}"\n\n' + _security(secret) + "\n"
            "[response.sse]\ninterval = 1.0\nrepeat = 0  # until the client leaves\n"
            "events = [\n"
            '  { event = "tick", id = "{{sequence}}", '
            'data = \'{"n": {{sequence}}, "at": "{{$isoTimestamp}}"}\' },\n]\n'
        )
    raise CallbenchError(f"unknown endpoint template {kind!r}; one of: {', '.join(TEMPLATES)}")


def create_endpoint(root: Path, kind: str, name: str, call: str = "") -> Path:
    """Write ``endpoints/NAME.toml`` from a template; an existing file is never replaced."""
    name = check_name(name, "endpoint name")
    path = root / ENDPOINTS_DIR / f"{name}.toml"
    if path.exists():
        raise CallbenchError(f"{path} already exists")
    atomic_write(path, template_text(kind, name, call))
    return path
