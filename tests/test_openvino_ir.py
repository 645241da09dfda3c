"""OpenVINO IR directories: the graph reader on small hand-built IRs (facts, hostile input),
how bench and task runs route them to OpenVINO, the OpenVINO task worker's stop rules, and,
marked slow, the real thing: Qwen2.5-Coder converted from its GGUF, benchmarked and asked
task items on OpenVINO's CPU device."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ggufmake import write_tiny_gguf
from typer.testing import CliRunner

from sizer.bench import BenchRequest, _configs
from sizer.cli import app
from sizer.errors import InputError
from sizer.models.openvino_ir import openvino_error_line, read_ir
from sizer.models.resolve import model_identity, resolve
from sizer.probe import probe
from sizer.tasks.ov_worker import _Stream

_KV = (
    '<layer id="{i}" name="rv{i}" type="ReadValue" version="opset6">'
    '<data variable_id="past_key_values.{n}.{kv}present.{n}.{kv}" variable_type="f32"'
    ' variable_shape="?,{heads},?,{dim}" /></layer>'
)
_CONST = (
    '<layer id="{i}" name="c{i}" type="Const" version="opset1"><data element_type="{t}"'
    ' shape="{shape}" offset="{offset}" size="{size}" /></layer>'
)


def write_ir(
    folder: Path,
    layers: int = 2,
    heads: int = 2,
    dim: int = 64,
    constants: tuple[tuple[str, str, int], ...] = (("u4", "64,4,32", 4096), ("u8", "64,32", 2048)),
    bin_bytes: int | None = None,
    tokenizer: bool = True,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    parts, i, offset = [], 0, 0
    for n in range(layers):
        for kv in ("key", "value"):
            parts.append(_KV.format(i=i, n=n, kv=kv, heads=heads, dim=dim))
            i += 1
    for kind, shape, size in constants:
        parts.append(_CONST.format(i=i, t=kind, shape=shape, offset=offset, size=size))
        i, offset = i + 1, offset + size
    xml = (
        '<?xml version="1.0"?>\n<net name="Model0" version="11"><layers>'
        + "".join(parts)
        + '</layers><rt_info><info name="OpenVINO Runtime" value="2026.4.1" /></rt_info></net>'
    )
    (folder / "openvino_model.xml").write_text(xml)
    (folder / "openvino_model.bin").write_bytes(
        b"\0" * (offset if bin_bytes is None else bin_bytes)
    )
    if tokenizer:
        (folder / "openvino_tokenizer.xml").write_text("<net/>")
    return folder


def test_reads_layers_kv_heads_and_weight_precision_from_the_graph(tmp_path):
    ir = read_ir(write_ir(tmp_path / "m", layers=3, heads=4, dim=128))
    assert (ir.n_layers, ir.n_head_kv, ir.head_dim) == (3, 4, 128)
    assert ir.weight_bytes == {"u4": 4096, "u8": 2048}
    assert ir.precision == "INT4+INT8"  # the int8 part holds a third of the weight bytes
    assert ir.weight_elements == 64 * 4 * 32 + 64 * 32
    assert ir.runtime == "2026.4.1"


@pytest.mark.parametrize(
    ("constants", "label"),
    [
        ((("u4", "64,4,32", 9000), ("u8", "64,32", 500)), "INT4"),  # int8 below a tenth
        ((("f16", "64,32", 4096),), "FP16"),
        ((("u8", "64,32", 4096), ("f16", "64,1", 4096)), "INT8"),  # f16 scales never second
        ((("f32", "64,32", 4096),), "FP32"),
    ],
)
def test_precision_label(tmp_path, constants, label):
    assert read_ir(write_ir(tmp_path / "m", constants=constants)).precision == label


def test_a_directory_resolves_to_an_openvino_only_model_with_a_stable_identity(tmp_path):
    folder = write_ir(tmp_path / "qwen-ov", layers=4)
    (folder / "sizer-source.json").write_text(
        json.dumps({"n_embd": 256, "n_head": 4, "n_params": 123, "architecture": "qwen2"})
    )
    model = resolve(str(folder))
    assert model.openvino_only and model.source == "openvino-ir"
    assert model.memory.n_layers == 4 and model.memory.n_embd == 256
    identity = model_identity(model)
    assert identity["architecture"] == "qwen2" and identity["n_params"] == 123
    assert identity == model_identity(resolve(str(folder)))
    request = BenchRequest([str(folder)], tmp_path / "out.jsonl", backends=["llama.cpp"])
    backends = {c.backend for c in _configs(model, "h", request, probe())}
    assert backends == {"openvino"}  # llama.cpp cannot read an IR: it runs on OpenVINO


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda f: (f / "openvino_model.bin").unlink(), "without openvino_model.bin"),
        (lambda f: (f / "openvino_tokenizer.xml").unlink(), "no openvino_tokenizer.xml"),
        (lambda f: (f / "openvino_model.xml").write_text("<net><layers>"), "not a readable"),
        (lambda f: (f / "openvino_model.xml").write_text("<html></html>"), "not an OpenVINO graph"),
        (lambda f: (f / "openvino_model.bin").write_bytes(b"\0" * 100), "truncated"),
        (lambda f: (f / "config.json").write_text("{oops"), "not readable JSON"),
        (lambda f: (f / "config.json").write_text("[1]"), "expected a JSON object"),
    ],
)
def test_a_broken_directory_is_one_clear_error(tmp_path, damage, says):
    folder = write_ir(tmp_path / "m")
    damage(folder)
    with pytest.raises(InputError, match=says):
        resolve(str(folder))


def test_a_graph_without_kv_state_is_refused(tmp_path):
    folder = write_ir(tmp_path / "m", layers=0)
    with pytest.raises(InputError, match="no KV-cache state"):
        read_ir(folder)


def test_hostile_xml_entities_are_not_expanded(tmp_path):
    folder = write_ir(tmp_path / "m")
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE n [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "&{p};&{p};&{p};&{p};&{p};&{p};&{p};&{p};">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + ']><net name="&i;"></net>'
    )
    (folder / "openvino_model.xml").write_text(bomb)
    with pytest.raises(InputError):
        read_ir(folder)


def test_openvino_error_line_drops_build_paths():
    exc = RuntimeError(
        "Check 'data != nullptr' failed at /home/jenkins/agent/x/gguf.cpp:84:\n\nmore\n"
    )
    assert openvino_error_line(exc) == "Check 'data != nullptr' failed"


def test_converting_refuses_a_shape_only_file_and_a_full_directory(tmp_path):
    from sizer.models.to_openvino import convert

    gguf = write_tiny_gguf(tmp_path / "shape.gguf", shape_only=True)
    with pytest.raises(InputError, match="shape-only"):
        convert(gguf, tmp_path / "out")
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    plain = write_tiny_gguf(tmp_path / "plain.gguf")
    with pytest.raises(InputError, match="not empty"):
        convert(plain, full)


class _FakeChat:
    """What _Stream needs of the OpenVINO chat: the end-of-turn id and detokenising."""

    def __init__(self) -> None:
        self.eos = {0}

    def text_of(self, tokens: list[int]) -> str:
        return "".join(chr(t) for t in tokens)


def _stream(stop=(), end=None) -> _Stream:
    return _Stream(_FakeChat(), {"stop": list(stop), "end": end})  # type: ignore[arg-type]


def _feed(stream: _Stream, text: str) -> int:
    """Feed characters as tokens until the stream says stop; how many it took."""
    for n, ch in enumerate(text, 1):
        if stream.take(ord(ch)):
            return n
    return len(text)


@pytest.mark.parametrize(
    ("stop", "end", "text", "taken", "answer", "finish"),
    [
        ((), None, "billing", 7, "billing", "length"),
        (("\n",), None, "billing\nmore", 8, "billing", "stop"),
        ((), "json", 'x {"a": "}"} tail', 12, 'x {"a": "}"}', "stop"),
        ((), "fence", "py\n```\nx=1\n```\nmore", 14, "py\n```\nx=1\n", "stop"),
    ],
)
def test_the_openvino_stream_stops_where_the_llama_cpp_loop_would(
    stop, end, text, taken, answer, finish
):
    stream = _stream(stop, end)
    assert _feed(stream, text) == taken
    assert stream.answer_text() == answer and stream.finish == finish


def test_end_of_turn_stops_without_joining_the_answer():
    stream = _stream()
    _feed(stream, "ok")
    assert stream.take(0) and stream.finish == "stop" and stream.answer_text() == "ok"
    assert len(stream.stamps) == 3 and len(stream.tokens) == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--tasks", "classification", "--backend", "openvino", "--parallel", "4"],
            "one at a time",
        ),
        (["--tasks", "classification", "--device", "GPU"], "on the CPU"),
    ],
)
def test_task_options_openvino_cannot_take(tmp_path, args, says):
    result = CliRunner().invoke(app, ["bench", str(write_ir(tmp_path / "m")), *args])
    assert result.exit_code != 0 and says in result.output


# ---- real: Qwen2.5-Coder-1.5B as an IR converted from its GGUF ----------------------------


@pytest.mark.slow
def test_the_converted_ir_keeps_the_ggufs_shape(qwen_path, qwen_openvino_path):
    gguf, ir = resolve(str(qwen_path)), resolve(str(qwen_openvino_path))
    assert ir.memory.n_layers == gguf.memory.n_layers == 28
    assert ir.memory.n_head_kv == gguf.memory.n_head_kv
    assert ir.memory.head_dim_k == gguf.memory.head_dim_k
    identity = model_identity(ir)
    assert identity["architecture"] == "qwen2" and identity["n_params"] == gguf.spec.n_params
    assert identity["converted_from"] == qwen_path.name
    assert ir.file_type == "INT4+INT8"  # Q4_K -> u4, Q6_K -> u8


@pytest.mark.slow
def test_bench_and_tasks_on_the_ir_through_the_cli(qwen_openvino_path, tmp_path):
    out = tmp_path / "bench.jsonl"
    speed = [sys.executable, "-m", "sizer", "bench", str(qwen_openvino_path), "--threads", "2"]
    speed += ["--prompt-tokens", "64", "--gen-tokens", "8", "--reps", "1", "--out", str(out)]
    done = subprocess.run(speed, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (rec,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert rec["status"] == "ok" and rec["backend"]["name"] == "openvino"
    assert rec["model"]["format"] == "openvino-ir" and rec["metrics"]["load_s"] > 0
    assert rec["conditions"]["first_inference_s"] > 0
    assert rec["metrics"]["decode_tok_s"]["median"] > 0.5

    tasks = tmp_path / "items.jsonl"
    items = [
        {
            "task": "classification",
            "labels": ["billing", "technical"],
            "id": f"c{i}",
            "instruction": "Classify the ticket: billing or technical. Label only.",
            "input": text,
            "expected": label,
        }
        for i, (text, label) in enumerate(
            [
                ("I was charged twice this month.", "billing"),
                ("The app crashes on start.", "technical"),
            ]
        )
    ]
    items.append(
        {
            "task": "extraction",
            "id": "e0",
            "input": "Order 1142 ships to Oslo on May 3.",
            "instruction": "Extract the order number and city.",
            "schema": {
                "type": "object",
                "properties": {"order": {"type": "string"}, "city": {"type": "string"}},
                "required": ["order", "city"],
            },
            "expected": {"order": "1142", "city": "Oslo"},
        }
    )
    tasks.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    task_out = tmp_path / "tasks.jsonl"
    run = [
        sys.executable,
        "-m",
        "sizer",
        "bench",
        str(qwen_openvino_path),
        "--task-file",
        str(tasks),
    ]
    done = subprocess.run(
        [*run, "--threads", "2", "--out", str(task_out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    records = [json.loads(line) for line in task_out.read_text().splitlines()]
    assert {r["backend"]["name"] for r in records} == {"openvino"}
    assert all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    items = [i for r in records for i in r["items"]]
    assert all(i["single_stream"] for i in items)
    by_id = {}
    for item in items:
        by_id.setdefault(item["id"], []).append(item["score"])
    # answers are well formed labels (how right a 1.5B coder model is, is the suites' business)
    assert all(
        score[0]["predicted"] in ("billing", "technical") for score in (by_id["c0"], by_id["c1"])
    )
    assert by_id["c0"][0]["correct"], by_id
    assert all(score["field_f1"] == 1.0 for score in by_id["e0"])  # free and constrained


@pytest.mark.slow
def test_a_gguf_genai_cannot_read_is_one_line_and_leaves_nothing(gemma_path, tmp_path):
    out = tmp_path / "gemma-ov"
    done = subprocess.run(
        [sys.executable, "-m", "sizer", "models", "openvino", str(gemma_path), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot convert this gemma3 GGUF" in lines[0], done.stderr
    assert list(tmp_path.iterdir()) == []  # no partial directory
