"""Two runs of the daily job over the same day, at once, on PostgreSQL with real threads and
connections: they never interleave (no doubled rows, no error), and a run waits for the other's
day to be written. (SQLite serialises whole writes: run with DATABASE_URL.)"""

import threading
import time

import pytest
from daily_support import DAY, at, department, event, submission
from django.db import connection, transaction

from madoguchi.insights import daily
from madoguchi.insights.models import BuiltDay

from support import at_once

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="a row-lock race: run with DATABASE_URL=postgres://…")
pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]

CLAIM = "child-allowance-claim"


@pytest.fixture
def busy_day(city, audit_log_flushable):
    kodomo = department(city, "kodomo")
    for n in range(6):
        made = submission(city, kodomo, CLAIM, at(DAY, 9, n), channel="counter" if n % 2 else "online")
        if n % 3 == 0:
            event(made, "returned", at(DAY, 12, n), reason="attachment")
    return city


def test_runs_of_a_new_day_at_once_write_it_once(busy_day):
    city = busy_day
    outcomes = at_once(*(lambda: daily.build_day(city, DAY) for _ in range(4)))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    rows = daily.built_rows(city, DAY)
    assert BuiltDay.objects.filter(municipality=city, day=DAY).count() == 1
    assert len(set(o for o in outcomes)) == 1 and outcomes[0] == len(rows)
    daily.build_day(city, DAY)  # one run alone gives the same rows
    assert daily.built_rows(city, DAY) == rows


def test_a_run_waits_while_the_day_is_being_written(busy_day):
    city = busy_day
    daily.build_day(city, DAY)
    before = daily.built_rows(city, DAY)
    holding, released = threading.Event(), {}

    def hold():
        try:
            with transaction.atomic():
                BuiltDay.objects.select_for_update().get(municipality=city, day=DAY)
                holding.set()
                time.sleep(1.0)
                released["at"] = time.monotonic()
                raise RuntimeError("abandoned")  # rolled back
        except RuntimeError:
            pass
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    finished = at_once(lambda: (daily.build_day(city, DAY), time.monotonic())[1])[0]
    holder.join(10)
    assert not isinstance(finished, Exception), finished
    assert finished >= released["at"]
    assert daily.built_rows(city, DAY) == before
