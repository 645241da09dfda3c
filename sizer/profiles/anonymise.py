"""Privacy by construction: a profile is built by copying named fields only (allow-lists),
never by deleting known-bad ones from a full record. Nothing here can carry a hostname, a
user name, a path, a MAC or IP address, a serial number or a machine id, because no field
that could hold one is copied. Models are identified by catalog id, file name and content
(header) hash; the directory a file lived in is dropped.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

CPU_FIELDS = (
    "brand",
    "vendor",
    "arch",
    "sockets",
    "physical_cores",
    "logical_cpus",
    "hybrid",
    "base_freq_mhz",
    "max_freq_mhz",
    "cache_bytes",
    "isa",
)
CORE_GROUP_FIELDS = ("kind", "physical_cores", "logical_cpus", "max_freq_mhz")
MEMORY_FIELDS = (
    "total_bytes",
    "unified_with_gpu",
    "type",
    "channels",
    "speed_mts",
    "theoretical_bandwidth_bytes_s",
)
ACCELERATOR_FIELDS = (
    "kind",
    "vendor",
    "name",
    "integrated",
    "memory_total_bytes",
    "memory_shared_with_ram",
    "compute_capability",
)
MEASUREMENT_FIELDS = ("kernel", "device", "threads", "unit", "stats")
STATS_FIELDS = ("median", "min", "max", "n", "samples")
MODEL_FIELDS = (
    "catalog_id",
    "header_sha256",
    "size_bytes",
    "shape_only",
    "architecture",
    "file_type",
    "n_params",
    "speed_shape",
    "description",
)


def pick(source: dict[str, Any] | None, names: tuple[str, ...]) -> dict[str, Any]:
    source = source or {}
    return {name: source[name] for name in names if source.get(name) is not None}


def hardware(record: dict[str, Any]) -> dict[str, Any]:
    """The shareable part of a ``sizer.hardware`` record (or of an imported description)."""
    cpu = pick(record.get("cpu"), CPU_FIELDS)
    groups = (record.get("cpu") or {}).get("core_groups") or []
    cpu["core_groups"] = [pick(g, CORE_GROUP_FIELDS) for g in groups if isinstance(g, dict)]
    os_info = pick(record.get("os"), ("system", "machine"))  # the kernel release is dropped
    accelerators = [pick(a, ACCELERATOR_FIELDS) for a in record.get("accelerators") or []]
    out = {
        "cpu": cpu,
        "memory": pick(record.get("memory"), MEMORY_FIELDS),
        "accelerators": [a for a in accelerators if a],
        "os": os_info,
        "measurements": [
            _measurement(m)
            for m in record.get("measurements") or []
            if isinstance(m, dict) and m.get("kernel")
        ],
    }
    if record.get("description"):
        out["description"] = str(record["description"])
    return out


def _measurement(m: dict[str, Any]) -> dict[str, Any]:
    out = pick(m, MEASUREMENT_FIELDS[:-1])
    out["stats"] = pick(m.get("stats"), STATS_FIELDS)
    return out


def model(record_model: dict[str, Any], catalog_id: str | None) -> dict[str, Any]:
    """A model by catalog id, file name and header hash; its folder is never copied."""
    out = pick(record_model, MODEL_FIELDS)
    name = record_model.get("file_name") or record_model.get("path") or record_model.get("label")
    if name:
        out["file_name"] = file_name(str(name))
    if catalog_id:
        out["catalog_id"] = catalog_id
    return out


def file_name(path_or_name: str) -> str:
    """The last component only, whichever OS wrote the path."""
    return PurePath(path_or_name.replace("\\", "/")).name or "unnamed"
