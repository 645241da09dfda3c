"""OpenVINO GenAI's LLMPipeline, on an OpenVINO IR directory (the format OpenVINO users
deploy: ``optimum-cli export openvino`` or ``sizer models openvino``) or on a GGUF file (GenAI
converts llama/qwen2-family GGUF to an OpenVINO model at load time). Load time covers reading
and compiling for the device (the NPU compiles at first use); TTFT is measured apart from it.
Timings come from the pipeline's own perf metrics: GenAI runs the whole generation in C++, so
there is no Python loop to subtract."""

from __future__ import annotations

import time
from importlib import metadata
from pathlib import Path

import numpy as np
import openvino as ov
import openvino_genai as genai

from sizer.backends.base import (
    PROMPT_TEXT,
    EnergyReader,
    RepSample,
    UnsupportedModel,
    energy_by_phase,
    repeat_to,
)
from sizer.backends.config import RunConfig
from sizer.errors import MeasurementError, SizerError
from sizer.models.gguf_header import read_header
from sizer.models.openvino_ir import openvino_error_line

# llama.cpp KV types -> the nearest OpenVINO KV cache precision (CPU default is u8).
_KV_PRECISION = {"f16": "f16", "q8_0": "u8", "q4_0": "u4"}
_US = 1e-6


class OpenVinoSession:
    def __init__(self, config: RunConfig) -> None:
        props: dict[str, object] = {"KV_CACHE_PRECISION": _KV_PRECISION[config.measurement.kv_type]}
        if config.device == "CPU":
            props["INFERENCE_NUM_THREADS"] = config.threads
        try:
            self.pipe = genai.LLMPipeline(config.model_path, config.device, **props)
        except RuntimeError as exc:
            raise UnsupportedModel(_unsupported(config.model_path, exc)) from exc
        encoded = self.pipe.get_tokenizer().encode(PROMPT_TEXT, add_special_tokens=False)
        self.prompt_ids = [int(i) for i in encoded.input_ids.data[0]]
        self.depth = 0
        self.calls = 0
        self.versions = {
            "openvino": ov.get_version(),
            "openvino-genai": metadata.version("openvino-genai"),
        }

    def prepare(self, depth: int) -> None:
        # GenAI's stateful pipeline starts every generate() from an empty cache, so depth is
        # part of each repetition's prompt: TTFT and prefill cover depth + prompt tokens.
        self.depth = depth

    def rep(self, prompt_tokens: int, gen_tokens: int, energy: EnergyReader) -> RepSample:
        n = self.depth + prompt_tokens
        # GenAI's CPU pipeline caches prompt prefixes across generate() calls: the same
        # prompt twice is a cache hit (a "3000 tok/s prefill" on 2 cores). Every call starts
        # the text at a different token, so no repetition shares a prefix with another.
        self.calls += 1
        shift = self.calls % len(self.prompt_ids)
        rotated = self.prompt_ids[shift:] + self.prompt_ids[:shift]
        ids = np.array([repeat_to(rotated, n)], dtype=np.int64)
        inputs = genai.TokenizedInputs(ov.Tensor(ids), ov.Tensor(np.ones_like(ids)))
        config = genai.GenerationConfig(
            max_new_tokens=gen_tokens, min_new_tokens=gen_tokens, ignore_eos=True, do_sample=False
        )
        e0 = energy()
        started = time.perf_counter()
        result = self.pipe.generate(inputs, config)
        wall = time.perf_counter() - started
        e1 = energy()
        pm = result.perf_metrics
        raw = pm.raw_metrics
        if not raw.m_times_to_first_token:
            raise MeasurementError("OpenVINO GenAI reported no time to first token")
        internal = {
            "ttft_ms": pm.get_ttft().mean,
            "tpot_ms": pm.get_tpot().mean,
            "generate_wall_s": wall,
        }
        return RepSample(
            prefill_tokens=n,
            ttft_s=raw.m_times_to_first_token[0] * _US,
            itl_s=[d * _US for d in raw.m_durations][-(gen_tokens - 1) :] if gen_tokens > 1 else [],
            internal=internal,
            energy_j=energy_by_phase({"total": (e0, e1)}),
        )

    def close(self) -> None:
        del self.pipe


def _unsupported(path: str, exc: Exception) -> str:
    """One line naming the architecture, instead of OpenVINO's multi-line C++ assertion."""
    detail = openvino_error_line(exc)
    if Path(path).is_dir():
        return f"OpenVINO cannot load the model directory {path}: {detail}"
    try:
        arch = read_header(path).get("general.architecture", "unknown")
    except SizerError:
        arch = "unreadable"
    return (
        f"unsupported by the openvino backend: OpenVINO GenAI's GGUF reader covers "
        f"llama/qwen2-family models, this is {arch} ({detail})"
    )


def open_session(config: RunConfig) -> OpenVinoSession:
    return OpenVinoSession(config)
