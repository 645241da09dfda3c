"""Tier 1 of the order of trust: llama.cpp runs measured on this machine, as observations
the speed model is fitted to (``sizer.speed.model.fit_params``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import Any

from sizer.hardware.record import HardwareRecord
from sizer.speed.cache import machine_key
from sizer.speed.model import Observation, SpeedShape, speed_shape


def observations(
    records: Iterable[dict[str, Any]], hw: HardwareRecord, threads: int
) -> list[Observation]:
    """Finished llama.cpp CPU runs from this machine at ``threads``, as fit observations."""
    machine = machine_key(hw)
    found = []
    for rec in records:
        if usable_run(rec, machine, threads):
            shape = shape_of_run(rec)
            if shape is not None:
                found.append(run_observation(rec, shape))
    return found


# The cache key names SpeedShape's fields, so a sizer with a different speed model never
# reads shapes an older one cached.
SPEED_SHAPE_FACT = "speed_shape:" + ",".join(f.name for f in fields(SpeedShape))


def shape_of_run(rec: dict[str, Any]) -> SpeedShape | None:
    """The speed shape of the file a run measured (cached by its header hash); None when
    the file is gone or has changed since."""
    from sizer import filefacts
    from sizer.models.resolve import resolve

    config = rec.get("config") or {}
    sha = config.get("header_sha256")

    def compute() -> dict[str, Any]:
        from sizer.models.resolve import model_identity

        resolved = resolve(config["model_path"])
        if model_identity(resolved)["header_sha256"] != sha:
            raise ValueError("the file has changed since it was measured")
        return asdict(speed_shape(resolved.memory))

    try:
        return SpeedShape(**filefacts.cached(SPEED_SHAPE_FACT, sha, compute))
    except Exception:  # moved, deleted or replaced: the run cannot be used
        return None


UNSTABLE_CV = 0.10  # a run disturbed by other work on the machine does not calibrate


def usable_run(rec: dict[str, Any], machine: str, threads: int, steady_only: bool = True) -> bool:
    """A finished llama.cpp CPU run from this machine at ``threads``, with the defaults the
    speed model describes (f16 KV cache, no flash attention), and unless ``steady_only`` is
    off, steady (the calibration's own probe runs are used however noisy: their medians
    are all there is)."""
    config = rec.get("config") or {}
    measurement = config.get("measurement") or {}
    metrics = rec.get("metrics") or {}
    spread = max((metrics.get(k) or {}).get("cv") or 0.0 for k in ("decode_tok_s", "prefill_tok_s"))
    return (spread <= UNSTABLE_CV or not steady_only) and (
        rec.get("format") == "sizer.run"
        and rec.get("kind") != "tasks"
        and rec.get("status") == "ok"
        and config.get("backend") == "llama.cpp"
        and config.get("device") == "CPU"
        and config.get("threads") == threads
        and measurement.get("kv_type", "f16") == "f16"
        and not measurement.get("flash_attn")
        and machine_key(rec.get("hardware") or {}) == machine
    )


def run_observation(rec: dict[str, Any], shape: SpeedShape) -> Observation:
    metrics, config = rec["metrics"], rec["config"]
    return Observation(
        shape=shape,
        depth=config["depth"],
        prompt=config["measurement"]["prompt_tokens"],
        decode_tok_s=metrics["decode_tok_s"]["median"],
        prefill_tok_s=metrics["prefill_tok_s"]["median"],
    )
