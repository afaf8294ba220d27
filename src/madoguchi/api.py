"""The public and staff API (django-ninja). OpenAPI at /api/openapi.json, docs at /api/docs."""

import hmac
import uuid
from datetime import date, datetime

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Header, NinjaAPI, Query, Schema
from ninja import Status as Reply
from ninja.errors import HttpError, ValidationError
from ninja.security import HttpBearer

from madoguchi.applications import selectors as app_selectors
from madoguchi.applications import services as applications
from madoguchi.applications import workflow
from madoguchi.applications.models import Channel
from madoguchi.applications.receipts import normalize_receipt_number
from madoguchi.casework import decisions
from madoguchi.casework import selectors as case_selectors
from madoguchi.casework import services as casework
from madoguchi.catalog.selectors import get_procedure, procedures_for, search
from madoguchi.core import audit, i18n
from madoguchi.core.actors import Actor, client_ip
from madoguchi.core.email_address import InvalidEmailAddress, normalize_email
from madoguchi.core.japanese import JapaneseInputError, lookup_address, normalize_postal_code
from madoguchi.core.roles import is_staff_of
from madoguchi.identity import cardauth, limits
from madoguchi.identity import emailcode as resident_auth
from madoguchi.identity.models import CardChallenge
from madoguchi.navigator import services as navigator
from madoguchi.navigator.loader import events
from madoguchi.navigator.selectors import plan_by_token


class MadoguchiAPI(NinjaAPI):
    """The API, whose document also names the answers any operation can give before or around
    its own code: 400 for control characters in the URL (`core.security.
    ControlCharacterMiddleware`) or a body that is not JSON, 422 for input the schema refuses
    (`refused_input` below, the same body as refused answers) and 401 without a valid token.
    django-ninja declares responses per operation only, so this adds them to each operation of
    the generated document; where the operation declares the same status with a body of its own
    (a refused card answer is a 422 too), the document says the body is either one."""

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document["components"].setdefault("schemas", {}).update(SHARED_SCHEMAS)
        for operations in document["paths"].values():
            for operation in operations.values():
                # ninja keys an operation's own statuses by int; JSON has string keys only, so
                # 422 and "422" would both be written: one key per status, as strings.
                responses = operation["responses"] = {
                    str(status): answer for status, answer in operation["responses"].items()}
                _add(responses, "400", "BadRequest", "URL に制御文字がある、または本文が JSON でない")  # ja-only: the API document is in Japanese
                if operation.get("parameters") or operation.get("requestBody"):
                    _add(responses, "422", "Refusal", "入力内容に誤りがある")  # ja-only: the API document is in Japanese
                if operation.get("security"):
                    _add(responses, "401", "BadRequest", "トークンがない、または無効")  # ja-only: the API document is in Japanese
        return document


def _add(responses: dict, status: str, name: str, description: str) -> None:
    shared = _shared(name, description)
    own = responses.get(status)
    if own is None:
        responses[status] = shared
        return
    body = own.get("content", {}).get("application/json", {}).get("schema")
    ref = shared["content"]["application/json"]["schema"]
    if body is not None and body != ref:
        own["content"]["application/json"]["schema"] = {"anyOf": [body, ref]}
        own["description"] = f"{own.get('description', '')} / {description}".strip(" /")


def _shared(name: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


SHARED_SCHEMAS = {
    "BadRequest": {"type": "object", "required": ["detail"], "properties": {
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "path or query: where the URL was refused"}}},
    "Refusal": {"type": "object", "required": ["detail"], "properties": {"detail": {
        "type": "object", "required": ["message", "errors"], "properties": {
            "message": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}}}}}},
}

api = MadoguchiAPI(title="Madoguchi API", version="1", urls_namespace="api",
                   description="手続カタログ・電子申請・担当課事務の API")  # ja-only: the API document is in Japanese


class ErrorOut(Schema):
    detail: str = Field(description="a plain message in the language of Accept-Language")


class RefusalDetail(Schema):
    message: str
    errors: dict[str, str] = Field(description="path of each refused value → plain message: "
                                               "`answers.children.0.birth_date` is reported as "
                                               "`children.0.birth_date`")


class RefusalOut(Schema):
    detail: RefusalDetail


