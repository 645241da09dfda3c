"""``sizer estimate MODEL --ctx N``: memory on this machine, before loading anything."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer


def gpu_offload(resolved, estimate, hw) -> str | None:
    """A layer split for the largest discrete GPU with known free memory, if any."""
    from sizer.estimate import plan_offload
    from sizer.units import gib

    gpus = [a for a in hw.accelerators if a.kind == "gpu" and a.integrated is False]
    gpus = [g for g in gpus if (g.memory_free_bytes or g.memory_total_bytes)]
    if not gpus:
        return None
    gpu = max(gpus, key=lambda g: g.memory_free_bytes or g.memory_total_bytes or 0)
    free = gpu.memory_free_bytes or gpu.memory_total_bytes or 0
    plan = plan_offload(resolved.memory, estimate, free)
    where = (
        "all layers and the output" if plan.full else f"{plan.gpu_layers} of {plan.n_layers} layers"
    )
    build = (
        ""
        if hw.llama_cpp.gpu_offload or not hw.llama_cpp.installed
        else (" (the llama.cpp installed here is CPU-only)")
    )
    return (
        f"with {gpu.name} ({gib(free)} free): {where} on the GPU, {gib(plan.gpu_bytes)} "
        f"there and {gib(plan.host_bytes)} in RAM{build}"
    )


def shared_gpu(estimate, hw) -> str | None:
    """Whether the model fits in what a GPU that shares RAM can map (an APU's carve-out and
    GTT pool, Apple's Metal working set), which is neither the RAM nor its "VRAM"."""
    from sizer.hardware.gpu_memory import gpu_pool
    from sizer.units import gib

    for acc in hw.accelerators:
        if acc.kind != "gpu" or not acc.memory_shared_with_ram:
            continue
        pool = gpu_pool(asdict(acc), hw.memory.total_bytes)
        if pool is None:
            continue
        fits = "fits" if estimate.total_bytes <= pool.bytes else "does not fit"
        return (
            f"on {acc.name} (shares RAM): llama.cpp can map {gib(pool.bytes)} ({pool.why}); "
            f"this needs {gib(estimate.total_bytes)}: {fits}"
        )
    return None


def estimate_command(
    model: Annotated[str, typer.Argument(help="A GGUF file, an Ollama tag, or a catalog id.")],
    ctx: Annotated[int, typer.Option(min=16, max=1 << 21, help="Context length (tokens).")] = 4096,
    kv_type: Annotated[str, typer.Option(help="KV cache type: f16, q8_0 or q4_0.")] = "f16",
    batch: Annotated[int, typer.Option(min=1, max=8192, help="Physical batch (n_ubatch).")] = 512,
    quant: Annotated[str | None, typer.Option(help="File type for catalog ids.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Weights, repacked weights, KV cache, compute buffers and runtime, and whether it fits."""
    from sizer.cli.render_estimate import fit_verdict, render_estimate
    from sizer.estimate import KV_BYTES_PER_ELEMENT, estimate_memory
    from sizer.models.resolve import resolve
    from sizer.probe import probe
    from sizer.profiles.corpus import load_corpus
    from sizer.recommend.answer import model_speed

    if kv_type not in KV_BYTES_PER_ELEMENT:
        raise typer.BadParameter(
            f"use one of {', '.join(KV_BYTES_PER_ELEMENT)}", param_hint="--kv-type"
        )
    resolved = resolve(model, quant)
    hw = probe()
    estimate = estimate_memory(
        resolved.memory, ctx, kv_type=kv_type, n_ubatch=batch, isa=hw.cpu.isa, cpu_arch=hw.cpu.arch
    )
    verdict = fit_verdict(estimate.total_bytes, hw.memory.available_bytes)
    offload = gpu_offload(resolved, estimate, hw)
    if offload:
        verdict += "\n" + offload
    unified = shared_gpu(estimate, hw)
    if unified:
        verdict += "\n" + unified
    corpus = load_corpus()  # read once: the peaks measured and the speed figures
    measured = measured_in_profiles(resolved, corpus)
    speed = model_speed(resolved, hw.to_dict(), ctx, corpus=corpus)
    if as_json:
        record = {
            "model": resolved.label,
            "source": resolved.source,
            "file_type": resolved.file_type,
            "shape_only": resolved.shape_only,
            "estimate": estimate.to_dict(),
            "available_bytes": hw.memory.available_bytes,
            "verdict": verdict,
            "gpu_offload": offload,
            "shared_gpu": unified,
            "measured_in_profiles": [asdict(p) for p in measured],
            "speed": speed.to_dict(),
        }
        typer.echo(json.dumps(record, indent=2))
    else:
        typer.echo(render_estimate(resolved, estimate, verdict))
        for line in render_measured(measured):
            typer.echo(line)
        for line in render_speed(speed):
            typer.echo(line)


MAX_MEASURED_LINES = 3


def measured_in_profiles(resolved, corpus) -> list:
    """What the profile corpus measured for this file or catalog model (peak RSS)."""
    from sizer.profiles.corpus import measured_peaks

    sha = None
    if resolved.path is not None and resolved.spec is not None:
        from sizer.models.resolve import model_identity

        sha = model_identity(resolved)["header_sha256"]
    catalog_id = resolved.entry.id if resolved.entry is not None else None
    return measured_peaks(corpus, sha, catalog_id, resolved.file_type)


def render_measured(measured: list) -> list[str]:
    from sizer.units import gib

    # runs that read alike (the same peak at the same context) are one line
    lines = list(
        dict.fromkeys(
            f"measured in profiles: peak RSS {gib(p.peak_rss_bytes)} on {p.machine} "
            f"({p.backend}, context {p.n_ctx or '?'})"
            for p in measured
        )
    )
    if len(lines) > MAX_MEASURED_LINES:
        more = len(lines) - MAX_MEASURED_LINES
        lines = [*lines[:MAX_MEASURED_LINES], f"  … and {more} more in the profiles"]
    return lines


def render_speed(speed) -> list[str]:
    """The predicted CPU speed, where its figures come from, and how wrong such figures are."""
    lines = [
        f"speed here (llama.cpp CPU, {speed.threads} thread(s)): prefill "
        f"{speed.prefill_tok_s:.0f} tok/s (first token after {speed.ttft_s:.1f} s for a "
        f"{speed.prompt_tokens}-token prompt), decode {speed.decode_tok_s:.1f} tok/s "
        f"({speed.decode_tok_s_full:.1f} with all {speed.ctx} tokens in context)",
        f"  from: {speed.params.source} ({speed.params.confidence})",
    ]
    if speed.error is not None:
        lines.append(f"  measured error of such estimates: {speed.error}")
    return lines
