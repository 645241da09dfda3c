"""``sizer profile export | validate | import | list | show``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sizer.errors import InputError
from sizer.paths import write_atomically

app = typer.Typer(
    rich_markup_mode=None,
    help="Result profiles: share what a machine measured, check and import them.",
    no_args_is_help=True,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _checked_or_fail(profile: dict, name: str) -> None:
    from sizer.profiles.validate import check_data

    checked = check_data(profile, name)
    if checked.problems:
        raise InputError(f"refusing to write an invalid profile: {checked.problems[0]}")


@app.command("export")
def export_command(
    results: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Result files (JSONL) or folders of them; default: $SIZER_RESULTS, "
            "else $SIZER_HOME/results."
        ),
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="The profile to write.")] = Path(
        "profile.json"
    ),
    title: Annotated[str | None, typer.Option(help="A one-line title for the profile.")] = None,
) -> None:
    """Build a shareable profile from saved results (runs nothing, asks nothing)."""
    from sizer.paths import results_dir
    from sizer.profiles.export import export, load_records
    from sizer.profiles.format import dumps, machine_label

    profile = export(load_records(results or [results_dir()]), title)
    _checked_or_fail(profile, str(output))
    write_atomically(output, dumps(profile))
    typer.echo(
        f"wrote {output}: {machine_label(profile)}, {len(profile['runs'])} run(s), "
        f"{len(profile['task_scores'])} task score(s); no hostname, user, path, "
        "address or serial in it"
    )


@app.command("validate")
def validate_command(
    paths: Annotated[list[Path], typer.Argument(help="Profiles, or folders of them.")],
    as_json: JsonOption = False,
) -> None:
    """Schema, checksum, size limit and physical plausibility; exits 1 on any problem."""
    from sizer.profiles.corpus import profile_files
    from sizer.profiles.format import machine_label
    from sizer.profiles.validate import check_file

    files = profile_files(paths)
    if not files:
        raise InputError("no profile files (*.json) in " + ", ".join(map(str, paths)))
    checked = [check_file(f) for f in files]
    if as_json:
        rows = [
            {"path": c.path, "ok": c.ok, "problems": [str(p) for p in c.problems]} for c in checked
        ]
        typer.echo(json.dumps(rows, indent=2))
    for c in checked if not as_json else []:
        if c.ok and c.profile is not None:
            typer.echo(
                f"ok      {c.path}: {machine_label(c.profile)}, "
                f"{len(c.profile['runs'])} run(s), {len(c.profile['task_scores'])} "
                "task score(s)"
            )
        for problem in c.problems:
            typer.echo(f"invalid {problem}", err=True)
    bad = sum(not c.ok for c in checked)
    if bad:
        typer.echo(f"{bad} of {len(checked)} profile(s) invalid", err=True)
        raise typer.Exit(1)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="llama-bench output: json, jsonl, csv, md or sql.")],
    source: Annotated[
        str | None,
        typer.Option(
            help="Where the results came from (URL or words); needed unless FILE is "
            "a source manifest (profiles/sources/)."
        ),
    ] = None,
    from_tool: Annotated[str, typer.Option("--from", help="The tool that wrote FILE.")] = (
        "llama-bench"
    ),
    fmt: Annotated[str | None, typer.Option("--format", help="Default: detected.")] = None,
    cpu: Annotated[str | None, typer.Option(help="CPU model (Markdown output lacks it).")] = None,
    cores: Annotated[int | None, typer.Option(min=1, help="Physical cores.")] = None,
    ram_gb: Annotated[float | None, typer.Option(min=0.5, help="Installed RAM, GB.")] = None,
    memory: Annotated[str | None, typer.Option(help='RAM kind, e.g. "DDR5-5600".')] = None,
    bandwidth: Annotated[
        float | None,
        typer.Option(
            "--memory-bandwidth",
            min=0.1,
            help="Theoretical memory bandwidth, GB/s (bus bytes x MT/s).",
        ),
    ] = None,
    gpu: Annotated[str | None, typer.Option(help="GPU, when the runs used one.")] = None,
    os_name: Annotated[str | None, typer.Option("--os", help="Operating system.")] = None,
    published: Annotated[str | None, typer.Option(help="YYYY-MM[-DD] of the source.")] = None,
    title: Annotated[str | None, typer.Option(help="A one-line title.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Default: $SIZER_HOME/profiles/<name>.json."),
    ] = None,
) -> None:
    """Turn another tool's results into a profile (all rows or nothing)."""
    from sizer.profiles.format import dumps, machine_label
    from sizer.profiles.llama_bench_import import (
        Machine,
        Source,
        from_manifest,
        import_text,
        manifest,
    )

    if from_tool != "llama-bench":
        raise InputError(f"--from {from_tool}: only llama-bench output can be imported")
    text = _read_small_text(file)
    machine = Machine(
        cpu=cpu,
        cores=cores,
        ram_bytes=int(ram_gb * 1e9) if ram_gb else None,
        memory=memory,
        gpu=gpu,
        os=os_name,
        bandwidth_bytes_s=bandwidth * 1e9 if bandwidth else None,
    )
    given = Source(url=source, published=published) if source else None
    described = manifest(text)
    if described is not None:
        text, fmt_in_file, machine, given = from_manifest(described, machine, given)
        fmt = fmt or fmt_in_file
    if given is None:
        raise InputError("say where these results came from with --source (a URL or words)")
    try:
        profile = import_text(text, machine, given, fmt, title)
    except InputError as exc:
        raise InputError(f"{file}: {exc}") from None
    target = output or _default_import_path(profile)
    _checked_or_fail(profile, str(target))
    write_atomically(target, dumps(profile))
    typer.echo(
        f"wrote {target}: {machine_label(profile)}, {len(profile['runs'])} run(s) "
        f"from {profile['provenance']['imported_format']}"
    )


MAX_IMPORT_BYTES = 20 << 20


def _read_small_text(file: Path) -> str:
    try:
        if file.stat().st_size > MAX_IMPORT_BYTES:
            raise InputError(f"{file}: over 20 MiB; llama-bench output is a few kB")
        return file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{file}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{file}: not UTF-8 text; expected llama-bench output") from None


def _default_import_path(profile: dict) -> Path:
    import re

    from sizer.paths import sizer_home

    brand = profile["hardware"]["cpu"]["brand"].lower()
    slug = re.sub(r"[^a-z0-9]+", "-", brand).strip("-")[:60] or "machine"
    return sizer_home() / "profiles" / f"{slug}-{profile['checksum'][7:15]}.json"


@app.command("list")
def list_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Profiles or folders; default: profiles/ and $SIZER_HOME/profiles."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The profiles sizer learns from: machine, models, runs, task scores, source."""
    from sizer.cli.render_profiles import corpus_rows, render_list
    from sizer.profiles.corpus import load_corpus

    corpus = load_corpus(paths)
    rows = corpus_rows(corpus)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(render_list(rows, corpus))


@app.command("show")
def show_command(
    file: Annotated[Path, typer.Argument(help="A profile.")],
    as_json: JsonOption = False,
) -> None:
    """One profile's machine, provenance, runs and task scores."""
    from sizer.cli.render_profiles import render_show
    from sizer.profiles.validate import check_file

    checked = check_file(file)
    if checked.profile is None:
        raise InputError(str(checked.problems[0]))
    if as_json:
        typer.echo(json.dumps(checked.profile, indent=1))
        return
    typer.echo(render_show(checked.profile, [str(p) for p in checked.problems]))
