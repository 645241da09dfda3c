"""Workloads, quality priors and the ranking (pure logic, table-driven)."""

from __future__ import annotations

import json

import pytest

from sizer.errors import InputError
from sizer.recommend.candidates import how_to_get, parse_params_b
from sizer.recommend.quality import (
    Quality,
    measured_quality,
    prior_quality,
    task_scores,
)
from sizer.recommend.rank import Candidate, one_per_model, problems, rank, unmet, why_not
from sizer.recommend.workload import (
    Workload,
    default_headroom,
    load_workload,
    merge,
    validate,
)
from sizer.speed.model import SpeedPrediction

GIB = 1 << 30


# ---- workload -----------------------------------------------------------------------------------


def test_defaults_fill_in_per_task():
    w = Workload(task="summarization").resolved()
    assert (w.ctx, w.prompt_tokens, w.min_tps, w.max_ttft) == (8192, 2000, 8.0, 30.0)
    # A prompt default never exceeds half a smaller context the user asked for.
    assert Workload(task="summarization", ctx=1024).resolved().prompt_tokens == 512
    assert Workload(task="chat", min_tps=0).resolved().min_tps == 0


@pytest.mark.parametrize(
    "total, expected", [(8 * GIB, 2 * GIB), (24 * GIB, 6 * GIB), (128 * GIB, 8 * GIB)]
)
def test_default_headroom_is_a_quarter_within_bounds(total, expected):
    assert default_headroom(total) == expected


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("task", "poetry", "task 'poetry'"),
        ("prefer", "cheap", "prefer 'cheap'"),
        ("backend", "vllm", "backend 'vllm'"),
        ("ctx", 3, "ctx 3"),
        ("min_tps", -1, "min_tps -1"),
        ("min_quality", 1.5, "min_quality 1.5"),
        ("headroom_gb", "lots", "headroom_gb 'lots'"),
    ],
)
def test_impossible_values_are_named(field, value, message):
    with pytest.raises(InputError, match=message):
        validate(Workload(**{field: value}))


def test_prompt_longer_than_the_context_is_refused():
    with pytest.raises(InputError, match="prompt_tokens 5000 must be below ctx 4096"):
        validate(Workload(ctx=4096, prompt_tokens=5000))


