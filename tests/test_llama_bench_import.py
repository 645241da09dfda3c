"""llama-bench output in each format (captured here with the llama-bench built from the
installed llama-cpp-python's sources, see tests/fixtures/llama-bench/README.md), and the
published tables in profiles/sources/, become valid profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sizer.errors import InputError
from sizer.profiles.format import dumps
from sizer.profiles.llama_bench_formats import FormatProblem, parse
from sizer.profiles.llama_bench_import import (
    Machine,
    Source,
    from_manifest,
    has_avx512,
    import_text,
    manifest,
)
from sizer.profiles.validate import check_data

CAPTURES = Path(__file__).parent / "fixtures" / "llama-bench"
SOURCES = Path(__file__).parents[1] / "profiles" / "sources" / "llama-bench"
FORMATS = ("json", "jsonl", "csv", "md", "sql")
HERE = Source(url="captured on the project's machine")


def capture(fmt: str) -> str:
    return (CAPTURES / f"gemma3-270m-2t.{fmt}").read_text()


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_gives_the_same_four_tests(fmt):
    detected, rows = parse(capture(fmt))
    assert detected == fmt
    tests = [(r.n_prompt, r.n_gen, r.n_depth) for r in rows]
    assert tests == [(64, 0, 0), (0, 16, 0), (64, 0, 128), (0, 16, 128)]
    for row in rows:
        assert row.model_type == "gemma3 270M Q4_K - Medium" and row.threads == 2
        assert 0 < row.avg_ts < 5000 and row.stddev_ts is not None
        assert row.size_bytes and abs(row.size_bytes - 246_582_528) < 0.01 * 246_582_528
        assert row.n_params and abs(row.n_params - 268_098_176) < 0.01 * 268_098_176


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_imports_to_a_valid_profile_without_paths(fmt):
    profile = import_text(capture(fmt), Machine(cpu="AMD EPYC 7B13", cores=2), HERE)
    checked = check_data(profile, fmt)
    assert checked.ok, checked.problems
    assert profile["provenance"] == {
        **profile["provenance"],
        "kind": "imported",
        "tool": "llama-bench",
        "imported_format": fmt,
    }
    runs = profile["runs"]
    assert [("prefill_tok_s" in r["metrics"], r["config"]["depth"]) for r in runs] == [
        (True, 0),
        (False, 0),
        (True, 128),
        (False, 128),
    ]
    assert runs[0]["model"]["file_type"] == "Q4_K_M"
    assert "/root" not in dumps(profile) and ".cache" not in dumps(profile)


def test_machine_readable_formats_carry_the_cpu_and_samples():
    profile = import_text(capture("json"), Machine(), HERE)
    assert profile["hardware"]["cpu"]["brand"] == "AMD EPYC"
    assert len(profile["runs"][0]["samples"]["prefill_tok_s"]) == 2
    assert profile["runs"][0]["model"]["file_name"] == "gemma-3-270m-q4_k_m.gguf"


def test_markdown_without_a_cpu_is_refused():
    with pytest.raises(InputError, match="does not name the CPU; say which with --cpu"):
        import_text(capture("md"), Machine(), HERE)


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ('[{"model_type": "llama 7B Q4_0", "n_prompt": 512}]', None, "no 'n_gen' column"),
        ('[{"model_type": "llama 7B Q4_0", "n_prompt": 5', None, "not valid JSON"),
        ("| model | size |\n| --- | --- |\n| llama | 1 GiB |", None, "no 'test' column"),
        (
            "| model | test | t/s |\n| - | - | - |\n| llama | pp512 |",
            None,
            "2 cells, the header has 3",
        ),
        ("| model | test | t/s |\n| - | - | - |\n| llama | xx9 | 1 ± 0 |", None, "is not pp<N>"),
        ("INSERT INTO test (model_type, n_prompt) VALUES ('llama", "sql", "cut short"),
        ("hello world", None, "not llama-bench output"),
        ("", "md", "needs a header, a separator and rows"),
    ],
)
def test_broken_or_foreign_output_gets_one_line(text, fmt, expected):
    with pytest.raises(FormatProblem, match=expected):
        parse(text, fmt)


def test_old_and_combined_test_names_parse():
    table = (
        "| model | size | params | backend | threads | test | t/s |\n|-|-|-|-|-|-|-|\n"
        "| llama 7B Q4_0 | 3.56 GiB | 6.74 B | CPU | 96 | pp 3968 | 200.22 ± 1.39 |\n"
        "| llama 1B Q4_K - Medium | 636.18 MiB | 1.10 B | CPU | 8 | pp4096+tg128 | 55.1 ± 0.2 |\n"
        "| llama 1B Q4_K - Medium | 636.18 MiB | 1.10 B | CPU | 8 | tg128 @ d4096 | 30.0 |"
    )
    _, rows = parse(table)
    assert [(r.n_prompt, r.n_gen, r.n_depth) for r in rows] == [
        (3968, 0, 0),
        (4096, 128, 0),
        (0, 128, 4096),
    ]
    profile = import_text(table, Machine(cpu="AMD EPYC 9R14"), HERE)
    assert "combined_tok_s" in profile["runs"][1]["metrics"]


def test_every_published_source_imports_and_validates():
    files = sorted(SOURCES.glob("*.json"))
    assert len(files) >= 10
    for file in files:
        data = manifest(file.read_text())
        assert data is not None, file
        text, fmt, machine, source = from_manifest(data, Machine(), None)
        profile = import_text(text, machine, source, fmt)
        checked = check_data(profile, file.name)
        assert checked.ok, checked.problems
        assert profile["provenance"]["source"].startswith("https://")


def test_moe_models_stream_only_their_active_share():
    table = (
        "| model | size | params | backend | threads | test | t/s |\n|-|-|-|-|-|-|-|\n"
        "| qwen3moe 235B.A22B Q3_K - Medium | 96.59 GiB | 235.09 B | CPU | 16 | tg128 "
        "| 9.03 ± 0.01 |"
    )
    shape = import_text(table, Machine(cpu="AMD Ryzen AI Max+ 395"), HERE)["runs"][0]["model"][
        "speed_shape"
    ]
    assert shape["decode_weight_bytes"] == pytest.approx(96.59 * (1 << 30) * 22 / 235, rel=0.01)


@pytest.mark.parametrize(
    ("cpu", "expected"),
    [
        ("AMD Ryzen 9 7950X", True),
        ("AMD Ryzen 9 7940HS", True),
        ("AMD Ryzen 7 7730U", False),
        ("AMD Ryzen 7 5800X", False),
        ("AMD EPYC 9R14", True),
        ("AMD EPYC 7B13", False),
        ("Intel Core i5-1145G7", True),
        ("Intel Core i7-1265U", False),
        ("Intel Core Ultra 7 258V", False),
        ("Intel Xeon Platinum 8480", True),
        ("AMD Ryzen AI 9 HX 370", True),
    ],
)
def test_avx512_from_the_cpu_line(cpu, expected):
    assert has_avx512(cpu) is expected


def test_a_manifest_is_recognised_and_plain_jsonl_is_not():
    assert manifest(json.dumps({"source_url": "u", "raw": "| model |"})) is not None
    assert manifest(capture("jsonl")) is None
