"""The charts' geometry (insights/charts.py): a value is drawn where its number says, a gap
breaks the line, a suppressed figure is never drawn and reads 10件未満, the target is a line at
its value, and nothing is rounded again."""

from datetime import date
from decimal import Decimal

from django.utils import translation

from madoguchi.insights import charts
from madoguchi.insights.figures import Figure, Row


def figure(value, base=20, suppressed=False, target=None, unit="percent"):
    return Figure("online_share", None if value is None else Decimal(value), unit, base,
                  None if target is None else Decimal(target), 2026 if target else None, suppressed)


def months(*figures):
    return [(date(2026, 4 + i, 1), f) for i, f in enumerate(figures)]


def test_a_line_is_drawn_at_its_values_with_a_gap_and_the_target():
    with translation.override("ja"):
        chart = charts.line("t", "オンライン利用率", months(figure("25.0"), figure(None), figure("50.0"), figure("75.0")),
                            target_figure=figure("75.0", target="60"))
    bottom, top = chart.plot_bottom, chart.plot_top
    height = bottom - top
    ys = [p.y for p in chart.points]
    assert ys[1] is None
    assert ys[0] == round(bottom - height * 25 / 100, 1)       # a 100% axis (values above 50)
    assert ys[3] == round(bottom - height * 75 / 100, 1)
    assert chart.target_y == round(bottom - height * 60 / 100, 1)
    assert len(chart.segments) == 2                              # the gap breaks the line
    assert [p.text for p in chart.points] == ["25.0%", "—", "50.0%", "75.0%"]  # as figures.py rounded
    assert chart.target_text == "60%"
    assert "75.0%" in chart.summary and "60%" in chart.summary
    assert not chart.empty


def test_a_suppressed_point_is_not_drawn_and_reads_fewer_than_ten():
    with translation.override("ja"):
        chart = charts.line("t", "満足度", months(figure(None, base=4, suppressed=True), figure("90.0", base=12)))
        fewer = charts.shown(None, "percent", suppressed=True)
    first = chart.points[0]
    assert first.y is None and first.suppressed and first.text == fewer
    assert not chart.empty
    only_hidden = charts.line("u", "満足度", months(figure(None, base=3, suppressed=True)))
    assert not only_hidden.empty  # its table still says why there is no number
    assert charts.line("v", "満足度", months(figure(None, base=0))).empty


def test_bars_are_as_long_as_their_share_of_the_axis():
    rows = [Row("missing", "記入漏れ", 4, Decimal("57.1")), Row("attachment", "添付", 2, Decimal("28.6")),
            Row("other", "その他", 0, Decimal("0.0"))]
    chart = charts.bars("b", "差戻しの理由", rows, extra="share", extra_unit="percent")
    widths = [p.width for p in chart.points]
    assert widths[0] == chart.plot_right - chart.plot_left  # 4 on an axis topped at 4
    assert widths[1] == round(widths[0] / 2, 1) and widths[2] == 0
    assert [p.extra for p in chart.points][:2] == ["57.1%", "28.6%"]
    assert charts.bars("c", "x", [Row("a", "a", 0, None)]).empty


def test_gridlines_fall_on_round_numbers():
    with translation.override("ja"):
        assert [t.label for t in charts.line("t", "x", months(figure("12.5"))).ticks] == ["0%", "5%", "10%", "15%"]
        assert [t.label for t in charts.line("t", "x", months(figure("80.0"))).ticks] == [
            "0%", "25%", "50%", "75%", "100%"]
        assert [t.label for t in charts.line("t", "x", months(figure("58", unit="minutes"))).ticks] == [
            "0分", "20分", "40分", "60分"]


def test_numbers_read_in_the_readers_language():
    with translation.override("pt-br"):
        assert charts.shown(Decimal("1234.5"), "minutes").startswith("1.234,5")
    with translation.override("en"):
        assert charts.shown(Decimal("1234"), "count").startswith("1,234")
