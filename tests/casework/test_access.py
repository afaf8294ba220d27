"""Least privilege, walked systematically: every staff URL and staff API endpoint, called by
every kind of caller, for cases in two departments and in another city.

The tables below must name every route: adding a URL to casework/urls.py, an action to the
case view, or a staff endpoint to the API without adding it here fails
test_every_staff_route_is_in_the_walk.
"""

from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from madoguchi.applications import engine
from madoguchi.applications import services as applications
from madoguchi.applications.models import Attachment, Draft, IssuedDocument, Status, Submission
from madoguchi.casework import services as casework_services
from madoguchi.casework import urls as casework_urls
from madoguchi.casework.models import ChecklistTick
from madoguchi.catalog.loader import catalog
from madoguchi.catalog.selectors import get_procedure
from madoguchi.core.actors import Actor
from madoguchi.core.models import Department, Role, StaffMembership
from madoguchi.identity.emailcode import issue_api_token
from madoguchi.identity.models import ResidentAccount

from conftest import login_resident
from support import api_answers, pdf_bytes, submit_via_web

pytestmark = pytest.mark.django_db

HOSTS = {"demo": "testserver", "other": "other.example.jp"}

# What each staff action is posted with: enough for it to succeed when the state allows.
ACTIONS = {
    "accept": {},
    "return": {"message": "添付書類が読めません。撮り直して再提出してください。", "return_reason": "attachment"},
    "propose": {"outcome": "approve", "reason": ""},
    "approve": {"comment": ""},
    "send-back": {"comment": "理由を補ってください"},
    "message": {"body": "確認のため連絡しました。"},
    "take": {},
    "assign": {"assignee": "1"},
    "unassign": {},
    "tick": {"item": "documents"},
    "untick": {"item": "documents"},
}
API_ACTIONS = {
    "accept": {},
    "return": {"message": "添付書類が読めません。", "return_reason": "attachment"},
    "propose": {"outcome": "approve"},
    "approve": {},
    "send-back": {"comment": "理由を補ってください"},
}


@dataclass
class Case:
    submission: Submission
    city: str  # key of HOSTS
    department: str
    document_id: str = ""

    @property
    def receipt(self) -> str:
        return self.submission.receipt_number

    def snapshot(self):
        s = Submission.objects.get(pk=self.submission.pk)
        return (s.status, s.events.count(), s.messages.count(), s.decisions.count(),
                s.documents.count(), s.versions.count())


@dataclass
class Who:
    user: object = None  # a Django user for staff
    city: str = ""  # the city the staff user works for
    departments: set = field(default_factory=set)  # {(city, department code)}
    resident: object = None
    token: str = ""

    def member_of(self, case: Case) -> bool:
        return (case.city, case.department) in self.departments


@dataclass
class World:
    cases: list
    attachment_id: str  # belongs to the kodomo case only
    attachment_case: Case
    who: dict


# URL name → the requests to make for one case: (method, url, data).
CASE_PAGES = {
    "case": lambda w, c: [("get", reverse("casework:case", args=[c.submission.public_id]), None)],
    "attachment": lambda w, c: [("get", reverse(
        "casework:attachment", args=[c.submission.public_id, w.attachment_id]), None)],
    "document": lambda w, c: [("get", reverse(
        "casework:document", args=[c.submission.public_id, c.document_id]), None)],
    "action": lambda w, c: [("post", reverse("casework:action", args=[c.submission.public_id, a]), d)
                            for a, d in ACTIONS.items()],
    "my_number": lambda w, c: [("post", reverse("casework:my_number", args=[c.submission.public_id]),
                                None)],
    "register_check": lambda w, c: [("post", reverse("casework:register_check",
                                                     args=[c.submission.public_id]), None)],
}
LIST_PAGES = {"queue": lambda: reverse("casework:queue")}
PUBLIC_PAGES = {"login", "logout"}

STAFF_API = {
    "/api/staff/cases": "list",
    "/api/staff/cases/{case_id}/actions/{action}": "action",
}

IDENTITIES = ["anonymous", "resident", "kankyo-tanto", "kankyo-kacho", "kodomo-tanto",
              "kodomo-kacho", "admin", "other-tanto"]


def test_every_staff_route_is_in_the_walk(client, city):
    names = {p.name for p in casework_urls.urlpatterns}
    assert names == set(CASE_PAGES) | set(LIST_PAGES) | PUBLIC_PAGES
    assert casework_services.action_names() | {"message"} == set(ACTIONS)
    assert set(casework_services.ACTIONS) == set(API_ACTIONS)
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {p for p in paths if p.startswith("/api/staff")} == set(STAFF_API)


