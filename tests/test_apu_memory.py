"""GPUs that share RAM: what llama.cpp can map there (sizer.hardware.gpu_memory), read from a
captured AMD APU (Strix Halo: a 512 MiB carve-out and a 128 GiB GTT pool on 125 GiB of RAM;
tests/fixtures/probe/amd-ryzen-ai-apu/SOURCES.md), and used by probe, estimate and recommend."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sizer.cli import app
from sizer.hardware.gpu_memory import gpu_pool
from sizer.probe import probe

APU = Path(__file__).parent / "fixtures" / "probe" / "amd-ryzen-ai-apu"
GIB = 1 << 30


@pytest.fixture(scope="module")
def apu():
    return probe(APU)


def test_the_apu_probe_names_its_igpu_and_reads_both_pools(apu):
    [gpu] = [a for a in apu.accelerators if a.kind == "gpu"]
    assert gpu.name == "AMD Radeon 8060S"  # from the CPU's brand: 0x1586 is 8050S or 8060S
    assert gpu.integrated is True and gpu.memory_shared_with_ram is True
    assert gpu.memory_total_bytes == 512 << 20  # the carve-out, not what the GPU can use
    assert gpu.extra["gtt_total_bytes"] == 128 * GIB
    pool = gpu_pool(asdict(gpu), apu.memory.total_bytes)
    assert pool.bytes == apu.memory.total_bytes and "capped at the RAM" in pool.why


def test_sizer_probe_says_what_each_backend_can_use():
    result = CliRunner().invoke(app, ["probe", "--sysroot", str(APU)])
    assert result.exit_code == 0, result.output
    assert "carve-out 512 MiB, GTT 128 GiB" in result.stdout
    assert "llama.cpp (Vulkan) can use 125 GiB" in result.stdout
    assert "ROCm: up to HIP's own total; OpenVINO: no AMD GPU device" in result.stdout


RAM = 32 * GIB


@pytest.mark.parametrize(
    ("acc", "expected", "why"),
    [
        ({"memory_total_bytes": 8 * GIB, "memory_free_bytes": 7 * GIB}, 7 * GIB, "VRAM"),
        ({"memory_total_bytes": 8 * GIB}, 8 * GIB, "VRAM"),
        ({"vendor": "Apple", "memory_shared_with_ram": True}, 24 * GIB, "3/4 of RAM"),
        (
            {"vendor": "Apple", "memory_shared_with_ram": True, "extra": {"wired_limit_mb": 28672}},
            28 * GIB,
            "wired_limit_mb",
        ),
        (
            {
                "vendor": "AMD",
                "memory_shared_with_ram": True,
                "extra": {"carve_out_bytes": 2 * GIB, "gtt_total_bytes": 12 * GIB},
            },
            14 * GIB,
            "GTT",
        ),
        (  # a database machine: no probe, Linux's default GTT pool
            {"vendor": "AMD", "memory_shared_with_ram": True},
            16 * GIB,
            "half of RAM",
        ),
    ],
)
def test_the_pool_llama_cpp_can_map(acc, expected, why):
    pool = gpu_pool({"kind": "gpu", **acc}, RAM)
    assert pool.bytes == expected and why in pool.why


def test_a_shared_gpu_without_ram_or_a_card_without_size_has_no_pool():
    assert gpu_pool({"vendor": "AMD", "memory_shared_with_ram": True}, None) is None
    assert gpu_pool({"vendor": "NVIDIA", "memory_shared_with_ram": False}, RAM) is None


@pytest.mark.parametrize("junk", ["lots", -5, True, [1], {"a": 1}, None, float("nan")])
def test_junk_in_a_records_free_form_figures_is_ignored_not_a_crash(junk):
    acc = {
        "vendor": "AMD",
        "memory_shared_with_ram": True,
        "extra": {"gtt_total_bytes": junk, "carve_out_bytes": junk},
    }
    assert gpu_pool(acc, RAM).bytes == RAM // 2  # the default GTT pool
    apple = {"vendor": "Apple", "memory_shared_with_ram": True, "extra": {"wired_limit_mb": junk}}
    assert "3/4 of RAM" in gpu_pool(apple, RAM).why
    assert gpu_pool({"memory_total_bytes": junk}, RAM) is None


def test_recommend_runs_models_on_the_apu_within_its_pool(apu, tmp_path):
    record = apu.to_dict()
    [gpu] = [a for a in record["accelerators"] if a["kind"] == "gpu"]
    gpu["extra"]["gtt_total_bytes"] = 8 * GIB  # a small pool: the RAM is not the limit
    path = tmp_path / "apu.json"
    path.write_text(json.dumps(record))
    args = ["recommend", "--hardware", str(path), "--json", "--all"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    on_igpu = [v for v in data["passing"] if "8060S" in v["device"]]
    assert on_igpu and all(v["device_class"] == "ROCm/Vulkan" for v in on_igpu)
    pool = 8 * GIB + (512 << 20)
    assert all(v["memory_bytes"] <= pool for v in on_igpu)


def test_estimate_says_whether_the_model_fits_the_shared_gpu(monkeypatch):
    monkeypatch.setenv("SIZER_SYSROOT", str(APU))
    args = ["estimate", "qwen3-32b", "--quant", "Q4_K_M", "--ctx", "32768", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout)["shared_gpu"]
    assert line.startswith("on AMD Radeon 8060S (shares RAM): llama.cpp can map 125 GiB")
    assert line.endswith(": fits")
