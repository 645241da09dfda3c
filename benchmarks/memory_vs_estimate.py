"""Predicted vs measured memory: the estimator against the peak RSS of a real llama.cpp run.

For each model (the two real ones, and shape-only Llama 3.2 3B and Llama 3.1 8B written by
``sizer models synth``) and each context (2k, 8k, 16k): a child process loads the model
with llama-cpp-python at that context, fills the context with prompt batches (up to
--fill-cap tokens: an 8B model prefills at about 8 tok/s on 2 cores here), and reports its
peak RSS. The estimate is computed for the same fill. Prints the table and the errors.

Usage: .venv/bin/python benchmarks/memory_vs_estimate.py [--ctx 2048,8192,16384]
       [--fill-cap 2048] [--models gemma3-270m,qwen2.5-coder-1.5b,llama3.2-3b,llama3.1-8b]
       .venv/bin/python benchmarks/memory_vs_estimate.py --rescore results/memory_vs_estimate-*.json
(--rescore: the same table for measurements saved earlier, predicted by the current estimator.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _models import model_path

from sizer.estimate import estimate_memory
from sizer.models.resolve import resolve
from sizer.probe import probe

RESULTS = Path(__file__).resolve().parent.parent / "results"
DEFAULT_MODELS = ("gemma3-270m", "qwen2.5-coder-1.5b", "llama3.2-3b", "llama3.1-8b")
WORKER = """
import json, resource, sys, llama_cpp
path, n_ctx, fill = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
llm = llama_cpp.Llama(path, n_ctx=n_ctx, n_batch=512, n_ubatch=512, verbose=False)
vocab = llm.n_vocab()
tokens = [(17 + 31 * i) % (vocab - 300) + 259 for i in range(fill)]
for start in range(0, fill, 512):
    llm.eval(tokens[start:start + 512])
llama_cpp.llama_synchronize(llm._ctx.ctx)
print(json.dumps({"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def measure(path: Path, n_ctx: int, fill: int) -> int:
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(path), str(n_ctx), str(fill)],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["peak_rss_bytes"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ctx", default="2048,8192,16384")
    parser.add_argument("--fill-cap", type=int, default=2048)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--rescore", type=Path, nargs="*", help="saved result files to re-predict")
    args = parser.parse_args()
    hw = probe()
    print(
        f"{'model':<22} {'ctx':>6} {'fill':>6} {'predicted':>10} {'measured':>10} {'error':>7}  s"
    )
    if args.rescore:
        saved = [row for file in args.rescore for row in json.loads(file.read_text())["rows"]]
        _summary([_row(r["model"], r["n_ctx"], r["fill"], r["measured_bytes"], hw) for r in saved])
        return
    rows = []
    for name in args.models.split(","):
        for n_ctx in (int(c) for c in args.ctx.split(",")):
            fill = min(n_ctx, args.fill_cap)
            start = time.perf_counter()
            measured = measure(model_path(name), n_ctx, fill)
            rows.append(_row(name, n_ctx, fill, measured, hw, time.perf_counter() - start))
    _summary(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"memory_vs_estimate-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"cpu": hw.cpu.brand, "rows": rows}, indent=2))
    print(f"written {out}")


def _row(name: str, n_ctx: int, fill: int, measured: int, hw, seconds: float = 0.0) -> dict:
    """Predict one case with the current estimator, print its line, return its record."""
    model = resolve(str(model_path(name)))
    estimate = estimate_memory(
        model.memory, n_ctx, isa=hw.cpu.isa, cpu_arch=hw.cpu.arch, filled=fill
    )
    predicted = estimate.total_bytes
    error = (predicted - measured) / measured
    print(
        f"{name:<22} {n_ctx:>6} {fill:>6} {predicted / 2**30:>9.2f}G "
        f"{measured / 2**30:>9.2f}G {error:>+7.1%}  {seconds:.0f}",
        flush=True,
    )
    return {
        "model": name,
        "n_ctx": n_ctx,
        "fill": fill,
        "predicted_bytes": predicted,
        "measured_bytes": measured,
        "error": error,
    }


def _summary(rows: list[dict]) -> None:
    errors = [abs(r["error"]) for r in rows]
    print(
        f"\n|error| median {statistics.median(errors):.1%}, max {max(errors):.1%} "
        f"over {len(rows)} cases (targets: median <= 5 %, every case <= 10 %)"
    )


if __name__ == "__main__":
    main()
