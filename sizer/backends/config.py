"""What one run is: a model on a backend and device, with one thread count and depth.

A ``RunConfig`` is sent to the worker as JSON, so it holds only plain values. Its ``key``
identifies the run for ``--resume``: the model's header hash plus every setting that
changes the measurement.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from sizer.estimate import KV_BYTES_PER_ELEMENT

BACKENDS = ("llama.cpp", "openvino")
# Every KV type sizer benchmarks must be one the estimator sizes (the fit check needs it).
KV_TYPES = tuple(KV_BYTES_PER_ELEMENT)


@dataclass(frozen=True)
class Measurement:
    """How to measure, shared by every run of one ``sizer bench`` invocation."""

    prompt_tokens: int = 512
    gen_tokens: int = 128
    n_ctx: int | None = None  # None: just enough for depth + prompt + generation
    max_reps: int = 5
    min_reps: int = 3
    cv_target: float = 0.03  # stop repeating once prefill and decode CV are below this
    kv_type: str = "f16"
    flash_attn: bool = False  # llama-cpp-python's default
    n_batch: int = 512
    timeout_s: float = 3600.0

    def ctx_for(self, depth: int) -> int:
        needed = depth + self.prompt_tokens + self.gen_tokens
        if self.n_ctx is not None:
            return self.n_ctx
        return -(-needed // 256) * 256


@dataclass(frozen=True)
class RunConfig:
    model_path: str
    model_label: str
    header_sha256: str
    backend: str
    device: str
    threads: int
    depth: int
    measurement: Measurement = field(default_factory=Measurement)

    @property
    def n_ctx(self) -> int:
        return self.measurement.ctx_for(self.depth)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        fields = dict(data)
        fields["measurement"] = Measurement(**fields.get("measurement", {}))
        return cls(**fields)

    @property
    def key(self) -> str:
        """Stable identity of this run: same model bytes and same settings, same key."""
        settings = self.to_dict()
        del settings["model_path"], settings["model_label"]
        for how_long in ("timeout_s", "max_reps", "min_reps", "cv_target"):
            del settings["measurement"][how_long]  # precision and patience, not identity
        blob = json.dumps(settings, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def describe(self) -> str:
        where = f"{self.backend} {self.device}"
        return f"{self.model_label} · {where} · {self.threads} thr · depth {self.depth}"
