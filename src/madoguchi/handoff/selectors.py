"""What staff see of hand-offs: the list at /staff/handoffs/ and the case page's panel.

Department staff see the hand-offs of their departments' cases; a city administrator sees the
whole city's (core.roles.is_city_admin). Errors are shown from their codes (no personal data is
ever stored in them)."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from madoguchi.core.roles import departments_of, is_city_admin
from madoguchi.handoff import config
from madoguchi.handoff.models import Handoff, State

LIST_LIMIT = 200
FILTERS = ("open", "failed", "pending", "delivered")
STUCK_AFTER = timedelta(minutes=10)  # pending this long past its due time: the worker is not running


def visible_to(user, municipality) -> QuerySet:
    rows = Handoff.objects.filter(municipality=municipality)
    if not is_city_admin(user, municipality):
        rows = rows.filter(submission__department__in=departments_of(user, municipality))
    return rows


def error_text(code: str) -> str:
    """A staff member's reading of an error code."""
    kind, _sep, detail = (code or "").partition(":")
    if not kind:
        return ""
    if kind.startswith("http_"):
        return _("連携先が HTTP %(status)s を返しました。") % {"status": kind[5:]}
    texts = {
        "timeout": _("連携先から時間内に応答がありませんでした。"),
        "connection_failed": _("連携先に接続できませんでした。"),
        "unencodable_cp932": _("列「%(column)s」に、CP932（Shift_JIS）で書けない文字があります。連携先の文字コードの設定を確認してください。") % {"column": detail},
        "directory_missing": _("出力先のフォルダがありません。"),
        "write_failed": _("ファイルを書き込めませんでした。"),
        "secret_unreadable": _("署名の鍵ファイルを読めません。"),
        "target_not_configured": _("この連携先は設定から外されています。"),
        "settings_unreadable": _("連携の設定ファイルを読めません。"),
        "interrupted": _("送信中に処理が何度も中断されました。"),
    }
    return texts.get(kind, code)


def _row(handoff: Handoff, now, own_departments: set | None, targets: dict) -> dict:
    stuck = handoff.state == State.PENDING and (
        handoff.next_attempt_at < now - STUCK_AFTER
        or (handoff.claimed_until is not None and handoff.claimed_until < now))
    target = targets.get(handoff.target)
    return {
        "h": handoff,
        "target_title": target.title if target else handoff.target,
        "error": error_text(handoff.last_error),
        "stuck": stuck,
        "can_resend": handoff.state != State.DELIVERED,
        "open": own_departments is None or handoff.submission.department_id in own_departments,
    }


def _targets(municipality) -> dict:
    try:
        return {t.name: t for t in config.targets_for(municipality)}
    except config.HandoffConfigError:
        return {}


def listing(user, municipality, state: str) -> list[dict]:
    rows = visible_to(user, municipality).select_related("submission", "submission__department").defer("decision")
    if state == "open":
        rows = rows.filter(state__in=[State.FAILED, State.PENDING])
    else:
        rows = rows.filter(state=state)
    own = set(departments_of(user, municipality).values_list("pk", flat=True))
    now, targets = timezone.now(), _targets(municipality)
    return [_row(h, now, own, targets) for h in rows.order_by("-created_at", "-pk")[:LIST_LIMIT]]


def counts(user, municipality) -> dict:
    rows = visible_to(user, municipality)
    return {state: rows.filter(state=state).count() for state in (State.FAILED, State.PENDING)}


def case_context(case) -> dict:
    """The hand-off panel of a case page: {} while the case has none."""
    handoffs = list(Handoff.objects.filter(submission=case).defer("decision").order_by("created_at", "pk"))
    if not handoffs:
        return {}
    now, targets = timezone.now(), _targets(case.municipality)
    return {"rows": [_row(h, now, None, targets) for h in handoffs]}
