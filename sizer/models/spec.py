"""``ModelSpec``: a model's real shape and bytes, read from a GGUF header (never derived).

Shapes come from the architecture's metadata keys (``{arch}.block_count`` …); what a key
does not say is taken from the tensor table (vocabulary from ``token_embd``), and where
llama.cpp hard-codes a property per architecture (Gemma's sliding-window layout) we follow
its source, cited next to the table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sizer.ggml import LlamaFileType
from sizer.models.gguf_header import ArraySummary, GGUFError, GGUFHeader

SHAPE_ONLY_KEY = "sizer.shape_only"
SHAPE_ONLY_LABEL = "speed/memory only — weights are random"

# llama.cpp src/llama-model.cpp: hparams.set_swa_pattern(N) per architecture when the GGUF
# carries no per-layer pattern: every N-th layer is global, the others slide.
_SWA_PATTERN = {"gemma2": 2, "gemma3": 6, "cohere2": 4, "gemma3n": 5}


@dataclass
class ModelSpec:
    architecture: str
    name: str | None
    file_type: str | None  # "Q4_K_M", "Q8_0", ... as llama.cpp's general.file_type says
    n_params: int
    n_layers: int
    n_embd: int
    n_ff: int | None
    n_head: int
    n_head_kv: list[int]  # per layer (constant for most models)
    head_dim_k: int
    head_dim_v: int
    vocab_size: int
    context_length: int | None
    sliding_window: int | None = None
    local_layers: int = 0  # layers whose KV cache is bounded by the sliding window
    expert_count: int = 0
    expert_used_count: int = 0
    tied_output: bool = False
    tensor_bytes: int = 0
    file_bytes: int = 0
    header_bytes: int = 0  # metadata + tensor table: what identifies the file, cheaply
    bytes_by_type: dict[str, int] = field(default_factory=dict)
    tensors_by_type: dict[str, int] = field(default_factory=dict)
    shape_only: bool = False

    @property
    def global_layers(self) -> int:
        return self.n_layers - self.local_layers

    @property
    def bits_per_weight(self) -> float:
        return 8 * self.tensor_bytes / self.n_params if self.n_params else 0.0

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["bits_per_weight"] = round(self.bits_per_weight, 3)
        body["label"] = SHAPE_ONLY_LABEL if self.shape_only else None
        return body


def spec_from_header(header: GGUFHeader) -> ModelSpec:
    """The shape of the model in ``header``; ``GGUFError`` when metadata has odd types."""
    try:
        return _spec(header)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
        raise GGUFError(f"{header.path.name}: unusable metadata: {exc}") from None


def _spec(header: GGUFHeader) -> ModelSpec:
    arch = str(header.get("general.architecture", "unknown"))

    def key(name: str, default: Any = None) -> Any:
        """A numeric architecture key (int, float, bool or a list of them), or default."""
        full = f"{arch}.{name}"
        value = header.get(full, default)
        items = value if isinstance(value, list) else [value]
        if not all(v is None or isinstance(v, int | float) for v in items):
            raise GGUFError(f"{header.path.name}: metadata {full} is not a number: {value!r:.60}")
        return value

    n_layers = int(key("block_count", 0))
    n_head = _first_int(key("attention.head_count", 0))
    n_embd = int(key("embedding_length", 0))
    head_dim = int(key("attention.key_length") or (n_embd // n_head if n_head else 0))
    spec = ModelSpec(
        architecture=arch,
        name=header.get("general.name"),
        file_type=_file_type(header.get("general.file_type")),
        n_params=sum(t.n_elements for t in header.tensors),
        n_layers=n_layers,
        n_embd=n_embd,
        n_ff=_first_int(key("feed_forward_length")) or None,
        n_head=n_head,
        n_head_kv=_per_layer(key("attention.head_count_kv", n_head), n_layers),
        head_dim_k=head_dim,
        head_dim_v=int(key("attention.value_length") or head_dim),
        vocab_size=_vocab_size(header),
        context_length=key("context_length"),
        expert_count=int(key("expert_count", 0)),
        expert_used_count=int(key("expert_used_count", 0)),
        tied_output=not any(t.name == "output.weight" for t in header.tensors),
        tensor_bytes=sum(t.n_bytes for t in header.tensors),
        file_bytes=header.file_size,
        header_bytes=header.data_offset,
        shape_only=bool(header.get(SHAPE_ONLY_KEY, False)),
    )
    _sliding_window(spec, key("attention.sliding_window"), key("attention.sliding_window_pattern"))
    _type_breakdown(spec, header)
    return spec


def _first_int(value: Any) -> int:
    if isinstance(value, list):
        return int(max(value)) if value else 0
    return int(value or 0)


def _per_layer(value: Any, n_layers: int) -> list[int]:
    if isinstance(value, list):
        return [int(v) for v in value]
    return [int(value)] * n_layers


def _vocab_size(header: GGUFHeader) -> int:
    tokens = header.get("tokenizer.ggml.tokens")
    if isinstance(tokens, ArraySummary):
        return tokens.length
    if isinstance(tokens, list) and tokens:
        return len(tokens)
    embedding = next((t for t in header.tensors if t.name == "token_embd.weight"), None)
    return embedding.shape[1] if embedding and len(embedding.shape) > 1 else 0


def _file_type(value: Any) -> str | None:
    try:
        return LlamaFileType(int(value)).name.removeprefix("MOSTLY_").removeprefix("ALL_")
    except (TypeError, ValueError):
        return None


def _sliding_window(spec: ModelSpec, window: Any, pattern: Any) -> None:
    if not window:
        return
    spec.sliding_window = int(window)
    spec.local_layers = local_layer_count(spec.architecture, spec.n_layers, pattern)


def local_layer_count(arch: str, n_layers: int, pattern: Any = None) -> int:
    """Sliding-window layers of a model that has a window: per-layer booleans when the
    GGUF lists them, else llama.cpp's per-architecture pattern, else every layer."""
    if isinstance(pattern, list):  # per-layer booleans: True = sliding
        return sum(1 for p in pattern if p)
    every = int(pattern) if isinstance(pattern, int) and pattern > 0 else None
    every = every or _SWA_PATTERN.get(arch)
    if every is None:  # a window but no pattern: llama.cpp slides every layer (Mistral v0.1)
        return n_layers
    return sum(1 for il in range(n_layers) if (il + 1) % every)


def _type_breakdown(spec: ModelSpec, header: GGUFHeader) -> None:
    by_bytes: Counter[str] = Counter()
    by_count: Counter[str] = Counter()
    for tensor in header.tensors:
        by_bytes[tensor.type_name] += tensor.n_bytes
        by_count[tensor.type_name] += 1
    spec.bytes_by_type = dict(by_bytes.most_common())
    spec.tensors_by_type = {name: by_count[name] for name in spec.bytes_by_type}
