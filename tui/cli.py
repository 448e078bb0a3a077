"""The ``callbench`` command: the TUI, and ``run`` for scripts and CI.

Only argparse is imported at start-up: the core (httpx, tomlkit...) is imported by the
command that needs it and Textual only when the TUI opens, so ``callbench run`` starts
fast. Exit codes are a contract (DESIGN.md): 0 a response arrived, 1 the request could
not be built, 2 usage, 3 transport, 4/5 a 4xx/5xx with --check-status.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from tui.core.exchange import Exchange, ResponseData

EXIT_OK = 0
EXIT_BUILD = 1
EXIT_USAGE = 2
EXIT_TRANSPORT = 3
EXIT_4XX = 4
EXIT_5XX = 5
EXIT_INTERRUPTED = 130

COMMANDS = ("run", "serve", "secret")

DESCRIPTION = """\
A keyboard-first terminal workbench for HTTP APIs.

commands:
  callbench [WORKSPACE]        open the workbench (default: the current folder)
  callbench run REF [-w WORKSPACE] [-e ENV] [-v NAME=VALUE]... [--path EXPR|NAME]
                [-i/--include] [--check-status] [--json]
                               send one call and print the response
  callbench serve [WORKSPACE] [--host H] [--port N]
                               serve the workspace's endpoints/ (mocks, webhooks)
  callbench secret set|get|delete NAME [-e ENV] [-w WORKSPACE]
                               keep a secret in the keyring or the encrypted vault

run options (details: 'callbench run --help'):
  -w, --workspace DIR   workspace folder (default: found from the current folder)
  -e, --env ENV         environment to use
  -v, --var NAME=VALUE  a variable for this run (repeatable; NAME=@FILE reads a file)
  --path EXPR|NAME      print what a JSONPath, header:NAME, status or named path finds
  -i, --include         print the status line and headers first
  --check-status        exit 4 for a 4xx and 5 for a 5xx
  --json                print one JSON object describing the exchange

exit status of run:
  0  a response arrived
  1  the request could not be built
  2  usage error
  3  transport error (refused, DNS, TLS, timeout, reset)
  4  a 4xx response, with --check-status
  5  a 5xx response, with --check-status"""

RUN_EPILOG = """\
variables:
  -v NAME=VALUE gives a value for this run; it wins over the session, the
  environment and the defaults. -v NAME=@FILE reads the value from FILE
  (write @@ for a value that starts with a literal @).
  --session NAME keeps the values [[extract]] rules set (a login's token) for the
  next run with the same NAME; secret ones only in the keyring or vault.

auth:
  OAuth2 and login-call tokens are fetched before the send, cached (keyring or
  vault when one serves) and renewed on expiry or a 401. An authorization-code
  grant prints the URL to open on stderr and opens a browser when one is at hand;
  over SSH paste the URL the browser ended on. Set CALLBENCH_NO_BROWSER=1 to
  never open one.

output:
  The response body goes to stdout, JSON pretty-printed. --path prints what the
  selector found instead: a string as is, anything else as JSON, several matches
  as a JSON array. A selector is a JSONPath ($.items[*].id), header:NAME, status,
  or the name of one of the call's [paths].

streams:
  A text/event-stream (SSE) or NDJSON response is printed event by event as it
  arrives: its data, --path's projection, or with --json one object per event.
  A summary goes to stderr; ctrl+c stops cleanly (exit 0). --reconnect reopens a
  dropped stream, sending Last-Event-ID.

exit status:
  0  a response arrived (any status, unless --check-status)
  1  the request could not be built (workspace, variable, template or body error,
     or no credential: a refused OAuth2 grant, a failed login call)
     or --path could not be applied to the response
  2  usage error (unknown option, invalid JSONPath)
  3  transport error (refused, DNS, TLS, timeout, reset)
  4  a 4xx response, with --check-status
  5  a 5xx response, with --check-status

examples:
  callbench run httpbin/get-json
  callbench run stripe/customers/create -e dev -v email=ann@example.com
  callbench run auth/login --path '$.access_token'
  callbench run demo/list-items --json | jq .timing"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"callbench: {message} (see '{self.prog} --help')\n")


def _top_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="callbench",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "workspace", nargs="?", default=".", help="workspace folder to open (default: .)"
    )
    parser.add_argument("--version", action="version", version=f"callbench {_version()}")
    return parser


