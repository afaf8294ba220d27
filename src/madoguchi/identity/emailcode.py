"""Resident identification by e-mail one-time code.

Only hashes of codes and tokens are stored. A code expires, allows a few attempts (counted per
code: failed verifications void that code, never the address), and is single-use; the e-mail
goes through the outbox. Addresses are normalised by `core.email_address.normalize_email`.

A stranger must never be able to keep the owner of an address from logging in, so requests
for a code are not counted per address: a new code is sent unless the last one is still live
and younger than MADOGUCHI_OTP_RESEND_SECONDS, in which case its owner has that mail and
nothing more is sent. That bounds the mails an address can receive without a quota a stranger
could use up. Limits per client address are in `limits.py`.
"""

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from madoguchi.core import audit
from madoguchi.core.actors import Actor
from madoguchi.core.codes import keyed_digest, new_code, typed_digits
from madoguchi.core.email_address import normalize_email
from madoguchi.core.fastinsert import statement_cursor
from madoguchi.identity.models import ApiToken, LoginCode, ResidentAccount
from madoguchi.notify.services import enqueue_email


class LoginError(Exception):
    """Shown to the resident as is."""


def _hash(secret: str) -> str:
    return keyed_digest(secret)


def _live(municipality, email: str, now):
    return LoginCode.objects.filter(
        municipality=municipality, email=email, used_at__isnull=True, expires_at__gte=now,
        attempts__lt=settings.MADOGUCHI_OTP_MAX_ATTEMPTS)


