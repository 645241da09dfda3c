"""What a warm probe skips: answers kept until reboot or reinstall (asked once per key, never
kept when asking fails), and NVML where no NVIDIA driver is loaded."""

import pytest

from sizer.probe import boot_cache


@pytest.fixture
def asks():
    calls: list[str] = []

    def ask():
        calls.append("asked")
        return {"gpu": False, "info": "AVX2 = 1"}

    return calls, ask


def test_second_call_with_same_key_reads_the_file(asks):
    calls, ask = asks
    first = boot_cache.remembered("thing", "1.0", ask)
    second = boot_cache.remembered("thing", "1.0", ask)
    assert first == second == {"gpu": False, "info": "AVX2 = 1"}
    assert calls == ["asked"]


@pytest.mark.parametrize("change", ["reboot", "upgrade"])
def test_reboot_or_new_package_version_asks_again(asks, monkeypatch, change):
    calls, ask = asks
    boot_cache.remembered("thing", "1.0", ask)
    if change == "reboot":
        monkeypatch.setattr(boot_cache, "boot_id", lambda: "another-boot")
    version = "2.0" if change == "upgrade" else "1.0"
    boot_cache.remembered("thing", version, ask)
    assert calls == ["asked", "asked"]


def test_failure_is_not_kept(asks):
    calls, ask = asks

    def fail():
        raise OSError("child died")

    with pytest.raises(OSError):
        boot_cache.remembered("thing", "1.0", fail)
    assert boot_cache.remembered("thing", "1.0", ask) == {"gpu": False, "info": "AVX2 = 1"}
    assert calls == ["asked"]


def test_corrupt_file_is_asked_again(asks, tmp_path):
    calls, ask = asks
    boot_cache.remembered("thing", "1.0", ask)
    (boot_cache.sizer_home() / "boot" / "thing.json").write_text("{not json")
    boot_cache.remembered("thing", "1.0", ask)
    assert calls == ["asked", "asked"]


def test_boot_id_is_stable_within_a_boot():
    assert boot_cache.boot_id() == boot_cache.boot_id()


def test_no_nvidia_driver_means_no_nvml_import(monkeypatch):
    """Without /proc/driver/nvidia the live probe notes the absence and never loads NVML."""
    import sys

    from sizer.hardware.record import Hardware
    from sizer.probe import nvidia
    from sizer.probe.sysroot import SysRoot

    monkeypatch.setattr(nvidia, "_DRIVER_PROC", "/nonexistent/driver/nvidia/version")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(nvidia, "query_live", lambda: pytest.fail("NVML was asked"))
    hw = Hardware()
    nvidia.read(SysRoot.from_env(None), hw)
    assert [a.field for a in hw.absent] == ["nvidia"] and not hw.accelerators
