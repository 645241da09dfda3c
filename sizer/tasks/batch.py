"""Many task items answered together in one llama.cpp context (multi-sequence batches).

On a CPU, decoding one token streams every weight of the model; decoding one token for each
of several sequences in the same ``llama_decode`` streams them once. (Where decode is
compute-bound, as on the 2-core machine of the README's figures, that buys little.) The
scheduler keeps up to ``width`` sequences live, each in its own KV stream (``n_seq_max`` =
width, not unified, so a sequence attends only to its own cache of the per-item context
size). A step is the next chunk of one waiting prompt, else one token for every decoding
sequence (``Scheduler._step`` says why never both); a sequence whose answer is complete gives
its stream to the next item at once.

Items admitted *alone* (the single-user latency sample, and items being re-run after a
crash to find which one crashed) wait until the context is empty and keep it to themselves:
their TTFT and decode speed are what one user sees. Every other item's timings are shares of
a batch and are labelled so (``single_stream: false``): they say nothing about latency.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import llama_cpp

from sizer.errors import MeasurementError
from sizer.tasks.generate import Generation, Reply


@dataclass
class Work:
    """One item ready to run: its prompt tokens and how its answer ends."""

    uid: str
    tokens: list[int]
    max_tokens: int
    gbnf: str | None = None
    stop: tuple[str, ...] = ()
    end: str | None = None
    alone: bool = False  # run with the context to itself (latency sample, crash search)


@dataclass
class _Live:
    work: Work
    seq: int
    reply: Reply
    started: float
    pending: list[int]  # prompt tokens not yet decoded
    pos: int = 0  # next KV position
    next_token: int | None = None  # the token to feed at the next step
    output_at: int | None = None  # its row in the batch whose logits it reads


# (uid, generation or None, started, error): one call per item, in the order they finish
Done = Callable[[Work, Generation | None, float, str | None], None]


class _Batch:
    """A reusable llama_batch of up to ``capacity`` tokens, one sequence per token."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.raw = llama_cpp.llama_batch_init(capacity, 0, 1)

    def clear(self) -> None:
        self.raw.n_tokens = 0

    @property
    def size(self) -> int:
        return self.raw.n_tokens

    def add(self, token: int, pos: int, seq: int, logits: bool) -> int:
        i = self.raw.n_tokens
        self.raw.token[i], self.raw.pos[i], self.raw.n_seq_id[i] = token, pos, 1
        self.raw.seq_id[i][0], self.raw.logits[i] = seq, logits
        self.raw.n_tokens = i + 1
        return i

    def free(self) -> None:
        llama_cpp.llama_batch_free(self.raw)


