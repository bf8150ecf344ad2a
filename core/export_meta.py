"""What an export says about itself: the view it was taken from, and the words and file name
that carry that view onto the image, the sheet, the slide and the download (SPEC §6, §9).

Every exported artefact is built from one `ExportMeta`, so the title, region, time range,
filters and source printed on a PNG are the same words as in the XLSX "筛选条件" sheet and the
PPTX title slide.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping, Sequence
from urllib.parse import quote

from core.i18n import pick


@dataclass(frozen=True)
class ExportMeta:
    """The view behind an export, in the words the screen shows (already translated for `lang`)."""

    title: str  # the panel's title (or the report's, for a whole cockpit)
    cockpit: str  # e.g. 文旅
    region_name: str  # e.g. 黄山区
    region_path: str  # the breadcrumb, e.g. "安徽省 › 黄山市 › 黄山区"
    start: date
    end: date
    filters: Sequence[tuple[str, str]] = ()  # the chips: (dimension label, value label)
    source: str = ""  # 数据来源, e.g. 市文化和旅游局
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    lang: str = "zh"
    units: Mapping[str, str] = field(default_factory=dict)  # column → unit, e.g. {"接待游客": "人次"}
    user: str = ""  # who exported (the XLSX names them; the audit log records them)


# -- the words -----------------------------------------------------------------------------------
def range_text(meta: ExportMeta) -> str:
    if meta.start == meta.end:
        return meta.start.isoformat()
    joiner = pick(meta.lang, " 至 ", " to ")
    return f"{meta.start.isoformat()}{joiner}{meta.end.isoformat()}"


def filters_text(meta: ExportMeta) -> str:
    """The active filters as one line, or 无筛选 — an image must say when nothing was filtered too."""
    if not meta.filters:
        return pick(meta.lang, "无筛选", "No filters")
    colon, separator = pick(meta.lang, "：", ": "), pick(meta.lang, "；", "; ")
    return separator.join(f"{label}{colon}{value}" for label, value in meta.filters)


def title_text(meta: ExportMeta) -> str:
    return f"{meta.title} · {meta.region_name}"


def subtitle_text(meta: ExportMeta) -> str:
    """Region breadcrumb (when it adds anything), time range and filters: the state on screen."""
    parts = [meta.region_path] if meta.region_path and meta.region_path != meta.region_name else []
    parts += [range_text(meta), filters_text(meta)]
    return " · ".join(parts)


def generated_time(meta: ExportMeta) -> str:
    return meta.generated_at.strftime("%Y-%m-%d %H:%M")


def generated_text(meta: ExportMeta) -> str:
    return pick(meta.lang, "生成时间：", "Generated: ") + generated_time(meta)


def source_text(meta: ExportMeta) -> str:
    return pick(meta.lang, "数据来源：", "Source: ") + meta.source if meta.source else ""


def footer_text(meta: ExportMeta) -> str:
    return " · ".join(part for part in (source_text(meta), generated_text(meta)) if part)


def column_header(column: str, meta: ExportMeta) -> str:
    """A column name with its unit, e.g. 接待游客(人次), so numbers never travel without units."""
    unit = meta.units.get(column, "")
    if not unit:
        return str(column)
    return f"{column}({unit})" if meta.lang == "zh" else f"{column} ({unit})"


def condition_rows(meta: ExportMeta) -> list[tuple[str, str]]:
    """The export's conditions as (label, value) rows: the 筛选条件 sheet and the report's title page."""
    lang = meta.lang
    rows = [
        (pick(lang, "标题", "Title"), meta.title),
        (pick(lang, "驾驶舱", "Cockpit"), meta.cockpit),
        (pick(lang, "区域", "Region"), meta.region_path or meta.region_name),
        (pick(lang, "时间范围", "Time range"), range_text(meta)),
    ]
    if meta.filters:
        rows += [(f"{pick(lang, '筛选', 'Filter')} · {label}", value) for label, value in meta.filters]
    else:
        rows.append((pick(lang, "筛选", "Filter"), filters_text(meta)))
    rows += [
        (pick(lang, "数据来源", "Source"), meta.source or "—"),
        (pick(lang, "生成时间", "Generated"), generated_time(meta)),
        (pick(lang, "导出人", "Exported by"), meta.user or "—"),
    ]
    return rows


# -- file names ----------------------------------------------------------------------------------
# Characters Windows, macOS or Linux refuse in a file name, and control characters.
_ILLEGAL = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_SPACES = re.compile(r"\s+")
_PART_MAX = 60  # characters; keeps a UTF-8 name well under the usual 255-byte limit


def _name_part(text: str) -> str:
    cleaned = _SPACES.sub("-", _ILLEGAL.sub("-", text.strip()))
    # Windows drops trailing dots and spaces; leading dots hide the file on Unix.
    return cleaned.strip(".-")[:_PART_MAX]


def export_filename(meta: ExportMeta, ext: str) -> str:
    """黄山市_文旅_客流监测_2026-11-01_2026-11-07.png: region_cockpit_title_start_end.

    A single day appears once; a title equal to the cockpit name is not repeated.
    """
    dates = meta.start.isoformat() if meta.start == meta.end else f"{meta.start}_{meta.end}"
    titles = [meta.cockpit] if meta.title == meta.cockpit else [meta.cockpit, meta.title]
    parts = [_name_part(part) for part in (meta.region_name, *titles)]
    stem = "_".join([part for part in parts if part] + [dates])
    return f"{stem}.{ext.lower().lstrip('.')}"


def ascii_filename(filename: str) -> str:
    """An ASCII stand-in for clients that ignore RFC 5987: Chinese in pinyin, the rest dropped."""
    from pypinyin import lazy_pinyin  # loads its dictionary; only needed for downloads

    text = "".join(lazy_pinyin(filename))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = _SPACES.sub("-", _ILLEGAL.sub("-", text))
    return text.strip(".-") or "export"


def content_disposition(filename: str) -> str:
    """Content-Disposition for a download named `filename` (RFC 6266 with an RFC 5987 filename*)."""
    return (f'attachment; filename="{ascii_filename(filename)}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")