def refusal(message: str, errors: dict[str, str]) -> dict:
    return {"detail": {"message": message, "errors": errors}}


_INPUT_MESSAGES = {"missing": gettext_lazy("必須です"), "string_too_long": gettext_lazy("長すぎます"),
                   "string_too_short": gettext_lazy("空にできません"),
                   "greater_than_equal": gettext_lazy("小さすぎます"),
                   "less_than_equal": gettext_lazy("大きすぎます"),
                   "string_pattern_mismatch": gettext_lazy("使えない文字が含まれています")}


@api.exception_handler(ValidationError)
def refused_input(request, exc: ValidationError):
    """A request the schema refuses (a missing header, a wrong type, a page out of range) gets
    the same 422 body as refused answers: each value named by where it was sent (`page`,
    `Idempotency-Key`, `answers`) with a plain message, never the raw input echoed back."""
    errors = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", [])][1:]
        if loc[:1] == ["body"] and len(loc) > 1:
            loc = loc[1:]  # ninja names the body parameter itself
        name = ".".join(loc) or "body"
        errors.setdefault(name, str(_INPUT_MESSAGES.get(error.get("type", ""), _("形式が正しくありません"))))
    return api.create_response(request, refusal(_("送信内容に誤りがあります。"), errors), status=422)


@api.exception_handler(RequestDataTooBig)
def too_large(request, exc: RequestDataTooBig):
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE (files travel apart, as attachments) is refused
    with 413 and the usual refusal body naming `body`, instead of Django's bare 400 page."""
    return api.create_response(
        request, refusal(_("送信内容が大きすぎます。添付ファイルは別に送り、項目の数を確かめてください。"),
                         {"body": str(_INPUT_MESSAGES["string_too_long"])}), status=413)


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """As django-ninja answers, with its one English message (a body that is not JSON) in plain
    words of the request's language like every other."""
    message = str(exc)
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = _("本文を JSON として読み取れません。Content-Type: application/json で送ってください。")
    return api.create_response(request, {"detail": message}, status=exc.status_code)


class ResidentBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        found = resident_auth.api_token(request.municipality, token)
        if found and found.account_id:
            request.account = found.account
            return found.account
        return None


class StaffBearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        found = resident_auth.api_token(request.municipality, token, holder="staff_user")
        if found and found.staff_user_id and found.staff_user.is_active and is_staff_of(found.staff_user, request.municipality):
            request.staff = found.staff_user
            return found.staff_user
        return None


class ProcedureOut(Schema):
    code: str
    title: str
    title_en: str
    summary: str
    category: str
    kind: str
    department: str | None
    channel: str = Field(description="online (here), mynaportal, counter, or elsewhere (`office`)")
    office: str | None
    card_required: bool
    fee_yen: int = Field(description="the unit of the first fee line (e.g. 300 for 1通300円), 0 "  # ja-only: a term in the API document
                                     "when free; the whole rules are in the procedure's detail")
    fee_deferred: bool = Field(description="the amount is fixed after review (事後決済)")  # ja-only: a term in the API document
    deadline_days: int | None
    form_version: int | None = Field(description="the current form, for online procedures")


def _procedure_out(p) -> dict:
    rules = p.fee_rules
    return {**p.model_dump(include={"code", "title", "summary", "category", "kind",
                                     "channel", "department", "office", "card_required",
                                     "deadline_days"}),
            "title_en": p.title_en,
            "fee_yen": rules.lines[0].unit_yen if rules and rules.lines else 0,
            "fee_deferred": bool(rules and rules.deferred is not False),
            "form_version": p.current_form.version if p.forms else None}


@api.get("/health", tags=["system"])
def health(request):
    """Liveness: the process answers. No query and no city (the middleware leaves this path
    alone), so a slow or unreachable database never makes a load balancer restart the app."""
    return {"ok": True}


class ReadyOut(Schema):
    ok: bool
    database: str = Field(description="ok, or unreachable")


