"""The payment attempt's state machine: one table of allowed moves, one function applying it.

    created ──start──▶ pending ──▶ succeeded | failed | expired | cancelled
       └──────────────────────────▶ (the same, when the provider answers before we saw pending)

`duplicate` is a success on a charge another attempt already paid: the money came in twice,
so it is refunded automatically (services.settle). Money is the provider's truth: a success
reported after we had given an attempt up (failed, expired, cancelled — the resident closed
the page, the job expired it, the konbini slip was paid at the last minute) is still taken as
paid, or as duplicate when the charge was paid meanwhile ("late_success"). Nothing leaves
succeeded or duplicate: refunds are rows of their own (models.Refund).
"""

from django.utils import timezone

from madoguchi.payments.models import AttemptState as S

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.CREATED, S.PENDING): "start",
    (S.CREATED, S.SUCCEEDED): "succeed",      # a counter payment, or a provider quicker than us
    (S.CREATED, S.DUPLICATE): "duplicate",
    (S.CREATED, S.FAILED): "fail",
    (S.CREATED, S.EXPIRED): "expire",
    (S.CREATED, S.CANCELLED): "cancel",
    (S.PENDING, S.SUCCEEDED): "succeed",
    (S.PENDING, S.DUPLICATE): "duplicate",
    (S.PENDING, S.FAILED): "fail",
    (S.PENDING, S.EXPIRED): "expire",
    (S.PENDING, S.CANCELLED): "cancel",
    (S.FAILED, S.SUCCEEDED): "late_success",
    (S.EXPIRED, S.SUCCEEDED): "late_success",
    (S.CANCELLED, S.SUCCEEDED): "late_success",
    (S.FAILED, S.DUPLICATE): "late_success",
    (S.EXPIRED, S.DUPLICATE): "late_success",
    (S.CANCELLED, S.DUPLICATE): "late_success",
}

LIVE = frozenset({S.CREATED, S.PENDING})
# final for the resident: a new attempt may be started and the job stops polling
FINAL = frozenset({S.SUCCEEDED, S.FAILED, S.EXPIRED, S.CANCELLED, S.DUPLICATE})
PAID = frozenset({S.SUCCEEDED, S.DUPLICATE})  # money was taken


class AttemptTransitionError(Exception):
    """The move is not in the table (e.g. a failure reported after a success)."""


def action_for(current: str, target: str) -> str:
    try:
        return TRANSITIONS[(current, target)]
    except KeyError:
        raise AttemptTransitionError(f"attempt cannot move from {current} to {target}") from None


def can_move(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS


def move(attempt, target: str, now=None) -> str:
    """Apply one move to the (locked) attempt in memory and return the action's name; the
    caller saves. A final state stamps `finished_at` and stops the job's polling."""
    action = action_for(attempt.state, target)
    attempt.state = target
    if target in FINAL:
        attempt.finished_at = now or timezone.now()
        attempt.next_check_at = None
    return action
