"""The ``sizer.hardware`` record: what the probe read, its one builder (``Hardware``, whose
``to_dict`` writes format version 1) and its one reader (``Hardware.from_dict``, which checks
the format, the version and the type of every field, and says in one line what is wrong).

Convention: a field is ``None`` when it could not be read, and then the ``missing`` list of
the ``Hardware`` record says which field and why. Zero always means a real zero.

Downstream (speed, ranking, fleet, profiles) a machine is a ``HardwareRecord``: the checked
JSON form, one type for every source. Decision: not the dataclass tree, because profiles
carry allow-listed subsets of this record and fleet builds records for machines it has never
seen; both are read by the same speed and ranking code, and the JSON form is what all three
already are. The probe's ``Hardware`` becomes a record once, where it enters (``to_dict``).
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
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
# A machine as the speed model, the ranking, fleet and profiles read it: a checked
# ``sizer.hardware`` record in its JSON form (``Hardware.to_dict``/``from_dict``).
HardwareRecord = dict[str, Any]


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
    # From a spec sheet, the hardware database or a hand-written record (bus width x
    # transfer rate); the probe leaves it None and measures instead (``measurements``).
    theoretical_bandwidth_bytes_s: float | None = None


@dataclass
class Accelerator:
    kind: str  # "gpu" or "npu"
    vendor: str
    name: str
    # "openvino", "nvml", "amdgpu-sysfs", "apple-sysctl"; "given" in a hand-written record
    source: str = "given"
    device_id: str | None = None  # e.g. "GPU.0", "NPU", "nvidia:0"
    integrated: bool | None = None
    memory_total_bytes: int | None = None
    memory_free_bytes: int | None = None
    memory_shared_with_ram: bool | None = None
    driver_version: str | None = None
    compute_capability: str | None = None
    capabilities: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    # Figures not read from the device: the hardware database's or a hand-written record's
    # (memory_bandwidth_gbs, fp16_vector_tflops, fp16_tensor_tflops, gpu_cores; see
    # sizer.speed.devices); the probe leaves it empty. An NPU's published INT8 TOPS.
    spec: dict[str, Any] = field(default_factory=dict)
    tops: float | None = None
    # Read from the device (Intel via OpenVINO, sizer.probe.intel_devices): its generation
    # ("Xe2-LPG (Lunar Lake)", "NPU 4 (Lunar Lake)"), matrix engines (XMX) and Xe-cores/tiles.
    generation: str | None = None
    matrix_engines: bool | None = None
    compute_units: int | None = None


@dataclass
class PowerInfo:
    """Where the machine draws power while probed: "mains", "battery" or None (unknown)."""

    source: str | None = None
    battery_present: bool | None = None
    detail: str | None = None


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
    power: PowerInfo = field(default_factory=PowerInfo)
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

    @classmethod
    def from_dict(cls, data: Any, where: str = "hardware record") -> Hardware:
        """The record ``to_dict`` wrote (any sizer since format version 1), checked: the
        format and version, and every known field's type; fields this sizer does not know
        are ignored. Raises ``InputError`` naming the file and the field."""
        if not isinstance(data, dict) or data.get("format") != HARDWARE_FORMAT:
            raise InputError(
                f'{where}: not a sizer hardware record (no "format": '
                f"\"{HARDWARE_FORMAT}\"); create one with 'sizer probe --json'"
            )
        if data.get("format_version") != HARDWARE_FORMAT_VERSION:
            raise InputError(
                f"{where}: format_version {data.get('format_version')!r} "
                f"is not one this sizer reads ({HARDWARE_FORMAT_VERSION})"
            )
        for section in ("cpu", "memory"):  # every probe writes them; nothing ranks without
            if not isinstance(data.get(section), dict):
                raise InputError(f"{where}: the {section!r} section is missing or malformed")
        return _build(cls, data, where, "")


def _build(cls: type, data: Any, where: str, path: str) -> Any:
    """An instance of dataclass ``cls`` from JSON data, each field checked against its hint."""
    if not isinstance(data, dict):
        raise InputError(f"{where}: {path or 'the record'} must be an object")
    hints = typing.get_type_hints(cls)
    values = {}
    for f in fields(cls):
        if f.name not in data:
            if f.default is MISSING and f.default_factory is MISSING:
                raise InputError(f"{where}: {path}{f.name} is missing")
            continue
        values[f.name] = _value(hints[f.name], data[f.name], where, f"{path}{f.name}")
    return cls(**values)


def _value(hint: Any, value: Any, where: str, path: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _value(inner, value, where, path)
    if is_dataclass(hint):
        return _build(hint, value, where, f"{path}.")
    if origin is list:
        if not isinstance(value, list):
            raise InputError(f"{where}: {path} must be a list")
        return [_value(args[0], v, where, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(f"{where}: {path} must be an object")
        return {k: _value(args[1], v, where, f"{path}.{k}") for k, v in value.items()}
    if hint is Any or (
        isinstance(value, _ACCEPTS.get(hint, hint)) and not _bool_for_number(hint, value)
    ):
        return float(value) if hint is float else value
    raise InputError(f"{where}: {path} is {value!r}, expected {getattr(hint, '__name__', hint)}")


_ACCEPTS: dict[Any, tuple[type, ...]] = {float: (int, float)}


def _bool_for_number(hint: Any, value: Any) -> bool:
    return hint in (int, float) and isinstance(value, bool)


# ---- reading a record another machine wrote ---------------------------------------------------

MAX_HARDWARE_FILE_BYTES = 16 << 20


def load_hardware(path: Path) -> HardwareRecord:
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


def check_hardware(data: Any, where: Path | str) -> HardwareRecord:
    """``data`` (read from ``where``) as a checked record one can rank for: every field of
    the format typed as ``Hardware`` declares it, and a memory size."""
    label = f"--hardware {where}" if isinstance(where, Path) else str(where)
    record = Hardware.from_dict(data, label).to_dict()
    total_ram(record, str(where))  # fails here, with the file's name, rather than later
    return record


def total_ram(hw: HardwareRecord, where: str = "this machine") -> int:
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
