"""Auth overhead: sends that carry an OAuth2 or login-call token vs bare ``httpx``.

Why: a call whose collection has ``[auth] type = "oauth2"`` (or ``"token_from_call"``)
goes through ``Session.send``, which asks the ``TokenBroker`` for a token before every
request. Once the token is cached that must cost next to nothing, and the first send
(token fetch + request) should cost about what the two HTTP requests it makes cost. Each
figure is a ratio against raw httpx talking to the same loopback server in the same run
(``tests/oauth_server.py`` served by ``ServerThread``), so it holds on a noisy machine.

Cases:

1. steady state, oauth2 client_credentials: ``--n`` sequential ``Session.send`` of
   GET /api/me (token cached after the first send) vs raw ``httpx.AsyncClient`` GETs of
   /api/me with the same ``Authorization: Bearer`` header;
2. first send: a fresh ``Session`` (token cache in memory only, so it starts empty) whose
   one send fetches the token and then GETs /api/me, vs raw httpx doing the token POST
   and the GET; for oauth2 and for token_from_call. Both sides reuse one warm client
   (the session is given a shared ``Sender``): building an ``httpx.AsyncClient`` (its SSL
   context) takes tens of ms and would drown what is measured;
3. steady state, token_from_call (POST /login, token at ``$.token``) vs raw httpx with
   that token.

The oauth2 steady state also sends the same GET through ``Session.send`` with no [auth]
(the header from a session value), to show what the auth layer itself adds.

Run: ``python tests/benchmarks/bench_auth.py [--n 1000] [--first 50]`` (exit 0 with PASS or
MISS, non-zero on error).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_send import isolate_environment

from tests.loopback import ServerThread
from tests.oauth_server import OAuthState, oauth_app
from tui.core.exchange import Exchange
from tui.core.secrets import environment_lookup
from tui.core.sender import Sender
from tui.core.session import Session
from tui.core.workspace import Workspace, load_workspace

WARMUP = 50
ROUNDS = 3
BLOCK = 100  # requests per interleaved block
FIRST_WARMUP = 5
# bench_send's 1.15 covers prepare + Sender.send; Session.send (scope, stream session,
# extracts) and a cached-token lookup come on top.
STEADY_GOAL = 1.30
# The core also builds the session, the scope, oauthlib's request body, and parses JSON.
FIRST_GOAL = 1.50

CLIENT_ID, CLIENT_SECRET = "cid", "csecret"
LOGIN = {"user": "ann", "password": "pw"}
OAUTH_REF = "oauth/me"  # [auth] type = "oauth2", grant client_credentials
LOGIN_REF = "session/me"  # [auth] type = "token_from_call", call = "auth/login"
PLAIN_REF = "plain/me"  # no [auth]: the same header from a session value (a reference)


def write_workspace(root: Path, url: str) -> None:
    """Both auth kinds as a user would write them (see test_auth_oauth2 / _login_call)."""
    files = {
        "callbench.toml": 'name = "bench-auth"\n',
        "oauth/collection.toml": (
            f'base_url = "{url}"\n\n[auth]\ntype = "oauth2"\n'
            f'token_url = "{url}/oauth/token"\ngrant = "client_credentials"\n'
            f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
        ),
        "oauth/me.toml": 'method = "GET"\nurl = "/api/me"\n',
        "auth/collection.toml": f'base_url = "{url}"\n',
        "auth/login.toml": (
            'method = "POST"\nurl = "/login"\n\n[body]\ntype = "json"\n'
            'content = \'{"user": "ann", "password": "pw"}\'\n'
        ),
        "session/collection.toml": (
            f'base_url = "{url}"\n\n[auth]\ntype = "token_from_call"\n'
            'call = "auth/login"\nfrom = "$.token"\n'
        ),
        "session/me.toml": 'method = "GET"\nurl = "/api/me"\n',
        "plain/collection.toml": f'base_url = "{url}"\n',
        "plain/me.toml": (
            'method = "GET"\nurl = "/api/me"\n\n[headers]\nAuthorization = "{{bearer}}"\n'
        ),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def fresh_session(ws: Workspace, sender: Sender | None = None) -> Session:
    """A session whose token cache has no backing store: a chosen ``secret_lookup`` keeps
    tokens in memory only, so a new session always starts with no token."""
    if sender is None:
        return Session(ws, secret_lookup=environment_lookup())
    return Session(ws, secret_lookup=environment_lookup(), sender=sender)


def check(status: int, what: str) -> None:
    if status != 200:
        raise RuntimeError(f"{what} got status {status}")


def bearer(exchange: Exchange) -> str:
    """The Authorization header the core sent (the raw side sends the same)."""
    for key, value in exchange.request.headers:
        if key.lower() == "authorization":
            return value
    raise RuntimeError("the core sent no Authorization header")


def token_fetches(state: OAuthState) -> int:
    with state.lock:
        return len(state.token_requests) + state.login_requests


# -- steady state ----------------------------------------------------------------------------

Side = Callable[[int], Awaitable[float]]  # seconds for n requests


async def core_sends(session: Session, ref: str, n: int) -> float:
    """Seconds for ``n`` sends through the session (token from the broker's cache)."""
    call = session.workspace.call(ref)
    start = time.perf_counter()
    for _ in range(n):
        exchange = await session.send(call)
        check(exchange.response.status, "core send")
    return time.perf_counter() - start


async def raw_gets(client: httpx.AsyncClient, url: str, header: str, n: int) -> float:
    """Seconds for ``n`` bare httpx GETs with the bearer header and the body read."""
    headers = {"Authorization": header}
    start = time.perf_counter()
    for _ in range(n):
        response = await client.get(url, headers=headers)
        response.read()
        check(response.status_code, "raw GET")
    return time.perf_counter() - start


def blocks(n: int) -> list[int]:
    return [BLOCK] * (n // BLOCK) + ([n % BLOCK] if n % BLOCK else [])


async def interleave(sides: dict[str, Side], n: int) -> dict[str, list[list[float]]]:
    """Per round, every side sends ``n`` in blocks, the order rotating from block to
    block, so drift on a busy machine hits all sides alike. Seconds per side, per round,
    per block (a block of each side ran next to the same block of the others)."""
    names = list(sides)
    for name in names:
        await sides[name](WARMUP)
    times: dict[str, list[list[float]]] = {name: [] for name in names}
    for _ in range(ROUNDS):
        for name in names:
            times[name].append([])
        for index, size in enumerate(blocks(n)):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                times[name][-1].append(await sides[name](size))
    return times


async def steady(
    ws: Workspace, state: OAuthState, ref: str, url: str, n: int, reference: bool
) -> dict[str, list[list[float]]]:
    """``ref`` through a session whose token is cached, raw httpx with the same header,
    and (``reference``) the same GET through the session with no [auth] at all."""
    session = fresh_session(ws)
    try:
        first = await session.send(session.workspace.call(ref))  # fetches the token
        check(first.response.status, "core first send")
        header = bearer(first)
        session.session_values["bearer"] = header  # for PLAIN_REF
        fetched = token_fetches(state)
        async with httpx.AsyncClient() as client:
            sides: dict[str, Side] = {
                "core": lambda k: core_sends(session, ref, k),
                "raw": lambda k: raw_gets(client, url, header, k),
            }
            if reference:
                sides["plain"] = lambda k: core_sends(session, PLAIN_REF, k)
            times = await interleave(sides, n)
        if token_fetches(state) != fetched:
            raise RuntimeError(f"{ref}: the core fetched a token again in the steady state")
    finally:
        await session.aclose()
    return times


# -- first send ------------------------------------------------------------------------------


async def core_first(ws: Workspace, state: OAuthState, sender: Sender, ref: str) -> float:
    """A new session (empty token cache) on the shared, warm sender: its one send gets the
    token (oauth2 grant or login call) and then sends the GET."""
    before = token_fetches(state)
    start = time.perf_counter()
    session = fresh_session(ws, sender)  # not closed: that would close the shared sender
    exchange = await session.send(ws.call(ref))
    elapsed = time.perf_counter() - start
    check(exchange.response.status, "core first send")
    if token_fetches(state) != before + 1:
        raise RuntimeError(f"{ref}: the first send did not fetch exactly one token")
    return elapsed


async def raw_oauth_first(client: httpx.AsyncClient, base: str) -> float:
    """The client_credentials POST (HTTP Basic), then the GET with its token."""
    start = time.perf_counter()
    answer = await client.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    check(answer.status_code, "raw token POST")
    token = answer.json()["access_token"]
    response = await client.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})
    response.read()
    elapsed = time.perf_counter() - start
    check(response.status_code, "raw GET")
    return elapsed


