"""``sizer tasks``: the built-in task suites, and a checker for your own task files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    rich_markup_mode=None,
    help="Task suites: list the built-in ones, validate your own.",
    no_args_is_help=True,
)


@app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="Task files (JSONL) to check.")],
) -> None:
    """Check task files line by line; every problem is reported with its line number."""
    from collections import Counter

    from sizer.cli.render_tasks import render_validation
    from sizer.errors import InputError
    from sizer.tasks.items import parse_items

    bad = 0
    for path in files:
        items, errors = parse_items(path)
        if not items and not errors:
            errors = [f"{path}: no task items (one JSON object per line)"]
        for error in errors:
            typer.echo(error, err=True)
        bad += bool(errors)
        if not errors:
            typer.echo(render_validation(str(path), len(items), Counter(i.task for i in items)))
    if bad:
        raise InputError(f"{bad} of {len(files)} task file(s) have problems (listed above)")


@app.command("list")
def list_command(
    quick: Annotated[bool, typer.Option(help="Show the --quick subset sizes.")] = False,
) -> None:
    """The built-in task suites with their version, size and content hash."""
    from sizer.tasks.suites import SUITE_NAMES, builtin, manifest

    for name in SUITE_NAMES:
        suite = builtin(name, quick)
        typer.echo(
            f"{name:<15} v{suite.version}  {len(suite.items):>3} items  "
            f"sha256 {suite.sha256[:12]}  {manifest()[name]['about']}"
        )
