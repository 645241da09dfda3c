"""``sizer bench MODEL…``: real runs, each in its own worker; every finished run on disk."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer


def _depths(value: str) -> list[int]:
    try:
        depths = sorted({int(part) for part in value.split(",")})
    except ValueError:
        raise typer.BadParameter("a comma-separated list of token counts, e.g. 0,4096") from None
    if any(d < 0 for d in depths):
        raise typer.BadParameter("depths are token counts, 0 or more")
    return depths


def _threads(value: str) -> str:
    if value in ("auto", "sweep"):
        return value
    parts = value.split(",")
    if not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise typer.BadParameter("auto, sweep, or thread counts such as 4 or 2,4,8")
    return value


def _backends(value: str) -> list[str]:
    from sizer.backends.config import BACKENDS

    if value == "all":
        return list(BACKENDS)
    if value not in BACKENDS:
        raise typer.BadParameter(f"use one of {', '.join(BACKENDS)}, or all")
    return [value]


def _kv_type(value: str) -> str:
    from sizer.backends.config import KV_TYPES

    if value not in KV_TYPES:
        raise typer.BadParameter(f"use one of {', '.join(KV_TYPES)}")
    return value


def _stop_on_sigterm() -> None:
    """SIGTERM stops the run like Ctrl-C: the worker is killed, finished runs are kept."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def bench_command(
    models: Annotated[
        list[str] | None,
        typer.Argument(
            help="GGUF files (real or shape-only) or Ollama tags; none with --endpoint."
        ),
    ] = None,
    backend: Annotated[str, typer.Option(help="llama.cpp, openvino, or all.")] = "llama.cpp",
    device: Annotated[
        list[str] | None,
        typer.Option(
            help="Device(s): CPU/GPU for llama.cpp, OpenVINO names (CPU, GPU.0, NPU). "
            "Default: llama.cpp's GPU if it can offload, else CPU; every OpenVINO device."
        ),
    ] = None,
    threads: Annotated[
        str, typer.Option(help="auto (physical P-cores), sweep, or counts such as 4 or 2,4,8.")
    ] = "auto",
    ctx: Annotated[
        int | None, typer.Option(min=64, help="Context size; default: depth + prompt + generation.")
    ] = None,
    prompt_tokens: Annotated[
        int, typer.Option(min=1, help="Prompt length for TTFT and prefill.")
    ] = 512,
    gen_tokens: Annotated[
        int, typer.Option(min=2, help="Tokens generated per repetition (EOS ignored).")
    ] = 128,
    depth: Annotated[str, typer.Option(help="KV depth(s) before measuring, e.g. 0,4096.")] = "0",
    reps: Annotated[int, typer.Option(min=1, help="Most repetitions; fewer once CV < 3 %.")] = 5,
    kv_type: Annotated[str, typer.Option(help="KV cache type: f16, q8_0 or q4_0.")] = "f16",
    flash_attn: Annotated[bool, typer.Option(help="Flash attention (llama.cpp).")] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds one run may take before it is killed.")
    ] = 3600,
    out: Annotated[
        Path | None,
        typer.Option(
            help="JSONL file each finished run is appended to "
            "(default: bench.jsonl in $SIZER_RESULTS, else $SIZER_HOME/results)."
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Skip runs already recorded as finished in --out.")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Run models even when the estimate says they do not fit.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the records as JSON; no progress.")
    ] = False,
    tasks: Annotated[
        str | None,
        typer.Option(
            help="Task suites instead of speed runs: all, or any of classification, "
            "extraction, summarization, completion, behaviour."
        ),
    ] = None,
    task_file: Annotated[
        Path | None, typer.Option(help="Your own task items (JSONL; see README).")
    ] = None,
    quick: Annotated[bool, typer.Option(help="About 10 items per task suite.")] = False,
    overflow: Annotated[
        str, typer.Option(help="Task inputs longer than the context: truncate or refuse.")
    ] = "truncate",
    endpoint: Annotated[
        str | None,
        typer.Option(
            help="A running server to measure instead of a file: OpenAI-compatible "
            "(llama.cpp, LM Studio, vLLM) or Ollama, e.g. http://127.0.0.1:8080."
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="The model name on --endpoint (default: its only one).")
    ] = None,
    api: Annotated[str, typer.Option(help="--endpoint's API: auto, openai or ollama.")] = "auto",
    allow_remote: Annotated[
        bool, typer.Option(help="Allow an --endpoint that is not this machine (prompts leave it).")
    ] = False,
    api_key_env: Annotated[
        str, typer.Option(help="Environment variable holding --endpoint's API key.")
    ] = "SIZER_API_KEY",
    concurrency: Annotated[
        str | None,
        typer.Option(help="With --endpoint: simultaneous users per level, e.g. 1,2,4,8."),
    ] = None,
    requests_per_user: Annotated[
        int, typer.Option(min=1, max=50, help="Requests each user sends per level.")
    ] = 2,
    min_tps: Annotated[
        float, typer.Option(help="Concurrency: decode floor each user needs, tok/s.")
    ] = 8.0,
    max_ttft: Annotated[
        float, typer.Option(help="Concurrency: longest acceptable time to first token, s.")
    ] = 5.0,
    stall_timeout: Annotated[
        float, typer.Option(min=0.1, help="--endpoint: seconds without data = a stalled server.")
    ] = 60.0,
) -> None:
    """Measure load time, TTFT, prefill and decode tok/s, inter-token latency and peak memory;
    with --tasks or --task-file, measure task accuracy, latency and failure behaviour."""
    if out is None:
        from sizer.paths import bench_results

        out = bench_results()
    import json

    if endpoint is not None:
        _endpoint(
            models,
            endpoint,
            model,
            api,
            allow_remote,
            api_key_env,
            concurrency,
            requests_per_user,
            min_tps,
            max_ttft,
            stall_timeout,
            tasks,
            task_file,
            quick,
            prompt_tokens,
            gen_tokens,
            reps,
            timeout,
            out,
            resume,
            as_json,
        )
        return
    if not models:
        raise typer.BadParameter(
            "name GGUF files or Ollama tags, or give --endpoint URL", param_hint="MODELS"
        )
    if concurrency is not None:
        raise typer.BadParameter(
            "a concurrency sweep measures a server: add --endpoint URL", param_hint="--concurrency"
        )
    if tasks is not None or task_file is not None:
        if backend != "llama.cpp" or device not in (None, [], ["CPU"]):
            # Decision: task suites need grammar-constrained decoding and a token-level loop
            # (stop rules, TTFT); that is built for llama.cpp on CPU. OpenVINO and GPU
            # offload are measured for speed by plain `sizer bench`.
            raise typer.BadParameter(
                "task suites run on llama.cpp on the CPU; measure "
                "OpenVINO and GPU speed without --tasks",
                param_hint="--backend/--device",
            )
        _stop_on_sigterm()
        _run_tasks(
            models,
            tasks,
            task_file,
            quick,
            overflow,
            threads,
            ctx,
            timeout,
            out,
            resume,
            force,
            as_json,
        )
        return

    from sizer.backends.config import Measurement
    from sizer.bench import BenchRequest, run_bench
    from sizer.cli.render_bench import Progress, render_records
    from sizer.probe import probe

    measurement = Measurement(
        prompt_tokens=prompt_tokens,
        gen_tokens=gen_tokens,
        n_ctx=ctx,
        max_reps=reps,
        min_reps=min(3, reps),
        kv_type=_kv_type(kv_type),
        flash_attn=flash_attn,
        timeout_s=timeout,
    )
    request = BenchRequest(
        models=models,
        out=out,
        backends=_backends(backend),
        devices=device or None,
        threads=_threads(threads),
        depths=_depths(depth),
        measurement=measurement,
        resume=resume,
        force=force,
    )
    deepest = max(request.depths) + prompt_tokens + gen_tokens
    if ctx is not None and ctx < deepest:
        raise typer.BadParameter(
            f"{ctx} < depth + prompt + generation = {deepest}", param_hint="--ctx"
        )
    _stop_on_sigterm()
    hw = probe()
    progress = None if as_json else Progress(sys.stderr)
    records = run_bench(request, hw, progress)
    if as_json:
        typer.echo(json.dumps(records, indent=2))
    else:
        typer.echo(render_records(records, hw))
        typer.echo(f"\n{len(records)} run(s) appended to {out}")


