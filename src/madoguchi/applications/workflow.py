"""The submission state machine: one table of allowed transitions, one function applying it."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from madoguchi.applications.models import Status
from madoguchi.catalog.loader import catalog_for
from madoguchi.catalog.schema import Kind

# (from, to) → the action's name, used in the audit log.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.SUBMITTED, Status.ACCEPTED): "accept",
    (Status.SUBMITTED, Status.RETURNED): "return",
    (Status.ACCEPTED, Status.RETURNED): "return",
    (Status.RETURNED, Status.SUBMITTED): "resubmit",
    (Status.ACCEPTED, Status.PENDING_APPROVAL): "propose_decision",
    (Status.PENDING_APPROVAL, Status.ACCEPTED): "send_back_proposal",
    (Status.PENDING_APPROVAL, Status.APPROVED): "approve",
    (Status.PENDING_APPROVAL, Status.REJECTED): "reject",
    (Status.SUBMITTED, Status.WITHDRAWN): "withdraw",
    (Status.ACCEPTED, Status.WITHDRAWN): "withdraw",
    (Status.RETURNED, Status.WITHDRAWN): "withdraw",
    # Fees (payments settles them): paid at submit → 受付待ち; a 事後決済 request made while
    # 審査中 goes back to 審査中 once paid. Unpaid, the resident may still withdraw.
    (Status.AWAITING_PAYMENT, Status.SUBMITTED): "payment_received",
    (Status.AWAITING_PAYMENT, Status.ACCEPTED): "payment_received",
    (Status.ACCEPTED, Status.AWAITING_PAYMENT): "request_payment",
    (Status.AWAITING_PAYMENT, Status.WITHDRAWN): "withdraw",
}

FINAL = {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN}


class TransitionError(Exception):
    """The requested change is not allowed from the submission's current status."""


def action_for(current: str, target: str) -> str:
    try:
        return TRANSITIONS[(current, target)]
    except KeyError:
        raise TransitionError(
            _("%(current)s から %(target)s には進めません")
            % {"current": Status(current).label, "target": Status(target).label}
        ) from None


def allowed_targets(current: str) -> list[str]:
    return [to for (frm, to) in TRANSITIONS if frm == current]


# A 届出 that the department has taken in: its state is `approved` like an application's 承認
# (one state table), but it was received, not approved (casework/decisions.py says why).
RECEIVED = pgettext_lazy("the final state of a notification (届出)", "受理")


def status_label(status: str, kind: str | None) -> str:
    """The state as people read it: a 届出's `approved` is 受理."""
    if status == Status.APPROVED and kind == Kind.NOTIFICATION:
        return str(RECEIVED)
    return str(Status(status).label)


def kind_of(municipality, procedure_code: str) -> str | None:
    """Whether the city's procedure is an application or a 届出 (None once it left the catalogue)."""
    procedure = catalog_for(municipality.slug, language="ja").get(procedure_code)
    return procedure.kind if procedure is not None else None
