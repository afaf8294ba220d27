"""The counter pages: who may open them, and one visit walked through by POSTs alone."""

import base64
import io
import uuid
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from madoguchi.core.actors import Actor
from madoguchi.core.crypto import decrypt_bytes, encrypt_bytes
from madoguchi.core.models import AuditEvent, Department, Role, StaffMembership
from madoguchi.counter import bundle, services
from madoguchi.counter.models import CounterVisit, Identified, VisitStatus
from madoguchi.identity.card.mynumber import generate as new_my_number
from madoguchi.navigator import services as navigator
from madoguchi.register.keys import kana_keys, my_number_hash
from madoguchi.register.models import Household, Resident

from conftest import login_resident

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
ADDRESS = "デモ市中央町3番4号"
OTHER_HOST = "other.example.jp"


@pytest.fixture
def head(city):
    household = Household.objects.create(municipality=city, number="800001")
    whole, surname, given = kana_keys("サトウ　ミキ")
    number = new_my_number()
    resident = Resident.objects.create(
        municipality=city, code="80000000001", household=household, relationship="世帯主",
        name="佐藤\u3000美紀", kana="サトウ　ミキ", birth_date="1985-04-02", gender="2", address=ADDRESS,
        postal_code="8920816", settled_on=timezone.localdate(), became_resident_on=timezone.localdate(),
        latest_reason="転入", previous_address="福岡県福岡市中央区天神1丁目1番1号",
        my_number=encrypt_bytes(number.encode(), city), my_number_hash=my_number_hash(number),
        kana_key=whole, surname_key=surname, given_key=given)
    household.head = resident
    household.save()
    return resident


@pytest.fixture
def clerk_client(client, staff):
    client.force_login(staff["shimin-tanto"])
    return client


def _urls(visit_id, tablet_id=1):
    """Every counter route: (url name, method, url)."""
    return [
        ("start", "get", reverse("counter:start")),
        ("start", "post", reverse("counter:start")),
        ("tablet_code", "post", reverse("counter:tablet_code")),
        ("tablet_unpair", "post", reverse("counter:tablet_unpair", args=[tablet_id])),
        ("visit", "get", reverse("counter:visit", args=[visit_id])),
        ("search", "post", reverse("counter:search", args=[visit_id])),
        ("visit_state", "get", reverse("counter:visit_state", args=[visit_id])),
        ("visit_language", "post", reverse("counter:visit_language", args=[visit_id])),
        ("tablet", "get", reverse("counter:tablet", args=[visit_id])),
        ("sign", "post", reverse("counter:sign", args=[visit_id])),
        ("action", "post", reverse("counter:action", args=[visit_id, "build"])),
        ("summary_pdf", "get", reverse("counter:summary_pdf", args=[visit_id])),
        ("takeaway_pdf", "get", reverse("counter:takeaway_pdf", args=[visit_id])),
        ("form_pdf", "get", reverse("counter:form_pdf", args=[visit_id, 1])),
        ("fee_receipt", "get", reverse("counter:fee_receipt", args=[visit_id, uuid.uuid4()])),
    ]


def test_every_counter_route_is_walked():
    from madoguchi.counter import urls

    assert {p.name for p in urls.urlpatterns} == {name for name, _, _ in _urls(uuid.uuid4())}


@pytest.fixture
def visit(city, staff):
    return services.start_visit(city, staff["shimin-tanto"], Actor.staff(staff["shimin-tanto"]))


def test_the_visit_state_is_the_status_alone_for_its_own_clerk(clerk_client, visit, staff, client):
    answer = clerk_client.get(reverse("counter:visit_state", args=[visit.public_id]))
    assert answer.status_code == 200 and answer.json() == {"status": visit.status}
    assert "no-cache" in answer["Cache-Control"] or "max-age=0" in answer["Cache-Control"]


def test_anonymous_and_residents_are_sent_to_the_staff_login(client, visit, resident):
    for who in ("anonymous", "resident"):
        if who == "resident":
            login_resident(client, resident)
        for name, method, url in _urls(visit.public_id):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (who, name)
            assert response["Location"].startswith(reverse("casework:login")), (who, name)
    assert CounterVisit.objects.count() == 1


