"""Helpers for walking forms in tests: a valid value for every field type, PNG/PDF bytes."""

import base64
import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from madoguchi.catalog.schema import FieldType


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A real one-page PDF (uploads are parsed: a PDF without pages is refused)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def valid_value(field):
    t = field.type
    if t == FieldType.FILE:
        return SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")
    if t in {FieldType.SELECT, FieldType.RADIO}:
        return field.options[0].value
    if t == FieldType.CHECKBOX:
        return [field.options[0].value] if field.options else "on"
    if t in {FieldType.NUMBER, FieldType.YEN}:
        return str(field.min_value if field.min_value is not None else 1)
    if t == FieldType.DATE:
        if field.date_min == "future":
            return (timezone.localdate() + timedelta(days=100)).isoformat()
        return "令和5年4月1日"
    values = {
        FieldType.NAME: "髙橋 﨑子",
        FieldType.KANA: "たかはし さきこ",
        FieldType.POSTAL_CODE: "892-0816",
        FieldType.ADDRESS: "鹿児島県鹿児島市山下町11番1号",
        FieldType.PHONE: "099-224-1111",
        FieldType.EMAIL: "hanako@example.jp",
        FieldType.TEXTAREA: "特になし",
        FieldType.MY_NUMBER: "1234 5678 9018",
    }
    text = values.get(t, "テスト")
    if field.max_length and len(text) > field.max_length:
        text = "1" * field.max_length
    if field.min_length and len(text) < field.min_length:
        text = "1" * field.min_length
    return text


def step_data(step) -> dict:
    data = {"_action": "next"}
    for field in step.fields:
        if field.type == FieldType.GROUP:
            count = max(field.min_items, 1)
            data[f"{field.id}-count"] = str(count)
            for index in range(count):
                for sub in field.fields:
                    data[f"{field.id}-{index}-{sub.id}"] = valid_value(sub)
            continue
        data[field.id] = valid_value(field)
    return data


def fill_form(client, draft_url_for_step, form) -> None:
    """POST valid data through every step; fail with the page's errors if a step refuses."""
    for index, step in enumerate(form.steps):
        response = client.post(draft_url_for_step(index), step_data(step))
        assert response.status_code == 302, (
            f"step {step.id} refused: {response.content.decode()[:3000]}"
        )


def submit_via_web(client, code: str, changes: dict | None = None):
    """Start a draft, fill every step with valid values (`changes`: input name → value to post
    instead, e.g. `children-0-living`), confirm, and return the Submission."""
    from django.urls import reverse

    from madoguchi.applications.models import Draft, Submission
    from madoguchi.catalog.loader import catalog

    procedure = catalog()[code]
    response = client.post(reverse("applications:start", args=[code]))
    assert response.status_code == 302, response
    draft = Draft.objects.latest("id")
    for index, step in enumerate(procedure.current_form.steps):
        data = {**step_data(step), **{k: v for k, v in (changes or {}).items()
                                      if any(k == f.id or k.startswith(f"{f.id}-")
                                             for f in step.fields)}}
        url = reverse("applications:step", args=[draft.public_id, index])
        response = client.post(url, data)
        assert response.status_code == 302, f"step {step.id} refused: {response.content.decode()[:3000]}"
    response = client.post(reverse("applications:confirm", args=[draft.public_id]))
    assert response.status_code == 302
    return Submission.objects.get(draft=draft)


def api_answers(form) -> dict:
    """Complete, valid answers for a file-free form, as an API client would send them."""
    from madoguchi.applications import engine

    answers: dict = {}
    for step in form.steps:
        for field in step.fields:
            if field.type in {FieldType.FILE, FieldType.GROUP}:
                raise ValueError(f"{field.id}: api_answers handles file-free, group-free forms only")
            if engine.visible(field, answers):
                answers[field.id] = valid_value(field)
    return answers


# --- the card client's encodings ------------------------------------------------------------


def pem(cert) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.PEM).decode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def card_client_answer(challenge_public_id, cert, sign) -> dict:
    """What `madoguchi-card` does: read the challenge, sign what it names, post the answer."""
    from django.test import Client

    from madoguchi.identity.cardauth import read_key

    reader = Client()
    described = reader.get(f"/api/identity/challenges/{challenge_public_id}"
                           f"/key/{read_key(challenge_public_id)}").json()
    data = (b64url_decode(described["challenge"]) if "challenge" in described
            else base64.b64decode(described["payload"]))
    response = reader.post(described["response_url"].removeprefix("http://testserver"),
                           {"certificate": pem(cert), "signature": b64(sign(data))},
                           content_type="application/json")
    return response.json()


def require_softhsm() -> None:
    """Fail, never skip: the card tests are part of `make test`, which installs SoftHSM2."""
    import pytest

    from madoguchi.identity.card.softcard import SoftHSMMissing, require_softhsm2

    message = None
    try:
        require_softhsm2()
    except SoftHSMMissing as exc:
        message = str(exc)
    if message:  # outside the except: no chained traceback
        pytest.fail(message, pytrace=False)


def at_once(*calls) -> list:
    """Run each call in its own thread (and so its own database connection), all released
    together by a barrier, for the row-lock races: the results and the exceptions raised."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait(timeout=10)
            outcomes.append(call())
        except Exception as exc:  # noqa: BLE001 - returned to the caller, who judges it
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes
