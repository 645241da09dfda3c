"""No silent sibling matches: a string naming a variant the database does not list (Ultra
vs base, laptop vs desktop, another memory size or GPU core count) is reported as unknown,
naming the listed sibling; a model name that covers several listed parts is reported with
them all; the listed variants are found exactly."""

import pytest

from sizer.hardware.db import load, match

UNLISTED = [
    ("cpus", "Apple M5 Ultra", "Apple M5", "ultra"),
    ("gpus", "Apple M5 Ultra GPU", "Apple M5 GPU (10-core)", "ultra"),
    ("gpus", "Apple M5 GPU (8-core)", "Apple M5 GPU (10-core)", "8-core"),
    ("gpus", "NVIDIA GeForce RTX 5060 Ti 8GB", "NVIDIA GeForce RTX 5060 Ti (16GB)", "8gb"),
    ("cpus", "AMD Ryzen 9 7950X3D2", None, None),
]

# One model name, several listed parts: which one is for the user to say
AMBIGUOUS = [
    ("cpus", "Apple M2 Pro", ["Apple M2 Pro (10-core CPU)", "Apple M2 Pro (12-core CPU)"]),
    ("cpus", "Apple M3 Max", ["Apple M3 Max (14-core CPU)", "Apple M3 Max (16-core CPU)"]),
    ("gpus", "Apple M2 Max GPU", ["Apple M2 Max GPU (30-core)", "Apple M2 Max GPU (38-core)"]),
    ("gpus", "NVIDIA GeForce RTX 4060 Ti", ["RTX 4060 Ti (16GB)", "RTX 4060 Ti (8GB)"]),
]

LISTED = [
    ("cpus", "Apple M2", "apple-m2"),
    ("cpus", "Apple M2 Pro 12-core", "apple-m2-pro-12c"),
    ("cpus", "Apple M2 Pro (10-core CPU)", "apple-m2-pro-10c"),
    ("cpus", "Apple M2 Max", "apple-m2-max"),
    ("cpus", "Apple M1 Ultra", "apple-m1-ultra"),
    ("cpus", "Apple M3 Ultra 32-core CPU", "apple-m3-ultra-32c"),
    ("cpus", "AMD EPYC 9654 96-Core Processor", "amd-epyc-9654"),
    ("cpus", "13th Gen Intel(R) Core(TM) i9-13900K", "intel-core-i9-13900k"),
    ("cpus", "AMD Ryzen 7 7840U w/ Radeon 780M Graphics", "amd-ryzen-7-7840u"),
    ("cpus", "AMD Ryzen 7 PRO 7840U w/ Radeon 780M Graphics", "amd-ryzen-7-pro-7840u"),
    ("cpus", "Intel(R) Core(TM) Ultra 7 155H", "intel-core-ultra-7-155h"),
    ("gpus", "NVIDIA GeForce RTX 4090 Laptop GPU", "nvidia-geforce-rtx-4090-laptop-gpu"),
    ("gpus", "NVIDIA GeForce RTX 4090", "nvidia-geforce-rtx-4090"),
    ("gpus", "NVIDIA GeForce RTX 4070 SUPER", "nvidia-geforce-rtx-4070-super"),
    ("gpus", "NVIDIA GeForce RTX 4060 Ti 8GB", "nvidia-geforce-rtx-4060-ti"),
    ("gpus", "Apple M3 Max GPU (40-core)", "apple-m3-max-gpu-40-core"),
    ("gpus", "Apple M3 Max GPU (30-core)", "apple-m3-max-gpu-30-core"),
    ("gpus", "Apple M1 Ultra GPU 64-core", "apple-m1-ultra-gpu-64-core"),
    ("gpus", "NVIDIA GeForce RTX 4060 Ti 16GB", "nvidia-geforce-rtx-4060-ti-16gb"),
    ("gpus", "AMD Radeon RX 7900 XT", "amd-radeon-rx-7900-xt"),
    ("gpus", "AMD Radeon RX 7900 XTX", "amd-radeon-rx-7900-xtx"),
]


@pytest.mark.parametrize(("kind", "text", "sibling", "word"), UNLISTED)
def test_an_unlisted_variant_is_reported_with_its_listed_sibling(kind, text, sibling, word):
    found = match(text, load(kind))
    assert found.entry is None
    if sibling:
        assert f"variant ({word}) of {sibling}" in found.problem
    else:
        assert "not in the hardware database" in found.problem


@pytest.mark.parametrize(("kind", "text", "candidates"), AMBIGUOUS)
def test_a_name_of_several_listed_parts_is_reported_with_them_all(kind, text, candidates):
    found = match(text, load(kind))
    assert found.entry is None and found.problem.startswith("ambiguous")
    for name in candidates:
        assert name in found.problem


@pytest.mark.parametrize(("kind", "text", "entry_id"), LISTED)
def test_a_listed_variant_is_found_exactly(kind, text, entry_id):
    assert match(text, load(kind)).entry.id == entry_id


def test_an_unknown_part_is_never_resolved():
    assert match("NVIDIA GeForce RTX 3050 6GB", load("gpus")).entry is None