def _run_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="callbench run",
        description="Send one call from a workspace and print the response.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("ref", metavar="REF", help="the call, e.g. stripe/customers/create")
    parser.add_argument(
        "-w", "--workspace", default=None, help="workspace folder (default: found from .)"
    )
    parser.add_argument("-e", "--env", default=None, help="environment to use")
    parser.add_argument(
        "-v",
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for this run (repeatable; NAME=@FILE reads a file)",
    )
    parser.add_argument(
        "--path", default=None, metavar="EXPR|NAME", help="print what this selector finds"
    )
    parser.add_argument(
        "-i", "--include", action="store_true", help="print the status line and headers first"
    )
    parser.add_argument(
        "--check-status", action="store_true", help="exit 4 for a 4xx and 5 for a 5xx"
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object describing the exchange"
    )
    parser.add_argument(
        "--check-type",
        action="store_true",
        help="compare the JSON response with the call's stored data type; exit 1 on drift",
    )
    parser.add_argument(
        "--save-type",
        action="store_true",
        help="merge the JSON response into the call's stored data type ([data_type])",
    )
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="reopen a dropped stream (SSE retry, Last-Event-ID)",
    )
    parser.add_argument(
        "--curl",
        action="store_true",
        help="print the request as a curl command instead of sending it (secrets masked)",
    )
    parser.add_argument(
        "--reveal", action="store_true", help="with --curl: show secret values in clear"
    )
    parser.add_argument(
        "--session",
        default=None,
        metavar="NAME",
        help="keep extracted values between runs under NAME (in the user data folder)",
    )
    return parser


def _serve_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="callbench serve",
        description=(
            "Serve the endpoints in the workspace's endpoints/ folder: mocks, webhook "
            "receivers, SSE streams. Prints one line per request; ctrl+c stops."
        ),
        epilog=(
            "host and port default to [serve] in callbench.toml, else 127.0.0.1:8787.\n"
            "Endpoint files are reloaded when they change. Every request is recorded in\n"
            "the run history (user data folder), secrets redacted."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("workspace", nargs="?", default=None, help="workspace (default: .)")
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8787; 0: any)")
    parser.add_argument(
        "--max-body",
        type=int,
        default=10 * 1024 * 1024,
        metavar="BYTES",
        help="largest request body accepted, else 413 (default 10 MB)",
    )
    parser.add_argument(
        "--no-reload", action="store_true", help="do not reload endpoint files on change"
    )
    return parser


def _secret_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="callbench secret",
        description=(
            "Keep a secret variable's value out of the workspace: in the system keyring "
            "when it is a secure one, else in callbench's encrypted vault."
        ),
        epilog=(
            "set reads the value without echo on a terminal, else from stdin.\n"
            "Lookups also take CALLBENCH_SECRET_<NAME> from the environment first.\n"
            "The vault's passphrase comes from CALLBENCH_VAULT_PASSPHRASE or is asked for."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=("set", "get", "delete"))
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("-e", "--env", default=None, help="environment (default: the default)")
    parser.add_argument("-w", "--workspace", default=None, help="workspace folder")
    return parser


def cmd_secret(args: argparse.Namespace) -> int:
    import getpass

    from tui.core.errors import CallbenchError
    from tui.core.secrets import VAULT_ENV, SecretStore, usable_keyring
    from tui.core.store import ensure_workspace_id
    from tui.core.workspace import find_root, load_workspace

    try:
        root = Path(args.workspace).expanduser() if args.workspace else find_root(Path.cwd())
        workspace = load_workspace(root)
        environment = workspace.environment(args.env)
        env_name = environment.name if environment else None
        workspace_id = (
            ensure_workspace_id(workspace) if args.action == "set" else (workspace.settings.id)
        )
        if not workspace_id:
            fail(EXIT_BUILD, f"no secrets are stored for {workspace.root} yet")
        passphrase = os.environ.get(VAULT_ENV)
        if usable_keyring() is None and not passphrase and sys.stdin.isatty():
            passphrase = getpass.getpass("vault passphrase: ")
        store = SecretStore(workspace_id, env_name, passphrase=passphrase)
        if args.action == "set":
            if sys.stdin.isatty():
                value = getpass.getpass(f"value of {args.name}: ")
            else:
                value = sys.stdin.read().rstrip("\n")
            if not value:
                fail(EXIT_USAGE, "an empty value was given: nothing stored")
            where = store.set(args.name, value)
            sys.stderr.write(f"callbench: stored {args.name} in {where}\n")
            return EXIT_OK
        if args.action == "get":
            found = store.lookup(args.name)
            if found is None:
                fail(EXIT_BUILD, f"secret {args.name!r} has no value here")
            sys.stdout.write(found + "\n")
            return EXIT_OK
        if not store.delete(args.name):
            fail(EXIT_BUILD, f"secret {args.name!r} was not stored")
        sys.stderr.write(f"callbench: deleted {args.name}\n")
        return EXIT_OK
    except CallbenchError as error:
        fail(EXIT_BUILD, str(error))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("callbench")
    except PackageNotFoundError:
        return "unknown"


