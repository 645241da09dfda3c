"""``sizer recommend``: which model, quant and backend fit this machine and this job.

The entry point is ``answer.recommend(workload, hardware)`` (``sizer.api.recommend`` wraps
it). The parts: ``workload`` (what the job needs), ``candidates`` (what could run and how
fast, from ``sizer.speed``), ``quality`` (measured task scores or a prior), ``devices``
(CPU, GPUs, NPU), ``rank`` (the pure ranking) and, here, ``rank_for_machine`` (every option
on every place of one machine), local files and result records.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sizer.errors import InputError, SizerError
from sizer.models.identify import identify
from sizer.models.resolve import ResolvedModel, resolve
from sizer.recommend.candidates import (
    ModelOption,
    catalog_options,
    how_to_get,
    option_quality,
    parse_params_b,
    place_candidate,
)
from sizer.recommend.devices import places
from sizer.recommend.quality import task_scores
from sizer.recommend.rank import Candidate, Ranking, rank
from sizer.recommend.workload import Workload
from sizer.speed.model import SpeedParams, predict, speed_shape


def local_option(
    resolved: ResolvedModel, runs: list[dict[str, Any]], params: SpeedParams
) -> ModelOption:
    """A GGUF on this machine as a ranking option, with its measured speed if any."""
    spec = resolved.spec
    assert spec is not None and resolved.path is not None
    entry = identify(resolved)
    quant = resolved.file_type or "?"
    total, active = parse_params_b(entry.params) if entry else (spec.n_params / 1e9, None)
    sha = _header_sha(resolved)
    keys = [f"sha:{sha}"] + ([f"catalog:{entry.id} {quant}"] if entry else [])
    factors, source = measured_factors(
        resolved, [r for r in runs if r["config"]["header_sha256"] == sha], params
    )
    return ModelOption(
        model_id=entry.id if entry else resolved.label,
        name=spec.name or resolved.label,
        quant=quant,
        family=entry.family if entry else spec.architecture,
        params_b=total,
        active_params_b=active,
        arch=spec.architecture,
        trained_ctx=spec.context_length or 0,
        resolved=resolved,
        get=f"on disk: {resolved.path}",
        quality_keys=tuple(keys),
        measured_speed=factors,
        measured_source=source,
    )


def _header_sha(resolved: ResolvedModel) -> str:
    from sizer.models.resolve import model_identity

    return model_identity(resolved)["header_sha256"]


def measured_factors(
    resolved: ResolvedModel, runs: list[dict[str, Any]], params: SpeedParams
) -> tuple[tuple[float, float] | None, str]:
    """Measured / predicted decode and prefill speed over this file's runs here: the
    prediction for the workload is scaled by these, so a measured model reports what was
    measured, carried to the workload's depth and prompt length by the model."""
    from sizer.speed.observe import run_observation

    shape = speed_shape(resolved.memory)
    ratios = []
    for rec in runs:
        obs = run_observation(rec, shape)
        pred = predict(shape, params, depth=obs.depth, prompt=obs.prompt)
        ratios.append(
            (obs.decode_tok_s / pred.decode_tok_s, obs.prefill_tok_s / pred.prefill_tok_s)
        )
    if not ratios:
        return None, ""
    decode = sorted(r[0] for r in ratios)[len(ratios) // 2]
    prefill = sorted(r[1] for r in ratios)[len(ratios) // 2]
    return (decode, prefill), f"measured here ({len(ratios)} run(s)), scaled to the workload"


def with_catalog_ids(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Task records with ``model.catalog_id`` added where their file (still on disk) is a
    catalog model, so a score measured on a file also counts for that catalog row."""
    from sizer import filefacts

    enriched = []
    for rec in records:
        model = rec.get("model") or {}
        if rec.get("kind") == "tasks" and model.get("path") and model.get("header_sha256"):
            try:
                cid = filefacts.cached(
                    "catalog_id",
                    model["header_sha256"],
                    lambda m=model: _catalog_id(Path(m["path"])),
                )
            except (SizerError, OSError, ValueError):
                cid = None
            if cid:
                rec = {**rec, "model": {**model, "catalog_id": cid}}
        enriched.append(rec)
    return enriched


def _catalog_id(path: Path) -> str | None:
    entry = identify(resolve(str(path)))
    return entry.id if entry else None


def local_files(paths: Iterable[Path]) -> list[ResolvedModel]:
    """Readable GGUFs among ``paths`` (broken files are skipped: ``models scan`` lists them)."""
    found, seen = [], set()
    for path in paths:
        try:
            resolved = resolve_cached(Path(path))
        except (SizerError, OSError, ValueError, TypeError, KeyError):
            continue
        if resolved.path and resolved.path.resolve() not in seen and not resolved.shape_only:
            seen.add(resolved.path.resolve())
            found.append(resolved)
    return found


def resolve_cached(path: Path) -> ResolvedModel:
    """``resolve(path)`` through the file-facts cache, keyed by path, size and mtime: a
    recommendation looks at every local model, and parsing a GGUF header with a 150k-token
    vocabulary takes a tenth of a second or more."""
    from dataclasses import asdict

    from sizer import filefacts
    from sizer.estimate import ModelMemoryShape, TensorBytes
    from sizer.models.spec import ModelSpec

    stat = path.stat()

    def compute() -> dict[str, Any]:
        resolved = resolve(str(path))
        return {
            "label": resolved.label,
            "file_type": resolved.file_type,
            "memory": {
                **asdict(resolved.memory),
                "tensors": [t._asdict() for t in resolved.memory.tensors],
            },
            "spec": asdict(resolved.spec),
        }

    facts = filefacts.cached(
        "resolved", f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}", compute
    )
    memory = dict(facts["memory"])
    memory["tensors"] = tuple(
        TensorBytes(t["name"], tuple(t["shape"]), t["ggml_type"], t["n_bytes"])
        for t in memory["tensors"]
    )
    memory["n_head_kv"] = tuple(memory["n_head_kv"])
    return ResolvedModel(
        facts["label"],
        "file",
        facts["file_type"],
        ModelMemoryShape(**memory),
        path=path,
        spec=ModelSpec(**facts["spec"]),
    )


def rank_for_machine(
    w: Workload,
    hw: dict[str, Any],
    cpu_params: SpeedParams,
    *,
    records: list[dict[str, Any]] = (),
    local: list[ResolvedModel] = (),
    budget_bytes: int,
    catalog: list[ModelOption] | None = None,
) -> Ranking:
    """Rank every catalog model at the common quants and every local file, on every place."""
    from sizer.speed.cache import machine_key
    from sizer.speed.observe import usable_run

    w = w.resolved()
    # The same runs the calibration trusts: this machine's, steady, at these threads — a
    # run measured on another machine says nothing about the one ranked here.
    machine = machine_key(hw)
    runs = [r for r in records if usable_run(r, machine, cpu_params.threads)]
    local_opts = [local_option(r, runs, cpu_params) for r in local]
    on_disk = {(o.model_id, o.quant) for o in local_opts}
    catalog = catalog_options() if catalog is None else catalog
    options = local_opts + [o for o in catalog if (o.model_id, o.quant) not in on_disk]
    scores = task_scores(with_catalog_ids(records))
    targets = places(hw, cpu_params, w.backend)
    if not targets:
        raise InputError(f"no place on this machine runs the {w.backend} backend")
    candidates: list[Candidate] = []
    assert w.ctx is not None
    for option in options:
        quality = option_quality(option, w.task, scores)
        est = option.memory_at(w.ctx, hw)
        for place in targets:
            c = place_candidate(option, place, w, hw, cpu_params, quality, est)
            if c is not None:
                candidates.append(c)
    return rank(candidates, w, budget_bytes)


def results_records(paths: list[Path] | None) -> list[dict[str, Any]]:
    """Measured runs and task scores: every *.jsonl in the given files and folders (None:
    the results folder, ``sizer.paths.results_dir``). A damaged file is skipped."""
    from sizer.bench.results import is_local, load
    from sizer.paths import results_dir

    if paths is None:
        paths = [p for p in (results_dir(),) if p.is_dir()]
    files = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.jsonl"))
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"--results {p}: no such file or folder")
    found = []
    for f in files:
        try:
            found += [r for r in load(f) if isinstance(r, dict) and is_local(r)]
        except (OSError, ValueError, InputError):
            continue  # a damaged results file must not stop a recommendation
    return found


def local_gguf_files(paths: list[Path], this_machine: bool) -> list[ResolvedModel]:
    """GGUFs among ``paths`` and, for this machine, in its usual stores and sizer's models
    folder (another machine's disk is not here: only the paths given)."""
    from sizer.models.discover import scan
    from sizer.paths import sizer_home

    if not this_machine and not paths:
        return []
    extra = list(paths)
    if this_machine:
        extra.append(sizer_home() / "models")
    found = scan([p for p in extra if p.exists()], default_stores=this_machine, inspect=False)
    return local_files(m.path for m in found if not m.error)


__all__ = ["Workload", "how_to_get", "identify", "local_files", "rank_for_machine"]
