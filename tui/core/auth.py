"""Authentication applied to a request being built.

The simple schemes (API key, basic, bearer) become headers or query parameters while the
request is built, so the request shown as sent is the request that was sent. A call's
own ``[auth]`` wins over its collection's; ``type = "none"`` opts out.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from .errors import TemplateError
from .models import AuthConfig, Call, Collection
from .templating import Scope, render_text, render_value


def effective_auth(call: Call, collection: Collection | None) -> AuthConfig | None:
    """The auth that applies to ``call``: its own, else its collection's; None for none."""
    auth = call.auth
    if auth is None or auth.type == "inherit":
        auth = collection.auth if collection else None
    if auth is None or auth.type in ("none", "inherit"):
        return None
    return auth


def apply_auth(
    auth: AuthConfig,
    scope: Scope,
    headers: httpx.Headers,
    params: list[tuple[str, str]],
) -> None:
    """Add what ``auth`` sends to ``headers`` or ``params``."""
    p = auth.params

    def render(key: str, default: str = "") -> str:
        return render_text(p.get(key, default), scope, f"auth.{key}")

    if auth.type == "bearer":
        headers["Authorization"] = f"Bearer {render('token')}"
    elif auth.type == "basic":
        before = set(scope.secret_values)
        pair = f"{render('username')}:{render('password')}".encode()
        encoded = base64.b64encode(pair).decode("ascii")
        headers["Authorization"] = "Basic " + encoded
        if set(scope.secret_values) - before or any(s in pair.decode() for s in before if s):
            scope.derived_secrets.append(encoded)  # base64 of a secret is still the secret
    elif auth.type == "jwt":
        token = _jwt(auth, scope, render)
        headers[p.get("header", "Authorization")] = p.get("prefix", "Bearer ") + token
    elif auth.type == "api_key":
        name, value = render("name"), render("value")
        if p.get("in", "header") == "query":
            params.append((name, value))
        else:
            headers[name] = value


def _jwt(auth: AuthConfig, scope: Scope, render: Callable[[str, str], str]) -> str:
    """A token signed here with pyjwt: the claims templated, ``iat``/``exp`` from now."""
    import jwt

    p = auth.params
    before = set(scope.secret_values)
    if "key_file" in p:
        path = Path(render("key_file", "")).expanduser()
        try:
            key: str | bytes = path.read_bytes()
        except OSError as error:
            raise TemplateError(f"auth.key_file: cannot read {path}: {error.strerror}") from None
    else:
        key = render("key", "")
    claims: dict[str, Any] = {}
    for name, value in p.get("claims", {}).items():
        claims[name] = (
            render_value(value, scope, f"auth.claims.{name}") if isinstance(value, str) else value
        )
    now = int(time.time())
    claims.setdefault("iat", now)
    claims.setdefault("exp", now + int(p.get("lifetime", 300)))
    try:
        token: str = jwt.encode(claims, key, algorithm=p.get("algorithm", "HS256"))
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise TemplateError(f"auth: cannot sign the JWT: {error}") from None
    if set(scope.secret_values) - before or "key_file" in p:
        scope.derived_secrets.append(token)  # a token signed with a secret is a credential
    return token
