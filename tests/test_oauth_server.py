"""The test OAuth2 server behaves like a real one: driven here with plain httpx."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.oauth_server import DEVICE_GRANT, OAuthServer

REDIRECT = "http://127.0.0.1:9/callback?keep=1"


@pytest.fixture
def http(oauth: OAuthServer) -> Iterator[httpx.Client]:
    """A client on the OAuth server, following no redirects."""
    with httpx.Client(base_url=oauth.url, follow_redirects=False) as client:
        yield client


def challenge_for(verifier: str) -> str:
    """RFC 7636 S256 challenge."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def me(http: httpx.Client, token: str) -> httpx.Response:
    return http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


def authorize(http: httpx.Client, client_id: str, verifier: str, **extra: str) -> dict[str, str]:
    """Run /oauth/authorize and return the query the user-agent is redirected with."""
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "st4te",
        "scope": "read write",
        "code_challenge": challenge_for(verifier),
        "code_challenge_method": "S256",
        **extra,
    }
    response = http.get("/oauth/authorize", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT.split("?")[0]
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def test_client_credentials_basic_and_body(oauth: OAuthServer, http: httpx.Client) -> None:
    response = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "read"},
        auth=("cid", "csecret"),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "read"
    assert "refresh_token" not in body
    assert me(http, body["access_token"]).json() == {
        "user": None,
        "client_id": "cid",
        "scope": "read",
    }

    oauth.state.issue_refresh_for_client_credentials = True
    response = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"},
    )
    assert "refresh_token" in response.json()
    records = oauth.state.token_requests
    assert [r["auth"] for r in records] == ["basic", "body"]
    assert all("client_secret" not in r for r in records)
    assert records[0]["grant_type"] == "client_credentials"


def test_basic_credentials_are_form_decoded(oauth: OAuthServer, http: httpx.Client) -> None:
    oauth.state.clients["a b:c"] = "s%e:cret"
    encoded = base64.b64encode(b"a+b%3Ac:s%25e%3Acret").decode()
    response = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {encoded}"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("data", "auth"),
    [
        ({"client_id": "cid", "client_secret": "wrong"}, None),
        ({}, ("cid", "wrong")),
        ({"client_id": "cid"}, None),
        ({"client_id": "nobody", "client_secret": "x"}, None),
    ],
)
def test_bad_client_is_401(
    http: httpx.Client, data: dict[str, str], auth: tuple[str, str] | None
) -> None:
    response = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **data},
        auth=httpx.BasicAuth(*auth) if auth else httpx.USE_CLIENT_DEFAULT,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_public_client_limits_and_unknown_grant(http: httpx.Client) -> None:
    response = http.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": "public-cid"}
    )
    assert (response.status_code, response.json()["error"]) == (400, "unauthorized_client")
    response = http.post("/oauth/token", data={"grant_type": "magic"}, auth=("cid", "csecret"))
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


def test_password_grant(oauth: OAuthServer, http: httpx.Client) -> None:
    data = {"grant_type": "password", "username": "ann", "password": "pw", "scope": "read"}
    body = http.post("/oauth/token", data=data, auth=("cid", "csecret")).json()
    assert body["refresh_token"]
    assert me(http, body["access_token"]).json()["user"] == "ann"
    assert "password" not in oauth.state.token_requests[0]
    assert oauth.state.token_requests[0]["username"] == "ann"

    bad = http.post("/oauth/token", data={**data, "password": "no"}, auth=("cid", "csecret"))
    assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")


def test_authorization_code_with_pkce(oauth: OAuthServer, http: httpx.Client) -> None:
    verifier = secrets.token_urlsafe(48)
    answer = authorize(http, "public-cid", verifier)
    assert answer["state"] == "st4te"
    assert answer["keep"] == "1"
    assert oauth.state.authorize_requests[0]["client_id"] == "public-cid"

    form = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": REDIRECT,
        "client_id": "public-cid",
        "code_verifier": verifier,
    }
    body = http.post("/oauth/token", data=form).json()
    assert body["scope"] == "read write"
    assert me(http, body["access_token"]).json() == {
        "user": "ann",
        "client_id": "public-cid",
        "scope": "read write",
    }
    assert oauth.state.token_requests[0]["auth"] == "none"
    again = http.post("/oauth/token", data=form)
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


def test_pkce_rejects_a_wrong_or_missing_verifier(http: httpx.Client) -> None:
    verifier = secrets.token_urlsafe(48)
    code = authorize(http, "cid", verifier)["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    for extra in ({"code_verifier": secrets.token_urlsafe(48)}, {}):
        response = http.post("/oauth/token", data={**form, **extra}, auth=("cid", "csecret"))
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_grant",
            "error_description": "PKCE verification failed",
        }
    wrong_uri = {**form, "code_verifier": verifier, "redirect_uri": "http://127.0.0.1:9/x"}
    response = http.post("/oauth/token", data=wrong_uri, auth=("cid", "csecret"))
    assert response.json()["error"] == "invalid_grant"
    ok = http.post(
        "/oauth/token", data={**form, "code_verifier": verifier}, auth=("cid", "csecret")
    )
    assert ok.status_code == 200


