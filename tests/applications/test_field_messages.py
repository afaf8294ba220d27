"""Every refusal names its field, and the pages and the API give the same words.

The error summary lists messages away from their fields and the API returns them on their own,
so 「7文字以上で入力してください」 alone does not say which blank is wrong.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from madoguchi.applications import engine
from madoguchi.applications.fieldvalues import FieldError, clean_scalar, named
from madoguchi.applications.models import Draft
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.schema import FieldType, FormField, Option
from madoguchi.identity.emailcode import issue_api_token

from support import api_answers

CODE = "dog-registration-change"
TOMORROW = (timezone.localdate() + timedelta(days=1)).isoformat()
CHOICES = [Option(value="a", label="あ")]

# (field definition, a value the field refuses)
REFUSALS = [
    (dict(type=FieldType.TEXT, label="口座番号", min_length=7, max_length=7), "12345"),
    (dict(type=FieldType.TEXT, label="口座番号", min_length=7, max_length=7), "123456789"),
    (dict(type=FieldType.TEXT, label="口座番号", min_length=7, max_length=7, digits=True), "12345a7"),
    (dict(type=FieldType.TEXT, label="備考", min_length=3), "あ"),
    (dict(type=FieldType.TEXT, label="備考", max_length=3), "あいうえ"),
    (dict(type=FieldType.NUMBER, label="世帯の人数"), "三人"),
    (dict(type=FieldType.NUMBER, label="世帯の人数", min_value=1), "0"),
    (dict(type=FieldType.YEN, label="所得の額", max_value=100), "101"),
    (dict(type=FieldType.DATE, label="出生の日"), "あした"),
    (dict(type=FieldType.DATE, label="出生の日", date_min="past"), TOMORROW),
    (dict(type=FieldType.DATE, label="予約の日", date_min="future"), "2001-01-01"),
    (dict(type=FieldType.KANA, label="口座名義（カナ）"), "Takahashi"),
    (dict(type=FieldType.NAME, label="届出人の氏名"), "\u0000"),
    (dict(type=FieldType.PHONE, label="日中の連絡先"), "12"),
    (dict(type=FieldType.POSTAL_CODE, label="転入前の郵便番号"), "12"),
    (dict(type=FieldType.EMAIL, label="連絡先メールアドレス"), "taro@"),
    (dict(type=FieldType.MY_NUMBER, label="お子さんの個人番号"), "1234"),
    (dict(type=FieldType.SELECT, label="続柄", options=CHOICES), "b"),
]


@pytest.mark.parametrize(("definition", "value"), REFUSALS,
                         ids=[f"{d['type'].value}-{v}" for d, v in REFUSALS])
def test_every_refusal_starts_with_the_fields_label(definition, value):
    field = FormField(id="x", **definition)
    with pytest.raises(FieldError) as refused:
        clean_scalar(field, value)
    assert str(refused.value).startswith(field.label), str(refused.value)


def test_a_fixed_length_says_the_length_and_how_many_were_typed():
    field = FormField(id="account_number", type=FieldType.TEXT, label="口座番号",
                      min_length=7, max_length=7)
    with pytest.raises(FieldError) as refused:
        clean_scalar(field, "12345")
    message = str(refused.value)
    assert message.startswith("口座番号は7文字") and "5文字" in message
    assert "以上" not in message


def test_a_digits_field_says_digits_and_takes_full_width_ones():
    field = FormField(id="account_number", type=FieldType.TEXT, label="口座番号",
                      min_length=7, max_length=7, digits=True)
    with pytest.raises(FieldError) as short:
        clean_scalar(field, "12345")
    assert str(short.value).startswith("口座番号は7桁の数字で") and "5桁" in str(short.value)
    with pytest.raises(FieldError) as letters:
        clean_scalar(field, "12E4567")
    assert str(letters.value).startswith("口座番号は数字だけで")
    with pytest.raises(FieldError):
        clean_scalar(field, "１２３４５６")  # six full-width digits: still one short
    assert clean_scalar(field, "０１２３４５６") == "0123456"  # leading zero kept


def test_every_shipped_account_number_is_digits_only():
    found = [f for procedure in catalog().values() if procedure.forms
             for form in [procedure.current_form]
             for step in form.steps for field in step.fields
             for f in [field, *field.fields] if f.id == "account_number"]
    assert found and all(f.digits for f in found)


def test_digits_belongs_to_a_text_field():
    with pytest.raises(ValueError, match="digits"):
        FormField(id="x", type=FieldType.NUMBER, label="人数", digits=True)


def test_the_shared_cleaners_generic_noun_becomes_the_label():
    field = FormField(id="x", type=FieldType.KANA, label="口座名義（カナ）")
    assert named(field, "フリガナはカタカナで入力してください") == "口座名義（カナ）はカタカナで入力してください"
    assert named(field, "口座名義（カナ）を入力してください") == "口座名義（カナ）を入力してください"
    assert named(field, "存在しない日付です").startswith("口座名義（カナ）")


def test_a_value_kept_as_typed_is_named_when_the_step_is_checked():
    step = catalog()[CODE].current_form.steps[1]
    errors = engine.required_errors(step, {engine.RAW: {"change_date": "あした"}})
    assert errors["change_date"].startswith("変更があった日")


@pytest.mark.django_db
def test_the_page_and_the_api_give_the_same_message(resident_client, resident, city):
    """One builder: the step page's message next to the field is the API's error detail."""
    resident_client.post(reverse("applications:start", args=[CODE]))
    draft = Draft.objects.latest("id")
    form = catalog()[CODE].current_form
    index = next(i for i, s in enumerate(form.steps) if s.id == "dog")
    page = resident_client.post(reverse("applications:step", args=[draft.public_id, index]),
                                {"_action": "next", "dog_name": "ポチ", "change_kind": "died",
                                 "change_date": TOMORROW})
    assert page.status_code == 400
    shown = page.context["errors"]
    on_page = next(e["message"] for e in shown if e["name"] == "change_date")
    assert on_page.startswith("変更があった日")

    answers = api_answers(form) | {"change_date": TOMORROW}
    token = issue_api_token(city, account=resident)
    response = resident_client.post("/api/submissions", {"procedure": CODE, "answers": answers},
                                    content_type="application/json",
                                    headers={"Authorization": f"Bearer {token}",
                                             "Idempotency-Key": "field-messages-1"})
    assert response.status_code == 422
    assert response.json()["detail"]["errors"]["change_date"] == on_page


@pytest.mark.django_db
def test_the_logout_note_gives_minutes(resident_client, settings):
    settings.SESSION_COOKIE_AGE = 1800
    resident_client.post(reverse("applications:start", args=[CODE]))
    draft = Draft.objects.latest("id")
    page = resident_client.get(reverse("applications:step", args=[draft.public_id, 0])).content.decode()
    assert "30分間" in page and "1800秒" not in page
