"""Incidents of every theme through their closed loop 上报 → 受理 → 派遣 → 处置 → 办结 → 回访.

Each incident type has time limits for its steps, counted in minutes from the report
(受理 within accept_limit_min of 上报, … 办结 within close_limit_min, which is the deadline).
Step delays are lognormal: most incidents finish well within their limits, about one in twenty is
closed late, and a few stall for days or weeks, so that some recent ones are still open past
their deadline. Whole timelines are drawn when an incident is reported; the data show the steps
reached by the cutoff, so a live tick reveals the next steps of open incidents as time passes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from data.generator import vocab
from data.generator.drivers import Drivers, weather_effect
from data.generator.entities import Context
from data.generator.randomness import stream
from data.generator.series import ACTIVITY, DEMAND, locate_in_county, with_daily_ids

# Longest possible loop (report → return visit), and how far back a live tick regenerates
# incidents to advance the open ones.
MAX_LOOP_DAYS = 43
WINDOW_DAYS = 45
# Uniforms per incident: 0 hour, 1 second, 2 severity, 3 location, 4–5 stall, 6 return visit,
# 7 satisfaction, 8–16 texts (street, place, number, summary, surname, two given names, length, phone).
N_UNIFORMS = 17
STEPS = ("reported", "accepted", "dispatched", "handled", "closed", "visited")
STEP_COLUMNS = ("reported_at", "accepted_at", "dispatched_at", "handled_at", "closed_at", "visited_at")

OFFICE = np.where((np.arange(24) >= 8) & (np.arange(24) <= 18), 6.0, 0.6)
NIGHT = np.array([4, 3.5, 3, 2, 1.5, 1, 1, 1.5, 2, 2.5, 3, 3, 3, 3, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6, 5.5, 5], dtype=float)
EVENING = np.array([4, 2.5, 1.5, 0.8, 0.5, 0.5, 0.8, 1.5, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2.5, 3, 4, 5, 6, 6.5, 5.5])
FLAT = np.ones(24)
HOUR_PROFILES = {"activity": ACTIVITY, "office": OFFICE, "night": NIGHT, "evening": EVENING, "flat": FLAT,
                 "traffic": DEMAND}


@dataclass(frozen=True)
class IncidentKind:
    code: str
    theme: str
    source: str
    name: str
    name_en: str
    limits: tuple[int, int, int, int]  # accept, dispatch, handle, close: minutes from the report
    department: str
    rate: float  # per 100 000 residents a day (per 100 000 visitors for tourism complaints)
    drivers: tuple[str, ...] = ()
    hours: str = "activity"
    visit_share: float = 0.3  # share of closed incidents that get a return visit (回访)
    severity: float = 1.0  # relative chance of a serious (I–III) incident
    summaries: tuple[str, ...] = ()

    @property
    def per_visitor(self) -> bool:
        return self.theme == "tourism"


KINDS: tuple[IncidentKind, ...] = (
    # 城市安全: police, fire, ambulance hotlines and IoT sensors
    IncidentKind("safety.public_order", "safety", "110", "治安警情", "Public order", (1, 5, 60, 1440), "市公安局",
                 1.3, ("weekend",), "night", 0.3, 1.5,
                 ("群众报警称{street}附近有人酗酒滋事", "{street}一商铺门前发生打架斗殴", "{place}广场有人聚集争吵")),
    IncidentKind("safety.dispute", "safety", "110", "纠纷求助", "Disputes and help", (1, 5, 90, 1440), "市公安局",
                 0.9, ("weekend",), "night", 0.3, 0.5,
                 ("{street}邻里因噪音发生纠纷", "{place}小区业主与商户发生口角", "{street}老人走失家属求助")),
    IncidentKind("safety.theft", "safety", "110", "盗窃报警", "Theft", (1, 5, 120, 2880), "市公安局",
                 0.5, (), "night", 0.4, 0.5,
                 ("{street}一电动车被盗", "{place}小区住户家中财物被盗", "{street}商铺夜间被撬")),
    IncidentKind("safety.fire", "safety", "119", "火灾", "Fire", (1, 2, 90, 720), "市消防救援支队",
                 0.18, ("winter",), "activity", 0.3, 4.0,
                 ("{street}一居民楼厨房起火", "{place}一仓库冒出浓烟", "{street}路边车辆自燃")),
    IncidentKind("safety.rescue", "safety", "119", "抢险救援", "Rescue", (1, 3, 120, 720), "市消防救援支队",
                 0.15, ("rain",), "activity", 0.3, 2.0,
                 ("{street}有人被困电梯", "{place}附近树木倒伏压住车辆", "{street}一住户门锁故障老人被困")),
    IncidentKind("safety.medical", "safety", "120", "急救", "Medical emergency", (1, 3, 60, 360), "市急救中心",
                 1.2, ("winter", "summer"), "activity", 0.2, 1.0,
                 ("{street}一老人突发晕厥", "{place}有人突发胸痛", "{street}一名游客中暑")),
    IncidentKind("safety.gas_alarm", "safety", "sensor", "燃气泄漏报警", "Gas leak alarm", (5, 15, 120, 1440),
                 "市城市管理局", 0.12, ("winter",), "activity", 0.0, 2.0,
                 ("{street}{place}小区燃气浓度超限报警", "{street}餐饮店燃气报警器触发")),
    IncidentKind("safety.water_level", "safety", "sensor", "水位超警", "Water level alarm", (5, 15, 180, 1440),
                 "市水利局", 0.05, ("flood",), "flat", 0.0, 2.0,
                 ("{place}河段水位超警戒线", "{street}下穿通道积水超警")),
    IncidentKind("safety.smoke_alarm", "safety", "sensor", "烟感报警", "Smoke alarm", (5, 15, 120, 1440),
                 "市消防救援支队", 0.3, ("winter",), "activity", 0.0, 0.5,
                 ("{place}小区独立烟感报警", "{street}沿街商铺烟感报警")),
    IncidentKind("safety.forest_fire", "safety", "119", "森林火情", "Forest fire", (2, 10, 240, 1440), "市林业局",
                 0.01, ("dry",), "activity", 0.3, 6.0,
                 ("{place}林区发现烟点", "{place}山场发生火情")),
    # 智慧交通
    IncidentKind("traffic.accident", "traffic", "122", "交通事故", "Traffic accident", (2, 10, 90, 2880),
                 "市公安局交通警察支队", 0.5, ("traffic",), "traffic", 0.4, 2.5,
                 ("{street}两车追尾", "{street}路口电动车与轿车碰撞", "{place}路段车辆侧翻")),
    IncidentKind("traffic.breakdown", "traffic", "122", "车辆故障", "Vehicle breakdown", (2, 10, 60, 240),
                 "市公安局交通警察支队", 0.35, ("traffic",), "traffic", 0.1, 0.3,
                 ("{street}一货车抛锚占用车道", "{place}路段车辆故障")),
    IncidentKind("traffic.road_damage", "traffic", "12345", "道路设施损坏", "Road damage", (30, 120, 4320, 7200),
                 "市交通运输局", 0.25, ("office", "rain"), "office", 0.8, 0.2,
                 ("{street}路面出现坑槽", "{street}交通信号灯故障", "{place}路段护栏损坏")),
    IncidentKind("traffic.parking", "traffic", "12345", "违法停车", "Illegal parking", (30, 120, 1440, 2880),
                 "市公安局交通警察支队", 0.3, ("office",), "office", 0.8, 0.1,
                 ("{street}车辆乱停堵塞消防通道", "{place}小区门口长期占道停车")),
    # 智慧文旅
    IncidentKind("tourism.service", "tourism", "complaint", "服务质量投诉", "Service complaint", (60, 240, 4320, 7200),
                 "市文化和旅游局", 1.2, ("crowd",), "activity", 0.9, 0.2,
                 ("游客反映{place}景区排队时间过长", "游客投诉{street}某酒店卫生差", "游客投诉导游强制购物")),
    IncidentKind("tourism.price", "tourism", "complaint", "价格投诉", "Pricing complaint", (60, 240, 4320, 7200),
                 "市市场监督管理局", 0.7, ("crowd",), "activity", 0.9, 0.2,
                 ("游客反映{street}餐馆价格虚高", "游客投诉{place}景区停车收费不合理", "游客投诉民宿节假日坐地起价")),
    IncidentKind("tourism.safety", "tourism", "complaint", "旅游安全隐患", "Tourist safety hazard", (30, 120, 1440, 4320),
                 "市文化和旅游局", 0.25, ("crowd",), "activity", 0.9, 1.0,
                 ("游客反映{place}景区步道护栏松动", "{place}景区人员拥挤存在踩踏隐患")),
    # 生态环境
    IncidentKind("env.noise", "environment", "12345", "噪声扰民", "Noise", (30, 120, 2880, 7200), "市生态环境局",
                 0.9, ("summer",), "evening", 0.8, 0.1,
                 ("{street}工地夜间施工噪声扰民", "{place}广场舞音响声音过大", "{street}商铺外放音响扰民")),
    IncidentKind("env.air", "environment", "12345", "废气异味", "Air pollution and odour", (30, 120, 2880, 7200),
                 "市生态环境局", 0.4, ("winter",), "activity", 0.8, 0.3,
                 ("{place}附近企业排放刺鼻气味", "{street}餐饮油烟扰民", "{place}有人露天焚烧垃圾")),
    IncidentKind("env.water", "environment", "12345", "水体污染", "Water pollution", (30, 120, 2880, 7200),
                 "市生态环境局", 0.2, ("summer",), "activity", 0.8, 0.5,
                 ("{place}河段水面漂浮垃圾", "{street}排污口排放污水", "{place}池塘出现死鱼")),
    IncidentKind("env.waste", "environment", "12345", "垃圾乱倒", "Illegal dumping", (30, 120, 2880, 7200),
                 "市城市管理局", 0.35, (), "activity", 0.8, 0.1,
                 ("{street}路边建筑垃圾乱倒", "{place}村口垃圾堆放未清运")),
    IncidentKind("env.source_alarm", "environment", "sensor", "污染源超标报警", "Pollution source alarm",
                 (10, 30, 480, 2880), "市生态环境局", 0.03, (), "flat", 0.0, 1.0,
                 ("{place}重点排污单位在线监测数据超标",)),
    # 社会治理: 12345 hotline requests
    IncidentKind("gov.municipal", "governance", "12345", "市政设施报修", "Municipal facilities", (30, 120, 4320, 7200),
                 "市城市管理局", 1.5, ("office", "rain"), "office", 0.85, 0.1,
                 ("{street}路灯不亮", "{street}窨井盖缺失", "{place}小区供水管道破裂")),
    IncidentKind("gov.sanitation", "governance", "12345", "环境卫生", "Sanitation", (30, 120, 2880, 7200),
                 "市城市管理局", 1.0, ("office", "summer"), "office", 0.85, 0.1,
                 ("{street}垃圾桶满溢未清理", "{place}公厕卫生差", "{street}道路积尘未清扫")),
    IncidentKind("gov.property", "governance", "12345", "物业纠纷", "Property management", (30, 240, 7200, 10080),
                 "市住房和城乡建设局", 0.9, ("office",), "office", 0.85, 0.1,
                 ("{place}小区物业服务不到位", "{place}小区电梯长期故障", "{place}小区停车收费争议")),
    IncidentKind("gov.labour", "governance", "12345", "劳资纠纷", "Wage dispute", (30, 240, 7200, 14400),
                 "市人力资源和社会保障局", 0.5, ("office", "year_end"), "office", 0.85, 0.3,
                 ("{street}某工地拖欠农民工工资", "{place}某企业拖欠员工工资")),
    IncidentKind("gov.utilities", "governance", "12345", "水电气服务", "Utilities", (30, 120, 1440, 4320),
                 "市住房和城乡建设局", 0.8, ("office", "summer", "winter"), "office", 0.85, 0.1,
                 ("{place}小区突然停水", "{street}片区频繁停电", "{place}小区燃气压力不足")),
    IncidentKind("gov.education", "governance", "12345", "教育诉求", "Education", (30, 240, 7200, 10080), "市教育局",
                 0.4, ("office",), "office", 0.85, 0.1,
                 ("家长反映{place}学校收费问题", "家长咨询{street}片区入学划片")),
)
KIND_BY_CODE = {k.code: k for k in KINDS}


def incident_type_rows() -> pd.DataFrame:
    return pd.DataFrame([{
        "code": k.code, "theme": k.theme, "name": k.name, "name_en": k.name_en,
        "accept_limit_min": k.limits[0], "dispatch_limit_min": k.limits[1], "handle_limit_min": k.limits[2],
        "close_limit_min": k.limits[3], "department": k.department,
    } for k in KINDS])


def _multiplier(kind: IncidentKind, drv: Drivers, crowd: np.ndarray) -> np.ndarray:
    """How a kind's rate moves with the day, per (day, county)."""
    shape = drv.rain_mm.shape
    out = np.ones(shape)
    cycle = 2 * np.pi * drv.doy / 365.25
    for name in kind.drivers:
        if name == "weekend":
            out *= np.where(drv.workday, 1.0, 1.15)[:, None]
        elif name == "office":
            out *= np.where(drv.workday, 1.0, 0.5)[:, None]
        elif name == "winter":
            out *= (1 + 0.4 * np.cos(cycle - 2 * np.pi * 10 / 365.25))[:, None]
        elif name == "summer":
            out *= (1 + 0.4 * np.cos(cycle - 2 * np.pi * 200 / 365.25))[:, None]
        elif name == "rain":
            out *= weather_effect(drv.rain_mm, drv.temp, 1.4, 3.0, 1.5)
        elif name == "flood":
            out *= weather_effect(drv.rain_mm, drv.temp, 1.5, 12.0, 0.5) * np.where(drv.rain_mm < 1, 0.3, 1.0)
        elif name == "dry":
            fire_season = np.isin(drv.month, (10, 11, 12, 1, 2, 3, 4))[:, None]
            out *= np.where(fire_season, 1.0, 0.2) * np.clip(drv.dry_days / 5, 0, 4)
        elif name == "traffic":
            out *= drv.traffic[:, None] * weather_effect(drv.rain_mm, drv.temp, 1.35, 1.7, 2.2)
        elif name == "crowd":
            out *= crowd
        elif name == "year_end":
            # Wage claims pile up in the weeks before the Spring Festival.
            out *= np.where(np.isin(drv.month, (12, 1)), 2.0, 1.0)[:, None]
    return out


