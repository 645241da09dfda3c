"""``sizer recommend``: which model, quant and backend this machine should run for a job."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

VERIFY_FILE = "recommend-verify.jsonl"  # in sizer.paths.results_dir()


def recommend_command(
    task: Annotated[
        str | None,
        typer.Option(help="chat, summarization, extraction, classification or completion."),
    ] = None,
    ctx: Annotated[int | None, typer.Option(help="Typical context length (tokens).")] = None,
    prompt_tokens: Annotated[
        int | None, typer.Option(help="Typical prompt length (tokens) for TTFT.")
    ] = None,
    min_tps: Annotated[
        float | None, typer.Option(help="Decode floor, tok/s (default: reading speed, 8).")
    ] = None,
    max_ttft: Annotated[float | None, typer.Option(help="Longest acceptable TTFT (s).")] = None,
    headroom: Annotated[
        float | None,
        typer.Option(help="GiB left for other programs (default: 1/4 of RAM, 2-8 GiB)."),
    ] = None,
    min_quality: Annotated[
        float | None,
        typer.Option(help="Minimum quality, 0-1, in the task's main metric (default 0.2)."),
    ] = None,
    prefer: Annotated[str | None, typer.Option(help="balanced, quality or speed.")] = None,
    backend: Annotated[str | None, typer.Option(help="any, llama.cpp or openvino.")] = None,
    workload: Annotated[
        Path | None, typer.Option(help="A workload file (JSON or TOML) with the keys above.")
    ] = None,
    hardware: Annotated[
        Path | None, typer.Option(help="Rank for another machine: its 'sizer probe --json'.")
    ] = None,
    results: Annotated[
        list[Path] | None,
        typer.Option(
            help="Result files or folders with measured runs and task scores "
            "(default: $SIZER_RESULTS, else $SIZER_HOME/results). Profiles come from profiles/ "
            "and $SIZER_HOME/profiles."
        ),
    ] = None,
    path: Annotated[
        list[Path] | None, typer.Option(help="More GGUF files or folders to consider.")
    ] = None,
    verify: Annotated[
        bool, typer.Option(help="Benchmark the top pick now (its file, else a shape-only one).")
    ] = False,
    recalibrate: Annotated[bool, typer.Option(help="Measure this machine again.")] = False,
    top: Annotated[int, typer.Option(min=1, help="Rows in the table.")] = 10,
    every_variant: Annotated[
        bool, typer.Option("--all", help="Every quant and backend, not the best per model.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Rank every catalog model and local GGUF x quant x backend by fit, speed and quality."""
    from sizer.errors import HardwareError
    from sizer.recommend.workload import Workload, load_workload, merge

    if verify and hardware is not None:  # before any probing: nothing here can be verified
        raise HardwareError("--verify measures this machine; it cannot run with --hardware")
    started = time.perf_counter()
    base = load_workload(workload) if workload else Workload()
    w = merge(
        base,
        {
            "task": task,
            "ctx": ctx,
            "prompt_tokens": prompt_tokens,
            "min_tps": min_tps,
            "max_ttft": max_ttft,
            "headroom_gb": headroom,
            "min_quality": min_quality,
            "prefer": prefer,
            "backend": backend,
        },
    )
    answer = _recommend(w, hardware, results, path, recalibrate)
    elapsed = time.perf_counter() - started
    verified = _verify(answer, as_json) if verify else None
    if as_json:
        typer.echo(json.dumps(answer.to_dict(elapsed, verified), indent=2))
    else:
        from sizer.cli.render_recommend import render_ranking

        typer.echo(
            render_ranking(
                answer.ranking,
                answer.speed_params,
                answer.total_ram_bytes,
                hardware,
                elapsed,
                top,
                verified,
                every_variant,
                answer.pick_error,
            )
        )


def _recommend(w, hardware: Path | None, results, paths, recalibrate: bool):
    from sizer.api import recommend

    def say(message: str) -> None:
        # On stderr even with --json: a first calibration takes 10-30 s and says so,
        # and stdout stays clean JSON.
        typer.echo(f"calibrating: {message}", err=True)

    return recommend(
        w, hardware, results=results, paths=paths, recalibrate=recalibrate, progress=say
    )


def _verify(answer, quiet: bool):
    from sizer.errors import HardwareError
    from sizer.paths import results_dir
    from sizer.recommend.verify import verify_top

    top = answer.ranking.top
    if top is None:
        raise HardwareError(
            "--verify: nothing passes the workload's floors, so there is no top pick to benchmark"
        )
    progress = None if quiet else (lambda message: typer.echo(message, err=True))
    out = results_dir() / VERIFY_FILE
    return verify_top(
        top.candidate, answer.ranking.workload, answer.speed_params, answer.live, out, progress
    )
