"""``sizer fleet INVENTORY.csv | PROBES/``: which model tier each machine of a fleet can run."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from sizer.errors import InputError


def fleet_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="An inventory (CSV), or folders/files of 'sizer probe --json' or "
            "examples/collect/sizer-facts.* records."
        ),
    ],
    task: Annotated[str | None, typer.Option(help="chat, summarization, extraction, …")] = None,
    ctx: Annotated[int | None, typer.Option(help="Typical context length (tokens).")] = None,
    min_tps: Annotated[float | None, typer.Option(help="Decode floor, tok/s.")] = None,
    max_ttft: Annotated[float | None, typer.Option(help="Longest acceptable TTFT (s).")] = None,
    min_quality: Annotated[float | None, typer.Option(help="Minimum quality, 0-1.")] = None,
    workload: Annotated[Path | None, typer.Option(help="A workload file (JSON or TOML).")] = None,
    column_map: Annotated[
        str | None, typer.Option("--map", help="cpu=COLUMN,ram=COLUMN,count=…,id=…,gpu=…")
    ] = None,
    what_if: Annotated[
        list[str] | None,
        typer.Option("--what-if", help='ram=32GB, or replace="i5-8250U->Core Ultra 5 125U".'),
    ] = None,
    per_machine: Annotated[
        Path | None, typer.Option("--csv", help="Write one row per machine to this CSV.")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="Write report.md and charts (PNG) to this folder.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Size a fleet: the model each machine runs for the workload (same ranking as
    recommend), machines per tier, who cannot run anything and why, one model for all."""
    from sizer.cli.render_fleet import render_fleet, to_json
    from sizer.fleet.answers import answers
    from sizer.fleet.assess import assess
    from sizer.fleet.plan import assess_all, counted
    from sizer.fleet.whatif import evaluate, parse_what_if
    from sizer.profiles.corpus import load_corpus
    from sizer.recommend.candidates import catalog_options
    from sizer.recommend.workload import Workload, load_workload, merge

    base = load_workload(workload) if workload else Workload()
    w = merge(
        base,
        {
            "task": task,
            "ctx": ctx,
            "min_tps": min_tps,
            "max_ttft": max_ttft,
            "min_quality": min_quality,
        },
    ).resolved()
    scenarios = [parse_what_if(t) for t in what_if or []]  # bad ones fail before any work
    fleet = _read(inputs, column_map)
    quiet = as_json or not sys.stderr.isatty()

    def progress(i: int, n: int) -> None:
        if not quiet and (i == n or i % 10 == 0):
            typer.echo(f"\rassessing configurations: {i}/{n}", err=True, nl=i == n)

    corpus, catalog = load_corpus(), catalog_options()
    assessed = assess_all(fleet, w, corpus, catalog, progress)
    result = answers(counted(fleet, assessed))
    outcomes = [
        evaluate(s, fleet, assessed, lambda hw: assess(hw, w, corpus, catalog)) for s in scenarios
    ]
    if per_machine is not None:
        _write_machines(per_machine, fleet, assessed)
    if report is not None:
        from sizer.fleet.plan import machines_per_config
        from sizer.fleet.report import write_fleet_report

        title = f"{', '.join(map(str, inputs))}, {w.task}"
        written = write_fleet_report(
            report, title, result, assessed, machines_per_config(fleet), w.min_tps
        )
        typer.echo(f"wrote {written} and its charts", err=True)
    if as_json:
        typer.echo(json.dumps(to_json(w, fleet, assessed, result, outcomes), indent=2))
    else:
        typer.echo(render_fleet(w, fleet, assessed, result, outcomes))


def _read(inputs: list[Path], column_map: str | None):
    from sizer.fleet.inventory import parse_map, read_inventory
    from sizer.fleet.plan import from_inventory, from_probes
    from sizer.fleet.probes import read_probe_records

    tables = [p for p in inputs if p.suffix.lower() in (".csv", ".txt", ".tsv")]
    if tables and len(tables) != len(inputs):
        raise InputError("give either inventories (CSV) or probe records, not both at once")
    if len(tables) > 1:
        raise InputError("one inventory at a time (merge exports into one CSV first)")
    if tables:
        return from_inventory(read_inventory(tables[0], parse_map(column_map)))
    return from_probes(read_probe_records(inputs))


def _write_machines(path: Path, fleet, assessed) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "machine",
                "count",
                "cpu",
                "hardware_database_id",
                "ram_gib",
                "tier",
                "model",
                "quant",
                "backend",
                "device",
                "decode_tok_s",
                "ttft_s",
                "confidence",
                "problem",
            ]
        )
        for m in fleet.machines:
            a = assessed.get(m.config) if m.config else None
            c = a.top.candidate if a and a.top else None
            writer.writerow(
                [
                    m.machine_id,
                    m.count,
                    m.cpu,
                    m.config.cpu_id if m.config else "",
                    m.config.ram_gib if m.config else "",
                    a.tier if a else "",
                    c.model_id if c else "",
                    c.quant if c else "",
                    c.backend if c else "",
                    c.device if c else "",
                    f"{c.speed.decode_tok_s:.1f}" if c else "",
                    f"{c.speed.ttft_s:.2f}" if c else "",
                    c.speed.confidence if c else (a.confidence if a else ""),
                    m.problem or (a.blocked_by if a and not c else ""),
                ]
            )
