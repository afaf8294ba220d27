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
    """A record is never deleted: a resident who leaves or dies stays, with this status.

    転出予定 (a 転出届 taken, the move not yet made) is still a resident: CURRENT names both, and
    every "current residents" filter reads it. 消除 is a record struck off (職権消除 and the
    like): not current, like 転出 and 死亡."""

    RESIDENT = "resident", _("住民")
    MOVING_OUT = "moving_out", _("転出予定")
    MOVED_OUT = "moved_out", _("転出")
    DECEASED = "deceased", _("死亡")
    REMOVED = "removed", _("消除")


# The statuses of a current resident (on the register today).
CURRENT = (Status.RESIDENT, Status.MOVING_OUT)


class ResidentKind(models.TextChoices):
    """住民種別: a Japanese national or a foreign resident (中長期在留者 and others, 住基法30条の45)."""

    JAPANESE = "japanese", _("日本人住民")
    FOREIGN = "foreign", _("外国人住民")


class DatePrecision(models.TextChoices):
    """How much of a register date is known. A 生年月日 or 住定日 may be partly 不詳; the stored
    date is then the first day it could be (for sorting and look-up only) and is never shown,
    exported or pre-filled as an exact day."""

    DAY = "day", _("確定")
    MONTH = "month", _("日不詳")
    YEAR = "year", _("月日不詳")


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
    Status.REMOVED: {Reason.OFFICIAL_REMOVAL},
}
