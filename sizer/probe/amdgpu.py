"""AMD GPUs through the amdgpu driver's sysfs files (no library needed).

``mem_info_vram_total`` is the VRAM the driver manages. On APUs (Ryzen iGPUs, Strix Halo)
that is a BIOS carve-out of system RAM, and ``mem_info_gtt_total`` is the RAM the GPU can
additionally map; amdgpu exposes no "integrated" flag in sysfs, so we report both figures
and leave ``integrated`` unknown rather than guess from sizes.
"""

from __future__ import annotations

from sizer.hardware.record import Accelerator, Hardware
from sizer.probe.sysroot import SysRoot

AMD_VENDOR_ID = 0x1002


def read(root: SysRoot, hw: Hardware) -> None:
    found = 0
    for card in root.list_dir("sys/class/drm"):
        if not card.startswith("card") or "-" in card:
            continue  # connectors such as card0-HDMI-A-1
        device = f"sys/class/drm/{card}/device"
        if root.read_int(f"{device}/vendor") != AMD_VENDOR_ID:
            continue
        hw.accelerators.append(_accelerator(root, device, found))
        found += 1
    if not found:
        hw.note_absent("amdgpu", "no amdgpu device in /sys/class/drm")


def _accelerator(root: SysRoot, device: str, index: int) -> Accelerator:
    vram = root.read_int(f"{device}/mem_info_vram_total")
    used = root.read_int(f"{device}/mem_info_vram_used")
    gtt = root.read_int(f"{device}/mem_info_gtt_total")
    name = (root.read_text(f"{device}/product_name") or "").strip()
    pci_id = (root.read_text(f"{device}/device") or "").strip()
    return Accelerator(
        kind="gpu",
        vendor="AMD",
        name=name or f"AMD GPU {pci_id}".strip(),
        source="amdgpu-sysfs",
        device_id=f"amdgpu:{index}",
        memory_total_bytes=vram,
        memory_free_bytes=vram - used if vram is not None and used is not None else None,
        extra={"gtt_total_bytes": gtt} if gtt else {},
    )
