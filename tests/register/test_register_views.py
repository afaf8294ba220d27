"""The staff look-up page: clerks only, a reason always, nothing personal in the URL."""

import pytest
from django.urls import reverse

from madoguchi.core.models import AuditEvent, Department, Role, StaffMembership
from madoguchi.register.seeding import generate_register

from conftest import login_resident

pytestmark = pytest.mark.django_db

URL = "/staff/register/"
SEARCH = {"reason": "窓口受付 A-012 転入", "kana": "やまだ はなこ", "birth_date": "平成2年8月3日"}


@pytest.fixture
def register(city):
    generate_register(city, 40, seed=3)
    return city


def test_the_page_is_where_the_docs_say():
    assert reverse("register:search") == URL


def test_a_clerk_searches_by_kana_and_sees_the_household(client, register, staff):
    client.force_login(staff["shimin-tanto"])
    assert client.get(URL).status_code == 200
    page = client.post(URL, SEARCH)
    assert page.status_code == 200
    text = page.content.decode()
    assert "山田\u3000花子" in text and 'id="result-count" data-count="1"' in text
    hanako = page.context["results"][0]
    household = client.post(URL, {"reason": SEARCH["reason"], "household": hanako.pk})
    assert [r.name for r in household.context["results"]] == [
        "山田\u3000太郎", "山田\u3000花子", "山田\u3000一郎", "山田\u3000さくら"]
    events = AuditEvent.objects.filter(action="register_lookup", actor_ref=f"staff:{staff['shimin-tanto'].pk}")
    assert [e.target_id for e in events] == ["kana", "household"]
    assert all(e.detail["reason"] == SEARCH["reason"] for e in events)


def test_no_reason_no_look_up(client, register, staff):
    client.force_login(staff["kodomo-tanto"])
    page = client.post(URL, {**SEARCH, "reason": ""})
    assert page.status_code == 400
    assert 'id="search-error"' in page.content.decode()  # the missing reason is said, nothing is looked up
    assert "山田\u3000花子" not in page.content.decode()
    assert not AuditEvent.objects.filter(action="register_lookup").exists()


def test_by_my_number(client, register, staff):
    client.force_login(staff["shimin-tanto"])
    page = client.post(URL, {"reason": "本人確認", "my_number": "9000 0000 0222"})
    assert [r.name for r in page.context["results"]] == ["山田\u3000花子"]


def test_who_may_not_look(client, register, staff, resident, other_city, django_user_model):
    assert client.post(URL, SEARCH)["Location"].startswith(reverse("casework:login"))
    login_resident(client, resident)
    assert client.post(URL, SEARCH).status_code == 302
    client.logout()
    client.force_login(staff["kodomo-kacho"])  # an approver, not a clerk
    assert client.post(URL, SEARCH).status_code == 403
    outsider = django_user_model.objects.create_user("other-clerk", password="x-pass-2026")
    StaffMembership.objects.create(user=outsider, role=Role.CLERK,
                                   department=Department.objects.get(municipality=other_city, code="kankyo"))
    client.force_login(outsider)
    assert client.post(URL, SEARCH).status_code == 403
    assert not AuditEvent.objects.filter(action="register_lookup").exists()


def test_another_citys_clerk_on_their_own_host_finds_nobody_of_ours(client, register, other_city, settings,
                                                                    django_user_model):
    settings.ALLOWED_HOSTS = ["testserver", "other.example.jp"]
    clerk = django_user_model.objects.create_user("other-clerk", password="x-pass-2026")
    StaffMembership.objects.create(user=clerk, role=Role.CLERK,
                                   department=Department.objects.get(municipality=other_city, code="kankyo"))
    client.force_login(clerk)
    page = client.post(URL, SEARCH, HTTP_HOST="other.example.jp")
    assert page.status_code == 200
    assert page.context["results"] == []
