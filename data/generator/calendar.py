"""Chinese public holidays (法定节假日) with their official day-off ranges and make-up workdays.

The ranges are those of the State Council's yearly notices (国务院办公厅关于节假日安排的通知) for
2022–2026. The 2027 notice is not out yet; its ranges are estimated from the lunar dates and the
rules of the 2025 reform (春节 and 劳动节 one day longer) and flagged `official=False`.

Tourism peaks and traffic jams follow these ranges, and the tourism page shades them on its charts
(`holidays_between`) and compares a holiday with the same holiday a year earlier (`Holiday.key`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

NAMES = {
    # key: (name_zh, name_en)
    "new_year": ("元旦", "New Year's Day"),
    "spring_festival": ("春节", "Spring Festival"),
    "qingming": ("清明节", "Qingming Festival"),
    "labour_day": ("劳动节", "Labour Day"),
    "dragon_boat": ("端午节", "Dragon Boat Festival"),
    "mid_autumn": ("中秋节", "Mid-Autumn Festival"),
    "national_day": ("国庆节", "National Day"),
}
# The two seven-to-nine-day breaks (黄金周).
GOLDEN_WEEKS = ("spring_festival", "national_day")


@dataclass(frozen=True)
class Holiday:
    key: str
    start: date
    end: date
    official: bool = True
    # When 中秋 falls into the 国庆 break the notice announces one combined range.
    combined_with: str | None = None

    @property
    def name_zh(self) -> str:
        name = NAMES[self.key][0]
        return f"{NAMES[self.combined_with][0]}、{name}" if self.combined_with else name

    @property
    def name_en(self) -> str:
        name = NAMES[self.key][1]
        return f"{NAMES[self.combined_with][1]} & {name}" if self.combined_with else name

    def name(self, lang: str = "zh") -> str:
        return self.name_en if lang == "en" else self.name_zh

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def golden_week(self) -> bool:
        return self.key in GOLDEN_WEEKS

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def _h(key: str, start: str, end: str, **extra) -> Holiday:
    return Holiday(key, date.fromisoformat(start), date.fromisoformat(end), **extra)


HOLIDAYS: tuple[Holiday, ...] = (
    # 2022
    _h("new_year", "2022-01-01", "2022-01-03"),
    _h("spring_festival", "2022-01-31", "2022-02-06"),
    _h("qingming", "2022-04-03", "2022-04-05"),
    _h("labour_day", "2022-04-30", "2022-05-04"),
    _h("dragon_boat", "2022-06-03", "2022-06-05"),
    _h("mid_autumn", "2022-09-10", "2022-09-12"),
    _h("national_day", "2022-10-01", "2022-10-07"),
    # 2023
    _h("new_year", "2022-12-31", "2023-01-02"),
    _h("spring_festival", "2023-01-21", "2023-01-27"),
    _h("qingming", "2023-04-05", "2023-04-05"),
    _h("labour_day", "2023-04-29", "2023-05-03"),
    _h("dragon_boat", "2023-06-22", "2023-06-24"),
    _h("national_day", "2023-09-29", "2023-10-06", combined_with="mid_autumn"),
    # 2024
    _h("new_year", "2023-12-30", "2024-01-01"),
    _h("spring_festival", "2024-02-10", "2024-02-17"),
    _h("qingming", "2024-04-04", "2024-04-06"),
    _h("labour_day", "2024-05-01", "2024-05-05"),
    _h("dragon_boat", "2024-06-08", "2024-06-10"),
    _h("mid_autumn", "2024-09-15", "2024-09-17"),
    _h("national_day", "2024-10-01", "2024-10-07"),
    # 2025
    _h("new_year", "2025-01-01", "2025-01-01"),
    _h("spring_festival", "2025-01-28", "2025-02-04"),
    _h("qingming", "2025-04-04", "2025-04-06"),
    _h("labour_day", "2025-05-01", "2025-05-05"),
    _h("dragon_boat", "2025-05-31", "2025-06-02"),
    _h("national_day", "2025-10-01", "2025-10-08", combined_with="mid_autumn"),
    # 2026
    _h("new_year", "2026-01-01", "2026-01-03"),
    _h("spring_festival", "2026-02-15", "2026-02-23"),
    _h("qingming", "2026-04-04", "2026-04-06"),
    _h("labour_day", "2026-05-01", "2026-05-05"),
    _h("dragon_boat", "2026-06-19", "2026-06-21"),
    _h("mid_autumn", "2026-09-25", "2026-09-27"),
    _h("national_day", "2026-10-01", "2026-10-07"),
    # 2027 — estimated until the State Council publishes the year's notice.
    _h("new_year", "2027-01-01", "2027-01-03", official=False),
    _h("spring_festival", "2027-02-05", "2027-02-12", official=False),
    _h("qingming", "2027-04-03", "2027-04-05", official=False),
    _h("labour_day", "2027-05-01", "2027-05-05", official=False),
    _h("dragon_boat", "2027-06-09", "2027-06-11", official=False),
    _h("mid_autumn", "2027-09-15", "2027-09-17", official=False),
    _h("national_day", "2027-10-01", "2027-10-07", official=False),
)

# Weekend days that are working days (调休上班) by the same notices.
MAKEUP_WORKDAYS: frozenset[date] = frozenset(date.fromisoformat(d) for d in (
    "2022-01-29", "2022-01-30", "2022-04-02", "2022-04-24", "2022-05-07", "2022-10-08", "2022-10-09",
    "2023-01-28", "2023-01-29", "2023-04-23", "2023-05-06", "2023-06-25", "2023-10-07", "2023-10-08",
    "2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11", "2024-09-14", "2024-09-29",
    "2024-10-12",
    "2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11",
    "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
))


@functools.cache
def _by_day() -> dict[date, Holiday]:
    table = {}
    for holiday in HOLIDAYS:
        day = holiday.start
        while day <= holiday.end:
            table[day] = holiday
            day += timedelta(days=1)
    return table


def holiday_on(day: date) -> Holiday | None:
    """The holiday whose day-off range holds `day`, if any."""
    return _by_day().get(day)


def holiday_of(day: date) -> str | None:
    """The key of the holiday on `day` (e.g. "national_day"), None on an ordinary day."""
    holiday = holiday_on(day)
    return holiday.key if holiday else None


def holidays_between(start: date, end: date) -> list[Holiday]:
    """Holidays overlapping [start, end], in date order."""
    return [h for h in HOLIDAYS if h.end >= start and h.start <= end]


def is_workday(day: date) -> bool:
    """A working day: Monday–Friday outside holidays, or a make-up Saturday/Sunday."""
    if day in MAKEUP_WORKDAYS:
        return True
    return day.weekday() < 5 and holiday_on(day) is None
