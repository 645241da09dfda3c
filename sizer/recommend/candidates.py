"""Every model x quant x place worth ranking, with its memory, speed and quality.

Models: every catalog entry at the common quants, plus the GGUF files on this machine
(``sizer models scan`` stores, sizer's cache, and ``--path``); a local file recognised as a
catalog model at the same quant replaces that catalog row (it is on disk already, and its
measured runs and task scores apply).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from sizer import filefacts
from sizer.estimate import MemoryEstimate, estimate_memory, plan_offload
from sizer.models import weights
from sizer.models.catalog import CatalogEntry, load_catalog
from sizer.models.resolve import ResolvedModel, from_catalog_all
from sizer.recommend.devices import OPENVINO_ARCHS, OPENVINO_QUANTS, Place
from sizer.recommend.quality import (
    Quality,
    effective_params_b,
    measured_quality,
    prior_quality,
)
from sizer.recommend.rank import Candidate
from sizer.recommend.workload import Workload
from sizer.speed import model as speed_model
from sizer.speed.model import (
    SpeedParams,
    SpeedPrediction,
    SpeedShape,
    layer_stream_bytes,
    speed_shape,
    workload_speed,
)

COMMON_QUANTS = ("Q4_K_M", "Q5_K_M", "Q8_0")


@dataclass(frozen=True)
class ModelOption:
    """One model file (real or catalog-computed) before a place is chosen."""

    model_id: str
    name: str
    quant: str
    family: str
    params_b: float
    active_params_b: float | None
    arch: str
    trained_ctx: int
    resolved: ResolvedModel
    get: str
    quality_keys: tuple[str, ...]
    measured_speed: tuple[float, float] | None = None  # decode, prefill correction factors
    measured_source: str = ""

    @cached_property
    def speed_shape(self) -> SpeedShape:
        """What a token reads and computes: the same on every place, so computed once
        (catalog options get theirs from ``_fill_speed_shapes``, in one pass)."""
        return speed_shape(self.resolved.memory)

    def memory_at(self, ctx: int, hw: dict[str, Any]) -> MemoryEstimate:
        cpu = hw.get("cpu") or {}
        return estimate_memory(
            self.resolved.memory, ctx, isa=cpu.get("isa") or {}, cpu_arch=cpu.get("arch")
        )


def parse_params_b(text: str) -> tuple[float, float | None]:
    """'8B' -> (8, None); '270M' -> (0.27, None); '30B-A3B' -> (30, 3); '8x7B' -> (46.7, 12.9)."""
    if "x" in text:  # Mixtral 8x7B: 46.7B total, 12.9B active (two experts of eight)
        return 46.7, 12.9
    total, _, active = text.partition("-A")
    scale = 1e-3 if total.endswith("M") else 1.0
    return float(total.rstrip("BM")) * scale, float(active.rstrip("B")) if active else None


def how_to_get(entry: CatalogEntry, quant: str) -> str:
    """An Ollama tag (its default tags are Q4_K_M) or the GGUF repo and file name."""
    parts = []
    if entry.ollama and quant == "Q4_K_M":
        parts.append(f"ollama pull {entry.ollama}")
    if entry.gguf_repo:
        owner, _, repo = entry.gguf_repo.partition("/")
        base = repo.removesuffix("-GGUF")
        official_lowercase = owner == "Qwen" and not base.startswith("Qwen3")
        name = f"{base.lower()}-{quant.lower()}" if official_lowercase else f"{base}-{quant}"
        parts.append(f"huggingface.co/{entry.gguf_repo} file {name}.gguf")
    return " or ".join(parts) or entry.hf_repo


def catalog_options(quants: Iterable[str] = COMMON_QUANTS) -> list[ModelOption]:
    entries, quants = list(load_catalog().values()), list(quants)
    resolved = iter(from_catalog_all(entries, quants))
    options = []
    for entry in entries:
        total, active = parse_params_b(entry.params)
        for quant in quants:
            options.append(
                ModelOption(
                    model_id=entry.id,
                    name=entry.name,
                    quant=quant,
                    family=entry.family,
                    params_b=total,
                    active_params_b=active,
                    arch=entry.shape.arch,
                    trained_ctx=entry.shape.context_length,
                    resolved=next(resolved),
                    get=how_to_get(entry, quant),
                    quality_keys=(f"catalog:{entry.id} {quant}",),
                )
            )
    _fill_speed_shapes(options)
    return options


def _fill_speed_shapes(options: list[ModelOption]) -> None:
    """Every catalog option's speed shape, from the file-facts cache under its layout key
    and the speed model's source: a pass over ~57,000 tensors (0.07 s) on every answer
    otherwise, for figures that only change with the layout or that code."""
    code = _speed_code_digest()
    keys = {f"{o.resolved.layout_key}:{code}": o for o in options if o.resolved.layout_key}
    computes = {key: _shape_of(option) for key, option in keys.items()}
    for key, facts in filefacts.cached_many("speed-shape", computes).items():
        # a frozen dataclass's cached_property lives in its __dict__: filled here, once
        keys[key].__dict__["speed_shape"] = SpeedShape(**facts)


def _shape_of(option: ModelOption) -> Callable[[], dict[str, Any]]:
    return lambda: asdict(speed_shape(option.resolved.memory))


@cache
def _speed_code_digest() -> str:
    digest = hashlib.sha256()
    for module in (speed_model, weights):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def place_candidate(
    option: ModelOption,
    place: Place,
    w: Workload,
    hw: dict[str, Any],
    cpu_params: SpeedParams,
    quality: Quality,
    est: MemoryEstimate,
) -> Candidate | None:
    """The option on this place, or None where the place cannot run it at all. ``est`` is
    its llama.cpp CPU memory at the workload's context (``option.memory_at``)."""
    if not _runs_there(option, place):
        return None
    assert w.prompt_tokens is not None
    shape = option.speed_shape
    speed = workload_speed(shape, place.params, w.prompt_tokens)
    host, on_device, device = est.total_bytes, 0, place.label
    host = int(host * place.memory_factor)
    if place.memory_bytes is not None:
        cpu_speed = workload_speed(shape, cpu_params, w.prompt_tokens)
        offload = _offload(option, place, est, speed, cpu_speed, shape.decode_weight_bytes)
        if offload is None:
            return None
        speed, host, on_device, device = offload
    if option.measured_speed and place.backend == "llama.cpp" and place.device == "CPU":
        speed = _measured(speed, *option.measured_speed, option.measured_source)
    own_budget = place.pool_bytes if place.unified and place.backend == "llama.cpp" else None
    return Candidate(
        model_id=option.model_id,
        name=option.name,
        quant=option.quant,
        backend=place.backend,
        device=device,
        params_b=option.params_b,
        memory_bytes=host,
        trained_ctx=option.trained_ctx,
        speed=speed,
        quality=quality,
        get=_openvino_get(option) if place.backend == "openvino" else option.get,
        path=option.resolved.path,
        shape_only=option.resolved.shape_only,
        budget_bytes=own_budget,
        device_bytes=on_device,
        device_kind=place.device,
        device_class=place.device_class,
    )


