"""One streamed request to an endpoint, timed on the client: when it was sent, when each
piece of text arrived, what the server said about tokens and its own timings — or, when it
went wrong, one line saying why (connection, TLS, HTTP status, malformed or truncated
stream, a server that stalls)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from sizer.endpoints.target import Endpoint
from sizer.endpoints.wire import (
    Piece,
    WireError,
    http_problem,
    ollama_piece,
    openai_piece,
    sse_payload,
)
from sizer.tasks.stops import ENDERS

CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Ask:
    """What to send: a raw prompt (completion) or chat messages."""

    prompt: str | None = None
    messages: list[dict[str, str]] | None = None
    max_tokens: int = 128
    stop: tuple[str, ...] = ()
    schema: dict[str, Any] | None = None  # constrain the reply to this JSON schema
    schema_style: str = "json_schema"  # OpenAI servers: "json_schema" or "json_object"
    end: str | None = None  # "json" / "fence": stop reading once the answer is complete


@dataclass
class Exchange:
    sent_at: float = 0.0
    stamps: list[float] = field(default_factory=list)  # arrival of each piece with text
    text: str = ""
    finish: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    server: dict[str, float] | None = None
    model: str | None = None
    error: str | None = None
    status: int | None = None  # the HTTP status, when there was one

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def ttft_s(self) -> float | None:
        return self.stamps[0] - self.sent_at if self.stamps else None

    @property
    def gen_tokens(self) -> int:
        """The server's count where it gives one, else one token per streamed piece (what
        llama.cpp's and Ollama's servers send)."""
        return self.usage.get("completion_tokens") or len(self.stamps)

    def itl_s(self) -> list[float]:
        """Gaps between tokens: per piece, spread evenly when a piece carried several."""
        gaps = [b - a for a, b in zip(self.stamps, self.stamps[1:], strict=False)]
        per_piece = self.gen_tokens / len(self.stamps) if self.stamps else 1.0
        if per_piece <= 1.0 or not gaps:
            return gaps
        steps = max(self.gen_tokens - 1, 1)
        return [sum(gaps) / steps] * steps


def route(ep: Endpoint, ask: Ask) -> tuple[str, dict[str, Any]]:
    """The URL and JSON body for ``ask`` on this endpoint's API (greedy sampling)."""
    if ep.api == "ollama":
        options: dict[str, Any] = {"num_predict": ask.max_tokens, "temperature": 0, "seed": 0}
        if ask.stop:
            options["stop"] = list(ask.stop)
        body: dict[str, Any] = {"model": ep.model, "stream": True, "options": options}
        if ask.schema is not None:
            body["format"] = ask.schema
        if ask.messages is not None:
            return f"{ep.base_url}/api/chat", {**body, "messages": ask.messages}
        return f"{ep.base_url}/api/generate", {**body, "prompt": ask.prompt, "raw": True}
    body = {
        "model": ep.model,
        "stream": True,
        "max_tokens": ask.max_tokens,
        "temperature": 0,
        "seed": 0,
        "stream_options": {"include_usage": True},
    }
    if ask.stop:
        body["stop"] = list(ask.stop)
    if ask.schema is not None:
        body["response_format"] = (
            {"type": "json_schema", "json_schema": {"name": "answer", "schema": ask.schema}}
            if ask.schema_style == "json_schema"
            else {"type": "json_object", "schema": ask.schema}  # llama-cpp-python's form
        )
    if ask.messages is not None:
        return f"{ep.base_url}/v1/chat/completions", {**body, "messages": ask.messages}
    return f"{ep.base_url}/v1/completions", {**body, "prompt": ask.prompt}


def new_client(ep: Endpoint, stall_s: float, connections: int = 16) -> httpx.AsyncClient:
    timeout = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=stall_s, write=30.0, pool=None)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    # trust_env=False: no proxy from the environment; only the URL the user gave is contacted
    return httpx.AsyncClient(headers=ep.headers(), timeout=timeout, limits=limits, trust_env=False)


