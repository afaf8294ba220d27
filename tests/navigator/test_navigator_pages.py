"""The 手続ナビ pages through Django's client, as a browser without JavaScript uses them:
plain forms, POST-redirect-GET, from the event list to a started application."""

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import escape
from pypdf import PdfReader

from madoguchi.applications.models import Draft
from madoguchi.core.japanese.calendar import next_open_day
from madoguchi.navigator import services
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.navigator.selectors import plan_by_token
from madoguchi.navigator.texts import TEXTS

QUESTION = re.compile(r'name="question" value="([a-z0-9_]+)"')
OTHER_HOST = {"HTTP_HOST": "other.example.jp"}
WEEKDAYS = "月火水木金土日"


def start(client, event: str, **extra) -> str:
    """Press the event's button; return the plan's question URL."""
    response = client.post(reverse("navigator:start", args=[event]), **extra)
    assert response.status_code == 302, response
    return response["Location"]


def answer_all(client, plan_url: str, answers: dict, **extra):
    """Answer each question the pages ask (from `answers`, or keep the proposed date) until the
    result; return the result page's response and the question ids in the order asked."""
    asked = []
    response = client.get(plan_url, **extra)
    while response.status_code == 200:
        html = response.content.decode()
        question = QUESTION.search(html).group(1)
        asked.append(question)
        if question in answers:
            value = answers[question]
        else:
            value = re.search(r'type="date" id="answer" name="answer" class="short" value="([^"]+)"',
                              html).group(1)
        values = value if isinstance(value, list) else [value]
        posted = client.post(plan_url, {"question": question, "answer": values}, **extra)
        assert posted.status_code == 302, posted.content.decode()[:2000]
        response = client.get(posted["Location"], **extra)
        assert len(asked) < 30, "the questions never end"
    assert response.status_code == 302 and response["Location"].endswith("/result/"), response
    return client.get(response["Location"], **extra), asked


