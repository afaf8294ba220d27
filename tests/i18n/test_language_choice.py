"""The resident picks a language once: kept for the session and in the account, back at the next
login; the API follows Accept-Language; staff pages speak only ja/en; the thread's language is
put back after each request."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from madoguchi.core import i18n
from madoguchi.identity.models import ResidentAccount
from madoguchi.identity.session import start_session

pytestmark = pytest.mark.django_db

CATALOGUE = "/"


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


def current_switch(response) -> str:
    return re.search(r'data-lang="([^"]+)" aria-current="true"', response.content.decode()).group(1)


def test_the_choice_is_kept_for_the_next_pages(client, city):
    assert html_lang(client.get(CATALOGUE)) == "ja"
    assert html_lang(client.get(CATALOGUE, {"lang": "vi"})) == "vi"
    page = client.get(reverse("applications:mypage"), follow=True)  # no ?lang=: the session's
    assert html_lang(page) == "vi" and current_switch(page) == "vi"
    assert html_lang(client.get(CATALOGUE, {"lang": "ja-easy"})) == "ja"  # やさしい日本語 is Japanese
    assert current_switch(client.get(CATALOGUE)) == "ja-easy"


def test_an_unknown_language_is_ignored_not_an_error(client, city):
    for value in ("xx", "../../etc", "", "ja-easy-x" * 40):
        response = client.get(CATALOGUE, {"lang": value})
        assert response.status_code == 200 and html_lang(response) == "ja"
    assert html_lang(client.get(CATALOGUE, {"lang": "PT_br"})) == "pt-BR"  # case and _ accepted


def test_a_logged_in_choice_is_saved_on_the_account_and_comes_back_at_login(client, resident_client, resident):
    resident_client.get(reverse("applications:mypage"), {"lang": "ko", "text": "large"})
    resident.refresh_from_db()
    assert (resident.language, resident.text_size) == ("ko", "large")
    resident_client.logout()
    fresh = type(client)()
    assert html_lang(fresh.get(CATALOGUE)) == "ja"
    request = fresh.get(CATALOGUE).wsgi_request
    start_session(request, resident, "email")
    request.session.save()
    fresh.cookies["sessionid"] = request.session.session_key
    page = fresh.get(reverse("applications:mypage"))
    assert html_lang(page) == "ko" and 'class="text-large"' in page.content.decode()


def test_a_choice_made_before_login_goes_to_an_account_without_one(client, city):
    account = ResidentAccount.objects.create(municipality=city, email="new@example.jp")
    request = client.get(CATALOGUE, {"lang": "zh-hans"}).wsgi_request
    start_session(request, account, "email")
    account.refresh_from_db()
    assert account.language == "zh-hans"


def test_the_api_follows_accept_language_and_pages_do_not(client, city):
    response = client.get("/api/procedures/no-such-code", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response["Content-Language"] == "en"
    page = client.get(CATALOGUE, HTTP_ACCEPT_LANGUAGE="vi")
    assert html_lang(page) == "ja"
    # …but the page offers the browser's language in one line, in that language.
    suggestion = re.search(r'<p class="lang-suggest" id="language-suggestion" lang="vi">', page.content.decode())
    assert suggestion is not None
    chosen = client.get(CATALOGUE, {"lang": "ja"}, HTTP_ACCEPT_LANGUAGE="vi")
    assert 'id="language-suggestion"' not in chosen.content.decode()  # a choice was made


def test_staff_pages_speak_japanese_or_english(client, city):
    client.get(CATALOGUE, {"lang": "vi"})
    response = client.get(reverse("casework:login"))
    assert html_lang(response) == "en"
    offered = set(re.findall(r'data-lang="([^"]+)"', response.content.decode()))
    assert offered <= set(i18n.staff_codes())


def test_the_threads_language_is_put_back_after_a_request(client, city):
    translation.activate("ja")
    client.get(CATALOGUE, {"lang": "vi"})
    assert translation.get_language() == "ja"


def test_links_carry_the_language_except_japanese():
    assert i18n.with_language("https://x.example/queue/t/abc/?a=1", "vi") == "https://x.example/queue/t/abc/?a=1&lang=vi"
    assert i18n.with_language("https://x.example/mypage/?lang=en", "ko") == "https://x.example/mypage/?lang=ko"
    assert i18n.with_language("https://x.example/mypage/", "ja") == "https://x.example/mypage/"
    assert i18n.with_language("https://x.example/mypage/", "xx") == "https://x.example/mypage/"


def test_a_department_is_shown_in_the_page_language_or_marked_japanese(client, city):
    from django.core.checks import run_checks

    from madoguchi.core.models import Department

    url = reverse("applications:procedure", args=["child-allowance-claim"])
    kodomo = Department.objects.get(municipality=city, code="kodomo")
    english = client.get(url, {"lang": "en"}).content.decode()
    assert kodomo.translations["en"]["name"] in english
    kodomo.translations = {}
    kodomo.save()
    english = client.get(url, {"lang": "en"}).content.decode()
    assert f'<span lang="ja">{kodomo.name}</span>' in english
    listed = [m for m in run_checks(databases=["default"]) if m.id == "madoguchi.I002"]
    assert {m.msg.split(" in ")[-1].split(" ")[0] for m in listed} == set(i18n.codes()) - {"ja"}
    assert all("demo/kodomo" in m.hint for m in listed)
