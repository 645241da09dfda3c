"""Tables for ``sizer profile list`` and ``show``."""

from __future__ import annotations

from typing import Any

from sizer.profiles.corpus import Corpus
from sizer.profiles.format import machine_label, model_name


def corpus_rows(corpus: Corpus) -> list[dict[str, Any]]:
    rows = []
    for path, profile in corpus.profiles:
        models = sorted({model_name(r["model"]) for r in profile["runs"] + profile["task_scores"]})
        rows.append(
            {
                "path": str(path),
                "machine": machine_label(profile),
                "provenance": profile["provenance"]["kind"],
                "source": profile["provenance"]["source"],
                "models": models,
                "runs": len(profile["runs"]),
                "task_scores": len(profile["task_scores"]),
            }
        )
    return rows


def render_list(rows: list[dict[str, Any]], corpus: Corpus) -> str:
    if not rows and not corpus.rejected:
        return "no profiles (add some to profiles/ or import with 'sizer profile import')"
    lines = [f"{'machine':<44} {'kind':<9} {'runs':>5} {'tasks':>5}  models / source"]
    for row in rows:
        lines.append(
            f"{row['machine'][:44]:<44} {row['provenance']:<9} {row['runs']:>5} "
            f"{row['task_scores']:>5}  {', '.join(row['models'])[:70]}"
        )
        lines.append(f"{'':<67}{row['source'][:90]}")
    machines = len({r["machine"] for r in rows})
    lines.append(f"{len(rows)} profile(s), {machines} distinct machine(s)")
    for rejected in corpus.rejected:
        lines.append(f"skipped (invalid): {rejected.problems[0]}")
    return "\n".join(lines)


def render_show(profile: dict[str, Any], problems: list[str]) -> str:
    prov = profile["provenance"]
    lines = [
        profile["title"],
        f"machine:  {machine_label(profile)}",
        f"source:   {prov['kind']} by {prov['tool']} — {prov['source']}",
        "software: "
        + ", ".join(
            f"{k} {v}" for k, v in profile["software"].items() if k != "llama_cpp_system_info"
        ),
        "",
        f"{'model':<44} {'backend':<16} {'thr':>3} {'depth':>5} {'prefill t/s':>12} "
        f"{'decode t/s':>11} {'peak GiB':>8}",
    ]
    for run in profile["runs"]:
        lines.append(_run_line(run))
    if profile["task_scores"]:
        lines += ["", f"{'model':<44} {'task':<22} {'n':>4}  scores"]
    for task in profile["task_scores"]:
        scores = ", ".join(
            f"{k} {v:.3f}"
            for k, v in task["scores"].items()
            if k != "n" and isinstance(v, int | float)
        )
        suite = task["suite"]
        name = suite["id"] + (f" [{suite['variant']}]" if suite.get("variant") else "")
        lines.append(
            f"{model_name(task['model'])[:44]:<44} {name[:22]:<22} "
            f"{suite['n']:>4}  {scores or '(see the JSON)'}"
        )
    lines += [f"problem: {p}" for p in problems]
    return "\n".join(lines)


def _run_line(run: dict[str, Any]) -> str:
    metrics, config = run["metrics"], run["config"]
    backend = f"{run['backend']['name']} {run['backend'].get('device') or ''}".strip()

    def median(name: str) -> str:
        stats = metrics.get(name) or {}
        if stats.get("median") is None:
            return "-"
        spread = f" ±{stats['cv']:.0%}" if stats.get("cv") is not None else ""
        return f"{stats['median']:.1f}{spread}"

    peak = run.get("peak_rss_bytes")
    return (
        f"{model_name(run['model'])[:44]:<44} {backend[:16]:<16} {config['threads']:>3} "
        f"{config.get('depth', 0):>5} {median('prefill_tok_s'):>12} "
        f"{median('decode_tok_s'):>11} {peak / (1 << 30) if peak else 0:>8.2f}"
    )