def test_approvers_without_a_clerk_role_and_other_cities_staff_are_refused(
        client, visit, staff, other_city, settings, django_user_model):
    settings.ALLOWED_HOSTS = ["testserver", OTHER_HOST]
    client.force_login(staff["kankyo-kacho"])
    for name, method, url in _urls(visit.public_id):
        assert getattr(client, method)(url).status_code == 403, name
    town_clerk = django_user_model.objects.create_user("town-clerk")
    StaffMembership.objects.create(user=town_clerk, role=Role.CLERK,
                                   department=Department.objects.get(municipality=other_city, code="kankyo"))
    client.force_login(town_clerk)
    for name, method, url in _urls(visit.public_id):
        assert getattr(client, method)(url).status_code == 403, name
        response = getattr(client, method)(url, HTTP_HOST=OTHER_HOST)
        assert response.status_code in ({200, 302} if name in ("start", "tablet_code") else {404}), name
    assert CounterVisit.objects.filter(municipality=visit.municipality).count() == 1


def test_another_clerks_visit_is_not_found(client, visit, staff):
    client.force_login(staff["kodomo-tanto"])
    for name, method, url in _urls(visit.public_id):
        response = getattr(client, method)(url)
        own = {"start": 200 if method == "get" else 302, "tablet_code": 200}  # their own start page, code
        assert response.status_code == own.get(name, 404), name
    page = client.get(reverse("counter:start")).content.decode()
    assert str(visit.public_id) not in page


def test_the_search_is_posted_never_put_in_the_url(clerk_client, visit, head):
    url = reverse("counter:search", args=[visit.public_id])
    assert clerk_client.get(url, {"kana": "サトウ"}).status_code == 405
    page = clerk_client.post(url, {"kana": "さとう みき", "birth_date": "1985-04-02"}).content.decode()
    assert "佐藤\u3000美紀" in page and 'id="search-results" data-count="1"' in page
    page = clerk_client.post(url, {"kana": "", "birth_date": ""}).content.decode()
    assert 'class="msg msg-error"' in page and 'id="search-results"' not in page
    lookup = AuditEvent.objects.filter(action="register_lookup").get()
    assert lookup.detail["reason"] == visit.ref


def _post(client, visit, name, data=None):
    return client.post(reverse("counter:action", args=[visit.public_id, name]), data or {})