@pytest.fixture
def world(settings, city, other_city, staff, client, resident, django_user_model) -> World:
    settings.ALLOWED_HOSTS = [*HOSTS.values()]
    login_resident(client, resident)
    kankyo = Case(submit_via_web(client, "dog-registration-change"), "demo", "kankyo")
    kodomo = Case(submit_via_web(client, "child-allowance-claim"), "demo", "kodomo")
    client.logout()
    form = get_procedure(city, "child-allowance-claim").current_form
    attachment_ids = engine.attachment_ids(form, applications.answers_of(
        kodomo.submission.current_version))
    attachment = Attachment.objects.get(public_id=attachment_ids[0])

    account = ResidentAccount.objects.create(municipality=other_city, email="saburo@example.jp")
    procedure = get_procedure(other_city, "dog-registration-change")
    submission, created = applications.submit_answers(
        account, procedure, api_answers(procedure.current_form), Actor.resident(account.pk),
        idempotency_key="walk-other")
    assert created and submission.department.municipality == other_city
    other = Case(submission, "other", "kankyo")

    cases = [kankyo, kodomo, other]
    for case in cases:
        doc = applications.issue_document(case.submission, IssuedDocument.Kind.NOTICE, "決定通知書",
                                          pdf_bytes())
        case.document_id = str(doc.public_id)

    other_clerk = django_user_model.objects.create_user("other-tanto", password="x-pass-2026")
    StaffMembership.objects.create(
        user=other_clerk, role=Role.CLERK,
        department=Department.objects.get(municipality=other_city, code="kankyo"))

    demo_departments = set(Department.objects.filter(municipality=city).values_list("code", flat=True))
    who = {
        "anonymous": Who(),
        "resident": Who(resident=resident, token=issue_api_token(city, account=resident)),
        "admin": Who(staff["admin"], "demo", {("demo", d) for d in demo_departments}),
        "other-tanto": Who(other_clerk, "other", {("other", "kankyo")},
                           token=issue_api_token(other_city, staff_user=other_clerk)),
    }
    for dept in ("kankyo", "kodomo"):
        for suffix in ("tanto", "kacho"):
            who[f"{dept}-{suffix}"] = Who(staff[f"{dept}-{suffix}"], "demo", {("demo", dept)})
    for name in ("admin", "kankyo-tanto", "kankyo-kacho", "kodomo-tanto", "kodomo-kacho"):
        who[name].token = issue_api_token(city, staff_user=who[name].user)
    assert set(who) == set(IDENTITIES)
    return World(cases, str(attachment.public_id), kodomo, who)


def _login(client, who: Who):
    client.logout()
    if who.user is not None:
        client.force_login(who.user)
    elif who.resident is not None:
        login_resident(client, who.resident)


def _assert_denied(response, who: Who, host: str, where: str):
    if who.user is None:  # anonymous, or a resident (not a staff login)
        assert response.status_code == 302, where
        assert response["Location"].startswith(reverse("casework:login")), where
    elif who.city != host:  # staff, but not of the city this host serves
        assert response.status_code == 403, where
    else:  # staff of this city, not of the case's department: as if it did not exist
        assert response.status_code == 404, where


@pytest.mark.parametrize("name", IDENTITIES)
def test_staff_pages_walk(client, world, name):
    who = world.who[name]
    _login(client, who)
    for host, hostname in HOSTS.items():
        queue = client.get(LIST_PAGES["queue"](), HTTP_HOST=hostname)
        if who.user is not None and who.city == host:
            assert queue.status_code == 200
            page = queue.content.decode()
            for case in world.cases:
                visible = case.city == host and who.member_of(case)
                assert (case.receipt in page) == visible, (name, host, case.department)
        else:
            _assert_denied(queue, who, host, f"queue@{host}")
            assert not any(c.receipt in queue.content.decode() for c in world.cases)

        for case in world.cases:
            for page_name, build in CASE_PAGES.items():
                for method, url, data in build(world, case):
                    where = f"{name} {method} {url} @{host} ({case.city}/{case.department})"
                    before = case.snapshot()
                    response = getattr(client, method)(url, data or {}, HTTP_HOST=hostname)
                    allowed = case.city == host and who.member_of(case) and (
                        page_name != "attachment" or case is world.attachment_case)
                    if allowed and page_name in {"my_number", "register_check"} and name == "admin":
                        assert response.status_code == 403, where  # admins do not see it
                        continue
                    if allowed and page_name in {"my_number", "register_check"}:
                        assert response.status_code == 200, where
                        continue
                    if not allowed:
                        _assert_denied(response, who, host, where)
                        assert case.snapshot() == before, where
                        assert case.receipt not in response.content.decode(), where
                    elif method == "get":
                        assert response.status_code == 200, where
                    elif response.status_code == 400:  # a refused proposal or 差戻し, shown at its fields
                        assert url.endswith(("/propose/", "/return/")), where
                    else:
                        assert response.status_code == 302, where
                        assert response["Location"] == reverse(
                            "casework:case", args=[case.submission.public_id]), where