def ja_day(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日（{WEEKDAYS[d.weekday()]}）"


def plan_of(url: str) -> NavigatorPlan:
    return NavigatorPlan.objects.get(token=url.rstrip("/").split("/p/")[1].split("/")[0])


BIRTH = {"insurance": "nhi", "allowance": "first", "single_parent": "no", "daycare": "no"}


def test_event_list_offers_every_life_event_as_a_button(client, city):
    response = client.get(reverse("navigator:events"))
    html = response.content.decode()
    assert response.status_code == 200
    for title in ["引越し", "出生", "結婚", "離婚", "死亡・おくやみ", "就職・退職", "介護が必要になった",
                  "子育て"]:
        assert f'<span class="navi-event-title">{title}</span>' in html
    for event in ["moving", "birth", "marriage", "divorce", "death", "job", "care", "childcare"]:
        assert f'action="{reverse("navigator:start", args=[event])}"' in html
    assert '<html lang="ja">' in html


def test_without_javascript_a_resident_goes_from_the_event_list_to_a_started_draft(
        resident_client, city):
    url = start(resident_client, "birth")
    result, asked = answer_all(resident_client, url, BIRTH)
    html = result.content.decode()
    assert asked == ["day", "insurance", "allowance", "single_parent", "daycare"]
    assert result.status_code == 200
    assert 'id="group-online"' in html and 'id="group-counter"' in html
    start_url = reverse("applications:start", args=["child-allowance-claim"])
    assert f'<form method="post" action="{start_url}">' in html

    response = resident_client.post(start_url)
    draft = Draft.objects.get()
    assert draft.procedure_code == "child-allowance-claim"
    assert response["Location"] == reverse("applications:step", args=[draft.public_id, 0])


def test_answers_hold_only_option_values_and_the_day(client, city):
    url = start(client, "birth")
    answer_all(client, url, BIRTH)
    plan = plan_of(url)
    assert plan.answers == {"day": timezone.localdate().isoformat(), **BIRTH}
    assert len(plan.token) >= 24


def test_the_result_groups_places_and_sorts_by_deadline(client, city):
    url = start(client, "birth")
    day = timezone.localdate() - timedelta(days=2)
    result, _ = answer_all(client, url, {**BIRTH, "day": day.isoformat()})
    html = result.content.decode()
    online, counter = html.index('id="group-online"'), html.index('id="group-counter"')
    # 出生届 at 市民課 (戸籍法: the day of birth is day 1), 国保 at 国保年金課.
    assert "市民課（本庁舎1階 1番窓口）" in html[counter:]
    birth = html.index('data-code="birth-registration"')
    nhi = html.index('data-code="nhi-enrollment"')
    assert counter < birth < nhi  # 14 days counting the birthday come before 14 days after it
    assert f"{ja_day(next_open_day(day + timedelta(days=13)))}まで" in html[birth:nhi]
    assert f"{ja_day(next_open_day(day + timedelta(days=14)))}まで" in html[nhi:]
    allowance = html.index('data-code="child-allowance-claim"')
    assert online < allowance < counter
    assert f"{ja_day(next_open_day(day + timedelta(days=15)))}まで" in html[allowance:counter]
    assert "令和" in html[allowance:counter]
    assert "生まれた日の翌日から15日以内に請求してください" in html  # the rule's note
    assert "母子健康手帳" in html  # what to bring, from the catalogue
    assert reverse("applications:procedure", args=["birth-registration"]) in html


def test_procedures_done_elsewhere_name_their_office(client, city):
    url = start(client, "job")
    result, _ = answer_all(client, url, {"kind": "leave", "after": "continuation",
                                         "under60": "no", "spouse": "no", "seeking": "yes",
                                         "civil_servant": "no"})
    html = result.content.decode()
    elsewhere = html.index('id="group-elsewhere"')
    assert html.index('data-code="unemployment-benefit"') > elsewhere
    assert "ハローワーク" in html[elsewhere:]
    assert "健康保険の保険者" in html[elsewhere:]


def test_a_mynaportal_procedure_links_out_and_at_counter_rules_send_it_to_the_window(client, city):
    url = start(client, "moving")
    result, _ = answer_all(client, url, {"kind": "to_other_city", "household": "alone",
                                         "card": "yes", "insurance": "employee", "oldest": "under65",
                                         "care_cert": "no", "disability": "no", "moped": "no"})
    html = result.content.decode()
    assert re.search(r'<a class="button primary" href="https://[^"]+" rel="external noopener" data-action="mynaportal">', html)

    url = start(client, "moving")
    result, asked = answer_all(client, url, {
        "kind": "to_abroad", "household": "alone", "card": "no", "foreign": "no", "insurance": "employee",
        "oldest": "under65", "pension": "second", "care_cert": "no", "disability": "no", "moped": "no",
        "tax_ties": "no"})
    html = result.content.decode()
    assert asked == ["kind", "day", "household", "card", "foreign", "insurance", "oldest", "pension", "care_cert",
                     "disability", "moped", "tax_ties"]
    assert 'data-action="mynaportal"' not in html
    counter = html.index('id="group-counter"')
    assert html.index('data-code="moving-out"') > counter
    assert "出国の前に市民課の窓口で届け出てください" in html


def test_the_back_link_and_change_links_let_a_resident_change_an_answer(client, city):
    url = start(client, "birth")
    client.post(url, {"question": "day", "answer": timezone.localdate().isoformat()})
    page = client.get(url).content.decode()
    assert 'class="navi-progress" data-question="2" data-left="3"' in page
    assert f'id="navi-back" href="{reverse("navigator:change", args=[plan_of(url).token, "day"])}"' in page

    result, _ = answer_all(client, url, BIRTH)
    token = plan_of(url).token
    change = reverse("navigator:change", args=[token, "insurance"])
    assert f'href="{change}" data-change="insurance"' in result.content.decode()
    assert 'value="nhi" checked' in client.get(change).content.decode()
    response = client.post(change, {"question": "insurance", "answer": "employee"})
    assert response["Location"] == reverse("navigator:plan", args=[token])
    html = client.get(reverse("navigator:result", args=[token])).content.decode()
    assert 'data-code="employer-health-insurance"' in html
    assert 'data-code="nhi-enrollment"' not in html


def test_a_new_answer_that_needs_more_questions_asks_them_before_the_result(client, city):
    url = start(client, "job")
    answer_all(client, url, {"kind": "leave", "after": "new_job", "civil_servant": "no"})
    token = plan_of(url).token
    client.post(reverse("navigator:change", args=[token, "after"]),
                {"question": "after", "answer": "nhi"})
    page = client.get(url)
    assert page.status_code == 200
    assert QUESTION.search(page.content.decode()).group(1) == "under60"
    assert client.get(reverse("navigator:result", args=[token]))["Location"] == url


@pytest.mark.parametrize(("question", "answer", "message"), [
    ("insurance", [], "err_choose"),
    ("insurance", ["private"], "err_choose"),
    ("day", ["あした"], "err_date"),
    ("day", [(timezone.localdate() + timedelta(days=3)).isoformat()], "err_future"),
    ("day", ["2019-01-01"], "err_too_old"),
])
def test_a_wrong_answer_is_refused_with_the_reason(client, city, question, answer, message):
    message = escape(str(TEXTS[message]))  # the navigator's message for that reason
    url = start(client, "birth")
    if question != "day":
        client.post(url, {"question": "day", "answer": timezone.localdate().isoformat()})
    response = client.post(url, {"question": question, "answer": answer})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and 'role="alert"' in html
    assert question not in plan_of(url).answers


def test_a_date_may_be_written_in_wareki_and_a_move_may_lie_ahead(client, city):
    url = start(client, "death")
    client.post(url, {"question": "day", "answer": "令和8年11月1日"})
    assert plan_of(url).answers["day"] == "2026-11-01"
    url = start(client, "moving")
    client.post(url, {"question": "kind", "answer": "to_other_city"})
    ahead = (timezone.localdate() + timedelta(days=20)).isoformat()
    assert client.post(url, {"question": "day", "answer": ahead}).status_code == 302
    assert plan_of(url).answers["day"] == ahead


def test_multi_questions_refuse_none_together_with_an_age(client, city):
    url = start(client, "moving")
    for question, value in [("kind", "within"), ("day", timezone.localdate().isoformat()),
                            ("household", "family")]:
        client.post(url, {"question": question, "answer": value})
    response = client.post(url, {"question": "children", "answer": ["age_0_2", "none"]})
    assert response.status_code == 400
    none = services.event_of(plan_of(url)).question("children")
    label = next(o.label.ja for o in none.options if o.value == "none")
    assert escape(TEXTS["err_exclusive"] % {"label": label}) in response.content.decode()
    assert 'id="answer-error"' in response.content.decode()


def test_a_question_that_does_not_apply_cannot_be_answered(client, city):
    url = start(client, "moving")
    client.post(url, {"question": "kind", "answer": "within"})
    client.post(url, {"question": "household", "answer": "alone"})
    response = client.post(url, {"question": "children", "answer": "age_0_2"})
    assert response.status_code == 302
    assert "children" not in plan_of(url).answers


@pytest.fixture
def two_hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example.jp"]


def test_a_plan_is_found_only_through_its_own_city(client, city, other_city, two_hosts):
    url = start(client, "birth")
    answer_all(client, url, BIRTH)
    plan = plan_of(url)
    assert plan_by_token(city, plan.token) == plan
    assert plan_by_token(other_city, plan.token) is None
    for name, args in [("plan", [plan.token]), ("result", [plan.token]),
                       ("checklist", [plan.token]), ("change", [plan.token, "insurance"])]:
        assert client.get(reverse(f"navigator:{name}", args=args), **OTHER_HOST).status_code == 404
    assert client.get(reverse("navigator:result", args=["x" * 24])).status_code == 404


def test_a_procedure_the_city_does_not_offer_is_named_with_a_note_to_ask(client, other_city,
                                                                        two_hosts):
    url = start(client, "birth", **OTHER_HOST)
    result, _ = answer_all(client, url, BIRTH, **OTHER_HOST)
    html = result.content.decode()
    elsewhere = html.index('id="group-elsewhere"')
    assert html.index('data-code="birth-registration"') > elsewhere  # サンプル町 has no 市民課
    assert escape(TEXTS["not_offered"] % {"city": other_city.name}) in html
    assert 'data-code="child-allowance-claim"' in html[:elsewhere]  # its 福祉課 (kodomo) has it


def test_unknown_events_and_get_requests_to_start_are_refused(client, city):
    assert client.post(reverse("navigator:start", args=["lottery"])).status_code == 404
    assert client.get(reverse("navigator:start", args=["birth"])).status_code == 405


def test_the_result_shows_the_counter_qr_code(client, city, settings):
    url = start(client, "birth")
    result, _ = answer_all(client, url, BIRTH)
    html = result.content.decode()
    plan = plan_of(url)
    assert services.counter_url(plan, result.wsgi_request) == f"http://testserver/navi/p/{plan.token}/"
    # a city on its own host name gets QR codes that open there
    from django.test import RequestFactory

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "navi.city.example.jp"]
    own_host = RequestFactory().get("/", HTTP_HOST="navi.city.example.jp", secure=True)
    assert services.counter_url(plan, own_host) == f"https://navi.city.example.jp/navi/p/{plan.token}/"
    assert re.search(r'<div class="qr" role="img" aria-label="[^"]+"><svg', html)
    assert 'aria-labelledby="qr-heading"' in html


