"""``sizer probe``: what this machine has, and with ``--measure`` how fast it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print the versioned JSON record.")]
MeasureOption = Annotated[
    bool, typer.Option("--measure", help="Also run the bandwidth and matmul kernels (~15 s).")
]
SysrootOption = Annotated[
    Path | None,
    typer.Option(help="Read a captured machine instead of this one (also: SIZER_SYSROOT)."),
]
CaptureOption = Annotated[
    Path | None,
    typer.Option(help="Save this machine's raw probe sources into DIR (for bug reports)."),
]


def probe_command(
    as_json: JsonOption = False,
    measure: MeasureOption = False,
    sysroot: SysrootOption = None,
    capture: CaptureOption = None,
) -> None:
    """CPU, memory, GPUs/iGPUs/NPUs and the llama.cpp build; --measure adds bandwidth."""
    from sizer.probe import probe
    from sizer.probe.measure import measure_hardware

    if capture is not None:
        from sizer.probe.capture import capture_live

        written = capture_live(capture)
        typer.echo(f"captured {len(written)} files into {capture}", err=True)
    hw = probe(sysroot)
    if measure:
        measure_hardware(hw, progress=None if as_json else _progress)
    if as_json:
        typer.echo(json.dumps(hw.to_dict(), indent=2))
    else:
        from sizer.cli.render_probe import render_probe

        typer.echo(render_probe(hw))


def _progress(message: str) -> None:
    typer.echo(f"  measuring {message} ...", err=True)
