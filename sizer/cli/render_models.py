"""Plain-text views of ModelSpecs and scan results."""

from __future__ import annotations

from pathlib import Path

from sizer.models.discover import LocalModel
from sizer.models.spec import SHAPE_ONLY_LABEL, ModelSpec
from sizer.units import gib


def _count(n: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return str(n)


def render_inspect(path: Path, spec: ModelSpec) -> str:
    rows = [
        ("architecture", f"{spec.architecture} — {spec.name or '?'}"),
        (
            "file type",
            f"{spec.file_type or '?'}, {spec.bits_per_weight:.2f} bits/weight over "
            f"{_count(spec.n_params)} parameters",
        ),
        ("layers", _layers(spec)),
        ("embedding", f"{spec.n_embd}, FFN {spec.n_ff or '?'}"),
        ("attention", _attention(spec)),
        (
            "vocabulary",
            f"{spec.vocab_size}"
            + (" (output tied to token embeddings)" if spec.tied_output else ""),
        ),
        ("context", f"{spec.context_length or '?'} (trained, from GGUF metadata)"),
        (
            "experts",
            f"{spec.expert_count}, {spec.expert_used_count} active per token"
            if spec.expert_count
            else "none (dense)",
        ),
        ("tensor bytes", f"{gib(spec.tensor_bytes)} of a {gib(spec.file_bytes)} file"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"{path.name}" + (f"  [{SHAPE_ONLY_LABEL}]" if spec.shape_only else ""), ""]
    lines += [f"{label.ljust(width)}  {value}" for label, value in rows]
    lines += ["", "by tensor type:", *_breakdown(spec)]
    return "\n".join(lines)


def _layers(spec: ModelSpec) -> str:
    if not spec.sliding_window:
        return str(spec.n_layers)
    return (
        f"{spec.n_layers} ({spec.local_layers} sliding-window of {spec.sliding_window} "
        f"tokens, {spec.global_layers} global)"
    )


def _attention(spec: ModelSpec) -> str:
    kv = sorted(set(spec.n_head_kv))
    kv_text = "/".join(map(str, kv))
    group = f"GQA {spec.n_head // kv[-1]}:1" if kv and kv[-1] and kv[-1] < spec.n_head else "MHA"
    return (
        f"{spec.n_head} heads, {kv_text} KV heads ({group}), "
        f"head dim {spec.head_dim_k}/{spec.head_dim_v}"
    )


def _breakdown(spec: ModelSpec) -> list[str]:
    total = spec.tensor_bytes or 1
    lines = []
    for name, size in spec.bytes_by_type.items():
        share = 100 * size / total
        lines.append(
            f"  {name:<8} {gib(size):>10}  {share:5.1f} %  ({spec.tensors_by_type[name]} tensors)"
        )
    return lines


def render_scan(models: list[LocalModel]) -> str:
    if not models:
        return "no GGUF files found (looked in Ollama, LM Studio, Hugging Face caches; add --path)"
    lines = []
    for m in models:
        if m.error:
            lines.append(f"{m.source:<12} {m.name}  ERROR: {m.error}")
            continue
        spec = m.spec
        label = f"  [{SHAPE_ONLY_LABEL}]" if spec and spec.shape_only else ""
        shape = f"{spec.architecture} {_count(spec.n_params)} {spec.file_type}" if spec else "?"
        lines.append(f"{m.source:<12} {m.name}  {shape}  {gib(m.size_bytes)}{label}")
    return "\n".join(lines)


def catalog_rows(entries) -> list[dict]:
    from sizer.models.quantmix import FILE_TYPES

    return [
        {
            "id": e.id,
            "name": e.name,
            "params": e.params,
            "n_params": e.n_params(),
            "arch": e.shape.arch,
            "ollama": e.ollama,
            "hf_repo": e.hf_repo,
            "gguf_repo": e.gguf_repo,
            "license": e.license,
            "source": e.source,
            "file_bytes": {q: e.file_bytes(q) for q in FILE_TYPES},
        }
        for e in entries
    ]


def render_catalog(entries) -> str:
    header = f"{'id':<28} {'params':>7} {'arch':<9} {'Q4_0':>8} {'Q4_K_M':>8} {'Q8_0':>8}  ollama"
    lines = [header, "-" * len(header)]
    for e in entries:
        sizes = " ".join(f"{e.file_bytes(q) / 1e9:7.2f}G" for q in ("Q4_0", "Q4_K_M", "Q8_0"))
        lines.append(
            f"{e.id:<28} {_count(e.n_params()):>7} {e.shape.arch:<9} {sizes}  {e.ollama or '-'}"
        )
    lines.append(
        "\nsizes are computed from the shape with llama.cpp's quantisation mix (GB = 1e9 B)"
    )
    return "\n".join(lines)
