"""The resident register (住民記録): households, residents and their movements.

Field names follow the data items of the 住民記録システム標準仕様書 (in verbose_name). Records
are never deleted: a resident who moves out or dies keeps the record, with a status. The
個人番号 is stored encrypted (core.crypto) with a keyed hash beside it for exact look-up.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from madoguchi.core.models import Municipality
from madoguchi.identity.models import ResidentAccount
from madoguchi.register.codes import (
    RELATIONSHIPS,
    DatePrecision,
    Gender,
    Reason,
    ResidentKind,
    Status,
)


class Household(models.Model):
    """世帯. `head` is kept in step with the member whose 続柄 is 世帯主 (see services.refresh_heads)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("世帯番号"), max_length=15)
    head = models.ForeignKey("Resident", verbose_name=_("世帯主"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("世帯")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "number"], name="household_number_per_city")
        ]

    def __str__(self) -> str:
        return _("世帯 %(number)s") % {"number": self.number}


class Resident(models.Model):
    """住民: one person's current record. The name is kept exactly as registered (異体字)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("住民票コード"), max_length=11)
    household = models.ForeignKey(Household, verbose_name=_("世帯"), on_delete=models.PROTECT,
                                  related_name="members")
    relationship = models.CharField(_("続柄"), max_length=16,
                                    choices=[(r, r) for r in RELATIONSHIPS])
    name = models.CharField(_("氏名"), max_length=50)
    kana = models.CharField(_("氏名フリガナ"), max_length=100)
    birth_date = models.DateField(_("生年月日"))
    gender = models.CharField(_("性別"), max_length=1, choices=Gender.choices)
    address = models.CharField(_("住所"), max_length=200)
    address_detail = models.CharField(_("方書"), max_length=100, blank=True)
    postal_code = models.CharField(_("郵便番号"), max_length=7, blank=True)
    settled_on = models.DateField(_("住定日"))
    became_resident_on = models.DateField(_("住民となった日"))
    latest_reason = models.CharField(_("異動事由"), max_length=8, choices=Reason.choices)
    previous_address = models.CharField(_("前住所"), max_length=200, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.RESIDENT)
    # Optional columns: what the counter's forms ask and the clerk used to type. Empty when the
    # city's export does not carry them.
    birth_date_precision = models.CharField(_("生年月日の精度"), max_length=5, choices=DatePrecision.choices,
                                            default=DatePrecision.DAY)
    settled_on_precision = models.CharField(_("住定日の精度"), max_length=5, choices=DatePrecision.choices,
                                            default=DatePrecision.DAY)
    domicile = models.CharField(_("本籍"), max_length=200, blank=True)
    domicile_head = models.CharField(_("筆頭者"), max_length=50, blank=True)
    kind = models.CharField(_("住民種別"), max_length=8, choices=ResidentKind.choices,
                            default=ResidentKind.JAPANESE)
    nationality = models.CharField(_("国籍・地域"), max_length=50, blank=True)
    residence_status = models.CharField(_("在留資格"), max_length=50, blank=True)
    residence_period = models.CharField(_("在留期間"), max_length=20, blank=True)
    residence_expires_on = models.DateField(_("在留期間の満了の日"), null=True, blank=True)
    residence_card_number = models.CharField(_("在留カード等の番号"), max_length=12, blank=True)
    common_name = models.CharField(_("通称"), max_length=50, blank=True)
    moving_out_on = models.DateField(_("転出予定日"), null=True, blank=True)
    moving_out_to = models.CharField(_("転出先"), max_length=200, blank=True)
    my_number = models.BinaryField(_("個人番号"), blank=True, help_text="encrypted (core.crypto)")
    my_number_hash = models.CharField(max_length=64, blank=True,
                                      help_text="HMAC-SHA256 of the 個人番号 (keys.my_number_hash)")  # ja-only: a developer note
    kana_key = models.CharField(max_length=100, help_text="フリガナ without spaces, small kana large")  # ja-only: a developer note
    surname_key = models.CharField(max_length=50)
    given_key = models.CharField(max_length=50)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("住民")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="resident_code_per_city")
        ]
        indexes = [
            models.Index(fields=["municipality", "birth_date", "kana_key"], name="register_birth_kana"),
            models.Index(fields=["municipality", "kana_key"], name="register_kana"),
            models.Index(fields=["municipality", "my_number_hash"], name="register_my_number"),
        ]

    def __str__(self) -> str:
        return _("住民 %(code)s") % {"code": self.code}

    @property
    def ref(self) -> str:
        """How audit events name the resident concerned: the internal id, never personal data."""
        return f"register:{self.pk}"

    @property
    def full_address(self) -> str:
        return f"{self.address}\u3000{self.address_detail}" if self.address_detail else self.address  # ja-only: the 住所 and 方書 as one line


class Movement(models.Model):
    """異動: one change of address or status, appended; the register's address history."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="movements")
    moved_on = models.DateField(_("異動日"))
    notified_on = models.DateField(_("届出日"), null=True, blank=True)
    reason = models.CharField(_("異動事由"), max_length=8, choices=Reason.choices)
    previous_address = models.CharField(_("前住所"), max_length=200, blank=True)
    new_address = models.CharField(_("新住所"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("異動")
        ordering = ["moved_on", "id"]


class RegisterLink(models.Model):
    """A resident account known to be this register record, proven by the card's 基本4情報.

    Only a link makes the online forms pre-fill from the register; nothing is ever guessed."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    account = models.OneToOneField(ResidentAccount, on_delete=models.CASCADE,
                                   related_name="register_link")
    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="links")
    linked_at = models.DateTimeField(auto_now=True)
    linked_by = models.CharField(max_length=32, help_text="how it was proven (signing_certificate)")


class SupportMeasure(models.Model):
    """住民基本台帳事務における支援措置 (DV、ストーカー行為等、児童虐待等の被害者): while a mark is
    in force the resident's address is masked on every look-up, page, print and message meant
    for someone else, and requests by others for their 住民票の写し or 附票 wait for a clerk's
    decision (register.protection reads and applies it).

    One row per protected resident; marking a household makes one row per member, with the same
    `reference` (the 申出's number). `against` (the person the protection is against, where
    known: name, フリガナ, 生年月日) is stored encrypted, like every personal field. A mark is
    never deleted: lifting it records who, when and why."""

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(Resident, verbose_name=_("対象者"), on_delete=models.PROTECT,
                                 related_name="support_measures")
    reference = models.CharField(_("申出の番号"), max_length=40, blank=True)
    starts_on = models.DateField(_("開始日"))
    ends_on = models.DateField(_("終了日"))
    against = models.BinaryField(_("加害者等"), blank=True,
                                 help_text="encrypted JSON (core.crypto): name, kana, birth_date")
    marked_by = models.CharField(max_length=64, help_text="the actor's ref")
    marked_at = models.DateTimeField(auto_now_add=True)
    lifted_on = models.DateField(_("解除日"), null=True, blank=True)
    lifted_by = models.CharField(max_length=64, blank=True)
    lift_reason = models.CharField(_("解除の理由"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("支援措置")
        indexes = [models.Index(fields=["municipality", "ends_on"], name="support_measure_in_force")]

    def __str__(self) -> str:
        return _("支援措置 %(pk)s") % {"pk": self.pk}
