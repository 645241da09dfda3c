"""Is sizer's harness as fast as llama.cpp itself? Fidelity against two references.

For each model, in one session on this machine and with the same threads, alternating
--rounds times and closing with one more reference run (A B A B A B A), because the machine
is shared and its speed drifts:
  A. llama-bench (built from the installed llama-cpp-python's own sources, same llama.cpp):
     pp<prompt> at depth 0 and tg<gen> at depth <prompt> (the KV state sizer's decode sees);
  B. ``sizer bench`` (its real worker process), recording sizer's own prefill and decode
     tok/s and llama.cpp's internal perf counters for the same repetitions.
sizer / llama-bench compares the medians of all pooled repetitions; sizer / internal is the
median over rounds of the ratio within each sizer run (same repetitions, so noise cancels).
Targets: sizer / llama.cpp internal >= 0.97, sizer / llama-bench >= 0.95.

Usage: .venv/bin/python benchmarks/fidelity.py [--models gemma3-270m,qwen2.5-coder-1.5b,llama3.2-3b]
       [--threads N] [--prompt 512] [--gen 128] [--reps 3] [--rounds 3]
(--models takes registry names, catalog ids for shape-only files, or GGUF paths.)
Writes results/fidelity-<time>.json and the sizer run records to results/fidelity-runs.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from _models import model_path

from sizer.backends.config import Measurement
from sizer.bench import BenchRequest, llama_bench, run_bench
from sizer.bench.plan import auto_threads
from sizer.bench.stats import cv
from sizer.probe import probe

RESULTS = Path(__file__).resolve().parent.parent / "results"
DEFAULT_MODELS = "gemma3-270m,qwen2.5-coder-1.5b,llama3.2-3b"


def reference(binary: Path, model: Path, threads: int, args: argparse.Namespace) -> dict:
    """llama-bench's samples (tok/s) for prefill at depth 0 and decode at depth = prompt."""
    common = [
        "-m",
        str(model),
        "-t",
        str(threads),
        "-r",
        str(args.reps),
        "-fa",
        "0",
        "-b",
        "512",
        "-ub",
        "512",
    ]
    pp = llama_bench.run(binary, [*common, "-p", str(args.prompt), "-n", "0", "-d", "0"])
    tg = llama_bench.run(binary, [*common, "-p", "0", "-n", str(args.gen), "-d", str(args.prompt)])
    return {"prefill": pp[0]["samples_ts"], "decode": tg[0]["samples_ts"]}


def sizer_run(model: Path, threads: int, args: argparse.Namespace, hw) -> dict:
    """sizer's samples (tok/s) and its ratio to llama.cpp's internal timing of the same reps."""
    measurement = Measurement(
        prompt_tokens=args.prompt, gen_tokens=args.gen + 1, max_reps=args.reps, min_reps=args.reps
    )
    request = BenchRequest(
        [str(model)],
        RESULTS / "fidelity-runs.jsonl",
        threads=str(threads),
        measurement=measurement,
        force=True,
    )
    (record,) = run_bench(request, hw)
    if record["status"] != "ok":
        raise SystemExit(f"sizer bench failed on {model}: {record['error']}")
    m, internal = record["metrics"], record["internal"]
    return {
        "prefill": record["samples"]["prefill_tok_s"],
        "decode": record["samples"]["decode_tok_s"],
        "prefill_vs_internal": m["prefill_tok_s"]["median"] / internal["prefill_tok_s"]["median"],
        "decode_vs_internal": m["decode_tok_s"]["median"] / internal["decode_tok_s"]["median"],
    }


def compare(name: str, binary: Path, threads: int, args: argparse.Namespace, hw) -> dict:
    path = model_path(name)
    refs, ours = [], []
    for round_ in range(args.rounds):
        print(f"{name}: round {round_ + 1}/{args.rounds}", file=sys.stderr, flush=True)
        refs.append(reference(binary, path, threads, args))
        ours.append(sizer_run(path, threads, args, hw))
    refs.append(reference(binary, path, threads, args))
    row = {"model": name, "threads": threads, "llama_bench": refs, "sizer": ours}
    for phase in ("prefill", "decode"):
        mine = [x for run in ours for x in run[phase]]
        theirs = [x for run in refs for x in run[phase]]
        row[phase] = {
            "sizer_tok_s": statistics.median(mine),
            "sizer_cv": cv(mine),
            "llama_bench_tok_s": statistics.median(theirs),
            "llama_bench_cv": cv(theirs),
            "vs_llama_bench": statistics.median(mine) / statistics.median(theirs),
            "vs_internal": statistics.median(run[f"{phase}_vs_internal"] for run in ours),
        }
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=DEFAULT_MODELS)
    parser.add_argument("--threads", type=int, default=None, help="default: sizer's auto")
    parser.add_argument("--prompt", type=int, default=512)
    parser.add_argument("--gen", type=int, default=128)
    parser.add_argument("--reps", type=int, default=3, help="repetitions per run")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two tools")
    args = parser.parse_args()
    hw = probe()
    threads = args.threads or auto_threads(hw)
    binary = llama_bench.ensure_built()
    rows = [compare(name, binary, threads, args, hw) for name in args.models.split(",")]
    _report(rows, args)


def _report(rows: list[dict], args: argparse.Namespace) -> None:
    print(
        f"\npp{args.prompt} at depth 0, tg{args.gen} at depth {args.prompt}; tok/s medians of "
        f"pooled repetitions (± CV); {args.rounds} sizer runs, {args.rounds + 1} llama-bench"
    )
    head = ("model", "thr", "phase", "sizer", "llama-bench", "/internal", "/llama-bench")
    print("{:<20} {:>3} {:<8} {:>14} {:>14} {:>10} {:>13}".format(*head))
    for r in rows:
        for phase in ("prefill", "decode"):
            p = r[phase]
            mine = f"{p['sizer_tok_s']:.2f} ±{p['sizer_cv']:.0%}"
            theirs = f"{p['llama_bench_tok_s']:.2f} ±{p['llama_bench_cv']:.0%}"
            print(
                f"{r['model']:<20} {r['threads']:>3} {phase:<8} {mine:>14} {theirs:>14} "
                f"{p['vs_internal']:>10.3f} {p['vs_llama_bench']:>13.3f}"
            )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"fidelity-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
