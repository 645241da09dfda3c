"""``sizer profile export``: saved result records → one shareable profile. Reads files,
runs nothing and asks nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sizer import __version__
from sizer.errors import InputError
from sizer.profiles import anonymise
from sizer.profiles.format import FORMAT, FORMAT_VERSION, sealed

RUN_CONFIG_FIELDS = ("threads", "depth", "n_ctx")
MEASUREMENT_FIELDS = ("prompt_tokens", "gen_tokens", "kv_type", "flash_attn", "n_batch")
TASK_FIELDS = (
    "suite",
    "scores",
    "latency",
    "throughput",
    "batching",
    "failures",
    "peak_rss_bytes",
    "load_s",
    "prompt_format",
)


def load_records(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every sizer run record in the given JSONL files and folders (``*.jsonl`` inside)."""
    from sizer.bench.results import load

    records: list[dict[str, Any]] = []
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("*.jsonl"))
            if not files:
                raise InputError(f"{path}: no *.jsonl result files in this folder")
        elif path.exists():
            files = [path]
        else:
            raise InputError(f"{path}: no such file or folder")
        for file in files:
            records.extend(load(file))
    return records


def export(records: list[dict[str, Any]], title: str | None = None) -> dict[str, Any]:
    """The profile of the machine these records were measured on (only finished runs)."""
    from sizer.bench.results import is_local
    from sizer.speed.cache import machine_key

    finished = [r for r in records if r.get("status") == "ok" and r.get("hardware") and is_local(r)]
    if not finished:
        if records and not any(is_local(r) for r in records):
            raise InputError(
                "these results are runs through a server's API (--endpoint): they measure "
                "the server and are not part of a machine profile"
            )
        raise InputError("no finished runs in these results; run 'sizer bench' first")
    machines = {machine_key(r["hardware"]) for r in finished}
    if len(machines) > 1:
        raise InputError(
            f"these results come from {len(machines)} different machines; "
            "export each machine's result files to its own profile"
        )
    models = _model_facts(finished)
    speed = [r for r in finished if r.get("kind") != "tasks"]
    tasks = [r for r in finished if r.get("kind") == "tasks"]
    latest = max(r.get("finished_at") or "" for r in finished)
    profile = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "title": title or f"{_brand(finished[0])}, measured by sizer",
        "created": latest[:10] or dt.date.today().isoformat(),
        "hardware": anonymise.hardware(finished[-1]["hardware"]),
        "software": _software(finished),
        "provenance": {
            "kind": "measured",
            "tool": "sizer",
            "tool_version": __version__,
            "source": "sizer bench on the machine described",
        },
        "runs": [_run(r, models) for r in speed],
        "task_scores": [_task(r, models) for r in tasks],
    }
    return sealed(profile)


def _brand(record: dict[str, Any]) -> str:
    return str(((record.get("hardware") or {}).get("cpu") or {}).get("brand") or "unknown CPU")


def _software(records: list[dict[str, Any]]) -> dict[str, str]:
    hw = records[-1]["hardware"]
    out = {"sizer": __version__}
    llama = hw.get("llama_cpp") or {}
    if llama.get("version"):
        out["llama_cpp_python"] = str(llama["version"])
    if llama.get("system_info"):
        out["llama_cpp_system_info"] = str(llama["system_info"])
    openvino = hw.get("openvino") or {}
    if openvino.get("version"):
        out["openvino"] = str(openvino["version"])
    return out


def _model_facts(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per header hash: the catalog id and speed shape, read from the file while it is still
    where it was measured (cached by header hash); absent when the file has gone."""
    facts: dict[str, dict[str, Any]] = {}
    for rec in records:
        sha = (rec.get("model") or {}).get("header_sha256")
        if sha and sha not in facts:
            facts[sha] = _facts_of(rec)
    return facts


def _facts_of(record: dict[str, Any]) -> dict[str, Any]:
    from sizer.speed import observe

    out: dict[str, Any] = {}
    path = (record.get("model") or {}).get("path")
    if path and Path(path).exists():
        from sizer.models.identify import identify
        from sizer.models.resolve import resolve

        try:
            resolved = resolve(path)
            entry = _synthesized_from(resolved) or identify(resolved)
        except Exception:  # an unreadable file only loses its catalog id
            entry = None
        if entry is not None:
            out["catalog_id"] = entry.id
    probe = {"config": {"model_path": path, "header_sha256": record["model"]["header_sha256"]}}
    shape = observe.shape_of_run(probe) if path else None
    if shape is not None:
        out["speed_shape"] = asdict(shape)
    return out


def _synthesized_from(resolved):
    """A shape-only file written by 'sizer models synth' carries its catalog id as its name:
    several catalog models share a shape, so the name is what says which one it copies."""
    from sizer.models.catalog import load_catalog

    name = resolved.spec.name if resolved.spec is not None else None
    if not resolved.shape_only or not name:
        return None
    return load_catalog().get(name.removesuffix(" (shape-only)").strip())


def _model(record: dict[str, Any], models: dict[str, dict[str, Any]]) -> dict[str, Any]:
    raw = dict(record.get("model") or {})
    facts = models.get(raw.get("header_sha256") or "", {})
    if "speed_shape" in facts:
        raw["speed_shape"] = facts["speed_shape"]
    return anonymise.model(raw, facts.get("catalog_id"))


def _run(record: dict[str, Any], models: dict[str, dict[str, Any]]) -> dict[str, Any]:
    config = record.get("config") or {}
    out_config = anonymise.pick(config, RUN_CONFIG_FIELDS)
    out_config.update(anonymise.pick(config.get("measurement"), MEASUREMENT_FIELDS))
    run = {
        "model": _model(record, models),
        "backend": anonymise.pick(record.get("backend"), ("name", "device")),
        "config": out_config,
        "samples": record.get("samples") or {},
        "metrics": record.get("metrics") or {},
        "peak_rss_bytes": record.get("peak_rss_bytes"),
        "conditions": anonymise.pick(
            record.get("conditions"),
            ("page_cache_resident_before_load", "cpu_mhz_start", "cpu_mhz_end"),
        ),
        "warnings": [str(w) for w in record.get("warnings") or []],
    }
    return {k: v for k, v in run.items() if v is not None}


def _task(record: dict[str, Any], models: dict[str, dict[str, Any]]) -> dict[str, Any]:
    out = {
        "model": _model(record, models),
        "backend": anonymise.pick(record.get("backend"), ("name", "device")),
        "config": anonymise.pick(record.get("config"), ("threads", "n_ctx", "quick")),
    }
    out.update(anonymise.pick(record, TASK_FIELDS))
    suite = out.get("suite") or {}
    out["suite"] = anonymise.pick(suite, ("id", "version", "sha256", "task", "variant", "n"))
    return out
