"""Who is 会計課 (the city's accounts office), for the books pages and refunds.

A member (any role) of the city's department whose code is the setting
`MADOGUCHI_ACCOUNTS_DEPARTMENT` (default `kaikei`). Why a department and not a new role:
the money a city takes in is handled by its 会計管理者 and the office under them (地方自治法
第168条・第170条), who are by law apart from the departments that decide the cases — the
clerk who fixed a fee must not be the one who pays it back. Cities already model that office
as a department, so the existing least-privilege rule (staff see what their department does,
`core.roles`) covers it with no new kind of permission, and a city changes who may see the
books the way it changes any department's staff. The 決裁者 (approver) role within that
department approves refunds, as it approves decisions in a department: another person than
the one who asked.
"""

import unicodedata

from django.conf import settings
from django.utils.translation import gettext as _

from madoguchi.core.models import Department, Municipality, Role, StaffMembership
from madoguchi.core.roles import memberships
from madoguchi.core.text import has_unreadable_characters
from madoguchi.payments import services

DEFAULT_CODE = "kaikei"


def department_code() -> str:
    return getattr(settings, "MADOGUCHI_ACCOUNTS_DEPARTMENT", "") or DEFAULT_CODE


def department(municipality: Municipality) -> Department | None:
    return Department.objects.filter(municipality=municipality, code=department_code()).first()


def _memberships(user, municipality: Municipality):
    if not user.is_authenticated:
        return StaffMembership.objects.none()
    return memberships().filter(user=user, department__municipality=municipality,
                                department__code=department_code())


def is_member(user, municipality: Municipality) -> bool:
    """May see the books: the daily close, the CSV, the open items, any payment, its 領収書."""
    return _memberships(user, municipality).exists()


def is_approver(user, municipality: Municipality) -> bool:
    """May approve a refund another member asked for."""
    return _memberships(user, municipality).filter(role=Role.APPROVER).exists()


# --- refunds (還付) as 会計課 asks for and approves them -------------------------------------

class RefundInputRefused(Exception):
    """`field` names the input the message belongs next to (amount or reason)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def parse_yen(text: str) -> int:
    """「1,000」「１０００」「1000円」 → 1000; anything but a whole positive number is refused."""
    cleaned = unicodedata.normalize("NFKC", text or "").strip().replace(",", "").removesuffix("円").strip()  # ja-only: input pattern
    if not cleaned:
        raise RefundInputRefused(_("返金する金額を入力してください。"), "amount")
    if not (cleaned.isascii() and cleaned.isdigit()) or len(cleaned) > 9 or int(cleaned) == 0:
        raise RefundInputRefused(_("金額は1円以上の整数（円）で入力してください。"), "amount")
    return int(cleaned)


def request_refund(attempt, user, municipality: Municipality, amount_text: str, reason: str, actor):
    """A member asks; the sum of a payment's refunds never exceeds what was paid (services)."""
    if not is_member(user, municipality):
        raise RefundInputRefused(_("返金の申請は会計課の職員が行います。"))
    amount = parse_yen(amount_text)
    reason = (reason or "").strip()
    if not reason:
        raise RefundInputRefused(_("返金の理由を入力してください。"), "reason")
    if len(reason) > 200 or has_unreadable_characters(reason):
        raise RefundInputRefused(_("理由は200文字以内で、制御文字を含めずに入力してください。"), "reason")
    try:
        return services.request_refund(attempt, amount, reason, actor)
    except services.RefundRefused as exc:
        raise RefundInputRefused(str(exc), "amount") from exc


def approve_refund(refund, user, municipality: Municipality, actor):
    """Another member, with the approver role, approves; the refund is then sent (online) or
    recorded as paid back from the drawer (counter)."""
    if not is_approver(user, municipality):
        raise RefundInputRefused(_("返金の承認は、会計課の決裁者の権限を持つ職員が行います。"))
    try:
        return services.approve_refund(refund, actor)
    except services.RefundRefused as exc:
        raise RefundInputRefused(str(exc)) from exc
