"""The CLI through Typer's runner, and the import budget of the light commands."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from sizer.cli import app
from sizer.hardware.record import HARDWARE_FORMAT, HARDWARE_FORMAT_VERSION

runner = CliRunner()


def test_probe_table_on_fixture(probe_fixture):
    result = runner.invoke(app, ["probe", "--sysroot", str(probe_fixture("intel-core-ultra-155h"))])
    assert result.exit_code == 0, result.output
    assert "hybrid: 6 P, 8 E, 2 LP-E" in result.output
    assert "Intel(R) AI Boost" in result.output
    assert "memory.total_bytes" in result.output  # listed under "could not read"


def test_probe_json_is_versioned(probe_fixture):
    result = runner.invoke(
        app, ["probe", "--json", "--sysroot", str(probe_fixture("apple-m4-max"))]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert (record["format"], record["format_version"]) == (
        HARDWARE_FORMAT,
        HARDWARE_FORMAT_VERSION,
    )
    assert record["cpu"]["brand"] == "Apple M4 Max"
    assert {"absent", "missing", "accelerators", "openvino", "llama_cpp"} <= set(record)


def test_probe_sysroot_from_environment(probe_fixture, monkeypatch):
    monkeypatch.setenv("SIZER_SYSROOT", str(probe_fixture("nvidia-desktop")))
    result = runner.invoke(app, ["probe", "--json"])
    assert json.loads(result.output)["accelerators"][0]["vendor"] == "NVIDIA"


def test_probe_on_missing_sysroot_still_exits_zero(tmp_path):
    result = runner.invoke(app, ["probe", "--sysroot", str(tmp_path / "nope")])
    assert result.exit_code == 0
    assert "could not read" in result.output


def test_unknown_flag_is_a_usage_error():
    result = runner.invoke(app, ["probe", "--bogus"])
    assert result.exit_code == 2
    assert "No such option" in result.output


def test_capture_then_replay_matches_live(tmp_path):
    result = runner.invoke(app, ["probe", "--json", "--capture", str(tmp_path / "cap")])
    assert result.exit_code == 0, result.output
    live = json.loads(result.output[result.output.index("{") :])
    replay = json.loads(
        runner.invoke(app, ["probe", "--json", "--sysroot", str(tmp_path / "cap")]).output
    )
    for key in ("brand", "physical_cores", "logical_cpus", "isa", "cache_bytes", "core_groups"):
        assert replay["cpu"][key] == live["cpu"][key], key
    assert replay["memory"]["total_bytes"] == live["memory"]["total_bytes"]
    assert [d["device_id"] for d in replay["openvino"]["devices"]] == [
        d["device_id"] for d in live["openvino"]["devices"]
    ]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(out.stdout.split())


def test_help_and_probe_do_not_import_heavy_runtimes():
    heavy = {"llama_cpp", "matplotlib", "openvino_genai"}
    help_run = (
        "from typer.testing import CliRunner; from sizer.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0"
    )
    assert not (heavy | {"numpy", "gguf"}) & _modules_after(help_run)
    probe_run = (
        "from typer.testing import CliRunner; from sizer.cli import app\n"
        "assert CliRunner().invoke(app, ['probe']).exit_code == 0"
    )
    assert not heavy & _modules_after(probe_run)


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("sizer ")


def test_ctrl_c_gives_one_line_and_exit_130():
    import signal

    child = subprocess.Popen(
        [sys.executable, "-m", "sizer", "probe", "--measure"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = child.stderr.readline()  # "measuring ...": the kernels (seconds of work) started
    assert "measuring" in first
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130
    assert err.strip().splitlines()[-1] == "sizer: interrupted; results measured so far are on disk"


def test_usage_error_is_one_line_through_main():
    done = subprocess.run(
        [sys.executable, "-m", "sizer", "probe", "--bogus"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip()
        == "sizer: usage error: No such option: --bogus (see 'sizer probe --help')"
    )


def test_inspect_of_a_non_gguf_file_is_one_line(tmp_path):
    (tmp_path / "notes.gguf").write_text("hello, these are my notes about models")
    command = [sys.executable, "-m", "sizer", "models", "inspect", str(tmp_path / "notes.gguf")]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "sizer: error: notes.gguf: not a GGUF file (starts with b'hell', expected b'GGUF')"
    )
