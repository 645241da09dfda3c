"""A real server: llama-cpp-python's OpenAI-compatible server with Gemma 3 270M on
127.0.0.1, measured through ``sizer bench --endpoint`` for speed, a quick task suite and a
concurrency sweep, then stopped."""

from __future__ import annotations

import json

import pytest
from llama_server import ALIAS, llama_server
from typer.testing import CliRunner

from sizer.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture(scope="module")
def server_url(gemma_path, tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server.log"
    with llama_server(gemma_path, chat_format="gemma", log=log) as url:
        yield url


def bench(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["bench", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def records(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_speed_through_the_server(server_url, tmp_path):
    out = tmp_path / "r.jsonl"
    code, text = bench(
        "--endpoint",
        server_url,
        "--model",
        ALIAS,
        "--prompt-tokens",
        "64",
        "--gen-tokens",
        "16",
        "--reps",
        "2",
        "--out",
        str(out),
    )
    assert code == 0, text
    [rec] = records(out)
    assert rec["status"] == "ok" and rec["backend"]["software"] == "uvicorn"
    assert rec["prompt_tokens_sent"]["median"] == pytest.approx(64, abs=2)  # sized in its tokens
    assert rec["gen_tokens"]["median"] == 16
    assert rec["metrics"]["decode_tok_s"]["median"] > 1 and rec["metrics"]["ttft_s"]["n"] == 2
    assert rec["hardware"]["cpu"]  # the server runs here: this machine's probe


def test_a_quick_task_suite_through_the_server(server_url, tmp_path):
    out = tmp_path / "r.jsonl"
    code, text = bench(
        "--endpoint", server_url, "--tasks", "classification", "--quick", "--out", str(out)
    )
    assert code == 0, text
    [rec] = records(out)
    assert rec["kind"] == "tasks" and rec["backend"]["name"] == "endpoint"
    assert rec["status"] in ("ok", "partial") and len(rec["items"]) == rec["suite"]["n"]
    assert 0.0 <= rec["scores"]["accuracy"] <= 1.0
    assert rec["latency"]["ttft_s"]["p50"] > 0
    assert rec["hardware"]["cpu"]  # on disk too: the server runs here
    assert "through " + server_url in text


def test_a_concurrency_sweep_answers_how_many_users(server_url, tmp_path):
    out = tmp_path / "r.jsonl"
    code, text = bench(
        "--endpoint",
        server_url,
        "--concurrency",
        "1,2",
        "--requests-per-user",
        "1",
        "--prompt-tokens",
        "32",
        "--gen-tokens",
        "8",
        "--min-tps",
        "1",
        "--max-ttft",
        "60",
        "--out",
        str(out),
    )
    assert code == 0, text
    levels = [r["level"] for r in records(out)]
    assert [lv["users"] for lv in levels] == [1, 2]
    assert all(lv["ok"] == lv["requests"] and lv["errors"] == 0 for lv in levels)
    assert levels[1]["aggregate_tok_s"] > 0
    assert "This server holds 2 concurrent user(s)" in text
