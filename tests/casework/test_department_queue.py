"""The department queue's pages, dates and counts, on either database: keyset pages that walk
every case exactly once in (submitted_at, id) order even when times tie, days in Asia/Tokyo,
cursors nobody can forge, and counts that are exact up to a threshold."""

import re
from datetime import date, timedelta
from html import unescape
from itertools import cycle

import pytest
from django.core import signing
from django.db import connection
from django.urls import reverse
from queue_cases import at, in_order, make_cases, make_desk

from madoguchi.applications.models import Channel, Status
from madoguchi.casework import selectors
from madoguchi.casework.selectors import Filters
from madoguchi.core import counting
from madoguchi.core.counting import Exactness
from madoguchi.identity.emailcode import issue_api_token


@pytest.fixture
def desk(city, django_user_model):
    return make_desk(city, django_user_model)


@pytest.fixture
def tied(desk):
    """47 cases of the clerk's two departments on only 5 distinct instants (ties across and
    within departments), interleaved with 20 of another department."""
    instants = [at(f"2026-03-0{d} 10:00") for d in range(1, 6)]
    own = cycle(desk.own)
    rows = [{"department": next(own), "at": instants[n % 5]} for n in range(47)]
    rows += [{"department": desk.other, "at": instants[n % 5]} for n in range(20)]
    cases = make_cases(desk.city, rows)
    return [c for c in cases if c.department_id != desk.other.pk]


def _walk_forward(departments, filters: Filters | None = None, size=7):
    pages, after = [], None
    while True:
        page = selectors.queue_page(departments, filters or Filters(), after=after, size=size)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        after = selectors.position_of(page.next_cursor)


def test_keyset_pages_walk_every_case_once_in_order_despite_ties(desk, tied):
    pages = _walk_forward(desk.own)
    walked = [c.pk for p in pages for c in p.cases]
    assert walked == in_order(tied)
    assert [len(p.cases) for p in pages] == [7] * 6 + [5]
    assert pages[0].previous_cursor is None and all(p.previous_cursor for p in pages[1:])
    assert {c.department_id for p in pages for c in p.cases} == {d.pk for d in desk.own}


def test_previous_pages_walk_back_to_the_same_pages(desk, tied):
    forward = _walk_forward(desk.own)
    back, page = [forward[-1]], forward[-1]
    while page.previous_cursor:
        page = selectors.queue_page(desk.own, before=selectors.position_of(page.previous_cursor),
                                    size=7)
        back.append(page)
    assert [[c.pk for c in p.cases] for p in reversed(back)] == \
        [[c.pk for c in p.cases] for p in forward]


def test_previous_from_a_short_start_shows_the_full_first_page(desk, tied):
    ordered = in_order(tied)
    third = next(c for c in tied if c.pk == ordered[3])
    page = selectors.queue_page(desk.own, before=selectors.position_of(selectors.cursor_for(third)),
                                size=7)
    assert [c.pk for c in page.cases] == ordered[:7] and page.previous_cursor is None


def test_a_filter_walks_only_its_cases(desk, city):
    own = cycle(desk.own)
    rows = [{"department": next(own), "at": at("2026-05-01 09:00") + timedelta(minutes=n % 4),
             "status": Status.ACCEPTED if n % 3 else Status.SUBMITTED,
             "channel": Channel.COUNTER if n % 2 else Channel.ONLINE} for n in range(40)]
    cases = make_cases(city, rows)
    filters = Filters(status=Status.ACCEPTED, channel=Channel.COUNTER)
    walked = [c.pk for p in _walk_forward(desk.own, filters, size=4) for c in p.cases]
    assert walked == in_order([c for c in cases if c.status == Status.ACCEPTED
                               and c.channel == Channel.COUNTER])