@api.get("/ready", tags=["system"], response={200: ReadyOut, 503: ReadyOut})
def ready(request):
    """Readiness: the database answers `SELECT 1`. 503 while it does not, so a load balancer
    sends no requests to a process that could not serve them."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return Reply(503, {"ok": False, "database": "unreachable"})
    return {"ok": True, "database": "ok"}


@api.get("/procedures", response=list[ProcedureOut], tags=["catalogue"])
def list_procedures(request, q: str = ""):
    """All procedures of the city; with `q`, those matching it, best first (the same search as
    the catalogue page: 引越し, ひっこし and 引っ越し find the same, 「赤ちゃんが生まれた」 finds 出生届)."""
    return [_procedure_out(p) for p in search(procedures_for(request.municipality), q[:100])]


@api.get("/procedures/{code}", tags=["catalogue"], response={200: dict, 404: ErrorOut})
def procedure_detail(request, code: str):
    procedure = get_procedure(request.municipality, code)
    if procedure is None:
        raise HttpError(404, _("手続が見つかりません"))
    form = procedure.current_form.model_dump(mode="json", by_alias=True) if procedure.forms else None
    rules = procedure.fee_rules  # `fees`, or an older file's fixed `fee_yen` as one line
    return procedure.model_dump(mode="json", by_alias=True, exclude={"forms", "fees"}) | {
        "form": form, "fees": rules.model_dump(mode="json", by_alias=True) if rules else None}


@api.get("/navigator/events", tags=["navigator"])
def navigator_events(request):
    """The 手続ナビ's life events with their questions, options and rules, as written (in Japanese;
    their translations are the events' overlay files)."""
    return [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in events().values()]


@api.get("/navigator/plans/{token}", tags=["navigator"], response={200: dict, 404: ErrorOut})
def navigator_plan(request, token: str, lang: str = "ja"):
    """A plan by the token in its QR code (what the counter loads): the answers and, once every
    rule is decided, the procedures with their group, place and due date."""
    plan = None if "\x00" in token else plan_by_token(request.municipality, token)
    if plan is None:  # a NUL cannot be in a token, and PostgreSQL refuses it in a query
        raise HttpError(404, _("手続ナビの記録が見つかりません"))
    complete = navigator.is_complete(plan)
    items = []
    if complete:
        plan.lang = i18n.supported({"easy": i18n.EASY}.get(lang, lang)) or i18n.DEFAULT  # "easy": old clients
        with translation.override(plan.lang):
            items = [{"procedure": i.code, "title": str(i.title), "group": i.group, "place": str(i.place),
                      "offered": i.offered, "startable": i.startable,
                      "deadline": i.deadline.isoformat() if i.deadline else None}
                     for i in navigator.result_for(plan, request.municipality).items]
    answers = navigator.in_force_answers(navigator.event_of(plan), plan.answers)  # never a stale one
    return {"event": plan.event, "answers": answers, "complete": complete, "procedures": items}


@api.get("/postal-codes/{code}", tags=["catalogue"], response={200: dict, 422: RefusalOut})
def postal_code(request, code: str):
    try:
        normalized = normalize_postal_code(code)
    except JapaneseInputError as exc:
        return Reply(422, refusal(str(exc), {"code": str(exc)}))
    return {"postal_code": normalized, "addresses": lookup_address(normalized)}


class CardResponseIn(Schema):
    certificate: str
    signature: str


def _challenge_path(public_id) -> str:
    """The card client's URL of a challenge: its key is a path segment (no `?` for a shell)."""
    return f"/api/identity/challenges/{public_id}/key/{cardauth.read_key(public_id)}"


def _readable_challenge(request, challenge_id, key: str = ""):
    """The challenge for its card client (the key from its URL) or the browser that asked; 404
    for anyone else, 410 once it is answered, used or expired."""
    challenge = cardauth.readable(request.municipality, challenge_id, key,
                                  request.session.session_key)
    if challenge is None:
        raise HttpError(404, _("確認の情報が見つかりません"))
    if not cardauth.is_live(challenge):
        raise HttpError(410, _(cardauth.GONE))
    return challenge


_CHALLENGE_ERRORS = {404: ErrorOut, 410: ErrorOut}


def _described(request, challenge_id, key: str = "") -> dict:
    challenge = _readable_challenge(request, challenge_id, key)
    return cardauth.describe(
        challenge, request.build_absolute_uri(f"{_challenge_path(challenge.public_id)}/response"))


@api.get("/identity/challenges/{challenge_id}/key/{key}", url_name="card_challenge",
         tags=["identity"], response={200: dict, **_CHALLENGE_ERRORS})
