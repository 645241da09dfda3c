"""Leave one machine out: how well does the profile corpus predict a machine it has not seen?

For every machine in the corpus (default: profiles/), each of its llama.cpp CPU runs is
predicted twice from that machine's hardware record alone:
- ``without``: the prior (kernel measurements x fitted efficiencies where the profile has
  them, else documented per-core defaults) — what sizer knew before profiles;
- ``with``: the same prior corrected by the rest of the corpus (that machine's own profiles
  removed): the median correction of similar machines (``sizer.speed.corpus``).
Errors are |predicted / measured - 1| for decode and prefill tok/s. A third column,
``same``, shows what a profile of the *same* hardware gives (the "measured" tier): each run
predicted from that machine's other runs (other models, thread counts or tests), where it
has any.

Usage: .venv/bin/python benchmarks/profile_loo.py [PROFILES_DIR...] [--out DIR]
Writes DIR/profile_loo-<time>.json (default DIR: results/) and prints the table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from sizer.profiles.corpus import load_corpus
from sizer.speed.corpus import corpus_runs, corrected, correction, prior_for
from sizer.speed.model import predict


def errors(run, params) -> tuple[float | None, float | None]:
    p = predict(run.shape, params, depth=run.depth, prompt=run.prompt)
    decode = abs(p.decode_tok_s / run.decode_tok_s - 1) if run.decode_tok_s else None
    prefill = abs(p.prefill_tok_s / run.prefill_tok_s - 1) if run.prefill_tok_s else None
    return decode, prefill


def leave_one_out(corpus) -> list[dict]:
    rows = []
    runs = corpus_runs(corpus)
    for machine, label in sorted(corpus.machines().items(), key=lambda kv: kv[1]):
        mine = [r for r in runs if r.machine == machine]
        others = [r for r in runs if r.machine != machine]
        if not mine:
            continue
        fix = correction(mine[0].hardware, others)
        row = {"machine": label, "runs": len(mine), "basis": fix.basis if fix else "none"}
        for tier in ("without", "with", "same"):
            found = []
            for run in mine:
                if tier == "same":
                    own = correction(run.hardware, [r for r in mine if r is not run])
                    prior = prior_for(run.hardware, run.threads, own.core_rates if own else None)
                    decode, prefill = errors(run, corrected(prior, own)) if own else (None, None)
                    found.append(
                        (
                            decode if own and own.decode else None,
                            prefill if own and own.prefill else None,
                        )
                    )
                    continue
                learnt = fix.core_rates if (tier == "with" and fix) else None
                prior = prior_for(run.hardware, run.threads, learnt)
                params = corrected(prior, fix) if (tier == "with" and fix) else prior
                found.append(errors(run, params))
            for i, metric in enumerate(("decode", "prefill")):
                values = [f[i] for f in found if f[i] is not None]
                row[f"{metric}_{tier}"] = statistics.median(values) if values else None
        rows.append(row)
    return rows


def summary(rows: list[dict]) -> dict:
    out = {}
    for key in (
        "decode_without",
        "decode_with",
        "decode_same",
        "prefill_without",
        "prefill_with",
        "prefill_same",
    ):
        values = [r[key] for r in rows if r[key] is not None]
        if not values:
            continue
        out[key] = {
            "median": statistics.median(values),
            "worst": max(values),
            "machines": len(values),
        }
    return out


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", type=Path, default=[Path("profiles")])
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    corpus = load_corpus(args.dirs)
    for rejected in corpus.rejected:
        print(f"skipped: {rejected.problems[0]}")
    rows = leave_one_out(corpus)
    print(
        f"{'machine (left out)':<44} {'runs':>4}  {'decode error':^23}  {'prefill error':^23}  "
        "corrected by"
    )
    print(
        f"{'':<44} {'':>4}  {'without':>7} {'with':>7} {'same':>7}  {'without':>7} {'with':>7} "
        f"{'same':>7}"
    )
    for r in rows:
        cells = "  ".join(
            " ".join(f"{pct(r[f'{m}_{t}']):>7}" for t in ("without", "with", "same"))
            for m in ("decode", "prefill")
        )
        print(f"{r['machine'][:44]:<44} {r['runs']:>4}  {cells}  {r['basis']}")
    totals = summary(rows)
    for metric in ("decode", "prefill"):
        a, b = totals[f"{metric}_without"], totals[f"{metric}_with"]
        same = totals.get(f"{metric}_same")
        tail = (
            (
                f"; same hardware (other runs): median {same['median']:.0%}, worst "
                f"{same['worst']:.0%} over {same['machines']}"
            )
            if same
            else ""
        )
        print(
            f"{metric}: without -> with corpus: median error {a['median']:.0%} -> "
            f"{b['median']:.0%}, worst {a['worst']:.0%} -> {b['worst']:.0%} over "
            f"{a['machines']} machines{tail}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"profile_loo-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"rows": rows, "summary": totals}, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
