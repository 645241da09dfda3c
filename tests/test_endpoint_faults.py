"""Every fault an endpoint can have gives an error row with its cause, keeps what was
measured, and ends in one clear line — against scripted servers on 127.0.0.1 that replay
captured responses or misbehave on purpose."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from endpoint_fake import Fake, capture, openai_models, openai_stream, send, sse_events, stream
from llama_server import free_port
from typer.testing import CliRunner

from sizer.cli import app
from sizer.errors import SizerError

runner = CliRunner()


@pytest.fixture(autouse=True)
def _quick_probe(monkeypatch):
    """The fault tests need no hardware record; the live-server test probes for real."""

    class Nothing:
        def to_dict(self) -> dict:
            return {}

    monkeypatch.setattr("sizer.probe.probe", lambda *a, **k: Nothing())


def bench(*args: str, env: dict[str, str] | None = None):
    result = runner.invoke(app, ["bench", *args], env=env)
    if isinstance(result.exception, SizerError):
        return result.exception.exit_code, str(result.exception)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def speed(url: str, out: Path, *extra: str, env: dict[str, str] | None = None):
    return bench(
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
        env=env,
    )


def test_a_healthy_captured_stream_is_measured(tmp_path):
    routes = {"GET /v1/models": openai_models, "POST /v1/completions": openai_stream}
    with Fake(routes) as fake:
        code, out = speed(fake.url, tmp_path / "r.jsonl")
    assert code == 0, out
    [rec] = records(tmp_path / "r.jsonl")
    assert rec["status"] == "ok" and rec["backend"]["name"] == "endpoint"
    assert rec["model"] == {"label": "gemma3-270m", "reported": "gemma3-270m"}
    assert rec["samples"]["decode_tok_s"] and rec["metrics"]["reps"] == 2
    assert "server reports no timings" in out


def test_refused_connection(tmp_path):
    code, message = speed(f"http://127.0.0.1:{free_port()}", tmp_path / "r.jsonl")
    assert code == 4 and "connection refused" in message and "\n" not in message
    [rec] = records(tmp_path / "r.jsonl")
    assert rec["status"] == "failed" and "connection refused" in rec["error"]


def test_tls_to_a_plain_http_server(tmp_path):
    with Fake({"GET /v1/models": openai_models}) as fake:
        code, message = speed(fake.url.replace("http:", "https:"), tmp_path / "r.jsonl")
    assert code == 4 and "TLS" in message


def test_a_host_that_does_not_resolve_needs_allow_remote_then_fails_clearly(tmp_path):
    code, message = speed("http://no-such-host.invalid:8080", tmp_path / "r.jsonl")
    assert code == 2 and "not this machine" in message and "--allow-remote" in message
    code, message = speed(
        "http://no-such-host.invalid:8080", tmp_path / "r.jsonl", "--allow-remote"
    )
    assert code == 4 and "no-such-host.invalid" in message
    assert records(tmp_path / "r.jsonl")[0]["status"] == "failed"


def test_401_says_which_variable_holds_the_key_and_the_key_is_never_written(tmp_path):
    def needs_key(handler, body) -> None:
        ok = handler.headers.get("Authorization") == "Bearer right-key"
        if ok:
            openai_models(handler, body)
        else:
            send(handler, 401, b'{"error":{"message":"Invalid API Key","code":401}}')

    routes = {"GET /v1/models": needs_key, "POST /v1/completions": openai_stream}
    with Fake(routes) as fake:
        code, message = speed(fake.url, tmp_path / "r.jsonl", env={"SIZER_API_KEY": "wrong"})
        assert code == 4 and "HTTP 401" in message and "$SIZER_API_KEY" in message
        code, out = speed(fake.url, tmp_path / "r.jsonl", env={"SIZER_API_KEY": "right-key"})
    assert code == 0, out
    text = (tmp_path / "r.jsonl").read_text()
    assert "right-key" not in text and "wrong" not in text and "right-key" not in out
    assert records(tmp_path / "r.jsonl")[-1]["backend"]["api_key_from"] == "SIZER_API_KEY"


def test_a_model_the_server_does_not_have(tmp_path):
    tags = {"models": [{"name": "granite3.3:2b"}]}
    routes = {
        "GET /api/tags": lambda h, b: send(h, 200, json.dumps(tags).encode()),
        "POST /api/generate": lambda h, b: send(h, 404, capture("ollama-model-not-found-404.json")),
    }
    with Fake(routes) as fake:
        code, message = speed(fake.url, tmp_path / "r.jsonl", "--model", "nope")
        assert code == 4 and "has no model 'nope'" in message and "granite3.3:2b" in message
        # a server that lists nothing: the generation's own 404 is the error row
        fake.routes["GET /api/tags"] = lambda h, b: send(h, 404, b"not found")
        code, message = speed(fake.url, tmp_path / "r.jsonl", "--model", "nope", "--api", "ollama")
    assert code == 4 and message.startswith("nothing was measured: HTTP 404")
    rec = records(tmp_path / "r.jsonl")[-1]
    assert rec["status"] == "failed" and "HTTP 404" in rec["error"]
    assert "try pulling it first" in rec["error"]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, b'{"error":{"message":"Too many requests"}}', "HTTP 429, rate limited"),
        (500, capture("llama-cpp-python-json-schema-500.json"), "HTTP 500, server error"),
        (404, b'{"detail":"Not Found"}', "HTTP 404"),
    ],
)
def test_error_statuses_become_error_rows(tmp_path, status, body, expected):
    routes = {
        "GET /v1/models": openai_models,
        "POST /v1/completions": lambda h, b: send(h, status, body),
    }
    with Fake(routes) as fake:
        code, message = speed(fake.url, tmp_path / "r.jsonl")
    assert code == 4 and f"nothing was measured: {expected}" in message and "\n" not in message
    [rec] = records(tmp_path / "r.jsonl")
    assert rec["status"] == "failed" and expected in rec["error"] and "\n" not in rec["error"]


def _bad_stream(kind: str):
    events = sse_events("llama-cpp-python-completions.sse")

    def route(handler, body) -> None:
        if kind == "malformed":
            stream(handler, [*events[:3], b'data: {"choices": [{"text": "x"\n\n'])
        elif kind == "truncated":
            stream(handler, events[:4])  # closes before finish_reason and [DONE]
        elif kind == "stall":
            stream(handler, events[:2])
            time.sleep(2.0)  # well past --stall-timeout

    return route


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("malformed", "malformed stream"), ("truncated", "truncated"), ("stall", "stalled")],
)
def test_broken_streams_become_error_rows(tmp_path, kind, expected):
    routes = {"GET /v1/models": openai_models, "POST /v1/completions": _bad_stream(kind)}
    with Fake(routes) as fake:
        code, message = speed(fake.url, tmp_path / "r.jsonl", "--stall-timeout", "0.5")
    assert code == 4 and expected in message
    [rec] = records(tmp_path / "r.jsonl")
    assert rec["status"] == "failed" and expected in rec["error"]


def test_a_server_that_dies_mid_sweep_keeps_the_levels_before(tmp_path):
    served = {"n": 0}
    holder: dict = {}

    def once_then_die(handler, body) -> None:
        openai_stream(handler, body)
        served["n"] += body.get("max_tokens") == 4  # a measured request (not warm-up/sizing)
        if served["n"] == 1:  # the first level's one request done: the server goes away
            threading.Thread(target=holder["fake"].stop, daemon=True).start()

    routes = {"GET /v1/models": openai_models, "POST /v1/completions": once_then_die}
    out_file = tmp_path / "r.jsonl"
    with Fake(routes) as fake:
        holder["fake"] = fake
        code, out = bench(
            "--endpoint",
            fake.url,
            "--concurrency",
            "1,2,4",
            "--requests-per-user",
            "1",
            "--prompt-tokens",
            "16",
            "--gen-tokens",
            "4",
            "--min-tps",
            "1",
            "--out",
            str(out_file),
        )
    assert code == 0, out
    levels = [r["level"] for r in records(out_file)]
    assert [lv["users"] for lv in levels] == [1, 2, 4]
    assert levels[0]["ok"] == 1 and levels[0]["errors"] == 0
    assert levels[1]["errors"] == 2 and levels[2]["errors"] == 4
    assert any("refused" in cause for cause in levels[2]["error_causes"])
    assert "holds 1 concurrent user(s)" in out


def test_ollama_native_stream_uses_the_server_timings(tmp_path):
    tags = {"models": [{"name": "granite3.3:2b"}]}
    routes = {
        "GET /api/tags": lambda h, b: send(h, 200, json.dumps(tags).encode()),
        "POST /api/generate": lambda h, b: stream(
            h,
            [line + b"\n" for line in capture("ollama-generate-granite.ndjson").splitlines()],
            kind="application/x-ndjson",
        ),
    }
    with Fake(routes) as fake:
        code, out = speed(fake.url, tmp_path / "r.jsonl", "--model", "granite3.3:2b")
        sent = [body for method, path, _, body in fake.seen if path == "/api/generate"]
    assert code == 0, out
    [rec] = records(tmp_path / "r.jsonl")
    assert rec["backend"]["device"] == "ollama"
    server = rec["server_metrics"]
    assert server["prefill_tok_s"]["median"] == pytest.approx(51 / 0.1071611)
    assert server["decode_tok_s"]["median"] == pytest.approx(64 / 0.6086536)
    assert "475.9" in out and "105.2" in out  # shown beside the client-side figures
    assert sent[-1]["raw"] is True and sent[-1]["options"]["temperature"] == 0


def test_endpoint_records_stay_out_of_profiles_reports_and_calibration(tmp_path):
    from sizer.bench.results import is_local

    routes = {"GET /v1/models": openai_models, "POST /v1/completions": openai_stream}
    out = tmp_path / "r.jsonl"
    with Fake(routes) as fake:
        assert speed(fake.url, out)[0] == 0
    [rec] = records(out)
    assert not is_local(rec)
    result = runner.invoke(app, ["profile", "export", str(out), "-o", str(tmp_path / "p.json")])
    assert "through a server's API" in str(result.exception or result.output)
    assert not (tmp_path / "p.json").exists()


def test_ctrl_c_keeps_the_repetitions_already_measured(tmp_path):
    import signal
    import subprocess
    import sys

    events = sse_events("llama-cpp-python-completions.sse")
    routes = {
        "GET /v1/models": openai_models,
        "POST /v1/completions": lambda h, b: stream(h, events, pause_s=0.15),
    }
    out = tmp_path / "r.jsonl"
    with Fake(routes) as fake:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sizer",
                "bench",
                "--endpoint",
                fake.url,
                "--reps",
                "20",
                "--prompt-tokens",
                "16",
                "--gen-tokens",
                "4",
                "--out",
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        while "repetition 2/20: ok" not in child.stderr.readline():
            pass
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert err.strip().splitlines()[-1] == "sizer: interrupted; results measured so far are on disk"
    [rec] = records(out)
    assert rec["status"] == "interrupted" and rec["metrics"]["reps"] >= 2


def test_tasks_through_ollama_chat_and_the_structured_output_fallback(tmp_path):
    """Ollama's /api/chat answers every item (the documented stream); an OpenAI server that
    refuses response_format json_schema (llama-cpp-python's captured 500) gets json_object."""
    chat = [line + b"\n" for line in capture("ollama-chat-docs.ndjson").splitlines()]
    tags = {"models": [{"name": "llama3.2:latest"}]}
    ndjson = "application/x-ndjson"
    routes = {
        "GET /api/tags": lambda h, b: send(h, 200, json.dumps(tags).encode()),
        "POST /api/chat": lambda h, b: stream(h, chat, kind=ndjson),
    }
    out = tmp_path / "r.jsonl"
    with Fake(routes) as fake:
        code, text = bench(
            "--endpoint",
            fake.url,
            "--model",
            "llama3.2",
            "--tasks",
            "classification",
            "--quick",
            "--out",
            str(out),
        )
    assert code == 0, text
    [rec] = records(out)
    assert rec["backend"]["device"] == "ollama" and rec["status"] == "ok"
    assert rec["model"]["reported"] == "llama3.2" and rec["items"][0]["reply"] == "The"

    def chat_or_refuse(handler, body) -> None:
        if (body.get("response_format") or {}).get("type") == "json_schema":
            send(handler, 500, capture("llama-cpp-python-json-schema-500.json"))
        else:
            stream(handler, sse_events("llama-cpp-python-chat.sse"))

    routes = {"GET /v1/models": openai_models, "POST /v1/chat/completions": chat_or_refuse}
    with Fake(routes) as fake:
        code, text = bench(
            "--endpoint", fake.url, "--tasks", "extraction", "--quick", "--out", str(out)
        )
        formats = [
            (b.get("response_format") or {}).get("type")
            for _, p, _, b in fake.seen
            if p == "/v1/chat/completions"
        ]
    assert code == 0, text
    grammar = [r for r in records(out) if (r.get("suite") or {}).get("variant") == "grammar"]
    assert grammar[0]["status"] == "ok"
    assert formats.count("json_schema") == 1 and "json_object" in formats  # asked once, then kept


def test_a_connection_closed_before_any_answer_is_tried_once_more(tmp_path):
    """llama-server closes a kept-alive connection after a few requests; a request that
    caught it closing got nothing back and is sent again, once."""
    calls = {"n": 0}

    def flaky(handler, body) -> None:
        calls["n"] += 1
        if calls["n"] % 2 == 1:
            return  # hang up without a byte of response
        openai_stream(handler, body)

    routes = {"GET /v1/models": openai_models, "POST /v1/completions": flaky}
    with Fake(routes) as fake:
        code, out = speed(fake.url, tmp_path / "r.jsonl")
    assert code == 0, out
    [rec] = records(tmp_path / "r.jsonl")
    assert rec["status"] == "ok" and rec["errors"] == [] and rec["metrics"]["reps"] == 2

    def always_hangs_up(handler, body) -> None:
        return

    routes["POST /v1/completions"] = always_hangs_up
    with Fake(routes) as fake:
        code, message = speed(fake.url, tmp_path / "r.jsonl")
    assert code == 4 and "closed the connection" in message


def test_task_items_go_to_the_server_up_to_its_parallel_slots(tmp_path):
    """With --parallel auto, a llama-server that reports 3 slots at /props gets at most 3
    items at once after the pass's first 3 items, which go alone and alone make its latency
    figures."""
    active, most, lock = [0], [0], threading.Lock()

    def chat(handler, body) -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.2)
        stream(handler, sse_events("llama-cpp-python-chat.sse"))
        with lock:
            active[0] -= 1

    props = {"total_slots": 3, "default_generation_settings": {"n_ctx": 4096}}
    routes = {
        "GET /v1/models": openai_models,
        "GET /props": lambda h, b: send(h, 200, json.dumps(props).encode()),
        "POST /v1/chat/completions": chat,
    }
    out = tmp_path / "r.jsonl"
    with Fake(routes) as fake:
        code, text = bench(
            "--endpoint",
            fake.url,
            "--tasks",
            "classification",
            "--quick",
            "--parallel",
            "auto",
            "--out",
            str(out),
        )
    assert code == 0, text
    [rec] = records(out)
    assert rec["status"] == "ok" and rec["batching"]["width"] == 3
    assert most[0] == 3
    flags = [item["single_stream"] for item in rec["items"]]
    assert flags == [True] * 3 + [False] * 7
    assert rec["throughput"]["items_per_min"] > 0
