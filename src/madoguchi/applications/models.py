"""Drafts, submissions and everything the resident sees of them in My Page.

Answers, attachments and messages are encrypted at rest (madoguchi.core.crypto).
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.catalog.fees import FeeQuote
from madoguchi.core.crypto import EncryptedTextField
from madoguchi.core.fastinsert import FastInsertManager
from madoguchi.core.models import ActorKind, Department, Municipality
from madoguchi.identity.models import ResidentAccount
from madoguchi.register.models import Resident


class Attachment(models.Model):
    """An uploaded file, checked by content, stored encrypted. Immutable once stored."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(ResidentAccount, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    submitted = models.BooleanField(default=False, help_text="part of a submission: kept as a record")
    created_at = models.DateTimeField(auto_now_add=True)


class Draft(models.Model):
    """Answers in progress, saved at every step so nothing is lost when a session ends."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(ResidentAccount, on_delete=models.CASCADE, related_name="drafts")
    procedure_code = models.CharField(max_length=64)
    form_version = models.PositiveIntegerField()
    answers = models.BinaryField(help_text="encrypted JSON")
    sources = models.JSONField(default=dict, help_text="field path → where the value came from")
    step = models.PositiveSmallIntegerField(default=0)
    correcting = models.ForeignKey(
        "Submission", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        help_text="set when the draft corrects a returned submission",
    )
    signing_challenge = models.ForeignKey(
        "identity.CardChallenge", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the card signature being made over these answers",
    )
    navigator_plan = models.ForeignKey(
        "navigator.NavigatorPlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="the 手続ナビ plan the draft was started from; My Page lists that plan's other steps",  # ja-only: a term in a developer note
    )
    due_on = models.DateField(
        null=True, blank=True, db_index=True,
        help_text="the procedure's last day (届出期限) when known, e.g. from the plan's event day",  # ja-only: a term in a developer note
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)


class Status(models.TextChoices):
    # Online, a fee-bearing submission waits here until it is paid (staff see 入金待ち/未納);
    # a 事後決済 case comes back here from 審査中 once the department fixes the amount.
    AWAITING_PAYMENT = "awaiting_payment", _("お支払い待ち")
    SUBMITTED = "submitted", _("受付待ち")
    ACCEPTED = "accepted", _("審査中")
    RETURNED = "returned", _("差戻し（修正をお願いしています）")
    PENDING_APPROVAL = "pending_approval", _("決裁中")
    APPROVED = "approved", _("承認")
    REJECTED = "rejected", _("却下")
    WITHDRAWN = "withdrawn", _("取下げ")


class Channel(models.TextChoices):
    ONLINE = "online", _("オンライン")
    COUNTER = "counter", _("窓口")


class ReturnReason(models.TextChoices):
    """Why a case was returned (差戻し), chosen by staff beside the note: the note is free text
    that may name people, the category is what the city's figures count (insights)."""

    MISSING = "missing", _("記入漏れ・誤り")
    ATTACHMENT = "attachment", _("添付書類の不足・不鮮明")
    IDENTITY = "identity", _("本人確認・署名")
    ELIGIBILITY = "eligibility", _("要件の確認")
    OTHER = "other", _("その他")


class Submission(models.Model):
    """A submitted application or notification: one receipt number, one or more versions.

    Online, the applicant is a resident account. At the counter it is the register record of
    whoever applied (the visitor usually has no account); when that resident has linked an
    account with the card, both are set, so the case shows in My Page and its mails go out."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    receipt_number = models.CharField(max_length=16)
    procedure_code = models.CharField(max_length=64, db_index=True)
    form_version = models.PositiveIntegerField()
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="submissions",
                                   db_index=False)  # led by the queue indexes below
    account = models.ForeignKey(ResidentAccount, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="submissions", help_text="the applicant's account")
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="submissions",
                                 help_text="the applicant's register record (counter filings)")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.ONLINE)
    visit_ref = models.UUIDField(null=True, blank=True, db_index=True,
                                 help_text="the counter visit that filed it; one visit's cases share it")
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices, help_text="who submitted")
    actor_ref = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    draft = models.OneToOneField(Draft, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="submission")
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)
    fee_yen = models.PositiveIntegerField(default=0, help_text="the total due in yen; 0 when none or deferred")
    # Defaults in the database too: a process still running the previous release during a
    # rolling deploy, and bulk loaders writing SQL, insert rows without these columns.
    fee_lines = models.JSONField(default=dict, db_default=models.Value({}, models.JSONField()), blank=True,
                                 help_text="the fee quote as stored at submit (catalog.fees.FeeQuote.as_json)")
    fee_deferred = models.BooleanField(default=False, db_default=False,
                                       help_text="事後決済: the department fixes the amount after review")  # ja-only: a term in a developer note
    submitted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The department's work (casework): who handles the case (担当者), and the last day of the
    # procedure's 標準処理期間 counted from submission (None when the procedure states none).
    assignee = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="assigned_cases",
                                 db_index=False)  # led by submission_assignee below
    assigned_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(null=True, blank=True,
                              help_text="last day of the 標準処理期間 (processing_days)")  # ja-only: a term in a developer note

    objects = FastInsertManager()  # create() is one compiled INSERT (core/fastinsert.py)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "receipt_number"], name="receipt_unique_per_city"),
            models.UniqueConstraint(fields=["municipality", "idempotency_key"], name="idempotency_per_city"),
            models.CheckConstraint(condition=models.Q(account__isnull=False) | models.Q(resident__isnull=False),
                                   name="submission_has_an_applicant"),
        ]
        # The department queue lists one department's cases oldest first, by (submitted_at, id)
        # so that keyset pages are exact when timestamps tie; each filter it offers has an index
        # that starts with the department and the filter's column and ends in that order, so a
        # page is one index range read in order (no sort, no scan of other departments' cases).
        # The city is implied by the department, so no index needs it.
        indexes = [
            models.Index(fields=["department", "submitted_at", "id"], name="submission_queue"),
            models.Index(fields=["department", "status", "submitted_at", "id"],
                         name="submission_queue_status"),
            models.Index(fields=["department", "procedure_code", "submitted_at", "id"],
                         name="submission_queue_procedure"),
            models.Index(fields=["department", "channel", "submitted_at", "id"],
                         name="submission_queue_channel"),
            # 「自分の担当」: one staff member's cases in queue order; overdue first: by due day.
            models.Index(fields=["assignee", "submitted_at", "id"], name="submission_assignee"),
            # Open cases only (the order by due day lists what is still to do): decided cases
            # leave it, so a first page never reads past years of them. PostgreSQL sees that the
            # queue's NOT IN (casework.selectors.CLOSED) implies this predicate. Written as three
            # NOTs, not a NOT IN: PostgreSQL prints a varchar IN list back in a form that does
            # not read back the same, and bench/scale_generate.py rebuilds indexes from that print.
            models.Index(fields=["department", "due_on", "id"], name="submission_queue_due",
                         condition=~models.Q(status="approved") & ~models.Q(status="rejected")
                         & ~models.Q(status="withdrawn")),
        ]

    @property
    def subject_ref(self) -> str:
        """Whom the audit log names as the case's subject."""
        return self.account.ref if self.account_id else self.resident.ref

    @property
    def contact_email(self) -> str:
        """Where notices by e-mail go; empty for a counter case without an account."""
        return self.account.email if self.account_id else ""

    @property
    def fee_quote(self) -> FeeQuote:
        """The fee as stored at submit (or as the department fixed it, 事後決済)."""
        return FeeQuote.from_json(self.fee_lines)

    @property
    def awaiting_payment(self) -> bool:
        return self.status == Status.AWAITING_PAYMENT

    @property
    def current_version(self) -> "SubmissionVersion":
        return self.versions.order_by("-number").first()