def card_challenge(request, challenge_id: uuid.UUID, key: str):
    """What the card client signs: a login challenge or the canonical answers of a form, at the
    URL the page shows (QR code, `madoguchi-card` command; `key` is Django's signature of the
    id), only while it waits for the card. Without the right key: 404."""
    return _described(request, challenge_id, key)


@api.get("/identity/challenges/{challenge_id}", tags=["identity"],
         response={200: dict, **_CHALLENGE_ERRORS})
def card_challenge_for_its_browser(request, challenge_id: uuid.UUID):
    """The same, for the browser session that asked for the challenge (no key); 404 for any
    other caller."""
    return _described(request, challenge_id)


class CardAnswerOut(Schema):
    state: str
    message: str
    reason: str = ""


def _answered(request, challenge_id, body, key: str = ""):
    _readable_challenge(request, challenge_id, key)
    try:
        challenge = cardauth.answer(request.municipality, challenge_id, body.certificate,
                                    body.signature, client_ip(request))
    except cardauth.CardRefused as exc:
        raise HttpError(410, exc.message) from None
    if challenge is None:
        raise HttpError(404, _("確認の情報が見つかりません"))
    if challenge.state != CardChallenge.State.VERIFIED:
        return Reply(422, {"state": challenge.state, "reason": challenge.reason,
                           "message": challenge.message_shown})
    return Reply(200, {"state": challenge.state, "message": _("確認できました。画面に戻ってください。")})


@api.post("/identity/challenges/{challenge_id}/key/{key}/response", tags=["identity"],
          response={200: CardAnswerOut, 422: CardAnswerOut, **_CHALLENGE_ERRORS})
def card_response(request, challenge_id: uuid.UUID, key: str, body: CardResponseIn):
    """The card client's answer (the `response_url` it read): the card's certificate (PEM) and
    its signature (base64). 422 with the reason when the card is refused."""
    return _answered(request, challenge_id, body, key)


@api.post("/identity/challenges/{challenge_id}/response", tags=["identity"],
          response={200: CardAnswerOut, 422: CardAnswerOut, **_CHALLENGE_ERRORS})
def card_response_from_its_browser(request, challenge_id: uuid.UUID, body: CardResponseIn):
    """The same answer from the browser session that asked (no key); 404 for any other caller."""
    return _answered(request, challenge_id, body)


class EmailIn(Schema):
    email: str = Field(description="normalised: NFKC, trimmed, lower-cased; at most 254 characters")


class CodeIn(Schema):
    email: str
    code: str = Field(description="the 6 digits from the mail")


class CodeSentOut(Schema):
    sent: bool = Field(description="true: a code is on its way, or one sent in the last minute "
                                   "is still valid (the newest mail holds it)")


class TokenOut(Schema):
    token: str


_EMAIL_CODE_ERRORS = {403: ErrorOut, 415: ErrorOut, 422: RefusalOut, 429: ErrorOut}


