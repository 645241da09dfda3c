"""No silent sibling matches: a string naming a variant the database does not list (Ultra
vs base, laptop vs desktop, another memory size or GPU core count) is reported as unknown,
naming the listed sibling; the listed variants are found exactly."""

import pytest

from sizer.hardware.db import load, match

UNLISTED = [
    ("cpus", "Apple M1 Ultra", "Apple M1", "ultra"),
    ("cpus", "Apple M2 Ultra", "Apple M2", "ultra"),
    ("cpus", "Apple M3 Ultra", "Apple M3", "ultra"),
    ("gpus", "Apple M1 Ultra GPU", "Apple M1 GPU", "ultra"),
    ("gpus", "Apple M3 Max GPU (30-core)", "Apple M3 Max GPU", "30-core"),
    ("gpus", "NVIDIA GeForce RTX 4060 Ti 16GB", "NVIDIA GeForce RTX 4060 Ti", "16gb"),
]

LISTED = [
    ("cpus", "Apple M2", "apple-m2"),
    ("cpus", "Apple M2 Pro", "apple-m2-pro"),
    ("cpus", "Apple M2 Max", "apple-m2-max"),
    ("cpus", "AMD Ryzen 7 7840U w/ Radeon 780M Graphics", "amd-ryzen-7-7840u"),
    ("cpus", "AMD Ryzen 7 PRO 7840U w/ Radeon 780M Graphics", "amd-ryzen-7-pro-7840u"),
    ("cpus", "Intel(R) Core(TM) Ultra 7 155H", "intel-core-ultra-7-155h"),
    ("gpus", "NVIDIA GeForce RTX 4090 Laptop GPU", "nvidia-geforce-rtx-4090-laptop-gpu"),
    ("gpus", "NVIDIA GeForce RTX 4090", "nvidia-geforce-rtx-4090"),
    ("gpus", "NVIDIA GeForce RTX 4070 SUPER", "nvidia-geforce-rtx-4070-super"),
    ("gpus", "NVIDIA GeForce RTX 4060 Ti 8GB", "nvidia-geforce-rtx-4060-ti"),
    ("gpus", "Apple M3 Max GPU (40-core)", "apple-m3-max-gpu-40-core"),
    ("gpus", "AMD Radeon RX 7900 XT", "amd-radeon-rx-7900-xt"),
    ("gpus", "AMD Radeon RX 7900 XTX", "amd-radeon-rx-7900-xtx"),
]


@pytest.mark.parametrize(("kind", "text", "sibling", "word"), UNLISTED)
def test_an_unlisted_variant_is_reported_with_its_listed_sibling(kind, text, sibling, word):
    found = match(text, load(kind))
    assert found.entry is None
    assert f"variant ({word}) of {sibling}" in found.problem


@pytest.mark.parametrize(("kind", "text", "entry_id"), LISTED)
def test_a_listed_variant_is_found_exactly(kind, text, entry_id):
    assert match(text, load(kind)).entry.id == entry_id


def test_an_unknown_part_is_never_resolved():
    assert match("NVIDIA GeForce RTX 3050 6GB", load("gpus")).entry is None
