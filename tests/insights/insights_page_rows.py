"""What the figures' page tests share: a month of the daily job's output for the demo city
(DailyFigure rows as insights/daily.py writes them, so the pages are tested apart from the
job), readers of the figures, and a small reader of the page's elements by id."""

from datetime import date
from html.parser import HTMLParser

from django.utils import timezone

from madoguchi.core.models import Department, Role, StaffMembership
from madoguchi.insights.measures import Measure
from madoguchi.insights.models import BuiltDay, DailyFigure

CHILD_CLAIM = "child-allowance-claim"  # 児童手当 認定請求 (こども家庭課)
DOG = "dog-registration-change"       # 住民環境課
MONTH = (date(2026, 10, 1), date(2026, 10, 31))


def put(city, day, measure, count, *, dimension="", department=None, procedure="", total=0, maximum=None):
    return DailyFigure.objects.create(municipality=city, day=day, measure=measure, count=count,
                                      dimension=dimension, department=department, procedure_code=procedure,
                                      total=total, maximum=maximum)


def built(city, *days):
    for day in days:
        BuiltDay.objects.update_or_create(municipality=city, day=day, defaults={"built_at": timezone.now()})


def october(city):
    """October 2026 in the demo city: 児童手当 30 online + 10 at the counter, of which 6
    returned (4 missing, 2 attachment); dog registrations 5 online + 15 at the counter, 1
    returned (identity); 12 tickets; 4 survey answers (3 satisfied). Also one September
    application, outside the month."""
    kodomo = Department.objects.get(municipality=city, code="kodomo")
    kankyo = Department.objects.get(municipality=city, code="kankyo")
    first, second = date(2026, 10, 5), date(2026, 10, 20)
    put(city, first, Measure.APPLICATIONS, 20, dimension="online", department=kodomo, procedure=CHILD_CLAIM)
    put(city, second, Measure.APPLICATIONS, 10, dimension="online", department=kodomo, procedure=CHILD_CLAIM)
    put(city, second, Measure.APPLICATIONS, 10, dimension="counter", department=kodomo, procedure=CHILD_CLAIM)
    put(city, first, Measure.RETURNED, 4, dimension="missing", department=kodomo, procedure=CHILD_CLAIM)
    put(city, second, Measure.RETURNED, 2, dimension="attachment", department=kodomo, procedure=CHILD_CLAIM)
    put(city, first, Measure.APPLICATIONS, 5, dimension="online", department=kankyo, procedure=DOG)
    put(city, first, Measure.APPLICATIONS, 15, dimension="counter", department=kankyo, procedure=DOG)
    put(city, first, Measure.RETURNED, 1, dimension="identity", department=kankyo, procedure=DOG)
    put(city, first, Measure.TICKETS, 12, dimension="09", total=120 * 60, maximum=30 * 60)  # seconds
    put(city, first, Measure.TICKETS, 12, dimension="09:called")
    put(city, first, Measure.WAIT_MINUTES, 12, dimension="10")
    for rating, count in (("5", 2), ("4", 1), ("2", 1)):
        put(city, second, Measure.SATISFACTION, count, dimension=f"online:{rating}", department=kodomo,
            procedure=CHILD_CLAIM)
    put(city, date(2026, 9, 30), Measure.APPLICATIONS, 7, dimension="online", department=kodomo, procedure=CHILD_CLAIM)
    built(city, date(2026, 9, 30), *(date(2026, 10, d) for d in range(1, 32)))
    return {"kodomo": kodomo, "kankyo": kankyo}


def reader(django_user_model, city, username, role, department="kodomo"):
    user = django_user_model.objects.create_user(username, password="x-pass-2026")
    # Appointed at the start of the fiscal year: a test that fixes "today" earlier in the year
    # (the period presets) still finds the role in force.
    StaffMembership.objects.create(user=user, department=Department.objects.get(municipality=city, code=department),
                                   role=role, valid_from=date(2026, 4, 1))
    return user


ANALYST = Role.ANALYST


class Elements(HTMLParser):
    """Every element's attributes, by id and in document order."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.all: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = {k: (v if v is not None else "") for k, v in attrs}
        self.all.append((tag, found))
        if "id" in found:
            self.by_id[found["id"]] = found

    def with_attr(self, tag: str, name: str) -> list[dict]:
        return [a for t, a in self.all if t == tag and name in a]