def expected_counts(ctx: Context, drv: Drivers) -> np.ndarray:
    """Expected incidents per (day, county, kind) at the context's scale."""
    population = ctx.counties["population"].to_numpy(dtype=float)
    county_of_spot = ctx.spots["county"].to_numpy()
    visitors = drv.nonspot.copy()
    np.add.at(visitors.T, county_of_spot, drv.spot_arrivals.T)
    peak_load = np.zeros_like(visitors)
    np.maximum.at(peak_load.T, county_of_spot, drv.spot_load.T)
    crowd = 1 + np.clip(peak_load - 0.6, 0, None)  # crowded spots breed complaints
    out = np.empty((len(drv.days), ctx.n_counties, len(KINDS)))
    for k, kind in enumerate(KINDS):
        base = visitors if kind.per_visitor else population[None, :]
        out[:, :, k] = kind.rate * base / 100_000 * _multiplier(kind, drv, crowd)
    return out * ctx.scale


def _timeline(limits: np.ndarray, z: np.ndarray, stall: np.ndarray) -> np.ndarray:
    """Minutes from the report to each of accept, dispatch, handle, close (cumulative)."""
    accept = limits[:, 0] * 0.3 * np.exp(0.6 * z[:, 0])
    dispatch = accept + (limits[:, 1] - limits[:, 0]) * 0.3 * np.exp(0.6 * z[:, 1])
    handle = dispatch + (limits[:, 2] - limits[:, 1]) * 0.43 * np.exp(0.7 * z[:, 2]) * stall
    close = handle + (limits[:, 3] - limits[:, 2]) * 0.28 * np.exp(0.7 * z[:, 3]) * stall
    return np.minimum(np.column_stack([accept, dispatch, handle, close]), (MAX_LOOP_DAYS - 3) * 1440)


