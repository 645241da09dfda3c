"""``sizer profile import FILE --from llama-bench``: published llama-bench results become
profiles, so the many tables people already post teach the predictor about machines this
project has never seen.

Each llama-bench row becomes one run: a ``pp`` test is a prefill figure, a ``tg`` test a
decode figure (at its ``@ d<depth>``), a ``pp+tg`` test a combined figure kept for reports.
llama-bench reports mean ± standard deviation; the mean is also stored as the run's
median (llama-bench's samples are too few and too steady for the two to differ much), and
its samples where the format carries them.

The model's speed shape is approximated from what llama-bench prints (size, parameters,
type): every weight streamed per decoded token, a MoE's active share of it, layer count
from the parameter count. llama-bench does not name the machine in its Markdown output,
so the caller says what it was (``--cpu``, ``--cores``, ...) and where the table came from.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from dataclasses import dataclass
from typing import Any

from sizer import __version__
from sizer.errors import InputError
from sizer.profiles import anonymise
from sizer.profiles.format import FORMAT, FORMAT_VERSION, sealed
from sizer.profiles.llama_bench_formats import BenchRow, FormatProblem, parse

# llama.cpp's ftype names (llama_model_ftype_name) -> the usual file-type label
FILE_TYPES = {
    "Q4_K - Medium": "Q4_K_M",
    "Q4_K - Small": "Q4_K_S",
    "Q5_K - Medium": "Q5_K_M",
    "Q5_K - Small": "Q5_K_S",
    "Q3_K - Small": "Q3_K_S",
    "Q3_K - Medium": "Q3_K_M",
    "Q3_K - Large": "Q3_K_L",
    "Q2_K - Medium": "Q2_K",
    "Q2_K - Small": "Q2_K_S",
}
# Typical layer counts of dense decoder models by size (Llama/Qwen/Mistral families)
LAYERS_BY_PARAMS = ((1.6e9, 22), (4e9, 28), (10e9, 32), (20e9, 40), (40e9, 64), (math.inf, 80))
ARM_WORDS = (
    "apple",
    "snapdragon",
    "qualcomm",
    "cix",
    "neoverse",
    "cortex",
    "graviton",
    "ampere",
    "rockchip",
    "raspberry",
    "arm",
)


@dataclass
class Machine:
    """What the user says about the machine (llama-bench's Markdown says nothing)."""

    cpu: str | None = None
    cores: int | None = None
    threads: int | None = None  # logical CPUs
    ram_bytes: int | None = None
    memory: str | None = None  # e.g. "DDR5-5600, 2 channels"
    gpu: str | None = None
    os: str | None = None
    bandwidth_bytes_s: float | None = None  # theoretical: bus width x transfer rate


@dataclass
class Source:
    url: str
    title: str | None = None
    published: str | None = None
    notes: str | None = None


def import_text(
    text: str, machine: Machine, source: Source, fmt: str | None = None, title: str | None = None
) -> dict[str, Any]:
    try:
        fmt, rows = parse(text, fmt)
    except FormatProblem as exc:
        raise InputError(str(exc)) from None
    cpu = machine.cpu or next((r.cpu_info for r in rows if r.cpu_info), None)
    if not cpu:
        raise InputError("this llama-bench output does not name the CPU; say which with --cpu")
    machine = Machine(
        **{
            **machine.__dict__,
            "cpu": cpu,
            "gpu": machine.gpu or next((r.gpu_info for r in rows if r.gpu_info), None),
        }
    )
    builds = sorted({r.build for r in rows if r.build})
    provenance = {
        "kind": "imported",
        "tool": "llama-bench",
        "source": source.url,
        "imported_format": fmt,
        "tool_version": __version__,
    }
    provenance.update(
        {
            k: v
            for k, v in (
                ("source_title", source.title),
                ("published", source.published),
                ("notes", source.notes),
            )
            if v
        }
    )
    profile = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "title": title or f"{cpu}, llama-bench",
        "created": (source.published or dt.date.today().isoformat())[:10],
        "hardware": anonymise.hardware(hardware(machine)),
        "software": {"llama_cpp_build": ", ".join(builds)} if builds else {},
        "provenance": provenance,
        "runs": [run(row) for row in rows],
        "task_scores": [],
    }
    return sealed(profile)


# ---- the machine ------------------------------------------------------------------------------


