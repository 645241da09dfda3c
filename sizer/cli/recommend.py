"""``sizer recommend``: which model, quant and backend this machine should run for a job."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated

import typer

from sizer.cli.bench import DEFAULT_OUT

VERIFY_OUT = Path("results") / "recommend-verify.jsonl"


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
            "(default: results/). Profiles come from profiles/ and $SIZER_HOME/profiles."
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
    from sizer.cli.render_recommend import render_ranking
    from sizer.errors import HardwareError
    from sizer.profiles.corpus import task_records
    from sizer.recommend import recommend
    from sizer.recommend.candidates import catalog_options
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
    # The catalog's tensor layouts (pure Python) are computed while the probe waits on its
    # llama.cpp child process and OpenVINO: a third of a second off every answer.
    with ThreadPoolExecutor(max_workers=1) as pool:
        catalog = pool.submit(catalog_options)
        hw, live = _machine(hardware)
        records = _records(results)
        options = catalog.result()
    corpus = _corpus()
    records += task_records(corpus)
    params = _cpu_params(hw, live, records, recalibrate, corpus)
    from sizer.hardware.record import total_ram

    total = total_ram(hw)
    budget = total - w.headroom_bytes(total)
    local = _local(path, hardware)
    ranking = recommend(
        w, hw, params, records=records, local=local, budget_bytes=budget, catalog=options
    )
    elapsed = time.perf_counter() - started
    verified = _verify(ranking, params, live, as_json) if verify else None
    if as_json:
        typer.echo(json.dumps(_json(ranking, params, total, elapsed, verified), indent=2))
    else:
        typer.echo(
            render_ranking(ranking, params, total, hardware, elapsed, top, verified, every_variant)
        )


def _machine(hardware: Path | None):
    if hardware is not None:
        from sizer.hardware.record import load_hardware

        return load_hardware(hardware), None
    from sizer.probe import probe

    live = probe()
    return live.to_dict(), live


def _records(paths: list[Path] | None) -> list[dict]:
    """Measured runs and task scores: every *.jsonl in the given files and folders."""
    from sizer.bench.results import is_local, load
    from sizer.errors import InputError

    if paths is None:
        paths = [p for p in (DEFAULT_OUT.parent,) if p.is_dir()]
    files = []
    for p in paths:
        if p.is_dir():
            files += sorted(p.glob("*.jsonl"))
        elif p.is_file():
            files.append(p)
        else:
            raise InputError(f"--results {p}: no such file or folder")
    found = []
    for f in files:
        try:
            found += [r for r in load(f) if isinstance(r, dict) and is_local(r)]
        except (OSError, ValueError, InputError):
            continue  # a damaged results file must not stop a recommendation
    return found


def _corpus():
    """The profiles in profiles/ and $SIZER_HOME/profiles ($SIZER_PROFILES instead, if set);
    invalid ones are skipped here ('sizer profile validate' names their problems)."""
    from sizer.profiles.corpus import load_corpus

    return load_corpus()


def _cpu_params(hw, live, records, recalibrate: bool, corpus=None):
    from sizer.hardware.threads import threads_for
    from sizer.speed import cache as calibration_cache
    from sizer.speed.sources import cpu_params

    threads = threads_for(hw)
    if recalibrate and live is not None:
        calibration_cache.forget(hw, threads)

    def say(message: str) -> None:
        # On stderr even with --json: a first calibration takes 10-30 s and says so,
        # and stdout stays clean JSON.
        typer.echo(f"calibrating: {message}", err=True)

    from sizer.bench import calibration

    return cpu_params(
        hw,
        threads,
        records,
        live=live,
        calibrate=calibration.run_calibration,
        progress=say,
        fresh=recalibrate,
        corpus=corpus,
    )


def _local(paths: list[Path] | None, hardware: Path | None):
    """GGUFs on this machine (not for another machine's record: its disk is not here)."""
    from sizer.models.discover import scan
    from sizer.paths import sizer_home
    from sizer.recommend import local_files

    if hardware is not None and not paths:
        return []
    extra = list(paths or [])
    if hardware is None:
        extra.append(sizer_home() / "models")
    found = scan([p for p in extra if p.exists()], default_stores=hardware is None, inspect=False)
    return local_files(m.path for m in found if not m.error)


def _verify(ranking, params, live, quiet: bool):
    from sizer.errors import HardwareError
    from sizer.recommend.verify import verify_top

    top = ranking.top
    if top is None:
        raise HardwareError(
            "--verify: nothing passes the workload's floors, so there is no top pick to benchmark"
        )
    progress = None if quiet else (lambda message: typer.echo(message, err=True))
    return verify_top(top.candidate, ranking.workload, params, live, VERIFY_OUT, progress)


def _json(ranking, params, total, elapsed, verified) -> dict:
    from sizer.recommend.rank import nearest, unmet, why_not

    return {
        "format": "sizer.recommendation",
        "format_version": 1,
        "workload": ranking.workload.to_dict(),
        "total_ram_bytes": total,
        "budget_bytes": ranking.budget_bytes,
        "speed_params": params.to_dict(),
        "top": ranking.top.to_dict() if ranking.top else None,
        "passing": [v.to_dict() for v in ranking.passing],
        "why_not": [v.to_dict() for v in why_not(ranking)],
        "unmet": unmet(ranking) if not ranking.passing else [],
        "nearest": [v.to_dict() for v in nearest(ranking)],
        "verify": verified,
        "elapsed_s": elapsed,
    }
