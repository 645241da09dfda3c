"""How much memory llama.cpp can put on a GPU: VRAM on a discrete card; on a GPU that shares
system RAM, the pool its driver lets it map, which is neither the RAM nor the "VRAM" a
carve-out reports (the facts, with sources: tests/fixtures/probe/amd-ryzen-ai-apu/SOURCES.md).

- Apple Silicon: Metal lets one process wire about three quarters of unified memory
  (recommendedMaxWorkingSetSize); ``iogpu.wired_limit_mb`` raises or lowers that.
- AMD APUs on Linux (amdgpu): the BIOS carve-out (``mem_info_vram_total``, often 512 MiB) plus
  the GTT pool (``mem_info_gtt_total``; by default half of RAM, set by ``ttm.pages_limit`` or
  the deprecated ``amdgpu.gttsize``), never more than the RAM itself. llama.cpp's Vulkan
  backend treats every integrated GPU as unified memory and allocates host-visible (GTT)
  memory where device-local runs out, so this pool is what it can use. Its ROCm/HIP build
  is capped by the HIP runtime's own total (about half of a 128 GiB GTT pool on one Strix
  Halo) unless ``GGML_CUDA_ENABLE_UNIFIED_MEMORY=1``: sizer sizes for the Vulkan path and
  says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

APPLE_WIRED_FRACTION = 0.75
GTT_DEFAULT_FRACTION = 0.5  # Linux's TTM page limit: half of RAM unless configured


@dataclass(frozen=True)
class GpuPool:
    bytes: int
    why: str  # in words, for the report


def gpu_pool(acc: dict[str, Any], ram_bytes: int | None) -> GpuPool | None:
    """The memory llama.cpp can allocate on ``acc`` (a hardware record's accelerator); None
    where it cannot be told (a discrete card of unknown size, a shared GPU without RAM)."""
    extra = acc.get("extra") if isinstance(acc.get("extra"), dict) else {}
    vendor = str(acc.get("vendor") or "").lower()
    if not acc.get("memory_shared_with_ram"):
        size = _size(acc.get("memory_free_bytes")) or _size(acc.get("memory_total_bytes"))
        return GpuPool(size, "its VRAM") if size else None
    if not ram_bytes:
        return None
    if vendor == "apple":
        wired = _size(extra.get("wired_limit_mb"))
        if wired:
            return GpuPool(int(wired) << 20, f"iogpu.wired_limit_mb = {wired}")
        return GpuPool(
            int(APPLE_WIRED_FRACTION * ram_bytes), "Metal's working-set limit (3/4 of RAM)"
        )
    carve_out = _size(extra.get("carve_out_bytes")) or 0
    gtt = _size(extra.get("gtt_total_bytes"))
    if gtt:
        why = f"{_gib(carve_out)} carve-out + {_gib(gtt)} GTT"
    else:
        gtt = int(GTT_DEFAULT_FRACTION * ram_bytes)
        why = f"{_gib(carve_out)} carve-out + the default GTT pool (half of RAM)"
    pool = carve_out + int(gtt)
    if pool > ram_bytes:
        return GpuPool(ram_bytes, f"{why}, capped at the RAM")
    return GpuPool(pool, why)


def _size(value: Any) -> int | None:
    """A positive count from a record's free-form ``extra`` (a hand-written or hostile record
    may hold anything there): None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) and value > 0 else None


def _gib(n: float) -> str:
    return f"{n / (1 << 30):.1f} GiB"
