"""A decision proposal and its approval (電子決裁): the drafter proposes, an approver decides."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.applications.models import Submission
from madoguchi.core.crypto import EncryptedTextField


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve", _("承認")
        REJECT = "reject", _("却下")

    class State(models.TextChoices):
        PENDING = "pending", _("決裁待ち")
        APPROVED = "approved", _("決裁済")
        SENT_BACK = "sent_back", _("差し戻し（起案者へ）")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = EncryptedTextField(blank=True, default="", city="submission__municipality")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approver_comment = EncryptedTextField(blank=True, default="", city="submission__municipality")
    notice_number = models.CharField(max_length=40, blank=True)
    # What the decision decides, as the procedure file's `decision:` defines it (支給額, 支給開始月,
    # 対象児童 …): JSON, encrypted, since it names children and sums. What the approver sees and
    # what the notice prints (casework/decisions.py).
    content = EncryptedTextField(blank=True, default="", city="submission__municipality")

    class Meta:
        ordering = ["proposed_at", "id"]


class ChecklistTick(models.Model):
    """One item of the procedure's review checklist (`checklist:` in its file) ticked on a case:
    who ticked it and when, kept with the case. Unticking deletes the row (audited)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="checklist_ticks")
    item = models.CharField(max_length=64)
    ticked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ticked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ticked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["submission", "item"], name="checklist_item_once")]
