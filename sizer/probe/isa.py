"""ISA features that matter for inference, under one set of canonical names.

llama.cpp picks kernels by these: AVX2+FMA+F16C for the K-quant dot products, AVX-512
(F/BW/VL) and VNNI for int8 dot products, AMX for tiled int8/bf16 matmul, and on Arm NEON
with dot-product / I8MM / SVE. Each OS names them differently; we map all of them here.
"""

from __future__ import annotations

from sizer.hardware.record import ARM_FEATURES, X86_FEATURES

# Linux /proc/cpuinfo "Features" names on arm64 -> canonical.
_LINUX_ARM = {
    "asimd": "neon",
    "asimdhp": "fp16",
    "asimddp": "dotprod",
    "i8mm": "i8mm",
    "bf16": "bf16",
    "sve": "sve",
    "sve2": "sve2",
    "sme": "sme",
}
# macOS sysctl hw.optional.* names -> canonical.
_DARWIN_ARM = {
    "hw.optional.neon": "neon",
    "hw.optional.arm.FEAT_FP16": "fp16",
    "hw.optional.arm.FEAT_DotProd": "dotprod",
    "hw.optional.arm.FEAT_I8MM": "i8mm",
    "hw.optional.arm.FEAT_BF16": "bf16",
    "hw.optional.arm.FEAT_SME": "sme",
}
# py-cpuinfo and Windows name a few x86 flags differently from Linux.
_ALIASES = {
    "avx512vnni": "avx512_vnni",
    "avx512bf16": "avx512_bf16",
    "avxvnni": "avx_vnni",
    "sse4.2": "sse4_2",
    "fma3": "fma",
}


def is_arm(arch: str | None) -> bool:
    name = (arch or "").lower()
    return name in ("aarch64", "arm64") or name.startswith("arm")


def from_flag_words(words: list[str], arch: str | None) -> dict[str, bool]:
    """Features from a flag list: x86 ``flags`` or arm64 ``Features`` of /proc/cpuinfo."""
    present = {_ALIASES.get(w.lower(), w.lower()) for w in words}
    if is_arm(arch):
        canonical = {_LINUX_ARM[w] for w in present if w in _LINUX_ARM}
        return {name: name in canonical for name in ARM_FEATURES}
    return {name: name in present for name in X86_FEATURES}


def from_darwin_sysctl(values: dict[str, str]) -> dict[str, bool]:
    found = {canon for key, canon in _DARWIN_ARM.items() if values.get(key, "0").strip() == "1"}
    # AdvSIMD (NEON) is architectural on every arm64 Mac; older macOS lacks hw.optional.neon.
    found.add("neon")
    return {name: name in found for name in ARM_FEATURES}


def summary(isa: dict[str, bool]) -> str:
    """A short human line: the features present, in a stable order."""
    return " ".join(name.upper() for name, ok in isa.items() if ok) or "none detected"
