"""Parsing of the kernel's CPU list format ("0-3,8,10-11") and /proc/cpuinfo blocks."""

from __future__ import annotations

# A hostile list such as "0-999999999" must not allocate without bound.
MAX_CPUS = 8192


def parse_cpu_list(text: str | None) -> list[int] | None:
    """CPU numbers from "0-3,8"; None when the text is absent or malformed."""
    if text is None:
        return None
    cpus: list[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            start, end = int(low), int(high or low)
        except ValueError:
            return None
        if start < 0 or end < start or end - start >= MAX_CPUS or len(cpus) > MAX_CPUS:
            return None
        cpus.extend(range(start, end + 1))
    return cpus


def parse_cpuinfo(text: str) -> list[dict[str, str]]:
    """/proc/cpuinfo as one dict per block ("processor" entries; arm64 adds a header block)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key == "processor" and "processor" in current:
            # Some captures (wiki pages, forum posts) lose the blank line between blocks.
            blocks.append(current)
            current = {}
        if sep:
            current[key] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def parse_size(text: str | None) -> int | None:
    """Cache sizes as sysfs writes them: "48K", "2048K", "32M"."""
    if not text:
        return None
    value = text.strip().upper().removesuffix("B")
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(value[-1:], 1)
    digits = value[:-1] if value[-1:] in "KMG" else value
    try:
        return int(digits) * scale
    except ValueError:
        return None