def test_workload_files_json_and_toml(tmp_path):
    j = tmp_path / "w.json"
    j.write_text(json.dumps({"task": "extraction", "ctx": 8192, "min-tps": 3}))
    assert load_workload(j) == Workload(task="extraction", ctx=8192, min_tps=3)
    t = tmp_path / "w.toml"
    t.write_text('task = "completion"\nprefer = "quality"\nheadroom_gb = 4\n')
    w = load_workload(t)
    assert (w.task, w.prefer, w.headroom_gb) == ("completion", "quality", 4)
    # The command line wins over the file.
    assert merge(w, {"prefer": "speed", "ctx": None}).prefer == "speed"


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("w.json", "{not json", "not valid JSON"),
        ("w.toml", "task = ", "not valid TOML"),
        ("w.json", "[1, 2]", "expected an object"),
        ("w.json", '{"task": "chat", "gpu": true}', "unknown key\\(s\\) gpu"),
        ("w.json", '{"task": "sing"}', "task 'sing'"),
    ],
)
def test_malformed_workload_files_get_one_clear_error(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_workload(path)


def test_missing_workload_file(tmp_path):
    with pytest.raises(InputError, match="cannot read it"):
        load_workload(tmp_path / "absent.toml")


# ---- quality ------------------------------------------------------------------------------------


def test_prior_rises_with_size_and_falls_with_coarser_quants():
    def q(params, quant="Q4_K_M", model="qwen2.5-7b", family="qwen2.5", task="classification"):
        return prior_quality(task, params, model, family, quant).value

    assert q(0.5) < q(1.5) < q(7) < q(70) < 1
    assert q(7, "Q8_0") > q(7, "Q4_K_M") > q(7, "Q4_0")
    # coders write code better than general models of the same size, reasoning distills
    # answer short-answer tasks worse
    coder = q(7, model="qwen2.5-coder-7b", family="qwen2.5-coder", task="completion")
    assert coder > q(7, task="completion")
    assert q(7, model="deepseek-r1-distill-qwen-7b", family="deepseek-r1-distill-qwen") < q(7)
    # the anchor: the measured 1.5B coder's suite error
    anchor = prior_quality("completion", 1.5, "qwen2.5-coder-1.5b", "qwen2.5-coder", "Q8_0")
    assert anchor.value == pytest.approx(0.43)
    assert prior_quality("chat", 7, "qwen2.5-7b", "qwen2.5", "Q4_K_M").source.startswith("prior")


def _task_record(task, metric, value, n=40, sha="abc", shape_only=False, status="ok"):
    return {
        "format": "sizer.run",
        "kind": "tasks",
        "status": status,
        "model": {
            "header_sha256": sha,
            "shape_only": shape_only,
            "catalog_id": "m1",
            "file_type": "Q4_K_M",
        },
        "suite": {"id": task, "task": task, "n": n},
        "scores": {"n": n, metric: value},
    }


def test_measured_scores_prefer_the_larger_run_and_skip_shape_only_files():
    records = [
        _task_record("classification", "accuracy", 0.9, n=10),  # a --quick run
        _task_record("classification", "accuracy", 0.65, n=48),
        _task_record("extraction", "field_f1", 0.95, n=44),
        _task_record("extraction", "field_f1", 0.96, n=44),  # the grammar variant, better
        _task_record("completion", "pass_at_1", 0.99, sha="random", shape_only=True),
        _task_record("summarization", "fact_coverage", 0.5, status="failed"),
    ]
    scores = task_scores(records)
    assert scores["sha:abc"]["classification"] == (0.65, 48, "results here")
    assert scores["sha:abc"]["extraction"] == (0.96, 44, "results here")
    assert "sha:random" not in scores and "summarization" not in scores["sha:abc"]
    assert scores["catalog:m1 Q4_K_M"]["classification"] == (0.65, 48, "results here")
    q = measured_quality("classification", ["sha:abc"], scores)
    assert q == Quality(0.65, "accuracy", "measured: 48 items, results here") and q.measured
    assert measured_quality("chat", ["sha:abc"], scores) is None  # needs all four
    assert measured_quality("completion", ["sha:zzz"], scores) is None


@pytest.mark.parametrize(
    "text, expected",
    [("8B", (8.0, None)), ("270M", (0.27, None)), ("30B-A3B", (30.0, 3.0)), ("8x7B", (46.7, 12.9))],
)
def test_parse_params(text, expected):
    total, active = parse_params_b(text)
    assert total == pytest.approx(expected[0])
    assert active == (None if expected[1] is None else pytest.approx(expected[1]))


def test_how_to_get_names_the_ollama_tag_and_the_file():
    from sizer.models.catalog import get_entry

    assert how_to_get(get_entry("llama3.2-3b"), "Q4_K_M") == (
        "ollama pull llama3.2:3b or huggingface.co/bartowski/Llama-3.2-3B-Instruct-GGUF "
        "file Llama-3.2-3B-Instruct-Q4_K_M.gguf"
    )
    # Ollama's default tags are Q4_K_M; other quants come from the GGUF repo.
    q8 = how_to_get(get_entry("qwen2.5-coder-7b"), "Q8_0")
    assert q8 == (
        "huggingface.co/Qwen/Qwen2.5-Coder-7B-Instruct-GGUF file "
        "qwen2.5-coder-7b-instruct-q8_0.gguf"
    )


# ---- ranking -------------------------------------------------------------------------------------


def _cand(
    model,
    decode=10.0,
    ttft=2.0,
    memory=4,
    quality=0.6,
    params=7.0,
    quant="Q4_K_M",
    trained_ctx=32768,
) -> Candidate:
    return Candidate(
        model_id=model,
        name=model,
        quant=quant,
        backend="llama.cpp",
        device="CPU",
        params_b=params,
        memory_bytes=memory * GIB,
        trained_ctx=trained_ctx,
        speed=SpeedPrediction(decode, 100.0, ttft, "test", "calibrated"),
        quality=Quality(quality, "accuracy", "prior: test"),
        get="-",
    )


W = Workload(
    task="classification", ctx=4096, prompt_tokens=300, min_tps=5, max_ttft=5, min_quality=0.3
)


@pytest.mark.parametrize(
    "cand, expected",
    [
        (_cand("ok"), []),
        (_cand("big", memory=20), ["needs 20.0 GiB, 16.0 GiB available after headroom"]),
        (_cand("slow", decode=2), ["decodes 2.0 tok/s, below the 5 floor"]),
        (_cand("late", ttft=9), ["first token after 9.0 s, over the 5 s limit"]),
        (_cand("dull", quality=0.1), ["quality 0.10 below the 0.3 minimum (prior: test)"]),
        (_cand("short", trained_ctx=2048), ["context 4096 beyond its trained 2048"]),
        (_cand("all", memory=20, decode=1, ttft=9), 3),
    ],
)
def test_problems_name_every_missed_floor_with_numbers(cand, expected):
    found = problems(cand, W, 16 * GIB)
    shown = [str(p) for p in found]
    assert shown == expected if isinstance(expected, list) else len(found) == expected


@pytest.mark.parametrize(
    "cand, kind, value, limit",
    [
        (_cand("big", memory=20), "memory", 20 * GIB, 16 * GIB),
        (_cand("slow", decode=2), "decode", 2, 5),
        (_cand("late", ttft=9), "ttft", 9, 5),
        (_cand("dull", quality=0.1), "quality", 0.1, 0.3),
        (_cand("short", trained_ctx=2048), "context", 4096, 2048),
    ],
)
def test_problems_are_data_kind_value_and_limit(cand, kind, value, limit):
    [problem] = problems(cand, W, 16 * GIB)
    assert (problem.kind, problem.value, problem.limit) == (kind, pytest.approx(value), limit)


def test_preferences_order_the_passing_candidates():
    fast = _cand("fast", decode=40, quality=0.5)
    good = _cand("good", decode=6, quality=0.8)
    mid = _cand("mid", decode=12, quality=0.72)
    order = {
        p: [
            v.candidate.model_id
            for v in rank(
                [fast, good, mid], Workload(**{**W.__dict__, "prefer": p}), 16 * GIB
            ).passing
        ]
        for p in ("quality", "speed", "balanced")
    }
    assert order["quality"] == ["good", "mid", "fast"]
    assert order["speed"] == ["fast", "mid", "good"]
    # balanced: 0.8 quality + 0.2 min(1, decode / (2 x floor)): mid 0.776, good 0.76,
    # fast 0.6 — speed beyond twice the floor buys nothing
    assert order["balanced"][0] == "mid"


def test_why_not_lists_the_nearest_better_models_once_each():
    top = _cand("top", quality=0.6, params=3)
    near = _cand("near", quality=0.7, params=7, decode=4)  # one problem
    near_q8 = _cand("near", quality=0.71, params=7, decode=2, ttft=9, quant="Q8_0")
    giant = _cand("giant", quality=0.95, params=70, memory=40, decode=0.3, ttft=90)
    worse = _cand("worse", quality=0.4, params=1, memory=40)  # neither better nor larger
    ranking = rank([top, near, near_q8, giant, worse], W, 16 * GIB)
    assert ranking.top.candidate.model_id == "top"
    listed = why_not(ranking)
    assert [(v.candidate.model_id, v.candidate.quant) for v in listed] == [
        ("near", "Q4_K_M"),
        ("giant", "Q4_K_M"),
    ]


def test_when_nothing_passes_unmet_counts_what_ruled_them_out():
    ranking = rank([_cand("a", decode=1), _cand("b", decode=2, memory=40)], W, 16 * GIB)
    assert ranking.top is None
    assert unmet(ranking) == ["decode floor: rules out 2 of 2", "memory: rules out 1 of 2"]
    # nearest first: fewest problems
    assert ranking.failing[0].candidate.model_id == "a"


def test_one_row_per_model():
    ranking = rank([_cand("a", quant="Q8_0", decode=6), _cand("a"), _cand("b")], W, 16 * GIB)
    assert [v.candidate.model_id for v in one_per_model(ranking.passing)] in (
        ["a", "b"],
        ["b", "a"],
    )
    assert len(ranking.passing) == 3
