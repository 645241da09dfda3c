"""The hardware database (``sizer/hardware/data/*.json``: data with a source per entry) and
matching the messy CPU and GPU strings inventories contain against it.

Matching is by *signature*: the distinguishing tokens of an entry's model name (``i5-1145g7``;
``ultra 7 155h``; ``ryzen 7 pro 7840u``; ``apple m2 pro``) must all appear in the normalised
inventory string; among the entries that match, the most specific (largest signature) wins,
so "Apple M2 Pro" is the Pro and "AMD Ryzen 7 PRO 7840U" the PRO part where both are listed.
A string no entry matches, or that two equally specific entries match, is reported — never
guessed. "Laptop" counts: "RTX 4060 Laptop GPU" is the laptop part (256 GB/s), "RTX 4060"
the desktop card (272 GB/s). An entry's ``aliases`` are whole names a device reports that do
not contain its model name, such as nvidia-smi's "NVIDIA A100-PCIE-40GB".

Format ``sizer.hardware-db`` version 2: GPU compute peaks are named for what they are
(``fp32_vector_tflops``, ``fp16_vector_tflops``, ``fp16_tensor_tflops``, ``int8_tensor_tops``,
dense); version 1 had one ``fp16_tflops`` field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

# Words that never distinguish one part from another
FORMAT, FORMAT_VERSION = "sizer.hardware-db", 2
GENERIC = {
    "intel",
    "amd",
    "apple",
    "qualcomm",
    "nvidia",
    "core",
    "processor",
    "cpu",
    "with",
    "graphics",
    "radeon",
    "gen",
    "mobile",
    "geforce",
    "gpu",
    "generation",
    "snapdragon",
    "oryon",
    "tesla",
    "w",
    "the",
    "and",
    "of",
}
NOISE = re.compile(r"\((?:r|tm|c)\)|[®™]|@\s*[\d.]+\s*ghz|\b\d+(?:st|nd|rd|th)\s+gen\b", re.I)


def normalise(text: str) -> list[str]:
    """Lower-case tokens with the usual noise removed and model numbers in one form:
    ``Intel(R) Core(TM) i5 1145G7 @ 2.60GHz`` -> ``[i5-1145g7]``; ``X1E78100`` ->
    ``x1e-78-100``; ``Ryzen AI Max+ 395`` -> ``ryzen ai max+ 395``."""
    text = NOISE.sub(" ", text.lower())
    text = re.sub(r"\bi([3579])[\s-]+(\d{4,5}[a-z]{0,2}\d?)\b", r"i\1-\2", text)
    text = re.sub(r"\b(x1[ep])-?(\d{2})-?(\d{3})\b", r"\1-\2-\3", text)
    text = re.sub(r"[,;/()\[\]]|\s-\s", " ", text)
    return [t for t in text.split() if t and t not in GENERIC]


def signature(model: str) -> frozenset[str]:
    return frozenset(normalise(model))


@dataclass(frozen=True)
class Entry:
    kind: str  # "cpus" or "gpus"
    id: str
    vendor: str
    model: str
    data: dict[str, Any]

    @property
    def name(self) -> str:
        """The model, with its variant where one model name covers several parts ("Apple M3
        Max (14-core CPU)", "Apple M2 Max GPU (30-core)", "GeForce RTX 4060 Ti (16GB)")."""
        variant = self.data.get("variant")
        return f"{self.vendor} {self.model}" + (f" ({variant})" if variant else "")


@dataclass(frozen=True)
class Match:
    entry: Entry | None
    problem: str | None  # why there is no entry: unknown, or ambiguous
    # Ambiguous between the listed variants of one model name (an "Apple M3 Max" is the
    # 14-core or the 16-core part): every one of them, for a caller that must still answer
    variants: tuple[Entry, ...] = ()

    def slowest_variant(self) -> Entry | None:
        """The variant with the least memory bandwidth, then the fewest cores: the floor
        every machine sold under that name reaches. Callers that use it say so."""
        if not self.variants:
            return None
        return min(self.variants, key=_speed_key)


def _speed_key(entry: Entry) -> tuple[float, int, int]:
    data = entry.data
    bandwidth = (data.get("memory") or {}).get("max_bandwidth_gbs") or data.get(
        "memory_bandwidth_gbs"
    )
    cores = (data.get("p_cores") or 0) + (data.get("e_cores") or 0)
    return (bandwidth or 0.0, cores, data.get("gpu_cores") or data.get("vram_gb") or 0)


@cache
def load(kind: str) -> tuple[Entry, ...]:
    text = resources.files("sizer.hardware").joinpath("data", f"{kind}.json").read_text()
    return entries_from(json.loads(text), kind)


def entries_from(data: dict[str, Any], kind: str) -> tuple[Entry, ...]:
    if data.get("format") != FORMAT or data.get("kind") != kind:
        raise ValueError(f"not a sizer hardware database of {kind}")
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"hardware database of {kind}: format_version {data.get('format_version')!r}, "
            f"this sizer reads {FORMAT_VERSION}"
        )
    return tuple(Entry(kind, e["id"], e["vendor"], e["model"], e) for e in data["entries"])


