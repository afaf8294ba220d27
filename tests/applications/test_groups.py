"""Repeating groups (each child) work by plain POST: add, remove, conditions per item."""

import pytest
from django.urls import reverse

from madoguchi.applications.models import Draft
from madoguchi.applications.services import answers_of
from madoguchi.catalog.loader import catalog

pytestmark = pytest.mark.django_db

CHILD = {"name": "髙橋 一郎", "kana": "タカハシ イチロウ", "birth_date": "R2.5.1",
         "relationship": "child", "living": "together"}


def _children_step(client):
    client.post(reverse("applications:start", args=["child-allowance-claim"]))
    draft = Draft.objects.latest("id")
    form = catalog()["child-allowance-claim"].current_form
    index = next(i for i, s in enumerate(form.steps) if s.id == "children")
    return draft, reverse("applications:step", args=[draft.public_id, index])


def _item(n, **values):
    return {f"children-{n}-{k}": v for k, v in {**CHILD, **values}.items()}


def test_add_a_second_child_keeps_the_first(resident_client):
    draft, url = _children_step(resident_client)
    response = resident_client.post(url, {"children-count": "1", "_action": "add:children", **_item(0)})
    assert response.status_code == 302
    draft.refresh_from_db()
    children = answers_of(draft)["children"]
    assert len(children) == 2 and children[0]["name"] == "髙橋\u3000一郎" and children[1] == {}
    page = resident_client.get(url).content.decode()
    assert "お子さん 2" in page and 'name="children-1-name"' in page


def test_remove_a_child(resident_client):
    draft, url = _children_step(resident_client)
    data = {"children-count": "2", **_item(0), **_item(1, name="髙橋 二郎")}
    resident_client.post(url, {**data, "_action": "remove:children:0"})
    draft.refresh_from_db()
    children = answers_of(draft)["children"]
    assert [c["name"] for c in children] == ["髙橋\u3000二郎"]


def test_item_condition_applies_per_child(resident_client):
    draft, url = _children_step(resident_client)
    data = {"children-count": "2", "_action": "next", **_item(0),
            **_item(1, name="髙橋 二郎", living="separate")}
    response = resident_client.post(url, data)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="children-1-separate_address-error"' in page  # the second child lives apart
    assert 'id="children-0-separate_address-error"' not in page


def test_at_least_one_child_is_required(resident_client):
    draft, url = _children_step(resident_client)
    response = resident_client.post(url, {"children-count": "0", "_action": "next"})
    assert response.status_code == 400
    assert '<p class="error" id="children">' in response.content.decode()


def test_the_number_of_children_is_capped(resident_client):
    draft, url = _children_step(resident_client)
    data = {"children-count": "10", "_action": "add:children"}
    for n in range(10):
        data.update(_item(n))
    resident_client.post(url, data)
    draft.refresh_from_db()
    assert len(answers_of(draft)["children"]) == 10


def test_an_upload_for_a_hidden_field_is_not_stored(resident_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from madoguchi.applications.models import Attachment

    from support import png_bytes

    draft, url = _children_step(resident_client)
    upload = SimpleUploadedFile("proof.png", png_bytes(), content_type="image/png")
    data = {"children-count": "1", "_action": "next", **_item(0),
            "children-0-separate_declaration": upload, "older_children": "no"}
    assert resident_client.post(url, data).status_code == 302
    assert not Attachment.objects.exists()  # the child lives with the claimant: nothing to keep


def test_size_refusal_names_a_readable_limit(settings):
    from madoguchi.applications.attachments import AttachmentRejected, check

    from support import png_bytes

    settings.MADOGUCHI_ATTACHMENT_MAX_BYTES = 40
    with pytest.raises(AttachmentRejected, match="上限 1KB"):
        check(png_bytes() * 2, ["png"])


def test_zero_yen_is_an_answer_not_a_blank():
    from madoguchi.applications.engine import required_errors
    from madoguchi.catalog.schema import Step

    step = Step.model_validate({"id": "s", "title": "S", "fields": [
        {"id": "savings", "type": "yen", "label": "預貯金", "required": True, "min_value": 0}]})
    assert required_errors(step, {"savings": 0}) == {}
    assert required_errors(step, {}) == {"savings": "預貯金を入力してください"}


@pytest.mark.parametrize("stored", ["x", ["x", None, 3], {"name": "x"}])
def test_a_group_answer_of_another_shape_reads_as_no_items(stored):
    """Answers kept from an older version (or written by a loader) may hold a group as text or a
    list of non-items: the summary and the file list read them as no items instead of failing,
    so the case page that shows every version never becomes an error page."""
    from madoguchi.applications import engine

    form = catalog()["child-allowance-claim"].current_form
    answers = {"children": stored}
    assert engine.summary(form, answers) == engine.summary(form, {"children": []})
    assert engine.attachment_ids(form, answers) == []
    assert engine.my_numbers(form, answers) == []