def _limited(request, exc):
    """A request refused before the service: its status, a plain message, Retry-After on 429."""
    response = api.create_response(request, {"detail": exc.message}, status=exc.status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _bad_email(exc):
    return Reply(422, {"detail": {"message": str(exc), "errors": {"email": str(exc)}}})


@api.post("/auth/email-code", response={202: CodeSentOut, **_EMAIL_CODE_ERRORS}, tags=["residents"])
def send_code(request, body: EmailIn):
    """Mail a one-time code. JSON only; a browser must send it from this site (Origin or
    Referer). Limited per client address (429 with Retry-After); never per target address, so
    no one can keep an address's owner from getting a code."""
    try:
        limits.json_from_same_origin(request)
        email = normalize_email(body.email)
        limits.code_request(request)
        resident_auth.request_login_code(request.municipality, email)
    except limits.Refused as exc:
        return _limited(request, exc)
    except InvalidEmailAddress as exc:
        return _bad_email(exc)
    return Reply(202, {"sent": True})


@api.post("/auth/token", response={200: TokenOut, 401: ErrorOut, **_EMAIL_CODE_ERRORS},
          tags=["residents"])
def token(request, body: CodeIn):
    """Exchange the mailed code for an API token (a day). Five wrong codes void that code;
    verifications are limited per client address."""
    try:
        limits.json_from_same_origin(request)
        email = normalize_email(body.email)
        limits.code_verification(request)
        account = resident_auth.verify_login_code(request.municipality, email, body.code,
                                                  client_ip(request))
    except limits.Refused as exc:
        return _limited(request, exc)
    except InvalidEmailAddress as exc:
        return _bad_email(exc)
    except resident_auth.LoginError as exc:
        raise HttpError(401, str(exc)) from None
    return {"token": resident_auth.issue_api_token(request.municipality, account=account, days=1)}


class SubmissionIn(Schema):
    procedure: str = Field(max_length=64, examples=["dog-registration-change"])
    answers: dict = Field(description="field id → value; a group is a list of objects, a file "
                                      "the id of an attachment of the caller's (docs/api.md)",
                          examples=[{
                              "owner_name": "髙橋 﨑子", "owner_kana": "タカハシ サキコ",  # ja-only: example answers
                              "owner_postal_code": "892-0816",
                              "owner_address": "鹿児島県鹿児島市山下町11番1号",  # ja-only: example answers
                              "owner_phone": "099-224-1111", "owner_email": "hanako@example.jp",
                              "registration_number": "第1234号", "dog_name": "ポチ",  # ja-only: example answers
                              "change_kind": "owner_address", "change_date": "令和5年4月1日",  # ja-only: example answers
                              "old_address": "鹿児島県鹿児島市山下町11番1号"}])  # ja-only: example answers


class FeeLineOut(Schema):
    code: str
    label: str
    unit_yen: int
    quantity: int
    amount_yen: int
    exempt: bool


class FeeExemptionOut(Schema):
    label: str
    legal_reason: str


class FeeOut(Schema):
    lines: list[FeeLineOut]
    exemptions: list[FeeExemptionOut]
    total_yen: int = Field(description="due now, in whole yen; 0 when free or deferred")
    deferred: bool = Field(description="金額は審査後に決まります (事後決済)")  # ja-only: the API document is in Japanese
    deferred_note: str
    revenue_code: str


class SubmissionOut(Schema):
    id: str
    receipt_number: str
    status: str
    status_token: str
    submitted_at: datetime
    fee: FeeOut
    payment_status: str = Field(description="none, deferred, due (awaiting_payment), paid, or "
                                            "counter (taken at the counter)")


def _fee_out(s) -> dict:
    """The fee as stored at submit (or as fixed after review), for the resident's API."""
    return s.fee_quote.as_json()


def _submission_out(s, fresh: bool = False) -> dict:
    return {"id": str(s.public_id), "receipt_number": s.receipt_number, "status": s.status,
            "status_token": applications.status_token(s), "submitted_at": s.submitted_at,
            "fee": _fee_out(s), "payment_status": app_selectors.payment_status(s, fresh=fresh)}


@api.post("/submissions", auth=ResidentBearer(),
          response={201: SubmissionOut, 200: SubmissionOut, 401: ErrorOut, 404: ErrorOut,
                    409: RefusalOut, 422: RefusalOut}, tags=["residents"])
def create_submission(request, body: SubmissionIn,
                      idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=1,
                                                    max_length=64)):
    """Submit complete answers, checked by the same rules as the form pages (422 names each
    refused field by its path, e.g. `children.0.birth_date`). A retry with the same
    Idempotency-Key and the same answers returns the same receipt (200); the same key with other
    answers is refused (409). Keys belong to the account: another account's key is its own."""
    procedure = get_procedure(request.municipality, body.procedure)
    if procedure is None:
        raise HttpError(404, _("手続が見つかりません"))
    try:
        submission, created = applications.submit_answers(
            request.account, procedure, body.answers,
            Actor.resident(request.account.pk, client_ip(request)), idempotency_key)
    except applications.IdempotencyConflict as exc:
        return Reply(409, refusal(str(exc), exc.errors))
    except applications.SubmissionRefused as exc:
        return Reply(422, refusal(str(exc), exc.errors))
    return Reply(201 if created else 200, _submission_out(submission, fresh=created))


@api.get("/submissions/{receipt_number}/status", tags=["residents"],
         response={200: dict, 404: ErrorOut})
