"""A working session on one workspace: what is held between sends.

The active environment, values typed for each call, values extracted from responses,
tokens (OAuth2, login calls) and the long-lived sender. The TUI keeps one for its life
and a widget never builds requests itself; ``callbench run`` makes one per run (with
``--session`` restoring its values), so both fronts send through the same path.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .auth import effective_auth
from .dynamic_auth import (
    TokenBroker,
    apply_token,
    is_dynamic,
    oauth2_settings,
    token_from_exchange,
    token_key,
)
from .errors import CallbenchError
from .exchange import Exchange
from .models import AuthConfig, Call, Variable, infer_type
from .oauth2 import AuthError, Interaction
from .request_builder import PreparedRequest, build_request, preview_url
from .runner import scope_for
from .secrets import SecretError, SecretLookup, SecretStore, environment_lookup
from .selector import select
from .sender import Sender
from .templating import Scope, to_text
from .tokens import Token, TokenCache
from .variables_info import VariableRow, describe_variables
from .workspace import Workspace, load_workspace

if TYPE_CHECKING:
    from .streaming import StreamSession


@dataclass
class Session:
    workspace: Workspace
    environment: str | None = None
    run_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    session_values: dict[str, Any] = field(default_factory=dict)
    extracted_from: dict[str, str] = field(default_factory=dict)
    secret_lookup: SecretLookup | None = None  # None: the workspace's secret stores
    # A vault passphrase given in the TUI: kept in memory for this session only.
    vault_passphrase: str | None = None
    sender: Sender = field(default_factory=Sender)
    # Shows the prompt of an interactive OAuth2 grant (browser, device code).
    interaction: Interaction | None = None
    broker: TokenBroker = field(init=False, repr=False)
    persisted: list[str] = field(init=False, default_factory=list)  # the last send's

    def __post_init__(self) -> None:
        self.broker = TokenBroker(TokenCache(self._token_store))

    @classmethod
    def open(cls, root: Path | str) -> Session:
        return cls.for_workspace(load_workspace(root))

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> Session:
        """A session on a loaded workspace, in the environment it opens with (the one
        remembered for it, else its default_environment, else none: see preferences)."""
        from .preferences import initial_environment

        return cls(workspace, initial_environment(workspace))

    def reload(self) -> None:
        self.workspace = load_workspace(self.workspace.root)
        if self.environment not in self.workspace.environments:
            self.environment = None

    def values_for(self, ref: str) -> dict[str, Any]:
        return self.run_values.setdefault(ref, {})

    def set_value(self, ref: str, name: str, value: Any) -> None:
        """A value typed for this call; None or "" clears it (the next layer applies)."""
        values = self.values_for(ref)
        if value is None or value == "":
            values.pop(name, None)
        else:
            values[name] = value

    @property
    def _env_name(self) -> str:
        """ "" asks the core for no environment (None would mean the default one)."""
        return self.environment or ""

    def variables(self, call: Call) -> list[VariableRow]:
        store = self.secret_store()
        rows = describe_variables(
            self.workspace,
            call,
            self._env_name,
            self.values_for(call.ref),
            self.session_values,
            self._lookup(store),
        )
        found_in = store.found_in if store is not None else {}
        for row in rows:
            if row.source == "session" and row.name in self.extracted_from:
                row.source = f"extracted from {self.extracted_from[row.name]}"
            elif row.source == "secret":  # which store: never the value
                row.source = found_in.get(row.name, "secret")
        return rows

    def _scope(self, call: Call) -> Scope:
        return scope_for(
            self.workspace,
            call,
            self._env_name,
            self.values_for(call.ref),
            self.session_values,
            self._lookup(),
        )

    def prepare(self, call: Call) -> PreparedRequest:
        """Build the request for ``call`` as edited (it need not be saved), with no
        network: an OAuth2 or login token is set only when one is cached (for curl
        export and the request preview); sending uses :meth:`prepare_authorized`."""
        scope = self._scope(call)
        prepared = build_request(self.workspace, call, scope)
        auth = self._auth(call)
        if auth is not None and is_dynamic(auth):
            token = self.broker.cached(token_key(auth, scope, self._token_where))
            if token is not None:
                apply_token(prepared, auth, token)
        return prepared

    # -- auth that fetches a token first ---------------------------------------------------

    def _auth(self, call: Call) -> AuthConfig | None:
        return effective_auth(call, self.workspace.collections.get(call.collection))

    @property
    def _token_where(self) -> str:
        return f"{self.workspace.root}\x1f{self.environment or ''}"  # root is resolved

    def _token_store(self) -> SecretStore | None:
        """Where tokens outlive the process: this workspace's store (by its id, or by its
        folder while it has none) for the active environment."""
        if self.secret_lookup is not None:  # tests and embedders chose their secrets
            return None
        return SecretStore(
            self.workspace.store_key, self.environment, passphrase=self.vault_passphrase
        )

    async def prepare_authorized(self, call: Call, *, renew: bool = False) -> PreparedRequest:
        """Build the request for ``call`` and, for OAuth2 or a login token, get a token
        (cached, refreshed, or obtained: this may send requests and wait for the user).
        ``renew``: the server refused the token we had."""
        auth = self._auth(call)
        scope = self._scope(call)
        if auth is None or not is_dynamic(auth):
            return build_request(self.workspace, call, scope)
        # Rendered before the build, so the secrets the settings use are masked too.
        settings = oauth2_settings(auth, scope) if auth.type == "oauth2" else None
        key = token_key(auth, scope, self._token_where, settings)
        prepared = build_request(self.workspace, call, scope)
        if settings is not None:
            http = self.sender.client(prepared.transport)  # the call's own TLS options
            token = await self.broker.oauth2(key, settings, http, self.interaction, renew)
        else:
            token = await self.broker.login(key, lambda: self._log_in(auth, call), renew)
        apply_token(prepared, auth, token)
        return prepared

    async def _log_in(self, auth: AuthConfig, call: Call) -> Token:
        """Send the login call of a ``token_from_call`` auth; its token (and its own
        [[extract]] rules apply, as for any send)."""
        ref = str(auth.params.get("call", ""))
        try:
            login = self.workspace.call(ref)
        except CallbenchError:
            raise AuthError(
                f"auth.call: no call {ref!r} in the workspace (the login of {call.ref})"
            ) from None
        login_auth = self._auth(login)
        if login_auth is not None and login_auth.type == "token_from_call":
            raise AuthError(
                f"auth.call: the login call {ref} uses token_from_call itself; "
                'give it its own [auth] (type = "none" or basic)'
            )
        exchange = await self.sender.send(await self.prepare_authorized(login))
        self.apply_extracts(login, exchange)
        return token_from_exchange(auth, exchange, ref)

    async def open_send(self, call: Call, *, reconnect: bool = False) -> StreamSession:
        """The send of ``call``, ready to ``async with``: a 401 to an OAuth2 or login
        token renews the token and sends once more."""
        from .streaming import StreamSession

        prepared = await self.prepare_authorized(call)
        renew = None
        if is_dynamic(self._auth(call)):

            async def renew_token() -> PreparedRequest:
                return await self.prepare_authorized(call, renew=True)

            renew = renew_token
        return StreamSession(
            self.sender,
            prepared,
            reconnect=reconnect or prepared.options.reconnect,
            renew=renew,
        )

    def preview_url(self, call: Call) -> str:
        """The URL a send would use; the body is not built (see request_builder)."""
        return preview_url(self.workspace, call, self._scope(call))

    def _lookup(self, store: SecretStore | None = None) -> SecretLookup:
        if self.secret_lookup is not None:
            return self.secret_lookup
        store = store or self.secret_store()
        return store.lookup if store is not None else environment_lookup()

    # -- secrets --------------------------------------------------------------------------

    def secret_store(self, passphrase: str | None = None) -> SecretStore | None:
        """The secret store of the active environment; None while the workspace has no
        id (only CALLBENCH_SECRET_<NAME> variables serve then)."""
        if not self.workspace.settings.id:
            return None
        return SecretStore(
            self.workspace.settings.id,
            self.environment,
            passphrase=passphrase or self.vault_passphrase,
        )

    def secret_target(self) -> str:
        """Where store_secret would keep a value: "keyring", "vault" (a passphrase is
        known), or "" (a vault passphrase must be given first)."""
        return self._any_store().where()

    @property
    def vault_locked(self) -> bool:
        """The vault file exists and no passphrase to open it is known."""
        return self._any_store().vault_locked

    def unlock_vault(self, passphrase: str) -> None:
        """Keep ``passphrase`` for this session if it opens the vault; SecretError if not.
        Blocking (scrypt): call it from a worker."""
        self._any_store(passphrase).unlock()
        self.vault_passphrase = passphrase

    def _any_store(self, passphrase: str | None = None) -> SecretStore:
        """A store for questions that do not depend on the workspace id."""
        return SecretStore(
            self.workspace.settings.id or "-",
            self.environment,
            passphrase=passphrase or self.vault_passphrase,
        )

    def store_secret(self, name: str, value: str, passphrase: str | None = None) -> str:
        """Keep ``value`` as secret ``name`` of the active environment, in the keyring
        when a secure one serves, else in the vault (``passphrase``, or the one known);
        where it went, for a message. Gives the workspace its id first (callbench.toml).
        Blocking (keyring, scrypt, a file write): call it from a worker."""
        from .store import ensure_workspace_id

        if not value:
            raise SecretError(f"no value to store for {name!r}")
        ensure_workspace_id(self.workspace)
        store = self.secret_store(passphrase)
        assert store is not None  # the workspace has an id now
        where = store.set(name, value)
        if passphrase and where.startswith("the vault"):
            self.vault_passphrase = passphrase
        return where

    async def send(self, call: Call) -> Exchange:
        """Send and read the whole response (a stream too: it must end)."""
        async with await self.open_send(call) as stream:
            exchange = await stream.read_exchange()
        self.apply_extracts(call, exchange)
        return exchange

    def apply_extracts(self, call: Call, exchange: Exchange) -> list[str]:
        """Run the call's [[extract]] rules after a 2xx; the names that were set. Rules
        with ``persist = true`` also keep their value (see :meth:`persist`); what became
        of each is in ``persisted``, for a message."""
        self.persisted = []
        if not 200 <= exchange.response.status < 300:
            return []
        set_names: list[str] = []
        for rule in call.extract:
            try:
                selection = select(rule.source, exchange.response)
            except CallbenchError:
                continue
            if selection.values:
                self.session_values[rule.variable] = selection.value
                self.extracted_from[rule.variable] = call.ref
                set_names.append(rule.variable)
                if rule.persist:
                    self.persisted.append(self.persist(call, rule.variable, selection.value))
        return set_names

    def persist(self, call: Call, name: str, value: Any) -> str:
        """Keep an extracted value past the session: a secret variable's in the keyring
        (or vault) of the active environment, any other in the environment's file (in
        place, comments kept). Never raises: the outcome is a one-line message."""
        from .request_builder import merged_declarations
        from .store import save_environment

        collection = self.workspace.collections.get(call.collection)
        current = self.workspace.environments.get(self.environment or "")
        declared = merged_declarations(call, collection, current).get(name)
        try:
            if declared is not None and declared.secret:
                return f"{name}: kept in {self.store_secret(name, to_text(value))}"
            if current is None:
                return f"{name}: not persisted: no environment is active"
            variables = dict(current.variables)
            old = variables.get(name)
            variables[name] = (
                replace(old, default=value)
                if old is not None
                else Variable(name, type=infer_type(value), default=value)
            )
            save_environment(self.workspace, replace(current, variables=variables))
        except CallbenchError as error:
            return f"{name}: not persisted: {error}"
        except OSError as error:
            return f"{name}: not persisted: {error.strerror or error}"
        return f"{name}: saved to environments/{current.name}.toml"

    async def aclose(self) -> None:
        await self.sender.aclose()