def _levels(value: str) -> tuple[int, ...]:
    try:
        levels = tuple(sorted({int(p) for p in value.split(",")}))
    except ValueError:
        raise typer.BadParameter(
            "user counts such as 1,2,4,8", param_hint="--concurrency"
        ) from None
    if not levels or levels[0] < 1 or levels[-1] > 256:
        raise typer.BadParameter("user counts from 1 to 256", param_hint="--concurrency")
    return levels


def _endpoint(
    models,
    url,
    model,
    api,
    allow_remote,
    key_env,
    concurrency,
    per_user,
    min_tps,
    max_ttft,
    stall_s,
    tasks,
    task_file,
    quick,
    prompt_tokens,
    gen_tokens,
    reps,
    timeout,
    out,
    resume,
    as_json,
) -> None:
    from sizer.cli.bench_endpoint import EndpointArgs, run_endpoint

    if models:
        raise typer.BadParameter(
            "--endpoint measures the server's model: name it with --model, not as a file argument",
            param_hint="MODELS",
        )
    args = EndpointArgs(url, model, api, allow_remote, key_env, out, as_json, stall_s)
    _stop_on_sigterm()
    if tasks is not None or task_file is not None:
        from sizer.tasks.run import TaskRequest
        from sizer.tasks.suites import parse_names

        request = TaskRequest(
            models=[],
            out=out,
            suites=parse_names(tasks) if tasks else [],
            task_file=task_file,
            quick=quick,
            item_timeout_s=min(timeout, 600),
            resume=resume,
        )
        run_endpoint(args, tasks=request)
    elif concurrency is not None:
        from sizer.endpoints.sweep import SweepPlan

        plan = SweepPlan(
            levels=_levels(concurrency),
            requests_per_user=per_user,
            prompt_tokens=prompt_tokens,
            gen_tokens=gen_tokens,
            min_tps=min_tps,
            max_ttft=max_ttft,
            stall_s=stall_s,
            request_s=min(timeout, 600),
            level_s=min(timeout, 1800),
        )
        run_endpoint(args, sweep=plan)
    else:
        from sizer.endpoints.speed import SpeedPlan

        plan = SpeedPlan(
            prompt_tokens=prompt_tokens,
            gen_tokens=gen_tokens,
            reps=reps,
            stall_s=stall_s,
            request_s=min(timeout, 600),
        )
        run_endpoint(args, speed=plan)


def _run_tasks(
    models: list[str],
    tasks: str | None,
    task_file: Path | None,
    quick: bool,
    overflow: str,
    threads: str,
    ctx: int | None,
    timeout: float,
    out: Path,
    resume: bool,
    force: bool,
    as_json: bool,
) -> None:
    import json

    from sizer.cli.render_tasks import TaskProgress, render_task_records
    from sizer.probe import probe
    from sizer.tasks.run import TaskRequest, run_tasks
    from sizer.tasks.suites import parse_names

    if overflow not in ("truncate", "refuse"):
        raise typer.BadParameter("use truncate or refuse", param_hint="--overflow")
    request = TaskRequest(
        models=models,
        out=out,
        suites=parse_names(tasks) if tasks else [],
        task_file=task_file,
        quick=quick,
        threads=_threads(threads),
        n_ctx=ctx or 4096,
        overflow=overflow,
        item_timeout_s=min(timeout, 600),
        resume=resume,
        force=force,
    )
    hw = probe()
    records = run_tasks(request, hw, None if as_json else TaskProgress(sys.stderr))
    if as_json:
        typer.echo(json.dumps(records, indent=2))
    else:
        typer.echo(render_task_records(records))
        typer.echo(f"\n{len(records)} record(s) appended to {out}")