def hardware(machine: Machine) -> dict[str, Any]:
    cpu_name = str(machine.cpu)
    arch = "aarch64" if any(w in cpu_name.lower() for w in ARM_WORDS) else "x86_64"
    isa, isa_source = _isa(cpu_name, arch)
    cpu: dict[str, Any] = {"brand": cpu_name, "arch": arch, "isa": isa}
    if machine.cores:
        cpu["physical_cores"] = machine.cores
    if machine.threads or machine.cores:
        cpu["logical_cpus"] = machine.threads or machine.cores
    memory: dict[str, Any] = {}
    if machine.ram_bytes:
        memory["total_bytes"] = machine.ram_bytes
    if machine.memory:
        memory.update(_memory_facts(machine.memory))
    if machine.bandwidth_bytes_s:
        memory["theoretical_bandwidth_bytes_s"] = machine.bandwidth_bytes_s
    accelerators = [{"kind": "gpu", "name": machine.gpu}] if machine.gpu else []
    description = "; ".join(
        filter(
            None,
            [
                machine.memory and f"memory: {machine.memory}",
                machine.os and f"OS: {machine.os}",
                isa_source,
            ],
        )
    )
    os_name = machine.os.split()[0][:50] if machine.os else None  # the rest is in the description
    return {
        "cpu": cpu,
        "memory": memory,
        "accelerators": accelerators,
        "os": {"system": os_name} if os_name else {},
        "description": description[:500],
    }


def _isa(cpu_name: str, arch: str) -> tuple[dict[str, bool], str]:
    """The CPU's ISA flags and where they came from: its hardware-database entry where the
    database knows the CPU (laptop and desktop parts), else what the CPU line implies —
    every x86 line llama.cpp results are posted for (Core i 4th gen on, Core Ultra, Ryzen,
    EPYC, Xeon) has AVX2 and FMA; AVX-512 only the lines in ``has_avx512``."""
    from sizer.hardware.db import load, match
    from sizer.hardware.db_machine import isa_flags

    entry = match(cpu_name, load("cpus")).entry
    if entry is not None and entry.data.get("isa"):
        return isa_flags(entry.data["isa"], arch), f"ISA from the hardware database ({entry.id})"
    if arch != "x86_64":
        found = re.search(r"apple|snapdragon|cix|neoverse", cpu_name, re.I)
        return ({"dotprod": True} if found else {}), "ISA inferred from the CPU line"
    flags = {"avx2": True, "fma": True, "f16c": True, "avx512f": has_avx512(cpu_name)}
    return flags, "ISA inferred from the CPU line"


def has_avx512(cpu_name: str) -> bool:
    """Xeon Scalable, Zen 4/5 (Ryzen 7x40/7x45 mobile and 7000 desktop, 8000, 9000, Ryzen AI,
    EPYC x004/x005), Intel Ice Lake and Tiger/Rocket Lake (Core 10xxG, 11th gen)."""
    name = cpu_name.lower()
    if re.search(r"xeon.*(platinum|gold|silver|bronze|\b[3-9]\d{3}\b)", name):
        return True
    if re.search(r"epyc \w{3}[45]\b", name) or "ryzen ai" in name:
        return True
    if re.search(r"\bi\d-(10\d\dg\d|11\d{2,3})", name):
        return True
    ryzen = re.search(r"ryzen \d (?:pro )?(\d)(\d)(\d)\d(\w*)", name)
    if not ryzen:
        return False
    series, third, suffix = ryzen.group(1), int(ryzen.group(3)), ryzen.group(4)
    mobile = suffix.startswith(("u", "h"))
    return series in "89" or (series == "7" and (not mobile or third >= 4))


