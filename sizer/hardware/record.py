"""Typed records of what the probe read. Serialised as versioned JSON (see docs in README).

Convention: a field is ``None`` when it could not be read, and then the ``missing`` list of
the ``Hardware`` record says which field and why. Zero always means a real zero.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sizer.errors import InputError

# The ISA features that matter for inference, under sizer's canonical names (how each OS
# names them is sizer.probe.isa's business; the hardware database uses these names too).
X86_FEATURES = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512dq",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)
ARM_FEATURES = ("neon", "fp16", "dotprod", "i8mm", "bf16", "sve", "sve2", "sme")

HARDWARE_FORMAT = "sizer.hardware"
HARDWARE_FORMAT_VERSION = 1


@dataclass
class Missing:
    field: str
    reason: str


@dataclass
class CoreGroup:
    """Cores of one kind on a hybrid CPU: P (performance), E (efficient), LP-E (low-power E)."""

    kind: str  # "P", "E", "LP-E", or "all" on non-hybrid CPUs
    physical_cores: int
    logical_cpus: int
    max_freq_mhz: float | None = None


@dataclass
class CpuInfo:
    brand: str | None = None
    vendor: str | None = None
    arch: str | None = None
    # What tells two CPUs behind one brand string apart (sizer.hardware.identity): CPUID
    # family, model and stepping in decimal on x86; on Arm the implementer, part and
    # "r<variant>p<revision>" (/proc/cpuinfo), or hw.cpufamily on Apple Silicon.
    family: str | None = None
    model: str | None = None
    stepping: str | None = None
    sockets: int | None = None
    physical_cores: int | None = None
    logical_cpus: int | None = None
    hybrid: bool | None = None
    core_groups: list[CoreGroup] = field(default_factory=list)
    base_freq_mhz: float | None = None
    max_freq_mhz: float | None = None
    # Total bytes per cache level across the package(s), as lscpu reports ("l1d", "l2", "l3").
    cache_bytes: dict[str, int] = field(default_factory=dict)
    # Inference-relevant ISA features, canonical names (X86_FEATURES, ARM_FEATURES), True/False.
    isa: dict[str, bool] = field(default_factory=dict)


@dataclass
class MemoryInfo:
    total_bytes: int | None = None
    available_bytes: int | None = None
    swap_total_bytes: int | None = None
    swap_free_bytes: int | None = None
    # True when a GPU on this machine uses system RAM (iGPU, Apple Silicon, APU).
    unified_with_gpu: bool | None = None


@dataclass
class Accelerator:
    kind: str  # "gpu" or "npu"
    vendor: str
    name: str
    source: str  # "openvino", "nvml", "amdgpu-sysfs", "apple-sysctl"
    device_id: str | None = None  # e.g. "GPU.0", "NPU", "nvidia:0"
    integrated: bool | None = None
    memory_total_bytes: int | None = None
    memory_free_bytes: int | None = None
    memory_shared_with_ram: bool | None = None
    driver_version: str | None = None
    compute_capability: str | None = None
    capabilities: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class OpenVinoDevice:
    device_id: str  # "CPU", "GPU.0", "NPU"
    full_name: str | None = None
    device_type: str | None = None  # "integrated" / "discrete" where reported
    architecture: str | None = None
    capabilities: list[str] = field(default_factory=list)
    memory_total_bytes: int | None = None


@dataclass
class OpenVinoInfo:
    available: bool = False
    version: str | None = None
    devices: list[OpenVinoDevice] = field(default_factory=list)


@dataclass
class LlamaCppBuild:
    installed: bool = False
    version: str | None = None
    gpu_offload: bool | None = None
    backends: list[str] = field(default_factory=list)  # "cpu", "cuda", "metal", "vulkan", ...
    system_info: str | None = None  # llama_print_system_info(), e.g. "CPU : AVX2 = 1 | ..."


@dataclass
class SampleStats:
    median: float
    min: float
    max: float
    n: int
    samples: list[float] = field(default_factory=list)

    @property
    def spread(self) -> float:
        """(max - min) / median: the relative spread reported next to every median."""
        return (self.max - self.min) / self.median if self.median else 0.0


@dataclass
class KernelResult:
    kernel: str  # "memory_read_bandwidth", "matmul_f32", ...
    device: str  # "CPU", "GPU.0", "NPU"
    unit: str  # "bytes_per_s", "flop_per_s"
    threads: int | None
    stats: SampleStats
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Hardware:
    os: dict[str, str] = field(default_factory=dict)
    cpu: CpuInfo = field(default_factory=CpuInfo)
    memory: MemoryInfo = field(default_factory=MemoryInfo)
    accelerators: list[Accelerator] = field(default_factory=list)
    openvino: OpenVinoInfo = field(default_factory=OpenVinoInfo)
    llama_cpp: LlamaCppBuild = field(default_factory=LlamaCppBuild)
    measurements: list[KernelResult] = field(default_factory=list)
    # What was looked for and not found on this machine (a valid answer, not a failure).
    absent: list[Missing] = field(default_factory=list)
    # What exists or should exist but could not be read, and why.
    missing: list[Missing] = field(default_factory=list)
    sizer_version: str = ""
    source: str = "live"  # "live" or "captured:<dir name>"

    def note_missing(self, field_name: str, reason: str) -> None:
        self.missing.append(Missing(field_name, reason))

    def note_absent(self, what: str, reason: str) -> None:
        self.absent.append(Missing(what, reason))

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        for record, result in zip(body["measurements"], self.measurements, strict=True):
            record["stats"]["spread"] = result.stats.spread
        return {"format": HARDWARE_FORMAT, "format_version": HARDWARE_FORMAT_VERSION, **body}


def as_record(hw: Hardware | dict[str, Any]) -> dict[str, Any]:
    """A probe record as JSON-shaped data: this machine's ``Hardware`` or a loaded file."""
    return hw.to_dict() if isinstance(hw, Hardware) else hw


