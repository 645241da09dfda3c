"""The result profile, format ``sizer.profile`` version 1: what one machine measured, in a
form that can be shared (no identifying data) and checked mechanically (schema, checksum).

A profile holds the hardware record, the software versions, speed runs (configuration, raw
samples, summaries, peak memory), task scores, where the numbers came from (measured by
sizer, or imported from another tool with its source) and a content checksum: the SHA-256
of the canonical JSON of everything else, so a hand edit is caught by ``validate``.

The JSON Schema is ``sizer/profiles/schema.json``; later versions migrate step-wise
(``sizer.profiles.migrate``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sizer.hardware.identity import machine_label as hardware_label

FORMAT = "sizer.profile"
FORMAT_VERSION = 1
MAX_PROFILE_BYTES = 5_000_000  # a profile is summaries and raw samples, not logs
CHECKSUM_PREFIX = "sha256:"


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(profile: dict[str, Any]) -> str:
    body = {k: v for k, v in profile.items() if k != "checksum"}
    return CHECKSUM_PREFIX + hashlib.sha256(canonical(body)).hexdigest()


def sealed(profile: dict[str, Any]) -> dict[str, Any]:
    """The profile with its checksum set (the last step of building one)."""
    body = {k: v for k, v in profile.items() if k != "checksum"}
    return {**body, "checksum": checksum(body)}


def dumps(profile: dict[str, Any]) -> str:
    return json.dumps(profile, indent=1, ensure_ascii=False) + "\n"


def machine_label(profile: dict[str, Any]) -> str:
    """A short human name for the profile's machine: CPU, cores, RAM, GPU."""
    return hardware_label(profile.get("hardware") or {})


def model_name(model: dict[str, Any]) -> str:
    """A run's model for tables and charts: catalog id and quant, else the file name (which
    usually carries the quant), else llama-bench's model type; shape-only files say so."""
    name = model.get("catalog_id") or model.get("file_name") or "model"
    if " " in name:  # an imported llama-bench model type names its own type
        return name
    file_type = model.get("file_type")
    if model.get("catalog_id") and file_type:
        name = f"{name} {file_type}"
    return name + (" (shape-only)" if model.get("shape_only") else "")
