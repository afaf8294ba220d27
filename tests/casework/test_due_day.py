"""標準処理期間: the due day set when a case arrives (calendar days in Asia/Tokyo), moved on by
the days a correction took, overdue from midnight in Japan for open cases only, and the queue's
order by due day: overdue first, no due day last, walked in keyset pages over two departments
exactly once each way."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from work_cases import APPLICATION, act, cases, department

from madoguchi.applications import processing
from madoguchi.applications import services as applications
from madoguchi.applications.models import Status, Submission
from madoguchi.casework import selectors, work
from madoguchi.casework.selectors import Filters
from madoguchi.catalog.loader import catalog
from madoguchi.core.actors import Actor
from madoguchi.core.models import Role, StaffMembership

from support import submit_via_web


def test_the_period_counts_calendar_days_from_the_day_after_arrival():
    assert processing.due_on(30, date(2026, 3, 1)) == date(2026, 3, 31)
    assert processing.due_on(0, date(2026, 3, 1)) == date(2026, 3, 1)
    assert processing.due_on(None, date(2026, 3, 1)) is None
    assert processing.due_on(5, date.max) == date.max
    assert processing.after_correction(date(2026, 3, 31), date(2026, 3, 10), date(2026, 3, 17)) == date(2026, 4, 7)
    assert processing.after_correction(None, date(2026, 3, 10), date(2026, 3, 17)) is None


def _at_jst(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.get_default_timezone())


def test_an_online_submission_gets_its_due_day_in_japan(resident_client, monkeypatch):
    # 23:30 on 31 March in Tokyo is still the 31st there (14:30 UTC): the 31st + 30 days.
    monkeypatch.setattr(timezone, "now", lambda: _at_jst("2026-03-31 23:30").astimezone(UTC))
    case = submit_via_web(resident_client, APPLICATION)
    assert catalog()[APPLICATION].processing_days == 30
    assert case.due_on == date(2026, 4, 30)


def test_a_counter_filing_gets_its_due_day_too(city, staff):
    import uuid

    from madoguchi.register.models import Household, Resident

    household = Household.objects.create(municipality=city, number="700002")
    resident = Resident.objects.create(
        municipality=city, code="70000000002", household=household, relationship="世帯主",  # ja-only: test data
        name="窓口\u3000次郎", kana="マドグチ　ジロウ", birth_date=date(1980, 1, 1), gender="1",  # ja-only: test data
        address="デモ市本町1丁目", settled_on=timezone.localdate(),  # ja-only: test data
        became_resident_on=timezone.localdate(), latest_reason="転入",  # ja-only: test data
        kana_key="マドグチジロウ", surname_key="マドグチ", given_key="ジロウ")  # ja-only: test data
    procedure = catalog()["dog-registration"]
    case = applications.file_at_counter(resident, procedure, procedure.current_form.version,
                                        {"owner_name": "窓口 次郎"}, {},  # ja-only: test data
                                        Actor.staff(staff["kankyo-both"]), visit_ref=uuid.uuid4())
    assert case.due_on == work.today() + timedelta(days=procedure.processing_days)


def test_a_correction_moves_the_due_day_by_the_days_it_took(client, staff, resident, resident_client, monkeypatch):
    case = submit_via_web(resident_client, APPLICATION)
    first_due = case.due_on
    act(client, staff["kodomo-tanto"], case, "return", message="口座の写しを添付してください", return_reason="attachment")  # ja-only: test data
    case.events.filter(to_status=Status.RETURNED).update(at=timezone.now() - timedelta(days=6))
    case.refresh_from_db()
    draft = applications.start_correction(case, resident)
    procedure = catalog()[APPLICATION]
    applications.submit_draft(draft, procedure, Actor.resident(resident.pk))
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.due_on == first_due + timedelta(days=6)


def test_overdue_begins_at_midnight_in_japan_and_only_for_open_cases(city, monkeypatch):
    case = cases(city, 1, due=[date(2026, 3, 10)])[0]
    monkeypatch.setattr(timezone, "now", lambda: _at_jst("2026-03-10 23:59:59").astimezone(UTC))
    assert work.today() == date(2026, 3, 10) and not work.is_overdue(case)
    monkeypatch.setattr(timezone, "now", lambda: _at_jst("2026-03-11 00:00").astimezone(UTC))
    assert work.today() == date(2026, 3, 11) and work.is_overdue(case)
    for status in (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN):
        case.status = status
        assert not work.is_overdue(case)
    case.status, case.due_on = Status.ACCEPTED, None
    assert not work.is_overdue(case)  # an old case without a due day


@pytest.fixture
def two_departments(city, staff):
    clerk = staff["kodomo-tanto"]
    StaffMembership.objects.create(user=clerk, department=department(city, "kankyo"), role=Role.CLERK)
    today = work.today()
    days = [today - timedelta(days=3), today - timedelta(days=1), today, today + timedelta(days=5), None]
    made = cases(city, 20, due=[days[n % 5] for n in range(20)])
    made += cases(city, 15, code="kankyo", procedure="dog-registration-change",
                  due=[days[(n + 2) % 5] for n in range(15)], start="2026-03-02 09:00")
    closed = cases(city, 4, status=Status.APPROVED, due=[today - timedelta(days=30)] * 4,
                   start="2026-03-03 09:00")
    return clerk, made, closed


def _due_order(made):
    return [c.pk for c in sorted(made, key=lambda c: (c.due_on is None, c.due_on or date.min, c.pk))]


def test_by_due_day_keyset_pages_walk_every_open_case_once_each_way(city, two_departments):
    clerk, made, closed = two_departments
    departments = selectors.departments(clerk, city)
    pages, after = [], None
    while True:
        page = selectors.queue_page(departments, Filters(), after=after, order="due")
        pages.append(page)
        if page.next_cursor is None:
            break
        after = selectors.position_in("due", page.next_cursor)
    walked = [c.pk for p in pages for c in p.cases]
    assert [len(p.cases) for p in pages] == [25, 10]
    assert walked == _due_order(made)  # overdue first, no due day last; decided cases left out
    back = selectors.queue_page(departments, Filters(), order="due",
                                before=selectors.position_in("due", pages[1].previous_cursor))
    assert [c.pk for c in back.cases] == walked[:25]
    assert selectors.queue_count(departments, Filters(), order="due").value == 35
    # The other order's cursor is not this order's.
    assert selectors.position_in("due", selectors.cursor_for(made[0])) is None
    assert selectors.position_in("", selectors.due_cursor_for(made[0])) is None
    # Asked for by status, decided cases are listed by due day too.
    approved = selectors.queue_page(departments, Filters(status=Status.APPROVED), order="due")
    assert [c.pk for c in approved.cases] == [c.pk for c in closed]


def test_the_queue_marks_overdue_cases_and_sorts_them_first(client, city, two_departments):
    clerk, made, _closed = two_departments
    client.force_login(clerk)
    page = client.get(reverse("casework:queue"), {"sort": "due"}).content.decode()
    rows = re.findall(r'<tr data-case="([^"]+)" data-overdue="(true|false)"', page)
    by_number = {c.receipt_number: c for c in made}
    today = work.today()
    overdue = [number for number, flag in rows if flag == "true"]
    assert overdue == [n for n, _f in rows[:len(overdue)]] and len(overdue) == 14
    assert all(by_number[n].due_on < today for n in overdue)
    assert page.count('class="tag overdue"') == 14
    # Oldest first (the default), the overdue ones are marked where they stand.
    default = client.get(reverse("casework:queue")).content.decode()
    assert re.findall(r'data-case="([^"]+)"', default)[:3] == [c.receipt_number for c in made[:3]]
    # A cursor of the other order is ignored: the first page.
    cursor = selectors.cursor_for(made[3])
    again = client.get(reverse("casework:queue"), {"sort": "due", "after": cursor}).content.decode()
    assert re.findall(r'<tr data-case="([^"]+)"', again) == [n for n, _f in rows]


def test_a_case_without_a_due_day_is_listed_without_one(client, city, staff):
    case = cases(city, 1)[0]
    Submission.objects.filter(pk=case.pk).update(due_on=None)
    client.force_login(staff["kodomo-tanto"])
    page = client.get(reverse("casework:queue"), {"sort": "due"}).content.decode()
    assert f'data-case="{case.receipt_number}" data-overdue="false"' in page
