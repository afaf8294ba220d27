"""A resident finds a procedure, logs in by e-mail code, fills every step, confirms, submits."""

import re
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from madoguchi.applications.models import Draft, Status, Submission
from madoguchi.applications.receipts import normalize_receipt_number
from madoguchi.applications.services import answers_of
from madoguchi.casework import services as casework
from madoguchi.catalog.fees import quote
from madoguchi.catalog.loader import catalog, catalog_for
from madoguchi.core.actors import Actor
from madoguchi.core.models import AuditEvent
from madoguchi.notify.services import deliver_pending

from conftest import login_resident
from support import card_client_answer, fill_form, submit_via_web

pytestmark = pytest.mark.django_db


def _start(client, code):
    response = client.post(reverse("applications:start", args=[code]))
    assert response.status_code == 302
    return Draft.objects.latest("id")


def test_login_by_email_code_then_mypage(client, city):
    response = client.post(reverse("identity:login"), {"email": "taro@example.jp"})
    assert response.status_code == 302
    deliver_pending()
    assert "taro" not in response["Location"]  # nothing personal in URLs
    code = re.search(r"確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    wrong = client.post(reverse("identity:login_code"), {"code": "000000" if code != "000000" else "111111"})
    assert "確認コードが違います" in wrong.content.decode()
    response = client.post(reverse("identity:login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("applications:mypage")).status_code == 200


def test_code_cannot_be_reused_or_guessed_forever(client, city):
    client.post(reverse("identity:login"), {"email": "taro@example.jp"})
    for _ in range(5):
        client.post(reverse("identity:login_code"), {"code": "abcdef"})
    deliver_pending()
    code = re.search(r"確認コード: (\d{6})", mail.outbox[-1].body).group(1)
    response = client.post(reverse("identity:login_code"), {"code": code})
    assert "使えなくなりました" in response.content.decode()


def test_starting_needs_login(client, city):
    response = client.post(reverse("applications:start", args=["dog-registration-change"]))
    assert response.status_code == 302 and reverse("identity:login") in response["Location"]


ONLINE = sorted(code for code, p in catalog_for("demo").items() if p.online)


def test_procedures_done_elsewhere_cannot_be_started_here(resident_client):
    offline = [p for p in catalog_for("demo").values() if not p.online]
    assert offline, "the catalogue has counter, マイナポータル and other-office procedures"
    for procedure in offline:
        response = resident_client.post(reverse("applications:start", args=[procedure.code]))
        assert response.status_code == 404, procedure.code
    assert not Draft.objects.exists()


@pytest.mark.parametrize("code", ONLINE)
def test_every_online_procedure_can_be_filled_and_submitted(resident_client, card, code):
    procedure = catalog_for("demo")[code]
    draft = _start(resident_client, code)
    fill_form(resident_client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              procedure.current_form)
    confirm = resident_client.get(reverse("applications:confirm", args=[draft.public_id]))
    assert confirm.status_code == 200
    assert 'id="confirm-title"' in confirm.content.decode()
    response = resident_client.post(reverse("applications:confirm", args=[draft.public_id]))
    assert response.status_code == 302
    if procedure.card_required:  # sign with the card, then submit
        draft.refresh_from_db()
        card_client_answer(draft.signing_challenge.public_id, card.signing_cert, card.sign)
        response = resident_client.post(reverse("applications:sign", args=[draft.public_id]))
    submission = Submission.objects.get(draft=draft)
    assert submission.form_version == procedure.current_form.version
    assert normalize_receipt_number(submission.receipt_number) == submission.receipt_number
    done = resident_client.get(response["Location"])
    if submission.status == Status.AWAITING_PAYMENT:  # a fee due now: on to the payment page
        assert done["Location"] == reverse("payments:pay", args=[submission.public_id])
        assert quote(procedure, answers_of(submission.current_version)).total_yen == submission.fee_yen > 0
    else:
        assert submission.receipt_number in done.content.decode()


def test_double_submit_returns_the_same_receipt(resident_client):
    procedure = catalog()["dog-registration-change"]
    draft = _start(resident_client, procedure.code)
    fill_form(resident_client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              procedure.current_form)
    url = reverse("applications:confirm", args=[draft.public_id])
    first = resident_client.post(url)
    second = resident_client.post(url)
    assert first["Location"] == second["Location"]
    assert Submission.objects.filter(draft=draft).count() == 1


def test_confirm_refuses_an_incomplete_draft(resident_client):
    draft = _start(resident_client, "dog-registration-change")
    response = resident_client.post(reverse("applications:confirm", args=[draft.public_id]))
    assert response.status_code == 302
    assert response["Location"].endswith("/steps/0/")
    assert not Submission.objects.exists()


def test_errors_are_shown_at_the_field_in_japanese(resident_client):
    draft = _start(resident_client, "dog-registration-change")
    url = reverse("applications:step", args=[draft.public_id, 0])
    response = resident_client.post(url, {"_action": "next", "owner_name": "髙橋 花子",
                                          "owner_kana": "Takahashi", "owner_postal_code": "12",
                                          "owner_phone": "12345"})
    assert response.status_code == 400
    page = response.content.decode()
    for field in ("owner_kana", "owner_postal_code", "owner_address"):
        assert f'<p class="error" id="{field}-error">' in page
        assert f'<li><a href="#{field}">' in page  # and in the summary at the top
    assert 'aria-invalid="true"' in page
    assert 'value="Takahashi"' in page  # what was typed stays in the field


def test_draft_survives_logout_and_keeps_what_was_typed(client, resident):
    login_resident(client, resident)
    draft = _start(client, "dog-registration-change")
    url = reverse("applications:step", args=[draft.public_id, 0])
    client.post(url, {"_action": "save", "owner_name": "髙橋 花子", "owner_kana": "abc"})
    client.post(reverse("identity:logout"))
    assert client.get(url).status_code == 302  # asked to log in again
    login_resident(client, resident)
    response = client.get(url)
    assert response.status_code == 200, response.get("Location")
    page = response.content.decode()
    assert "髙橋\u3000花子" in page  # variant kanji kept; the space becomes full width
    assert 'value="abc"' in page


def test_conditional_field_is_required_only_when_shown(resident_client):
    procedure = catalog()["dog-registration-change"]
    draft = _start(resident_client, procedure.code)
    fill_form(resident_client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              procedure.current_form.model_copy(update={"steps": procedure.current_form.steps[:1]}))
    url = reverse("applications:step", args=[draft.public_id, 1])
    base = {"_action": "next", "registration_number": "R5-123", "dog_name": "ポチ",
            "change_date": "R5.4.1"}
    missing = resident_client.post(url, {**base, "change_kind": "new_owner"})
    assert '<p class="error" id="new_owner_name-error">' in missing.content.decode()
    ok = resident_client.post(url, {**base, "change_kind": "died", "new_owner_name": "ignored"})
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert "new_owner_name" not in answers_of(draft)  # a hidden field keeps no value


def test_postal_code_lookup_without_javascript(resident_client):
    draft = _start(resident_client, "dog-registration-change")
    url = reverse("applications:step", args=[draft.public_id, 0])
    resident_client.post(url, {"_action": "lookup:owner_postal_code", "owner_postal_code": "892-0816"})
    page = resident_client.get(url).content.decode()
    assert "鹿児島県鹿児島市山下町" in page


def test_prefilled_value_records_its_source_through_to_the_case(resident_client, resident):
    procedure = catalog()["dog-registration-change"]
    draft = _start(resident_client, procedure.code)
    assert answers_of(draft)["owner_email"] == resident.email
    assert draft.sources == {"owner_email": "account"}
    fill_form(resident_client, lambda i: reverse("applications:step", args=[draft.public_id, i]),
              procedure.current_form)
    draft.refresh_from_db()
    assert draft.sources["owner_email"] == "account"  # typed fields do not overwrite the origin
    assert draft.sources["owner_name"] == "resident"
    resident_client.post(reverse("applications:confirm", args=[draft.public_id]))
    version = Submission.objects.get(draft=draft).current_version
    assert version.sources["owner_email"] == "account"
    assert version.actor_ref == resident.ref


def test_changing_a_prefilled_value_makes_it_the_residents(resident_client):
    draft = _start(resident_client, "dog-registration-change")
    url = reverse("applications:step", args=[draft.public_id, 0])
    resident_client.post(url, {"_action": "save", "owner_email": "other@example.jp"})
    draft.refresh_from_db()
    assert answers_of(draft)["owner_email"] == "other@example.jp"
    assert draft.sources["owner_email"] == "resident"


def test_an_expired_session_on_a_post_returns_to_my_page_after_login(client, city):
    response = client.post(reverse("applications:correct", args=[uuid.uuid4()]))
    assert response.status_code == 302
    assert response["Location"].endswith("?next=" + reverse("applications:mypage"))


def test_my_page_shows_what_was_submitted_and_logs_the_view(resident_client, resident):
    submission = submit_via_web(resident_client, "dog-registration-change")
    page = resident_client.get(reverse("applications:submission", args=[submission.public_id]))
    text = page.content.decode()
    assert 'id="answers"' in text and "髙橋\u3000﨑子" in text
    assert AuditEvent.objects.filter(action="view", actor_ref=resident.ref,
                                     target_id=str(submission.public_id)).exists()


def test_resident_withdraws_until_a_decision_is_proposed(resident_client, staff):
    first = submit_via_web(resident_client, "dog-registration-change")
    resident_client.post(reverse("applications:withdraw", args=[first.public_id]))
    first.refresh_from_db()
    assert first.status == Status.WITHDRAWN

    second = submit_via_web(resident_client, "dog-registration-change")
    clerk = staff["kankyo-tanto"]
    casework.accept(second, clerk, Actor.staff(clerk))
    casework.propose_decision(second, clerk, Actor.staff(clerk), "approve", "")
    response = resident_client.post(reverse("applications:withdraw", args=[second.public_id]),
                                    follow=True)
    assert "取り下げできません" in response.content.decode()
    second.refresh_from_db()
    assert second.status == Status.PENDING_APPROVAL
