"""Counter groups, their windows, visit purposes, tickets, reservations and the change log.

A ticket's times (issued, called, started, finished) are its record; `QueueChange` is the
append-only log of every change, whose id is the event id the waiting-room display resumes from.
Nothing personal is stored in clear: a contact address is encrypted (core.crypto) and URLs carry
only random tokens.
"""

import secrets

from django.db import models
from django.utils import formats, timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from madoguchi.core import i18n
from madoguchi.core.i18n.content import Fallback
from madoguchi.core.models import Department, Municipality

TOKEN_BYTES = 16
WEEKDAYS = "月火水木金土日"  # ja-only: Japanese weekday letters for Japanese pages


class Named(models.Model):
    """A name in Japanese and its translations {language code: text} (admin-editable)."""

    name = models.CharField(_("名称"), max_length=60)
    translations = models.JSONField(
        _("名称の翻訳"), default=dict, blank=True,
        help_text=_("言語コードごとの名称。例: {\"en\": \"Residents\", \"ja-easy\": \"じゅうみん\"}"))

    class Meta:
        abstract = True

    def name_in(self, language: str | None = None) -> str:
        """The name in `language` (the active one by default); Japanese as a Fallback when it has
        no translation there yet (`madoguchi check` lists them)."""
        code = i18n.supported(language or get_language()) or i18n.DEFAULT
        if code == i18n.DEFAULT:
            return self.name
        found = (self.translations or {}).get(code)
        if found:
            return found
        return self.name if i18n.is_japanese(code) else Fallback(self.name)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class CounterGroup(Named):
    """A line of visitors served by the same windows (住民異動, 証明書 …); tickets are numbered per group."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="counter_groups")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="counter_groups",
                                   help_text="its staff work the group's windows")
    code = models.SlugField()
    prefix = models.CharField(max_length=2, help_text="shown before the number: A-012")
    location = models.CharField(max_length=100, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta(Named.Meta):
        abstract = False
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="counter_group_code_per_city"),
            models.UniqueConstraint(fields=["municipality", "prefix"], name="counter_group_prefix_per_city"),
        ]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    """A numbered counter window; only open windows count for the estimate."""

    group = models.ForeignKey(CounterGroup, on_delete=models.CASCADE, related_name="windows")
    number = models.PositiveSmallIntegerField(help_text="the number on the sign above it")
    is_open = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["group", "number"], name="window_number_per_group")]

    def __str__(self) -> str:
        return gettext("%(number)s番窓口") % {"number": self.number}


class VisitPurpose(Named):
    """What a visitor comes for; its expected minutes are the prior until enough are measured."""

    group = models.ForeignKey(CounterGroup, on_delete=models.CASCADE, related_name="purposes")
    code = models.SlugField()
    expected_minutes = models.PositiveSmallIntegerField(help_text="window minutes per visitor, a prior")
    reservable = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta(Named.Meta):
        abstract = False
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["group", "code"], name="purpose_code_per_group")]

    def __str__(self) -> str:
        return self.name


class ReservationSlot(models.Model):
    """A time span of a group with `windows` windows set aside for reserved visitors.

    Its capacity is window-minutes: a booking takes its purpose's expected minutes.
    """

    group = models.ForeignKey(CounterGroup, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    windows = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.UniqueConstraint(fields=["group", "starts_at"], name="one_slot_per_start")]

    @property
    def capacity_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60) * self.windows

    @property
    def label(self) -> str:
        """「11月24日（火） 9:30〜10:00」 in the city's time; Django's date format outside Japanese."""
        starts, ends = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        if not i18n.is_japanese(i18n.supported(get_language()) or i18n.DEFAULT):
            return f"{formats.date_format(starts, 'MONTH_DAY_FORMAT')} {starts:%H:%M}–{ends:%H:%M}"
        return (f"{starts.month}月{starts.day}日（{WEEKDAYS[starts.weekday()]}） "  # ja-only: Japanese date
                f"{starts:%H:%M}〜{ends:%H:%M}")  # ja-only: Japanese range mark


class Reservation(models.Model):
    """A booked visit. `token` is the secret in the manage link and the QR; `code` is typed at the kiosk."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey(ReservationSlot, on_delete=models.PROTECT, related_name="reservations")
    purpose = models.ForeignKey(VisitPurpose, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    code = models.CharField(max_length=8)
    form_token = models.CharField(max_length=64, help_text="one booking per form shown")
    contact = models.BinaryField(null=True, blank=True, help_text="encrypted e-mail address")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=16, default="ja", help_text="the booker's page language: mails")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="reservation_code_per_city"),
            models.UniqueConstraint(fields=["municipality", "form_token"], name="reservation_form_once"),
        ]


class TicketStatus(models.TextChoices):
    ISSUED = "issued", _("お待ちください")
    CALLED = "called", _("呼出中")
    SERVING = "serving", _("受付中")
    DONE = "done", _("終了")
    ABSENT = "absent", _("不在")
    TRANSFERRED = "transferred", _("他の窓口へ移動")
    CANCELLED = "cancelled", _("取消")


class Ticket(models.Model):
    """A numbered ticket (整理券): its purpose and times are kept as the record of the wait."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(CounterGroup, on_delete=models.PROTECT, related_name="tickets")
    purpose = models.ForeignKey(VisitPurpose, on_delete=models.PROTECT, related_name="tickets")
    service_date = models.DateField()
    number = models.PositiveIntegerField()
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    form_token = models.CharField(max_length=64, help_text="one ticket per kiosk screen shown")
    status = models.CharField(max_length=16, choices=TicketStatus.choices, default=TicketStatus.ISSUED)
    issued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(default=0)
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reservation = models.OneToOneField(Reservation, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="ticket")
    transferred_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="transferred_to")
    estimate_minutes = models.PositiveIntegerField(null=True, blank=True,
                                                   help_text="the wait printed on the ticket")
    contact = models.BinaryField(null=True, blank=True, help_text="encrypted e-mail address")
    notify_when_remaining = models.PositiveSmallIntegerField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=16, default="ja",
                                help_text="the language the ticket was taken in: its mails and links")

    class Meta:
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "service_date", "number"], name="ticket_number_per_day"),
            models.UniqueConstraint(fields=["municipality", "form_token"], name="ticket_form_once"),
        ]
        indexes = [models.Index(fields=["group", "status", "service_date"])]

    @property
    def label(self) -> str:
        return f"{self.group.prefix}-{self.number:03d}"

    @property
    def wait_minutes(self) -> float | None:
        if self.called_at is None:
            return None
        return (self.called_at - self.issued_at).total_seconds() / 60


class QueueChange(models.Model):
    """Append-only log of queue changes; the id is the event id of the display's stream."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(CounterGroup, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(max_length=16)
    at = models.DateTimeField(auto_now_add=True)
    actor_ref = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