# --- languages ----------------------------------------------------------------------------------


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def test_the_navigator_speaks_the_sites_language_and_its_plan_follows_it(client, city):
    """No switch of its own: ?lang= on any page (base.html's switch) is the session's language."""
    html = client.get(reverse("navigator:events") + "?lang=en").content.decode()
    assert html_lang(html) == "en"
    assert "A baby is born" in html  # the event's title from events/i18n/en/birth.po
    assert 'class="navi-lang"' not in html  # the navigator's own switch is gone
    url = start(client, "birth")
    assert plan_of(url).lang == "en"
    page = client.get(url).content.decode()
    assert html_lang(page) == "en" and "When was the baby born?" in page
    result, _ = answer_all(client, url, BIRTH)
    html = result.content.decode()
    day = next_open_day(timezone.localdate() + timedelta(days=15))  # a closed last day moves on
    with translation.override("en"):
        assert formats.date_format(day, "DATE_FORMAT") in html
    assert "令和" not in html
    assert re.search(r'<section class="navi-group navi-group-online"', html)
    assert re.search(r'<section class="navi-group navi-group-counter"', html)


def test_easy_japanese_is_the_sites_ja_easy_under_html_lang_ja(client, city):
    url = start(client, "death")
    client.get(url + "?lang=ja-easy")
    assert plan_of(url).lang == "ja-easy"
    result, _ = answer_all(client, url, {
        "age": "over75", "medical_costs": "no", "disability": ["none"], "pension": "no", "survivors": "no",
        "householder": "no", "income": "no", "real_estate": "no", "large_estate": "no", "licence": "no",
        "car": "none", "moped": "none", "seal": "no", "card": "no", "dog": "no"})
    html = result.content.decode()
    assert html_lang(html) == "ja"
    easy_title = services.event_of(plan_of(url)).title.get("ja-easy")
    assert easy_title != services.event_of(plan_of(url)).title.ja and easy_title in html
    assert ' lang="ja"' not in html.split("<main", 1)[1]  # Japanese is no fallback in やさしい日本語


