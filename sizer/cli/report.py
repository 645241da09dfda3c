"""``sizer report`` and ``sizer compare``: charts and side-by-side tables from saved files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sizer.errors import InputError


def report_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Result files (JSONL), profiles (JSON) or folders; default: "
            "$SIZER_RESULTS, else $SIZER_HOME/results."
        ),
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder to write.")] = Path(
        "report"
    ),
) -> None:
    """Markdown and self-contained HTML report with charts (PNG and SVG), from saved files."""
    from sizer.paths import results_dir
    from sizer.report.data import load_sources
    from sizer.report.document import write_report

    sources = load_sources(paths or [results_dir()])
    written = write_report(sources, output)
    typer.echo(
        f"wrote {written.markdown} and {written.html} "
        f"({len(written.charts) // 2} chart(s) in {output / 'charts'}) "
        f"for {len(sources)} machine(s)"
    )
    for title in written.skipped:
        typer.echo(f"  not drawn, nothing measured for it: {title}")


def compare_command(
    a: Annotated[Path, typer.Argument(help="A result file or profile (the baseline).")],
    b: Annotated[Path, typer.Argument(help="A result file or profile to compare with A.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Two results or profiles side by side: medians, ratio B/A, and whether each
    difference is larger than the measured spread."""
    from sizer.cli.render_compare import render_compare
    from sizer.report.compare import compare
    from sizer.report.data import load_sources

    source_a, source_b = _one_machine(load_sources([a]), a), _one_machine(load_sources([b]), b)
    speed, tasks, only_a, only_b = compare(source_a, source_b)
    if not speed and not tasks:
        raise InputError(
            f"{a} and {b} share no run (same model, backend, threads, depth and "
            "prompt) and no task score; nothing to compare"
        )
    if as_json:
        rows = [
            {
                "kind": kind,
                "what": r.what,
                "metric": r.metric,
                "a": r.a,
                "b": r.b,
                "ratio": r.ratio,
                "beyond_spread": r.significant,
            }
            for kind, group in (("speed", speed), ("task", tasks))
            for r in group
        ]
        typer.echo(
            json.dumps(
                {
                    "a": source_a.name,
                    "b": source_b.name,
                    "rows": rows,
                    "only_in_a": only_a,
                    "only_in_b": only_b,
                },
                indent=2,
            )
        )
        return
    typer.echo(render_compare(source_a, source_b, speed, tasks, only_a, only_b))


def _one_machine(sources, path: Path):
    if len(sources) != 1:
        raise InputError(f"{path}: holds {len(sources)} machines; compare one machine with one")
    return sources[0]
