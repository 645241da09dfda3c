"""CPU package energy from Linux RAPL counters (powercap), where the machine exposes them.

``/sys/class/powercap/intel-rapl:N/energy_uj`` (also used for AMD Zen since Linux 5.8) counts
microjoules per package and wraps at ``max_energy_range_uj``. Since 2020 (CVE-2020-8694) it is
readable by root only on most distributions; then energy is listed as missing, with why.
"""

from __future__ import annotations

from pathlib import Path

POWERCAP = Path("/sys/class/powercap")


class EnergyMeter:
    """Reads the sum of all package counters in joules, unwrapping overflow between reads."""

    def __init__(self, root: Path = POWERCAP) -> None:
        self.domains = sorted(p for p in root.glob("intel-rapl:*") if p.name.count(":") == 1)
        self.missing: str | None = None
        self._last: list[int] = []
        self._total_uj = 0
        if not self.domains:
            self.missing = f"no RAPL package counters under {root}"
        else:
            try:
                self._last = self._raw()
                self._ranges = [int((d / "max_energy_range_uj").read_text()) for d in self.domains]
            except OSError as exc:
                self.missing = f"RAPL counters not readable ({exc.strerror}: {exc.filename})"

    def _raw(self) -> list[int]:
        return [int((d / "energy_uj").read_text()) for d in self.domains]

    def read(self) -> float | None:
        """Joules since this meter was created, or None where energy cannot be measured."""
        if self.missing:
            return None
        now = self._raw()
        for i, (before, after) in enumerate(zip(self._last, now, strict=True)):
            self._total_uj += (
                after - before if after >= before else after + self._ranges[i] - before
            )
        self._last = now
        return self._total_uj / 1e6
