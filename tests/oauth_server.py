"""A real OAuth2 authorization server for the tests: RFC 6749, 7636 (PKCE) and 8628 (device).

``oauth_app(state)`` is a Starlette app; the tests serve it on 127.0.0.1 with
``tests.loopback.ServerThread`` (fixtures ``oauth_server`` and ``oauth`` in conftest).
Everything it knows lives in an ``OAuthState`` the tests read and tune.

Routes:

- ``POST /oauth/token``: client_credentials, password, authorization_code (PKCE mandatory),
  refresh_token (rotated) and the device_code grant.
- ``GET /oauth/authorize``: a resource owner who approves at once; 302 back to redirect_uri.
- ``POST /oauth/device``: device authorization; ``POST /oauth/device/deny``: the user refuses.
- ``GET /api/me``: a protected resource (Bearer token).
- ``POST /login``: a plain JSON login returning a token (body and ``X-Auth-Token``).

The state is shared between uvicorn's thread and the test's thread, so every read or write
of it in a handler happens under ``state.lock`` (never across an ``await``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SUPPORTED_GRANTS = frozenset(
    {"client_credentials", "password", "authorization_code", "refresh_token", DEVICE_GRANT}
)
PUBLIC_CLIENT_GRANTS = frozenset({"authorization_code", "refresh_token", DEVICE_GRANT})
SECRET_FIELDS = frozenset({"client_secret", "password"})
# RFC 7636 4.1: code_verifier / code_challenge = 43*128 unreserved characters.
PKCE_CHARS = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# RFC 8628 6.1: a user code without vowels or look-alike letters.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An RFC 6749 5.2 error response."""

    def __init__(self, error: str, description: str | None = None, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        """The JSON error, uncacheable; 401s carry a Basic challenge (RFC 6749 5.2)."""
        body: dict[str, str] = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="callbench-oauth"'
        return JSONResponse(body, status_code=self.status, headers=headers)


class OAuthState:
    """Clients, users, issued grants, test knobs and a record of what the server saw."""

    # Registered parties.
    clients: dict[str, str]
    public_clients: set[str]
    users: dict[str, str]
    # Issued artefacts.
    access_tokens: dict[str, dict[str, Any]]
    refresh_tokens: dict[str, dict[str, Any]]
    auth_codes: dict[str, dict[str, Any]]
    device_codes: dict[str, dict[str, Any]]
    # Knobs.
    expires_in: float
    issue_refresh_for_client_credentials: bool
    device_interval: float
    device_pending_polls: int
    device_slow_down: bool
    device_expires_in: float
    deny_authorize: bool
    authorize_user: str
    code_lifetime: float
    # Records.
    token_requests: list[dict[str, Any]]
    authorize_requests: list[dict[str, Any]]
    api_requests: int
    login_requests: int

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Back to the defaults: no tokens, no records, knobs at their initial values."""
        with self.lock:
            self.clients = {"cid": "csecret"}
            self.public_clients = {"public-cid"}
            self.users = {"ann": "pw"}
            self.access_tokens = {}
            self.refresh_tokens = {}
            self.auth_codes = {}
            self.device_codes = {}
            self.expires_in = 3600
            self.issue_refresh_for_client_credentials = False
            self.device_interval = 0.05
            self.device_pending_polls = 2
            self.device_slow_down = False
            self.device_expires_in = 600
            self.deny_authorize = False
            self.authorize_user = "ann"
            self.code_lifetime = 600
            self.token_requests = []
            self.authorize_requests = []
            self.api_requests = 0
            self.login_requests = 0

    def revoke_access_tokens(self) -> None:
        """Invalidate every access token issued so far (refresh tokens stay valid)."""
        with self.lock:
            self.access_tokens.clear()

    def issue(
        self, client_id: str | None, user: str | None, scope: str, *, refresh: bool
    ) -> dict[str, Any]:
        """Mint an access token (and a refresh token if asked); return the token response."""
        with self.lock:
            info = {"client_id": client_id, "user": user, "scope": scope}
            access = secrets.token_urlsafe(32)
            self.access_tokens[access] = {
                **info,
                "expires_at": time.monotonic() + self.expires_in,
            }
            body: dict[str, Any] = {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
            }
            if scope:
                body["scope"] = scope
            if refresh:
                token = secrets.token_urlsafe(32)
                self.refresh_tokens[token] = dict(info)
                body["refresh_token"] = token
            return body

    def token_info(self, token: str) -> dict[str, Any] | None:
        """The grant behind a live access token, or None if unknown or expired."""
        with self.lock:
            info = self.access_tokens.get(token)
            if info is None or info["expires_at"] <= time.monotonic():
                return None
            return dict(info)


@dataclass
class OAuthServer:
    """What the ``oauth_server`` / ``oauth`` fixtures yield."""

    url: str
    state: OAuthState


# -- helpers -------------------------------------------------------------------------------


def single_params(items: list[tuple[str, Any]]) -> dict[str, str]:
    """Form or query parameters; RFC 6749 3.1/3.2: none may appear twice, none is empty."""
    out: dict[str, str] = {}
    for key, value in items:
        if not isinstance(value, str):
            raise OAuthError("invalid_request", f"{key} is not a text field")
        if key in out:
            raise OAuthError("invalid_request", f"{key} given more than once")
        if value != "":
            out[key] = value
    return out


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``client_id, client_secret`` from an HTTP Basic header, form-decoded (RFC 6749 2.3.1)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", 401) from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401)
    return unquote_plus(user), unquote_plus(password)


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two texts."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def auth_method(request: Request, form: dict[str, str]) -> str:
    """How the client tried to authenticate: ``basic``, ``body`` or ``none``."""
    if request.headers.get("authorization", "").lower().startswith("basic "):
        return "basic"
    return "body" if "client_secret" in form else "none"


def authenticate(state: OAuthState, request: Request, form: dict[str, str]) -> tuple[str, bool]:
    """Identify the client: ``(client_id, is_public)``.

    A confidential client proves itself with Basic or with client_id + client_secret fields
    (not both: RFC 6749 2.3); the public client gives only its client_id.
    """
    header = request.headers.get("authorization")
    basic = basic_credentials(header) if header else None
    if basic is not None:
        if "client_secret" in form:
            raise OAuthError("invalid_request", "more than one client authentication method")
        client_id, secret = basic
        if form.get("client_id", client_id) != client_id:
            raise OAuthError("invalid_client", "client_id differs from the Basic user", 401)
    else:
        client_id = form.get("client_id", "")
        secret = form.get("client_secret", "")
    with state.lock:
        if client_id in state.public_clients:
            if secret:
                raise OAuthError("invalid_client", "a public client has no secret", 401)
            return client_id, True
        expected = state.clients.get(client_id)
    if expected is None or not secret or not same(secret, expected):
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return client_id, False


def pkce_matches(verifier: str | None, challenge: str, method: str) -> bool:
    """RFC 7636 4.6: S256 compares base64url(sha256(verifier)) unpadded; plain compares as is."""
    if verifier is None or not PKCE_CHARS.fullmatch(verifier):
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    return same(computed, challenge)


def scope_subset(requested: str, granted: str) -> bool:
    """Whether every scope in ``requested`` was in ``granted`` (RFC 6749 6)."""
    return set(requested.split()) <= set(granted.split())


def with_query(uri: str, params: dict[str, str]) -> str:
    """``uri`` with ``params`` added to its existing query."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def user_code() -> str:
    """An ``ABCD-EFGH`` user code."""
    letters = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def token_response(body: dict[str, Any]) -> JSONResponse:
    """A successful token response (RFC 6749 5.1), uncacheable."""
    return JSONResponse(body, headers=NO_STORE)


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body the OAuth endpoints require, as single-valued parameters."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    form = await request.form()
    return single_params(list(form.multi_items()))


# -- grants --------------------------------------------------------------------------------


def grant_client_credentials(
    state: OAuthState, client_id: str, form: dict[str, str]
) -> dict[str, Any]:
    """RFC 6749 4.4."""
    refresh = state.issue_refresh_for_client_credentials
    return state.issue(client_id, None, form.get("scope", ""), refresh=refresh)


def grant_password(state: OAuthState, client_id: str, form: dict[str, str]) -> dict[str, Any]:
    """RFC 6749 4.3."""
    username, password = form.get("username"), form.get("password")
    if username is None or password is None:
        raise OAuthError("invalid_request", "username and password are required")
    with state.lock:
        expected = state.users.get(username)
    if expected is None or not same(password, expected):
        raise OAuthError("invalid_grant", "bad resource owner credentials")
    return state.issue(client_id, username, form.get("scope", ""), refresh=True)


def grant_authorization_code(
    state: OAuthState, client_id: str, form: dict[str, str]
) -> dict[str, Any]:
    """RFC 6749 4.1.3 with RFC 7636 4.5-4.6: the code is single use and PKCE must verify."""
    code = form.get("code")
    if code is None:
        raise OAuthError("invalid_request", "code is required")
    with state.lock:
        grant = state.auth_codes.get(code)
        if grant is None or grant["used"] or grant["client_id"] != client_id:
            raise OAuthError("invalid_grant", "unknown, used or foreign authorization code")
        if grant["expires_at"] <= time.monotonic():
            raise OAuthError("invalid_grant", "the authorization code expired")
        if form.get("redirect_uri") != grant["redirect_uri"]:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization")
        verified = pkce_matches(
            form.get("code_verifier"), grant["code_challenge"], grant["code_challenge_method"]
        )
        if not verified:
            raise OAuthError("invalid_grant", "PKCE verification failed")
        grant["used"] = True
        return state.issue(client_id, grant["user"], grant["scope"], refresh=True)


def grant_refresh_token(state: OAuthState, client_id: str, form: dict[str, str]) -> dict[str, Any]:
    """RFC 6749 6, with rotation: the refresh token used is spent, a new one comes back."""
    token = form.get("refresh_token")
    if token is None:
        raise OAuthError("invalid_request", "refresh_token is required")
    with state.lock:
        info = state.refresh_tokens.get(token)
        if info is None or info["client_id"] != client_id:
            raise OAuthError("invalid_grant", "unknown, used or foreign refresh token")
        scope = form.get("scope", info["scope"])
        if not scope_subset(scope, info["scope"]):
            raise OAuthError("invalid_scope", "the scope exceeds the original grant")
        del state.refresh_tokens[token]
        return state.issue(client_id, info["user"], scope, refresh=True)


def grant_device_code(state: OAuthState, client_id: str, form: dict[str, str]) -> dict[str, Any]:
    """RFC 8628 3.4-3.5: pending (maybe slow_down first) for a few polls, then tokens."""
    code = form.get("device_code")
    if code is None:
        raise OAuthError("invalid_request", "device_code is required")
    with state.lock:
        grant = state.device_codes.get(code)
        if grant is None or grant["client_id"] != client_id:
            raise OAuthError("invalid_grant", "unknown or foreign device code")
        if grant["expires_at"] <= time.monotonic():
            raise OAuthError("expired_token", "the device code expired")
        if grant["denied"]:
            raise OAuthError("access_denied", "the user denied the request")
        grant["polls"] += 1
        if state.device_slow_down and not grant["slowed"]:
            grant["slowed"] = True
            raise OAuthError("slow_down", "polling too fast")
        if grant["pending_answered"] < state.device_pending_polls:
            grant["pending_answered"] += 1
            raise OAuthError("authorization_pending", "the user has not answered yet")
        del state.device_codes[code]
        return state.issue(client_id, grant["user"], grant["scope"], refresh=True)


GRANTS = {
    "client_credentials": grant_client_credentials,
    "password": grant_password,
    "authorization_code": grant_authorization_code,
    "refresh_token": grant_refresh_token,
    DEVICE_GRANT: grant_device_code,
}


# -- app -----------------------------------------------------------------------------------


def oauth_app(state: OAuthState) -> Starlette:
    """The authorization server and a protected API, bound to ``state``."""

    async def token(request: Request) -> Response:
        """``POST /oauth/token``."""
        record: dict[str, Any] = {"at": time.monotonic()}
        with state.lock:
            state.token_requests.append(record)
        try:
            form = await read_form(request)
            record.update({k: v for k, v in form.items() if k not in SECRET_FIELDS})
            grant_type = form.get("grant_type")
            record["grant_type"] = grant_type
            record["auth"] = auth_method(request, form)
            client_id, public = authenticate(state, request, form)
            record["client_id"] = client_id
            if grant_type is None:
                raise OAuthError("invalid_request", "grant_type is required")
            if grant_type not in SUPPORTED_GRANTS:
                raise OAuthError("unsupported_grant_type", f"{grant_type} is not supported")
            if public and grant_type not in PUBLIC_CLIENT_GRANTS:
                raise OAuthError("unauthorized_client", f"a public client cannot use {grant_type}")
            body = GRANTS[grant_type](state, client_id, form)
        except OAuthError as error:
            record["error"] = error.error
            return error.response()
        return token_response(body)

    async def authorize(request: Request) -> Response:
        """``GET /oauth/authorize``: a user who approves at once (or refuses, if told to)."""
        items = list(request.query_params.multi_items())
        with state.lock:
            state.authorize_requests.append(dict(items))
        try:
            params = single_params(items)
        except OAuthError as error:
            return error.response()
        redirect_uri = params.get("redirect_uri")
        client_id = params.get("client_id", "")
        with state.lock:
            known = client_id in state.clients or client_id in state.public_clients
        # RFC 6749 4.1.2.1: never redirect to an unverified redirect_uri; tell the user.
        if not known:
            return OAuthError("invalid_client", "unknown client_id").response()
        if redirect_uri is None or urlsplit(redirect_uri).scheme not in ("http", "https"):
            return OAuthError("invalid_request", "redirect_uri is required").response()
        target: str = redirect_uri

        def back(**answer: str) -> RedirectResponse:
            if "state" in params:
                answer["state"] = params["state"]
            return RedirectResponse(with_query(target, answer), status_code=302)

        if params.get("response_type") != "code":
            return back(error="unsupported_response_type")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method", "plain")
        if challenge is None:
            return back(error="invalid_request", error_description="code_challenge is required")
        if method not in ("S256", "plain") or not PKCE_CHARS.fullmatch(challenge):
            return back(error="invalid_request", error_description="bad code_challenge")
        with state.lock:
            if state.deny_authorize:
                return back(error="access_denied")
            code = secrets.token_urlsafe(32)
            state.auth_codes[code] = {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "code_challenge": challenge,
                "code_challenge_method": method,
                "scope": params.get("scope", ""),
                "user": state.authorize_user,
                "used": False,
                "expires_at": time.monotonic() + state.code_lifetime,
            }
        return back(code=code)

    async def device(request: Request) -> Response:
        """``POST /oauth/device``: RFC 8628 3.1-3.2."""
        try:
            form = await read_form(request)
            client_id, _ = authenticate(state, request, form)
        except OAuthError as error:
            return error.response()
        base = str(request.base_url).rstrip("/")
        code, shown = secrets.token_urlsafe(32), user_code()
        with state.lock:
            state.device_codes[code] = {
                "client_id": client_id,
                "user_code": shown,
                "scope": form.get("scope", ""),
                "user": state.authorize_user,
                "expires_at": time.monotonic() + state.device_expires_in,
                "polls": 0,
                "pending_answered": 0,
                "slowed": False,
                "denied": False,
            }
            interval = state.device_interval
            expires_in = state.device_expires_in
        return JSONResponse(
            {
                "device_code": code,
                "user_code": shown,
                "verification_uri": f"{base}/device",
                "verification_uri_complete": f"{base}/device?{urlencode({'user_code': shown})}",
                "expires_in": expires_in,
                "interval": interval,
            },
            headers=NO_STORE,
        )

    async def device_deny(request: Request) -> Response:
        """``POST /oauth/device/deny`` (form ``user_code``): later polls get access_denied."""
        form = await request.form()
        shown = str(form.get("user_code", ""))
        with state.lock:
            for grant in state.device_codes.values():
                if grant["user_code"] == shown:
                    grant["denied"] = True
                    return JSONResponse({"denied": shown})
        return JSONResponse({"error": "unknown user_code"}, status_code=404)

    async def device_page(request: Request) -> Response:
        """``GET /device``: the verification page a user would open."""
        return PlainTextResponse(f"Enter the code {request.query_params.get('user_code', '')}")

    async def me(request: Request) -> Response:
        """``GET /api/me``: RFC 6750 Bearer-protected."""
        with state.lock:
            state.api_requests += 1
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return JSONResponse(
                {"error": "invalid_token", "error_description": "no bearer token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="callbench"'},
            )
        info = state.token_info(value.strip())
        if info is None:
            return JSONResponse(
                {"error": "invalid_token", "error_description": "unknown or expired token"},
                status_code=401,
                headers={
                    "WWW-Authenticate": 'Bearer realm="callbench", error="invalid_token", '
                    'error_description="unknown or expired token"'
                },
            )
        return JSONResponse(
            {"user": info["user"], "client_id": info["client_id"], "scope": info["scope"]}
        )

    async def login(request: Request) -> Response:
        """``POST /login`` with JSON ``{"user", "password"}``: a token in body and header."""
        with state.lock:
            state.login_requests += 1
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, status_code=400)
        user = data.get("user") if isinstance(data, dict) else None
        password = data.get("password") if isinstance(data, dict) else None
        with state.lock:
            expected = state.users.get(user) if isinstance(user, str) else None
        if expected is None or not isinstance(password, str) or not same(password, expected):
            return JSONResponse({"error": "invalid_credentials"}, status_code=401)
        body = state.issue(None, user, "", refresh=False)
        return JSONResponse(
            {"token": body["access_token"], "expires_in": body["expires_in"]},
            headers={"X-Auth-Token": body["access_token"], **NO_STORE},
        )

    return Starlette(
        routes=[
            Route("/oauth/token", token, methods=["POST"]),
            Route("/oauth/authorize", authorize, methods=["GET"]),
            Route("/oauth/device", device, methods=["POST"]),
            Route("/oauth/device/deny", device_deny, methods=["POST"]),
            Route("/device", device_page, methods=["GET"]),
            Route("/api/me", me, methods=["GET"]),
            Route("/login", login, methods=["POST"]),
        ]
    )
