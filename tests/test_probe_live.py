"""The probe on the machine running the tests (whatever it is: facts checked against the OS)."""

from __future__ import annotations

import importlib.metadata
import os

import psutil

from sizer.probe import probe


def test_live_probe_agrees_with_the_os():
    hw = probe()
    assert hw.source == "live"
    assert hw.cpu.brand and hw.cpu.vendor and hw.cpu.arch
    assert hw.cpu.logical_cpus == os.cpu_count()
    assert hw.cpu.physical_cores == psutil.cpu_count(logical=False)
    assert (
        hw.memory.total_bytes == psutil.virtual_memory().total
        or abs(hw.memory.total_bytes - psutil.virtual_memory().total) < 0.01 * hw.memory.total_bytes
    )
    assert any(d.device_id == "CPU" for d in hw.openvino.devices)
    assert hw.llama_cpp.installed
    assert hw.llama_cpp.version == importlib.metadata.version("llama-cpp-python")
    assert isinstance(hw.llama_cpp.gpu_offload, bool)
    assert "CPU" in (hw.llama_cpp.system_info or "")


def test_live_isa_matches_proc_cpuinfo():
    hw = probe()
    with open("/proc/cpuinfo") as handle:
        flags = next(line for line in handle if line.startswith(("flags", "Features"))).split()
    assert hw.cpu.isa.get("avx2", False) == ("avx2" in flags)
    assert hw.cpu.isa.get("avx512f", False) == ("avx512f" in flags)


def test_portable_reader_used_off_linux_works_here():
    """The psutil/py-cpuinfo path serves Windows; it runs on any OS, so exercise it here."""
    from sizer.hardware.record import Hardware
    from sizer.probe import _portable

    hw = Hardware()
    _portable.read_cpu(hw, "x86_64")
    _portable.read_memory_dynamic(hw)
    assert hw.cpu.brand and hw.cpu.logical_cpus == os.cpu_count()
    assert hw.cpu.isa["avx2"] == probe().cpu.isa["avx2"]
    assert hw.memory.total_bytes == psutil.virtual_memory().total
    assert "cpu.hybrid" in {m.field for m in hw.missing}
