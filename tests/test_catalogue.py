"""The indicator catalogue: the shipped file is valid, and a bad entry names the entry and the field."""
import copy

import pytest
import yaml

from data.catalogue import CATALOGUE_PATH, CatalogueError, catalogue, load_catalogue, parse_catalogue


def test_the_shipped_catalogue_is_valid_and_complete():
    indicators = catalogue()
    themes = {i.theme for i in indicators.values()}
    assert {"tourism", "environment", "traffic", "safety", "eldercare"} <= themes
    dimensions = {i.dimension for i in indicators.values() if i.dimension}
    assert dimensions == {"dynamics", "economy", "governance", "services", "risk", "environment"}
    aqi = indicators["env.aqi"]
    assert aqi.thresholds == (100, 150, 200, 300) and aqi.level_of(160) == 2 and aqi.level_of(99) == 0
    video = indicators["safety.video_online_rate"]
    assert video.level_of(94) == 2 and video.level_of(99) == 0  # higher is better: low values warn


RAW = yaml.safe_load(CATALOGUE_PATH.read_text(encoding="utf-8"))


def broken(index: int, **changes):
    raw = copy.deepcopy(RAW)
    for key, value in changes.items():
        if value is None:
            raw["indicators"][index].pop(key)
        else:
            raw["indicators"][index][key] = value
    return raw


@pytest.mark.parametrize("changes, field", [
    ({"region_agg": "median"}, "region_agg"),
    ({"unit_zh": None}, "unit_zh"),
    ({"direction": "up"}, "direction"),
    ({"thresholds": {"blue": 1, "yellow": 2, "orange": 3}}, "thresholds"),
    ({"thresholds": {"blue": 300, "yellow": 200, "orange": 150, "red": 100}}, "thresholds"),
    ({"colour": "red"}, "colour"),
    ({"theme": "sports"}, "theme"),
    ({"hysteresis": "lots"}, "hysteresis"),
])
def test_a_bad_entry_names_entry_and_field(changes, field):
    index = next(i for i, e in enumerate(RAW["indicators"]) if e["code"] == "env.aqi")
    with pytest.raises(CatalogueError) as error:
        parse_catalogue(broken(index, **changes))
    assert "'env.aqi'" in str(error.value) and f"'{field}'" in str(error.value)


def test_duplicate_codes_and_unreadable_files(tmp_path):
    raw = copy.deepcopy(RAW)
    raw["indicators"].append(copy.deepcopy(raw["indicators"][0]))
    with pytest.raises(CatalogueError, match="duplicate"):
        parse_catalogue(raw)
    bad = tmp_path / "catalogue.yaml"
    bad.write_text("indicators: [\n  - code: x", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(bad)


def test_start_up_stops_on_a_bad_catalogue(tmp_path):
    """The app refuses to start and says which entry and field are wrong."""
    import subprocess
    import sys
    from pathlib import Path

    index = next(i for i, e in enumerate(RAW["indicators"]) if e["code"] == "env.aqi")
    bad = tmp_path / "catalogue.yaml"
    bad.write_text(yaml.safe_dump(broken(index, time_agg="median"), allow_unicode=True), encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "app.py"], cwd=root, capture_output=True, text=True, timeout=120,
                            env={"COCKPIT_VAR_DIR": str(tmp_path / "var"), "COCKPIT_DEMO": "0",
                                 "COCKPIT_CATALOGUE": str(bad),
                                 "PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}"})
    assert result.returncode != 0
    assert "entry 'env.aqi', field 'time_agg'" in result.stderr