def fail(code: int, message: str) -> NoReturn:
    sys.stderr.write(f"callbench: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def parse_vars(items: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            fail(EXIT_USAGE, f"-v {item!r}: expected NAME=VALUE")
        if value.startswith("@@"):
            value = value[1:]
        elif value.startswith("@"):
            path = Path(value[1:]).expanduser()
            try:
                value = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                fail(EXIT_BUILD, f"-v {name}=@{path}: file not found")
            except (OSError, UnicodeDecodeError) as error:
                fail(EXIT_BUILD, f"-v {name}=@{path}: cannot read: {error}")
        values[name] = value
    return values


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args and args[0] == "run":
            return cmd_run(_run_parser().parse_args(args[1:]))
        if args and args[0] == "serve":
            return cmd_serve(_serve_parser().parse_args(args[1:]))
        if args and args[0] == "secret":
            return cmd_secret(_secret_parser().parse_args(args[1:]))
        return cmd_tui(_top_parser().parse_args(args))
    except KeyboardInterrupt:
        sys.stderr.write("callbench: interrupted\n")
        return EXIT_INTERRUPTED
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_BUILD
    except BrokenPipeError:
        # The reader went away (| head): not an error of ours.
        sys.stderr.close()
        return EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    workspace = Path(args.workspace).expanduser()
    if not workspace.is_dir():
        fail(EXIT_USAGE, f"workspace folder {str(workspace)!r} does not exist")
    from tui.app.app import run_app

    code: int = run_app(workspace)
    return code


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio

    from tui.core.errors import CallbenchError, PathError, TransportError
    from tui.core.selector import compile_path
    from tui.core.workspace import find_root, load_workspace

    values = parse_vars(args.var)
    try:
        root = Path(args.workspace).expanduser() if args.workspace else find_root(Path.cwd())
        workspace = load_workspace(root)
        call = workspace.call(args.ref)
    except CallbenchError as error:
        fail(EXIT_BUILD, str(error))
    named = bool(args.path) and args.path in call.paths
    selector = call.paths[args.path] if named else args.path
    if selector and selector != "status" and not selector.lower().startswith("header:"):
        try:
            compile_path(selector)
        except PathError as error:
            if named:  # the workspace's fault, not the command line's
                fail(EXIT_BUILD, f"[paths] {args.path} of {call.ref}: {error}")
            fail(EXIT_USAGE, f"--path: {error}")
    try:
        return asyncio.run(_send(workspace, call, args, values, selector))
    except TransportError as error:
        fail(EXIT_TRANSPORT, str(error))
    except CallbenchError as error:
        fail(EXIT_BUILD, str(error))


def cmd_serve(args: argparse.Namespace) -> int:
    from tui.core.endpoints.history import RunRecord
    from tui.core.endpoints.server import EndpointsApp, EndpointServer
    from tui.core.errors import CallbenchError
    from tui.core.workspace import find_root, load_workspace

    try:
        root = Path(args.workspace).expanduser() if args.workspace else find_root(Path.cwd())
        settings = load_workspace(root).settings
        host = args.host or settings.serve_host
        port = settings.serve_port if args.port is None else args.port
        app = EndpointsApp(root, max_body=args.max_body, reload=not args.no_reload)
    except CallbenchError as error:
        fail(EXIT_BUILD, str(error))
    for problem in app.endpoints.problems.values():
        sys.stderr.write(f"callbench: not served: {problem}\n")
    if host in ("0.0.0.0", "::", ""):
        sys.stderr.write(
            "callbench: WARNING: listening on every network interface: anyone who can "
            "reach this machine can call these endpoints\n"
        )

    def line(record: RunRecord) -> None:
        sys.stdout.write(record.line() + "\n")
        sys.stdout.flush()

    app.history.listeners.append(line)
    try:
        server = EndpointServer(app, host, port)
    except CallbenchError as error:
        fail(EXIT_TRANSPORT, str(error))
    count = len(app.endpoints.endpoints)
    sys.stderr.write(
        f"callbench: serving {count} endpoint(s) of {app.root} on {server.url} (ctrl+c stops)\n"
    )
    sys.stderr.flush()
    with contextlib.suppress(KeyboardInterrupt):  # ctrl+c is how a server stops
        server.run()
    sys.stderr.write(f"callbench: stopped after {len(app.history.runs)} request(s)\n")
    return EXIT_OK


async def _send(
    workspace: Any,
    call: Any,
    args: argparse.Namespace,
    values: dict[str, str],
    selector: str | None,
) -> int:
    """Send; print a whole response, or a stream's events as they arrive."""
    from tui.cli_prompt import TerminalInteraction
    from tui.core import saved_sessions
    from tui.core.runner import check_usable
    from tui.core.sender import Sender
    from tui.core.session import Session

    check_usable(workspace, call, args.env)
    environment = workspace.environment(args.env)
    async with Sender() as sender:
        session = Session(
            workspace,
            environment.name if environment else None,
            run_values={call.ref: values},
            sender=sender,
            interaction=TerminalInteraction(),
        )
        if args.session:
            session.session_values, session.extracted_from = saved_sessions.load(
                workspace, args.session
            )
        if args.curl:
            from tui.core.curl import to_curl

            prepared = await session.prepare_authorized(call)  # a token for a usable command
            sys.stdout.write(to_curl(prepared, reveal=args.reveal) + "\n")
            return EXIT_OK
        try:
            async with await session.open_send(call, reconnect=args.reconnect) as stream:
                if stream.kind is None:
                    exchange = await stream.read_exchange()
                else:
                    return await _print_stream(stream, args, selector)
            session.apply_extracts(call, exchange)
            for note in session.persisted:
                sys.stderr.write(f"callbench: {note}\n")
        finally:  # a login's extracted values are kept even when the call then fails
            if args.session:
                _save_session(session, args.session)
    code = _report(exchange, args, selector)
    drift_code = _data_type(workspace, call, exchange, args)
    return drift_code if drift_code else code


def _save_session(session: Any, name: str) -> None:
    from tui.core import saved_sessions

    lost = saved_sessions.save(
        session.workspace, name, session.session_values, session.extracted_from
    )
    if lost:
        sys.stderr.write(
            f"callbench: session {name!r}: secret values not kept (no keyring or vault "
            f"passphrase here): {', '.join(lost)}\n"
        )


async def _print_stream(session: Any, args: argparse.Namespace, selector: str | None) -> int:
    """One line (or JSON object) per event, flushed; ctrl+c ends it cleanly with exit 0."""
    import asyncio

    import orjson

    from tui.core.selector import compile_path
    from tui.core.streaming import Reconnect

    head = session.head()
    out = sys.stdout
    if args.include and not args.json:
        out.write(head.response.head_text(head.secrets))
    path = compile_path(selector) if selector and not _is_special(selector) else None
    stopped = ""
    try:
        async for item in session.events():
            if isinstance(item, Reconnect):
                sys.stderr.write(
                    f"callbench: reconnecting (attempt {item.attempt}, in {item.wait:g} s): "
                    f"{item.reason}\n"
                )
                continue
            if args.json:
                document: dict[str, Any] = {
                    "event": item.event,
                    "data": item.data,
                    "id": item.id,
                    "retry": item.retry,
                    "offset": round(item.offset, 6),
                }
                if path is not None:
                    document["value"] = _project(path, item.data)
                line = orjson.dumps(document).decode()
            elif path is not None:
                value = _project(path, item.data)
                if value is None:
                    continue  # not JSON, or nothing found: nothing to print
                line = _format_value(value)
            else:
                line = item.data
            out.write(line + "\n")
            out.flush()
    except asyncio.CancelledError:
        stopped = "stopped"
    stats = session.stats
    ending = stopped or (str(session.error) if session.error else "the stream ended")
    kind = head.response.content_type
    if stats.events == 0 and session.kind == "sse" and kind != "text/event-stream":
        ending += f" (no events: the response is {kind or 'untyped'}, not text/event-stream)"
    if session.incomplete and not stopped:
        ending += " (an unfinished event at the end was dropped)"
    sys.stderr.write(
        f"callbench: {stats.events} event(s) in {stats.elapsed:.1f} s "
        f"({stats.rate:.0f}/s, {stats.bytes} bytes, {stats.reconnects} reconnect(s)); "
        f"{ending}\n"
    )
    return EXIT_TRANSPORT if session.error is not None and not stopped else EXIT_OK


def _project(path: Any, data: str) -> Any:
    """A JSONPath applied to an event's data: None when it is not JSON or finds nothing."""
    import orjson

    from tui.core.selector import select_json

    try:
        selection = select_json(path, orjson.loads(data))
    except orjson.JSONDecodeError:
        return None
    return selection.value if selection.values else None


def _is_special(selector: str) -> bool:
    return selector == "status" or selector.lower().startswith("header:")


def _report(exchange: Exchange, args: argparse.Namespace, selector: str | None) -> int:
    import orjson

    from tui.core.errors import PathError
    from tui.core.redact import redact_value
    from tui.core.selector import select

    response = exchange.response
    out = sys.stdout
    selection = None
    if selector:
        try:
            selection = select(selector, response)
        except PathError as error:
            fail(EXIT_BUILD, f"--path: {error}")
    if args.json:
        document = exchange.to_json(body=selection is None)
        if selection is not None:
            value = redact_value(selection.value, exchange.secrets)
            document["path"] = {"name": args.path, "selector": selector, "value": value}
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        if args.include:
            out.write(response.head_text(exchange.secrets))
        if selection is not None:
            if not selection.values:
                sys.stderr.write(f"callbench: --path {selector} matched nothing\n")
            else:
                out.write(_format_value(selection.value) + "\n")
        else:
            _write_body(response)
    out.flush()
    if args.check_status and 400 <= response.status < 500:
        return EXIT_4XX
    if args.check_status and response.status >= 500:
        return EXIT_5XX
    return EXIT_OK


def _data_type(workspace: Any, call: Any, exchange: Exchange, args: argparse.Namespace) -> int:
    """--check-type and --save-type: compare the response with, or fold it into, the
    call's stored data type. Returns 1 for drift or an unusable body, else 0."""
    if not (args.check_type or args.save_type):
        return EXIT_OK
    from tui.core.datatypes import DataType, check, merge
    from tui.core.errors import CallbenchError
    from tui.core.store import save_call

    try:
        document = exchange.response.json
    except ValueError:
        sys.stderr.write(
            f"callbench: the response of {call.ref} is not JSON: no data type to "
            f"{'check' if args.check_type else 'save'}\n"
        )
        return EXIT_BUILD
    code = EXIT_OK
    if args.check_type:
        if call.data_type is None:
            sys.stderr.write(
                f"callbench: {call.ref} has no stored data type: run it once with --save-type\n"
            )
            return EXIT_BUILD
        drift = check(call.data_type, document)
        if drift:
            sys.stderr.write(f"callbench: the response of {call.ref} drifted from its type:\n")
            sys.stderr.writelines(f"  {item}\n" for item in drift)
            code = EXIT_BUILD
    if args.save_type:
        import dataclasses

        updated = merge(call.data_type or DataType(), document)
        try:
            save_call(workspace, dataclasses.replace(call, data_type=updated))
        except CallbenchError as error:
            fail(EXIT_BUILD, f"data type not saved: {error}")
        sys.stderr.write(
            f"callbench: saved the data type of {call.ref} "
            f"({updated.samples} sample(s), {len(updated.fields)} field(s))\n"
        )
    return code


def _format_value(value: Any) -> str:
    import orjson

    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _write_body(response: ResponseData) -> None:
    from tui.core.body_format import pretty_json

    if response.is_json:
        pretty = pretty_json(response.body)
        if pretty is not None:
            sys.stdout.write(pretty)
            if not pretty.endswith("\n"):
                sys.stdout.write("\n")
            return
    if response.is_text:
        text = response.text
        sys.stdout.write(text)
        if text and not text.endswith("\n") and sys.stdout.isatty():
            sys.stdout.write("\n")
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(response.body)


if __name__ == "__main__":
    raise SystemExit(main())