async def raw_login_first(client: httpx.AsyncClient, base: str) -> float:
    """POST /login with JSON, then the GET with its token."""
    start = time.perf_counter()
    answer = await client.post(f"{base}/login", json=LOGIN)
    check(answer.status_code, "raw login POST")
    token = answer.json()["token"]
    response = await client.get(f"{base}/api/me", headers={"Authorization": f"Bearer {token}"})
    response.read()
    elapsed = time.perf_counter() - start
    check(response.status_code, "raw GET")
    return elapsed


async def first_sends(
    core: Callable[[], Awaitable[float]], raw: Callable[[], Awaitable[float]], reps: int
) -> tuple[list[float], list[float]]:
    """``reps`` of each, alternating which side goes first."""
    for _ in range(FIRST_WARMUP):
        await core()
        await raw()
    core_times: list[float] = []
    raw_times: list[float] = []
    for rep in range(reps):
        if rep % 2 == 0:
            core_times.append(await core())
            raw_times.append(await raw())
        else:
            raw_times.append(await raw())
            core_times.append(await core())
    return core_times, raw_times


# -- report ----------------------------------------------------------------------------------


def verdict(ratio: float, goal: float) -> str:
    return "PASS" if ratio <= goal else "MISS"


def paired(a: list[list[float]], b: list[list[float]]) -> list[float]:
    """a / b for every block of every round (the two ran one after the other)."""
    return [x / y for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)]


