"""The catalog's tensor layouts, computed and read back from their cache."""

from sizer.models.catalog import load_catalog
from sizer.models.resolve import from_catalog, from_catalog_all
from sizer.paths import sizer_home


def test_catalog_layouts_from_the_cache_equal_computed_ones():
    """Cold (computed and kept) and warm (read back) layouts are the layouts from_catalog
    works out, for every entry at every common quant."""

    entries, quants = list(load_catalog().values()), ["Q4_K_M", "Q8_0", "Q4_0"]
    expected = [from_catalog(e, q) for e in entries for q in quants]
    assert from_catalog_all(entries, quants) == expected  # computed, then written
    assert from_catalog_all(entries, quants) == expected  # read from the cache


def test_catalog_layout_cache_is_rebuilt_when_unreadable():

    entry = next(iter(load_catalog().values()))
    from_catalog_all([entry], ["Q4_K_M"])
    (sizer_home() / "catalog-layouts.json").write_text('{"code": "x", "layouts": [')
    assert from_catalog_all([entry], ["Q4_K_M"]) == [from_catalog(entry, "Q4_K_M")]
