"""Every endpoint fault the issue lists, run through the real CLI against scripted servers on
127.0.0.1 (tests/endpoint_fake.py: captured responses, or misbehaviour on purpose): for
each, sizer's exit status, its one line on stderr, and the error rows it appended.

Usage: .venv/bin/python benchmarks/endpoint_faults.py     (about 30 s)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from endpoint_fake import (  # the tests' scripted server
    Fake,
    capture,
    openai_models,
    openai_stream,
    send,
    sse_events,
    stream,
)
from llama_server import free_port

EVENTS = sse_events("llama-cpp-python-completions.sse")
TAGS = json.dumps({"models": [{"name": "granite3.3:2b"}]}).encode()


def run(url: str, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str, list[str]]:
    out = Path(tempfile.mkdtemp()) / "r.jsonl"
    cmd = [
        sys.executable,
        "-m",
        "sizer",
        "bench",
        "--endpoint",
        url,
        "--prompt-tokens",
        "16",
        "--gen-tokens",
        "4",
        "--reps",
        "2",
        "--out",
        str(out),
        *extra,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    line = done.stderr.strip().splitlines()[-1] if done.returncode else "(exit 0)"
    recs = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    return done.returncode, line, [f"{r['status']}: {r.get('error')}" for r in recs]


def served(routes: dict, *extra: str, env=None, https: bool = False):
    with Fake(routes) as fake:
        return run(fake.url.replace("http:", "https:") if https else fake.url, *extra, env=env)


def generation(status: int, body: bytes) -> dict:
    return {
        "GET /v1/models": openai_models,
        "POST /v1/completions": lambda h, b: send(h, status, body),
    }


def broken(kind: str) -> dict:
    def route(h, b) -> None:
        if kind == "malformed":
            stream(h, [*EVENTS[:3], b'data: {"choices": [{"text": "x"\n\n'])
        elif kind == "truncated":
            stream(h, EVENTS[:4])
        else:
            stream(h, EVENTS[:2])
            time.sleep(2)

    return {"GET /v1/models": openai_models, "POST /v1/completions": route}


def dies_mid_sweep():
    state = {"measured": 0}

    def route(h, b) -> None:
        openai_stream(h, b)
        state["measured"] += b.get("max_tokens") == 4
        if state["measured"] == 1:
            threading.Thread(target=state["fake"].stop, daemon=True).start()

    with Fake({"GET /v1/models": openai_models, "POST /v1/completions": route}) as fake:
        state["fake"] = fake
        return run(fake.url, "--concurrency", "1,2,4", "--requests-per-user", "1", "--min-tps", "1")


def unauthorised(h, b) -> None:
    send(h, 401, b'{"error":{"message":"Invalid API Key","code":401}}')


CASES: dict[str, Callable[[], tuple[int, str, list[str]]]] = {
    "refused connection": lambda: run(f"http://127.0.0.1:{free_port()}"),
    "host that does not resolve": lambda: run("http://no-such-host.invalid:8080", "--allow-remote"),
    "TLS error": lambda: served({"GET /v1/models": openai_models}, https=True),
    "401": lambda: served({"GET /v1/models": unauthorised}, env={"SIZER_API_KEY": "wrong"}),
    "404": lambda: served(generation(404, capture("ollama-model-not-found-404.json"))),
    "429": lambda: served(generation(429, b'{"error":{"message":"Too many requests"}}')),
    "500": lambda: served(generation(500, capture("llama-cpp-python-json-schema-500.json"))),
    "model the server lacks": lambda: served(
        {"GET /api/tags": lambda h, b: send(h, 200, TAGS)}, "--model", "nope"
    ),
    "malformed stream": lambda: served(broken("malformed")),
    "truncated stream": lambda: served(broken("truncated")),
    "stalled stream": lambda: served(broken("stall"), "--stall-timeout", "0.5"),
    "server dies mid-sweep": dies_mid_sweep,
}


def main() -> None:
    for name, case in CASES.items():
        code, line, rows = case()
        print(f"{name}: exit {code}; {line}")
        for row in rows:
            print(f"    row {row[:200]}")


if __name__ == "__main__":
    main()