class _Page(HTMLParser):
    """Every element with an id: its attributes, its text, and for a <select> the chosen option."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.by_id, self.links, self.open, self.select = {}, [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        if tag == "select":
            self.select = attrs.get("id")
        if tag == "option" and "selected" in attrs and self.select:
            self.by_id[self.select]["value"] = attrs.get("value", "")
        if "id" in attrs:
            self.by_id[attrs["id"]] = {**attrs, "tag": tag, "text": ""}
            if tag not in ("input", "option"):
                self.open.append(attrs["id"])

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        if self.open and self.by_id[self.open[-1]]["tag"] == tag:
            self.open.pop()

    def handle_data(self, data):
        for element_id in self.open:
            self.by_id[element_id]["text"] += data


def _parsed(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def _elements(response) -> dict:
    return _parsed(response).by_id


def test_a_visit_from_card_to_signature_through_the_pages(clerk_client, visit, head):
    assert clerk_client.post(reverse("counter:start")).status_code == 302
    face = {"name": "佐藤 美紀", "address": ADDRESS, "birth_date": "1985-04-02", "gender": "2",
            "my_number": decrypt_bytes(head.my_number).decode()}
    assert _post(clerk_client, visit, "card", face).status_code == 302
    visit.refresh_from_db()
    assert visit.visitor == head and visit.identified_by == Identified.CARD

    _post(clerk_client, visit, "event", {"event": "moving"})
    visit.refresh_from_db()
    answers = {"kind": ["from_other_city"], "household": ["alone"], "insurance": ["nhi"],
               "children": ["none"], "pension": ["none"], "car": ["none"], "oldest": ["under65"]}
    for _ in range(20):
        question = navigator.next_question(visit.plan)
        if question is None:
            break
        page = clerk_client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
        assert question.text.ja in page
        values = ([timezone.localdate().isoformat()] if question.type == "date"
                  else answers.get(question.id, ["no"]))
        _post(clerk_client, visit, "answer", {"question": question.id, "value": values})
        visit.plan.refresh_from_db()
    assert navigator.next_question(visit.plan) is None

    _post(clerk_client, visit, "build")
    page = clerk_client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert "国民健康保険" in page and 'id="blank-list-title"' in page
    assert "佐藤\u3000美紀" in page

    entries = bundle.entries(visit)
    nhi = next(e for e in entries if e.procedure.code == "nhi-enrollment")
    response = _post(clerk_client, visit, "fill", {"form": nhi.form.pk, "phone": "not a phone"})
    assert response.status_code == 400
    assert _elements(response)[f"f{nhi.form.pk}-phone"]["aria-invalid"] == "true"

    response = _post(clerk_client, visit, "confirm")
    assert response["Location"] == reverse("counter:visit", args=[visit.public_id])
    for entry in bundle.entries(visit):
        form = entry.procedure.form(entry.form.form_version)
        while entry.blanks:
            data = {"form": entry.form.pk}
            for path in entry.blanks:
                field = bundle.field_at(form, path)
                data[path] = (field.options[0].value if field.options else
                              {"phone": "099-224-1111", "checkbox": "on", "date": "2020-04-01",
                               "name": "佐藤 一", "kana": "サトウ　ハジメ", "my_number": new_my_number()}
                              .get(field.type, "デモ"))
            _post(clerk_client, visit, "fill", data)
            entry = next(e for e in bundle.entries(visit) if e.form.pk == entry.form.pk)
    response = _post(clerk_client, visit, "confirm")
    assert response["Location"] == reverse("counter:tablet", args=[visit.public_id])

    tablet = reverse("counter:tablet", args=[visit.public_id])
    page = clerk_client.get(tablet).content.decode()
    assert "<canvas" in page and "data-paper" in page and 'id="tablet-easy"' in page
    easy = clerk_client.get(tablet, {"lang": "easy"}).content.decode()
    assert 'id="tablet-plain"' in easy and 'data-language="ja-easy"' in easy
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert clerk_client.post(reverse("counter:sign", args=[visit.public_id]),
                             {"signature": data_url}).status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED  # the signature files the cases at once
    assert decrypt_bytes(visit.signature.image) == PNG
    assert visit.fields_written_by_visitor == 0
    assert visit.fields_prefilled > 0 and visit.fields_typed_by_clerk > 0
    assert visit.duration_seconds is not None and visit.finished_at >= visit.called_at
    cases = services.filed_cases(visit)
    assert len(cases) == len(entries) and {c.resident for c in cases} == {head}
    page = clerk_client.get(tablet).content.decode()
    assert '<p role="status"><strong>' in page and "<canvas" not in page
    assert all(c.receipt_number in page for c in cases)
    page = clerk_client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert 'id="filed"' in page and all(c.receipt_number in page for c in cases)


def test_a_signature_that_is_not_a_png_is_refused(clerk_client, visit):
    response = clerk_client.post(reverse("counter:sign", args=[visit.public_id]),
                                 {"signature": "data:image/png;base64,not-base64!"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.OPEN and not hasattr(visit, "signature")


def _bundled(visit, head):
    actor = Actor.staff(visit.clerk)
    services.choose(visit, actor, head.pk)
    plan = services.start_event(visit, "moving")
    answers = {"kind": ["from_other_city"], "household": ["alone"], "insurance": ["nhi"],
               "children": ["none"], "pension": ["none"], "car": ["none"], "oldest": ["under65"]}
    while (question := navigator.next_question(plan)) is not None:
        values = [timezone.localdate().isoformat()] if question.type == "date" else answers.get(question.id, ["no"])
        assert navigator.answer(plan, question.id, values) == []
    visit.refresh_from_db()
    return bundle.build(visit, actor)


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def test_the_summary_and_the_standard_forms_print_the_data(clerk_client, visit, head):
    assert clerk_client.get(reverse("counter:summary_pdf", args=[visit.public_id])).status_code == 404
    entries = _bundled(visit, head)
    response = clerk_client.get(reverse("counter:summary_pdf", args=[visit.public_id]))
    assert response["Content-Type"] == "application/pdf" and response["Cache-Control"] == "no-store"
    text = _pdf_text(response.content)
    assert "申請内容の確認票" in text and "署名" in text
    assert all(e.procedure.title.replace(" ", "") in text for e in entries)
    assert "佐藤美紀" in text
    assert decrypt_bytes(head.my_number).decode() not in text  # masked, as on every screen

    nhi = next(e for e in entries if e.procedure.code == "nhi-enrollment")
    response = clerk_client.get(reverse("counter:form_pdf", args=[visit.public_id, nhi.form.pk]))
    text = _pdf_text(response.content)
    assert nhi.procedure.title.replace(" ", "") in text and "佐藤美紀" in text
    assert "デモ市長" in text
    other = CounterVisit.objects.create(municipality=visit.municipality, clerk=visit.clerk)
    assert clerk_client.get(reverse("counter:form_pdf", args=[other.public_id, nhi.form.pk])).status_code == 404


def test_without_a_tablet_the_printed_summary_is_signed(clerk_client, visit, head):
    _bundled(visit, head)
    assert _post(clerk_client, visit, "paper").status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.OPEN  # not yet checked: refused
    visit.status = VisitStatus.CHECKED
    visit.save()
    _post(clerk_client, visit, "paper")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.FILED and visit.signed_at is not None
    assert not hasattr(visit, "signature")
    assert len(services.filed_cases(visit)) == visit.forms.count()
    assert AuditEvent.objects.filter(action="counter_sign", detail__on="paper").count() == 1


def test_the_clerk_corrects_a_filled_value_at_the_visitors_word(clerk_client, visit, head):
    entries = _bundled(visit, head)
    nhi = next(e for e in entries if e.procedure.code == "nhi-enrollment")
    form = nhi.procedure.form(nhi.form.form_version)
    shown = dict((path, value) for path, _, value in bundle.correctable(form, nhi.answers))
    assert shown["head_kana"] == "サトウ　ミキ" and not any(p.endswith("my_number") for p in shown)
    page = clerk_client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert 'class="corrections"' in page

    data = {"form": nhi.form.pk, **{path: str(value) for path, value in shown.items()}}
    response = _post(clerk_client, visit, "correct", {**data, "head_kana": "サトウ　ミノリ"})
    assert [str(m) for m in response.wsgi_request._messages] == ["1項目を直しました。"]
    corrected = next(e for e in bundle.entries(visit) if e.form.pk == nhi.form.pk)
    assert corrected.answers["head_kana"] == "サトウ　ミノリ"
    assert corrected.form.sources["head_kana"] == "clerk"
    assert corrected.answers["head_name"] == nhi.answers["head_name"]  # untouched values stay
    assert corrected.form.sources["head_name"] == "register"
    visit.refresh_from_db()
    assert visit.fields_typed_by_clerk == 1

    response = _post(clerk_client, visit, "correct", {**data, "head_kana": "佐藤", "head_name": "佐藤 実"})
    assert response.status_code == 400
    still = next(e for e in bundle.entries(visit) if e.form.pk == nhi.form.pk)
    assert still.answers["head_name"] == "佐藤　実"  # the right change is stored
    assert still.raw == {"head_kana": "佐藤"} and "head_kana" in still.blanks  # the wrong one kept as typed
    shown = _elements(response)[f"f{nhi.form.pk}-head_kana"]
    assert shown["value"] == "佐藤" and shown["aria-invalid"] == "true" and "autofocus" in shown


def test_one_wrong_blank_keeps_every_value_typed_and_is_shown_at_its_field(clerk_client, visit, head):
    entries = _bundled(visit, head)
    nhi = next(e for e in entries if e.procedure.code == "nhi-enrollment")
    form = nhi.procedure.form(nhi.form.form_version)
    assert {"phone", "mynumber_insurance", "delivery"} <= set(nhi.blanks)
    choices = {p: bundle.field_at(form, p).options[-1].value for p in ("mynumber_insurance", "delivery")}
    response = _post(clerk_client, visit, "fill", {"form": nhi.form.pk, "phone": "160時間", **choices})
    assert response.status_code == 400
    page = _parsed(response)
    field = f"f{nhi.form.pk}-phone"
    phone = page.by_id[field]
    assert phone["value"] == "160時間"  # shown back as typed
    assert phone["aria-invalid"] == "true" and "autofocus" in phone
    message = page.by_id[phone["aria-describedby"].split()[0]]
    assert message["text"].strip()
    assert field in page.links  # the error summary links to the field
    for path, value in choices.items():  # the other values are still in their inputs
        assert page.by_id[f"f{nhi.form.pk}-{path}"]["value"] == value
        assert page.by_id[f"f{nhi.form.pk}-{path}"].get("aria-invalid") is None
    assert sum("autofocus" in attrs for attrs in page.by_id.values()) == 1

    stored = next(e for e in bundle.entries(visit) if e.form.pk == nhi.form.pk)
    assert {p: stored.answers[p] for p in choices} == choices
    assert stored.raw == {"phone": "160時間"}
    # Coming back to the page later: the wrong value is still there to fix, with its message.
    later = _parsed(clerk_client.get(reverse("counter:visit", args=[visit.public_id])))
    assert later.by_id[field]["value"] == "160時間" and later.by_id[field]["aria-invalid"] == "true"
    assert field in later.links and not any("autofocus" in attrs for attrs in later.by_id.values())
    # Fixed: the blank is gone; what was typed before counts once.
    response = _post(clerk_client, visit, "fill", {"form": nhi.form.pk, "phone": "099-224-1111", **choices})
    assert response.status_code == 302
    fixed = next(e for e in bundle.entries(visit) if e.form.pk == nhi.form.pk)
    assert fixed.answers["phone"] == "0992241111" and not fixed.raw and not fixed.blanks
    visit.refresh_from_db()
    assert visit.fields_typed_by_clerk == 3


def test_a_stored_my_number_is_not_shown_again_beside_a_wrong_value(clerk_client, visit, head, monkeypatch):
    import test_counter_services as shared

    monkeypatch.setitem(shared.MOVING_IN, "daycare", ["yes"])
    family = {"head": head}
    actor = Actor.staff(visit.clerk)
    entries = shared._moving_in_visit(visit, actor, family, timezone.localdate())
    care = next(e for e in entries if e.procedure.code == "childcare-eligibility")
    assert {"applicant_my_number", "applicant_phone"} <= set(care.blanks)
    number = new_my_number()
    response = _post(clerk_client, visit, "fill", {"form": care.form.pk, "applicant_my_number": number,
                                                   "applicant_phone": "160時間"})
    assert response.status_code == 400
    assert number not in response.content.decode()
    stored = next(e for e in bundle.entries(visit) if e.form.pk == care.form.pk)
    assert stored.answers["applicant_my_number"] == number and stored.raw == {"applicant_phone": "160時間"}


def test_a_wrong_path_in_the_post_stores_nothing_odd(clerk_client, visit, head):
    entries = _bundled(visit, head)
    nhi = next(e for e in entries if e.procedure.code == "nhi-enrollment")
    before = bundle.answers_of(nhi.form)
    response = _post(clerk_client, visit, "fill", {"form": nhi.form.pk, "members-999-name": "x",
                                                   "nonexistent": "y"})
    assert response.status_code == 302
    nhi.form.refresh_from_db()
    assert bundle.answers_of(nhi.form) == before


def test_the_start_page_has_a_plain_title_and_one_tablet_section(clerk_client):
    page = clerk_client.get(reverse("counter:start")).content.decode()
    title = page[page.index("<title>"):page.index("</title>")]
    assert "窓口受付（書かない窓口）" in title and "<" not in title[len("<title>"):]
    assert page.count('id="tablet"') == 1


def test_the_clerk_takes_out_a_member_the_register_put_in(clerk_client, visit, head):
    from madoguchi.counter.models import Source

    wife = Resident.objects.create(
        municipality=head.municipality, code="80000000002", household=head.household, relationship="妻",
        name="佐藤\u3000花", kana="サトウ　ハナ", birth_date="1986-05-05", gender="2", address=ADDRESS,
        postal_code="8920816", settled_on=timezone.localdate(), became_resident_on=timezone.localdate(),
        latest_reason="転入", kana_key="サトウハナ", surname_key="サトウ", given_key="ハナ")
    entries = _bundled(visit, head)
    nhi = next(e for e in entries if e.procedure.code == "nhi-enrollment")
    assert [m["name"] for m in nhi.answers["members"]] == [head.name, wife.name]
    page = clerk_client.get(reverse("counter:visit", args=[visit.public_id])).content.decode()
    assert f"1 {head.name} を除く" in page and f"2 {wife.name} を除く" in page

    # The wife keeps her employer's insurance: she does not join; the clerk takes her out.
    _post(clerk_client, visit, "drop", {"form": nhi.form.pk, "group": "members", "index": 1})
    after = next(e for e in bundle.entries(visit) if e.form.pk == nhi.form.pk)
    assert [m["name"] for m in after.answers["members"]] == [head.name]
    assert not any(path.startswith("members-1-") for path in after.form.sources)
    assert after.form.sources["members-0-name"] == Source.REGISTER
    visit.refresh_from_db()
    assert visit.fields_typed_by_clerk == 1
    assert AuditEvent.objects.filter(action="counter_drop_item").count() == 1

    _post(clerk_client, visit, "drop", {"form": nhi.form.pk, "group": "members", "index": 0})
    emptied = next(e for e in bundle.entries(visit) if e.form.pk == nhi.form.pk)
    assert any(path.startswith("members-0-") for path in emptied.blanks)  # the group needs someone
    response = _post(clerk_client, visit, "drop", {"form": nhi.form.pk, "group": "members", "index": 5})
    assert "その項目は見つかりません。" in [str(m) for m in response.wsgi_request._messages]