def match(text: str, entries: tuple[Entry, ...]) -> Match:
    tokens = set(normalise(text))
    if not tokens:
        return Match(None, f"no model name in {text.strip()!r}")
    exact = [e for e in entries if frozenset(tokens) in _alias_signatures(e)]
    if len(exact) == 1:
        return Match(exact[0], None)
    found = [(len(sig), e) for e in entries if (sig := _signature(e)) and sig <= tokens]
    if not found:
        return Match(None, f"not in the hardware database: {text.strip()!r}")
    found.sort(key=lambda pair: -pair[0])
    best = [e for size, e in found if size == found[0][0]]
    if len(best) > 1:
        # Variants of one model name: the string must say which ("38-core", "16GB")
        stated = [e for e in best if (v := _variant_signature(e)) and v <= tokens]
        best = stated if len(stated) == 1 else best
    if len({e.id for e in best}) > 1:
        names = ", ".join(sorted(e.name for e in best))
        one_model = len({e.model for e in best}) == 1
        problem = f"ambiguous: {text.strip()!r} matches {names}; say which"
        return Match(None, problem, tuple(best) if one_model else ())
    variant = (tokens - _signature(best[0])) & _vocabulary(entries)
    variant |= _stated_size_differs(tokens, best[0])
    if variant:
        words = " ".join(sorted(variant))
        return Match(
            None,
            f"not in the hardware database: {text.strip()!r} is a variant ({words}) of "
            f"{best[0].name}, which is listed but is another part; give its figures with "
            "--hardware, or add it to the database",
        )
    return Match(best[0], None)


def _stated_size_differs(tokens: set[str], entry: Entry) -> set[str]:
    """A memory size ("16gb") or GPU core count ("30-core") the string states and the
    entry contradicts: the RTX 4060 Ti 16GB or a 30-core M3 Max GPU is another part."""
    differs = set()
    for token in tokens:
        size = re.fullmatch(r"(\d+)gb", token)
        cores = re.fullmatch(r"(\d+)-core", token)
        if size and entry.data.get("vram_gb") not in (None, int(size.group(1))):
            differs.add(token)
        if cores and entry.data.get("gpu_cores") not in (None, int(cores.group(1))):
            differs.add(token)
    return differs


# Words that make a sibling part in either database, whichever one is searched: an "M1
# Ultra GPU" must not be taken for the listed M1 GPU because no GPU name says "ultra".
VARIANT_WORDS = frozenset(
    {"ultra", "max", "pro", "plus", "elite", "laptop", "super", "ti", "xt", "xtx"}
)


def _vocabulary(entries: tuple[Entry, ...]) -> frozenset[str]:
    """Every word that tells one entry from another ("ultra", "laptop", "max", "super"): a
    string that contains one beyond the entry it matched names a sibling not listed (an
    "M1 Ultra" is not the M1, an "RTX 4090 Laptop GPU" not the desktop card). Words only:
    model numbers differ in the number itself, and sizes ("8gb") are not names."""
    words = frozenset().union(*(_signature(e) for e in entries))
    return frozenset(w for w in words if w.isalpha()) | VARIANT_WORDS


@cache
def _signature_cached(kind: str, entry_id: str, model: str) -> frozenset[str]:
    return signature(model)


def _signature(entry: Entry) -> frozenset[str]:
    return _signature_cached(entry.kind, entry.id, entry.model)


def _variant_signature(entry: Entry) -> frozenset[str]:
    return signature(str(entry.data.get("variant") or ""))


def _alias_signatures(entry: Entry) -> tuple[frozenset[str], ...]:
    """The names a device reports for itself when they do not contain the model's name
    (nvidia-smi says "NVIDIA A100-PCIE-40GB"); an alias matches only the whole string."""
    return tuple(signature(alias) for alias in entry.data.get("aliases") or ())
