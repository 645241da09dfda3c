"""How much of the kernel's memory bandwidth does llama.cpp's decode actually reach?

For each thread count: measure read bandwidth with kernels/memory_bandwidth.py, then decode
with llama.cpp (llama-cpp-python) on each real model, taking decode speed from llama.cpp's
own perf counters, then measure the bandwidth again (bracketing: the machine is shared).
Achieved decode bandwidth = decode tok/s x weight bytes read per token (sizer.models.weights).
The ratio achieved / kernel is what the speed model will have to calibrate.

Usage: .venv/bin/python benchmarks/decode_vs_bandwidth.py [--tokens 64] [--reps 5] [--out DIR]
Writes DIR/decode_vs_bandwidth-<time>.json (default DIR: results/) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from kernels import KernelPlan
from kernels import memory_bandwidth as membw
from sizer.models import registry_models
from sizer.models.weights import weight_bytes
from sizer.probe import probe

RESULTS = Path(__file__).resolve().parent.parent / "results"


def kernel_bandwidth(threads: int, available: int | None) -> list[float]:
    plan = KernelPlan(cpu_threads=[threads], available_bytes=available, reps=15)
    return membw.measure(plan)[0].stats.samples


def decode_rates(model: Path, threads: int, tokens: int, reps: int) -> list[float]:
    """Decode tok/s per repetition, from llama.cpp's internal timing (llama_perf_context)."""
    import llama_cpp

    llm = llama_cpp.Llama(
        str(model), n_ctx=512 + tokens, n_threads=threads, n_threads_batch=threads, verbose=False
    )
    prompt = llm.tokenize(b"The history of the printing press begins")
    ctx = llm._ctx.ctx
    rates = []
    for rep in range(reps + 1):  # the first repetition warms up and is dropped
        llm.reset()
        llm.eval(prompt)
        # llama.cpp books a decode's time when the context synchronises, which
        # llama-cpp-python's eval() defers; synchronise explicitly after each step.
        llama_cpp.llama_synchronize(ctx)
        llama_cpp.llama_perf_context_reset(ctx)
        for _ in range(tokens):
            llm.eval([prompt[-1]])
            llama_cpp.llama_synchronize(ctx)
        perf = llama_cpp.llama_perf_context(ctx)
        if rep:
            rates.append(perf.n_eval / (perf.t_eval_ms / 1000))
    llm.close()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON result")
    args = parser.parse_args()
    hw = probe()
    models = {name: registry_models.ensure(name) for name in ("gemma3-270m", "qwen2.5-coder-1.5b")}
    threads_list = sorted({1, hw.cpu.physical_cores or 1})
    rows = []
    for threads in threads_list:
        before = kernel_bandwidth(threads, hw.memory.available_bytes)
        decoded = {n: decode_rates(p, threads, args.tokens, args.reps) for n, p in models.items()}
        after = kernel_bandwidth(threads, hw.memory.available_bytes)
        for name, rates in decoded.items():
            rows.append(_row(name, threads, rates, weight_bytes(models[name]), before + after))
    _report(rows, hw, args.out)


def _row(name: str, threads: int, rates: list[float], weights, kernel_samples: list[float]):
    tok_s = statistics.median(rates)
    kernel = statistics.median(kernel_samples)
    achieved = tok_s * weights.decode_bytes_per_token
    return {
        "model": name,
        "threads": threads,
        "decode_tok_s": tok_s,
        "decode_tok_s_samples": rates,
        "decode_bytes_per_token": weights.decode_bytes_per_token,
        "achieved_bytes_per_s": achieved,
        "kernel_bytes_per_s": kernel,
        "kernel_samples": kernel_samples,
        "ratio": achieved / kernel,
    }


def _spread(samples: list[float]) -> float:
    return (max(samples) - min(samples)) / statistics.median(samples)


def _report(rows: list[dict], hw, out_dir: Path) -> None:
    print("medians; ± is (max-min)/median over repetitions")
    header = ("model", "thr", "decode tok/s", "MB/token", "achieved GB/s", "kernel GB/s", "ratio")
    print("{:<20} {:>3} {:>13} {:>9} {:>14} {:>13} {:>6}".format(*header))
    for r in rows:
        decode = f"{r['decode_tok_s']:.1f} ±{_spread(r['decode_tok_s_samples']):.0%}"
        kernel = f"{r['kernel_bytes_per_s'] / 1e9:.2f} ±{_spread(r['kernel_samples']):.0%}"
        mb = r["decode_bytes_per_token"] / 1e6
        achieved = r["achieved_bytes_per_s"] / 1e9
        print(
            f"{r['model']:<20} {r['threads']:>3} {decode:>13} {mb:>9.1f} "
            f"{achieved:>14.2f} {kernel:>13} {r['ratio']:>6.2f}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"decode_vs_bandwidth-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"cpu": hw.cpu.brand, "rows": rows}, indent=2))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
