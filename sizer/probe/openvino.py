"""OpenVINO devices (CPU, GPU.N, NPU): the way sizer sees Intel iGPUs and NPUs.

Live: ``openvino.Core`` properties. Captured: the text printed by OpenVINO's
``hello_query_device`` sample (C++ or Python flavour), which is also what
``sizer probe --capture`` writes, so captures from users and from docs read the same way.
"""

from __future__ import annotations

import importlib.metadata
import re
from typing import Any

from sizer.hardware.record import Accelerator, Hardware, OpenVinoDevice, OpenVinoInfo
from sizer.probe.boot_cache import remembered
from sizer.probe.intel_devices import gpu_facts, npu_facts
from sizer.probe.sysroot import SysRoot

CAPTURE_NAME = "hello_query_device.txt"
# Device headers as the samples and common scripts print them: "CPU", "GPU.0 :", "Device: NPU".
_DEVICE_LINE = re.compile(r"^(Device:\s*)?(CPU|GPU(\.\d+)?|NPU|GNA|VPU[\w.]*)\s*:?\s*$")
_EXTRA_PROPERTIES = (
    "DEVICE_GOPS",
    "GPU_EXECUTION_UNITS_COUNT",
    "NPU_DRIVER_VERSION",
    "NPU_COMPILER_VERSION",
)
_PROPERTY_LINE = re.compile(r"^(?:(?:Imm|M)utable:\s*)?([A-Z][A-Z0-9_]*)\s*:\s?(.*)$")


def parse_hello_query_device(text: str) -> dict[str, dict[str, str]]:
    """Device -> {property: value as printed} from hello_query_device output."""
    devices: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = re.sub(r"^\[\s*\w+\s*\]\s?", "", raw.strip("│┃")).rstrip()
        stripped = line.strip()
        device = _DEVICE_LINE.match(stripped)
        if device and (device.group(1) or not line.startswith(("\t", "  "))):
            current = devices.setdefault(device.group(2), {})
            continue
        prop = _PROPERTY_LINE.match(stripped)
        if current is not None and prop and prop.group(1) != "SUPPORTED_PROPERTIES":
            current[prop.group(1)] = prop.group(2).strip().strip('"')
    return devices


def format_hello_query_device(devices: dict[str, dict[str, str]]) -> str:
    """The inverse of the parser, in the Python sample's layout."""
    lines = ["[ INFO ] Available devices:"]
    for name, props in devices.items():
        lines += [f"[ INFO ] {name} :", "[ INFO ] \tSUPPORTED_PROPERTIES:"]
        lines += [f"[ INFO ] \t\t{key}: {value}" for key, value in props.items()]
        lines.append("")
    return "\n".join(lines) + "\n"


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{_as_text(k)}:{_as_text(v)}" for k, v in value.items())
    text = str(value)
    return text.split(".", 1)[1] if text.startswith("Type.") else text


def query_live() -> tuple[str, dict[str, dict[str, str]], list[str]]:
    """(version, devices, errors) from the installed OpenVINO; raises ImportError if absent."""
    import openvino

    core = openvino.Core()
    devices: dict[str, dict[str, str]] = {}
    errors: list[str] = []
    for name in core.available_devices:
        props: dict[str, str] = {}
        try:
            supported = core.get_property(name, "SUPPORTED_PROPERTIES")
        except Exception as exc:  # a plugin that fails must not stop the probe
            errors.append(f"{name}: {exc}".splitlines()[0])
            continue
        for key in supported:
            if str(key) == "SUPPORTED_PROPERTIES":
                continue
            try:
                props[str(key)] = _as_text(core.get_property(name, str(key)))
            except Exception:  # some properties raise on some drivers; skip them
                continue
        devices[name] = props
    return openvino.get_version(), devices, errors


def read(root: SysRoot, hw: Hardware) -> None:
    info = OpenVinoInfo()
    hw.openvino = info
    version, devices, errors = _load(root, hw)
    if devices is None:
        return
    info.available, info.version = True, version
    for name, props in devices.items():
        info.devices.append(to_device(name, props))
    for message in errors:
        hw.note_missing("openvino.device", message)
    for device, props in zip(info.devices, devices.values(), strict=True):
        if device.device_id.split(".")[0] in ("GPU", "NPU"):
            hw.accelerators.append(to_accelerator(device, props))
    _note_absent_kinds(hw, info)


def _load(root: SysRoot, hw: Hardware) -> tuple[str | None, dict | None, list[str]]:
    if not root.live:
        text = root.capture(CAPTURE_NAME)
        if text is None:
            hw.note_absent("openvino", f"no {CAPTURE_NAME} in the captured sysroot")
            return None, None, []
        return _captured_version(root), parse_hello_query_device(text), []
    try:
        version, devices, errors = remembered("openvino", _installed_version(), query_live)
        return version, devices, errors
    except ImportError:
        hw.note_absent("openvino", "the openvino package is not installed")
    except Exception as exc:  # OpenVINO itself failed to start
        hw.note_missing("openvino", f"OpenVINO failed: {str(exc).splitlines()[0][:200]}")
    return None, None, []


def _installed_version() -> str:
    """The openvino package's version without importing it; ImportError when absent."""
    try:
        return importlib.metadata.version("openvino")
    except importlib.metadata.PackageNotFoundError as exc:
        raise ImportError("openvino is not installed") from exc


def _captured_version(root: SysRoot) -> str | None:
    text = root.capture("openvino_version.txt")
    return text.strip() if text else None


def to_device(name: str, props: dict[str, str]) -> OpenVinoDevice:
    memory = props.get("GPU_DEVICE_TOTAL_MEM_SIZE") or props.get("NPU_DEVICE_TOTAL_MEM_SIZE")
    return OpenVinoDevice(
        device_id=name,
        full_name=props.get("FULL_DEVICE_NAME"),
        device_type=_device_type(props.get("DEVICE_TYPE")),
        architecture=props.get("DEVICE_ARCHITECTURE"),
        capabilities=re.findall(r"[A-Z][A-Z0-9_]+", props.get("OPTIMIZATION_CAPABILITIES", "")),
        memory_total_bytes=int(memory) if memory and memory.isdigit() else None,
    )


def _device_type(value: str | None) -> str | None:
    if not value:
        return None
    return value.lower().removeprefix("type.")


def to_accelerator(device: OpenVinoDevice, props: dict[str, str]) -> Accelerator:
    is_npu = device.device_id.startswith("NPU")
    # An NPU has no memory of its own; Intel iGPUs report DEVICE_TYPE integrated.
    integrated = (
        True if is_npu else (device.device_type == "integrated" if device.device_type else None)
    )
    extra = {k: props[k] for k in _EXTRA_PROPERTIES if k in props}
    facts = npu_facts(props) if is_npu else gpu_facts(props)
    return Accelerator(
        kind="npu" if is_npu else "gpu",
        vendor="Intel",
        name=device.full_name or device.device_id,
        source="openvino",
        device_id=device.device_id,
        integrated=integrated,
        memory_total_bytes=device.memory_total_bytes,
        memory_shared_with_ram=integrated,
        driver_version=props.get("NPU_DRIVER_VERSION"),
        capabilities=device.capabilities,
        extra=extra,
        generation=facts.generation,
        matrix_engines=facts.matrix_engines,
        compute_units=facts.compute_units,
    )


def _note_absent_kinds(hw: Hardware, info: OpenVinoInfo) -> None:
    kinds = {d.device_id.split(".")[0] for d in info.devices}
    for kind in ("GPU", "NPU"):
        if kind not in kinds:
            hw.note_absent(f"openvino.{kind}", f"OpenVINO lists no {kind} device")
