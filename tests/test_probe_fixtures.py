"""The probe on captured machines: one table row per fixture, the facts a user relies on."""

from __future__ import annotations

import pytest

from sizer.probe import probe

GIB = 1024**3


def _group_counts(hw) -> dict[str, int]:
    return {g.kind: g.physical_cores for g in hw.cpu.core_groups}


def test_intel_core_ultra_hybrid_cores_igpu_and_npu(probe_fixture):
    hw = probe(probe_fixture("intel-core-ultra-155h"))
    assert hw.cpu.brand == "Intel(R) Core(TM) Ultra 7 155H"
    assert (hw.cpu.physical_cores, hw.cpu.logical_cpus) == (16, 22)
    assert hw.cpu.hybrid is True
    assert _group_counts(hw) == {"P": 6, "E": 8, "LP-E": 2}
    assert [g.logical_cpus for g in hw.cpu.core_groups] == [12, 8, 2]
    assert hw.cpu.isa["avx_vnni"] and hw.cpu.isa["avx2"] and not hw.cpu.isa["avx512f"]
    gpu, npu = (next(a for a in hw.accelerators if a.kind == k) for k in ("gpu", "npu"))
    assert gpu.name == "Intel(R) Arc(TM) Graphics (iGPU)"
    assert gpu.integrated is True and gpu.memory_shared_with_ram is True
    assert gpu.memory_total_bytes == 30477434880
    assert gpu.extra["GPU_EXECUTION_UNITS_COUNT"] == "128"
    assert "FP16" in gpu.capabilities and "INT8" in gpu.capabilities
    assert npu.name == "Intel(R) AI Boost" and npu.device_id == "NPU"
    assert npu.capabilities == ["FP16", "INT8", "EXPORT_IMPORT"]
    assert hw.memory.unified_with_gpu is True
    # No /proc/meminfo was published with this machine: listed, never zero.
    assert hw.memory.total_bytes is None
    assert "memory.total_bytes" in {m.field for m in hw.missing}


def test_nvidia_desktop_reports_vram_driver_and_cpu(probe_fixture):
    hw = probe(probe_fixture("nvidia-desktop"))
    [gpu] = hw.accelerators
    assert (gpu.vendor, gpu.name, gpu.source) == ("NVIDIA", "NVIDIA GeForce RTX 4080 SUPER", "nvml")
    assert gpu.memory_total_bytes == 16376 * 1024**2
    assert gpu.memory_free_bytes == 15348 * 1024**2
    assert gpu.driver_version == "595.71.05" and gpu.extra["cuda_version"] == "13.2"
    assert gpu.integrated is False and hw.memory.unified_with_gpu is False
    assert gpu.compute_capability is None
    assert "accelerators.nvidia:0.compute_capability" in {m.field for m in hw.missing}
    # The cpuinfo capture holds processor 0 only; counts come from "cpu cores"/"siblings".
    assert (hw.cpu.physical_cores, hw.cpu.logical_cpus, hw.cpu.arch) == (16, 32, "x86_64")
    assert hw.memory.total_bytes == 63315876 * 1024


@pytest.mark.parametrize(
    ("name", "brand", "groups", "memory_gib", "isa_present", "isa_absent"),
    [
        ("apple-m4-max", "Apple M4 Max", {"P": 12, "E": 4}, 64, ["i8mm", "bf16", "sme"], ["sve"]),
        ("apple-m1-pro", "Apple M1 Pro", {"P": 6, "E": 2}, 16, ["dotprod"], ["i8mm", "bf16"]),
    ],
)
def test_apple_silicon_unified_memory(
    probe_fixture, name, brand, groups, memory_gib, isa_present, isa_absent
):
    hw = probe(probe_fixture(name))
    assert hw.os["system"] == "Darwin"
    assert hw.cpu.brand == brand and hw.cpu.hybrid is True
    assert _group_counts(hw) == groups
    assert hw.memory.total_bytes == memory_gib * GIB
    assert hw.memory.unified_with_gpu is True
    [gpu] = hw.accelerators
    assert gpu.vendor == "Apple" and gpu.integrated and gpu.memory_shared_with_ram
    assert all(hw.cpu.isa[f] for f in ["neon", *isa_present])
    assert not any(hw.cpu.isa[f] for f in isa_absent)


def test_graviton3_arm_features_without_uname(probe_fixture):
    hw = probe(probe_fixture("graviton3"))
    assert (hw.cpu.arch, hw.cpu.brand, hw.cpu.vendor) == ("aarch64", "Neoverse-V1", "ARM")
    assert {f for f, ok in hw.cpu.isa.items() if ok} == {
        "neon",
        "fp16",
        "dotprod",
        "i8mm",
        "bf16",
        "sve",
    }


def test_this_machine_capture(probe_fixture):
    hw = probe(probe_fixture("this-machine-epyc"))
    assert hw.cpu.brand == "AMD EPYC" and hw.cpu.vendor == "AuthenticAMD"
    assert (hw.cpu.physical_cores, hw.cpu.logical_cpus, hw.cpu.hybrid) == (2, 2, False)
    assert hw.cpu.isa["avx2"] and hw.cpu.isa["fma"] and hw.cpu.isa["f16c"]
    assert hw.cpu.cache_bytes == {"l1d": 65536, "l1i": 65536, "l2": 1 << 20, "l3": 32 << 20}
    assert 23 * GIB < hw.memory.total_bytes < 25 * GIB
    assert [d.device_id for d in hw.openvino.devices] == ["CPU"]
    assert hw.accelerators == []
    absent = {a.field for a in hw.absent}
    assert {"openvino.GPU", "openvino.NPU", "nvidia", "amdgpu"} <= absent
    assert {"cpu.max_freq_mhz", "cpu.base_freq_mhz"} <= {m.field for m in hw.missing}
