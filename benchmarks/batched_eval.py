"""Batched task evaluation vs one item at a time: the same suites, answers and scores compared.

Two modes:

- ``run MODEL [--full] [--task-file F] [--sequential FILE]``: runs ``sizer bench MODEL --tasks
  all --quick`` (or the full suites, or a task file) twice as whole processes under
  ``/usr/bin/time -v`` — ``--parallel 1`` (every item alone, as sizer ran them before
  batching) and ``--parallel auto`` — and compares them; ``--sequential FILE`` reuses an
  earlier ``--parallel 1`` results file instead of running it again. Results, logs and the
  comparison go to ``results/batched-<time>/``.
- ``compare SEQUENTIAL.jsonl BATCHED.jsonl``: the comparison alone.
- ``sweep MODEL [--most N]``: aggregate decode tok/s at batch widths 1, 2, 4, … N (the
  figures behind ``sizer.tasks.run.MAX_PARALLEL``), three times over.

Per pass it prints the wall time of both and the ratio, the headline score of both and the
difference in items, how many items got the identical answer (text), and the single-user
decode speed each reports (the batched run's comes from its items run alone); then the whole
processes' elapsed time and peak RSS beside the memory estimate for the batch width.

MODEL: a GGUF path or a registry model (gemma3-270m, qwen2.5-coder-1.5b).

Usage: .venv/bin/python benchmarks/batched_eval.py run MODEL [--full | --task-file F]
       .venv/bin/python benchmarks/batched_eval.py compare SEQUENTIAL.jsonl BATCHED.jsonl
       .venv/bin/python benchmarks/batched_eval.py sweep MODEL [--most 64]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _models import model_path

from sizer.bench import results

# The score each task's row compares, and how one item counts towards it
HEADLINE = {
    "classification": "accuracy",
    "extraction": "field_f1",
    "summarization": "fact_coverage",
    "completion": "pass_at_1",
}


def passes(path: Path) -> dict[tuple[str, str | None], dict[str, Any]]:
    """The newest finished record of each pass in a results file."""
    out = {}
    for rec in results.load(path):
        if rec.get("kind") == "tasks" and rec.get("status") in ("ok", "partial"):
            out[(rec["suite"]["id"], rec["suite"].get("variant"))] = rec
    return out


def compare(seq: dict[str, Any], bat: dict[str, Any]) -> dict[str, Any]:
    """One pass both ways: time, identical answers, headline score and latency."""
    a = {i["uid"]: i for i in seq["items"]}
    b = {i["uid"]: i for i in bat["items"]}
    shared = sorted(a.keys() & b.keys())
    same = sum(1 for uid in shared if a[uid].get("reply") == b[uid].get("reply"))
    metric = HEADLINE.get(seq["suite"]["task"])
    score = (
        ((seq.get("scores") or {}).get(metric), (bat.get("scores") or {}).get(metric))
        if metric
        else (None, None)
    )
    return {
        "pass": seq["suite"]["id"]
        + (f" ({seq['suite']['variant']})" if seq["suite"].get("variant") else ""),
        "items": len(shared),
        "identical": same,
        "metric": metric,
        "score_sequential": score[0],
        "score_batched": score[1],
        "score_diff_items": _items_apart(score, len(shared)),
        "wall_sequential_s": seq.get("wall_s"),
        "wall_batched_s": bat.get("wall_s"),
        "width": (bat.get("batching") or {}).get("width"),
        "decode_tok_s_sequential": (seq.get("latency") or {}).get("decode_tok_s"),
        "decode_tok_s_alone": (bat.get("latency") or {}).get("decode_tok_s"),
        "ttft_p50_sequential": ((seq.get("latency") or {}).get("ttft_s") or {}).get("p50"),
        "ttft_p50_alone": ((bat.get("latency") or {}).get("ttft_s") or {}).get("p50"),
    }


def compare_all(seq: dict[tuple, dict[str, Any]], bat: dict[tuple, dict[str, Any]]) -> list[dict]:
    """``compare`` for every pass both files have, in the sequential file's order."""
    return [compare(seq[key], bat[key]) for key in seq if key in bat]


def _items_apart(score: tuple[Any, Any], n: int) -> float | None:
    """A score difference in items: accuracy 0.6 vs 0.5 on 10 items is one item."""
    if score[0] is None or score[1] is None:
        return None
    return round((score[1] - score[0]) * n, 2)


def print_comparison(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'pass':<22} {'items':>5} {'identical':>9}  {'score seq/batched (items apart)':<34}"
        f" {'wall seq/batched s':>20} {'ratio':>6}  {'decode tok/s seq/alone':>22}"
    )
    for r in rows:
        ratio = (r["wall_sequential_s"] or 0) / (r["wall_batched_s"] or float("inf"))
        score = (
            f"{r['metric']} {r['score_sequential']:.2f}/{r['score_batched']:.2f} "
            f"({r['score_diff_items']:+g})"
            if r["score_diff_items"] is not None
            else "—"
        )
        decode = f"{_num(r['decode_tok_s_sequential'])}/{_num(r['decode_tok_s_alone'])}"
        share = r["identical"] / max(r["items"], 1)
        print(
            f"{r['pass']:<22} {r['items']:>5} {r['identical']:>4} ({share:>3.0%})"
            f"  {score:<34} {r['wall_sequential_s']:>9.0f}/{r['wall_batched_s']:<9.0f}"
            f" {ratio:>6.2f}x  {decode:>22}"
        )
    items = sum(r["items"] for r in rows)
    same = sum(r["identical"] for r in rows)
    seq_s = sum(r["wall_sequential_s"] or 0 for r in rows)
    bat_s = sum(r["wall_batched_s"] or 0 for r in rows)
    decode = [
        r["decode_tok_s_alone"] / r["decode_tok_s_sequential"] - 1
        for r in rows
        if r["decode_tok_s_alone"] and r["decode_tok_s_sequential"]
    ]
    print(
        f"\nall passes: {same}/{items} identical answers ({same / max(items, 1):.0%}); "
        f"wall {seq_s:.0f} s one at a time vs {bat_s:.0f} s batched "
        f"({seq_s / max(bat_s, 1e-9):.2f}x)"
    )
    if decode:
        print(
            f"single-user decode of the items run alone vs the sequential run: median "
            f"{statistics.median(decode):+.0%} (range {min(decode):+.0%} … {max(decode):+.0%})"
        )


