"""``sizer models inspect FILE`` and ``sizer models scan``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    rich_markup_mode=None,
    help="GGUF files: inspect, find on disk, make shape-only ones, convert to OpenVINO.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command("inspect")
def inspect_command(
    file: Annotated[Path, typer.Argument(help="A .gguf file (or an Ollama blob).")],
    as_json: JsonOption = False,
) -> None:
    """Architecture, shape, context, sliding windows, experts and bytes per tensor type."""
    from sizer.models.gguf_header import read_header
    from sizer.models.spec import spec_from_header

    spec = spec_from_header(read_header(file))
    if as_json:
        typer.echo(json.dumps({"path": str(file), **spec.to_dict()}, indent=2))
    else:
        from sizer.cli.render_models import render_inspect

        typer.echo(render_inspect(file, spec))


@app.command("scan")
def scan_command(
    path: Annotated[
        list[Path] | None, typer.Option("--path", help="Also scan this file or folder.")
    ] = None,
    no_stores: Annotated[
        bool, typer.Option("--no-stores", help="Skip Ollama, LM Studio and Hugging Face.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """GGUF files in Ollama's store, LM Studio, the Hugging Face cache and --path."""
    from sizer.models.discover import scan

    models = scan(paths=path or [], default_stores=not no_stores)
    if as_json:
        rows = [
            {
                "source": m.source,
                "name": m.name,
                "path": str(m.path),
                "size_bytes": m.size_bytes,
                "error": m.error,
                "spec": m.spec.to_dict() if m.spec else None,
            }
            for m in models
        ]
        typer.echo(json.dumps(rows, indent=2))
    else:
        from sizer.cli.render_models import render_scan

        typer.echo(render_scan(models))


@app.command("catalog")
def catalog_command(as_json: JsonOption = False) -> None:
    """Models people run locally: shape, Ollama tag, licence, computed file sizes."""
    from sizer.cli.render_models import catalog_rows, render_catalog
    from sizer.models.catalog import load_catalog

    entries = list(load_catalog().values())
    if as_json:
        typer.echo(json.dumps(catalog_rows(entries), indent=2))
    else:
        typer.echo(render_catalog(entries))


@app.command("synth")
def synth_command(
    model_id: Annotated[str, typer.Argument(help="A catalog id, e.g. llama3.1-8b.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The .gguf file to write.")],
    quant: Annotated[str, typer.Option(help="Q4_0, Q4_K_M, Q5_K_M, Q6_K, Q8_0 or F16.")] = "Q4_K_M",
) -> None:
    """Write a shape-only GGUF: the model's exact tensors, random weights (speed/memory only)."""
    import time

    from sizer.models.catalog import get_entry
    from sizer.models.quantmix import FILE_TYPES
    from sizer.models.synth import synthesize
    from sizer.units import gib

    if quant not in FILE_TYPES:
        raise typer.BadParameter(f"use one of {', '.join(FILE_TYPES)}", param_hint="--quant")
    entry = get_entry(model_id)
    start = time.perf_counter()
    path = synthesize(entry.shape, quant, output, entry.id)
    elapsed = time.perf_counter() - start
    typer.echo(
        f"wrote {path} ({gib(path.stat().st_size)}, {elapsed:.1f} s): "
        "speed/memory only — weights are random"
    )


@app.command("openvino")
def openvino_command(
    file: Annotated[Path, typer.Argument(help="A .gguf file OpenVINO GenAI can read.")],
    output: Annotated[Path, typer.Argument(help="The IR directory to write (new or empty).")],
) -> None:
    """Convert a GGUF to an OpenVINO IR directory (same weights), for 'sizer bench' on OpenVINO."""
    import time

    from sizer.models.to_openvino import convert
    from sizer.units import gib

    start = time.perf_counter()
    path = convert(file, output)
    size = sum(p.stat().st_size for p in path.iterdir())
    typer.echo(f"wrote {path} ({gib(size)}, {time.perf_counter() - start:.0f} s)")
