"""The code lists of the register, with the labels of the 住民記録システム標準仕様書.

続柄 and 異動事由 are stored as their label text: that is what the standard's CSV and every
form show, and it keeps an exported file readable without a code table.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

HEAD = "世帯主"  # ja-only: a 続柄 code of the standard, stored as written

# 続柄 (relationship to the head of the household), as written on a 住民票.
RELATIONSHIPS = (
    HEAD, "妻", "夫", "妻（未届）", "夫（未届）", "子", "子の妻", "子の夫", "孫", "孫の妻", "孫の夫",  # ja-only: 続柄 codes
    "父", "母", "妻の父", "妻の母", "夫の父", "夫の母", "祖父", "祖母",  # ja-only: 続柄 codes
    "兄", "姉", "弟", "妹", "兄の妻", "弟の妻", "姉の夫", "妹の夫",  # ja-only: 続柄 codes
    "おじ", "おば", "おい", "めい", "縁故者", "同居人", "その他",  # ja-only: 続柄 codes
)
SPOUSES = ("妻", "夫", "妻（未届）", "夫（未届）")  # ja-only: 続柄 codes


class Gender(models.TextChoices):
    """The 住民基本台帳 codes, as the card's 性別 uses them."""

    MALE = "1", _("男")
    FEMALE = "2", _("女")


class Status(models.TextChoices):
    """A record is never deleted: a resident who leaves or dies stays, with this status."""

    RESIDENT = "resident", _("住民")
    MOVED_OUT = "moved_out", _("転出")
    DECEASED = "deceased", _("死亡")


class Reason(models.TextChoices):
    """異動事由 of a movement."""

    MOVE_IN = "転入", _("転入")  # ja-only: the stored 異動事由 code
    MOVE_IN_ABROAD = "国外転入", _("国外転入")  # ja-only: the stored 異動事由 code
    MOVE_WITHIN = "転居", _("転居")  # ja-only: the stored 異動事由 code
    MOVE_OUT = "転出", _("転出")  # ja-only: the stored 異動事由 code
    MOVE_OUT_ABROAD = "国外転出", _("国外転出")  # ja-only: the stored 異動事由 code
    BIRTH = "出生", _("出生")  # ja-only: the stored 異動事由 code
    DEATH = "死亡", _("死亡")  # ja-only: the stored 異動事由 code
    HOUSEHOLD_CHANGE = "世帯変更", _("世帯変更")  # ja-only: the stored 異動事由 code
    NATURALISATION = "帰化", _("帰化")  # ja-only: the stored 異動事由 code
    OFFICIAL_ENTRY = "職権記載", _("職権記載")  # ja-only: the stored 異動事由 code
    OFFICIAL_REMOVAL = "職権消除", _("職権消除")  # ja-only: the stored 異動事由 code
    OFFICIAL_CORRECTION = "職権修正", _("職権修正")  # ja-only: the stored 異動事由 code


# A record's status must agree with the reason of its latest movement.
REASONS_FOR_STATUS = {
    Status.MOVED_OUT: {Reason.MOVE_OUT, Reason.MOVE_OUT_ABROAD, Reason.OFFICIAL_REMOVAL},
    Status.DECEASED: {Reason.DEATH},
}