@pytest.mark.parametrize(("since", "until"), [("2026-03-01", "2026-03-31")])
def test_days_are_asia_tokyo_days_both_ends_inclusive(desk, since, until):
    d = desk.own[0]
    cases = dict(zip(["before", "first", "last", "after"], make_cases(desk.city, [
        {"department": d, "at": at("2026-02-28 23:59:59.999999")},
        {"department": d, "at": at("2026-03-01 00:00")},
        {"department": d, "at": at("2026-03-31 23:59:59.999999")},
        {"department": d, "at": at("2026-04-01 00:00")},
    ]), strict=True))
    filters = Filters(since=date.fromisoformat(since), until=date.fromisoformat(until))
    listed = {c.pk for c in selectors.queue_page(desk.own, filters).cases}
    assert listed == {cases["first"].pk, cases["last"].pk}
    only_until = {c.pk for c in selectors.queue_page(desk.own, Filters(until=date(2026, 3, 31))).cases}
    assert only_until == {cases["before"].pk, cases["first"].pk, cases["last"].pk}
    only_since = {c.pk for c in selectors.queue_page(desk.own, Filters(since=date(2026, 3, 1))).cases}
    assert only_since == {cases["first"].pk, cases["last"].pk, cases["after"].pk}


def test_day_range_is_half_open_on_the_stored_instant():
    start, end = selectors.local_day_range(date(2026, 3, 1), date(2026, 3, 31))
    assert start.isoformat() == "2026-02-28T15:00:00+00:00"  # 00:00 JST
    assert end.isoformat() == "2026-03-31T15:00:00+00:00"  # 00:00 JST on April 1st, excluded
    assert selectors.local_day_range(date.min, date.max) == (None, None)  # no bound, no error


def test_the_page_filters_by_day_and_the_api_too(client, desk):
    d = desk.own[0]
    inside, outside = make_cases(desk.city, [{"department": d, "at": at("2026-03-31 23:59")},
                                             {"department": d, "at": at("2026-04-01 00:00")}])
    client.force_login(desk.user)
    page = client.get(reverse("casework:queue"), {"since": "2026-03-31", "until": "2026-03-31"})
    assert inside.receipt_number in page.content.decode()
    assert outside.receipt_number not in page.content.decode()
    token = issue_api_token(desk.city, staff_user=desk.user)
    listed = client.get("/api/staff/cases", {"since": "2026-03-31", "until": "2026-03-31"},
                        headers={"Authorization": f"Bearer {token}"}).json()
    assert [c["receipt_number"] for c in listed] == [inside.receipt_number]
    for value in ["0001-01-01", "9999-12-31"]:  # the ends of the calendar: no bound, no 500
        assert client.get(reverse("casework:queue"), {"since": value, "until": value}).status_code == 200


def _links(html: str) -> dict[str, str]:
    return {rel: unescape(href) for href, rel in
            re.findall(r'<a href="([^"]+)" rel="(next|prev)">', html)}


def test_page_links_keep_the_filters_and_walk_the_queue(client, desk, tied, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 10)
    client.force_login(desk.user)
    url, seen, pages = reverse("casework:queue") + "?status=submitted", [], 0
    while url:
        html = client.get(url).content.decode()
        seen += [c.receipt_number for c in tied if c.receipt_number in html]
        links, pages = _links(html), pages + 1
        if "next" in links:
            assert "status=submitted" in links["next"] and "after=" in links["next"]
        url = reverse("casework:queue") + links["next"] if "next" in links else None
    assert pages > 1 and sorted(seen) == sorted(c.receipt_number for c in tied)


def test_page_walks_next_and_back(client, desk, tied):
    client.force_login(desk.user)
    first = client.get(reverse("casework:queue")).content.decode()
    assert set(_links(first)) == {"next"}
    second = client.get(reverse("casework:queue") + _links(first)["next"]).content.decode()
    assert set(_links(second)) == {"prev"}  # 47 cases: the second page is the last
    back = client.get(reverse("casework:queue") + _links(second)["prev"]).content.decode()
    receipt = {c.pk: c.receipt_number for c in tied}
    ordered = [receipt[pk] for pk in in_order(tied)]
    assert all(r in back for r in ordered[:25]) and not any(r in back for r in ordered[25:])
    assert all(r in second for r in ordered[25:]) and not any(r in second for r in ordered[:25])
    assert set(_links(back)) == {"next"}


