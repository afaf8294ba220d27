"""The city's figures, computed once: daily aggregates built from the event rows of every app
by an idempotent job (insights/daily.py), and the targets of the city's DX plan.

Every page, the public dashboard and the open data read `DailyFigure` through
insights/figures.py, never the event rows, so a figure is the same number wherever it is shown.
A row holds counts and sums only, never anything about a person."""

from django.db import models

from madoguchi.core.models import Department, Municipality
from madoguchi.insights.measures import Kpi, Measure


class DailyFigure(models.Model):
    """One measure of one day, for one department and procedure where it has them, split by
    `dimension` (a channel, a 差戻し reason, an hour, a histogram bucket…; measures.py says
    which). `count` counts events; `total` sums the measure's quantity (minutes, hours, yen)
    over them; `maximum` is the largest single quantity, where the measure has one."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+",
                                     db_index=False)  # led by the index below
    day = models.DateField()
    measure = models.CharField(max_length=32, choices=Measure.choices)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_index=False)
    procedure_code = models.CharField(max_length=64, blank=True)
    dimension = models.CharField(max_length=64, blank=True)
    count = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    maximum = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["municipality", "measure", "day"], name="figure_city_measure_day"),
                   models.Index(fields=["municipality", "day"], name="figure_city_day")]


class BuiltDay(models.Model):
    """A day whose figures were built, and when: the job rebuilds a day whole (delete, insert)
    in one transaction, so a day is either absent or complete."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    built_at = models.DateTimeField()
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipality", "day"], name="built_day_once")]


class Target(models.Model):
    """A KPI target of the city's DX plan: `value` by the end of fiscal `year` (年度)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    kpi = models.CharField(max_length=32, choices=Kpi.choices)
    year = models.PositiveSmallIntegerField(help_text="fiscal year (年度), e.g. 2027")  # ja-only: a term in a developer note
    value = models.DecimalField(max_digits=12, decimal_places=2)
    baseline = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True,
                                   help_text="the plan's starting value, when it states one")
    source = models.CharField(max_length=200, blank=True, help_text="where the plan states it")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["municipality", "kpi", "year"], name="target_once")]
