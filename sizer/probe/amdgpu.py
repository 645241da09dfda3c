"""AMD GPUs through the amdgpu driver's sysfs files (no library needed).

``mem_info_vram_total`` is the VRAM the driver manages. On APUs (Ryzen iGPUs, Strix Halo)
that is a BIOS carve-out of system RAM (often 512 MiB), and ``mem_info_gtt_total`` is the RAM
the GPU can additionally map, which is what llama.cpp's Vulkan backend can use
(``sizer.hardware.gpu_memory``). amdgpu exposes no "integrated" flag in sysfs and no
product name on APUs, so APUs are told by their PCI device id (the pci.ids names below,
seen in real ``lspci -nn`` output; tests/fixtures/probe/amd-ryzen-ai-apu/SOURCES.md) and
named by the CPU's brand string where it says ("AMD RYZEN AI MAX+ 395 w/ Radeon 8060S"),
since one id covers several iGPUs (0x1586: 8050S or 8060S). Any other device is left as
the driver describes it, ``integrated`` unknown, rather than guessed from sizes.
"""

from __future__ import annotations

import re

from sizer.hardware.record import Accelerator, Hardware
from sizer.probe.sysroot import SysRoot

AMD_VENDOR_ID = 0x1002
# APU iGPUs by PCI device id (pci.ids names)
APU_DEVICES = {
    0x1586: "Strix Halo [Radeon 8050S / 8060S]",
    0x150E: "Strix [Radeon 880M / 890M]",
    0x1114: "Krackan [Radeon 840M / 860M]",
    0x15BF: "Phoenix1 [Radeon 760M / 780M]",
    0x1681: "Rembrandt [Radeon 680M]",
    0x164E: "Raphael [Radeon 610M]",
    0x1636: "Renoir [Radeon Vega]",
}
_BRAND_IGPU = re.compile(r"\bw/\s*(Radeon\s+\w+)", re.I)


def read(root: SysRoot, hw: Hardware) -> None:
    found = 0
    for card in root.list_dir("sys/class/drm"):
        if not card.startswith("card") or "-" in card:
            continue  # connectors such as card0-HDMI-A-1
        device = f"sys/class/drm/{card}/device"
        if root.read_int(f"{device}/vendor") != AMD_VENDOR_ID:
            continue
        hw.accelerators.append(_accelerator(root, device, found, hw.cpu.brand or ""))
        found += 1
    if not found:
        hw.note_absent("amdgpu", "no amdgpu device in /sys/class/drm")


def _number(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def _accelerator(root: SysRoot, device: str, index: int, cpu_brand: str) -> Accelerator:
    vram = root.read_int(f"{device}/mem_info_vram_total")
    used = root.read_int(f"{device}/mem_info_vram_used")
    gtt = root.read_int(f"{device}/mem_info_gtt_total")
    name = (root.read_text(f"{device}/product_name") or "").strip()
    pci_id = (root.read_text(f"{device}/device") or "").strip()
    apu = APU_DEVICES.get(_number(pci_id))
    extra: dict[str, object] = {"gtt_total_bytes": gtt} if gtt else {}
    if apu:
        named = _BRAND_IGPU.search(cpu_brand)
        name = f"AMD {named.group(1)}" if named else f"AMD {apu}"
        extra.update(carve_out_bytes=vram, pci_name=apu)
    return Accelerator(
        kind="gpu",
        vendor="AMD",
        name=name or f"AMD GPU {pci_id}".strip(),
        source="amdgpu-sysfs",
        device_id=f"amdgpu:{index}",
        integrated=True if apu else None,
        memory_total_bytes=vram,
        memory_free_bytes=vram - used if vram is not None and used is not None else None,
        memory_shared_with_ram=True if apu else None,
        extra=extra,
    )
