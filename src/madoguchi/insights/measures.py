"""What the daily job counts (`Measure`) and what the city reads and sets targets for (`Kpi`).

A `Measure` is one kind of `DailyFigure` row; its docstring line says what `dimension`,
`count`, `total` and `maximum` hold. A `Kpi` is computed from measures over a period by
insights/figures.py, the one place each KPI's formula lives (docs/insights.md restates them).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Measure(models.TextChoices):
    # Applications. Per department and procedure.
    APPLICATIONS = "applications", _("申請件数")              # dim: channel (online|counter|myna_portal); count
    CARD_SIGNED = "card_signed", _("マイナンバーカードで署名した申請")  # dim: ""; count (online submissions signed)
    DECIDED = "decided", _("決定件数")                       # dim: outcome (approved|rejected); count; total: seconds from submission; maximum: seconds
    PROCESSING_HOURS = "processing_hours", _("処理時間の分布")  # dim: bucket (hours_bucket() of whole hours from submission); count of decisions
    RETURNED = "returned", _("差戻し件数")                   # dim: reason (ReturnReason; "" before reasons were recorded); count
    # The online form: drafts by the day they were started.
    DRAFTS_STARTED = "drafts_started", _("入力を始めた件数")    # dim: ""; count
    DRAFTS_SUBMITTED = "drafts_submitted", _("送信まで進んだ件数")  # dim: ""; count (of those started that day)
    DRAFTS_LEFT = "drafts_left", _("途中でやめた件数")          # dim: the step left at (the draft's step index: "0", "1", …); count
    # Payment. Per department and procedure.
    CHARGES_CREATED = "charges_created", _("請求件数")        # dim: kind; count; total: yen
    CHARGES_PAID = "charges_paid", _("支払件数")              # dim: provider; count; total: yen (by the day paid)
    # The navigator. No department.
    NAVIGATOR_PLANS = "navigator_plans", _("手続ナビの利用")    # dim: life event; count
    NAVIGATOR_DRAFTS = "navigator_drafts", _("手続ナビからの申請開始")  # procedure, no department; dim: life event; count
    # The queue. No department; dimension by group where noted.
    TICKETS = "tickets", _("発券数")                          # dim: hour issued ("09"): count issued, total: wait seconds of those called, maximum: seconds; dim "09:called": count called
    WAIT_MINUTES = "wait_minutes", _("待ち時間の分布")          # dim: bucket (minutes_bucket() of whole minutes, issue to call); count
    SERVICE_MINUTES = "service_minutes", _("対応時間の分布")    # dim: bucket (minutes_bucket(), start to finish); count; total: seconds
    # The counter (書かない窓口).
    VISITS = "visits", _("窓口受付件数")                      # dim: identified_by (card|kana|""); count; total: seconds
    VISIT_FIELDS = "visit_fields", _("窓口の記入項目")         # dim: prefilled|typed|written; count: fields
    # Satisfaction. Per department and procedure where the answer names them.
    SATISFACTION = "satisfaction", _("満足度の回答")            # dim: f"{touchpoint}:{rating}"; count
    # Notices (Reach residents).
    NOTICES = "notices", _("通知")                            # dim: f"{channel}:{state}"; count


class Kpi(models.TextChoices):
    """The KPIs a city reads and sets targets for (the seeds' DX plans measure these)."""

    ONLINE_PROCEDURES = "online_procedures", _("オンラインで申請できる手続の数")
    ONLINE_SHARE = "online_share", _("オンライン利用率（%）")
    E_APPLICATIONS = "e_applications", _("電子申請件数（年度）")
    PROCESSING_DAYS = "processing_days", _("処理日数（中央値）")
    PROCESSING_DAYS_P90 = "processing_days_p90", _("処理日数（90パーセンタイル）")
    RETURN_RATE = "return_rate", _("差戻し率（%）")
    COMPLETION_RATE = "completion_rate", _("入力を始めた人が送信した割合（%）")
    PAYMENT_COMPLETION = "payment_completion", _("支払完了率（%）")
    CARD_USE = "card_use", _("マイナンバーカード利用率（%）")
    WAIT_AVERAGE = "wait_average", _("窓口の平均待ち時間（分）")
    WAIT_MAXIMUM = "wait_maximum", _("窓口の最大待ち時間（分）")
    SERVICE_AVERAGE = "service_average", _("窓口の平均対応時間（分）")
    PREFILLED_SHARE = "prefilled_share", _("書かない窓口：記入不要の項目の割合（%）")
    SATISFACTION = "satisfaction", _("利用者満足度（満足・とても満足の割合、%）")


# Histogram buckets: exact below, coarser above, so a period's p50/p90 is read from the summed
# buckets of its days (a percentile of days' percentiles would be wrong). A bucket's name is its
# lower bound; figures.py takes the bucket's lower bound as the value.
HOUR_BUCKETS = [*range(0, 48), *range(48, 24 * 14, 12), *range(24 * 14, 24 * 120, 24)]
MINUTE_BUCKETS = [*range(0, 120), *range(120, 600, 10)]


def bucket(value: float, bounds: list[int]) -> str:
    """The name of the bucket `value` falls in (its lower bound, as text)."""
    chosen = bounds[0]
    for bound in bounds:
        if value < bound:
            break
        chosen = bound
    return str(chosen)


def hours_bucket(hours: float) -> str:
    return bucket(hours, HOUR_BUCKETS)


def minutes_bucket(minutes: float) -> str:
    return bucket(minutes, MINUTE_BUCKETS)


def accumulate(cell: list, count: int, total: int, maximum: int | None) -> None:
    """Add one group's count, total and maximum to a [count, total, maximum] cell: how the daily
    job merges the groups of a row and how figures.py sums a period's rows."""
    cell[0] += count or 0
    cell[1] += int(total or 0)
    if maximum is not None and (cell[2] is None or maximum > cell[2]):
        cell[2] = int(maximum)
