"""The loopback server the tests send to: a Starlette app with one route per behaviour."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route


async def echo(request: Request) -> JSONResponse:
    """Everything the server received, as JSON."""
    body = await request.body()
    out: dict[str, object] = {
        "method": request.method,
        "path": request.url.path,
        "query": [[k, v] for k, v in request.query_params.multi_items()],
        "headers": {k: v for k, v in request.headers.items()},
        "body": body.decode("utf-8", errors="replace"),
    }
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()
        fields: list[list[object]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                fields.append(
                    [
                        key,
                        {
                            "filename": value.filename,
                            "size": len(data),
                            "content_type": value.content_type,
                            "text": data.decode("utf-8", errors="replace"),
                        },
                    ]
                )
            else:
                fields.append([key, value])
        out["form"] = fields
    return JSONResponse(out)


PRODUCTS = [
    {"id": 1, "name": "Teapot", "price": 18.5, "tags": ["kitchen"]},
    {"id": 2, "name": "Mug", "price": 6.0, "tags": ["kitchen", "gift"]},
    {"id": 3, "name": "Spoon", "price": 2.25, "tags": []},
]


async def products(request: Request) -> JSONResponse:
    limit = int(request.query_params.get("limit", "20"))
    return JSONResponse({"items": PRODUCTS[:limit], "total": len(PRODUCTS)})


async def product(request: Request) -> JSONResponse:
    pid = int(request.path_params["pid"])
    for item in PRODUCTS:
        if item["id"] == pid:
            return JSONResponse(item)
    return JSONResponse({"error": "not found"}, status_code=404)


async def orders(request: Request) -> JSONResponse:
    data = await request.json()
    return JSONResponse({"id": 1001, **data}, status_code=201)


async def cancel_order(request: Request) -> JSONResponse:
    return JSONResponse({"id": request.path_params["oid"], "cancelled": True})


async def big(request: Request) -> Response:
    """A JSON body of about ``mb`` megabytes, minified."""
    size = float(request.query_params.get("mb", "3"))
    count = int(size * 1_000_000 / 60)
    items = ",".join(f'{{"id":{i},"name":"item number {i:08}","ok":true}}' for i in range(count))
    return Response(f'{{"items":[{items}],"count":{count}}}', media_type="application/json")


def _sse(chunks: list[bytes] | AsyncIterator[bytes]) -> StreamingResponse:
    async def body() -> AsyncIterator[bytes]:
        if isinstance(chunks, list):
            for chunk in chunks:
                yield chunk
        else:
            async for chunk in chunks:
                yield chunk

    return StreamingResponse(body(), media_type="text/event-stream")


async def sse(request: Request) -> StreamingResponse:
    """``count`` events with ids, as fast as possible (or ``interval`` apart)."""
    count = int(request.query_params.get("count", "5"))
    interval = float(request.query_params.get("interval", "0"))

    async def events() -> AsyncIterator[bytes]:
        for i in range(count):
            yield f'id: {i}\nevent: tick\ndata: {{"n": {i}, "text": "t{i}"}}\n\n'.encode()
            if interval:
                await asyncio.sleep(interval)

    return _sse(events())


async def sse_drop(request: Request) -> StreamingResponse:
    """Two events, then the connection drops; a reconnect resumes after Last-Event-ID."""
    last = request.headers.get("last-event-id")
    if last is None:
        return _sse([b"retry: 50\nid: 1\ndata: one\n\n", b"id: 2\ndata: two\n\n"])
    return _sse([f"id: 3\ndata: resumed after {last}\n\n".encode()])


async def sse_silent(request: Request) -> StreamingResponse:
    async def nothing() -> AsyncIterator[bytes]:
        await asyncio.sleep(30)
        yield b""

    return _sse(nothing())


async def sse_cut(request: Request) -> StreamingResponse:
    return _sse([b"data: whole\n\n", b"data: unfinished"])


async def sse_odd(request: Request) -> StreamingResponse:
    """A long line, invalid UTF-8, CR line ends, a comment, an unknown field."""
    long_line = b"data: " + b"x" * 1_500_000 + b"\n\n"
    return _sse([long_line, b"data: bad \xff byte\r\r", b": note\rfoo: bar\rdata: ok\r\r"])


async def ndjson(request: Request) -> StreamingResponse:
    async def lines() -> AsyncIterator[bytes]:
        for i in range(3):
            yield f'{{"i": {i}}}\n'.encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson")


SHAPES: dict[str, int] = {}


async def shape(request: Request) -> JSONResponse:
    """A response whose shape changes with every call (for drift checks)."""
    key = request.query_params.get("key", "default")
    turn = SHAPES[key] = SHAPES.get(key, 0) + 1
    if turn == 1:
        return JSONResponse({"id": 1, "name": "a", "tags": ["x"], "next": None})
    if turn == 2:
        return JSONResponse({"id": 2, "name": "b", "tags": [], "next": "c2"})
    return JSONResponse({"id": "3", "tags": ["y"], "next": None, "extra": True})


async def items(request: Request) -> JSONResponse:
    count = int(request.query_params.get("count", "3"))
    return JSONResponse(
        {
            "items": [
                {"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(1, count + 1)
            ],
            "total": count,
            "next": None,
        }
    )


async def status(request: Request) -> Response:
    code = int(request.path_params["code"])
    return JSONResponse({"status": code}, status_code=code)


async def redirect(request: Request) -> Response:
    n = int(request.path_params["n"])
    target = "/items" if n <= 1 else f"/redirect/{n - 1}"
    return RedirectResponse(target, status_code=302)


async def slow(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params.get("seconds", "2")))
    return PlainTextResponse("finally")


async def text(request: Request) -> Response:
    return PlainTextResponse("hello, world\n")


async def latin1(request: Request) -> Response:
    return Response("café".encode("latin-1"), media_type="text/plain; charset=iso-8859-1")


async def binary(request: Request) -> Response:
    return Response(bytes(range(256)), media_type="application/octet-stream")


async def login(request: Request) -> Response:
    data = await request.json()
    return JSONResponse(
        {"access_token": f"token-for-{data.get('user', '?')}"}, headers={"X-Token": "header-token"}
    )


JWT_KEY = "a-key-the-test-server-and-tests-share-0123456789"


async def jwt_protected(request: Request) -> Response:
    """Verifies an HS256 bearer JWT (signature, audience "api", expiry) as an API would."""
    import jwt

    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, JWT_KEY, algorithms=["HS256"], audience="api")
    except jwt.PyJWTError as error:
        return JSONResponse({"error": str(error)}, status_code=401)
    return JSONResponse({"verified": True, "sub": claims.get("sub")})


app = Starlette(
    routes=[
        Route("/echo", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
        Route("/echo/{rest:path}", echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        Route("/items", items),
        Route("/big", big),
        Route("/shape", shape),
        Route("/sse", sse),
        Route("/sse/drop", sse_drop),
        Route("/sse/silent", sse_silent),
        Route("/sse/cut", sse_cut),
        Route("/sse/odd", sse_odd),
        Route("/ndjson", ndjson),
        Route("/products", products),
        Route("/products/{pid:int}", product),
        Route("/orders", orders, methods=["POST"]),
        Route("/orders/{oid:int}", cancel_order, methods=["DELETE"]),
        Route("/status/{code:int}", status, methods=["GET", "POST"]),
        Route("/redirect/{n:int}", redirect),
        Route("/slow", slow),
        Route("/text", text),
        Route("/latin1", latin1),
        Route("/binary", binary),
        Route("/login", login, methods=["POST"]),
        Route("/jwt", jwt_protected),
    ]
)
