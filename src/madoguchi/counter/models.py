"""The counter session (書かない窓口): one visit, its pre-filled forms and the one signature.

Answers and the signature image are encrypted at rest (madoguchi.core.crypto). The visit keeps
the navigator's event and answers itself: the plan is disposed of after a month.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.applications.models import Submission
from madoguchi.core.models import Municipality
from madoguchi.navigator.models import NavigatorPlan
from madoguchi.queueing.models import Ticket
from madoguchi.register.models import Resident


class Identified(models.TextChoices):
    CARD = "card", _("マイナンバーカード（券面事項入力補助）")
    KANA = "kana", _("フリガナと生年月日で検索")


class VisitStatus(models.TextChoices):
    OPEN = "open", _("受付中")
    CHECKED = "checked", _("来庁者確認済み")
    SIGNED = "signed", _("署名済み")
    FILED = "filed", _("各課へ送付済み")


class Source(models.TextChoices):
    """Where a value of a visit form came from. The visitor never writes: no source for that."""

    REGISTER = "register", _("住民記録")
    NAVIGATOR = "navigator", _("手続ナビの回答")
    CARD = "card", _("マイナンバーカード")
    CLERK = "clerk", _("職員が入力")


class CounterVisit(models.Model):
    """One visitor at one counter, from the call to the filing. `visitor` is who came; with a
    proxy (代理人) it is empty or the proxy's own record and `represented` is whom it concerns."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    visitor = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    identified_by = models.CharField(max_length=8, choices=Identified.choices, blank=True)
    represented = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", help_text="with a proxy: whom the visit concerns")
    proxy_name = models.CharField(_("代理人の氏名"), max_length=50, blank=True)
    proxy_relationship = models.CharField(_("本人との関係"), max_length=30, blank=True)
    plan = models.ForeignKey(NavigatorPlan, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    ticket = models.OneToOneField(Ticket, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="counter_visit",
                                  help_text="the queue ticket called to this counter; its call starts the visit")
    event = models.CharField(max_length=64, blank=True)
    language = models.CharField(
        max_length=10, choices=settings.LANGUAGES, default="ja",
        help_text="the visitor's language: the tablet and the take-away sheet are shown in it")
    answers = models.JSONField(default=dict, blank=True, help_text="the navigator's answers, copied")
    known_from_register = models.JSONField(
        default=list, blank=True, help_text="ids of the navigator's questions the register answered (not asked)")
    status = models.CharField(max_length=8, choices=VisitStatus.choices, default=VisitStatus.OPEN)
    called_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    protected_person_confirmed = models.BooleanField(
        default=False, help_text="support measure: the clerk confirmed the visitor is the protected person; "
                                 "until then no register address is filled, shown on the tablet or printed")
    fields_prefilled = models.PositiveIntegerField(default=0)
    fields_typed_by_clerk = models.PositiveIntegerField(default=0)
    fields_written_by_visitor = models.PositiveIntegerField(
        default=0, help_text="the goal is zero; counted so the KPI pages can show it")
    duration_seconds = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="from the call to the filing")

    class Meta:
        verbose_name = _("窓口受付")
        indexes = [models.Index(fields=["municipality", "called_at"])]

    @property
    def ref(self) -> str:
        return f"counter-session:{self.pk}"

    @property
    def subject(self) -> Resident | None:
        """The resident the forms are about."""
        return self.represented or self.visitor


class VisitForm(models.Model):
    """One procedure's form in the visit's bundle; `sources` maps field path → Source."""

    visit = models.ForeignKey(CounterVisit, on_delete=models.CASCADE, related_name="forms")
    procedure_code = models.CharField(max_length=64)
    form_version = models.PositiveIntegerField()
    answers = models.BinaryField(help_text="encrypted JSON")
    sources = models.JSONField(default=dict)
    position = models.PositiveSmallIntegerField(default=0)
    submission = models.OneToOneField(Submission, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="counter_form", help_text="the case it was filed as")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "procedure_code"], name="one_form_per_procedure")
        ]


class Signature(models.Model):
    """The visitor's one on-screen signature over the whole bundle (PNG, encrypted)."""

    visit = models.OneToOneField(CounterVisit, on_delete=models.CASCADE, related_name="signature")
    image = models.BinaryField(help_text="encrypted PNG")
    signed_at = models.DateTimeField(auto_now_add=True)


class TabletPairingCode(models.Model):
    """A short one-time code the clerk shows on their screen and types on the tablet to pair it.

    Only its hash is kept. It lives a few minutes, is used once, and every refused try on the
    pairing page (whatever code it named) counts against every live code of the city, so the
    guesses a code can suffer in its life are few wherever they come from."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0, help_text="refused tries while it lived")
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("タブレット接続コード")


class CounterTablet(models.Model):
    """The visitor's tablet at one clerk's desk: no staff login on it, only a device token in a
    signed, HttpOnly, SameSite=Strict cookie (the hash is stored here). It shows the clerk's
    current visit and may sign it; it lapses at the end of the day or when the clerk
    disconnects it."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    paired_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="the end of the day it was paired")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("来庁者用タブレット")
        indexes = [models.Index(fields=["municipality", "clerk"])]

    @property
    def ref(self) -> str:
        return f"counter-tablet:{self.pk}"
