"""``sizer bench MODEL…``: real runs, each in its own worker; every finished run on disk."""

from __future__ import annotations

import signal
import sys
from dataclasses import dataclass
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
            help="GGUF files (real or shape-only), Ollama tags or OpenVINO IR directories; "
            "none with --endpoint."
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
    parallel: Annotated[
        str,
        typer.Option(
            help="Task items answered together in one batch: 1 (one at a time), a count, or "
            "auto (as many as fit in memory; with --endpoint, the server's slots). Latency "
            "comes from items run alone."
        ),
    ] = "1",
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
    from sizer.paths import bench_results

    options = BenchOptions(
        models=list(models or []),
        backend=backend,
        device=list(device or []),
        threads=threads,
        ctx=ctx,
        prompt_tokens=prompt_tokens,
        gen_tokens=gen_tokens,
        depth=depth,
        reps=reps,
        kv_type=kv_type,
        flash_attn=flash_attn,
        timeout=timeout,
        out=out or bench_results(),
        resume=resume,
        force=force,
        as_json=as_json,
        tasks=tasks,
        task_file=task_file,
        quick=quick,
        overflow=overflow,
        parallel=parallel,
        endpoint=endpoint,
        model=model,
        api=api,
        allow_remote=allow_remote,
        api_key_env=api_key_env,
        concurrency=concurrency,
        requests_per_user=requests_per_user,
        min_tps=min_tps,
        max_ttft=max_ttft,
        stall_timeout=stall_timeout,
    )
    {"endpoint": _endpoint, "tasks": _run_tasks, "speed": _speed}[options.mode](options)


@dataclass(frozen=True)
class BenchOptions:
    """Every ``sizer bench`` option, as given: each path (speed runs, task suites, a
    server) builds its own request from the fields it uses."""

    models: list[str]
    backend: str
    device: list[str]
    threads: str
    ctx: int | None
    prompt_tokens: int
    gen_tokens: int
    depth: str
    reps: int
    kv_type: str
    flash_attn: bool
    timeout: float
    out: Path
    resume: bool
    force: bool
    as_json: bool
    tasks: str | None
    task_file: Path | None
    quick: bool
    overflow: str
    parallel: str
    endpoint: str | None
    model: str | None
    api: str
    allow_remote: bool
    api_key_env: str
    concurrency: str | None
    requests_per_user: int
    min_tps: float
    max_ttft: float
    stall_timeout: float

    @property
    def mode(self) -> str:
        """ "endpoint" (a running server), "tasks" (task suites) or "speed" (speed runs)."""
        if self.endpoint is not None:
            return "endpoint"
        return "tasks" if self.tasks is not None or self.task_file is not None else "speed"


def _speed(o: BenchOptions) -> None:
    import json

    from sizer.backends.config import Measurement
    from sizer.bench import BenchRequest, run_bench
    from sizer.cli.render_bench import Progress, render_records
    from sizer.probe import probe

    _check_local(o)
    measurement = Measurement(
        prompt_tokens=o.prompt_tokens,
        gen_tokens=o.gen_tokens,
        n_ctx=o.ctx,
        max_reps=o.reps,
        min_reps=min(3, o.reps),
        kv_type=_kv_type(o.kv_type),
        flash_attn=o.flash_attn,
        timeout_s=o.timeout,
    )
    request = BenchRequest(
        models=o.models,
        out=o.out,
        backends=_backends(o.backend),
        devices=o.device or None,
        threads=_threads(o.threads),
        depths=_depths(o.depth),
        measurement=measurement,
        resume=o.resume,
        force=o.force,
    )
    deepest = max(request.depths) + o.prompt_tokens + o.gen_tokens
    if o.ctx is not None and o.ctx < deepest:
        raise typer.BadParameter(
            f"{o.ctx} < depth + prompt + generation = {deepest}", param_hint="--ctx"
        )
    _stop_on_sigterm()
    hw = probe()
    progress = None if o.as_json else Progress(sys.stderr)
    records = run_bench(request, hw, progress)
    if o.as_json:
        typer.echo(json.dumps(records, indent=2))
    else:
        typer.echo(render_records(records, hw))
        typer.echo(f"\n{len(records)} run(s) appended to {o.out}")


