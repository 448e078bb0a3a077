"""OAuth2 grants over httpx, with oauthlib doing the protocol.

oauthlib is transport-free: it prepares token request bodies, makes PKCE verifiers and
challenges, and parses (and validates) token responses, raising the server's errors.
This module adds the transport (an ``httpx.AsyncClient``), client authentication
(HTTP Basic by default, or the body), the loopback redirect for the authorization-code
grant and the polling of the device grant (RFC 8628).

Interactive grants show their prompt through an :class:`Interaction` that each front
implements: the CLI prints, the TUI shows a dialog.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import sys
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
from oauthlib.oauth2 import (
    BackendApplicationClient,
    Client,
    DeviceClient,
    LegacyApplicationClient,
    OAuth2Error,
    WebApplicationClient,
)

from .errors import CallbenchError, TransportError
from .redirect_listener import RedirectListener
from .schema import OAUTH2_GRANTS as GRANTS
from .tokens import Token
from .transport_errors import classify

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
FORM = "application/x-www-form-urlencoded"
# How long a user has to approve in the browser before the grant gives up.
AUTHORIZE_TIMEOUT = 300.0


class AuthError(CallbenchError):
    """Credentials could not be obtained: the request is not sent."""


@dataclass(slots=True)
class OAuth2Settings:
    """An ``[auth] type = "oauth2"`` table with its templates rendered."""

    grant: str
    token_url: str
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    username: str = ""
    password: str = ""
    authorize_url: str = ""
    device_url: str = ""
    redirect_uri: str = ""  # empty: a loopback listener on a free port
    audience: str = ""
    client_auth: str = "basic"  # or "body": client_id and client_secret as form fields
    extra: dict[str, str] = field(default_factory=dict)

    def identity(self) -> tuple[str, ...]:
        """What makes two settings share a token."""
        return (
            self.grant,
            self.token_url,
            self.client_id,
            self.scope,
            self.username,
            self.audience,
        )


@dataclass(slots=True)
class AuthPrompt:
    """What the user must do for an interactive grant."""

    kind: str  # "browser" (authorization code) or "device"
    url: str
    user_code: str = ""
    expires_in: float | None = None
    # For "browser": give it the URL the browser ended on (paste-back over SSH).
    deliver: Callable[[str], None] | None = None
    browser_opened: bool = False


class Interaction(Protocol):
    """A front's way to show an :class:`AuthPrompt` (and take a pasted redirect URL)."""

    def show(self, prompt: AuthPrompt) -> None: ...

    def done(self) -> None: ...


def can_open_browser() -> bool:
    """A graphical browser is at hand: never a console browser taking over the terminal."""
    if os.environ.get("CALLBENCH_NO_BROWSER"):
        return False
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def open_browser(url: str) -> bool:
    """Open ``url`` in a browser in a thread (some browser commands wait for exit)."""
    if not can_open_browser():
        return False
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, webbrowser.open, url)
    future.add_done_callback(lambda f: f.exception())  # never an unretrieved error
    return True


