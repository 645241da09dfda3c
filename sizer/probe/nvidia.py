"""NVIDIA GPUs. Live: NVML through ``nvidia-ml-py``. Captured: ``nvidia-smi -q`` text.

NVML missing (no driver) is the normal case on most laptops: it is reported as absent.
NVML present but failing (driver/library mismatch) is reported as missing, with NVML's
own message, and never stops the probe.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from sizer.hardware.record import Accelerator, Hardware
from sizer.probe.sysroot import SysRoot

CAPTURE_NAME = "nvidia-smi-q.txt"
_DRIVER_PROC = "/proc/driver/nvidia/version"  # there whenever the kernel driver is loaded
MIB = 1024 * 1024


def parse_nvidia_smi_q(text: str) -> dict[str, Any]:
    """{"driver_version", "cuda_version", "gpus": [{"name", "total_bytes", ...}]}."""
    result: dict[str, Any] = {"driver_version": None, "cuda_version": None, "gpus": []}
    gpu: dict[str, Any] | None = None
    section = ""
    for line in text.splitlines():
        if re.match(r"^GPU [0-9A-Fa-f:.]+\s*$", line):
            gpu = {"bus_id": line.split()[1]}
            result["gpus"].append(gpu)
            continue
        key, sep, value = (part.strip() for part in line.partition(":"))
        indent = len(line) - len(line.lstrip())
        if not sep:
            section = key if indent <= 4 else section
            continue
        if gpu is None:
            _top_level(result, key, value)
        else:
            _gpu_field(gpu, section if indent > 4 else "", key, value)
    return result


def _top_level(result: dict[str, Any], key: str, value: str) -> None:
    if key == "Driver Version":
        result["driver_version"] = value
    elif key == "CUDA Version":
        result["cuda_version"] = value


def _gpu_field(gpu: dict[str, Any], section: str, key: str, value: str) -> None:
    if not section and key == "Product Name":
        gpu["name"] = value
    elif not section and key in ("Compute Capability", "CUDA Compute Capability"):
        gpu["compute_capability"] = value
    elif section == "FB Memory Usage" and key in ("Total", "Free", "Used"):
        gpu[f"{key.lower()}_bytes"] = _mib(value)


def _mib(value: str) -> int | None:
    match = re.match(r"(\d+)\s*MiB", value)
    return int(match.group(1)) * MIB if match else None


def query_live() -> dict[str, Any]:
    """The same shape as the parser's, from NVML. Raises ImportError / NVMLError."""
    import pynvml

    pynvml.nvmlInit()
    try:
        result = {
            "driver_version": _decode(pynvml.nvmlSystemGetDriverVersion()),
            "cuda_version": _cuda_version(pynvml.nvmlSystemGetCudaDriverVersion_v2()),
            "gpus": [],
        }
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
            result["gpus"].append(
                {
                    "name": _decode(pynvml.nvmlDeviceGetName(handle)),
                    "total_bytes": int(memory.total),
                    "free_bytes": int(memory.free),
                    "compute_capability": f"{major}.{minor}",
                }
            )
        return result
    finally:
        pynvml.nvmlShutdown()


def _decode(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _cuda_version(code: int) -> str:
    return f"{code // 1000}.{(code % 1000) // 10}"


def read(root: SysRoot, hw: Hardware) -> None:
    data = _load(root, hw)
    if data is None:
        return
    if not data["gpus"]:
        hw.note_absent("nvidia", "NVIDIA driver present but no GPU listed")
    for index, gpu in enumerate(data["gpus"]):
        hw.accelerators.append(_to_accelerator(index, gpu, data))
        if gpu.get("compute_capability") is None:
            hw.note_missing(
                f"accelerators.nvidia:{index}.compute_capability",
                "not in the nvidia-smi -q capture",
            )


def _load(root: SysRoot, hw: Hardware) -> dict[str, Any] | None:
    if not root.live:
        text = root.capture(CAPTURE_NAME)
        if text is None:
            hw.note_absent("nvidia", f"no {CAPTURE_NAME} in the captured sysroot")
            return None
        return parse_nvidia_smi_q(text)
    if sys.platform == "linux" and not os.path.exists(_DRIVER_PROC):
        # No driver loaded, so NVML could only say so; importing it costs 10 ms an answer.
        hw.note_absent("nvidia", f"no NVIDIA driver ({_DRIVER_PROC} absent)")
        return None
    try:
        return query_live()
    except ImportError:
        hw.note_absent("nvidia", "nvidia-ml-py is not installed")
    except Exception as exc:
        return _classify_nvml_error(exc, hw)
    return None


def _classify_nvml_error(exc: Exception, hw: Hardware) -> None:
    name = type(exc).__name__
    if "LibraryNotFound" in name or "DriverNotLoaded" in name or "NotFound" in str(exc):
        hw.note_absent("nvidia", "no NVIDIA driver (NVML library not found)")
    else:
        hw.note_missing("accelerators.nvidia", f"NVML failed: {name}: {exc}"[:200])


def _to_accelerator(index: int, gpu: dict[str, Any], data: dict[str, Any]) -> Accelerator:
    return Accelerator(
        kind="gpu",
        vendor="NVIDIA",
        name=gpu.get("name") or "NVIDIA GPU",
        source="nvml",
        device_id=f"nvidia:{index}",
        integrated=False,
        memory_total_bytes=gpu.get("total_bytes"),
        memory_free_bytes=gpu.get("free_bytes"),
        memory_shared_with_ram=False,
        driver_version=data.get("driver_version"),
        compute_capability=gpu.get("compute_capability"),
        extra={"cuda_version": data["cuda_version"]} if data.get("cuda_version") else {},
    )