def _memory_facts(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    kind = re.search(r"\b(LP)?DDR\d[XL]?\b", text, re.I)
    if kind:
        out["type"] = kind.group(0).upper()
    speed = re.search(r"DDR\d[XL]?[- ]?(\d{4})", text, re.I)
    if speed:
        out["speed_mts"] = int(speed.group(1))
    return out


# ---- the runs ---------------------------------------------------------------------------------


def run(row: BenchRow) -> dict[str, Any]:
    model = model_of(row)
    config: dict[str, Any] = {"threads": row.threads or 1, "depth": row.n_depth}
    if row.n_prompt:
        config["prompt_tokens"] = row.n_prompt
    if row.n_gen:
        config["gen_tokens"] = row.n_gen
    for name, value in (
        ("kv_type", row.type_k),
        ("flash_attn", row.flash_attn),
        ("n_batch", row.n_batch),
        ("n_gpu_layers", row.n_gpu_layers),
    ):
        if value is not None:
            config[name] = value
    metric = "prefill_tok_s" if row.n_prompt and not row.n_gen else "decode_tok_s"
    if row.n_prompt and row.n_gen:
        metric = "combined_tok_s"
    backend = {"name": "llama.cpp", "device": _device(row)}
    if backend["device"] == "GPU" and (api := gpu_api(row.backend)):
        backend["gpu_api"] = api
    out = {
        "model": model,
        "backend": backend,
        "config": config,
        "metrics": {metric: _stats(row)},
    }
    if row.samples_ts:
        out["samples"] = {metric: row.samples_ts}
    return out


def _device(row: BenchRow) -> str:
    on_gpu = gpu_api(row.backend) not in (None, "OpenCL")
    if on_gpu and (row.n_gpu_layers is None or row.n_gpu_layers > 0):
        return "GPU"
    return "CPU"


# llama-bench's backend column ("CUDA", "Metal,BLAS", "MTL,BLAS", "ROCm", "HIP", "Vulkan",
# "SYCL") -> the GPU API the speed model has a device class for
GPU_APIS = (
    ("CUDA", "CUDA"),
    ("METAL", "Metal"),
    ("MTL", "Metal"),
    ("ROCM", "ROCm"),
    ("HIP", "ROCm"),
    ("VULKAN", "Vulkan"),
    ("SYCL", "SYCL"),
    ("OPENCL", "OpenCL"),
)


def gpu_api(backend: str | None) -> str | None:
    upper = (backend or "").upper()
    return next((api for word, api in GPU_APIS if word in upper), None)


def _stats(row: BenchRow) -> dict[str, Any]:
    samples = row.samples_ts
    stats: dict[str, Any] = {
        "median": statistics.median(samples) if samples else row.avg_ts,
        "mean": row.avg_ts,
    }
    if row.stddev_ts is not None:
        stats["stdev"] = row.stddev_ts
        stats["cv"] = row.stddev_ts / row.avg_ts if row.avg_ts else 0.0
    if samples:
        stats.update(min=min(samples), max=max(samples), n=len(samples))
    return stats


def model_of(row: BenchRow) -> dict[str, Any]:
    words = row.model_type.split()
    architecture = words[0] if words else "unknown"
    file_type = _file_type(" ".join(words[2:]))
    raw: dict[str, Any] = {
        "file_name": row.model_filename or row.model_type,
        "architecture": architecture,
        "file_type": file_type,
        "description": f"llama-bench: {row.model_type}",
    }
    if row.size_bytes:
        raw["size_bytes"] = row.size_bytes
    if row.n_params:
        raw["n_params"] = row.n_params
    shape = approximate_shape(row, file_type)
    if shape:
        raw["speed_shape"] = shape
    return anonymise.model(raw, None)


def _file_type(text: str) -> str:
    text = text.strip()
    return FILE_TYPES.get(text, text.split(" ")[0] if text else "unknown")


def approximate_shape(row: BenchRow, file_type: str) -> dict[str, Any] | None:
    if not row.size_bytes or not row.n_params:
        return None
    share = _active_share(row.model_type)
    params = row.n_params * share
    layers = next(n for limit, n in LAYERS_BY_PARAMS if params < limit)
    width = math.sqrt(params / (12 * layers))  # params ~ 12 x layers x width^2
    base_type = file_type.split("_K")[0] + "_K" if "_K" in file_type else file_type
    return {
        "n_layers": layers,
        "decode_weight_bytes": int(row.size_bytes * share),
        "matmul_params": int(params),
        "attn_macs_per_position": int(layers * 2 * width),
        "matmul_params_by_type": {base_type: int(params)},
        "source": "approximate, from llama-bench's size, parameters and type",
    }


def _active_share(model_type: str) -> float:
    """A MoE's active parameters over its total ("235B.A22B" -> 22/235)."""
    match = re.search(r"(\d+(?:\.\d+)?)B\.A(\d+(?:\.\d+)?)B", model_type)
    return float(match.group(2)) / float(match.group(1)) if match else 1.0


# ---- source manifests (profiles/sources/llama-bench/*.json) ---------------------------------

MANIFEST_KEYS = {"source_url", "raw"}


def manifest(text: str) -> dict[str, Any] | None:
    """A published table with what its source says about the machine, or None when ``text``
    is plain llama-bench output."""
    import json

    if not text.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None  # JSONL llama-bench output also starts with "{"
    return data if isinstance(data, dict) and data.keys() >= MANIFEST_KEYS else None


def from_manifest(data: dict[str, Any], machine: Machine, source: Source | None):
    """(raw text, format, machine, source) with the command line's values winning."""
    cores, gbs = data.get("cpu_cores"), data.get("memory_bandwidth_gbs")
    known = Machine(
        cpu=data.get("cpu_model"),
        cores=cores if isinstance(cores, int) else None,
        memory=data.get("memory"),
        gpu=data.get("gpu"),
        os=data.get("os"),
        bandwidth_bytes_s=gbs * 1e9 if isinstance(gbs, int | float) else None,
    )
    merged = Machine(
        **{k: v if v is not None else getattr(known, k) for k, v in machine.__dict__.items()}
    )
    notes = "; ".join(
        filter(
            None,
            [
                data.get("notes"),
                data.get("llama_cpp_build") and f"build {data['llama_cpp_build']}",
                data.get("memory_bandwidth_source")
                and f"memory bandwidth: {data['memory_bandwidth_source']}",
            ],
        )
    )
    src = source or Source(
        url=str(data["source_url"]),
        title=data.get("source_title"),
        published=data.get("published"),
        notes=notes or None,
    )
    return str(data["raw"]), data.get("format"), merged, src