class OAuth2:
    """Obtains and refreshes tokens for one set of settings."""

    def __init__(
        self,
        settings: OAuth2Settings,
        http: httpx.AsyncClient,
        interaction: Interaction | None = None,
    ) -> None:
        self.settings = settings
        self.http = http
        self.interaction = interaction

    # -- the grants ----------------------------------------------------------------------

    async def obtain(self) -> Token:
        grant = self.settings.grant
        if grant == "client_credentials":
            client: Client = BackendApplicationClient(self.settings.client_id)
            return await self._token(
                client, client.prepare_request_body(scope=self._scope(), **self._body_extras())
            )
        if grant == "password":
            client = LegacyApplicationClient(self.settings.client_id)
            return await self._token(
                client,
                client.prepare_request_body(
                    self.settings.username,
                    self.settings.password,
                    scope=self._scope(),
                    **self._body_extras(),
                ),
            )
        if grant == "authorization_code":
            return await self._authorization_code()
        if grant == "device_code":
            return await self._device_code()
        raise AuthError(f"auth.grant: unknown grant {grant!r}; one of: {', '.join(GRANTS)}")

    async def refresh(self, token: Token) -> Token:
        """A new token from the refresh token; the old refresh token is kept when the
        server does not send a new one."""
        client = WebApplicationClient(self.settings.client_id)
        body = client.prepare_refresh_body(
            refresh_token=token.refresh_token, scope=self._scope(), **self._body_extras("field")
        )
        fresh = await self._token(client, body)
        if not fresh.refresh_token:
            fresh.refresh_token = token.refresh_token
        return fresh

    async def _authorization_code(self) -> Token:
        s = self.settings
        if self.interaction is None:
            raise AuthError(
                "auth: the authorization_code grant needs you at a browser; "
                "run it in the TUI or a terminal"
            )
        client = WebApplicationClient(s.client_id)
        verifier = client.create_code_verifier(64)
        challenge = client.create_code_challenge(verifier, "S256")
        state = secrets.token_urlsafe(24)
        # A loopback redirect_uri is listened on; any other (registered elsewhere) can
        # only be pasted back, which a listener on a free port also takes.
        loopback = RedirectListener.for_redirect_uri(s.redirect_uri) if s.redirect_uri else None
        listener = loopback or RedirectListener()
        try:
            await listener.start()
        except OSError as error:
            raise AuthError(
                f"auth.redirect_uri: cannot listen on {listener.redirect_uri}: {error.strerror}"
            ) from None
        redirect_uri = s.redirect_uri if s.redirect_uri and not loopback else listener.redirect_uri
        params = {
            "response_type": "code",
            "client_id": s.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **({"scope": s.scope} if s.scope else {}),
            **({"audience": s.audience} if s.audience else {}),
            **s.extra,
        }
        url = str(httpx.URL(s.authorize_url).copy_merge_params(params))
        prompt = AuthPrompt("browser", url, deliver=listener.deliver, expires_in=AUTHORIZE_TIMEOUT)
        prompt.browser_opened = await open_browser(url)
        self.interaction.show(prompt)
        try:
            returned = await listener.wait(AUTHORIZE_TIMEOUT)
        except TimeoutError:
            raise AuthError(
                f"auth: no authorization arrived within {AUTHORIZE_TIMEOUT:.0f} s"
            ) from None
        finally:
            await listener.close()
            self.interaction.done()
        code = _code_from_redirect(returned, state)
        body = client.prepare_request_body(
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=verifier,
            include_client_id=True,
            **self._body_extras("none"),
        )
        return await self._token(client, body)

    async def _device_code(self) -> Token:
        s = self.settings
        if self.interaction is None:
            raise AuthError(
                "auth: the device_code grant needs you to approve it; "
                "run it in the TUI or a terminal"
            )
        fields = {
            "client_id": s.client_id,
            **({"scope": s.scope} if s.scope else {}),
            **({"audience": s.audience} if s.audience else {}),
            **s.extra,
        }
        response = await self._post(s.device_url, fields, with_client_auth=False)
        try:
            answer: dict[str, Any] = response.json()
            device_code = str(answer["device_code"])
            user_code = str(answer.get("user_code", ""))
            verify_url = str(
                answer.get("verification_uri_complete")
                or answer.get("verification_uri")
                or answer["verification_url"]
            )
        except (ValueError, KeyError, TypeError):
            raise AuthError(
                f"auth.device_url: {s.device_url} answered {response.status_code} without a "
                f"device code: {response.text[:200]!r}"
            ) from None
        interval = float(answer.get("interval", 5))
        expires_in = float(answer.get("expires_in", 600))
        self.interaction.show(AuthPrompt("device", verify_url, user_code, expires_in))
        deadline = time.monotonic() + expires_in
        client = DeviceClient(s.client_id)
        body = client.prepare_request_body(
            device_code, include_client_id=True, **self._body_extras("none")
        )
        try:
            while True:
                await asyncio.sleep(interval)
                try:
                    return await self._token(
                        client, body, quiet=("authorization_pending", "slow_down")
                    )
                except _Pending as pending:
                    if pending.error == "slow_down":
                        interval += 5  # RFC 8628 3.5
                if time.monotonic() > deadline:
                    raise AuthError("auth: the device code expired before it was approved")
        finally:
            self.interaction.done()

    # -- the token endpoint --------------------------------------------------------------

    def _scope(self) -> str | None:
        return self.settings.scope or None

    def _body_extras(self, client_id_as: str = "flag") -> dict[str, Any]:
        """Client authentication in the body (``client_auth = "body"``, or a public
        client), and extras. oauthlib takes the client id as ``include_client_id`` in a
        grant's body but as a field in a refresh body: ``client_id_as`` says which
        ("none": the caller includes it)."""
        s = self.settings
        extras: dict[str, Any] = {}
        if s.client_auth == "body" or not s.client_secret:
            if client_id_as == "flag":
                extras["include_client_id"] = True
            elif client_id_as == "field":
                extras["client_id"] = s.client_id
            if s.client_secret:
                extras["client_secret"] = s.client_secret
        if s.audience:
            extras["audience"] = s.audience
        return extras

    async def _post(
        self, url: str, body: dict[str, str] | str, *, with_client_auth: bool = True
    ) -> httpx.Response:
        s = self.settings
        headers = {"Content-Type": FORM, "Accept": "application/json"}
        if with_client_auth and s.client_secret and s.client_auth != "body":
            # RFC 6749 2.3.1: both parts form-encoded before base64.
            pair = f"{quote(s.client_id, safe='')}:{quote(s.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        content = body if isinstance(body, str) else str(httpx.QueryParams(body))
        try:
            return await self.http.post(url, content=content, headers=headers)
        except httpx.TransportError as error:
            failure = classify(error)
            raise TransportError(failure.kind, f"oauth2 {url}: {failure}") from None
        except httpx.InvalidURL as error:
            raise AuthError(f"auth: bad URL {url!r}: {error}") from None

    async def _token(self, client: Client, body: str, quiet: tuple[str, ...] = ()) -> Token:
        url = self.settings.token_url
        response = await self._post(url, body)
        try:
            fields = client.parse_request_body_response(response.text, scope=self._scope())
        except OAuth2Error as error:
            if error.error in quiet:
                raise _Pending(error.error) from None
            detail = f": {error.description}" if error.description else ""
            raise AuthError(
                f"auth: the token endpoint {url} answered {response.status_code} "
                f"{error.error}{detail}"
            ) from None
        except Warning as changed:  # the server granted another scope: its answer holds
            fields = getattr(changed, "token", None)
            if not isinstance(fields, dict):
                raise AuthError(f"auth: the token endpoint {url}: {changed}") from None
        except (ValueError, TypeError) as error:
            raise AuthError(
                f"auth: the token endpoint {url} answered {response.status_code} "
                f"with no token: {error}"
            ) from None
        return Token.from_response(dict(fields))


class _Pending(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _code_from_redirect(url: str, state: str) -> str:
    """The code from the URL the browser was sent to; its state must be ours."""
    query = dict(parse_qsl(urlsplit(url.strip()).query))
    if not query and "=" in url:  # the query part alone was pasted
        query = dict(parse_qsl(url.strip().lstrip("?")))
    if "error" in query:
        detail = query.get("error_description", "")
        raise AuthError(
            f"auth: authorization refused: {query['error']}" + (f": {detail}" if detail else "")
        )
    if query.get("state") != state:
        raise AuthError(
            "auth: the redirect's state does not match this request (an old or foreign URL?)"
        )
    code = query.get("code")
    if not code:
        raise AuthError("auth: the redirect URL holds no code")
    return code
