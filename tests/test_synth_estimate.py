"""Shape-only models load and run in llama.cpp; the estimator's parts, table-driven."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sizer.cli import app
from sizer.estimate import (
    ModelMemoryShape,
    TensorBytes,
    estimate_memory,
    kv_bytes,
    pad_ctx,
    repacked_types,
)
from sizer.models.gguf_header import read_header
from sizer.models.resolve import resolve
from sizer.models.shapes import Shape
from sizer.models.spec import SHAPE_ONLY_LABEL, spec_from_header
from sizer.models.synth import synthesize

TINY = Shape("qwen2", 2, 256, 512, 4, 2, 64, 1024, False, 4096, qkv_bias=True)
runner = CliRunner()


def test_synth_writes_the_exact_layout_and_marks_it(tmp_path):
    path = synthesize(TINY, "Q4_K_M", tmp_path / "tiny.gguf", "tiny")
    spec = spec_from_header(read_header(path))
    assert spec.shape_only and spec.file_type == "Q4_K_M"
    assert (spec.n_layers, spec.n_embd, spec.n_head, spec.n_head_kv[0]) == (2, 256, 4, 2)
    result = runner.invoke(app, ["models", "inspect", str(path)])
    assert SHAPE_ONLY_LABEL in result.output


def test_synth_refuses_when_the_disk_is_too_small(tmp_path, monkeypatch):
    import shutil

    from sizer.errors import InputError

    monkeypatch.setattr(shutil, "disk_usage", lambda _: shutil._ntuple_diskusage(1, 1, 1000))
    with pytest.raises(InputError, match="not enough free disk"):
        synthesize(TINY, "Q8_0", tmp_path / "x.gguf", "tiny")
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
@pytest.mark.parametrize("quant", ["Q4_0", "Q4_K_M", "Q8_0", "F16"])
def test_llama_cpp_runs_a_shape_only_model(tmp_path, quant):
    import llama_cpp
    import numpy as np

    path = synthesize(TINY, quant, tmp_path / f"tiny-{quant}.gguf", "tiny")
    llm = llama_cpp.Llama(str(path), n_ctx=256, n_threads=2, verbose=False)
    llm.eval([1, 300, 301, 302])
    llama_cpp.llama_synchronize(llm._ctx.ctx)
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(1024,))
    assert np.isfinite(logits).all()
    generated = [token for _, token in zip(range(4), llm.generate([1, 300], temp=0), strict=False)]
    assert len(generated) == 4
    llm.close()


def _model(**changes) -> ModelMemoryShape:
    base = dict(
        n_layers=28,
        n_embd=1536,
        n_ff=8960,
        n_head=12,
        n_head_kv=(2,) * 28,
        head_dim_k=128,
        head_dim_v=128,
        vocab=151936,
        local_layers=0,
        sliding_window=None,
        n_expert_used=0,
        tensors=(TensorBytes("blk.0.ffn_up.weight", (1536, 8960), "Q4_K", 1000),),
    )
    return ModelMemoryShape(**{**base, **changes})


@pytest.mark.parametrize(
    ("n_ctx", "kv_type", "expected"),
    [
        (2048, "f16", 2048 * 28 * 2 * 2 * 128 * 2),  # Qwen2.5-1.5B: 28 KiB per token
        (2000, "f16", 2048 * 28 * 2 * 2 * 128 * 2),  # padded to 256 cells
        (8192, "q8_0", int(8192 * 28 * 2 * 2 * 128 * 34 / 32)),
        (8192, "q4_0", int(8192 * 28 * 2 * 2 * 128 * 18 / 32)),
    ],
)
def test_kv_bytes(n_ctx, kv_type, expected):
    assert kv_bytes(_model(), n_ctx, kv_type, 512, swa_full=True) == expected


def test_sliding_window_layers_only_shrink_without_swa_full():
    gemma = _model(
        n_layers=18,
        n_head_kv=(1,) * 18,
        head_dim_k=256,
        head_dim_v=256,
        local_layers=15,
        sliding_window=512,
    )
    full = kv_bytes(gemma, 32768, "f16", 512, swa_full=True)
    windowed = kv_bytes(gemma, 32768, "f16", 512, swa_full=False)
    per_cell = 1 * 512 * 2
    assert full == 18 * pad_ctx(32768) * per_cell
    assert windowed == (15 * 1024 + 3 * 32768) * per_cell


@pytest.mark.parametrize(
    ("isa", "arch", "q4_k", "q6_k", "q2_k"),
    [
        ({"avx2": True}, "x86_64", True, False, False),
        ({"avx2": True, "avx512f": True}, "x86_64", True, False, True),
        ({}, "x86_64", False, False, False),
        ({"dotprod": True}, "aarch64", True, True, False),
    ],
)
def test_repacked_types_by_cpu(isa, arch, q4_k, q6_k, q2_k):
    from gguf import GGMLQuantizationType as Q

    types = repacked_types(isa, arch)
    assert (Q.Q4_K in types, Q.Q6_K in types, Q.Q2_K in types) == (q4_k, q6_k, q2_k)


def test_estimate_grows_with_context_and_rejects_unknown_kv_type():
    small = estimate_memory(_model(), 2048, isa={"avx2": True})
    large = estimate_memory(_model(), 16384, isa={"avx2": True})
    assert large.kv_bytes == 8 * small.kv_bytes and large.total_bytes > small.total_bytes
    assert small.repack_bytes == 1000  # the one Q4_K matmul weight, copied once
    with pytest.raises(ValueError, match="kv type"):
        estimate_memory(_model(), 2048, kv_type="q3_k")


@pytest.mark.slow
def test_estimate_cli_on_a_real_file_and_a_catalog_id(qwen_path):
    result = runner.invoke(app, ["estimate", str(qwen_path), "--ctx", "8192", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["estimate"]["kv_bytes"] == 8192 * 28 * 1024
    assert record["verdict"].startswith(("fits", "does not fit"))
    result = runner.invoke(app, ["estimate", "llama3.1-8b", "--ctx", "4096"])
    assert result.exit_code == 0 and "llama3.1-8b Q4_K_M (catalog" in result.output


def test_resolve_rejects_unknown_models():
    from sizer.errors import InputError

    with pytest.raises(InputError, match="not a file, an Ollama tag"):
        resolve("no-such-model-anywhere")


def test_catalog_and_synth_cli(tmp_path):
    result = runner.invoke(app, ["models", "catalog"])
    assert result.exit_code == 0 and "qwen2.5-coder-7b" in result.output
    result = runner.invoke(
        app, ["models", "synth", "qwen2.5-0.5b", "--quant", "Q4_0", "-o", str(tmp_path / "q.gguf")]
    )
    assert result.exit_code == 0 and SHAPE_ONLY_LABEL in result.output
    result = runner.invoke(app, ["models", "synth", "qwen2.5-0.5b", "--quant", "Q3_K", "-o", "x"])
    assert result.exit_code == 2


def _layered_model(n_layers: int = 4, layer: int = 1 << 30) -> ModelMemoryShape:
    tensors = tuple(
        TensorBytes(f"blk.{i}.ffn_up.weight", (4096, 4096), "Q8_0", layer) for i in range(n_layers)
    )
    tensors += (TensorBytes("output.weight", (4096, 32000), "Q6_K", 100 * MIB),)
    return _model(n_layers=n_layers, n_head_kv=(2,) * n_layers, tensors=tensors)


MIB = 1 << 20


@pytest.mark.parametrize(
    ("free_gib", "layers", "full"),
    [(0.5, 0, False), (2.2, 1, False), (4.4, 3, False), (8, 5, True)],
)
def test_offload_plan_fills_the_gpu_from_the_last_layer(free_gib, layers, full):
    from sizer.estimate import plan_offload

    model = _layered_model()
    est = estimate_memory(model, 2048, isa={})
    plan = plan_offload(model, est, int(free_gib * (1 << 30)))
    assert (plan.gpu_layers, plan.full) == (layers, full)
    assert plan.host_bytes <= est.total_bytes


def test_estimate_cli_offers_a_gpu_split_on_the_nvidia_fixture(probe_fixture, monkeypatch):
    monkeypatch.setenv("SIZER_SYSROOT", str(probe_fixture("nvidia-desktop")))
    result = runner.invoke(app, ["estimate", "qwen2.5-32b", "--ctx", "8192", "--json"])
    record = json.loads(result.output)
    assert "NVIDIA GeForce RTX 4080 SUPER" in record["gpu_offload"]
    assert " of 64 layers on the GPU" in record["gpu_offload"]
