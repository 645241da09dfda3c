"""The child process that measures one run: ``python -m sizer.bench.worker``.

It reads one RunConfig as a JSON line on stdin and writes JSON events on a private copy
of stdout ("loaded", one "rep" per repetition, then "result" or "error"). Native
libraries print to fd 1 as they please, so fd 1 is pointed at stderr before they load and
the protocol keeps its own descriptor. The worker ignores Ctrl-C (the parent decides what
to stop) and exits if its parent disappears, so a ``kill -9`` of sizer leaves no orphan
burning the CPU.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from sizer.backends.base import RepSample, UnsupportedModel
from sizer.backends.config import RunConfig
from sizer.bench.energy import EnergyMeter
from sizer.bench.hygiene import cpu_mhz, resident_fraction
from sizer.bench.stats import cv
from sizer.models.openvino_ir import MODEL_BIN

WARMUP_GEN_TOKENS = 4


def protocol_stream() -> IO[str]:
    stream = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    return stream


def exit_with_parent() -> None:
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(70)

    threading.Thread(target=watch, daemon=True).start()


def converged(reps: list[RepSample], config: RunConfig) -> bool:
    m = config.measurement
    if len(reps) < m.min_reps:
        return False
    decode = [r.decode_tok_s for r in reps if r.itl_s]
    prefill = [r.prefill_tok_s for r in reps]
    return cv(prefill) < m.cv_target and (not decode or cv(decode) < m.cv_target)


def measure(config: RunConfig, emit: Any) -> dict[str, Any]:
    from sizer.backends import open_session  # the backend's native library loads here

    m = config.measurement
    meter = EnergyMeter()
    weights = Path(config.model_path)
    if weights.is_dir():  # an OpenVINO IR directory: its weights file
        weights = weights / MODEL_BIN
    conditions = {
        "page_cache_resident_before_load": resident_fraction(weights),
        "cpu_mhz_start": cpu_mhz(),
    }
    started = time.perf_counter()
    session = open_session(config)
    load_s = time.perf_counter() - started
    emit({"event": "loaded", "load_s": load_s, "versions": session.versions})
    session.prepare(config.depth)
    # The warm-up is the first inference: where GPU and NPU plugins compile kernels for the
    # shapes they meet, it costs far more than later ones, so it is recorded, not averaged in.
    first = time.perf_counter()
    session.rep(m.prompt_tokens, min(m.gen_tokens, WARMUP_GEN_TOKENS), lambda: None)
    conditions["first_inference_s"] = time.perf_counter() - first
    reps: list[RepSample] = []
    while len(reps) < m.max_reps and not converged(reps, config):
        reps.append(session.rep(m.prompt_tokens, m.gen_tokens, meter.read))
        last = reps[-1]
        emit(
            {
                "event": "rep",
                "rep": len(reps),
                "prefill_tok_s": last.prefill_tok_s,
                "decode_tok_s": last.decode_tok_s,
            }
        )
    session.close()
    conditions["cpu_mhz_end"] = cpu_mhz()
    return {
        "load_s": load_s,
        "versions": session.versions,
        "conditions": conditions,
        "energy_missing": meter.missing,
        "reps": [asdict(r) for r in reps],
    }


Emit = Callable[[dict[str, Any]], None]


def serve() -> tuple[Emit, dict[str, Any], IO[str]]:
    """How every worker starts: a private protocol stream, Ctrl-C ignored (the parent
    decides), exit with the parent; returns the event writer, the job read from stdin and
    the stream (to flush at the end)."""
    out = protocol_stream()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()

    def emit(event: dict[str, Any]) -> None:
        out.write(json.dumps(event) + "\n")

    return emit, json.loads(sys.stdin.readline()), out


def main() -> None:
    emit, job, out = serve()
    config = RunConfig.from_dict(job)
    try:
        emit({"event": "result", **measure(config, emit)})
    except UnsupportedModel as exc:
        emit({"event": "error", "kind": "unsupported", "message": str(exc)})
    except Exception as exc:
        emit({"event": "error", "kind": "failed", "message": f"{type(exc).__name__}: {exc}"})
    out.flush()


if __name__ == "__main__":
    main()
