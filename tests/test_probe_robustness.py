"""Bad input never stops a probe: it prints what it could read and lists the rest."""

from __future__ import annotations

import sys
import tempfile
import types
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sizer.probe import probe
from sizer.probe.sysroot import MAX_READ_BYTES

PATHS = [
    "proc/cpuinfo",
    "proc/meminfo",
    "sys/devices/system/cpu/online",
    "sys/devices/cpu_core/cpus",
    "sys/devices/cpu_atom/cpus",
    "sys/devices/system/cpu/cpu0/topology/core_id",
    "sys/devices/system/cpu/cpu0/cache/index0/size",
    "sys/class/drm/card0/device/vendor",
    "sys/class/drm/card0/device/mem_info_vram_total",
    ".captures/uname.txt",
    ".captures/hello_query_device.txt",
    ".captures/nvidia-smi-q.txt",
    ".captures/sysctl.txt",
]


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_missing_sysroot_lists_everything_as_missing(tmp_path):
    hw = probe(tmp_path / "does-not-exist")
    assert hw.cpu.brand is None and hw.memory.total_bytes is None
    fields = {m.field for m in hw.missing}
    assert "cpu" in fields


def test_garbled_tree(tmp_path):
    _write(
        tmp_path,
        {
            "proc/cpuinfo": b"\x00\xff\xfe binary junk \x00",
            "sys/devices/system/cpu/online": b"0-99999999999",
            "sys/devices/cpu_core/cpus": b"not a list",
            "sys/devices/cpu_atom/cpus": b"12-3",
            ".captures/hello_query_device.txt": b"\x89PNG\r\n\x1a\n\x00\x00",
            ".captures/nvidia-smi-q.txt": (
                b"GPU 0000:01:00.0\n    FB Memory Usage\n  Total : lots\n"
            ),
            ".captures/uname.txt": b"Linux x 1 x86_64\n",
        },
    )
    (tmp_path / "proc/meminfo").mkdir()  # a directory where a file should be
    hw = probe(tmp_path)
    assert hw.cpu.brand is None
    assert {"cpu", "memory.total_bytes"} <= {m.field for m in hw.missing}
    [gpu] = hw.accelerators  # the garbled nvidia-smi capture still names a GPU, without VRAM
    assert gpu.memory_total_bytes is None


def test_oversized_file_is_not_read(tmp_path):
    _write(tmp_path, {"proc/cpuinfo": b"processor : 0\n" * (MAX_READ_BYTES // 10)})
    hw = probe(tmp_path)
    assert "cpu" in {m.field for m in hw.missing}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(PATHS), st.binary(max_size=300), max_size=len(PATHS)))
def test_probe_never_raises_on_random_trees(files):
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), files)
        hw = probe(tmp)
        hw.to_dict()


class _FakeCore:
    def __init__(self):
        self.available_devices = ["CPU", "GPU.0"]

    def get_property(self, device, name):
        if device == "GPU.0":
            raise RuntimeError("[GPU] clGetPlatformIDs error -1001\nmore lines")
        if name == "SUPPORTED_PROPERTIES":
            return ["FULL_DEVICE_NAME", "BROKEN"]
        if name == "BROKEN":
            raise RuntimeError("unsupported")
        return "Fake CPU"


def test_openvino_plugin_that_raises(monkeypatch):
    fake = types.SimpleNamespace(Core=_FakeCore, get_version=lambda: "2099.1")
    monkeypatch.setitem(sys.modules, "openvino", fake)
    hw = probe()
    assert [d.device_id for d in hw.openvino.devices] == ["CPU"]
    assert hw.openvino.devices[0].full_name == "Fake CPU"
    [problem] = [m for m in hw.missing if m.field == "openvino.device"]
    assert problem.reason == "GPU.0: [GPU] clGetPlatformIDs error -1001"


def test_openvino_that_fails_to_start(monkeypatch):
    def broken_core():
        raise RuntimeError("plugins.xml is corrupt")

    fake = types.SimpleNamespace(Core=broken_core, get_version=lambda: "x")
    monkeypatch.setitem(sys.modules, "openvino", fake)
    hw = probe()
    assert hw.openvino.available is False
    assert any(m.field == "openvino" and "corrupt" in m.reason for m in hw.missing)


def _fake_nvml(error_name: str) -> types.ModuleType:
    module = types.ModuleType("pynvml")
    error = type(error_name, (Exception,), {})

    def fail():
        raise error("NVML call failed")

    module.nvmlInit = fail
    return module


def _driver_loaded(monkeypatch) -> None:
    """This machine has no NVIDIA driver: the replayed NVML stands for one that has."""
    from sizer.probe import nvidia

    monkeypatch.setattr(nvidia, "_DRIVER_PROC", __file__)


def test_nvml_present_but_failing_is_missing_not_fatal(monkeypatch):
    _driver_loaded(monkeypatch)
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml("NVMLError_Unknown"))
    hw = probe()
    assert any(m.field == "accelerators.nvidia" for m in hw.missing)
    assert hw.cpu.brand  # the rest of the probe still ran


def test_nvml_without_driver_is_absent(monkeypatch):
    _driver_loaded(monkeypatch)  # /proc says loaded, NVML's library says otherwise
    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml("NVMLError_LibraryNotFound"))
    hw = probe()
    assert any(a.field == "nvidia" for a in hw.absent)
    assert not any(m.field.startswith("accelerators.nvidia") for m in hw.missing)


def _replaying_nvml() -> types.ModuleType:
    """NVML answering with the RTX 4080 SUPER values of the nvidia-desktop capture
    (nvidia-smi -q and the same machine's --query-gpu compute_cap 8.9)."""
    module = types.ModuleType("pynvml")
    memory = types.SimpleNamespace(total=16376 << 20, free=15348 << 20, used=596 << 20)
    module.nvmlInit = module.nvmlShutdown = lambda: None
    module.nvmlSystemGetDriverVersion = lambda: "595.71.05"
    module.nvmlSystemGetCudaDriverVersion_v2 = lambda: 13020
    module.nvmlDeviceGetCount = lambda: 1
    module.nvmlDeviceGetHandleByIndex = lambda index: ("handle", index)
    module.nvmlDeviceGetName = lambda handle: b"NVIDIA GeForce RTX 4080 SUPER"
    module.nvmlDeviceGetMemoryInfo = lambda handle: memory
    module.nvmlDeviceGetCudaComputeCapability = lambda handle: (8, 9)
    return module


def test_nvml_live_path_with_replayed_values(monkeypatch):
    _driver_loaded(monkeypatch)
    monkeypatch.setitem(sys.modules, "pynvml", _replaying_nvml())
    hw = probe()
    [gpu] = [a for a in hw.accelerators if a.source == "nvml"]
    assert gpu.name == "NVIDIA GeForce RTX 4080 SUPER"
    assert gpu.memory_total_bytes == 16376 << 20 and gpu.compute_capability == "8.9"
    assert gpu.extra["cuda_version"] == "13.2" and gpu.driver_version == "595.71.05"
