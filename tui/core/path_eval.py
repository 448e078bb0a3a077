"""Evaluate selectors on a response body in a child process (for big bodies).

Parsing 50 MB of JSON holds the interpreter for a second, which a UI must not do in its
own process. ``python -m tui.core.path_eval --serve BODY_FILE`` parses the body once,
prints ``{"ready": true}``, then answers each expression read from stdin with one line
``{"values": [...], "is_list": bool}`` or ``{"error": "..."}``, until stdin closes.
``python -m tui.core.path_eval BODY_FILE EXPRESSION`` answers one expression.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

from .errors import PathError
from .selector import compile_path, select_json


def evaluate(body: bytes, expression: str) -> dict[str, Any]:
    try:
        path = compile_path(expression)
        document = orjson.loads(body)
        selection = select_json(path, document)
    except PathError as error:
        return {"error": str(error)}
    except orjson.JSONDecodeError as error:
        return {"error": f"the body is not JSON: {error}"}
    return {"values": selection.values, "is_list": selection.is_list}


def query(document: Any, expression: str) -> dict[str, Any]:
    try:
        selection = select_json(compile_path(expression), document)
    except PathError as error:
        return {"error": str(error)}
    return {"values": selection.values, "is_list": selection.is_list}


def serve(path: str) -> int:
    out = sys.stdout.buffer
    with open(path, "rb") as handle:
        body = handle.read()
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        out.write(orjson.dumps({"error": f"the body is not JSON: {error}"}) + b"\n")
        out.flush()
        return 1
    del body
    out.write(b'{"ready": true}\n')
    out.flush()
    for line in sys.stdin:
        out.write(orjson.dumps(query(document, line.rstrip("\n"))) + b"\n")
        out.flush()
    return 0


def _main(argv: list[str]) -> int:
    if argv[0] == "--serve":
        return serve(argv[1])
    with open(argv[0], "rb") as handle:
        body = handle.read()
    sys.stdout.buffer.write(orjson.dumps(evaluate(body, argv[1])))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