class Scheduler:
    """Runs ``Work`` items through one context with up to ``width`` live sequences."""

    def __init__(self, llm: Any, ctx: Any, width: int, n_batch: int) -> None:
        self.llm, self.ctx, self.width = llm, ctx, width
        self.memory = llama_cpp.llama_get_memory(ctx)
        self.batch = _Batch(max(n_batch, width))
        self.live: dict[int, _Live] = {}

    def run(self, work: Iterator[Work], done: Done, admitted: Callable[[Work], None]) -> None:
        """Answer every item ``work`` yields; ``admitted`` is told when one enters the
        context, ``done`` when its answer is complete (or failed)."""
        waiting: Work | None = next(work, None)
        try:
            while waiting is not None or self.live:
                while waiting is not None and self._room_for(waiting):
                    if waiting.tokens:
                        self._admit(waiting)
                        admitted(waiting)
                    else:
                        done(waiting, None, time.perf_counter(), "the prompt has no tokens")
                    waiting = next(work, None)
                self._step(done)
        finally:
            for live in list(self.live.values()):
                live.reply.close()
            self.batch.free()

    def _room_for(self, work: Work) -> bool:
        if len(self.live) >= self.width:
            return False
        if work.alone:
            return not self.live
        return not any(live.work.alone for live in self.live.values())

    def _admit(self, work: Work) -> None:
        seq = next(s for s in range(self.width) if s not in self.live)
        llama_cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)
        reply = Reply(self.llm, work.max_tokens, work.gbnf, work.stop, work.end)
        self.live[seq] = _Live(work, seq, reply, time.perf_counter(), list(work.tokens))

    def _step(self, done: Done) -> None:
        """One llama_decode: the next chunk of one waiting prompt, else one token for every
        decoding sequence. Never both: with a KV stream per sequence llama.cpp splits a batch
        into micro-batches holding equally many tokens of each sequence (``split_equal``), so
        a prompt chunk beside one-token decodes is not one wide matrix product anyway; kept
        apart, each step is a plain prompt chunk or a plain decode. (The mixed first version
        and this one ran the Qwen quick suites at the same speed within the noise.)"""
        self.batch.clear()
        for live in self.live.values():
            live.output_at = None
        prefilling = next((live for live in self.live.values() if live.pending), None)
        if prefilling is not None:
            self._add_prompt_chunk(prefilling)
        else:
            for live in self.live.values():
                live.output_at = self.batch.add(live.next_token, live.pos, live.seq, True)
                live.pos += 1
        _decode(self.ctx, self.batch)
        for seq, live in list(self.live.items()):
            if live.output_at is not None:
                self._take(seq, live, done)

    def _add_prompt_chunk(self, live: _Live) -> None:
        chunk, live.pending = (
            live.pending[: self.batch.capacity],
            live.pending[self.batch.capacity :],
        )
        for i, token in enumerate(chunk):
            last = not live.pending and i == len(chunk) - 1
            row = self.batch.add(token, live.pos + i, live.seq, last)
            live.output_at = row if last else None
        live.pos += len(chunk)

    def _take(self, seq: int, live: _Live, done: Done) -> None:
        try:
            token = live.reply.take(llama_cpp.llama_get_logits_ith(self.ctx, live.output_at))
        except Exception as exc:  # this item failed; the others go on
            self._retire(seq)
            live.reply.close()
            done(live.work, None, live.started, f"{type(exc).__name__}: {exc}")
            return
        live.next_token = token
        if token is None:
            self._retire(seq)
            done(live.work, live.reply.finish(), live.started, None)

    def _retire(self, seq: int) -> None:
        del self.live[seq]
        llama_cpp.llama_memory_seq_rm(self.memory, seq, -1, -1)


def multi_sequence_context(llm: Any, n_ctx_per_seq: int, width: int) -> Any:
    """A context of ``width`` KV streams of ``n_ctx_per_seq`` cells each (the model's own
    context is freed first, so the memory is the streams' only)."""
    from llama_cpp import _internals

    params = llm.context_params
    params.n_ctx = n_ctx_per_seq * width
    params.n_seq_max = width
    params.kv_unified = False
    llm._ctx.close()
    llm._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=llm.verbose)
    llm._stack.callback(llm._ctx.close)
    return llm._ctx.ctx


SWEEP_STEPS = 8  # decode steps timed per width (after one untimed warm-up step)
SWEEP_PROMPT = 16  # tokens of context each sequence holds while it is timed


def sweep_widths(llm: Any, ctx: Any, most: int) -> dict[int, float]:
    """Aggregate decode tok/s at batch widths 1, 2, 4, ... up to ``most``: each width's
    sequences hold a short context and decode ``SWEEP_STEPS`` tokens each, timed together."""
    memory = llama_cpp.llama_get_memory(ctx)
    batch = _Batch(max(SWEEP_PROMPT, most))
    token = max(llm.token_bos(), 0)
    widths = [w for w in (1, 2, 4, 8, 16, 32) if w < most] + [most]
    rates: dict[int, float] = {}
    try:
        for width in widths:
            llama_cpp.llama_memory_clear(memory, True)
            for seq in range(width):  # one sequence per call: a batch never exceeds n_batch
                batch.clear()
                for pos in range(SWEEP_PROMPT):
                    batch.add(token, pos, seq, pos == SWEEP_PROMPT - 1)
                _decode(ctx, batch)
            started = 0.0
            for step in range(SWEEP_STEPS + 1):
                if step == 1:
                    started = time.perf_counter()
                batch.clear()
                for seq in range(width):
                    batch.add(token, SWEEP_PROMPT + step, seq, True)
                _decode(ctx, batch)
                llama_cpp.llama_get_logits_ith(ctx, width - 1)  # waits for the computation
            rates[width] = width * SWEEP_STEPS / (time.perf_counter() - started)
    finally:
        llama_cpp.llama_memory_clear(memory, True)
        batch.free()
    return rates


def _decode(ctx: Any, batch: _Batch) -> None:
    if llama_cpp.llama_decode(ctx, batch.raw) != 0:
        raise MeasurementError(
            f"llama_decode failed on a batch of {batch.size} token(s) (context full?)"
        )