def test_a_plan_opened_on_another_device_shows_in_the_language_of_its_link(client, city, monkeypatch):
    from madoguchi.core.i18n import content

    real = content.translate

    def without_vietnamese(directory, name, text, language):  # as if vi had no overlay yet
        return content.Fallback(text) if language == "vi" else real(directory, name, text, language)

    monkeypatch.setattr(content, "translate", without_vietnamese)
    url = start(client, "birth")
    answer_all(client, url, BIRTH)
    from django.test import Client

    other = Client()
    result = other.get(url.rstrip("/") + "/result/?lang=vi")
    html = result.content.decode()
    assert result.status_code == 200 and html_lang(html) == "vi"
    assert plan_of(url).lang == "vi"
    # no Vietnamese overlay: the event's title is shown in Japanese, marked as such
    title = services.event_of(plan_of(url)).title.ja
    assert re.search(rf'<span class="sub" lang="ja">{title}</span>', html)


def test_the_language_chosen_in_the_navigator_is_kept_on_the_next_pages(client, city):
    url = start(client, "birth")
    client.get(url + "?lang=vi")
    result, _ = answer_all(client, url, BIRTH)
    assert html_lang(result.content.decode()) == "vi"
    page = client.get(reverse("applications:procedure", args=["birth-registration"]))
    assert page.status_code == 200 and html_lang(page.content.decode()) == "vi"


def test_an_unknown_language_leaves_the_plan_in_its_language(client, city):
    url = start(client, "birth")
    client.get(url + "?lang=fr")
    assert plan_of(url).lang == "ja"
    assert html_lang(client.get(url).content.decode()) == "ja"


# --- the checklist ------------------------------------------------------------------------------


def test_the_checklist_pdf_lists_titles_deadlines_and_a_qr_code(client, city):
    url = start(client, "death")
    day = timezone.localdate() - timedelta(days=1)
    answer_all(client, url, {
        "day": day.isoformat(), "age": "from65to74", "insurance": "nhi", "disability": ["none"], "pension": "yes",
        "survivors": "no", "householder": "no", "income": "no", "real_estate": "yes",
        "large_estate": "no", "licence": "no", "car": "none", "moped": "none", "seal": "no", "card": "no",
        "dog": "no"})
    response = client.get(reverse("navigator:checklist", args=[plan_of(url).token]))
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    for title in ["死亡届", "火葬許可申請", "葬祭費の支給申請（国民健康保険）", "年金受給権者死亡届"]:
        assert title in text, title
    assert f"{ja_day(next_open_day(day + timedelta(days=6)))}まで" in text  # 死亡届: 7 days counting the day
    assert f"{ja_day(next_open_day(day + timedelta(days=14)))}まで" in text  # 介護保険の資格喪失届
    assert "法務局" in text and "□" in text
    images = [name for page in reader.pages for name in page.images]
    assert images, "the QR code is missing"


def test_the_checklist_waits_for_the_last_answer(client, city):
    url = start(client, "birth")
    response = client.get(reverse("navigator:checklist", args=[plan_of(url).token]))
    assert response.status_code == 302 and response["Location"] == url
