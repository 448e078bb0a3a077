"""The TUI's environment memory and secret editing: reveal, keep in keyring or vault."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.conftest import write
from tests.tui_helpers import open_call, sample_workspace, until_ready, wait_for
from tui.app.app import CallbenchApp
from tui.app.dialogs import PromptScreen
from tui.app.response import ResponseViewer
from tui.app.variables import NO_ENVIRONMENT, SecretHint, SecretInput, VariablesForm
from tui.core.preferences import remembered_environment, state_path
from tui.core.secrets import SecretStore, Vault, service_name, vault_path
from tui.core.store import ensure_workspace_id
from tui.core.workspace import load_workspace

SECRET = "s3cr3t-Tok-91x"
PASSPHRASE = "correct horse battery"


@pytest.fixture
def root(tmp_path: Path, server_url: str) -> Path:
    return sample_workspace(tmp_path / "ws", server_url)


@pytest.fixture
def secret_root(tmp_path: Path, server_url: str) -> Path:
    """A call whose bearer token is the secret variable ``token`` of environment dev."""
    return write(
        tmp_path / "sws",
        {
            "callbench.toml": 'name = "secrets"\ndefault_environment = "dev"\n',
            "environments/dev.toml": (
                f'[variables]\napi = "{server_url}"\ntoken = {{ secret = true }}\n'
            ),
            "api/collection.toml": (
                'name = "API"\nbase_url = "{{api}}"\n[auth]\ntype = "bearer"\ntoken = "{{token}}"\n'
            ),
            "api/echo.toml": 'name = "Echo"\nmethod = "GET"\nurl = "/echo"\n',
            "api/items.toml": 'name = "Items"\nmethod = "GET"\nurl = "/items"\n',
        },
    )


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fail backend (as conftest sets it) and no passphrase in the environment."""
    import keyring.core

    monkeypatch.delenv("CALLBENCH_VAULT_PASSPHRASE", raising=False)
    monkeypatch.delenv("CALLBENCH_SECRET_TOKEN", raising=False)
    keyring.core.init_backend()


def record_notes(app: CallbenchApp) -> list[tuple[str, str]]:
    """Every notification the app shows, as (severity, message)."""
    notes: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        notes.append((str(kwargs.get("severity", "information")), message))
        original(message, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    return notes


def form(app: CallbenchApp) -> VariablesForm:
    return app.query_one(VariablesForm)


def info(app: CallbenchApp, name: str) -> str:
    return str(form(app).info_for(name).render())


def secret_field(app: CallbenchApp, name: str = "token") -> SecretInput:
    field = form(app).input_for(name)
    assert isinstance(field, SecretInput)
    return field


def shown(field: Input) -> str:
    """The text the field draws on screen."""
    return field.render_line(0).text


def workspace_has(root: Path, text: str) -> list[Path]:
    """Every file under the workspace that contains ``text``."""
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*[c if c != " " else "space" for c in text])


async def send_and_read(pilot: Pilot[Any], app: CallbenchApp) -> dict[str, Any]:
    viewer = app.query_one(ResponseViewer)
    viewer.exchange = None
    await pilot.press("ctrl+j")
    await wait_for(pilot, lambda: viewer.exchange is not None)
    assert viewer.exchange is not None
    document: dict[str, Any] = viewer.exchange.response.json
    return document


# -- the environment, remembered ---------------------------------------------------------


async def test_the_chosen_environment_is_remembered_across_restarts(root: Path) -> None:
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        assert app.session.environment == "dev"  # nothing remembered: the default
        await pilot.press("f6", "down", "down", "enter")  # (none), dev, other
        await wait_for(pilot, lambda: remembered_environment(root) == (True, "other"))
    # Nothing of it in the workspace: the same files, the same bytes.
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        assert app.session.environment == "other"
        assert "env: other" in app.sub_title
        assert app.query_one("#environment", Select).value == "other"
        # "No environment" chosen in the form's selector is remembered too.
        app.query_one("#environment", Select).value = NO_ENVIRONMENT
        await wait_for(pilot, lambda: remembered_environment(root) == (True, None))
        assert app.session.environment is None
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        assert app.session.environment is None
        assert "env: no environment" in app.sub_title