def submission_status(request, receipt_number: str,
                      x_status_token: str = Header(..., alias="X-Status-Token", max_length=200)):
    canonical = normalize_receipt_number(receipt_number)
    submission = canonical and app_selectors.submission_by_receipt(request.municipality, canonical)
    if not submission or not hmac.compare_digest(applications.status_token(submission), x_status_token):
        raise HttpError(404, _("受付番号か確認用トークンが違います"))
    kind = workflow.kind_of(request.municipality, submission.procedure_code)
    return {
        "receipt_number": submission.receipt_number, "procedure": submission.procedure_code,
        "status": submission.status, "status_label": workflow.status_label(submission.status, kind),
        "submitted_at": submission.submitted_at, "updated_at": submission.updated_at,
        "events": [{"at": e.at, "status": e.to_status, "label": workflow.status_label(e.to_status, kind)}
                   for e in submission.events.all()],
        "fee": _fee_out(submission), "payment_status": app_selectors.payment_status(submission),
    }


class CaseOut(Schema):
    id: str
    receipt_number: str
    procedure: str
    department: str
    status: str
    submitted_at: datetime
    channel: str = Field(description="online, or counter (filed by a clerk at the no-writing counter)")
    visit: str | None = Field(None, description="counter cases: the visit; one visit's cases share it")


MAX_PAGE = 200  # 10,000 cases, as far as the queue counts exactly; deeper: follow `after`
# (an offset reads every case before its page: page 1,000 took 11.7x /api/health at p95 on 10 M)
STAFF_PAGE_SIZE = 50
_SINCE = Query(None, description="first day (Asia/Tokyo), YYYY-MM-DD")
_UNTIL = Query(None, description="last day (Asia/Tokyo), inclusive")


@api.get("/staff/cases", auth=StaffBearer(), tags=["staff"],
         response={200: list[CaseOut], 401: ErrorOut, 422: RefusalOut})
def staff_cases(request, response: HttpResponse,
                status: str = Query("", max_length=32, pattern=r"^[a-z_]*$"),
                procedure: str = Query("", max_length=64, pattern=r"^[a-z0-9-]*$"),
                channel: str = Query("", max_length=32, pattern=r"^[a-z_]*$"),
                since: date | None = _SINCE, until: date | None = _UNTIL,
                after: str = Query("", max_length=case_selectors.CURSOR_MAX_LENGTH,
                                   description="the cursor of the `Link: rel=\"next\"` header"),
                page: int = Query(1, ge=1, le=MAX_PAGE,
                                  description="50 cases a page, by offset (slower past the first "
                                              "pages: follow `after` instead)")):
    """The cases of the caller's departments, oldest first, 50 at a time. The next 50 are at the
    URL of the `Link` header's `rel="next"` (a signed cursor in `after`; no header on the last
    page). Filters are codes (letters, digits, `-`, `_`) and days: anything else, a page outside
    1–200, a cursor that is not one of ours, or `after` with `page`, is a 422 naming it."""
    if after and page != 1:
        raise ValidationError([{"loc": ("query", "page"), "type": "value_error"}])
    position = case_selectors.position_of(after) if after else None
    if after and position is None:
        raise ValidationError([{"loc": ("query", "after"), "type": "value_error"}])
    filters = case_selectors.Filters(status=status, procedure=procedure,
                                     channel=channel if channel in Channel.values else "",
                                     since=since, until=until)
    departments = case_selectors.departments(request.staff, request.municipality)
    if page == 1:
        listed = case_selectors.queue_page(departments, filters, after=position,
                                           size=STAFF_PAGE_SIZE)
        cases, next_cursor = listed.cases, listed.next_cursor
    else:  # offset pages, kept for clients written before the cursor
        start = (page - 1) * STAFF_PAGE_SIZE
        cases = list(case_selectors.queue(request.staff, request.municipality, filters.status,
                                          procedure, since, until, filters.channel)
                     [start:start + STAFF_PAGE_SIZE + 1])
        next_cursor = (case_selectors.cursor_for(cases[STAFF_PAGE_SIZE - 1])
                       if len(cases) > STAFF_PAGE_SIZE else None)
        cases = cases[:STAFF_PAGE_SIZE]
    if next_cursor:
        query = request.GET.copy()
        query.pop("page", None)
        query["after"] = next_cursor
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    # A page of cases read out is an export: who, with which filters, how many (ids only).
    audit.record(request.municipality, Actor.staff(request.staff, client_ip(request)), "export", "cases",
                 "api", rows=len(cases), status=status, procedure=procedure, channel=filters.channel,
                 since=since.isoformat() if since else "", until=until.isoformat() if until else "",
                 page=page, after=bool(after))
    return [{"id": str(c.public_id), "receipt_number": c.receipt_number,
             "procedure": c.procedure_code, "department": c.department.code, "status": c.status,
             "submitted_at": c.submitted_at, "channel": c.channel,
             "visit": str(c.visit_ref) if c.visit_ref else None} for c in cases]


