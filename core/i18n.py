"""User-interface words in Chinese (default) and English. Data labels come from the catalogue
and the region tree; only the frame's own words live here."""
from __future__ import annotations

TEXT = {
    "app_title": ("城市大脑 · 领导驾驶舱", "City Brain Cockpit"),
    "overview": ("总体态势", "Overview"),
    "tourism": ("智慧文旅", "Tourism"),
    "environment": ("生态环境", "Environment"),
    "traffic": ("智慧交通", "Traffic"),
    "safety": ("城市安全", "City safety"),
    "eldercare": ("养老服务", "Elderly care"),
    "incidents": ("事件中心", "Incident desk"),
    "economy": ("经济运行", "Economy"),
    "governance": ("社会治理", "Governance"),
    "today": ("今日", "Today"),
    "7d": ("近7天", "7 days"),
    "30d": ("近30天", "30 days"),
    "month": ("本月", "This month"),
    "year": ("本年", "This year"),
    "custom": ("自定义", "Custom"),
    "apply": ("应用", "Apply"),
    "clear_filters": ("清除筛选", "Clear filters"),
    "filters": ("筛选", "Filters"),
    "updated": ("数据更新于", "Data as of"),
    "stale": ("数据已超过 {minutes} 分钟未更新", "No new data for {minutes} minutes"),
    "vs_previous": ("环比", "vs prev."),
    "vs_last_year": ("同比", "YoY"),
    "no_data": ("所选范围内暂无数据", "No data for this selection"),
    "error_title": ("链接中有无法识别的内容", "Part of this link could not be used"),
    "back_home": ("返回总体态势", "Back to the overview"),
    "language": ("English", "中文"),
    "theme_dark": ("深色", "Dark"),
    "theme_light": ("浅色", "Light"),
    "screen_mode": ("大屏", "Wall"),
    "desk_mode": ("桌面", "Desk"),
    "export": ("导出", "Export"),
    "warnings": ("预警", "Warnings"),
    "no_warnings": ("当前无预警", "No active warnings"),
    "loading": ("加载中…", "Loading…"),
    "panel_error": ("该面板暂时无法加载", "This panel could not be loaded"),
    "map_metric": ("地图指标", "Map indicator"),
    "range_label": ("{start} 至 {end}", "{start} to {end}"),
    "signout": ("退出", "Sign out"),
    "overdue": ("超期", "Overdue"),
    "open_incidents": ("在办事件", "Open incidents"),
}


def t(key: str, lang: str = "zh", **values) -> str:
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def pick(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh
