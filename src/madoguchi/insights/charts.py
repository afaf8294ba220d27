"""Charts of the city's figures, drawn on the server as inline SVG.

Why by hand: the page must work without JavaScript (so no chart script in the browser), and the
Content Security Policy allows no inline `style` attribute or `<style>` element, which is what
the server-side chart libraries emit (matplotlib's SVG backend styles every element inline;
pygal embeds a stylesheet and a script). A chart here is only geometry (coordinates, sizes)
computed below; `templates/insights/_chart.html` draws it with classes that insights.css colours,
and follows every chart with its data table and a text summary, so a screen reader and a
printout read the same numbers as the picture.

A chart never computes or rounds a figure: every value comes as a `Figure` from
insights/figures.py and is shown as it came (`shown`)."""

import math
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

# The units figures.py gives a value, and how each is written after a number.
UNIT_COUNT, UNIT_PERCENT, UNIT_DAYS, UNIT_MINUTES = "count", "percent", "days", "minutes"


def shown(value: Decimal | int | None, unit: str, suppressed: bool = False) -> str:
    """A figure as a reader sees it: the number as figures.py rounded it, with its unit;
    「10件未満」 for a public figure too small to show, 「—」 for none."""
    if suppressed:
        return _("10件未満")
    if value is None:
        return "—"
    number = formats.number_format(value, use_l10n=True, force_grouping=True)
    if unit == UNIT_PERCENT:
        return _("%(number)s%%") % {"number": number}
    if unit == UNIT_DAYS:
        return _("%(number)s日") % {"number": number}
    if unit == UNIT_MINUTES:
        return _("%(number)s分") % {"number": number}
    return _("%(number)s件") % {"number": number}


def period_label(day: date, by: str) -> str:
    """A period of a series in the reader's language: a month (2026年4月) or a day (4月1日)."""
    return formats.date_format(day, "YEAR_MONTH_FORMAT" if by == "month" else "MONTH_DAY_FORMAT")


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Point:
    """One period of a line chart (or one bar): where it is drawn and what it says."""

    key: str
    label: str
    value: Decimal | None
    text: str                  # `shown()` of the value
    x: float = 0
    y: float | None = None     # None: no value (a gap in the line, no bar)
    width: float = 0           # bars only
    suppressed: bool = False
    extra: str = ""            # a second number for the table (a bar's count beside its share)
    show_label: bool = True    # line charts name every n-th period on the axis only
    anchor: str = "middle"     # the axis label's text-anchor: the last one ends at the point


@dataclass
class Chart:
    """What `_chart.html` draws: an SVG of `width`×`height` user units, its data table, and
    its text summary (also the SVG's <desc>)."""

    id: str
    kind: str                  # "line" | "bar"
    title: str
    unit: str
    points: list[Point]
    summary: str
    width: int
    height: int
    plot_left: float = 0
    plot_right: float = 0
    plot_top: float = 0
    plot_bottom: float = 0
    ticks: list[Tick] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)   # polylines' "x,y x,y" (lines break at gaps)
    target: Decimal | None = None
    target_text: str = ""
    target_y: float | None = None
    value_heading: str = ""
    extra_heading: str = ""
    key_heading: str = ""
    compact: bool = False      # the table leaves out periods with no figure (a day-by-day chart)

    @property
    def empty(self) -> bool:
        """Nothing to draw: no period has a figure (a suppressed one counts as one: its table
        row says 「10件未満」), or every bar is zero."""
        if self.kind == "bar":
            return not any(p.value for p in self.points)
        return all(p.value is None and not p.suppressed for p in self.points)


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above `value`: the top of a readable axis."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 1
    while magnitude > value:
        magnitude /= 10
    for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _axis(values: list[float], unit: str) -> float:
    top = max(values, default=0)
    if unit == UNIT_PERCENT and top <= 100:
        return 100.0 if top > 50 else _nice_ceiling(top)
    return _nice_ceiling(top)


def _round_step(step: float) -> bool:
    if step <= 0:
        return False
    magnitude = 10 ** math.floor(math.log10(step))
    return any(math.isclose(step, nice * magnitude) for nice in (1, 2, 2.5, 5))


def _ticks(top: float, unit: str, y_of) -> list[Tick]:
    """Gridlines at round numbers: the first of 4, 5, 3, 2 steps whose step is 1, 2, 2.5 or
    5 × 10ⁿ."""
    count = next((n for n in (4, 5, 3, 2) if _round_step(top / n)), 4)
    ticks = []
    for i in range(count + 1):
        number = Decimal(str(round(top * i / count, 2))).normalize()
        ticks.append(Tick(y=y_of(top * i / count), label=shown(number if number % 1 else int(number), unit)))
    return ticks


def _summary_line(title, points: list[Point], target_text: str) -> str:
    known = [p for p in points if p.value is not None]
    if not known:
        hidden = any(p.suppressed for p in points)
        return (_("%(title)s：件数が少ないため表示していません。") if hidden
                else _("%(title)s：この期間のデータはありません。")) % {"title": title}
    last = known[-1]
    high = max(known, key=lambda p: p.value)
    low = min(known, key=lambda p: p.value)
    text = _("%(title)s：最新は%(last_label)sの%(last)s。期間中の最高は%(high_label)sの%(high)s、"
             "最低は%(low_label)sの%(low)s。") % {
        "title": title, "last_label": last.label, "last": last.text, "high_label": high.label,
        "high": high.text, "low_label": low.label, "low": low.text}
    if target_text:
        text += _("目標は%(target)s。") % {"target": target_text}
    return text


def _labelled(i: int, count: int, every: int) -> bool:
    """Every `every`-th period is named on the axis, and the last one when it is not too close
    to the one named before it."""
    if i % every == 0:
        return True
    return i == count - 1 and i % every * 2 >= every


def line(chart_id: str, title: str, series: list, by: str = "month", *, width: int = 640,
         height: int = 240, target_figure=None, value_heading: str = "") -> Chart:
    """A line over time from `figures.series()` (or a public copy of it): [(period, Figure)].
    The target of the figure (or of `target_figure`) is drawn as a dashed line."""
    figures = [f for _d, f in series]
    unit = figures[0].unit if figures else UNIT_COUNT
    target_source = target_figure or (figures[-1] if figures else None)
    target = target_source.target if target_source is not None else None
    left, right, top_pad, bottom_pad = 64.0, 16.0, 16.0, 36.0
    plot_w, plot_h = width - left - right, height - top_pad - bottom_pad
    values = [float(f.value) for f in figures if f.value is not None]
    if target is not None:
        values.append(float(target))
    top = _axis(values, unit)

    def y_of(value: float) -> float:
        return round(top_pad + plot_h - (value / top) * plot_h, 1)

    step = plot_w / max(len(series) - 1, 1)
    every = max(1, -(-len(series) // max(1, int(plot_w // 72))))  # a label at least 72 units apart
    points, segments, current = [], [], []
    for i, (day, figure) in enumerate(series):
        x = round(left + (i * step if len(series) > 1 else plot_w / 2), 1)
        y = y_of(float(figure.value)) if figure.value is not None else None
        points.append(Point(key=day.isoformat(), label=period_label(day, by), value=figure.value,
                            text=shown(figure.value, figure.unit, figure.suppressed), x=x, y=y,
                            suppressed=figure.suppressed, show_label=_labelled(i, len(series), every),
                            anchor="end" if i == len(series) - 1 and len(series) > 1 else "middle"))
        if y is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(f"{x},{y}")
    if current:
        segments.append(current)
    target_text = shown(target, unit) if target is not None else ""
    return Chart(
        id=chart_id, kind="line", title=title, unit=unit, points=points, width=width, height=height,
        plot_left=left, plot_right=width - right, plot_top=top_pad, plot_bottom=top_pad + plot_h,
        ticks=_ticks(top, unit, y_of), segments=[" ".join(s) for s in segments],
        target=target, target_text=target_text, target_y=y_of(float(target)) if target is not None else None,
        summary=_summary_line(title, points, target_text),
        key_heading=_("期間") if by == "month" else _("日付"), value_heading=str(value_heading or title),
        compact=by == "day")


def bars(chart_id: str, title: str, rows: list, *, value: str = "count", unit: str = UNIT_COUNT,
         width: int = 640, extra: str = "", extra_unit: str = UNIT_COUNT, key_heading: str = "",
         value_heading: str = "", extra_heading: str = "") -> Chart:
    """Horizontal bars from `figures.breakdown()` rows, each labelled above its bar so a long
    Japanese name never runs off the picture. `value` is the row attribute drawn ("count" or
    "share"); `extra`, another attribute shown in the table beside it."""
    left, right, row_h = 8.0, 96.0, 44.0
    plot_w = width - left - right
    values = [getattr(r, value) for r in rows]
    top = _axis([float(v) for v in values if v is not None], unit)
    points = []
    for i, row in enumerate(rows):
        number = getattr(row, value)
        y = 8 + i * row_h
        extra_value = getattr(row, extra) if extra else None
        points.append(Point(
            key=row.key, label=row.label, value=number, text=shown(number, unit), x=left, y=y,
            width=round(plot_w * float(number) / top, 1) if number else 0,
            extra=shown(extra_value, extra_unit) if extra else ""))
    known = [p for p in points if p.value is not None]
    if known:
        largest = max(known, key=lambda p: p.value)
        summary = _("%(title)s：%(count)s項目のうち、最も大きいのは「%(label)s」の%(value)s。") % {
            "title": title, "count": len(points), "label": largest.label, "value": largest.text}
    else:
        summary = _("%(title)s：この期間のデータはありません。") % {"title": title}
    return Chart(
        id=chart_id, kind="bar", title=title, unit=unit, points=points, width=width,
        height=int(16 + row_h * max(len(rows), 1)), plot_left=left, plot_right=left + plot_w,
        summary=summary, key_heading=str(key_heading or _("区分")),
        value_heading=str(value_heading or (_("件数") if unit == UNIT_COUNT else title)),
        extra_heading=str(extra_heading))
