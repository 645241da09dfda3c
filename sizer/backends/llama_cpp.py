"""llama.cpp through llama-cpp-python, driven at the C API so the harness costs nothing.

The high-level ``Llama.eval`` copies every token's logits into a NumPy array (600 KB per
token for a 152k vocabulary) and ``create_completion`` adds detokenisation and Python
sampling: together about 15-20 % of decode speed on a small model. Here the loop is
``llama_decode`` on a one-token batch and a greedy pick by NumPy's argmax over a view of
llama.cpp's logits buffer (no copy). That is cheaper than llama.cpp's own greedy sampler,
which builds a 12-byte candidate per vocabulary entry (1.8 MB for Qwen) every token: that
alone cost 0.7 % of decode speed on Qwen2.5 1.5B here.
"""

from __future__ import annotations

import time
from importlib import metadata
from typing import Any

import llama_cpp
import numpy as np

from sizer.backends.base import (
    PROMPT_TEXT,
    EnergyReader,
    RepSample,
    UnsupportedModel,
    energy_by_phase,
    repeat_to,
)
from sizer.backends.config import RunConfig
from sizer.errors import MeasurementError

_KV_TYPES = {
    "f16": llama_cpp.GGML_TYPE_F16,
    "q8_0": llama_cpp.GGML_TYPE_Q8_0,
    "q4_0": llama_cpp.GGML_TYPE_Q4_0,
}


class LlamaCppSession:
    def __init__(self, config: RunConfig) -> None:
        m = config.measurement
        kv = _KV_TYPES[m.kv_type]
        try:
            # verbose: llama.cpp's log goes to the worker's stderr, which the parent keeps
            # and quotes when a load fails (the Python exception alone says nothing).
            self.llm = llama_cpp.Llama(
                config.model_path,
                n_ctx=config.n_ctx,
                n_batch=m.n_batch,
                n_ubatch=m.n_batch,
                n_threads=config.threads,
                n_threads_batch=config.threads,
                n_gpu_layers=0 if config.device == "CPU" else -1,
                flash_attn=m.flash_attn,
                type_k=kv,
                type_v=kv,
                verbose=True,
            )
        except ValueError as exc:
            raise UnsupportedModel(f"llama.cpp could not load the model: {exc}") from exc
        self.ctx = self.llm._ctx.ctx
        self.n_batch = m.n_batch
        self.depth = 0
        self.n_vocab = self.llm.n_vocab()
        self.prompt_ids = self.llm.tokenize(PROMPT_TEXT.encode(), add_bos=False)
        self.versions = {
            "llama-cpp-python": metadata.version("llama-cpp-python"),
            "llama.cpp system": llama_cpp.llama_print_system_info().decode().strip(),
        }

    def prepare(self, depth: int) -> None:
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ctx), True)
        if depth:
            self._decode_prompt(repeat_to(self.prompt_ids[::-1], depth))
            llama_cpp.llama_synchronize(self.ctx)
        self.depth = depth

    def rep(self, prompt_tokens: int, gen_tokens: int, energy: EnergyReader) -> RepSample:
        memory = llama_cpp.llama_get_memory(self.ctx)
        llama_cpp.llama_memory_seq_rm(memory, 0, self.depth, -1)
        llama_cpp.llama_perf_context_reset(self.ctx)
        prompt = repeat_to(self.prompt_ids, prompt_tokens)
        e0, t0 = energy(), time.perf_counter()
        self._decode_prompt(prompt)
        token = self._greedy()  # reading the logits waits for the computation
        ttft, e1 = time.perf_counter() - t0, energy()
        steps = self._decode_steps(token, gen_tokens - 1)
        e2 = energy()
        return RepSample(
            prefill_tokens=prompt_tokens,
            ttft_s=ttft,
            itl_s=steps,
            internal=self._internal(),
            energy_j=energy_by_phase({"prefill": (e0, e1), "decode": (e1, e2)}),
        )

    def _decode_steps(self, token: int, steps: int) -> list[float]:
        one = (llama_cpp.llama_token * 1)()
        batch = llama_cpp.llama_batch_get_one(one, 1)  # a view of ``one``: refill, reuse
        ctx, decode, greedy, clock = (
            self.ctx,
            llama_cpp.llama_decode,
            self._greedy,
            time.perf_counter,
        )
        times = []
        for _ in range(steps):
            start = clock()
            one[0] = token
            if decode(ctx, batch) != 0:
                raise MeasurementError("llama_decode failed during generation (context full?)")
            token = greedy()
            times.append(clock() - start)
        return times

    def _greedy(self) -> int:
        logits = llama_cpp.llama_get_logits_ith(self.ctx, -1)
        return int(np.ctypeslib.as_array(logits, shape=(self.n_vocab,)).argmax())

    def _decode_prompt(self, ids: list[int]) -> None:
        decode_batched(self.ctx, ids, self.n_batch)

    def _internal(self) -> dict[str, float]:
        """llama.cpp's own timing of this repetition (llama_perf_context)."""
        perf = llama_cpp.llama_perf_context(self.ctx)
        internal = {
            "prefill_tokens": perf.n_p_eval,
            "prefill_ms": perf.t_p_eval_ms,
            "decode_tokens": perf.n_eval,
            "decode_ms": perf.t_eval_ms,
        }
        if perf.t_p_eval_ms > 0:
            internal["prefill_tok_s"] = perf.n_p_eval / perf.t_p_eval_ms * 1000
        if perf.t_eval_ms > 0:
            internal["decode_tok_s"] = perf.n_eval / perf.t_eval_ms * 1000
        return internal

    def close(self) -> None:
        self.llm.close()


def decode_batched(ctx: Any, ids: list[int], n_batch: int) -> None:
    """Feed ``ids`` to the context in batches of at most ``n_batch`` tokens."""
    for start in range(0, len(ids), n_batch):
        chunk = ids[start : start + n_batch]
        batch = (llama_cpp.llama_token * len(chunk))(*chunk)
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(batch, len(chunk))):
            raise MeasurementError(f"llama_decode failed on {len(chunk)} token(s) (context full?)")


def open_session(config: RunConfig) -> LlamaCppSession:
    return LlamaCppSession(config)