@transaction.atomic
def request_login_code(municipality, email: str) -> bool:
    """Mail a new code to the address, unless its last code is live and was sent less than
    MADOGUCHI_OTP_RESEND_SECONDS ago (False: that mail is the one to use). Raises
    InvalidEmailAddress for what cannot be an address."""
    email = normalize_email(email)
    now = timezone.now()
    recent = now - timedelta(seconds=settings.MADOGUCHI_OTP_RESEND_SECONDS)
    if _live(municipality, email, now).filter(created_at__gt=recent).exists():
        return False
    code = new_code()
    login_code = LoginCode.objects.create(
        municipality=municipality,
        email=email,
        code_hash=_hash(code),
        expires_at=now + timedelta(seconds=settings.MADOGUCHI_OTP_TTL_SECONDS),
    )
    enqueue_email(
        municipality, email, "login_code",
        {"code": code, "minutes": settings.MADOGUCHI_OTP_TTL_SECONDS // 60},
        dedupe_key=f"login-code:{login_code.pk}",
    )
    return True


def verify_login_code(municipality, email: str, code: str, ip_address=None) -> ResidentAccount:
    """Check a code against the address's newest unused one. A wrong guess is counted on that
    code (committed) before the error is raised; InvalidEmailAddress for a malformed address."""
    email = normalize_email(email)
    with transaction.atomic():
        login_code = (
            LoginCode.objects.select_for_update()
            .filter(municipality=municipality, email=email, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        error = _check(login_code, code)
        if error is None:
            login_code.used_at = timezone.now()
            login_code.save(update_fields=["attempts", "used_at"])
            account, _ = ResidentAccount.objects.get_or_create(municipality=municipality, email=email)
            account.last_login_at = timezone.now()
            account.save(update_fields=["last_login_at"])
            audit.record(municipality, Actor.resident(account.pk, ip_address), "login", "account",
                         account.pk, subject_ref=account.ref, method="email_code")
            return account
    raise LoginError(error)


def _check(login_code: LoginCode | None, code: str) -> str | None:
    """Return why the code is refused, or None; counts the attempt."""
    if login_code is None or login_code.expires_at < timezone.now():
        return _("確認コードの有効期限が切れています。もう一度コードを送ってください。")
    if login_code.attempts >= settings.MADOGUCHI_OTP_MAX_ATTEMPTS:
        return _("確認コードを何度も間違えたため使えなくなりました。もう一度コードを送ってください。")
    login_code.attempts += 1
    if hmac.compare_digest(login_code.code_hash, _hash(typed_digits(code))):
        return None
    login_code.save(update_fields=["attempts"])
    left = settings.MADOGUCHI_OTP_MAX_ATTEMPTS - login_code.attempts
    return ngettext("確認コードが違います。メールに書かれた6桁の数字を入力してください（あと%(n)s回）。",
                    "確認コードが違います。メールに書かれた6桁の数字を入力してください（あと%(n)s回）。", left) % {"n": left}


def issue_api_token(municipality, *, account=None, staff_user=None, label="", days=None) -> str:
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        municipality=municipality, token_hash=_hash(token), account=account, staff_user=staff_user,
        label=label, expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    return token


def api_token(municipality, token: str, holder: str = "account") -> ApiToken | None:
    """The live token of this city with its holder — `account` (a resident's token) or
    `staff_user` — in one query. Only that relation is joined, and the lookup is a plain
    `LIMIT 1` on the unique hash (no ORDER BY). Every API request makes it, so it is compiled
    once per connection (`_TokenQuery`) rather than built through the ORM each time.

    The token's and the account's city are the request's, so they are set from it rather than
    read again (a submission names the account's city in four of its rows)."""
    found = _TokenQuery.of(holder).fetch(municipality.pk, _hash(token))
    if found is None or (found.expires_at and found.expires_at < timezone.now()):
        return None
    found.municipality = municipality
    account = found.account if holder == "account" and found.account_id else None
    if account is not None and account.municipality_id == municipality.pk:
        account.municipality = municipality
    return found


class _TokenQuery:
    """`ApiToken.objects.select_related(holder).filter(municipality=…, token_hash=…)[:1]`,
    compiled by Django's own SQLCompiler once per connection and holder, then run with new
    parameters and turned into instances as Django's iterator does (`Model.from_db` for the
    token and its holder, the field converters, the relation caches).

    Why: building that queryset — `filter()`, the join, `as_sql()` — is about 1,500 Python
    calls, more than any other step of a submission, for a statement that never changes but
    for its two values. The SQL, the columns and their order all come from the compiler, and
    on PostgreSQL the statement is prepared once per connection (`statement_cursor`)."""

    _CITY, _HASH = -918273645, "\x00token-hash"  # stand-ins, found again among the params

    def __init__(self, holder: str, using: str):
        self.using = using
        queryset = ApiToken.objects.select_related(holder).filter(
            municipality_id=self._CITY, token_hash=self._HASH)[:1]
        compiler = queryset.query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        self.order = [{self._CITY: 0, self._HASH: 1}[p] for p in params]
        self.compiler = compiler
        self.converters = compiler.get_converters([col for col, _, _ in compiler.select])
        info = compiler.klass_info
        self.token = self._part(compiler, info)
        (related,) = info["related_klass_infos"]
        self.holder = (*self._part(compiler, related), related["local_setter"],
                       related["remote_setter"])

    @staticmethod
    def _part(compiler, info):
        fields = info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        names = [col.target.attname for col, _, _ in compiler.select[start:end]]
        return info["model"], names, start, end

    @classmethod
    def of(cls, holder: str) -> "_TokenQuery":
        using = router.db_for_read(ApiToken)
        connection = connections[using]
        # Kept on the connection object (one per thread and alias): the compiler and the
        # converters refer to it, and go with it.
        compiled = connection.__dict__.setdefault("madoguchi_token_queries", {})
        if holder not in compiled:
            compiled[holder] = cls(holder, using)
        return compiled[holder]

    def fetch(self, city_id: int, token_hash: str) -> ApiToken | None:
        values = (city_id, token_hash)
        with statement_cursor(connections[self.using]) as cursor:
            cursor.execute(self.sql, [values[i] for i in self.order])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            (row,) = self.compiler.apply_converters([row], self.converters)
        model, names, start, end = self.token
        found = model.from_db(self.using, names, row[start:end])
        model, names, start, end, local_setter, remote_setter = self.holder
        values = row[start:end]
        held = None if values[names.index(model._meta.pk.attname)] is None else (
            model.from_db(self.using, names, values))
        local_setter(found, held)
        if held is not None:
            remote_setter(held, found)
        return found


def hash_secret(secret: str) -> str:
    return _hash(secret)
