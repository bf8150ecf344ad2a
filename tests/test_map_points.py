"""The points a county map shows: their keys, sizes, colours and the labels read on hover, in the
page's language; points without a place are left out."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def test_institutions_are_keyed_by_tier_sized_by_beds_and_labelled_in_the_pages_language():
    from components.eldercare_parts import map_points

    frame = pd.DataFrame({"tier": ["county", "street"], "name": ["黄山区福利院", "汤口镇养老院"],
                          "tier_name": ["县级", "乡镇"], "lat": [30.27, 30.1], "lon": [118.14, 118.16],
                          "level": [2, 0], "beds": [100, 16], "occupancy": [91.6, np.nan]})
    zh, en = map_points(frame, "zh"), map_points(frame, "en")
    assert zh["key"].tolist() == ["county", "street"] and zh["level"].tolist() == [2, 0]
    assert zh["radius"].tolist() == [4 + math.sqrt(100) / 2, 4 + math.sqrt(16) / 2]
    assert zh["label"].tolist() == ["黄山区福利院（县级）· 床位 100 · 入住 92%", "汤口镇养老院（乡镇）· 床位 16 · 入住 —"]
    assert en["label"].tolist() == ["黄山区福利院 (县级) · 100 beds · 92% occupied", "汤口镇养老院 (乡镇) · 16 beds · — occupied"]


def test_segments_and_lots_are_keyed_by_kind_and_labelled_in_the_pages_language():
    from components.traffic_parts import map_points
    from data.catalogue import LEVEL_NAMES

    segments = pd.DataFrame({"segment_id": [7], "name": ["迎宾大道"], "lat": [29.7], "lon": [118.3], "level": [3],
                             "congestion": [2.345], "speed": [18.4]})
    lots = pd.DataFrame({"lot_id": [11, 12], "name": ["老街停车场", "高铁站停车场"], "lat": [29.71, 29.72],
                         "lon": [118.31, 118.32], "level": [1, 0], "free": [1200, 0], "spaces": [1500, 300],
                         "occupancy": [20.0, 100.0]})
    zh, en = map_points(segments, lots, "zh"), map_points(segments, lots, "en")
    assert zh["key"].tolist() == ["segment-7", "lot-11", "lot-12"]
    assert zh["radius"].tolist() == [6, 5 + math.sqrt(1200) / 3, 5]
    assert zh["level"].tolist() == [3, 1, 0]
    assert zh["label"].tolist() == [f"迎宾大道 · 拥堵指数 2.35 · 18 km/h · {LEVEL_NAMES['zh'][3]}",
                                    "老街停车场 · 空余 1,200/1,500 · 占用 20%", "高铁站停车场 · 空余 0/300 · 占用 100%"]
    assert en["label"].tolist() == [f"迎宾大道 · congestion 2.35 · 18 km/h · {LEVEL_NAMES['en'][3]}",
                                    "老街停车场 · free 1,200/1,500 · 20% full", "高铁站停车场 · free 0/300 · 100% full"]


def test_points_without_a_place_are_left_out_and_places_are_rounded():
    from components.mapping import points_collection

    frame = pd.DataFrame({"key": [1, 2, 3], "name": ["a", "b", "c"], "lat": [29.7123456, None, 29.8],
                          "lon": [118.3123449, 118.4, np.nan], "level": [2, 0, 1], "colour": ["#ccc", None, None]})
    features = points_collection(frame)["features"]
    assert [f["properties"]["key"] for f in features] == ["1"]
    assert features[0]["geometry"]["coordinates"] == [118.31234, 29.71235]
    assert features[0]["properties"] == {"key": "1", "label": "a", "level": 2, "radius": 7.0, "colour": "#ccc"}
    # what a marker shows, and no more: the label stands for the name, the radius to a tenth
    sized = points_collection(frame.assign(label=["a · 3 beds", "b", "c"], radius=[7.8564064, 5, 5]))
    assert sized["features"][0]["properties"] == {"key": "1", "label": "a · 3 beds", "level": 2, "radius": 7.9,
                                                  "colour": "#ccc"}
