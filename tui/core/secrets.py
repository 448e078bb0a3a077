"""Where secret variables get their values: never from a workspace file.

In order: the environment variable ``CALLBENCH_SECRET_<NAME>`` (CI, a one-off), the
system keyring when it is a secure one, then callbench's own encrypted vault. Keyring
entries are keyed by a stable workspace id (``id`` in callbench.toml, created on the
first ``secret set``), the environment and the name.

The keyring is used only when its backend is secure (priority >= 1: Secret Service,
KWallet, macOS Keychain, Windows) or chosen explicitly (``PYTHON_KEYRING_BACKEND``, a
``keyringrc.cfg``): keyring otherwise falls back silently to a plaintext file (with
keyrings.alt) or fails on every call. Where no keyring serves (SSH, CI), the vault is a
file in the user data folder (mode 0600), encrypted with AES-GCM under a key derived
from a passphrase with scrypt; the passphrase comes from ``CALLBENCH_VAULT_PASSPHRASE``
or is asked for.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import platformdirs

from .errors import CallbenchError
from .templating import env_suffix

SecretLookup = Callable[[str], str | None]
VAULT_ENV = "CALLBENCH_VAULT_PASSPHRASE"
_INSECURE = ("fail", "null", "plaintext", "chainer")


def env_var_name(name: str) -> str:
    return f"CALLBENCH_SECRET_{env_suffix(name)}"


def environment_lookup(environ: Mapping[str, str] | None = None) -> SecretLookup:
    source = os.environ if environ is None else environ

    def lookup(name: str) -> str | None:
        return source.get(env_var_name(name))

    return lookup


class SecretError(CallbenchError):
    pass


# -- the keyring --------------------------------------------------------------------------


def usable_keyring() -> Any | None:
    """The keyring backend if it is secure or chosen explicitly, else None."""
    try:
        import keyring
        from keyring.util import platform_ as keyring_platform
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}".lower()
    explicit = (
        bool(os.environ.get("PYTHON_KEYRING_BACKEND"))
        or Path(keyring_platform.config_root(), "keyringrc.cfg").is_file()
    )
    if any(part in name for part in ("fail", "null")):
        return None
    if explicit:
        return backend
    try:
        secure = float(backend.priority) >= 1
    except Exception:
        secure = False
    if not secure or "plaintext" in name:
        return None
    return backend


def service_name(workspace_id: str, environment: str | None) -> str:
    return f"callbench:{workspace_id}:{environment or '-'}"


# -- the vault ----------------------------------------------------------------------------


def vault_path() -> Path:
    return Path(platformdirs.user_data_dir("callbench")) / "vault.json"


@functools.lru_cache(maxsize=8)
def _derive_key(passphrase: bytes, salt: bytes) -> bytes:
    """scrypt is slow on purpose (~0.1 s): a variables form that looks secrets up on
    every keystroke derives the key of one vault file once, not each time."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase)


class Vault:
    """An encrypted map of service -> name -> value in one file (0600)."""

    def __init__(self, path: Path, passphrase: str) -> None:
        self.path = path
        self._passphrase = passphrase.encode()

    def _key(self, salt: bytes) -> bytes:
        return _derive_key(self._passphrase, salt)

    def read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            salt, nonce, data = (base64.b64decode(stored[k]) for k in ("salt", "nonce", "data"))
            plain = AESGCM(self._key(salt)).decrypt(nonce, data, b"callbench-vault-1")
        except InvalidTag:
            raise SecretError(f"the vault {self.path} does not open with this passphrase") from None
        except (ValueError, KeyError, OSError) as error:
            raise SecretError(f"the vault {self.path} cannot be read: {error}") from None
        result: dict[str, dict[str, str]] = json.loads(plain)
        return result

    def write(self, content: dict[str, dict[str, str]]) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt, nonce = os.urandom(16), os.urandom(12)
        data = AESGCM(self._key(salt)).encrypt(
            nonce, json.dumps(content).encode(), b"callbench-vault-1"
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    k: base64.b64encode(v).decode()
                    for k, v in (("salt", salt), ("nonce", nonce), ("data", data))
                },
                handle,
            )
        os.replace(temp, self.path)
        os.chmod(self.path, 0o600)


# -- the store ----------------------------------------------------------------------------


class SecretStore:
    """Secrets of one workspace and environment, from wherever they are kept."""

    def __init__(
        self,
        workspace_id: str,
        environment: str | None,
        *,
        environ: Mapping[str, str] | None = None,
        passphrase: str | None = None,
    ) -> None:
        self.service = service_name(workspace_id, environment)
        self.environ = os.environ if environ is None else environ
        self.passphrase = passphrase or self.environ.get(VAULT_ENV)
        # Where each value found by lookup() came from (a place, never the value).
        self.found_in: dict[str, str] = {}

    def _vault(self) -> Vault | None:
        return Vault(vault_path(), self.passphrase) if self.passphrase else None

    @property
    def vault_locked(self) -> bool:
        """The vault file exists but no passphrase is known to open it."""
        return not self.passphrase and vault_path().exists()

    def lookup(self, name: str) -> str | None:
        """The secret's value, or None when no store has it."""
        variable = env_var_name(name)
        value = self.environ.get(variable)
        if value:
            self.found_in[name] = f"${variable}"
            return value
        backend = usable_keyring()
        if backend is not None:
            try:
                found = backend.get_password(self.service, name)
            except Exception:
                found = None
            if found:
                self.found_in[name] = "the keyring"
                return str(found)
        vault = self._vault()
        if vault is not None and vault.path.exists():
            stored = vault.read().get(self.service, {}).get(name)
            if stored is not None:
                self.found_in[name] = "the vault"
            return stored
        return None

    def unlock(self) -> None:
        """Check that the passphrase opens the vault (if there is one): SecretError if not."""
        vault = self._vault()
        if vault is None:
            raise SecretError("no vault passphrase given")
        vault.read()

    def where(self) -> str:
        """Where a ``set`` goes: the keyring if usable, else the vault."""
        if usable_keyring() is not None:
            return "keyring"
        if self.passphrase:
            return "vault"
        return ""

    def set(self, name: str, value: str) -> str:
        backend = usable_keyring()
        if backend is not None:
            backend.set_password(self.service, name, value)
            return f"the keyring ({type(backend).__name__})"
        vault = self._vault()
        if vault is None:
            raise SecretError(
                "no secure keyring here and no vault passphrase: set "
                f"{VAULT_ENV} (or give it when asked) to keep secrets in callbench's "
                f"encrypted vault, or use the environment variable {env_var_name(name)}"
            )
        content = vault.read()
        content.setdefault(self.service, {})[name] = value
        vault.write(content)
        return f"the vault ({vault.path})"

    def delete(self, name: str) -> bool:
        deleted = False
        backend = usable_keyring()
        if backend is not None:
            try:
                backend.delete_password(self.service, name)
                deleted = True
            except Exception:
                pass
        vault = self._vault()
        if vault is not None and vault.path.exists():
            content = vault.read()
            if content.get(self.service, {}).pop(name, None) is not None:
                vault.write(content)
                deleted = True
        return deleted


def store_lookup(workspace_id: str, environment: str | None) -> SecretLookup:
    """The lookup for requests: every store when the workspace has an id, else only the
    environment variables (an id is made by the first ``callbench secret set``)."""
    if not workspace_id:
        return environment_lookup()
    return SecretStore(workspace_id, environment).lookup
