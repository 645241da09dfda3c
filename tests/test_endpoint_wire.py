"""Endpoint wire formats on captured streams (tests/fixtures/endpoints/SOURCES.md), the
URL and privacy rules, and what an HTTP error says — no server involved."""

from __future__ import annotations

import json

import pytest
from endpoint_fake import capture

from sizer.endpoints.client import Ask, Exchange, route
from sizer.endpoints.target import parse_endpoint
from sizer.endpoints.wire import (
    WireError,
    error_text,
    http_problem,
    ollama_piece,
    openai_piece,
    server_rates,
    sse_payload,
)
from sizer.errors import InputError


def sse_pieces(name: str):
    lines = capture(name).decode().splitlines()
    return [openai_piece(p) for p in map(sse_payload, lines) if p is not None]


def test_llama_cpp_python_completion_stream():
    pieces = sse_pieces("llama-cpp-python-completions.sse")
    assert pieces[-1].done and not pieces[-1].text  # data: [DONE]
    text = "".join(p.text for p in pieces)
    assert text.startswith(" The sun was") and len([p for p in pieces if p.text]) == 8
    assert [p.finish for p in pieces if p.finish] == ["length"]
    assert {p.model for p in pieces if p.model} == {"gemma3-270m"}
    assert all(p.usage is None and p.server is None for p in pieces)  # it reports neither


def test_llama_cpp_python_chat_stream_opens_with_a_role_only_delta():
    pieces = sse_pieces("llama-cpp-python-chat.sse")
    assert pieces[0].text == "" and pieces[1].text
    assert pieces[-1].done


def test_ollama_generate_stream_and_its_server_timings():
    lines = capture("ollama-generate-granite.ndjson").decode().splitlines()
    pieces = [ollama_piece(line) for line in lines]
    assert "".join(p.text for p in pieces) == "Rabbits are small to medium-"
    final = pieces[-1]
    assert final.done and final.finish == "stop"
    assert final.usage == {"prompt_tokens": 51, "completion_tokens": 64}
    rates = server_rates(final.server)
    assert rates["prefill_tok_s"] == pytest.approx(51 / 0.1071611)
    assert rates["decode_tok_s"] == pytest.approx(64 / 0.6086536)
    assert final.server["load_s"] == pytest.approx(1.1588428)


def test_ollama_chat_stream_from_the_api_documentation():
    lines = capture("ollama-chat-docs.ndjson").decode().splitlines()
    first, final = (ollama_piece(line) for line in lines)
    assert first.text == "The" and not first.done
    assert server_rates(final.server)["decode_tok_s"] == pytest.approx(282 / 4.535599)


def test_llama_server_timings_are_read_where_sent():
    chunk = {
        "choices": [{"delta": {"content": "x"}}],
        "timings": {"prompt_n": 10, "prompt_ms": 20.0, "predicted_n": 5, "predicted_ms": 50.0},
    }
    rates = server_rates(openai_piece(json.dumps(chunk)).server)
    assert rates == {"prefill_tok_s": pytest.approx(500.0), "decode_tok_s": pytest.approx(100.0)}


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", '"text"'])
def test_malformed_chunks_raise_wire_errors(bad):
    with pytest.raises(WireError, match="malformed stream chunk"):
        openai_piece(bad)
    with pytest.raises(WireError):
        ollama_piece(bad)


def test_an_error_object_mid_stream_ends_it_with_the_message():
    piece = ollama_piece(capture("ollama-model-not-found-404.json").decode())
    assert piece.done and "not found, try pulling it first" in piece.error


def test_error_bodies_become_one_line():
    body = capture("llama-cpp-python-json-schema-500.json").decode()
    said = http_problem(500, body, "SIZER_API_KEY")
    assert said.startswith("HTTP 500, server error: 1 validation error") and "\n" not in said
    assert "Input should be 'text' or 'json_object'" in said
    assert error_text({"detail": [{"msg": "field required"}]}) == "field required"
    assert "set $MY_KEY" in http_problem(401, "", "MY_KEY")
    assert http_problem(429, "slow down", "K") == "HTTP 429, rate limited: slow down"


@pytest.mark.parametrize(
    ("url", "base", "api", "local"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080", "auto", True),
        ("http://localhost:11434/api", "http://localhost:11434", "ollama", True),
        ("http://[::1]:8000/v1/", "http://[::1]:8000", "openai", True),
        ("https://gpu-box.lan/llm/v1", "https://gpu-box.lan/llm", "openai", False),
    ],
)
def test_endpoint_urls(url, base, api, local):
    ep = parse_endpoint(url, "m", allow_remote=True)
    assert (ep.base_url, ep.api, ep.local) == (base, api, local)


def test_a_remote_endpoint_needs_allow_remote_and_credentials_stay_out_of_urls(monkeypatch):
    with pytest.raises(InputError, match=r"not this machine.*--allow-remote"):
        parse_endpoint("http://10.0.0.5:8080", "m")
    with pytest.raises(InputError, match="credentials"):
        parse_endpoint("http://user:secret@127.0.0.1:8080", "m")
    with pytest.raises(InputError, match="http:// or https://"):
        parse_endpoint("ftp://127.0.0.1", "m")
    monkeypatch.setenv("TEAM_KEY", "sk-very-secret")
    ep = parse_endpoint("http://127.0.0.1:8080", "m", key_env="TEAM_KEY")
    assert ep.headers() == {"Authorization": "Bearer sk-very-secret"}
    assert "sk-very-secret" not in json.dumps(ep.public()) + repr(ep)


def test_requests_are_greedy_and_bounded_on_both_apis():
    openai = parse_endpoint("http://127.0.0.1:1", "m", api="openai")
    url, body = route(openai, Ask(prompt="p", max_tokens=7, stop=("\n\n",)))
    assert url.endswith("/v1/completions") and body["max_tokens"] == 7
    assert body["temperature"] == 0 and body["stop"] == ["\n\n"] and body["stream"]
    ollama = parse_endpoint("http://127.0.0.1:1", "m", api="ollama")
    url, body = route(
        ollama,
        Ask(messages=[{"role": "user", "content": "x"}], max_tokens=7, schema={"type": "object"}),
    )
    assert url.endswith("/api/chat") and body["options"]["num_predict"] == 7
    assert body["format"] == {"type": "object"}


def test_inter_token_gaps_when_a_piece_carries_several_tokens():
    ex = Exchange(sent_at=0.0, stamps=[1.0, 1.5, 2.0], usage={"completion_tokens": 6})
    assert ex.ttft_s == 1.0 and ex.gen_tokens == 6
    assert ex.itl_s() == pytest.approx([0.2] * 5)  # 1 s over the 5 steps after the first
    assert Exchange(stamps=[1.0, 1.5, 2.0]).itl_s() == [0.5, 0.5]