def incident_rows(ctx: Context, drv: Drivers, cutoff: datetime) -> pd.DataFrame:
    """Every incident reported on the drivers' days up to the cutoff, with the steps reached by then."""
    expected = expected_counts(ctx, drv)
    profiles = np.stack([np.cumsum(HOUR_PROFILES[k.hours]) / HOUR_PROFILES[k.hours].sum() for k in KINDS])
    blocks = []
    for i, day in enumerate(drv.days):
        rng = stream(ctx.seed, "incident", day.toordinal())
        counts = rng.poisson(expected[i])  # (counties, kinds)
        n = int(counts.sum())
        county, kind = np.nonzero(counts)
        repeats = counts[county, kind]
        blocks.append((np.repeat(county, repeats), np.repeat(kind, repeats), rng.random((n, N_UNIFORMS)),
                       rng.standard_normal((n, 5)), rng.integers(0, 1_000_000_000, n)))
    day_index = np.concatenate([np.full(len(b[0]), i) for i, b in enumerate(blocks)]).astype(int)
    county, kind, u, z, digits = (np.concatenate(parts) for parts in zip(*blocks))
    county, kind = county.astype(int), kind.astype(int)

    hour = np.minimum((u[:, 0:1] > profiles[kind]).sum(axis=1), 23)
    day_start = np.array(drv.days, dtype="datetime64[s]")[day_index]
    reported = day_start + (hour * 3600 + np.floor(u[:, 1] * 3600)).astype("timedelta64[s]")

    weight = np.array([k.severity for k in KINDS])[kind]
    severity = np.select([u[:, 2] < 0.00004 * weight, u[:, 2] < 0.001 * weight, u[:, 2] < 0.04 * weight],
                         [1, 2, 3], 4)
    limits = np.array([k.limits for k in KINDS], dtype=float)[kind]
    stall = np.where(u[:, 4] < 0.015, 5 + 25 * u[:, 5], 1.0)
    urgent = np.where(severity <= 2, 0.5, 1.0)[:, None]  # serious incidents get everyone moving
    minutes = _timeline(limits, z, stall) * urgent
    visit_share = np.array([k.visit_share for k in KINDS])[kind]
    visited = u[:, 6] < visit_share
    visit_after = np.where(visited, 1440 * 0.8 * np.exp(0.5 * z[:, 4]), np.nan)
    minutes = np.column_stack([minutes, np.minimum(minutes[:, 3] + visit_after, MAX_LOOP_DAYS * 1440)])
    steps = reported[:, None] + np.rint(minutes * 60).astype("timedelta64[s]")
    steps = np.where(np.isnan(minutes), np.datetime64("NaT"), steps)
    deadline = reported + (limits[:, 3] * 60).astype("timedelta64[s]")
    late = steps[:, 3] > deadline

    frame = pd.DataFrame({"reported_at": reported, "county": county, "kind": kind, "severity": severity,
                          "deadline_at": deadline, "late": late})
    for j, column in enumerate(STEP_COLUMNS[1:]):
        frame[column] = steps[:, j]
    satisfaction = np.select([u[:, 7] < 0.02, u[:, 7] < 0.06, u[:, 7] < 0.15, u[:, 7] < 0.45], [1, 2, 3, 4], 5)
    frame["satisfaction"] = np.where(late, np.maximum(satisfaction - 1, 1), satisfaction)
    frame["pick"] = u[:, 3]
    for j in range(8, N_UNIFORMS):
        frame[f"u{j}"] = u[:, j]
    frame["digits"] = digits
    frame = frame.sort_values(["reported_at", "county", "kind"], kind="stable").reset_index(drop=True)
    frame = frame[frame["reported_at"] <= np.datetime64(cutoff)].reset_index(drop=True)
    frame = with_daily_ids(frame, "reported_at")
    return _finish(ctx, frame, cutoff)


