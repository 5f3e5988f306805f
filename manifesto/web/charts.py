"""Geometry for the dashboard's charts, drawn as SVG by ``templates/coordinate/_charts.html``.

Everything is computed here, on the server, so the charts need no JavaScript; each chart in the
page has a title, a description and a table of the same numbers beside it.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from babel.core import get_global

from manifesto.cities.targets import value_on

MAP_FILE = Path(__file__).resolve().parents[1] / "data" / "europe_map.json"
# A light-to-dark blue scale with enough contrast against white at its darker end; the
# lightest step is for "none", and every country also has its number in the table.
MAP_STEPS = ("#eef2f7", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
DOT_AREA = 40  # countries smaller than this many square units get a dot too


@dataclass(frozen=True)
class MapCountry:
    code: str  # ISO 3166-1 alpha-2 ("" when the dataset has no code, e.g. Northern Cyprus)
    name: str  # the dataset's English name, for the few without a code
    d: str
    centroid: tuple[int, int]
    dot: bool


@functools.cache
def europe_shapes() -> tuple[int, int, tuple[MapCountry, ...]]:
    """The map's (width, height, countries), built by ``npm run build:map`` from world-atlas."""
    data = json.loads(MAP_FILE.read_text(encoding="utf-8"))
    aliases = get_global("territory_aliases")  # CLDR: ISO numeric code -> alpha-2
    countries = []
    for c in data["countries"]:
        numeric = c["id"]
        code = (aliases.get(numeric) or [""])[0] if numeric else ""
        if not code and c["name"] == "Kosovo":
            code = "XK"
        countries.append(MapCountry(code, c["name"], c["d"], tuple(c["centroid"]),
                                    c["area"] < DOT_AREA and c.get("whole", True)))
    return data["width"], data["height"], tuple(countries)


def _step(value: int, top: int) -> int:
    if value <= 0 or top <= 0:
        return 0
    # Square-root steps: a few large countries do not wash out the rest.
    return min(len(MAP_STEPS) - 1, 1 + int(math.sqrt(value / top) * (len(MAP_STEPS) - 1) - 1e-9))


def map_fills(values: dict[str, int]) -> dict[str, str]:
    top = max(values.values(), default=0)
    return {code: MAP_STEPS[_step(n, top)] for code, n in values.items()}


def map_legend(values: dict[str, int]) -> list[tuple[str, int, int]]:
    """(colour, from, to) for each step in use."""
    top = max(values.values(), default=0)
    if top <= 0:
        return []
    steps = len(MAP_STEPS) - 1
    legend, low = [], 1
    for i in range(1, steps + 1):
        high = math.floor(top * (i / steps) ** 2)
        if high >= low:
            legend.append((MAP_STEPS[i], low, high))
            low = high + 1
    return legend


# --- bars -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float  # in per cent of the plot's width
    note: str = ""


def bars(rows: list[tuple[str, int]]) -> list[Bar]:
    top = max((v for _l, v in rows), default=0)
    return [Bar(label, value, (100 * value / top) if top else 0) for label, value in rows]


# --- burn-up ----------------------------------------------------------------------------------

BURNUP_WIDTH, BURNUP_HEIGHT = 640, 260
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 12, 28


@dataclass(frozen=True)
class Burnup:
    actual: str  # SVG points
    target: str
    projection: str
    today_x: float | None
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_ticks: list[tuple[float, date]]  # (x, first of a month or year)
    table: list[tuple[date, int | None, int, int | None]]  # (day, actual, target line, projected)


def _nice_top(value: float) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)


def burnup(series: list[tuple[date, int]], value: int, start: date, deadline: date,
           today: date, pace_per_day: float) -> Burnup:
    """A burn-up from ``start`` to ``deadline``: the value so far (steps), the straight line
    from 0 to ``value``, and the projection at ``pace_per_day`` from today. Once the deadline
    has passed the chart ends there and the table adds today's value."""
    end = deadline
    span = max(1, (end - start).days)
    now_value = value_on(series, today)
    projected_end = now_value + pace_per_day * max(0, (deadline - today).days)
    top = _nice_top(max(value, now_value, projected_end if today < deadline else 0, 1))
    plot_w = BURNUP_WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = BURNUP_HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(day: date) -> float:
        return round(PAD_LEFT + plot_w * min(span, max(0, (day - start).days)) / span, 1)

    def y(v: float) -> float:
        return round(PAD_TOP + plot_h * (1 - min(top, max(0.0, v)) / top), 1)

    shown_to = min(today, end)
    points = [(x(start), y(value_on(series, start)))]
    for day, total in series:
        if start < day <= shown_to:
            points.append((x(day), points[-1][1]))
            points.append((x(day), y(total)))
    points.append((x(shown_to), points[-1][1]))
    actual = " ".join(f"{a},{b}" for a, b in points)
    target = f"{x(start)},{y(0)} {x(deadline)},{y(value)}"
    projection = ""
    if start <= today < deadline and pace_per_day > 0:
        projection = f"{x(today)},{y(now_value)} {x(deadline)},{y(projected_end)}"
    steps = 5 if top % 5 == 0 else 4
    y_ticks = [(y(top * i / steps), round(top * i / steps)) for i in range(steps + 1)]
    months = []
    cursor = start.replace(day=1)
    while cursor <= end:
        if cursor >= start:
            months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    every = max(1, math.ceil(len(months) / 8))
    if len(months) > 24:  # years
        months = [m for m in months if m.month == 1] or months[:1]
        every = max(1, math.ceil(len(months) / 8))
    x_ticks = [(x(m), m) for m in months[::every]]
    table = []
    for m in sorted({start, *months, deadline, *([today] if today > deadline else [])}):
        line = math.ceil(value * min(1, max(0, (m - start).days) / max(1, (deadline - start).days)))
        actual_v = value_on(series, m) if m <= today else None
        projected = None
        if m > today and pace_per_day > 0:
            projected = math.floor(now_value + pace_per_day * (m - today).days)
        table.append((m, actual_v, line, projected))
    today_x = x(today) if start <= today <= end else None
    return Burnup(actual, target, projection, today_x, y_ticks, x_ticks, table)