def _forged_cursors():
    signer = signing.Signer(salt="madoguchi.casework.queue-cursor")
    genuine_shape = signer.sign_object([1_700_000_000_000_000, 5])
    return {
        "garbage": "not-a-cursor",
        "tampered": genuine_shape[:-1] + ("A" if genuine_shape[-1] != "A" else "B"),
        "other_salt": signing.Signer(salt="elsewhere").sign_object([1_700_000_000_000_000, 5]),
        "wrong_shape": signer.sign_object({"at": 1, "id": 5}),
        "bool_id": signer.sign_object([1_700_000_000_000_000, True]),
        "zero_id": signer.sign_object([1_700_000_000_000_000, 0]),
        "far_future": signer.sign_object([10**20, 5]),
        "too_long": "x" * 5000,
        "non_ascii": "カーソル:署名",
    }


@pytest.mark.parametrize("kind", list(_forged_cursors()))
def test_a_cursor_we_did_not_sign_is_ignored_by_the_page_and_refused_by_the_api(client, desk, tied, kind):
    cursor = _forged_cursors()[kind]
    assert selectors.position_of(cursor) is None
    client.force_login(desk.user)
    first = client.get(reverse("casework:queue")).content.decode()
    for name in ("after", "before"):
        page = client.get(reverse("casework:queue"), {name: cursor})
        assert page.status_code == 200
        assert _links(page.content.decode()) == _links(first)  # the first page
    token = issue_api_token(desk.city, staff_user=desk.user)
    response = client.get("/api/staff/cases", {"after": cursor},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert set(response.json()["detail"]["errors"]) == {"after"}


def test_api_link_header_walks_every_case_and_page_still_works(client, desk, tied, monkeypatch):
    from madoguchi import api

    monkeypatch.setattr(api, "STAFF_PAGE_SIZE", 10)
    headers = {"Authorization": f"Bearer {issue_api_token(desk.city, staff_user=desk.user)}"}
    receipts = {c.receipt_number: c.pk for c in tied}
    url, walked = "/api/staff/cases?status=submitted", []
    while url:
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        walked += [receipts[c["receipt_number"]] for c in response.json()]
        link = response.headers.get("Link")
        url = re.fullmatch(r'<([^>]+)>; rel="next"', link).group(1) if link else None
        assert url is None or "status=submitted" in url
    assert walked == in_order(tied)
    second = client.get("/api/staff/cases", {"page": 2}, headers=headers)
    assert [receipts[c["receipt_number"]] for c in second.json()] == in_order(tied)[10:20]
    assert "after=" in second.headers["Link"]
    both = client.get("/api/staff/cases", {"page": 2, "after": "x"}, headers=headers)
    assert both.status_code == 422
    # Offsets reach the first 10,000 cases only (api.MAX_PAGE); deeper, the client follows `after`.
    assert client.get("/api/staff/cases", {"page": api.MAX_PAGE}, headers=headers).status_code == 200
    deeper = client.get("/api/staff/cases", {"page": api.MAX_PAGE + 1}, headers=headers)
    assert deeper.status_code == 422
    assert "page" in deeper.json()["detail"]["errors"]


def test_a_cursor_shows_nothing_of_other_departments(client, desk, tied, django_user_model):
    """A cursor is a place in the list, not a permission: another clerk's cursor, used by a
    clerk of another department, lists that clerk's own cases only."""
    stranger = make_desk(desk.city, django_user_model, username="queue-stranger")
    cursor = selectors.queue_page(desk.own, size=5).next_cursor
    page = selectors.queue_page(stranger.own, after=selectors.position_of(cursor))
    assert page.cases == []


def test_count_is_exact_below_the_threshold_and_capped_or_estimated_above(desk, tied, client,
                                                                          monkeypatch):
    assert selectors.queue_count(desk.own) == counting.Count(47, Exactness.EXACT)
    monkeypatch.setattr(counting, "EXACT_UP_TO", 30)
    count = selectors.queue_count(desk.own)
    if connection.vendor == "postgresql":
        assert count.exactness is Exactness.ABOUT and count.value > 30
    else:
        assert count == counting.Count(30, Exactness.AT_LEAST)
    client.force_login(desk.user)
    html = client.get(reverse("casework:queue")).content.decode()
    assert f'data-exactness="{count.exactness}"' in html
    assert 'data-exactness="exact"' in client.get(reverse("casework:queue"),
                                                  {"status": "returned"}).content.decode()
