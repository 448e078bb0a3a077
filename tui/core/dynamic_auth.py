"""Auth whose credential is fetched before the request: OAuth2 and a login call's token.

The simple schemes are applied while the request is built (see ``auth``). These two need
a network round trip first, so the request is built, then a token is found (cached,
refreshed or newly obtained) and set as a header. One :class:`TokenBroker` per session
keeps the tokens and makes sure two sends at once do not both log in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .errors import CallbenchError
from .exchange import Exchange
from .models import AuthConfig
from .oauth2 import AuthError, Interaction, OAuth2, OAuth2Settings
from .request_builder import PreparedRequest
from .schema import OAUTH2_GRANTS as GRANTS
from .selector import select
from .templating import Scope, render_text, to_text
from .tokens import Token, TokenCache, cache_key

DYNAMIC = ("oauth2", "token_from_call")


def is_dynamic(auth: AuthConfig | None) -> bool:
    return auth is not None and auth.type in DYNAMIC


def oauth2_settings(auth: AuthConfig, scope: Scope) -> OAuth2Settings:
    """The ``[auth]`` table rendered: secrets it uses join the scope's masked values."""
    p = auth.params

    def render(key: str) -> str:
        value = p.get(key, "")
        return render_text(value, scope, f"auth.{key}") if isinstance(value, str) else ""

    grant = render("grant")
    if grant not in GRANTS:
        raise AuthError(f"auth.grant: {grant!r} is not one of: {', '.join(GRANTS)}")
    extra = {
        str(name): render_text(str(value), scope, f"auth.extra.{name}")
        for name, value in (p.get("extra") or {}).items()
    }
    return OAuth2Settings(
        grant=grant,
        token_url=render("token_url"),
        client_id=render("client_id"),
        client_secret=render("client_secret"),
        scope=render("scope"),
        username=render("username"),
        password=render("password"),
        authorize_url=render("authorize_url"),
        device_url=render("device_url"),
        redirect_uri=render("redirect_uri"),
        audience=render("audience"),
        client_auth=render("client_auth") or "basic",
        extra=extra,
    )


def token_key(
    auth: AuthConfig, scope: Scope, where: str, settings: OAuth2Settings | None = None
) -> str:
    """The cache name of the token ``auth`` needs; ``where`` is the workspace and
    environment, so tokens of two environments never mix."""
    if auth.type == "oauth2":
        settings = settings or oauth2_settings(auth, scope)
        return cache_key("oauth2", where, *settings.identity())
    p = auth.params
    return cache_key("login", where, str(p.get("call", "")), str(p.get("from", "")))


def apply_token(prepared: PreparedRequest, auth: AuthConfig, token: Token) -> None:
    """Send the token in its header; it is masked wherever the exchange is shown."""
    p = auth.params
    if "prefix" in p:
        prefix = str(p["prefix"])
    elif auth.type == "oauth2" and token.token_type.lower() != "bearer":
        prefix = token.token_type + " "
    else:
        prefix = "Bearer "
    prepared.request.headers[str(p.get("header", "Authorization"))] = prefix + token.access_token
    prepared.secrets.append(token.access_token)


def token_from_exchange(auth: AuthConfig, exchange: Exchange, login_ref: str) -> Token:
    """The token a login call's response holds, with its expiry if it is known:
    ``lifetime`` seconds, a number found by ``expires_from``, or a JWT's ``exp``."""
    p = auth.params
    response = exchange.response
    if not 200 <= response.status < 300:
        raise AuthError(
            f"auth: the login call {login_ref} answered {response.status} {response.reason}"
        )
    source = str(p.get("from", ""))
    try:
        selection = select(source, response)
    except CallbenchError as error:
        raise AuthError(f"auth.from: {error}") from None
    if not selection.values or selection.value in (None, ""):
        raise AuthError(f"auth.from: {source} found nothing in the answer of {login_ref}")
    value = to_text(selection.value)
    now = time.time()
    lifetime: float | None = None
    if isinstance(p.get("lifetime"), int):
        lifetime = float(p["lifetime"])
    elif p.get("expires_from"):
        lifetime = _number(str(p["expires_from"]), exchange)
    if lifetime is not None:
        return Token(value, expires_at=now + lifetime, lifetime=lifetime)
    expires_at = _jwt_expiry(value)
    return Token(
        value,
        expires_at=expires_at,
        lifetime=None if expires_at is None else max(expires_at - now, 0.0),
    )


def _number(selector: str, exchange: Exchange) -> float | None:
    try:
        value: Any = select(selector, exchange.response).value
        return float(value)
    except (CallbenchError, TypeError, ValueError):
        return None


def _jwt_expiry(value: str) -> float | None:
    """A JWT's ``exp``, read without verifying: we only need to know when to log in."""
    if value.count(".") != 2:
        return None
    import jwt

    try:
        claims = jwt.decode(value, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None


class TokenBroker:
    """Tokens for the session: from the cache while valid, refreshed, or obtained."""

    def __init__(self, cache: TokenCache) -> None:
        self.cache = cache
        self._locks: dict[str, asyncio.Lock] = {}

    def cached(self, key: str) -> Token | None:
        """A valid cached token, without any network (for previews and curl export)."""
        token = self.cache.get(key)
        return token if token is not None and not token.expired() else None

    async def oauth2(
        self,
        key: str,
        settings: OAuth2Settings,
        http: httpx.AsyncClient,
        interaction: Interaction | None = None,
        renew: bool = False,
    ) -> Token:
        """``interaction`` shows an interactive grant's prompt; ``renew``: the server
        refused the current token (a 401)."""
        async with self._locks.setdefault(key, asyncio.Lock()):
            token = self.cache.get(key)
            if token is not None and not renew and not token.expired():
                return token
            flow = OAuth2(settings, http, interaction)
            if token is not None and token.refresh_token:
                try:
                    fresh = await flow.refresh(token)
                except AuthError:
                    self.cache.drop(key)  # the refresh token is dead: the grant again
                else:
                    self.cache.put(key, fresh)
                    return fresh
            fresh = await flow.obtain()
            self.cache.put(key, fresh)
            return fresh

    async def login(
        self, key: str, log_in: Callable[[], Awaitable[Token]], renew: bool = False
    ) -> Token:
        async with self._locks.setdefault(key, asyncio.Lock()):
            token = self.cache.get(key)
            if token is not None and not renew and not token.expired():
                return token
            fresh = await log_in()
            self.cache.put(key, fresh)
            return fresh