async def exchange(
    client: httpx.AsyncClient, ep: Endpoint, ask: Ask, deadline_s: float
) -> Exchange:
    """Send ``ask`` streamed; never raises for a network or server fault (see ``error``)."""
    url, body = route(ep, ask)
    for attempt in range(2):
        out = Exchange()
        try:
            await asyncio.wait_for(_stream(client, ep, url, body, out, ask.end), deadline_s)
        except TimeoutError:
            out.error = f"no complete answer within {deadline_s:g} s (the request was abandoned)"
        except httpx.RemoteProtocolError as exc:
            if attempt == 0 and out.status is None:
                # "Server disconnected without sending a response": a kept-alive connection
                # the server had just closed (llama-server closes one after a few requests).
                # Nothing of this request reached the server's answer: send it once more.
                continue
            out.error = describe(exc, url, ep)
        except (httpx.HTTPError, WireError, OSError) as exc:
            out.error = describe(exc, url, ep)
        return out
    return out


async def _stream(
    client: httpx.AsyncClient,
    ep: Endpoint,
    url: str,
    body: dict[str, Any],
    out: Exchange,
    ask_end: str | None = None,
) -> None:
    out.sent_at = time.perf_counter()
    async with client.stream("POST", url, json=body) as response:
        out.status = response.status_code
        if response.status_code >= 400:
            text = (await response.aread()).decode("utf-8", "replace")
            out.error = http_problem(response.status_code, text, ep.key_env)
            return
        done = False
        ender = ENDERS[ask_end]() if ask_end else None
        async for line in response.aiter_lines():
            piece = _piece(ep, line)
            if piece is None:
                continue
            _take(out, piece, time.perf_counter())
            if piece.error:
                out.error = f"the server reported an error mid-stream: {piece.error}"
                return
            if ender is not None and piece.text and ender.feed(piece.text):
                out.finish, done = "stop", True  # the answer is complete: hang up
                break
            if piece.done:
                done = True
                if ep.api == "ollama":
                    break  # the final object; OpenAI servers may still send usage after finish
        if not done:
            out.error = (
                "the stream ended before the server said it was done (truncated: "
                f"{len(out.stamps)} piece(s) received)"
            )


def _piece(ep: Endpoint, line: str) -> Piece | None:
    line = line.strip()
    if not line:
        return None
    if ep.api == "ollama":
        return ollama_piece(line)
    payload = sse_payload(line)
    return openai_piece(payload) if payload is not None else None


def _take(out: Exchange, piece: Piece, now: float) -> None:
    if piece.text:
        out.stamps.append(now)
        out.text += piece.text
    if piece.finish:
        out.finish = piece.finish
    if piece.usage:
        out.usage.update({k: v for k, v in piece.usage.items() if v is not None})
    if piece.server:
        out.server = piece.server
    if piece.model:
        out.model = piece.model


async def prompt_tokens(
    client: httpx.AsyncClient, ep: Endpoint, prompt: str, deadline_s: float
) -> int | None:
    """How many tokens the server makes of ``prompt``: the usage of a one-token, unstreamed
    request (servers that do not report usage in streams still do there); None if not."""
    url, body = route(ep, Ask(prompt=prompt, max_tokens=1))
    body = {**body, "stream": False}
    body.pop("stream_options", None)
    try:
        response = await asyncio.wait_for(client.post(url, json=body), deadline_s)
        data = response.json() if response.status_code < 400 else {}
    except (TimeoutError, httpx.HTTPError, OSError, ValueError):
        return None
    usage = data.get("usage") if isinstance(data, dict) else None
    count = (usage or {}).get("prompt_tokens") or (data or {}).get("prompt_eval_count")
    return int(count) if isinstance(count, int | float) and count > 0 else None


def describe(exc: BaseException, url: str, ep: Endpoint) -> str:
    """One line for a transport failure."""
    host = httpx.URL(url).host
    if isinstance(exc, WireError):
        return f"malformed stream from the server: {exc}"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {host}: no answer within {CONNECT_TIMEOUT_S:g} s"
    if isinstance(exc, httpx.ConnectError):
        chain = _chain(exc)
        text = str(chain[-1])[:120]
        if any(isinstance(e, ssl.SSLError) for e in chain):
            return f"TLS handshake with {host} failed ({text}); is it really https?"
        if any(isinstance(e, ConnectionRefusedError) for e in chain):
            return f"connection refused by {ep.base_url}: is the server running on that port?"
        if any(isinstance(e, socket.gaierror) for e in chain):
            return f"cannot resolve host {host!r} ({text})"
        return f"cannot connect to {ep.base_url} ({text})"
    if isinstance(exc, httpx.ReadTimeout):
        return "the server stalled: no data within the stall limit (--stall-timeout)"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return f"the server closed the connection mid-answer ({str(exc)[:120] or 'no detail'})"
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and its causes, outermost first (httpx wraps the OS error twice)."""
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    return chain