def timed_bench(args: list[str], log: Path) -> dict[str, float]:
    """``sizer bench ARGS`` as a whole process under /usr/bin/time -v: elapsed s, peak RSS."""
    command = [sys.executable, "-m", "sizer", "bench", *args]
    if Path("/usr/bin/time").exists():
        command = ["/usr/bin/time", "-v", *command]
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"sizer bench failed (exit {done.returncode}); see {log}")
    text = log.read_text()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return {
        "elapsed_s": time.monotonic() - started,
        "peak_rss_bytes": int(rss.group(1)) * 1024 if rss else None,
    }


def estimate_bytes(model: str, n_ctx: int, width: int) -> int:
    """sizer's memory estimate for ``width`` KV streams of ``n_ctx`` tokens (the batch)."""
    from sizer.bench import plan
    from sizer.models.resolve import resolve
    from sizer.probe import probe

    return plan.memory_estimate(resolve(model), n_ctx * width, "f16", probe()).total_bytes


def run(args: argparse.Namespace) -> None:
    folder = Path("results") / f"batched-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True)
    args.model = str(model_path(args.model))
    what = ["--task-file", str(args.task_file)] if args.task_file else ["--tasks", "all"]
    what += [] if args.full or args.task_file else ["--quick"]
    processes = {}
    sequential = args.sequential
    if sequential is None:
        sequential = folder / "sequential.jsonl"
        processes["one at a time"] = timed_bench(
            [args.model, *what, "--parallel", "1", "--out", str(sequential)],
            folder / "sequential.log",
        )
    batched = folder / "batched.jsonl"
    processes["batched"] = timed_bench(
        [args.model, *what, "--parallel", "auto", "--out", str(batched)], folder / "batched.log"
    )
    batched_passes = passes(batched)
    rows = compare_all(passes(sequential), batched_passes)
    print_comparison(rows)
    width = max((r["width"] or 1 for r in rows), default=1)
    n_ctx = next(iter(batched_passes.values()))["config"]["n_ctx"]
    estimate = estimate_bytes(args.model, n_ctx, width)
    print(f"\nwhole processes (/usr/bin/time -v), batch width {width}:")
    for name, figures in processes.items():
        rss = figures["peak_rss_bytes"]
        print(
            f"  {name:<14} {figures['elapsed_s'] / 60:6.1f} min, peak RSS "
            f"{rss / 2**30 if rss else float('nan'):.2f} GiB (estimate at width {width}: "
            f"{estimate / 2**30:.2f} GiB)"
        )
    summary = {"passes": rows, "processes": processes, "estimate_bytes": estimate}
    (folder / "comparison.json").write_text(json.dumps(summary, indent=2))
    print(f"wrote {folder}")


def sweep(model: str, most: int) -> None:
    """Decode tok/s by batch width, in one process, three rounds (the machine is shared)."""
    import llama_cpp

    from sizer.tasks.batch import multi_sequence_context, sweep_widths

    llm = llama_cpp.Llama(model, n_ctx=512, n_batch=512, n_threads=_threads(), verbose=False)
    ctx = multi_sequence_context(llm, 64, most)
    rounds = [sweep_widths(llm, ctx, most) for _ in range(3)]
    print(f"{'width':>5} {'decode tok/s, median of 3':>26} {'vs alone':>9}")
    alone = statistics.median(r[1] for r in rounds)
    for width in rounds[0]:
        rate = statistics.median(r[width] for r in rounds)
        print(f"{width:>5} {rate:>26.1f} {rate / alone:>8.2f}x")


def _threads() -> int:
    from sizer.bench import plan
    from sizer.probe import probe

    return plan.thread_counts(probe(), "auto")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    both = verbs.add_parser("run", help="run both ways and compare")
    both.add_argument("model")
    both.add_argument("--full", action="store_true", help="the full suites, not --quick")
    both.add_argument("--task-file", type=Path)
    both.add_argument("--sequential", type=Path, help="reuse this --parallel 1 results file")
    widths = verbs.add_parser("sweep", help="decode throughput by batch width")
    widths.add_argument("model")
    widths.add_argument("--most", type=int, default=64)
    two = verbs.add_parser("compare", help="compare two results files")
    two.add_argument("sequential", type=Path)
    two.add_argument("batched", type=Path)
    two.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.verb == "run":
        run(args)
        return
    if args.verb == "sweep":
        sweep(str(model_path(args.model)), args.most)
        return
    rows = compare_all(passes(args.sequential), passes(args.batched))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_comparison(rows)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    main()