def _finish(ctx: Context, frame: pd.DataFrame, cutoff: datetime) -> pd.DataFrame:
    """Cut the timelines at the cutoff, derive status and overdue, add the texts."""
    limit = np.datetime64(cutoff)
    reached = np.ones(len(frame), dtype=int)
    for column in STEP_COLUMNS[1:]:
        values = frame[column].to_numpy()
        future = ~(values <= limit)
        frame[column] = np.where(future, np.datetime64("NaT"), values)
        reached += ~future
    frame["status"] = np.array(STEPS)[reached - 1]
    closed = frame["closed_at"].notna().to_numpy()
    frame["overdue"] = np.where(closed, frame["late"], frame["deadline_at"].to_numpy() < limit)
    frame["satisfaction"] = frame["satisfaction"].where(frame["visited_at"].notna()).astype("Int64")
    kinds = [KINDS[k] for k in frame["kind"]]
    frame["type_code"] = [k.code for k in kinds]
    frame["theme"] = [k.theme for k in kinds]
    frame["source"] = [k.source for k in kinds]
    frame["department"] = [k.department for k in kinds]
    frame["code"] = "SJ" + frame["id"].astype(str)
    frame["adcode"] = ctx.counties["adcode"].to_numpy()[frame["county"]]
    locate_in_county(ctx, frame)
    _texts(ctx, frame, kinds)
    return frame.drop(columns=["pick", "digits", "late", *(f"u{j}" for j in range(8, N_UNIFORMS))])


