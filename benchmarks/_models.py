"""The models the benchmark scripts run on, by name (shared by the scripts in this folder)."""

from __future__ import annotations

from pathlib import Path

from sizer.models import registry_models
from sizer.models.catalog import get_entry
from sizer.models.synth import synthesize
from sizer.paths import sizer_home


def model_path(name: str) -> Path:
    """A registry model, a GGUF path, or a shape-only Q4_K_M file for a catalog id (written
    once into sizer's cache, then reused)."""
    if name in registry_models.MODELS:
        return registry_models.ensure(name)
    if Path(name).is_file():
        return Path(name)
    target = sizer_home() / "shape-only" / f"{name}-Q4_K_M.gguf"
    if not target.exists():
        entry = get_entry(name)
        synthesize(entry.shape, "Q4_K_M", target, entry.id)
    return target


def openvino_model_path(name: str) -> Path:
    """The OpenVINO IR directory converted from ``model_path(name)`` (same weights)."""
    from sizer.models.to_openvino import converted_beside

    return converted_beside(model_path(name))
