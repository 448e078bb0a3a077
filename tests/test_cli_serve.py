"""`callbench serve`: the real command, its one line per request, its errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import write

ENDPOINT = (
    'method = "GET"\npath = "/hello/{who}"\n[security]\ntype = "public"\n'
    '[response]\nbody = \'{"hello": "{{who}}"}\'\n'
)


def start(root: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        ["callbench", "serve", str(root), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 20
    lines = []
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        if found:
            return process, found.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError("serve did not start: " + "".join(lines))


def test_serve_answers_and_prints_one_line_per_request(tmp_path: Path) -> None:
    root = write(
        tmp_path / "ws",
        {
            "endpoints/hello.toml": ENDPOINT,
            "endpoints/broken.toml": 'path = "/x\n',
        },
    )
    process, url = start(root)
    try:
        assert httpx.get(f"{url}/hello/ann").json() == {"hello": "ann"}
        assert httpx.get(f"{url}/nope").status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0
    lines = out.strip().splitlines()
    assert re.search(r"GET\s+/hello/ann\s+200\s+[\d.]+ ms\s+\(hello\)$", lines[0]), lines[0]
    assert re.search(r"GET\s+/nope\s+404 .* no endpoint for GET /nope$", lines[1]), lines[1]
    assert "Traceback" not in err


def test_serve_reports_broken_files_and_warns_on_all_interfaces(tmp_path: Path) -> None:
    root = write(
        tmp_path / "ws",
        {
            "endpoints/hello.toml": ENDPOINT,
            "endpoints/broken.toml": 'path = "/x\n',
        },
    )
    process = subprocess.Popen(
        ["callbench", "serve", str(root), "--port", "0", "--host", "0.0.0.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert re.search(r"not served: .*broken\.toml:1:\d+: TOML syntax", err), err
    assert "WARNING: listening on every network interface" in err
    assert "serving 1 endpoint(s)" in err


def test_serve_port_in_use_is_one_clear_line(tmp_path: Path, server: object) -> None:
    root = write(tmp_path / "ws", {"endpoints/hello.toml": ENDPOINT})
    port = server.port
    result = subprocess.run(
        ["callbench", "serve", str(root), "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 3
    assert result.stderr.strip().startswith(f"callbench: cannot listen on 127.0.0.1:{port}")
    assert len(result.stderr.strip().splitlines()) == 1


SAMPLE_CALLS = [
    "shop/list-products",
    "shop/get-product",
    "shop/orders/create",
    "shop/orders/cancel",
    "shop/account",
    "forms/contact",
    "forms/upload-avatar",
    "forms/note",
    "forms/ping",
]


def test_the_sample_workspace_works_offline_against_its_own_endpoints(tmp_path: Path) -> None:
    """The README's demo: the sample serves its own endpoints; every sample call succeeds."""
    import shutil

    root = tmp_path / "sample"
    shutil.copytree(Path(__file__).parent.parent / "collections", root)
    env = {**os.environ, "CALLBENCH_SECRET_SAMPLE_TOKEN": "demo-token"}
    process = subprocess.Popen(
        ["callbench", "serve", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    url = ""
    while not url:
        line = process.stderr.readline()
        assert line, "serve stopped"
        found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
        url = found.group(1) if found else ""
    try:
        for ref in SAMPLE_CALLS:
            result = subprocess.run(
                [
                    "callbench",
                    "run",
                    ref,
                    "-w",
                    str(root),
                    "-v",
                    f"api={url}",
                    "-v",
                    "order_id=5",
                    "--check-status",
                    "--json",
                ],
                capture_output=True,
                text=True,
                timeout=30,
                env=env,
            )
            assert result.returncode == 0, (ref, result.stderr)
            exchange = json.loads(result.stdout)
            assert 200 <= exchange["response"]["status"] < 300, ref
        mocked = httpx.get(f"{url}/mock/product").json()
        assert mocked == {"id": 1, "name": "Teapot", "price": 18.5, "tags": ["kitchen"]}
        with httpx.stream("GET", f"{url}/events/ticks") as stream:
            first = next(stream.iter_lines())
        assert first == "event: tick"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=20)
