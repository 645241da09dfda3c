"""Human formatting of bytes and rates. Binary units for memory, decimal for bandwidth."""

from __future__ import annotations


def gib(n: int | float | None) -> str:
    """Binary units with three significant digits: "1.04 GiB", "241 MiB", "64 KiB"."""
    if n is None:
        return "?"
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if abs(n) >= scale:
            value = n / scale
            digits = 2 if value < 10 else 1 if value < 100 else 0
            return f"{value:.{digits}f} {unit}"
    return f"{int(n)} B"


def rate(value: float, unit: str) -> str:
    """bytes_per_s -> "18.2 GB/s"; flop_per_s -> "95.1 GFLOP/s"."""
    if unit == "bytes_per_s":
        return f"{value / 1e9:.1f} GB/s"
    if unit == "flop_per_s":
        return f"{value / 1e9:.1f} GFLOP/s"
    return f"{value:.3g} {unit}"