def _check_local(o: BenchOptions) -> None:
    """Runs of model files here: files named, and no option that only a server takes."""
    if not o.models:
        raise typer.BadParameter(
            "name GGUF files or Ollama tags, or give --endpoint URL", param_hint="MODELS"
        )
    if o.concurrency is not None:
        raise typer.BadParameter(
            "a concurrency sweep measures a server: add --endpoint URL", param_hint="--concurrency"
        )


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


def _endpoint(o: BenchOptions) -> None:
    from sizer.cli.bench_endpoint import EndpointArgs, run_endpoint

    if o.models:
        raise typer.BadParameter(
            "--endpoint measures the server's model: name it with --model, not as a file argument",
            param_hint="MODELS",
        )
    args = EndpointArgs(
        o.endpoint, o.model, o.api, o.allow_remote, o.api_key_env, o.out, o.as_json, o.stall_timeout
    )
    _stop_on_sigterm()
    if o.tasks is not None or o.task_file is not None:
        from sizer.tasks.run import TaskRequest
        from sizer.tasks.suites import parse_names

        request = TaskRequest(
            models=[],
            out=o.out,
            suites=parse_names(o.tasks) if o.tasks else [],
            task_file=o.task_file,
            quick=o.quick,
            item_timeout_s=min(o.timeout, 600),
            resume=o.resume,
            parallel=_parallel(o.parallel),
        )
        run_endpoint(args, tasks=request)
    elif o.concurrency is not None:
        from sizer.endpoints.sweep import SweepPlan

        plan = SweepPlan(
            levels=_levels(o.concurrency),
            requests_per_user=o.requests_per_user,
            prompt_tokens=o.prompt_tokens,
            gen_tokens=o.gen_tokens,
            min_tps=o.min_tps,
            max_ttft=o.max_ttft,
            stall_s=o.stall_timeout,
            request_s=min(o.timeout, 600),
            level_s=min(o.timeout, 1800),
        )
        run_endpoint(args, sweep=plan)
    else:
        from sizer.endpoints.speed import SpeedPlan

        plan = SpeedPlan(
            prompt_tokens=o.prompt_tokens,
            gen_tokens=o.gen_tokens,
            reps=o.reps,
            stall_s=o.stall_timeout,
            request_s=min(o.timeout, 600),
        )
        run_endpoint(args, speed=plan)


def _parallel(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise typer.BadParameter("auto, or a count from 1 to 64", param_hint="--parallel")
    return int(text)


def _run_tasks(o: BenchOptions) -> None:
    import json

    from sizer.cli.render_tasks import TaskProgress, render_task_records
    from sizer.probe import probe
    from sizer.tasks.run import TaskRequest, run_tasks
    from sizer.tasks.suites import parse_names

    _check_local(o)
    if o.backend not in ("llama.cpp", "openvino") or o.device not in ([], ["CPU"]):
        # Decision: task suites need constrained decoding and a token-level loop (stop
        # rules, TTFT); that is built for llama.cpp and OpenVINO GenAI on the CPU. GPU
        # offload, the iGPU and the NPU are measured for speed by plain `sizer bench`.
        raise typer.BadParameter(
            "task suites run on the CPU with llama.cpp or openvino; measure "
            "GPU and NPU speed without --tasks",
            param_hint="--backend/--device",
        )
    if o.backend == "openvino" and o.parallel != "1":
        raise typer.BadParameter(
            "on OpenVINO task items run one at a time", param_hint="--parallel"
        )
    if o.overflow not in ("truncate", "refuse"):
        raise typer.BadParameter("use truncate or refuse", param_hint="--overflow")
    parallel = _parallel(o.parallel)
    _stop_on_sigterm()
    request = TaskRequest(
        models=o.models,
        out=o.out,
        suites=parse_names(o.tasks) if o.tasks else [],
        task_file=o.task_file,
        quick=o.quick,
        threads=_threads(o.threads),
        n_ctx=o.ctx or 4096,
        overflow=o.overflow,
        item_timeout_s=min(o.timeout, 600),
        resume=o.resume,
        force=o.force,
        parallel=parallel,
        backend=o.backend,
    )
    hw = probe()
    records = run_tasks(request, hw, None if o.as_json else TaskProgress(sys.stderr))
    if o.as_json:
        typer.echo(json.dumps(records, indent=2))
    else:
        typer.echo(render_task_records(records))
        typer.echo(f"\n{len(records)} record(s) appended to {o.out}")
