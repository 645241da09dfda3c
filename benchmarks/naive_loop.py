"""What a naive per-token Python loop over llama-cpp-python costs, against sizer's loop.

Both loops run in one process on one loaded model, alternating, from the same KV state:
  naive: ``Llama.generate(prompt, temp=0)``, the token stream under ``create_completion``
         (per token: ``eval`` plus llama-cpp-python's sampler) — how Python harnesses
         usually drive llama-cpp-python;
  sizer: ``LlamaCppSession`` (one-token ``llama_decode``, argmax over a zero-copy view).
Decode tok/s of each, and the ratio naive / sizer.

Usage: .venv/bin/python benchmarks/naive_loop.py [--models gemma3-270m,qwen2.5-coder-1.5b]
       [--tokens 64] [--rounds 3] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time

from sizer.backends.config import Measurement, RunConfig
from sizer.backends.llama_cpp import LlamaCppSession
from sizer.bench.plan import auto_threads
from sizer.models import registry_models
from sizer.probe import probe


def naive_rate(session: LlamaCppSession, tokens: int) -> float:
    llm = session.llm
    session.prepare(0)
    llm.n_tokens = 0  # the KV cache was cleared under the high-level object's feet
    stream = llm.generate(session.prompt_ids[:32], temp=0.0)
    next(stream)  # prefill and first token
    start = time.perf_counter()
    for _ in range(tokens):
        next(stream)
    rate = tokens / (time.perf_counter() - start)
    stream.close()
    return rate


def sizer_rate(session: LlamaCppSession, tokens: int) -> float:
    session.prepare(0)
    return session.rep(32, tokens + 1, lambda: None).decode_tok_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="gemma3-270m,qwen2.5-coder-1.5b")
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    threads = args.threads or auto_threads(probe())
    print(f"{'model':<20} {'naive tok/s':>12} {'sizer tok/s':>12} {'naive/sizer':>12}")
    for name in args.models.split(","):
        path = registry_models.ensure(name)
        config = RunConfig(
            str(path),
            name,
            "",
            "llama.cpp",
            "CPU",
            threads,
            0,
            Measurement(prompt_tokens=32, gen_tokens=args.tokens + 1),
        )
        session = LlamaCppSession(config)
        sizer_rate(session, 8)  # warm-up
        naive, ours = [], []
        for _ in range(args.rounds):
            naive.append(naive_rate(session, args.tokens))
            ours.append(sizer_rate(session, args.tokens))
        session.close()
        a, b = statistics.median(naive), statistics.median(ours)
        print(f"{name:<20} {a:>12.2f} {b:>12.2f} {a / b:>12.3f}")


if __name__ == "__main__":
    main()
