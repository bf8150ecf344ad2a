"""Names of filter values for chips and exports (a spot id → 宏村)."""
from __future__ import annotations

from sqlalchemy import select

from core.viewstate import ViewState
from data.cache import cached
from data.catalogue import catalogue
from data.models import (AirStation, IncidentType, ParkingLot, RoadSegment, ScenicSpot, WaterSection)
from data.queries.common import read

_ENTITY = {
    "spot": (ScenicSpot.id, ScenicSpot.name, ScenicSpot.name_en),
    "station": (AirStation.id, AirStation.name, AirStation.name),
    "segment": (RoadSegment.id, RoadSegment.name, RoadSegment.name),
    "lot": (ParkingLot.id, ParkingLot.name, ParkingLot.name),
    "section": (WaterSection.id, WaterSection.name, WaterSection.name),
    "type": (IncidentType.code, IncidentType.name, IncidentType.name_en),
}
FIXED = {
    "pollutant": {"pm25": ("PM2.5", "PM2.5"), "pm10": ("PM10", "PM10"), "o3": ("O₃", "O₃"), "no2": ("NO₂", "NO₂"),
                  "so2": ("SO₂", "SO₂"), "co": ("CO", "CO")},
    "severity": {"1": ("I 特别重大", "I Extraordinary"), "2": ("II 重大", "II Major"), "3": ("III 较大", "III Large"),
                 "4": ("IV 一般", "IV Ordinary")},
    "status": {"reported": ("上报", "Reported"), "accepted": ("受理", "Accepted"), "dispatched": ("派遣", "Dispatched"),
               "handled": ("处置", "Handled"), "closed": ("办结", "Closed"), "visited": ("回访", "Visited"),
               "open": ("未办结", "Open")},
    "overdue": {"1": ("是", "Yes")},
    "call": {"call": ("一键呼叫", "Call button"), "fall": ("跌倒报警", "Fall alarm")},
    "hazard": {"hazmat": ("危化品重大危险源", "Major hazmat source"), "fire_key": ("消防重点单位", "Fire-safety key unit")},
    "service": {"meal": ("助餐", "Meals"), "medical": ("助医", "Medical"), "emergency": ("助急", "Emergency"),
                "daycare": ("日间照料", "Day care"), "personal_care": ("生活护理", "Personal care"),
                "health": ("健康服务", "Health"), "housekeeping": ("家政服务", "Housekeeping"),
                "companionship": ("精神慰藉", "Companionship")},
    "tier": {"county_center": ("县级指导中心", "County guidance centre"), "street_center": ("街道中心", "Street centre"),
             "community_station": ("社区站", "Community station"), "nursing_home": ("养老机构", "Care home")},
    "theme": {"tourism": ("文旅", "Tourism"), "environment": ("生态环境", "Environment"), "traffic": ("交通", "Traffic"),
              "safety": ("城市安全", "Safety"), "eldercare": ("养老", "Elderly care"), "governance": ("社会治理", "Governance")},
    "weekday": {str(i): (zh, en) for i, (zh, en) in enumerate(zip("一二三四五六日", ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")))},
    "source": {"110": ("110 报警", "110 Police"), "119": ("119 火警", "119 Fire"), "120": ("120 急救", "120 Ambulance"),
               "122": ("122 交通事故", "122 Traffic police"), "12345": ("12345 热线", "12345 Hotline"),
               "sensor": ("物联感知", "IoT sensors"), "complaint": ("旅游投诉", "Tourist complaints")},
}


def fixed_label(dimension: str, value: str, lang: str) -> str | None:
    pair = FIXED.get(dimension, {}).get(value)
    if pair is None:
        return None
    return pair[1] if lang == "en" else (f"星期{pair[0]}" if dimension == "weekday" else pair[0])


@cached
def filter_labels(view: ViewState) -> dict[tuple[str, str], str]:
    labels: dict[tuple[str, str], str] = {}
    for dimension, values in view.filters:
        if dimension in _ENTITY:
            key, name_zh, name_en = _ENTITY[dimension]
            wanted = [int(v) for v in values if v.isdigit()] if dimension != "type" else list(values)
            frame = read(select(key.label("key"), name_zh.label("zh"), name_en.label("en")).where(key.in_(wanted)))
            for row in frame.itertuples():
                labels[(dimension, str(row.key))] = row.en if view.lang == "en" and row.en else row.zh
        elif dimension == "indicator":
            for value in values:
                if value in catalogue():
                    labels[(dimension, value)] = catalogue()[value].name(view.lang)
        else:
            for value in values:
                label = fixed_label(dimension, value, view.lang)
                if label:
                    labels[(dimension, value)] = label
                elif dimension == "hour":
                    labels[(dimension, value)] = f"{value}:00"
    return labels
