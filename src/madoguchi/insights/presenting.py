"""What the figures' pages show, assembled from insights/figures.py (the one place a KPI is
computed and rounded) into KPI rows and charts. The staff page (views.py) and the public
dashboard (public_views.py) both read here, so they never differ in how a figure is read; the
public one passes every figure through `figures.public()` first."""

from dataclasses import dataclass, field
from datetime import date

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from madoguchi.insights import charts, figures
from madoguchi.insights.measures import Kpi
from madoguchi.insights.models import BuiltDay, Target

# A KPI met when the value is at or below its target (time, returns), else at or above it.
LOWER_IS_BETTER = frozenset({Kpi.PROCESSING_DAYS, Kpi.PROCESSING_DAYS_P90, Kpi.RETURN_RATE,
                             Kpi.WAIT_AVERAGE, Kpi.WAIT_MAXIMUM, Kpi.SERVICE_AVERAGE})

# A period up to this many days is charted by day; a longer one by month.
DAILY_UP_TO = 62


@dataclass(frozen=True)
class KpiRow:
    """One KPI as a page shows it: its figure and how it stands against its target."""

    kpi: str
    label: str
    figure: figures.Figure
    text: str
    target_text: str
    standing: str  # "met" | "not_met" | "" (no target or no value)


def standing(figure: figures.Figure) -> str:
    if figure.target is None or figure.value is None:
        return ""
    met = figure.value <= figure.target if figure.kpi in LOWER_IS_BETTER else figure.value >= figure.target
    return "met" if met else "not_met"


def kpi_row(figure: figures.Figure, label) -> KpiRow:
    return KpiRow(kpi=figure.kpi, label=str(label), figure=figure,
                  text=charts.shown(figure.value, figure.unit, figure.suppressed),
                  target_text=charts.shown(figure.target, figure.unit) if figure.target is not None else "",
                  standing=standing(figure))


def granularity(first: date, last: date) -> str:
    return "day" if (last - first).days < DAILY_UP_TO else "month"


# --- kept between builds --------------------------------------------------------------------

# Bumped when what is kept changes shape, so a kept copy of the old shape is never read.
KEPT_LAYOUT = 1
# The catalogue (procedures available online) can change between builds: kept at most this long.
KEPT_SECONDS = 15 * 60


def kept(city, parts: tuple, build):
    """`build()`'s result, kept in the cache until the city's figures or targets change.

    Why: the figures change only when the daily job builds a day (each build stamps its
    `BuiltDay.built_at`) and targets only when someone saves one, yet a page reads a dozen
    series and breakdowns over up to five years of daily rows. The key holds the latest build
    and the targets' last change and count (a removal lowers it), and the reader's language (the
    charts' words are in it); two cheap queries decide whether the kept copy still holds."""
    built = BuiltDay.objects.filter(municipality=city).aggregate(at=Max("built_at"))["at"]
    targets = Target.objects.filter(municipality=city).aggregate(at=Max("updated_at"), n=Count("id"))
    key = ":".join(str(p) for p in (
        "insights-page", KEPT_LAYOUT, city.pk, get_language(), built.isoformat() if built else "-",
        targets["at"].isoformat() if targets["at"] else "-", targets["n"], *parts))
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, KEPT_SECONDS)
    return found


# --- the staff page ----------------------------------------------------------------------------

@dataclass
class Section:
    id: str
    title: str
    drawn: list[charts.Chart] = field(default_factory=list)
    note: str = ""


# What the staff page draws: these KPIs' trends and these breakdowns, each read once for all
# (figures.series_many, figures.breakdowns).
TRENDS = (Kpi.ONLINE_SHARE, Kpi.PROCESSING_DAYS, Kpi.PROCESSING_DAYS_P90, Kpi.RETURN_RATE, Kpi.COMPLETION_RATE,
          Kpi.PAYMENT_COMPLETION, Kpi.CARD_USE, Kpi.WAIT_AVERAGE, Kpi.SERVICE_AVERAGE, Kpi.PREFILLED_SHARE,
          Kpi.SATISFACTION)
BREAKDOWNS = ("channels", "return_reasons", "dropoff_steps", "card_use_counter", "wait_by_hour", "visit_fields",
              "navigator_events", "navigator_procedures", "satisfaction_ratings")


def overview(scope: figures.Scope) -> dict:
    """Every KPI of the scope against its target, and the page's sections with their charts
    (kept between builds: `kept`)."""
    department = scope.department.code if scope.department else ""
    return kept(scope.city, ("overview", scope.first, scope.last, department, scope.procedure),
                lambda: _overview(scope))