@pytest.mark.parametrize("name", IDENTITIES)
def test_staff_api_walk(client, world, name):
    who = world.who[name]
    client.logout()
    headers = {"Authorization": f"Bearer {who.token}"} if who.token else {}
    for host, hostname in HOSTS.items():
        token_valid = who.user is not None and who.city == host
        listing = client.get("/api/staff/cases", headers=headers, HTTP_HOST=hostname)
        if not token_valid:
            assert listing.status_code == 401, (name, host)
        else:
            assert listing.status_code == 200
            receipts = {row["receipt_number"] for row in listing.json()}
            assert receipts == {c.receipt for c in world.cases
                                if c.city == host and who.member_of(c)}, (name, host)

        bogus = client.post("/api/staff/cases/not-a-uuid/actions/accept", {},
                            content_type="application/json", headers=headers, HTTP_HOST=hostname)
        assert bogus.status_code == (404 if token_valid else 401)

        for case in world.cases:
            for action, body in API_ACTIONS.items():
                where = f"{name} {action} @{host} ({case.city}/{case.department})"
                before = case.snapshot()
                response = client.post(
                    f"/api/staff/cases/{case.submission.public_id}/actions/{action}", body,
                    content_type="application/json", headers=headers, HTTP_HOST=hostname)
                if not token_valid:
                    assert response.status_code == 401, where
                elif case.city == host and who.member_of(case):
                    assert response.status_code in {200, 409}, where  # reached the case
                    continue
                else:
                    assert response.status_code == 404, where
                assert case.snapshot() == before, where
                assert case.receipt not in response.content.decode(), where


def test_members_complete_the_work_in_their_department(client, world):
    kankyo, kodomo, other = world.cases
    # kodomo, through the staff pages
    for user, action in [("kodomo-tanto", "accept"), ("kodomo-tanto", "propose"),
                         ("kodomo-kacho", "approve")]:
        _login(client, world.who[user])
        data = ACTIONS[action]
        if action == "propose":  # 児童手当: the checklist ticked, and what 認定 states
            for item in catalog()["child-allowance-claim"].checklist:
                ChecklistTick.objects.create(submission=kodomo.submission, item=item.id,
                                             ticked_by=world.who[user].user)
            data = {**data, "approve-monthly_amount": "15000", "approve-start_month": "2026-12",
                    "approve-children": "0",
                    "approve-payment_months": ["feb", "apr", "jun", "aug", "oct", "dec"]}
        client.post(reverse("casework:action", args=[kodomo.submission.public_id, action]), data)
    kodomo.submission.refresh_from_db()
    assert kodomo.submission.status == Status.APPROVED
    _login(client, world.who["kodomo-tanto"])
    attachment = client.get(reverse("casework:attachment",
                                    args=[kodomo.submission.public_id, world.attachment_id]))
    assert attachment.status_code == 200 and attachment.content.startswith(b"\x89PNG")

    # kankyo, through the API
    client.logout()
    for user, action in [("kankyo-tanto", "accept"), ("kankyo-tanto", "propose"),
                         ("kankyo-kacho", "approve")]:
        response = client.post(f"/api/staff/cases/{kankyo.submission.public_id}/actions/{action}",
                               API_ACTIONS[action], content_type="application/json",
                               headers={"Authorization": f"Bearer {world.who[user].token}"})
        assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.APPROVED

    # the other city's clerk works in the other city
    response = client.post(f"/api/staff/cases/{other.submission.public_id}/actions/accept", {},
                           content_type="application/json", HTTP_HOST=HOSTS["other"],
                           headers={"Authorization": f"Bearer {world.who['other-tanto'].token}"})
    assert response.status_code == 200 and response.json()["status"] == Status.ACCEPTED


