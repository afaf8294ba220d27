"""What the open-data tests share: six weeks of the daily job's output for a city (DailyFigure
rows as insights/daily.py writes them, so the files are tested apart from the job), a reader of
the served files, and their validation with frictionless.

The first figures are of 5 October (days from 1 October are built, with nothing before the
5th); October holds enough events for every figure to be published; one October day (the 7th)
and the satisfaction answers of 2 November rest on fewer than 10 events, so those days'
figures are suppressed; 3 November has counter applications only (an online share of 0, not
suppressed); 6 October has nothing at all. Days are built up to 10 November (a partial month).
"""

import copy
import csv
import io
import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.utils import timezone

from madoguchi.core.models import Department
from madoguchi.insights.measures import Measure
from madoguchi.insights.models import BuiltDay, DailyFigure

BUILT_FROM, FIRST, LAST = date(2026, 10, 1), date(2026, 10, 5), date(2026, 11, 10)
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
SMALL_DAY = date(2026, 10, 7)
COUNTER_ONLY_DAY = date(2026, 11, 3)
EMPTY_DAY = date(2026, 10, 6)
CHILD_CLAIM = "child-allowance-claim"


def put(city, day, measure, count, *, dimension="", department=None, procedure="", total=0, maximum=None):
    return DailyFigure.objects.create(municipality=city, day=day, measure=measure, count=count,
                                      dimension=dimension, department=department, procedure_code=procedure,
                                      total=total, maximum=maximum)


def built(city, first=BUILT_FROM, last=LAST):
    day = first
    while day <= last:
        BuiltDay.objects.update_or_create(municipality=city, day=day, defaults={"built_at": timezone.now()})
        day += timedelta(1)


def six_weeks(city, scale: int = 1) -> dict:
    """The figures described above (counts × `scale`, so another city's differ); returns the
    counts the expected values are computed from."""
    department = Department.objects.filter(municipality=city).first()
    applications = [  # (day, channel, count)
        (date(2026, 10, 5), "online", 20 * scale), (date(2026, 10, 5), "counter", 10 * scale),
        (date(2026, 10, 20), "online", 10 * scale), (date(2026, 10, 20), "counter", 20 * scale),
        (date(2026, 10, 20), "myna_portal", 5 * scale),
        (SMALL_DAY, "online", 2), (SMALL_DAY, "counter", 1),
        (COUNTER_ONLY_DAY, "counter", 12),
    ]
    for day, channel, count in applications:
        put(city, day, Measure.APPLICATIONS, count, dimension=channel, department=department, procedure=CHILD_CLAIM)
    put(city, date(2026, 10, 5), Measure.RETURNED, 3 * scale, dimension="missing", department=department,
        procedure=CHILD_CLAIM)
    put(city, date(2026, 10, 5), Measure.WAIT_MINUTES, 12 * scale, dimension="10")
    put(city, date(2026, 10, 5), Measure.TICKETS, 12 * scale, dimension="09", total=150 * 60 * scale,
        maximum=40 * 60)  # seconds
    put(city, date(2026, 10, 5), Measure.TICKETS, 12 * scale, dimension="09:called")
    for rating, count in (("5", 8 * scale), ("4", 3 * scale), ("2", 1 * scale)):
        put(city, date(2026, 10, 20), Measure.SATISFACTION, count, dimension=f"online:{rating}",
            department=department, procedure=CHILD_CLAIM)
    put(city, date(2026, 11, 2), Measure.SATISFACTION, 4, dimension="counter:5")
    built(city)
    online_october = 20 * scale + 10 * scale + 5 * scale + 2
    return {"online_october": online_october,
            "all_october": online_october + 10 * scale + 20 * scale + 1,
            "returned_october": 3 * scale,
            "waited": 12 * scale, "wait_minutes": 150 * scale,
            "answers_october": 12 * scale, "satisfied_october": 11 * scale}


def percent(part: int, whole: int) -> Decimal:
    """The contract's rounding (one decimal, half up), for the expected values."""
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def get(client, url: str, **headers):
    """GET an absolute URL of the package with the test client, on the URL's own host."""
    parts = urlsplit(url)
    return client.get(parts.path, HTTP_HOST=parts.netloc, **headers)


def package(client, host: str = "testserver") -> dict:
    response = client.get("/opendata/datapackage.json", HTTP_HOST=host)
    assert response.status_code == 200
    return json.loads(response.content)


def resource(descriptor: dict, name: str) -> dict:
    return next(r for r in descriptor["resources"] if r["name"] == name)


def csv_rows(content: bytes) -> list[dict]:
    assert content.startswith(b"\xef\xbb\xbf")  # the byte order mark Excel needs
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def json_rows(content: bytes) -> list[dict]:
    return json.loads(content)


def validate(client, descriptor: dict, directory) -> list:
    """Fetch every file the package lists from its URL, then validate the package with
    frictionless against the fetched bytes: (resource, row, field, error type) of each error."""
    from frictionless import Package

    local = copy.deepcopy(descriptor)
    for item in local["resources"]:
        response = get(client, item["path"])
        assert response.status_code == 200, item["path"]
        name = urlsplit(item["path"]).path.rsplit("/", 1)[-1]
        (directory / name).write_bytes(response.content)
        item["path"] = name
    report = Package.from_descriptor(local, basepath=str(directory)).validate()
    return [(task.name, getattr(error, "row_number", None), getattr(error, "field_name", None), error.type)
            for task in report.tasks for error in task.errors]


class Elements(HTMLParser):
    """Every element's attributes, by id and in document order."""

    def __init__(self, html: str):
        super().__init__()
        self.by_id: dict[str, dict] = {}
        self.elements: list[dict] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        found = {k: (v if v is not None else "") for k, v in attrs}
        self.elements.append(found)
        if "id" in found:
            self.by_id[found["id"]] = found