def test_authorize_errors_redirect_with_state(oauth: OAuthServer, http: httpx.Client) -> None:
    answer = authorize(http, "cid", secrets.token_urlsafe(48), code_challenge="")
    assert (answer["error"], answer["state"], answer["keep"]) == ("invalid_request", "st4te", "1")
    assert "code" not in answer
    oauth.state.deny_authorize = True
    answer = authorize(http, "cid", secrets.token_urlsafe(48))
    assert (answer["error"], answer["state"]) == ("access_denied", "st4te")
    assert "code" not in answer
    unknown = http.get("/oauth/authorize", params={"client_id": "nobody", "redirect_uri": REDIRECT})
    assert unknown.status_code == 400


def test_refresh_rotates(http: httpx.Client) -> None:
    data = {"grant_type": "password", "username": "ann", "password": "pw", "scope": "a b"}
    first = http.post("/oauth/token", data=data, auth=("cid", "csecret")).json()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    second = http.post("/oauth/token", data=refresh, auth=("cid", "csecret")).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == "a b"
    assert me(http, second["access_token"]).status_code == 200

    reused = http.post("/oauth/token", data=refresh, auth=("cid", "csecret"))
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")
    narrowed = {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    third = http.post("/oauth/token", data={**narrowed, "scope": "a"}, auth=("cid", "csecret"))
    assert third.json()["scope"] == "a"


def start_device(http: httpx.Client, client_id: str = "public-cid") -> dict[str, Any]:
    response = http.post("/oauth/device", data={"client_id": client_id, "scope": "read"})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def poll(http: httpx.Client, device_code: str) -> httpx.Response:
    data = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": "public-cid"}
    return http.post("/oauth/token", data=data)


def test_device_pending_then_tokens(oauth: OAuthServer, http: httpx.Client) -> None:
    start = start_device(http)
    assert start["interval"] == 0.05
    assert start["expires_in"] == 600
    assert str(start["verification_uri"]) == f"{oauth.url}/device"
    assert str(start["verification_uri_complete"]).endswith(f"user_code={start['user_code']}")
    assert len(str(start["user_code"])) == 9

    code = str(start["device_code"])
    answers = [poll(http, code) for _ in range(3)]
    assert [r.json().get("error") for r in answers] == [
        "authorization_pending",
        "authorization_pending",
        None,
    ]
    assert me(http, answers[2].json()["access_token"]).json()["user"] == "ann"
    assert poll(http, code).json()["error"] == "invalid_grant"


def test_device_slow_down_deny_and_expiry(oauth: OAuthServer, http: httpx.Client) -> None:
    oauth.state.device_slow_down = True
    oauth.state.device_pending_polls = 0
    code = str(start_device(http)["device_code"])
    assert [poll(http, code).json().get("error") for _ in range(2)] == ["slow_down", None]

    start = start_device(http)
    denied = http.post("/oauth/device/deny", data={"user_code": start["user_code"]})
    assert denied.status_code == 200
    assert poll(http, str(start["device_code"])).json()["error"] == "access_denied"

    oauth.state.device_expires_in = 0.05
    code = str(start_device(http)["device_code"])
    time.sleep(0.1)
    assert poll(http, code).json()["error"] == "expired_token"
    assert poll(http, "nope").json()["error"] == "invalid_grant"


def test_revoke_and_expiry_give_401(oauth: OAuthServer, http: httpx.Client) -> None:
    data = {"grant_type": "password", "username": "ann", "password": "pw"}
    body = http.post("/oauth/token", data=data, auth=("cid", "csecret")).json()
    assert me(http, body["access_token"]).status_code == 200
    oauth.state.revoke_access_tokens()
    response = me(http, body["access_token"])
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    refresh = {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    renewed = http.post("/oauth/token", data=refresh, auth=("cid", "csecret")).json()
    assert me(http, renewed["access_token"]).status_code == 200

    oauth.state.expires_in = 0.05
    short = http.post("/oauth/token", data=data, auth=("cid", "csecret")).json()
    assert short["expires_in"] == 0.05
    time.sleep(0.1)
    assert me(http, short["access_token"]).status_code == 401
    assert http.get("/api/me").status_code == 401
    assert oauth.state.api_requests == 5


def test_login(oauth: OAuthServer, http: httpx.Client) -> None:
    response = http.post("/login", json={"user": "ann", "password": "pw"})
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.headers["x-auth-token"] == token
    assert response.json()["expires_in"] == 3600
    assert me(http, token).json()["user"] == "ann"
    assert http.post("/login", json={"user": "ann", "password": "no"}).status_code == 401
    assert oauth.state.login_requests == 2


def test_reset_clears_everything(oauth: OAuthServer, http: httpx.Client) -> None:
    http.post("/login", json={"user": "ann", "password": "pw"})
    oauth.state.expires_in = 1
    oauth.state.reset()
    assert oauth.state.login_requests == 0
    assert oauth.state.access_tokens == {}
    assert oauth.state.expires_in == 3600