class SubmissionVersion(models.Model):
    """The answers as submitted; a correction after 差戻し adds a version, never overwrites."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    form_version = models.PositiveIntegerField()
    answers = models.BinaryField(help_text="encrypted JSON")
    sources = models.JSONField(default=dict)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_ref = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FastInsertManager()  # create() is one compiled INSERT (core/fastinsert.py)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="version_number_unique")
        ]


class SubmissionEvent(models.Model):
    """The status timeline shown in My Page and on the case (append-only)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_ref = models.CharField(max_length=64)
    # Shown to the resident (e.g. why it was returned); may name people or numbers: encrypted.
    note = EncryptedTextField(blank=True, default="", help_text="encrypted text shown to the resident",
                              city="submission__municipality")
    reason = models.CharField(max_length=16, choices=ReturnReason.choices, blank=True, default="",
                              db_default="", help_text="a 差戻し's category; blank otherwise")  # ja-only: a term in a developer note

    objects = FastInsertManager()  # create() is one compiled INSERT (core/fastinsert.py)

    class Meta:
        ordering = ["at", "id"]


class Message(models.Model):
    """The two-way thread between the resident and the department about one submission."""

    class Sender(models.TextChoices):
        RESIDENT = "resident", _("申請者")
        DEPARTMENT = "department", _("担当課")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=16, choices=Sender.choices)
    staff_user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL)
    body = models.BinaryField(help_text="encrypted text")
    at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]


class IssuedDocument(models.Model):
    """A PDF issued to the resident: the receipt (受付票) or the decision notice (決定通知書)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("受付票")
        NOTICE = "notice", _("決定通知書")
        FORM = "form", _("届書・申請書（様式）")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    data = models.BinaryField(help_text="encrypted PDF")
    sha256 = models.CharField(max_length=64, help_text="of the PDF; the verify page compares it")
    created_at = models.DateTimeField(auto_now_add=True)


class SubmissionSignature(models.Model):
    """The card signature over one version's canonical answers (RFC 8785), as verified on
    receipt: the certificate (encrypted, it carries the 基本4情報), the signature, the digest."""

    version = models.OneToOneField(SubmissionVersion, on_delete=models.CASCADE, related_name="signature")
    certificate = models.BinaryField(help_text="encrypted DER of the 署名用電子証明書")  # ja-only: a term in a developer note
    signature = models.TextField(help_text="base64 RSASSA-PKCS1-v1_5 SHA-256")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the signed bytes")
    serial = models.CharField(max_length=64)
    issuer = models.CharField(max_length=255)
    verified_at = models.DateTimeField()


class ProtectionHold(models.Model):
    """A request for a protected resident's 住民票の写し or 附票 made by someone else, stopped
    for a clerk's decision (住民基本台帳事務における支援措置; applications/protection_holds.py).

    Not a status: the case stays 受付待ち (the requester is told nothing), and while the hold
    is pending `services.transition` allows only 取下げ; once refused, no 承認. Only the
    register ids of the protected residents concerned are kept here, never their names; the
    note of the 支援措置担当 who decided may name people, so it is encrypted."""

    class State(models.TextChoices):
        # Staff read these on the case page only, which words them (templates/casework).
        PENDING = "pending"
        ALLOWED = "allowed"
        REFUSED = "refused"

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="protection_hold")
    protected_ids = models.JSONField(default=list, help_text="register ids of the protected residents concerned")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    decided_by = models.CharField(max_length=64, blank=True, help_text="the deciding actor's ref")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = EncryptedTextField(blank=True, default="", help_text="encrypted: why, as the deciding clerk wrote it",
                              city="submission__municipality")
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def pending(self) -> bool:
        return self.state == self.State.PENDING