def _overview(scope: figures.Scope) -> dict:
    found = figures.kpis(scope)
    rows = [kpi_row(figure, Kpi(kpi).label) for kpi, figure in found.items()]
    by = granularity(scope.first, scope.last)
    minutes = {"value": "share", "unit": charts.UNIT_MINUTES, "extra": "count",
               "value_heading": _("平均待ち時間"), "extra_heading": _("発券数"), "key_heading": _("時台")}
    share = {"extra": "share", "extra_unit": charts.UNIT_PERCENT, "extra_heading": _("割合")}
    trends = figures.series_many(scope, TRENDS, by)
    parts = figures.breakdowns(scope, BREAKDOWNS)

    def line(kpi):
        return charts.line(f"trend-{kpi}", str(Kpi(kpi).label), trends[kpi], by, target_figure=found[kpi])

    def bars(name, title, **options):
        return charts.bars(f"breakdown-{name}", str(title), parts[name], **options)

    def section(id, title, *drawn, note=""):
        """A section of charts (its KPIs are each shown once, in the KPI table above)."""
        return Section(id=id, title=str(title), drawn=list(drawn), note=str(note))

    sections = [
        section("channels", _("申請の経路"),
                line(Kpi.ONLINE_SHARE),
                bars("channels", _("経路別の申請件数"), key_heading=_("経路"), **share)),
        section("processing", _("処理時間（申請から決定まで）"),
                line(Kpi.PROCESSING_DAYS), line(Kpi.PROCESSING_DAYS_P90)),
        section("returns", _("差戻し"),
                line(Kpi.RETURN_RATE),
                bars("return_reasons", _("差戻しの理由"), key_heading=_("理由"), **share)),
        section("dropoff", _("入力の途中でやめた人"),
                line(Kpi.COMPLETION_RATE),
                bars("dropoff_steps", _("やめた画面"), key_heading=_("画面"), **share)),
        section("payment", _("手数料の支払"),
                line(Kpi.PAYMENT_COMPLETION)),
        section("card", _("マイナンバーカードの利用"),
                line(Kpi.CARD_USE),
                bars("card_use_counter", _("窓口での本人確認の方法"), key_heading=_("方法"), **share)),
        section("counter", _("窓口の待ち時間と対応時間"),
                line(Kpi.WAIT_AVERAGE),
                bars("wait_by_hour", _("時間帯別の平均待ち時間"), **minutes),
                line(Kpi.SERVICE_AVERAGE),
                note=_("窓口の待ち時間は課・手続で分けられないため、課や手続で絞り込むと表示されません。")),
        section("prefill", _("書かない窓口"),
                line(Kpi.PREFILLED_SHARE),
                bars("visit_fields", _("記入項目の内訳"), key_heading=_("区分"), **share)),
        section("navigator", _("手続ナビの利用"),
                bars("navigator_events", _("ライフイベント別の利用"), key_heading=_("ライフイベント"), **share),
                bars("navigator_procedures", _("手続ナビから始めた申請"), key_heading=_("手続"), **share)),
        section("satisfaction", _("利用者満足度"),
                line(Kpi.SATISFACTION),
                bars("satisfaction_ratings", _("評価の内訳"), key_heading=_("評価"), **share)),
    ]
    target_year = next((f.target_year for f in found.values() if f.target_year), figures.fiscal_year(scope.last))
    return {"kpi_rows": rows, "sections": sections, "by": by, "target_year": target_year}


# --- the public dashboard ----------------------------------------------------------------------

# The headline KPIs residents read, named in plain words (the staff page uses Kpi's labels).
HEADLINE = {
    Kpi.ONLINE_PROCEDURES: _("オンラインで申請できる手続の数"),
    Kpi.ONLINE_SHARE: _("申請のうちオンラインで届いた割合"),
    Kpi.E_APPLICATIONS: _("オンラインで届いた申請の件数"),
    Kpi.PROCESSING_DAYS: _("申請から結果が出るまでの日数（中央値）"),
    Kpi.WAIT_AVERAGE: _("窓口での平均の待ち時間"),
    Kpi.WAIT_MAXIMUM: _("窓口でいちばん長く待った時間"),
    Kpi.SATISFACTION: _("「満足」「とても満足」と答えた人の割合"),
}
# Counted from the catalogue as it is now (figures.py): no monthly trend to draw.
NO_TREND = frozenset({Kpi.ONLINE_PROCEDURES})


def fiscal_years(first, last) -> list[int]:
    """The fiscal years from `first` (the first day with data) to `last` (the last built day),
    newest first."""
    if first is None or last is None:
        return []
    return list(range(figures.fiscal_year(last), figures.fiscal_year(first) - 1, -1))


def public_scope(city, year: int, built) -> figures.Scope:
    """A fiscal year, up to the last day whose figures are built (`built`)."""
    first, last = figures.fiscal_year_span(year)
    if built is not None and built < last:
        last = max(built, first)
    return figures.Scope(city=city, first=first, last=last)


@dataclass(frozen=True)
class Headline:
    row: KpiRow
    chart: charts.Chart | None


def dashboard(city, year: int, built) -> dict:
    """The public headlines of a fiscal year and their monthly trends (kept between builds)."""
    return kept(city, ("dashboard", year, built), lambda: _dashboard(city, year, built))


def _dashboard(city, year: int, built) -> dict:
    scope = public_scope(city, year, built)
    found = figures.kpis(scope)
    trends = figures.series_many(scope, [kpi for kpi in HEADLINE if kpi not in NO_TREND], "month")
    headlines = []
    for kpi, label in HEADLINE.items():
        figure = figures.public(found[kpi])
        chart = None
        if kpi not in NO_TREND:
            trend = [(day, figures.public(f)) for day, f in trends[kpi]]
            chart = charts.line(f"trend-{kpi}", _("%(label)s（月ごと）") % {"label": label}, trend, "month",
                                width=360, height=220, target_figure=figure, value_heading=str(_("数値")))
        headlines.append(Headline(row=kpi_row(figure, label), chart=chart))
    return {"scope": scope, "headlines": headlines, "year": year}
