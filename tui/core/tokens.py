"""Access tokens and where they are kept between sends and between runs.

A token obtained by OAuth2 or a login call is a credential: it is kept in memory for the
session and, when a secure store serves (the keyring, or the vault when its passphrase
is known), there too, so the next ``callbench run`` does not log in again. It is never
written to a workspace file or to the history.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from .secrets import SecretStore

# A token this close to its expiry counts as expired: it could lapse in flight.
MAX_SKEW = 30.0


@dataclass(slots=True)
class Token:
    access_token: str
    token_type: str = "Bearer"
    expires_at: float | None = None  # epoch seconds; None: until the server refuses it
    refresh_token: str = ""
    scope: str = ""
    lifetime: float | None = None  # what the server said, for the skew

    @classmethod
    def from_response(cls, fields: dict[str, Any], now: float | None = None) -> Token:
        """From a token endpoint's answer (``expires_in`` is relative)."""
        now = time.time() if now is None else now
        expires_in = fields.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float | str) else None
        scope = fields.get("scope", "")
        return cls(
            access_token=str(fields["access_token"]),
            token_type=str(fields.get("token_type") or "Bearer"),
            expires_at=now + lifetime if lifetime is not None else None,
            refresh_token=str(fields.get("refresh_token") or ""),
            scope=" ".join(scope) if isinstance(scope, list) else str(scope or ""),
            lifetime=lifetime,
        )

    def expired(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        now = time.time() if now is None else now
        skew = min(MAX_SKEW, (self.lifetime or MAX_SKEW * 10) * 0.1)
        return now >= self.expires_at - skew

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> Token | None:
        try:
            data = json.loads(text)
            return cls(**data)
        except (ValueError, TypeError):
            return None


def cache_key(*parts: str) -> str:
    """A short, stable name for a token from what identifies it (no secret in clear)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:20]
    return f"token-{digest}"


class TokenCache:
    """Tokens by key: in memory, backed by a secret store when one is usable.

    ``store`` gives the store of the current workspace and environment, or None when
    tokens should stay in memory. A store that fails (no keyring, a locked vault) is
    not an error: the token lives in memory for this session only.
    """

    def __init__(self, store: Callable[[], SecretStore | None] | None = None) -> None:
        self._store = store
        # Keys name the workspace and environment already (see dynamic_auth.token_key).
        self._memory: dict[str, Token] = {}

    def _backing(self) -> SecretStore | None:
        if self._store is None:
            return None
        try:
            store = self._store()
        except Exception:
            return None
        if store is None or not store.where():
            return None
        return store

    def get(self, key: str) -> Token | None:
        """Memory first (no keyring call on the hot path), then the store."""
        token = self._memory.get(key)
        if token is not None:
            return token
        store = self._backing()
        if store is None:
            return None
        try:
            text = store.lookup(key)
        except Exception:
            return None
        token = Token.loads(text) if text else None
        if token is not None:
            self._memory[key] = token
        return token

    def put(self, key: str, token: Token) -> None:
        self._memory[key] = token
        store = self._backing()
        if store is not None:
            with contextlib.suppress(Exception):  # else kept in memory for this session
                store.set(key, token.dumps())

    def drop(self, key: str) -> None:
        self._memory.pop(key, None)
        store = self._backing()
        if store is not None:
            with contextlib.suppress(Exception):
                store.delete(key)