def report_steady(title: str, n: int, times: dict[str, list[list[float]]]) -> float:
    sizes = blocks(n)
    rounds = {name: [sum(r) for r in per_round] for name, per_round in times.items()}
    ratio = statistics.median(paired(times["core"], times["raw"]))
    round_ratios = [c / r for c, r in zip(rounds["core"], rounds["raw"], strict=True)]
    core, raw = statistics.median(rounds["core"]), statistics.median(rounds["raw"])
    print(f"  {title}")
    print(f"    raw httpx GET + bearer   : {raw:6.3f} s  ({n / raw:4.0f} req/s)")
    print(f"    core Session.send        : {core:6.3f} s  ({n / core:4.0f} req/s)")
    print(f"    core overhead            : {(core - raw) / n * 1e6:6.0f} us/request")
    if "plain" in times:
        plain = statistics.median(rounds["plain"])
        plain_ratio = statistics.median(paired(times["plain"], times["raw"]))
        share = statistics.median(
            (c - p) / size * 1e6
            for rc, rp in zip(times["core"], times["plain"], strict=True)
            for c, p, size in zip(rc, rp, sizes, strict=True)
        )
        print(
            f"    reference, no [auth]     : {plain:6.3f} s  ({n / plain:4.0f} req/s), "
            f"{plain_ratio:.3f}x raw"
        )
        print(f"    auth layer (core - ref)  : {share:6.0f} us/request (median over blocks)")
    print(f"    per-round ratios         : {', '.join(f'{r:.3f}' for r in round_ratios)}")
    print(
        f"    ratio core/raw           : {ratio:.3f}x   goal <= {STEADY_GOAL:.2f}x   "
        f"{verdict(ratio, STEADY_GOAL)}"
    )
    return ratio


def report_first(title: str, core_times: list[float], raw_times: list[float]) -> float:
    core, raw = statistics.median(core_times), statistics.median(raw_times)
    ratio = statistics.median(c / r for c, r in zip(core_times, raw_times, strict=True))
    print(f"  {title}")
    print(f"    raw httpx POST + GET     : {raw * 1e3:6.2f} ms (median)")
    print(f"    core first Session.send  : {core * 1e3:6.2f} ms (median)")
    print(
        f"    ratio core/raw           : {ratio:.3f}x   goal <= {FIRST_GOAL:.2f}x   "
        f"{verdict(ratio, FIRST_GOAL)}"
    )
    return ratio


async def measure(ws: Workspace, state: OAuthState, base: str, n: int, reps: int) -> bool:
    me = f"{base}/api/me"
    print("bench_auth: tests/oauth_server.py on 127.0.0.1 (uvicorn + Starlette, same process)")
    print(
        f"  steady state: {n} sequential GET /api/me per side per round, {WARMUP} warm-up\n"
        f"  each; {ROUNDS} rounds, the sides interleaved in blocks of {BLOCK}; times are\n"
        "  medians over rounds, ratios the median over all blocks of the pairs that ran\n"
        "  one after the other"
    )
    oauth = report_steady(
        "oauth2 client_credentials, token cached",
        n,
        await steady(ws, state, OAUTH_REF, me, n, reference=True),
    )
    login = report_steady(
        "token_from_call (POST /login, $.token), token cached",
        n,
        await steady(ws, state, LOGIN_REF, me, n, reference=False),
    )
    print(
        f"  first send: {reps} times each (after {FIRST_WARMUP} warm-up), alternating; a new\n"
        "  Session (empty in-memory token cache) on a shared warm Sender vs raw httpx on a\n"
        "  shared client; medians, the ratio the median of the pairs"
    )
    async with Sender() as sender, httpx.AsyncClient() as client:
        oauth_first = report_first(
            "oauth2: token POST + GET",
            *await first_sends(
                lambda: core_first(ws, state, sender, OAUTH_REF),
                lambda: raw_oauth_first(client, base),
                reps,
            ),
        )
        login_first = report_first(
            "token_from_call: login POST + GET",
            *await first_sends(
                lambda: core_first(ws, state, sender, LOGIN_REF),
                lambda: raw_login_first(client, base),
                reps,
            ),
        )
    ok = max(oauth, login) <= STEADY_GOAL and max(oauth_first, login_first) <= FIRST_GOAL
    print(f"  result                     : {'PASS' if ok else 'MISS'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000, help="steady-state sends per round")
    parser.add_argument("--first", type=int, default=50, help="first-send repetitions")
    args = parser.parse_args()
    if args.n < 1 or args.first < 1:
        parser.error("--n and --first must be at least 1")
    with tempfile.TemporaryDirectory(prefix="callbench-bench-") as tmp:
        isolate_environment(Path(tmp) / "home")
        root = Path(tmp) / "ws"
        state = OAuthState()
        with ServerThread(oauth_app(state)) as server:
            write_workspace(root, server.url)
            ws = load_workspace(root)
            if ws.problems:
                raise RuntimeError(f"the generated workspace has problems: {ws.problems}")
            asyncio.run(measure(ws, state, server.url, args.n, args.first))
    return 0


if __name__ == "__main__":
    sys.exit(main())