# optimum-cli's weight formats nearest to each GGUF type sizer offers on OpenVINO
_OPENVINO_WEIGHTS = {"Q4_0": "int4", "Q4_K_M": "int4", "Q8_0": "int8", "F16": "fp16"}


def _openvino_get(option: ModelOption) -> str:
    """OpenVINO runs its own IR format: exported from the Hugging Face model with
    optimum-cli, or (llama/qwen2 GGUFs, which OpenVINO GenAI reads) converted by sizer."""
    repo = option.resolved.entry.hf_repo if option.resolved.entry else None
    weights = _OPENVINO_WEIGHTS.get(option.quant, "int4")
    ways = [f"optimum-cli export openvino -m {repo} --weight-format {weights} DIR"] if repo else []
    if option.arch in ("llama", "qwen2") and option.resolved.path is not None:
        ways.append(f"sizer models openvino {option.resolved.path} DIR")
    return " or ".join(ways) or option.get


def _runs_there(option: ModelOption, place: Place) -> bool:
    if place.backend == "openvino" and (
        option.arch not in OPENVINO_ARCHS or option.quant not in OPENVINO_QUANTS
    ):
        return False
    return place.max_params_b is None or option.params_b <= place.max_params_b


def _offload(
    option: ModelOption,
    place: Place,
    est,
    gpu_speed: SpeedPrediction,
    cpu_speed: SpeedPrediction,
    streamed_bytes: int,
):
    """A discrete GPU: the layers that fit go there; a token's time splits by the weight
    bytes each side streams. None when not even one layer fits."""
    memory = option.resolved.memory
    assert place.memory_bytes is not None
    plan = plan_offload(memory, est, place.memory_bytes)
    if plan.gpu_layers == 0:
        return None
    blocks = layer_stream_bytes(memory)
    moved = sum(blocks[len(blocks) - min(plan.gpu_layers, plan.n_layers) :])
    if plan.full:
        moved = streamed_bytes
    share = min(1.0, moved / max(streamed_bytes, 1))
    label = (
        f"{place.label} (all layers)"
        if plan.full
        else f"{place.label} {min(plan.gpu_layers, plan.n_layers)}/{plan.n_layers} layers + CPU"
    )
    return _split(gpu_speed, cpu_speed, share), plan.host_bytes, plan.gpu_bytes, label


def _measured(
    speed: SpeedPrediction, decode_factor: float, prefill_factor: float, source: str
) -> SpeedPrediction:
    return SpeedPrediction(
        speed.decode_tok_s * decode_factor,
        speed.prefill_tok_s * prefill_factor,
        speed.ttft_s / prefill_factor,
        source,
        "measured",
    )


def _split(gpu: SpeedPrediction, cpu: SpeedPrediction, share: float) -> SpeedPrediction:
    """Layers on the GPU take the GPU's time per layer, the rest the CPU's."""
    if share >= 1.0:
        return gpu
    decode_s = share / gpu.decode_tok_s + (1 - share) / cpu.decode_tok_s
    prefill_s = share / gpu.prefill_tok_s + (1 - share) / cpu.prefill_tok_s
    ttft = share * gpu.ttft_s + (1 - share) * cpu.ttft_s
    return SpeedPrediction(
        1 / decode_s, 1 / prefill_s, ttft, f"{gpu.source} + CPU share", "estimated"
    )


def option_quality(
    option: ModelOption, task: str, scores: dict[str, dict[str, tuple[float, int]]]
) -> Quality:
    measured = measured_quality(task, list(option.quality_keys), scores)
    if measured:
        return measured
    params = effective_params_b(option.params_b, option.active_params_b)
    return prior_quality(task, params, option.model_id, option.family, option.quant)