async def test_a_remembered_environment_that_was_deleted_falls_back(root: Path) -> None:
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        app.query_one("#environment", Select).value = "other"
        await wait_for(pilot, lambda: remembered_environment(root) == (True, "other"))
    (root / "environments/other.toml").unlink()
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        assert app.session.environment == "dev"


async def test_a_corrupt_state_file_does_not_stop_the_tui(root: Path) -> None:
    state_path().parent.mkdir(parents=True, exist_ok=True)
    state_path().write_text("{ this is not json")
    app = CallbenchApp(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        assert app.session.environment == "dev"


# -- secrets in the variables form ---------------------------------------------------------


async def test_the_reveal_toggle_flips_masking_and_a_call_change_masks_again(
    secret_root: Path, no_keyring: None
) -> None:
    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Echo")
        await wait_for(pilot, lambda: "token" in form(app)._names)
        field = secret_field(app)
        assert field.password
        assert "missing" in info(app, "token") and "CALLBENCH_SECRET_TOKEN" in info(app, "token")
        field.focus()
        await type_text(pilot, SECRET)
        await pilot.pause()
        assert app.session.values_for("api/echo")["token"] == SECRET
        assert SECRET not in shown(field)  # masked
        assert "••••••" in info(app, "token") and SECRET not in info(app, "token")
        hint = app.query_one(SecretHint)
        assert "ctrl+t show" in str(hint.render())
        await pilot.press("ctrl+t")
        assert not field.password and field.revealed
        assert SECRET in shown(field)
        assert "ctrl+t hide" in str(hint.render())
        assert SECRET not in info(app, "token")  # the info line never shows it
        await pilot.press("ctrl+t")
        assert field.password
        await pilot.click(SecretHint)  # the hint is the mouse's toggle
        assert not field.password
        # Another call, then back: the field is masked again, the typed value kept.
        await open_call(pilot, "Items")
        await open_call(pilot, "Echo")
        await wait_for(pilot, lambda: "token" in form(app)._names)
        field = secret_field(app)
        assert field.password and field.value == SECRET
        # The footer and the help list the secret's keys.
        field.focus()
        await pilot.pause()
        bindings = {b.key for b in SecretInput.BINDINGS}  # type: ignore[union-attr]
        assert {"ctrl+t", "ctrl+k"} <= bindings


async def test_keep_in_the_keyring_from_the_form(secret_root: Path, file_keyring: Path) -> None:
    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notes(app)
        await open_call(pilot, "Echo")
        await wait_for(pilot, lambda: "token" in form(app)._names)
        assert "ctrl+k keep in keyring" in str(app.query_one(SecretHint).render())
        field = secret_field(app)
        field.focus()
        await type_text(pilot, SECRET)
        await pilot.press("ctrl+t")  # revealed, then kept: it is masked again
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: any("Stored token" in m for _, m in notes))
        assert ("information", "Stored token in the keyring (FileKeyring) for dev") in notes
        await wait_for(pilot, lambda: "from the keyring" in info(app, "token"))
        assert field.value == "" and field.password
        assert "token" not in app.session.values_for("api/echo")
        assert SECRET not in info(app, "token")
        echoed = await send_and_read(pilot, app)
        assert echoed["headers"]["authorization"] == f"Bearer {SECRET}"
    # Read back through core: the keyring has it under the workspace's new id ...
    workspace = load_workspace(secret_root)
    assert workspace.settings.id
    assert SecretStore(workspace.settings.id, "dev").lookup("token") == SECRET
    assert SECRET in file_keyring.read_text()
    # ... and no file of the workspace has a trace of it.
    assert workspace_has(secret_root, SECRET) == []
    assert not vault_path().exists()