# ---- reading a record another machine wrote ---------------------------------------------------

MAX_HARDWARE_FILE_BYTES = 16 << 20


def load_hardware(path: Path) -> dict[str, Any]:
    """Another machine's probe record, checked enough to rank for it."""
    try:
        if path.stat().st_size > MAX_HARDWARE_FILE_BYTES:
            raise InputError(f"--hardware {path}: over 16 MiB, not a probe record")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--hardware {path}: cannot read it ({exc})") from None
    except ValueError as exc:
        raise InputError(
            f"--hardware {path}: not JSON ({exc}); expected the output of 'sizer probe --json'"
        ) from None
    return check_hardware(data, path)


def check_hardware(data: Any, path: Path) -> dict[str, Any]:
    """``data`` (read from ``path``) if it is a probe record one can rank for."""
    if not isinstance(data, dict) or data.get("format") != HARDWARE_FORMAT:
        raise InputError(
            f'--hardware {path}: not a sizer hardware record (no "format": '
            f"\"{HARDWARE_FORMAT}\"); create one with 'sizer probe --json'"
        )
    if data.get("format_version") != HARDWARE_FORMAT_VERSION:
        raise InputError(
            f"--hardware {path}: format_version {data.get('format_version')!r} "
            "is not one this sizer reads (1)"
        )
    for section in ("cpu", "memory"):
        if not isinstance(data.get(section), dict):
            raise InputError(f"--hardware {path}: the {section!r} section is missing or malformed")
    if not isinstance(data.get("accelerators", []), list):
        raise InputError(f"--hardware {path}: 'accelerators' must be a list")
    total_ram(data, str(path))  # fails here, with the file's name, rather than later
    return data


def total_ram(hw: dict[str, Any], where: str = "this machine") -> int:
    """Installed RAM; where the record could not read it, the largest shared-memory
    accelerator's view of it (an iGPU sees nearly all of RAM) — or a clear error."""
    total = (hw.get("memory") or {}).get("total_bytes")
    if isinstance(total, int) and total > 0:
        return total
    shared = [
        a.get("memory_total_bytes")
        for a in hw.get("accelerators") or []
        if isinstance(a, dict) and a.get("memory_shared_with_ram")
    ]
    shared = [s for s in shared if isinstance(s, int) and s > 0]
    if shared:
        return max(shared)
    raise InputError(
        f"{where}: the hardware record has no memory size; run 'sizer probe --json' there again"
    )
