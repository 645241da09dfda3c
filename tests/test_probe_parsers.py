"""Parsers on captured text: table-driven cases, and properties that hostile input cannot break."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sizer.probe import _darwin, isa
from sizer.probe._linux import _parse_meminfo
from sizer.probe.cpulist import MAX_CPUS, parse_cpu_list, parse_cpuinfo, parse_size
from sizer.probe.nvidia import parse_nvidia_smi_q
from sizer.probe.openvino import (
    format_hello_query_device,
    parse_hello_query_device,
    to_accelerator,
    to_device,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0-3", [0, 1, 2, 3]),
        ("0-1,3,6,8,10\n", [0, 1, 3, 6, 8, 10]),
        ("12-21", list(range(12, 22))),
        ("5", [5]),
        ("", []),
        (None, None),
        ("3-1", None),
        ("a-b", None),
        ("-1", None),
        (f"0-{MAX_CPUS * 1000}", None),  # hostile: must not allocate a huge list
    ],
)
def test_parse_cpu_list(text, expected):
    assert parse_cpu_list(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("48K", 48 * 1024), ("2048K\n", 2 << 20), ("32M", 32 << 20), ("512", 512), ("x", None)],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_cpuinfo_blocks_with_and_without_blank_lines():
    joined = "processor\t: 0\nmodel name\t: A\nprocessor\t: 1\nmodel name\t: A\n"
    spaced = "processor\t: 0\nmodel name\t: A\n\nprocessor\t: 1\nmodel name\t: A\n\n"
    assert parse_cpuinfo(joined) == parse_cpuinfo(spaced)
    assert [b["processor"] for b in parse_cpuinfo(joined)] == ["0", "1"]


HELLO_CPP = """\
[ INFO ] Build ................................. 2024.6.0-17404
[ INFO ] Available devices:
[ INFO ] CPU
[ INFO ] 	SUPPORTED_PROPERTIES:
[ INFO ] 		Immutable: AVAILABLE_DEVICES : ""
[ INFO ] 		Immutable: FULL_DEVICE_NAME : Intel(R) Core(TM) Ultra 7 165U
[ INFO ] 		Immutable: OPTIMIZATION_CAPABILITIES : FP32 INT8 BIN EXPORT_IMPORT
[ INFO ] 		Mutable: NUM_STREAMS : 1
[ INFO ] GPU
[ INFO ] 	SUPPORTED_PROPERTIES:
[ INFO ] 		Immutable: FULL_DEVICE_NAME : Intel(R) Graphics (iGPU)
[ INFO ] 		Immutable: DEVICE_TYPE : integrated
[ INFO ] 		Immutable: GPU_DEVICE_TOTAL_MEM_SIZE : 16584073216
"""
HELLO_PY = """\
[ INFO ] Available devices:
[ INFO ] GPU.1 :
[ INFO ] 	SUPPORTED_PROPERTIES:
[ INFO ] 		FULL_DEVICE_NAME: Intel(R) Arc(TM) A770 Graphics (dGPU)
[ INFO ] 		DEVICE_TYPE: Type.DISCRETE
[ INFO ] 		GPU_DEVICE_TOTAL_MEM_SIZE: 16225243136
[ INFO ] 		OPTIMIZATION_CAPABILITIES: FP32, BIN, FP16, INT8, GPU_HW_MATMUL
"""


def test_hello_query_device_cpp_layout():
    devices = parse_hello_query_device(HELLO_CPP)
    assert list(devices) == ["CPU", "GPU"]
    assert devices["CPU"]["FULL_DEVICE_NAME"] == "Intel(R) Core(TM) Ultra 7 165U"
    assert devices["CPU"]["AVAILABLE_DEVICES"] == ""
    gpu = to_accelerator(to_device("GPU", devices["GPU"]), devices["GPU"])
    assert gpu.integrated and gpu.memory_total_bytes == 16584073216


def test_hello_query_device_python_layout_discrete_gpu():
    devices = parse_hello_query_device(HELLO_PY)
    device = to_device("GPU.1", devices["GPU.1"])
    assert device.device_type == "discrete"
    assert device.capabilities == ["FP32", "BIN", "FP16", "INT8", "GPU_HW_MATMUL"]
    accelerator = to_accelerator(device, devices["GPU.1"])
    assert accelerator.integrated is False and accelerator.memory_shared_with_ram is False


def test_hello_query_device_round_trip():
    devices = {"CPU": {"FULL_DEVICE_NAME": "X", "DEVICE_TYPE": "integrated"}, "NPU": {}}
    assert parse_hello_query_device(format_hello_query_device(devices)) == devices


NVIDIA_SMI_Q = """\
==============NVSMI LOG==============

Driver Version                            : 550.120
CUDA Version                              : 12.4

Attached GPUs                             : 2
GPU 00000000:01:00.0
    Product Name                          : NVIDIA GeForce RTX 3090
    FB Memory Usage
        Total                             : 24576 MiB
        Reserved                          : 310 MiB
        Used                              : 1394 MiB
        Free                              : 22871 MiB
    BAR1 Memory Usage
        Total                             : 256 MiB
        Free                              : 200 MiB
GPU 00000000:02:00.0
    Product Name                          : NVIDIA RTX A6000
    FB Memory Usage
        Total                             : 49140 MiB
        Free                              : N/A
"""


def test_nvidia_smi_q_two_gpus_and_bar1_is_not_vram():
    data = parse_nvidia_smi_q(NVIDIA_SMI_Q)
    assert (data["driver_version"], data["cuda_version"]) == ("550.120", "12.4")
    first, second = data["gpus"]
    assert first["name"] == "NVIDIA GeForce RTX 3090"
    assert first["total_bytes"] == 24576 << 20 and first["free_bytes"] == 22871 << 20
    assert second["total_bytes"] == 49140 << 20 and second["free_bytes"] is None


def test_meminfo_units():
    values = _parse_meminfo("MemTotal:       16384 kB\nHugePages_Total:       0\nbad line\n")
    assert values == {"MemTotal": 16384 * 1024, "HugePages_Total": 0}


def test_sysctl_parse_and_darwin_isa():
    values = _darwin.parse_sysctl("hw.optional.arm.FEAT_I8MM: 1\nhw.memsize: 8\nnot a line\n")
    assert values == {"hw.optional.arm.FEAT_I8MM": "1", "hw.memsize": "8"}
    features = isa.from_darwin_sysctl(values)
    assert features["i8mm"] and features["neon"] and not features["sve"]


@pytest.mark.parametrize(
    ("words", "arch", "present"),
    [
        (
            ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "amx_tile", "amx_int8"],
            "x86_64",
            {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "amx_tile", "amx_int8"},
        ),
        (["AVX512VNNI", "avxvnni", "sse4.2"], "AMD64", {"avx512_vnni", "avx_vnni", "sse4_2"}),
        (
            ["fp", "asimd", "asimdhp", "asimddp", "i8mm", "sve2"],
            "aarch64",
            {"neon", "fp16", "dotprod", "i8mm", "sve2"},
        ),
    ],
)
def test_isa_mapping(words, arch, present):
    features = isa.from_flag_words(words, arch)
    assert {name for name, ok in features.items() if ok} == present


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_parsers_never_raise_on_arbitrary_text(text):
    parse_cpuinfo(text)
    parse_cpu_list(text)
    parse_hello_query_device(text)
    parse_nvidia_smi_q(text)
    _darwin.parse_sysctl(text)
    _parse_meminfo(text)