async def test_keep_in_the_vault_asks_a_passphrase_then_sends_with_it(
    secret_root: Path, no_keyring: None
) -> None:
    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notes(app)
        await open_call(pilot, "Echo")
        await wait_for(pilot, lambda: "token" in form(app)._names)
        assert "ctrl+k keep in vault" in str(app.query_one(SecretHint).render())
        secret_field(app).focus()
        await type_text(pilot, SECRET)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        prompt = app.screen.query_one("#prompt-input", Input)
        assert prompt.password  # the passphrase is masked
        await type_text(pilot, PASSPHRASE)
        assert PASSPHRASE not in shown(prompt)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))  # once more
        assert app.screen.query_one("#prompt-input", Input).password
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("Stored token" in m for _, m in notes), timeout=20)
        assert any(m.startswith("Stored token in the vault (") for _, m in notes)
        assert app.session.vault_passphrase == PASSPHRASE  # in memory, this session only
        await wait_for(pilot, lambda: "from the vault" in info(app, "token"))
        assert secret_field(app).value == ""
        echoed = await send_and_read(pilot, app)
        assert echoed["headers"]["authorization"] == f"Bearer {SECRET}"
    path = vault_path()
    assert str(path).startswith(os.environ["XDG_DATA_HOME"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SECRET.encode() not in path.read_bytes()
    workspace = load_workspace(secret_root)
    stored = Vault(path, PASSPHRASE).read()
    assert stored[service_name(workspace.settings.id, "dev")]["token"] == SECRET
    assert workspace_has(secret_root, SECRET) == []
    assert workspace_has(secret_root, PASSPHRASE) == []
    assert not any(PASSPHRASE.encode() in p.read_bytes() for p in path.parent.rglob("*"))


async def test_two_different_passphrases_for_a_new_vault_store_nothing(
    secret_root: Path, no_keyring: None
) -> None:
    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notes(app)
        await open_call(pilot, "Echo")
        await wait_for(pilot, lambda: "token" in form(app)._names)
        secret_field(app).focus()
        await type_text(pilot, SECRET)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "one")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "two")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("differ" in m for _, m in notes))
        assert not vault_path().exists()
        assert secret_field(app).value == SECRET  # still typed, still usable for this run


async def test_a_send_with_a_locked_vault_asks_its_passphrase(
    secret_root: Path, no_keyring: None
) -> None:
    workspace = load_workspace(secret_root)
    SecretStore(ensure_workspace_id(workspace), "dev", passphrase=PASSPHRASE).set("token", SECRET)
    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notes(app)
        await open_call(pilot, "Echo")
        await wait_for(pilot, lambda: "token" in form(app)._names)
        assert "vault is locked" in info(app, "token")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, "wrong one")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(s == "error" for s, _ in notes), timeout=20)
        message = next(m for s, m in notes if s == "error")
        assert message.startswith("Vault not opened:") and "does not open" in message
        assert "\n" not in message and "Traceback" not in message
        assert app.session.vault_passphrase is None
        # A wrong passphrase: the next send asks again; the right one sends.
        viewer = app.query_one(ResponseViewer)
        viewer.exchange = None
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: viewer.exchange is not None, timeout=20)
        assert viewer.exchange is not None
        echoed = viewer.exchange.response.json
        assert echoed["headers"]["authorization"] == f"Bearer {SECRET}"
        assert ("information", "The vault is open for this session") in notes
        assert "from the vault" in info(app, "token")


async def test_a_cancelled_passphrase_is_asked_once(secret_root: Path, no_keyring: None) -> None:
    workspace = load_workspace(secret_root)
    SecretStore(ensure_workspace_id(workspace), "dev", passphrase=PASSPHRASE).set("token", SECRET)
    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_call(pilot, "Echo")
        await pilot.press("ctrl+j")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+j")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, PromptScreen)
        status = str(app.query_one("#response-status").render())
        assert "Not sent" in status and "token" in status
        # The command palette's "Unlock the vault" still asks.
        app.action_unlock_vault()
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await type_text(pilot, PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.vault_passphrase == PASSPHRASE, timeout=20)
        await wait_for(pilot, lambda: "from the vault" in info(app, "token"))


async def test_keep_with_nothing_typed_only_warns(secret_root: Path, file_keyring: Path) -> None:
    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notes(app)
        await open_call(pilot, "Echo")
        await wait_for(pilot, lambda: "token" in form(app)._names)
        secret_field(app).focus()
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: bool(notes))
        assert notes[0][0] == "warning" and "Type the value of token" in notes[0][1]
        assert not file_keyring.exists()
        assert 'id = "' not in (secret_root / "callbench.toml").read_text()


async def test_the_help_screen_lists_the_secret_keys(secret_root: Path) -> None:
    from tui.app.help import key_table

    app = CallbenchApp(secret_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ready(pilot)
        from rich.console import Console

        console = Console(width=120, record=True)
        console.print(key_table(app))
        text = console.export_text()
        assert "Show/hide secret" in text and "Keep in keyring/vault" in text
