from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
PROBE_FIXTURES = FIXTURES / "probe"


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
