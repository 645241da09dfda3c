"""The ``sizer`` command. Thin: each command module parses, calls the library, renders.

Errors: every ``SizerError`` becomes one line on stderr and its exit code, here and only
here. Ctrl-C exits 130 after the command's own cleanup has saved what it measured.
"""

from __future__ import annotations

import sys

import typer

from sizer import __version__
from sizer.errors import SizerError

INTERRUPTED = 130  # 128 + SIGINT, the shell convention

app = typer.Typer(
    name="sizer",
    help="Which local language model can this machine run for your job? Measured, not guessed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: rendering it through rich costs a tenth of a second of imports on
    # every `--help` (the whole budget for it), and the help has no markup to render.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"sizer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """sizer: probe, estimate, benchmark and recommend local LLMs for this machine."""


def _register() -> None:
    from sizer.cli import bench as bench_command
    from sizer.cli import estimate as estimate_command
    from sizer.cli import fleet as fleet_command
    from sizer.cli import models as models_command
    from sizer.cli import probe as probe_command
    from sizer.cli import profile as profile_command
    from sizer.cli import recommend as recommend_command
    from sizer.cli import report as report_command
    from sizer.cli import tasks as tasks_command

    app.command("recommend")(recommend_command.recommend_command)
    app.command("fleet")(fleet_command.fleet_command)
    app.command("probe")(probe_command.probe_command)
    app.command("estimate")(estimate_command.estimate_command)
    app.command("bench")(bench_command.bench_command)
    app.command("report")(report_command.report_command)
    app.command("compare")(report_command.compare_command)
    app.add_typer(models_command.app, name="models")
    app.add_typer(tasks_command.app, name="tasks")
    app.add_typer(profile_command.app, name="profile")


_register()


def main() -> None:
    """Entry point: run the app, and turn every failure into one line and an exit code."""
    try:
        code = app(standalone_mode=False, prog_name="sizer")
    except typer.TyperException as exc:  # usage errors (bad flag, bad value) and the like
        message = exc.format_message()
        context = getattr(exc, "ctx", None)
        hint = f" (see '{context.command_path} --help')" if context else ""
        if message:  # no message: help was already printed (``sizer`` with no arguments)
            typer.echo(f"sizer: usage error: {message}{hint}", err=True)
        sys.exit(exc.exit_code)
    except SizerError as exc:
        typer.echo(f"sizer: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        code = INTERRUPTED
    if code == INTERRUPTED:  # typer turns Ctrl-C inside a command into Exit(130)
        typer.echo("sizer: interrupted; results measured so far are on disk", err=True)
    sys.exit(code if isinstance(code, int) else 0)