# Text staff write: the pages' limit for a message, and no control characters but line breaks
# and tabs (a NUL or an escape sequence belongs in no note, notice or mail).
_STAFF_TEXT = {"max_length": 2000, "pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"}


class ActionIn(Schema):
    message: str = Field("", description="return: the reason shown to the resident", **_STAFF_TEXT)
    return_reason: str = Field("", max_length=16, description=(
        "return (required): why the case goes back, one of missing (an answer missing or wrong), "
        "attachment (a document missing or unreadable), identity (identity check or signature), "
        "eligibility (the conditions), other; the city's figures count it, never the message"))
    outcome: str = Field("", max_length=16, description="propose: approve or reject")
    reason: str = Field("", description="propose: the decision's reason", **_STAFF_TEXT)
    comment: str = Field("", description="approve, send-back: the approver's comment", **_STAFF_TEXT)
    assignee: str = Field("", max_length=20, description="assign: the staff member's id (a member of the case's department)")
    item: str = Field("", max_length=64, description="tick, untick: the checklist item's id (the procedure file's checklist)")
    content: dict = Field(default_factory=dict, description=(
        "propose: what the decision states, as the procedure file's `decision:` defines it for the "
        "outcome, by field id: `yen` and `number` as an integer (or digits), `month` as \"YYYY-MM\", "
        "`date` as \"YYYY-MM-DD\", `text` as a string, `choice` as an option value, `choices` as a "
        "list of option values, `children` as a list of the application's child item numbers "
        "(0, 1 …). E.g. {\"monthly_amount\": 15000, \"start_month\": \"2026-12\", "
        "\"children\": [0], \"payment_months\": [\"feb\", \"apr\"]}. Refused values are named "
        "`content.<id>` in the 422 answer. A notification states nothing (it is received)."))
    content_digest: str | None = Field(None, max_length=64, pattern=r"^[0-9a-f]{64}$", description=(
        "approve: the digest of the proposal the approver read (returned as `decision.digest` by "
        "propose, and on the case page); when given, the approval is refused (409) if the proposal "
        "changed since"))


# The body's own fields a refusal may name; any other name is one of the decision's content.
_BODY_FIELDS = {"message", "return_reason", "reason"}


@api.post("/staff/cases/{case_id}/actions/{action}", auth=StaffBearer(), tags=["staff"],
          response={200: dict, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: RefusalOut})
def staff_action(request, case_id: str, action: str, body: ActionIn):
    try:
        public_id = uuid.UUID(case_id)
    except ValueError:
        raise HttpError(404, _("案件が見つかりません")) from None
    case = case_selectors.case_for(request.staff, request.municipality, public_id)
    if case is None:
        raise HttpError(404, _("案件が見つかりません"))
    if action not in casework.action_names():
        raise HttpError(404, _("その操作はありません"))
    try:
        casework.perform(action, case, request.staff, Actor.staff(request.staff, client_ip(request)),
                         body.model_dump())
    except casework.CaseActionError as exc:
        if exc.errors:  # a field of the body (a 差戻し's, a decision's reason) or the decision's content, by name
            return Reply(422, refusal(str(exc), {(name if name in _BODY_FIELDS else f"content.{name}"): message
                                                 for name, message in exc.errors.items()}))
        raise HttpError(409, str(exc)) from None
    case.refresh_from_db()
    pending = case.decisions.filter(state="pending").last()
    if pending is None:
        return {"id": str(case.public_id), "status": case.status}
    return {"id": str(case.public_id), "status": case.status,
            "decision": {"outcome": pending.outcome, "content": decisions.for_handoff(pending)["content"],
                         "rows": decisions.rows(pending), "digest": decisions.digest(pending)}}