def _texts(ctx: Context, frame: pd.DataFrame, kinds: list[IncidentKind]) -> None:
    """Reporter name and phone, address and summary, from the row's uniforms (fictitious)."""
    names, phones, addresses, summaries = [], [], [], []
    county_names = ctx.counties["name"].to_numpy()
    streets, places = vocab.STREETS, vocab.PLACE_WORDS
    surnames, given = vocab.SURNAMES, vocab.GIVEN_CHARS
    columns = zip(kinds, frame["county"], frame["digits"], *(frame[f"u{j}"] for j in range(8, N_UNIFORMS)))
    for kind, county, digits, u_street, u_place, u_number, u_summary, u_surname, u_given1, u_given2, u_two, \
            u_prefix in columns:
        street = streets[int(u_street * len(streets))]
        place = places[int(u_place * len(places))]
        addresses.append(f"{county_names[county]}{street}{1 + int(u_number * 300)}号")
        summaries.append(kind.summaries[int(u_summary * len(kind.summaries))].format(street=street, place=place))
        if kind.source == "sensor":  # raised by a device, not a person
            names.append("")
            phones.append("")
            continue
        # Common surnames come up more often; most given names have two characters.
        name = surnames[int(u_surname ** 1.6 * len(surnames))] + given[int(u_given1 * len(given))]
        if u_two < 0.7:
            name += given[int(u_given2 * len(given))]
        names.append(name)
        phones.append(f"1{3 + int(u_prefix * 7)}{digits:09d}")
    frame["reporter_name"] = names
    frame["reporter_phone"] = phones
    frame["address"] = addresses
    frame["summary"] = summaries


def closures(ctx: Context, frame: pd.DataFrame, days: list[date]) -> tuple[np.ndarray, np.ndarray]:
    """Incidents closed on each day per county, and how many of them on time: (days, counties) each."""
    index = {day: i for i, day in enumerate(days)}
    closed = frame[frame["closed_at"].notna()]
    day = closed["closed_at"].dt.date.map(index)
    inside = day.notna().to_numpy()
    rows = day[inside].astype(int).to_numpy()
    cols = closed["county"].to_numpy()[inside]
    total = np.zeros((len(days), ctx.n_counties))
    on_time = np.zeros_like(total)
    np.add.at(total, (rows, cols), 1)
    np.add.at(on_time, (rows, cols), (~closed["overdue"].to_numpy(dtype=bool))[inside])
    return total, on_time
