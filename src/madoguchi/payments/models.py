"""What is owed, each try to pay it, what providers told us, and what was paid back.

Money is in whole yen (`PositiveIntegerField`), never floats. No card data is ever stored:
the provider's own page takes it; Madoguchi keeps only the provider's ids and states.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from madoguchi.applications.models import Submission
from madoguchi.core.crypto import EncryptedTextField
from madoguchi.core.models import Municipality
from madoguchi.core.secrets import SecretsMixin


class Method(models.TextChoices):
    CARD = "card", _("クレジットカード")
    KONBINI = "konbini", _("コンビニ払い")
    PAYPAY = "paypay", "PayPay"
    CASH = "cash", _("現金（窓口）")
    TERMINAL_CARD = "terminal_card", _("クレジットカード（窓口端末）")
    TERMINAL_EMONEY = "terminal_emoney", _("電子マネー（窓口端末）")
    TERMINAL_QR = "terminal_qr", _("QRコード決済（窓口端末）")


DUPLICATE_REASON = "二重決済"  # ja-only: stored as the reason of the automatic refund of a second success
COUNTER_METHODS = (Method.CASH, Method.TERMINAL_CARD, Method.TERMINAL_EMONEY, Method.TERMINAL_QR)


class ProviderSetting(SecretsMixin, models.Model):
    """One payment provider as one city turned it on: which methods, its public configuration
    (`config`: API base, account ids, ...) and its secrets (API keys, webhook secrets),
    encrypted at rest as one JSON object. Read the secrets through `secret_values`."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=32, help_text="registry code: stripe, paypay, counter")
    enabled = models.BooleanField(default=False)
    methods = models.JSONField(default=list, blank=True, help_text="methods offered, in order")
    issues_receipt = models.JSONField(default=list, blank=True,
                                      help_text="methods whose payments get a 領収書")  # ja-only: the books' term
    config = models.JSONField(default=dict, blank=True, help_text="public, non-secret settings")
    secrets = EncryptedTextField(help_text="JSON object of secrets, encrypted")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "provider"], name="provider_once_per_city"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} ({self.municipality_id})"


class Charge(models.Model):
    """What is owed for one submission: fixed at submit, after review (事後決済) or at the
    counter. At most one charge is open (due) per submission."""

    class Kind(models.TextChoices):
        AT_SUBMIT = "at_submit", _("申請時")
        AFTER_REVIEW = "after_review", _("審査後（事後決済）")
        COUNTER = "counter", _("窓口")

    class Status(models.TextChoices):
        DUE = "due", _("お支払い待ち")
        PAID = "paid", _("支払済み")
        CANCELLED = "cancelled", _("取消")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_yen = models.PositiveIntegerField()
    lines = models.JSONField(default=list, blank=True, help_text="the fee quote's lines (FeeQuote.as_json)")
    revenue_code = models.CharField(max_length=32, blank=True, help_text="歳入科目")  # ja-only: the books' term
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DUE)
    paid_attempt = models.ForeignKey("Attempt", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", help_text="the attempt that paid it")
    paid_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission"], condition=Q(status="due"),
                                    name="one_open_charge_per_submission"),
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="charge_amount_positive"),
        ]


class AttemptState(models.TextChoices):
    CREATED = "created", _("開始前")
    PENDING = "pending", _("お支払い手続中")
    SUCCEEDED = "succeeded", _("支払済み")
    FAILED = "failed", _("失敗")
    EXPIRED = "expired", _("期限切れ")
    CANCELLED = "cancelled", _("取消")
    DUPLICATE = "duplicate", _("二重決済（返金）")


LIVE_STATES = (AttemptState.CREATED, AttemptState.PENDING)


class Attempt(models.Model):
    """One try to pay a charge with one provider and method.

    `idempotency_key` is sent to the provider with every create call, so a retry of the same
    attempt (reload, double click, a timeout) never opens a second payment there; a new key
    (a new attempt) is made only once the previous attempt is final. `next_check_at` is when
    the reconciliation job polls it next (null once final). The state table is states.py.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="attempts")
    provider = models.CharField(max_length=32)
    method = models.CharField(max_length=20, choices=Method.choices)
    idempotency_key = models.CharField(max_length=64, unique=True)
    provider_ref = models.CharField(max_length=255, blank=True,
                                    help_text="Checkout Session id, merchantPaymentId, ...")
    provider_data = models.JSONField(default=dict, blank=True,
                                     help_text="the provider's own secondary ids (e.g. PayPay codeId); no personal data")
    state = models.CharField(max_length=12, choices=AttemptState.choices, default=AttemptState.CREATED)
    amount_yen = models.PositiveIntegerField()
    redirect_url = models.URLField(max_length=2000, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0, help_text="polls so far (for the back-off)")
    slip_number = models.CharField(max_length=64, blank=True, help_text="counter terminal's slip")
    actor_ref = models.CharField(max_length=64, blank=True, help_text="who started it")
    last_error = models.CharField(max_length=200, blank=True, help_text="an error code, no personal data")
    flag_reason = models.CharField(max_length=64, blank=True,
                                   help_text="why 会計課 should look at it (duplicate, amount_mismatch ...)")  # ja-only: the books' term
    flagged_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "provider_ref"], condition=~Q(provider_ref=""),
                                    name="attempt_provider_ref_unique"),
            # a double click racing past the charge's lock still cannot open a second live try
            models.UniqueConstraint(fields=["charge", "provider", "method"],
                                    condition=Q(state__in=["created", "pending"]),
                                    name="one_live_attempt_per_method"),
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="attempt_amount_positive"),
        ]
        indexes = [
            # the reconciliation job: live attempts by when they are due, one index range
            models.Index(fields=["next_check_at"], condition=Q(state__in=["created", "pending"]),
                         name="attempt_due_check"),
            models.Index(fields=["flagged_at"], condition=Q(flagged_at__isnull=False, reviewed_at__isnull=True),
                         name="attempt_flagged_open"),
        ]

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


class ProviderEvent(models.Model):
    """A webhook or poll result as received, once per (provider, event id): a replayed
    webhook finds its row and changes nothing. Holds ids and kinds only (no card data, no
    answers)."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=255)
    attempt = models.ForeignKey(Attempt, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="events")
    kind = models.CharField(max_length=100)
    provider_ref = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=12, blank=True, help_text="the state it reported, if any")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once"),
        ]


class Refund(models.Model):
    """還付: money paid back on one successful (or duplicate) attempt, partial allowed; the
    sum of a payment's refunds never exceeds what was paid (services.request_refund).

    A duplicate success is refunded automatically: `automatic`, reason 二重決済, approved by
    "system", and the attempt is flagged for 会計課."""

    class State(models.TextChoices):
        REQUESTED = "requested", _("申請中")
        APPROVED = "approved", _("承認済み")
        DONE = "done", _("返金済み")
        FAILED = "failed", _("失敗")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="refunds")
    amount_yen = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    automatic = models.BooleanField(default=False)
    requested_by = models.CharField(max_length=64, help_text="actor ref")
    approved_by = models.CharField(max_length=64, blank=True, help_text="actor ref")
    state = models.CharField(max_length=12, choices=State.choices, default=State.REQUESTED)
    idempotency_key = models.CharField(max_length=64, unique=True)
    provider_ref = models.CharField(max_length=255, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_yen__gt=0), name="refund_amount_positive"),
        ]
