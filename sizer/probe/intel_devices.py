"""What an Intel iGPU or NPU is, read from the properties OpenVINO reports for it.

- GPU generation: the graphics IP version in ``GPU_UARCH_VERSION`` (or ``DEVICE_ARCHITECTURE``
  ``GPU: vendor=0x8086 arch=v20.4.4``), named as Linux's xe driver names its GMD_ID table
  (drivers/gpu/drm/xe/xe_pci.c ``graphics_ips``: 1270/1271 Xe_LPG, 1274 Xe_LPG+, 2001
  Xe2_HPG, 2004 Xe2_LPG, 3000/3001 Xe3_LPG), with the products that carry each.
- Matrix engines (XMX): OpenVINO lists ``GPU_HW_MATMUL`` among a GPU's
  ``OPTIMIZATION_CAPABILITIES`` when the device has them; a capability list without it means
  none (Meteor Lake's Xe-LPG computes int8 with DP4a on its vector engines). No list: unknown.
- Xe-cores from ``GPU_EXECUTION_UNITS_COUNT``: 16 EUs per Xe-core on Xe-LPG(+) (a 155H's 128
  EUs are its 8 Xe-cores), 8 wider EUs per Xe2/Xe3 core (a 288V's 64 EUs, 8 Xe2-cores).
- NPU generation from its ``DEVICE_ARCHITECTURE``: 3720 is NPU 3 (Meteor Lake, Arrow Lake),
  4000 is NPU 4 (Lunar Lake); ``NPU_MAX_TILES`` where reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# (major, minor) of the graphics IP -> (IP name, products, EUs per Xe-core)
_GPU_IP = {
    (12, 70): ("Xe-LPG", "Meteor Lake, Arrow Lake-S/U/HX", 16),
    (12, 71): ("Xe-LPG", "Meteor Lake", 16),
    (12, 74): ("Xe-LPG+", "Arrow Lake-H", 16),
    (20, 1): ("Xe2-HPG", "Battlemage (Arc B-series)", 8),
    (20, 4): ("Xe2-LPG", "Lunar Lake", 8),
    (30, 0): ("Xe3-LPG", "Panther Lake", 8),
    (30, 1): ("Xe3-LPG", "Panther Lake", 8),
}
_NPU_ARCH = {"3720": "NPU 3 (Meteor Lake, Arrow Lake)", "4000": "NPU 4 (Lunar Lake)"}
_IP_VERSION = re.compile(r"(?:^|arch=v)(\d+)\.(\d+)(?:\.\d+)?")


@dataclass(frozen=True)
class DeviceFacts:
    generation: str | None  # "Xe2-LPG (Lunar Lake)", "NPU 4 (Lunar Lake)", or unknown ...
    matrix_engines: bool | None  # XMX present (GPU); None when not reported
    compute_units: int | None  # Xe-cores (GPU) or NPU tiles


def gpu_facts(props: dict[str, str]) -> DeviceFacts:
    version = _ip_version(props.get("GPU_UARCH_VERSION") or props.get("DEVICE_ARCHITECTURE"))
    known = _GPU_IP.get(version) if version else None
    if known:
        generation: str | None = f"{known[0]} ({known[1]})"
    elif version:
        generation = f"unknown Intel graphics IP {version[0]}.{version[1]}"
    else:
        generation = None
    eus = props.get("GPU_EXECUTION_UNITS_COUNT", "")
    cores = int(eus) // known[2] if known and eus.isdigit() and int(eus) > 0 else None
    return DeviceFacts(generation, _matmul(props.get("OPTIMIZATION_CAPABILITIES")), cores)


def npu_facts(props: dict[str, str]) -> DeviceFacts:
    arch = (props.get("DEVICE_ARCHITECTURE") or "").strip()
    generation = _NPU_ARCH.get(arch) or (f"unknown NPU architecture {arch}" if arch else None)
    tiles = props.get("NPU_MAX_TILES", "")
    return DeviceFacts(generation, None, int(tiles) if tiles.isdigit() else None)


def _ip_version(text: str | None) -> tuple[int, int] | None:
    match = _IP_VERSION.search(text or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def _matmul(capabilities: str | None) -> bool | None:
    if not capabilities:
        return None
    return "GPU_HW_MATMUL" in capabilities
