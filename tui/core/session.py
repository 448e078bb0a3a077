"""A working session on one workspace: what the TUI holds between sends.

The active environment, values typed for each call, values extracted from responses and
the long-lived sender. The TUI keeps one of these; a widget never builds requests itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CallbenchError
from .exchange import Exchange
from .models import Call
from .request_builder import PreparedRequest, build_request, preview_url
from .runner import scope_for
from .secrets import SecretLookup, store_lookup
from .selector import select
from .sender import Sender
from .templating import Scope
from .variables_info import VariableRow, describe_variables
from .workspace import Workspace, load_workspace


@dataclass
class Session:
    workspace: Workspace
    environment: str | None = None
    run_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    session_values: dict[str, Any] = field(default_factory=dict)
    extracted_from: dict[str, str] = field(default_factory=dict)
    secret_lookup: SecretLookup | None = None  # None: the workspace's secret stores
    sender: Sender = field(default_factory=Sender)

    @classmethod
    def open(cls, root: Path | str) -> Session:
        workspace = load_workspace(root)
        environment = workspace.settings.default_environment or None
        if environment not in workspace.environments:
            environment = None
        return cls(workspace, environment)

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
        rows = describe_variables(
            self.workspace,
            call,
            self._env_name,
            self.values_for(call.ref),
            self.session_values,
            self._lookup(),
        )
        for row in rows:
            if row.source == "session" and row.name in self.extracted_from:
                row.source = f"extracted from {self.extracted_from[row.name]}"
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
        """Build the request for ``call`` as edited (it need not be saved)."""
        return build_request(self.workspace, call, self._scope(call))

    def preview_url(self, call: Call) -> str:
        """The URL a send would use; the body is not built (see request_builder)."""
        return preview_url(self.workspace, call, self._scope(call))

    def _lookup(self) -> SecretLookup:
        if self.secret_lookup is not None:
            return self.secret_lookup
        return store_lookup(self.workspace.settings.id, self.environment)

    async def send(self, call: Call) -> Exchange:
        exchange = await self.sender.send(self.prepare(call))
        self.apply_extracts(call, exchange)
        return exchange

    def apply_extracts(self, call: Call, exchange: Exchange) -> list[str]:
        """Run the call's [[extract]] rules after a 2xx; the names that were set."""
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
        return set_names

    async def aclose(self) -> None:
        await self.sender.aclose()
