"""The online application pages in another language: `?lang=` on any page sets the page's
language, the switch marks it, content the catalogue has not translated says it is Japanese,
what the resident typed is left alone by translators, and the 決定通知書 (a Japanese official
document) is explained beside its link."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from madoguchi.applications import fieldvalues
from madoguchi.applications.deadlines import Due
from madoguchi.applications.models import Draft, IssuedDocument, Status, Submission
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import FieldType

from support import submit_via_web

pytestmark = pytest.mark.django_db

CODE = "dog-registration-change"


def _lang_of(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def _current_in_switch(html: str) -> list[str]:
    switch = re.search(r'<details class="lang-switch" id="language-switch">(.*?)</details>', html, re.S).group(1)
    return re.findall(r'data-lang="([^"]+)" aria-current="true"', switch)


@pytest.mark.parametrize("name, args", [("applications:catalogue", []),
                                        ("applications:procedure", [CODE])])
def test_a_public_page_with_lang_en_is_in_english(client, city, name, args):
    html = client.get(reverse(name, args=args), {"lang": "en"}).content.decode()
    assert _lang_of(html) == "en"
    assert _current_in_switch(html) == ["en"]


def test_the_language_stays_for_the_next_page(client, city):
    client.get(reverse("applications:catalogue"), {"lang": "en"})
    html = client.get(reverse("applications:procedure", args=[CODE])).content.decode()
    assert _lang_of(html) == "en" and _current_in_switch(html) == ["en"]


def test_easy_japanese_is_japanese_to_the_browser(client, city):
    html = client.get(reverse("applications:procedure", args=[CODE]), {"lang": "ja-easy"}).content.decode()
    assert _lang_of(html) == "ja" and _current_in_switch(html) == ["ja-easy"]
    assert "<h1 lang=" not in html and "<p lang=" not in html  # Japanese there is no fallback


def test_japanese_is_the_default(client, city):
    html = client.get(reverse("applications:catalogue")).content.decode()
    assert _lang_of(html) == "ja" and _current_in_switch(html) == ["ja"]


def test_an_untranslated_legal_basis_is_marked_japanese_on_an_english_page(client, city, monkeypatch):
    from madoguchi.catalog import loader
    from madoguchi.core.i18n import content

    basis = catalog()[CODE].legal_basis
    real = content.read

    def without_basis(path):  # as if the English overlay had no translation of it
        return {k: v for k, v in real(path).items() if k != basis}

    monkeypatch.setattr(content, "read", without_basis)
    loader.reload()
    try:
        html = client.get(reverse("applications:procedure", args=[CODE]), {"lang": "en"}).content.decode()
    finally:
        monkeypatch.undo()
        loader.reload()
    assert f'<dd id="legal-basis" lang="ja">{basis}</dd>' in html
    translated = client.get(reverse("applications:procedure", args=[CODE]), {"lang": "en"}).content.decode()
    assert '<dd id="legal-basis">' in translated and basis not in translated


def test_a_step_with_errors_in_english_lists_each_field(resident_client):
    resident_client.get(reverse("applications:catalogue"), {"lang": "en"})
    resident_client.post(reverse("applications:start", args=[CODE]))
    step = catalog()[CODE].current_form.steps[0]
    draft = Draft.objects.latest("id")
    url = reverse("applications:step", args=[draft.public_id, 0])
    response = resident_client.post(url, {"_action": "next"})
    html = response.content.decode()
    assert response.status_code == 400
    assert _lang_of(html) == "en"
    required = [f for f in step.fields if f.required and f.type != FieldType.GROUP]
    count = int(re.search(r'data-error-count="(\d+)"', html).group(1))
    assert count >= len(required) > 0
    for field in required:
        assert f'href="#{field.id}"' in html


def test_my_page_and_the_case_page_in_english(resident_client):
    submission = submit_via_web(resident_client, CODE)
    html = resident_client.get(reverse("applications:mypage"), {"lang": "en"}).content.decode()
    assert _lang_of(html) == "en"
    row = re.search(rf'<tr data-status="{submission.status}"[^>]*>(.*?)</tr>', html, re.S).group(1)
    assert 'class="nowrap" data-receipt-number translate="no"' in row
    assert "年" not in re.search(r'<td class="nowrap"[^>]*>([^<]*)</td>', row).group(1)
    page = resident_client.get(reverse("applications:submission", args=[submission.public_id])).content.decode()
    assert _lang_of(page) == "en"
    answers = re.search(r'<section class="summary" id="answers".*?</section>', page, re.S).group(0)
    assert answers.count('<dd translate="no">') > 0
    assert answers.count("<dd>") == 0


def test_the_decision_notice_is_explained_on_a_non_japanese_page(resident_client):
    submission = submit_via_web(resident_client, CODE)
    Submission.objects.filter(pk=submission.pk).update(status=Status.APPROVED)
    IssuedDocument.objects.create(submission=submission, kind=IssuedDocument.Kind.NOTICE,
                                  title="決定通知書", data=b"", sha256="0" * 64)  # ja-only: its title
    url = reverse("applications:submission", args=[submission.public_id])
    english = resident_client.get(url, {"lang": "en"}).content.decode()
    notice = re.search(r'<li data-document-kind="notice">(.*?)</li>', english, re.S).group(1)
    assert '<span lang="ja">' in notice
    assert re.search(r'id="notice-explained-1" data-status="approved"', notice)
    japanese = resident_client.get(url, {"lang": "ja"}).content.decode()
    assert "notice-explained" not in japanese


def test_dates_are_wareki_in_japanese_only():
    field = next(f for s in catalog()[CODE].current_form.steps for f in s.fields if f.type == FieldType.DATE)
    with translation.override("ja"):
        assert "令和" in fieldvalues.display(field, "2024-04-01")  # ja-only: the era name
    with translation.override("en"):
        shown = fieldvalues.display(field, "2024-04-01")
        assert "令和" not in shown and "2024" in shown  # ja-only: the era name
    due = Due("x", "x", date(2026, 12, 7), date(2026, 12, 1))
    with translation.override("ja"):
        assert "令和" in due.due_text  # ja-only: the era name
    with translation.override("en"):
        assert "令和" not in due.due_text and "2026" in due.due_text  # ja-only: the era name


def test_a_group_items_field_reads_as_one_message_and_keeps_its_fallback():
    from types import SimpleNamespace

    from madoguchi.applications.engine import item_field_label
    from madoguchi.core.i18n.content import Fallback

    group = SimpleNamespace(item_label="お子さん", label="児童")
    name = SimpleNamespace(label="氏名")
    assert item_field_label(group, 1, name) == "お子さん1 氏名"  # Japanese as before
    with translation.override("en"):
        shown = item_field_label(SimpleNamespace(item_label="Child", label="Children"), 2,
                                 SimpleNamespace(label="Name"))
        assert shown == "Child 2: Name" and not isinstance(shown, Fallback)
        marked = item_field_label(SimpleNamespace(item_label="Child", label="Children"), 1,
                                  SimpleNamespace(label=Fallback("続柄")))
        assert isinstance(marked, Fallback)
