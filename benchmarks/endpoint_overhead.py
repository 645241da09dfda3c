"""The cost of the server path: the same GGUF measured in-process (``sizer bench FILE``, a
llama.cpp worker) and through llama-cpp-python's OpenAI-compatible server on 127.0.0.1
(``sizer bench --endpoint``), same prompt and generation lengths, same threads, greedy.
The server runs twice: with its defaults, and with ``--logits_all False`` (its default
``logits_all=True`` computes the output layer for every prompt token: measured here, that
halves Gemma's prefill, whose vocabulary is 262k). Alternates the paths ``--rounds`` times
(the machine is shared and noisy) and prints each path's medians and its ratio to
in-process.

Usage: .venv/bin/python benchmarks/endpoint_overhead.py [--models gemma3-270m,qwen2.5-coder-1.5b]
       [--prompt-tokens 256] [--gen-tokens 64] [--reps 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from llama_server import llama_server

from sizer.models import registry_models

METRICS = ("ttft_s", "prefill_tok_s", "decode_tok_s")
SERVERS = {"server": [], "server-nologits": ["--logits_all", "False"]}


def bench(args: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.jsonl"
        subprocess.run(
            [sys.executable, "-m", "sizer", "bench", *args, "--out", str(out), "--json"],
            check=True,
            capture_output=True,
        )
        [rec] = [json.loads(line) for line in out.read_text().splitlines()]
    if rec["status"] not in ("ok", "partial"):
        raise SystemExit(f"run failed: {rec.get('error')}")
    m = rec["metrics"]
    row = {k: m[k]["median"] for k in METRICS}
    row["itl_p50_ms"] = m["itl_s"]["p50"] * 1000
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="gemma3-270m,qwen2.5-coder-1.5b")
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--gen-tokens", type=int, default=64)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    common = [
        "--prompt-tokens",
        str(args.prompt_tokens),
        "--gen-tokens",
        str(args.gen_tokens),
        "--reps",
        str(args.reps),
    ]
    summary = {}
    for name in args.models.split(","):
        path = registry_models.ensure(name)
        rows: dict[str, list[dict]] = {"in-process": [], **{s: [] for s in SERVERS}}
        for _ in range(args.rounds):
            rows["in-process"].append(bench([str(path), "--threads", str(args.threads), *common]))
            for label, extra in SERVERS.items():
                with llama_server(path, alias=name, threads=args.threads, extra=extra) as url:
                    rows[label].append(bench(["--endpoint", url, "--model", name, *common]))
        medians = {
            path_: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
            for path_, rs in rows.items()
        }
        base = medians["in-process"]
        ratios = {label: {k: medians[label][k] / base[k] for k in base} for label in SERVERS}
        summary[name] = {"rounds": rows, "medians": medians, "over_in_process": ratios}
        print(
            f"\n{name}: p{args.prompt_tokens} g{args.gen_tokens}, {args.threads} threads, "
            f"{args.rounds} rounds x {args.reps} reps (medians)"
        )
        print(f"{'':16}{'TTFT s':>10}{'prefill tok/s':>15}{'decode tok/s':>14}{'ITL p50 ms':>12}")
        for path_, m in medians.items():
            print(
                f"{path_:16}{m['ttft_s']:>10.3f}{m['prefill_tok_s']:>15.1f}"
                f"{m['decode_tok_s']:>14.1f}{m['itl_p50_ms']:>12.1f}"
            )
        for label, r in ratios.items():
            print(
                f"{'ratio':16}{r['ttft_s']:>10.2f}{r['prefill_tok_s']:>15.2f}"
                f"{r['decode_tok_s']:>14.2f}{r['itl_p50_ms']:>12.2f}"
                f"   ({label} / in-process)"
            )
    out = Path("results") / f"endpoint_overhead-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(summary, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
