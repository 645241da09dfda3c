"""``sizer recommend --verify``: benchmark the top pick now and set prediction beside it.

The pick's own file when it is on disk, else a shape-only file of its exact tensors
(``sizer models synth``; speed and memory are real, the text is not). One ``sizer bench``
run: depth 0, the workload's prompt (at most 512 tokens, to keep it quick), 32 generated
tokens, 3 repetitions after a warm-up, in a worker process; the record is appended to
``results/recommend-verify.jsonl`` so later recommendations count it as measured.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sizer.errors import MeasurementError
from sizer.models.resolve import resolve
from sizer.paths import sizer_home
from sizer.recommend.rank import Candidate
from sizer.recommend.workload import Workload
from sizer.speed.model import SpeedParams, SpeedShape, speed_shape, workload_speed

VERIFY_PROMPT_MAX = 512
VERIFY_GEN = 32


def model_file(c: Candidate, progress: Callable[[str], None]) -> tuple[Path, bool]:
    """The pick's file, or a shape-only twin written into sizer's cache (once)."""
    if c.path is not None:
        return c.path, c.shape_only
    from sizer.models.catalog import get_entry
    from sizer.models.synth import synthesize

    target = sizer_home() / "shape-only" / f"{c.model_id}-{c.quant}.gguf"
    if not target.exists():
        progress(f"writing a shape-only {c.model_id} {c.quant} (speed/memory only)")
        synthesize(get_entry(c.model_id).shape, c.quant, target, c.model_id)
    return target, True


def verify_top(
    c: Candidate,
    w: Workload,
    params: SpeedParams,
    hw,
    out: Path,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    from sizer.backends.config import Measurement
    from sizer.bench import BenchRequest, run_bench

    say = progress or (lambda message: None)
    path, shape_only = model_file(c, say)
    assert w.prompt_tokens is not None
    prompt = min(w.prompt_tokens, VERIFY_PROMPT_MAX)
    memory = resolve(str(path)).memory
    predicted = _predicted_at(c, w.prompt_tokens, prompt, params, speed_shape(memory))
    device = c.device_kind
    measurement = Measurement(prompt_tokens=prompt, gen_tokens=VERIFY_GEN, max_reps=3, min_reps=3)
    request = BenchRequest(
        models=[str(path)],
        out=out,
        backends=[c.backend],
        devices=[device],
        threads=str(params.threads),
        depths=[0],
        measurement=measurement,
    )
    say(f"verifying: {path.name} on {c.backend} {device}, prompt {prompt}, {VERIFY_GEN} tokens")
    records = run_bench(request, hw, lambda config, event: _relay(event, say))
    rec = records[0] if records else {}
    if rec.get("status") != "ok":
        raise MeasurementError(
            f"--verify: the run {rec.get('status', 'failed')}: "
            f"{rec.get('error', 'no record')}; finished runs are in {out}"
        )
    m = rec["metrics"]
    measured = {
        "decode_tok_s": m["decode_tok_s"]["median"],
        "prefill_tok_s": m["prefill_tok_s"]["median"],
        "ttft_s": m["ttft_s"]["median"],
        "peak_rss_bytes": rec.get("peak_rss_bytes"),
    }
    from sizer.estimate import estimate_memory

    at_verify = estimate_memory(
        memory, measurement.ctx_for(0), isa=hw.cpu.isa, cpu_arch=hw.cpu.arch
    ).total_bytes
    return {
        "model": str(path),
        "shape_only": shape_only,
        "prompt_tokens": prompt,
        "gen_tokens": VERIFY_GEN,
        "predicted": predicted,
        "measured": measured,
        "predicted_memory_bytes": at_verify,
        "record": str(out),
    }


def _predicted_at(
    c: Candidate, workload_prompt: int, prompt: int, params: SpeedParams, shape: SpeedShape
) -> dict[str, float]:
    """The candidate's figures carried from the workload's prompt to the verify prompt:
    same corrections (measured factors, GPU split), the model's own prompt dependence."""
    at_workload = workload_speed(shape, params, workload_prompt)
    here = workload_speed(shape, params, prompt)
    decode = c.speed.decode_tok_s / at_workload.decode_tok_s * here.decode_tok_s
    prefill = c.speed.prefill_tok_s / at_workload.prefill_tok_s * here.prefill_tok_s
    return {"decode_tok_s": decode, "prefill_tok_s": prefill, "ttft_s": prompt / prefill}


def _relay(event: dict[str, Any], say: Callable[[str], None]) -> None:
    if event.get("event") == "rep":
        say(
            f"  rep: prefill {event.get('prefill_tok_s', 0):.1f} tok/s, "
            f"decode {event.get('decode_tok_s', 0):.1f} tok/s"
        )