def test_login_page_is_public(client, world):
    assert client.get(reverse("casework:login")).status_code == 200


# --- residents see only their own ----------------------------------------------------------


@pytest.fixture
def two_residents(settings, client, city, other_city, resident):
    settings.ALLOWED_HOSTS = [*HOSTS.values()]
    login_resident(client, resident)
    submission = submit_via_web(client, "dog-registration-change")
    client.post(reverse("applications:start", args=["dog-registration-change"]))
    draft = Draft.objects.filter(account=resident, submitted_at__isnull=True).get()
    document = applications.issue_document(submission, IssuedDocument.Kind.NOTICE, "決定通知書",
                                           pdf_bytes())
    submission.status = Status.RETURNED  # so that a correction could be started
    submission.save(update_fields=["status"])
    client.logout()
    intruder = ResidentAccount.objects.create(municipality=city, email="jiro@example.jp")
    return submission, draft, document, intruder


def _resident_urls(submission, draft, document):
    s, d = submission.public_id, draft.public_id
    return [
        ("get", reverse("applications:submission", args=[s])),
        ("post", reverse("applications:submission", args=[s])),
        ("get", reverse("applications:submitted", args=[s])),
        ("get", reverse("applications:receipt", args=[s])),
        ("post", reverse("applications:correct", args=[s])),
        ("post", reverse("applications:withdraw", args=[s])),
        ("get", reverse("applications:document", args=[document.public_id])),
        ("get", reverse("applications:resume", args=[d])),
        ("get", reverse("applications:step", args=[d, 0])),
        ("post", reverse("applications:step", args=[d, 0])),
        ("get", reverse("applications:confirm", args=[d])),
        ("post", reverse("applications:confirm", args=[d])),
        ("post", reverse("applications:discard", args=[d])),
        ("get", reverse("applications:sign", args=[d])),
        ("post", reverse("applications:sign", args=[d])),
        ("post", reverse("applications:digital_auth_sign", args=[d])),
        ("post", reverse("applications:prefill_start", args=[d])),
        ("get", reverse("applications:prefill", args=[d])),
        ("post", reverse("applications:prefill", args=[d])),
    ]


def test_every_resident_route_with_an_id_is_in_the_walk(two_residents):
    from django.urls import resolve

    from madoguchi.applications import urls as application_urls

    walked = {resolve(url).url_name for _, url in _resident_urls(*two_residents[:3])}
    with_ids = {p.name for p in application_urls.urlpatterns if "uuid:" in str(p.pattern)}
    assert with_ids - {"verify"} == walked  # verify is public by design (no personal data)


def _state(submission, draft):
    return (Submission.objects.get(pk=submission.pk).status, submission.messages.count(),
            Draft.objects.filter(pk=draft.pk).values_list("answers", "step").first(),
            Draft.objects.filter(correcting=submission).count())


def test_a_resident_cannot_reach_another_residents_records(client, two_residents):
    submission, draft, document, intruder = two_residents
    login_resident(client, intruder)
    before = _state(submission, draft)
    for method, url in _resident_urls(submission, draft, document):
        data = {"_action": "next", "owner_name": "山田 次郎", "body": "見せてください"}
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, f"{method} {url}"
        assert submission.receipt_number not in response.content.decode()
    assert _state(submission, draft) == before
    mypage = client.get(reverse("applications:mypage")).content.decode()
    assert submission.receipt_number not in mypage


def test_a_resident_session_does_not_carry_to_another_city(client, resident, two_residents):
    submission, draft, document, _ = two_residents
    login_resident(client, resident)
    assert client.get(reverse("applications:submission", args=[submission.public_id])).status_code == 200
    before = _state(submission, draft)
    for method, url in _resident_urls(submission, draft, document):
        data = {"_action": "next", "owner_name": "山田 次郎", "body": "別の町から"}
        response = getattr(client, method)(url, data if method == "post" else None,
                                           HTTP_HOST=HOSTS["other"])
        assert response.status_code == 302, f"{method} {url}"
        assert response["Location"].startswith(reverse("identity:login")), f"{method} {url}"
    assert _state(submission, draft) == before
    # and the API status check is per city as well
    token = applications.status_token(submission)
    response = client.get(f"/api/submissions/{submission.receipt_number}/status",
                          headers={"X-Status-Token": token}, HTTP_HOST=HOSTS["other"])
    assert response.status_code == 404
